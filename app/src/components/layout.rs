//! The page frame: document head (title, description, canonical URL, robots, OpenGraph,
//! JSON-LD, and the islands loader only on pages with islands), skip link, header with
//! the merchant's menu, search, the account and cart links (the same for every visitor,
//! so catalog pages stay cacheable for all), and footer.

use crate::tr;
use crate::RenderContext;
use leptos::prelude::*;
use shared::markets::{base_path, path_in_edition, EditionLink};
use shared::{Image, MenuLink, Site};

/// What the `<head>` says about a page.
#[derive(Clone, Debug, Default)]
pub struct PageMeta {
    /// The page's own title; the store name is appended.
    pub title: String,
    pub description: String,
    /// Whether the page has islands, and so loads the islands bundle.
    pub islands: bool,
    /// Path (and query) of the page's one canonical URL; made absolute here.
    pub canonical: Option<String>,
    /// `noindex,follow` for pages search engines should not index.
    pub noindex: bool,
    /// OpenGraph type: `website` unless said otherwise.
    pub og_type: Option<&'static str>,
    pub image: Option<Image>,
    /// JSON-LD documents, already serialized (see `components::seo`).
    pub json_ld: Vec<String>,
}

/// The whole document around a page's main content.
#[component]
pub fn Shell(site: Site, meta: PageMeta, children: Children) -> impl IntoView {
    let context = use_context::<RenderContext>().unwrap_or_default();
    let full_title = if meta.title.is_empty() {
        site.store.name.clone()
    } else {
        format!("{} · {}", meta.title, site.store.name)
    };
    let description =
        if meta.description.is_empty() { site.store.tagline.clone() } else { meta.description.clone() };
    let canonical = meta.canonical.as_ref().map(|path| context.url(path));
    let alternates = meta.canonical.as_deref().map(|path| alternates(&site.editions, &context, path));
    let og_image = meta.image.as_ref().map(|img| {
        let url = context.url(&img.src);
        view! { {og("og:image", url)} {og("og:image:alt", img.alt.clone())} }
    });
    let json_ld = meta
        .json_ld
        .iter()
        .map(|doc| view! { <script type="application/ld+json" inner_html=doc.clone()></script> })
        .collect_view();
    view! {
        <html
            lang=context.lang().to_string()
            data-catalog-version=context.catalog_version.clone()
            data-base=(!context.base.is_empty()).then(|| context.base.clone())
        >
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{full_title.clone()}</title>
                <meta name="description" content=description.clone()/>
                {meta.noindex.then(|| view! { <meta name="robots" content="noindex,follow"/> })}
                {canonical.clone().map(|href| view! { <link rel="canonical" href=href/> })}
                {alternates}
                {og("og:site_name", site.store.name.clone())}
                {og("og:type", meta.og_type.unwrap_or("website").to_string())}
                {og("og:title", full_title)}
                {og("og:description", description)}
                {canonical.map(|url| og("og:url", url))}
                {og_image}
                <meta name="twitter:card" content="summary_large_image"/>
                <link rel="stylesheet" href="/styles.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                {json_ld}
                {meta.islands.then(island_scripts)}
            </head>
            <body>
                <a class="skip-link" href="#main">{tr("Skip to content")}</a>
                <SiteHeader store_name=site.store.name.clone() menu=site.header_menu.clone()/>
                <main id="main" class="page">{children()}</main>
                <SiteFooter
                    store_name=site.store.name.clone()
                    tagline=site.store.tagline.clone()
                    menu=site.footer_menu
                    editions=site.editions
                />
            </body>
        </html>
    }
}

/// The absolute URL of `path` (a default-edition path) in the edition `link` names.
fn edition_url(context: &RenderContext, link: &EditionLink, path: &str) -> String {
    format!("{}{}", context.origin, path_in_edition(&base_path(&link.segment), path))
}

/// `<link rel="alternate" hreflang>` for the page in every edition, and `x-default` for
/// the default one (none for a shop with one edition).
fn alternates(editions: &[EditionLink], context: &RenderContext, path: &str) -> impl IntoView {
    let default = editions.iter().find(|e| e.segment.is_empty()).map(|link| {
        view! { <link rel="alternate" hreflang="x-default" href=edition_url(context, link, path)/> }
    });
    let each = editions
        .iter()
        .map(|link| {
            view! { <link rel="alternate" hreflang=link.hreflang.clone() href=edition_url(context, link, path)/> }
        })
        .collect_view();
    view! { {each} {default} }
}

/// The country and language selector: plain links to this page in every edition, so it
/// works without JavaScript (none for a shop with one edition).
#[component]
fn EditionSelector(editions: Vec<EditionLink>) -> impl IntoView {
    let context = use_context::<RenderContext>().unwrap_or_default();
    let current = context.base.trim_start_matches('/').to_string();
    let path = if context.path.is_empty() { "/".to_string() } else { context.path.clone() };
    let now = editions.iter().find(|e| e.segment == current).map(|e| e.label.clone()).unwrap_or_default();
    let links = editions
        .iter()
        .map(|link| {
            let here = link.segment == current;
            let lang = link.hreflang.split('-').next().unwrap_or_default().to_string();
            view! {
                <li>
                    <a
                        href=edition_url(&context, link, &path)
                        hreflang=link.hreflang.clone()
                        lang=lang
                        aria-current=here.then_some("true")
                    >
                        {link.label.clone()}
                    </a>
                </li>
            }
        })
        .collect_view();
    (!editions.is_empty()).then(|| {
        view! {
            <details class="edition-selector">
                <summary>
                    <span class="visually-hidden">{tr("Country and language: ")}</span>
                    {now}
                </summary>
                <ul>{links}</ul>
            </details>
        }
    })
}

/// `<meta property="og:…" content="…">` (the view macro has no `property` attribute).
fn og(property: &'static str, content: String) -> impl IntoView {
    leptos::html::meta().attr("property", property).attr("content", content)
}

/// A menu's links, as a list.
#[component]
fn MenuList(menu: Vec<MenuLink>) -> impl IntoView {
    view! {
        <ul>
            {menu.into_iter().map(|link| view! { <li><a href=link.href>{link.title}</a></li> }).collect_view()}
        </ul>
    }
}

#[component]
fn SiteHeader(store_name: String, menu: Vec<MenuLink>) -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/">{store_name}</a>
                <nav class="main-nav" aria-label=tr("Main")>
                    <MenuList menu/>
                </nav>
                <form class="header-search" method="get" action="/search" role="search">
                    <label class="visually-hidden" for="header-q">{tr("Search products")}</label>
                    <input id="header-q" type="search" name="q" placeholder=tr("Search") maxlength="100"/>
                    <button class="header-search__button" type="submit">{tr("Search")}</button>
                </form>
                <a class="account-link" href="/account">{tr("Account")}</a>
                <a class="cart-link" href="/cart">
                    {tr("Cart")}
                    <span class="cart-count" data-cart-count="" hidden></span>
                </a>
            </div>
        </header>
    }
}

#[component]
fn SiteFooter(
    store_name: String,
    tagline: String,
    menu: Vec<MenuLink>,
    editions: Vec<EditionLink>,
) -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="site-footer__inner">
                <div>
                    <p class="site-footer__brand">{store_name}</p>
                    <p>{tagline}</p>
                </div>
                <nav aria-label=tr("Footer")>
                    <MenuList menu/>
                </nav>
                <EditionSelector editions/>
            </div>
        </footer>
    }
}

/// The loader of the islands bundle: once the page is idle, it fetches
/// `/pkg/storefront_islands.js` and its Wasm, starts the reactive runtime, and hydrates
/// each `<leptos-island>` with the function the `#[island]` macro exported for it.
/// Only pages with islands include it; it runs under the page's CSP nonce.
const ISLAND_LOADER: &str = r#"
const start = async () => {
  const bundle = await import("/pkg/storefront_islands.js");
  await bundle.default({ module_or_path: "/pkg/storefront_islands_bg.wasm" });
  bundle.hydrate();
  for (const island of document.querySelectorAll("leptos-island")) {
    const hydrate = bundle[island.dataset.component];
    if (hydrate) await hydrate(island);
  }
};
("requestIdleCallback" in window ? requestIdleCallback : setTimeout)(start);
"#;

fn island_scripts() -> impl IntoView {
    let nonce = use_context::<RenderContext>().map(|c| c.nonce).unwrap_or_default();
    view! {
        <link rel="modulepreload" href="/pkg/storefront_islands.js" nonce=nonce.clone()/>
        <script type="module" nonce=nonce inner_html=ISLAND_LOADER></script>
    }
}

/// The hidden CSRF field every state-changing form carries.
#[component]
pub fn CsrfField() -> impl IntoView {
    let token = use_context::<RenderContext>().map(|c| c.csrf).unwrap_or_default();
    view! { <input type="hidden" name="csrf" value=token/> }
}

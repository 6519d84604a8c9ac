//! The page frame: document head, skip link, header with the merchant's menu and the
//! cart link, and footer.

use leptos::prelude::*;
use shared::{MenuLink, Site};

/// What the `<head>` says about a page.
#[derive(Clone, Debug, Default)]
pub struct PageMeta {
    /// The page's own title; the store name is appended.
    pub title: String,
    pub description: String,
}

/// The whole document around a page's main content.
#[component]
pub fn Shell(site: Site, meta: PageMeta, children: Children) -> impl IntoView {
    let full_title = if meta.title.is_empty() {
        site.store.name.clone()
    } else {
        format!("{} · {}", meta.title, site.store.name)
    };
    let catalog_version = use_context::<crate::RenderContext>()
        .map(|c| c.catalog_version)
        .unwrap_or_default();
    let description = if meta.description.is_empty() {
        site.store.tagline.clone()
    } else {
        meta.description
    };
    view! {
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{full_title}</title>
                <meta name="description" content=description/>
                <meta name="catalog-version" content=catalog_version/>
                <link rel="stylesheet" href="/styles.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
            </head>
            <body>
                <a class="skip-link" href="#main">"Skip to content"</a>
                <SiteHeader store_name=site.store.name.clone() menu=site.header_menu.clone()/>
                <main id="main" class="page">{children()}</main>
                <SiteFooter
                    store_name=site.store.name.clone()
                    tagline=site.store.tagline.clone()
                    menu=site.footer_menu
                />
            </body>
        </html>
    }
}

#[component]
fn SiteHeader(store_name: String, menu: Vec<MenuLink>) -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/">{store_name}</a>
                <nav class="main-nav" aria-label="Main">
                    <ul>
                        {menu
                            .into_iter()
                            .map(|link| view! { <li><a href=link.href>{link.title}</a></li> })
                            .collect_view()}
                    </ul>
                </nav>
                <a class="cart-link" href="/cart">"Cart"</a>
            </div>
        </header>
    }
}

#[component]
fn SiteFooter(store_name: String, tagline: String, menu: Vec<MenuLink>) -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="site-footer__inner">
                <div>
                    <p class="site-footer__brand">{store_name}</p>
                    <p>{tagline}</p>
                </div>
                <nav aria-label="Footer">
                    <ul>
                        {menu
                            .into_iter()
                            .map(|link| view! { <li><a href=link.href>{link.title}</a></li> })
                            .collect_view()}
                    </ul>
                </nav>
            </div>
        </footer>
    }
}

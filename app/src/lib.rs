//! Leptos views of the storefront. Pages receive plain `shared` types (the worker
//! reads and prices the data first) and render to HTML on the server.

// A page's view is one deeply nested type; the default query depth is too small for it.
#![recursion_limit = "512"]

pub mod components;
pub mod islands;
pub mod routes;

pub use routes::account::{AccountPage, AccountView, SignInNotice, SignInPage, VerifyLinkPage};
pub use routes::admin::{
    AdminNotice, AdminOrderPage, AdminSignInPage, DashboardPage, DeskFilter, OrderDeskPage, OutboxPage,
    StockPage, StockRow,
};
pub use routes::cart::CartView;
pub use routes::cart_link::{CartLinkItem, CartLinkPage};
pub use routes::checkout::{CheckoutPage, CheckoutStep, CheckoutView, PaymentForm, STRIPE_JS};
pub use routes::collection::{FacetView, ListingView};
pub use routes::order::{OrderLookupPage, OrderPage, PendingPayment};
pub use routes::search::{SearchPage, SearchResults};
pub use routes::{
    article::ArticlePage, cart::CartPage, collection::CollectionPage, error::ErrorPage, home::HomePage,
    product::ProductPage,
};

/// What every page of one response shares, provided to components as context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderContext {
    /// The catalog version the page was rendered from, written into the page.
    pub catalog_version: String,
    /// `scheme://host` the request came to, for absolute (canonical, OpenGraph) URLs.
    pub origin: String,
    /// The CSP nonce of the page's scripts. The worker renders a placeholder and puts a
    /// fresh value into every response (cached pages included).
    pub nonce: String,
    /// The CSRF token every POST form carries; also a placeholder the worker fills in
    /// per response with the visitor's session token.
    pub csrf: String,
    /// What the edition's paths start with (`/fr-ca`); empty for the default edition.
    /// Pages link with default-edition paths; [`render_document`] puts them in the
    /// edition.
    pub base: String,
    /// The edition's language (`fr`); empty means English.
    pub language: String,
    /// The page's path within its edition (`/products/daypack`, without `base`): the
    /// edition selector links to the same page in every other edition.
    pub path: String,
    /// The interface strings in the edition's language, by their English text (from the
    /// catalog's `strings/{language}.toml`; empty in English).
    pub strings: std::sync::Arc<std::collections::BTreeMap<String, String>>,
}

impl RenderContext {
    /// The page's language code for `lang` attributes.
    pub fn lang(&self) -> &str {
        if self.language.is_empty() {
            "en"
        } else {
            &self.language
        }
    }

    /// The absolute URL of the shop path `path` in this page's edition.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.origin, shared::markets::path_in_edition(&self.base, path))
    }
}

/// The interface string `english` (one of `shared::strings::UI_STRINGS`) in the page's
/// language: the catalog's translation, else the English itself.
pub fn tr(english: &str) -> String {
    leptos::prelude::use_context::<RenderContext>()
        .and_then(|c| c.strings.get(english).cloned())
        .unwrap_or_else(|| english.to_string())
}

/// [`tr`] of a template with `{name}` placeholders, each replaced by its value.
pub fn trf(template: &str, values: &[(&str, &str)]) -> String {
    shared::strings::fill(&tr(template), values)
}

/// A message the server wrote ([`shared::strings::Text`]) in the page's language.
pub fn say(text: &shared::strings::Text) -> String {
    let context = leptos::prelude::use_context::<RenderContext>();
    text.written(|template| context.as_ref().and_then(|c| c.strings.get(template)).map(String::as_str))
}

/// The page's language (English outside a render).
pub fn language() -> shared::markets::Language {
    leptos::prelude::use_context::<RenderContext>()
        .and_then(|c| shared::markets::Language::parse(c.lang()))
        .unwrap_or_else(shared::markets::Language::english)
}

/// Renders a whole page to an HTML document string.
///
/// Each page is rendered inside its own reactive owner, which is dropped as soon as the
/// string is produced, so nothing outlives the request.
#[cfg(feature = "ssr")]
pub fn render_document<V, F>(context: RenderContext, page: F) -> String
where
    F: FnOnce() -> V,
    V: leptos::prelude::IntoView + 'static,
{
    use leptos::prelude::{provide_context, Owner, RenderHtml};
    let base = context.base.clone();
    let owner = Owner::new();
    let body = owner.with(|| {
        provide_context(context);
        page().into_view().to_html()
    });
    drop(owner);
    // Leptos marks text-node boundaries with `<!>`, which parses as an empty comment but
    // is a "bogus comment" to validators; `<!---->` is the same node, written validly.
    // Inside `<title>` (text only: a browser would show a comment as text) a marker is
    // dropped; the worker's component erasure puts one there.
    let body = without_title_markers(body);
    let body = shared::markets::links_in_edition(&body, &base);
    let mut html = String::from("<!DOCTYPE html>");
    html.push_str(&shared::text::replace_all(&body, &[("<!>", "<!---->")]));
    html
}

/// The page with the text-node markers inside its `<title>` removed.
#[cfg(feature = "ssr")]
fn without_title_markers(body: String) -> String {
    let Some(start) = body.find("<title>") else { return body };
    let Some(end) = body.get(start..).and_then(|rest| rest.find("</title>")).map(|n| start + n) else {
        return body;
    };
    match (body.get(..start), body.get(start..end), body.get(end..)) {
        (Some(before), Some(title), Some(after)) if title.contains("<!>") => {
            format!("{before}{}{after}", title.replace("<!>", ""))
        }
        _ => body,
    }
}

#[cfg(test)]
#[cfg(feature = "ssr")]
mod tests {
    use super::*;
    use leptos::prelude::*;
    use shared::{Currency, Handle, Image, Money, Product, ProductOption, Site, Sku, StoreInfo, Variant};

    fn site() -> Site {
        Site {
            store: StoreInfo { name: "Test & Co".into(), tagline: "Things".into(), currency: Currency::USD },
            header_menu: vec![shared::MenuLink { title: "Bags".into(), href: "/collections/bags".into() }],
            footer_menu: vec![],
            editions: vec![],
            strings: Default::default(),
            language: shared::markets::Language::english(),
        }
    }

    fn product() -> Product {
        let variant = |sku: &str, size: &str, stock| Variant {
            sku: Sku::parse(sku).unwrap(),
            options: vec![size.into()],
            price: Money::new(8900, Currency::USD),
            compare_at: Some(Money::new(9900, Currency::USD)),
            weight_grams: 300,
            stock,
            image: None,
        };
        Product {
            handle: Handle::parse("sweater").unwrap(),
            title: "Sweater <b>".into(),
            vendor: "Knit".into(),
            summary: "Warm".into(),
            description_html: "<p>Soft <em>wool</em></p>".into(),
            categories: vec![Handle::parse("knitwear").unwrap()],
            breadcrumbs: vec![shared::MenuLink {
                title: "Knitwear".into(),
                href: "/collections/knitwear".into(),
            }],
            created: "2026-01-01".into(),
            related: vec![],
            options: vec![ProductOption { name: "Size".into(), values: vec!["S".into(), "M".into()] }],
            variants: vec![variant("SW-S", "S", 0), variant("SW-M", "M", 2)],
            images: vec![Image {
                src: "/images/a.svg".into(),
                alt: "A sweater".into(),
                width: 800,
                height: 800,
            }],
        }
    }

    #[test]
    fn product_page_escapes_text_and_keeps_sanitized_description() {
        let context = RenderContext {
            catalog_version: "v123".into(),
            origin: "https://shop.test".into(),
            nonce: "n0nce".into(),
            csrf: "t0ken".into(),
            ..RenderContext::default()
        };
        let html = render_document(
            context,
            || view! { <ProductPage site=site() product=product() selected=None related=vec![]/> },
        );
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\""), "{html}");
        assert!(html.contains(r#"data-catalog-version="v123""#), "{html}");
        assert!(
            html.contains(r#"<link rel="canonical" href="https://shop.test/products/sweater">"#),
            "{html}"
        );
        assert!(html.contains("<title>Sweater &lt;b&gt; · Test &amp; Co</title>"), "{html}");
        assert_eq!(html.matches("<h1").count(), 1);
        assert!(html.contains("<p>Soft <em>wool</em></p>"));
        assert!(html.contains("$89.00"));
        assert!(html.contains("$99.00"));
        assert!(html.contains(r#"action="/cart/add""#));
        assert!(!html.contains("<!>"), "hydration markers are written as valid comments");
        // The first variant is sold out, so the in-stock one is chosen.
        assert!(html.contains(r#"name="variant" value="SW-M""#), "{html}");
        assert!(html.contains("choice--unavailable"), "the sold-out size is marked");
        assert!(html.contains("<leptos-island"), "the buy box is an island");
        assert!(
            html.contains(r#"<script type="module" nonce="n0nce">"#),
            "the islands loader carries the nonce"
        );
        assert!(html.contains(r#"name="csrf" value="t0ken""#), "the add-to-cart form carries the CSRF token");
    }

    #[test]
    fn the_order_desk_links_its_pages_with_the_search_kept() {
        use crate::routes::admin::{DeskFilter, OrderDeskPage};
        let filter = DeskFilter {
            text: "ada lovelace".into(),
            status: Some(shared::orders::OrderStatus::Paid),
            paged: true,
        };
        let next = Some("1733400000000-FL-ABCDE-FGHIJ".to_string());
        let html = render_document(RenderContext::default(), move || {
            view! { <OrderDeskPage store_name="Shop".to_string() orders=vec![] filter next matching=0 notice=None/> }
        });
        assert!(html.contains("No older orders."), "{html}");
        assert!(
            html.contains(r#"href="/admin/orders?q=ada%20lovelace&amp;status=paid&amp;after=1733400000000-FL-ABCDE-FGHIJ""#),
            "{html}"
        );
        assert!(
            html.contains(r#"href="/admin/orders?q=ada%20lovelace&amp;status=paid""#),
            "the newest orders: {html}"
        );
        let first = DeskFilter { text: String::new(), status: None, paged: false };
        let html = render_document(RenderContext::default(), move || {
            view! { <OrderDeskPage store_name="Shop".to_string() orders=vec![] filter=first next=None matching=0 notice=None/> }
        });
        assert!(!html.contains("admin-pages"), "one page, no page links: {html}");
    }
}

/// Every interface string the pages translate (with `tr` or `trf`) and every message the
/// server writes for shoppers (made by `Text::new`, in any crate the worker is built
/// from) is listed in `shared::strings::UI_STRINGS` (what `catalog validate` checks a
/// catalog's `strings/*.toml` against), and every listed one is used.
#[cfg(test)]
mod interface_strings {
    use std::collections::BTreeSet;

    /// A Rust string literal's text, from just after its opening quote.
    fn literal(rest: &str) -> String {
        let mut text = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('\n') => {
                        while chars.peek().is_some_and(|c| c.is_whitespace()) {
                            chars.next();
                        }
                    }
                    Some('n') => text.push('\n'),
                    Some(other) => text.push(other),
                    None => break,
                },
                c => text.push(c),
            }
        }
        text
    }

    fn used() -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let root = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let mut stack: Vec<_> =
            ["app/src", "shared/src", "worker/src"].iter().map(|d| root.join(d)).collect();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let whole = std::fs::read_to_string(&path).unwrap();
                // Unit tests make texts of their own.
                let text = whole.split("#[cfg(test)]\nmod").next().unwrap_or_default();
                let is_app = path.starts_with(root.join("app"));
                let calls: &[&str] = if is_app { &["tr(", "trf(", "Text::new("] } else { &["Text::new("] };
                for call in calls {
                    for (at, _) in text.match_indices(call) {
                        let before = text[..at].chars().last().unwrap_or(' ');
                        if before.is_alphanumeric() || before == '_' || before == '"' {
                            continue;
                        }
                        let rest = text[at + call.len()..].trim_start();
                        let Some(rest) = rest.strip_prefix('"') else { continue };
                        found.insert(literal(rest));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn the_list_is_what_the_pages_translate() {
        let used = used();
        let listed: BTreeSet<String> = shared::strings::UI_STRINGS.iter().map(|s| s.to_string()).collect();
        let unlisted: Vec<&String> = used.difference(&listed).collect();
        let unused: Vec<&String> = listed.difference(&used).collect();
        assert!(unlisted.is_empty(), "translated but not in shared::strings::UI_STRINGS: {unlisted:?}");
        assert!(unused.is_empty(), "listed in UI_STRINGS but no page uses them: {unused:?}");
        for text in crate::islands::BUY_BOX_STRINGS {
            assert!(listed.contains(text), "{text}");
        }
    }
}

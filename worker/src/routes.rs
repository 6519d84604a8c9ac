//! The shop's front door: every HTML page and form, one module per area. Each handler
//! parses the request into domain types, calls a service (catalog, cart, checkout,
//! orders, customers) and renders the answer; form posts answer `303` (or re-render with what needs
//! fixing). Catalog pages go through the cache layers (see [`pages`]); everything with
//! a session is `no-store`. Form posts count against the write limit first.

mod account;
mod admin;
mod article;
mod cart;
mod checkout;
mod collection;
mod home;
mod orders;
mod pages;
mod product;
mod search;
mod sitemaps;

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::limits;
use crate::session::Session;
use pages::CatalogPage;
use shared::cart::CartAction;
use shared::checkout::CheckoutAction;
use worker::{Context, Env, Method, Request, Response};

/// Whether `segments` is a catalog page: the same for every visitor without a cart, so
/// no session is started for it.
pub fn is_catalog_page(segments: &[&str]) -> bool {
    catalog_page(segments).is_some()
}

/// Whether `segments` is in the merchant area, which has its own session (no shopper
/// session is started there).
pub fn is_merchant_page(segments: &[&str]) -> bool {
    matches!(segments, ["admin", ..])
}

/// The page-cached catalog routes.
fn catalog_page(segments: &[&str]) -> Option<CatalogPage> {
    Some(match segments {
        [""] => CatalogPage::Home,
        ["collections", handle] => CatalogPage::Collection(handle.to_string()),
        ["products", handle] => CatalogPage::Product(handle.to_string()),
        ["pages", handle] => CatalogPage::Content(handle.to_string()),
        ["search"] => CatalogPage::Search,
        ["search", "suggest"] => CatalogPage::Suggest,
        ["sitemap.xml"] => CatalogPage::SitemapIndex,
        ["sitemaps", file] => CatalogPage::Sitemap(file.to_string()),
        ["robots.txt"] => CatalogPage::Robots,
        _ => return None,
    })
}

/// Every page and form of the shop, with what its path names.
enum Page<'a> {
    Catalog(CatalogPage),
    Cart,
    CartForm(CartAction),
    CartLink(&'a str),
    Checkout,
    CheckoutForm(CheckoutAction),
    LookupForm,
    Lookup,
    PayAgain(&'a str),
    Order(&'a str),
    Admin(admin::AdminPage<'a>),
    Account(account::AccountRoute<'a>),
}

/// The shop's route table: the page or form a method and path ask for, if there is
/// one. The `Allow` header of every path comes from here too ([`allowed_methods`]).
fn route<'a>(method: &Method, segments: &'a [&'a str]) -> Option<Page<'a>> {
    use Method::{Get, Head, Post};
    if let Some(page) = catalog_page(segments) {
        return matches!(method, Get | Head).then_some(Page::Catalog(page));
    }
    Some(match (method, segments) {
        (Get | Head, ["cart"]) => Page::Cart,
        (Post, ["cart", name]) => Page::CartForm(CartAction::parse(name)?),
        (Get | Head, ["cart", items]) if CartAction::parse(items).is_none() => Page::CartLink(items),
        (Get | Head, ["checkout"]) => Page::Checkout,
        (Post, ["checkout", name]) => Page::CheckoutForm(CheckoutAction::parse(name)?),
        (Get | Head, ["orders", "lookup"]) => Page::LookupForm,
        (Post, ["orders", "lookup"]) => Page::Lookup,
        (Post, ["orders", number, "pay"]) => Page::PayAgain(number),
        (Get | Head, ["orders", number]) => Page::Order(number),
        (_, ["admin", rest @ ..]) => Page::Admin(admin::route(method, rest)?),
        (_, ["account", rest @ ..]) => Page::Account(account::route(method, rest)?),
        _ => return None,
    })
}

/// The methods a page answers, in `Allow` order.
const METHODS: [Method; 3] = [Method::Get, Method::Head, Method::Post];

/// The methods a path answers (its `Allow` header), from the route table, or `None`
/// for no such page.
pub fn allowed_methods(segments: &[&str]) -> Option<String> {
    crate::http::allow(&METHODS, |method| route(method, segments).is_some())
}

/// A page asked with a method it does not answer (405 with `Allow`), or no such page
/// (404).
pub fn not_answered(segments: &[&str]) -> AppError {
    allowed_methods(segments).map_or(AppError::NotFound, AppError::MethodNotAllowed)
}

pub async fn handle(
    req: Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    segments: &[&str],
    session: Option<&Session>,
) -> AppResult<Response> {
    let method = req.method();
    let page = route(&method, segments).ok_or_else(|| not_answered(segments))?;
    // The merchant area has its own session and limits.
    let page = match page {
        Page::Admin(page) => return admin::handle(req, env, catalog, page).await,
        other => other,
    };
    // Catalog pages start no session (the router makes one for every other page).
    let session =
        || session.ok_or_else(|| AppError::Internal("no session: SIGNING_SECRET is not configured".into()));
    if method == Method::Post {
        limits::check_write(env, &req).await?;
    }
    match page {
        Page::Catalog(page) => pages::cached(&req, env, ctx, catalog, page).await,
        Page::Cart => cart::show(&req, env, catalog, session()?).await,
        Page::CartForm(action) => cart::form(req, env, catalog, session()?, action).await,
        Page::CartLink(items) => cart::permalink(&req, env, catalog, items).await,
        Page::Checkout => checkout::show(&req, env, catalog, session()?).await,
        Page::CheckoutForm(action) => checkout::form(req, env, catalog, session()?, action).await,
        Page::LookupForm => orders::lookup_form(&req, catalog).await,
        Page::Lookup => orders::lookup(req, env, catalog, session()?).await,
        Page::PayAgain(number) => orders::pay_again(req, env, catalog, session()?, number).await,
        Page::Order(number) => orders::confirmation(&req, env, catalog, number).await,
        Page::Account(route) => account::handle(req, env, catalog, session()?, route).await,
        Page::Admin(_) => Err(AppError::Internal("the merchant area is handled above".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_table_gives_every_page_its_allow_header() {
        let allow = |path: &str| allowed_methods(&path.split('/').collect::<Vec<_>>());
        assert_eq!(allow("").as_deref(), Some("GET, HEAD"), "home");
        assert_eq!(allow("products/tee").as_deref(), Some("GET, HEAD"));
        assert_eq!(allow("cart").as_deref(), Some("GET, HEAD"));
        assert_eq!(allow("cart/add").as_deref(), Some("POST"), "a cart form");
        assert_eq!(allow("cart/BRP-1:2").as_deref(), Some("GET, HEAD"), "a cart link");
        assert_eq!(allow("checkout/complete").as_deref(), Some("POST"));
        assert_eq!(allow("checkout/nothing"), None);
        assert_eq!(allow("orders/lookup").as_deref(), Some("GET, HEAD, POST"));
        assert_eq!(allow("orders/N1").as_deref(), Some("GET, HEAD"));
        assert_eq!(allow("orders/N1/pay").as_deref(), Some("POST"));
        assert_eq!(allow("nothing/here/at/all"), None);
        assert_eq!(allow("admin").as_deref(), Some("GET, HEAD"));
        assert_eq!(allow("admin/sign-in").as_deref(), Some("GET, HEAD, POST"));
        assert_eq!(allow("admin/orders/N1").as_deref(), Some("GET, HEAD"));
        assert_eq!(allow("admin/orders/N1/fulfil").as_deref(), Some("POST"));
        assert_eq!(allow("admin/orders/N1/ship"), None);
        assert_eq!(allow("admin/stock").as_deref(), Some("GET, HEAD, POST"));
        assert_eq!(allow("account").as_deref(), Some("GET, HEAD"));
        assert_eq!(allow("account/sign-in").as_deref(), Some("POST"));
        assert_eq!(allow("account/verify").as_deref(), Some("GET, HEAD, POST"));
        assert_eq!(allow("account/addresses/ab12/delete").as_deref(), Some("POST"));
        assert_eq!(allow("account/orders"), None);
    }
}

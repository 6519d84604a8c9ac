//! The shop's front door: every HTML page and form, one module per area. Each handler
//! parses the request into domain types, calls a service (catalog, cart, checkout,
//! orders) and renders the answer; form posts answer `303` (or re-render with what needs
//! fixing). Catalog pages go through the cache layers (see [`pages`]); everything with
//! a session is `no-store`. Form posts count against the write limit first.

mod cart;
mod checkout;
mod orders;
mod pages;

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::limits;
use crate::session::Session;
use pages::CatalogPage;
use shared::cart::CartAction;
use shared::checkout::CheckoutAction;
use worker::{Context, Env, Method, Request, Response};

/// GET and HEAD are the reads; anything else on a page is refused with 405.
fn only_get(method: &Method) -> AppResult<()> {
    match method {
        Method::Get | Method::Head => Ok(()),
        _ => Err(AppError::MethodNotAllowed("GET, HEAD")),
    }
}

fn only_post(method: &Method) -> AppResult<()> {
    match method {
        Method::Post => Ok(()),
        _ => Err(AppError::MethodNotAllowed("POST")),
    }
}

/// Whether `segments` is a catalog page: the same for every visitor without a cart, so
/// no session is started for it.
pub fn is_catalog_page(segments: &[&str]) -> bool {
    catalog_page(segments).is_some()
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

pub async fn handle(
    req: Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    segments: &[&str],
    session: Option<&Session>,
) -> AppResult<Response> {
    let method = req.method();
    if let Some(page) = catalog_page(segments) {
        only_get(&method)?;
        return pages::cached(&req, env, ctx, catalog, page).await;
    }
    let session =
        session.ok_or_else(|| AppError::Internal("no session: SIGNING_SECRET is not configured".into()))?;
    if method == Method::Post {
        limits::check_write(env, &req).await?;
    }
    match segments {
        ["cart"] => {
            only_get(&method)?;
            cart::show(&req, env, catalog, session).await
        }
        ["cart", name] if CartAction::parse(name).is_some() => {
            only_post(&method)?;
            let action = CartAction::parse(name).ok_or(AppError::NotFound)?;
            cart::form(req, env, catalog, session, action).await
        }
        ["cart", items] => {
            only_get(&method)?;
            cart::permalink(&req, env, catalog, items).await
        }
        ["checkout"] => {
            only_get(&method)?;
            checkout::show(&req, env, catalog, session).await
        }
        ["checkout", name] => {
            let action = CheckoutAction::parse(name).ok_or(AppError::NotFound)?;
            only_post(&method)?;
            checkout::form(req, env, catalog, session, action).await
        }
        ["orders", "lookup"] => match method {
            Method::Post => orders::lookup(req, env, catalog, session).await,
            Method::Get | Method::Head => orders::lookup_form(&req, catalog).await,
            _ => Err(AppError::MethodNotAllowed("GET, HEAD, POST")),
        },
        ["orders", number, "pay"] => {
            only_post(&method)?;
            orders::pay_again(req, env, catalog, session, number).await
        }
        ["orders", number] => {
            only_get(&method)?;
            orders::confirmation(&req, env, catalog, number).await
        }
        _ => Err(AppError::NotFound),
    }
}

//! The router: matches method and path, runs the handler, and turns any error into a
//! styled error page with the right status. Every response gets `Server-Timing`.

pub mod cart;
pub mod checkout;
mod orders;
pub mod pages;

use crate::catalog_store::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy};
use crate::page_cache;
use crate::timing::{now_ms, PageCache, Timing};
use app::{render_document, ErrorPage, RenderContext};
use leptos::prelude::*;
use shared::{Currency, Site, StoreInfo};
use worker::{console_error, Context, Env, Method, Request, Response};

pub async fn handle(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let timing = Timing::start();
    let path = req.path();
    let origin = http::origin(&req);
    // The API always answers JSON; pages answer JSON to scripts that ask for it.
    let wants_json = path.starts_with("/api/") || http::wants_json(&req);
    let catalog = CatalogReader::open(&env, &timing).await;
    let result = if path.len() > 1 && path.ends_with('/') {
        // One canonical URL per page: `/cart/` → `/cart`.
        let query = http::query_string(&req);
        let mut target = path.trim_end_matches('/').to_string();
        if target.is_empty() {
            target.push('/');
        }
        if !query.is_empty() {
            target.push('?');
            target.push_str(&query);
        }
        http::permanent_redirect(&target)
    } else {
        match &catalog {
            Ok(catalog) => route(req, &env, &ctx, catalog, &path, &timing).await,
            Err(e) => Err(AppError::Internal(format!("catalog unavailable: {e}"))),
        }
    };
    let catalog = catalog.ok();
    let response = respond(result, catalog.as_ref(), &timing, &origin, wants_json).await?;
    let headers = response.headers();
    headers.set("server-timing", &timing.header_value())?;
    if let Some(c) = &catalog {
        headers.set("x-catalog-version", c.version())?;
    }
    Ok(response)
}

async fn route(
    req: Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    path: &str,
    timing: &Timing,
) -> AppResult<Response> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = req.method();
    let page = match segments.as_slice() {
        [""] => Some(pages::CatalogPage::Home),
        ["collections", handle] => Some(pages::CatalogPage::Collection(handle.to_string())),
        ["products", handle] => Some(pages::CatalogPage::Product(handle.to_string())),
        ["pages", handle] => Some(pages::CatalogPage::Content(handle.to_string())),
        ["search"] => Some(pages::CatalogPage::Search),
        ["search", "suggest"] => Some(pages::CatalogPage::Suggest),
        ["sitemap.xml"] => Some(pages::CatalogPage::SitemapIndex),
        ["sitemaps", file] => Some(pages::CatalogPage::Sitemap(file.to_string())),
        ["robots.txt"] => Some(pages::CatalogPage::Robots),
        _ => None,
    };
    if let Some(page) = page {
        only_get(&method, "GET")?;
        return cached_page(&req, env, ctx, catalog, path, timing, page).await;
    }
    let post = || {
        if method == Method::Post {
            Ok(())
        } else {
            Err(AppError::MethodNotAllowed("POST"))
        }
    };
    match segments.as_slice() {
        ["api", "v1", rest @ ..] => crate::api::handle(req, env, catalog, rest).await,
        ["cart"] => {
            only_get(&method, "GET")?;
            cart::show(&req, env, catalog, timing, None, 200).await
        }
        ["cart", "add"] => {
            post()?;
            cart::add(req, env, catalog).await
        }
        ["cart", "update"] => {
            post()?;
            cart::update(req, env, catalog, timing).await
        }
        ["cart", "remove"] => {
            post()?;
            cart::remove(req, env, catalog, timing).await
        }
        ["cart", "clear"] => {
            post()?;
            cart::clear(req, env, catalog, timing).await
        }
        ["cart", "discount"] => {
            post()?;
            cart::discount(req, env, catalog, timing).await
        }
        ["cart", items] => {
            only_get(&method, "GET")?;
            cart::permalink(&req, env, catalog, timing, items).await
        }
        ["checkout"] => {
            only_get(&method, "GET")?;
            checkout::show(&req, env, catalog).await
        }
        ["checkout", "contact"] => {
            post()?;
            checkout::contact(req, env, catalog).await
        }
        ["checkout", "address"] => {
            post()?;
            checkout::address(req, env, catalog).await
        }
        ["checkout", "shipping"] => {
            post()?;
            checkout::shipping(req, env, catalog).await
        }
        ["checkout", "complete"] => {
            post()?;
            checkout::complete(req, env, catalog).await
        }
        ["orders", "lookup"] => match method {
            Method::Post => orders::lookup(req, env, catalog).await,
            Method::Get | Method::Head => orders::lookup_form(&req, catalog).await,
            _ => Err(AppError::MethodNotAllowed("GET and POST")),
        },
        ["orders", number] => {
            only_get(&method, "GET")?;
            orders::confirmation(&req, env, catalog, number).await
        }
        _ => Err(AppError::NotFound),
    }
}

/// A catalog page through the cache layers: the client's copy (ETag → 304), the
/// full-page cache, then rendering from documents (in-isolate cache, then KV).
async fn cached_page(
    req: &Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    path: &str,
    timing: &Timing,
    page: pages::CatalogPage,
) -> AppResult<Response> {
    let query = http::query_string(req);
    let canonical = page.canonical_query(&query, catalog).await?;
    let policy = page.cache_policy();
    // The version, the URL, and anything live the page shows (product availability).
    let live = page.live_mark(env, catalog).await?;
    let versioned = if live.is_empty() {
        catalog.version().to_string()
    } else {
        format!("{}-{live}", catalog.version())
    };
    let etag = page_cache::etag(&versioned, path, &canonical);
    if page_cache::client_has(req, &etag) {
        timing.page_cache.set(PageCache::Revalidated);
        return http::not_modified(&etag, policy);
    }
    let key = page_cache::key(&versioned, path, &canonical);
    if let Some((content_type, body)) = page_cache::lookup(&key).await {
        timing.page_cache.set(PageCache::Hit);
        return http::body_response(&content_type, body, 200, policy, Some(&etag));
    }
    timing.page_cache.set(PageCache::Miss);
    let started = now_ms();
    let origin = http::origin(req);
    let (content_type, body) = pages::render(&page, env, catalog, &canonical, &origin).await?;
    timing.render_ms.set(now_ms() - started);
    let response = http::body_response(content_type, body.clone(), 200, policy, Some(&etag))?;
    ctx.wait_until(page_cache::store(key, content_type.to_string(), body));
    Ok(response)
}

/// GET and HEAD are the reads; anything else on a page is refused with 405.
fn only_get(method: &Method, allowed: &'static str) -> AppResult<()> {
    match method {
        Method::Get | Method::Head => Ok(()),
        _ => Err(AppError::MethodNotAllowed(allowed)),
    }
}

/// Turns a handler result into a response, rendering errors as pages.
async fn respond(
    result: AppResult<Response>,
    catalog: Option<&CatalogReader<'_>>,
    timing: &Timing,
    origin: &str,
    wants_json: bool,
) -> worker::Result<Response> {
    let error = match result {
        Ok(resp) => return Ok(resp),
        Err(e) => e,
    };
    timing.page_cache.set(PageCache::Bypass);
    if let AppError::Internal(detail) = &error {
        console_error!("internal error: {detail}");
    }
    if wants_json {
        let (heading, message) = error.public_text();
        let mut body = serde_json::json!({ "error": error.code(), "title": heading, "message": message });
        if let Some(fields) = error.fields() {
            body["fields"] = serde_json::to_value(fields).unwrap_or_default();
        }
        if let Ok(resp) = http::json(&body, error.status(), CachePolicy::NoStore) {
            if error.status() == 503 {
                resp.headers().set("retry-after", "5")?;
            }
            return Ok(resp);
        }
    }
    let site = match catalog {
        Some(c) => c
            .site()
            .await
            .map(|s| (*s).clone())
            .unwrap_or_else(|_| fallback_site()),
        None => fallback_site(),
    };
    let context = RenderContext {
        catalog_version: catalog.map(|c| c.version().to_string()).unwrap_or_default(),
        origin: origin.to_string(),
    };
    let status = error.status();
    let (heading, message) = error.public_text();
    let heading = heading.to_string();
    let page = render_document(
        context,
        move || view! { <ErrorPage site status heading message/> },
    );
    match http::html(page, status, CachePolicy::NoStore) {
        Ok(resp) => Ok(resp),
        Err(e) => {
            console_error!("could not build the error page: {e}");
            Response::error("Something went wrong on our side.", 500)
        }
    }
}

/// The frame used when even the site document cannot be read.
fn fallback_site() -> Site {
    Site {
        store: StoreInfo {
            name: "Shop".into(),
            tagline: String::new(),
            currency: Currency::USD,
        },
        header_menu: vec![],
        footer_menu: vec![],
    }
}

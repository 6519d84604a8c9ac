//! The router: matches method and path, runs the page handler, and turns any error
//! into a styled error page with the right status.

mod cart;
mod pages;

use crate::catalog_store::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy};
use app::{render_document, ErrorPage};
use leptos::prelude::*;
use shared::{Currency, Site, StoreInfo};
use worker::{console_error, Env, Method, Request, Response};

pub async fn handle(req: Request, env: Env) -> worker::Result<Response> {
    let path = req.path();
    // One canonical URL per page: `/cart/` → `/cart`.
    if path.len() > 1 && path.ends_with('/') {
        let query = http::query_string(&req);
        let mut target = path.trim_end_matches('/').to_string();
        if target.is_empty() {
            target.push('/');
        }
        if !query.is_empty() {
            target.push('?');
            target.push_str(&query);
        }
        return respond(http::permanent_redirect(&target), None).await;
    }

    let catalog = CatalogReader::open(&env).await;
    let result = match &catalog {
        Ok(catalog) => route(req, &env, catalog, &path).await.and_then(|resp| {
            // Which catalog version answered: lets tests and operators see a publish land.
            resp.headers().set("x-catalog-version", catalog.version())?;
            Ok(resp)
        }),
        Err(_) => Err(AppError::Internal("catalog unavailable".into())),
    };
    let catalog = match catalog {
        Ok(c) => Some(c),
        Err(e) => {
            console_error!("{e}");
            None
        }
    };
    respond(result, catalog.as_ref()).await
}

async fn route(req: Request, env: &Env, catalog: &CatalogReader, path: &str) -> AppResult<Response> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = req.method();
    match segments.as_slice() {
        [""] => {
            only_get(&method, "GET")?;
            pages::home(catalog).await
        }
        ["collections", handle] => {
            only_get(&method, "GET")?;
            pages::collection(catalog, handle).await
        }
        ["products", handle] => {
            only_get(&method, "GET")?;
            pages::product(&req, catalog, handle).await
        }
        ["cart"] => {
            only_get(&method, "GET")?;
            cart::show(&req, env, catalog).await
        }
        ["cart", "add"] => {
            if method != Method::Post {
                return Err(AppError::MethodNotAllowed("POST"));
            }
            cart::add(req, env, catalog).await
        }
        _ => Err(AppError::NotFound),
    }
}

/// GET and HEAD are the reads; anything else on a page is refused with 405.
fn only_get(method: &Method, allowed: &'static str) -> AppResult<()> {
    match method {
        Method::Get | Method::Head => Ok(()),
        _ => Err(AppError::MethodNotAllowed(allowed)),
    }
}

/// Turns a handler result into a response, rendering errors as pages.
async fn respond(result: AppResult<Response>, catalog: Option<&CatalogReader>) -> worker::Result<Response> {
    let error = match result {
        Ok(resp) => return Ok(resp),
        Err(e) => e,
    };
    if let AppError::Internal(detail) = &error {
        console_error!("internal error: {detail}");
    }
    let site = match catalog {
        Some(c) => c.site().await.unwrap_or_else(|_| fallback_site()),
        None => fallback_site(),
    };
    let status = error.status();
    let (heading, message) = error.public_text();
    let heading = heading.to_string();
    let page = render_document(move || view! { <ErrorPage site status heading message/> });
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

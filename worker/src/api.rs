//! The JSON API v1 for headless clients, described at `/api/v1/openapi.json`: the
//! second front door over the same services as the pages — catalog, carts (a bearer
//! token per cart, the same signed value as the cart cookie), checkouts (keyed by cart),
//! orders, and the merchant API behind `ADMIN_TOKEN`. Each handler parses the request
//! into domain types, calls the service and serializes the answer; every error is JSON
//! with a machine code and a message. Cart, checkout and order writes count against the
//! write limit first.

mod admin;
mod bodies;
mod carts;
mod catalog;
mod checkouts;
mod testing;

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::limits;
use serde_json::Value;
use worker::{Context, Env, Method, Request, Response};

const OPENAPI: &str = include_str!("openapi.json");

pub fn ok(value: &Value) -> AppResult<Response> {
    http::json(value, 200, CachePolicy::NoStore)
}

fn created(value: &Value) -> AppResult<Response> {
    http::json(value, 201, CachePolicy::NoStore)
}

/// The `page` query parameter: 1 when absent.
fn page_param(req: &Request) -> AppResult<u32> {
    let fields = Fields::parse(http::query_string(req).as_bytes())?;
    match fields.get("page") {
        None | Some("") => Ok(1),
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| AppError::BadRequest("`page` must be a whole number from 1 up.".into())),
    }
}

/// Shopper writes are limited per client; the merchant API (authenticated by its
/// token) and test routes are not.
fn limited(method: &Method, segments: &[&str]) -> bool {
    !matches!(method, Method::Get | Method::Head)
        && matches!(segments.first(), Some(&("carts" | "checkouts" | "orders")))
}

pub async fn handle(
    req: Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    segments: &[&str],
) -> AppResult<Response> {
    let method = req.method();
    if limited(&method, segments) {
        limits::check_write(env, &req).await?;
    }
    match (method, segments) {
        (Method::Get, ["openapi.json"]) => {
            http::body_response(http::JSON, OPENAPI.to_string(), 200, CachePolicy::Long, None)
        }
        (Method::Get, ["products"]) => catalog::products(&req, catalog).await,
        (Method::Get, ["products", handle]) => catalog::product(env, catalog, handle).await,
        (Method::Get, ["collections", handle]) => catalog::collection(&req, catalog, handle).await,
        (Method::Get, ["search"]) => catalog::search(&req, catalog).await,
        (Method::Post, ["carts"]) => carts::create(env, catalog).await,
        (Method::Get, ["carts", id]) => carts::show(&req, env, catalog, id).await,
        (Method::Post, ["carts", id, "lines"]) => carts::add_line(req, env, catalog, id).await,
        (Method::Patch | Method::Delete, ["carts", id, "lines", sku]) => {
            carts::change_line(req, env, catalog, id, sku).await
        }
        (Method::Put | Method::Delete, ["carts", id, "discount"]) => {
            carts::discount(req, env, catalog, id).await
        }
        (Method::Post, ["checkouts"]) => checkouts::start(req, env, catalog).await,
        (Method::Get, ["checkouts", id]) => checkouts::show(&req, env, catalog, id).await,
        (Method::Put, ["checkouts", id, step @ ("contact" | "address" | "shipping")]) => {
            checkouts::step(req, env, catalog, id, step).await
        }
        (Method::Post, ["checkouts", id, "complete"]) => checkouts::complete(req, env, catalog, id).await,
        (Method::Post, ["orders", "lookup"]) => checkouts::lookup(req, env, catalog).await,
        (_, ["admin", rest @ ..]) => admin::handle(req, env, catalog, rest).await,
        (Method::Post, ["test", rest @ ..]) if testing::enabled(env) => {
            testing::handle(req, env, ctx, catalog, rest).await
        }
        (
            _,
            ["openapi.json"]
            | ["products", ..]
            | ["collections", ..]
            | ["search"]
            | ["carts", ..]
            | ["checkouts", ..]
            | ["orders", ..],
        ) => Err(AppError::MethodNotAllowed("the methods listed in /api/v1/openapi.json")),
        _ => Err(AppError::NotFound),
    }
}

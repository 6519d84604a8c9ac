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
pub mod webhooks;

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::limits;
use serde_json::Value;
use shared::listing::MAX_PAGE;
use shared::review::Step;
use worker::{Context, Env, Method, Request, Response};

const OPENAPI: &str = include_str!("openapi.json");

pub fn ok(value: &Value) -> AppResult<Response> {
    http::json(value, 200, CachePolicy::NoStore)
}

/// An order as the API shows it: its payment without the shop's bookkeeping (the stock
/// it sold, the secret the shopper's page authenticates with).
pub fn order_json(order: &shared::orders::Order) -> Value {
    let mut value = serde_json::to_value(order).unwrap_or(Value::Null);
    if let Some(payment) = value.get_mut("payment").and_then(Value::as_object_mut) {
        for private in ["stock", "stock_commit", "client_secret"] {
            payment.remove(private);
        }
    }
    value
}

fn created(value: &Value) -> AppResult<Response> {
    http::json(value, 201, CachePolicy::NoStore)
}

/// The `page` query parameter: 1 when absent.
fn page_param(fields: &Fields) -> AppResult<u32> {
    whole_number(fields, "page", 1, MAX_PAGE).map(|page| page.unwrap_or(1))
}

/// An optional whole-number query parameter within `min..=max`.
fn whole_number(fields: &Fields, name: &str, min: u32, max: u32) -> AppResult<Option<u32>> {
    match fields.get(name) {
        None => Ok(None),
        Some(text) => {
            text.parse::<u32>().ok().filter(|n| (min..=max).contains(n)).map(Some).ok_or_else(|| {
                AppError::BadRequest(format!("`{name}` must be a whole number from {min} to {max}."))
            })
        }
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
        (Method::Put, ["checkouts", id, name]) if Step::parse(name).is_some() => {
            let step = Step::parse(name).ok_or(AppError::NotFound)?;
            checkouts::step(req, env, catalog, id, step).await
        }
        (Method::Post, ["checkouts", id, "complete"]) => checkouts::complete(req, env, catalog, id).await,
        (Method::Post, ["orders", "lookup"]) => checkouts::lookup(req, env, catalog).await,
        (Method::Post, ["orders", number, "payment"]) => {
            checkouts::pay_again(req, env, catalog, number).await
        }
        (_, ["admin", rest @ ..]) => admin::handle(req, env, catalog, rest).await,
        (Method::Post, ["test", rest @ ..]) if testing::enabled(env) => {
            testing::handle(req, env, ctx, catalog, rest).await
        }
        _ => Err(not_answered(segments)),
    }
}

/// The methods each API path answers (its `Allow` header), or `None` for no such path.
pub fn allowed_methods(segments: &[&str]) -> Option<&'static str> {
    Some(match segments {
        ["openapi.json"] | ["products"] | ["products", _] | ["collections", _] | ["search"] => "GET",
        ["carts"] | ["checkouts"] | ["orders", "lookup"] => "POST",
        ["carts", _] | ["checkouts", _] => "GET",
        ["carts", _, "lines"] | ["checkouts", _, "complete"] | ["orders", _, "payment"] => "POST",
        ["carts", _, "lines", _] => "PATCH, DELETE",
        ["carts", _, "discount"] => "PUT, DELETE",
        ["checkouts", _, "contact" | "address" | "shipping"] => "PUT",
        ["admin", "stock", _] => "PUT",
        ["admin", "orders"] | ["admin", "outbox"] => "GET",
        ["admin", "orders", _, "fulfil"] | ["admin", "orders", _, "refund"] => "POST",
        _ => return None,
    })
}

/// A path the API has, asked with a method it does not answer (405 with `Allow`), or
/// no such path (404).
pub fn not_answered(segments: &[&str]) -> AppError {
    allowed_methods(segments).map_or(AppError::NotFound, AppError::MethodNotAllowed)
}

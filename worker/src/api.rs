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
                AppError::BadRequest(format!("`{name}` must be a whole number from {min} to {max}.").into())
            })
        }
    }
}

/// Every operation of the API, with what its path names.
enum Operation<'a> {
    OpenApi,
    Products,
    Product(&'a str),
    Collection(&'a str),
    Search,
    NewCart,
    Cart(&'a str),
    AddLine(&'a str),
    ChangeLine(&'a str, &'a str),
    Discount(&'a str),
    StartCheckout,
    Checkout(&'a str),
    CheckoutStep(&'a str, Step),
    Complete(&'a str),
    Lookup,
    PayAgain(&'a str),
    Admin(admin::Operation<'a>),
    Test(&'a [&'a str]),
}

/// The API's route table: the operation a method and path ask for, if the API has it.
/// The `Allow` header of every path comes from here too ([`allowed_methods`]).
fn route<'a>(method: &Method, segments: &'a [&'a str]) -> Option<Operation<'a>> {
    use Method::{Delete, Get, Patch, Post, Put};
    Some(match (method, segments) {
        (Get, ["openapi.json"]) => Operation::OpenApi,
        (Get, ["products"]) => Operation::Products,
        (Get, ["products", handle]) => Operation::Product(handle),
        (Get, ["collections", handle]) => Operation::Collection(handle),
        (Get, ["search"]) => Operation::Search,
        (Post, ["carts"]) => Operation::NewCart,
        (Get, ["carts", id]) => Operation::Cart(id),
        (Post, ["carts", id, "lines"]) => Operation::AddLine(id),
        (Patch | Delete, ["carts", id, "lines", sku]) => Operation::ChangeLine(id, sku),
        (Put | Delete, ["carts", id, "discount"]) => Operation::Discount(id),
        (Post, ["checkouts"]) => Operation::StartCheckout,
        (Get, ["checkouts", id]) => Operation::Checkout(id),
        (Put, ["checkouts", id, name]) => Operation::CheckoutStep(id, Step::parse(name)?),
        (Post, ["checkouts", id, "complete"]) => Operation::Complete(id),
        (Post, ["orders", "lookup"]) => Operation::Lookup,
        (Post, ["orders", number, "payment"]) => Operation::PayAgain(number),
        (_, ["admin", rest @ ..]) => Operation::Admin(admin::route(method, rest)?),
        (Post, ["test", rest @ ..]) => Operation::Test(rest),
        _ => return None,
    })
}

impl Operation<'_> {
    /// Shopper writes are limited per client; the merchant API (authenticated by its
    /// token, limited on its own) and test routes are not.
    fn limited(&self) -> bool {
        match self {
            Operation::NewCart
            | Operation::AddLine(_)
            | Operation::ChangeLine(..)
            | Operation::Discount(_)
            | Operation::StartCheckout
            | Operation::CheckoutStep(..)
            | Operation::Complete(_)
            | Operation::Lookup
            | Operation::PayAgain(_) => true,
            Operation::OpenApi
            | Operation::Products
            | Operation::Product(_)
            | Operation::Collection(_)
            | Operation::Search
            | Operation::Cart(_)
            | Operation::Checkout(_)
            | Operation::Admin(_)
            | Operation::Test(_) => false,
        }
    }
}

pub async fn handle(
    req: Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    segments: &[&str],
) -> AppResult<Response> {
    let operation = match route(&req.method(), segments) {
        Some(Operation::Test(_)) if !testing::enabled(env) => return Err(AppError::NotFound),
        Some(operation) => operation,
        None => return Err(not_answered(segments)),
    };
    if operation.limited() {
        limits::check_write(env, &req).await?;
    }
    match operation {
        Operation::OpenApi => {
            http::body_response(http::JSON, OPENAPI.to_string(), 200, CachePolicy::Long, None)
        }
        Operation::Products => catalog::products(&req, catalog).await,
        Operation::Product(handle) => catalog::product(env, catalog, handle).await,
        Operation::Collection(handle) => catalog::collection(&req, catalog, handle).await,
        Operation::Search => catalog::search(&req, catalog).await,
        Operation::NewCart => carts::create(env, catalog).await,
        Operation::Cart(id) => carts::show(&req, env, catalog, id).await,
        Operation::AddLine(id) => carts::add_line(req, env, catalog, id).await,
        Operation::ChangeLine(id, sku) => carts::change_line(req, env, catalog, id, sku).await,
        Operation::Discount(id) => carts::discount(req, env, catalog, id).await,
        Operation::StartCheckout => checkouts::start(req, env, catalog).await,
        Operation::Checkout(id) => checkouts::show(&req, env, catalog, id).await,
        Operation::CheckoutStep(id, step) => checkouts::step(req, env, catalog, id, step).await,
        Operation::Complete(id) => checkouts::complete(req, env, catalog, id).await,
        Operation::Lookup => checkouts::lookup(req, env, catalog).await,
        Operation::PayAgain(number) => checkouts::pay_again(req, env, catalog, number).await,
        Operation::Admin(operation) => admin::handle(req, env, catalog, operation).await,
        Operation::Test(rest) => testing::handle(req, env, ctx, catalog, rest).await,
    }
}

/// The methods a path answers, in `Allow` order.
const METHODS: [Method; 5] = [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete];

/// The methods each API path answers (its `Allow` header), from the route table, or
/// `None` for no such path. The test routes are not advertised.
pub fn allowed_methods(segments: &[&str]) -> Option<String> {
    http::allow(
        &METHODS,
        |method| matches!(route(method, segments), Some(op) if !matches!(op, Operation::Test(_))),
    )
}

/// A path the API has, asked with a method it does not answer (405 with `Allow`), or
/// no such path (404).
pub fn not_answered(segments: &[&str]) -> AppError {
    allowed_methods(segments).map_or(AppError::NotFound, AppError::MethodNotAllowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_table_gives_every_path_its_allow_header() {
        let allow = |path: &str| allowed_methods(&path.split('/').collect::<Vec<_>>());
        assert_eq!(allow("products").as_deref(), Some("GET"));
        assert_eq!(allow("carts").as_deref(), Some("POST"));
        assert_eq!(allow("carts/c1/lines/SKU-1").as_deref(), Some("PATCH, DELETE"));
        assert_eq!(allow("carts/c1/discount").as_deref(), Some("PUT, DELETE"));
        assert_eq!(allow("checkouts/c1/shipping").as_deref(), Some("PUT"));
        assert_eq!(allow("checkouts/c1/payment"), None, "not a step");
        assert_eq!(allow("admin/orders/N1/refund").as_deref(), Some("POST"));
        assert_eq!(allow("admin/nothing"), None);
        assert_eq!(allow("test/panic"), None, "test routes are not advertised");
        assert_eq!(allow("nothing"), None);
    }

    #[test]
    fn writes_are_limited_and_reads_are_not() {
        let limited = |method: Method, path: &str| {
            let segments: Vec<&str> = path.split('/').collect();
            route(&method, &segments).map(|op| op.limited())
        };
        assert_eq!(limited(Method::Post, "carts/c1/lines"), Some(true));
        assert_eq!(limited(Method::Post, "orders/lookup"), Some(true));
        assert_eq!(limited(Method::Get, "carts/c1"), Some(false));
        assert_eq!(limited(Method::Post, "admin/orders/N1/fulfil"), Some(false), "limited on its own");
        assert_eq!(limited(Method::Get, "carts/c1/lines"), None);
    }
}

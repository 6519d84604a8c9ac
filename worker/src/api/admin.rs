//! The merchant API, behind `Authorization: Bearer <ADMIN_TOKEN>`: stock, the order
//! list, fulfilment, refunds (through the order's payment provider) and the email outbox. Not rate limited (the token is the gate).

use super::ok;
use crate::bindings;
use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, Fields};
use crate::inventory::Inventory;
use crate::orders::{Index, Orders};
use crate::signing::constant_time_eq;
use crate::timing::now_ms;
use serde_json::json;
use shared::api::Stock;
use shared::orders::{Order, OrderStatus};
use shared::Sku;
use worker::{Env, Method, Request, Response};

fn authorize(req: &Request, env: &Env) -> AppResult<()> {
    let expected = bindings::text(env, bindings::ADMIN_TOKEN).ok_or_else(|| {
        AppError::Unauthorized("The merchant API is not configured (set ADMIN_TOKEN).".into())
    })?;
    let given = http::bearer(req).unwrap_or_default();
    if expected.len() >= 16 && constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::Unauthorized("The merchant API needs `Authorization: Bearer <ADMIN_TOKEN>`.".into()))
    }
}

/// The order after a fulfilment or refund: 200 if it is now `status` (by this request or
/// an earlier one), else 409 saying what it is.
fn settled(order: &Order, status: OrderStatus, verb: &str) -> AppResult<Response> {
    if order.status == status {
        return ok(&json!({ "order": super::order_json(order) }));
    }
    Err(AppError::Conflict(format!(
        "Order {} is {}; only paid orders can be {verb}.",
        order.number,
        order.status.as_str().replace('_', " ")
    )))
}

/// The merchant API's operations (its part of the API's route table).
pub enum Operation<'a> {
    SetStock(&'a str),
    Orders,
    Fulfil(&'a str),
    Refund(&'a str),
    Outbox,
}

/// The merchant operation a method and path (after `admin/`) ask for.
pub fn route<'a>(method: &Method, segments: &'a [&'a str]) -> Option<Operation<'a>> {
    Some(match (method, segments) {
        (Method::Put, ["stock", sku]) => Operation::SetStock(sku),
        (Method::Get, ["orders"]) => Operation::Orders,
        (Method::Post, ["orders", number, "fulfil"]) => Operation::Fulfil(number),
        (Method::Post, ["orders", number, "refund"]) => Operation::Refund(number),
        (Method::Get, ["outbox"]) => Operation::Outbox,
        _ => return None,
    })
}

pub async fn handle(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    operation: Operation<'_>,
) -> AppResult<Response> {
    // Counted before the token is checked: guessing tokens costs requests too.
    crate::limits::check(env, &req, crate::limits::Scope::Admin).await?;
    authorize(&req, env)?;
    match operation {
        Operation::SetStock(sku) => {
            let sku = Sku::parse(sku).map_err(|e| AppError::BadRequest(e.to_string()))?;
            let body: Stock = http::read_json(&mut req).await?;
            Inventory::new(env, catalog.caller(env))?.set_stock(&sku, body.on_hand).await?;
            ok(&json!({ "sku": sku, "on_hand": body.on_hand }))
        }
        Operation::Orders => {
            let fields = Fields::parse(http::query_string(&req).as_bytes())?;
            let limit = super::whole_number(&fields, "limit", 1, shared::orders::MAX_LIST)?.unwrap_or(50);
            let orders = Index::new(env, catalog.caller(env))?.list(limit).await?;
            ok(&json!({ "orders": orders.iter().map(super::order_json).collect::<Vec<_>>() }))
        }
        Operation::Fulfil(number) => {
            let orders = Orders::new(env, catalog.caller(env))?;
            let order = orders.fulfil(number, now_ms() as u64).await?.ok_or(AppError::NotFound)?;
            settled(&order, OrderStatus::Fulfilled, "fulfilled")
        }
        Operation::Refund(number) => {
            let order =
                Orders::new(env, catalog.caller(env))?.refund(number).await?.ok_or(AppError::NotFound)?;
            settled(&order, OrderStatus::Refunded, "refunded")
        }
        Operation::Outbox => {
            ok(&json!({ "emails": Index::new(env, catalog.caller(env))?.outbox(100).await? }))
        }
    }
}

//! The merchant API, behind `Authorization: Bearer <ADMIN_TOKEN>` (see `merchant`):
//! stock, the order list and its search, fulfilment with a tracking number, notes,
//! refunds (through the order's payment provider) and the email outbox. Counted on the
//! merchant's own rate limit.

use super::ok;
use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, Fields};
use crate::inventory::Inventory;
use crate::orders::{Index, Orders};
use crate::timing::now_ms;
use serde_json::json;
use shared::api::{Fulfilment, NewNote, Refund, Stock};
use shared::metrics::Window;
use shared::orders::{parse_note, parse_tracking, Order, OrderNote, OrderQuery, OrderStatus};
use shared::Sku;
use worker::{Env, Method, Request, Response};

/// The order after a fulfilment or refund: 200 if it is now `status` (by this request or
/// an earlier one), else 409 saying what it is.
fn settled(order: &Order, status: OrderStatus, verb: &str) -> AppResult<Response> {
    if order.status == status {
        return ok(&json!({ "order": super::order_json(order) }));
    }
    Err(AppError::Conflict(
        format!(
            "Order {} is {}; only paid orders can be {verb}.",
            order.number,
            order.status.as_str().replace('_', " ")
        )
        .into(),
    ))
}

/// The merchant API's operations (its part of the API's route table).
pub enum Operation<'a> {
    SetStock(&'a str),
    Orders,
    Fulfil(&'a str),
    Note(&'a str),
    Refund(&'a str),
    Outbox,
    Metrics,
}

/// The merchant operation a method and path (after `admin/`) ask for.
pub fn route<'a>(method: &Method, segments: &'a [&'a str]) -> Option<Operation<'a>> {
    Some(match (method, segments) {
        (Method::Put, ["stock", sku]) => Operation::SetStock(sku),
        (Method::Get, ["orders"]) => Operation::Orders,
        (Method::Post, ["orders", number, "fulfil"]) => Operation::Fulfil(number),
        (Method::Post, ["orders", number, "notes"]) => Operation::Note(number),
        (Method::Post, ["orders", number, "refund"]) => Operation::Refund(number),
        (Method::Get, ["outbox"]) => Operation::Outbox,
        (Method::Get, ["metrics"]) => Operation::Metrics,
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
    crate::merchant::authorize_bearer(&req, env)?;
    match operation {
        Operation::SetStock(sku) => {
            let sku = Sku::parse(sku).map_err(|e| AppError::BadRequest(e.to_string().into()))?;
            let body: Stock = http::read_json(&mut req).await?;
            Inventory::new(env, catalog.caller(env))?.set_stock(&sku, body.on_hand).await?;
            ok(&json!({ "sku": sku, "on_hand": body.on_hand }))
        }
        Operation::Orders => {
            let fields = Fields::parse(http::query_string(&req).as_bytes())?;
            let limit = super::whole_number(&fields, "limit", 1, shared::orders::MAX_LIST)?.unwrap_or(50);
            let query = OrderQuery::parse(fields.get("q"), fields.get("status"), fields.get("after"), limit)
                .map_err(|e| AppError::BadRequest(e.into()))?;
            let page = Index::new(env, catalog.caller(env))?.list(query).await?;
            ok(&json!({
                "orders": page.orders.iter().map(super::order_json).collect::<Vec<_>>(),
                "next": page.next.map(|cursor| cursor.to_string()),
                "matching": page.matching,
            }))
        }
        Operation::Fulfil(number) => {
            // The body is optional: no content type, no tracking number.
            let body: Fulfilment = match req.headers().get("content-type")? {
                Some(_) => http::read_json(&mut req).await?,
                None => Fulfilment::default(),
            };
            let tracking = parse_tracking(body.tracking.as_deref().unwrap_or(""))
                .map_err(|e| AppError::BadRequest(e.into()))?;
            let orders = Orders::new(env, catalog.caller(env))?;
            let order = orders.fulfil(number, tracking, now_ms() as u64).await?.ok_or(AppError::NotFound)?;
            settled(&order, OrderStatus::Fulfilled, "fulfilled")
        }
        Operation::Note(number) => {
            let body: NewNote = http::read_json(&mut req).await?;
            let note = OrderNote {
                at_ms: now_ms() as u64,
                text: parse_note(&body.text).map_err(|e| AppError::BadRequest(e.into()))?,
            };
            let order = Orders::new(env, catalog.caller(env))?
                .add_note(number, note)
                .await?
                .ok_or(AppError::NotFound)?;
            ok(&json!({ "order": super::order_json(&order) }))
        }
        Operation::Refund(number) => {
            // The body is optional: no content type, the stock stays sold.
            let body: Refund = match req.headers().get("content-type")? {
                Some(_) => http::read_json(&mut req).await?,
                None => Refund::default(),
            };
            let order = Orders::new(env, catalog.caller(env))?
                .refund(number, body.restock)
                .await?
                .ok_or(AppError::NotFound)?;
            settled(&order, OrderStatus::Refunded, "refunded")
        }
        Operation::Metrics => {
            let fields = Fields::parse(http::query_string(&req).as_bytes())?;
            let window =
                Window::from_query(fields.get("window")).map_err(|e| AppError::BadRequest(e.into()))?;
            let report = crate::metrics::report(env, catalog.timing(), window).await?;
            ok(&serde_json::to_value(report).map_err(|e| AppError::internal("metrics report", e))?)
        }
        Operation::Outbox => {
            ok(&json!({ "emails": Index::new(env, catalog.caller(env))?.outbox(100).await? }))
        }
    }
}

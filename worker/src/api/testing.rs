//! Routes only tests use (`ENABLE_TEST_ROUTES = "1"`, never in production): run now what
//! alarms and the queue run later, and inject faults — a panic, a KV outage, a stalled
//! cart object — or age a customer's sign-in links.

use super::bodies::{AgeLinks, HoldBurst, Outage, Process, Stall};
use super::ok;
use crate::bindings;
use crate::catalog::{simulate_kv_outage, CatalogReader};
use crate::checkout::object::{Stall as StallObject, STALL_PATH};
use crate::error::{AppError, AppResult};
use crate::http;
use crate::inventory::{Inventory, Stock};
use crate::orders::{events, Orders};
use crate::timing::now_ms;
use futures_util::future::join_all;
use serde_json::json;
use shared::review::StockItem;
use shared::CartId;
use shared::Sku;
use worker::{Context, Env, Request, Response};

pub fn enabled(env: &Env) -> bool {
    bindings::is(env, bindings::ENABLE_TEST_ROUTES, "1")
}

/// A deliberate panic, to show that one panicking request does not take later ones down.
#[allow(clippy::panic)]
fn panic_on_purpose() -> ! {
    panic!("deliberate panic from the test route /api/v1/test/panic");
}

pub async fn handle(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    segments: &[&str],
) -> AppResult<Response> {
    match segments {
        ["inventory", "sweep"] => {
            let dropped = Inventory::new(env, catalog.caller(env))?.sweep_all().await?;
            ok(&json!({ "dropped": dropped }))
        }
        ["inventory", "hold-burst"] => {
            let body: HoldBurst = http::read_json(&mut req).await?;
            ok(&hold_burst(env, catalog, body).await?)
        }
        ["orders", "forward"] => {
            let forwarded = Orders::new(env, catalog.caller(env))?.forward_all().await?;
            ok(&json!({ "forwarded": forwarded }))
        }
        ["orders", "settle"] => {
            let changed = Orders::new(env, catalog.caller(env))?.settle_all().await?;
            ok(&json!({ "changed": changed }))
        }
        ["queue", "process"] => {
            let body: Process = http::read_json(&mut req).await?;
            let event =
                events::OrderPlaced { order_number: body.order_number, origin: body.origin, order: None };
            let message = crate::queue::QueueMessage::Order(events::OrderEvent::Placed(event));
            ok(&json!({ "new": crate::queue::process(env, &[message]).await?.new_emails > 0 }))
        }
        ["customers", "age-links"] => {
            let body: AgeLinks = http::read_json(&mut req).await?;
            let email =
                shared::checkout::Email::parse(&body.email).map_err(|e| AppError::BadRequest(e.message))?;
            crate::customers::Customers::new(env, catalog.caller(env)).age_links(&email, body.ms).await?;
            ok(&json!({ "aged_ms": body.ms }))
        }
        ["panic"] => panic_on_purpose(),
        ["kv-outage"] => {
            let body: Outage = http::read_json(&mut req).await?;
            simulate_kv_outage(body.seconds.clamp(0.0, 300.0));
            ok(&json!({ "kv_outage_seconds": body.seconds.clamp(0.0, 300.0) }))
        }
        ["stall"] => {
            let body: Stall = http::read_json(&mut req).await?;
            let cart =
                CartId::parse(&body.cart_id).map_err(|e| AppError::BadRequest(e.to_string().into()))?;
            stall(env, ctx, cart, body.ms)?;
            ok(&json!({ "stalled_ms": body.ms.min(20_000) }))
        }
        _ => Err(AppError::NotFound),
    }
}

/// `holds` one-unit holds on one SKU, `concurrency` at a time, each under its own name and
/// expiring after a second: how many holds a second one inventory object grants when
/// asked as fast as this worker can ask (the bench's hot-SKU figure).
async fn hold_burst(
    env: &Env,
    catalog: &CatalogReader<'_>,
    burst: HoldBurst,
) -> AppResult<serde_json::Value> {
    let sku = Sku::parse(&burst.sku).map_err(|e| AppError::BadRequest(e.to_string().into()))?;
    let (holds, concurrency) = (burst.holds.clamp(1, 20_000), burst.concurrency.clamp(1, 256) as usize);
    let inventory = Inventory::new(env, catalog.caller(env))?;
    let product =
        crate::catalog::products_of_skus(catalog, std::slice::from_ref(&sku)).await?.remove(sku.as_str());
    let catalog_stock = product.and_then(|p| p.variant(&sku).map(|v| v.stock)).ok_or(AppError::NotFound)?;
    let item = StockItem { sku, quantity: 1, catalog_stock };
    let names: Vec<String> = (0..holds).map(|i| format!("burst-{}-{i}", now_ms())).collect();
    let started = now_ms();
    let mut granted = 0;
    for wave in names.chunks(concurrency) {
        let answers = join_all(
            wave.iter().map(|name| inventory.reserve(name, None, std::slice::from_ref(&item), 1_000)),
        )
        .await;
        granted =
            answers.iter().filter(|a| matches!(a, Ok(Stock::Granted(_)))).count().saturating_add(granted);
    }
    let ms = now_ms() - started;
    Ok(
        json!({ "holds": holds, "granted": granted, "ms": ms, "holds_per_second": f64::from(holds) * 1000.0 / ms.max(1.0) }),
    )
}

/// Sends the stall command and moves on: the stalled object holds its own answer too.
fn stall(env: &Env, ctx: &Context, cart: CartId, ms: u64) -> AppResult<()> {
    let stub = crate::durable::stub(env, bindings::CART, cart.as_str())?;
    let stall = crate::durable::command_request(STALL_PATH, &StallObject { ms })?;
    ctx.wait_until(async move {
        let _ = stub.fetch_with_request(stall).await;
    });
    Ok(())
}

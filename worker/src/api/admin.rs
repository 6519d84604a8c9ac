//! The merchant API, behind `Authorization: Bearer <ADMIN_TOKEN>`: stock, the order
//! list, fulfilment and the email outbox. Not rate limited (the token is the gate).

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
use shared::Sku;
use worker::{Env, Method, Request, Response};

fn authorize(req: &Request, env: &Env) -> AppResult<()> {
    let expected = env
        .secret(bindings::ADMIN_TOKEN)
        .map(|s| s.to_string())
        .or_else(|_| env.var(bindings::ADMIN_TOKEN).map(|v| v.to_string()))
        .map_err(|_| {
            AppError::Unauthorized("The merchant API is not configured (set ADMIN_TOKEN).".into())
        })?;
    let given = http::bearer(req).unwrap_or_default();
    if expected.len() >= 16 && constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::Unauthorized("The merchant API needs `Authorization: Bearer <ADMIN_TOKEN>`.".into()))
    }
}

pub async fn handle(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    segments: &[&str],
) -> AppResult<Response> {
    let method = req.method();
    let known = matches!(
        (&method, segments),
        (Method::Put, ["stock", _])
            | (Method::Get, ["orders"])
            | (Method::Post, ["orders", _, "fulfil"])
            | (Method::Get, ["outbox"])
    );
    if !known {
        let mut path = vec!["admin"];
        path.extend_from_slice(segments);
        return Err(super::not_answered(&path));
    }
    authorize(&req, env)?;
    match segments {
        ["stock", sku] => {
            let sku = Sku::parse(sku).map_err(|e| AppError::BadRequest(e.to_string()))?;
            let body: Stock = http::read_json(&mut req).await?;
            Inventory::new(env, catalog.caller(env))?.set_stock(&sku, body.on_hand).await?;
            ok(&json!({ "sku": sku, "on_hand": body.on_hand }))
        }
        ["orders"] => {
            let fields = Fields::parse(http::query_string(&req).as_bytes())?;
            let limit = super::whole_number(&fields, "limit", 1, shared::orders::MAX_LIST)?.unwrap_or(50);
            ok(&json!({ "orders": Index::new(env, catalog.caller(env))?.list(limit).await? }))
        }
        ["orders", number, "fulfil"] => {
            let orders = Orders::new(env, catalog.caller(env))?;
            let order = orders.fulfil(number, now_ms() as u64).await?.ok_or(AppError::NotFound)?;
            ok(&json!({ "order": order }))
        }
        _ => ok(&json!({ "emails": Index::new(env, catalog.caller(env))?.outbox(100).await? })),
    }
}

//! `POST /webhooks/stripe`: the adapter over `payments::webhook` — the raw body and its
//! `Stripe-Signature` in, a small JSON acknowledgement out (Stripe retries anything but
//! a 2xx; a refused signature is a 400 and is not retried usefully, which is the point).

use super::ok;
use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::payments::webhook::{self, Received, MAX_PAYLOAD_BYTES};
use serde_json::json;
use worker::{Env, Method, Request, Response};

pub async fn stripe(mut req: Request, env: &Env, catalog: &CatalogReader<'_>) -> AppResult<Response> {
    if req.method() != Method::Post {
        return Err(AppError::MethodNotAllowed("POST"));
    }
    if let Some(length) = req.headers().get("content-length")? {
        if length.trim().parse::<usize>().map_or(true, |n| n > MAX_PAYLOAD_BYTES) {
            return Err(AppError::PayloadTooLarge);
        }
    }
    let signature = req.headers().get("stripe-signature")?;
    let payload =
        req.bytes().await.map_err(|_| AppError::BadRequest("The webhook body could not be read.".into()))?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    let body = match webhook::receive(env, catalog.caller(env), signature.as_deref(), &payload).await? {
        Received::Applied { event, order } => json!({ "received": true, "event": event, "result": "applied",
            "order": { "number": order.number, "status": order.status } }),
        Received::Duplicate { event } => json!({ "received": true, "event": event, "result": "duplicate" }),
        Received::Ignored { event, why } => {
            json!({ "received": true, "event": event, "result": "ignored", "reason": why })
        }
    };
    ok(&body)
}

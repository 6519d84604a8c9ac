//! `POST /webhooks/stripe`: the adapter over `orders::webhook` — the raw body and its
//! `Stripe-Signature` in, a small JSON acknowledgement out (Stripe retries anything but
//! a 2xx; a refused signature is a 400 and is not retried usefully, which is the point).
//! Deliveries are counted per sending address before the body or the signature is read
//! (`limits::Scope::Webhook`); over the limit Stripe gets a 429 and delivers again later.

use super::ok;
use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::limits::{self, Scope};
use crate::orders::webhook::{self, Received, MAX_PAYLOAD_BYTES};
use serde_json::json;
use worker::{Env, Method, Request, Response};

pub async fn stripe(mut req: Request, env: &Env, catalog: &CatalogReader<'_>) -> AppResult<Response> {
    if req.method() != Method::Post {
        return Err(AppError::MethodNotAllowed("POST".into()));
    }
    limits::check(env, &req, Scope::Webhook).await?;
    let signature = req.headers().get("stripe-signature")?;
    let payload = crate::http::read_capped(&mut req, MAX_PAYLOAD_BYTES).await?;
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

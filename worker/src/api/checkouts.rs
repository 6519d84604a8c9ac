//! Checkouts (one per cart; the id is the cart's), completion with `Idempotency-Key`,
//! and order lookup by email and number.

use super::carts::{authorized_cart, cart_json, review_json};
use super::{created, ok};
use crate::cart::Carts;
use crate::catalog::CatalogReader;
use crate::checkout::{self, Checkout, CompleteRequest, Outcome};
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy};
use crate::limits;
use crate::orders::Orders;
use serde_json::json;
use shared::api::{Complete, Contact, Lookup, PayAgain, Rate, StartCheckout};
use shared::checkout::{AddressInput, Email, FieldError, IdempotencyKey};
use shared::payments::valid_payment_method;
use shared::review::Step;
use worker::{Env, Request, Response};

pub async fn start(mut req: Request, env: &Env, catalog: &CatalogReader<'_>) -> AppResult<Response> {
    let body: StartCheckout = http::read_json(&mut req).await?;
    let cart = authorized_cart(&req, env, &body.cart_id)?;
    let snapshot = Carts::new(env, catalog).view(&cart, false).await?;
    if snapshot.state.lines.is_empty() {
        return Err(AppError::Unprocessable("The cart is empty.".into()));
    }
    created(&review_json(&cart, &checkout::review(catalog, snapshot).await?))
}

/// The checkout; one that is ready to pay holds its stock while the buyer pays.
pub async fn show(req: &Request, env: &Env, catalog: &CatalogReader<'_>, id: &str) -> AppResult<Response> {
    let cart = authorized_cart(req, env, id)?;
    let (snapshot, held) = Checkout::new(env, catalog).hold(&cart, limits::client(req)).await?;
    let mut body = review_json(&cart, &checkout::review(catalog, snapshot).await?);
    if let Some(fields) = body.as_object_mut() {
        fields.insert("stock_held".into(), json!(held));
    }
    ok(&body)
}

/// `PUT /checkouts/{id}/{contact|address|shipping}`.
pub async fn step(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    id: &str,
    step: Step,
) -> AppResult<Response> {
    let cart = authorized_cart(&req, env, id)?;
    let checkout = Checkout::new(env, catalog);
    let changed = match step {
        Step::Contact => {
            let body: Contact = http::read_json(&mut req).await?;
            let email = Email::parse(&body.email).map_err(|e| AppError::InvalidFields(vec![e]))?;
            checkout.set_contact(&cart, &email).await?
        }
        Step::Address => {
            checkout.set_address(&cart, &http::read_json::<AddressInput>(&mut req).await?).await?
        }
        Step::Shipping => {
            checkout.set_shipping(&cart, &http::read_json::<Rate>(&mut req).await?.rate).await?
        }
    };
    ok(&cart_json(catalog, &cart, changed.accepted()?).await?)
}

pub async fn complete(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    id: &str,
) -> AppResult<Response> {
    let cart = authorized_cart(&req, env, id)?;
    let key = req.headers().get("idempotency-key")?.ok_or_else(|| {
        AppError::BadRequest("Completing a checkout needs an `Idempotency-Key` header.".into())
    })?;
    let key = IdempotencyKey::parse(&key).map_err(|e| AppError::BadRequest(e.message))?;
    let body: Complete = http::read_json(&mut req).await?;
    let checkout = Checkout::new(env, catalog);
    // A payment that cannot be one is a field to fix (422), like a bad email.
    let payment = checkout
        .payment_choice(body.card.as_deref(), body.payment_method.as_deref())?
        .map_err(|e| AppError::InvalidFields(vec![e]))?;
    let origin = http::origin(&req);
    let request =
        CompleteRequest { idempotency_key: key, payment, expected_total: body.expected_total, origin };
    match checkout.complete(&cart, &request).await {
        Ok(Outcome::Placed { number, token, total, currency, order, client_secret }) => {
            let order = match order {
                Some(order) => Some(*order),
                None => Orders::new(env, catalog.caller(env))?.get(&number).await?,
            };
            let url = format!("{}/orders/{number}?token={token}", request.origin);
            let payment_status = order.as_ref().map(|o| o.status.as_str());
            let next_action =
                client_secret.map(|secret| json!({ "type": "authenticate", "client_secret": secret }));
            created(&json!({ "status": "placed", "number": number, "total": total, "currency": currency,
                             "payment_status": payment_status, "next_action": next_action,
                             "confirmation_url": url, "order": order.as_ref().map(super::order_json) }))
        }
        Ok(Outcome::SoldOut { available }) => {
            let message = Outcome::SoldOut { available: available.clone() }.message().english();
            let body = json!({ "error": "sold_out", "message": message, "available": available });
            http::json(&body, 409, CachePolicy::NoStore)
        }
        Ok(Outcome::Declined { message }) => Err(AppError::PaymentRequired(message)),
        Err(e) => Err(e.into()),
    }
}

pub async fn lookup(mut req: Request, env: &Env, catalog: &CatalogReader<'_>) -> AppResult<Response> {
    let body: Lookup = http::read_json(&mut req).await?;
    let email = Email::parse(&body.email).map_err(|e| AppError::InvalidFields(vec![e]))?;
    let number = body.number.trim().to_ascii_uppercase();
    match Orders::new(env, catalog.caller(env))?.lookup(&email, &number).await? {
        Some(order) => ok(&json!({ "order": super::order_json(&order) })),
        None => Err(AppError::NotFound),
    }
}

/// `POST /orders/{number}/payment`: pays a pending order again with another payment
/// method (its own PaymentIntent, confirmed again).
pub async fn pay_again(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    number: &str,
) -> AppResult<Response> {
    if !crate::orders::valid_number(number) {
        return Err(AppError::NotFound);
    }
    let body: PayAgain = http::read_json(&mut req).await?;
    let method = body.payment_method.trim();
    if !valid_payment_method(method) {
        return Err(AppError::InvalidFields(vec![FieldError::new(
            "payment_method",
            "Give the Stripe PaymentMethod (pm_…) the shopper's card form created.",
        )]));
    }
    let order = Orders::new(env, catalog.caller(env))?
        .pay_again(number, &body.token, method)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut answer = json!({ "order": super::order_json(&order) });
    if let (Some(secret), Some(fields)) = (&order.payment.client_secret, answer.as_object_mut()) {
        fields.insert("client_secret".into(), json!(secret));
    }
    ok(&answer)
}

//! Carts: `POST /carts` makes one and answers its bearer token; the other calls need
//! `Authorization: Bearer <token>` of that cart.

use super::{created, ok};
use crate::cart::protocol::Snapshot;
use crate::cart::Carts;
use crate::catalog::CatalogReader;
use crate::checkout;
use crate::error::{AppError, AppResult};
use crate::http;
use crate::random;
use crate::signing::Signer;
use serde_json::{json, Value};
use shared::api::{Code, NewLine, QuantityChange};
use shared::review::Review;
use shared::{CartId, Quantity, Sku};
use worker::{Env, Method, Request, Response};

/// The cart named in the path, if the bearer token is that cart's.
pub fn authorized_cart(req: &Request, env: &Env, id: &str) -> AppResult<CartId> {
    let signer = Signer::from_env(env)?;
    let token = http::bearer(req).ok_or_else(|| {
        AppError::Unauthorized("Send the cart's token as `Authorization: Bearer <token>`.".into())
    })?;
    match signer.verify_cart_token(&token) {
        Some(cart) if cart.as_str() == id => Ok(cart),
        _ => Err(AppError::Unauthorized("That token is not this cart's.".into())),
    }
}

/// A cart (or checkout: the same object) as the API shows it, priced by the server.
pub fn review_json(id: &CartId, review: &Review) -> Value {
    json!({
        "id": id.as_str(),
        "lines": review.cart.lines,
        "unavailable": review.cart.unavailable,
        "item_count": review.cart.item_count,
        "email": review.state.email,
        "address": review.state.address,
        "shipping_rate": review.state.shipping_rate,
        "discount_code": review.state.discount_code,
        "discount_problem": review.discount_problem.as_ref().map(shared::strings::Text::english),
        "rates": review.rates,
        "totals": review.totals,
        "short": review.short,
        "next_step": review.missing_step().map_or("complete", |s| s.name()),
    })
}

pub async fn cart_json(catalog: &CatalogReader<'_>, id: &CartId, snapshot: Snapshot) -> AppResult<Value> {
    Ok(review_json(id, &checkout::review(catalog, snapshot).await?))
}

pub async fn create(env: &Env, catalog: &CatalogReader<'_>) -> AppResult<Response> {
    let signer = Signer::from_env(env)?;
    let id = CartId::from_random_bytes(random::random_16().map_err(AppError::Internal)?);
    let cart = cart_json(catalog, &id, Snapshot::default()).await?;
    created(&json!({ "id": id.as_str(), "token": signer.cart_token(&id), "cart": cart }))
}

pub async fn show(req: &Request, env: &Env, catalog: &CatalogReader<'_>, id: &str) -> AppResult<Response> {
    let cart = authorized_cart(req, env, id)?;
    let snapshot = Carts::new(env, catalog).view(&cart, true).await?;
    ok(&cart_json(catalog, &cart, snapshot).await?)
}

pub async fn add_line(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    id: &str,
) -> AppResult<Response> {
    let cart = authorized_cart(&req, env, id)?;
    let body: NewLine = http::read_json(&mut req).await?;
    let sku = Sku::parse(&body.sku).map_err(|e| AppError::BadRequest(e.to_string().into()))?;
    let quantity = Quantity::new(body.quantity).map_err(|e| AppError::BadRequest(e.to_string().into()))?;
    let snapshot = Carts::new(env, catalog).add_sku(&cart, sku, quantity).await?;
    ok(&cart_json(catalog, &cart, snapshot).await?)
}

pub async fn change_line(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    id: &str,
    sku: &str,
) -> AppResult<Response> {
    let cart = authorized_cart(&req, env, id)?;
    let sku = Sku::parse(sku).map_err(|_| AppError::NotFound)?;
    let quantity = if req.method() == Method::Delete {
        0
    } else {
        http::read_json::<QuantityChange>(&mut req).await?.quantity
    };
    let snapshot = Carts::new(env, catalog).set_quantity(&cart, sku, quantity).await?.accepted()?;
    ok(&cart_json(catalog, &cart, snapshot).await?)
}

pub async fn discount(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    id: &str,
) -> AppResult<Response> {
    let cart = authorized_cart(&req, env, id)?;
    let code = if req.method() == Method::Delete {
        None
    } else {
        Some(http::read_json::<Code>(&mut req).await?.code)
    };
    let snapshot = Carts::new(env, catalog).set_discount(&cart, code.as_deref()).await?.accepted()?;
    ok(&cart_json(catalog, &cart, snapshot).await?)
}

//! Order pages: the confirmation page at its unguessable address
//! (`/orders/{number}?token=…`), and order lookup by email and order number. Both read
//! the order's own shard, so they show an order the moment it is placed.

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::orders::{self, Orders};
use crate::payments;
use crate::security;
use crate::session::Session;
use crate::signing::constant_time_eq;
use app::{render_document, OrderLookupPage, OrderPage, PendingPayment, RenderContext};
use leptos::prelude::*;
use shared::checkout::Email;
use shared::orders::{Order, OrderStatus, PaymentProvider};
use shared::payments::valid_payment_method;
use shared::strings::Text;
use worker::{Env, Request, Response};

async fn context(req: &Request, catalog: &CatalogReader<'_>) -> RenderContext {
    security::request_context(catalog, req).await
}

pub async fn confirmation(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    number: &str,
) -> AppResult<Response> {
    if !orders::valid_number(number) {
        return Err(AppError::NotFound);
    }
    let query = Fields::parse(http::query_string(req).as_bytes())?;
    let token = query.get("token").unwrap_or("");
    let order = Orders::new(env, catalog.caller(env))?.get(number).await?.ok_or(AppError::NotFound)?;
    // Without the right token the order does not exist, as far as the visitor can tell.
    if !constant_time_eq(order.token.as_bytes(), token.as_bytes()) {
        return Err(AppError::NotFound);
    }
    let site = (*catalog.site().await?).clone();
    let pending = pending_payment(env, &order);
    let stripe_page = pending.is_some();
    let page =
        render_document(context(req, catalog).await, move || view! { <OrderPage site order pending/> });
    let resp = http::html(page, 200, CachePolicy::NoStore)?;
    if stripe_page {
        resp.headers().set(security::STRIPE_PAGE, "1")?;
    }
    Ok(resp)
}

/// A Stripe order still waiting for its payment, with what Stripe.js needs.
fn pending_payment(env: &Env, order: &Order) -> Option<PendingPayment> {
    if order.status != OrderStatus::PendingPayment || order.payment.provider != PaymentProvider::Stripe {
        return None;
    }
    Some(PendingPayment {
        publishable_key: payments::publishable_key(env)?,
        client_secret: order.payment.client_secret.clone(),
    })
}

/// `POST /orders/{number}/pay`: the shopper pays a pending order again with another
/// card (the PaymentMethod the page's Stripe.js created), then sees the order as it is.
pub async fn pay_again(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    number: &str,
) -> AppResult<Response> {
    if !orders::valid_number(number) {
        return Err(AppError::NotFound);
    }
    let form = security::read_form(&mut req, session).await?;
    let token = form.get("token").unwrap_or("");
    let method = form.get("payment_method").unwrap_or("").trim();
    if !valid_payment_method(method) {
        return Err(AppError::BadRequest(Text::new(
            "No card came with the payment: the card form needs JavaScript. Go back, enter your card and pay again.",
        )));
    }
    let order = Orders::new(env, catalog.caller(env))?
        .pay_again(number, token, method)
        .await?
        .ok_or(AppError::NotFound)?;
    http::see_other(&format!("/orders/{}?token={}", order.number, order.token))
}

pub async fn lookup_form(req: &Request, catalog: &CatalogReader<'_>) -> AppResult<Response> {
    let site = (*catalog.site().await?).clone();
    let page = render_document(context(req, catalog).await, move || {
        view! { <OrderLookupPage site notice=None email=String::new() number=String::new()/> }
    });
    http::html(page, 200, CachePolicy::NoStore)
}

pub async fn lookup(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let email = form.get("email").unwrap_or("").trim().chars().take(254).collect::<String>();
    let number =
        form.get("number").unwrap_or("").trim().to_ascii_uppercase().chars().take(20).collect::<String>();
    let found = match Email::parse(&email) {
        Ok(parsed) => Orders::new(env, catalog.caller(env))?.lookup(&parsed, &number).await?,
        Err(_) => None,
    };
    match found {
        Some(order) => http::see_other(&format!("/orders/{}?token={}", order.number, order.token)),
        None => {
            let site = (*catalog.site().await?).clone();
            let notice = Some(Text::new("We could not find an order with that email address and number."));
            let page = render_document(context(&req, catalog).await, move || {
                view! { <OrderLookupPage site notice email number/> }
            });
            http::html(page, 404, CachePolicy::NoStore)
        }
    }
}

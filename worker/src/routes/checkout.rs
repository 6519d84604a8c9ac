//! The checkout pages, in steps — contact, shipping address, shipping method, review and
//! payment — each a plain form POSTed back and answered with `303 /checkout`, or the same
//! page with field messages (`422`) when something needs fixing. Every amount shown is
//! computed on the server; the payment form carries an idempotency key and the total the
//! shopper saw, so a double submit places one order and a changed price places none.

use crate::cart_object::{CartClient, CartCommand};
use crate::catalog_store::CatalogReader;
use crate::checkout::{self, CompleteRequest, NotRun, Outcome, Review};
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::random;
use crate::security::{self, Session};
use app::{render_document, CheckoutPage, CheckoutStep, CheckoutView};
use leptos::prelude::*;
use shared::checkout::{shippable_countries, AddressInput, Email, FieldError};
use shared::CartId;
use worker::{Env, Request, Response};

/// What the page should show besides the checkout's state.
#[derive(Default)]
struct Feedback {
    step: Option<CheckoutStep>,
    errors: Vec<FieldError>,
    notice: Option<String>,
    email: Option<String>,
    address: Option<AddressInput>,
}

fn step_from(name: &str) -> Option<CheckoutStep> {
    match name {
        "contact" => Some(CheckoutStep::Contact),
        "address" => Some(CheckoutStep::Address),
        "shipping" => Some(CheckoutStep::Shipping),
        "review" => Some(CheckoutStep::Review),
        _ => None,
    }
}

fn new_key() -> AppResult<String> {
    let bytes = random::random_16().map_err(AppError::Internal)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn render(
    req: &Request,
    catalog: &CatalogReader<'_>,
    site: shared::Site,
    review: Review,
    feedback: Feedback,
    status: u16,
) -> AppResult<Response> {
    // The furthest step the shopper may be on: the first one still missing.
    let first_missing = step_from(review.missing_step().unwrap_or("review")).unwrap_or(CheckoutStep::Review);
    let step = feedback.step.filter(|s| *s <= first_missing).unwrap_or(first_missing);
    let address = feedback.address.unwrap_or_else(|| {
        review
            .state
            .address
            .as_ref()
            .map(|a| AddressInput {
                name: a.name.clone(),
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                region: a.region.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
            })
            .unwrap_or_default()
    });
    let view = CheckoutView {
        step,
        email: feedback.email.or_else(|| review.state.email.clone()).unwrap_or_default(),
        address,
        countries: shippable_countries(&review.settings),
        rates: review.rates.clone(),
        chosen_rate: review.state.shipping_rate.clone(),
        errors: feedback.errors,
        notice: feedback.notice.or_else(|| review.discount_problem.clone()),
        idempotency_key: new_key()?,
        short: review.short.clone(),
        totals: review.totals.clone(),
        cart: review.cart,
    };
    let context = crate::security::render_context(catalog.version(), &http::origin(req));
    let page = render_document(context, move || view! { <CheckoutPage site view/> });
    http::html(page, status, CachePolicy::NoStore)
}

/// The session's cart and its review, unless the cart is empty (or the session new).
async fn current(
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Option<(CartId, Review)>> {
    if session.is_new {
        return Ok(None);
    }
    let id = session.id.clone();
    let review = checkout::review(env, catalog, &id).await?;
    if review.cart.lines.is_empty() {
        return Ok(None);
    }
    Ok(Some((id, review)))
}

pub async fn show(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let Some((id, mut review)) = current(env, catalog, session).await? else {
        return http::see_other("/cart");
    };
    // Reaching the payment step holds the stock while the shopper pays.
    checkout::hold_stock(env, catalog, &id, &mut review).await?;
    let query = Fields::parse(http::query_string(req).as_bytes())?;
    let feedback = Feedback { step: query.get("step").and_then(step_from), ..Default::default() };
    let site = (*catalog.site().await?).clone();
    render(req, catalog, site, review, feedback, 200)
}

pub async fn contact(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let Some((id, review)) = current(env, catalog, session).await? else {
        return http::see_other("/cart");
    };
    let typed = form.get("email").unwrap_or("").to_string();
    match Email::parse(&typed) {
        Ok(email) => {
            CartClient::for_cart(env, catalog.caller(env), &id)?
                .run(&CartCommand::SetContact { email: email.to_string() })
                .await?;
            http::see_other("/checkout")
        }
        Err(error) => {
            let site = (*catalog.site().await?).clone();
            let feedback = Feedback {
                step: Some(CheckoutStep::Contact),
                errors: vec![error],
                email: Some(typed.chars().take(254).collect()),
                ..Default::default()
            };
            render(&req, catalog, site, review, feedback, 422)
        }
    }
}

pub async fn address(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let Some((id, review)) = current(env, catalog, session).await? else {
        return http::see_other("/cart");
    };
    let field = |name: &str| form.get(name).unwrap_or("").chars().take(200).collect::<String>();
    let input = AddressInput {
        name: field("name"),
        line1: field("line1"),
        line2: field("line2"),
        city: field("city"),
        region: field("region"),
        postal_code: field("postal_code"),
        country: field("country"),
    };
    match input.validate(&shippable_countries(&review.settings)) {
        Ok(address) => {
            CartClient::for_cart(env, catalog.caller(env), &id)?
                .run(&CartCommand::SetAddress { address })
                .await?;
            http::see_other("/checkout")
        }
        Err(errors) => {
            let site = (*catalog.site().await?).clone();
            let feedback = Feedback {
                step: Some(CheckoutStep::Address),
                errors,
                address: Some(input),
                ..Default::default()
            };
            render(&req, catalog, site, review, feedback, 422)
        }
    }
}

pub async fn shipping(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let Some((id, review)) = current(env, catalog, session).await? else {
        return http::see_other("/cart");
    };
    let rate = form.get("rate").unwrap_or("");
    if review.rates.iter().any(|r| r.id == rate) {
        CartClient::for_cart(env, catalog.caller(env), &id)?
            .run(&CartCommand::SetShipping { rate: rate.to_string() })
            .await?;
        return http::see_other("/checkout");
    }
    let site = (*catalog.site().await?).clone();
    let feedback = Feedback {
        step: Some(CheckoutStep::Shipping),
        errors: vec![FieldError {
            field: "rate".into(),
            message: "Choose one of the shipping methods.".into(),
        }],
        ..Default::default()
    };
    render(&req, catalog, site, review, feedback, 422)
}

pub async fn complete(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    if session.is_new {
        return http::see_other("/cart");
    }
    let id = session.id.clone();
    let expected_total = match form.get("expected_total") {
        Some(t) => {
            Some(t.parse::<i64>().map_err(|_| AppError::BadRequest("The order total is malformed.".into()))?)
        }
        None => None,
    };
    let request = CompleteRequest {
        idempotency_key: form.require("idempotency_key")?.to_string(),
        card: form.get("card").unwrap_or("").to_string(),
        expected_total,
        origin: http::origin(&req),
    };
    let (status, notice) = match checkout::complete(env, catalog, &id, &request).await? {
        Ok(Outcome::Placed { number, token, .. }) => {
            return http::see_other(&format!("/orders/{number}?token={token}"));
        }
        Ok(outcome @ Outcome::Declined { .. }) => (outcome.http_status(), outcome_message(&outcome)),
        Ok(outcome @ Outcome::SoldOut { .. }) => (outcome.http_status(), outcome_message(&outcome)),
        Err(reason) => not_run(reason),
    };
    let Some((_, review)) = current(env, catalog, session).await? else {
        return http::see_other("/cart");
    };
    let site = (*catalog.site().await?).clone();
    let feedback = Feedback { step: Some(CheckoutStep::Review), notice: Some(notice), ..Default::default() };
    let resp = render(&req, catalog, site, review, feedback, status)?;
    if status == 503 {
        resp.headers().set("retry-after", "5")?;
    }
    Ok(resp)
}

pub fn outcome_message(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Placed { number, .. } => format!("Order {number} is placed."),
        Outcome::Declined { message } => message.clone(),
        Outcome::SoldOut { available } => {
            let items: Vec<String> =
                available
                    .iter()
                    .map(|(sku, n)| {
                        if *n == 0 {
                            format!("{sku} is sold out")
                        } else {
                            format!("only {n} of {sku} left")
                        }
                    })
                    .collect();
            format!("Sorry — {}. Nothing was charged; change your cart and try again.", items.join(", "))
        }
    }
}

/// Status and message for a completion that did not run.
pub fn not_run(reason: NotRun) -> (u16, String) {
    match reason {
        NotRun::Invalid(message) => (400, message),
        NotRun::KeyReused => (
            422,
            "This payment form was already used for a different order. Reload the page and try again.".into(),
        ),
        NotRun::InFlight => (409, "Your order is already being placed. Wait a moment, then reload.".into()),
        NotRun::CartBusy => {
            (409, "Another payment for this cart is in progress. Wait a moment, then reload.".into())
        }
        NotRun::NotReady(message) => (409, message),
        NotRun::PaymentUnavailable => {
            (503, "The payment service did not answer. Nothing was charged; please try again.".into())
        }
    }
}

//! The checkout pages, in steps — contact, shipping address, shipping method, review and
//! payment — each a plain form POSTed back and answered with `303 /checkout`, or the same
//! page with field messages (`422`) when something needs fixing. Every amount shown is
//! computed on the server; the payment form carries an idempotency key and the total the
//! shopper saw, so a double submit places one order and a changed price places none.
//! Reaching the payment step holds the cart's stock while the shopper pays.

use crate::cart::protocol::Snapshot;
use crate::cart::Carts;
use crate::catalog::CatalogReader;
use crate::checkout::{self, Checkout, CompleteError, CompleteRequest, Outcome};
use crate::customer_session;
use crate::customers::Customers;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::limits;
use crate::payments;
use crate::security;
use crate::session::Session;
use app::{render_document, CheckoutPage, CheckoutStep, CheckoutView, PaymentForm};
use leptos::prelude::*;
use shared::checkout::{
    shippable_countries, AddressInput, CheckoutAction, Email, FieldError, IdempotencyKey,
};
use shared::orders::PaymentProvider;
use shared::review::{Review, Step};
use shared::strings::Text;
use worker::{Env, Request, Response};

/// What the page should show besides the checkout's state.
#[derive(Default)]
struct Feedback {
    step: Option<CheckoutStep>,
    errors: Vec<FieldError>,
    notice: Option<Text>,
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

fn page_step(step: Option<Step>) -> CheckoutStep {
    match step {
        Some(Step::Contact) => CheckoutStep::Contact,
        Some(Step::Address) => CheckoutStep::Address,
        Some(Step::Shipping) => CheckoutStep::Shipping,
        None => CheckoutStep::Review,
    }
}

fn typed_address(review: &Review) -> AddressInput {
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
}

/// Renders the checkout as `snapshot` shows it, or goes back to the cart if it is empty.
async fn render(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    snapshot: Snapshot,
    feedback: Feedback,
    status: u16,
) -> AppResult<Response> {
    if snapshot.state.lines.is_empty() {
        return http::see_other("/cart");
    }
    let review = checkout::review(catalog, snapshot).await?;
    let site = (*catalog.site().await?).clone();
    // The furthest step the shopper may be on: the first one still missing.
    let first_missing = page_step(review.missing_step());
    let step = feedback.step.filter(|s| *s <= first_missing).unwrap_or(first_missing);
    let mut view = CheckoutView {
        step,
        email: feedback.email.or_else(|| review.state.email.clone()).unwrap_or_default(),
        address: feedback.address.unwrap_or_else(|| typed_address(&review)),
        countries: shippable_countries(&review.settings),
        rates: review.rates.clone(),
        chosen_rate: review.state.shipping_rate.clone(),
        errors: feedback.errors,
        notice: feedback.notice.or_else(|| review.discount_problem.clone()),
        idempotency_key: review.state.checkout_key().to_string(),
        short: review.short.clone(),
        totals: review.totals.clone(),
        cart: review.cart,
        payment: payment_form(env),
        saved_addresses: Vec::new(),
        signed_in: false,
    };
    // A signed-in customer's email and saved addresses: one call to their account, at
    // the contact and address steps only (the payment step keeps its budget).
    let asks_account = matches!(step, CheckoutStep::Contact | CheckoutStep::Address);
    if let Some(who) = customer_session::of(req, env).filter(|_| asks_account) {
        if let Some(account) = Customers::new(env, catalog.caller(env)).account(&who).await? {
            if view.email.is_empty() {
                view.email = account.email.clone();
            }
            view.signed_in = true;
            view.saved_addresses = account.addresses;
        }
    }
    let stripe_page = step == CheckoutStep::Review && matches!(view.payment, PaymentForm::Stripe { .. });
    let context = security::request_context(catalog, req).await;
    let page = render_document(context, move || view! { <CheckoutPage site view/> });
    let resp = http::html(page, status, CachePolicy::NoStore)?;
    if stripe_page {
        resp.headers().set(security::STRIPE_PAGE, "1")?;
    }
    Ok(resp)
}

/// How the payment step takes the card, by the configured provider.
fn payment_form(env: &Env) -> PaymentForm {
    match payments::configured(env) {
        Some(PaymentProvider::Stripe) => {
            PaymentForm::Stripe { publishable_key: payments::publishable_key(env) }
        }
        Some(PaymentProvider::Test) => PaymentForm::TestCard,
        None => PaymentForm::Unavailable,
    }
}

/// `GET /checkout`: the first step still missing (or the one asked for); at the payment
/// step, the cart's stock is held while the shopper pays.
pub async fn show(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    if session.is_new {
        return http::see_other("/cart");
    }
    let (snapshot, _) = Checkout::new(env, catalog).hold(&session.id, limits::client(req)).await?;
    let query = Fields::parse(http::query_string(req).as_bytes())?;
    let feedback = Feedback { step: query.get("step").and_then(step_from), ..Default::default() };
    render(req, env, catalog, snapshot, feedback, 200).await
}

/// The checkout's forms (`POST /checkout/{step}`).
pub async fn form(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    action: CheckoutAction,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    if session.is_new {
        return http::see_other("/cart");
    }
    match action {
        CheckoutAction::Step(Step::Contact) => contact(&req, env, catalog, session, &form).await,
        CheckoutAction::Step(Step::Address) => address(&req, env, catalog, session, &form).await,
        CheckoutAction::Step(Step::Shipping) => shipping(&req, env, catalog, session, &form).await,
        CheckoutAction::Complete => complete(&req, env, catalog, session, &form).await,
    }
}

/// A step stored: on to the next one (or back to an emptied cart).
fn stored(snapshot: &Snapshot) -> AppResult<Response> {
    http::see_other(if snapshot.state.lines.is_empty() { "/cart" } else { "/checkout" })
}

async fn contact(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    form: &Fields,
) -> AppResult<Response> {
    let typed = form.get("email").unwrap_or("").to_string();
    match Email::parse(&typed) {
        Ok(email) => stored(&Checkout::new(env, catalog).set_contact(&session.id, &email).await?.accepted()?),
        Err(error) => {
            let snapshot = Carts::new(env, catalog).view(&session.id, false).await?;
            let feedback = Feedback {
                step: Some(CheckoutStep::Contact),
                errors: vec![error],
                email: Some(typed.chars().take(254).collect()),
                ..Default::default()
            };
            render(req, env, catalog, snapshot, feedback, 422).await
        }
    }
}

async fn address(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    form: &Fields,
) -> AppResult<Response> {
    let input = AddressInput::from_form(|name| form.get(name));
    match Checkout::new(env, catalog).set_address(&session.id, &input).await {
        Ok(changed) => {
            let snapshot = changed.accepted()?;
            // "Save this address to my account" (offered to a signed-in customer).
            if let (Some("1"), Some(who), Some(address)) =
                (form.get("save_address"), customer_session::of(req, env), snapshot.state.address.clone())
            {
                Customers::new(env, catalog.caller(env)).save_address(&who, address).await?;
            }
            stored(&snapshot)
        }
        Err(AppError::InvalidFields(errors)) => {
            let snapshot = Carts::new(env, catalog).view(&session.id, false).await?;
            let feedback = Feedback {
                step: Some(CheckoutStep::Address),
                errors,
                address: Some(input),
                ..Default::default()
            };
            render(req, env, catalog, snapshot, feedback, 422).await
        }
        Err(e) => Err(e),
    }
}

async fn shipping(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    form: &Fields,
) -> AppResult<Response> {
    let rate = form.get("rate").unwrap_or("");
    let changed = Checkout::new(env, catalog).set_shipping(&session.id, rate).await?;
    match changed.refused {
        None => stored(&changed.snapshot),
        Some(AppError::Unprocessable(_)) => {
            let error = FieldError::new("rate", Text::new("Choose one of the shipping methods."));
            let feedback =
                Feedback { step: Some(CheckoutStep::Shipping), errors: vec![error], ..Default::default() };
            render(req, env, catalog, changed.snapshot, feedback, 422).await
        }
        Some(e) => Err(e),
    }
}

async fn complete(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    form: &Fields,
) -> AppResult<Response> {
    let expected_total = match form.get("expected_total") {
        Some(t) => {
            Some(t.parse::<i64>().map_err(|_| AppError::BadRequest("The order total is malformed.".into()))?)
        }
        None => None,
    };
    let idempotency_key = IdempotencyKey::parse(form.require("idempotency_key")?)
        .map_err(|e| AppError::BadRequest(e.message))?;
    let checkout = Checkout::new(env, catalog);
    let method = form.get("payment_method").filter(|m| !m.is_empty());
    let mut feedback = Feedback { step: Some(CheckoutStep::Review), ..Default::default() };
    let refusal = match checkout.payment_choice(form.get("card"), method)? {
        // A payment that cannot be one is a field to fix, shown next to it.
        Err(field) => {
            feedback.errors.push(field);
            AppError::InvalidFields(feedback.errors.clone())
        }
        Ok(payment) => {
            let request =
                CompleteRequest { idempotency_key, payment, expected_total, origin: http::origin(req) };
            match checkout.complete(&session.id, &request).await {
                Ok(Outcome::Placed { number, token, .. }) => {
                    return http::see_other(&format!("/orders/{number}?token={token}"));
                }
                Ok(Outcome::Declined { message }) => AppError::PaymentRequired(message),
                Ok(sold_out @ Outcome::SoldOut { .. }) => AppError::Conflict(sold_out.message()),
                Err(CompleteError::NotRun(reason)) => reason.into(),
                Err(CompleteError::Failed(e)) => return Err(e),
            }
        }
    };
    if feedback.errors.is_empty() {
        feedback.notice = Some(refusal.public_text().1);
    }
    let snapshot = Carts::new(env, catalog).view(&session.id, false).await?;
    let resp = render(req, env, catalog, snapshot, feedback, refusal.status()).await?;
    if let Some(seconds) = refusal.retry_after() {
        resp.headers().set("retry-after", &seconds.to_string())?;
    }
    Ok(resp)
}

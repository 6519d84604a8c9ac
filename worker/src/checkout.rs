//! Placing an order, exactly once.
//!
//! `review` prices the cart from the current catalog and computes every total on the
//! server. `complete` runs under an idempotency key recorded in the cart's object:
//!
//! 1. the cart object records the key and request fingerprint (same key + same request
//!    later → the stored outcome is replayed; different request → 422; still running → 409);
//! 2. the cart is re-priced and checked (nothing stored if this fails, so it may be fixed
//!    and retried with the same key);
//! 3. stock is held for every line (all or nothing, with an expiry) — the hold made when
//!    the shopper reached the payment step, refreshed;
//! 4. the payment provider charges (the order number is its idempotency key);
//! 5. the order is stored (idempotent by order number, derived from cart and key);
//! 6. the reservation is committed; the outcome is stored; the cart is emptied;
//! 7. "order placed" goes to the queue, off the shopper's critical path.
//!
//! A declined payment releases the reservation once and stores the decline; a transient
//! failure releases it and forgets the key so the shopper can simply retry.

use crate::cart_object::{CartClient, CartCommand, CartState, Completion};
use crate::catalog_store::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::inventory_object::{Inventory, StockItem};
use crate::order_object::Orders;
use crate::signing::Signer;
use crate::timing::now_ms;
use crate::{bindings, routes::cart::load_products};
use serde::{Deserialize, Serialize};
use shared::checkout::{
    card_digits, compute_totals, find_discount, rates_for, tax_for, test_provider_charge, PaymentOutcome,
    Totals,
};
use shared::orders::{Order, OrderLine, OrderStatus};
use shared::settings::{ShippingRate, StoreSettings};
use shared::{price_cart, CartId, PricedCart, Product};
use std::collections::BTreeMap;
use std::sync::Arc;
use worker::Env;

/// Everything the checkout pages and API show, computed on the server.
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    pub cart: PricedCart,
    pub state: CartState,
    /// Rates for the shipping address's country (empty before an address is given).
    pub rates: Vec<ShippingRate>,
    pub totals: Totals,
    /// Why the stored discount code does not apply now, if it does not.
    pub discount_problem: Option<String>,
    /// Lines asking for more than is available, with what is available.
    pub short: BTreeMap<String, u32>,
    #[serde(skip)]
    pub settings: Arc<StoreSettings>,
}

impl Review {
    /// What the shopper still has to give before paying, in order.
    pub fn missing_step(&self) -> Option<&'static str> {
        if self.state.email.is_none() {
            Some("contact")
        } else if self.state.address.is_none() {
            Some("address")
        } else if !self.rates.iter().any(|r| Some(&r.id) == self.state.shipping_rate.as_ref()) {
            Some("shipping")
        } else {
            None
        }
    }
}

/// Today's date in UTC, `YYYY-MM-DD`, for discount expiry.
pub fn today() -> String {
    let date = worker::js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", date.get_utc_full_year(), date.get_utc_month() + 1, date.get_utc_date())
}

/// The stock items of a priced cart, with each SKU's catalog stock.
pub fn stock_items(cart: &PricedCart, products: &[Arc<Product>]) -> Vec<StockItem> {
    cart.lines
        .iter()
        .map(|line| StockItem {
            sku: line.sku.clone(),
            quantity: line.quantity.get(),
            catalog_stock: products
                .iter()
                .find(|p| p.handle == line.product)
                .and_then(|p| p.variant(&line.sku))
                .map_or(0, |v| v.stock),
        })
        .collect()
}

/// Prices a cart state and computes its totals (availability counted without the cart's
/// own hold, when the cart is known).
pub async fn review_state(env: &Env, catalog: &CatalogReader<'_>, state: CartState) -> AppResult<Review> {
    review_state_for(env, catalog, None, state).await
}

pub async fn review_state_for(
    env: &Env,
    catalog: &CatalogReader<'_>,
    cart_id: Option<&CartId>,
    state: CartState,
) -> AppResult<Review> {
    let (site, settings) = futures_util::future::join(catalog.site(), catalog.settings()).await;
    let (site, settings) = (site?, settings?);
    let products = load_products(catalog, &state.lines).await?;
    let currency = site.store.currency;
    let mut cart =
        price_cart(&state.lines, currency, |h| products.iter().find(|p| &p.handle == h).map(|p| p.as_ref()))
            .map_err(|e| AppError::internal("pricing cart", e))?;
    let mut short = BTreeMap::new();
    if !cart.lines.is_empty() {
        let items = stock_items(&cart, &products);
        let own = cart_id.map(|id| hold_id(id, &state)).unwrap_or_default();
        let available =
            Inventory::new(env, catalog.caller(env))?.availability(&items, now_ms() as u64, &own).await?;
        for line in &mut cart.lines {
            let free = available.get(line.sku.as_str()).copied().unwrap_or(0);
            if free < line.quantity.get() {
                line.short_by = Some(free);
                short.insert(line.sku.to_string(), free);
            }
        }
    }
    let mut discount_problem = None;
    let discount = match &state.discount_code {
        Some(code) => match find_discount(&settings, code, cart.subtotal, &today()) {
            Ok(d) => Some(d.clone()),
            Err(e) => {
                discount_problem = Some(e.to_string());
                None
            }
        },
        None => None,
    };
    let (rates, tax) = match &state.address {
        Some(a) => (
            rates_for(&settings, &a.country).into_iter().cloned().collect(),
            tax_for(&settings, &a.country, &a.region).cloned(),
        ),
        None => (Vec::new(), None),
    };
    let rate = rates.iter().find(|r| Some(&r.id) == state.shipping_rate.as_ref());
    let totals = compute_totals(&cart, currency, discount.as_ref(), rate, tax.as_ref())
        .map_err(|e| AppError::internal("computing totals", e))?;
    Ok(Review { cart, state, rates, totals, discount_problem, short, settings })
}

pub async fn review(env: &Env, catalog: &CatalogReader<'_>, cart: &CartId) -> AppResult<Review> {
    let state = CartClient::for_cart(env, catalog.caller(env), cart)?.get().await?;
    review_state_for(env, catalog, Some(cart), state).await
}

/// The name of a cart's current stock hold (one per checkout of the cart).
pub fn hold_id(cart: &CartId, state: &CartState) -> String {
    format!("{cart}:{}", state.checkout_seq)
}

/// Holds stock for every line of a reviewed checkout, for the reservation lifetime
/// (refreshed on each call). On shortage, records what is available in `review.short`.
pub async fn hold_stock(
    env: &Env,
    catalog: &CatalogReader<'_>,
    cart: &CartId,
    review: &mut Review,
) -> AppResult<bool> {
    if review.cart.lines.is_empty() || review.missing_step().is_some() {
        return Ok(false);
    }
    let products = load_products(catalog, &review.state.lines).await?;
    let items = stock_items(&review.cart, &products);
    let held = Inventory::new(env, catalog.caller(env))?
        .reserve(&hold_id(cart, &review.state), &items, ttl_ms(env), now_ms() as u64)
        .await?;
    match held {
        Ok(()) => Ok(true),
        Err(available) => {
            for (sku, n) in available {
                if review.cart.lines.iter().any(|l| l.sku.as_str() == sku && l.quantity.get() > n) {
                    review.short.insert(sku, n);
                }
            }
            Ok(false)
        }
    }
}

/// What a completion request says.
#[derive(Clone, Debug, Deserialize)]
pub struct CompleteRequest {
    pub idempotency_key: String,
    pub card: String,
    /// The total the shopper saw; if the server's differs, nothing is charged.
    pub expected_total: Option<i64>,
    /// Scheme and host, for the link in the confirmation email.
    #[serde(default)]
    pub origin: String,
}

/// The stored, replayable outcome of a completion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Placed { number: String, token: String, total: i64, currency: String },
    Declined { message: String },
    SoldOut { available: BTreeMap<String, u32> },
}

impl Outcome {
    pub fn http_status(&self) -> u16 {
        match self {
            Outcome::Placed { .. } => 201,
            Outcome::Declined { .. } => 402,
            Outcome::SoldOut { .. } => 409,
        }
    }
}

/// Why a completion did not run (nothing stored under the key; it may be retried).
#[derive(Debug)]
pub enum NotRun {
    /// The request is malformed (bad key or card number).
    Invalid(String),
    /// Same key, different request.
    KeyReused,
    /// The same key is being completed now.
    InFlight,
    /// Another completion of this cart is running.
    CartBusy,
    /// The cart cannot be paid for yet (empty, a step missing, prices changed…).
    NotReady(String),
    /// The payment provider failed; nothing was charged.
    PaymentUnavailable,
}

fn valid_key(key: &str) -> bool {
    (8..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// 64-bit FNV-1a of the request's meaningful fields (the card is hashed, not stored).
fn fingerprint(card: &str, expected_total: Option<i64>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in card.bytes().chain(b"|".iter().copied()).chain(format!("{expected_total:?}").bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn ttl_ms(env: &Env) -> u64 {
    env.var(bindings::RESERVATION_TTL_SECONDS)
        .ok()
        .and_then(|v| v.to_string().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(900)
        * 1000
}

/// How long an unfinished completion blocks retries of its key (`CHECKOUT_TAKEOVER_MS`).
fn takeover_ms(env: &Env) -> u64 {
    env.var(bindings::CHECKOUT_TAKEOVER_MS)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .filter(|ms| *ms >= 1_000)
        .unwrap_or(crate::cart_object::IN_FLIGHT_TIMEOUT_MS)
}

pub async fn complete(
    env: &Env,
    catalog: &CatalogReader<'_>,
    cart_id: &CartId,
    request: &CompleteRequest,
) -> AppResult<Result<Outcome, NotRun>> {
    let key = request.idempotency_key.trim();
    if !valid_key(key) {
        return Ok(Err(NotRun::Invalid(
            "The Idempotency-Key must be 8–128 letters, digits, `-` or `_`.".into(),
        )));
    }
    let card = match card_digits(&request.card) {
        Ok(card) => card,
        Err(e) => return Ok(Err(NotRun::Invalid(e.message))),
    };
    let cart = CartClient::for_cart(env, catalog.caller(env), cart_id)?;
    let state = match cart
        .begin_completion(key, &fingerprint(&card, request.expected_total), now_ms() as u64, takeover_ms(env))
        .await?
    {
        Completion::Proceed { cart } => cart,
        Completion::Replay { outcome } => {
            return serde_json::from_value(outcome)
                .map(Ok)
                .map_err(|e| AppError::internal("decoding a stored outcome", e));
        }
        Completion::InFlight => return Ok(Err(NotRun::InFlight)),
        Completion::KeyReused => return Ok(Err(NotRun::KeyReused)),
        Completion::CartBusy => return Ok(Err(NotRun::CartBusy)),
    };
    let result = run_completion(env, catalog, cart_id, key, &card, request, state).await;
    // An outcome is stored for replays; anything else forgets the key (nothing happened
    // under it, or every step already done is idempotent), so the same key may retry.
    let bookkeeping = match &result {
        Ok(Ok(outcome)) => CartCommand::FinishCompletion {
            key: key.to_string(),
            outcome: serde_json::to_value(outcome).map_err(|e| AppError::internal("encoding outcome", e))?,
            clear: matches!(outcome, Outcome::Placed { .. }),
        },
        Ok(Err(_)) | Err(_) => CartCommand::AbortCompletion { key: key.to_string() },
    };
    cart.run(&bookkeeping).await?;
    result
}

async fn run_completion(
    env: &Env,
    catalog: &CatalogReader<'_>,
    cart_id: &CartId,
    key: &str,
    card: &str,
    request: &CompleteRequest,
    state: CartState,
) -> AppResult<Result<Outcome, NotRun>> {
    if state.lines.is_empty() {
        return Ok(Err(NotRun::NotReady("Your cart is empty.".into())));
    }
    let review = review_state_for(env, catalog, Some(cart_id), state).await?;
    if let Some(step) = review.missing_step() {
        return Ok(Err(NotRun::NotReady(format!("The checkout needs the {step} step first."))));
    }
    if !review.cart.unavailable.is_empty() {
        return Ok(Err(NotRun::NotReady(
            "Some items are no longer sold; remove them from your cart first.".into(),
        )));
    }
    if let Some(expected) = request.expected_total {
        if expected != review.totals.total.minor() {
            return Ok(Err(NotRun::NotReady(format!(
                "The total changed to {} since you reviewed your order; please check it and pay again.",
                shared::format_money(review.totals.total)
            ))));
        }
    }
    let (Some(email), Some(address), Some(rate)) =
        (review.state.email.clone(), review.state.address.clone(), review.state.shipping_rate.clone())
    else {
        return Ok(Err(NotRun::NotReady("The checkout is missing a step.".into())));
    };

    let products = load_products(catalog, &review.state.lines).await?;
    let items = stock_items(&review.cart, &products);
    let inventory = Inventory::new(env, catalog.caller(env))?;
    // The hold made at the review step, refreshed (or made now, for API clients).
    let reservation = hold_id(cart_id, &review.state);
    let now = now_ms() as u64;
    if let Err(available) = inventory.reserve(&reservation, &items, ttl_ms(env), now).await? {
        return Ok(Ok(Outcome::SoldOut { available }));
    }

    let signer = Signer::from_env(env)?;
    let number = signer.order_number(cart_id, key);
    match test_provider_charge(card) {
        PaymentOutcome::Approved => {}
        PaymentOutcome::Declined => {
            inventory.release(&reservation, &items).await?;
            return Ok(Ok(Outcome::Declined {
                message: "Your card was declined. No money was taken; try another card.".into(),
            }));
        }
        PaymentOutcome::TransientFailure => {
            inventory.release(&reservation, &items).await?;
            return Ok(Err(NotRun::PaymentUnavailable));
        }
    }

    let order = Order {
        token: signer.order_token(&number),
        number: number.clone(),
        email,
        address,
        shipping_rate: rate,
        lines: review
            .cart
            .lines
            .iter()
            .map(|l| OrderLine {
                product: l.product.clone(),
                sku: l.sku.clone(),
                title: l.title.clone(),
                variant_title: l.variant_title.clone(),
                quantity: l.quantity.get(),
                unit_price: l.unit_price,
                line_total: l.line_total,
            })
            .collect(),
        totals: review.totals.clone(),
        status: OrderStatus::Paid,
        created_at_ms: now,
        fulfilled_at_ms: None,
    };
    let stored = Orders::new(env, catalog.caller(env))?.create(order).await?;
    inventory.commit(&reservation, &items, now_ms() as u64).await?;
    crate::order_queue::announce(env, &stored.number, &request.origin).await;
    Ok(Ok(Outcome::Placed {
        number: stored.number,
        token: stored.token,
        total: stored.totals.total.minor(),
        currency: stored.totals.total.currency().code().to_string(),
    }))
}

//! The checkout steps that run inside the cart's object (see [`super::object`]): holding
//! the stock while the shopper pays, and placing the order.
//! The object prices the cart itself from the catalog version the worker's request read
//! (KV documents, no Durable Object), and talks to inventory and orders directly — so a
//! completion is one call from the worker, plus one per inventory shard its lines touch,
//! plus one to store the order.
//!
//! Placing an order, exactly once:
//! 1. the key and the request's fingerprint are recorded (same key + same request later
//!    → the stored outcome is replayed; different request → refused; still running →
//!    wait);
//! 2. the cart is priced and checked (nothing stored if this fails, so it may be fixed
//!    and retried with the same key);
//! 3. with the **test provider**: the card is authorized (a decline releases the hold
//!    and is stored), the stock is sold — all or nothing, counting the hold made at the
//!    payment step as the shopper's own, so a live hold always sells and a lapsed one
//!    sells only if the units are still free — and the order is stored `paid` in its
//!    shard (idempotent by number, which is derived from the cart and the key); its
//!    shard's alarm then announces it on the queue;
//! 4. with **Stripe** (async-first): a PaymentIntent is created for the order's total
//!    without confirming it (no money moves; the cart's object remembers it, so a retry
//!    makes no other), the stock is sold to the order (under its number, so a retry
//!    sells nothing twice), the order is stored `pending_payment` with its
//!    PaymentIntent — before any money moves, so every webhook finds it and can be
//!    checked against it — and then the PaymentIntent is confirmed. Stripe's answer
//!    moves the order to `paid` (then it is announced), leaves it pending while the
//!    shopper authenticates (the webhook settles it), or cancels it and gives its stock
//!    back (a decline). No answer: the PaymentIntent is retrieved and its state decides;
//!    if that is unknown too, the order stays pending and a retry of the same checkout
//!    resumes it — one order, one PaymentIntent, charged at most once;
//! 5. the outcome is stored for replays and the checkout's revision moves on (the next
//!    attempt is a new order); a placed order also empties the cart.
//!
//! The order's number comes from the checkout attempt (`CartState::checkout_key`: the
//! cart's contents and revision), not from the request's key, so a shopper or client
//! who retries with another key after an unanswered payment still resumes one order.
//!
//! Any failure after step 1 forgets the key (every step done is idempotent), so the
//! same key simply retries.

use crate::bindings;
use crate::cart::object::{hold_name, takeover_ms, ObjectContext};
use crate::cart::store::{Begin, Placed};
use crate::catalog::{self, CatalogReader};
use crate::checkout::protocol::{CompleteCommand, Completed, NotRun, Outcome};
use crate::checkout::CompleteError;
use crate::error::{AppError, AppResult};
use crate::inventory::{Inventory, Stock};
use crate::orders::{Orders, PaymentUpdate};
use crate::payments::stripe::{self, Charge, Created};
use crate::payments::Provider;
use crate::signing::Signer;
use crate::timing::{now_ms, today_utc};
use futures_util::future::join;
use shared::locale::format_money_in;
use shared::markets::Language;
use shared::orders::{Order, OrderLine, OrderStatus, PaymentInfo, PaymentProvider};
use shared::payments::{charge_test_card, PaymentChoice, StripeAmount, TestCharge};
use shared::review::Step;
use shared::review::{review_cart, stock_items_of, CartState, Review};
use shared::strings::Text;
use shared::Product;
use std::collections::BTreeMap;
use std::sync::Arc;
use worker::Env;

/// The checkout attempt whose stock was sold to its (pending) order, in the cart's meta.
const SOLD_TO: &str = "sold_to";
/// How long a hold lasts unless `RESERVATION_TTL_SECONDS` says otherwise.
const DEFAULT_TTL_SECONDS: u64 = 900;

fn ttl_ms(env: &Env) -> u64 {
    bindings::number(env, bindings::RESERVATION_TTL_SECONDS)
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_TTL_SECONDS)
        .saturating_mul(1000)
}

/// A cart priced from the catalog, with the product documents it was priced from.
struct Priced {
    review: Review,
    products: Vec<Arc<Product>>,
    /// The edition's language (what amounts in messages are written in).
    language: Language,
}

async fn price(cx: &ObjectContext<'_>, version: &str, edition: &str, state: CartState) -> AppResult<Priced> {
    let catalog = CatalogReader::at_version(cx.env, cx.caller.timing(), version).await?;
    if !catalog.has_edition(edition).await? {
        return Err(AppError::Conflict(Text::new(
            "The shop no longer sells in this country and language; choose another from the list at the foot of the page.",
        )));
    }
    let catalog = catalog.in_edition(edition);
    let (site, settings) = join(catalog.site(), catalog.settings()).await;
    let products = catalog::load_products(&catalog, &state.lines).await?;
    let review =
        review_cart(state, &products, settings?, site?.store.currency, &BTreeMap::new(), &today_utc())
            .map_err(|e| AppError::internal("pricing a cart", e))?;
    Ok(Priced { review, products, language: catalog.language().await })
}

/// Holds the stock of a cart that is ready to pay, for `RESERVATION_TTL_SECONDS`
/// from the first time it is granted; a cart not ready, or short of stock, holds
/// nothing. Reads never renew a hold: once a checkout revision's hold lapsed, that
/// revision holds nothing more (paying still sells the units if they are free), so a
/// client that keeps polling cannot keep stock from other shoppers. Nor can one client
/// fill many carts: `holder` (the client's rate-limit key) holds at most
/// `inventory::object::MAX_UNITS_HELD_PER_CLIENT` units of a SKU over all its carts.
pub async fn hold(cx: &ObjectContext<'_>, version: &str, edition: &str, holder: &str) -> AppResult<bool> {
    if cx.store.completing(now_ms() as u64, takeover_ms(cx.env))? {
        return Ok(false);
    }
    let state = cx.store.state()?;
    if state.lines.is_empty() {
        return Ok(false);
    }
    // This very checkout already sold its stock to its order (a payment whose answer
    // was lost): nothing more to hold, and holding again would keep units from others.
    if cx.store.meta::<String>(SOLD_TO)?.is_some_and(|key| key == state.checkout_key().as_str()) {
        return Ok(true);
    }
    // This revision's hold lapsed: reads do not renew it (see `hold`).
    if cx.store.held_until()?.is_some_and(|until| until <= now_ms() as u64) {
        return Ok(false);
    }
    let priced = price(cx, version, edition, state).await?;
    if !priced.review.ready_to_pay() {
        return Ok(false);
    }
    // Other commands may have run while the catalog was read: no hold for a checkout
    // that is being (or was just) placed. From here the hold is sent before any commit
    // that could start now, so the stock service never holds a name already sold.
    let seq = priced.review.state.checkout_seq;
    if cx.store.completing(now_ms() as u64, takeover_ms(cx.env))? || cx.store.state()?.checkout_seq != seq {
        return Ok(false);
    }
    let now = now_ms() as u64;
    let expires = match cx.store.held_until()? {
        Some(until) if until <= now => return Ok(false),
        Some(until) => until,
        None => now.saturating_add(ttl_ms(cx.env)),
    };
    let items = stock_items_of(&priced.review.state.lines, &priced.products);
    let name = hold_name(cx.cart, priced.review.state.checkout_seq);
    // The same expiry as the hold's first grant (a changed cart holds its new lines).
    let ttl = expires.saturating_sub(now).max(1);
    match Inventory::new(cx.env, cx.caller)?.reserve(&name, Some(holder), &items, ttl).await? {
        Stock::Granted(available) => {
            cx.remember(&available);
            cx.store.set_held_until(Some(expires))?;
            Ok(true)
        }
        Stock::Short(available) => {
            cx.remember(&available);
            Ok(false)
        }
        Stock::Capped(available) => {
            worker::console_warn!("cart {}: no hold, its client {holder} holds as much as one may", cx.cart);
            cx.remember(&available);
            Ok(false)
        }
    }
}

/// Places the order of the cart, exactly once per idempotency key (see the module).
pub async fn complete(cx: &ObjectContext<'_>, command: &CompleteCommand) -> AppResult<Completed> {
    let not_run = |reason| Completed::NotRun { reason };
    let state = match cx.store.begin(
        command.key.as_str(),
        &command.fingerprint,
        now_ms() as u64,
        takeover_ms(cx.env),
    )? {
        Begin::Proceed(state) => state,
        Begin::Replay(stored) => {
            return match serde_json::from_value::<Outcome>(stored) {
                Ok(outcome) => Ok(Completed::Outcome { outcome }),
                Err(e) => Err(AppError::internal("decoding a stored outcome", e)),
            }
        }
        Begin::InFlight => return Ok(not_run(NotRun::InFlight)),
        Begin::KeyReused => return Ok(not_run(NotRun::KeyReused)),
        Begin::CartBusy => return Ok(not_run(NotRun::CartBusy)),
    };
    let result = place(cx, command, state).await;
    // An outcome is stored for replays; anything else forgets the key (nothing happened
    // under it, or every step already done is idempotent), so the same key may retry.
    match &result {
        Ok(outcome) => {
            let stored =
                serde_json::to_value(outcome).map_err(|e| AppError::internal("encoding an outcome", e))?;
            let placed = match outcome {
                Outcome::Placed { number, order: Some(order), .. }
                    if order.status == OrderStatus::PendingPayment =>
                {
                    Placed::AwaitingPayment(number)
                }
                Outcome::Placed { .. } => Placed::Paid,
                Outcome::Declined { .. } | Outcome::SoldOut { .. } => Placed::No,
            };
            cx.store.finish(command.key.as_str(), &stored, placed)?;
        }
        Err(_) => cx.store.abort(command.key.as_str())?,
    }
    match result {
        Ok(outcome) => Ok(Completed::Outcome { outcome }),
        Err(CompleteError::NotRun(reason)) => Ok(not_run(reason)),
        Err(CompleteError::Failed(e)) => Err(e),
    }
}

/// Why a priced cart cannot be paid for as it is.
fn not_ready(review: &Review, expected_total: Option<i64>, language: &Language) -> Option<Text> {
    if let Some(step) = review.missing_step() {
        return Some(match step {
            Step::Contact => Text::new("The checkout needs your email address first."),
            Step::Address => Text::new("The checkout needs your shipping address first."),
            Step::Shipping => Text::new("The checkout needs a shipping method first."),
        });
    }
    if !review.cart.unavailable.is_empty() {
        return Some(Text::new("Some items are no longer sold; remove them from your cart first."));
    }
    match expected_total {
        Some(expected) if expected != review.totals.total.minor() => Some(
            Text::new(
                "The total changed to {total} since you reviewed your order; please check it and pay again.",
            )
            .with("total", format_money_in(review.totals.total, language)),
        ),
        _ => None,
    }
}

async fn place(
    cx: &ObjectContext<'_>,
    command: &CompleteCommand,
    state: CartState,
) -> Result<Outcome, CompleteError> {
    if state.lines.is_empty() {
        return Err(NotRun::NotReady { message: Text::new("Your cart is empty.") }.into());
    }
    let provider = Provider::from_env(cx.env)?;
    let priced = price(cx, &command.version, &command.edition, state).await?;
    if let Some(message) = not_ready(&priced.review, command.expected_total, &priced.language) {
        return Err(NotRun::NotReady { message }.into());
    }
    match (provider, &command.payment) {
        (Provider::Test, PaymentChoice::Test { card }) => place_paid(cx, command, card, &priced).await,
        (Provider::Stripe(client), PaymentChoice::Stripe { payment_method }) => {
            place_then_charge(cx, command, payment_method, &priced, &client).await
        }
        // The shop's provider changed since the request was read.
        (Provider::Test, PaymentChoice::Stripe { .. })
        | (Provider::Stripe(_), PaymentChoice::Test { .. }) => {
            let message = Text::new("How this shop takes payments changed: reload the page and pay again.");
            Err(NotRun::Invalid { message }.into())
        }
    }
}

fn placed(order: Order, client_secret: Option<String>) -> Outcome {
    Outcome::Placed {
        number: order.number.clone(),
        token: order.token.clone(),
        total: order.totals.total.minor(),
        currency: order.totals.total.currency().code().to_string(),
        order: Some(Box::new(order)),
        client_secret,
    }
}

/// The test provider: authorized, sold and stored paid, in that order.
async fn place_paid(
    cx: &ObjectContext<'_>,
    command: &CompleteCommand,
    card: &str,
    priced: &Priced,
) -> Result<Outcome, CompleteError> {
    let review = &priced.review;
    let items = stock_items_of(&review.state.lines, &priced.products);
    let hold = hold_name(cx.cart, review.state.checkout_seq);
    let inventory = Inventory::new(cx.env, cx.caller)?;
    match charge_test_card(card) {
        TestCharge::Approved => {}
        TestCharge::Declined => {
            release_hold(cx, &inventory, &hold, &items).await?;
            return Ok(Outcome::Declined { message: shared::payments::test_declined() });
        }
        TestCharge::Unavailable => {
            release_hold(cx, &inventory, &hold, &items).await?;
            return Err(NotRun::PaymentUnavailable.into());
        }
    }
    if let Stock::Short(available) = inventory.commit(&hold, None, &items).await? {
        cx.remember(&available);
        return Ok(Outcome::SoldOut { available });
    }
    let mut order = order_of(cx, review, &command.edition)?;
    order.payment.paid_at_ms = Some(order.created_at_ms);
    // Sold under the hold's name: what a refund that restocks gives back.
    order.payment.stock_commit = Some(hold);
    order.payment.stock = items;
    let stored = Orders::new(cx.env, cx.caller)?.create(order, &command.origin, None).await?;
    Ok(placed(stored, None))
}

/// Stripe: a PaymentIntent made for the order (no money moves), the stock sold to the
/// order, the order stored pending with its PaymentIntent, then the PaymentIntent
/// confirmed (see the module). Every retry of the same checkout attempt resumes the
/// same order and the same PaymentIntent, which can be charged only once.
async fn place_then_charge(
    cx: &ObjectContext<'_>,
    command: &CompleteCommand,
    method: &str,
    priced: &Priced,
    client: &stripe::Client,
) -> Result<Outcome, CompleteError> {
    let review = &priced.review;
    let amount = match StripeAmount::from_money(review.totals.total) {
        Ok(amount) => amount,
        Err(e) => {
            let message = Text::from(format!("This order cannot be paid by card: {e}."));
            return Err(NotRun::NotReady { message }.into());
        }
    };
    let items = stock_items_of(&review.state.lines, &priced.products);
    let mut order = order_of(cx, review, &command.edition)?;
    let number = order.number.clone();
    // The PaymentIntent this attempt made before, or a new one. Creating one charges
    // nothing, so a lost answer is retried under a new key (at worst an unconfirmed
    // PaymentIntent is left behind, which never takes money).
    let intent_meta = format!("intent:{number}");
    let intent = match cx.store.meta::<String>(&intent_meta)? {
        Some(intent) => intent,
        None => {
            match client.create_intent(&stripe::attempt_key(&number, "intent")?, amount, &number).await? {
                Created::Intent(intent) => {
                    cx.store.set_meta(&intent_meta, Some(&intent))?;
                    intent
                }
                Created::Unknown(why) => {
                    worker::console_warn!("order {number}: no PaymentIntent yet ({why})");
                    return Err(NotRun::PaymentUnavailable.into());
                }
                Created::Misconfigured(why) => {
                    worker::console_error!("order {number}: {why}");
                    return Err(NotRun::PaymentUnavailable.into());
                }
            }
        }
    };
    let hold = hold_name(cx.cart, review.state.checkout_seq);
    if let Stock::Short(available) =
        Inventory::new(cx.env, cx.caller)?.commit(&number, Some(&hold), &items).await?
    {
        cx.remember(&available);
        return Ok(Outcome::SoldOut { available });
    }
    cx.store.set_meta(SOLD_TO, Some(&review.state.checkout_key().to_string()))?;
    order.status = OrderStatus::PendingPayment;
    order.payment = PaymentInfo {
        provider: PaymentProvider::Stripe,
        reference: Some(intent),
        stock_commit: Some(number.clone()),
        stock: items,
        ..PaymentInfo::default()
    };
    let orders = Orders::new(cx.env, cx.caller)?;
    // A retry finds the order as the first attempt (or a webhook since) left it.
    let stored = orders.create(order, &command.origin, Some(cx.cart)).await?;
    match stored.status {
        OrderStatus::PendingPayment => {}
        OrderStatus::Paid | OrderStatus::Fulfilled => return Ok(placed(stored, None)),
        OrderStatus::Cancelled | OrderStatus::Refunded => {
            let message = match &stored.payment.note {
                Some(note) => Text::from(note.as_str()),
                None => Text::new("This payment did not go through."),
            };
            return Ok(Outcome::Declined { message });
        }
    }
    let Some(intent) = stored.payment.reference.clone() else {
        return Err(AppError::Internal(format!("pending order {number} has no PaymentIntent")).into());
    };
    let charge = client.confirm(&stripe::attempt_key(&number, "confirm")?, &intent, method).await?;
    settle_charge(&orders, stored, charge).await
}

/// What Stripe's answer does to the pending order, and what the shopper is told.
async fn settle_charge(orders: &Orders<'_>, stored: Order, charge: Charge) -> Result<Outcome, CompleteError> {
    let number = stored.number.clone();
    let total = stored.totals.total;
    let settled = |order: Option<Order>| order.unwrap_or_else(|| stored.clone());
    Ok(match charge {
        Charge::Succeeded { intent, amount: Some(amount), currency: Some(currency) } => {
            let update = PaymentUpdate::Succeeded { reference: intent, amount, currency };
            let order = settled(orders.payment(&number, None, update).await?.0);
            if order.status.is_paid() {
                placed(order, None)
            } else {
                worker::console_error!(
                    "order {number}: Stripe's success did not pay it (total {}); left {}",
                    total.minor(),
                    order.status.as_str()
                );
                return Err(NotRun::PaymentUnconfirmed.into());
            }
        }
        Charge::Succeeded { intent, .. } => {
            worker::console_error!("order {number}: Stripe's success for {intent} came without its amount");
            return Err(NotRun::PaymentUnconfirmed.into());
        }
        Charge::NeedsAction { intent, client_secret } => {
            let update =
                PaymentUpdate::Attach { reference: intent, client_secret: Some(client_secret.clone()) };
            placed(settled(orders.payment(&number, None, update).await?.0), Some(client_secret))
        }
        Charge::Processing { intent } => {
            let update = PaymentUpdate::Attach { reference: intent, client_secret: None };
            placed(settled(orders.payment(&number, None, update).await?.0), None)
        }
        Charge::Refused(refusal) => {
            let message = refusal.message().to_string();
            // Declined at checkout: the order ends here and the shopper, still in the
            // checkout with the cart as it was, pays again (a new attempt, a new order).
            let update =
                PaymentUpdate::Cancelled { reference: None, note: format!("The payment failed: {message}") };
            orders.payment(&number, None, update).await?;
            Outcome::Declined { message: message.into() }
        }
        Charge::Unknown(why) => {
            worker::console_warn!(
                "order {number}: Stripe's answer is unknown ({why}); a retry resumes the same payment"
            );
            return Err(NotRun::PaymentUnconfirmed.into());
        }
        Charge::Misconfigured(why) => {
            worker::console_error!("order {number}: {why}");
            return Err(NotRun::PaymentUnconfirmed.into());
        }
    })
}

/// Gives back the cart's hold, if one is live.
async fn release_hold(
    cx: &ObjectContext<'_>,
    inventory: &Inventory<'_>,
    hold: &str,
    items: &[shared::review::StockItem],
) -> AppResult<()> {
    if cx.store.held_until()?.is_some_and(|until| until > now_ms() as u64) {
        inventory.release(hold, items).await?;
        cx.store.set_held_until(None)?;
    }
    Ok(())
}

/// The order of a priced cart, numbered after the checkout attempt (`checkout_key`), not
/// after the request's idempotency key: every retry of the same cart contents, with
/// whatever key, is the same order.
fn order_of(cx: &ObjectContext<'_>, review: &Review, edition: &str) -> AppResult<Order> {
    let state = &review.state;
    let (Some(email), Some(address), Some(rate)) = (&state.email, &state.address, &state.shipping_rate)
    else {
        return Err(AppError::Internal("a ready checkout lacks a step".into()));
    };
    let signer = Signer::from_env(cx.env)?;
    let number = signer.order_number(cx.cart, review.state.checkout_key().as_str());
    Ok(Order {
        token: signer.order_token(&number),
        number,
        email: email.clone(),
        address: address.clone(),
        shipping_rate: rate.clone(),
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
        created_at_ms: now_ms() as u64,
        fulfilled_at_ms: None,
        tracking: None,
        notes: Vec::new(),
        edition: edition.to_string(),
        payment: PaymentInfo { provider: PaymentProvider::Test, ..PaymentInfo::default() },
    })
}

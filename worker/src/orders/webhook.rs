//! Stripe's webhooks: `POST /webhooks/stripe` — how a payment event settles an order
//! (in the orders context, which depends on payments and never the other way round).
//! The signature is checked before anything is read from the payload (HMAC-SHA256 of
//! `t.payload` with the endpoint's secret, in constant time, `t` within the tolerance —
//! see `shared::payments`); a refused one is a 400 and a log line.
//! `payment_intent.succeeded`, `payment_intent.payment_failed` (one attempt failed: the
//! order stays payable and its page says why) and `payment_intent.canceled` go to the
//! order's shard with the event id, which applies each event once; other event types,
//! other objects, and signed payloads this shop cannot read are acknowledged (2xx) and
//! ignored, so Stripe does not retry them for days.

use super::{valid_number, Orders, PaymentUpdate};
use crate::bindings;
use crate::durable::Caller;
use crate::error::{AppError, AppResult};
use serde::Deserialize;
use shared::orders::Order;
use shared::payments::{stripe_card_refusal, verify_stripe_webhook, PaymentEvent, DEFAULT_TOLERANCE_SECONDS};
use worker::{console_warn, Env};

/// The largest event payload read (Stripe's are a few KB).
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// An event, read loosely: Stripe sends many types and objects, and a webhook this shop
/// does not act on must still be acknowledged (2xx), or Stripe retries it for days.
#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    id: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    data: Option<EventData>,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// The PaymentIntent an event carries, when it carries one.
#[derive(Deserialize)]
struct IntentObject {
    id: String,
    object: String,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    last_payment_error: Option<crate::payments::stripe::ErrorBody>,
}

#[derive(Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    order_number: Option<String>,
}

/// What became of a webhook.
pub enum Received {
    /// Applied to the order (which may have changed, or not, by the payment rule).
    Applied { event: String, order: Box<Order> },
    /// This event was handled before.
    Duplicate { event: String },
    /// Nothing to do (another event type, or not one of this shop's orders).
    Ignored { event: String, why: &'static str },
}

/// Checks and applies one webhook delivery.
pub async fn receive(
    env: &Env,
    caller: Caller<'_>,
    signature: Option<&str>,
    payload: &[u8],
) -> AppResult<Received> {
    let Some(secret) = bindings::secret(env, bindings::STRIPE_WEBHOOK_SECRET) else {
        worker::console_error!("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set");
        return Err(AppError::Unavailable("Webhooks are not configured here yet.".into()));
    };
    let Some(signature) = signature else {
        console_warn!("Stripe webhook refused: no Stripe-Signature header");
        return Err(AppError::BadRequest("A Stripe webhook needs its Stripe-Signature header.".into()));
    };
    let tolerance = bindings::number(env, bindings::STRIPE_WEBHOOK_TOLERANCE_SECONDS)
        .and_then(|s| i64::try_from(s).ok())
        .unwrap_or(DEFAULT_TOLERANCE_SECONDS);
    let now = (worker::Date::now().as_millis() / 1000) as i64;
    if let Err(e) = verify_stripe_webhook(secret.as_bytes(), signature, payload, now, tolerance) {
        console_warn!("Stripe webhook refused: {e}");
        return Err(AppError::BadRequest(format!("The webhook's signature was refused: {e}.").into()));
    }
    // Signed by Stripe, so acknowledged whatever it holds; only PaymentIntent successes
    // and failures are acted on.
    let Ok(event) = serde_json::from_slice::<Event>(payload) else {
        console_warn!("Stripe webhook ignored: a signed payload that is not an event");
        return Ok(Received::Ignored { event: String::new(), why: "not an event this shop reads" });
    };
    let kind = match event.kind.as_str() {
        "payment_intent.succeeded" => PaymentEvent::Succeeded,
        "payment_intent.payment_failed" => PaymentEvent::AttemptFailed,
        "payment_intent.canceled" => PaymentEvent::Cancelled,
        _ => return Ok(Received::Ignored { event: event.id, why: "not a payment event this shop acts on" }),
    };
    let intent = match event.data.map(|d| serde_json::from_value::<IntentObject>(d.object)) {
        Some(Ok(intent)) if intent.object == "payment_intent" => intent,
        _ => return Ok(Received::Ignored { event: event.id, why: "its object is not a PaymentIntent" }),
    };
    let update = match kind {
        PaymentEvent::Succeeded => {
            let (Some(amount), Some(currency)) = (intent.amount, intent.currency) else {
                console_warn!("Stripe webhook {}: a success without its amount; ignored", event.id);
                return Ok(Received::Ignored { event: event.id, why: "a success without its amount" });
            };
            PaymentUpdate::Succeeded { reference: intent.id, amount, currency }
        }
        PaymentEvent::AttemptFailed => {
            let error = intent.last_payment_error.unwrap_or_default();
            let refusal = stripe_card_refusal(
                error.code.as_deref().unwrap_or(""),
                error.decline_code.as_deref().unwrap_or(""),
            );
            PaymentUpdate::Failed { reference: Some(intent.id), message: refusal.message().to_string() }
        }
        PaymentEvent::Cancelled => PaymentUpdate::Cancelled {
            reference: Some(intent.id),
            note: "The payment was cancelled at Stripe, so the order was cancelled and its stock released."
                .into(),
        },
    };
    let Some(number) = intent.metadata.order_number.filter(|n| valid_number(n)) else {
        return Ok(Received::Ignored { event: event.id, why: "not a payment for one of this shop's orders" });
    };
    let event_id = (!event.id.is_empty()).then_some(event.id.as_str());
    match Orders::new(env, caller)?.payment(&number, event_id, update).await? {
        (_, true) => Ok(Received::Duplicate { event: event.id }),
        (Some(order), false) => Ok(Received::Applied { event: event.id, order: Box::new(order) }),
        (None, false) => Ok(Received::Ignored { event: event.id, why: "no such order" }),
    }
}

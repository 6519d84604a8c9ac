//! The payments context: which provider takes the money (`PAYMENT_PROVIDER`), and what
//! each one does. The built-in **test** provider decides by card number and answers at
//! once, so the order is paid when it is placed. **Stripe** ([`stripe`]) is async-first:
//! the order is stored `pending_payment` (its stock sold to it) before the PaymentIntent
//! is created, the confirmation on the shopper's path moves it to `paid` when Stripe
//! answers at once, and Stripe's webhooks ([`webhook`]) settle everything else —
//! authentication finished later, failures, replies lost to a timeout.
//!
//! The order's payment state lives in its order shard (`orders::object`), which applies
//! every payment event through one rule (`shared::payments::effect_of`) and remembers
//! each event id, so a webhook that arrives early, late, twice or out of order leaves
//! one correct order.

pub mod stripe;

use crate::bindings;
use crate::error::{AppError, AppResult};
use shared::orders::PaymentProvider;
use worker::Env;

/// Stripe's API, unless `STRIPE_API_BASE` points elsewhere (the tests' local stand-in).
const STRIPE_API: &str = "https://api.stripe.com";
/// How long a call to Stripe may take unless `STRIPE_TIMEOUT_MS` says otherwise.
const DEFAULT_STRIPE_TIMEOUT_MS: u64 = 10_000;

/// The configured payment provider.
pub enum Provider {
    Test,
    Stripe(stripe::Client),
}

/// The provider `PAYMENT_PROVIDER` names, or `None` when it names none: then the shop
/// takes no payments at all (fails closed), rather than falling back to the test
/// provider, which approves cards without charging them.
pub fn configured(env: &Env) -> Option<PaymentProvider> {
    bindings::text(env, bindings::PAYMENT_PROVIDER).and_then(|v| PaymentProvider::parse(&v))
}

/// The publishable key the payment page gives Stripe.js (a var, not a secret).
pub fn publishable_key(env: &Env) -> Option<String> {
    bindings::text(env, bindings::STRIPE_PUBLISHABLE_KEY)
        .filter(|k| k.starts_with("pk_"))
        .map(|k| k.to_string())
}

/// The provider `PAYMENT_PROVIDER` names. None named (a shop deployed before the
/// merchant chose one) is a configuration error: logged, and a 503 for the shopper, with
/// nothing charged.
pub fn provider_kind(env: &Env) -> AppResult<PaymentProvider> {
    configured(env).ok_or_else(|| {
        worker::console_error!(
            "payment refused: PAYMENT_PROVIDER is not set to \"stripe\" or \"test\" (see the README, Payments)"
        );
        AppError::Unavailable(
            "Payments are not set up in this shop yet. Nothing was charged; please try again later.".into(),
        )
    })
}

impl Provider {
    /// The provider `PAYMENT_PROVIDER` names ([`provider_kind`]); Stripe without its
    /// secret key is a configuration error too.
    pub fn from_env(env: &Env) -> AppResult<Provider> {
        match provider_kind(env)? {
            PaymentProvider::Test => return Ok(Provider::Test),
            PaymentProvider::Stripe => {}
        }
        let Some(secret_key) = bindings::secret(env, bindings::STRIPE_SECRET_KEY) else {
            worker::console_error!("PAYMENT_PROVIDER is \"stripe\" but STRIPE_SECRET_KEY is not set");
            return Err(AppError::Unavailable(
                "Card payments are not set up yet. Nothing was charged; please try again later.".into(),
            ));
        };
        let base = bindings::base_url(env, bindings::STRIPE_API_BASE, STRIPE_API);
        let timeout_ms = bindings::number(env, bindings::STRIPE_TIMEOUT_MS)
            .filter(|ms| *ms > 0)
            .unwrap_or(DEFAULT_STRIPE_TIMEOUT_MS);
        Ok(Provider::Stripe(stripe::Client { secret_key, base, timeout_ms }))
    }

    /// How long a payment may take, for the deadline of the call that waits for it.
    pub fn patience_ms(&self) -> u64 {
        match self {
            Provider::Test => 0,
            Provider::Stripe(client) => client.timeout_ms,
        }
    }
}

/// Refunds an order's payment in full through its provider (a test-provider order has
/// no money to move). `idempotency_key` makes a repeated refund the same one; answers
/// the provider's refund reference.
pub async fn refund(
    env: &Env,
    order: &shared::orders::Order,
    idempotency_key: &str,
) -> AppResult<Option<String>> {
    match order.payment.provider {
        PaymentProvider::Test => return Ok(None),
        PaymentProvider::Stripe => {}
    }
    let Some(intent) = &order.payment.reference else {
        return Err(AppError::Conflict(
            format!("Order {} has no Stripe payment to refund.", order.number).into(),
        ));
    };
    match Provider::from_env(env)? {
        Provider::Stripe(client) => client.refund(idempotency_key, intent, &order.number).await,
        Provider::Test => Err(AppError::Conflict(
            format!(
                "Order {} was paid through Stripe, which this deployment is not configured for.",
                order.number
            )
            .into(),
        )),
    }
}

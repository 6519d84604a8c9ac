//! Names of the Cloudflare bindings and vars declared in `wrangler.toml`, in one place,
//! and how vars and secrets are read (text, a number, or a switch).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use worker::Env;

/// Workers KV namespace holding the published catalog.
pub const CATALOG: &str = "CATALOG";
/// Durable Object namespace of carts: one `CartObject` per cart id (cart and checkout).
pub const CART: &str = "CART";
/// Durable Object namespace of stock: `InventoryObject`s, sharded by SKU.
pub const INVENTORY: &str = "INVENTORY";
/// Durable Object namespace of orders: `OrderObject`s, sharded by order number.
pub const ORDERS: &str = "ORDERS";
/// Durable Object namespace of the merchant's order list and email outbox: one
/// `OrderIndexObject`, fed by the order shards off the shopper's path.
pub const ORDER_INDEX: &str = "ORDER_INDEX";
/// Durable Object namespace of the shop's metrics: one `MetricsObject`, fed by the
/// isolates' batches off the request path.
pub const METRICS: &str = "METRICS";
/// Durable Object namespace of customer accounts: one `CustomerObject` per email
/// address (named by its key), with its sign-in links, sessions and saved addresses.
pub const CUSTOMERS: &str = "CUSTOMERS";
/// Seconds a cart with lines may be left alone before it counts as abandoned (a var;
/// 14400).
pub const CART_ABANDONED_AFTER_SECONDS: &str = "CART_ABANDONED_AFTER_SECONDS";
/// "off" records no metrics (a var; on by default; the bench measures the cost).
pub const RECORD_METRICS: &str = "RECORD_METRICS";
/// Queue of order events ("order placed", "order cancelled") and emails to send (sign-in
/// links), consumed by this worker.
pub const ORDER_EVENTS: &str = "ORDER_EVENTS";
/// Rate Limiting binding counting writes per client (`[[ratelimits]]`).
pub const WRITE_LIMITER: &str = "WRITE_LIMITER";
/// Rate Limiting binding counting webhook deliveries per sending address.
pub const WEBHOOK_LIMITER: &str = "WEBHOOK_LIMITER";
/// Rate Limiting binding counting attempts to sign in to `/admin` per client.
pub const SIGN_IN_LIMITER: &str = "SIGN_IN_LIMITER";
/// Bearer token of the merchant API, and what signs a merchant in to `/admin` (a secret).
pub const ADMIN_TOKEN: &str = "ADMIN_TOKEN";
/// How long checkout holds stock, in seconds (a var; 900 by default).
pub const RESERVATION_TTL_SECONDS: &str = "RESERVATION_TTL_SECONDS";
/// Milliseconds after which a checkout completion that never finished (its worker died)
/// may be taken over by a retry with the same idempotency key (a var; 60000 by default).
pub const CHECKOUT_TAKEOVER_MS: &str = "CHECKOUT_TAKEOVER_MS";
/// Milliseconds a Durable Object may take before the request answers 503 (a var).
pub const DO_TIMEOUT_MS: &str = "DO_TIMEOUT_MS";
/// Milliseconds a KV read may take before it counts as failed (a var).
pub const KV_TIMEOUT_MS: &str = "KV_TIMEOUT_MS";
/// "off" lets every write through without asking the write limiter (a var; load tests).
pub const RATE_LIMITS: &str = "RATE_LIMITS";
/// "off" turns the full-page cache off (a var; on by default).
pub const PAGE_CACHE: &str = "PAGE_CACHE";
/// "off" drops the one-line JSON log of each request (a var; on by default).
pub const REQUEST_LOG: &str = "REQUEST_LOG";
/// How many full-page-cache hits one log line stands for (a var; 10 by default, `1` logs
/// every hit). Errors, misses, writes and API calls are always logged.
pub const LOG_HITS_EVERY: &str = "LOG_HITS_EVERY";
/// `test` (the built-in provider, by card number) or `stripe` (a var).
pub const PAYMENT_PROVIDER: &str = "PAYMENT_PROVIDER";
/// Stripe's secret API key (`sk_live_…` / `sk_test_…`; a secret).
pub const STRIPE_SECRET_KEY: &str = "STRIPE_SECRET_KEY";
/// The signing secret of the Stripe webhook endpoint (`whsec_…`; a secret).
pub const STRIPE_WEBHOOK_SECRET: &str = "STRIPE_WEBHOOK_SECRET";
/// The publishable key Stripe.js runs with on the payment page (`pk_…`; a var).
pub const STRIPE_PUBLISHABLE_KEY: &str = "STRIPE_PUBLISHABLE_KEY";
/// Where Stripe's API is (a var; `https://api.stripe.com` when unset — tests point it
/// at their local stand-in).
pub const STRIPE_API_BASE: &str = "STRIPE_API_BASE";
/// Milliseconds a call to Stripe may take before its outcome counts as unknown (a var).
pub const STRIPE_TIMEOUT_MS: &str = "STRIPE_TIMEOUT_MS";
/// How far a webhook's signed timestamp may be from now, in seconds (a var; 300).
pub const STRIPE_WEBHOOK_TOLERANCE_SECONDS: &str = "STRIPE_WEBHOOK_TOLERANCE_SECONDS";
/// Seconds an order may wait for its payment before it is cancelled and its stock
/// given back (a var; 3600).
pub const PAYMENT_PENDING_TTL_SECONDS: &str = "PAYMENT_PENDING_TTL_SECONDS";
/// Which channel sends the shop's emails (a var): `resend` (Resend's HTTP API), or
/// `outbox` (none: emails are only kept in the outbox, for local development). Unset:
/// the shop sends no mail and refuses what needs it (sign-in links).
pub const MAIL_PROVIDER: &str = "MAIL_PROVIDER";
/// The mail provider's API key (`re_…` for Resend; a secret).
pub const MAIL_API_KEY: &str = "MAIL_API_KEY";
/// The sender of the shop's emails, `Shop name <address@your-domain>` (a var; the
/// domain must be verified with the provider).
pub const MAIL_FROM: &str = "MAIL_FROM";
/// Where the mail provider's API is (a var; `https://api.resend.com` when unset — tests
/// point it at their local stand-in).
pub const MAIL_API_URL: &str = "MAIL_API_URL";
/// Seconds before an email the provider did not take is tried again (a var; 60).
pub const MAIL_RETRY_SECONDS: &str = "MAIL_RETRY_SECONDS";
/// Milliseconds a call to the mail provider may take before it counts as failed (a var).
pub const MAIL_TIMEOUT_MS: &str = "MAIL_TIMEOUT_MS";
/// "1" enables the routes only tests use (a var; off by default).
pub const ENABLE_TEST_ROUTES: &str = "ENABLE_TEST_ROUTES";

thread_local! {
    /// Vars and secrets as this isolate first read them. They are fixed for its lifetime
    /// (a deploy or a new secret starts new isolates), and each read from `env` crosses
    /// into JavaScript: the requests after the first read them from here.
    static READ: RefCell<HashMap<String, Option<Rc<str>>>> = RefCell::new(HashMap::new());
}

/// A secret's or var's text (a secret set with `wrangler secret put`, or a var — locally
/// `.dev.vars` or `--var`), if it is set.
pub fn text(env: &Env, name: &str) -> Option<Rc<str>> {
    if let Some(known) = READ.with(|read| read.borrow().get(name).cloned()) {
        return known;
    }
    let value: Option<Rc<str>> = env
        .secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .map(Rc::from);
    READ.with(|read| read.borrow_mut().insert(name.to_string(), value.clone()));
    value
}

/// A secret (or var) that is set to something other than blanks.
pub fn secret(env: &Env, name: &str) -> Option<String> {
    text(env, name).filter(|s| !s.trim().is_empty()).map(|s| s.to_string())
}

/// A base URL var without its trailing slash, or `default` when it is unset or empty.
pub fn base_url(env: &Env, name: &str, default: &str) -> String {
    text(env, name)
        .map(|v| v.trim().trim_end_matches('/').to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// A var holding a whole number, if it is set to one.
pub fn number(env: &Env, name: &str) -> Option<u64> {
    text(env, name).and_then(|v| v.trim().parse::<u64>().ok())
}

/// Whether a var is set to exactly `value`.
pub fn is(env: &Env, name: &str, value: &str) -> bool {
    text(env, name).is_some_and(|v| &*v == value)
}

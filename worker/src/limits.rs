//! Rate limits on writes (form posts, API cart, checkout and order calls), per client
//! address, on the platform's Rate Limiting binding (`[[ratelimits]]` `WRITE_LIMITER` in
//! `wrangler.toml`: a number of writes per period, counted per key). It runs in the
//! worker's own location, so a write costs no Durable Object round trip; under
//! `wrangler dev` Miniflare counts the same limit in memory.
//!
//! Over the limit the request is answered `429` with `Retry-After` (the binding's
//! period: it does not say when its window ends). The limiter fails open: if the binding
//! is missing or errs, the write goes ahead and the problem is logged.
//! `RATE_LIMITS = "off"` skips it (load tests send everything from one address). The
//! merchant API is counted too, under its own key per client, and webhook deliveries on
//! their own binding (`WEBHOOK_LIMITER`, sized for a payment provider's bursts), and
//! attempts to sign in to the merchant area on theirs (`SIGN_IN_LIMITER`).

use crate::bindings;
use crate::error::{AppError, AppResult};
use crate::http;
use shared::checkout::Email;
use shared::customers::customer_key;
use worker::{Env, Request};

/// The binding's `period` in `wrangler.toml`, in seconds: how long a refused client waits
/// at most.
pub const PERIOD_SECONDS: u32 = 60;
/// The `WEBHOOK_LIMITER` binding's `period`, in seconds.
pub const WEBHOOK_PERIOD_SECONDS: u32 = 10;
/// The `SIGN_IN_LIMITER` binding's `period`, in seconds.
pub const SIGN_IN_PERIOD_SECONDS: u32 = 60;

/// What a limited request counts against: shoppers' writes, the merchant API (its own
/// count, so a merchant's tools and shoppers do not share one budget, and a guessed
/// token costs a request like any other), or webhook deliveries (counted before any
/// signature is checked, so forged deliveries cannot make the worker compute HMACs at
/// will).
#[derive(Clone, Copy)]
pub enum Scope {
    Write,
    Admin,
    Webhook,
    /// Attempts to sign in to the merchant area (`SIGN_IN_LIMITER`: a few per minute, so
    /// the admin token cannot be guessed at speed).
    SignIn,
    /// Customers asking for sign-in links and using them, per client (on
    /// `SIGN_IN_LIMITER`, under keys of their own).
    CustomerSignIn,
}

impl Scope {
    /// The binding that counts this scope, and the period it was given in `wrangler.toml`.
    fn limiter(self) -> (&'static str, u32) {
        match self {
            Scope::Write | Scope::Admin => (bindings::WRITE_LIMITER, PERIOD_SECONDS),
            Scope::Webhook => (bindings::WEBHOOK_LIMITER, WEBHOOK_PERIOD_SECONDS),
            Scope::SignIn | Scope::CustomerSignIn => (bindings::SIGN_IN_LIMITER, SIGN_IN_PERIOD_SECONDS),
        }
    }
}

/// The key the request's client is counted under (an IPv6 client by its /64, see
/// `shared::limits::client_key`): for rate limits, and for the stock it may hold.
pub fn client(req: &Request) -> String {
    shared::limits::client_key(&http::client_ip(req))
}

/// Counts one write by the request's client; `429` when over the limit.
pub async fn check_write(env: &Env, req: &Request) -> AppResult<()> {
    check(env, req, Scope::Write).await
}

/// Counts one request of `scope` by the request's client (an IPv6 client by its /64,
/// see `shared::limits::client_key`); `429` when over the limit.
pub async fn check(env: &Env, req: &Request, scope: Scope) -> AppResult<()> {
    let client = client(req);
    let key = match scope {
        Scope::Write | Scope::Webhook | Scope::SignIn => client,
        Scope::Admin => format!("admin:{client}"),
        Scope::CustomerSignIn => format!("customer:{client}"),
    };
    count(env, scope, key).await
}

/// Counts a request for a sign-in link: by the client, and by the address it is for
/// (so neither one client nor many can flood one inbox).
pub async fn check_sign_in_link(env: &Env, req: &Request, email: &Email) -> AppResult<()> {
    check(env, req, Scope::CustomerSignIn).await?;
    count(env, Scope::CustomerSignIn, format!("email:{}", customer_key(email))).await
}

/// Counts one request under `key` on `scope`'s binding.
async fn count(env: &Env, scope: Scope, key: String) -> AppResult<()> {
    if bindings::is(env, bindings::RATE_LIMITS, "off") {
        return Ok(());
    }
    let (binding, period) = scope.limiter();
    let outcome = match env.rate_limiter(binding) {
        Ok(limiter) => limiter.limit(key).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(outcome) if !outcome.success => Err(AppError::TooManyRequests(period)),
        Ok(_) => Ok(()),
        Err(e) => {
            worker::console_warn!("rate limiter {binding} unavailable, request allowed: {e}");
            Ok(())
        }
    }
}

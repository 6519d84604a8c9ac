//! Resend's email API over `fetch` (`MAIL_PROVIDER = "resend"`): `POST /emails` with the
//! API key as a bearer token, a JSON body, and an `Idempotency-Key` naming the email, so
//! a retry after a lost answer never sends it twice (Resend keeps keys a day). No SDK:
//! the one call and its error shape, as Resend's API reference describes them.

use crate::bindings;
use serde::Deserialize;
use serde_json::json;
use shared::mail::{Attempt, OutboxEmail};
use wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit};

/// Resend's API, unless `MAIL_API_URL` points elsewhere (the tests' local stand-in).
const RESEND_API: &str = "https://api.resend.com";
/// How long a call may take unless `MAIL_TIMEOUT_MS` says otherwise.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// The name deliveries are recorded under.
pub const NAME: &str = "resend";

pub struct Client {
    api_key: String,
    from: String,
    base: String,
    timeout_ms: u64,
}

#[derive(Deserialize)]
struct Accepted {
    id: String,
}

/// Resend's error body.
#[derive(Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    message: String,
}

impl Client {
    /// The client the vars and secrets describe, or what is missing.
    pub fn from_env(env: &Env) -> Result<Client, String> {
        let api_key = bindings::secret(env, bindings::MAIL_API_KEY)
            .ok_or("MAIL_PROVIDER is \"resend\" but the MAIL_API_KEY secret is not set")?;
        let from = bindings::secret(env, bindings::MAIL_FROM)
            .ok_or("MAIL_PROVIDER is \"resend\" but MAIL_FROM (the sender) is not set")?;
        Ok(Client {
            api_key,
            from,
            base: bindings::base_url(env, bindings::MAIL_API_URL, RESEND_API),
            timeout_ms: bindings::number(env, bindings::MAIL_TIMEOUT_MS)
                .filter(|ms| *ms > 0)
                .unwrap_or(DEFAULT_TIMEOUT_MS),
        })
    }

    fn request(&self, email: &OutboxEmail) -> worker::Result<Request> {
        let headers = Headers::new();
        headers.set("authorization", &format!("Bearer {}", self.api_key))?;
        headers.set("content-type", "application/json")?;
        // Keys are the outbox's (an order number, `sign-in:` and 32 hex digits): far
        // under Resend's 256 characters.
        headers.set("idempotency-key", &format!("storefront/{}", email.key))?;
        let body = json!({
            "from": self.from,
            "to": [email.to],
            "subject": email.subject,
            "text": email.body,
        });
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(JsValue::from_str(&body.to_string())));
        Request::new_with_init(&format!("{}/emails", self.base), &init)
    }

    /// Sends one email. A 429, a 5xx, a 409 (the same key in flight) or no answer is a
    /// failure to retry; a 401/403 too (a key being fixed should not lose mail); any
    /// other refusal (a malformed address, an unverified sender) is final.
    pub async fn send(&self, email: &OutboxEmail) -> Attempt {
        let req = match self.request(email) {
            Ok(req) => req,
            Err(e) => return Attempt::Failed { error: format!("building the request: {e}") },
        };
        let (status, text) = match crate::outbound::send(req, self.timeout_ms, "the mail provider").await {
            Ok(answer) => answer,
            Err(error) => return Attempt::Failed { error },
        };
        let error = || {
            let body: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
            format!("HTTP {status} {} {}", body.name, body.message).trim().to_string()
        };
        match status {
            200..=299 => match serde_json::from_str::<Accepted>(&text) {
                Ok(accepted) => Attempt::Sent { provider: NAME.into(), id: accepted.id },
                Err(e) => Attempt::Failed { error: format!("HTTP {status} without an email id: {e}") },
            },
            401 | 403 | 409 | 429 | 500..=599 => Attempt::Failed { error: error() },
            _ => Attempt::Refused { reason: error() },
        }
    }
}

//! Calls to Durable Objects: a JSON command in, a JSON reply out, with a deadline. An
//! object that does not answer in time, or that the runtime reports overloaded, becomes
//! a 503 with `Retry-After` rather than a shopper left waiting. Each call's time is
//! recorded for `Server-Timing` and the request log.

use crate::bindings;
use crate::error::{AppError, AppResult};
use crate::timing::{now_ms, Timing};
use futures_util::future::{select, Either};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::{Delay, Env, Method, Request, RequestInit, Stub};

/// How long a Durable Object may take to answer, unless `DO_TIMEOUT_MS` says otherwise.
const DEFAULT_TIMEOUT_MS: u64 = 5_000;

/// The deadline and the request's timing, shared by the clients of one request.
#[derive(Clone, Copy)]
pub struct Caller<'t> {
    timeout_ms: u64,
    timing: &'t Timing,
}

impl<'t> Caller<'t> {
    pub fn new(env: &Env, timing: &'t Timing) -> Caller<'t> {
        let timeout_ms = env
            .var(bindings::DO_TIMEOUT_MS)
            .ok()
            .and_then(|v| v.to_string().parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        Caller { timeout_ms, timing }
    }

    /// Sends `command` to `stub` and decodes the reply (`what` names the object in errors).
    pub async fn call<C: Serialize, R: DeserializeOwned>(
        &self,
        stub: &Stub,
        what: &str,
        command: &C,
    ) -> AppResult<R> {
        let body = serde_json::to_string(command).map_err(|e| AppError::internal("encoding a command", e))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(JsValue::from_str(&body)));
        let req = Request::new_with_init("https://object.internal/", &init)?;
        let started = now_ms();
        let fetch = Box::pin(stub.fetch_with_request(req));
        let deadline = Box::pin(Delay::from(Duration::from_millis(self.timeout_ms)));
        let outcome = select(fetch, deadline).await;
        self.timing.add_do(now_ms() - started);
        let mut resp = match outcome {
            Either::Left((Ok(resp), _)) => resp,
            Either::Left((Err(e), _)) => {
                let text = e.to_string();
                return Err(if text.contains("overloaded") || text.contains("too many requests") {
                    AppError::Unavailable(format!(
                        "The {what} is busy right now. Please try again in a moment."
                    ))
                } else {
                    AppError::internal(&format!("calling the {what}"), text)
                });
            }
            Either::Right(_) => {
                return Err(AppError::Unavailable(format!(
                    "The {what} did not answer in time. Please try again in a moment."
                )))
            }
        };
        if resp.status_code() != 200 {
            return Err(AppError::Internal(format!("the {what} answered {}", resp.status_code())));
        }
        resp.json().await.map_err(|e| AppError::internal(&format!("decoding the {what}'s reply"), e))
    }
}

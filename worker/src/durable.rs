//! Calls to Durable Objects: a JSON command in, a JSON reply out, with a deadline. An
//! object that does not answer in time, or that the runtime reports overloaded, becomes
//! a 503 with `Retry-After` rather than a shopper left waiting.
//!
//! Every call is counted in the request's [`Timing`], and so are the calls an object
//! makes while answering (a cart asking inventory): objects report those in the
//! [`NESTED_CALLS`] header of their reply. The request log's `do_calls` is therefore
//! every Durable Object round trip one request caused, which is what the round-trip
//! budgets in the README count.

use crate::bindings;
use crate::error::{AppError, AppResult};
use crate::timing::{now_ms, Timing};
use futures_util::future::{select, Either};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::{Delay, Env, Method, Request, RequestInit, Response, Stub};

/// How long a Durable Object may take to answer, unless `DO_TIMEOUT_MS` says otherwise.
const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// Reply header: how many Durable Object calls the object made while answering.
pub const NESTED_CALLS: &str = "x-do-calls";

/// The deadline and the request's timing, shared by the clients of one request.
#[derive(Clone, Copy)]
pub struct Caller<'t> {
    timeout_ms: u64,
    timing: &'t Timing,
}

impl<'t> Caller<'t> {
    pub fn new(env: &Env, timing: &'t Timing) -> Caller<'t> {
        let timeout_ms =
            bindings::number(env, bindings::DO_TIMEOUT_MS).filter(|ms| *ms > 0).unwrap_or(DEFAULT_TIMEOUT_MS);
        Caller { timeout_ms, timing }
    }

    /// The same caller, waiting `extra_ms` longer (for a call that waits on a payment).
    pub fn patient(mut self, extra_ms: u64) -> Caller<'t> {
        self.timeout_ms = self.timeout_ms.saturating_add(extra_ms);
        self
    }

    pub fn timing(&self) -> &'t Timing {
        self.timing
    }

    /// Sends `command` to `stub` and decodes the reply (`what` names the object in errors).
    pub async fn call<C: Serialize, R: DeserializeOwned>(
        &self,
        stub: &Stub,
        what: &str,
        command: &C,
    ) -> AppResult<R> {
        self.call_at(stub, what, "/", command).await
    }

    /// The same, at `path` in the object (an object serving several protocols).
    pub async fn call_at<C: Serialize, R: DeserializeOwned>(
        &self,
        stub: &Stub,
        what: &str,
        path: &str,
        command: &C,
    ) -> AppResult<R> {
        let mut resp = self.send(stub, what, path, command).await?;
        if resp.status_code() != 200 {
            return Err(AppError::Internal(format!("the {what} answered {}", resp.status_code())));
        }
        let nested = resp.headers().get(NESTED_CALLS).ok().flatten().and_then(|n| n.parse::<u32>().ok());
        self.timing.add_nested_do(nested.unwrap_or(0));
        // As text, then serde_json: through JavaScript's JSON a 64-bit amount would lose digits.
        let text =
            resp.text().await.map_err(|e| AppError::internal(&format!("reading the {what}'s reply"), e))?;
        serde_json::from_str(&text)
            .map_err(|e| AppError::internal(&format!("decoding the {what}'s reply"), e))
    }

    async fn send<C: Serialize>(
        &self,
        stub: &Stub,
        what: &str,
        path: &str,
        command: &C,
    ) -> AppResult<Response> {
        let req = command_request(path, command)?;
        let started = now_ms();
        let fetch = Box::pin(stub.fetch_with_request(req));
        let deadline = Box::pin(Delay::from(Duration::from_millis(self.timeout_ms)));
        let outcome = select(fetch, deadline).await;
        self.timing.add_do(now_ms() - started);
        match outcome {
            Either::Left((Ok(resp), _)) => Ok(resp),
            Either::Left((Err(e), _)) => {
                let text = e.to_string();
                Err(if text.contains("overloaded") || text.contains("too many requests") {
                    AppError::Unavailable(
                        format!("The {what} is busy right now. Please try again in a moment.").into(),
                    )
                } else {
                    AppError::internal(&format!("calling the {what}"), text)
                })
            }
            Either::Right(_) => Err(AppError::Unavailable(
                format!("The {what} did not answer in time. Please try again in a moment.").into(),
            )),
        }
    }
}

/// The request carrying `command` to `path` in an object.
pub fn command_request<C: Serialize>(path: &str, command: &C) -> AppResult<Request> {
    let body = serde_json::to_string(command).map_err(|e| AppError::internal("encoding a command", e))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(JsValue::from_str(&body)));
    Ok(Request::new_with_init(&format!("https://object.internal{path}"), &init)?)
}

/// The stub of the object named `name` in the namespace `binding`.
pub fn stub(env: &Env, binding: &str, name: &str) -> AppResult<Stub> {
    Ok(env.durable_object(binding)?.id_from_name(name)?.get_stub()?)
}

/// Reads an object's command. A malformed one is answered 400 (the worker never sends
/// one; this guards the object against anything else): `Ok(Err(response))`.
pub async fn read_command<C: DeserializeOwned>(
    req: &mut Request,
    what: &str,
) -> worker::Result<Result<C, Response>> {
    if req.method() != Method::Post {
        return Ok(Err(Response::error(format!("{what} objects take POSTed commands"), 405)?));
    }
    // As text, then serde_json: through JavaScript's JSON a 64-bit amount would lose digits.
    let text = req.text().await?;
    match serde_json::from_str(&text) {
        Ok(command) => Ok(Ok(command)),
        Err(e) => Ok(Err(Response::error(format!("bad {what} command: {e}"), 400)?)),
    }
}

/// An object's reply: `value` as JSON, with the Durable Object calls the object made
/// while answering (objects that call no other object reply with `Response::from_json`).
pub fn reply<T: Serialize>(value: &T, nested_calls: u32) -> worker::Result<Response> {
    let resp = Response::from_json(value)?;
    resp.headers().set(NESTED_CALLS, &nested_calls.to_string())?;
    Ok(resp)
}

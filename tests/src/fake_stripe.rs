//! A local fake of the slice of Stripe's HTTP API the worker uses: PaymentIntents
//! (create with confirm, retrieve, cancel) and refunds, with Stripe's idempotency
//! semantics, its error shapes, its test payment methods (`pm_card_visa`,
//! `pm_card_chargeDeclined`, `pm_card_authenticationRequired`, ...) and faults to inject
//! (a reply held back past the client's timeout, a 500).
//!
//! [`FakeStripe::start`] binds `127.0.0.1:0` and serves HTTP/1.1 (keep-alive,
//! `Content-Length` and chunked bodies) on background threads; point the worker's Stripe
//! base URL at [`FakeStripe::base_url`]. Webhooks are not sent by the fake: a test builds
//! one with [`event_payload`] and signs it with [`sign_webhook`].

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use shared::ids::hex;

/// The API version the fake claims (answered in `Stripe-Version` unless the client
/// asked for another).
pub const API_VERSION: &str = "2024-06-20";

/// Largest request head (request line and headers) the fake reads.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body the fake reads.
const MAX_BODY: usize = 1024 * 1024;
/// Most header lines in one request.
const MAX_HEADERS: usize = 128;
/// How long a kept-alive connection may sit idle before the fake closes it.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// A running fake Stripe. Not `Clone`: dropping it stops the accept loop (connections
/// already open finish their current exchange). Share it behind an `Arc` if needed.
pub struct FakeStripe {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

/// One request the fake received, as it understood it, with the status it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// Request headers in arrival order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The decoded form body (POST), followed by the decoded query string.
    pub params: Vec<(String, String)>,
    pub status: u16,
    /// Whether the answer was an idempotent replay of a stored response.
    pub replayed: bool,
}

impl Recorded {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first value of parameter `name` (e.g. `metadata[order_number]`).
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }
}

impl FakeStripe {
    /// Starts a fake that accepts `Authorization: Bearer {secret_key}`, on a free port
    /// of 127.0.0.1. Panics if it cannot bind (a test cannot go on without it).
    pub fn start(secret_key: &str) -> FakeStripe {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("fake Stripe cannot bind 127.0.0.1:0: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("fake Stripe has no address: {e}"));
        let state = Arc::new(Mutex::new(State::new(secret_key)));
        let stop = Arc::new(AtomicBool::new(false));
        let (loop_state, loop_stop) = (Arc::clone(&state), Arc::clone(&stop));
        thread::Builder::new()
            .name("fake-stripe-accept".into())
            .spawn(move || accept_loop(&listener, &loop_state, &loop_stop))
            .unwrap_or_else(|e| panic!("fake Stripe cannot start its thread: {e}"));
        FakeStripe { addr, state, stop }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in arrival order (malformed HTTP the fake could
    /// not parse is not recorded).
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// How many distinct PaymentIntents have been created (replays create none).
    pub fn intents_created(&self) -> usize {
        self.lock().intents.len()
    }

    /// The current PaymentIntent object `id`.
    /// How many PaymentIntents took money (succeeded), over the fake's life.
    pub fn charges(&self) -> usize {
        self.lock().charges()
    }

    /// The PaymentIntents made for `order_number`, oldest first.
    pub fn intents_for_order(&self, order_number: &str) -> Vec<Value> {
        self.lock()
            .intents
            .iter()
            .filter(|i| intent_order_number(i) == Some(order_number))
            .map(|i| Value::Object(i.clone()))
            .collect()
    }

    pub fn intent(&self, id: &str) -> Option<Value> {
        self.lock().intent(id).cloned().map(Value::Object)
    }

    /// The newest PaymentIntent whose `metadata[order_number]` is `order_number`.
    pub fn intent_for_order(&self, order_number: &str) -> Option<Value> {
        self.lock()
            .intents
            .iter()
            .rev()
            .find(|intent| intent_order_number(intent) == Some(order_number))
            .cloned()
            .map(Value::Object)
    }

    /// The total refunded on PaymentIntent `id` (`None` if there is no such intent).
    pub fn amount_refunded(&self, id: &str) -> Option<u64> {
        let state = self.lock();
        state.intent(id).map(|_| state.refunded.get(id).copied().unwrap_or(0))
    }

    /// Every Refund object created, oldest first.
    pub fn refunds(&self) -> Vec<Value> {
        self.lock().refunds.iter().cloned().map(Value::Object).collect()
    }

    /// The next request whose path starts with `path_prefix` is processed and its
    /// result stored (as Stripe would), then the answer is held back `ms` milliseconds
    /// before being written — a reply lost to the client's timeout.
    pub fn delay_next(&self, path_prefix: &str, ms: u64) {
        self.lock().faults.push(Fault {
            prefix: path_prefix.to_string(),
            kind: FaultKind::Delay(Duration::from_millis(ms)),
        });
    }

    /// The next request whose path starts with `path_prefix` gets 500 `api_error`
    /// without being processed (and nothing stored under its Idempotency-Key).
    pub fn fail_next(&self, path_prefix: &str) {
        self.lock().faults.push(Fault { prefix: path_prefix.to_string(), kind: FaultKind::Fail });
    }

    /// Simulates the shopper finishing (or failing) 3-D Secure on a `requires_action`
    /// intent: status becomes `succeeded` (with a `latest_charge`) or
    /// `requires_payment_method` (with `last_payment_error` code
    /// `payment_intent_authentication_failure`). A success may also follow a failure
    /// (a later attempt on the same intent). Returns the updated object; `None` if there
    /// is no such intent or it cannot finish so.
    pub fn finish_authentication(&self, intent_id: &str, success: bool) -> Option<Value> {
        let mut state = self.lock();
        let charge = state.ids.next("ch_", 24);
        let intent = state.intent_mut(intent_id)?;
        // From `requires_action` (the bank's check), or — for success only — from
        // `requires_payment_method`: a later attempt on the same intent that went through.
        let status = intent.get("status").and_then(Value::as_str);
        let finishable =
            status == Some("requires_action") || (success && status == Some("requires_payment_method"));
        if !finishable {
            return None;
        }
        intent.insert("next_action".into(), Value::Null);
        if success {
            succeed(intent, charge);
        } else {
            let payment_method = intent.get("payment_method").cloned().unwrap_or(Value::Null);
            let mut error = error_object(
                "invalid_request_error",
                Some("payment_intent_authentication_failure"),
                None,
                "The provided PaymentMethod has failed authentication. You can provide \
                 payment_method_data or a new PaymentMethod to attempt to fulfill this \
                 PaymentIntent again.",
            );
            error.insert("payment_method".into(), payment_method_object(&payment_method));
            intent.insert("status".into(), json!("requires_payment_method"));
            intent.insert("payment_method".into(), Value::Null);
            intent.insert("last_payment_error".into(), Value::Object(error));
        }
        Some(Value::Object(intent.clone()))
    }

    /// The shared state; a panic elsewhere while it was held leaves it usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeStripe {
    /// Stops the accept loop: sets the flag, then wakes the blocked `accept`.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Stripe's `Stripe-Signature` header for `payload` signed at `timestamp` (unix seconds)
/// with the endpoint secret: `t={timestamp},v1={hex(HMAC-SHA256(secret, "{timestamp}.{payload}"))}`.
pub fn sign_webhook(secret: &str, timestamp: i64, payload: &str) -> String {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
    let signature = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map(|mut mac| {
            mac.update(format!("{timestamp}.{payload}").as_bytes());
            hex(&mac.finalize().into_bytes())
        })
        .unwrap_or_default();
    format!("t={timestamp},v1={signature}")
}

/// A Stripe Event JSON (`{"id": event_id, "object": "event", "type": kind, "created":
/// <now>, "livemode": false, "api_version": "2024-06-20", "data": {"object": intent}}`,
/// plus Stripe's `pending_webhooks` and `request`) as a string.
pub fn event_payload(event_id: &str, kind: &str, intent: &Value) -> String {
    json!({
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": now(),
        "livemode": false,
        "api_version": API_VERSION,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "data": { "object": intent },
    })
    .to_string()
}

// ---------------------------------------------------------------------------------------
// State and the API itself
// ---------------------------------------------------------------------------------------

/// Everything the fake remembers.
struct State {
    secret_key: String,
    ids: Ids,
    requests: Vec<Recorded>,
    /// PaymentIntents, oldest first.
    intents: Vec<Map<String, Value>>,
    /// Refunded total per PaymentIntent id.
    refunded: HashMap<String, u64>,
    /// Refund objects, oldest first.
    refunds: Vec<Map<String, Value>>,
    /// Stored first responses by Idempotency-Key.
    idempotency: HashMap<String, Stored>,
    /// Faults still to inject, in the order they were asked for.
    faults: Vec<Fault>,
}

/// The first request made with an Idempotency-Key, and what it was answered.
struct Stored {
    path: String,
    /// The parameters, sorted: Stripe compares them, not their order on the wire.
    params: Vec<(String, String)>,
    reply: Reply,
}

/// A fault to inject into the next request whose path starts with `prefix`.
struct Fault {
    prefix: String,
    kind: FaultKind,
}

/// What an injected fault does.
enum FaultKind {
    /// Process and store, then hold the answer back this long.
    Delay(Duration),
    /// Answer 500 `api_error` without processing.
    Fail,
}

/// An API answer as written on the wire (the part an idempotent replay repeats).
#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
    request_id: String,
}

/// What the fake answers one request, and how.
struct Answer {
    reply: Reply,
    replayed: bool,
    delay: Option<Duration>,
}

/// What an endpoint produced.
struct Outcome {
    status: u16,
    body: Value,
    /// Whether an Idempotency-Key stores it. Stripe stores nothing when parameters fail
    /// validation (the endpoint never ran), so the client may retry the key fixed.
    stored: bool,
}

impl Outcome {
    /// 200 with `body`.
    fn ok(body: Map<String, Value>) -> Outcome {
        Outcome { status: 200, body: Value::Object(body), stored: true }
    }

    /// An error the endpoint reached while running (stored under an Idempotency-Key).
    fn failed(status: u16, error: Map<String, Value>) -> Outcome {
        Outcome { status, body: json!({ "error": error }), stored: true }
    }

    /// 400 for parameters that failed validation (nothing stored).
    fn invalid(code: Option<&str>, param: Option<&str>, message: &str) -> Outcome {
        let error = error_object("invalid_request_error", code, param, message);
        Outcome { status: 400, body: json!({ "error": error }), stored: false }
    }

    /// 404 `resource_missing` for `param` naming an unknown `kind` object.
    fn missing(kind: &str, param: &str, id: &str) -> Outcome {
        let error = error_object(
            "invalid_request_error",
            Some("resource_missing"),
            Some(param),
            &format!("No such {kind}: '{id}'"),
        );
        Outcome::failed(404, error)
    }
}

impl State {
    fn new(secret_key: &str) -> State {
        State {
            secret_key: secret_key.to_string(),
            ids: Ids::new(),
            requests: Vec::new(),
            intents: Vec::new(),
            refunded: HashMap::new(),
            refunds: Vec::new(),
            idempotency: HashMap::new(),
            faults: Vec::new(),
        }
    }

    fn intent(&self, id: &str) -> Option<&Map<String, Value>> {
        self.intents.iter().find(|intent| intent.get("id").and_then(Value::as_str) == Some(id))
    }

    fn intent_mut(&mut self, id: &str) -> Option<&mut Map<String, Value>> {
        self.intents.iter_mut().find(|intent| intent.get("id").and_then(Value::as_str) == Some(id))
    }

    /// Answers one parsed HTTP request and records it.
    fn handle(&mut self, request: &HttpRequest) -> Answer {
        let (path, query) = match request.target.split_once('?') {
            Some((path, query)) => (path.to_string(), query),
            None => (request.target.clone(), ""),
        };
        let form = request.method == "POST" && !request.body.is_empty();
        let form_ok = !form || is_form(request.header("content-type"));
        let mut params: Vec<(String, String)> = Vec::new();
        if form && form_ok {
            params.extend(form_urlencoded::parse(&request.body).into_owned());
        }
        params.extend(form_urlencoded::parse(query.as_bytes()).into_owned());

        let answer = self.process(request, &path, &params, form_ok);
        self.requests.push(Recorded {
            method: request.method.clone(),
            path,
            headers: request.headers.clone(),
            params,
            status: answer.reply.status,
            replayed: answer.replayed,
        });
        answer
    }

    /// Authentication, body type, injected faults, idempotency, then the endpoint.
    fn process(
        &mut self,
        request: &HttpRequest,
        path: &str,
        params: &[(String, String)],
        form_ok: bool,
    ) -> Answer {
        let request_id = self.ids.next("req_", 14);
        let answer = |outcome: Outcome, delay: Option<Duration>| Answer {
            reply: Reply {
                status: outcome.status,
                body: outcome.body.to_string(),
                request_id: request_id.clone(),
            },
            replayed: false,
            delay,
        };
        if let Some(message) = self.auth_problem(request.header("authorization")) {
            let error = error_object("invalid_request_error", None, None, &message);
            return answer(Outcome::failed(401, error), None);
        }
        if !form_ok {
            let message = format!(
                "Invalid request: the body must be application/x-www-form-urlencoded, not {}.",
                request.header("content-type").unwrap_or("untyped")
            );
            return answer(Outcome::invalid(None, None, &message), None);
        }
        let mut delay = None;
        if let Some(at) = self.faults.iter().position(|fault| path.starts_with(&fault.prefix)) {
            match self.faults.remove(at).kind {
                FaultKind::Delay(pause) => delay = Some(pause),
                FaultKind::Fail => {
                    let error = error_object(
                        "api_error",
                        None,
                        None,
                        "An unknown error occurred on Stripe's end (injected by the fake).",
                    );
                    return answer(Outcome::failed(500, error), None);
                }
            }
        }

        let key = if request.method == "POST" { request.header("idempotency-key") } else { None };
        let mut sorted = params.to_vec();
        sorted.sort();
        if let Some(key) = key {
            if key.chars().count() > 255 {
                let message = "The Idempotency-Key header must be at most 255 characters long.";
                return answer(Outcome::invalid(None, None, message), delay);
            }
            if let Some(stored) = self.idempotency.get(key) {
                if stored.path == path && stored.params == sorted {
                    return Answer { reply: stored.reply.clone(), replayed: true, delay };
                }
                let message = format!(
                    "Keys for idempotent requests can only be used with the same parameters they \
                     were first used with. Try using a key other than '{key}' if you meant to \
                     execute a different request."
                );
                let error = error_object("idempotency_error", None, None, &message);
                return answer(
                    Outcome { status: 400, body: json!({ "error": error }), stored: false },
                    delay,
                );
            }
        }

        let outcome = self.route(&request.method, path, params);
        let stored = outcome.stored;
        let answer = answer(outcome, delay);
        if let (Some(key), true) = (key, stored) {
            let stored = Stored { path: path.to_string(), params: sorted, reply: answer.reply.clone() };
            self.idempotency.insert(key.to_string(), stored);
        }
        answer
    }

    /// Why `authorization` does not authenticate, in Stripe's words; `None` if it does.
    fn auth_problem(&self, authorization: Option<&str>) -> Option<String> {
        let Some(value) = authorization else {
            return Some(
                "You did not provide an API key. You need to provide your API key in the \
                 Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
                 YOUR_SECRET_KEY')."
                    .to_string(),
            );
        };
        let key = match value.split_once(' ') {
            Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => key.trim(),
            _ => value,
        };
        (key != self.secret_key).then(|| format!("Invalid API Key provided: {}", mask_key(key)))
    }

    /// Dispatches to the endpoint for `method` and `path`.
    fn route(&mut self, method: &str, path: &str, params: &[(String, String)]) -> Outcome {
        let segments: Vec<&str> = path.strip_prefix('/').map(|p| p.split('/').collect()).unwrap_or_default();
        match (method, segments.as_slice()) {
            ("POST", ["v1", "payment_intents"]) => self.create_intent(params),
            ("GET", ["v1", "payment_intents", id]) if !id.is_empty() => self.retrieve_intent(id, params),
            ("POST", ["v1", "payment_intents", id, "cancel"]) if !id.is_empty() => {
                self.cancel_intent(id, params)
            }
            ("POST", ["v1", "payment_intents", id, "confirm"]) if !id.is_empty() => {
                self.confirm_intent(id, params)
            }
            ("POST", ["v1", "refunds"]) => self.create_refund(params),
            ("GET", ["v1", "refunds", id]) if !id.is_empty() => self.retrieve_refund(id, params),
            _ => {
                let message = format!(
                    "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs \
                     or we can help at https://support.stripe.com/."
                );
                Outcome::failed(404, error_object("invalid_request_error", None, None, &message))
            }
        }
    }

    /// `POST /v1/payment_intents`, confirming at once with `confirm=true`.
    fn create_intent(&mut self, params: &[(String, String)]) -> Outcome {
        let known = |name: &str| {
            matches!(
                name,
                "amount"
                    | "currency"
                    | "payment_method"
                    | "confirm"
                    | "description"
                    | "receipt_email"
                    | "return_url"
                    | "capture_method"
                    | "statement_descriptor"
                    | "statement_descriptor_suffix"
                    | "automatic_payment_methods[enabled]"
                    | "automatic_payment_methods[allow_redirects]"
                    | "payment_method_types[]"
            ) || is_bracketed(name, "metadata")
                || is_bracketed(name, "expand")
        };
        if let Some(invalid) = unknown_param(params, known) {
            return invalid;
        }
        let amount = match positive_integer(params, "amount") {
            Ok(Some(amount)) if amount > 99_999_999 => {
                let message = "Amount must be no more than 99999999 (in the currency's minor unit).";
                return Outcome::invalid(Some("amount_too_large"), Some("amount"), message);
            }
            Ok(Some(amount)) => amount,
            Ok(None) => {
                return Outcome::invalid(
                    Some("parameter_missing"),
                    Some("amount"),
                    "Missing required param: amount.",
                )
            }
            Err(invalid) => return invalid,
        };
        let currency = match param(params, "currency") {
            None | Some("") => {
                let message = "Missing required param: currency.";
                return Outcome::invalid(Some("parameter_missing"), Some("currency"), message);
            }
            Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()) => c.to_string(),
            Some(c) => {
                let message =
                    format!("Invalid currency: {c}. Currencies are three lowercase letters (ISO 4217).");
                return Outcome::invalid(Some("parameter_invalid_string"), Some("currency"), &message);
            }
        };
        if let Some(invalid) = amount_refused(amount, &currency) {
            return invalid;
        }
        let types: Vec<Value> = params
            .iter()
            .filter(|(name, _)| name == "payment_method_types[]")
            .map(|(_, value)| json!(value))
            .collect();
        if types.iter().any(|t| t != "card") {
            let message = "The fake Stripe takes only card payments (payment_method_types[]=card).";
            return Outcome::invalid(Some("parameter_invalid_string"), Some("payment_method_types"), message);
        }
        let confirm = match boolean(params, "confirm") {
            Ok(confirm) => confirm.unwrap_or(false),
            Err(invalid) => return invalid,
        };
        let payment_method = match param(params, "payment_method") {
            None | Some("") => None,
            Some(pm) if pm.starts_with("pm_") => Some(pm.to_string()),
            Some(pm) => {
                let message = format!("No such PaymentMethod: '{pm}'");
                return Outcome::invalid(Some("resource_missing"), Some("payment_method"), &message);
            }
        };
        if let Some(capture) = param(params, "capture_method") {
            if !matches!(capture, "automatic" | "automatic_async") {
                let message =
                    format!("The fake Stripe only captures automatically, not capture_method={capture}.");
                return Outcome::invalid(Some("parameter_invalid_string"), Some("capture_method"), &message);
            }
        }
        let automatic = match boolean(params, "automatic_payment_methods[enabled]") {
            Ok(Some(enabled)) => {
                let mut automatic = json!({ "enabled": enabled });
                match param(params, "automatic_payment_methods[allow_redirects]") {
                    None => {}
                    Some(allow @ ("always" | "never")) => automatic["allow_redirects"] = json!(allow),
                    Some(other) => {
                        let message = format!(
                            "Invalid automatic_payment_methods[allow_redirects]: must be one of always \
                             or never, not {other}."
                        );
                        let param = "automatic_payment_methods[allow_redirects]";
                        return Outcome::invalid(Some("parameter_invalid_string"), Some(param), &message);
                    }
                }
                automatic
            }
            Ok(None) => Value::Null,
            Err(invalid) => return invalid,
        };
        let metadata: Map<String, Value> = params
            .iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix("metadata[")?.strip_suffix(']')?;
                (!value.is_empty()).then(|| (key.to_string(), json!(value)))
            })
            .collect();

        let id = self.ids.next("pi_", 24);
        let secret = self.ids.next("", 25);
        let text =
            |name: &str| param(params, name).filter(|v| !v.is_empty()).map_or(Value::Null, |v| json!(v));
        let mut intent = object(json!({
            "id": id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "automatic_payment_methods": automatic,
            "canceled_at": null,
            "cancellation_reason": null,
            "capture_method": param(params, "capture_method").unwrap_or("automatic"),
            "client_secret": format!("{id}_secret_{secret}"),
            "confirmation_method": "automatic",
            "created": now(),
            "currency": currency,
            "customer": null,
            "description": text("description"),
            "last_payment_error": null,
            "latest_charge": null,
            "livemode": false,
            "metadata": metadata,
            "next_action": null,
            "payment_method": payment_method,
            "payment_method_types": if types.is_empty() { json!(["card"]) } else { Value::Array(types) },
            "receipt_email": text("receipt_email"),
            "statement_descriptor": text("statement_descriptor"),
            "statement_descriptor_suffix": text("statement_descriptor_suffix"),
            "status": if payment_method.is_some() { "requires_confirmation" } else { "requires_payment_method" },
        }));
        let outcome = match (confirm, payment_method.as_deref()) {
            (true, Some(pm)) => self.confirm(&mut intent, pm),
            _ => Outcome::ok(intent.clone()),
        };
        self.intents.push(intent);
        outcome
    }

    /// Confirms `intent` with test payment method `pm`, the way Stripe's test cards go.
    fn confirm(&mut self, intent: &mut Map<String, Value>, pm: &str) -> Outcome {
        let decline = match pm {
            "pm_card_chargeDeclined" => ("card_declined", Some("generic_decline"), "Your card was declined."),
            "pm_card_chargeDeclinedInsufficientFunds" => {
                ("card_declined", Some("insufficient_funds"), "Your card has insufficient funds.")
            }
            "pm_card_chargeDeclinedFraudulent" => {
                ("card_declined", Some("fraudulent"), "Your card was declined.")
            }
            "pm_card_chargeDeclinedExpiredCard" => ("expired_card", None, "Your card has expired."),
            "pm_card_chargeDeclinedIncorrectCvc" => {
                ("incorrect_cvc", None, "Your card's security code is incorrect.")
            }
            "pm_card_chargeDeclinedProcessingError" => (
                "processing_error",
                None,
                "An error occurred while processing your card. Try again in a little bit.",
            ),
            "pm_card_authenticationRequired" | "pm_card_threeDSecure2Required" => {
                intent.insert("status".into(), json!("requires_action"));
                intent.insert(
                    "next_action".into(),
                    json!({ "type": "use_stripe_sdk", "use_stripe_sdk": { "type": "three_d_secure_redirect" } }),
                );
                return Outcome::ok(intent.clone());
            }
            _ => {
                succeed(intent, self.ids.next("ch_", 24));
                return Outcome::ok(intent.clone());
            }
        };
        // A decline: Stripe made a (failed) charge, and the PaymentIntent goes back to
        // needing a payment method, which it no longer has.
        let (code, decline_code, message) = decline;
        let charge = self.ids.next("ch_", 24);
        let mut error = error_object("card_error", Some(code), None, message);
        if let Some(decline_code) = decline_code {
            error.insert("decline_code".into(), json!(decline_code));
        }
        error.insert("charge".into(), json!(charge));
        error.insert("payment_method".into(), payment_method_object(&json!(pm)));
        intent.insert("status".into(), json!("requires_payment_method"));
        intent.insert("payment_method".into(), Value::Null);
        intent.insert("latest_charge".into(), json!(charge));
        intent.insert("last_payment_error".into(), Value::Object(error.clone()));
        error.insert("payment_intent".into(), Value::Object(intent.clone()));
        Outcome::failed(402, error)
    }

    /// `POST /v1/payment_intents/{id}/confirm`: confirms with `payment_method`; a
    /// PaymentIntent that succeeded, is processing or was canceled cannot be confirmed
    /// again (400 `payment_intent_unexpected_state`, carrying the PaymentIntent).
    fn confirm_intent(&mut self, id: &str, params: &[(String, String)]) -> Outcome {
        if let Some(invalid) = unknown_param(params, |n| {
            matches!(n, "payment_method" | "return_url") || is_bracketed(n, "expand")
        }) {
            return invalid;
        }
        let Some(mut intent) = self.intent(id).cloned() else {
            return Outcome::missing("payment_intent", "intent", id);
        };
        let status = intent.get("status").and_then(Value::as_str).unwrap_or_default().to_string();
        if !matches!(status.as_str(), "requires_payment_method" | "requires_confirmation" | "requires_action")
        {
            let message = format!(
                "This PaymentIntent's payment_method could not be updated because it has a status of \
                 {status}. You may only update the payment_method of a PaymentIntent with one of the \
                 following statuses: requires_payment_method, requires_confirmation, requires_action."
            );
            let mut error = error_object(
                "invalid_request_error",
                Some("payment_intent_unexpected_state"),
                None,
                &message,
            );
            error.insert("payment_intent".into(), Value::Object(intent));
            return Outcome::failed(400, error);
        }
        let pm = match param(params, "payment_method") {
            Some(pm) if pm.starts_with("pm_") => pm.to_string(),
            Some(pm) => {
                let message = format!("No such PaymentMethod: '{pm}'");
                return Outcome::invalid(Some("resource_missing"), Some("payment_method"), &message);
            }
            None => match intent.get("payment_method").and_then(Value::as_str) {
                Some(pm) => pm.to_string(),
                None => {
                    let message =
                        "You cannot confirm this PaymentIntent because it's missing a payment method.";
                    return Outcome::invalid(Some("payment_intent_unexpected_state"), None, message);
                }
            },
        };
        intent.insert("payment_method".into(), json!(pm));
        intent.insert("last_payment_error".into(), Value::Null);
        let outcome = self.confirm(&mut intent, &pm);
        if let Some(stored) = self.intent_mut(id) {
            *stored = intent;
        }
        outcome
    }

    /// How many PaymentIntents took money.
    fn charges(&self) -> usize {
        self.intents.iter().filter(|i| i.get("status").and_then(Value::as_str) == Some("succeeded")).count()
    }

    /// `GET /v1/payment_intents/{id}`.
    fn retrieve_intent(&self, id: &str, params: &[(String, String)]) -> Outcome {
        if let Some(invalid) = unknown_param(params, |n| n == "client_secret" || is_bracketed(n, "expand")) {
            return invalid;
        }
        match self.intent(id) {
            Some(intent) => Outcome::ok(intent.clone()),
            None => Outcome::missing("payment_intent", "intent", id),
        }
    }

    /// `POST /v1/payment_intents/{id}/cancel`.
    fn cancel_intent(&mut self, id: &str, params: &[(String, String)]) -> Outcome {
        if let Some(invalid) =
            unknown_param(params, |n| n == "cancellation_reason" || is_bracketed(n, "expand"))
        {
            return invalid;
        }
        let reason = param(params, "cancellation_reason").filter(|r| !r.is_empty());
        if let Some(reason) = reason {
            if !matches!(reason, "duplicate" | "fraudulent" | "requested_by_customer" | "abandoned") {
                let message = format!(
                    "Invalid cancellation_reason: must be one of duplicate, fraudulent, \
                     requested_by_customer, or abandoned, not {reason}."
                );
                return Outcome::invalid(
                    Some("parameter_invalid_string"),
                    Some("cancellation_reason"),
                    &message,
                );
            }
        }
        let Some(intent) = self.intent_mut(id) else {
            return Outcome::missing("payment_intent", "intent", id);
        };
        let status = intent.get("status").and_then(Value::as_str).unwrap_or_default().to_string();
        if status == "succeeded" || status == "canceled" {
            let message = format!(
                "You cannot cancel this PaymentIntent because it has a status of {status}. Only a \
                 PaymentIntent with one of the following statuses may be canceled: \
                 requires_payment_method, requires_capture, requires_confirmation, \
                 requires_action, processing."
            );
            let mut error = error_object(
                "invalid_request_error",
                Some("payment_intent_unexpected_state"),
                None,
                &message,
            );
            error.insert("payment_intent".into(), Value::Object(intent.clone()));
            return Outcome::failed(400, error);
        }
        intent.insert("status".into(), json!("canceled"));
        intent.insert("canceled_at".into(), json!(now()));
        intent.insert("cancellation_reason".into(), reason.map_or(Value::Null, |r| json!(r)));
        intent.insert("next_action".into(), Value::Null);
        Outcome::ok(intent.clone())
    }

    /// `POST /v1/refunds` for a `payment_intent` (or its `charge`).
    fn create_refund(&mut self, params: &[(String, String)]) -> Outcome {
        let known = |name: &str| {
            matches!(name, "payment_intent" | "charge" | "amount" | "reason")
                || is_bracketed(name, "metadata")
                || is_bracketed(name, "expand")
        };
        if let Some(invalid) = unknown_param(params, known) {
            return invalid;
        }
        let amount = match positive_integer(params, "amount") {
            Ok(amount) => amount,
            Err(invalid) => return invalid,
        };
        let reason = param(params, "reason").filter(|r| !r.is_empty());
        if let Some(reason) = reason {
            if !matches!(reason, "duplicate" | "fraudulent" | "requested_by_customer") {
                let message = format!(
                    "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer, \
                     not {reason}."
                );
                return Outcome::invalid(Some("parameter_invalid_string"), Some("reason"), &message);
            }
        }
        let by_intent = param(params, "payment_intent").filter(|v| !v.is_empty());
        let by_charge = param(params, "charge").filter(|v| !v.is_empty());
        let intent = match (by_intent, by_charge) {
            (Some(id), _) => match self.intent(id) {
                Some(intent) => intent,
                None => return Outcome::missing("payment_intent", "payment_intent", id),
            },
            (None, Some(charge)) => {
                let charged = self.intents.iter().find(|intent| {
                    intent.get("status").and_then(Value::as_str) == Some("succeeded")
                        && intent.get("latest_charge").and_then(Value::as_str) == Some(charge)
                });
                match charged {
                    Some(intent) => intent,
                    None => return Outcome::missing("charge", "charge", charge),
                }
            }
            (None, None) => {
                let message = "One of the following params should be provided for this request: \
                               payment_intent or charge.";
                return Outcome::invalid(Some("parameter_missing"), Some("payment_intent"), message);
            }
        };
        let intent_id = intent.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        let charge = intent.get("latest_charge").and_then(Value::as_str).unwrap_or_default().to_string();
        let currency = intent.get("currency").cloned().unwrap_or(Value::Null);
        let total = intent.get("amount").and_then(Value::as_u64).unwrap_or(0);
        if intent.get("status").and_then(Value::as_str) != Some("succeeded") {
            let message = "This PaymentIntent does not have a successful charge to refund.";
            let error = error_object(
                "invalid_request_error",
                Some("charge_not_succeeded"),
                Some("payment_intent"),
                message,
            );
            return Outcome::failed(400, error);
        }
        let left = total.saturating_sub(self.refunded.get(&intent_id).copied().unwrap_or(0));
        let amount = amount.unwrap_or(left);
        if left == 0 || amount > left {
            let message = if left == 0 {
                format!("Charge {charge} has already been refunded.")
            } else {
                format!(
                    "Refund amount ({amount}) is greater than unrefunded amount on charge {charge} ({left})."
                )
            };
            let param = if left == 0 { None } else { Some("amount") };
            let error =
                error_object("invalid_request_error", Some("charge_already_refunded"), param, &message);
            return Outcome::failed(400, error);
        }
        let metadata: Map<String, Value> = params
            .iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix("metadata[")?.strip_suffix(']')?;
                (!value.is_empty()).then(|| (key.to_string(), json!(value)))
            })
            .collect();
        let refund = object(json!({
            "id": self.ids.next("re_", 24),
            "object": "refund",
            "amount": amount,
            "charge": charge,
            "created": now(),
            "currency": currency,
            "metadata": metadata,
            "payment_intent": intent_id,
            "reason": reason,
            "status": "succeeded",
        }));
        *self.refunded.entry(intent_id).or_insert(0) += amount;
        self.refunds.push(refund.clone());
        Outcome::ok(refund)
    }

    /// `GET /v1/refunds/{id}`.
    fn retrieve_refund(&self, id: &str, params: &[(String, String)]) -> Outcome {
        if let Some(invalid) = unknown_param(params, |n| is_bracketed(n, "expand")) {
            return invalid;
        }
        match self.refunds.iter().find(|r| r.get("id").and_then(Value::as_str) == Some(id)) {
            Some(refund) => Outcome::ok(refund.clone()),
            None => Outcome::missing("refund", "id", id),
        }
    }
}

/// Marks `intent` paid by `charge`.
/// Stripe's amount rules ("Supported currencies" reference), written here on their own
/// rather than taken from the shop's table, so that a wrong conversion in the shop fails
/// a test: zero-decimal currencies in whole units, ISK in two-decimal form divisible by
/// 100, three-decimal currencies ending in 0, and the stated minimum charges.
fn amount_refused(amount: u64, currency: &str) -> Option<Outcome> {
    const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];
    const UNSUPPORTED: [&str; 6] = ["iqd", "lyd", "clf", "uyw", "irr", "kpw"];
    const MINIMUMS: [(&str, u64, &str); 6] = [
        ("usd", 50, "$0.50"),
        ("eur", 50, "€0.50"),
        ("gbp", 30, "£0.30"),
        ("jpy", 50, "¥50"),
        ("cad", 50, "$0.50"),
        ("huf", 17_500, "175.00 Ft"),
    ];
    if UNSUPPORTED.contains(&currency) {
        let message = format!("Invalid currency: {currency}. Stripe does not support this currency.");
        return Some(Outcome::invalid(Some("parameter_invalid_string"), Some("currency"), &message));
    }
    if currency == "isk" && !amount.is_multiple_of(100) {
        let message = "Invalid amount. Currency ISK has become effectively zero-decimal and charged \
                       amounts must be evenly divisible by 100.";
        return Some(Outcome::invalid(
            Some("invalid_charge_amount_no_decimal_compatible"),
            Some("amount"),
            message,
        ));
    }
    if THREE_DECIMAL.contains(&currency) && !amount.is_multiple_of(10) {
        let message = format!(
            "Invalid amount. Amounts in {} must be rounded to the nearest ten (the last digit must be 0).",
            currency.to_ascii_uppercase()
        );
        return Some(Outcome::invalid(Some("invalid_charge_amount"), Some("amount"), &message));
    }
    if let Some((_, minimum, shown)) = MINIMUMS.iter().find(|(c, _, _)| *c == currency) {
        if amount < *minimum {
            let message = format!("Amount must be at least {shown} {currency}");
            return Some(Outcome::invalid(Some("amount_too_small"), Some("amount"), &message));
        }
    }
    None
}

fn succeed(intent: &mut Map<String, Value>, charge: String) {
    let amount = intent.get("amount").cloned().unwrap_or(Value::Null);
    intent.insert("status".into(), json!("succeeded"));
    intent.insert("amount_received".into(), amount);
    intent.insert("latest_charge".into(), json!(charge));
    intent.insert("last_payment_error".into(), Value::Null);
    intent.insert("next_action".into(), Value::Null);
}

/// The intent's `metadata[order_number]`.
fn intent_order_number(intent: &Map<String, Value>) -> Option<&str> {
    intent.get("metadata")?.get("order_number")?.as_str()
}

/// The (abridged) PaymentMethod object Stripe embeds in a payment error.
fn payment_method_object(id: &Value) -> Value {
    json!({ "id": id, "object": "payment_method", "type": "card" })
}

/// Stripe's error object (the value of `"error"`), with a `doc_url` for a `code`.
fn error_object(kind: &str, code: Option<&str>, param: Option<&str>, message: &str) -> Map<String, Value> {
    let mut error = Map::new();
    error.insert("type".into(), json!(kind));
    if let Some(code) = code {
        error.insert("code".into(), json!(code));
        error.insert(
            "doc_url".into(),
            json!(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-"))),
        );
    }
    if let Some(param) = param {
        error.insert("param".into(), json!(param));
    }
    error.insert("message".into(), json!(message));
    error
}

/// The map inside a JSON object (empty for anything else).
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The first value of `name` in `params`.
fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Whether `name` is `base[...]` (`expand[]` included).
fn is_bracketed(name: &str, base: &str) -> bool {
    name.strip_prefix(base).and_then(|rest| rest.strip_prefix('[')).is_some_and(|rest| rest.ends_with(']'))
}

/// Stripe's 400 `parameter_unknown` for the first parameter `known` rejects.
fn unknown_param(params: &[(String, String)], known: impl Fn(&str) -> bool) -> Option<Outcome> {
    let (name, _) = params.iter().find(|(name, _)| !known(name))?;
    let message = format!("Received unknown parameter: {name}");
    Some(Outcome::invalid(Some("parameter_unknown"), Some(name), &message))
}

/// Parameter `name` as an integer ≥ 1, if given.
fn positive_integer(params: &[(String, String)], name: &str) -> Result<Option<u64>, Outcome> {
    let Some(text) = param(params, name) else { return Ok(None) };
    let digits = text.strip_prefix('-').unwrap_or(text);
    let number = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>().ok()
    } else {
        None
    };
    match number {
        None => Err(Outcome::invalid(
            Some("parameter_invalid_integer"),
            Some(name),
            &format!("Invalid integer: {text}"),
        )),
        Some(n) => match u64::try_from(n) {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => {
                let message = "This value must be greater than or equal to 1.";
                Err(Outcome::invalid(Some("parameter_invalid_integer"), Some(name), message))
            }
        },
    }
}

/// Parameter `name` as a boolean (`true` or `false`), if given.
fn boolean(params: &[(String, String)], name: &str) -> Result<Option<bool>, Outcome> {
    match param(params, name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Outcome::invalid(None, Some(name), &format!("Invalid boolean: {other}"))),
    }
}

/// Whether a `Content-Type` is a form (`application/x-www-form-urlencoded`, any charset).
fn is_form(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// An API key the way Stripe echoes a wrong one: prefix and last four characters.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let prefix = match key.match_indices('_').nth(1) {
        Some((at, _)) if at < 12 => key[..=at].chars().count(),
        _ => 0,
    };
    let tail = chars.len().saturating_sub(prefix).min(4);
    let stars = chars.len() - prefix - tail;
    let mut masked: String = chars[..prefix].iter().collect();
    masked.extend(std::iter::repeat_n('*', stars));
    masked.extend(&chars[chars.len() - tail..]);
    masked
}

/// Seconds since the Unix epoch.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// Lowercase hex of `bytes`.

/// Locks the state; a poisoned lock is still usable (the fake has no invariants a
/// panic mid-update could break badly enough to matter in a test).
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Random-looking object ids: a per-fake random hasher over a counter, in base 62.
struct Ids {
    hasher: RandomState,
    counter: u64,
}

impl Ids {
    fn new() -> Ids {
        Ids { hasher: RandomState::new(), counter: 0 }
    }

    /// `prefix` then `len` alphanumeric characters, different every call.
    fn next(&mut self, prefix: &str, len: usize) -> String {
        const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        self.counter += 1;
        let mut id = String::with_capacity(prefix.len() + len);
        id.push_str(prefix);
        let mut written = 0;
        let mut round = 0u64;
        while written < len {
            let mut bits = self.hasher.hash_one((self.counter, round));
            round += 1;
            // 62^10 < 2^64: ten digits per hash.
            for _ in 0..10.min(len - written) {
                id.push(char::from(ALPHABET[(bits % 62) as usize]));
                bits /= 62;
                written += 1;
            }
        }
        id
    }
}

// ---------------------------------------------------------------------------------------
// HTTP/1.1
// ---------------------------------------------------------------------------------------

/// Accepts connections until `stop` is set, each served on its own thread (so a held
/// back answer does not hold up a retry on another connection).
fn accept_loop(listener: &TcpListener, state: &Arc<Mutex<State>>, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of descriptors or an aborted handshake: let it pass, don't spin.
            thread::sleep(Duration::from_millis(5));
            continue;
        };
        let state = Arc::clone(state);
        // If no thread can be made, the connection is dropped (the client sees a reset).
        let _ = thread::Builder::new().name("fake-stripe-conn".into()).spawn(move || serve(stream, &state));
    }
}

/// A request as read off the wire.
struct HttpRequest {
    method: String,
    /// The request target: path and query (an absolute-form URL is cut to its path).
    target: String,
    http10: bool,
    /// Header names lowercased, values trimmed, in arrival order.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the client wants the connection kept open after the answer.
    fn keep_alive(&self) -> bool {
        let has = |token: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n == "connection")
                .flat_map(|(_, v)| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if self.http10 {
            has("keep-alive")
        } else {
            !has("close")
        }
    }
}

/// Why no request could be read.
enum ReadError {
    /// The client closed, timed out or broke the connection: nothing to answer.
    Closed,
    /// Malformed or oversized: answer this status and message, then close.
    Bad(u16, &'static str),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> ReadError {
        ReadError::Closed
    }
}

/// Serves requests on one connection until either side closes it.
fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let request = match read_request(&mut reader, &mut writer) {
            Ok(request) => request,
            Err(ReadError::Closed) => return,
            Err(ReadError::Bad(status, message)) => {
                let error = error_object("invalid_request_error", None, None, message);
                let body = json!({ "error": error }).to_string();
                let reply = Reply { status, body, request_id: String::from("req_malformed") };
                let _ = write_reply(&mut writer, &reply, &[], false);
                return;
            }
        };
        let keep_alive = request.keep_alive();
        let answer = lock(state).handle(&request);
        if let Some(pause) = answer.delay {
            thread::sleep(pause);
        }
        let version = request.header("stripe-version").unwrap_or(API_VERSION);
        let mut extra = vec![("Stripe-Version", version)];
        if let Some(key) = request.header("idempotency-key").filter(|_| request.method == "POST") {
            extra.push(("Idempotency-Key", key));
        }
        if answer.replayed {
            extra.push(("Idempotent-Replayed", "true"));
        }
        if write_reply(&mut writer, &answer.reply, &extra, keep_alive).is_err() || !keep_alive {
            return;
        }
    }
}

/// Writes `reply` as a JSON response with `extra` headers.
fn write_reply(
    writer: &mut impl Write,
    reply: &Reply,
    extra: &[(&str, &str)],
    keep_alive: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRequest-Id: {}\r\n\
         Access-Control-Allow-Origin: *\r\nCache-Control: no-cache, no-store\r\nConnection: {}\r\n",
        reply.status,
        reason_phrase(reply.status),
        reply.body.len(),
        reply.request_id,
        if keep_alive { "keep-alive" } else { "close" },
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(reply.body.as_bytes());
    writer.write_all(&bytes)?;
    writer.flush()
}

/// The reason phrase for the statuses the fake answers.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        404 => "Not Found",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Reads one line (without its CRLF or LF), using up at most `budget` bytes of it.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<Vec<u8>, ReadError> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX);
    let n = reader.by_ref().take(limit).read_until(b'\n', &mut line)?;
    *budget -= n;
    if line.last() != Some(&b'\n') {
        return Err(if *budget == 0 {
            ReadError::Bad(431, "Request head too large.")
        } else {
            ReadError::Closed
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}

/// Reads one request: head, then its body (`Content-Length` or chunked), answering
/// `Expect: 100-continue` on `writer`.
fn read_request(reader: &mut impl BufRead, writer: &mut impl Write) -> Result<HttpRequest, ReadError> {
    let mut budget = MAX_HEAD;
    let mut line = read_line(reader, &mut budget)?;
    // A client may send a stray CRLF after a body; tolerate a few.
    for _ in 0..4 {
        if !line.is_empty() {
            break;
        }
        line = read_line(reader, &mut budget)?;
    }
    let line = String::from_utf8(line).map_err(|_| ReadError::Bad(400, "The request line is not UTF-8."))?;
    let mut parts = line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if !m.is_empty() && !t.is_empty() => (m, t, v),
        _ => return Err(ReadError::Bad(400, "Malformed request line.")),
    };
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(ReadError::Bad(505, "Only HTTP/1.0 and HTTP/1.1 are spoken here.")),
    };
    let target = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => target,
    };

    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(ReadError::Bad(431, "Too many header fields."));
        }
        let line = String::from_utf8(line).map_err(|_| ReadError::Bad(400, "A header is not UTF-8."))?;
        if line.starts_with([' ', '\t']) {
            return Err(ReadError::Bad(400, "Obsolete header line folding."));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Bad(400, "A header line has no colon."));
        };
        if name.is_empty() || name.contains(|c: char| c.is_whitespace()) {
            return Err(ReadError::Bad(400, "Malformed header name."));
        }
        headers.push((name.to_ascii_lowercase(), value.trim_matches([' ', '\t']).to_string()));
    }
    let mut request = HttpRequest {
        method: method.to_string(),
        target: target.to_string(),
        http10,
        headers,
        body: Vec::new(),
    };

    let continue_expected = request.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
    let send_continue = |writer: &mut dyn Write| -> Result<(), ReadError> {
        if continue_expected && !http10 {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            writer.flush()?;
        }
        Ok(())
    };
    if let Some(coding) = request.header("transfer-encoding") {
        let last = coding.rsplit(',').next().unwrap_or_default().trim();
        if !last.eq_ignore_ascii_case("chunked") {
            return Err(ReadError::Bad(501, "Only chunked transfer-encoding is supported."));
        }
        send_continue(writer)?;
        request.body = read_chunked(reader)?;
    } else {
        let mut lengths =
            request.headers.iter().filter(|(n, _)| n == "content-length").map(|(_, v)| v.as_str());
        if let Some(first) = lengths.next() {
            if lengths.any(|other| other != first) {
                return Err(ReadError::Bad(400, "Conflicting Content-Length headers."));
            }
            if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ReadError::Bad(400, "Malformed Content-Length."));
            }
            let length = first.parse::<usize>().unwrap_or(usize::MAX);
            if length > MAX_BODY {
                return Err(ReadError::Bad(413, "The request body is too large."));
            }
            if length > 0 {
                send_continue(writer)?;
            }
            request.body = vec![0; length];
            reader.read_exact(&mut request.body)?;
        }
    }
    Ok(request)
}

/// Reads a chunked body, then its trailers.
fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let mut budget = 4096;
        let line = read_line(reader, &mut budget)?;
        let line = String::from_utf8(line).map_err(|_| ReadError::Bad(400, "Malformed chunk size."))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ReadError::Bad(400, "Malformed chunk size."));
        }
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| ReadError::Bad(413, "The request body is too large."))?;
        if size == 0 {
            let mut budget = MAX_HEAD;
            while !read_line(reader, &mut budget)?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(ReadError::Bad(413, "The request body is too large."));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        if !read_line(reader, &mut budget)?.is_empty() {
            return Err(ReadError::Bad(400, "A chunk is not followed by CRLF."));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    const SECRET: &str = "sk_test_fake_0123456789abcdef";

    /// What the fake answered, as a client saw it.
    struct Got {
        status: u16,
        headers: Vec<(String, String)>,
        text: String,
        json: Value,
    }

    impl Got {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
        }
    }

    fn read(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Got, ureq::Error> {
        let mut response = response?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let text = response.body_mut().read_to_string()?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Got { status, headers, text, json })
    }

    fn try_post(
        agent: &ureq::Agent,
        fake: &FakeStripe,
        path: &str,
        key: Option<&str>,
        params: &[(&str, &str)],
    ) -> Result<Got, ureq::Error> {
        let mut request = agent
            .post(format!("{}{path}", fake.base_url()))
            .header("Authorization", format!("Bearer {SECRET}"))
            .header("Stripe-Version", API_VERSION);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        read(request.send_form(params.iter().copied()))
    }

    fn post(fake: &FakeStripe, path: &str, key: Option<&str>, params: &[(&str, &str)]) -> Got {
        try_post(&crate::agent(), fake, path, key, params).unwrap()
    }

    fn get(fake: &FakeStripe, path: &str) -> Got {
        let request = crate::agent()
            .get(format!("{}{path}", fake.base_url()))
            .header("Authorization", format!("Bearer {SECRET}"));
        read(request.call()).unwrap()
    }

    /// The parameters the worker sends for an order paid with `pm`.
    fn order(order_number: &'static str, pm: &'static str) -> Vec<(&'static str, &'static str)> {
        vec![
            ("amount", "4200"),
            ("currency", "usd"),
            ("payment_method", pm),
            ("confirm", "true"),
            ("metadata[order_number]", order_number),
            ("description", "Order FL-TEST1-00001"),
            ("receipt_email", "shopper@example.com"),
            ("automatic_payment_methods[enabled]", "true"),
            ("automatic_payment_methods[allow_redirects]", "never"),
        ]
    }

    fn paid_intent(fake: &FakeStripe, order_number: &'static str) -> String {
        let got = post(fake, "/v1/payment_intents", None, &order(order_number, "pm_card_visa"));
        assert_eq!(got.status, 200, "{}", got.text);
        got.json["id"].as_str().unwrap().to_string()
    }

    #[test]
    fn a_visa_payment_succeeds_and_is_recorded() {
        let fake = FakeStripe::start(SECRET);
        let got = post(&fake, "/v1/payment_intents", Some("key-1"), &order("FL-AAAAA-00001", "pm_card_visa"));
        assert_eq!(got.status, 200, "{}", got.text);
        assert_eq!(got.header("content-type"), Some("application/json"));
        assert!(got.header("request-id").is_some_and(|id| id.starts_with("req_")));
        assert_eq!(got.header("idempotent-replayed"), None);
        let intent = &got.json;
        let id = intent["id"].as_str().unwrap();
        assert!(id.starts_with("pi_") && id.len() == 27, "{id}");
        assert_eq!(intent["object"], "payment_intent");
        assert_eq!(intent["status"], "succeeded");
        assert_eq!(intent["amount"], 4200);
        assert_eq!(intent["amount_received"], 4200);
        assert_eq!(intent["currency"], "usd");
        assert_eq!(intent["payment_method"], "pm_card_visa");
        assert_eq!(intent["metadata"]["order_number"], "FL-AAAAA-00001");
        assert_eq!(intent["receipt_email"], "shopper@example.com");
        assert_eq!(intent["livemode"], false);
        assert_eq!(intent["last_payment_error"], Value::Null);
        assert_eq!(intent["next_action"], Value::Null);
        assert_eq!(
            intent["automatic_payment_methods"],
            json!({ "enabled": true, "allow_redirects": "never" })
        );
        assert!(intent["latest_charge"].as_str().unwrap().starts_with("ch_"));
        assert!(intent["client_secret"].as_str().unwrap().starts_with(&format!("{id}_secret_")));
        assert!(intent["created"].as_i64().unwrap() > 1_600_000_000);

        assert_eq!(fake.intents_created(), 1);
        assert_eq!(fake.intent(id).as_ref(), Some(intent));
        assert_eq!(fake.intent_for_order("FL-AAAAA-00001").as_ref(), Some(intent));
        assert_eq!(fake.intent_for_order("FL-NOPE"), None);
        let requests = fake.requests();
        assert_eq!(requests.len(), 1);
        let recorded = &requests[0];
        assert_eq!((recorded.method.as_str(), recorded.path.as_str()), ("POST", "/v1/payment_intents"));
        assert_eq!((recorded.status, recorded.replayed), (200, false));
        assert_eq!(recorded.header("Idempotency-Key"), Some("key-1"));
        assert_eq!(recorded.header("content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(recorded.param("metadata[order_number]"), Some("FL-AAAAA-00001"));
        assert_eq!(recorded.param("amount"), Some("4200"));

        let fetched = get(&fake, &format!("/v1/payment_intents/{id}"));
        assert_eq!((fetched.status, &fetched.json), (200, intent));
    }

    #[test]
    fn the_newest_intent_answers_for_an_order() {
        let fake = FakeStripe::start(SECRET);
        post(&fake, "/v1/payment_intents", None, &order("FL-BBBBB-00001", "pm_card_chargeDeclined"));
        let second = paid_intent(&fake, "FL-BBBBB-00001");
        assert_eq!(fake.intents_created(), 2);
        assert_eq!(fake.intent_for_order("FL-BBBBB-00001").unwrap()["id"], second.as_str());
    }

    #[test]
    fn declines_are_402_card_errors_carrying_the_intent() {
        let cases = [
            ("pm_card_chargeDeclined", "card_declined", Some("generic_decline"), "Your card was declined."),
            (
                "pm_card_chargeDeclinedInsufficientFunds",
                "card_declined",
                Some("insufficient_funds"),
                "Your card has insufficient funds.",
            ),
            (
                "pm_card_chargeDeclinedProcessingError",
                "processing_error",
                None,
                "An error occurred while processing your card. Try again in a little bit.",
            ),
        ];
        let fake = FakeStripe::start(SECRET);
        for (pm, code, decline_code, message) in cases {
            let got = post(&fake, "/v1/payment_intents", Some(pm), &order("FL-CCCCC-00001", pm));
            assert_eq!(got.status, 402, "{}", got.text);
            let error = &got.json["error"];
            assert_eq!(error["type"], "card_error", "{pm}");
            assert_eq!(error["code"], code, "{pm}");
            assert_eq!(error["decline_code"].as_str(), decline_code, "{pm}");
            assert_eq!(error["message"], message, "{pm}");
            let id = error["payment_intent"]["id"].as_str().unwrap();
            let stored = fake.intent(id).unwrap();
            assert_eq!(error["payment_intent"], stored);
            assert_eq!(stored["status"], "requires_payment_method");
            assert_eq!(stored["last_payment_error"]["code"], code);
            assert_eq!(stored["last_payment_error"]["payment_method"]["id"], pm);
            assert_eq!(stored["metadata"]["order_number"], "FL-CCCCC-00001");
            // A decline is a result: the same key replays it.
            let again = post(&fake, "/v1/payment_intents", Some(pm), &order("FL-CCCCC-00001", pm));
            assert_eq!((again.status, again.text.as_str()), (402, got.text.as_str()));
            assert_eq!(again.header("idempotent-replayed"), Some("true"));
        }
        assert_eq!(fake.intents_created(), 3);
    }

    #[test]
    fn amounts_follow_stripes_currency_rules() {
        let fake = FakeStripe::start(SECRET);
        let create = |amount: &'static str, currency: &'static str| {
            let params = [("amount", amount), ("currency", currency), ("payment_method_types[]", "card")];
            post(&fake, "/v1/payment_intents", None, &params)
        };
        assert_eq!(create("500", "jpy").status, 200, "zero-decimal yen");
        assert_eq!(create("49", "jpy").json["error"]["code"], "amount_too_small");
        assert_eq!(create("49", "usd").json["error"]["code"], "amount_too_small");
        assert_eq!(
            create("15050", "isk").json["error"]["code"],
            "invalid_charge_amount_no_decimal_compatible"
        );
        assert_eq!(create("15000", "isk").status, 200);
        assert_eq!(create("5124", "kwd").json["error"]["code"], "invalid_charge_amount");
        assert_eq!(create("5120", "kwd").status, 200);
        assert_eq!(create("1000", "iqd").json["error"]["param"], "currency");
    }

    #[test]
    fn a_created_intent_is_confirmed_once() {
        let fake = FakeStripe::start(SECRET);
        let params = [("amount", "4200"), ("currency", "usd"), ("payment_method_types[]", "card")];
        let created = post(&fake, "/v1/payment_intents", Some("create-1"), &params);
        assert_eq!(created.json["status"], "requires_payment_method", "{}", created.text);
        let id = created.json["id"].as_str().unwrap().to_string();
        let path = format!("/v1/payment_intents/{id}/confirm");
        let declined = post(&fake, &path, Some("c-1"), &[("payment_method", "pm_card_chargeDeclined")]);
        assert_eq!(declined.status, 402);
        let paid = post(&fake, &path, Some("c-2"), &[("payment_method", "pm_card_visa")]);
        assert_eq!(paid.json["status"], "succeeded", "another card after a decline: {}", paid.text);
        let again = post(&fake, &path, Some("c-3"), &[("payment_method", "pm_card_visa")]);
        assert_eq!(again.status, 400);
        assert_eq!(again.json["error"]["code"], "payment_intent_unexpected_state");
        assert_eq!(again.json["error"]["payment_intent"]["status"], "succeeded");
        assert_eq!(fake.charges(), 1, "one charge");
    }

    #[test]
    fn three_d_secure_needs_action_then_succeeds_or_fails() {
        let fake = FakeStripe::start(SECRET);
        let got = post(
            &fake,
            "/v1/payment_intents",
            None,
            &order("FL-DDDDD-00001", "pm_card_authenticationRequired"),
        );
        assert_eq!(got.status, 200, "{}", got.text);
        assert_eq!(got.json["status"], "requires_action");
        assert_eq!(got.json["next_action"]["type"], "use_stripe_sdk");
        assert_eq!(got.json["next_action"]["use_stripe_sdk"]["type"], "three_d_secure_redirect");
        assert_eq!(got.json["latest_charge"], Value::Null);
        let id = got.json["id"].as_str().unwrap();

        let done = fake.finish_authentication(id, true).unwrap();
        assert_eq!(done["status"], "succeeded");
        assert_eq!(done["next_action"], Value::Null);
        assert!(done["latest_charge"].as_str().unwrap().starts_with("ch_"));
        assert_eq!(get(&fake, &format!("/v1/payment_intents/{id}")).json, done);
        assert_eq!(fake.finish_authentication(id, true), None, "only a requires_action intent");

        let got = post(
            &fake,
            "/v1/payment_intents",
            None,
            &order("FL-DDDDD-00002", "pm_card_threeDSecure2Required"),
        );
        assert_eq!(got.json["status"], "requires_action");
        let failed = fake.finish_authentication(got.json["id"].as_str().unwrap(), false).unwrap();
        assert_eq!(failed["status"], "requires_payment_method");
        assert_eq!(failed["last_payment_error"]["code"], "payment_intent_authentication_failure");
        assert_eq!(failed["next_action"], Value::Null);
        assert_eq!(fake.finish_authentication("pi_unknown", true), None);
    }

    #[test]
    fn an_idempotency_key_replays_the_first_answer_and_rejects_other_params() {
        let fake = FakeStripe::start(SECRET);
        let params = order("FL-EEEEE-00001", "pm_card_visa");
        let first = post(&fake, "/v1/payment_intents", Some("order-FL-EEEEE-00001"), &params);
        let second = post(&fake, "/v1/payment_intents", Some("order-FL-EEEEE-00001"), &params);
        assert_eq!(first.status, 200);
        assert_eq!(second.status, 200);
        assert_eq!(second.text, first.text, "replayed byte for byte");
        assert_eq!(second.json["id"], first.json["id"]);
        assert_eq!(second.header("idempotent-replayed"), Some("true"));
        assert_eq!(first.header("idempotent-replayed"), None);
        assert_eq!(fake.intents_created(), 1);

        // The same parameters in another order are the same request.
        let mut shuffled = params.clone();
        shuffled.reverse();
        let third = post(&fake, "/v1/payment_intents", Some("order-FL-EEEEE-00001"), &shuffled);
        assert_eq!((third.status, third.json["id"].clone()), (200, first.json["id"].clone()));

        let mut changed = params.clone();
        changed[0] = ("amount", "4300");
        let other = post(&fake, "/v1/payment_intents", Some("order-FL-EEEEE-00001"), &changed);
        assert_eq!(other.status, 400, "{}", other.text);
        assert_eq!(other.json["error"]["type"], "idempotency_error");
        assert!(other.json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Keys for idempotent requests can only be used with the same parameters"));
        assert_eq!(fake.intents_created(), 1);

        let replays: Vec<bool> = fake.requests().iter().map(|r| r.replayed).collect();
        assert_eq!(replays, [false, true, true, false]);
        // Another key is another request.
        let fresh = post(&fake, "/v1/payment_intents", Some("another"), &params);
        assert_ne!(fresh.json["id"], first.json["id"]);
        assert_eq!(fake.intents_created(), 2);
    }

    #[test]
    fn a_reply_held_back_past_the_timeout_is_replayed_to_the_retry() {
        let fake = FakeStripe::start(SECRET);
        fake.delay_next("/v1/payment_intents", 1500);
        let impatient: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_millis(200)))
            .build()
            .into();
        let params = order("FL-FFFFF-00001", "pm_card_visa");
        let lost = try_post(&impatient, &fake, "/v1/payment_intents", Some("k-delay"), &params);
        assert!(matches!(lost, Err(ureq::Error::Timeout(_))), "{:?}", lost.err());
        assert_eq!(fake.intents_created(), 1, "processed before the answer was held back");

        let started = std::time::Instant::now();
        let retry = post(&fake, "/v1/payment_intents", Some("k-delay"), &params);
        assert!(started.elapsed() < Duration::from_millis(1000), "the retry is not delayed");
        assert_eq!(retry.status, 200, "{}", retry.text);
        assert_eq!(retry.header("idempotent-replayed"), Some("true"));
        assert_eq!(retry.json["status"], "succeeded");
        assert_eq!(fake.intents_created(), 1);
        assert_eq!(fake.intent_for_order("FL-FFFFF-00001").unwrap()["id"], retry.json["id"]);
        let replays: Vec<bool> = fake.requests().iter().map(|r| r.replayed).collect();
        assert_eq!(replays, [false, true]);
    }

    #[test]
    fn an_injected_500_stores_nothing_so_the_retry_runs() {
        let fake = FakeStripe::start(SECRET);
        fake.fail_next("/v1/payment_intents");
        let params = order("FL-GGGGG-00001", "pm_card_visa");
        let failed = post(&fake, "/v1/payment_intents", Some("k-fail"), &params);
        assert_eq!(failed.status, 500);
        assert_eq!(failed.json["error"]["type"], "api_error");
        assert_eq!(fake.intents_created(), 0);
        let retry = post(&fake, "/v1/payment_intents", Some("k-fail"), &params);
        assert_eq!(retry.status, 200, "{}", retry.text);
        assert_eq!(retry.header("idempotent-replayed"), None);
        assert_eq!(fake.intents_created(), 1);

        // A fault waits for a path it matches.
        fake.fail_next("/v1/refunds");
        let id = retry.json["id"].as_str().unwrap().to_string();
        assert_eq!(get(&fake, &format!("/v1/payment_intents/{id}")).status, 200);
        assert_eq!(post(&fake, "/v1/refunds", None, &[("payment_intent", &id)]).status, 500);
        assert_eq!(post(&fake, "/v1/refunds", None, &[("payment_intent", &id)]).status, 200);
        let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [500, 200, 200, 500, 200]);
    }

    #[test]
    fn refunds_count_down_what_is_left() {
        let fake = FakeStripe::start(SECRET);
        let id = paid_intent(&fake, "FL-HHHHH-00001");
        let full = post(&fake, "/v1/refunds", Some("refund-1"), &[("payment_intent", &id)]);
        assert_eq!(full.status, 200, "{}", full.text);
        assert_eq!(full.json["object"], "refund");
        assert!(full.json["id"].as_str().unwrap().starts_with("re_"));
        assert_eq!(full.json["amount"], 4200);
        assert_eq!(full.json["currency"], "usd");
        assert_eq!(full.json["payment_intent"], id.as_str());
        assert_eq!(full.json["status"], "succeeded");
        assert_eq!(full.json["charge"], fake.intent(&id).unwrap()["latest_charge"]);
        assert_eq!(fake.amount_refunded(&id), Some(4200));

        let replay = post(&fake, "/v1/refunds", Some("refund-1"), &[("payment_intent", &id)]);
        assert_eq!((replay.status, replay.text.as_str()), (200, full.text.as_str()));
        let twice = post(&fake, "/v1/refunds", Some("refund-2"), &[("payment_intent", &id)]);
        assert_eq!(twice.status, 400, "{}", twice.text);
        assert_eq!(twice.json["error"]["type"], "invalid_request_error");
        assert_eq!(twice.json["error"]["code"], "charge_already_refunded");
        let charge = full.json["charge"].as_str().unwrap();
        assert_eq!(twice.json["error"]["message"], format!("Charge {charge} has already been refunded."));
        assert_eq!(fake.refunds().len(), 1);
        assert_eq!(get(&fake, &format!("/v1/refunds/{}", full.json["id"].as_str().unwrap())).json, full.json);

        let id = paid_intent(&fake, "FL-HHHHH-00002");
        assert_eq!(
            post(&fake, "/v1/refunds", None, &[("payment_intent", &id), ("amount", "1200")]).status,
            200
        );
        let too_much = post(&fake, "/v1/refunds", None, &[("payment_intent", &id), ("amount", "3001")]);
        assert_eq!(too_much.json["error"]["code"], "charge_already_refunded");
        let rest = post(&fake, "/v1/refunds", None, &[("payment_intent", &id)]);
        assert_eq!(rest.json["amount"], 3000);
        assert_eq!(fake.amount_refunded(&id), Some(4200));

        let pending = post(
            &fake,
            "/v1/payment_intents",
            None,
            &order("FL-HHHHH-00003", "pm_card_authenticationRequired"),
        );
        let pending = pending.json["id"].as_str().unwrap();
        let refused = post(&fake, "/v1/refunds", None, &[("payment_intent", pending)]);
        assert_eq!(refused.status, 400);
        assert_eq!(refused.json["error"]["code"], "charge_not_succeeded");
        assert_eq!(
            refused.json["error"]["message"],
            "This PaymentIntent does not have a successful charge to refund."
        );
        let unknown = post(&fake, "/v1/refunds", None, &[("payment_intent", "pi_nope")]);
        assert_eq!(unknown.status, 404);
        assert_eq!(unknown.json["error"]["code"], "resource_missing");
        assert_eq!(fake.amount_refunded("pi_nope"), None);
    }

    #[test]
    fn only_an_unfinished_intent_can_be_canceled() {
        let fake = FakeStripe::start(SECRET);
        let paid = paid_intent(&fake, "FL-IIIII-00001");
        let refused = post(&fake, &format!("/v1/payment_intents/{paid}/cancel"), Some("c-1"), &[]);
        assert_eq!(refused.status, 400, "{}", refused.text);
        let error = &refused.json["error"];
        assert_eq!(error["type"], "invalid_request_error");
        assert_eq!(error["code"], "payment_intent_unexpected_state");
        assert!(error["message"]
            .as_str()
            .unwrap()
            .starts_with("You cannot cancel this PaymentIntent because it has a status of succeeded."));
        assert_eq!(error["payment_intent"]["id"], paid.as_str());

        let got = post(
            &fake,
            "/v1/payment_intents",
            None,
            &order("FL-IIIII-00002", "pm_card_authenticationRequired"),
        );
        let id = got.json["id"].as_str().unwrap();
        let path = format!("/v1/payment_intents/{id}/cancel");
        let canceled = post(&fake, &path, None, &[("cancellation_reason", "abandoned")]);
        assert_eq!(canceled.status, 200, "{}", canceled.text);
        assert_eq!(canceled.json["status"], "canceled");
        assert_eq!(canceled.json["cancellation_reason"], "abandoned");
        assert!(canceled.json["canceled_at"].as_i64().is_some());
        assert_eq!(fake.intent(id).unwrap()["status"], "canceled");
        let again = post(&fake, &path, None, &[]);
        assert_eq!(again.json["error"]["code"], "payment_intent_unexpected_state");
        let unknown = post(&fake, "/v1/payment_intents/pi_nope/cancel", None, &[]);
        assert_eq!((unknown.status, unknown.json["error"]["code"].as_str()), (404, Some("resource_missing")));
    }

    #[test]
    fn a_wrong_or_missing_key_is_401() {
        let fake = FakeStripe::start(SECRET);
        let url = format!("{}/v1/payment_intents", fake.base_url());
        let wrong = crate::agent()
            .post(&url)
            .header("Authorization", "Bearer sk_test_wrong_key_9876")
            .send_form([("amount", "100"), ("currency", "usd")]);
        let wrong = read(wrong).unwrap();
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.json["error"]["type"], "invalid_request_error");
        let message = wrong.json["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("Invalid API Key provided: sk_test_"), "{message}");
        assert!(message.ends_with("9876") && !message.contains("wrong"), "{message}");
        let missing = read(crate::agent().get(format!("{url}/pi_x")).call()).unwrap();
        assert_eq!(missing.status, 401);
        assert_eq!(fake.intents_created(), 0);
        let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [401, 401]);
    }

    #[test]
    fn bad_parameters_are_400_and_store_nothing_under_the_key() {
        let fake = FakeStripe::start(SECRET);
        let path = "/v1/payment_intents";
        let missing = post(&fake, path, Some("k-bad"), &[("currency", "usd")]);
        assert_eq!(missing.status, 400);
        let error = &missing.json["error"];
        assert_eq!(
            (error["type"].as_str(), error["code"].as_str()),
            (Some("invalid_request_error"), Some("parameter_missing"))
        );
        assert_eq!(error["param"], "amount");
        for bad in ["12.5", "abc", "", "1e3"] {
            let got = post(&fake, path, None, &[("amount", bad), ("currency", "usd")]);
            assert_eq!(
                (got.status, got.json["error"]["code"].as_str()),
                (400, Some("parameter_invalid_integer")),
                "{bad}"
            );
            assert_eq!(got.json["error"]["param"], "amount");
        }
        for bad in ["0", "-5"] {
            let got = post(&fake, path, None, &[("amount", bad), ("currency", "usd")]);
            assert_eq!(got.json["error"]["code"], "parameter_invalid_integer", "{bad}");
        }
        for bad in ["USD", "us", "usdd"] {
            let got = post(&fake, path, None, &[("amount", "100"), ("currency", bad)]);
            assert_eq!((got.status, got.json["error"]["param"].as_str()), (400, Some("currency")), "{bad}");
        }
        let missing_currency = post(&fake, path, None, &[("amount", "100")]);
        assert_eq!(missing_currency.json["error"]["code"], "parameter_missing");
        let unknown = post(&fake, path, None, &[("amount", "100"), ("currency", "usd"), ("colour", "red")]);
        assert_eq!(unknown.json["error"]["code"], "parameter_unknown");
        assert_eq!(unknown.json["error"]["message"], "Received unknown parameter: colour");
        assert_eq!(fake.intents_created(), 0);

        // The failed validation stored nothing: the key works with the fixed request.
        let fixed = post(&fake, path, Some("k-bad"), &[("amount", "100"), ("currency", "usd")]);
        assert_eq!(fixed.status, 200, "{}", fixed.text);
        assert_eq!(fixed.json["status"], "requires_payment_method");
        let unconfirmed = post(
            &fake,
            path,
            None,
            &[("amount", "100"), ("currency", "usd"), ("payment_method", "pm_card_visa")],
        );
        assert_eq!(unconfirmed.json["status"], "requires_confirmation");
    }

    #[test]
    fn unknown_objects_and_urls_are_404() {
        let fake = FakeStripe::start(SECRET);
        let got = get(&fake, "/v1/payment_intents/pi_missing");
        assert_eq!(got.status, 404);
        assert_eq!(
            got.json["error"],
            json!({
                "type": "invalid_request_error",
                "code": "resource_missing",
                "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
                "param": "intent",
                "message": "No such payment_intent: 'pi_missing'",
            })
        );
        let got = get(&fake, "/v1/customers?limit=3");
        assert_eq!(got.status, 404);
        assert!(got.json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Unrecognized request URL (GET: /v1/customers)."));
        assert_eq!(fake.requests()[1].param("limit"), Some("3"));
    }

    #[test]
    fn a_body_that_is_not_a_form_is_400() {
        let fake = FakeStripe::start(SECRET);
        let got = crate::agent()
            .post(format!("{}/v1/payment_intents", fake.base_url()))
            .header("Authorization", format!("Bearer {SECRET}"))
            .header("Content-Type", "application/json")
            .send(r#"{"amount":100,"currency":"usd"}"#);
        let got = read(got).unwrap();
        assert_eq!(got.status, 400);
        assert_eq!(got.json["error"]["type"], "invalid_request_error");
        assert_eq!(fake.intents_created(), 0);
    }

    /// Reads one HTTP response off a raw connection: (status, headers, body).
    fn raw_response(reader: &mut impl BufRead) -> (u16, Vec<(String, String)>, String) {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
        }
        let length: usize = headers.iter().find(|(n, _)| n == "content-length").unwrap().1.parse().unwrap();
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        (status, headers, String::from_utf8(body).unwrap())
    }

    #[test]
    fn chunked_bodies_and_several_requests_on_one_connection() {
        let fake = FakeStripe::start(SECRET);
        let mut stream = TcpStream::connect(fake.base_url().trim_start_matches("http://")).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let form = "amount=1999&currency=eur&payment_method=pm_card_visa&confirm=true&metadata%5Border_number%5D=FL-JJJJJ-00001";
        let (a, b) = form.split_at(20);
        let request = format!(
            "POST /v1/payment_intents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n\
             {:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\n\r\n",
            a.len(),
            b.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let (status, headers, body) = raw_response(&mut reader);
        assert_eq!(status, 200, "{body}");
        assert!(headers.contains(&("connection".into(), "keep-alive".into())));
        let intent: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((intent["amount"].as_u64(), intent["currency"].as_str()), (Some(1999), Some("eur")));
        assert_eq!(intent["metadata"]["order_number"], "FL-JJJJJ-00001");

        let id = intent["id"].as_str().unwrap();
        let request = format!(
            "GET /v1/payment_intents/{id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let (status, headers, body) = raw_response(&mut reader);
        assert_eq!(status, 200);
        assert!(headers.contains(&("connection".into(), "close".into())));
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), intent);
        let mut rest = Vec::new();
        assert_eq!(reader.read_to_end(&mut rest).unwrap(), 0, "closed after Connection: close");
        assert_eq!(fake.requests().len(), 2);
    }

    #[test]
    fn malformed_http_is_answered_400_and_closed() {
        let fake = FakeStripe::start(SECRET);
        let mut stream = TcpStream::connect(fake.base_url().trim_start_matches("http://")).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(b"POST /v1/refunds HTTP/1.1\r\nContent-Length: nope\r\n\r\n").unwrap();
        let mut reader = BufReader::new(stream);
        let (status, _, body) = raw_response(&mut reader);
        assert_eq!(status, 400, "{body}");
        assert!(fake.requests().is_empty());
    }

    #[test]
    fn dropping_the_fake_stops_accepting() {
        let fake = FakeStripe::start(SECRET);
        let addr = fake.addr;
        drop(fake);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(addr).is_ok() {
            assert!(std::time::Instant::now() < deadline, "still accepting on {addr}");
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// HMAC-SHA256 straight from its definition (RFC 2104): H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)).
    fn hmac_by_hand(key: &[u8], message: &[u8]) -> String {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::new().chain_update(&ipad).chain_update(message).finalize();
        hex(&Sha256::new().chain_update(&opad).chain_update(inner).finalize())
    }

    #[test]
    fn the_hand_made_hmac_matches_rfc_4231() {
        assert_eq!(
            hmac_by_hand(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac_by_hand(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn webhook_signatures_are_hmac_sha256_of_timestamp_dot_payload() {
        let payload = r#"{"id":"evt_1","object":"event"}"#;
        // Computed independently (Python's hmac module).
        assert_eq!(
            sign_webhook("whsec_fake_0123456789", 1_700_000_000, payload),
            "t=1700000000,v1=6303cf58c5be062ac61c3ecf634083a4c9963ea1d64474012c1bb40845125ee1"
        );
        let long_secret = "whsec_".to_string() + &"k".repeat(100);
        let event = event_payload("evt_2", "payment_intent.succeeded", &json!({ "id": "pi_1" }));
        let expected = hmac_by_hand(long_secret.as_bytes(), format!("1712345678.{event}").as_bytes());
        assert_eq!(sign_webhook(&long_secret, 1_712_345_678, &event), format!("t=1712345678,v1={expected}"));
        assert_ne!(sign_webhook("whsec_a", 1, payload), sign_webhook("whsec_b", 1, payload));
        assert_ne!(sign_webhook("whsec_a", 1, payload), sign_webhook("whsec_a", 2, payload));
    }

    #[test]
    fn events_wrap_the_intent() {
        let intent = json!({ "id": "pi_1", "object": "payment_intent", "status": "succeeded" });
        let event: Value =
            serde_json::from_str(&event_payload("evt_1", "payment_intent.succeeded", &intent)).unwrap();
        assert_eq!(event["id"], "evt_1");
        assert_eq!(event["object"], "event");
        assert_eq!(event["type"], "payment_intent.succeeded");
        assert_eq!(event["livemode"], false);
        assert_eq!(event["api_version"], "2024-06-20");
        assert!(event["created"].as_i64().unwrap() > 1_600_000_000);
        assert_eq!(event["data"]["object"], intent);
    }

    #[test]
    fn ids_are_distinct_and_shaped_like_stripes() {
        let mut ids = Ids::new();
        let made: std::collections::HashSet<String> = (0..1000).map(|_| ids.next("pi_", 24)).collect();
        assert_eq!(made.len(), 1000);
        assert!(made.iter().all(|id| id.len() == 27 && id[3..].bytes().all(|b| b.is_ascii_alphanumeric())));
        assert_eq!(mask_key("sk_test_abcdefgh1234"), "sk_test_********1234");
        assert_eq!(mask_key("abc"), "abc");
        assert_eq!(mask_key(""), "");
    }
}

//! Stripe's side of the fake: what it remembers (PaymentIntents, refunds, stored
//! idempotent answers, faults to inject) and how each endpoint answers, with Stripe's
//! rules, error shapes and test payment methods. Knows nothing of HTTP framing.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::Recorded;
use crate::stand_in::HttpRequest;

/// Everything the fake remembers.
pub(super) struct State {
    pub(super) secret_key: String,
    pub(super) ids: Ids,
    pub(super) requests: Vec<Recorded>,
    /// PaymentIntents, oldest first.
    pub(super) intents: Vec<Map<String, Value>>,
    /// Refunded total per PaymentIntent id.
    pub(super) refunded: HashMap<String, u64>,
    /// Refund objects, oldest first.
    pub(super) refunds: Vec<Map<String, Value>>,
    /// Stored first responses by Idempotency-Key.
    pub(super) idempotency: HashMap<String, Stored>,
    /// Faults still to inject, in the order they were asked for.
    pub(super) faults: Vec<Fault>,
}

/// The first request made with an Idempotency-Key, and what it was answered.
pub(super) struct Stored {
    pub(super) path: String,
    /// The parameters, sorted: Stripe compares them, not their order on the wire.
    pub(super) params: Vec<(String, String)>,
    pub(super) reply: Reply,
}

/// A fault to inject into the next request whose path starts with `prefix`.
pub(super) struct Fault {
    pub(super) prefix: String,
    pub(super) kind: FaultKind,
}

/// What an injected fault does.
pub(super) enum FaultKind {
    /// Process and store, then hold the answer back this long.
    Delay(Duration),
    /// Answer 500 `api_error` without processing.
    Fail,
}

/// An API answer as written on the wire (the part an idempotent replay repeats).
#[derive(Clone)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: String,
    pub(super) request_id: String,
}

/// What the fake answers one request, and how.
pub(super) struct Answer {
    pub(super) reply: Reply,
    pub(super) replayed: bool,
    pub(super) delay: Option<Duration>,
}

/// What an endpoint produced.
pub(super) struct Outcome {
    pub(super) status: u16,
    pub(super) body: Value,
    /// Whether an Idempotency-Key stores it. Stripe stores nothing when parameters fail
    /// validation (the endpoint never ran), so the client may retry the key fixed.
    pub(super) stored: bool,
}

impl Outcome {
    /// 200 with `body`.
    pub(super) fn ok(body: Map<String, Value>) -> Outcome {
        Outcome { status: 200, body: Value::Object(body), stored: true }
    }

    /// An error the endpoint reached while running (stored under an Idempotency-Key).
    pub(super) fn failed(status: u16, error: Map<String, Value>) -> Outcome {
        Outcome { status, body: json!({ "error": error }), stored: true }
    }

    /// 400 for parameters that failed validation (nothing stored).
    pub(super) fn invalid(code: Option<&str>, param: Option<&str>, message: &str) -> Outcome {
        let error = error_object("invalid_request_error", code, param, message);
        Outcome { status: 400, body: json!({ "error": error }), stored: false }
    }

    /// 404 `resource_missing` for `param` naming an unknown `kind` object.
    pub(super) fn missing(kind: &str, param: &str, id: &str) -> Outcome {
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
    pub(super) fn new(secret_key: &str) -> State {
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

    pub(super) fn intent(&self, id: &str) -> Option<&Map<String, Value>> {
        self.intents.iter().find(|intent| intent.get("id").and_then(Value::as_str) == Some(id))
    }

    pub(super) fn intent_mut(&mut self, id: &str) -> Option<&mut Map<String, Value>> {
        self.intents.iter_mut().find(|intent| intent.get("id").and_then(Value::as_str) == Some(id))
    }

    /// Answers one parsed HTTP request and records it.
    pub(super) fn handle(&mut self, request: &HttpRequest) -> Answer {
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
    pub(super) fn process(
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
    pub(super) fn auth_problem(&self, authorization: Option<&str>) -> Option<String> {
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
    pub(super) fn route(&mut self, method: &str, path: &str, params: &[(String, String)]) -> Outcome {
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
    pub(super) fn create_intent(&mut self, params: &[(String, String)]) -> Outcome {
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
        let metadata = metadata_of(params);

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
    pub(super) fn confirm(&mut self, intent: &mut Map<String, Value>, pm: &str) -> Outcome {
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
    pub(super) fn confirm_intent(&mut self, id: &str, params: &[(String, String)]) -> Outcome {
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
    pub(super) fn charges(&self) -> usize {
        self.intents.iter().filter(|i| i.get("status").and_then(Value::as_str) == Some("succeeded")).count()
    }

    /// `GET /v1/payment_intents/{id}`.
    pub(super) fn retrieve_intent(&self, id: &str, params: &[(String, String)]) -> Outcome {
        if let Some(invalid) = unknown_param(params, |n| n == "client_secret" || is_bracketed(n, "expand")) {
            return invalid;
        }
        match self.intent(id) {
            Some(intent) => Outcome::ok(intent.clone()),
            None => Outcome::missing("payment_intent", "intent", id),
        }
    }

    /// `POST /v1/payment_intents/{id}/cancel`.
    pub(super) fn cancel_intent(&mut self, id: &str, params: &[(String, String)]) -> Outcome {
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
    pub(super) fn create_refund(&mut self, params: &[(String, String)]) -> Outcome {
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
        let metadata = metadata_of(params);
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
    pub(super) fn retrieve_refund(&self, id: &str, params: &[(String, String)]) -> Outcome {
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
pub(super) fn amount_refused(amount: u64, currency: &str) -> Option<Outcome> {
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

pub(super) fn succeed(intent: &mut Map<String, Value>, charge: String) {
    let amount = intent.get("amount").cloned().unwrap_or(Value::Null);
    intent.insert("status".into(), json!("succeeded"));
    intent.insert("amount_received".into(), amount);
    intent.insert("latest_charge".into(), json!(charge));
    intent.insert("last_payment_error".into(), Value::Null);
    intent.insert("next_action".into(), Value::Null);
}

/// The intent's `metadata[order_number]`.
pub(super) fn intent_order_number(intent: &Map<String, Value>) -> Option<&str> {
    intent.get("metadata")?.get("order_number")?.as_str()
}

/// The (abridged) PaymentMethod object Stripe embeds in a payment error.
pub(super) fn payment_method_object(id: &Value) -> Value {
    json!({ "id": id, "object": "payment_method", "type": "card" })
}

/// Stripe's error object (the value of `"error"`), with a `doc_url` for a `code`.
pub(super) fn error_object(
    kind: &str,
    code: Option<&str>,
    param: Option<&str>,
    message: &str,
) -> Map<String, Value> {
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
pub(super) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The `metadata[key]=value` parameters as Stripe stores them (empty values unset a key).
fn metadata_of(params: &[(String, String)]) -> Map<String, Value> {
    params
        .iter()
        .filter_map(|(name, value)| {
            let key = name.strip_prefix("metadata[")?.strip_suffix(']')?;
            (!value.is_empty()).then(|| (key.to_string(), json!(value)))
        })
        .collect()
}

/// The first value of `name` in `params`.
pub(super) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Whether `name` is `base[...]` (`expand[]` included).
pub(super) fn is_bracketed(name: &str, base: &str) -> bool {
    name.strip_prefix(base).and_then(|rest| rest.strip_prefix('[')).is_some_and(|rest| rest.ends_with(']'))
}

/// Stripe's 400 `parameter_unknown` for the first parameter `known` rejects.
pub(super) fn unknown_param(params: &[(String, String)], known: impl Fn(&str) -> bool) -> Option<Outcome> {
    let (name, _) = params.iter().find(|(name, _)| !known(name))?;
    let message = format!("Received unknown parameter: {name}");
    Some(Outcome::invalid(Some("parameter_unknown"), Some(name), &message))
}

/// Parameter `name` as an integer ≥ 1, if given.
pub(super) fn positive_integer(params: &[(String, String)], name: &str) -> Result<Option<u64>, Outcome> {
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
pub(super) fn boolean(params: &[(String, String)], name: &str) -> Result<Option<bool>, Outcome> {
    match param(params, name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Outcome::invalid(None, Some(name), &format!("Invalid boolean: {other}"))),
    }
}

/// Whether a `Content-Type` is a form (`application/x-www-form-urlencoded`, any charset).
pub(super) fn is_form(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// An API key the way Stripe echoes a wrong one: prefix and last four characters.
pub(super) fn mask_key(key: &str) -> String {
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
pub(super) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// Random-looking object ids: a per-fake random hasher over a counter, in base 62.
pub(super) struct Ids {
    pub(super) hasher: RandomState,
    pub(super) counter: u64,
}

impl Ids {
    pub(super) fn new() -> Ids {
        Ids { hasher: RandomState::new(), counter: 0 }
    }

    /// `prefix` then `len` alphanumeric characters, different every call.
    pub(super) fn next(&mut self, prefix: &str, len: usize) -> String {
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

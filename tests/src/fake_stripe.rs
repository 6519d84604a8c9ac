//! A local fake of the slice of Stripe's HTTP API the worker uses: PaymentIntents
//! (create with confirm, retrieve, cancel) and refunds, with Stripe's idempotency
//! semantics, its error shapes, its test payment methods (`pm_card_visa`,
//! `pm_card_chargeDeclined`, `pm_card_authenticationRequired`, ...) and faults to inject
//! (a reply held back past the client's timeout, a 500).
//!
//! [`FakeStripe::start`] serves it on a free port of 127.0.0.1 (through
//! [`crate::stand_in`], the HTTP/1.1 half every stand-in shares); point the worker's
//! Stripe base URL at [`FakeStripe::base_url`]. Webhooks are not sent by the fake: a test builds
//! one with [`event_payload`] and signs it with [`sign_webhook`].
//!
//! [`model`] is Stripe (what it remembers and how each endpoint answers); this file is
//! the handle tests hold, the headers Stripe adds to every answer, and the webhook
//! helpers.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use shared::ids::hex;

mod model;

use crate::stand_in::{self, HttpRequest, Listening, Response, Service};
use model::{
    error_object, intent_order_number, now, param, payment_method_object, succeed, Fault, FaultKind, State,
};

/// The API version the fake claims (answered in `Stripe-Version` unless the client
/// asked for another).
pub const API_VERSION: &str = "2024-06-20";

/// A running fake Stripe. Not `Clone`: dropping it stops the accept loop (connections
/// already open finish their current exchange). Share it behind an `Arc` if needed.
pub struct FakeStripe {
    server: Listening,
    state: Arc<Mutex<State>>,
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
        let state = Arc::new(Mutex::new(State::new(secret_key)));
        FakeStripe { server: Listening::start("fake-stripe", &state), state }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.server.base_url()
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
        stand_in::lock(&self.state)
    }
}

impl Service for State {
    /// Stripe's answer, with the headers Stripe adds: `Request-Id`, `Stripe-Version`
    /// (the one asked for, else the fake's), the `Idempotency-Key` of a POST, and
    /// `Idempotent-Replayed` on a replay.
    fn answer(&mut self, request: &HttpRequest) -> Response {
        let answer = self.handle(request);
        let version = request.header("stripe-version").unwrap_or(API_VERSION);
        let mut headers = vec![
            ("Request-Id".to_string(), answer.reply.request_id.clone()),
            ("Stripe-Version".to_string(), version.to_string()),
        ];
        if let Some(key) = request.header("idempotency-key").filter(|_| request.method == "POST") {
            headers.push(("Idempotency-Key".to_string(), key.to_string()));
        }
        if answer.replayed {
            headers.push(("Idempotent-Replayed".to_string(), "true".to_string()));
        }
        Response { status: answer.reply.status, body: answer.reply.body, headers, delay: answer.delay }
    }

    fn unreadable(&self, status: u16, message: &str) -> Response {
        let error = error_object("invalid_request_error", None, None, message);
        let mut response = Response::json(status, json!({ "error": error }).to_string());
        response.headers.push(("Request-Id".to_string(), "req_malformed".to_string()));
        response
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

#[cfg(test)]
mod tests {
    use super::model::{mask_key, Ids};
    use super::*;
    use sha2::Digest;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::thread;

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
        let addr = fake.base_url().trim_start_matches("http://").to_string();
        drop(fake);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(&addr).is_ok() {
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

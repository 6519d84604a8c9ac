//! A local stand-in for the transactional email API the worker sends through with
//! `MAIL_PROVIDER = "resend"`: Resend's `POST /emails`, as its API reference documents
//! it — `Authorization: Bearer <key>`, a JSON body (`from`, `to` as one address or up
//! to 50, `subject`, `text` and/or `html`, optional `reply_to`), the `Idempotency-Key`
//! header (1–256 characters; the same key and body within a day is answered with the
//! first answer and sends nothing; the same key with another body is a 409), the answer
//! `{"id": …}`, and errors as `{"statusCode", "name", "message"}`.
//!
//! Tests read what was delivered ([`FakeMail::delivered`]) and inject faults: the next
//! requests answered 500 or 429 without sending ([`FakeMail::fail_next`]).

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};

use crate::stand_in::{self, HttpRequest, Listening, Response, Service};

/// One email the fake accepted (and would have sent).
#[derive(Clone, Debug)]
pub struct Delivered {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub idempotency_key: Option<String>,
}

struct Stored {
    key: String,
    body: Value,
    status: u16,
    answer: String,
}

struct State {
    api_key: String,
    delivered: Vec<Delivered>,
    /// Answers kept by idempotency key.
    replays: Vec<Stored>,
    /// Statuses to answer the next requests with, without sending.
    faults: Vec<u16>,
    /// Every request's status, in arrival order.
    statuses: Vec<u16>,
    next_id: u64,
}

/// A running fake mail API; dropping it stops it.
pub struct FakeMail {
    server: Listening,
    state: Arc<Mutex<State>>,
}

impl FakeMail {
    /// Starts a fake that accepts `Authorization: Bearer {api_key}`.
    pub fn start(api_key: &str) -> FakeMail {
        let state = Arc::new(Mutex::new(State {
            api_key: api_key.to_string(),
            delivered: Vec::new(),
            replays: Vec::new(),
            faults: Vec::new(),
            statuses: Vec::new(),
            next_id: 1,
        }));
        FakeMail { server: Listening::start("fake-mail", &state), state }
    }

    /// `http://127.0.0.1:PORT`, the base URL to give the worker (`MAIL_API_URL`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Every email accepted so far, oldest first (replays are not counted again).
    pub fn delivered(&self) -> Vec<Delivered> {
        self.lock().delivered.clone()
    }

    /// The emails accepted for `to`, oldest first.
    pub fn delivered_to(&self, to: &str) -> Vec<Delivered> {
        self.delivered().into_iter().filter(|d| d.to.iter().any(|t| t == to)).collect()
    }

    /// The status of every request so far, in arrival order.
    pub fn statuses(&self) -> Vec<u16> {
        self.lock().statuses.clone()
    }

    /// The next `times` requests are answered `status` (500 or 429) and send nothing.
    pub fn fail_next(&self, times: usize, status: u16) {
        self.lock().faults.extend(std::iter::repeat_n(status, times));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        stand_in::lock(&self.state)
    }
}

fn error(status: u16, name: &str, message: &str) -> (u16, String) {
    (status, json!({ "statusCode": status, "name": name, "message": message }).to_string())
}

/// `to` as a list: one address, or an array of them.
fn recipients(to: &Value) -> Option<Vec<String>> {
    match to {
        Value::String(one) => Some(vec![one.clone()]),
        Value::Array(many) => many.iter().map(|v| v.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

/// An address alone (`a@b.c`) or with a display name (`Shop <a@b.c>`).
fn is_address(text: &str) -> bool {
    let address = match (text.find('<'), text.strip_suffix('>')) {
        (Some(open), Some(inner)) => inner.get(open + 1..).unwrap_or(""),
        _ => text,
    };
    let mut parts = address.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.'))
}

impl State {
    fn send(&mut self, request: &HttpRequest) -> (u16, String) {
        if request.method != "POST" || request.target.split('?').next() != Some("/emails") {
            return error(404, "not_found", "The requested endpoint does not exist.");
        }
        let Some(authorization) = request.header("authorization") else {
            return error(401, "missing_api_key", "Missing API key in the authorization header.");
        };
        if authorization.strip_prefix("Bearer ") != Some(self.api_key.as_str()) {
            return error(403, "invalid_api_key", "API key is invalid.");
        }
        if let Some(status) = (!self.faults.is_empty()).then(|| self.faults.remove(0)) {
            return match status {
                429 => error(429, "rate_limit_exceeded", "Too many requests. Slow down."),
                _ => error(status, "application_error", "An unexpected error occurred."),
            };
        }
        let key = request.header("idempotency-key").map(str::to_string);
        if key.as_ref().is_some_and(|k| k.is_empty() || k.chars().count() > 256) {
            return error(400, "invalid_idempotency_key", "The key must be between 1-256 chars.");
        }
        if !request.header("content-type").is_some_and(|c| c.starts_with("application/json")) {
            return error(422, "validation_error", "Content-Type must be application/json.");
        }
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return error(422, "validation_error", "The body is not valid JSON.");
        };
        if let Some(key) = &key {
            if let Some(stored) = self.replays.iter().find(|s| &s.key == key) {
                if stored.body != body {
                    return error(
                        409,
                        "invalid_idempotent_request",
                        "Same idempotency key used with a different request payload.",
                    );
                }
                return (stored.status, stored.answer.clone());
            }
        }
        let text_of = |field: &str| body.get(field).and_then(Value::as_str).map(str::to_string);
        let from = text_of("from").unwrap_or_default();
        let subject = text_of("subject").unwrap_or_default();
        let to = body.get("to").and_then(recipients).unwrap_or_default();
        let (text, html) = (text_of("text"), text_of("html"));
        let (status, answer) = if from.is_empty() {
            error(422, "missing_required_field", "Missing `from` field.")
        } else if !is_address(&from) {
            error(422, "invalid_from_address", "Invalid `from` field.")
        } else if to.is_empty() || to.len() > 50 || !to.iter().all(|t| is_address(t)) {
            error(422, "validation_error", "Invalid `to` field.")
        } else if subject.is_empty() {
            error(422, "missing_required_field", "Missing `subject` field.")
        } else if text.is_none() && html.is_none() {
            error(422, "missing_required_field", "Missing `html` or `text` field.")
        } else {
            let id = format!("4ef9a417-02e9-4d39-ad75-{:012x}", self.next_id);
            self.next_id += 1;
            self.delivered.push(Delivered {
                id: id.clone(),
                from,
                to,
                subject,
                text: text.unwrap_or_default(),
                html,
                idempotency_key: key.clone(),
            });
            (200, json!({ "id": id }).to_string())
        };
        if let Some(key) = key {
            self.replays.push(Stored { key, body, status, answer: answer.clone() });
        }
        (status, answer)
    }
}

impl Service for State {
    fn answer(&mut self, request: &HttpRequest) -> Response {
        let (status, body) = self.send(request);
        self.statuses.push(status);
        Response::json(status, body)
    }

    fn unreadable(&self, status: u16, message: &str) -> Response {
        let (status, body) = error(status, "validation_error", message);
        Response::json(status, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::send_raw;

    const KEY: &str = "re_test_key_123";

    fn send(fake: &FakeMail, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
        let reply = send_raw(&fake.base_url(), "POST", "/emails", headers, body.to_string().as_bytes());
        (reply.status, serde_json::from_str(&reply.body).unwrap_or(Value::Null))
    }

    #[test]
    fn it_speaks_the_send_email_call() {
        let fake = FakeMail::start(KEY);
        let auth = format!("Bearer {KEY}");
        let json_type = ("content-type", "application/json");
        let email = json!({ "from": "Shop <shop@example.com>", "to": ["a@example.com"], "subject": "Hi", "text": "Hello" });
        let (status, body) = send(&fake, &[json_type], &email);
        assert_eq!((status, body["name"].as_str()), (401, Some("missing_api_key")));
        let (status, _) = send(&fake, &[("authorization", "Bearer nope"), json_type], &email);
        assert_eq!(status, 403);
        let keyed = [("authorization", auth.as_str()), json_type, ("idempotency-key", "k-1")];
        let (status, first) = send(&fake, &keyed, &email);
        assert_eq!(status, 200, "{first}");
        let (status, again) = send(&fake, &keyed, &email);
        assert_eq!((status, &again), (200, &first), "a replay answers the first answer");
        assert_eq!(fake.delivered().len(), 1, "and sends nothing");
        let other =
            json!({ "from": "shop@example.com", "to": "a@example.com", "subject": "Other", "text": "x" });
        assert_eq!(send(&fake, &keyed, &other).0, 409);
        let plain = [("authorization", auth.as_str()), json_type];
        assert_eq!(
            send(&fake, &plain, &json!({ "to": "a@example.com", "subject": "s", "text": "t" })).0,
            422
        );
        assert_eq!(
            send(&fake, &plain, &json!({ "from": "x@y.z", "to": "nobody", "subject": "s", "text": "t" })).0,
            422
        );
        fake.fail_next(1, 500);
        assert_eq!(send(&fake, &plain, &other).0, 500);
        assert_eq!(send(&fake, &plain, &other).0, 200);
        let delivered = fake.delivered_to("a@example.com");
        assert_eq!(delivered.len(), 2);
        assert_eq!(delivered[1].subject, "Other");
        assert_eq!(fake.statuses(), vec![401, 403, 200, 200, 409, 422, 422, 500, 200]);
    }
}

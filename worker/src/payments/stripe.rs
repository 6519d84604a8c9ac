//! Stripe's API over `fetch`: form-encoded requests with the secret key, an
//! `Idempotency-Key` on every write, a pinned `Stripe-Version`, and a deadline. No SDK:
//! the three calls the shop makes (create-and-confirm a PaymentIntent, refund it,
//! cancel it) and their error objects, as Stripe's API reference describes them.

use crate::error::{AppError, AppResult};
use serde::Deserialize;
use shared::payments::{stripe_card_refusal, Refusal, StripeAmount};
use wasm_bindgen::JsValue;
use worker::{Headers, Method, Request, RequestInit};

/// The API version the shapes below are read in (sent with every request, so an account
/// upgraded later does not change them).
pub const API_VERSION: &str = "2024-06-20";

/// A fresh idempotency key for one attempt at `what` (`intent`, `confirm`) for order
/// `number`: the order's number and sixteen random hex digits. (A lost answer is
/// resolved by reading the PaymentIntent, never by repeating the request.)
pub fn attempt_key(number: &str, what: &str) -> AppResult<String> {
    let bytes = crate::random::random_16().map_err(AppError::Internal)?;
    Ok(format!("{number}:{what}:{}", shared::ids::hex(bytes.get(..8).unwrap_or_default())))
}

/// A Stripe account's API, as configured.
pub struct Client {
    pub secret_key: String,
    /// `https://api.stripe.com` (or a local stand-in for tests).
    pub base: String,
    pub timeout_ms: u64,
}

/// A PaymentIntent, as far as the shop reads it.
#[derive(Debug, Deserialize)]
pub struct Intent {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub last_payment_error: Option<ErrorBody>,
}

/// Stripe's `error` object.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub payment_intent: Option<Box<Intent>>,
}

#[derive(Deserialize)]
struct ErrorReply {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct RefundCreated {
    id: String,
}

/// What a call to Stripe came to.
pub enum Reply<T> {
    Ok(T),
    /// Stripe answered with an error object (4xx).
    Refused {
        status: u16,
        error: ErrorBody,
    },
    /// No answer in time, a network failure, 429/5xx, or a body that is not Stripe's:
    /// nothing is known, and the same call with the same key may be retried.
    Unknown(String),
}

/// What charging came to.
pub enum Charge {
    Succeeded {
        intent: String,
        /// What Stripe says it took, in its units (checked against the order).
        amount: Option<i64>,
        currency: Option<String>,
    },
    /// The bank wants the shopper to authenticate (3-D Secure): the page finishes it with
    /// the client secret, and the webhook says how it went.
    NeedsAction {
        intent: String,
        client_secret: String,
    },
    /// Accepted, not final yet (the webhook will say).
    Processing {
        intent: String,
    },
    Refused(Refusal),
    /// Nothing known: retry with the same key.
    Unknown(String),
    /// Stripe refused the request itself (a bad key, a malformed call): the shop's
    /// configuration or code is at fault, not the shopper.
    Misconfigured(String),
}

impl ErrorBody {
    fn describe(&self) -> String {
        format!(
            "{} {} {}",
            self.kind,
            self.code.as_deref().unwrap_or(""),
            self.message.as_deref().unwrap_or("")
        )
    }
}

fn form(params: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        out.append_pair(name, value);
    }
    out.finish()
}

impl Client {
    /// POSTs (or GETs, without params) `path` and reads the reply as `T` or an error.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        idempotency_key: Option<&str>,
        params: &[(&str, &str)],
    ) -> AppResult<Reply<T>> {
        let headers = Headers::new();
        headers.set("authorization", &format!("Bearer {}", self.secret_key))?;
        headers.set("stripe-version", API_VERSION)?;
        if let Some(key) = idempotency_key {
            headers.set("idempotency-key", key)?;
        }
        let mut init = RequestInit::new();
        if method == Method::Post {
            headers.set("content-type", "application/x-www-form-urlencoded")?;
            init.with_body(Some(JsValue::from_str(&form(params))));
        }
        init.with_method(method).with_headers(headers);
        let req = Request::new_with_init(&format!("{}{path}", self.base), &init)?;
        let (status, text) = match crate::outbound::send(req, self.timeout_ms, "Stripe").await {
            Ok(answer) => answer,
            Err(why) => return Ok(Reply::Unknown(why)),
        };
        Ok(match status {
            200..=299 => match serde_json::from_str(&text) {
                Ok(value) => Reply::Ok(value),
                Err(e) => Reply::Unknown(format!("Stripe's {status} reply is not what was expected: {e}")),
            },
            429 | 500..=599 => Reply::Unknown(format!("Stripe answered {status}")),
            _ => match serde_json::from_str::<ErrorReply>(&text) {
                Ok(reply) => Reply::Refused { status, error: reply.error },
                Err(_) => Reply::Unknown(format!("Stripe answered {status} without an error object")),
            },
        })
    }

    /// Creates the order's PaymentIntent for `amount` minor units of `currency`, cards
    /// only, **without confirming it**: no money moves, so the order can be stored with
    /// the PaymentIntent's id before anything is charged, and a PaymentIntent that is
    /// never confirmed (a retry after a lost reply makes another) charges nothing.
    pub async fn create_intent(
        &self,
        idempotency_key: &str,
        amount: StripeAmount,
        order_number: &str,
    ) -> AppResult<Created> {
        let value = amount.value.to_string();
        let description = format!("Order {order_number}");
        let params = [
            ("amount", value.as_str()),
            ("currency", amount.currency.as_str()),
            // Only what the server can confirm without sending the shopper away.
            ("payment_method_types[]", "card"),
            ("metadata[order_number]", order_number),
            ("description", description.as_str()),
        ];
        let reply =
            self.call::<Intent>(Method::Post, "/v1/payment_intents", Some(idempotency_key), &params).await?;
        Ok(match reply {
            Reply::Ok(intent) => Created::Intent(intent.id),
            Reply::Refused { status, error } => Created::Misconfigured(format!(
                "Stripe refused to create the PaymentIntent ({status}): {}",
                error.describe()
            )),
            Reply::Unknown(why) => Created::Unknown(why),
        })
    }

    /// Confirms PaymentIntent `intent` with `payment_method` (money moves here). A
    /// PaymentIntent charges at most once, so confirming again after a lost answer is
    /// safe; when Stripe's answer is unknown (timeout, 5xx — which Stripe would replay
    /// for this key for a day) the PaymentIntent is retrieved and its state decides.
    pub async fn confirm(
        &self,
        idempotency_key: &str,
        intent: &str,
        payment_method: &str,
    ) -> AppResult<Charge> {
        let path = format!("/v1/payment_intents/{intent}/confirm");
        let params = [("payment_method", payment_method)];
        let reply = self.call::<Intent>(Method::Post, &path, Some(idempotency_key), &params).await?;
        Ok(match reply {
            Reply::Ok(intent) => charge_of(intent),
            Reply::Refused { status: 402, error } => card_refusal(&error),
            Reply::Refused { error, .. } if error.kind == "card_error" => card_refusal(&error),
            // Confirmed before (a lost answer): the PaymentIntent says how it went.
            Reply::Refused { error, .. }
                if error.code.as_deref() == Some("payment_intent_unexpected_state") =>
            {
                match error.payment_intent {
                    Some(current) => settled_state(*current),
                    None => Charge::Unknown(error.describe()),
                }
            }
            Reply::Refused { status: 409, error } => Charge::Unknown(error.describe()),
            Reply::Refused { status, error } => Charge::Misconfigured(format!(
                "Stripe refused the payment request ({status}): {}",
                error.describe()
            )),
            Reply::Unknown(why) => match self.retrieve(intent).await? {
                Reply::Ok(current) => settled_state(current),
                _ => Charge::Unknown(why),
            },
        })
    }

    /// Reads a PaymentIntent as Stripe has it now.
    pub async fn retrieve(&self, intent: &str) -> AppResult<Reply<Intent>> {
        self.call::<Intent>(Method::Get, &format!("/v1/payment_intents/{intent}"), None, &[]).await
    }

    /// Refunds a PaymentIntent in full, once per `idempotency_key`; answers the refund's
    /// id (`None`: it was refunded before). `Err` says why not.
    pub async fn refund(
        &self,
        idempotency_key: &str,
        intent: &str,
        order_number: &str,
    ) -> AppResult<Option<String>> {
        let params = [("payment_intent", intent), ("metadata[order_number]", order_number)];
        match self.call::<RefundCreated>(Method::Post, "/v1/refunds", Some(idempotency_key), &params).await? {
            Reply::Ok(refund) => Ok(Some(refund.id)),
            Reply::Refused { error, .. } if error.code.as_deref() == Some("charge_already_refunded") => {
                Ok(None)
            }
            Reply::Refused { status, error } => Err(AppError::Conflict(
                format!("Stripe refused the refund ({status}): {}", error.describe()).into(),
            )),
            Reply::Unknown(why) => Err(AppError::Unavailable(
                format!("The refund could not be confirmed ({why}); try again — it will not be made twice.")
                    .into(),
            )),
        }
    }

    /// Cancels a PaymentIntent that has not succeeded; answers `Cancelled::Succeeded` with
    /// the PaymentIntent (its amount and currency to check) if it had succeeded.
    pub async fn cancel(&self, idempotency_key: &str, intent: &str) -> AppResult<Cancelled> {
        let path = format!("/v1/payment_intents/{intent}/cancel");
        let params = [("cancellation_reason", "abandoned")];
        match self.call::<Intent>(Method::Post, &path, Some(idempotency_key), &params).await? {
            Reply::Ok(_) => Ok(Cancelled::Cancelled),
            Reply::Refused { error, .. } => match error.payment_intent {
                Some(pi) if pi.status == "succeeded" => Ok(Cancelled::Succeeded(pi)),
                Some(pi) if pi.status == "canceled" => Ok(Cancelled::Cancelled),
                _ => Err(AppError::Internal(format!(
                    "Stripe refused to cancel {intent}: {}",
                    error.describe()
                ))),
            },
            Reply::Unknown(why) => Err(AppError::Unavailable(why.into())),
        }
    }
}

/// What cancelling a PaymentIntent came to.
pub enum Cancelled {
    Cancelled,
    /// It had succeeded: the money was taken.
    Succeeded(Box<Intent>),
}

/// What creating a PaymentIntent came to (no money moves either way).
pub enum Created {
    Intent(String),
    /// No answer: another attempt creates another (unconfirmed, harmless) one.
    Unknown(String),
    /// Stripe refused the request itself: the shop's configuration or code is at fault.
    Misconfigured(String),
}

/// A PaymentIntent's state after a confirmation whose answer was lost: settled (paid,
/// waiting for the bank, refused) or not confirmed at all (`Unknown`: try again).
fn settled_state(intent: Intent) -> Charge {
    match intent.status.as_str() {
        "requires_confirmation" => Charge::Unknown("the PaymentIntent was not confirmed".into()),
        "requires_payment_method" if intent.last_payment_error.is_none() => {
            Charge::Unknown("the PaymentIntent has no payment method yet".into())
        }
        _ => charge_of(intent),
    }
}

fn card_refusal(error: &ErrorBody) -> Charge {
    Charge::Refused(stripe_card_refusal(
        error.code.as_deref().unwrap_or(""),
        error.decline_code.as_deref().unwrap_or(""),
    ))
}

fn charge_of(intent: Intent) -> Charge {
    match intent.status.as_str() {
        "succeeded" => {
            Charge::Succeeded { intent: intent.id, amount: intent.amount, currency: intent.currency }
        }
        "requires_action" => match intent.client_secret {
            Some(client_secret) => Charge::NeedsAction { intent: intent.id, client_secret },
            None => Charge::Unknown("a PaymentIntent needing action came without its client secret".into()),
        },
        "processing" | "requires_capture" => Charge::Processing { intent: intent.id },
        _ => match &intent.last_payment_error {
            Some(error) => card_refusal(error),
            None => Charge::Refused(stripe_card_refusal("card_declined", "")),
        },
    }
}

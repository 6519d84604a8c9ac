//! The checkout context's commands to a cart's object (see `checkout::object`), sent at
//! [`CHECKOUT_PATH`] in a `cart::protocol::CartRequest` and answered, like the cart's,
//! by a `CartReply`; and what a completion answers.

use serde::{Deserialize, Serialize};
use shared::checkout::IdempotencyKey;
use shared::orders::Order;
use shared::payments::PaymentChoice;
use shared::strings::Text;
use std::collections::BTreeMap;

/// Where the checkout's commands are sent in a cart's object.
pub const CHECKOUT_PATH: &str = "/checkout";

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CheckoutCommand {
    /// Holds the cart's stock while the shopper pays.
    Hold {
        version: String,
        /// The edition the request read (its URL segment; empty: the default one).
        #[serde(default)]
        edition: String,
        /// The client asking (`shared::limits::client_key`), whose holds are capped.
        #[serde(default)]
        holder: String,
    },
    /// Places the order, exactly once per idempotency key.
    Complete(Box<CompleteCommand>),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum CheckoutAnswer {
    Held { held: bool },
    Completed { completed: Completed },
}

/// Completing the checkout of the cart the command is sent to.
#[derive(Debug, Serialize, Deserialize)]
pub struct CompleteCommand {
    /// The catalog version and edition the worker's request read (the object prices
    /// from the same: one market's currency, taxes and shipping).
    pub version: String,
    #[serde(default)]
    pub edition: String,
    /// The request's idempotency key: the same request under it answers what the first
    /// did (the order itself is the checkout attempt's, whatever the key).
    pub key: IdempotencyKey,
    /// What makes two requests under one key the same (the card is hashed, not stored).
    pub fingerprint: String,
    /// How the shopper pays.
    pub payment: PaymentChoice,
    /// The total the shopper saw; if the server's differs, nothing is charged.
    pub expected_total: Option<i64>,
    /// Scheme and host, for the link in the confirmation email.
    pub origin: String,
}

/// The stored, replayable outcome of a completion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Placed {
        number: String,
        token: String,
        total: i64,
        currency: String,
        /// The order as stored (absent in outcomes stored before it was kept here).
        #[serde(default)]
        order: Option<Box<Order>>,
        /// The bank wants the shopper to authenticate (3-D Secure): the secret their
        /// page finishes the payment with; the order stays `pending_payment` until then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_secret: Option<String>,
    },
    Declined {
        message: Text,
    },
    SoldOut {
        available: BTreeMap<String, u32>,
    },
}

/// Why a completion did not run (nothing stored under the key; it may be retried).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotRun {
    /// The request is malformed (bad key or card number).
    Invalid { message: Text },
    /// Same key, different request.
    KeyReused,
    /// The same key is being completed now.
    InFlight,
    /// Another completion of this cart is running.
    CartBusy,
    /// The cart cannot be paid for yet (empty, a step missing, prices changed…).
    NotReady { message: Text },
    /// The payment provider failed before any payment was asked for; nothing was charged.
    PaymentUnavailable,
    /// The payment was asked for and its outcome is not known yet (no answer, or an
    /// answer the shop could not use); the order waits, and a retry resumes it — never
    /// a second charge.
    PaymentUnconfirmed,
}

/// What a completion answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "completion", rename_all = "snake_case")]
pub enum Completed {
    Outcome { outcome: Outcome },
    NotRun { reason: NotRun },
}

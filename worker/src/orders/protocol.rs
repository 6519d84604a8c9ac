//! What is said to the order shards (`OrderObject`) and to the merchant's order index
//! (`OrderIndexObject`), and what they answer.

use serde::{Deserialize, Serialize};
use shared::mail::{Attempt, OutboxEmail};
use shared::orders::{Order, OrderNote, OrderQuery};

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ShardCommand {
    /// Stores the order unless one with its number exists; answers the stored one.
    /// `origin` (scheme and host it was placed on) is kept for the email's link.
    /// `cart`: the cart the order was placed from, whose lines go back to it if the
    /// order is cancelled for want of a payment.
    Create {
        order: Box<Order>,
        origin: String,
        #[serde(default)]
        cart: Option<String>,
    },
    Get {
        number: String,
    },
    /// Marks a paid order fulfilled, with the carrier's tracking number if given; for
    /// a fulfilled order, a tracking number given replaces the one it had.
    Fulfil {
        number: String,
        now_ms: u64,
        #[serde(default)]
        tracking: Option<String>,
    },
    /// Adds the merchant's note to an order (refused past `MAX_NOTES`).
    AddNote {
        number: String,
        note: OrderNote,
    },
    /// Sends what is waiting for the index and the queue now (what the alarm does).
    Forward,
    /// What the payment provider said about the order's payment: applied through
    /// `shared::payments::effect_of`, once per `event_id` (a webhook's event) when given.
    Payment {
        number: String,
        #[serde(default)]
        event_id: Option<String>,
        update: PaymentUpdate,
    },
    /// The shopper pays a pending order again, with another payment method, after an
    /// attempt failed or was abandoned (`token`: the order page's secret).
    PayAgain {
        number: String,
        token: String,
        payment_method: String,
    },
    /// The merchant refunds a paid order through its provider, and with `restock` puts
    /// its units back in stock (also for an order refunded before without it).
    Refund {
        number: String,
        #[serde(default)]
        restock: bool,
    },
    /// What the alarm does about payments: cancels orders whose payment never came,
    /// gives back the stock of cancelled orders not yet given back.
    SettlePayments,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentUpdate {
    /// The provider took `amount` of `currency`, in the provider's units (checked
    /// against what charging the order's total sends: anything else is not a payment of
    /// this order).
    Succeeded { reference: String, amount: i64, currency: String },
    /// One attempt to pay failed (a decline, a failed or abandoned bank check): the order
    /// stays payable and its page shows `message` (the shopper's words).
    Failed { reference: Option<String>, message: String },
    /// The payment will never come (declined at checkout, or cancelled at the provider);
    /// `note` says why (for the merchant).
    Cancelled { reference: Option<String>, note: String },
    /// The provider's reference (and the secret the shopper's page authenticates with)
    /// while the payment is pending.
    Attach { reference: String, client_secret: Option<String> },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum IndexCommand {
    /// Stores (or replaces) these orders' copies.
    Upsert {
        orders: Vec<Order>,
    },
    /// The orders a query matches, newest first.
    List {
        query: OrderQuery,
    },
    /// Stores each email unless one is kept under its key; answers which were new and
    /// which are still to be sent.
    WriteEmails {
        emails: Vec<OutboxEmail>,
    },
    /// What sending these emails (by key) came to.
    RecordDeliveries {
        results: Vec<(String, Attempt)>,
        now_ms: u64,
    },
    Outbox {
        limit: u32,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum OrderReply {
    Order {
        order: Option<Box<Order>>,
    },
    /// A payment update's result; `duplicate`: its event was handled before.
    Payment {
        order: Option<Box<Order>>,
        duplicate: bool,
    },
    /// The provider refused (or did not answer); nothing changed.
    Refused {
        message: String,
        unavailable: bool,
    },
    Orders {
        orders: Vec<Order>,
        /// How many orders the query matches in all (its cursor aside).
        #[serde(default)]
        matching: u64,
    },
    Emails {
        emails: Vec<OutboxEmail>,
    },
    Done {
        changed: u32,
    },
    /// The keys of the emails that were new in the outbox, and of those (new or not)
    /// still to be sent.
    Written {
        new: Vec<String>,
        to_send: Vec<String>,
    },
}

//! What is said to a `CartObject` and what it answers. One object per cart serves two
//! contexts: the cart commands below are the cart context's; `Hold` and `Complete` are
//! the checkout context's (see `checkout::protocol`), run by the same single writer.

use crate::checkout::protocol::{CompleteCommand, Completed};
use serde::{Deserialize, Serialize};
use shared::checkout::Address;
use shared::review::{CartState, StockItem};
use shared::{CartId, CartLine, Sku};
use std::collections::BTreeMap;

/// A command for the cart `cart` (the object learns its own name from it).
#[derive(Debug, Serialize, Deserialize)]
pub struct CartRequest {
    pub cart: CartId,
    pub command: CartCommand,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CartCommand {
    /// The cart as it is. With a catalog version, availability the object no longer
    /// knows is read again (one call per inventory shard of those lines).
    Get {
        #[serde(default)]
        refresh: Option<String>,
    },
    /// Adds a line, after reading its SKU's availability (kept briefly by the object).
    /// `must_fit`: refused if the SKU is sold out or fewer are free than asked.
    Add {
        line: CartLine,
        stock: StockItem,
        must_fit: bool,
    },
    /// Adds several lines, skipping those the cart rules refuse (a cart link).
    AddMany {
        lines: Vec<CartLine>,
    },
    /// Sets a line's quantity; 0 removes it.
    SetQuantity {
        sku: Sku,
        quantity: u32,
    },
    Clear,
    SetDiscount {
        code: Option<String>,
    },
    SetContact {
        email: String,
    },
    /// A new address clears the chosen rate (other rates may apply).
    SetAddress {
        address: Address,
    },
    /// `offered_in`: the countries whose zones offer the rate.
    SetShipping {
        rate: String,
        offered_in: Vec<String>,
    },
    /// Holds the cart's stock while the shopper pays (checkout context).
    Hold {
        version: String,
        /// The client asking (`shared::limits::client_key`), whose holds are capped.
        #[serde(default)]
        holder: String,
    },
    /// Places the order, exactly once per idempotency key (checkout context).
    Complete(Box<CompleteCommand>),
    /// Gives back the lines of `order`, placed from this cart and since cancelled for
    /// want of a payment: once, and only if that order emptied the cart (the order
    /// queue's consumer sends it).
    Restore {
        order: String,
    },
    /// Test routes only: hold every other request to this cart for `ms` (at most 20 s),
    /// as an overloaded object would.
    Stall {
        ms: u64,
    },
}

/// The cart after a command: what it holds, and the units the object knows to be
/// free for its lines (not counting its own hold; SKUs it does not know are absent).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub state: CartState,
    pub available: BTreeMap<String, u32>,
}

/// Why a cart command changed nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// A cart rule (too many of one item, cart full, no such line), with its message.
    Rule {
        message: String,
    },
    SoldOut,
    OnlyLeft {
        free: u32,
    },
    /// An order is being placed from this cart right now.
    Busy,
    /// The cart has no line of this SKU to change or remove.
    NoSuchLine {
        sku: String,
    },
    /// The rate is not offered where the cart ships (`None`: no address yet).
    RateNotOffered {
        country: Option<String>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Done,
    Refused {
        refusal: Refusal,
    },
    /// Lines of an `AddMany` the rules refused.
    Skipped {
        skus: Vec<String>,
    },
    Held {
        held: bool,
    },
    Completed {
        completed: Completed,
    },
    /// A service the object called failed (`unavailable`: it may be retried).
    Failed {
        unavailable: bool,
        message: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CartReply {
    pub snapshot: Snapshot,
    pub answer: Answer,
}

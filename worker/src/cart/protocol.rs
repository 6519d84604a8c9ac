//! What the cart context says to a cart's object and what it answers. One object per
//! cart serves two contexts (see `checkout::object`): the cart commands below, at
//! [`CART_PATH`], and the checkout context's, at its own path (`checkout::protocol`).
//! Every command to the object, of either context, is a [`CartRequest`] and is answered
//! by a [`CartReply`]: the cart as it is, and the command's answer or a [`Failure`].

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use shared::checkout::Address;
use shared::review::{CartState, StockItem};
use shared::strings::Text;
use shared::{CartId, CartLine, Sku};
use std::collections::BTreeMap;

/// Where the cart's commands are sent in its object.
pub const CART_PATH: &str = "/cart";

/// A command for the cart `cart` (the object learns its own name from it).
#[derive(Debug, Serialize, Deserialize)]
pub struct CartRequest<C = CartCommand> {
    pub cart: CartId,
    pub command: C,
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
    /// Gives back the lines of `order`, placed from this cart and since cancelled for
    /// want of a payment: once, and only if that order emptied the cart (the order
    /// queue's consumer sends it).
    Restore {
        order: String,
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
        message: Text,
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
}

/// A service the object called failed: the worker turns it back into the same error.
#[derive(Debug, Serialize, Deserialize)]
pub struct Failure {
    /// It may be retried in a moment (`AppError::Unavailable`).
    pub unavailable: bool,
    pub message: String,
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Unavailable(message) => Failure { unavailable: true, message: message.to_string() },
            other => Failure { unavailable: false, message: other.to_string() },
        }
    }
}

impl From<Failure> for AppError {
    fn from(failure: Failure) -> Self {
        if failure.unavailable {
            AppError::Unavailable(failure.message.into())
        } else {
            AppError::Internal(failure.message)
        }
    }
}

/// What the object answers a command: the cart after it, and its answer (`A`: the
/// answers of the command's context).
#[derive(Debug, Serialize, Deserialize)]
pub struct CartReply<A = Answer> {
    pub snapshot: Snapshot,
    pub answer: Result<A, Failure>,
}

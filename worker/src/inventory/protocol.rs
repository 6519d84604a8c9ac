//! What the worker and the cart objects say to an `InventoryObject`, and what it answers.

use serde::{Deserialize, Serialize};
use shared::review::StockItem;
use shared::stock::StockLevel;
use shared::Sku;
use std::collections::BTreeMap;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum InventoryCommand {
    /// Units free per SKU, not counting the hold named `except` (the asker's own).
    Availability {
        items: Vec<StockItem>,
        now_ms: u64,
        #[serde(default)]
        except: String,
    },
    /// All or nothing: holds every item under `id` until `now_ms + ttl_ms` (replacing a
    /// hold of the same name), or none if any is short or `holder` (a client) would hold
    /// more of a SKU than one client may.
    Reserve {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        holder: Option<String>,
        items: Vec<StockItem>,
        ttl_ms: u64,
        now_ms: u64,
    },
    /// Sells the items under `id`, once: all or nothing, counting the hold `id` as the
    /// buyer's own (so a live hold always commits, and a lapsed one commits if the units
    /// are still free). Refused: the hold is dropped and nothing is sold.
    Commit {
        id: String,
        items: Vec<StockItem>,
        now_ms: u64,
        /// The hold counted as the buyer's own, when it is not named `id` (an order
        /// paid after it is placed commits under its number, holding under the cart's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hold: Option<String>,
    },
    /// Gives back what the commit `id` sold (another shard of the same order was sold
    /// out), once.
    Uncommit {
        id: String,
    },
    /// Drops the hold `id`.
    Release {
        id: String,
    },
    SetStock {
        sku: Sku,
        on_hand: u32,
    },
    /// On hand and free units per SKU (catalog figures applied, as for `Availability`).
    Levels {
        items: Vec<StockItem>,
        now_ms: u64,
    },
    /// The SKUs this shard holds stock for with `threshold` or fewer free units, fewest
    /// first, at most `limit`.
    Low {
        threshold: u32,
        limit: u32,
        now_ms: u64,
    },
    /// What the alarm does: drop expired holds.
    Sweep {
        now_ms: u64,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum InventoryReply {
    /// Units free per SKU (not counting the asker's own hold).
    Available {
        available: BTreeMap<String, u32>,
    },
    Reserved {
        available: BTreeMap<String, u32>,
    },
    /// Nothing was held or sold; what is free per SKU.
    SoldOut {
        available: BTreeMap<String, u32>,
    },
    /// Nothing was held: the client already holds as much of a SKU as one client may.
    Capped {
        available: BTreeMap<String, u32>,
    },
    /// Stock per SKU.
    Levels {
        levels: BTreeMap<String, StockLevel>,
    },
    /// Sold (now or by an earlier commit of the same id).
    Committed,
    /// Holds or commits changed (released, swept, stock set).
    Done {
        changed: u32,
    },
}

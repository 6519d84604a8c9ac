//! What is said to the order shards (`OrderObject`) and to the merchant's order index
//! (`OrderIndexObject`), and what they answer.

use serde::{Deserialize, Serialize};
use shared::orders::{Order, OutboxEmail};

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ShardCommand {
    /// Stores the order unless one with its number exists; answers the stored one.
    /// `origin` (scheme and host it was placed on) is kept for the email's link.
    Create {
        order: Box<Order>,
        origin: String,
    },
    Get {
        number: String,
    },
    Fulfil {
        number: String,
        now_ms: u64,
    },
    /// Sends what is waiting for the index and the queue now (what the alarm does).
    Forward,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum IndexCommand {
    /// Stores (or replaces) these orders' copies.
    Upsert {
        orders: Vec<Order>,
    },
    /// Newest first.
    List {
        limit: u32,
    },
    /// Stores each email unless its order already has one; answers how many were new.
    WriteEmails {
        emails: Vec<OutboxEmail>,
    },
    Outbox {
        limit: u32,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum OrderReply {
    Order { order: Option<Box<Order>> },
    Orders { orders: Vec<Order> },
    Emails { emails: Vec<OutboxEmail> },
    Done { changed: u32 },
}

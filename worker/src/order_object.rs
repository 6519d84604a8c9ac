//! Orders in Durable Objects, sharded by order number over [`SHARDS`] `OrderObject`s.
//! Each shard keeps its orders and the outbox of emails about them. Creating an order
//! and writing its email are idempotent (keyed by order number), so a retried checkout
//! or a redelivered queue message changes nothing.

use crate::bindings;
use crate::durable::Caller;
use crate::error::{AppError, AppResult};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use shared::orders::{Order, OrderStatus, OutboxEmail};
use std::cell::Cell;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State,
};

/// Number of order objects.
pub const SHARDS: u32 = 8;

pub fn shard_of(number: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in number.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % SHARDS
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum OrderCommand {
    /// Stores the order unless one with its number exists; answers the stored one.
    Create {
        order: Box<Order>,
    },
    Get {
        number: String,
    },
    List {
        limit: u32,
    },
    Fulfil {
        number: String,
        now_ms: u64,
    },
    /// Stores the email unless the order already has one; answers whether it was new.
    WriteOutbox {
        email: OutboxEmail,
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
    Written { new: bool },
    Emails { emails: Vec<OutboxEmail> },
}

#[durable_object]
pub struct OrderObject {
    state: State,
    schema_ready: Cell<bool>,
}

#[derive(Deserialize)]
struct DataRow {
    data: String,
}

fn text(value: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::from(value.into())
}

impl OrderObject {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        if !self.schema_ready.get() {
            sql.exec(
                "CREATE TABLE IF NOT EXISTS orders (
                    number TEXT PRIMARY KEY,
                    email TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    data TEXT NOT NULL
                )",
                None,
            )?;
            sql.exec(
                "CREATE TABLE IF NOT EXISTS outbox (order_number TEXT PRIMARY KEY, created_at INTEGER NOT NULL, data TEXT NOT NULL)",
                None,
            )?;
            self.schema_ready.set(true);
        }
        Ok(sql)
    }

    fn get(&self, sql: &SqlStorage, number: &str) -> Result<Option<Order>> {
        let rows: Vec<DataRow> =
            sql.exec("SELECT data FROM orders WHERE number = ?", vec![text(number)])?.to_array()?;
        Ok(rows.first().and_then(|r| serde_json::from_str(&r.data).ok()))
    }

    fn save(&self, sql: &SqlStorage, order: &Order) -> Result<()> {
        let data = serde_json::to_string(order).map_err(|e| worker::Error::RustError(e.to_string()))?;
        sql.exec(
            "INSERT INTO orders (number, email, created_at, data) VALUES (?, ?, ?, ?)
             ON CONFLICT (number) DO UPDATE SET data = excluded.data",
            vec![
                text(order.number.clone()),
                text(order.email.to_lowercase()),
                SqlStorageValue::from(order.created_at_ms as i64),
                text(data),
            ],
        )?;
        Ok(())
    }

    fn run(&self, command: OrderCommand) -> Result<OrderReply> {
        let sql = self.sql()?;
        Ok(match command {
            OrderCommand::Create { order } => {
                let stored = match self.get(&sql, &order.number)? {
                    Some(existing) => existing,
                    None => {
                        self.save(&sql, &order)?;
                        *order
                    }
                };
                OrderReply::Order { order: Some(Box::new(stored)) }
            }
            OrderCommand::Get { number } => {
                OrderReply::Order { order: self.get(&sql, &number)?.map(Box::new) }
            }
            OrderCommand::List { limit } => {
                let rows: Vec<DataRow> = sql
                    .exec(
                        "SELECT data FROM orders ORDER BY created_at DESC LIMIT ?",
                        vec![SqlStorageValue::from(i64::from(limit))],
                    )?
                    .to_array()?;
                OrderReply::Orders {
                    orders: rows.iter().filter_map(|r| serde_json::from_str(&r.data).ok()).collect(),
                }
            }
            OrderCommand::Fulfil { number, now_ms } => {
                let order = match self.get(&sql, &number)? {
                    Some(mut order) if order.status == OrderStatus::Paid => {
                        order.status = OrderStatus::Fulfilled;
                        order.fulfilled_at_ms = Some(now_ms);
                        self.save(&sql, &order)?;
                        Some(order)
                    }
                    other => other,
                };
                OrderReply::Order { order: order.map(Box::new) }
            }
            OrderCommand::WriteOutbox { email } => {
                let data =
                    serde_json::to_string(&email).map_err(|e| worker::Error::RustError(e.to_string()))?;
                let cursor = sql.exec(
                    "INSERT INTO outbox (order_number, created_at, data) VALUES (?, ?, ?) ON CONFLICT (order_number) DO NOTHING",
                    vec![text(email.order_number.clone()), SqlStorageValue::from(email.created_at_ms as i64), text(data)],
                )?;
                OrderReply::Written { new: cursor.rows_written() > 0 }
            }
            OrderCommand::Outbox { limit } => {
                let rows: Vec<DataRow> = sql
                    .exec(
                        "SELECT data FROM outbox ORDER BY created_at DESC LIMIT ?",
                        vec![SqlStorageValue::from(i64::from(limit))],
                    )?
                    .to_array()?;
                OrderReply::Emails {
                    emails: rows.iter().filter_map(|r| serde_json::from_str(&r.data).ok()).collect(),
                }
            }
        })
    }
}

impl DurableObject for OrderObject {
    fn new(state: State, _env: Env) -> Self {
        OrderObject { state, schema_ready: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: OrderCommand = match req.json().await {
            Ok(command) => command,
            Err(e) => return Response::error(format!("bad order command: {e}"), 400),
        };
        Response::from_json(&self.run(command)?)
    }
}

/// The worker's side of the order shards.
pub struct Orders<'t> {
    namespace: worker::ObjectNamespace,
    caller: Caller<'t>,
}

impl<'t> Orders<'t> {
    pub fn new(env: &Env, caller: Caller<'t>) -> AppResult<Orders<'t>> {
        Ok(Orders { namespace: env.durable_object(bindings::ORDERS)?, caller })
    }

    async fn send(&self, shard: u32, command: &OrderCommand) -> AppResult<OrderReply> {
        let stub = self.namespace.id_from_name(&format!("orders-{shard}"))?.get_stub()?;
        self.caller.call(&stub, "order service", command).await
    }

    async fn one(&self, number: &str, command: OrderCommand) -> AppResult<Option<Order>> {
        match self.send(shard_of(number), &command).await? {
            OrderReply::Order { order } => Ok(order.map(|o| *o)),
            other => Err(AppError::Internal(format!("unexpected order reply {other:?}"))),
        }
    }

    /// Stores an order (or finds the one already stored under its number).
    pub async fn create(&self, order: Order) -> AppResult<Order> {
        let number = order.number.clone();
        self.one(&number, OrderCommand::Create { order: Box::new(order) })
            .await?
            .ok_or_else(|| AppError::Internal("order shard stored nothing".into()))
    }

    pub async fn get(&self, number: &str) -> AppResult<Option<Order>> {
        self.one(number, OrderCommand::Get { number: number.to_string() }).await
    }

    pub async fn fulfil(&self, number: &str, now_ms: u64) -> AppResult<Option<Order>> {
        self.one(number, OrderCommand::Fulfil { number: number.to_string(), now_ms }).await
    }

    /// Newest first, across every shard.
    pub async fn list(&self, limit: u32) -> AppResult<Vec<Order>> {
        let command = OrderCommand::List { limit };
        let replies = join_all((0..SHARDS).map(|s| self.send(s, &command))).await;
        let mut orders = Vec::new();
        for reply in replies {
            if let OrderReply::Orders { orders: part } = reply? {
                orders.extend(part);
            }
        }
        orders.sort_by(|a, b| b.created_at_ms.cmp(&a.created_at_ms).then(a.number.cmp(&b.number)));
        orders.truncate(limit as usize);
        Ok(orders)
    }

    /// Returns whether the email was new (false: it was written before).
    pub async fn write_outbox(&self, email: OutboxEmail) -> AppResult<bool> {
        match self.send(shard_of(&email.order_number), &OrderCommand::WriteOutbox { email }).await? {
            OrderReply::Written { new } => Ok(new),
            other => Err(AppError::Internal(format!("unexpected order reply {other:?}"))),
        }
    }

    pub async fn outbox(&self, limit: u32) -> AppResult<Vec<OutboxEmail>> {
        let command = OrderCommand::Outbox { limit };
        let replies = join_all((0..SHARDS).map(|s| self.send(s, &command))).await;
        let mut emails = Vec::new();
        for reply in replies {
            if let OrderReply::Emails { emails: part } = reply? {
                emails.extend(part);
            }
        }
        emails.sort_by_key(|e| std::cmp::Reverse(e.created_at_ms));
        emails.truncate(limit as usize);
        Ok(emails)
    }
}

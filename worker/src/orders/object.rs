//! `OrderObject`: one shard of the orders (by order number), the authority on each of
//! its orders. Creating an order is idempotent by number, so a retried checkout finds
//! its order rather than making another.
//!
//! Each shard is also the transactional outbox of its orders: a new or changed order is
//! marked in the same write, and the shard's alarm — durable, retried by the runtime —
//! then copies it to the merchant's order index and puts "order placed" on the queue,
//! off the shopper's path. Both steps are idempotent (by number), so an alarm that runs
//! twice changes nothing more.

use crate::durable::{self, Caller};
use crate::orders::events::OrderPlaced;
use crate::orders::protocol::{OrderReply, ShardCommand};
use crate::orders::Index;
use crate::sql::{runtime_error, text};
use crate::timing::Timing;
use serde::Deserialize;
use shared::orders::{Order, OrderStatus};
use std::cell::Cell;
use wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State,
};

/// Orders sent to the index per alarm (the alarm rings again for the rest).
const FORWARD_BATCH: i64 = 100;
/// How long after an order the alarm rings: orders placed meanwhile go in the same
/// batch (one call to the index, one batch on the queue).
const FORWARD_DELAY_MS: u64 = 200;

#[durable_object]
pub struct OrderObject {
    state: State,
    env: Env,
    schema_ready: Cell<bool>,
    /// Whether an alarm is known to be set (so a burst of orders sets it once).
    alarm_set: Cell<bool>,
    /// Whether this instance looked for orders left marked by an earlier one.
    looked_for_pending: Cell<bool>,
}

#[derive(Deserialize)]
struct DataRow {
    data: String,
}

#[derive(Deserialize)]
struct PendingRow {
    number: String,
    data: String,
    origin: Option<String>,
    announced: i64,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
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
            // Added with the order index; objects from before get them here (and their
            // orders are then forwarded once).
            for column in
                ["origin TEXT", "indexed INTEGER NOT NULL DEFAULT 0", "announced INTEGER NOT NULL DEFAULT 1"]
            {
                let _ = sql.exec(&format!("ALTER TABLE orders ADD COLUMN {column}"), None);
            }
            self.schema_ready.set(true);
        }
        Ok(sql)
    }

    fn get(&self, sql: &SqlStorage, number: &str) -> Result<Option<Order>> {
        let rows: Vec<DataRow> =
            sql.exec("SELECT data FROM orders WHERE number = ?", vec![text(number)])?.to_array()?;
        Ok(rows.first().and_then(|r| serde_json::from_str(&r.data).ok()))
    }

    /// Stores a new order; false if one with its number was stored before.
    fn insert(&self, sql: &SqlStorage, order: &Order, origin: &str) -> Result<bool> {
        let data = serde_json::to_string(order).map_err(runtime_error)?;
        let cursor = sql.exec(
            "INSERT INTO orders (number, email, created_at, data, origin, indexed, announced) VALUES (?, ?, ?, ?, ?, 0, 0)
             ON CONFLICT (number) DO NOTHING",
            vec![
                text(order.number.clone()),
                text(order.email.to_lowercase()),
                SqlStorageValue::from(order.created_at_ms as i64),
                text(data),
                text(origin),
            ],
        )?;
        Ok(cursor.rows_written() > 0)
    }

    fn update(&self, sql: &SqlStorage, order: &Order) -> Result<()> {
        let data = serde_json::to_string(order).map_err(runtime_error)?;
        sql.exec(
            "UPDATE orders SET data = ?, indexed = 0 WHERE number = ?",
            vec![text(data), text(order.number.clone())],
        )?;
        Ok(())
    }

    /// Makes sure the alarm will forward what was just marked.
    async fn arm(&self) -> Result<()> {
        if !self.alarm_set.get() {
            let storage = self.state.storage();
            if storage.get_alarm().await?.is_none() {
                let at = (worker::Date::now().as_millis() + FORWARD_DELAY_MS) as f64;
                storage
                    .set_alarm(worker::ScheduledTime::new(worker::js_sys::Date::new(&JsValue::from_f64(at))))
                    .await?;
            }
            self.alarm_set.set(true);
        }
        Ok(())
    }

    async fn run(&self, command: ShardCommand) -> Result<OrderReply> {
        let sql = self.sql()?;
        Ok(match command {
            ShardCommand::Create { order, origin } => {
                let stored = if self.insert(&sql, &order, &origin)? {
                    self.arm().await?;
                    *order
                } else {
                    self.get(&sql, &order.number)?.unwrap_or(*order)
                };
                OrderReply::Order { order: Some(Box::new(stored)) }
            }
            ShardCommand::Get { number } => {
                OrderReply::Order { order: self.get(&sql, &number)?.map(Box::new) }
            }
            ShardCommand::Fulfil { number, now_ms } => {
                let order = match self.get(&sql, &number)? {
                    Some(mut order) if order.status == OrderStatus::Paid => {
                        order.status = OrderStatus::Fulfilled;
                        order.fulfilled_at_ms = Some(now_ms);
                        self.update(&sql, &order)?;
                        self.arm().await?;
                        Some(order)
                    }
                    other => other,
                };
                OrderReply::Order { order: order.map(Box::new) }
            }
            ShardCommand::Forward => OrderReply::Done { changed: self.forward(&sql).await? },
        })
    }

    /// Copies marked orders to the index and announces new ones; returns how many went.
    async fn forward(&self, sql: &SqlStorage) -> Result<u32> {
        let pending: Vec<PendingRow> = sql
            .exec(
                "SELECT number, data, origin, announced FROM orders WHERE indexed = 0 OR announced = 0
                 ORDER BY created_at LIMIT ?",
                vec![SqlStorageValue::from(FORWARD_BATCH)],
            )?
            .to_array()?;
        if pending.is_empty() {
            return Ok(0);
        }
        let orders: Vec<Order> = pending.iter().filter_map(|r| serde_json::from_str(&r.data).ok()).collect();
        let timing = Timing::start();
        let index = Index::new(&self.env, Caller::new(&self.env, &timing)).map_err(runtime_error)?;
        index.upsert(orders).await.map_err(runtime_error)?;
        // Marked after the awaited call: an order changed meanwhile keeps its mark (its
        // data differs) and goes with the next alarm.
        for row in &pending {
            sql.exec(
                "UPDATE orders SET indexed = 1 WHERE number = ? AND data = ?",
                vec![text(row.number.clone()), text(row.data.clone())],
            )?;
        }
        let events: Vec<OrderPlaced> = pending
            .iter()
            .filter(|r| r.announced == 0)
            .map(|r| OrderPlaced {
                order_number: r.number.clone(),
                origin: r.origin.clone().unwrap_or_default(),
                order: serde_json::from_str(&r.data).ok(),
            })
            .collect();
        if !events.is_empty() {
            crate::orders::events::announce(&self.env, &events).await.map_err(runtime_error)?;
            for event in &events {
                sql.exec(
                    "UPDATE orders SET announced = 1 WHERE number = ?",
                    vec![text(event.order_number.clone())],
                )?;
            }
        }
        Ok(pending.len() as u32)
    }

    /// Whether marked orders are waiting (after an upgrade, or an alarm that failed).
    fn has_pending(&self, sql: &SqlStorage) -> Result<bool> {
        let rows: Vec<CountRow> = sql
            .exec("SELECT COUNT(*) AS n FROM orders WHERE indexed = 0 OR announced = 0", None)?
            .to_array()?;
        Ok(rows.first().is_some_and(|r| r.n > 0))
    }
}

impl DurableObject for OrderObject {
    fn new(state: State, env: Env) -> Self {
        OrderObject {
            state,
            env,
            schema_ready: Cell::new(false),
            alarm_set: Cell::new(false),
            looked_for_pending: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command = match durable::read_command::<ShardCommand>(&mut req, "order").await? {
            Ok(command) => command,
            Err(refused) => return Ok(refused),
        };
        if !self.looked_for_pending.replace(true) && self.has_pending(&self.sql()?)? {
            // Orders marked before an upgrade, or by an alarm that gave up: forward them.
            self.arm().await?;
        }
        let forwards = matches!(command, ShardCommand::Forward);
        let reply = self.run(command).await?;
        let index_calls = match &reply {
            OrderReply::Done { changed } if forwards && *changed > 0 => 1,
            _ => 0,
        };
        durable::reply(&reply, index_calls)
    }

    /// Forwards what is marked; rings again while more is waiting.
    async fn alarm(&self) -> Result<Response> {
        let sql = self.sql()?;
        self.alarm_set.set(false);
        self.forward(&sql).await?;
        if self.has_pending(&sql)? {
            self.arm().await?;
        }
        Response::ok("forwarded")
    }
}

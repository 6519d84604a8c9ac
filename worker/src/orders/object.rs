//! `OrderObject`: one shard of the orders (by order number), the authority on each of
//! its orders. Creating an order is idempotent by number, so a retried checkout finds
//! its order rather than making another.
//!
//! Each shard is also the transactional outbox of its orders: a new or changed order is
//! marked in the same write, and the shard's alarm — durable, retried by the runtime —
//! then copies it to the merchant's order index and puts "order placed" on the queue,
//! off the shopper's path. Both steps are idempotent (by number), so an alarm that runs
//! twice changes nothing more.
//!
//! It also settles payments (see [`payment`]): the provider's word on each order —
//! from the completion on the shopper's path or from a webhook — applied once per
//! event, and, from the alarm, orders whose payment never came cancelled and the stock
//! of cancelled orders given back.

mod payment;

use crate::durable::{self, Caller};
use crate::orders::events::{OrderEvent, OrderPlaced};
use crate::orders::protocol::{OrderReply, ShardCommand};
use crate::orders::Index;
use crate::sql::{runtime_error, text, Schema};
use crate::timing::Timing;
use serde::Deserialize;
use shared::orders::{Order, OrderStatus, MAX_NOTES};
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
    schema: Schema,
    /// When the alarm is known to ring (so a burst of orders sets it once).
    alarm_at: Cell<Option<u64>>,
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

/// A shard's orders, the payment events it handled (webhook event ids), cancelled
/// orders whose stock is still to be given back, and those whose lines go back to
/// their cart.
const TABLES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS orders (
        number TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        data TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS payment_events (id TEXT PRIMARY KEY, number TEXT NOT NULL, at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS restocks (number TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS cart_returns (number TEXT PRIMARY KEY, cart TEXT NOT NULL)",
];

/// Added with the order index; objects from before get them (and their orders are then
/// forwarded once). `announced`: 0 to announce, 1 announced, 2 waiting for its payment;
/// `pay_by`: when an order still pending payment is cancelled.
const ADDED_COLUMNS: &[(&str, &str)] = &[
    ("orders", "origin TEXT"),
    ("orders", "indexed INTEGER NOT NULL DEFAULT 0"),
    ("orders", "announced INTEGER NOT NULL DEFAULT 1"),
    ("orders", "pay_by INTEGER"),
    ("orders", "cart TEXT"),
];

impl OrderObject {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        self.schema.ensure(&sql)?;
        Ok(sql)
    }

    fn get(&self, sql: &SqlStorage, number: &str) -> Result<Option<Order>> {
        let rows: Vec<DataRow> =
            sql.exec("SELECT data FROM orders WHERE number = ?", vec![text(number)])?.to_array()?;
        Ok(rows.first().and_then(|r| serde_json::from_str(&r.data).ok()))
    }

    /// Stores a new order; false if one with its number was stored before. An order
    /// pending payment is announced once paid, and cancelled if unpaid by `pay_by`.
    fn insert(
        &self,
        sql: &SqlStorage,
        order: &Order,
        origin: &str,
        pay_by: Option<u64>,
        cart: Option<&str>,
    ) -> Result<bool> {
        let data = serde_json::to_string(order).map_err(runtime_error)?;
        let pending = order.status == OrderStatus::PendingPayment;
        let cursor = sql.exec(
            "INSERT INTO orders (number, email, created_at, data, origin, indexed, announced, pay_by, cart) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)
             ON CONFLICT (number) DO NOTHING",
            vec![
                text(order.number.clone()),
                text(order.email.to_lowercase()),
                SqlStorageValue::from(order.created_at_ms as i64),
                text(data),
                text(origin),
                SqlStorageValue::from(if pending { 2 } else { 0 }),
                match pay_by {
                    Some(at) if pending => SqlStorageValue::from(at as i64),
                    _ => SqlStorageValue::Null,
                },
                cart.map_or(SqlStorageValue::Null, text),
            ],
        )?;
        Ok(cursor.rows_written() > 0)
    }

    /// Stores a changed order (marked for the index); one that is now paid is marked to
    /// be announced, one no longer pending has no payment deadline.
    fn update(&self, sql: &SqlStorage, order: &Order) -> Result<()> {
        let data = serde_json::to_string(order).map_err(runtime_error)?;
        let paid = i64::from(order.status.is_paid());
        let pending = i64::from(order.status == OrderStatus::PendingPayment);
        sql.exec(
            "UPDATE orders SET data = ?, indexed = 0,
                 announced = CASE WHEN announced = 2 AND ? = 1 THEN 0 ELSE announced END,
                 pay_by = CASE WHEN ? = 1 THEN pay_by ELSE NULL END
             WHERE number = ?",
            vec![
                text(data),
                SqlStorageValue::from(paid),
                SqlStorageValue::from(pending),
                text(order.number.clone()),
            ],
        )?;
        Ok(())
    }

    /// Makes sure the alarm will forward what was just marked.
    async fn arm(&self) -> Result<()> {
        self.arm_at(worker::Date::now().as_millis().saturating_add(FORWARD_DELAY_MS)).await
    }

    /// Makes sure the alarm rings by `at` (ms since the epoch).
    async fn arm_at(&self, at: u64) -> Result<()> {
        if self.alarm_at.get().is_some_and(|known| known <= at) {
            return Ok(());
        }
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(set) if set >= 0 && (set as u64) <= at => self.alarm_at.set(Some(set as u64)),
            _ => {
                let date = worker::js_sys::Date::new(&JsValue::from_f64(at as f64));
                storage.set_alarm(worker::ScheduledTime::new(date)).await?;
                self.alarm_at.set(Some(at));
            }
        }
        Ok(())
    }

    async fn run(&self, command: ShardCommand, caller: Caller<'_>) -> Result<OrderReply> {
        let sql = self.sql()?;
        Ok(match command {
            ShardCommand::Create { order, origin, cart } => {
                let pay_by = order.created_at_ms.saturating_add(payment::pending_ttl_ms(&self.env));
                let stored = if self.insert(&sql, &order, &origin, Some(pay_by), cart.as_deref())? {
                    if order.status == OrderStatus::PendingPayment {
                        self.arm_at(pay_by).await?;
                    }
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
            ShardCommand::Fulfil { number, now_ms, tracking } => {
                let order = match self.get(&sql, &number)? {
                    Some(mut order) if order.status == OrderStatus::Paid => {
                        order.status = OrderStatus::Fulfilled;
                        order.fulfilled_at_ms = Some(now_ms);
                        order.tracking = tracking;
                        self.update(&sql, &order)?;
                        self.arm().await?;
                        Some(order)
                    }
                    Some(mut order)
                        if order.status == OrderStatus::Fulfilled
                            && tracking.is_some()
                            && order.tracking != tracking =>
                    {
                        order.tracking = tracking;
                        self.update(&sql, &order)?;
                        self.arm().await?;
                        Some(order)
                    }
                    other => other,
                };
                OrderReply::Order { order: order.map(Box::new) }
            }
            ShardCommand::AddNote { number, note } => match self.get(&sql, &number)? {
                Some(order) if order.notes.len() >= MAX_NOTES => OrderReply::Refused {
                    message: format!("Order {number} has {MAX_NOTES} notes, the most one order keeps."),
                    unavailable: false,
                },
                Some(mut order) => {
                    // A note sent twice (a resubmitted form) is kept once.
                    if order.notes.last() != Some(&note) {
                        order.notes.push(note);
                        self.update(&sql, &order)?;
                        self.arm().await?;
                    }
                    OrderReply::Order { order: Some(Box::new(order)) }
                }
                None => OrderReply::Order { order: None },
            },
            ShardCommand::Forward => OrderReply::Done { changed: self.forward(&sql).await? },
            ShardCommand::Payment { number, event_id, update } => {
                self.apply_payment(&sql, &number, event_id.as_deref(), update, caller).await?
            }
            ShardCommand::PayAgain { number, token, payment_method } => {
                self.pay_again(&sql, &number, &token, &payment_method, caller).await?
            }
            ShardCommand::Refund { number, restock } => self.refund(&sql, &number, restock, caller).await?,
            ShardCommand::SettlePayments => OrderReply::Done { changed: self.settle(&sql, caller).await? },
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
        let events: Vec<OrderEvent> = pending
            .iter()
            .filter(|r| r.announced == 0)
            .map(|r| {
                OrderEvent::Placed(OrderPlaced {
                    order_number: r.number.clone(),
                    origin: r.origin.clone().unwrap_or_default(),
                    order: serde_json::from_str(&r.data).ok(),
                })
            })
            .collect();
        if !events.is_empty() {
            crate::orders::events::announce(&self.env, &events).await.map_err(runtime_error)?;
            for event in &events {
                if let OrderEvent::Placed(placed) = event {
                    sql.exec(
                        "UPDATE orders SET announced = 1 WHERE number = ?",
                        vec![text(placed.order_number.clone())],
                    )?;
                }
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
            schema: Schema::new(TABLES, ADDED_COLUMNS),
            alarm_at: Cell::new(None),
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
        let timing = Timing::start();
        let reply = self.run(command, Caller::new(&self.env, &timing)).await?;
        let index_calls: u32 = match &reply {
            OrderReply::Done { changed } if forwards && *changed > 0 => 1,
            _ => 0,
        };
        durable::reply(&reply, index_calls.saturating_add(timing.do_calls.get()))
    }

    /// Forwards what is marked and settles payments; rings again while more is waiting
    /// (and when the next unpaid order is due).
    async fn alarm(&self) -> Result<Response> {
        let sql = self.sql()?;
        self.alarm_at.set(None);
        // A forwarding that fails must not stop payments from being settled, and the
        // other way round; the alarm rings again for what is left.
        let forwarded = self.forward(&sql).await;
        let timing = Timing::start();
        let settled = self.settle(&sql, Caller::new(&self.env, &timing)).await;
        if self.has_pending(&sql)? || forwarded.is_err() {
            self.arm().await?;
        }
        self.arm_for_payments(&sql).await?;
        forwarded?;
        settled?;
        Response::ok("forwarded")
    }
}

//! Stock in Durable Objects, sharded: each SKU belongs to one of [`SHARDS`]
//! `InventoryObject`s (by a hash of the SKU), so no single object serves the whole shop
//! and every SKU still has exactly one consistent writer.
//!
//! Available = on hand − active reservations. Checkout reserves with an expiry; an alarm
//! sweeps expired reservations (idempotently: it may run more than once); placing the
//! order commits (on hand goes down, once); a failed payment releases (once). On hand
//! never goes below zero.
//!
//! Stock is set by the merchant API, and from the catalog: every request carries the
//! catalog's stock for the SKU, which is applied when it differs from the last catalog
//! value applied — so publishing a new stock figure resets the SKU, while republishing an
//! unchanged one does not undo the sales made since.

use crate::bindings;
use crate::durable::Caller;
use crate::error::{AppError, AppResult};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use shared::Sku;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State,
};

/// Number of inventory objects.
pub const SHARDS: u32 = 16;

/// Which shard holds a SKU.
pub fn shard_of(sku: &Sku) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in sku.as_str().bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % SHARDS
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StockItem {
    pub sku: Sku,
    /// Units asked for (0 for an availability check).
    pub quantity: u32,
    /// The stock the current catalog gives this SKU.
    pub catalog_stock: u32,
}

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
    /// All or nothing: reserves every item under `id`, or none if any is short.
    Reserve {
        id: String,
        items: Vec<StockItem>,
        ttl_ms: u64,
        now_ms: u64,
    },
    /// Turns the reservation into a sale (once). Items are used if it already expired.
    Commit {
        id: String,
        items: Vec<StockItem>,
        now_ms: u64,
    },
    Release {
        id: String,
    },
    SetStock {
        sku: Sku,
        on_hand: u32,
    },
    /// What the alarm does: drop expired reservations.
    Sweep {
        now_ms: u64,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum InventoryReply {
    Available { available: BTreeMap<String, u32> },
    Reserved,
    SoldOut { available: BTreeMap<String, u32> },
    Done { changed: u32 },
}

#[durable_object]
pub struct InventoryObject {
    state: State,
    schema_ready: Cell<bool>,
}

#[derive(Deserialize)]
struct StockRow {
    on_hand: i64,
    catalog_stock: Option<i64>,
}

#[derive(Deserialize)]
struct Sum {
    total: Option<i64>,
}

#[derive(Deserialize)]
struct ReservationRow {
    sku: String,
    quantity: i64,
}

#[derive(Deserialize)]
struct NextRow {
    next: Option<i64>,
}

fn text(value: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::from(value.into())
}

fn int(value: impl Into<i64>) -> SqlStorageValue {
    SqlStorageValue::from(value.into())
}

impl InventoryObject {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        if !self.schema_ready.get() {
            sql.exec(
                "CREATE TABLE IF NOT EXISTS stock (
                    sku TEXT PRIMARY KEY,
                    on_hand INTEGER NOT NULL CHECK (on_hand >= 0),
                    catalog_stock INTEGER
                )",
                None,
            )?;
            sql.exec(
                "CREATE TABLE IF NOT EXISTS reservations (
                    id TEXT NOT NULL,
                    sku TEXT NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    expires_at INTEGER NOT NULL,
                    PRIMARY KEY (id, sku)
                )",
                None,
            )?;
            sql.exec(
                "CREATE TABLE IF NOT EXISTS committed (id TEXT PRIMARY KEY, at INTEGER NOT NULL)",
                None,
            )?;
            self.schema_ready.set(true);
        }
        Ok(sql)
    }

    /// On hand for a SKU, applying the catalog's figure when it changed.
    fn on_hand(&self, sql: &SqlStorage, sku: &str, catalog_stock: u32) -> Result<i64> {
        let rows: Vec<StockRow> = sql
            .exec("SELECT on_hand, catalog_stock FROM stock WHERE sku = ?", vec![text(sku)])?
            .to_array()?;
        let catalog = i64::from(catalog_stock);
        match rows.first() {
            Some(row) if row.catalog_stock == Some(catalog) => Ok(row.on_hand),
            // Set by the merchant API before any catalog figure was seen: keep the
            // merchant's number, and remember the catalog's so only a change resets it.
            Some(row) if row.catalog_stock.is_none() => {
                sql.exec("UPDATE stock SET catalog_stock = ? WHERE sku = ?", vec![int(catalog), text(sku)])?;
                Ok(row.on_hand)
            }
            // The catalog's figure changed: the merchant published new stock.
            Some(_) => {
                sql.exec(
                    "UPDATE stock SET on_hand = ?, catalog_stock = ? WHERE sku = ?",
                    vec![int(catalog), int(catalog), text(sku)],
                )?;
                Ok(catalog)
            }
            None => {
                sql.exec(
                    "INSERT INTO stock (sku, on_hand, catalog_stock) VALUES (?, ?, ?)",
                    vec![text(sku), int(catalog), int(catalog)],
                )?;
                Ok(catalog)
            }
        }
    }

    /// Units of a SKU held by live reservations, other than those of `except`.
    fn reserved(&self, sql: &SqlStorage, sku: &str, now_ms: u64, except: &str) -> Result<i64> {
        let rows: Vec<Sum> = sql
            .exec(
                "SELECT SUM(quantity) AS total FROM reservations WHERE sku = ? AND expires_at > ? AND id != ?",
                vec![text(sku), int(now_ms as i64), text(except)],
            )?
            .to_array()?;
        Ok(rows.first().and_then(|r| r.total).unwrap_or(0))
    }

    fn available(&self, sql: &SqlStorage, item: &StockItem, now_ms: u64, except: &str) -> Result<u32> {
        let sku = item.sku.as_str();
        let free = self.on_hand(sql, sku, item.catalog_stock)? - self.reserved(sql, sku, now_ms, except)?;
        Ok(u32::try_from(free.max(0)).unwrap_or(u32::MAX))
    }

    fn sweep(&self, sql: &SqlStorage, now_ms: u64) -> Result<u32> {
        let cursor = sql.exec("DELETE FROM reservations WHERE expires_at <= ?", vec![int(now_ms as i64)])?;
        Ok(cursor.rows_written() as u32)
    }

    fn next_expiry(&self, sql: &SqlStorage) -> Result<Option<i64>> {
        let rows: Vec<NextRow> =
            sql.exec("SELECT MIN(expires_at) AS next FROM reservations", None)?.to_array()?;
        Ok(rows.first().and_then(|r| r.next))
    }

    async fn schedule_alarm(&self, sql: &SqlStorage) -> Result<()> {
        if let Some(next) = self.next_expiry(sql)? {
            let storage = self.state.storage();
            let current = storage.get_alarm().await?;
            if current.is_none_or(|at| at > next) {
                storage
                    .set_alarm(worker::ScheduledTime::new(worker::js_sys::Date::new(&JsValue::from_f64(
                        next as f64,
                    ))))
                    .await?;
            }
        }
        Ok(())
    }

    async fn run(&self, command: InventoryCommand) -> Result<InventoryReply> {
        let sql = self.sql()?;
        match command {
            InventoryCommand::Availability { items, now_ms, except } => {
                let mut available = BTreeMap::new();
                for item in &items {
                    available.insert(item.sku.to_string(), self.available(&sql, item, now_ms, &except)?);
                }
                Ok(InventoryReply::Available { available })
            }
            InventoryCommand::Reserve { id, items, ttl_ms, now_ms } => {
                // Everything below up to the inserts is synchronous: no other request can
                // reserve between the check and the write.
                let mut wanted: BTreeMap<String, (u32, &StockItem)> = BTreeMap::new();
                for item in &items {
                    let slot = wanted.entry(item.sku.to_string()).or_insert((0, item));
                    slot.0 = slot.0.saturating_add(item.quantity);
                }
                let mut available = BTreeMap::new();
                let mut short = false;
                for (sku, (quantity, item)) in &wanted {
                    let free = self.available(&sql, item, now_ms, &id)?;
                    short |= free < *quantity;
                    available.insert(sku.clone(), free);
                }
                if short {
                    return Ok(InventoryReply::SoldOut { available });
                }
                let expires_at = (now_ms + ttl_ms) as i64;
                for (sku, (quantity, _)) in &wanted {
                    sql.exec(
                        "INSERT INTO reservations (id, sku, quantity, expires_at) VALUES (?, ?, ?, ?)
                         ON CONFLICT (id, sku) DO UPDATE SET quantity = excluded.quantity, expires_at = excluded.expires_at",
                        vec![text(id.clone()), text(sku.clone()), int(i64::from(*quantity)), int(expires_at)],
                    )?;
                }
                self.schedule_alarm(&sql).await?;
                Ok(InventoryReply::Reserved)
            }
            InventoryCommand::Commit { id, items, now_ms } => {
                let done: Vec<Sum> = sql
                    .exec("SELECT COUNT(*) AS total FROM committed WHERE id = ?", vec![text(id.clone())])?
                    .to_array()?;
                if done.first().and_then(|r| r.total).unwrap_or(0) > 0 {
                    return Ok(InventoryReply::Done { changed: 0 });
                }
                let held: Vec<ReservationRow> = sql
                    .exec("SELECT sku, quantity FROM reservations WHERE id = ?", vec![text(id.clone())])?
                    .to_array()?;
                // If the reservation lapsed, the order still stands: take the items as sold.
                let sold: Vec<(String, i64)> = if held.is_empty() {
                    items.iter().map(|i| (i.sku.to_string(), i64::from(i.quantity))).collect()
                } else {
                    held.into_iter().map(|r| (r.sku, r.quantity)).collect()
                };
                for (sku, quantity) in &sold {
                    if let Some(item) = items.iter().find(|i| i.sku.as_str() == sku) {
                        self.on_hand(&sql, sku, item.catalog_stock)?;
                    }
                    sql.exec(
                        "UPDATE stock SET on_hand = MAX(on_hand - ?, 0) WHERE sku = ?",
                        vec![int(*quantity), text(sku.clone())],
                    )?;
                }
                sql.exec("DELETE FROM reservations WHERE id = ?", vec![text(id.clone())])?;
                sql.exec("INSERT INTO committed (id, at) VALUES (?, ?)", vec![text(id), int(now_ms as i64)])?;
                Ok(InventoryReply::Done { changed: sold.len() as u32 })
            }
            InventoryCommand::Release { id } => {
                let cursor = sql.exec("DELETE FROM reservations WHERE id = ?", vec![text(id)])?;
                Ok(InventoryReply::Done { changed: cursor.rows_written() as u32 })
            }
            InventoryCommand::SetStock { sku, on_hand } => {
                sql.exec(
                    "INSERT INTO stock (sku, on_hand, catalog_stock) VALUES (?, ?, NULL)
                     ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand",
                    vec![text(sku.as_str()), int(i64::from(on_hand))],
                )?;
                Ok(InventoryReply::Done { changed: 1 })
            }
            InventoryCommand::Sweep { now_ms } => {
                let changed = self.sweep(&sql, now_ms)?;
                Ok(InventoryReply::Done { changed })
            }
        }
    }
}

impl DurableObject for InventoryObject {
    fn new(state: State, _env: Env) -> Self {
        InventoryObject { state, schema_ready: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: InventoryCommand = match req.json().await {
            Ok(command) => command,
            Err(e) => return Response::error(format!("bad inventory command: {e}"), 400),
        };
        Response::from_json(&self.run(command).await?)
    }

    /// Drops expired reservations and schedules the next sweep. Running it twice, or
    /// late, changes nothing more: only reservations already past their expiry go.
    async fn alarm(&self) -> Result<Response> {
        let sql = self.sql()?;
        let now = worker::Date::now().as_millis();
        self.sweep(&sql, now)?;
        self.schedule_alarm(&sql).await?;
        Response::ok("swept")
    }
}

/// The worker's side: routes each SKU to its shard.
pub struct Inventory<'t> {
    namespace: worker::ObjectNamespace,
    caller: Caller<'t>,
}

impl<'t> Inventory<'t> {
    pub fn new(env: &Env, caller: Caller<'t>) -> AppResult<Inventory<'t>> {
        Ok(Inventory { namespace: env.durable_object(bindings::INVENTORY)?, caller })
    }

    async fn send(&self, shard: u32, command: &InventoryCommand) -> AppResult<InventoryReply> {
        let stub = self.namespace.id_from_name(&format!("inventory-{shard}"))?.get_stub()?;
        self.caller.call(&stub, "stock service", command).await
    }

    /// This isolate's remembered availability of these SKUs is now wrong.
    fn changed(items: &[StockItem]) {
        for item in items {
            crate::routes::pages::forget_availability(&item.sku);
        }
    }

    fn by_shard(items: &[StockItem]) -> BTreeMap<u32, Vec<StockItem>> {
        let mut shards: BTreeMap<u32, Vec<StockItem>> = BTreeMap::new();
        for item in items {
            shards.entry(shard_of(&item.sku)).or_default().push(item.clone());
        }
        shards
    }

    /// Units available now, per SKU (`except`: a hold not to count, the asker's own).
    pub async fn availability(
        &self,
        items: &[StockItem],
        now_ms: u64,
        except: &str,
    ) -> AppResult<HashMap<String, u32>> {
        let shards = Self::by_shard(items);
        let replies = join_all(shards.into_iter().map(|(shard, items)| async move {
            let command = InventoryCommand::Availability { items, now_ms, except: except.to_string() };
            self.send(shard, &command).await
        }))
        .await;
        let mut available = HashMap::new();
        for reply in replies {
            match reply? {
                InventoryReply::Available { available: part } => available.extend(part),
                other => return Err(AppError::Internal(format!("unexpected inventory reply {other:?}"))),
            }
        }
        Ok(available)
    }

    /// Reserves every item or none; on shortage, returns what is available per SKU.
    pub async fn reserve(
        &self,
        id: &str,
        items: &[StockItem],
        ttl_ms: u64,
        now_ms: u64,
    ) -> AppResult<Result<(), BTreeMap<String, u32>>> {
        Self::changed(items);
        let shards = Self::by_shard(items);
        let replies = join_all(shards.iter().map(|(shard, items)| {
            let command =
                InventoryCommand::Reserve { id: id.to_string(), items: items.clone(), ttl_ms, now_ms };
            async move { (*shard, self.send(*shard, &command).await) }
        }))
        .await;
        let mut sold_out = BTreeMap::new();
        let mut failed = None;
        for (_, reply) in &replies {
            match reply {
                Ok(InventoryReply::Reserved) => {}
                Ok(InventoryReply::SoldOut { available }) => sold_out.extend(available.clone()),
                Ok(other) => {
                    failed = Some(AppError::Internal(format!("unexpected inventory reply {other:?}")))
                }
                Err(e) => failed = Some(AppError::Internal(e.to_string())),
            }
        }
        if failed.is_some() || !sold_out.is_empty() {
            // Give back what the other shards reserved.
            self.release(id, items).await?;
        }
        match failed {
            Some(e) => Err(e),
            None if sold_out.is_empty() => Ok(Ok(())),
            None => Ok(Err(sold_out)),
        }
    }

    pub async fn commit(&self, id: &str, items: &[StockItem], now_ms: u64) -> AppResult<()> {
        Self::changed(items);
        for (shard, items) in Self::by_shard(items) {
            self.send(shard, &InventoryCommand::Commit { id: id.to_string(), items, now_ms }).await?;
        }
        Ok(())
    }

    pub async fn release(&self, id: &str, items: &[StockItem]) -> AppResult<()> {
        Self::changed(items);
        for shard in Self::by_shard(items).into_keys() {
            self.send(shard, &InventoryCommand::Release { id: id.to_string() }).await?;
        }
        Ok(())
    }

    pub async fn set_stock(&self, sku: &Sku, on_hand: u32) -> AppResult<()> {
        crate::routes::pages::forget_availability(sku);
        self.send(shard_of(sku), &InventoryCommand::SetStock { sku: sku.clone(), on_hand }).await?;
        Ok(())
    }

    /// Runs every shard's sweep now (what the alarms do); returns reservations dropped.
    pub async fn sweep_all(&self, now_ms: u64) -> AppResult<u32> {
        let mut dropped = 0;
        for shard in 0..SHARDS {
            if let InventoryReply::Done { changed } =
                self.send(shard, &InventoryCommand::Sweep { now_ms }).await?
            {
                dropped += changed;
            }
        }
        Ok(dropped)
    }
}

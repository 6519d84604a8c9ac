//! `InventoryObject`: the one consistent writer of the stock of its shard's SKUs.
//!
//! Storage (SQLite) is the truth: `stock` (on hand and the catalog figure last
//! applied), `reservations` (holds with an expiry) and `committed` (sales, by id, with
//! what they sold). The object mirrors the SKUs it has touched in memory — on hand and
//! live holds — so a hold on a hot SKU costs one SQLite write and no reads. Every
//! command runs without awaiting anything but storage (the input gate stays closed), so
//! no two commands interleave; storage is written before memory, so a failed write
//! leaves memory as it was. An evicted object simply reloads what it touches.

use crate::durable;
use crate::inventory::protocol::{InventoryCommand, InventoryReply};
use crate::sql::{int, runtime_error, text, Schema};
use serde::Deserialize;
use shared::review::StockItem;
use shared::stock::StockLevel;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State,
};

/// Ids whose commit state is remembered before the memory is cleared.
const MAX_KNOWN_IDS: usize = 100_000;

/// How many units of one SKU one client (`shared::limits::client_key`) may hold at once
/// over all its carts: as many as one cart line can have. Past it the hold is refused —
/// the shopper can still pay, a sale needs only free units — so one address cannot keep
/// a SKU from other shoppers by filling many carts.
pub const MAX_UNITS_HELD_PER_CLIENT: i64 = shared::Quantity::MAX as i64;

/// A live or lapsed hold of one SKU.
struct Hold {
    quantity: i64,
    /// Ms since the epoch.
    expires_at: i64,
    /// The client it was held for (`None`: not counted against a client).
    holder: Option<String>,
}

/// A SKU as this object knows it.
#[derive(Default)]
struct SkuStock {
    /// `None`: no row in storage yet (the catalog's figure will make one).
    on_hand: Option<i64>,
    catalog_stock: Option<i64>,
    /// Hold id → the hold.
    holds: HashMap<String, Hold>,
}

impl SkuStock {
    /// Units free at `now`, not counting the hold `except`.
    fn free(&self, now: i64, except: &str) -> i64 {
        let held: i64 = self
            .holds
            .iter()
            .filter(|(id, hold)| hold.expires_at > now && id.as_str() != except)
            .map(|(_, hold)| hold.quantity)
            .sum();
        self.on_hand.unwrap_or(0).saturating_sub(held).max(0)
    }

    /// Units `holder` holds live at `now`, not counting the hold `except`.
    fn held_by(&self, now: i64, holder: &str, except: &str) -> i64 {
        self.holds
            .iter()
            .filter(|(id, hold)| {
                hold.expires_at > now && id.as_str() != except && hold.holder.as_deref() == Some(holder)
            })
            .map(|(_, hold)| hold.quantity)
            .sum()
    }
}

#[durable_object]
pub struct InventoryObject {
    state: State,
    schema: Schema,
    skus: RefCell<HashMap<String, SkuStock>>,
    /// Whether each id seen is committed (a commit is undone only by `Uncommit`).
    committed: RefCell<HashMap<String, bool>>,
    /// The alarm as last read or set: `None` until known, `Some(None)` when unset.
    alarm_at: Cell<Option<Option<i64>>>,
}

#[derive(Deserialize)]
struct StockRow {
    on_hand: i64,
    catalog_stock: Option<i64>,
}

#[derive(Deserialize)]
struct HoldRow {
    id: String,
    quantity: i64,
    expires_at: i64,
    holder: Option<String>,
}

#[derive(Deserialize)]
struct CommittedRow {
    items: Option<String>,
}

#[derive(Deserialize)]
struct LevelRow {
    sku: String,
    on_hand: i64,
    free: i64,
}

#[derive(Deserialize)]
struct NextRow {
    next: Option<i64>,
}

/// Whether a client holding `held` units of a SKU may not hold `wanted` more.
fn over_client_cap(held: i64, wanted: i64) -> bool {
    held.saturating_add(wanted) > MAX_UNITS_HELD_PER_CLIENT
}

fn clamp(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Units per SKU of `items`, summed (a SKU may appear twice in a request).
fn wanted(items: &[StockItem]) -> BTreeMap<String, (i64, u32)> {
    let mut wanted: BTreeMap<String, (i64, u32)> = BTreeMap::new();
    for item in items {
        let slot = wanted.entry(item.sku.to_string()).or_insert((0, item.catalog_stock));
        slot.0 = slot.0.saturating_add(i64::from(item.quantity));
    }
    wanted
}

/// Stock on hand per SKU, the holds (reservations) and the commits (sales) made.
const TABLES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS stock (
        sku TEXT PRIMARY KEY,
        on_hand INTEGER NOT NULL CHECK (on_hand >= 0),
        catalog_stock INTEGER
    )",
    "CREATE TABLE IF NOT EXISTS reservations (
        id TEXT NOT NULL,
        sku TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (id, sku)
    )",
    "CREATE INDEX IF NOT EXISTS reservations_by_sku ON reservations (sku)",
    "CREATE TABLE IF NOT EXISTS committed (id TEXT PRIMARY KEY, at INTEGER NOT NULL, items TEXT)",
];

/// Objects created before holds recorded their client, and before commits recorded
/// what they sold.
const ADDED_COLUMNS: &[(&str, &str)] = &[("reservations", "holder TEXT"), ("committed", "items TEXT")];

impl InventoryObject {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        self.schema.ensure(&sql)?;
        Ok(sql)
    }

    /// Loads a SKU into memory if it is not there yet.
    fn load(&self, sql: &SqlStorage, sku: &str) -> Result<()> {
        if self.skus.borrow().contains_key(sku) {
            return Ok(());
        }
        let rows: Vec<StockRow> = sql
            .exec("SELECT on_hand, catalog_stock FROM stock WHERE sku = ?", vec![text(sku)])?
            .to_array()?;
        let holds: Vec<HoldRow> = sql
            .exec("SELECT id, quantity, expires_at, holder FROM reservations WHERE sku = ?", vec![text(sku)])?
            .to_array()?;
        let stock = SkuStock {
            on_hand: rows.first().map(|r| r.on_hand),
            catalog_stock: rows.first().and_then(|r| r.catalog_stock),
            holds: holds
                .into_iter()
                .map(|h| (h.id, Hold { quantity: h.quantity, expires_at: h.expires_at, holder: h.holder }))
                .collect(),
        };
        self.skus.borrow_mut().insert(sku.to_string(), stock);
        Ok(())
    }

    /// Loads a SKU and applies the catalog's figure: when first seen, and whenever a
    /// published catalog changes it (a republish of the same figure undoes no sales).
    fn apply_catalog(&self, sql: &SqlStorage, sku: &str, catalog_stock: u32) -> Result<()> {
        self.load(sql, sku)?;
        let catalog = i64::from(catalog_stock);
        let (on_hand, known) = {
            let skus = self.skus.borrow();
            let s = skus.get(sku);
            (s.and_then(|s| s.on_hand), s.and_then(|s| s.catalog_stock))
        };
        let new = match (on_hand, known) {
            (None, _) => {
                sql.exec(
                    "INSERT INTO stock (sku, on_hand, catalog_stock) VALUES (?, ?, ?)",
                    vec![text(sku), int(catalog), int(catalog)],
                )?;
                (catalog, catalog)
            }
            (_, Some(seen)) if seen == catalog => return Ok(()),
            // Set by the merchant before any catalog figure was seen: keep the merchant's
            // number, and remember the catalog's so only a change resets it.
            (Some(held), None) => {
                sql.exec("UPDATE stock SET catalog_stock = ? WHERE sku = ?", vec![int(catalog), text(sku)])?;
                (held, catalog)
            }
            // The catalog's figure changed: the merchant published new stock.
            (_, Some(_)) => {
                sql.exec(
                    "UPDATE stock SET on_hand = ?, catalog_stock = ? WHERE sku = ?",
                    vec![int(catalog), int(catalog), text(sku)],
                )?;
                (catalog, catalog)
            }
        };
        if let Some(s) = self.skus.borrow_mut().get_mut(sku) {
            s.on_hand = Some(new.0);
            s.catalog_stock = Some(new.1);
        }
        Ok(())
    }

    fn free(&self, sku: &str, now: i64, except: &str) -> i64 {
        self.skus.borrow().get(sku).map_or(0, |s| s.free(now, except))
    }

    fn know_committed(&self, id: &str, committed: bool) {
        let mut known = self.committed.borrow_mut();
        if known.len() >= MAX_KNOWN_IDS {
            known.clear();
        }
        known.insert(id.to_string(), committed);
    }

    /// Applies catalog figures and returns what is free per SKU for the asker `except`.
    fn free_for(
        &self,
        sql: &SqlStorage,
        wanted: &BTreeMap<String, (i64, u32)>,
        now: i64,
        except: &str,
    ) -> Result<(BTreeMap<String, u32>, bool)> {
        let mut available = BTreeMap::new();
        let mut short = false;
        for (sku, (quantity, catalog_stock)) in wanted {
            self.apply_catalog(sql, sku, *catalog_stock)?;
            let free = self.free(sku, now, except);
            short |= free < *quantity;
            available.insert(sku.clone(), clamp(free));
        }
        Ok((available, short))
    }

    fn drop_holds(&self, sql: &SqlStorage, id: &str) -> Result<u32> {
        let cursor = sql.exec("DELETE FROM reservations WHERE id = ?", vec![text(id)])?;
        for stock in self.skus.borrow_mut().values_mut() {
            stock.holds.remove(id);
        }
        Ok(cursor.rows_written() as u32)
    }

    async fn reserve(
        &self,
        sql: &SqlStorage,
        id: String,
        holder: Option<String>,
        items: &[StockItem],
        expires_at: i64,
        now: i64,
    ) -> Result<InventoryReply> {
        // The cart holds nothing for a checkout being placed (see `checkout::procedure`);
        // what this object already knows to be sold is refused without a read.
        if self.committed.borrow().get(&id) == Some(&true) {
            return Ok(InventoryReply::Committed);
        }
        let wanted = wanted(items);
        let (available, short) = self.free_for(sql, &wanted, now, &id)?;
        if short {
            return Ok(InventoryReply::SoldOut { available });
        }
        if let Some(client) = holder.as_deref() {
            let skus = self.skus.borrow();
            let over = wanted.iter().any(|(sku, (quantity, _))| {
                over_client_cap(skus.get(sku).map_or(0, |s| s.held_by(now, client, &id)), *quantity)
            });
            if over {
                return Ok(InventoryReply::Capped { available });
            }
        }
        for (sku, (quantity, _)) in &wanted {
            sql.exec(
                "INSERT INTO reservations (id, sku, quantity, expires_at, holder) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (id, sku) DO UPDATE SET quantity = excluded.quantity,
                   expires_at = excluded.expires_at, holder = excluded.holder",
                vec![
                    text(id.clone()),
                    text(sku.clone()),
                    int(*quantity),
                    int(expires_at),
                    SqlStorageValue::from(holder.clone()),
                ],
            )?;
            if let Some(s) = self.skus.borrow_mut().get_mut(sku) {
                let hold = Hold { quantity: *quantity, expires_at, holder: holder.clone() };
                s.holds.insert(id.clone(), hold);
            }
        }
        self.alarm_by(expires_at).await?;
        Ok(InventoryReply::Reserved { available })
    }

    fn commit(
        &self,
        sql: &SqlStorage,
        id: String,
        hold: &str,
        items: &[StockItem],
        now: i64,
    ) -> Result<InventoryReply> {
        if self.committed.borrow().get(&id) == Some(&true) {
            return Ok(InventoryReply::Committed);
        }
        let wanted = wanted(items);
        let sold: Vec<(String, i64)> = wanted.iter().map(|(sku, (q, _))| (sku.clone(), *q)).collect();
        let record = serde_json::to_string(&sold).map_err(runtime_error)?;
        // Claim the id first: a second commit of it changes nothing.
        let claimed = sql.exec(
            "INSERT INTO committed (id, at, items) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
            vec![text(id.clone()), int(now), text(record)],
        )?;
        if claimed.rows_written() == 0 {
            self.know_committed(&id, true);
            return Ok(InventoryReply::Committed);
        }
        let (available, short) = self.free_for(sql, &wanted, now, hold)?;
        if short {
            sql.exec("DELETE FROM committed WHERE id = ?", vec![text(id.clone())])?;
            self.drop_holds(sql, hold)?;
            self.know_committed(&id, false);
            return Ok(InventoryReply::SoldOut { available });
        }
        for (sku, quantity) in &sold {
            sql.exec(
                "UPDATE stock SET on_hand = on_hand - ? WHERE sku = ?",
                vec![int(*quantity), text(sku.clone())],
            )?;
        }
        self.drop_holds(sql, hold)?;
        let mut skus = self.skus.borrow_mut();
        for (sku, quantity) in &sold {
            if let Some(s) = skus.get_mut(sku) {
                s.on_hand = s.on_hand.map(|n| n.saturating_sub(*quantity));
            }
        }
        drop(skus);
        self.know_committed(&id, true);
        Ok(InventoryReply::Committed)
    }

    fn uncommit(&self, sql: &SqlStorage, id: String) -> Result<InventoryReply> {
        let rows: Vec<CommittedRow> =
            sql.exec("SELECT items FROM committed WHERE id = ?", vec![text(id.clone())])?.to_array()?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(InventoryReply::Done { changed: 0 });
        };
        let sold: Vec<(String, i64)> =
            row.items.and_then(|i| serde_json::from_str(&i).ok()).unwrap_or_default();
        for (sku, quantity) in &sold {
            self.load(sql, sku)?;
            sql.exec(
                "UPDATE stock SET on_hand = on_hand + ? WHERE sku = ?",
                vec![int(*quantity), text(sku.clone())],
            )?;
        }
        sql.exec("DELETE FROM committed WHERE id = ?", vec![text(id.clone())])?;
        let mut skus = self.skus.borrow_mut();
        for (sku, quantity) in &sold {
            if let Some(s) = skus.get_mut(sku) {
                s.on_hand = s.on_hand.map(|n| n.saturating_add(*quantity));
            }
        }
        drop(skus);
        self.know_committed(&id, false);
        Ok(InventoryReply::Done { changed: sold.len() as u32 })
    }

    fn set_stock(&self, sql: &SqlStorage, sku: &str, on_hand: u32) -> Result<InventoryReply> {
        self.load(sql, sku)?;
        sql.exec(
            "INSERT INTO stock (sku, on_hand, catalog_stock) VALUES (?, ?, NULL)
             ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand",
            vec![text(sku), int(i64::from(on_hand))],
        )?;
        if let Some(s) = self.skus.borrow_mut().get_mut(sku) {
            s.on_hand = Some(i64::from(on_hand));
        }
        Ok(InventoryReply::Done { changed: 1 })
    }

    /// Drops holds that expired by `now`; running it twice changes nothing more.
    fn sweep(&self, sql: &SqlStorage, now: i64) -> Result<u32> {
        let cursor = sql.exec("DELETE FROM reservations WHERE expires_at <= ?", vec![int(now)])?;
        for stock in self.skus.borrow_mut().values_mut() {
            stock.holds.retain(|_, hold| hold.expires_at > now);
        }
        Ok(cursor.rows_written() as u32)
    }

    /// Makes sure the alarm rings by `at` (holds expire then).
    async fn alarm_by(&self, at: i64) -> Result<()> {
        let storage = self.state.storage();
        let current = match self.alarm_at.get() {
            Some(known) => known,
            None => storage.get_alarm().await?,
        };
        if current.is_none_or(|ringing| ringing > at) {
            storage
                .set_alarm(worker::ScheduledTime::new(worker::js_sys::Date::new(&JsValue::from_f64(
                    at as f64,
                ))))
                .await?;
            self.alarm_at.set(Some(Some(at)));
        } else {
            self.alarm_at.set(Some(current));
        }
        Ok(())
    }

    async fn run(&self, command: InventoryCommand) -> Result<InventoryReply> {
        let sql = self.sql()?;
        match command {
            InventoryCommand::Availability { items, now_ms, except } => {
                let wanted: BTreeMap<String, (i64, u32)> =
                    items.iter().map(|i| (i.sku.to_string(), (0, i.catalog_stock))).collect();
                let (available, _) = self.free_for(&sql, &wanted, now_ms as i64, &except)?;
                Ok(InventoryReply::Available { available })
            }
            InventoryCommand::Reserve { id, holder, items, ttl_ms, now_ms } => {
                self.reserve(&sql, id, holder, &items, now_ms.saturating_add(ttl_ms) as i64, now_ms as i64)
                    .await
            }
            InventoryCommand::Commit { id, items, now_ms, hold } => {
                let hold = hold.unwrap_or_else(|| id.clone());
                self.commit(&sql, id, &hold, &items, now_ms as i64)
            }
            InventoryCommand::Uncommit { id } => self.uncommit(&sql, id),
            InventoryCommand::Release { id } => {
                Ok(InventoryReply::Done { changed: self.drop_holds(&sql, &id)? })
            }
            InventoryCommand::SetStock { sku, on_hand } => self.set_stock(&sql, sku.as_str(), on_hand),
            InventoryCommand::Levels { items, now_ms } => {
                let mut levels = BTreeMap::new();
                for item in &items {
                    let sku = item.sku.as_str();
                    self.apply_catalog(&sql, sku, item.catalog_stock)?;
                    let on_hand = self.skus.borrow().get(sku).and_then(|s| s.on_hand).unwrap_or(0);
                    let available = self.free(sku, now_ms as i64, "");
                    levels.insert(
                        sku.to_string(),
                        StockLevel { on_hand: clamp(on_hand), available: clamp(available) },
                    );
                }
                Ok(InventoryReply::Levels { levels })
            }
            InventoryCommand::Low { threshold, limit, now_ms } => {
                let rows: Vec<LevelRow> = sql
                    .exec(
                        "SELECT sku, on_hand, free FROM (
                             SELECT s.sku AS sku, s.on_hand AS on_hand, s.on_hand - COALESCE(
                                 (SELECT SUM(r.quantity) FROM reservations r WHERE r.sku = s.sku AND r.expires_at > ?), 0
                             ) AS free FROM stock s
                         ) WHERE free <= ? ORDER BY free, sku LIMIT ?",
                        vec![int(now_ms as i64), int(i64::from(threshold)), int(i64::from(limit))],
                    )?
                    .to_array()?;
                let levels = rows
                    .into_iter()
                    .map(|r| (r.sku, StockLevel { on_hand: clamp(r.on_hand), available: clamp(r.free) }))
                    .collect();
                Ok(InventoryReply::Levels { levels })
            }
            InventoryCommand::Sweep { now_ms } => {
                Ok(InventoryReply::Done { changed: self.sweep(&sql, now_ms as i64)? })
            }
        }
    }
}

impl DurableObject for InventoryObject {
    fn new(state: State, _env: Env) -> Self {
        InventoryObject {
            state,
            schema: Schema::new(TABLES, ADDED_COLUMNS),
            skus: RefCell::new(HashMap::new()),
            committed: RefCell::new(HashMap::new()),
            alarm_at: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command = match durable::read_command::<InventoryCommand>(&mut req, "inventory").await? {
            Ok(command) => command,
            Err(refused) => return Ok(refused),
        };
        Response::from_json(&self.run(command).await?)
    }

    /// Drops expired holds and sets the alarm for the next expiry. Running it twice, or
    /// late, changes nothing more: only holds already past their expiry go.
    async fn alarm(&self) -> Result<Response> {
        let sql = self.sql()?;
        let now = worker::Date::now().as_millis() as i64;
        self.sweep(&sql, now)?;
        self.alarm_at.set(Some(None));
        let rows: Vec<NextRow> =
            sql.exec("SELECT MIN(expires_at) AS next FROM reservations", None)?.to_array()?;
        if let Some(next) = rows.first().and_then(|r| r.next) {
            self.alarm_by(next).await?;
        }
        Response::ok("swept")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Sku;

    fn hold(quantity: i64, expires_at: i64, holder: Option<&str>) -> Hold {
        Hold { quantity, expires_at, holder: holder.map(str::to_string) }
    }

    fn stock(on_hand: i64, holds: Vec<(&str, Hold)>) -> SkuStock {
        SkuStock {
            on_hand: Some(on_hand),
            catalog_stock: None,
            holds: holds.into_iter().map(|(id, h)| (id.to_string(), h)).collect(),
        }
    }

    #[test]
    fn free_units_count_live_holds_but_the_askers_own() {
        let s = stock(10, vec![("a", hold(3, 100, None)), ("b", hold(4, 50, Some("ip1")))]);
        assert_eq!(s.free(10, ""), 3, "both holds live");
        assert_eq!(s.free(10, "a"), 6, "the asker's own hold is theirs");
        assert_eq!(s.free(50, ""), 7, "a hold lapses at its expiry");
        assert_eq!(s.free(100, ""), 10);
        assert_eq!(stock(2, vec![("a", hold(5, 100, None))]).free(0, ""), 0, "never below zero");
        assert_eq!(SkuStock::default().free(0, ""), 0, "no row yet: nothing free");
    }

    #[test]
    fn a_client_holds_at_most_the_cap_over_its_carts() {
        let s = stock(500, vec![("a", hold(60, 100, Some("ip1"))), ("b", hold(30, 100, Some("ip1")))]);
        assert_eq!(s.held_by(10, "ip1", ""), 90);
        assert_eq!(s.held_by(10, "ip1", "b"), 60, "re-holding one cart replaces its hold");
        assert_eq!(s.held_by(10, "ip2", ""), 0);
        assert_eq!(s.held_by(100, "ip1", ""), 0, "lapsed holds count for no one");
        assert!(!over_client_cap(90, MAX_UNITS_HELD_PER_CLIENT - 90));
        assert!(over_client_cap(90, MAX_UNITS_HELD_PER_CLIENT - 89));
        assert!(!over_client_cap(0, MAX_UNITS_HELD_PER_CLIENT));
    }

    #[test]
    fn a_sku_asked_twice_is_wanted_once_with_both_quantities() {
        let item = |sku: &str, quantity: u32| StockItem {
            sku: Sku::parse(sku).unwrap(),
            quantity,
            catalog_stock: 7,
        };
        let wanted = wanted(&[item("A-1", 2), item("B-1", 1), item("A-1", 3)]);
        assert_eq!(wanted.get("A-1"), Some(&(5, 7)));
        assert_eq!(wanted.get("B-1"), Some(&(1, 7)));
        assert_eq!(wanted.len(), 2);
    }
}

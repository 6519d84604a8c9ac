//! A cart's storage in its object's SQLite: the lines (with the price seen when added),
//! checkout details in `meta`, and the idempotency records of order completions. Every
//! method is synchronous — no `.await` — so a command's reads and writes commit as one
//! unit and no other command runs in between.

use serde::{Deserialize, Serialize};
use shared::review::CartState;
use shared::{quantity_after_add, CartError, CartLine, Handle, Money, Quantity, Sku};
use worker::{Result, SqlStorage, SqlStorageValue, State};

/// How a completion attempt under an idempotency key may go on.
pub enum Begin {
    /// Go ahead with this cart (the key is recorded as in flight).
    Proceed(CartState),
    /// This key finished before: here is what it answered (stored JSON).
    Replay(serde_json::Value),
    /// This key is being completed right now.
    InFlight,
    /// This key was used for a different request.
    KeyReused,
    /// Another completion of this cart is running under another key.
    CartBusy,
}

pub struct CartStore {
    sql: SqlStorage,
}

#[derive(Deserialize)]
struct LineRow {
    product: String,
    sku: String,
    quantity: i64,
    added_at_price: Option<String>,
}

#[derive(Deserialize)]
struct MetaRow {
    key: String,
    value: String,
}

#[derive(Deserialize)]
struct KeyRow {
    key: String,
    fingerprint: String,
    status: String,
    outcome: Option<String>,
    started_at: i64,
}

fn text(value: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::from(value.into())
}

fn line_from_row(row: LineRow) -> Option<CartLine> {
    let quantity = u32::try_from(row.quantity).ok().and_then(|q| Quantity::new(q).ok())?;
    Some(CartLine {
        product: Handle::parse(&row.product).ok()?,
        sku: Sku::parse(&row.sku).ok()?,
        quantity,
        added_at_price: row.added_at_price.and_then(|p| serde_json::from_str::<Money>(&p).ok()),
    })
}

impl CartStore {
    /// The store of `state`'s object; creates the tables the first time (`ready`).
    pub fn open(state: &State, ready: &std::cell::Cell<bool>) -> Result<CartStore> {
        let sql = state.storage().sql();
        if !ready.get() {
            sql.exec(
                "CREATE TABLE IF NOT EXISTS lines (
                    sku TEXT PRIMARY KEY,
                    product TEXT NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    added_at_price TEXT
                )",
                None,
            )?;
            sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", None)?;
            sql.exec(
                "CREATE TABLE IF NOT EXISTS completions (
                    key TEXT PRIMARY KEY,
                    fingerprint TEXT NOT NULL,
                    status TEXT NOT NULL,
                    outcome TEXT,
                    started_at INTEGER NOT NULL
                )",
                None,
            )?;
            ready.set(true);
        }
        Ok(CartStore { sql })
    }

    pub fn meta<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>> {
        let rows: Vec<MetaRow> =
            self.sql.exec("SELECT key, value FROM meta WHERE key = ?", vec![text(key)])?.to_array()?;
        Ok(rows.first().and_then(|r| serde_json::from_str(&r.value).ok()))
    }

    pub fn set_meta<T: Serialize>(&self, key: &str, value: Option<&T>) -> Result<()> {
        match value.and_then(|v| serde_json::to_string(v).ok()) {
            Some(json) => self.sql.exec(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                vec![text(key), text(json)],
            )?,
            None => self.sql.exec("DELETE FROM meta WHERE key = ?", vec![text(key)])?,
        };
        Ok(())
    }

    pub fn lines(&self) -> Result<Vec<CartLine>> {
        let rows: Vec<LineRow> = self
            .sql
            .exec("SELECT product, sku, quantity, added_at_price FROM lines ORDER BY rowid", None)?
            .to_array()?;
        Ok(rows.into_iter().filter_map(line_from_row).collect())
    }

    /// Everything the cart holds (one read of the lines, one of the details).
    pub fn state(&self) -> Result<CartState> {
        let rows: Vec<MetaRow> = self.sql.exec("SELECT key, value FROM meta", None)?.to_array()?;
        let field = |name: &str| rows.iter().find(|r| r.key == name).map(|r| r.value.as_str());
        fn parse<T: for<'de> Deserialize<'de>>(value: Option<&str>) -> Option<T> {
            value.and_then(|v| serde_json::from_str(v).ok())
        }
        Ok(CartState {
            lines: self.lines()?,
            discount_code: parse(field("discount_code")),
            email: parse(field("email")),
            address: parse(field("address")),
            shipping_rate: parse(field("shipping_rate")),
            checkout_seq: parse(field("checkout_seq")).unwrap_or(0),
        })
    }

    fn upsert(&self, line: &CartLine) -> Result<()> {
        let price = line.added_at_price.and_then(|p| serde_json::to_string(&p).ok());
        self.sql.exec(
            "INSERT INTO lines (sku, product, quantity, added_at_price) VALUES (?, ?, ?, ?)
             ON CONFLICT (sku) DO UPDATE SET quantity = excluded.quantity, product = excluded.product,
                 added_at_price = COALESCE(excluded.added_at_price, lines.added_at_price)",
            vec![
                text(line.sku.as_str()),
                text(line.product.as_str()),
                SqlStorageValue::from(i64::from(line.quantity.get())),
                price.map(SqlStorageValue::from).unwrap_or(SqlStorageValue::Null),
            ],
        )?;
        Ok(())
    }

    /// Adds `line` to what the cart holds of its SKU, within the cart rules.
    pub fn add(&self, line: CartLine) -> Result<std::result::Result<(), CartError>> {
        let lines = self.lines()?;
        let existing = lines.iter().find(|l| l.sku == line.sku).map(|l| l.quantity);
        match quantity_after_add(&line.sku, existing, line.quantity, lines.len()) {
            Ok(quantity) => self.upsert(&CartLine { quantity, ..line }).map(Ok),
            Err(refused) => Ok(Err(refused)),
        }
    }

    /// Sets a line's quantity (0 removes it); the message says why it could not.
    pub fn set_quantity(&self, sku: Sku, quantity: u32) -> Result<std::result::Result<(), String>> {
        if quantity == 0 {
            self.sql.exec("DELETE FROM lines WHERE sku = ?", vec![text(sku.as_str())])?;
            return Ok(Ok(()));
        }
        let Ok(quantity) = Quantity::new(quantity) else {
            let existing = quantity.min(Quantity::MAX);
            return Ok(Err(CartError::TooManyOfOne { sku, existing }.to_string()));
        };
        let Some(line) = self.lines()?.into_iter().find(|l| l.sku == sku) else {
            return Ok(Err(format!("Your cart has no {sku} to change.")));
        };
        self.upsert(&CartLine { quantity, ..line }).map(Ok)
    }

    pub fn clear(&self) -> Result<()> {
        self.sql.exec("DELETE FROM lines", None)?;
        self.sql.exec("DELETE FROM meta WHERE key = 'discount_code'", None)?;
        Ok(())
    }

    fn completions(&self) -> Result<Vec<KeyRow>> {
        self.sql
            .exec("SELECT key, fingerprint, status, outcome, started_at FROM completions", None)?
            .to_array()
    }

    /// Whether a completion is running (started less than `takeover_ms` ago).
    pub fn completing(&self, now_ms: u64, takeover_ms: u64) -> Result<bool> {
        let now = now_ms as i64;
        Ok(self
            .completions()?
            .iter()
            .any(|r| r.status == "in_flight" && now - r.started_at < takeover_ms as i64))
    }

    /// The idempotency rules: same key and request → the first outcome; same key,
    /// different request → refused; a key in flight → wait; one completion per cart at a
    /// time. An attempt in flight for longer than `takeover_ms` was abandoned (its worker
    /// died): a retry with its key takes it over (every step after is idempotent).
    pub fn begin(&self, key: &str, fingerprint: &str, now_ms: u64, takeover_ms: u64) -> Result<Begin> {
        let rows = self.completions()?;
        let now = now_ms as i64;
        let fresh = |row: &KeyRow| now - row.started_at < takeover_ms as i64;
        if let Some(row) = rows.iter().find(|r| r.key == key) {
            if row.fingerprint != fingerprint {
                return Ok(Begin::KeyReused);
            }
            if row.status == "done" {
                let outcome =
                    row.outcome.as_deref().and_then(|o| serde_json::from_str(o).ok()).unwrap_or_default();
                return Ok(Begin::Replay(outcome));
            }
            if fresh(row) {
                return Ok(Begin::InFlight);
            }
            self.sql.exec(
                "UPDATE completions SET started_at = ? WHERE key = ?",
                vec![SqlStorageValue::from(now), text(key)],
            )?;
            return Ok(Begin::Proceed(self.state()?));
        }
        if rows.iter().any(|r| r.status == "in_flight" && fresh(r)) {
            return Ok(Begin::CartBusy);
        }
        self.sql.exec(
            "INSERT INTO completions (key, fingerprint, status, started_at) VALUES (?, ?, 'in_flight', ?)",
            vec![text(key), text(fingerprint), SqlStorageValue::from(now)],
        )?;
        Ok(Begin::Proceed(self.state()?))
    }

    /// Stores a completion's outcome for replays; `placed` empties the cart, and the next
    /// checkout of the cart holds stock under a new name.
    pub fn finish(&self, key: &str, outcome: &serde_json::Value, placed: bool) -> Result<()> {
        self.sql.exec(
            "UPDATE completions SET status = 'done', outcome = ? WHERE key = ?",
            vec![text(outcome.to_string()), text(key)],
        )?;
        if placed {
            self.sql.exec("DELETE FROM lines", None)?;
            self.sql.exec(
                "DELETE FROM meta WHERE key IN ('discount_code', 'shipping_rate', 'held_until')",
                None,
            )?;
            let seq: u64 = self.meta("checkout_seq")?.unwrap_or(0);
            self.set_meta("checkout_seq", Some(&(seq + 1)))?;
        }
        Ok(())
    }

    /// Forgets a key whose attempt changed nothing for good, so it may be retried.
    pub fn abort(&self, key: &str) -> Result<()> {
        self.sql.exec("DELETE FROM completions WHERE key = ? AND status = 'in_flight'", vec![text(key)])?;
        Ok(())
    }
}

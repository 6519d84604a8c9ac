//! A cart's storage in its object's SQLite: the lines (with the price seen when added),
//! checkout details in `meta`, and the idempotency records of order completions. Every
//! method is synchronous — no `.await` — so a command's reads and writes commit as one
//! unit and no other command runs in between.
//!
//! The object is the cart's only writer, so the store keeps what it read in memory
//! (the cart, the completions in flight) and answers from there: storage is written
//! first and memory after, so a failed write leaves memory as it was, and an evicted
//! object reads its storage again.

use super::protocol::Refusal;
use crate::sql::{text, Schema};
use serde::{Deserialize, Serialize};
use shared::checkout::Address;
use shared::review::CartState;
use shared::{quantity_after_add, CartError, CartLine, Handle, Money, Quantity, Sku};
use std::cell::RefCell;
use worker::{Result, SqlStorage, SqlStorageValue, State};

/// The meta key of the lines an order awaiting its payment took from the cart.
const AWAITING_PAYMENT: &str = "awaiting_payment";

/// The lines an order placed from this cart took, while its payment is awaited.
#[derive(Serialize, Deserialize)]
struct AwaitingPayment {
    order: String,
    lines: Vec<CartLine>,
}

/// Whether a finished completion placed an order.
pub enum Placed<'a> {
    No,
    Paid,
    /// Placed, its payment still awaited (this order number).
    AwaitingPayment(&'a str),
}

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

/// What the completions in flight say about an attempt under `key` (the idempotency
/// rules, before any storage is read or written).
#[derive(Debug, PartialEq, Eq)]
enum FlightCheck {
    /// The key is in flight for another request.
    KeyReused,
    /// The key's attempt is running.
    InFlight,
    /// The key's attempt was abandoned (in flight past the takeover): this one takes it over.
    TakeOver,
    /// Nothing runs: claim the key, unless it finished before.
    Claim,
    /// Another key's attempt is running: the key may still have finished before.
    Busy,
}

fn check_flights(
    flights: &[Flight],
    key: &str,
    fingerprint: &str,
    now: i64,
    takeover_ms: u64,
) -> FlightCheck {
    if let Some(flight) = flights.iter().find(|f| f.key == key) {
        return if flight.fingerprint != fingerprint {
            FlightCheck::KeyReused
        } else if flight.running(now, takeover_ms) {
            FlightCheck::InFlight
        } else {
            FlightCheck::TakeOver
        };
    }
    if flights.iter().any(|f| f.running(now, takeover_ms)) {
        FlightCheck::Busy
    } else {
        FlightCheck::Claim
    }
}

pub struct CartStore {
    sql: SqlStorage,
    schema: Schema,
    /// The cart as stored, once read.
    cart: RefCell<Option<CartState>>,
    /// Completions in flight, once read.
    in_flight: RefCell<Option<Vec<Flight>>>,
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
    fingerprint: String,
    outcome: Option<String>,
}

/// A completion in flight.
#[derive(Clone, Deserialize)]
struct Flight {
    key: String,
    fingerprint: String,
    started_at: i64,
}

impl Flight {
    /// Whether it still runs at `now`: started less than `takeover_ms` ago (after that
    /// its worker is taken to have died, and a retry of its key may take it over).
    fn running(&self, now: i64, takeover_ms: u64) -> bool {
        now.saturating_sub(self.started_at) < i64::try_from(takeover_ms).unwrap_or(i64::MAX)
    }
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

fn parse<T: for<'de> Deserialize<'de>>(rows: &[MetaRow], key: &str) -> Option<T> {
    rows.iter().find(|r| r.key == key).and_then(|r| serde_json::from_str(&r.value).ok())
}

/// A cart's lines, its checkout details (`meta`) and its completions (one statement: a
/// cart object starts once per shopper, so this is on their first request).
const TABLES: &[&str] = &["CREATE TABLE IF NOT EXISTS lines (
        sku TEXT PRIMARY KEY,
        product TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        added_at_price TEXT
    );
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS completions (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT,
        started_at INTEGER NOT NULL
    )"];

impl CartStore {
    pub fn new(state: &State) -> CartStore {
        CartStore {
            sql: state.storage().sql(),
            schema: Schema::new(TABLES, &[]),
            cart: RefCell::new(None),
            in_flight: RefCell::new(None),
        }
    }

    /// Creates the tables the first time; every command starts here.
    pub fn open(&self) -> Result<&CartStore> {
        self.schema.ensure(&self.sql)?;
        Ok(self)
    }

    /// Everything the cart holds.
    pub fn state(&self) -> Result<CartState> {
        if let Some(cart) = self.cart.borrow().as_ref() {
            return Ok(cart.clone());
        }
        let lines: Vec<LineRow> = self
            .sql
            .exec("SELECT product, sku, quantity, added_at_price FROM lines ORDER BY rowid", None)?
            .to_array()?;
        let meta: Vec<MetaRow> = self.sql.exec("SELECT key, value FROM meta", None)?.to_array()?;
        let cart = CartState {
            lines: lines.into_iter().filter_map(line_from_row).collect(),
            discount_code: parse(&meta, "discount_code"),
            email: parse(&meta, "email"),
            address: parse(&meta, "address"),
            shipping_rate: parse(&meta, "shipping_rate"),
            checkout_seq: parse(&meta, "checkout_seq").unwrap_or(0),
        };
        *self.cart.borrow_mut() = Some(cart.clone());
        Ok(cart)
    }

    /// Applies a change to the remembered cart (after storage took it).
    fn remember(&self, change: impl FnOnce(&mut CartState)) {
        if let Some(cart) = self.cart.borrow_mut().as_mut() {
            change(cart);
        }
    }

    pub fn meta<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>> {
        let rows: Vec<MetaRow> =
            self.sql.exec("SELECT key, value FROM meta WHERE key = ?", vec![text(key)])?.to_array()?;
        Ok(parse(&rows, key))
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

    pub fn set_discount(&self, code: Option<String>) -> Result<()> {
        self.set_meta("discount_code", code.as_ref())?;
        self.remember(|c| c.discount_code = code);
        Ok(())
    }

    pub fn set_email(&self, email: String) -> Result<()> {
        self.set_meta("email", Some(&email))?;
        self.remember(|c| c.email = Some(email));
        Ok(())
    }

    /// A new address clears the chosen rate (other rates may apply).
    pub fn set_address(&self, address: Address) -> Result<()> {
        self.set_meta("address", Some(&address))?;
        self.set_meta::<String>("shipping_rate", None)?;
        self.remember(|c| {
            c.address = Some(address);
            c.shipping_rate = None;
        });
        Ok(())
    }

    pub fn set_rate(&self, rate: String) -> Result<()> {
        self.set_meta("shipping_rate", Some(&rate))?;
        self.remember(|c| c.shipping_rate = Some(rate));
        Ok(())
    }

    /// Until when the cart's stock hold lasts (ms since the epoch; `None`: no hold).
    pub fn held_until(&self) -> Result<Option<u64>> {
        self.meta("held_until")
    }

    pub fn set_held_until(&self, until: Option<u64>) -> Result<()> {
        self.set_meta("held_until", until.as_ref())
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
        let line = line.clone();
        self.remember(|c| match c.lines.iter_mut().find(|l| l.sku == line.sku) {
            Some(held) => {
                held.quantity = line.quantity;
                held.product = line.product;
                held.added_at_price = line.added_at_price.or(held.added_at_price);
            }
            None => c.lines.push(line),
        });
        Ok(())
    }

    /// Adds `line` to what the cart holds of its SKU, within the cart rules.
    pub fn add(&self, line: CartLine) -> Result<std::result::Result<(), CartError>> {
        let lines = self.state()?.lines;
        let existing = lines.iter().find(|l| l.sku == line.sku).map(|l| l.quantity);
        match quantity_after_add(&line.sku, existing, line.quantity, lines.len()) {
            Ok(quantity) => self.upsert(&CartLine { quantity, ..line }).map(Ok),
            Err(refused) => Ok(Err(refused)),
        }
    }

    /// Sets a line's quantity (0 removes it); a line the cart does not have is
    /// [`Refusal::NoSuchLine`], whatever the quantity.
    pub fn set_quantity(&self, sku: Sku, quantity: u32) -> Result<std::result::Result<(), Refusal>> {
        let Some(line) = self.state()?.lines.into_iter().find(|l| l.sku == sku) else {
            return Ok(Err(Refusal::NoSuchLine { sku: sku.to_string() }));
        };
        if quantity == 0 {
            self.sql.exec("DELETE FROM lines WHERE sku = ?", vec![text(sku.as_str())])?;
            self.remember(|c| c.lines.retain(|l| l.sku != sku));
            return Ok(Ok(()));
        }
        let Ok(quantity) = Quantity::new(quantity) else {
            let existing = quantity.min(Quantity::MAX);
            return Ok(Err(Refusal::Rule { message: CartError::TooManyOfOne { sku, existing }.text() }));
        };
        self.upsert(&CartLine { quantity, ..line }).map(Ok)
    }

    pub fn clear(&self) -> Result<()> {
        self.sql.exec("DELETE FROM lines; DELETE FROM meta WHERE key = 'discount_code'", None)?;
        self.remember(|c| {
            c.lines.clear();
            c.discount_code = None;
        });
        Ok(())
    }

    fn flights(&self) -> Result<Vec<Flight>> {
        if let Some(flights) = self.in_flight.borrow().as_ref() {
            return Ok(flights.clone());
        }
        let flights: Vec<Flight> = self
            .sql
            .exec("SELECT key, fingerprint, started_at FROM completions WHERE status = 'in_flight'", None)?
            .to_array()?;
        *self.in_flight.borrow_mut() = Some(flights.clone());
        Ok(flights)
    }

    fn set_flight(&self, key: &str, fingerprint: &str, started_at: Option<i64>) {
        if let Some(flights) = self.in_flight.borrow_mut().as_mut() {
            flights.retain(|f| f.key != key);
            if let Some(at) = started_at {
                flights.push(Flight {
                    key: key.to_string(),
                    fingerprint: fingerprint.to_string(),
                    started_at: at,
                });
            }
        }
    }

    /// Whether a completion is running (started less than `takeover_ms` ago).
    pub fn completing(&self, now_ms: u64, takeover_ms: u64) -> Result<bool> {
        Ok(self.flights()?.iter().any(|f| f.running(now_ms as i64, takeover_ms)))
    }

    /// The idempotency rules: same key and request → the first outcome; same key,
    /// different request → refused; a key in flight → wait; one completion per cart at a
    /// time. An attempt in flight for longer than `takeover_ms` was abandoned (its worker
    /// died): a retry with its key takes it over (every step after is idempotent).
    pub fn begin(&self, key: &str, fingerprint: &str, now_ms: u64, takeover_ms: u64) -> Result<Begin> {
        let now = now_ms as i64;
        match check_flights(&self.flights()?, key, fingerprint, now, takeover_ms) {
            FlightCheck::KeyReused => return Ok(Begin::KeyReused),
            FlightCheck::InFlight => return Ok(Begin::InFlight),
            FlightCheck::TakeOver => {
                self.sql.exec(
                    "UPDATE completions SET started_at = ? WHERE key = ?",
                    vec![SqlStorageValue::from(now), text(key)],
                )?;
                self.set_flight(key, fingerprint, Some(now));
                return Ok(Begin::Proceed(self.state()?));
            }
            FlightCheck::Claim => {
                // The common case: a new key, claimed in one write.
                let cursor = self.sql.exec(
                    "INSERT INTO completions (key, fingerprint, status, started_at) VALUES (?, ?, 'in_flight', ?)
                 ON CONFLICT (key) DO NOTHING",
                    vec![text(key), text(fingerprint), SqlStorageValue::from(now)],
                )?;
                if cursor.rows_written() > 0 {
                    self.set_flight(key, fingerprint, Some(now));
                    return Ok(Begin::Proceed(self.state()?));
                }
            }
            FlightCheck::Busy => {}
        }
        // The key finished before, or another completion is running.
        let rows: Vec<KeyRow> = self
            .sql
            .exec(
                "SELECT fingerprint, outcome FROM completions WHERE key = ? AND status = 'done'",
                vec![text(key)],
            )?
            .to_array()?;
        Ok(match rows.first() {
            Some(row) if row.fingerprint != fingerprint => Begin::KeyReused,
            Some(row) => Begin::Replay(
                row.outcome.as_deref().and_then(|o| serde_json::from_str(o).ok()).unwrap_or_default(),
            ),
            None => Begin::CartBusy,
        })
    }

    /// Stores a completion's outcome for replays and moves the checkout on to its next
    /// revision, so the next attempt is a new order (see `CartState::checkout_key`) with
    /// a new stock hold; a placed order also empties the cart. An order placed but still
    /// awaiting its payment keeps the lines it took aside, for [`CartStore::restore`].
    pub fn finish(&self, key: &str, outcome: &serde_json::Value, placed: Placed<'_>) -> Result<()> {
        let state = self.state()?;
        let seq = state.checkout_seq.saturating_add(1);
        match placed {
            Placed::AwaitingPayment(order) => {
                let aside = AwaitingPayment { order: order.to_string(), lines: state.lines.clone() };
                self.set_meta(AWAITING_PAYMENT, Some(&aside))?;
            }
            Placed::Paid => self.set_meta::<AwaitingPayment>(AWAITING_PAYMENT, None)?,
            Placed::No => {}
        }
        let placed = !matches!(placed, Placed::No);
        let emptied = if placed {
            "DELETE FROM lines;
             DELETE FROM meta WHERE key IN ('discount_code', 'shipping_rate');"
        } else {
            ""
        };
        // Bindings apply to the last statement; the sequence number is an integer.
        let query = format!(
            "{emptied}
             DELETE FROM meta WHERE key IN ('held_until', 'sold_to') OR key LIKE 'intent:%';
             INSERT INTO meta (key, value) VALUES ('checkout_seq', '{seq}')
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value;
             UPDATE completions SET status = 'done', outcome = ? WHERE key = ?"
        );
        self.sql.exec(&query, vec![text(outcome.to_string()), text(key)])?;
        self.remember(|c| {
            if placed {
                c.lines.clear();
                c.discount_code = None;
                c.shipping_rate = None;
            }
            c.checkout_seq = seq;
        });
        self.set_flight(key, "", None);
        Ok(())
    }

    /// Puts back the lines order `order` took from this cart, if it is the order the
    /// cart set them aside for (once: the lines are then forgotten); lines the cart
    /// rules no longer allow are skipped. Answers whether anything came back.
    pub fn restore(&self, order: &str) -> Result<bool> {
        let Some(aside) = self.meta::<AwaitingPayment>(AWAITING_PAYMENT)?.filter(|a| a.order == order) else {
            return Ok(false);
        };
        for line in aside.lines {
            let _skipped_if_refused = self.add(line)?;
        }
        self.set_meta::<AwaitingPayment>(AWAITING_PAYMENT, None)?;
        Ok(true)
    }

    /// Forgets a key whose attempt changed nothing for good, so it may be retried.
    pub fn abort(&self, key: &str) -> Result<()> {
        self.sql.exec("DELETE FROM completions WHERE key = ? AND status = 'in_flight'", vec![text(key)])?;
        self.set_flight(key, "", None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flight(key: &str, fingerprint: &str, started_at: i64) -> Flight {
        Flight { key: key.into(), fingerprint: fingerprint.into(), started_at }
    }

    #[test]
    fn the_idempotency_rules_decide_from_the_flights() {
        let takeover = 60_000;
        let check = |flights: &[Flight], key: &str, fingerprint: &str, now: i64| {
            check_flights(flights, key, fingerprint, now, takeover)
        };
        assert_eq!(check(&[], "k1", "f1", 1_000), FlightCheck::Claim, "nothing runs");
        let running = [flight("k1", "f1", 1_000)];
        assert_eq!(check(&running, "k1", "f1", 2_000), FlightCheck::InFlight, "the same request, running");
        assert_eq!(check(&running, "k1", "f2", 2_000), FlightCheck::KeyReused, "another request, same key");
        assert_eq!(check(&running, "k2", "f1", 2_000), FlightCheck::Busy, "one completion per cart");
        // Past the takeover the attempt is taken to be abandoned.
        let later = 1_000 + takeover as i64;
        assert_eq!(check(&running, "k1", "f1", later - 1), FlightCheck::InFlight);
        assert_eq!(check(&running, "k1", "f1", later), FlightCheck::TakeOver);
        assert_eq!(check(&running, "k1", "f2", later), FlightCheck::KeyReused, "even abandoned");
        assert_eq!(
            check(&running, "k2", "f1", later),
            FlightCheck::Claim,
            "an abandoned attempt blocks no one"
        );
        // A clock that went back leaves the attempt running rather than taking it over.
        assert_eq!(check(&running, "k1", "f1", 0), FlightCheck::InFlight);
    }
}

//! Carts as Durable Objects: one SQLite-backed `CartObject` per cart id, so every change
//! to one cart goes through one single-threaded writer and none is lost.
//!
//! The object keeps what the shopper chose (lines with the price seen when adding), the
//! checkout details (contact, address, shipping rate, discount code) and the idempotency
//! records of order completions. Every command is a synchronous SQLite read-modify-write
//! with no `.await` inside, so commands never interleave and each commits atomically.
//! Prices and totals are computed by the worker from the current catalog.

use crate::bindings;
use crate::durable::Caller;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use shared::checkout::Address;
use shared::{quantity_after_add, CartError, CartId, CartLine, Handle, Money, Quantity, Sku};
use std::cell::Cell;
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, Result, SqlStorage, SqlStorageValue, State,
};

/// How long a completion may stay "in flight" before a retry with the same key may
/// take it over (the worker running it must have died), unless `CHECKOUT_TAKEOVER_MS`
/// says otherwise.
pub const IN_FLIGHT_TIMEOUT_MS: u64 = 60_000;

fn default_takeover_ms() -> u64 {
    IN_FLIGHT_TIMEOUT_MS
}

/// What a cart holds, as the worker sees it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CartState {
    pub lines: Vec<CartLine>,
    pub discount_code: Option<String>,
    pub email: Option<String>,
    pub address: Option<Address>,
    pub shipping_rate: Option<String>,
    /// Orders placed from this cart so far; names the current checkout's stock hold.
    #[serde(default)]
    pub checkout_seq: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CartCommand {
    Get,
    Add {
        line: CartLine,
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
    SetAddress {
        address: Address,
    },
    SetShipping {
        rate: String,
    },
    /// Starts completing an order under an idempotency key (see `Completion`).
    BeginCompletion {
        key: String,
        fingerprint: String,
        now_ms: u64,
        #[serde(default = "default_takeover_ms")]
        takeover_ms: u64,
    },
    /// Stores the outcome for replays; `clear` empties the cart (the order was placed).
    FinishCompletion {
        key: String,
        outcome: serde_json::Value,
        clear: bool,
    },
    /// Forgets a key whose attempt changed nothing (a transient failure), so it may be retried.
    AbortCompletion {
        key: String,
    },
    /// Test routes only: hold every other request to this cart for `ms` (at most 20 s),
    /// as an overloaded object would.
    Stall {
        ms: u64,
    },
}

/// How a completion attempt may go on.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Completion {
    /// Go ahead with this cart.
    Proceed { cart: CartState },
    /// This key finished before: here is what it answered.
    Replay { outcome: serde_json::Value },
    /// This key is being completed right now.
    InFlight,
    /// This key was used for a different request.
    KeyReused,
    /// Another completion of this cart is running under another key.
    CartBusy,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
enum CartReply {
    State { cart: CartState },
    Refused { message: String },
    Completion { completion: Completion },
}

#[durable_object]
pub struct CartObject {
    state: State,
    schema_ready: Cell<bool>,
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

impl CartObject {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        if !self.schema_ready.get() {
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
            self.schema_ready.set(true);
        }
        Ok(sql)
    }

    fn meta<T: for<'de> Deserialize<'de>>(&self, sql: &SqlStorage, key: &str) -> Result<Option<T>> {
        let rows: Vec<MetaRow> =
            sql.exec("SELECT value FROM meta WHERE key = ?", vec![text(key)])?.to_array()?;
        Ok(rows.first().and_then(|r| serde_json::from_str(&r.value).ok()))
    }

    fn set_meta<T: Serialize>(&self, sql: &SqlStorage, key: &str, value: Option<&T>) -> Result<()> {
        match value.and_then(|v| serde_json::to_string(v).ok()) {
            Some(json) => sql.exec(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                vec![text(key), text(json)],
            )?,
            None => sql.exec("DELETE FROM meta WHERE key = ?", vec![text(key)])?,
        };
        Ok(())
    }

    fn lines(&self, sql: &SqlStorage) -> Result<Vec<CartLine>> {
        let rows: Vec<LineRow> = sql
            .exec("SELECT product, sku, quantity, added_at_price FROM lines ORDER BY rowid", None)?
            .to_array()?;
        Ok(rows.into_iter().filter_map(line_from_row).collect())
    }

    fn cart(&self, sql: &SqlStorage) -> Result<CartState> {
        Ok(CartState {
            lines: self.lines(sql)?,
            discount_code: self.meta(sql, "discount_code")?,
            email: self.meta(sql, "email")?,
            address: self.meta(sql, "address")?,
            shipping_rate: self.meta(sql, "shipping_rate")?,
            checkout_seq: self.meta(sql, "checkout_seq")?.unwrap_or(0),
        })
    }

    fn upsert(&self, sql: &SqlStorage, line: &CartLine) -> Result<()> {
        let price = line.added_at_price.and_then(|p| serde_json::to_string(&p).ok());
        sql.exec(
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

    fn run(&self, command: CartCommand) -> Result<CartReply> {
        let sql = self.sql()?;
        let refuse = |message: String| Ok(CartReply::Refused { message });
        match command {
            CartCommand::Get | CartCommand::Stall { .. } => {}
            CartCommand::Add { line } => {
                let lines = self.lines(&sql)?;
                let existing = lines.iter().find(|l| l.sku == line.sku).map(|l| l.quantity);
                match quantity_after_add(&line.sku, existing, line.quantity, lines.len()) {
                    Ok(quantity) => self.upsert(&sql, &CartLine { quantity, ..line })?,
                    Err(refused) => return refuse(refused.to_string()),
                }
            }
            CartCommand::SetQuantity { sku, quantity } => {
                if quantity == 0 {
                    sql.exec("DELETE FROM lines WHERE sku = ?", vec![text(sku.as_str())])?;
                } else {
                    let Ok(quantity) = Quantity::new(quantity) else {
                        return refuse(
                            CartError::TooManyOfOne { sku, existing: quantity.min(Quantity::MAX) }
                                .to_string(),
                        );
                    };
                    let lines = self.lines(&sql)?;
                    let Some(line) = lines.into_iter().find(|l| l.sku == sku) else {
                        return refuse(format!("Your cart has no {sku} to change."));
                    };
                    self.upsert(&sql, &CartLine { quantity, ..line })?;
                }
            }
            CartCommand::Clear => {
                sql.exec("DELETE FROM lines", None)?;
                sql.exec("DELETE FROM meta WHERE key = 'discount_code'", None)?;
            }
            CartCommand::SetDiscount { code } => self.set_meta(&sql, "discount_code", code.as_ref())?,
            CartCommand::SetContact { email } => self.set_meta(&sql, "email", Some(&email))?,
            CartCommand::SetAddress { address } => {
                self.set_meta(&sql, "address", Some(&address))?;
                // A new address may change which rates apply: choose again.
                self.set_meta::<String>(&sql, "shipping_rate", None)?;
            }
            CartCommand::SetShipping { rate } => self.set_meta(&sql, "shipping_rate", Some(&rate))?,
            CartCommand::BeginCompletion { key, fingerprint, now_ms, takeover_ms } => {
                let completion = self.begin(&sql, key, fingerprint, now_ms, takeover_ms)?;
                return Ok(CartReply::Completion { completion });
            }
            CartCommand::FinishCompletion { key, outcome, clear } => {
                sql.exec(
                    "UPDATE completions SET status = 'done', outcome = ? WHERE key = ?",
                    vec![text(outcome.to_string()), text(key)],
                )?;
                if clear {
                    sql.exec("DELETE FROM lines", None)?;
                    sql.exec("DELETE FROM meta WHERE key IN ('discount_code', 'shipping_rate')", None)?;
                    // The next checkout of this cart holds stock under a new name.
                    let seq: u64 = self.meta(&sql, "checkout_seq")?.unwrap_or(0);
                    self.set_meta(&sql, "checkout_seq", Some(&(seq + 1)))?;
                }
            }
            CartCommand::AbortCompletion { key } => {
                sql.exec("DELETE FROM completions WHERE key = ? AND status = 'in_flight'", vec![text(key)])?;
            }
        }
        Ok(CartReply::State { cart: self.cart(&sql)? })
    }

    /// The idempotency rules: same key and request → the first outcome; same key,
    /// different request → refused; a key in flight → wait; one completion per cart at a time.
    fn begin(
        &self,
        sql: &SqlStorage,
        key: String,
        fingerprint: String,
        now_ms: u64,
        takeover_ms: u64,
    ) -> Result<Completion> {
        let rows: Vec<KeyRow> = sql
            .exec("SELECT key, fingerprint, status, outcome, started_at FROM completions", None)?
            .to_array()?;
        let now = now_ms as i64;
        let fresh = |row: &KeyRow| now - row.started_at < takeover_ms as i64;
        if let Some(row) = rows.iter().find(|r| r.key == key) {
            if row.fingerprint != fingerprint {
                return Ok(Completion::KeyReused);
            }
            if row.status == "done" {
                let outcome =
                    row.outcome.as_deref().and_then(|o| serde_json::from_str(o).ok()).unwrap_or_default();
                return Ok(Completion::Replay { outcome });
            }
            if fresh(row) {
                return Ok(Completion::InFlight);
            }
            // The attempt was abandoned: take it over (every step is idempotent).
            sql.exec(
                "UPDATE completions SET started_at = ? WHERE key = ?",
                vec![SqlStorageValue::from(now), text(key)],
            )?;
            return Ok(Completion::Proceed { cart: self.cart(sql)? });
        }
        if rows.iter().any(|r| r.status == "in_flight" && fresh(r)) {
            return Ok(Completion::CartBusy);
        }
        sql.exec(
            "INSERT INTO completions (key, fingerprint, status, started_at) VALUES (?, ?, 'in_flight', ?)",
            vec![text(key), text(fingerprint), SqlStorageValue::from(now)],
        )?;
        Ok(Completion::Proceed { cart: self.cart(sql)? })
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

fn json_response<T: Serialize>(value: &T, status: u16) -> Result<Response> {
    Response::from_json(value).map(|r| r.with_status(status))
}

impl DurableObject for CartObject {
    fn new(state: State, _env: Env) -> Self {
        CartObject { state, schema_ready: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.method() != Method::Post {
            return Response::error("cart objects take POSTed commands", 405);
        }
        let command: CartCommand = match req.json().await {
            Ok(command) => command,
            Err(e) => {
                return json_response(&CartReply::Refused { message: format!("bad cart command: {e}") }, 400)
            }
        };
        if let CartCommand::Stall { ms } = &command {
            let ms = (*ms).min(20_000);
            // The gate holds from this call on; nothing needs to await it.
            let _gate = self.state.block_concurrency_while(async move {
                worker::Delay::from(std::time::Duration::from_millis(ms)).await;
                Ok(())
            });
        }
        json_response(&self.run(command)?, 200)
    }
}

/// The worker's side of the conversation with one cart.
pub struct CartClient<'t> {
    stub: worker::Stub,
    caller: Caller<'t>,
}

impl<'t> CartClient<'t> {
    pub fn for_cart(env: &Env, caller: Caller<'t>, id: &CartId) -> AppResult<Self> {
        let namespace = env.durable_object(bindings::CART)?;
        let stub = namespace.id_from_name(id.as_str())?.get_stub()?;
        Ok(CartClient { stub, caller })
    }

    async fn send(&self, command: &CartCommand) -> AppResult<CartReply> {
        self.caller.call(&self.stub, "cart", command).await
    }

    /// Runs a command; a refusal by the cart rules becomes a 422 with their message.
    pub async fn run(&self, command: &CartCommand) -> AppResult<CartState> {
        match self.send(command).await? {
            CartReply::State { cart } => Ok(cart),
            CartReply::Refused { message } => Err(AppError::Unprocessable(message)),
            CartReply::Completion { .. } => Err(AppError::Internal("unexpected completion reply".into())),
        }
    }

    pub async fn get(&self) -> AppResult<CartState> {
        self.run(&CartCommand::Get).await
    }

    pub async fn begin_completion(
        &self,
        key: &str,
        fingerprint: &str,
        now_ms: u64,
        takeover_ms: u64,
    ) -> AppResult<Completion> {
        let command = CartCommand::BeginCompletion {
            key: key.to_string(),
            fingerprint: fingerprint.to_string(),
            now_ms,
            takeover_ms,
        };
        match self.send(&command).await? {
            CartReply::Completion { completion } => Ok(completion),
            CartReply::Refused { message } => Err(AppError::Unprocessable(message)),
            CartReply::State { .. } => Err(AppError::Internal("unexpected cart reply".into())),
        }
    }
}

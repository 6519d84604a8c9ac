//! Carts as Durable Objects: one SQLite-backed `CartObject` per cart id, so every
//! change to one cart goes through one single-threaded writer and none is lost.
//!
//! The object stores only what the shopper chose (product, SKU, quantity). Prices
//! and totals are computed by the worker from the current catalog, never stored.
//! Each change is a read and an upsert with no `.await` between them, so the pair
//! commits atomically and no other request interleaves.

use crate::bindings;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use shared::{quantity_after_add, CartId, CartLine, Handle, Quantity, Sku};
use std::cell::Cell;
use wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result, SqlStorage,
    SqlStorageValue, State,
};

#[durable_object]
pub struct CartObject {
    state: State,
    schema_ready: Cell<bool>,
}

/// A row of the `lines` table as SQLite returns it.
#[derive(Deserialize)]
struct LineRow {
    product: String,
    sku: String,
    quantity: i64,
}

/// The error body the object answers with when a change is refused.
#[derive(Serialize, Deserialize)]
struct Refusal {
    error: String,
}

impl CartObject {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        if !self.schema_ready.get() {
            sql.exec(
                "CREATE TABLE IF NOT EXISTS lines (
                    sku TEXT PRIMARY KEY,
                    product TEXT NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity > 0)
                )",
                None,
            )?;
            self.schema_ready.set(true);
        }
        Ok(sql)
    }

    fn lines(&self, sql: &SqlStorage) -> Result<Vec<CartLine>> {
        let rows: Vec<LineRow> = sql
            .exec("SELECT product, sku, quantity FROM lines ORDER BY rowid", None)?
            .to_array()?;
        Ok(rows.into_iter().filter_map(line_from_row).collect())
    }

    fn add(&self, added: CartLine) -> Result<std::result::Result<Vec<CartLine>, String>> {
        let sql = self.sql()?;
        let lines = self.lines(&sql)?;
        let existing = lines.iter().find(|l| l.sku == added.sku).map(|l| l.quantity);
        let quantity = match quantity_after_add(&added.sku, existing, added.quantity, lines.len()) {
            Ok(q) => q,
            Err(refused) => return Ok(Err(refused.to_string())),
        };
        sql.exec(
            "INSERT INTO lines (sku, product, quantity) VALUES (?, ?, ?)
             ON CONFLICT (sku) DO UPDATE SET quantity = excluded.quantity, product = excluded.product",
            vec![
                SqlStorageValue::from(added.sku.to_string()),
                SqlStorageValue::from(added.product.to_string()),
                SqlStorageValue::from(i64::from(quantity.get())),
            ],
        )?;
        Ok(Ok(self.lines(&sql)?))
    }
}

fn line_from_row(row: LineRow) -> Option<CartLine> {
    let quantity = u32::try_from(row.quantity)
        .ok()
        .and_then(|q| Quantity::new(q).ok())?;
    Some(CartLine {
        product: Handle::parse(&row.product).ok()?,
        sku: Sku::parse(&row.sku).ok()?,
        quantity,
    })
}

impl DurableObject for CartObject {
    fn new(state: State, _env: Env) -> Self {
        CartObject {
            state,
            schema_ready: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Get, "/lines") => {
                let sql = self.sql()?;
                Response::from_json(&self.lines(&sql)?)
            }
            (Method::Post, "/add") => {
                let line: CartLine = match req.json().await {
                    Ok(line) => line,
                    Err(e) => {
                        return Response::from_json(&Refusal {
                            error: format!("bad cart line: {e}"),
                        })
                        .map(|r| r.with_status(400))
                    }
                };
                match self.add(line)? {
                    Ok(lines) => Response::from_json(&lines),
                    Err(error) => Response::from_json(&Refusal { error }).map(|r| r.with_status(422)),
                }
            }
            _ => Response::error("no such cart operation", 404),
        }
    }
}

/// The worker's side of the conversation with one cart.
pub struct CartClient {
    stub: worker::Stub,
}

impl CartClient {
    pub fn for_cart(env: &Env, id: &CartId) -> AppResult<Self> {
        let namespace = env.durable_object(bindings::CART)?;
        let stub = namespace.id_from_name(id.as_str())?.get_stub()?;
        Ok(CartClient { stub })
    }

    pub async fn lines(&self) -> AppResult<Vec<CartLine>> {
        let mut resp = self.stub.fetch_with_str("https://cart.internal/lines").await?;
        if resp.status_code() != 200 {
            return Err(AppError::Internal(format!(
                "cart object answered {}",
                resp.status_code()
            )));
        }
        Ok(resp.json().await?)
    }

    /// Adds a line; a refusal by the cart rules becomes a 422 with their message.
    pub async fn add(&self, line: &CartLine) -> AppResult<Vec<CartLine>> {
        let body = serde_json::to_string(line).map_err(|e| AppError::internal("encoding cart line", e))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(JsValue::from_str(&body)));
        let req = Request::new_with_init("https://cart.internal/add", &init)?;
        let mut resp = self.stub.fetch_with_request(req).await?;
        match resp.status_code() {
            200 => Ok(resp.json().await?),
            422 => {
                let refusal: Refusal = resp.json().await?;
                Err(AppError::Unprocessable(refusal.error))
            }
            other => Err(AppError::Internal(format!("cart object answered {other} to add"))),
        }
    }
}

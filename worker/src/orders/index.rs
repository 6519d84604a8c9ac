//! `OrderIndexObject`: the merchant's view of the orders — a copy of every order,
//! newest first, and the email outbox with each email's delivery — in one object, so listing orders is one call
//! instead of one per shard. It is fed off the shopper's path: the order shards' alarms
//! send it new and changed orders in batches, and the queue consumer writes the emails.
//! Both writes are idempotent by order number. Its writes come at the rate of orders
//! (batched), far below one object's capacity; the shards stay the authority on each
//! order, so a shopper's own order page never waits for the index.

use crate::durable;
use crate::orders::protocol::{IndexCommand, OrderReply};
use crate::sql::{runtime_error, text, Schema};
use serde::Deserialize;
use shared::mail::OutboxEmail;
use shared::orders::{Order, OrderQuery};
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State,
};

#[durable_object]
pub struct OrderIndexObject {
    state: State,
    schema: Schema,
}

#[derive(Deserialize)]
struct DataRow {
    data: String,
}

/// An outbox row: its key (the `order_number` column, named before there were other
/// emails) and the email.
#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

#[derive(Deserialize)]
struct EmailRow {
    key: String,
    data: String,
}

impl EmailRow {
    fn email(self) -> Option<OutboxEmail> {
        let mut email: OutboxEmail = serde_json::from_str(&self.data).ok()?;
        // Emails written before they had keys are their orders' confirmations.
        email.key = self.key;
        Some(email)
    }
}

/// The index's tables: every order (as the merchant lists them) and the email outbox.
const TABLES: &[&str] = &[
        "CREATE TABLE IF NOT EXISTS orders (
            number TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            data TEXT NOT NULL
        )",
        "CREATE INDEX IF NOT EXISTS orders_by_time ON orders (created_at)",
        // The email outbox, keyed by `OutboxEmail::key` (the column's name is from when
        // every email was an order's confirmation).
        "CREATE TABLE IF NOT EXISTS outbox (order_number TEXT PRIMARY KEY, created_at INTEGER NOT NULL, data TEXT NOT NULL)",
];

/// A `LIKE` pattern matching text that starts with `prefix` (its `%`, `_` and `\\`
/// escaped).
fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len().saturating_add(1));
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl OrderIndexObject {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        self.schema.ensure(&sql)?;
        Ok(sql)
    }

    fn upsert(&self, sql: &SqlStorage, orders: &[Order]) -> Result<u32> {
        for order in orders {
            let data = serde_json::to_string(order).map_err(runtime_error)?;
            let status = serde_json::to_value(order.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            sql.exec(
                "INSERT INTO orders (number, email, status, created_at, data) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (number) DO UPDATE SET status = excluded.status, data = excluded.data",
                vec![
                    text(order.number.clone()),
                    text(order.email.to_lowercase()),
                    text(status),
                    SqlStorageValue::from(order.created_at_ms as i64),
                    text(data),
                ],
            )?;
        }
        Ok(orders.len() as u32)
    }

    /// The orders a query matches, newest first: number or email starting with its
    /// text (any case), in its state, after its cursor; and how many match in all
    /// (cursor aside).
    fn find(&self, sql: &SqlStorage, query: &OrderQuery) -> Result<(Vec<Order>, u64)> {
        let (filter, values) = Self::filter(query, false);
        let counted: Vec<CountRow> =
            sql.exec(&format!("SELECT COUNT(*) AS n FROM orders {filter}"), values)?.to_array()?;
        let matching = counted.first().map_or(0, |row| u64::try_from(row.n).unwrap_or(0));
        let (filter, mut values) = Self::filter(query, true);
        values.push(SqlStorageValue::from(i64::from(query.limit)));
        let rows: Vec<DataRow> = sql
            .exec(
                &format!("SELECT data FROM orders {filter} ORDER BY created_at DESC, number LIMIT ?"),
                values,
            )?
            .to_array()?;
        Ok((rows.iter().filter_map(|r| serde_json::from_str(&r.data).ok()).collect(), matching))
    }

    /// The `WHERE` clause of `query` and its values; `past_cursor`: with its cursor.
    fn filter(query: &OrderQuery, past_cursor: bool) -> (String, Vec<SqlStorageValue>) {
        let mut clauses: Vec<&str> = Vec::new();
        let mut values: Vec<SqlStorageValue> = Vec::new();
        if let Some(typed) = &query.text {
            clauses.push("(number LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')");
            values.push(text(like_prefix(&typed.to_uppercase())));
            values.push(text(like_prefix(&typed.to_lowercase())));
        }
        if let Some(email) = &query.email {
            clauses.push("email = ?");
            values.push(text(email.to_lowercase()));
        }
        if let Some(status) = query.status {
            clauses.push("status = ?");
            values.push(text(status.as_str()));
        }
        if let Some(after) = query.after.as_ref().filter(|_| past_cursor) {
            // Past the cursor in the list's order: older, or as old with a later number.
            let at = SqlStorageValue::from(i64::try_from(after.created_at_ms).unwrap_or(i64::MAX));
            clauses.push("(created_at < ? OR (created_at = ? AND number > ?))");
            values.push(at.clone());
            values.push(at);
            values.push(text(after.number.clone()));
        }
        let filter =
            if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        (filter, values)
    }

    /// The outbox's email under `key`.
    fn email(&self, sql: &SqlStorage, key: &str) -> Result<Option<OutboxEmail>> {
        let rows: Vec<EmailRow> = sql
            .exec("SELECT order_number AS key, data FROM outbox WHERE order_number = ?", vec![text(key)])?
            .to_array()?;
        Ok(rows.into_iter().next().and_then(EmailRow::email))
    }

    fn store_email(&self, sql: &SqlStorage, email: &OutboxEmail) -> Result<()> {
        let data = serde_json::to_string(email).map_err(runtime_error)?;
        sql.exec(
            "UPDATE outbox SET data = ? WHERE order_number = ?",
            vec![text(data), text(email.key.clone())],
        )?;
        Ok(())
    }

    /// Stores each email unless one is kept under its key; answers which were new and
    /// which are still to be sent (new or not).
    fn write_emails(&self, sql: &SqlStorage, emails: &[OutboxEmail]) -> Result<OrderReply> {
        let mut new: Vec<String> = Vec::new();
        let mut to_send: Vec<String> = Vec::new();
        for email in emails {
            let data = serde_json::to_string(email).map_err(runtime_error)?;
            let cursor = sql.exec(
                "INSERT INTO outbox (order_number, created_at, data) VALUES (?, ?, ?) ON CONFLICT (order_number) DO NOTHING",
                vec![text(email.key.clone()), SqlStorageValue::from(email.created_at_ms as i64), text(data)],
            )?;
            if cursor.rows_written() > 0 {
                new.push(email.key.clone());
            }
            if self.email(sql, &email.key)?.is_some_and(|kept| kept.delivery.to_send()) {
                to_send.push(email.key.clone());
            }
        }
        Ok(OrderReply::Written { new, to_send })
    }

    fn run(&self, command: IndexCommand) -> Result<OrderReply> {
        let sql = self.sql()?;
        Ok(match command {
            IndexCommand::Upsert { orders } => OrderReply::Done { changed: self.upsert(&sql, &orders)? },
            IndexCommand::List { query } => {
                let (orders, matching) = self.find(&sql, &query)?;
                OrderReply::Orders { orders, matching }
            }
            IndexCommand::WriteEmails { emails } => self.write_emails(&sql, &emails)?,
            IndexCommand::RecordDeliveries { results, now_ms } => {
                let mut changed: u32 = 0;
                for (key, attempt) in &results {
                    if let Some(mut email) = self.email(&sql, key)? {
                        email.delivery = email.delivery.after(attempt, now_ms);
                        self.store_email(&sql, &email)?;
                        changed = changed.saturating_add(1);
                    }
                }
                OrderReply::Done { changed }
            }
            IndexCommand::Outbox { limit } => {
                let rows: Vec<EmailRow> = sql
                    .exec(
                        "SELECT order_number AS key, data FROM outbox ORDER BY created_at DESC LIMIT ?",
                        vec![SqlStorageValue::from(i64::from(limit))],
                    )?
                    .to_array()?;
                OrderReply::Emails { emails: rows.into_iter().filter_map(EmailRow::email).collect() }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::like_prefix;

    #[test]
    fn search_text_matches_itself_only_as_a_prefix() {
        assert_eq!(like_prefix("FL-AB"), "FL-AB%");
        assert_eq!(like_prefix("50%_off\\"), "50\\%\\_off\\\\%");
        assert_eq!(like_prefix(""), "%");
    }
}

impl DurableObject for OrderIndexObject {
    fn new(state: State, _env: Env) -> Self {
        OrderIndexObject { state, schema: Schema::new(TABLES, &[]) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command = match durable::read_command::<IndexCommand>(&mut req, "order index").await? {
            Ok(command) => command,
            Err(refused) => return Ok(refused),
        };
        Response::from_json(&self.run(command)?)
    }
}

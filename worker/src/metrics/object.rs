//! `MetricsObject`: the shop's metrics, one row per minute and key, added to by the
//! isolates' batches. Its writes come about once a second per busy isolate, whatever
//! the traffic; rows older than [`KEEP_MINUTES`] are dropped.

use super::protocol::{MetricsCommand, MetricsReply};
use crate::durable;
use crate::sql::{int, runtime_error, text, Schema};
use serde::Deserialize;
use shared::metrics::{minute_of, Batch, Key, Report, Row, Window};
use std::cell::Cell;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

/// Two days: the dashboard's longest window is one.
const KEEP_MINUTES: u64 = 2 * 1_440;

/// `key` is the typed key in its JSON form (`{"key":"requests","route":"product"}`).
const TABLES: &[&str] = &["CREATE TABLE IF NOT EXISTS counts (
        minute INTEGER NOT NULL,
        key TEXT NOT NULL,
        value INTEGER NOT NULL,
        PRIMARY KEY (minute, key)
    )"];

#[durable_object]
pub struct MetricsObject {
    state: State,
    schema: Schema,
    /// The minute old rows were last dropped.
    pruned_at: Cell<u64>,
}

#[derive(Deserialize)]
struct CountRow {
    minute: i64,
    key: String,
    value: i64,
}

impl MetricsObject {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        self.schema.ensure(&sql)?;
        Ok(sql)
    }

    fn add(&self, sql: &SqlStorage, rows: &[Row]) -> Result<()> {
        for row in rows {
            let key = serde_json::to_string(&row.key).map_err(runtime_error)?;
            sql.exec(
                "INSERT INTO counts (minute, key, value) VALUES (?, ?, ?)
                 ON CONFLICT (minute, key) DO UPDATE SET value = value + excluded.value",
                vec![int(i64::try_from(row.minute).unwrap_or(i64::MAX)), text(key), int(row.value)],
            )?;
        }
        Ok(())
    }

    /// Drops rows older than [`KEEP_MINUTES`], at most once an hour.
    fn prune(&self, sql: &SqlStorage, now_minute: u64) -> Result<()> {
        if now_minute < self.pruned_at.get().saturating_add(60) {
            return Ok(());
        }
        let oldest = i64::try_from(now_minute.saturating_sub(KEEP_MINUTES)).unwrap_or(0);
        sql.exec("DELETE FROM counts WHERE minute < ?", vec![int(oldest)])?;
        self.pruned_at.set(now_minute);
        Ok(())
    }

    fn report(&self, sql: &SqlStorage, window: Window, now_ms: u64) -> Result<Report> {
        let to = minute_of(now_ms as f64);
        let from = i64::try_from(to.saturating_sub(window.minutes())).unwrap_or(0);
        let rows: Vec<CountRow> = sql
            .exec("SELECT minute, key, value FROM counts WHERE minute >= ?", vec![int(from)])?
            .to_array()?;
        // A row whose key this version does not know (written by a newer one) is skipped.
        let batch = Batch::from_rows(rows.into_iter().filter_map(|r| {
            let key: Key = serde_json::from_str(&r.key).ok()?;
            Some(Row { minute: u64::try_from(r.minute).ok()?, key, value: r.value })
        }));
        Ok(Report::build(&batch, window, to))
    }
}

impl DurableObject for MetricsObject {
    fn new(state: State, _env: Env) -> Self {
        MetricsObject { state, schema: Schema::new(TABLES, &[]), pruned_at: Cell::new(0) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command = match durable::read_command::<MetricsCommand>(&mut req, "metrics").await? {
            Ok(command) => command,
            Err(refused) => return Ok(refused),
        };
        let sql = self.sql()?;
        let reply = match command {
            MetricsCommand::Add { rows } => {
                self.add(&sql, &rows)?;
                self.prune(&sql, minute_of(worker::Date::now().as_millis() as f64))?;
                MetricsReply::Added
            }
            MetricsCommand::Report { window, now_ms } => {
                MetricsReply::Report { report: Box::new(self.report(&sql, window, now_ms)?) }
            }
        };
        durable::reply(&reply, 0)
    }
}

//! Small helpers every Durable Object's SQLite code shares: its schema, created once per
//! object instance; bound values; and turning our errors into the runtime's.

use std::cell::Cell;
use worker::{Result, SqlStorage, SqlStorageValue};

/// An object's tables: created (`IF NOT EXISTS`) on the object's first command after it
/// starts, together with the columns added since older objects made their tables.
pub struct Schema {
    ready: Cell<bool>,
    /// `CREATE … IF NOT EXISTS` statements, run in order.
    create: &'static [&'static str],
    /// `(table, column definition)` pairs added after the table first shipped; adding one
    /// an object already has fails, and is ignored.
    added_columns: &'static [(&'static str, &'static str)],
}

impl Schema {
    pub const fn new(
        create: &'static [&'static str],
        added_columns: &'static [(&'static str, &'static str)],
    ) -> Schema {
        Schema { ready: Cell::new(false), create, added_columns }
    }

    /// Makes the tables in `sql` if this object has not made them since it started.
    pub fn ensure(&self, sql: &SqlStorage) -> Result<()> {
        if !self.ready.get() {
            for statement in self.create {
                sql.exec(statement, None)?;
            }
            for (table, column) in self.added_columns {
                let _ = sql.exec(&format!("ALTER TABLE {table} ADD COLUMN {column}"), None);
            }
            self.ready.set(true);
        }
        Ok(())
    }
}

impl Schema {
    /// The tables are gone (the object's storage was deleted): make them again on the
    /// next command.
    pub fn forget(&self) {
        self.ready.set(false);
    }
}

/// A text value to bind.
pub fn text(value: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::from(value.into())
}

/// An integer value to bind.
pub fn int(value: impl Into<i64>) -> SqlStorageValue {
    SqlStorageValue::from(value.into())
}

/// Any error, as the runtime's error type (what an object's handler returns).
pub fn runtime_error(e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

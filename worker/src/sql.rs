//! Small helpers every Durable Object's SQLite code shares: bound values, and turning
//! our errors into the runtime's.

use worker::SqlStorageValue;

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

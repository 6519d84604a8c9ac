//! What the worker says to the `MetricsObject`, and what it answers.

use serde::{Deserialize, Serialize};
use shared::metrics::{Report, Row, Window};

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum MetricsCommand {
    /// Adds an isolate's counts into the minutes' rows.
    Add { rows: Vec<Row> },
    /// The report of the window ending now.
    Report { window: Window, now_ms: u64 },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum MetricsReply {
    Added,
    Report { report: Box<Report> },
}

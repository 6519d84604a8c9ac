//! Per-request measurements for the `Server-Timing` header and the request log:
//! page-cache status, KV reads and time, documents served from isolate memory, Durable
//! Object calls (with those the objects made in turn) and their time, render time, total.

use std::cell::Cell;

/// Milliseconds since the epoch, from the runtime's clock. In production the clock only
/// advances across I/O, so CPU-only spans read as 0; KV waits are I/O and are measured.
pub fn now_ms() -> f64 {
    worker::js_sys::Date::now()
}

/// Whole seconds since the epoch (cookie expiries).
pub fn now_seconds() -> u64 {
    (now_ms() / 1000.0) as u64
}

/// Today's date in UTC, `YYYY-MM-DD` (discount expiry).
pub fn today_utc() -> String {
    let date = worker::js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        date.get_utc_full_year(),
        date.get_utc_month().saturating_add(1),
        date.get_utc_date()
    )
}

/// How the full-page cache answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageCache {
    /// The route is not page-cached (carts, forms, errors).
    Bypass,
    Hit,
    Miss,
    /// `If-None-Match` matched: 304 without reading anything.
    Revalidated,
}

impl PageCache {
    pub fn as_str(self) -> &'static str {
        match self {
            PageCache::Bypass => "bypass",
            PageCache::Hit => "hit",
            PageCache::Miss => "miss",
            PageCache::Revalidated => "revalidated",
        }
    }
}

pub struct Timing {
    started: f64,
    pub page_cache: Cell<PageCache>,
    pub kv_reads: Cell<u32>,
    pub kv_ms: Cell<f64>,
    pub memory_hits: Cell<u32>,
    /// Document lookups: one per single read and one per bulk read, wherever served from.
    /// This is the worst-case number of KV operations of the page.
    pub lookups: Cell<u32>,
    pub render_ms: Cell<f64>,
    pub do_calls: Cell<u32>,
    pub do_ms: Cell<f64>,
    /// The page was served from a stale copy because KV failed.
    pub stale: Cell<bool>,
}

impl Timing {
    pub fn start() -> Timing {
        Timing {
            started: now_ms(),
            page_cache: Cell::new(PageCache::Bypass),
            kv_reads: Cell::new(0),
            kv_ms: Cell::new(0.0),
            memory_hits: Cell::new(0),
            lookups: Cell::new(0),
            do_calls: Cell::new(0),
            do_ms: Cell::new(0.0),
            stale: Cell::new(false),
            render_ms: Cell::new(0.0),
        }
    }

    pub fn add_kv(&self, reads: u32, ms: f64) {
        self.kv_reads.set(self.kv_reads.get().saturating_add(reads));
        self.kv_ms.set(self.kv_ms.get() + ms);
    }

    pub fn add_do(&self, ms: f64) {
        self.do_calls.set(self.do_calls.get().saturating_add(1));
        self.do_ms.set(self.do_ms.get() + ms);
    }

    /// Calls an object made while answering one of ours (their time is inside ours).
    pub fn add_nested_do(&self, calls: u32) {
        self.do_calls.set(self.do_calls.get().saturating_add(calls));
    }

    pub fn elapsed_ms(&self) -> f64 {
        now_ms() - self.started
    }

    /// A document served from isolate memory instead of KV.
    pub fn memory_hit(&self) {
        self.memory_hits.set(self.memory_hits.get().saturating_add(1));
    }

    pub fn lookup(&self) {
        self.lookups.set(self.lookups.get().saturating_add(1));
    }

    pub fn header_value(&self) -> String {
        let cache = if self.stale.get() { "stale" } else { self.page_cache.get().as_str() };
        format!(
            "cache;desc=\"{cache}\", kv;dur={:.1};desc=\"{} reads\", mem;desc=\"{} hits\", docs;desc=\"{} lookups\", do;dur={:.1};desc=\"{} calls\", render;dur={:.1}, total;dur={:.1}",
            self.kv_ms.get(),
            self.kv_reads.get(),
            self.memory_hits.get(),
            self.lookups.get(),
            self.do_ms.get(),
            self.do_calls.get(),
            self.render_ms.get(),
            now_ms() - self.started
        )
    }

    /// Whether the request was answered from the full-page cache (not stale).
    pub fn was_hit(&self) -> bool {
        !self.stale.get() && self.page_cache.get() == PageCache::Hit
    }

    /// One structured log line for the request, written straight into one string (no
    /// JSON tree is built); `sample` > 1 marks a line that stands for that many requests.
    #[allow(clippy::too_many_arguments)]
    pub fn log_line(
        &self,
        request_id: &str,
        method: &str,
        path: &str,
        route: &str,
        status: u16,
        error: Option<&str>,
        sample: u32,
    ) -> String {
        use std::fmt::Write;
        // Text from the request (its path) is escaped by serde_json; the rest is ours.
        let quoted = |text: &str| serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
        let cache = if self.stale.get() { "stale" } else { self.page_cache.get().as_str() };
        let mut line = String::with_capacity(256);
        let _ = write!(
            line,
            "{{\"request_id\":{},\"method\":{},\"path\":{},\"route\":{},\"status\":{status},\"ms\":{},\"cache\":\"{cache}\",\"kv_reads\":{},\"kv_ms\":{},\"do_calls\":{},\"do_ms\":{},\"render_ms\":{},\"error\":{}",
            quoted(request_id),
            quoted(method),
            quoted(path),
            quoted(route),
            number((self.elapsed_ms() * 10.0).round() / 10.0),
            self.kv_reads.get(),
            number(self.kv_ms.get()),
            self.do_calls.get(),
            number(self.do_ms.get()),
            number(self.render_ms.get()),
            error.map_or_else(|| "null".to_string(), quoted),
        );
        if sample > 1 {
            let _ = write!(line, ",\"sample\":{sample}");
        }
        line.push('}');
        line
    }
}

/// A duration as a JSON number (a non-finite one, which JSON cannot hold, as 0).
fn number(ms: f64) -> String {
    if ms.is_finite() {
        format!("{ms}")
    } else {
        "0".into()
    }
}

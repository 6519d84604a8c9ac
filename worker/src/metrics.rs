//! The metrics context: what shoppers do and how the shop answers, per minute (the
//! model, [`shared::metrics`], is typed: events, routes, currencies, latency buckets).
//!
//! Recording costs a request a few in-memory map updates: each isolate adds its
//! requests and events to one [`Batch`], and sends the batch to the one
//! [`object::MetricsObject`] at most every [`SEND_EVERY_MS`], from `waitUntil` after the
//! response has gone — never on the shopper's path. What is recorded, and where:
//! - the router: every answered request (route, status, duration, page-cache outcome),
//!   page views by route;
//! - the cart and checkout services: add-to-carts, checkouts started;
//! - the cart objects' alarms: carts left with lines for `CART_ABANDONED_AFTER_SECONDS`
//!   (4 hours by default) and no order, sent at once;
//! - the queue consumer: orders placed and their revenue (once per order: when its
//!   confirmation is new in the outbox), and how long its messages waited.
//!
//! `RECORD_METRICS = "off"` turns recording off (the bench measures its cost that way).

pub mod object;
mod protocol;

use crate::bindings;
use crate::durable::{self, Caller};
use crate::error::{AppError, AppResult};
use crate::timing::{now_ms, Timing};
use protocol::{MetricsCommand, MetricsReply};
use shared::metrics::{minute_of, Answer, Batch, Event, Key, Report, Route, Window};
use shared::Money;
use std::cell::{Cell, RefCell};
use std::time::Duration;
use worker::{Context, Env};

/// An isolate sends what it gathered at most this often.
pub const SEND_EVERY_MS: f64 = 1_000.0;
/// The one metrics object's name.
const OBJECT_NAME: &str = "metrics";
/// Minutes of metrics an isolate keeps while the object does not take them.
const MAX_HELD_MINUTES: u64 = 120;

thread_local! {
    static BATCH: RefCell<Batch> = RefCell::new(Batch::default());
    static LAST_SENT: Cell<f64> = const { Cell::new(0.0) };
    static SEND_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Whether metrics are recorded (`METRICS = "off"`: not).
pub fn enabled(env: &Env) -> bool {
    !bindings::is(env, bindings::RECORD_METRICS, "off")
}

fn add(key: Key, value: i64) {
    let minute = minute_of(now_ms());
    BATCH.with(|b| b.borrow_mut().add(minute, key, value));
}

/// Counts one event now.
pub fn event(event: Event) {
    add(Key::Event { event }, 1);
}

/// An order placed: counted once, with its total as revenue.
pub fn order_placed(total: Money) {
    event(Event::OrderPlaced);
    add(Key::Revenue { currency: total.currency() }, total.minor());
}

/// A queue message handled, `waited_ms` after it was sent.
pub fn queue_message(waited_ms: f64) {
    event(Event::QueueMessage);
    add(Key::QueueLagMs, waited_ms.max(0.0) as i64);
}

/// One answered request.
pub fn request(route: Route, answer: Answer) {
    let minute = minute_of(now_ms());
    BATCH.with(|b| b.borrow_mut().request(minute, route, answer));
}

/// After a response: makes sure what this isolate gathered is sent within
/// [`SEND_EVERY_MS`], from `waitUntil` (one send in flight at a time).
pub fn send_soon(env: &Env, ctx: &Context) {
    if !enabled(env) || SEND_PENDING.with(Cell::get) {
        return;
    }
    SEND_PENDING.with(|p| p.set(true));
    let wait = (LAST_SENT.with(Cell::get) + SEND_EVERY_MS - now_ms()).max(0.0);
    let env = env.clone();
    ctx.wait_until(async move {
        if wait > 0.0 {
            worker::Delay::from(Duration::from_millis(wait as u64)).await;
        }
        if let Err(e) = send_now(&env).await {
            worker::console_warn!("metrics not sent yet: {e}");
        }
    });
}

/// Sends what this isolate gathered now. If the object does not take it, it is kept
/// for the next send (its newest [`MAX_HELD_MINUTES`]).
pub async fn send_now(env: &Env) -> AppResult<()> {
    let batch = BATCH.with(|b| std::mem::take(&mut *b.borrow_mut()));
    SEND_PENDING.with(|p| p.set(false));
    LAST_SENT.with(|l| l.set(now_ms()));
    if batch.is_empty() || !enabled(env) {
        return Ok(());
    }
    let timing = Timing::start();
    match call(env, &timing, &MetricsCommand::Add { rows: batch.rows() }).await {
        Ok(_) => Ok(()),
        Err(e) => {
            BATCH.with(|b| {
                let mut held = b.borrow_mut();
                held.merge(batch);
                held.keep_newest(MAX_HELD_MINUTES);
            });
            Err(e)
        }
    }
}

async fn call(env: &Env, timing: &Timing, command: &MetricsCommand) -> AppResult<MetricsReply> {
    let stub = durable::stub(env, bindings::METRICS, OBJECT_NAME)?;
    Caller::new(env, timing).call(&stub, "metrics", command).await
}

/// Counts one event straight away, in its own call (from a Durable Object's alarm, which
/// has no response to send first).
pub async fn count_now(env: &Env, timing: &Timing, event: Event) -> AppResult<()> {
    if !enabled(env) {
        return Ok(());
    }
    let mut batch = Batch::default();
    batch.add(minute_of(now_ms()), Key::Event { event }, 1);
    call(env, timing, &MetricsCommand::Add { rows: batch.rows() }).await.map(|_| ())
}

/// The report of `window`, after sending what this isolate gathered (so a report read
/// right after some requests includes them).
pub async fn report(env: &Env, timing: &Timing, window: Window) -> AppResult<Report> {
    if let Err(e) = send_now(env).await {
        worker::console_warn!("metrics not sent before the report: {e}");
    }
    match call(env, timing, &MetricsCommand::Report { window, now_ms: now_ms() as u64 }).await? {
        MetricsReply::Report { report } => Ok(*report),
        other => Err(AppError::Internal(format!("unexpected metrics reply {other:?}"))),
    }
}

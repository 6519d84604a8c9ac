//! The order queue: "order placed" goes to a Workers Queue — sent by the order shard's
//! alarm once the order is stored — so side effects (the confirmation email, analytics)
//! never sit on the shopper's path. The consumer, this same worker, writes the
//! confirmation email to the merchant's outbox; the write is keyed by order number, so
//! a redelivered or retried message changes nothing.

use crate::bindings;
use crate::catalog::CatalogReader;
use crate::error::AppResult;
use crate::orders::{Index, Orders};
use crate::timing::{now_ms, Timing};
use serde::{Deserialize, Serialize};
use shared::orders::{confirmation_email, Order};
use worker::{console_error, event, Context, Env, MessageBatch, MessageExt, Result};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub order_number: String,
    /// Scheme and host the order was placed on, for the link in the email.
    pub origin: String,
    /// The order as its shard stored it (read from the shard when absent).
    #[serde(default)]
    pub order: Option<Box<Order>>,
}

/// Puts "order placed" events on the queue.
pub async fn announce(env: &Env, events: &[OrderPlaced]) -> Result<()> {
    let queue = env.queue(bindings::ORDER_EVENTS)?;
    queue.send_batch(events.to_vec()).await
}

/// The confirmation emails of `events`, in one write to the outbox; returns how many
/// were new (a redelivered event's email was written before).
pub async fn process(env: &Env, events: &[OrderPlaced]) -> AppResult<u32> {
    let timing = Timing::start();
    let catalog = CatalogReader::open(env, &timing).await?;
    let site = catalog.site().await?;
    let orders = Orders::new(env, catalog.caller(env))?;
    let mut emails = Vec::with_capacity(events.len());
    for event in events {
        let order = match &event.order {
            Some(order) => Some((**order).clone()),
            None => orders.get(&event.order_number).await?,
        };
        let Some(order) = order else {
            console_error!("order-placed event for unknown order {}", event.order_number);
            continue;
        };
        let url = format!("{}/orders/{}?token={}", event.origin, order.number, order.token);
        emails.push(confirmation_email(&order, &site.store.name, &url, now_ms() as u64));
    }
    if emails.is_empty() {
        return Ok(0);
    }
    Index::new(env, catalog.caller(env))?.write_emails(emails).await
}

/// A batch of events at a time: one write to the outbox for all of them; if it fails,
/// the whole batch is retried (the write is idempotent by order number).
#[event(queue)]
pub async fn consume(batch: MessageBatch<OrderPlaced>, env: Env, _ctx: Context) -> Result<()> {
    let messages = batch.messages()?;
    let events: Vec<OrderPlaced> = messages.iter().map(|m| m.body().clone()).collect();
    match process(&env, &events).await {
        Ok(_) => messages.iter().for_each(|m| m.ack()),
        Err(e) => {
            console_error!("{} order events: {e}; will retry", events.len());
            messages.iter().for_each(|m| m.retry());
        }
    }
    Ok(())
}

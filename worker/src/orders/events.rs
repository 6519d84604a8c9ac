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
use shared::orders::confirmation_email;
use worker::{console_error, event, Context, Env, MessageBatch, MessageExt, Result};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub order_number: String,
    /// Scheme and host the order was placed on, for the link in the email.
    pub origin: String,
}

/// Puts "order placed" events on the queue.
pub async fn announce(env: &Env, events: &[OrderPlaced]) -> Result<()> {
    let queue = env.queue(bindings::ORDER_EVENTS)?;
    queue.send_batch(events.to_vec()).await
}

/// Handles one event; returns whether an email was newly written.
pub async fn process(env: &Env, event: &OrderPlaced) -> AppResult<bool> {
    let timing = Timing::start();
    let catalog = CatalogReader::open(env, &timing).await?;
    let Some(order) = Orders::new(env, catalog.caller(env))?.get(&event.order_number).await? else {
        console_error!("order-placed event for unknown order {}", event.order_number);
        return Ok(false);
    };
    let site = catalog.site().await?;
    let url = format!("{}/orders/{}?token={}", event.origin, order.number, order.token);
    let email = confirmation_email(&order, &site.store.name, &url, now_ms() as u64);
    Index::new(env, catalog.caller(env))?.write_email(email).await
}

#[event(queue)]
pub async fn consume(batch: MessageBatch<OrderPlaced>, env: Env, _ctx: Context) -> Result<()> {
    for message in batch.messages()? {
        match process(&env, message.body()).await {
            Ok(_) => message.ack(),
            Err(e) => {
                console_error!("order {}: {e}; will retry", message.body().order_number);
                message.retry();
            }
        }
    }
    Ok(())
}

//! The order queue: "order placed" events go to a Workers Queue so side effects (the
//! confirmation email, analytics) never sit on the shopper's critical path. The consumer
//! — this same worker — writes the confirmation email to the merchant's outbox. Writing
//! is keyed by order number, so a redelivered or retried message changes nothing.

use crate::bindings;
use crate::catalog_store::CatalogReader;
use crate::error::AppResult;
use crate::order_object::Orders;
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

/// Sends "order placed". A failure is logged, not raised: the order stands either way.
pub async fn announce(env: &Env, number: &str, origin: &str) {
    let event = OrderPlaced { order_number: number.to_string(), origin: origin.to_string() };
    let sent = match env.queue(bindings::ORDER_EVENTS) {
        Ok(queue) => queue.send(event).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        console_error!("order {number}: could not queue the order-placed event: {e}");
    }
}

/// Handles one event; returns whether an email was newly written.
pub async fn process(env: &Env, event: &OrderPlaced) -> AppResult<bool> {
    let timing = Timing::start();
    let catalog = CatalogReader::open(env, &timing).await?;
    let orders = Orders::new(env, catalog.caller(env))?;
    let Some(order) = orders.get(&event.order_number).await? else {
        console_error!("order-placed event for unknown order {}", event.order_number);
        return Ok(false);
    };
    let site = catalog.site().await?;
    let url = format!("{}/orders/{}?token={}", event.origin, order.number, order.token);
    let email = confirmation_email(&order, &site.store.name, &url, now_ms() as u64);
    orders.write_outbox(email).await
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

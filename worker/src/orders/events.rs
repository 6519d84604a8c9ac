//! The order queue: "order placed" and "order cancelled" go to a Workers Queue — sent
//! by the order shard's alarm once the change is stored — so side effects never sit on
//! the shopper's path. The consumer (`crate::queue`, this same worker) writes the
//! confirmation email to the merchant's outbox, keyed by order number, and gives a
//! cancelled order's lines back to its cart, once per order; so a redelivered or
//! retried message changes nothing.

use crate::bindings;
use crate::catalog::CatalogReader;
use crate::error::AppResult;
use crate::orders::{Index, Orders};
use crate::timing::{now_ms, Timing};
use serde::{Deserialize, Serialize};
use shared::orders::{confirmation_email, Order};
use worker::{console_error, Env, Result};

/// One message on the order queue. Untagged, so messages sent before cancellations were
/// announced still read as `Placed`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OrderEvent {
    Cancelled(OrderCancelled),
    Placed(OrderPlaced),
}

/// An order cancelled for want of a payment, whose lines go back to the cart it was
/// placed from (the cart does it once per order, and only if that order emptied it).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderCancelled {
    pub order_number: String,
    pub return_to_cart: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub order_number: String,
    /// Scheme and host the order was placed on, for the link in the email.
    pub origin: String,
    /// The order as its shard stored it (read from the shard when absent).
    #[serde(default)]
    pub order: Option<Box<Order>>,
}

/// Puts events on the order queue.
pub async fn announce(env: &Env, events: &[OrderEvent]) -> Result<()> {
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
    let mut totals = Vec::with_capacity(events.len());
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
        totals.push((order.number.clone(), order.totals.total));
    }
    if emails.is_empty() {
        return Ok(0);
    }
    let new = Index::new(env, catalog.caller(env))?.write_emails(emails).await?;
    // An order counts as placed once: when its confirmation is new in the outbox.
    for (number, total) in &totals {
        if new.contains(number) {
            crate::metrics::order_placed(*total);
        }
    }
    Ok(new.len() as u32)
}

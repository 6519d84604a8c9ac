//! The order queue: "order placed" and "order cancelled" go to a Workers Queue — sent
//! by the order shard's alarm once the change is stored — so side effects never sit on
//! the shopper's path. The consumer (`crate::queue`, this same worker) sends the
//! confirmation email (through the mail context, which keeps it in the outbox keyed by
//! order number) and gives a cancelled order's lines back to its cart, once per order;
//! so a redelivered or retried message changes nothing.

use crate::bindings;
use crate::catalog::CatalogReader;
use crate::error::AppResult;
use crate::orders::Orders;
use crate::timing::{now_ms, Timing};
use serde::{Deserialize, Serialize};
use shared::catalog::Site;
use shared::mail::{confirmation_email, OutboxEmail, Words};
use shared::markets::Language;
use shared::orders::Order;
use shared::Money;
use std::collections::BTreeMap;
use std::sync::Arc;
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

/// The confirmation emails of `events`, each with its order's total (for the metrics,
/// counted once the email is new in the outbox).
pub async fn confirmations(env: &Env, events: &[OrderPlaced]) -> AppResult<Vec<(OutboxEmail, Money)>> {
    let timing = Timing::start();
    let catalog = CatalogReader::open(env, &timing).await?;
    let orders = Orders::new(env, catalog.caller(env))?;
    let mut editions: BTreeMap<String, Edition> = BTreeMap::new();
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
        if !editions.contains_key(&order.edition) {
            let edition = Edition::read(env, &timing, &order.edition).await?;
            editions.insert(order.edition.clone(), edition);
        }
        let Some(edition) = editions.get(&order.edition) else { continue };
        let url = format!("{}{}/orders/{}?token={}", event.origin, edition.base, order.number, order.token);
        let words = Words { language: &edition.language, strings: &edition.site.strings };
        let email = confirmation_email(&order, &edition.site.store.name, &url, now_ms() as u64, words);
        emails.push((email, order.totals.total));
    }
    Ok(emails)
}

/// What an order's emails are written from: the edition it was placed in, or the
/// default edition when the live catalog no longer has that one.
struct Edition {
    site: Arc<Site>,
    language: Language,
    /// What its paths start with (`/fr-ca`; empty for the default edition).
    base: String,
}

impl Edition {
    async fn read(env: &Env, timing: &Timing, segment: &str) -> AppResult<Edition> {
        let catalog = CatalogReader::open(env, timing).await?;
        let catalog = if catalog.has_edition(segment).await? { catalog.in_edition(segment) } else { catalog };
        Ok(Edition {
            site: catalog.site().await?,
            language: catalog.language().await,
            base: catalog.base_path(),
        })
    }
}

//! The order queue's consumer (see `orders::events`): a batch at a time, the "order
//! placed" events in one write to the outbox, and each cancelled order's lines sent
//! back to its cart. If any of it fails, the whole batch is retried: every step is
//! idempotent by order number.

use crate::cart::protocol::CartCommand;
use crate::cart::CartClient;
use crate::durable::Caller;
use crate::error::AppResult;
use crate::orders::events::{self, OrderCancelled, OrderEvent, OrderPlaced};
use crate::timing::{now_ms, Timing};
use shared::CartId;
use worker::{console_error, console_warn, event, Context, Env, MessageBatch, MessageExt, Result};

async fn process(env: &Env, batch: &[OrderEvent]) -> AppResult<()> {
    let mut placed: Vec<OrderPlaced> = Vec::new();
    let mut cancelled: Vec<&OrderCancelled> = Vec::new();
    for event in batch {
        match event {
            OrderEvent::Placed(p) => placed.push(p.clone()),
            OrderEvent::Cancelled(c) => cancelled.push(c),
        }
    }
    if !placed.is_empty() {
        events::process(env, &placed).await?;
    }
    let timing = Timing::start();
    for event in cancelled {
        let Ok(cart) = CartId::parse(&event.return_to_cart) else {
            console_warn!("order {}: its cart id is not one; nothing given back", event.order_number);
            continue;
        };
        let command = CartCommand::Restore { order: event.order_number.clone() };
        // Refused while the cart is being checked out: the batch is retried later.
        CartClient::new(env, Caller::new(env, &timing), &cart)?.change(command).await?.accepted()?;
    }
    Ok(())
}

#[event(queue)]
pub async fn consume(batch: MessageBatch<OrderEvent>, env: Env, _ctx: Context) -> Result<()> {
    let messages = batch.messages()?;
    let now = now_ms();
    for message in &messages {
        crate::metrics::queue_message(now - message.timestamp().as_millis() as f64);
    }
    let events: Vec<OrderEvent> = messages.iter().map(|m| m.body().clone()).collect();
    match process(&env, &events).await {
        Ok(()) => messages.iter().for_each(|m| m.ack()),
        Err(e) => {
            console_error!("{} order events: {e}; will retry", events.len());
            messages.iter().for_each(|m| m.retry());
        }
    }
    // A queue handler has no response to send first: what it counted goes now.
    if let Err(e) = crate::metrics::send_now(&env).await {
        console_warn!("metrics not sent yet: {e}");
    }
    Ok(())
}

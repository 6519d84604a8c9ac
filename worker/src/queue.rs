//! The queue's consumer: order events (see `orders::events`) and emails to send (see
//! `mail`), a batch at a time. The batch's emails — the "order placed" events'
//! confirmations and the sign-in links — go to the mail context together (one write to
//! the outbox, then the provider); each cancelled order's lines go back to its cart.
//! Every step is idempotent (by order number, by email key), so a message is simply
//! retried: the whole batch when a step fails, or just the messages whose email the
//! provider did not take, after a delay.

use crate::bindings;
use crate::cart::protocol::CartCommand;
use crate::cart::CartClient;
use crate::durable::Caller;
use crate::error::AppResult;
use crate::mail::{self, MailMessage};
use crate::orders::events::{self, OrderCancelled, OrderEvent, OrderPlaced};
use crate::timing::{now_ms, Timing};
use serde::{Deserialize, Serialize};
use shared::CartId;
use worker::{
    console_error, console_warn, event, Context, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder,
    Result,
};

/// Seconds before a message whose email was not sent is tried again, unless
/// `MAIL_RETRY_SECONDS` says otherwise (the queue tries it `max_retries` times).
const DEFAULT_MAIL_RETRY_SECONDS: u64 = 60;

/// One message on the queue. Untagged: an email carries `mail`, and order events read
/// as they always did.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum QueueMessage {
    Mail(MailMessage),
    Order(OrderEvent),
}

/// What a batch came to.
pub struct Processed {
    /// For each message, whether it is to be retried.
    pub retry: Vec<bool>,
    /// How many emails were new in the outbox.
    pub new_emails: usize,
}

/// Handles a batch; an error means none of it is known to be done (retry it all).
pub async fn process(env: &Env, batch: &[QueueMessage]) -> AppResult<Processed> {
    let mut placed: Vec<OrderPlaced> = Vec::new();
    let mut cancelled: Vec<&OrderCancelled> = Vec::new();
    let mut emails: Vec<MailMessage> = Vec::new();
    for message in batch {
        match message {
            QueueMessage::Order(OrderEvent::Placed(p)) => placed.push(p.clone()),
            QueueMessage::Order(OrderEvent::Cancelled(c)) => cancelled.push(c),
            QueueMessage::Mail(m) => emails.push(m.clone()),
        }
    }
    let confirmations =
        if placed.is_empty() { Vec::new() } else { events::confirmations(env, &placed).await? };
    emails.extend(
        confirmations.iter().map(|(email, _)| MailMessage { mail: email.clone(), withhold: String::new() }),
    );
    let timing = Timing::start();
    let delivered = if emails.is_empty() {
        mail::Delivered { new: Vec::new(), failed: Vec::new() }
    } else {
        mail::deliver(env, Caller::new(env, &timing), &emails).await?
    };
    // An order counts as placed once: when its confirmation is new in the outbox.
    for (email, total) in &confirmations {
        if delivered.new.contains(&email.key) {
            crate::metrics::order_placed(*total);
        }
    }
    for event in cancelled {
        let Ok(cart) = CartId::parse(&event.return_to_cart) else {
            console_warn!("order {}: its cart id is not one; nothing given back", event.order_number);
            continue;
        };
        let command = CartCommand::Restore { order: event.order_number.clone() };
        // Refused while the cart is being checked out: the batch is retried later.
        CartClient::new(env, Caller::new(env, &timing), &cart)?.change(command).await?.accepted()?;
    }
    let retry = batch
        .iter()
        .map(|message| {
            let key = match message {
                QueueMessage::Order(OrderEvent::Placed(p)) => &p.order_number,
                QueueMessage::Mail(m) => &m.mail.key,
                QueueMessage::Order(OrderEvent::Cancelled(_)) => return false,
            };
            delivered.failed.contains(key)
        })
        .collect();
    Ok(Processed { retry, new_emails: delivered.new.len() })
}

#[event(queue)]
pub async fn consume(batch: MessageBatch<QueueMessage>, env: Env, _ctx: Context) -> Result<()> {
    let messages = batch.messages()?;
    let now = now_ms();
    for message in &messages {
        crate::metrics::queue_message(now - message.timestamp().as_millis() as f64);
    }
    let bodies: Vec<QueueMessage> = messages.iter().map(|m| m.body().clone()).collect();
    match process(&env, &bodies).await {
        Ok(processed) => {
            let seconds = bindings::number(&env, bindings::MAIL_RETRY_SECONDS)
                .unwrap_or(DEFAULT_MAIL_RETRY_SECONDS)
                .min(43_200) as u32;
            let later = QueueRetryOptionsBuilder::new().with_delay_seconds(seconds).build();
            for (message, retry) in messages.iter().zip(processed.retry) {
                if retry {
                    message.retry_with_options(&later);
                } else {
                    message.ack();
                }
            }
        }
        Err(e) => {
            console_error!("{} queue messages: {e}; will retry", bodies.len());
            messages.iter().for_each(|m| m.retry());
        }
    }
    // A queue handler has no response to send first: what it counted goes now.
    if let Err(e) = crate::metrics::send_now(&env).await {
        console_warn!("metrics not sent yet: {e}");
    }
    Ok(())
}

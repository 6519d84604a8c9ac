//! The mail context: how the shop's emails leave it. Every email is first written to the
//! outbox (the order index keeps it, once per key), then sent through the channel
//! `MAIL_PROVIDER` names — Resend's API ([`resend`]), or none at all with `outbox`,
//! where the outbox is the local development sink — and what came of it is recorded
//! on the email. Sending happens in the queue consumer, never on a shopper's path; a
//! failure leaves the email waiting and its message is retried with a delay.
//!
//! A sign-in link goes through the queue too ([`enqueue`]): the message carries the
//! email whole, the outbox's record withholds the link when a provider sends it (the
//! outbox is the merchant's to read).

pub mod resend;

use crate::bindings;
use crate::durable::Caller;
use crate::error::{AppError, AppResult};
use crate::orders::Index;
use serde::{Deserialize, Serialize};
use shared::mail::{Attempt, Delivery, OutboxEmail};
use worker::{console_error, Env};

/// Where emails go.
pub enum Channel {
    /// Kept in the outbox only.
    Outbox,
    Resend(resend::Client),
}

impl Channel {
    /// The channel `MAIL_PROVIDER` names; `None` (logged) when it names none or the one
    /// it names lacks its settings: then nothing is sent.
    pub fn from_env(env: &Env) -> Option<Channel> {
        match bindings::text(env, bindings::MAIL_PROVIDER).as_deref().map(str::trim) {
            Some("outbox") => Some(Channel::Outbox),
            Some("resend") => match resend::Client::from_env(env) {
                Ok(client) => Some(Channel::Resend(client)),
                Err(why) => {
                    console_error!("no mail is sent: {why}");
                    None
                }
            },
            _ => None,
        }
    }
}

/// Whether the shop can get an email to a customer (refused otherwise: sign-in needs
/// mail that arrives, and fails closed without it).
pub fn require_channel(env: &Env) -> AppResult<()> {
    match Channel::from_env(env) {
        Some(_) => Ok(()),
        None => {
            console_error!("sign-in refused: MAIL_PROVIDER is not set to \"resend\" or \"outbox\" (see the README, Email)");
            Err(AppError::Unavailable(
                "This shop cannot send email yet, so signing in is not available. Please try again later."
                    .into(),
            ))
        }
    }
}

/// An email to send, and the text its outbox record must not show (a sign-in link).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MailMessage {
    pub mail: OutboxEmail,
    #[serde(default)]
    pub withhold: String,
}

/// What [`deliver`] did.
pub struct Delivered {
    /// The keys of the emails new in the outbox.
    pub new: Vec<String>,
    /// The keys of the emails whose sending failed and is to be tried again.
    pub failed: Vec<String>,
}

/// Puts a sign-in link's email on the queue, for the consumer to [`deliver`].
pub async fn enqueue(env: &Env, message: MailMessage) -> AppResult<()> {
    let queue = env.queue(bindings::ORDER_EVENTS)?;
    queue.send(message).await?;
    Ok(())
}

/// Writes each email to the outbox (once by key), then sends through the channel those
/// still to be sent — new ones, and ones an earlier try failed — and records how each
/// went. Emails sent or refused before are not sent again.
pub async fn deliver(env: &Env, caller: Caller<'_>, messages: &[MailMessage]) -> AppResult<Delivered> {
    let channel = Channel::from_env(env);
    let sending = matches!(channel, Some(Channel::Resend(_)));
    let records: Vec<OutboxEmail> = messages
        .iter()
        .map(|m| {
            let mut record = if sending { m.mail.record(&m.withhold) } else { m.mail.clone() };
            record.delivery = if sending {
                Delivery::Pending { attempts: 0, last_error: String::new() }
            } else {
                Delivery::Kept
            };
            record
        })
        .collect();
    let index = Index::new(env, caller)?;
    let (new, to_send) = index.write_emails(records).await?;
    let Some(Channel::Resend(client)) = channel else {
        return Ok(Delivered { new, failed: Vec::new() });
    };
    let mut results: Vec<(String, Attempt)> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    for message in messages.iter().filter(|m| to_send.contains(&m.mail.key)) {
        let attempt = client.send(&message.mail).await;
        if let Attempt::Failed { error } = &attempt {
            console_error!("email {} not sent yet: {error}", message.mail.key);
            failed.push(message.mail.key.clone());
        }
        results.push((message.mail.key.clone(), attempt));
    }
    if !results.is_empty() {
        index.record_deliveries(results).await?;
    }
    Ok(Delivered { new, failed })
}

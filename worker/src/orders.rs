//! The orders context: orders in Durable Objects sharded by order number (see
//! [`object`]), the merchant's order list and email outbox in one index object (see
//! [`index`]) fed from the shards off the shopper's path, and the order queue (see
//! [`events`]). [`Orders`] talks to the shards; [`Index`] to the index.
//!
//! A shopper's order page and lookup read the order's own shard (one call, always
//! current); the merchant's list and outbox read the index (one call, current within
//! the moment it takes a shard's alarm to forward a new order).

pub mod events;
pub mod index;
pub mod object;
mod protocol;
pub mod webhook;

use crate::bindings;
use crate::durable::{self, Caller};
use crate::error::{AppError, AppResult};
use crate::timing::now_ms;
pub use protocol::PaymentUpdate;
use protocol::{IndexCommand, OrderReply, ShardCommand};
use shared::mail::{Attempt, OutboxEmail};
use shared::orders::{Order, OrderNote, OrderPage, OrderQuery};
use shared::CartId;
use worker::Env;

/// Number of order shards.
pub const SHARDS: u32 = 8;
/// The one index object's name.
const INDEX_NAME: &str = "orders-index";

pub fn shard_of(number: &str) -> u32 {
    shared::hash::shard(number, SHARDS)
}

/// Order numbers look like `FL-XXXXX-XXXXX`.
pub fn valid_number(number: &str) -> bool {
    number.len() == 14 && number.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

fn unexpected(reply: &OrderReply) -> AppError {
    AppError::Internal(format!("unexpected order reply {reply:?}"))
}

/// The client of the order shards.
pub struct Orders<'t> {
    namespace: worker::ObjectNamespace,
    caller: Caller<'t>,
}

impl<'t> Orders<'t> {
    pub fn new(env: &Env, caller: Caller<'t>) -> AppResult<Orders<'t>> {
        Ok(Orders { namespace: env.durable_object(bindings::ORDERS)?, caller })
    }

    async fn send(&self, shard: u32, command: &ShardCommand) -> AppResult<OrderReply> {
        let stub = self.namespace.id_from_name(&format!("orders-{shard}"))?.get_stub()?;
        self.caller.call(&stub, "order service", command).await
    }

    async fn one(&self, number: &str, command: ShardCommand) -> AppResult<Option<Order>> {
        match self.send(shard_of(number), &command).await? {
            OrderReply::Order { order } => Ok(order.map(|o| *o)),
            other => Err(unexpected(&other)),
        }
    }

    /// Stores an order (or finds the one already stored under its number).
    /// `cart`: the cart it was placed from (its lines go back there if the order is
    /// cancelled unpaid).
    pub async fn create(&self, order: Order, origin: &str, cart: Option<&CartId>) -> AppResult<Order> {
        let number = order.number.clone();
        let command = ShardCommand::Create {
            order: Box::new(order),
            origin: origin.to_string(),
            cart: cart.map(|c| c.to_string()),
        };
        self.one(&number, command)
            .await?
            .ok_or_else(|| AppError::Internal("order shard stored nothing".into()))
    }

    pub async fn get(&self, number: &str) -> AppResult<Option<Order>> {
        self.one(number, ShardCommand::Get { number: number.to_string() }).await
    }

    /// The order with this number, if it was placed with this email (any case).
    pub async fn lookup(&self, email: &shared::checkout::Email, number: &str) -> AppResult<Option<Order>> {
        if !valid_number(number) {
            return Ok(None);
        }
        Ok(self.get(number).await?.filter(|o| o.email.to_lowercase() == email.normalized()))
    }

    /// Marks a paid order fulfilled (with the carrier's tracking number, if given);
    /// answers the order as it now is.
    pub async fn fulfil(
        &self,
        number: &str,
        tracking: Option<String>,
        now_ms: u64,
    ) -> AppResult<Option<Order>> {
        self.one(number, ShardCommand::Fulfil { number: number.to_string(), now_ms, tracking }).await
    }

    /// Adds the merchant's note to an order; answers the order as it now is.
    pub async fn add_note(&self, number: &str, note: OrderNote) -> AppResult<Option<Order>> {
        match self.send(shard_of(number), &ShardCommand::AddNote { number: number.to_string(), note }).await?
        {
            OrderReply::Order { order } => Ok(order.map(|o| *o)),
            OrderReply::Refused { message, .. } => Err(AppError::Conflict(message.into())),
            other => Err(unexpected(&other)),
        }
    }

    /// Applies what the payment provider said about an order's payment (once per
    /// `event_id`); answers the order as it now is (`None`: no such order) and whether
    /// the event was handled before.
    pub async fn payment(
        &self,
        number: &str,
        event_id: Option<&str>,
        update: PaymentUpdate,
    ) -> AppResult<(Option<Order>, bool)> {
        let command = ShardCommand::Payment {
            number: number.to_string(),
            event_id: event_id.map(str::to_string),
            update,
        };
        match self.send(shard_of(number), &command).await? {
            OrderReply::Payment { order, duplicate } => Ok((order.map(|o| *o), duplicate)),
            other => Err(unexpected(&other)),
        }
    }

    /// Pays a pending order again with another payment method; answers the order as it
    /// now is (`None`: no order with that number and token). A provider that does not
    /// answer is a 503 that is safe to retry (the order has one payment, charged once).
    pub async fn pay_again(
        &self,
        number: &str,
        token: &str,
        payment_method: &str,
    ) -> AppResult<Option<Order>> {
        let command = ShardCommand::PayAgain {
            number: number.to_string(),
            token: token.to_string(),
            payment_method: payment_method.to_string(),
        };
        match self.send(shard_of(number), &command).await? {
            OrderReply::Order { order } | OrderReply::Payment { order, .. } => Ok(order.map(|o| *o)),
            OrderReply::Refused { message, unavailable: true } => Err(AppError::Unavailable(message.into())),
            OrderReply::Refused { message, .. } => Err(AppError::Conflict(message.into())),
            other => Err(unexpected(&other)),
        }
    }

    /// Refunds a paid order through its provider, and with `restock` puts its units back
    /// in stock; answers the order as it now is.
    pub async fn refund(&self, number: &str, restock: bool) -> AppResult<Option<Order>> {
        let command = ShardCommand::Refund { number: number.to_string(), restock };
        match self.send(shard_of(number), &command).await? {
            OrderReply::Order { order } => Ok(order.map(|o| *o)),
            OrderReply::Refused { message, unavailable: true } => Err(AppError::Unavailable(message.into())),
            OrderReply::Refused { message, .. } => Err(AppError::Conflict(message.into())),
            other => Err(unexpected(&other)),
        }
    }

    /// Has every shard settle payments now (what their alarms do): overdue orders
    /// cancelled, owed stock given back; returns how many orders changed.
    pub async fn settle_all(&self) -> AppResult<u32> {
        let mut changed: u32 = 0;
        for shard in 0..SHARDS {
            if let OrderReply::Done { changed: n } = self.send(shard, &ShardCommand::SettlePayments).await? {
                changed = changed.saturating_add(n);
            }
        }
        Ok(changed)
    }

    /// Has every shard forward what waits for the index and the queue now (what their
    /// alarms do); returns how many orders went.
    pub async fn forward_all(&self) -> AppResult<u32> {
        let mut forwarded: u32 = 0;
        for shard in 0..SHARDS {
            if let OrderReply::Done { changed } = self.send(shard, &ShardCommand::Forward).await? {
                forwarded = forwarded.saturating_add(changed);
            }
        }
        Ok(forwarded)
    }
}

/// The client of the merchant's order index.
pub struct Index<'t> {
    stub: worker::Stub,
    caller: Caller<'t>,
}

impl<'t> Index<'t> {
    pub fn new(env: &Env, caller: Caller<'t>) -> AppResult<Index<'t>> {
        Ok(Index { stub: durable::stub(env, bindings::ORDER_INDEX, INDEX_NAME)?, caller })
    }

    async fn send(&self, command: &IndexCommand) -> AppResult<OrderReply> {
        self.caller.call(&self.stub, "order index", command).await
    }

    pub async fn upsert(&self, orders: Vec<Order>) -> AppResult<()> {
        self.send(&IndexCommand::Upsert { orders }).await?;
        Ok(())
    }

    /// The page of orders `query` matches, newest first, and where the next starts.
    pub async fn list(&self, mut query: OrderQuery) -> AppResult<OrderPage> {
        let limit = query.limit;
        // One more than the page holds says whether there is a next page.
        query.limit = limit.saturating_add(1);
        match self.send(&IndexCommand::List { query }).await? {
            OrderReply::Orders { orders, matching } => Ok(OrderPage::of(orders, limit, matching)),
            other => Err(unexpected(&other)),
        }
    }

    /// Writes emails to the outbox (each once by its key); returns the keys of those
    /// that were new, and of those still to be sent.
    pub async fn write_emails(&self, emails: Vec<OutboxEmail>) -> AppResult<(Vec<String>, Vec<String>)> {
        match self.send(&IndexCommand::WriteEmails { emails }).await? {
            OrderReply::Written { new, to_send } => Ok((new, to_send)),
            other => Err(unexpected(&other)),
        }
    }

    /// Records what sending emails (by key) came to.
    pub async fn record_deliveries(&self, results: Vec<(String, Attempt)>) -> AppResult<()> {
        self.send(&IndexCommand::RecordDeliveries { results, now_ms: now_ms() as u64 }).await?;
        Ok(())
    }

    pub async fn outbox(&self, limit: u32) -> AppResult<Vec<OutboxEmail>> {
        match self.send(&IndexCommand::Outbox { limit }).await? {
            OrderReply::Emails { emails } => Ok(emails),
            other => Err(unexpected(&other)),
        }
    }
}

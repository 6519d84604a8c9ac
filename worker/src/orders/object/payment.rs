//! How an order shard settles its orders' payments.
//!
//! Every word from the provider goes through [`OrderObject::apply_payment`]: once per
//! event id, then `shared::payments::effect_of` decides (pending → paid, pending →
//! cancelled, money for a cancelled order → refunded, anything else → nothing). State
//! changes are written before anything is awaited, so two events racing through one
//! shard see each other's result:
//! - paid: stored, then announced ("order placed") by the alarm;
//! - cancelled: stored with a restock mark in the same write, then the stock is given
//!   back (idempotent); if that fails, the alarm gives it back later (a merchant's
//!   refund that puts the stock back goes the same way);
//! - a late success: refunded through the provider first (under one idempotency key per
//!   order, so retries refund once), then stored.
//!
//! The alarm also cancels orders whose payment never came by their `pay_by` (after
//! cancelling their PaymentIntent, unless it turns out to have succeeded).

use super::OrderObject;
use crate::bindings;
use crate::durable::Caller;
use crate::error::{AppError, AppResult};
use crate::inventory::Inventory;
use crate::orders::events::{self, OrderCancelled, OrderEvent};
use crate::orders::protocol::{OrderReply, PaymentUpdate};
use crate::payments::stripe::{self, Cancelled, Charge};
use crate::payments::{self, Provider};
use crate::signing::constant_time_eq;
use crate::sql::{runtime_error, text};
use serde::Deserialize;
use shared::orders::{Order, OrderStatus, PaymentProvider};
use shared::payments::{effect_of, Effect, PaymentEvent, StripeAmount};
use worker::{console_error, console_warn, Env, Result, SqlStorage, SqlStorageValue};

/// How long an order waits for its payment unless `PAYMENT_PENDING_TTL_SECONDS` says.
const DEFAULT_PENDING_TTL_SECONDS: u64 = 3_600;
/// Unpaid orders cancelled per alarm (it rings again for the rest).
const SETTLE_BATCH: i64 = 20;
/// How soon the alarm tries again to give back stock that could not be given back.
const RESTOCK_RETRY_MS: u64 = 5_000;

pub fn pending_ttl_ms(env: &Env) -> u64 {
    bindings::number(env, bindings::PAYMENT_PENDING_TTL_SECONDS)
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_PENDING_TTL_SECONDS)
        .saturating_mul(1000)
}

#[derive(Deserialize)]
struct NumberRow {
    number: String,
}

#[derive(Deserialize)]
struct ReturnRow {
    number: String,
    cart: String,
}

#[derive(Deserialize)]
struct AtRow {
    at: Option<i64>,
}

fn now() -> u64 {
    worker::Date::now().as_millis()
}

/// Whether what the provider reported about `reference` is about this order's payment
/// (its own PaymentIntent, or any for an order stored before it had one).
fn is_ours(order: &Order, reference: Option<&str>) -> bool {
    match (&order.payment.reference, reference) {
        (Some(known), Some(reported)) => known == reported,
        _ => true,
    }
}

fn to_runtime(e: AppError) -> worker::Error {
    runtime_error(e)
}

impl OrderObject {
    fn event_seen(&self, sql: &SqlStorage, id: &str) -> Result<bool> {
        let rows: Vec<NumberRow> =
            sql.exec("SELECT number FROM payment_events WHERE id = ?", vec![text(id)])?.to_array()?;
        Ok(!rows.is_empty())
    }

    fn record_event(&self, sql: &SqlStorage, id: Option<&str>, number: &str) -> Result<()> {
        if let Some(id) = id {
            sql.exec(
                "INSERT INTO payment_events (id, number, at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
                vec![text(id), text(number), SqlStorageValue::from(now() as i64)],
            )?;
        }
        Ok(())
    }

    /// Applies what the provider said about order `number`'s payment (see the module).
    pub(super) async fn apply_payment(
        &self,
        sql: &SqlStorage,
        number: &str,
        event_id: Option<&str>,
        update: PaymentUpdate,
        caller: Caller<'_>,
    ) -> Result<OrderReply> {
        if let Some(id) = event_id {
            if self.event_seen(sql, id)? {
                return Ok(OrderReply::Payment {
                    order: self.get(sql, number)?.map(Box::new),
                    duplicate: true,
                });
            }
        }
        let Some(mut order) = self.get(sql, number)? else {
            self.record_event(sql, event_id, number)?;
            return Ok(OrderReply::Payment { order: None, duplicate: false });
        };
        match update {
            PaymentUpdate::Attach { reference, client_secret } => {
                // The order's own PaymentIntent (known since it was stored) or, for orders
                // stored before that, the first one reported.
                let ours = is_ours(&order, Some(&reference));
                if order.status == OrderStatus::PendingPayment && ours {
                    order.payment.reference = Some(reference);
                    order.payment.client_secret = client_secret;
                    order.payment.error = None;
                    self.update(sql, &order)?;
                }
                self.record_event(sql, event_id, number)?;
            }
            PaymentUpdate::Succeeded { reference, amount, currency } => {
                let total = order.totals.total;
                let right_amount = match order.payment.provider {
                    PaymentProvider::Stripe => StripeAmount::matches(total, amount, &currency),
                    PaymentProvider::Test => {
                        amount == total.minor() && currency.eq_ignore_ascii_case(total.currency().code())
                    }
                };
                let other_intent = order.payment.reference.as_ref().is_some_and(|known| *known != reference);
                if !right_amount || other_intent {
                    console_error!(
                        "payment {reference} ({amount} {currency}) does not match order {number} ({} {}, payment {:?}); not marked paid",
                        total.minor(),
                        total.currency(),
                        order.payment.reference
                    );
                    self.record_event(sql, event_id, number)?;
                    return Ok(OrderReply::Payment { order: Some(Box::new(order)), duplicate: false });
                }
                match effect_of(order.status, PaymentEvent::Succeeded) {
                    Effect::MarkPaid => {
                        order.status = OrderStatus::Paid;
                        order.payment.reference = Some(reference);
                        order.payment.client_secret = None;
                        order.payment.paid_at_ms = Some(now());
                        self.update(sql, &order)?;
                        self.record_event(sql, event_id, number)?;
                        self.arm().await?;
                    }
                    Effect::Refund => {
                        order.payment.reference = Some(reference);
                        let note = "The payment arrived after the order was cancelled, so it was refunded.";
                        // Not refunded (yet): the event is not recorded, so its retry refunds.
                        order = self.refund_now(sql, order, note).await?.map_err(to_runtime)?;
                        self.record_event(sql, event_id, number)?;
                    }
                    _ => self.record_event(sql, event_id, number)?,
                }
            }
            PaymentUpdate::Failed { reference, message } => {
                // Another PaymentIntent's failure says nothing about this order's.
                let ours = is_ours(&order, reference.as_deref());
                match effect_of(order.status, PaymentEvent::AttemptFailed) {
                    Effect::RecordFailure if ours => {
                        order.payment.error = Some(message);
                        // The bank's check is over: the page offers paying again instead.
                        order.payment.client_secret = None;
                        self.update(sql, &order)?;
                        self.arm().await?;
                    }
                    _ => {}
                }
                self.record_event(sql, event_id, number)?;
            }
            PaymentUpdate::Cancelled { reference, note } => {
                if is_ours(&order, reference.as_deref())
                    && effect_of(order.status, PaymentEvent::Cancelled) == Effect::Cancel
                {
                    if order.payment.reference.is_none() {
                        order.payment.reference = reference;
                    }
                    order = self.cancel(sql, order, &note, caller).await?;
                }
                self.record_event(sql, event_id, number)?;
            }
        }
        Ok(OrderReply::Payment { order: Some(Box::new(order)), duplicate: false })
    }

    /// Puts "order cancelled" on the queue for the cancelled orders whose lines go back
    /// to their cart (the cart takes them back once per order).
    async fn return_lines(&self, sql: &SqlStorage) -> Result<()> {
        let rows: Vec<ReturnRow> =
            sql.exec("SELECT number, cart FROM cart_returns LIMIT 100", None)?.to_array()?;
        if rows.is_empty() {
            return Ok(());
        }
        let events: Vec<OrderEvent> = rows
            .iter()
            .map(|r| {
                OrderEvent::Cancelled(OrderCancelled {
                    order_number: r.number.clone(),
                    return_to_cart: r.cart.clone(),
                })
            })
            .collect();
        events::announce(&self.env, &events).await?;
        for row in rows {
            sql.exec("DELETE FROM cart_returns WHERE number = ?", vec![text(row.number)])?;
        }
        Ok(())
    }

    /// The shopper pays a pending Stripe order again with another payment method (its
    /// own PaymentIntent, confirmed again: one PaymentIntent, so at most one charge).
    /// Answers the order as it now is; `Refused` when Stripe could not be asked or did
    /// not answer (nothing changed; trying again is safe).
    pub(super) async fn pay_again(
        &self,
        sql: &SqlStorage,
        number: &str,
        token: &str,
        payment_method: &str,
        caller: Caller<'_>,
    ) -> Result<OrderReply> {
        let order = match self.get(sql, number)? {
            Some(order) if constant_time_eq(order.token.as_bytes(), token.as_bytes()) => order,
            _ => return Ok(OrderReply::Order { order: None }),
        };
        let intent = match (&order.status, &order.payment.provider, &order.payment.reference) {
            (OrderStatus::PendingPayment, PaymentProvider::Stripe, Some(intent)) => intent.clone(),
            _ => return Ok(OrderReply::Order { order: Some(Box::new(order)) }),
        };
        let client = match Provider::from_env(&self.env) {
            Ok(Provider::Stripe(client)) => client,
            Ok(Provider::Test) => {
                return Ok(OrderReply::Refused {
                    message: "This order was paid through Stripe, which this shop no longer takes.".into(),
                    unavailable: false,
                })
            }
            Err(e) => {
                return Ok(OrderReply::Refused { message: e.public_text().1.to_string(), unavailable: true })
            }
        };
        let key = stripe::attempt_key(number, "confirm").map_err(to_runtime)?;
        let unconfirmed =
            || OrderReply::Refused { message: shared::payments::unconfirmed().english(), unavailable: true };
        let update = match client.confirm(&key, &intent, payment_method).await {
            Ok(Charge::Succeeded { intent, amount: Some(amount), currency: Some(currency) }) => {
                PaymentUpdate::Succeeded { reference: intent, amount, currency }
            }
            Ok(Charge::NeedsAction { intent, client_secret }) => {
                PaymentUpdate::Attach { reference: intent, client_secret: Some(client_secret) }
            }
            Ok(Charge::Processing { intent }) => {
                PaymentUpdate::Attach { reference: intent, client_secret: None }
            }
            Ok(Charge::Refused(refusal)) => {
                PaymentUpdate::Failed { reference: Some(intent), message: refusal.message().to_string() }
            }
            Ok(Charge::Succeeded { .. } | Charge::Unknown(_) | Charge::Misconfigured(_)) | Err(_) => {
                console_warn!("order {number}: paying again with another method is not confirmed yet");
                return Ok(unconfirmed());
            }
        };
        self.apply_payment(sql, number, None, update, caller).await
    }

    /// Cancels a pending order: stored with a restock mark, then its stock given back.
    async fn cancel(
        &self,
        sql: &SqlStorage,
        mut order: Order,
        note: &str,
        caller: Caller<'_>,
    ) -> Result<Order> {
        order.status = OrderStatus::Cancelled;
        order.payment.client_secret = None;
        order.payment.note = Some(note.to_string());
        self.update(sql, &order)?;
        // Its lines go back to the cart it came from (the alarm sends that on the queue).
        sql.exec(
            "INSERT INTO cart_returns (number, cart) SELECT number, cart FROM orders
             WHERE number = ? AND cart IS NOT NULL ON CONFLICT (number) DO NOTHING",
            vec![text(order.number.clone())],
        )?;
        Ok(self.put_back(sql, &order.number, caller).await?.unwrap_or(order))
    }

    /// Puts order `number`'s units back in stock: marked on the order and in `restocks`
    /// in one write (read afresh, so nothing stored meanwhile is lost), then given back
    /// (idempotent); if that fails, the alarm gives them back later. An order sold under
    /// no stock commit has nothing to put back.
    async fn put_back(&self, sql: &SqlStorage, number: &str, caller: Caller<'_>) -> Result<Option<Order>> {
        let Some(mut order) = self.get(sql, number)? else {
            return Ok(None);
        };
        if order.payment.stock_commit.is_some() && order.payment.restocked_at_ms.is_none() {
            order.payment.restocked_at_ms = Some(now());
            self.update(sql, &order)?;
        }
        sql.exec(
            "INSERT INTO restocks (number) VALUES (?) ON CONFLICT (number) DO NOTHING",
            vec![text(number)],
        )?;
        self.arm().await?;
        if let Err(e) = self.give_back(sql, &order, caller).await {
            console_warn!("order {number}: stock not given back yet ({e}); the alarm will");
            self.arm_at(now().saturating_add(RESTOCK_RETRY_MS)).await?;
        }
        Ok(Some(order))
    }

    async fn give_back(&self, sql: &SqlStorage, order: &Order, caller: Caller<'_>) -> AppResult<()> {
        if let Some(commit) = &order.payment.stock_commit {
            Inventory::new(&self.env, caller)?.give_back(commit, &order.payment.stock).await?;
        }
        sql.exec("DELETE FROM restocks WHERE number = ?", vec![text(order.number.clone())])?;
        Ok(())
    }

    /// Refunds `order` through its provider, then stores it refunded (unless it changed
    /// meanwhile to something a refund does not apply to).
    /// `Ok(Err(_))`: the provider did not refund (nothing changed).
    async fn refund_now(&self, sql: &SqlStorage, order: Order, note: &str) -> Result<AppResult<Order>> {
        let key = format!("refund-{}", order.number);
        let refund = match payments::refund(&self.env, &order, &key).await {
            Ok(refund) => refund,
            Err(e) => return Ok(Err(e)),
        };
        let Some(mut current) = self.get(sql, &order.number)? else {
            return Ok(Ok(order));
        };
        if matches!(current.status, OrderStatus::Paid | OrderStatus::Fulfilled | OrderStatus::Cancelled) {
            current.status = OrderStatus::Refunded;
            current.payment.reference = current.payment.reference.or(order.payment.reference);
            current.payment.refund = refund.or(current.payment.refund);
            current.payment.refunded_at_ms = Some(now());
            current.payment.note = Some(note.to_string());
            self.update(sql, &current)?;
            self.arm().await?;
        }
        Ok(Ok(current))
    }

    /// The merchant's refund of a paid (or fulfilled) order; other orders are answered
    /// as they are (a refunded one: refunded before). With `restock`, a refunded order's
    /// units go back in stock, once (also for one refunded before without it).
    pub(super) async fn refund(
        &self,
        sql: &SqlStorage,
        number: &str,
        restock: bool,
        caller: Caller<'_>,
    ) -> Result<OrderReply> {
        let order = match self.get(sql, number)? {
            Some(order) if order.status.is_paid() => {
                match self.refund_now(sql, order, "Refunded by the merchant.").await? {
                    Ok(order) => order,
                    Err(e) => {
                        return Ok(OrderReply::Refused {
                            unavailable: matches!(e, AppError::Unavailable(_)),
                            message: e.public_text().1.to_string(),
                        })
                    }
                }
            }
            Some(order) => order,
            None => return Ok(OrderReply::Order { order: None }),
        };
        let order = match order.status {
            OrderStatus::Refunded if restock && order.payment.restocked_at_ms.is_none() => {
                self.put_back(sql, number, caller).await?.unwrap_or(order)
            }
            _ => order,
        };
        Ok(OrderReply::Order { order: Some(Box::new(order)) })
    }

    /// Gives back the stock of cancelled orders that still owe it, and cancels orders
    /// whose payment is overdue; answers how many orders changed.
    pub(super) async fn settle(&self, sql: &SqlStorage, caller: Caller<'_>) -> Result<u32> {
        let mut changed: u32 = 0;
        self.return_lines(sql).await?;
        let owed: Vec<NumberRow> = sql.exec("SELECT number FROM restocks LIMIT 20", None)?.to_array()?;
        for row in owed {
            if let Some(order) = self.get(sql, &row.number)? {
                self.give_back(sql, &order, caller).await.map_err(to_runtime)?;
                changed = changed.saturating_add(1);
            }
        }
        let overdue: Vec<NumberRow> = sql
            .exec(
                "SELECT number FROM orders WHERE pay_by IS NOT NULL AND pay_by <= ? ORDER BY pay_by LIMIT ?",
                vec![SqlStorageValue::from(now() as i64), SqlStorageValue::from(SETTLE_BATCH)],
            )?
            .to_array()?;
        for row in overdue {
            if let Some(order) = self.get(sql, &row.number)? {
                changed = changed.saturating_add(u32::from(self.expire(sql, order, caller).await?));
            }
        }
        Ok(changed)
    }

    /// An order whose payment did not come in time: its PaymentIntent is cancelled first
    /// (so it cannot succeed later), unless it had succeeded — then the order is paid.
    async fn expire(&self, sql: &SqlStorage, order: Order, caller: Caller<'_>) -> Result<bool> {
        if order.status != OrderStatus::PendingPayment {
            return Ok(false);
        }
        let number = order.number.clone();
        if let (Some(intent), Ok(Provider::Stripe(client))) =
            (&order.payment.reference, Provider::from_env(&self.env))
        {
            match client.cancel(&format!("cancel-{number}"), intent).await {
                Ok(Cancelled::Cancelled) => {}
                Ok(Cancelled::Succeeded(pi)) => {
                    // Paid after all: the same checks as any success (amount, id).
                    let update = PaymentUpdate::Succeeded {
                        reference: pi.id,
                        amount: pi.amount.unwrap_or(-1),
                        currency: pi.currency.unwrap_or_default(),
                    };
                    let reply = self.apply_payment(sql, &number, None, update, caller).await?;
                    let still_pending = matches!(&reply, OrderReply::Payment { order: Some(o), .. }
                        if o.status == OrderStatus::PendingPayment);
                    if !still_pending {
                        return Ok(true);
                    }
                    // A success that is not this order's payment (logged): not paid.
                    let note = "The payment that arrived did not match this order, so the order was \
                                cancelled and its stock released; the merchant will review the payment.";
                    let current = self.get(sql, &number)?.unwrap_or(order);
                    self.cancel(sql, current, note, caller).await?;
                    return Ok(true);
                }
                Err(e) => {
                    console_warn!("order {number}: its payment could not be cancelled yet ({e})");
                    sql.exec(
                        "UPDATE orders SET pay_by = ? WHERE number = ?",
                        vec![SqlStorageValue::from(now().saturating_add(60_000) as i64), text(number)],
                    )?;
                    return Ok(false);
                }
            }
        }
        let note = "No payment arrived in time, so the order was cancelled and its stock released.";
        self.cancel(sql, order, note, caller).await?;
        Ok(true)
    }

    /// Sets the alarm for the next unpaid order's deadline, and soon if stock is owed.
    pub(super) async fn arm_for_payments(&self, sql: &SqlStorage) -> Result<()> {
        let next: Vec<AtRow> =
            sql.exec("SELECT MIN(pay_by) AS at FROM orders WHERE pay_by IS NOT NULL", None)?.to_array()?;
        if let Some(at) = next.first().and_then(|r| r.at) {
            self.arm_at(at.max(0) as u64).await?;
        }
        let owed: Vec<NumberRow> = sql
            .exec("SELECT number FROM restocks UNION ALL SELECT number FROM cart_returns LIMIT 1", None)?
            .to_array()?;
        if !owed.is_empty() {
            self.arm_at(now().saturating_add(RESTOCK_RETRY_MS)).await?;
        }
        Ok(())
    }
}

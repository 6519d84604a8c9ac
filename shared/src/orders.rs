//! Orders: what was bought, where it goes, what was charged — and the confirmation
//! email the order queue writes to the merchant's outbox.

use crate::checkout::{Address, Totals};
use crate::ids::{Handle, Sku};
use crate::money::{format_money, Money};
use crate::review::StockItem;
use serde::{Deserialize, Serialize};

/// The most orders one page of the merchant's order list holds.
pub const MAX_LIST: u32 = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product: Handle,
    pub sku: Sku,
    pub title: String,
    pub variant_title: Option<String>,
    pub quantity: u32,
    pub unit_price: Money,
    pub line_total: Money,
}

/// Where an order is: `pending_payment → paid → fulfilled`, or `cancelled` (its payment
/// failed or never came; the stock went back) and `refunded` (the money went back).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Fulfilled,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Fulfilled,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    /// The name in the API and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// What the shopper's order page says.
    pub fn shopper_text(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "Awaiting payment — we will email you as soon as it is confirmed.",
            OrderStatus::Paid => "Paid — we are packing it.",
            OrderStatus::Fulfilled => "Shipped.",
            OrderStatus::Cancelled => "Cancelled — the payment did not go through and nothing was charged.",
            OrderStatus::Refunded => "Refunded — the money is on its way back to your card.",
        }
    }

    /// Whether money was taken and kept (the order is to be shipped or was).
    pub fn is_paid(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::Fulfilled)
    }
}

/// Who takes the money: the built-in test provider (card numbers decide, nothing is
/// charged) or Stripe. Chosen by `PAYMENT_PROVIDER`; each order records its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentProvider {
    /// Orders from before this field were all paid through the test provider.
    #[default]
    Test,
    Stripe,
}

impl PaymentProvider {
    /// Reads the `PAYMENT_PROVIDER` setting; anything else is `None` (no provider).
    pub fn parse(name: &str) -> Option<PaymentProvider> {
        match name.trim() {
            "test" => Some(PaymentProvider::Test),
            "stripe" => Some(PaymentProvider::Stripe),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentProvider::Test => "test",
            PaymentProvider::Stripe => "stripe",
        }
    }
}

/// How an order is paid for, and what its payment holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInfo {
    /// Orders from before this field: the test provider.
    #[serde(default)]
    pub provider: PaymentProvider,
    /// The provider's reference (Stripe: the PaymentIntent id), once known.
    #[serde(default)]
    pub reference: Option<String>,
    /// The stock commit the order sold under, and its items: given back if the order
    /// is cancelled.
    #[serde(default)]
    pub stock_commit: Option<String>,
    #[serde(default)]
    pub stock: Vec<StockItem>,
    /// Why the order was cancelled or refunded, for the merchant.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub paid_at_ms: Option<u64>,
    #[serde(default)]
    pub refunded_at_ms: Option<u64>,
    /// The provider's refund reference.
    #[serde(default)]
    pub refund: Option<String>,
    /// While the shopper must still authenticate the payment (3-D Secure): the secret
    /// their page finishes it with (never shown beyond the order's own page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Why the last attempt to pay a pending order failed, in the shopper's words (shown
    /// on the order's page, where they may pay again with another method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An order stored before payments were recorded was paid through the test provider.
impl Default for PaymentInfo {
    fn default() -> Self {
        PaymentInfo {
            provider: PaymentProvider::Test,
            reference: None,
            stock_commit: None,
            stock: Vec::new(),
            note: None,
            paid_at_ms: None,
            refunded_at_ms: None,
            refund: None,
            client_secret: None,
            error: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// What shoppers quote: `FL-XXXXX-XXXXX`.
    pub number: String,
    /// Secret part of the confirmation page's address.
    pub token: String,
    pub email: String,
    pub address: Address,
    pub shipping_rate: String,
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    pub status: OrderStatus,
    pub created_at_ms: u64,
    pub fulfilled_at_ms: Option<u64>,
    #[serde(default)]
    pub payment: PaymentInfo,
}

impl Order {
    pub fn item_count(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
}

/// An email waiting in the merchant's outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub order_number: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at_ms: u64,
}

/// The order confirmation email.
pub fn confirmation_email(order: &Order, store_name: &str, order_url: &str, now_ms: u64) -> OutboxEmail {
    let mut body = format!("Thank you for your order, {}.\n\nOrder {}\n\n", order.address.name, order.number);
    for line in &order.lines {
        let variant = line.variant_title.as_ref().map(|v| format!(" ({v})")).unwrap_or_default();
        body.push_str(&format!(
            "{} × {}{} — {}\n",
            line.quantity,
            line.title,
            variant,
            format_money(line.line_total)
        ));
    }
    let t = &order.totals;
    body.push_str(&format!("\nSubtotal: {}\n", format_money(t.subtotal)));
    if t.discount.minor() > 0 {
        body.push_str(&format!("Discount: -{}\n", format_money(t.discount)));
    }
    body.push_str(&format!("Shipping: {}\n", format_money(t.shipping)));
    body.push_str(&format!("Tax: {}\n", format_money(t.tax)));
    body.push_str(&format!("Total: {}\n\n", format_money(t.total)));
    let a = &order.address;
    body.push_str(&format!("Shipping to:\n{}\n{}\n", a.name, a.line1));
    if !a.line2.is_empty() {
        body.push_str(&format!("{}\n", a.line2));
    }
    body.push_str(&format!(
        "{} {} {}\n{}\n\nSee your order: {order_url}\n\n{store_name}\n",
        a.city, a.region, a.postal_code, a.country
    ));
    OutboxEmail {
        order_number: order.number.clone(),
        to: order.email.clone(),
        subject: format!("Your {store_name} order {}", order.number),
        body,
        created_at_ms: now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_stored_before_payments_were_recorded_read_as_paid_by_the_test_provider() {
        let mut order = serde_json::to_value(PaymentInfo::default()).unwrap();
        assert_eq!(order["provider"], "test");
        order = serde_json::json!({});
        let info: PaymentInfo = serde_json::from_value(order).unwrap();
        assert_eq!(info, PaymentInfo::default());
    }

    #[test]
    fn every_state_has_its_name_and_words() {
        for status in OrderStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert!(!status.shopper_text().is_empty());
        }
        assert!(OrderStatus::Paid.is_paid() && OrderStatus::Fulfilled.is_paid());
        assert!(!OrderStatus::PendingPayment.is_paid() && !OrderStatus::Refunded.is_paid());
    }
}

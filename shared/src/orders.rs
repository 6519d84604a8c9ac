//! Orders: what was bought, where it goes, what was charged — and the confirmation
//! email the order queue writes to the merchant's outbox.

use crate::checkout::{Address, Totals};
use crate::ids::{Handle, Sku};
use crate::money::Money;
use crate::review::StockItem;
use serde::{Deserialize, Serialize};

pub mod export;

/// The most orders one page of the merchant's order list holds.
pub const MAX_LIST: u32 = 500;
/// The longest tracking number, order note and order-desk search, in characters.
pub const MAX_TRACKING_CHARS: usize = 100;
pub const MAX_NOTE_CHARS: usize = 2_000;
pub const MAX_SEARCH_CHARS: usize = 254;
/// The most notes one order keeps.
pub const MAX_NOTES: usize = 100;

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

impl OrderLine {
    /// The product's title, with the variant's in brackets when it has one.
    pub fn full_title(&self) -> String {
        match &self.variant_title {
            Some(v) => format!("{} ({v})", self.title),
            None => self.title.clone(),
        }
    }
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

    /// Reads a state by its name in the API and in storage.
    pub fn parse(name: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// What the merchant's order desk calls it.
    pub fn merchant_text(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "Awaiting payment",
            OrderStatus::Paid => "Paid, to ship",
            OrderStatus::Fulfilled => "Fulfilled",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Refunded => "Refunded",
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
    /// When its stock was put back (a cancelled order, or a refund the merchant asked
    /// to restock); `None`: the units stay sold.
    #[serde(default)]
    pub restocked_at_ms: Option<u64>,
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
            restocked_at_ms: None,
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
    /// The carrier's tracking number, given when the merchant fulfils the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
    /// The merchant's notes on the order, oldest first (never shown to the shopper).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<OrderNote>,
    /// The edition it was placed in (`fr-ca`; empty for the default edition): its
    /// emails are written in that edition's language and link to its pages.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub edition: String,
}

/// A merchant's note on an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderNote {
    pub at_ms: u64,
    pub text: String,
}

/// Text a merchant typed into a one-line or multi-line field: trimmed, control
/// characters shown as U+FFFD (line breaks kept where `lines` allows them, as `\n`), and
/// refused past `max` characters (`what` names the field in the message). Text with a
/// character that is not white space is never empty here.
fn merchant_text(text: &str, max: usize, lines: bool, what: &str) -> Result<String, String> {
    let text = if lines { text.replace("\r\n", "\n") } else { text.to_string() };
    let kept: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() && !(lines && c == '\n') { '\u{FFFD}' } else { c })
        .collect();
    if kept.chars().count() > max {
        return Err(format!("The {what} is too long: at most {max} characters."));
    }
    Ok(kept)
}

/// A tracking number as typed: `None` when left empty.
pub fn parse_tracking(text: &str) -> Result<Option<String>, String> {
    let kept = merchant_text(text, MAX_TRACKING_CHARS, false, "tracking number")?;
    Ok((!kept.is_empty()).then_some(kept))
}

/// A note as typed; empty is refused.
pub fn parse_note(text: &str) -> Result<String, String> {
    let kept = merchant_text(text, MAX_NOTE_CHARS, true, "note")?;
    if kept.is_empty() {
        return Err("The note is empty: write something first.".into());
    }
    Ok(kept)
}

/// Where a page of an order list starts: just after this order (the last one of the page
/// before), in the list's order — newest first, then by number. Orders placed since do not
/// shift the pages after the first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCursor {
    pub created_at_ms: u64,
    pub number: String,
}

impl OrderCursor {
    pub fn after(order: &Order) -> OrderCursor {
        OrderCursor { created_at_ms: order.created_at_ms, number: order.number.clone() }
    }

    /// A cursor as links and the API write it: `{created_at_ms}-{number}` (1–19 digits,
    /// then 1–32 upper-case letters, digits and dashes).
    pub fn parse(text: &str) -> Result<OrderCursor, String> {
        let bad = || {
            "`after` must be a cursor from an earlier page, like 1733400000000-FL-ABCDE-FGHIJ.".to_string()
        };
        let (ms, number) = text.split_once('-').ok_or_else(bad)?;
        if !(1..=19).contains(&ms.len()) || !ms.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let created_at_ms = ms.parse::<u64>().map_err(|_| bad())?;
        let number_ok = (1..=32).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !number_ok {
            return Err(bad());
        }
        Ok(OrderCursor { created_at_ms, number: number.to_string() })
    }
}

impl std::fmt::Display for OrderCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.created_at_ms, self.number)
    }
}

/// One page of an order list, and where the next one starts (`None`: this is the last).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    pub next: Option<OrderCursor>,
    /// How many orders match the search in all, on every page.
    pub matching: u64,
}

impl OrderPage {
    /// The page of `found`, asked for one more than `limit` orders: the extra one only
    /// says there is a next page.
    pub fn of(mut found: Vec<Order>, limit: u32, matching: u64) -> OrderPage {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = found.len() > limit;
        found.truncate(limit);
        let next = if more { found.last().map(OrderCursor::after) } else { None };
        OrderPage { orders: found, next, matching }
    }
}

/// Which orders the merchant's order desk lists: those whose number or email starts with
/// `text` (any case), in `status`, newest first, at most `limit`, from just after `after`.
/// A customer's history asks by `email`: exactly that address, case-normalised.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub limit: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<OrderCursor>,
}

impl OrderQuery {
    /// The orders placed with `email` (any case), newest first.
    pub fn placed_by(email: &crate::checkout::Email) -> OrderQuery {
        OrderQuery { text: None, status: None, email: Some(email.normalized()), limit: MAX_LIST, after: None }
    }

    /// A query from what the desk's search form (or the API's query) sent: `text`
    /// trimmed (empty: every order), `status` by its name (empty: any), `after` a cursor
    /// (empty: the first page).
    pub fn parse(
        text: Option<&str>,
        status: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<OrderQuery, String> {
        let text = merchant_text(text.unwrap_or(""), MAX_SEARCH_CHARS, false, "search")?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(name) => Some(OrderStatus::parse(name).ok_or_else(|| {
                let names: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
                format!("`status` must be one of {}.", names.join(", "))
            })?),
        };
        Ok(OrderQuery {
            text: (!text.is_empty()).then_some(text),
            status,
            email: None,
            limit: limit.clamp(1, MAX_LIST),
            after: after.filter(|a| !a.trim().is_empty()).map(OrderCursor::parse).transpose()?,
        })
    }
}

impl Order {
    pub fn item_count(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
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
    fn merchant_text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(parse_tracking("  1Z 999\u{0}AA1 "), Ok(Some("1Z 999\u{FFFD}AA1".into())));
        assert_eq!(parse_tracking("   "), Ok(None));
        assert!(parse_tracking(&"é".repeat(MAX_TRACKING_CHARS)).is_ok(), "characters, not bytes");
        assert!(parse_tracking(&"é".repeat(MAX_TRACKING_CHARS + 1)).unwrap_err().contains("at most 100"));
        assert_eq!(parse_note("Left at\r\nthe door\u{7}x"), Ok("Left at\nthe door\u{FFFD}x".into()));
        assert_eq!(parse_note("\u{1}"), Ok("\u{FFFD}".into()), "not white space, so not empty");
        assert!(parse_note(" \n ").unwrap_err().contains("empty"));
        assert!(parse_note(&"x".repeat(MAX_NOTE_CHARS + 1)).is_err());
    }

    #[test]
    fn order_queries_read_the_desk_form() {
        let q = OrderQuery::parse(Some(" fl-abc "), Some("paid"), None, 50).unwrap();
        assert_eq!(
            q,
            OrderQuery {
                text: Some("fl-abc".into()),
                status: Some(OrderStatus::Paid),
                email: None,
                limit: 50,
                after: None,
            }
        );
        let all = OrderQuery::parse(Some(""), Some(""), Some(""), 10_000).unwrap();
        assert_eq!(all, OrderQuery { text: None, status: None, email: None, limit: MAX_LIST, after: None });
        assert!(OrderQuery::parse(None, Some("shipped"), None, 5).unwrap_err().contains("pending_payment"));
        let later = OrderQuery::parse(None, None, Some("1733400000000-FL-ABCDE-FGHIJ"), 5).unwrap();
        let cursor = OrderCursor { created_at_ms: 1_733_400_000_000, number: "FL-ABCDE-FGHIJ".into() };
        assert_eq!(later.after.as_ref(), Some(&cursor));
        assert_eq!(cursor.to_string(), "1733400000000-FL-ABCDE-FGHIJ", "written as it is read");
        for bad in
            ["FL-ABCDE-FGHIJ", "x-FL-1", "12-", "12-FL 1", "-1-FL", "12-é", "99999999999999999999999-A"]
        {
            assert!(OrderQuery::parse(None, None, Some(bad), 5).unwrap_err().contains("`after`"), "{bad}");
        }
    }

    #[test]
    fn every_state_has_its_name_and_words() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            assert!(!status.merchant_text().is_empty());
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert!(!status.shopper_text().is_empty());
        }
        assert!(OrderStatus::Paid.is_paid() && OrderStatus::Fulfilled.is_paid());
        assert!(!OrderStatus::PendingPayment.is_paid() && !OrderStatus::Refunded.is_paid());
    }
}

//! Emails the shop sends: what each one says, and the outbox's record of it. Every
//! email is written to the outbox (kept by the order index) before it is sent, under a
//! key that makes writing it twice a no-op; what became of it (sent by the provider,
//! kept in the outbox only, waiting for a retry, refused) is its [`Delivery`].

use crate::locale::format_money_in;
use crate::markets::Language;
use crate::money::Money;
use crate::orders::Order;
use crate::strings::Text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an email is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// An order's confirmation (emails written before there were kinds are these).
    #[default]
    OrderConfirmation,
    /// A customer's one-time sign-in link.
    SignInLink,
}

/// What became of an email.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Delivery {
    /// Kept in the outbox only: the shop sends no mail (`MAIL_PROVIDER = "outbox"`, for
    /// local development), or the email was written before the shop could send any.
    #[default]
    Kept,
    /// Not sent yet: the provider failed or was not reached; the queue tries again.
    Pending { attempts: u32, last_error: String },
    /// Accepted by the provider.
    Sent { provider: String, id: String, at_ms: u64 },
    /// Refused by the provider for good (a bad address, a misconfigured sender).
    Refused { reason: String, at_ms: u64 },
}

impl Delivery {
    /// Whether the email still has to go to the provider.
    pub fn to_send(&self) -> bool {
        matches!(self, Delivery::Pending { .. })
    }

    /// How the merchant's outbox page says it.
    pub fn merchant_text(&self) -> String {
        match self {
            Delivery::Kept => "Kept in the outbox (no mail provider)".into(),
            Delivery::Pending { attempts, last_error } if *attempts > 0 => {
                format!("Waiting to be sent ({attempts} failed: {last_error})")
            }
            Delivery::Pending { .. } => "Waiting to be sent".into(),
            Delivery::Sent { provider, .. } => format!("Sent through {provider}"),
            Delivery::Refused { reason, .. } => format!("Refused: {reason}"),
        }
    }
}

/// What one try at sending an email came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Attempt {
    Sent {
        provider: String,
        id: String,
    },
    /// No answer, or one that says to try later (a 429, a 5xx): try again.
    Failed {
        error: String,
    },
    /// Refused for good.
    Refused {
        reason: String,
    },
}

impl Delivery {
    /// The delivery after `attempt` at `now_ms`. A sent or refused email stays so (a
    /// late or repeated attempt changes nothing); failures are counted.
    pub fn after(&self, attempt: &Attempt, now_ms: u64) -> Delivery {
        match (self, attempt) {
            (Delivery::Sent { .. } | Delivery::Refused { .. }, _) => self.clone(),
            (_, Attempt::Sent { provider, id }) => {
                Delivery::Sent { provider: provider.clone(), id: id.clone(), at_ms: now_ms }
            }
            (_, Attempt::Refused { reason }) => Delivery::Refused { reason: reason.clone(), at_ms: now_ms },
            (Delivery::Pending { attempts, .. }, Attempt::Failed { error }) => {
                Delivery::Pending { attempts: attempts.saturating_add(1), last_error: error.clone() }
            }
            (Delivery::Kept, Attempt::Failed { error }) => {
                Delivery::Pending { attempts: 1, last_error: error.clone() }
            }
        }
    }
}

/// An email in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    /// Its key in the outbox: the order's number for a confirmation, `sign-in:` and the
    /// link's id for a sign-in link. Writing an email whose key is there changes nothing.
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub kind: MailKind,
    /// The order it confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at_ms: u64,
    #[serde(default)]
    pub delivery: Delivery,
}

/// How long a sign-in link works, in minutes.
pub const SIGN_IN_LINK_MINUTES: u64 = 15;

/// What stands in the outbox's record for a sign-in link that went to a mail provider
/// (the merchant's outbox page must not be a way into customers' accounts).
pub const LINK_WITHHELD: &str = "(the link is withheld from the outbox: it went to the customer only)";

/// What an email is written in: the language of the edition it comes from and that
/// edition's interface strings (a catalog's `strings/{language}.toml`).
#[derive(Clone, Copy, Debug)]
pub struct Words<'a> {
    pub language: &'a Language,
    pub strings: &'a BTreeMap<String, String>,
}

impl Words<'_> {
    /// `text` in these words.
    pub fn say(&self, text: Text) -> String {
        text.written(|template| self.strings.get(template).map(String::as_str))
    }

    fn money(&self, amount: Money) -> String {
        format_money_in(amount, self.language)
    }
}

/// The order confirmation email, in `words`.
pub fn confirmation_email(
    order: &Order,
    store_name: &str,
    order_url: &str,
    now_ms: u64,
    words: Words<'_>,
) -> OutboxEmail {
    let say = |text: Text| words.say(text);
    let mut body =
        say(Text::new("Thank you for your order, {name}.").with("name", order.address.name.as_str()));
    body.push_str("\n\n");
    body.push_str(&say(Text::new("Order {number}").with("number", order.number.as_str())));
    body.push_str("\n\n");
    for line in &order.lines {
        let variant = line.variant_title.as_ref().map(|v| format!(" ({v})")).unwrap_or_default();
        body.push_str(&format!(
            "{} × {}{} — {}\n",
            line.quantity,
            line.title,
            variant,
            words.money(line.line_total)
        ));
    }
    let t = &order.totals;
    let mut amounts = vec![(Text::new("Subtotal: {amount}"), t.subtotal)];
    if t.discount.minor() > 0 {
        amounts.push((Text::new("Discount: -{amount}"), t.discount));
    }
    amounts.push((Text::new("Shipping: {amount}"), t.shipping));
    amounts.push((Text::new("Tax: {amount}"), t.tax));
    amounts.push((Text::new("Total: {amount}"), t.total));
    body.push('\n');
    for (label, amount) in amounts {
        body.push_str(&say(label.with("amount", words.money(amount))));
        body.push('\n');
    }
    let a = &order.address;
    body.push('\n');
    body.push_str(&say(Text::new("Shipping to:")));
    body.push_str(&format!("\n{}\n{}\n", a.name, a.line1));
    if !a.line2.is_empty() {
        body.push_str(&format!("{}\n", a.line2));
    }
    body.push_str(&format!("{} {} {}\n{}\n\n", a.city, a.region, a.postal_code, a.country));
    body.push_str(&say(Text::new("See your order: {url}").with("url", order_url)));
    body.push_str(&format!("\n\n{store_name}\n"));
    OutboxEmail {
        key: order.number.clone(),
        kind: MailKind::OrderConfirmation,
        order_number: Some(order.number.clone()),
        to: order.email.clone(),
        subject: say(Text::new("Your {store} order {number}")
            .with("store", store_name)
            .with("number", order.number.as_str())),
        body,
        created_at_ms: now_ms,
        delivery: Delivery::default(),
    }
}

/// A sign-in link's email, in `words`; `link_id` names it in the outbox (never the
/// link's secret).
pub fn sign_in_email(
    to: &str,
    store_name: &str,
    link: &str,
    link_id: &str,
    now_ms: u64,
    words: Words<'_>,
) -> OutboxEmail {
    let say = |text: Text| words.say(text);
    let paragraphs = [
        say(Text::new("Someone (we hope you) asked to sign in to {store} with this address.").with("store", store_name)),
        say(Text::new("Sign in: {link}").with("link", link)),
        say(Text::new(
            "The link works once, for {minutes} minutes. If you did not ask for it, ignore this email: nobody can \
             sign in without it.",
        )
        .with("minutes", SIGN_IN_LINK_MINUTES.to_string())),
        store_name.to_string(),
    ];
    OutboxEmail {
        key: format!("sign-in:{link_id}"),
        kind: MailKind::SignInLink,
        order_number: None,
        to: to.to_string(),
        subject: say(Text::new("Your {store} sign-in link").with("store", store_name)),
        body: paragraphs.join("\n\n") + "\n",
        created_at_ms: now_ms,
        delivery: Delivery::default(),
    }
}

impl OutboxEmail {
    /// The copy the outbox keeps of an email a provider sends: a sign-in link's secret
    /// is withheld (the outbox is the merchant's to read); anything else is kept whole.
    pub fn record(&self, link: &str) -> OutboxEmail {
        let mut record = self.clone();
        if self.kind == MailKind::SignInLink && !link.is_empty() {
            record.body = self.body.replace(link, LINK_WITHHELD);
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_outbox_rows_read_as_kept_confirmations() {
        let old = r#"{"order_number":"FL-AAAAA-BBBBB","to":"a@example.com","subject":"s","body":"b","created_at_ms":5}"#;
        let email: OutboxEmail = serde_json::from_str(old).unwrap();
        assert_eq!(email.kind, MailKind::OrderConfirmation);
        assert_eq!(email.order_number.as_deref(), Some("FL-AAAAA-BBBBB"));
        assert_eq!(email.delivery, Delivery::Kept);
        assert!(!email.delivery.to_send());
    }

    #[test]
    fn a_sign_in_links_record_withholds_the_link() {
        let link = "https://shop.example/account/verify?t=abc.def";
        let english = BTreeMap::new();
        let words = Words { language: &Language::english(), strings: &english };
        let email = sign_in_email("Ü@example.com", "Shop", link, "0123", 9, words);
        assert_eq!(email.key, "sign-in:0123");
        assert!(email.body.contains(link));
        let record = email.record(link);
        assert!(!record.body.contains(link) && !record.body.contains("abc.def"));
        assert!(record.body.contains(LINK_WITHHELD));
        assert_eq!(record.to, email.to);
    }

    #[test]
    fn a_delivery_counts_failures_and_ends_once() {
        let waiting = Delivery::Pending { attempts: 0, last_error: String::new() };
        assert!(waiting.to_send());
        let failed = Attempt::Failed { error: "HTTP 503".into() };
        let once = waiting.after(&failed, 1);
        assert_eq!(once, Delivery::Pending { attempts: 1, last_error: "HTTP 503".into() });
        let twice = once.after(&failed, 2);
        assert!(matches!(twice, Delivery::Pending { attempts: 2, .. }));
        let sent = twice.after(&Attempt::Sent { provider: "resend".into(), id: "m1".into() }, 3);
        assert_eq!(sent, Delivery::Sent { provider: "resend".into(), id: "m1".into(), at_ms: 3 });
        assert!(!sent.to_send());
        assert_eq!(sent.after(&failed, 4), sent, "a late failure changes nothing");
        assert_eq!(sent.after(&Attempt::Refused { reason: "x".into() }, 5), sent);
        let refused = waiting.after(&Attempt::Refused { reason: "bad address".into() }, 6);
        assert!(matches!(refused, Delivery::Refused { at_ms: 6, .. }));
        assert!(!refused.to_send());
    }

    #[test]
    fn deliveries_round_trip_with_their_state() {
        for delivery in [
            Delivery::Kept,
            Delivery::Pending { attempts: 2, last_error: "HTTP 500".into() },
            Delivery::Sent { provider: "resend".into(), id: "x".into(), at_ms: 1 },
            Delivery::Refused { reason: "bad address".into(), at_ms: 2 },
        ] {
            let text = serde_json::to_string(&delivery).unwrap();
            assert!(text.contains("\"state\""));
            assert_eq!(serde_json::from_str::<Delivery>(&text).unwrap(), delivery);
        }
    }
}

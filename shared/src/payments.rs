//! Payments, provider-neutral where it can be: how the shopper pays ([`PaymentChoice`],
//! checked once where a request is read), the built-in test provider, what a payment
//! event does to an order (the state machine behind `pending_payment → paid`), how a
//! provider's refusal reads to a shopper, and Stripe's webhook signature
//! (`Stripe-Signature`: HMAC-SHA256 of `"{t}.{payload}"` under the endpoint's secret,
//! compared in constant time, with a tolerance window on `t`).

use crate::checkout::FieldError;
use crate::money::{Currency, Money};
use crate::orders::{OrderStatus, PaymentProvider};
use crate::strings::Text;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How far a webhook's timestamp may be from now, unless configured otherwise
/// (Stripe's libraries use the same five minutes).
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

/// What the shopper reads when a payment was asked for and its outcome is not known yet.
pub fn unconfirmed() -> Text {
    Text::new("We could not confirm your payment yet. Trying again is safe and will not charge you twice.")
}

/// How the shopper pays, for the provider the shop uses: checked once, where the
/// request is read, and carried as it is to the cart's object that charges it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "snake_case")]
pub enum PaymentChoice {
    /// The test provider: the card's digits (they passed the Luhn check).
    Test { card: String },
    /// Stripe: the PaymentMethod (`pm_…`) the shopper's payment form created.
    Stripe { payment_method: String },
}

impl PaymentChoice {
    /// The choice a request makes for `provider`: the card number it typed (test
    /// provider) or the PaymentMethod its payment form created (Stripe); otherwise the
    /// field to fix.
    pub fn parse(
        provider: PaymentProvider,
        card: Option<&str>,
        payment_method: Option<&str>,
    ) -> Result<PaymentChoice, FieldError> {
        match provider {
            PaymentProvider::Test => card_digits(card.unwrap_or("")).map(|card| PaymentChoice::Test { card }),
            PaymentProvider::Stripe => match payment_method.map(str::trim) {
                Some(method) if valid_payment_method(method) => {
                    Ok(PaymentChoice::Stripe { payment_method: method.to_string() })
                }
                _ => Err(FieldError::new(
                    "payment_method",
                    Text::new(
                        "This shop takes cards through Stripe: pay with the card form, which creates the \
                         PaymentMethod (pm_…) the payment needs.",
                    ),
                )),
            },
        }
    }

    pub fn provider(&self) -> PaymentProvider {
        match self {
            PaymentChoice::Test { .. } => PaymentProvider::Test,
            PaymentChoice::Stripe { .. } => PaymentProvider::Stripe,
        }
    }
}

/// Longest card number accepted as typed, spaces and dashes included.
pub const MAX_CARD_CHARS: usize = 32;

/// Test card numbers, as shown to shoppers on the payment step.
pub const TEST_CARD_APPROVED: &str = "4242 4242 4242 4242";
pub const TEST_CARD_DECLINED: &str = "4000 0000 0000 0002";
pub const TEST_CARD_TRANSIENT: &str = "4000 0000 0000 0119";

/// Digits of a card number, if it passes the Luhn check.
pub fn card_digits(text: &str) -> Result<String, FieldError> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let bad = || {
        FieldError::new(
            "card",
            Text::new("Enter a card number (use a test card, such as {example}).")
                .with("example", TEST_CARD_APPROVED),
        )
    };
    let typed_ok = text.chars().count() <= MAX_CARD_CHARS;
    if !typed_ok || !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            // ASCII digits only (checked above); doubling every second one, minus 9 past 9.
            let d = char::from(b).to_digit(10).unwrap_or(0);
            match (i % 2 == 1, d) {
                (false, d) => d,
                (true, d @ 0..=4) => d.saturating_mul(2),
                (true, d) => d.saturating_mul(2).saturating_sub(9),
            }
        })
        .sum();
    if sum.is_multiple_of(10) {
        Ok(digits)
    } else {
        Err(bad())
    }
}

/// What the built-in test provider answers a card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestCharge {
    Approved,
    /// Refused for good; [`test_declined`] is what the shopper reads.
    Declined,
    /// The provider could not answer; nothing was charged and the shopper may retry.
    Unavailable,
}

/// What a shopper reads when the test provider declines their card.
pub fn test_declined() -> Text {
    Text::new("Your card was declined. No money was taken; try another card.")
}

/// The test provider: the card number decides (any other valid number is approved).
pub fn charge_test_card(card_digits: &str) -> TestCharge {
    match card_digits {
        "4000000000000002" => TestCharge::Declined,
        "4000000000000119" => TestCharge::Unavailable,
        _ => TestCharge::Approved,
    }
}

/// What the provider says happened to an order's payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentEvent {
    Succeeded,
    /// One attempt failed (a decline, a failed or abandoned bank check); the payment
    /// can still be made with another payment method.
    AttemptFailed,
    /// The payment was cancelled or refused for good: it will never succeed.
    Cancelled,
}

/// What an order does about a payment event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Already decided (a duplicate, or an earlier attempt's failure arriving late).
    Nothing,
    /// `pending_payment → paid`; the order is announced.
    MarkPaid,
    /// The order stays `pending_payment`, with the provider's reason shown to the
    /// shopper, who may pay again with another method until the order's deadline.
    RecordFailure,
    /// `pending_payment → cancelled`; its stock is given back.
    Cancel,
    /// Money arrived for an order that was cancelled meanwhile (its stock is gone):
    /// it is refunded through the provider, `cancelled → refunded`.
    Refund,
}

/// The one rule for every payment event, whatever order they arrive in: the first
/// decisive event for a pending order wins, a success beats nothing, and money taken
/// for a cancelled order goes back.
pub fn effect_of(status: OrderStatus, event: PaymentEvent) -> Effect {
    match (status, event) {
        (OrderStatus::PendingPayment, PaymentEvent::Succeeded) => Effect::MarkPaid,
        (OrderStatus::PendingPayment, PaymentEvent::AttemptFailed) => Effect::RecordFailure,
        (OrderStatus::PendingPayment, PaymentEvent::Cancelled) => Effect::Cancel,
        (OrderStatus::Cancelled, PaymentEvent::Succeeded) => Effect::Refund,
        (
            OrderStatus::Paid | OrderStatus::Fulfilled | OrderStatus::Refunded,
            PaymentEvent::Succeeded | PaymentEvent::AttemptFailed | PaymentEvent::Cancelled,
        )
        | (OrderStatus::Cancelled, PaymentEvent::AttemptFailed | PaymentEvent::Cancelled) => Effect::Nothing,
    }
}

/// A provider's refusal, as the shopper reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Refused for good: another card is needed.
    Declined(String),
    /// The bank wants the shopper to confirm (3-D Secure) and could not be asked.
    AuthenticationRequired(String),
    /// Worth trying again as it is.
    Retry(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Refusal::Declined(m) | Refusal::AuthenticationRequired(m) | Refusal::Retry(m) => m,
        }
    }
}

/// Stripe's card error (`error.code`, `error.decline_code`) in the shopper's words.
/// Stripe asks that the precise reason for some declines (lost or stolen cards, fraud)
/// not be shown, so those read as a plain decline.
pub fn stripe_card_refusal(code: &str, decline_code: &str) -> Refusal {
    const NOTHING_TAKEN: &str = "No money was taken";
    match (code, decline_code) {
        ("processing_error", _) | (_, "processing_error") | (_, "try_again_later") => Refusal::Retry(format!(
            "Your card could not be processed just now. {NOTHING_TAKEN}; please try again."
        )),
        // The bank's check (3-D Secure) failed or was abandoned.
        ("payment_intent_authentication_failure", _) => Refusal::AuthenticationRequired(format!(
            "Your bank did not confirm this payment. {NOTHING_TAKEN}; try again or use another card."
        )),
        ("authentication_required", _) | (_, "authentication_required") => {
            Refusal::AuthenticationRequired(format!(
                "Your bank needs you to confirm this payment. {NOTHING_TAKEN}; please pay again and confirm it with your bank."
            ))
        }
        (_, "insufficient_funds") => {
            Refusal::Declined(format!("Your card has insufficient funds. {NOTHING_TAKEN}; try another card."))
        }
        ("expired_card", _) | (_, "expired_card") => {
            Refusal::Declined(format!("Your card has expired. {NOTHING_TAKEN}; try another card."))
        }
        ("incorrect_cvc", _) | (_, "incorrect_cvc") => Refusal::Declined(format!(
            "Your card's security code is incorrect. {NOTHING_TAKEN}; check it and try again."
        )),
        ("incorrect_number", _) | ("invalid_number", _) => Refusal::Declined(format!(
            "Your card number is incorrect. {NOTHING_TAKEN}; check it and try again."
        )),
        _ => Refusal::Declined(format!("Your card was declined. {NOTHING_TAKEN}; try another card.")),
    }
}

/// How Stripe's API writes amounts of a currency (its "Supported currencies" reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StripeUnits {
    /// In the currency's minor unit, as ISO 4217 has it (cents for USD).
    Minor,
    /// Zero-decimal: whole units (yen), whatever ISO's exponent.
    Whole,
    /// A two-decimal amount of whole units only (ISK: 100 is one króna; amounts must be
    /// divisible by 100).
    TwoDecimalWhole,
    /// Three decimals, the last one 0: the amount is rounded to a multiple of ten.
    ThreeDecimalTens,
}

/// Stripe's zero-decimal currencies.
const STRIPE_ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF",
    "XPF",
];
/// Stripe's three-decimal currencies.
const STRIPE_THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];
/// Every other currency Stripe takes for card payments (two decimals in its API).
const STRIPE_TWO_DECIMAL: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD",
    "BND", "BOB", "BRL", "BSD", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP", "CRC", "CVE", "CZK",
    "DKK", "DOP", "DZD", "EGP", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GIP", "GMD", "GTQ", "GYD", "HKD",
    "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "ISK", "JMD", "KES", "KGS", "KHR", "KYD", "KZT", "LAK", "LBP",
    "LKR", "LRD", "LSL", "MAD", "MDL", "MKD", "MMK", "MNT", "MOP", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN",
    "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD",
    "RUB", "SAR", "SBD", "SCR", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SZL", "THB", "TJS", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "WST", "XCD", "YER", "ZAR", "ZMW",
];
/// The smallest charge Stripe takes where its reference states one, in the currency's
/// ISO minor units (elsewhere it is about USD 0.50 at the day's rate, checked by Stripe).
const STRIPE_MINIMUMS: &[(&str, i64)] = &[
    ("AED", 200),
    ("AUD", 50),
    ("BGN", 100),
    ("BRL", 50),
    ("CAD", 50),
    ("CHF", 50),
    ("CZK", 1500),
    ("DKK", 250),
    ("EUR", 50),
    ("GBP", 30),
    ("HKD", 400),
    ("HUF", 17500),
    ("INR", 50),
    ("JPY", 50),
    ("MXN", 1000),
    ("MYR", 200),
    ("NOK", 300),
    ("NZD", 50),
    ("PLN", 200),
    ("RON", 200),
    ("SEK", 300),
    ("SGD", 50),
    ("THB", 1000),
    ("USD", 50),
];
/// The largest amount Stripe's API takes (eight digits of its units).
pub const STRIPE_MAX_AMOUNT: i64 = 99_999_999;

/// How Stripe writes `currency`, or `None` if Stripe does not take it.
pub fn stripe_units(currency: Currency) -> Option<StripeUnits> {
    let code = currency.code();
    if STRIPE_ZERO_DECIMAL.contains(&code) {
        Some(StripeUnits::Whole)
    } else if STRIPE_THREE_DECIMAL.contains(&code) {
        Some(StripeUnits::ThreeDecimalTens)
    } else if code == "ISK" {
        Some(StripeUnits::TwoDecimalWhole)
    } else if STRIPE_TWO_DECIMAL.contains(&code) {
        Some(StripeUnits::Minor)
    } else {
        None
    }
}

/// An amount as Stripe's API takes it: the integer `amount` and the lowercase currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeAmount {
    pub value: i64,
    pub currency: String,
}

/// Why an amount cannot be charged through Stripe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StripeAmountError {
    UnsupportedCurrency(Currency),
    /// Below Stripe's minimum charge for the currency (in ISO minor units).
    BelowMinimum {
        minimum: Money,
    },
    TooLarge,
    /// Stripe takes whole units of this currency and the amount has a fraction.
    NotWhole,
}

impl std::fmt::Display for StripeAmountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnsupportedCurrency(c) => write!(f, "card payments in {c} are not available"),
            Self::BelowMinimum { minimum } => {
                write!(f, "card payments start at {}", crate::money::format_money(*minimum))
            }
            Self::TooLarge => f.write_str("the amount is larger than a card payment can be"),
            Self::NotWhole => f.write_str("the amount must be in whole units of its currency"),
        }
    }
}

impl StripeAmount {
    /// Converts an amount (ISO minor units) into Stripe's: zero-decimal currencies in
    /// whole units, ISK ×100, three-decimal currencies rounded half up to a multiple of
    /// ten; refused below Stripe's stated minimum or above its maximum.
    pub fn from_money(money: Money) -> Result<StripeAmount, StripeAmountError> {
        let currency = money.currency();
        let units = stripe_units(currency).ok_or(StripeAmountError::UnsupportedCurrency(currency))?;
        let minor = money.minor();
        if let Some((_, minimum)) = STRIPE_MINIMUMS.iter().find(|(code, _)| *code == currency.code()) {
            if minor < *minimum {
                return Err(StripeAmountError::BelowMinimum { minimum: Money::new(*minimum, currency) });
            }
        }
        if minor <= 0 {
            return Err(StripeAmountError::BelowMinimum { minimum: Money::new(1, currency) });
        }
        let iso = currency.minor_digits();
        let value = match units {
            StripeUnits::Minor => Some(minor),
            StripeUnits::Whole => {
                let scale = i64::try_from(currency.scale().get()).unwrap_or(1);
                if minor.checked_rem(scale) != Some(0) {
                    return Err(StripeAmountError::NotWhole);
                }
                minor.checked_div(scale)
            }
            StripeUnits::TwoDecimalWhole => 10_i64.pow(2_u32.saturating_sub(iso)).checked_mul(minor),
            StripeUnits::ThreeDecimalTens => minor.checked_add(5).and_then(|m| (m / 10).checked_mul(10)),
        };
        match value {
            Some(value) if value <= 0 => {
                Err(StripeAmountError::BelowMinimum { minimum: Money::new(5, currency) })
            }
            Some(value) if value <= STRIPE_MAX_AMOUNT => {
                Ok(StripeAmount { value, currency: currency.code().to_ascii_lowercase() })
            }
            _ => Err(StripeAmountError::TooLarge),
        }
    }

    /// Whether `amount` of `currency` (as Stripe reports a payment) is what charging
    /// `expected` sends.
    pub fn matches(expected: Money, amount: i64, currency: &str) -> bool {
        StripeAmount::from_money(expected)
            .is_ok_and(|sent| sent.value == amount && sent.currency.eq_ignore_ascii_case(currency))
    }
}

/// The most characters a Stripe PaymentMethod id has here.
pub const MAX_PAYMENT_METHOD_CHARS: usize = 255;

/// Whether `id` can be a Stripe PaymentMethod id (`pm_` and letters, digits, `_`).
pub fn valid_payment_method(id: &str) -> bool {
    id.len() > 3
        && id.len() <= MAX_PAYMENT_METHOD_CHARS
        && id.starts_with("pm_")
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Why a webhook's signature was refused (logged; the sender gets a 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// No `t=` or no `v1=` in the header, or one that is not a number / hex.
    Malformed,
    /// The timestamp is further from now than the tolerance.
    OutsideTolerance { age_seconds: i64 },
    /// No `v1` signature matches the payload.
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::Malformed => write!(f, "the Stripe-Signature header is malformed"),
            SignatureError::OutsideTolerance { age_seconds } => {
                write!(f, "the signature's timestamp is {age_seconds} s from now, outside the tolerance")
            }
            SignatureError::Mismatch => write!(f, "no signature matches the payload"),
        }
    }
}

fn hex_32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let digit = |b: u8| (b as char).to_digit(16);
    for (slot, pair) in out.iter_mut().zip(bytes.chunks(2)) {
        let [high, low] = pair else { return None };
        *slot = u8::try_from(digit(*high)?.checked_mul(16)?.checked_add(digit(*low)?)?).ok()?;
    }
    Some(out)
}

/// The longest `Stripe-Signature` header read (Stripe's carry a timestamp and one `v1`
/// per signing secret, about 80 bytes each).
pub const MAX_SIGNATURE_HEADER_BYTES: usize = 1024;
/// The most entries (`t`, `v1`, `v0`, …) a `Stripe-Signature` header may have: each `v1`
/// costs an HMAC, so a header cannot make the shop compute many.
pub const MAX_SIGNATURE_ENTRIES: usize = 8;

/// The timestamp and the `v1` signatures of a `Stripe-Signature` header
/// (`t=1700000000,v1=…,v1=…,v0=…`; other schemes are ignored). A header over
/// [`MAX_SIGNATURE_HEADER_BYTES`] or with more than [`MAX_SIGNATURE_ENTRIES`] entries is
/// refused before anything is computed.
pub fn parse_signature_header(header: &str) -> Result<(i64, Vec<[u8; 32]>), SignatureError> {
    if header.len() > MAX_SIGNATURE_HEADER_BYTES || header.split(',').count() > MAX_SIGNATURE_ENTRIES {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (name, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match name {
            "t" => timestamp = Some(value.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            // A v1 that is not a SHA-256 in hex cannot match; it does not spoil the others.
            "v1" => signatures.extend(hex_32(value)),
            _ => {}
        }
    }
    match timestamp {
        Some(t) if !signatures.is_empty() => Ok((t, signatures)),
        _ => Err(SignatureError::Malformed),
    }
}

/// HMAC-SHA256 of `"{timestamp}.{payload}"` under `secret`: what Stripe puts in `v1`.
/// (`None` only if HMAC refused the key, which it does for no length.)
pub fn stripe_signature(secret: &[u8], timestamp: i64, payload: &[u8]) -> Option<[u8; 32]> {
    Some(keyed(secret, timestamp, payload)?.finalize().into_bytes().into())
}

fn keyed(secret: &[u8], timestamp: i64, payload: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    Some(mac)
}

/// Checks a webhook: some `v1` signature in `header` is the payload's under `secret`
/// (compared in constant time) and its timestamp is within `tolerance_seconds` of
/// `now_seconds`, either way. Answers the timestamp.
pub fn verify_stripe_webhook(
    secret: &[u8],
    header: &str,
    payload: &[u8],
    now_seconds: i64,
    tolerance_seconds: i64,
) -> Result<i64, SignatureError> {
    let (timestamp, signatures) = parse_signature_header(header)?;
    let matches = signatures
        .iter()
        .any(|s| keyed(secret, timestamp, payload).is_some_and(|mac| mac.verify_slice(s).is_ok()));
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    let age = now_seconds.saturating_sub(timestamp);
    if age.saturating_abs() > tolerance_seconds {
        return Err(SignatureError::OutsideTolerance { age_seconds: age });
    }
    Ok(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::hex;
    use proptest::prelude::*;

    #[test]
    fn test_cards_decide_the_outcome() {
        let card = |n: &str| charge_test_card(&card_digits(n).unwrap());
        assert_eq!(card(TEST_CARD_APPROVED), TestCharge::Approved);
        assert_eq!(card(TEST_CARD_DECLINED), TestCharge::Declined);
        assert_eq!(card(TEST_CARD_TRANSIENT), TestCharge::Unavailable);
        assert!(card_digits("4242 4242 4242 4241").is_err(), "Luhn");
        assert!(card_digits("abcd").is_err());
    }

    #[test]
    fn a_payment_choice_is_what_the_provider_needs() {
        use PaymentProvider::{Stripe, Test};
        let card = Some(TEST_CARD_APPROVED);
        assert_eq!(
            PaymentChoice::parse(Test, card, Some("pm_x")),
            Ok(PaymentChoice::Test { card: "4242424242424242".into() })
        );
        assert_eq!(PaymentChoice::parse(Test, None, Some("pm_card_visa")).unwrap_err().field, "card");
        assert_eq!(
            PaymentChoice::parse(Stripe, card, Some(" pm_card_visa ")),
            Ok(PaymentChoice::Stripe { payment_method: "pm_card_visa".into() })
        );
        for method in [None, Some(""), Some("card"), Some("pm_"), Some("pm_é")] {
            let e = PaymentChoice::parse(Stripe, card, method).unwrap_err();
            assert_eq!(e.field, "payment_method", "{method:?}");
        }
        let choice = PaymentChoice::Stripe { payment_method: "pm_1".into() };
        assert_eq!(choice.provider(), Stripe);
        let wire = serde_json::to_value(&choice).unwrap();
        assert_eq!(wire, serde_json::json!({ "provider": "stripe", "payment_method": "pm_1" }));
        assert_eq!(serde_json::from_value::<PaymentChoice>(wire).unwrap(), choice);
    }

    #[test]
    fn oversized_signature_headers_are_refused_before_any_hmac() {
        let payload = br#"{"id":"evt_1"}"#;
        let good = header(b"whsec_x", 1_000, payload);
        let many = format!("{good}{}", ",v1=00".repeat(MAX_SIGNATURE_ENTRIES));
        assert_eq!(
            verify_stripe_webhook(b"whsec_x", &many, payload, 1_000, 300),
            Err(SignatureError::Malformed)
        );
        let long = format!("{good},v0={}", "a".repeat(MAX_SIGNATURE_HEADER_BYTES));
        assert_eq!(
            verify_stripe_webhook(b"whsec_x", &long, payload, 1_000, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify_stripe_webhook(b"whsec_x", &good, payload, 1_000, 300), Ok(1_000));
    }

    #[test]
    fn a_failed_attempt_leaves_the_order_payable_and_only_a_cancel_ends_it() {
        use OrderStatus::*;
        assert_eq!(effect_of(PendingPayment, PaymentEvent::AttemptFailed), Effect::RecordFailure);
        assert_eq!(effect_of(PendingPayment, PaymentEvent::Cancelled), Effect::Cancel);
        assert_eq!(effect_of(PendingPayment, PaymentEvent::Succeeded), Effect::MarkPaid);
        assert_eq!(effect_of(Cancelled, PaymentEvent::Succeeded), Effect::Refund);
        for status in [Paid, Fulfilled, Refunded] {
            for event in [PaymentEvent::Succeeded, PaymentEvent::AttemptFailed, PaymentEvent::Cancelled] {
                assert_eq!(effect_of(status, event), Effect::Nothing, "{status:?} {event:?}");
            }
        }
        assert_eq!(effect_of(Cancelled, PaymentEvent::AttemptFailed), Effect::Nothing);
    }

    fn header(secret: &[u8], t: i64, payload: &[u8]) -> String {
        format!("t={t},v1={}", hex(&stripe_signature(secret, t, payload).unwrap()))
    }

    /// The signature is HMAC-SHA256 over `t.payload`; the key schedule is checked against
    /// RFC 4231's test case 2 ("Jefe").
    #[test]
    fn the_signature_is_hmac_sha256_of_t_dot_payload() {
        let ours = stripe_signature(b"Jefe", 1, b"x").unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"1.x");
        assert_eq!(ours.to_vec(), mac.finalize().into_bytes().to_vec());
        // And the RFC vector itself through the same key schedule.
        let mut rfc = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        rfc.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&rfc.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_good_signature_within_tolerance_passes() {
        let payload = br#"{"id":"evt_1"}"#;
        let h = header(b"whsec_x", 1_000, payload);
        assert_eq!(verify_stripe_webhook(b"whsec_x", &h, payload, 1_100, 300), Ok(1_000));
        // Several v1 (a secret being rolled), one of them right.
        let two = format!("t=1000,v1={},{}", "ab".repeat(32), h.split_once(',').unwrap().1);
        assert_eq!(verify_stripe_webhook(b"whsec_x", &two, payload, 1_000, 300), Ok(1_000));
    }

    #[test]
    fn forged_stale_and_malformed_signatures_are_refused() {
        let payload = br#"{"id":"evt_1"}"#;
        let h = header(b"whsec_x", 1_000, payload);
        assert_eq!(verify_stripe_webhook(b"whsec_y", &h, payload, 1_000, 300), Err(SignatureError::Mismatch));
        assert_eq!(
            verify_stripe_webhook(b"whsec_x", &h, br#"{"id":"evt_2"}"#, 1_000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe_webhook(b"whsec_x", &h, payload, 1_301, 300),
            Err(SignatureError::OutsideTolerance { age_seconds: 301 })
        );
        assert_eq!(
            verify_stripe_webhook(b"whsec_x", &h, payload, 699, 300),
            Err(SignatureError::OutsideTolerance { age_seconds: -301 })
        );
        // A replay with the timestamp changed no longer matches.
        let moved = h.replacen("t=1000", "t=1290", 1);
        assert_eq!(
            verify_stripe_webhook(b"whsec_x", &moved, payload, 1_300, 300),
            Err(SignatureError::Mismatch)
        );
        for bad in ["", "t=1000", "v1=00", "t=x,v1=00", "nonsense", "t=1000,v1=zz"] {
            assert_eq!(
                verify_stripe_webhook(b"whsec_x", bad, payload, 1_000, 300),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn payment_events_leave_one_correct_order_in_any_order() {
        use OrderStatus::*;
        // Every sequence of up to four events, from a pending order.
        let events = [PaymentEvent::Succeeded, PaymentEvent::AttemptFailed, PaymentEvent::Cancelled];
        for n in 1..=4u32 {
            for code in 0..3u32.pow(n) {
                let seq: Vec<PaymentEvent> =
                    (0..n).map(|i| events[((code / 3u32.pow(i)) % 3) as usize]).collect();
                let mut status = PendingPayment;
                let mut refunds = 0;
                for event in &seq {
                    match effect_of(status, *event) {
                        Effect::MarkPaid => status = Paid,
                        Effect::Cancel => status = Cancelled,
                        Effect::Refund => {
                            status = Refunded;
                            refunds += 1;
                        }
                        Effect::RecordFailure => assert_eq!(status, PendingPayment),
                        Effect::Nothing => {}
                    }
                }
                // The first decisive event (a success or a cancel) decides; failed
                // attempts before it change nothing; money after a cancel goes back.
                let first = seq.iter().find(|e| **e != PaymentEvent::AttemptFailed);
                let expected = match (first, seq.contains(&PaymentEvent::Succeeded)) {
                    (None, _) => PendingPayment,
                    (Some(PaymentEvent::Succeeded), _) => Paid,
                    (Some(_), true) => Refunded,
                    (Some(_), false) => Cancelled,
                };
                assert_eq!(status, expected, "{seq:?}");
                assert!(refunds <= 1, "{seq:?}");
            }
        }
    }

    #[test]
    fn card_errors_read_as_what_the_shopper_can_do() {
        assert!(
            matches!(stripe_card_refusal("card_declined", "generic_decline"), Refusal::Declined(m) if m.contains("declined"))
        );
        assert!(
            matches!(stripe_card_refusal("card_declined", "insufficient_funds"), Refusal::Declined(m) if m.contains("insufficient"))
        );
        assert!(
            matches!(stripe_card_refusal("card_declined", "stolen_card"), Refusal::Declined(m) if m.contains("was declined"))
        );
        assert!(matches!(stripe_card_refusal("processing_error", ""), Refusal::Retry(_)));
        assert!(matches!(
            stripe_card_refusal("authentication_required", ""),
            Refusal::AuthenticationRequired(_)
        ));
        for code in ["card_declined", "expired_card", "processing_error", "incorrect_cvc", "x"] {
            assert!(stripe_card_refusal(code, "").message().contains("No money was taken"), "{code}");
        }
    }

    fn money(minor: i64, code: &str) -> Money {
        Money::new(minor, Currency::parse(code).unwrap())
    }

    #[test]
    fn stripe_amounts_follow_its_currency_rules() {
        let sent = |minor, code| StripeAmount::from_money(money(minor, code)).map(|a| a.value);
        assert_eq!(sent(1999, "USD"), Ok(1999));
        assert_eq!(sent(500, "JPY"), Ok(500), "zero-decimal: whole yen");
        assert_eq!(sent(500, "ISK"), Ok(50_000), "ISK: two decimals in the API, whole krónur");
        assert_eq!(sent(20050, "HUF"), Ok(20050), "HUF: two decimals for charges");
        assert_eq!(sent(1050, "TWD"), Ok(1050));
        assert_eq!(sent(5124, "KWD"), Ok(5120), "three decimals, rounded to a ten");
        assert_eq!(sent(5125, "KWD"), Ok(5130));
        assert_eq!(sent(20000, "MGA"), Ok(200), "zero-decimal at Stripe, two at ISO");
        assert_eq!(sent(20050, "MGA"), Err(StripeAmountError::NotWhole));
        assert!(matches!(sent(49, "USD"), Err(StripeAmountError::BelowMinimum { .. })));
        assert!(matches!(sent(49, "JPY"), Err(StripeAmountError::BelowMinimum { .. })));
        assert_eq!(sent(100_000_000, "USD"), Err(StripeAmountError::TooLarge));
        assert!(matches!(sent(1000, "IQD"), Err(StripeAmountError::UnsupportedCurrency(_))));
        assert_eq!(StripeAmount::from_money(money(1999, "EUR")).unwrap().currency, "eur");
        assert!(StripeAmount::matches(money(5124, "KWD"), 5120, "kwd"));
        assert!(!StripeAmount::matches(money(5124, "KWD"), 5124, "kwd"));
        assert!(!StripeAmount::matches(money(1999, "USD"), 1999, "eur"));
    }

    #[test]
    fn every_stripe_currency_is_an_iso_currency() {
        for code in STRIPE_ZERO_DECIMAL.iter().chain(STRIPE_THREE_DECIMAL).chain(STRIPE_TWO_DECIMAL) {
            let currency = Currency::parse(code).unwrap_or_else(|_| panic!("{code} is not in the ISO table"));
            assert!(stripe_units(currency).is_some(), "{code}");
        }
        for (code, _) in STRIPE_MINIMUMS {
            assert!(stripe_units(Currency::parse(code).unwrap()).is_some(), "{code}");
        }
    }

    proptest! {
        #[test]
        fn luhn_valid_numbers_round_trip(body in "[0-9]{15}") {
            // Append the check digit that makes the number valid.
            let check = (0..10).find(|d| card_digits(&format!("{body}{d}")).is_ok());
            prop_assert!(check.is_some());
        }

        /// For every currency of the ISO table and any amount: Stripe either refuses it
        /// with a reason, or gets an amount that follows its rules for the currency and
        /// stands for the same sum (exactly, or within half a ten of the last digit for
        /// three-decimal currencies).
        #[test]
        fn stripe_amounts_are_right_in_every_currency(at in any::<prop::sample::Index>(), minor in -10_i64..2_000_000_000) {
            let all: Vec<Currency> = Currency::all().collect();
            let currency = all[at.index(all.len())];
            let iso = currency.minor_digits();
            match (StripeAmount::from_money(Money::new(minor, currency)), stripe_units(currency)) {
                (Err(StripeAmountError::UnsupportedCurrency(c)), None) => prop_assert_eq!(c, currency),
                (Err(_), Some(_)) => {}
                (Ok(sent), Some(units)) => {
                    prop_assert!(sent.value > 0 && sent.value <= STRIPE_MAX_AMOUNT);
                    prop_assert_eq!(&sent.currency, &currency.code().to_ascii_lowercase());
                    // The same sum, written in Stripe's exponent for the currency.
                    let stripe_exp: u32 = match units {
                        StripeUnits::Minor => iso,
                        StripeUnits::Whole => 0,
                        StripeUnits::TwoDecimalWhole => 2,
                        StripeUnits::ThreeDecimalTens => 3,
                    };
                    let as_iso = i128::from(sent.value) * 10_i128.pow(iso) / 10_i128.pow(stripe_exp);
                    match units {
                        StripeUnits::ThreeDecimalTens => {
                            prop_assert_eq!(sent.value % 10, 0);
                            prop_assert!((as_iso - i128::from(minor)).abs() <= 5);
                        }
                        StripeUnits::TwoDecimalWhole => {
                            prop_assert_eq!(sent.value % 100, 0);
                            prop_assert_eq!(as_iso, i128::from(minor));
                        }
                        _ => prop_assert_eq!(as_iso, i128::from(minor)),
                    }
                }
                (Ok(_), None) => prop_assert!(false, "{} is not a Stripe currency", currency),
                (Err(e), None) => prop_assert!(false, "{}: {} instead of unsupported", currency, e),
            }
        }

        #[test]
        fn any_change_to_the_payload_is_caught(payload in proptest::collection::vec(any::<u8>(), 0..200), flip in any::<prop::sample::Index>()) {
            let h = header(b"whsec_p", 5_000, &payload);
            prop_assert_eq!(verify_stripe_webhook(b"whsec_p", &h, &payload, 5_000, 300), Ok(5_000));
            if !payload.is_empty() {
                let mut changed = payload.clone();
                let i = flip.index(changed.len());
                changed[i] ^= 1;
                prop_assert_eq!(verify_stripe_webhook(b"whsec_p", &h, &changed, 5_000, 300), Err(SignatureError::Mismatch));
            }
        }
    }
}

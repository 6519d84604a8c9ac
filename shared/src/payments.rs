//! Payments, provider-neutral where it can be: what a payment event does to an order
//! (the state machine behind `pending_payment → paid`), how a provider's refusal reads
//! to a shopper, and Stripe's webhook signature (`Stripe-Signature`: HMAC-SHA256 of
//! `"{t}.{payload}"` under the endpoint's secret, compared in constant time, with a
//! tolerance window on `t`).

use crate::orders::OrderStatus;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a webhook's timestamp may be from now, unless configured otherwise
/// (Stripe's libraries use the same five minutes).
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

/// What the provider says happened to an order's payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentEvent {
    Succeeded,
    Failed,
}

/// What an order does about a payment event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Already decided (a duplicate, or an earlier attempt's failure arriving late).
    Nothing,
    /// `pending_payment → paid`; the order is announced.
    MarkPaid,
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
        (OrderStatus::PendingPayment, PaymentEvent::Failed) => Effect::Cancel,
        (OrderStatus::Cancelled, PaymentEvent::Succeeded) => Effect::Refund,
        _ => Effect::Nothing,
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
    for (i, pair) in bytes.chunks(2).enumerate() {
        let digit = |b: u8| (b as char).to_digit(16);
        out[i] = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(out)
}

/// The timestamp and the `v1` signatures of a `Stripe-Signature` header
/// (`t=1700000000,v1=…,v1=…,v0=…`; other schemes are ignored).
pub fn parse_signature_header(header: &str) -> Result<(i64, Vec<[u8; 32]>), SignatureError> {
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
    use proptest::prelude::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        use PaymentEvent::*;
        // Every sequence of up to four events, from a pending order.
        let events = [Succeeded, Failed];
        for n in 1..=4u32 {
            for bits in 0..(1u32 << n) {
                let seq: Vec<PaymentEvent> = (0..n).map(|i| events[((bits >> i) & 1) as usize]).collect();
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
                        Effect::Nothing => {}
                    }
                }
                let first = seq[0];
                let expected = match (first, seq.contains(&Succeeded)) {
                    (Succeeded, _) => Paid,
                    (Failed, true) => Refunded,
                    (Failed, false) => Cancelled,
                };
                assert_eq!(status, expected, "{seq:?}");
                assert!(refunds <= 1, "{seq:?}");
            }
        }
        // Decided orders ignore payment events.
        for status in [Paid, Fulfilled, Refunded] {
            assert_eq!(effect_of(status, Succeeded), Effect::Nothing);
            assert_eq!(effect_of(status, Failed), Effect::Nothing);
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

    proptest! {
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

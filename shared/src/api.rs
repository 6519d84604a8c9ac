//! The JSON bodies API v1 accepts (described in `worker/src/openapi.json`, which
//! `tests/tests/contract.rs` checks against these types): typed, refusing unknown
//! fields, so a misspelt field is a 400 that says so rather than a silent default. The
//! address body is [`crate::checkout::AddressInput`]. Also the bodies the shop's own
//! pages answer their islands' scripts ([`AddedToCart`], [`Suggestion`]), written by the
//! worker and read by the islands bundle.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What `POST /cart/add` answers to a script (`Accept: application/json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddedToCart {
    pub item_count: u32,
    pub subtotal: String,
    /// "Merino Crew Sweater (M / Oat) × 2".
    pub line: String,
}

/// One predictive-search suggestion (`GET /search/suggest?q=`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub title: String,
    pub href: String,
    pub price: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    pub sku: String,
    #[serde(default = "one", deserialize_with = "whole")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityChange {
    #[serde(deserialize_with = "whole")]
    pub quantity: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub rate: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartCheckout {
    pub cart_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complete {
    /// The card number, with the built-in test provider.
    #[serde(default)]
    pub card: Option<String>,
    /// The Stripe PaymentMethod (`pm_…`), with Stripe.
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default, deserialize_with = "optional_whole")]
    pub expected_total: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    pub email: String,
    pub number: String,
}

/// `POST /api/v1/orders/{number}/payment`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayAgain {
    pub token: String,
    pub payment_method: String,
}

/// `POST /admin/orders/{number}/fulfil`'s body (optional).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fulfilment {
    #[serde(default)]
    pub tracking: Option<String>,
}

/// `POST /admin/orders/{number}/refund`'s body (optional).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refund {
    /// Put the order's units back in stock (they came back, or never left).
    #[serde(default)]
    pub restock: bool,
}

/// `POST /admin/orders/{number}/notes`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stock {
    #[serde(deserialize_with = "whole")]
    pub on_hand: u32,
}

/// A whole number however JSON writes it: `2`, or `2.0` (JSON Schema's `integer`
/// allows both); `2.5`, or one out of the field's range, is refused.
fn whole<'de, D: Deserializer<'de>, T: TryFrom<i128>>(deserializer: D) -> Result<T, D::Error> {
    let n = deserializer.deserialize_any(WholeNumber)?;
    T::try_from(n).map_err(|_| de::Error::custom(format!("{n} is out of range here")))
}

/// An optional [`whole`] number: absent is `None`; `null` is refused like any non-number.
fn optional_whole<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    whole(deserializer).map(Some)
}

struct WholeNumber;

impl Visitor<'_> for WholeNumber {
    type Value = i128;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
        Ok(v.into())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
        Ok(v.into())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i128, E> {
        // Beyond 2^63 a float is out of every field's range anyway.
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.2e18 {
            Ok(v as i128)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_may_be_written_as_floats() {
        let line: NewLine = serde_json::from_str(r#"{"sku": "A", "quantity": 2.0}"#).unwrap();
        assert_eq!(line.quantity, 2);
        assert!(serde_json::from_str::<NewLine>(r#"{"sku": "A", "quantity": 2.5}"#).is_err());
        assert!(serde_json::from_str::<NewLine>(r#"{"sku": "A", "quantity": -1}"#).is_err());
        assert!(serde_json::from_str::<NewLine>(r#"{"sku": "A", "quantity": 4294967296}"#).is_err());
        assert!(serde_json::from_str::<NewLine>(r#"{"sku": "A", "quantity": "2"}"#).is_err());
        assert_eq!(serde_json::from_str::<NewLine>(r#"{"sku": "A"}"#).unwrap().quantity, 1);
        let paid: Complete = serde_json::from_str(r#"{"card": "x", "expected_total": 4800.0}"#).unwrap();
        assert_eq!(paid.expected_total, Some(4800));
        assert!(serde_json::from_str::<Complete>(r#"{"card": "x", "expected_total": null}"#).is_err());
        assert_eq!(serde_json::from_str::<Complete>(r#"{"card": "x"}"#).unwrap().expected_total, None);
        // Exactly, even where a float's last bit is a half (needs serde_json's float_roundtrip).
        let big: Complete =
            serde_json::from_str(r#"{"card": "x", "expected_total": 3637139235564146.0}"#).unwrap();
        assert_eq!(big.expected_total, Some(3_637_139_235_564_146));
        let max: Stock = serde_json::from_str(r#"{"on_hand": 4294967295}"#).unwrap();
        assert_eq!(max.on_hand, u32::MAX);
    }
}

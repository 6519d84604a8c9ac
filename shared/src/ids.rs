//! Identifiers and bounded numbers that arrive from outside: handles, SKUs, cart ids,
//! quantities. Each is a newtype whose only constructors validate, so a value of the
//! type is always well formed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an identifier was refused, in words a shopper or merchant can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Handle(String),
    Sku(String),
    CartId,
    Quantity(String),
    /// A line's new quantity, where 0 (remove the line) is allowed too.
    NewQuantity(String),
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Handle(h) => write!(
                f,
                "`{}` is not a valid handle: use 1–{} lowercase letters, digits and single hyphens",
                truncate_for_message(h),
                Handle::MAX_LEN
            ),
            Self::Sku(s) => write!(
                f,
                "`{}` is not a valid SKU: use 1–{} letters, digits, `-`, `_` or `.`",
                truncate_for_message(s),
                Sku::MAX_LEN
            ),
            Self::CartId => f.write_str("the cart id is not valid"),
            Self::Quantity(q) => write!(
                f,
                "`{}` is not a valid quantity: use a whole number from 1 to {}",
                truncate_for_message(q),
                Quantity::MAX
            ),
            Self::NewQuantity(q) => write!(
                f,
                "`{}` is not a valid quantity: use a whole number from 0 (to remove the item) to {}",
                truncate_for_message(q),
                Quantity::MAX
            ),
        }
    }
}

impl std::error::Error for IdError {}

/// Long hostile input is cut before it is echoed back in a message.
fn truncate_for_message(text: &str) -> String {
    const LIMIT: usize = 40;
    if text.chars().count() <= LIMIT {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(LIMIT).collect();
        cut.push('…');
        cut
    }
}

macro_rules! string_newtype_serde {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

/// The URL name of a product, collection or page: `merino-crew-sweater`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Handle(String);

impl Handle {
    pub const MAX_LEN: usize = 100;

    pub fn parse(text: &str) -> Result<Self, IdError> {
        let bytes = text.as_bytes();
        let ok = !bytes.is_empty()
            && bytes.len() <= Self::MAX_LEN
            && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--");
        if ok {
            Ok(Handle(text.to_string()))
        } else {
            Err(IdError::Handle(text.to_string()))
        }
    }
}

string_newtype_serde!(Handle);

/// A stock-keeping unit: the merchant's code for one variant, `MCS-M-OAT`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Sku(String);

impl Sku {
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<Self, IdError> {
        let bytes = text.as_bytes();
        let ok = !bytes.is_empty()
            && bytes.len() <= Self::MAX_LEN
            && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Sku(text.to_string()))
        } else {
            Err(IdError::Sku(text.to_string()))
        }
    }
}

string_newtype_serde!(Sku);

/// The id of one shopper's cart: 128 random bits as 32 lowercase hex digits.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct CartId(String);

impl CartId {
    pub const LEN: usize = 32;

    pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
        CartId(hex(&bytes))
    }

    pub fn parse(text: &str) -> Result<Self, IdError> {
        let ok = text.len() == Self::LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(CartId(text.to_string()))
        } else {
            Err(IdError::CartId)
        }
    }
}

/// Bytes as lowercase hexadecimal, two digits each: the one hex encoder of the shop
/// (cart ids, request ids, order tokens, derived keys).
pub fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        text.push(hex_digit(b >> 4));
        text.push(hex_digit(b & 0x0f));
    }
    text
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble & 0x0f), 16).unwrap_or('0')
}

string_newtype_serde!(CartId);

/// How many of one variant a cart line holds: 1 to [`Quantity::MAX`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize)]
pub struct Quantity(u32);

impl Quantity {
    /// The most of one variant a single cart line may hold.
    pub const MAX: u32 = 99;
    pub const ONE: Quantity = Quantity(1);

    pub fn new(value: u32) -> Result<Self, IdError> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Quantity(value))
        } else {
            Err(IdError::Quantity(value.to_string()))
        }
    }

    /// Reads what a shopper typed: surrounding blanks are ignored, nothing else is.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let refuse = || IdError::Quantity(text.to_string());
        Quantity::new(typed_number(text).ok_or_else(refuse)?).map_err(|_| refuse())
    }

    /// A line's new quantity: 0 (remove the line) to [`Quantity::MAX`].
    pub fn check_change(value: u32) -> Result<u32, IdError> {
        (value <= Self::MAX).then_some(value).ok_or_else(|| IdError::NewQuantity(value.to_string()))
    }

    /// A line's new quantity as typed: digits only (no signs, exponents or fractions),
    /// surrounding blanks ignored, 0 to [`Quantity::MAX`].
    pub fn parse_change(text: &str) -> Result<u32, IdError> {
        let refuse = || IdError::NewQuantity(text.to_string());
        Self::check_change(typed_number(text).ok_or_else(refuse)?).map_err(|_| refuse())
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A whole number as typed: blanks around it ignored, at most six digits, nothing else.
fn typed_number(text: &str) -> Option<u32> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.len() > 6 || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    trimmed.parse().ok()
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = u32::deserialize(d)?;
        Quantity::new(value).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_quantity_may_be_zero() {
        assert_eq!(Quantity::parse_change(" 0 "), Ok(0));
        assert_eq!(Quantity::parse_change("99"), Ok(99));
        assert_eq!(Quantity::check_change(99), Ok(99));
        for bad in ["100", "-1", "+1", "1e2", "1.0", "", "٣", "0x1"] {
            let e = Quantity::parse_change(bad).unwrap_err();
            assert!(e.to_string().contains("from 0 (to remove the item) to 99"), "{bad}: {e}");
        }
        assert!(Quantity::check_change(100).is_err());
        assert!(Quantity::parse("0").is_err(), "a line holds at least one");
    }

    #[test]
    fn hex_is_two_lowercase_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }
    use proptest::prelude::*;

    #[test]
    fn handles_are_lowercase_words_with_single_hyphens() {
        for good in ["a", "merino-crew-sweater", "tee-2", "x1"] {
            assert!(Handle::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "a-", "a--b", "Merino", "a b", "../etc", "a/b", "é", &"a".repeat(101)] {
            assert!(Handle::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn skus_allow_merchant_codes_only() {
        assert!(Sku::parse("MCS-M-OAT").is_ok());
        assert!(Sku::parse("tee_2.blue").is_ok());
        for bad in ["", "A B", "<script>", "A/B", &"A".repeat(65)] {
            assert!(Sku::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantities_are_between_one_and_max() {
        assert_eq!(Quantity::parse(" 2 ").unwrap().get(), 2);
        assert_eq!(Quantity::parse("99").unwrap().get(), 99);
        for bad in ["0", "100", "-1", "1.5", "", "abc", "99999999999999999999", "+1"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert!(serde_json::from_str::<Quantity>("5").is_ok());
    }

    #[test]
    fn error_messages_truncate_hostile_input() {
        let message = IdError::Handle("x".repeat(10_000)).to_string();
        assert!(message.len() < 200, "{message}");
    }

    proptest! {
        #[test]
        fn cart_ids_round_trip(bytes in any::<[u8; 16]>()) {
            let id = CartId::from_random_bytes(bytes);
            prop_assert_eq!(CartId::parse(id.as_str()), Ok(id.clone()));
        }

        #[test]
        fn parsed_handles_are_url_safe(text in "\\PC{0,30}") {
            if let Ok(handle) = Handle::parse(&text) {
                prop_assert!(handle.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            }
        }
    }
}

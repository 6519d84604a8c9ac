//! Money in integer minor units (cents, pence, yen) and the one function that formats it.
//!
//! Nothing here ever touches floating point: amounts are `i64` minor units, arithmetic
//! is checked, and a sum of two currencies is an error rather than a number.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a money value or operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// Not three ASCII capital letters.
    BadCurrency(String),
    /// Two amounts in different currencies were combined.
    CurrencyMismatch { left: Currency, right: Currency },
    /// The result does not fit in 64 bits of minor units.
    Overflow,
    /// A decimal amount that could not be read (too many decimals, letters, empty).
    BadAmount(String),
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadCurrency(c) => {
                write!(f, "`{c}` is not an ISO 4217 currency code; use one such as USD, EUR or JPY")
            }
            Self::CurrencyMismatch { left, right } => write!(f, "cannot combine {left} and {right} amounts"),
            Self::Overflow => f.write_str("amount is too large"),
            Self::BadAmount(s) => write!(f, "`{s}` is not an amount; write it like 12.50"),
        }
    }
}

impl std::error::Error for MoneyError {}

/// ISO 4217's active currencies (and ANG, still in use) with their minor units — the
/// digits after the decimal point an amount is kept in. The one table of exponents:
/// display, parsing and the payment providers' conversions all read it.
#[rustfmt::skip]
const ISO_4217: &[([u8; 3], u8)] = &[
    (*b"AED", 2), (*b"AFN", 2), (*b"ALL", 2), (*b"AMD", 2), (*b"ANG", 2), (*b"AOA", 2),
    (*b"ARS", 2), (*b"AUD", 2), (*b"AWG", 2), (*b"AZN", 2), (*b"BAM", 2), (*b"BBD", 2),
    (*b"BDT", 2), (*b"BGN", 2), (*b"BHD", 3), (*b"BIF", 0), (*b"BMD", 2), (*b"BND", 2),
    (*b"BOB", 2), (*b"BOV", 2), (*b"BRL", 2), (*b"BSD", 2), (*b"BTN", 2), (*b"BWP", 2),
    (*b"BYN", 2), (*b"BZD", 2), (*b"CAD", 2), (*b"CDF", 2), (*b"CHE", 2), (*b"CHF", 2),
    (*b"CHW", 2), (*b"CLF", 4), (*b"CLP", 0), (*b"CNY", 2), (*b"COP", 2), (*b"COU", 2),
    (*b"CRC", 2), (*b"CUP", 2), (*b"CVE", 2), (*b"CZK", 2), (*b"DJF", 0), (*b"DKK", 2),
    (*b"DOP", 2), (*b"DZD", 2), (*b"EGP", 2), (*b"ERN", 2), (*b"ETB", 2), (*b"EUR", 2),
    (*b"FJD", 2), (*b"FKP", 2), (*b"GBP", 2), (*b"GEL", 2), (*b"GHS", 2), (*b"GIP", 2),
    (*b"GMD", 2), (*b"GNF", 0), (*b"GTQ", 2), (*b"GYD", 2), (*b"HKD", 2), (*b"HNL", 2),
    (*b"HTG", 2), (*b"HUF", 2), (*b"IDR", 2), (*b"ILS", 2), (*b"INR", 2), (*b"IQD", 3),
    (*b"IRR", 2), (*b"ISK", 0), (*b"JMD", 2), (*b"JOD", 3), (*b"JPY", 0), (*b"KES", 2),
    (*b"KGS", 2), (*b"KHR", 2), (*b"KMF", 0), (*b"KPW", 2), (*b"KRW", 0), (*b"KWD", 3),
    (*b"KYD", 2), (*b"KZT", 2), (*b"LAK", 2), (*b"LBP", 2), (*b"LKR", 2), (*b"LRD", 2),
    (*b"LSL", 2), (*b"LYD", 3), (*b"MAD", 2), (*b"MDL", 2), (*b"MGA", 2), (*b"MKD", 2),
    (*b"MMK", 2), (*b"MNT", 2), (*b"MOP", 2), (*b"MRU", 2), (*b"MUR", 2), (*b"MVR", 2),
    (*b"MWK", 2), (*b"MXN", 2), (*b"MXV", 2), (*b"MYR", 2), (*b"MZN", 2), (*b"NAD", 2),
    (*b"NGN", 2), (*b"NIO", 2), (*b"NOK", 2), (*b"NPR", 2), (*b"NZD", 2), (*b"OMR", 3),
    (*b"PAB", 2), (*b"PEN", 2), (*b"PGK", 2), (*b"PHP", 2), (*b"PKR", 2), (*b"PLN", 2),
    (*b"PYG", 0), (*b"QAR", 2), (*b"RON", 2), (*b"RSD", 2), (*b"RUB", 2), (*b"RWF", 0),
    (*b"SAR", 2), (*b"SBD", 2), (*b"SCR", 2), (*b"SDG", 2), (*b"SEK", 2), (*b"SGD", 2),
    (*b"SHP", 2), (*b"SLE", 2), (*b"SOS", 2), (*b"SRD", 2), (*b"SSP", 2), (*b"STN", 2),
    (*b"SVC", 2), (*b"SYP", 2), (*b"SZL", 2), (*b"THB", 2), (*b"TJS", 2), (*b"TMT", 2),
    (*b"TND", 3), (*b"TOP", 2), (*b"TRY", 2), (*b"TTD", 2), (*b"TWD", 2), (*b"TZS", 2),
    (*b"UAH", 2), (*b"UGX", 0), (*b"USD", 2), (*b"USN", 2), (*b"UYI", 0), (*b"UYU", 2),
    (*b"UYW", 4), (*b"UZS", 2), (*b"VED", 2), (*b"VES", 2), (*b"VND", 0), (*b"VUV", 0),
    (*b"WST", 2), (*b"XAF", 0), (*b"XCD", 2), (*b"XCG", 2), (*b"XOF", 0), (*b"XPF", 0),
    (*b"YER", 2), (*b"ZAR", 2), (*b"ZMW", 2), (*b"ZWG", 2),
];

/// An ISO 4217 currency code such as `USD`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const GBP: Currency = Currency(*b"GBP");

    /// Accepts the code of a currency in ISO 4217's list (three capital letters).
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        match <[u8; 3]>::try_from(code.as_bytes()) {
            Ok(bytes) if ISO_4217.binary_search_by(|(c, _)| c.cmp(&bytes)).is_ok() => Ok(Currency(bytes)),
            _ => Err(MoneyError::BadCurrency(code.to_string())),
        }
    }

    pub fn code(&self) -> &str {
        // Only ASCII capitals can be stored, so this never fails.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Minor units in one major unit: 10 to the power of [`Currency::minor_digits`].
    pub fn scale(&self) -> std::num::NonZeroU64 {
        10_u64
            .checked_pow(self.minor_digits())
            .and_then(std::num::NonZeroU64::new)
            .unwrap_or(std::num::NonZeroU64::MIN)
    }

    /// Digits after the decimal point for this currency: its ISO 4217 exponent.
    pub fn minor_digits(&self) -> u32 {
        match ISO_4217.binary_search_by(|(code, _)| code.cmp(&self.0)) {
            Ok(at) => ISO_4217.get(at).map_or(2, |(_, digits)| u32::from(*digits)),
            // Unreachable for a parsed currency: `parse` only takes codes in the table.
            Err(_) => 2,
        }
    }

    /// Every currency the shop knows, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        ISO_4217.iter().map(|(code, _)| Currency(*code))
    }

    /// Symbol written before the amount, when the currency has a well-known one.
    fn prefix_symbol(&self) -> Option<&'static str> {
        match &self.0 {
            b"USD" => Some("$"),
            b"EUR" => Some("€"),
            b"GBP" => Some("£"),
            b"JPY" => Some("¥"),
            b"CAD" => Some("CA$"),
            b"AUD" => Some("A$"),
            b"NZD" => Some("NZ$"),
            b"INR" => Some("₹"),
            _ => None,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount of money: integer minor units of one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch { left: self.currency, right: other.currency });
        }
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency: self.currency })
    }

    pub fn checked_mul(self, factor: u32) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(i64::from(factor)).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency: self.currency })
    }

    /// Reads a decimal amount such as `12.5` or `1299.99` into minor units, refusing
    /// more decimals than the currency has. Used where people type prices (CSV import).
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let bad = || MoneyError::BadAmount(text.to_string());
        let trimmed = text.trim();
        let (negative, unsigned) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((w, f)) => (w, f),
            None => (unsigned, ""),
        };
        let digits = currency.minor_digits() as usize;
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > digits {
            return Err(bad());
        }
        if unsigned.ends_with('.') {
            return Err(bad());
        }
        let scale = 10_i64.pow(digits as u32);
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let mut padded = fraction.to_string();
        while padded.len() < digits {
            padded.push('0');
        }
        let fraction: i64 = if padded.is_empty() { 0 } else { padded.parse().map_err(|_| bad())? };
        let minor =
            whole.checked_mul(scale).and_then(|w| w.checked_add(fraction)).ok_or(MoneyError::Overflow)?;
        let minor = if negative { minor.checked_neg().ok_or(MoneyError::Overflow)? } else { minor };
        Ok(Money { minor, currency })
    }
}

/// A plain decimal of the amount, as typed in forms: `20.00`, `1200` (yen), `-3.50`.
pub fn format_decimal(money: Money) -> String {
    let digits = money.currency.minor_digits();
    let scale = money.currency.scale();
    let magnitude = money.minor.unsigned_abs();
    let sign = if money.minor < 0 { "-" } else { "" };
    if digits == 0 {
        format!("{sign}{magnitude}")
    } else {
        format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale, width = digits as usize)
    }
}

/// `whole` with `separator` between each group of three digits (`1,234,567`).
pub(crate) fn group_digits(whole: u64, separator: char) -> String {
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len().saturating_mul(2));
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && digits.len().saturating_sub(i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(ch);
    }
    grouped
}

/// The one place money becomes text: `$1,234.50`, `€9.00`, `¥1,200`, `CHF 12.00`.
pub fn format_money(money: Money) -> String {
    let digits = money.currency.minor_digits();
    let scale = money.currency.scale();
    let magnitude = money.minor.unsigned_abs();
    let whole = magnitude / scale;
    let fraction = magnitude % scale;

    let grouped = group_digits(whole, ',');
    let number =
        if digits == 0 { grouped } else { format!("{grouped}.{fraction:0width$}", width = digits as usize) };
    let sign = if money.minor < 0 { "-" } else { "" };
    match money.currency.prefix_symbol() {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{} {number}", money.currency.code()),
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_money(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    #[test]
    fn formats_common_amounts() {
        assert_eq!(format_money(usd(0)), "$0.00");
        assert_eq!(format_money(usd(5)), "$0.05");
        assert_eq!(format_money(usd(8900)), "$89.00");
        assert_eq!(format_money(usd(123_456_789)), "$1,234,567.89");
        assert_eq!(format_money(usd(-1050)), "-$10.50");
        assert_eq!(format_money(Money::new(1200, Currency::parse("JPY").unwrap())), "¥1,200");
        assert_eq!(format_money(Money::new(1200, Currency::parse("CHF").unwrap())), "CHF 12.00");
        assert_eq!(format_money(Money::new(1234, Currency::parse("KWD").unwrap())), "KWD 1.234");
        assert_eq!(format_money(usd(i64::MIN)), "-$92,233,720,368,547,758.08");
    }

    #[test]
    fn decimals_round_trip() {
        assert_eq!(format_decimal(usd(2000)), "20.00");
        assert_eq!(format_decimal(usd(-350)), "-3.50");
        assert_eq!(format_decimal(Money::new(1200, Currency::parse("JPY").unwrap())), "1200");
        assert_eq!(Money::parse_decimal(&format_decimal(usd(123_456)), Currency::USD), Ok(usd(123_456)));
    }

    #[test]
    fn currency_codes_are_three_capitals() {
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("USDX").is_err());
        assert!(Currency::parse("ÜSD").is_err());
        assert!(Currency::parse("ABC").is_err(), "not a currency");
        assert_eq!(Currency::parse("EUR").unwrap(), Currency::EUR);
    }

    #[test]
    fn adding_two_currencies_is_refused() {
        let err = usd(1).checked_add(Money::new(1, Currency::EUR)).unwrap_err();
        assert!(matches!(err, MoneyError::CurrencyMismatch { .. }));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), Err(MoneyError::Overflow));
        assert_eq!(usd(i64::MAX / 2 + 1).checked_mul(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn parses_decimal_prices() {
        assert_eq!(Money::parse_decimal("12.5", Currency::USD), Ok(usd(1250)));
        assert_eq!(Money::parse_decimal("12", Currency::USD), Ok(usd(1200)));
        assert_eq!(Money::parse_decimal(" 0.99 ", Currency::USD), Ok(usd(99)));
        assert_eq!(Money::parse_decimal("-3.10", Currency::USD), Ok(usd(-310)));
        for bad in ["", ".5", "1.", "1.234", "1,00", "abc", "1e3", "--1", "99999999999999999999"] {
            assert!(Money::parse_decimal(bad, Currency::USD).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn serializes_as_minor_units_and_code() {
        let json = serde_json::to_string(&usd(1999)).unwrap();
        assert_eq!(json, r#"{"minor":1999,"currency":"USD"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, usd(1999));
        assert!(serde_json::from_str::<Money>(r#"{"minor":1,"currency":"usd"}"#).is_err());
    }

    #[test]
    fn exponents_are_iso_4217s() {
        let digits = |code: &str| Currency::parse(code).unwrap().minor_digits();
        for (code, expected) in
            [("USD", 2), ("JPY", 0), ("KRW", 0), ("ISK", 0), ("HUF", 2), ("TWD", 2), ("KWD", 3), ("CLF", 4)]
        {
            assert_eq!(digits(code), expected, "{code}");
        }
        let table: Vec<Currency> = Currency::all().collect();
        assert!(table.windows(2).all(|w| w[0] < w[1]), "the table is sorted, without repeats");
        assert!(table.len() > 150);
    }

    proptest! {
        #[test]
        fn every_currency_formats_and_parses_back(at in any::<prop::sample::Index>(), minor in -1_000_000_000_i64..1_000_000_000) {
            let all: Vec<Currency> = Currency::all().collect();
            let currency = all[at.index(all.len())];
            prop_assert_eq!(Currency::parse(currency.code()), Ok(currency));
            let money = Money::new(minor, currency);
            prop_assert_eq!(Money::parse_decimal(&format_decimal(money), currency), Ok(money));
        }

        #[test]
        fn decimal_text_round_trips(minor in -1_000_000_000_000_i64..1_000_000_000_000) {
            let money = usd(minor);
            let text = format_money(money).replace(['$', ','], "");
            prop_assert_eq!(Money::parse_decimal(&text, Currency::USD), Ok(money));
        }

        #[test]
        fn addition_is_exact_and_commutative(a in -1_i64 << 40..1 << 40, b in -1_i64 << 40..1 << 40) {
            let sum = usd(a).checked_add(usd(b)).unwrap();
            prop_assert_eq!(sum.minor(), a + b);
            prop_assert_eq!(sum, usd(b).checked_add(usd(a)).unwrap());
        }
    }
}

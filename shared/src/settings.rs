//! Store settings used at checkout: shipping zones and rates, tax rates by region, and
//! discount codes. Published with the catalog; read only by the server.

use crate::money::Money;
use serde::{Deserialize, Serialize};

/// A share expressed in basis points: 725 is 7.25 %. Integer, so tax maths stays exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BasisPoints(pub u32);

impl BasisPoints {
    /// Reads `7.25%` or `7.25` (percent, at most two decimals, 0–100).
    pub fn parse_percent(text: &str) -> Option<BasisPoints> {
        let number = text.trim().trim_end_matches('%').trim();
        if number.ends_with('.') {
            return None;
        }
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole)
            || (!fraction.is_empty() && !digits(fraction))
            || fraction.len() > 2
            || whole.len() > 3
        {
            return None;
        }
        let whole: u32 = whole.parse().ok()?;
        let mut fraction_text = fraction.to_string();
        while fraction_text.len() < 2 {
            fraction_text.push('0');
        }
        let fraction: u32 = fraction_text.parse().ok()?;
        let bps = whole.checked_mul(100)?.checked_add(fraction)?;
        (bps <= 10_000).then_some(BasisPoints(bps))
    }
}

impl std::fmt::Display for BasisPoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whole = self.0 / 100;
        let fraction = self.0 % 100;
        if fraction == 0 {
            write!(f, "{whole}%")
        } else if fraction.is_multiple_of(10) {
            write!(f, "{whole}.{}%", fraction / 10)
        } else {
            write!(f, "{whole}.{fraction:02}%")
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShippingRate {
    /// Stable id used in forms, such as `standard`.
    pub id: String,
    pub name: String,
    pub price: Money,
    /// Orders whose subtotal reaches this ship at no charge.
    pub free_over: Option<Money>,
    pub min_days: u32,
    pub max_days: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShippingZone {
    pub name: String,
    /// ISO 3166-1 alpha-2 codes, such as `US`.
    pub countries: Vec<String>,
    pub rates: Vec<ShippingRate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaxRate {
    pub country: String,
    /// A subdivision such as `CA`; `None` applies to the whole country.
    pub region: Option<String>,
    pub name: String,
    pub rate: BasisPoints,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiscountKind {
    Percent { off: BasisPoints },
    Fixed { off: Money },
    FreeShipping,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Discount {
    /// What shoppers type, stored upper-case.
    pub code: String,
    pub kind: DiscountKind,
    pub min_subtotal: Option<Money>,
    /// Last valid day, `YYYY-MM-DD` (inclusive, UTC).
    pub expires: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreSettings {
    pub shipping_zones: Vec<ShippingZone>,
    pub tax_rates: Vec<TaxRate>,
    pub discounts: Vec<Discount>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_exact_basis_points() {
        assert_eq!(BasisPoints::parse_percent("7.25%"), Some(BasisPoints(725)));
        assert_eq!(BasisPoints::parse_percent("20"), Some(BasisPoints(2000)));
        assert_eq!(BasisPoints::parse_percent("0.5 %"), Some(BasisPoints(50)));
        assert_eq!(BasisPoints::parse_percent("100"), Some(BasisPoints(10_000)));
        for bad in ["", "abc", "7.255", "101", "-1", "1e2", ".5", "5."] {
            assert_eq!(BasisPoints::parse_percent(bad), None, "{bad}");
        }
        assert_eq!(BasisPoints(725).to_string(), "7.25%");
        assert_eq!(BasisPoints(750).to_string(), "7.5%");
        assert_eq!(BasisPoints(2000).to_string(), "20%");
    }
}

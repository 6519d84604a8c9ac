//! Checkout rules: contact and address validation (per country), shipping rates by zone,
//! tax by region, discount codes, the order totals — all in integer minor units — and
//! the built-in test payment provider.

use crate::cart::PricedCart;
use crate::money::{Currency, Money, MoneyError};
use crate::settings::{BasisPoints, Discount, DiscountKind, ShippingRate, StoreSettings, TaxRate};
use crate::strings::Text;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A problem with one field of a form, for showing next to that field (in the page's
/// language; JSON answers write its message in English).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    #[serde(serialize_with = "crate::strings::english")]
    pub message: Text,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<Text>) -> FieldError {
        FieldError { field: field.to_string(), message: message.into() }
    }
}

/// Longest text accepted in any address or contact field.
pub const MAX_FIELD_CHARS: usize = 120;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// The longest address accepted, in characters.
    pub const MAX_LEN: usize = 254;

    /// A practical check: one `@`, a dot in the domain, no spaces, controls or invisible
    /// formatting characters (which would make two addresses look alike), at most 254
    /// characters.
    pub fn parse(text: &str) -> Result<Email, FieldError> {
        let text = text.trim();
        let bad = || FieldError::new("email", Text::new("Enter an email address like name@example.com."));
        if text.is_empty()
            || text.chars().count() > Self::MAX_LEN
            || text
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || crate::text::is_invisible_format(c))
        {
            return Err(bad());
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.contains('@') || !domain_ok {
            return Err(bad());
        }
        Ok(Email(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For comparing what a shopper types with what was stored.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A shipping address, validated for its country.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    /// State or province code where the country has them (US, CA), else free text.
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// What a shopper typed into the address form (missing fields are empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    "PR",
];
const CA_PROVINCES: &[&str] = &["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"];

/// Whether `code` has `pattern`'s shape, character by character (never by byte offset,
/// so any text is safe): `9` a digit, `A` an upper-case letter, `X` a letter or digit,
/// anything else itself.
fn shaped(code: &str, pattern: &str) -> bool {
    code.chars().count() == pattern.chars().count()
        && code.chars().zip(pattern.chars()).all(|(c, p)| match p {
            '9' => c.is_ascii_digit(),
            'A' => c.is_ascii_uppercase(),
            'X' => c.is_ascii_alphanumeric(),
            other => c == other,
        })
}

/// Whether `code` is a postal code of `country` (normalized: upper-case, single spaces).
fn postal_code_ok(country: &str, code: &str) -> bool {
    match country {
        "US" => shaped(code, "99999") || shaped(code, "99999-9999"),
        "CA" => shaped(code, "A9A 9A9"),
        "DE" | "FR" | "ES" | "IT" => shaped(code, "99999"),
        "NL" => shaped(code, "9999 AA"),
        "IE" => shaped(code, "XXX XXXX"),
        "GB" => {
            (6..=8).contains(&code.len())
                && code.contains(' ')
                && code.bytes().all(|c| c.is_ascii_alphanumeric() || c == b' ')
        }
        _ => !code.is_empty() && code.len() <= 12,
    }
}

fn postal_example(country: &str) -> &'static str {
    match country {
        "US" => "94107 or 94107-1234",
        "CA" => "K1A 0B1",
        "DE" | "FR" | "ES" | "IT" => "five digits, like 10115",
        "NL" => "1012 AB",
        "IE" => "D02 X285",
        "GB" => "SW1A 1AA",
        _ => "the postal code used in your country",
    }
}

impl AddressInput {
    /// What an address form sent (`field` reads a field by name), each field cut to
    /// 200 characters: longer is an error `validate` reports, not text to keep.
    pub fn from_form<'a>(field: impl Fn(&str) -> Option<&'a str>) -> AddressInput {
        let read = |name: &str| field(name).unwrap_or("").chars().take(200).collect::<String>();
        AddressInput {
            name: read("name"),
            line1: read("line1"),
            line2: read("line2"),
            city: read("city"),
            region: read("region"),
            postal_code: read("postal_code"),
            country: read("country"),
        }
    }

    /// Checks every field, returning all problems at once.
    pub fn validate(&self, shippable: &[String]) -> Result<Address, Vec<FieldError>> {
        let mut errors = Vec::new();
        let clean = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let name = clean(&self.name);
        let line1 = clean(&self.line1);
        let line2 = clean(&self.line2);
        let city = clean(&self.city);
        let country = self.country.trim().to_ascii_uppercase();
        let region = clean(&self.region).to_ascii_uppercase();
        let postal_code = clean(&self.postal_code).to_ascii_uppercase();
        for (field, value, message) in [
            ("name", &name, Text::new("Enter your name.")),
            ("line1", &line1, Text::new("Enter the street address.")),
            ("city", &city, Text::new("Enter the city.")),
        ] {
            if value.is_empty() {
                errors.push(FieldError::new(field, message));
            }
        }
        for (field, value) in [
            ("name", &name),
            ("line1", &line1),
            ("line2", &line2),
            ("city", &city),
            ("region", &region),
            ("postal_code", &postal_code),
        ] {
            if value.chars().count() > MAX_FIELD_CHARS || value.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    field,
                    Text::new("Use at most {count} characters.").with("count", MAX_FIELD_CHARS.to_string()),
                ));
            }
        }
        if !shippable.contains(&country) {
            errors.push(FieldError::new(
                "country",
                if shippable.is_empty() {
                    Text::new("This shop does not ship anywhere yet.")
                } else {
                    Text::new("We ship to {countries}. Choose one of these countries.")
                        .with("countries", shippable.join(", "))
                },
            ));
        } else {
            let regions = match country.as_str() {
                "US" => Some((Text::new("Enter the two-letter state code, like {example}."), US_STATES)),
                "CA" => {
                    Some((Text::new("Enter the two-letter province code, like {example}."), CA_PROVINCES))
                }
                _ => None,
            };
            if let Some((message, codes)) = regions {
                if !codes.contains(&region.as_str()) {
                    let example = codes.get(4).unwrap_or(&"CA").to_string();
                    errors.push(FieldError::new("region", message.with("example", example)));
                }
            }
            if !postal_code_ok(&country, &postal_code) {
                errors.push(FieldError::new(
                    "postal_code",
                    Text::new("Enter a postal code for {country}: {example}.")
                        .with("country", country.clone())
                        .with("example", postal_example(&country)),
                ));
            }
        }
        if errors.is_empty() {
            Ok(Address { name, line1, line2, city, region, postal_code, country })
        } else {
            Err(errors)
        }
    }
}

/// The countries the store ships to, from its zones.
pub fn shippable_countries(settings: &StoreSettings) -> Vec<String> {
    let mut countries: Vec<String> =
        settings.shipping_zones.iter().flat_map(|z| z.countries.iter().cloned()).collect();
    countries.sort();
    countries.dedup();
    countries
}

/// The rates offered for a country.
pub fn rates_for<'a>(settings: &'a StoreSettings, country: &str) -> Vec<&'a ShippingRate> {
    settings
        .shipping_zones
        .iter()
        .filter(|z| z.countries.iter().any(|c| c == country))
        .flat_map(|z| z.rates.iter())
        .collect()
}

/// The tax rate for a place: the region's if there is one, else the country's.
pub fn tax_for<'a>(settings: &'a StoreSettings, country: &str, region: &str) -> Option<&'a TaxRate> {
    let regional =
        settings.tax_rates.iter().find(|t| t.country == country && t.region.as_deref() == Some(region));
    regional.or_else(|| settings.tax_rates.iter().find(|t| t.country == country && t.region.is_none()))
}

/// Why a discount code does not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiscountError {
    Unknown,
    Expired,
    BelowMinimum(Money),
}

impl DiscountError {
    /// What the shopper is told.
    pub fn text(&self) -> Text {
        match self {
            Self::Unknown => Text::new("That discount code does not exist."),
            Self::Expired => Text::new("That discount code has expired."),
            Self::BelowMinimum(min) => Text::new("That code needs a subtotal of at least {amount}.")
                .with("amount", crate::money::format_money(*min)),
        }
    }
}

impl fmt::Display for DiscountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.text(), f)
    }
}

/// Finds a code (case-insensitive) and checks it against the subtotal and today's date
/// (`YYYY-MM-DD`, UTC).
pub fn find_discount<'a>(
    settings: &'a StoreSettings,
    code: &str,
    subtotal: Money,
    today: &str,
) -> Result<&'a Discount, DiscountError> {
    let code = code.trim().to_ascii_uppercase();
    let discount = settings.discounts.iter().find(|d| d.code == code).ok_or(DiscountError::Unknown)?;
    if discount.expires.as_deref().is_some_and(|last| today > last) {
        return Err(DiscountError::Expired);
    }
    if let Some(min) = discount.min_subtotal {
        if subtotal.minor() < min.minor() {
            return Err(DiscountError::BelowMinimum(min));
        }
    }
    Ok(discount)
}

/// `amount × rate`, rounded half up to the minor unit.
pub fn apply_rate(amount: Money, rate: BasisPoints) -> Result<Money, MoneyError> {
    let product = i128::from(amount.minor()).checked_mul(i128::from(rate.0)).ok_or(MoneyError::Overflow)?;
    let rounded = product.checked_add(5_000).ok_or(MoneyError::Overflow)?.div_euclid(10_000);
    let minor = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
    Ok(Money::new(minor, amount.currency()))
}

/// Every amount of an order, computed on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: Money,
    /// Taken off the merchandise (never more than the subtotal).
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
    pub discount_code: Option<String>,
    pub tax_name: Option<String>,
    pub tax_rate: Option<BasisPoints>,
    pub shipping_name: Option<String>,
}

impl Totals {
    /// The merchandise after its discount: what free shipping and tax are judged on.
    pub fn goods(&self) -> Money {
        goods(self.subtotal, self.discount)
    }
}

/// `subtotal − discount` (a discount is never more than the subtotal; an impossible
/// one counts as the whole subtotal).
fn goods(subtotal: Money, discount: Money) -> Money {
    Money::new(subtotal.minor().saturating_sub(discount.minor()).max(0), subtotal.currency())
}

/// The totals of a cart with an optional discount, shipping rate and tax rate. Tax is
/// charged on the discounted merchandise; shipping is free from the rate's threshold
/// (judged on the discounted subtotal) or with a free-shipping code.
pub fn compute_totals(
    cart: &PricedCart,
    currency: Currency,
    discount: Option<&Discount>,
    shipping: Option<&ShippingRate>,
    tax: Option<&TaxRate>,
) -> Result<Totals, MoneyError> {
    let subtotal = cart.subtotal;
    let zero = Money::zero(currency);
    let discount_amount = match discount.map(|d| &d.kind) {
        Some(DiscountKind::Percent { off }) => apply_rate(subtotal, *off)?,
        Some(DiscountKind::Fixed { off }) => Money::new(off.minor().min(subtotal.minor()).max(0), currency),
        Some(DiscountKind::FreeShipping) | None => zero,
    };
    let goods = goods(subtotal, discount_amount);
    let free_shipping = matches!(discount.map(|d| &d.kind), Some(DiscountKind::FreeShipping));
    let shipping_amount = match shipping {
        Some(_) if free_shipping => zero,
        Some(rate) if rate.free_over.is_some_and(|t| goods.minor() >= t.minor()) => zero,
        Some(rate) => rate.price,
        None => zero,
    };
    let tax_amount = match tax {
        Some(t) => apply_rate(goods, t.rate)?,
        None => zero,
    };
    let total = goods.checked_add(shipping_amount)?.checked_add(tax_amount)?;
    Ok(Totals {
        subtotal,
        discount: discount_amount,
        shipping: shipping_amount,
        tax: tax_amount,
        total,
        discount_code: discount.map(|d| d.code.clone()),
        tax_name: tax.map(|t| t.name.clone()),
        tax_rate: tax.map(|t| t.rate),
        shipping_name: shipping.map(|r| r.name.clone()),
    })
}

/// What a checkout form posts to (`POST /checkout/{action}`): one of the steps, or
/// completing the order. Anything else is not a checkout action (404), never one of
/// these by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckoutAction {
    Step(crate::review::Step),
    Complete,
}

impl CheckoutAction {
    pub fn parse(name: &str) -> Option<CheckoutAction> {
        match name {
            "complete" => Some(CheckoutAction::Complete),
            other => crate::review::Step::parse(other).map(CheckoutAction::Step),
        }
    }
}

/// An idempotency key: 8 to 128 ASCII letters, digits, `-` or `_`. A completion is
/// recorded under one, so the same request sent again answers what the first one did.
/// The shop's own payment form carries the key of the checkout attempt (see
/// `review::CartState::checkout_key`); API clients send theirs in `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 128;

    /// Reads a key exactly as sent.
    pub fn parse(key: &str) -> Result<IdempotencyKey, FieldError> {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if (Self::MIN_LEN..=Self::MAX_LEN).contains(&key.len()) && key.bytes().all(allowed) {
            Ok(IdempotencyKey(key.to_string()))
        } else {
            Err(FieldError::new(
                "idempotency_key",
                "The Idempotency-Key must be 8–128 letters, digits, `-` or `_`.",
            ))
        }
    }

    /// A key made by the shop itself from a digest (always valid: `prefix` is letters).
    pub(crate) fn derived(prefix: &str, digest: &[u8]) -> IdempotencyKey {
        IdempotencyKey(format!("{prefix}-{}", crate::ids::hex(digest)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        IdempotencyKey::parse(&text).map_err(|e| e.message.english())
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> String {
        key.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::{PricedCart, PricedLine};
    use crate::ids::{Handle, Quantity, Sku};
    use proptest::prelude::*;

    proptest! {
        /// A multi-byte character anywhere in an otherwise well-shaped postal code.
        #[test]
        fn postal_codes_with_wide_characters_are_refused(at in 0usize..10, wide in prop_oneof![Just('é'), Just('日'), Just('😀')]) {
            for (country, good) in [("US", "94107-1234"), ("CA", "K1A 0B1"), ("NL", "1012 AB"), ("IE", "D02 X285"), ("DE", "10115")] {
                let mut chars: Vec<char> = good.chars().collect();
                let at = at.min(chars.len().saturating_sub(1));
                chars[at] = wide;
                let code: String = chars.into_iter().collect();
                prop_assert!(!postal_code_ok(country, &code), "{country} {code}");
            }
        }
    }

    #[test]
    fn the_us_zip_plus_four_with_an_accent_was_a_panic() {
        // "1234é5678" is ten bytes; slicing it at byte 5 split the é.
        assert!(!postal_code_ok("US", "1234é5678"));
        assert!(!postal_code_ok("NL", "123é AB"));
        assert!(postal_code_ok("US", "94107-1234") && postal_code_ok("NL", "1012 AB"));
    }

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn cart(subtotal: i64) -> PricedCart {
        PricedCart {
            lines: vec![PricedLine {
                product: Handle::parse("x").unwrap(),
                sku: Sku::parse("X").unwrap(),
                title: "X".into(),
                variant_title: None,
                image: None,
                quantity: Quantity::ONE,
                unit_price: usd(subtotal),
                line_total: usd(subtotal),
                price_was: None,
                short_by: None,
            }],
            unavailable: vec![],
            subtotal: usd(subtotal),
            item_count: 1,
            added_in: None,
        }
    }

    fn rate(price: i64, free_over: Option<i64>) -> ShippingRate {
        ShippingRate {
            id: "std".into(),
            name: "Standard".into(),
            price: usd(price),
            free_over: free_over.map(usd),
            min_days: 1,
            max_days: 2,
        }
    }

    fn tax(bps: u32) -> TaxRate {
        TaxRate {
            country: "US".into(),
            region: Some("CA".into()),
            name: "Sales tax".into(),
            rate: BasisPoints(bps),
        }
    }

    fn discount(kind: DiscountKind) -> Discount {
        Discount { code: "CODE".into(), kind, min_subtotal: None, expires: None }
    }

    #[test]
    fn totals_of_a_typical_order() {
        let d = discount(DiscountKind::Percent { off: BasisPoints(1000) });
        let t =
            compute_totals(&cart(10_000), Currency::USD, Some(&d), Some(&rate(600, None)), Some(&tax(725)))
                .unwrap();
        assert_eq!(t.discount, usd(1_000));
        assert_eq!(t.shipping, usd(600));
        assert_eq!(t.tax, usd(653)); // 7.25 % of 90.00 = 6.525 → 6.53
        assert_eq!(t.total, usd(9_000 + 600 + 653));
    }

    #[test]
    fn free_shipping_by_threshold_and_by_code() {
        let t =
            compute_totals(&cart(10_000), Currency::USD, None, Some(&rate(600, Some(10_000))), None).unwrap();
        assert_eq!(t.shipping, usd(0));
        let t =
            compute_totals(&cart(9_999), Currency::USD, None, Some(&rate(600, Some(10_000))), None).unwrap();
        assert_eq!(t.shipping, usd(600));
        let free = discount(DiscountKind::FreeShipping);
        let t = compute_totals(&cart(500), Currency::USD, Some(&free), Some(&rate(600, None)), None).unwrap();
        assert_eq!((t.shipping, t.discount), (usd(0), usd(0)));
    }

    #[test]
    fn fixed_discounts_never_exceed_the_subtotal() {
        let d = discount(DiscountKind::Fixed { off: usd(5_000) });
        let t = compute_totals(&cart(3_000), Currency::USD, Some(&d), None, Some(&tax(2_000))).unwrap();
        assert_eq!(t.discount, usd(3_000));
        assert_eq!(t.tax, usd(0));
        assert_eq!(t.total, usd(0));
    }

    #[test]
    fn discount_codes_check_expiry_and_minimum() {
        let mut settings = StoreSettings::default();
        settings.discounts.push(Discount {
            code: "SPRING".into(),
            kind: DiscountKind::FreeShipping,
            min_subtotal: Some(usd(5_000)),
            expires: Some("2026-06-30".into()),
        });
        assert!(find_discount(&settings, "spring ", usd(6_000), "2026-06-30").is_ok());
        assert_eq!(find_discount(&settings, "SPRING", usd(6_000), "2026-07-01"), Err(DiscountError::Expired));
        assert_eq!(
            find_discount(&settings, "SPRING", usd(4_999), "2026-01-01"),
            Err(DiscountError::BelowMinimum(usd(5_000)))
        );
        assert_eq!(find_discount(&settings, "AUTUMN", usd(6_000), "2026-01-01"), Err(DiscountError::Unknown));
    }

    #[test]
    fn addresses_are_checked_per_country() {
        let ship = vec!["US".to_string(), "CA".to_string(), "DE".to_string()];
        let good = AddressInput {
            name: " Ada  Lovelace ".into(),
            line1: "1 Main St".into(),
            city: "San Francisco".into(),
            region: "ca".into(),
            postal_code: "94107".into(),
            country: "us".into(),
            ..Default::default()
        };
        let address = good.validate(&ship).unwrap();
        assert_eq!(
            (address.name.as_str(), address.region.as_str(), address.country.as_str()),
            ("Ada Lovelace", "CA", "US")
        );
        let canada = AddressInput {
            region: "ON".into(),
            postal_code: "k1a 0b1".into(),
            country: "CA".into(),
            ..good.clone()
        };
        assert_eq!(canada.validate(&ship).unwrap().postal_code, "K1A 0B1");
        let bad_zip = AddressInput { postal_code: "9410".into(), ..good.clone() };
        assert_eq!(bad_zip.validate(&ship).unwrap_err()[0].field, "postal_code");
        let bad_state = AddressInput { region: "XX".into(), ..good.clone() };
        assert_eq!(bad_state.validate(&ship).unwrap_err()[0].field, "region");
        let nowhere = AddressInput { country: "JP".into(), ..good.clone() };
        assert!(nowhere.validate(&ship).unwrap_err()[0].message.english().contains("We ship to"));
        let empty = AddressInput::default().validate(&ship).unwrap_err();
        let fields: Vec<&str> = empty.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "line1", "city", "country"]);
    }

    #[test]
    fn emails_are_checked() {
        assert!(Email::parse(" ada@example.com ").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@exa mple.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn totals_add_up_and_never_go_negative(
            subtotal in 0_i64..10_000_000,
            percent in 0_u32..=10_000,
            fixed in 0_i64..20_000_000,
            kind in 0_u8..4,
            ship in 0_i64..5_000,
            threshold in proptest::option::of(0_i64..10_000_000),
            bps in 0_u32..=3_000,
        ) {
            let d = match kind {
                0 => None,
                1 => Some(discount(DiscountKind::Percent { off: BasisPoints(percent) })),
                2 => Some(discount(DiscountKind::Fixed { off: usd(fixed) })),
                _ => Some(discount(DiscountKind::FreeShipping)),
            };
            let t = compute_totals(&cart(subtotal), Currency::USD, d.as_ref(), Some(&rate(ship, threshold)), Some(&tax(bps))).unwrap();
            prop_assert!(t.discount.minor() >= 0 && t.discount.minor() <= subtotal);
            prop_assert!(t.shipping.minor() == 0 || t.shipping.minor() == ship);
            prop_assert!(t.tax.minor() >= 0);
            let goods = subtotal - t.discount.minor();
            // Tax is the rate applied to the goods, rounded to the nearest minor unit.
            prop_assert!((t.tax.minor() * 10_000 - goods * i64::from(bps)).abs() <= 5_000);
            prop_assert_eq!(t.total.minor(), goods + t.shipping.minor() + t.tax.minor());
            prop_assert!(t.total.minor() >= 0);
        }

        #[test]
        fn percent_discounts_round_half_up(amount in 0_i64..1_000_000_000, bps in 0_u32..=10_000) {
            let off = apply_rate(usd(amount), BasisPoints(bps)).unwrap();
            let exact = amount as f64 * f64::from(bps) / 10_000.0;
            prop_assert!((off.minor() as f64 - exact).abs() <= 0.5 + 1e-6);
        }
    }
}

//! Markets: where the shop sells, in which currency and languages. The store's settings
//! list its markets (the first is the default); each sells to a set of countries in one
//! currency, in one or more languages. Its prices are the catalog's own (the default
//! market), or the catalog's converted at a fixed rate and rounded by a rule, or an
//! explicit price list — always computed when the catalog is built, in integer minor
//! units, never with floats and never at request time.
//!
//! A market and one of its languages is an *edition* of the shop: the default market
//! in its first language is served unprefixed (`/products/…`), every other edition under
//! its prefix (`/fr-ca/products/…`), so a page is always one edition's.

use crate::money::{Currency, Money, MoneyError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A language of the shop's content: an ISO 639-1 code, two lower-case letters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    pub fn parse(text: &str) -> Option<Language> {
        let ok = text.len() == 2 && text.bytes().all(|b| b.is_ascii_lowercase());
        ok.then(|| Language(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// English, the catalog's language unless the store says otherwise.
    pub fn english() -> Language {
        Language("en".to_string())
    }
}

impl TryFrom<String> for Language {
    type Error = String;
    fn try_from(text: String) -> Result<Language, String> {
        Language::parse(&text)
            .ok_or_else(|| format!("`{text}` is not a language code (two lower-case letters)"))
    }
}

impl From<Language> for String {
    fn from(language: Language) -> String {
        language.0
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A market's id: its URL name, two to eight lower-case letters (`us`, `ca`, `eu`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MarketId(String);

impl MarketId {
    pub fn parse(text: &str) -> Option<MarketId> {
        let ok = (2..=8).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase());
        ok.then(|| MarketId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MarketId {
    type Error = String;
    fn try_from(text: String) -> Result<MarketId, String> {
        MarketId::parse(&text)
            .ok_or_else(|| format!("`{text}` is not a market id (2 to 8 lower-case letters)"))
    }
}

impl From<MarketId> for String {
    fn from(id: MarketId) -> String {
        id.0
    }
}

impl fmt::Display for MarketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An exchange rate, exact: `units` of the market's currency per one unit of the
/// catalog's, as a decimal with at most 6 places (`1.37` is 1370000 millionths).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    millionths: u64,
}

impl Rate {
    const SCALE: u64 = 1_000_000;

    /// `1.37`, `0.92`, `150`: a positive decimal with at most 6 places.
    pub fn parse(text: &str) -> Option<Rate> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 6 || whole.len() > 9 {
            return None;
        }
        if text.ends_with('.') {
            return None;
        }
        let whole: u64 = whole.parse().ok()?;
        let padded = format!("{fraction:0<6}");
        let fraction: u64 = padded.parse().ok()?;
        let millionths = whole.checked_mul(Self::SCALE)?.checked_add(fraction)?;
        (millionths > 0).then_some(Rate { millionths })
    }

    pub fn millionths(&self) -> u64 {
        self.millionths
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.millionths / Self::SCALE;
        let fraction = format!("{:06}", self.millionths % Self::SCALE);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{fraction}")
        }
    }
}

/// How a converted price is rounded, in the market's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rounding {
    /// To the nearest minor unit (half up).
    Nearest,
    /// Up to the nearest price ending in `ending` minor units (`99`: 12.99, 13.99…;
    /// `0`: whole units). Never below the converted amount.
    EndingIn { ending: u32 },
}

impl Rounding {
    /// Whether the rule can be met in `currency` (an ending is below one whole unit).
    pub fn fits(&self, currency: Currency) -> bool {
        match self {
            Rounding::Nearest => true,
            Rounding::EndingIn { ending } => u64::from(*ending) < currency.scale().get(),
        }
    }
}

/// How a market's prices are made from the catalog's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "pricing", rename_all = "snake_case")]
pub enum Pricing {
    /// The catalog's own prices (the default market, in the catalog's currency).
    Catalog,
    /// The catalog's prices times `rate`, rounded by `rounding`.
    Converted { rate: Rate, rounding: Rounding },
}

/// One market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Market {
    pub id: MarketId,
    /// What the selector calls it ("Canada").
    pub name: String,
    /// ISO 3166-1 alpha-2 codes it sells to.
    pub countries: Vec<String>,
    pub currency: Currency,
    /// Its languages, the first its default.
    pub languages: Vec<Language>,
    pub pricing: Pricing,
}

/// Converts `amount` (in the catalog's currency) at `rate` into `to`, rounded by
/// `rounding`: exact integer arithmetic on minor units, whatever the two currencies'
/// exponents.
pub fn convert(amount: Money, rate: Rate, to: Currency, rounding: Rounding) -> Result<Money, MoneyError> {
    let from_scale = i128::from(amount.currency().scale().get());
    let to_scale = i128::from(to.scale().get());
    // minor_to = minor_from × rate × to_scale / from_scale, in millionths of the rate.
    let numerator = i128::from(amount.minor())
        .checked_mul(i128::from(rate.millionths()))
        .and_then(|n| n.checked_mul(to_scale))
        .ok_or(MoneyError::Overflow)?;
    let denominator = from_scale.checked_mul(i128::from(Rate::SCALE)).ok_or(MoneyError::Overflow)?;
    let overflow = || MoneyError::Overflow;
    let minor = match rounding {
        Rounding::Nearest => {
            // Half up, away from zero for negative amounts.
            let half = denominator.checked_div(2).ok_or_else(overflow)?;
            let biased =
                if numerator >= 0 { numerator.checked_add(half) } else { numerator.checked_sub(half) };
            biased.and_then(|b| b.checked_div(denominator)).ok_or_else(overflow)?
        }
        Rounding::EndingIn { ending } => {
            let ending = i128::from(ending);
            if ending >= to_scale {
                return Err(MoneyError::BadAmount(format!(
                    "an ending of {ending} is not below one {}",
                    to.code()
                )));
            }
            // The exact amount, rounded up to a minor unit (never below the conversion).
            let whole_minor = numerator.checked_div_euclid(denominator).ok_or_else(overflow)?;
            let remainder = numerator.checked_rem_euclid(denominator).ok_or_else(overflow)?;
            let up = whole_minor.checked_add(i128::from(remainder != 0)).ok_or_else(overflow)?;
            let whole = up.checked_div_euclid(to_scale).ok_or_else(overflow)?;
            let candidate =
                whole.checked_mul(to_scale).and_then(|c| c.checked_add(ending)).ok_or_else(overflow)?;
            if candidate >= up {
                candidate
            } else {
                candidate.checked_add(to_scale).ok_or_else(overflow)?
            }
        }
    };
    let minor = i64::try_from(minor).map_err(|_| MoneyError::Overflow)?;
    Ok(Money::new(minor, to))
}

/// A market in one of its languages: one edition of the shop.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edition {
    pub market: MarketId,
    pub language: Language,
}

impl Edition {
    /// The URL path segment of a prefixed edition: `{language}-{market}` (`fr-ca`).
    pub fn segment(&self) -> String {
        format!("{}-{}", self.language, self.market)
    }

    /// The edition a path's first segment names, if it has that shape.
    pub fn parse_segment(segment: &str) -> Option<Edition> {
        let (language, market) = segment.split_once('-')?;
        Some(Edition { market: MarketId::parse(market)?, language: Language::parse(language)? })
    }
}

/// One edition as pages link to it (`hreflang` alternates, the market selector).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionLink {
    /// Its URL segment; empty for the default edition, served unprefixed.
    pub segment: String,
    /// Its BCP 47 tag for `hreflang`: the language and the market's first country
    /// (`fr-CA`).
    pub hreflang: String,
    /// What the selector shows: `Canada (CAD) · Français`.
    pub label: String,
}

/// A language's own name, for the selector (its code when not listed).
pub fn language_name(language: &Language) -> &str {
    match language.as_str() {
        "en" => "English",
        "fr" => "Français",
        "de" => "Deutsch",
        "es" => "Español",
        "it" => "Italiano",
        "nl" => "Nederlands",
        "pt" => "Português",
        other => other,
    }
}

/// Every edition of `markets` as pages link to it, the default (first market, first
/// language) first and unprefixed; none when there is only that one.
pub fn edition_links(markets: &[Market]) -> Vec<EditionLink> {
    let mut links = Vec::new();
    for (m, market) in markets.iter().enumerate() {
        for (l, language) in market.languages.iter().enumerate() {
            let edition = Edition { market: market.id.clone(), language: language.clone() };
            let country = market.countries.first().map(String::as_str).unwrap_or("");
            links.push(EditionLink {
                segment: if m == 0 && l == 0 { String::new() } else { edition.segment() },
                hreflang: if country.is_empty() {
                    language.to_string()
                } else {
                    format!("{language}-{country}")
                },
                label: format!("{} ({}) · {}", market.name, market.currency.code(), language_name(language)),
            });
        }
    }
    if links.len() < 2 {
        links.clear();
    }
    links
}

/// What the paths of the edition with URL segment `segment` start with: `/fr-ca`;
/// nothing for the default edition (empty segment).
pub fn base_path(segment: &str) -> String {
    if segment.is_empty() {
        String::new()
    } else {
        format!("/{segment}")
    }
}

/// Paths that are the same in every edition: static files, the merchant's area, the
/// API and webhooks, and the crawler files at the root.
const SHARED_ROOTS: [&str; 10] = [
    "/pkg/",
    "/images/",
    "/static/",
    "/styles.css",
    "/favicon.svg",
    "/admin",
    "/api/",
    "/webhooks/",
    "/robots.txt",
    "/sitemap.xml",
];

/// Whether `path` (starting with `/`) names the same thing in every edition.
fn is_shared_path(path: &str) -> bool {
    SHARED_ROOTS.iter().any(|root| {
        path.strip_prefix(root.trim_end_matches('/'))
            .is_some_and(|rest| rest.is_empty() || root.ends_with('/') || rest.starts_with(['/', '?', '#']))
    })
}

/// A shop path as the edition whose paths start with `base` (`/fr-ca`; empty for the
/// default edition) links to it: `/products/x` → `/fr-ca/products/x`, `/` → `/fr-ca`.
/// Shared paths (static files, the merchant's area, the API), paths already in the
/// edition, and anything not a site-absolute path are kept as they are.
pub fn path_in_edition(base: &str, path: &str) -> String {
    let local = path.starts_with('/') && !path.starts_with("//");
    let already =
        path.strip_prefix(base).is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']));
    if base.is_empty() || !local || already || is_shared_path(path) {
        return path.to_string();
    }
    match path.strip_prefix('/') {
        Some(rest) if rest.is_empty() || rest.starts_with(['?', '#']) => format!("{base}{rest}"),
        _ => format!("{base}{path}"),
    }
}

/// An HTML page rendered with default-edition links, as the edition whose paths start
/// with `base` serves it: every `href="/…"` and `action="/…"` goes through
/// [`path_in_edition`] (absolute URLs, such as the other editions' alternates, are kept).
pub fn links_in_edition(html: &str, base: &str) -> String {
    if base.is_empty() {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len().saturating_add(html.len() / 16));
    let mut rest = html;
    loop {
        let next = ["href=\"/", "action=\"/"]
            .iter()
            .filter_map(|attr| rest.find(attr).map(|at| (at, attr.len().saturating_sub(1))))
            .min();
        let Some((at, attr_len)) = next else {
            out.push_str(rest);
            return out;
        };
        let value_start = at.saturating_add(attr_len);
        let (Some(before), Some(value_and_after)) = (rest.get(..value_start), rest.get(value_start..)) else {
            out.push_str(rest);
            return out;
        };
        out.push_str(before);
        let end = value_and_after.find('"').unwrap_or(value_and_after.len());
        let (value, after) = value_and_after.split_at(end);
        out.push_str(&path_in_edition(base, value));
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn currency(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn rates_are_exact_decimals() {
        assert_eq!(Rate::parse("1.37").map(|r| r.millionths()), Some(1_370_000));
        assert_eq!(Rate::parse("150").map(|r| r.millionths()), Some(150_000_000));
        assert_eq!(Rate::parse("0.000001").map(|r| r.millionths()), Some(1));
        for bad in ["", "0", "0.0", "-1", "1.", ".5", "1.2345678", "1e3", "1,37", "abc", "１.３"] {
            assert_eq!(Rate::parse(bad), None, "{bad}");
        }
        assert_eq!(Rate::parse("1.370").unwrap().to_string(), "1.37");
        assert_eq!(Rate::parse("2").unwrap().to_string(), "2");
    }

    #[test]
    fn conversion_is_integer_arithmetic_between_exponents() {
        let rate = Rate::parse("1.37").unwrap();
        // $89.00 × 1.37 = CA$121.93
        assert_eq!(convert(usd(8900), rate, currency("CAD"), Rounding::Nearest).unwrap().minor(), 12193);
        // $0.01 × 1.37 = 0.0137 → 0.01
        assert_eq!(convert(usd(1), rate, currency("CAD"), Rounding::Nearest).unwrap().minor(), 1);
        // To a currency without minor units: $89.00 × 150 = ¥13,350
        let yen =
            convert(usd(8900), Rate::parse("150").unwrap(), currency("JPY"), Rounding::Nearest).unwrap();
        assert_eq!((yen.minor(), yen.currency()), (13350, currency("JPY")));
        // To three decimals: $1.00 × 0.3 = 0.300 KWD
        let dinar =
            convert(usd(100), Rate::parse("0.3").unwrap(), currency("KWD"), Rounding::Nearest).unwrap();
        assert_eq!(dinar.minor(), 300);
        // Half up.
        assert_eq!(
            convert(usd(5), Rate::parse("0.1").unwrap(), Currency::USD, Rounding::Nearest).unwrap().minor(),
            1
        );
    }

    #[test]
    fn charm_endings_never_go_below_the_conversion() {
        let cad = currency("CAD");
        let rate = Rate::parse("1.37").unwrap();
        let ending = |e| Rounding::EndingIn { ending: e };
        assert_eq!(convert(usd(8900), rate, cad, ending(99)).unwrap().minor(), 12199);
        assert_eq!(convert(usd(8900), rate, cad, ending(0)).unwrap().minor(), 12200);
        // Already ending so: kept.
        assert_eq!(
            convert(usd(1299), Rate::parse("1").unwrap(), Currency::USD, ending(99)).unwrap().minor(),
            1299
        );
        // Just past an ending: the next one.
        assert_eq!(
            convert(usd(1300), Rate::parse("1").unwrap(), Currency::USD, ending(99)).unwrap().minor(),
            1399
        );
        assert!(convert(usd(100), rate, cad, ending(100)).is_err(), "an ending of a whole unit");
        assert!(!ending(5).fits(currency("JPY")) && ending(0).fits(currency("JPY")) && ending(99).fits(cad));
    }

    #[test]
    fn editions_are_named_language_then_market() {
        let edition = Edition::parse_segment("fr-ca").unwrap();
        assert_eq!((edition.language.as_str(), edition.market.as_str()), ("fr", "ca"));
        assert_eq!(edition.segment(), "fr-ca");
        for bad in ["", "fr", "frca", "FR-ca", "fr-CA", "fra-ca", "fr-c", "products", "fr-ca-x", "é-ca"] {
            assert_eq!(Edition::parse_segment(bad), None, "{bad}");
        }
    }

    #[test]
    fn editions_link_to_each_other_by_language_and_country() {
        let market = |id: &str, name: &str, country: &str, currency: &str, languages: &[&str]| Market {
            id: MarketId::parse(id).unwrap(),
            name: name.into(),
            countries: vec![country.into()],
            currency: Currency::parse(currency).unwrap(),
            languages: languages.iter().map(|l| Language::parse(l).unwrap()).collect(),
            pricing: Pricing::Catalog,
        };
        let links = edition_links(&[
            market("us", "United States", "US", "USD", &["en"]),
            market("ca", "Canada", "CA", "CAD", &["en", "fr"]),
        ]);
        let segments: Vec<&str> = links.iter().map(|l| l.segment.as_str()).collect();
        assert_eq!(segments, ["", "en-ca", "fr-ca"]);
        let tags: Vec<&str> = links.iter().map(|l| l.hreflang.as_str()).collect();
        assert_eq!(tags, ["en-US", "en-CA", "fr-CA"]);
        assert_eq!(links[2].label, "Canada (CAD) · Français");
        assert!(
            edition_links(&[market("us", "United States", "US", "USD", &["en"])]).is_empty(),
            "one edition: none"
        );
    }

    #[test]
    fn markets_round_trip_as_json() {
        let market = Market {
            id: MarketId::parse("ca").unwrap(),
            name: "Canada".into(),
            countries: vec!["CA".into()],
            currency: currency("CAD"),
            languages: vec![Language::parse("en").unwrap(), Language::parse("fr").unwrap()],
            pricing: Pricing::Converted {
                rate: Rate::parse("1.37").unwrap(),
                rounding: Rounding::EndingIn { ending: 99 },
            },
        };
        let text = serde_json::to_string(&market).unwrap();
        assert_eq!(serde_json::from_str::<Market>(&text).unwrap(), market);
        assert!(serde_json::from_str::<Language>("\"EN\"").is_err());
    }

    #[test]
    fn an_edition_links_to_its_own_pages_and_shares_the_rest() {
        let base = "/fr-ca";
        for (path, expected) in [
            ("/", "/fr-ca"),
            ("/?q=1", "/fr-ca?q=1"),
            ("/products/daypack", "/fr-ca/products/daypack"),
            ("/cart", "/fr-ca/cart"),
            ("/search?q=sac", "/fr-ca/search?q=sac"),
            ("/fr-ca/cart", "/fr-ca/cart"),
            ("/fr-ca", "/fr-ca"),
            ("/fr-cafe", "/fr-ca/fr-cafe"),
            ("/styles.css", "/styles.css"),
            ("/pkg/storefront_islands.js", "/pkg/storefront_islands.js"),
            ("/images/a.svg", "/images/a.svg"),
            ("/admin", "/admin"),
            ("/admin/orders", "/admin/orders"),
            ("/administrators", "/fr-ca/administrators"),
            ("/api/v1/carts", "/api/v1/carts"),
            ("/sitemap.xml", "/sitemap.xml"),
            ("https://shop.test/", "https://shop.test/"),
            ("//elsewhere.test/x", "//elsewhere.test/x"),
            ("#main", "#main"),
        ] {
            assert_eq!(path_in_edition(base, path), expected, "{path}");
        }
        assert_eq!(path_in_edition("", "/cart"), "/cart");
        let html = r##"<a href="/">Home</a><a href="#main">skip</a><link href="/styles.css"><form action="/cart/add"><a href="https://x.test/en-ca">CA</a><img src="/images/a.svg"><p>href="/x"</p>"##;
        assert_eq!(
            links_in_edition(html, base),
            r##"<a href="/fr-ca">Home</a><a href="#main">skip</a><link href="/styles.css"><form action="/fr-ca/cart/add"><a href="https://x.test/en-ca">CA</a><img src="/images/a.svg"><p>href="/fr-ca/x"</p>"##
        );
        assert_eq!(links_in_edition("<a href=\"/é", base), "<a href=\"/fr-ca/é");
        assert_eq!(links_in_edition(html, ""), html);
    }

    proptest! {
        #[test]
        fn links_in_edition_never_panics_and_only_grows(html in ".{0,200}") {
            let out = links_in_edition(&html, "/fr-ca");
            prop_assert!(out.len() >= html.len());
            prop_assert_eq!(links_in_edition(&html, ""), html);
        }

        #[test]
        fn conversion_keeps_order_and_endings(a in 0i64..10_000_000, b in 0i64..10_000_000, rate in 1u64..5_000_000, ending in 0u32..100) {
            let rate = Rate { millionths: rate };
            let cad = currency("CAD");
            let (low, high) = (a.min(b), a.max(b));
            for rounding in [Rounding::Nearest, Rounding::EndingIn { ending }] {
                let l = convert(usd(low), rate, cad, rounding).unwrap().minor();
                let h = convert(usd(high), rate, cad, rounding).unwrap().minor();
                prop_assert!(l <= h, "a dearer price never converts cheaper");
            }
            let charm = convert(usd(a), rate, cad, Rounding::EndingIn { ending }).unwrap().minor();
            prop_assert_eq!(charm.rem_euclid(100), i64::from(ending));
            // Never below the exact conversion, and less than one whole unit above it.
            let exact = i128::from(a) * i128::from(rate.millionths);
            prop_assert!(i128::from(charm) * 1_000_000 >= exact);
            prop_assert!(i128::from(charm) * 1_000_000 < exact + 100 * 1_000_000 + 1_000_000);
        }
    }
}

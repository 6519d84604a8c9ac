//! Validation: turns drafts into domain values, reporting *every* problem with its
//! `file:line` and a plain-English fix. Nothing is built while any problem remains.

use crate::images::ImageCatalog;
use crate::markdown;
use crate::source::CategoryText;
use crate::source::{
    Amount, At, CatalogDraft, CategoryDraft, MenuDraft, PageDraft, Problems, ProductDraft, StoreDraft,
    VariantDraft,
};
use shared::markets::{Language, Market, MarketId};
use shared::settings::{
    BasisPoints, Discount, DiscountKind, ShippingRate, ShippingZone, StoreSettings, TaxRate,
};
use shared::{ContentPage, Currency, Handle, Image, MenuLink, Money, ProductOption, Sku, Variant};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A category with its tree links resolved.
#[derive(Clone)]
pub struct CategoryNode {
    pub handle: Handle,
    pub title: String,
    pub description: String,
    pub parent: Option<Handle>,
    pub image: Option<Image>,
    /// Its text in the markets' other languages.
    pub translations: BTreeMap<Language, CategoryText>,
}

/// A product's text in another language, checked: its description sanitized HTML.
#[derive(Clone, Default)]
pub struct ValidText {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description_html: Option<String>,
    pub options: BTreeMap<String, String>,
    pub values: BTreeMap<String, String>,
}

/// A product that passed validation; its description is sanitized HTML.
#[derive(Clone)]
pub struct ValidProduct {
    pub handle: Handle,
    pub title: String,
    pub vendor: String,
    pub summary: String,
    pub description_html: String,
    pub created: String,
    pub categories: Vec<Handle>,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    pub images: Vec<Image>,
    /// Its text in the markets' other languages.
    pub translations: BTreeMap<Language, ValidText>,
    /// Price lists: by market, each listed variant's price (by SKU) in the market's
    /// currency, used instead of the conversion.
    pub listed: BTreeMap<MarketId, BTreeMap<String, Money>>,
}

#[derive(Clone)]
pub struct ValidCatalog {
    pub store_name: String,
    pub tagline: String,
    pub currency: Currency,
    pub settings: StoreSettings,
    /// The markets, the first the default (one for everything shipped to when the
    /// store lists none).
    pub markets: Vec<Market>,
    /// The language the catalog is written in.
    pub language: Language,
    /// Text in the markets' other languages besides products' and categories': the
    /// tagline, content pages (whole), menu titles (by their title in the catalog's
    /// language).
    pub tagline_translations: BTreeMap<Language, String>,
    pub page_translations: BTreeMap<Language, Vec<ContentPage>>,
    pub menu_translations: BTreeMap<Language, BTreeMap<String, String>>,
    /// Interface strings by language (`strings/{language}.toml`), by their English text.
    pub string_translations: BTreeMap<Language, BTreeMap<String, String>>,
    /// The interface strings of the edition being built (empty: English, the default).
    pub strings: BTreeMap<String, String>,
    pub categories: Vec<CategoryNode>,
    pub products: Vec<ValidProduct>,
    pub pages: Vec<ContentPage>,
    pub header_menu: Vec<MenuLink>,
    pub footer_menu: Vec<MenuLink>,
    pub featured_products: Vec<Handle>,
    pub featured_collections: Vec<Handle>,
}

const HANDLE_FIX: &str = "use lowercase words joined by single hyphens, like `winter-coats`";
const PRICE_FIX: &str = "write prices in minor units (cents) as a whole number: 8900 means 89.00";

/// Reads an amount of money; `what` names it in messages.
fn money(
    file: &Path,
    at: &At<Amount>,
    currency: Currency,
    what: &str,
    problems: &mut Problems,
) -> Option<Money> {
    match &at.value {
        Amount::Minor(m) if *m >= 0 => Some(Money::new(*m, currency)),
        Amount::Minor(m) => {
            problems.add(file, at.line, format!("{what} `{m}` is negative"), PRICE_FIX);
            None
        }
        Amount::Decimal(d) => {
            let hint = Money::parse_decimal(d, currency)
                .map(|m| format!("write {} for {d}", m.minor()))
                .unwrap_or_else(|_| PRICE_FIX.to_string());
            problems.add(
                file,
                at.line,
                format!("{what} `{d}` has a decimal point, but prices here are in minor units"),
                hint,
            );
            None
        }
        Amount::Invalid(text) => {
            problems.add(file, at.line, format!("{what} `{text}` is not a price"), PRICE_FIX);
            None
        }
    }
}

/// A whole number 0 … u32::MAX (stock, grams).
fn count(file: &Path, at: &At<Amount>, what: &str, fix: &str, problems: &mut Problems) -> Option<u32> {
    match &at.value {
        Amount::Minor(m) => match u32::try_from(*m) {
            Ok(v) => Some(v),
            Err(_) => {
                problems.add(file, at.line, format!("{what} `{m}` is not a whole number from 0 up"), fix);
                None
            }
        },
        Amount::Decimal(d) | Amount::Invalid(d) => {
            problems.add(file, at.line, format!("{what} `{d}` is not a whole number"), fix);
            None
        }
    }
}

/// `YYYY-MM-DD` with a real month and day.
pub fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok()).flatten()
    };
    match (number(y, 4), number(m, 2), number(d, 2)) {
        (Some(_), Some(m), Some(d)) => (1..=12).contains(&m) && (1..=31).contains(&d),
        _ => false,
    }
}

fn handle(file: &Path, at: &At<String>, what: &str, problems: &mut Problems) -> Option<Handle> {
    match Handle::parse(at.value.trim()) {
        Ok(h) => Some(h),
        Err(e) => {
            problems.add(file, at.line, format!("{what}: {e}"), HANDLE_FIX);
            None
        }
    }
}

pub(crate) fn country_code(file: &Path, at: &At<String>, problems: &mut Problems) -> Option<String> {
    let code = at.value.trim();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Some(code.to_string())
    } else {
        problems.add(
            file,
            at.line,
            format!("`{code}` is not a country code"),
            "use two capital letters (ISO 3166), like `US` or `DE`",
        );
        None
    }
}

fn validate_settings(store: &StoreDraft, currency: Currency, problems: &mut Problems) -> StoreSettings {
    let file = &store.file;
    let mut settings = StoreSettings::default();
    let mut rate_ids = HashSet::new();
    let mut countries_seen: HashMap<String, String> = HashMap::new();
    for zone in &store.shipping_zones {
        let countries: Vec<String> =
            zone.countries.iter().filter_map(|c| country_code(file, c, problems)).collect();
        for (code, at) in countries.iter().zip(&zone.countries) {
            if let Some(other) = countries_seen.insert(code.clone(), zone.name.value.clone()) {
                problems.add(
                    file,
                    at.line,
                    format!("country {code} is in two shipping zones ({other} and {})", zone.name.value),
                    "list each country in one zone only",
                );
            }
        }
        if zone.rates.is_empty() {
            problems.add(
                file,
                zone.name.line,
                format!("shipping zone `{}` has no rates", zone.name.value),
                "add at least one [[shipping_zones.rates]] entry",
            );
        }
        let mut rates = Vec::new();
        for rate in &zone.rates {
            if Handle::parse(&rate.id.value).is_err() || !rate_ids.insert(rate.id.value.clone()) {
                problems.add(
                    file,
                    rate.id.line,
                    format!("shipping rate id `{}` is not a unique handle", rate.id.value),
                    "give each rate its own id, like `standard` or `express`",
                );
            }
            if rate.min_days > rate.max_days {
                problems.add(
                    file,
                    rate.id.line,
                    format!("rate `{}` has min_days above max_days", rate.id.value),
                    "make min_days ≤ max_days",
                );
            }
            let price = money(file, &rate.price, currency, "shipping price", problems);
            let free_over = rate
                .free_over
                .as_ref()
                .and_then(|f| money(file, f, currency, "free-shipping threshold", problems));
            if let Some(price) = price {
                rates.push(ShippingRate {
                    id: rate.id.value.clone(),
                    name: rate.name.trim().to_string(),
                    price,
                    free_over,
                    min_days: rate.min_days,
                    max_days: rate.max_days,
                });
            }
        }
        settings.shipping_zones.push(ShippingZone {
            name: zone.name.value.trim().to_string(),
            countries,
            rates,
        });
    }
    let mut tax_regions = HashSet::new();
    for tax in &store.tax_rates {
        let country = country_code(file, &tax.country, problems);
        let region = tax.region.as_ref().map(|r| r.value.trim().to_ascii_uppercase());
        let rate = BasisPoints::parse_percent(&tax.rate.value);
        if rate.is_none() {
            problems.add(
                file,
                tax.rate.line,
                format!("tax rate `{}` is not a percentage", tax.rate.value),
                "write it like \"7.25%\" (0–100, at most two decimals)",
            );
        }
        if let Some(country) = &country {
            if !tax_regions.insert((country.clone(), region.clone())) {
                problems.add(
                    file,
                    tax.country.line,
                    format!(
                        "two tax rates for {country}{}",
                        region.as_ref().map(|r| format!("-{r}")).unwrap_or_default()
                    ),
                    "keep one rate per country and region",
                );
            }
        }
        if let (Some(country), Some(rate)) = (country, rate) {
            settings.tax_rates.push(TaxRate { country, region, name: tax.name.trim().to_string(), rate });
        }
    }
    let mut codes = HashSet::new();
    for d in &store.discounts {
        let code = d.code.value.trim().to_ascii_uppercase();
        let code_ok = (3..=32).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !code_ok {
            problems.add(
                file,
                d.code.line,
                format!("discount code `{}` is not valid", d.code.value),
                "use 3–32 letters, digits, `-` or `_`, like `WELCOME10`",
            );
        } else if !codes.insert(code.clone()) {
            problems.add(
                file,
                d.code.line,
                format!("discount code `{code}` is listed twice"),
                "keep one entry per code",
            );
        }
        let kind = match d.kind.value.as_str() {
            "percent" => match d.percent.as_ref().map(|p| (p, BasisPoints::parse_percent(&p.value))) {
                Some((_, Some(off))) if off.0 > 0 => Some(DiscountKind::Percent { off }),
                Some((p, _)) => {
                    problems.add(
                        file,
                        p.line,
                        format!("discount percent `{}` is not a percentage above 0", p.value),
                        "write it like \"10%\"",
                    );
                    None
                }
                None => {
                    problems.add(
                        file,
                        d.kind.line,
                        format!("percent discount `{code}` has no `percent`"),
                        "add `percent = \"10%\"`",
                    );
                    None
                }
            },
            "fixed" => match &d.amount {
                Some(a) => money(file, a, currency, "discount amount", problems)
                    .map(|off| DiscountKind::Fixed { off }),
                None => {
                    problems.add(
                        file,
                        d.kind.line,
                        format!("fixed discount `{code}` has no `amount`"),
                        "add `amount = 500` (minor units)",
                    );
                    None
                }
            },
            "free_shipping" => Some(DiscountKind::FreeShipping),
            other => {
                problems.add(
                    file,
                    d.kind.line,
                    format!("discount kind `{other}` is unknown"),
                    "use `percent`, `fixed` or `free_shipping`",
                );
                None
            }
        };
        let min_subtotal =
            d.min_subtotal.as_ref().and_then(|m| money(file, m, currency, "minimum subtotal", problems));
        if let Some(e) = &d.expires {
            if !is_date(&e.value) {
                problems.add(
                    file,
                    e.line,
                    format!("expiry `{}` is not a date", e.value),
                    "write it as YYYY-MM-DD",
                );
            }
        }
        if let (Some(kind), true) = (kind, code_ok) {
            settings.discounts.push(Discount {
                code,
                kind,
                min_subtotal,
                expires: d.expires.as_ref().map(|e| e.value.clone()),
            });
        }
    }
    settings
}

/// The language of a translation (`[translations.fr]`), if it is a code and some market
/// other than in the catalog's own language sells in it (`sold`).
fn translated_language(
    file: &Path,
    line: Option<usize>,
    code: &str,
    sold: &HashSet<Language>,
    what: &str,
    problems: &mut Problems,
) -> Option<Language> {
    match Language::parse(code) {
        Some(language) if sold.contains(&language) => Some(language),
        Some(language) => {
            problems.add(
                file,
                line,
                format!("{what} is translated into `{language}`, which no market sells in"),
                "add the language to a market's `languages` in store.toml, or remove the translation",
            );
            None
        }
        None => {
            problems.add(
                file,
                line,
                format!("{what}: `{code}` is not a language code"),
                "name translations by two lower-case letters (ISO 639-1), like `[translations.fr]`",
            );
            None
        }
    }
}

fn validate_categories(
    file: &Path,
    drafts: &[CategoryDraft],
    images: &mut ImageCatalog,
    sold: &HashSet<Language>,
    problems: &mut Problems,
) -> Vec<CategoryNode> {
    let mut nodes: Vec<CategoryNode> = Vec::new();
    let mut lines: HashMap<String, Option<usize>> = HashMap::new();
    for c in drafts {
        let Some(h) = handle(file, &c.handle, "category handle", problems) else {
            continue;
        };
        if let Some(first) = lines.get(h.as_str()) {
            problems.add(
                file,
                c.handle.line,
                format!("category `{h}` is defined twice (first at line {})", first.unwrap_or(0)),
                "give each category its own handle, or merge the two",
            );
            continue;
        }
        lines.insert(h.to_string(), c.handle.line);
        if c.title.value.trim().is_empty() {
            problems.add(
                file,
                c.title.line,
                format!("category `{h}` has an empty title"),
                "give it a title shoppers will see",
            );
        }
        let image = c.image.as_ref().and_then(|src| images.image(file, src, String::new(), problems));
        let translations = c
            .translations
            .iter()
            .filter_map(|(code, text)| {
                let language = translated_language(
                    file,
                    c.handle.line,
                    code,
                    sold,
                    &format!("category `{h}`"),
                    problems,
                )?;
                Some((language, text.clone()))
            })
            .collect();
        nodes.push(CategoryNode {
            handle: h,
            title: c.title.value.trim().to_string(),
            description: c.description.trim().to_string(),
            parent: c.parent.as_ref().and_then(|p| Handle::parse(p.value.trim()).ok()),
            image,
            translations,
        });
    }
    for c in drafts {
        let Some(parent) = &c.parent else { continue };
        if !nodes.iter().any(|n| n.handle.as_str() == parent.value.trim()) {
            problems.add(
                file,
                parent.line,
                format!(
                    "category `{}` names parent `{}`, which does not exist",
                    c.handle.value, parent.value
                ),
                "use the handle of another category, or remove `parent` to make it top level",
            );
        }
    }
    for node in &nodes {
        let mut seen = vec![&node.handle];
        let mut current = node.parent.as_ref();
        while let Some(parent) = current {
            if seen.contains(&parent) {
                problems.add(
                    file,
                    lines.get(node.handle.as_str()).copied().flatten(),
                    format!("category `{}` is its own ancestor (the parents loop)", node.handle),
                    "break the loop by changing one category's `parent`",
                );
                break;
            }
            seen.push(parent);
            current = nodes.iter().find(|n| &n.handle == parent).and_then(|n| n.parent.as_ref());
        }
    }
    nodes
}

/// The position among the product's `[[images]]` of the picture variant `v` names.
fn variant_image(p: &ProductDraft, v: &VariantDraft, problems: &mut Problems) -> Option<u32> {
    let src = v.image.as_ref()?;
    let wanted = src.value.trim();
    match p.images.iter().position(|image| image.src.value.trim() == wanted) {
        Some(i) => u32::try_from(i).ok(),
        None => {
            problems.add(
                &p.file,
                src.line,
                format!(
                    "variant `{}` shows image `{wanted}`, which the product does not list",
                    v.sku.value.trim()
                ),
                "add it to the product's [[images]], or give the `src` of one of them",
            );
            None
        }
    }
}

/// Where each SKU was first seen, for the duplicate message.
type SeenSkus = HashMap<String, (PathBuf, Option<usize>)>;

fn validate_variant(
    p: &ProductDraft,
    v: &VariantDraft,
    options: &[ProductOption],
    currency: Currency,
    seen: &mut SeenSkus,
    problems: &mut Problems,
) -> Option<Variant> {
    let file = &p.file;
    let before = problems.len();
    let sku = match Sku::parse(v.sku.value.trim()) {
        Ok(s) => Some(s),
        Err(e) => {
            problems.add(
                file,
                v.sku.line,
                e.to_string(),
                "use letters, digits and hyphens, like `TEE-M-NAVY`",
            );
            None
        }
    };
    if let Some(sku) = &sku {
        match seen.get(sku.as_str()) {
            Some((first_file, first_line)) => problems.add(
                file,
                v.sku.line,
                format!(
                    "duplicate SKU `{sku}` (also used at {}:{})",
                    first_file.display(),
                    first_line.unwrap_or(0)
                ),
                "every variant in the shop needs its own SKU",
            ),
            None => {
                seen.insert(sku.to_string(), (file.clone(), v.sku.line));
            }
        }
    }
    if v.options.len() != options.len() {
        let names: Vec<&str> = options.iter().map(|o| o.name.as_str()).collect();
        let fix = if options.is_empty() {
            "add [[options]] to the product (like Size) before giving variants option values".to_string()
        } else {
            format!("give one value per option, in order: {}", names.join(", "))
        };
        problems.add(
            file,
            v.sku.line,
            format!(
                "variant `{}` has {} option value(s) but the product has {} option(s)",
                v.sku.value,
                v.options.len(),
                options.len()
            ),
            fix,
        );
    } else {
        for (value, option) in v.options.iter().zip(options) {
            if !option.values.iter().any(|allowed| allowed == value.value.trim()) {
                problems.add(
                    file,
                    value.line,
                    format!("`{}` is not a value of option {}", value.value, option.name),
                    format!("use one of: {}", option.values.join(", ")),
                );
            }
        }
    }
    let price = match &v.price {
        Some(p) => money(file, p, currency, "price", problems),
        None => {
            problems.add(
                file,
                v.sku.line,
                format!("variant `{}` has no price", v.sku.value),
                "set `price` on the variant or in [defaults]",
            );
            None
        }
    };
    let compare_at =
        v.compare_at.as_ref().and_then(|c| money(file, c, currency, "compare-at price", problems));
    let weight = v
        .weight
        .as_ref()
        .map_or(Some(0), |w| count(file, w, "weight", "write the weight in whole grams", problems));
    let stock = v
        .stock
        .as_ref()
        .map_or(Some(0), |s| count(file, s, "stock", "write how many are on hand: 0 or more", problems));
    if problems.len() > before {
        return None;
    }
    Some(Variant {
        sku: sku?,
        options: v.options.iter().map(|o| o.value.trim().to_string()).collect(),
        price: price?,
        compare_at,
        weight_grams: weight?,
        stock: stock?,
        image: None,
    })
}

/// The catalog's interface strings (`strings/{language}.toml`), by language: each key one
/// of the shop's strings (`shared::strings::UI_STRINGS`), its translation not empty and
/// with the same `{placeholders}`.
fn interface_strings(
    drafts: &[crate::source::StringsDraft],
    sold: &HashSet<Language>,
    problems: &mut Problems,
) -> BTreeMap<Language, BTreeMap<String, String>> {
    let mut by_language = BTreeMap::new();
    for draft in drafts {
        let what = "the shop's interface strings";
        let Some(language) = translated_language(&draft.file, None, &draft.language, sold, what, problems)
        else {
            continue;
        };
        let mut strings = BTreeMap::new();
        for (english, text) in &draft.entries {
            if !shared::strings::UI_STRINGS.contains(&english.as_str()) {
                let near: Vec<&str> = shared::strings::UI_STRINGS
                    .iter()
                    .filter(|s| s.to_lowercase().trim() == english.to_lowercase().trim())
                    .copied()
                    .collect();
                let fix = match near.first() {
                    Some(exact) => format!("write it exactly as the shop does: \"{exact}\""),
                    None => "use the English text exactly as listed in README.md (\"Interface strings\")"
                        .to_string(),
                };
                problems.add(
                    &draft.file,
                    text.line,
                    format!("\"{english}\" is not one of the shop's interface strings"),
                    fix,
                );
                continue;
            }
            let wanted: BTreeSet<&str> = shared::strings::placeholders(english).into_iter().collect();
            let given: BTreeSet<&str> = shared::strings::placeholders(&text.value).into_iter().collect();
            if text.value.trim().is_empty() {
                problems.add(
                    &draft.file,
                    text.line,
                    format!("\"{english}\" is translated as nothing"),
                    "write its translation, or leave the line out",
                );
            } else if wanted != given {
                let names: Vec<String> = wanted.iter().map(|n| format!("{{{n}}}")).collect();
                problems.add(
                    &draft.file,
                    text.line,
                    format!("the translation of \"{english}\" must keep its placeholders"),
                    if names.is_empty() {
                        "write it without {…} placeholders".to_string()
                    } else {
                        format!("use {} where the values go", names.join(" and "))
                    },
                );
            } else {
                strings.insert(english.clone(), text.value.clone());
            }
        }
        by_language.insert(language, strings);
    }
    by_language
}

/// A product's price lists: each variant's `prices = { ca = 17999 }`, for markets other
/// than the default (whose price is `price`), in the market's currency.
fn price_lists(
    p: &ProductDraft,
    markets: &[Market],
    problems: &mut Problems,
) -> BTreeMap<MarketId, BTreeMap<String, Money>> {
    let mut lists: BTreeMap<MarketId, BTreeMap<String, Money>> = BTreeMap::new();
    for v in &p.variants {
        for (id, amount) in &v.prices {
            let found = markets.iter().position(|m| m.id.as_str() == id.trim());
            let Some(market) = found.filter(|at| *at > 0).and_then(|at| markets.get(at)) else {
                let others: Vec<String> = markets.iter().skip(1).map(|m| m.id.to_string()).collect();
                let fix = match found {
                    Some(_) => "the default market's price is the variant's `price`".to_string(),
                    None if others.is_empty() => {
                        "declare the market in store.toml (`[[markets]]`) first".to_string()
                    }
                    None => format!("list prices for the store's other markets: {}", others.join(", ")),
                };
                problems.add(
                    &p.file,
                    amount.line,
                    format!("`{id}` is not a market with its own prices"),
                    fix,
                );
                continue;
            };
            let what = format!("price for market `{id}`");
            if let Some(price) = money(&p.file, amount, market.currency, &what, problems) {
                lists.entry(market.id.clone()).or_default().insert(v.sku.value.trim().to_string(), price);
            }
        }
    }
    lists
}

#[allow(clippy::too_many_arguments)]
fn validate_product(
    p: &ProductDraft,
    currency: Currency,
    categories: &HashSet<&str>,
    images: &mut ImageCatalog,
    seen: &mut SeenSkus,
    sold: &HashSet<Language>,
    markets: &[Market],
    problems: &mut Problems,
) -> Option<ValidProduct> {
    let file = &p.file;
    let before = problems.len();
    let product_handle = match Handle::parse(p.handle.value.trim()) {
        Ok(h) => Some(h),
        Err(e) if p.handle.line.is_none() => {
            problems.add(
                file,
                None,
                format!("the file name gives the handle: {e}"),
                "rename the file to lowercase words joined by hyphens, like `wool-socks.toml`",
            );
            None
        }
        Err(e) => {
            problems.add(file, p.handle.line, format!("product handle: {e}"), HANDLE_FIX);
            None
        }
    };
    if p.title.value.trim().is_empty() {
        problems.add(
            file,
            p.title.line,
            format!("product `{}` has an empty title", p.handle.value),
            "give it a title shoppers will see",
        );
    }
    if let Some(c) = &p.created {
        if !is_date(c.value.trim()) {
            problems.add(
                file,
                c.line,
                format!("`{}` is not a date", c.value),
                "write the date added as YYYY-MM-DD",
            );
        }
    }
    let mut product_categories = Vec::new();
    for c in &p.categories {
        if categories.contains(c.value.trim()) {
            if let Ok(h) = Handle::parse(c.value.trim()) {
                product_categories.push(h);
            }
        } else {
            problems.add(
                file,
                c.line,
                format!("unknown category `{}`", c.value),
                "use the handle of a category in categories.toml, or add the category there",
            );
        }
    }
    let product_images: Vec<Image> = p
        .images
        .iter()
        .filter_map(|img| {
            let alt = if img.alt.trim().is_empty() {
                p.title.value.trim().to_string()
            } else {
                img.alt.trim().to_string()
            };
            images.image(file, &img.src, alt, problems)
        })
        .collect();
    let mut options: Vec<ProductOption> = Vec::new();
    for option in &p.options {
        let name = option.name.value.trim();
        if name.is_empty() {
            problems.add(file, option.name.line, "an option has no name", "name it, like `Size` or `Colour`");
        } else if options.iter().any(|o| o.name == name) {
            problems.add(
                file,
                option.name.line,
                format!("option `{name}` is listed twice"),
                "keep one entry per option",
            );
        }
        let mut values: Vec<String> = Vec::new();
        for value in &option.values {
            let v = value.value.trim().to_string();
            if v.is_empty() || values.contains(&v) {
                problems.add(
                    file,
                    value.line,
                    format!("option `{name}` has an empty or repeated value"),
                    "list each value once",
                );
            }
            values.push(v);
        }
        if values.is_empty() {
            problems.add(
                file,
                option.name.line,
                format!("option `{name}` has no values"),
                "list its values, like `values = [\"S\", \"M\", \"L\"]`",
            );
        }
        options.push(ProductOption { name: name.to_string(), values });
    }
    if p.variants.is_empty() {
        problems.add(
            file,
            p.title.line,
            format!("product `{}` has no variants", p.handle.value),
            "add at least one variant with a SKU and a price",
        );
    }
    if options.is_empty() && p.variants.len() > 1 {
        problems.add(
            file,
            p.variants[1].sku.line,
            format!("product `{}` has several variants but no options to tell them apart", p.handle.value),
            "add options (like Size) and give each variant its option values",
        );
    }
    let mut variants = Vec::new();
    let mut combinations: HashSet<Vec<String>> = HashSet::new();
    for v in &p.variants {
        if let Some(mut variant) = validate_variant(p, v, &options, currency, seen, problems) {
            variant.image = variant_image(p, v, problems);
            if !options.is_empty() && !combinations.insert(variant.options.clone()) {
                problems.add(
                    file,
                    v.sku.line,
                    format!("another variant already has the options {}", variant.options.join(" / ")),
                    "give each variant a different combination of option values",
                );
            }
            variants.push(variant);
        }
    }
    let mut translations = BTreeMap::new();
    for (code, text) in &p.translations {
        let what = format!("product `{}`", p.handle.value);
        let Some(language) = translated_language(file, p.line, code, sold, &what, problems) else { continue };
        for name in text.options.keys() {
            if !options.iter().any(|o| &o.name == name) {
                problems.add(
                    file,
                    p.line,
                    format!(
                        "{what}: its `{language}` text translates option `{name}`, which it does not have"
                    ),
                    "translate the product's own option names (as written in `[[options]]`)",
                );
            }
        }
        for value in text.values.keys() {
            if !options.iter().any(|o| o.values.contains(value)) {
                problems.add(
                    file,
                    p.line,
                    format!("{what}: its `{language}` text translates option value `{value}`, which it does not have"),
                    "translate the product's own option values (as written in `[[options]]`)",
                );
            }
        }
        translations.insert(
            language,
            ValidText {
                title: text.title.as_ref().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
                summary: text.summary.as_ref().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
                description_html: text.description.as_deref().map(markdown::to_safe_html),
                options: text.options.clone(),
                values: text.values.clone(),
            },
        );
    }
    let listed = price_lists(p, markets, problems);
    if problems.len() > before {
        return None;
    }
    Some(ValidProduct {
        handle: product_handle?,
        title: p.title.value.trim().to_string(),
        vendor: p.vendor.trim().to_string(),
        summary: p.summary.trim().to_string(),
        description_html: markdown::to_safe_html(&p.description),
        created: p.created.as_ref().map(|c| c.value.trim().to_string()).unwrap_or_default(),
        categories: product_categories,
        options,
        variants,
        images: product_images,
        translations,
        listed,
    })
}

/// Does an internal link lead to a page the catalog has?
fn link_exists(
    href: &str,
    categories: &HashSet<&str>,
    products: &HashSet<&str>,
    pages: &HashSet<&str>,
) -> bool {
    if href == "/"
        || href == "/cart"
        || href == "/search"
        || href.starts_with("https://")
        || href.starts_with("mailto:")
    {
        return true;
    }
    if let Some(h) = href.strip_prefix("/collections/") {
        return categories.contains(h);
    }
    if let Some(h) = href.strip_prefix("/products/") {
        return products.contains(h);
    }
    if let Some(h) = href.strip_prefix("/pages/") {
        return pages.contains(h);
    }
    false
}

fn validate_menu(
    file: &Path,
    items: &[MenuDraft],
    targets: (&HashSet<&str>, &HashSet<&str>, &HashSet<&str>),
    problems: &mut Problems,
) -> Vec<MenuLink> {
    let mut links = Vec::new();
    for item in items {
        let href = item.href.value.trim();
        if !link_exists(href, targets.0, targets.1, targets.2) {
            problems.add(file, item.href.line, format!("menu link `{href}` leads nowhere"), "link to `/`, `/cart`, `/search`, `/collections/HANDLE`, `/products/HANDLE`, `/pages/HANDLE` or a full https:// address");
        }
        if item.title.trim().is_empty() {
            problems.add(
                file,
                item.href.line,
                "a menu link has no title",
                "give it the text shoppers will see",
            );
        }
        links.push(MenuLink { title: item.title.trim().to_string(), href: href.to_string() });
    }
    links
}

fn validate_page(page: &PageDraft, problems: &mut Problems) -> Option<ContentPage> {
    let before = problems.len();
    let h = handle(
        &page.file,
        &At::new(page.handle.clone(), None),
        "the file name gives the page handle",
        problems,
    );
    if page.title.value.trim().is_empty() {
        problems.add(
            &page.file,
            page.title.line,
            "the page has an empty title",
            "set `title = \"…\"` in the front matter",
        );
    }
    if problems.len() > before {
        return None;
    }
    Some(ContentPage {
        handle: h?,
        title: page.title.value.trim().to_string(),
        description: page.description.trim().to_string(),
        body_html: markdown::to_safe_html(&page.body),
    })
}

pub fn validate(draft: &CatalogDraft, public: &Path, problems: &mut Problems) -> Option<ValidCatalog> {
    let store = &draft.store;
    let currency = match Currency::parse(store.currency.value.trim()) {
        Ok(c) => Some(c),
        Err(e) => {
            problems.add(
                &store.file,
                store.currency.line,
                e.to_string(),
                "write an ISO 4217 code such as `USD`, `EUR` or `GBP`",
            );
            None
        }
    };
    if store.name.value.trim().is_empty() {
        problems.add(&store.file, store.name.line, "the store has no name", "set `name = \"Your Shop\"`");
    }
    let currency_or_usd = currency.unwrap_or(Currency::USD);
    let settings = validate_settings(store, currency_or_usd, problems);
    let shipped: HashSet<String> =
        settings.shipping_zones.iter().flat_map(|z| z.countries.iter().cloned()).collect();
    let markets = crate::markets::validate_markets(store, currency_or_usd, &shipped, problems);

    let mut images = ImageCatalog::new(public);
    // The languages translations may be in: every market's but the catalog's own.
    let catalog_language = crate::markets::catalog_language(store, &mut Problems::default());
    let sold: HashSet<Language> =
        markets.iter().flat_map(|m| m.languages.iter().cloned()).filter(|l| *l != catalog_language).collect();
    let categories =
        validate_categories(&draft.categories_file, &draft.categories, &mut images, &sold, problems);
    let category_handles: HashSet<&str> = categories.iter().map(|c| c.handle.as_str()).collect();

    let mut seen_skus = SeenSkus::new();
    let mut seen_handles: HashMap<String, (PathBuf, Option<usize>)> = HashMap::new();
    let mut products = Vec::with_capacity(draft.products.len());
    for p in &draft.products {
        let key = p.handle.value.trim().to_string();
        if let Some((first, line)) = seen_handles.get(&key) {
            problems.add(
                &p.file,
                p.handle.line,
                format!(
                    "product `{key}` is defined twice (also at {}:{})",
                    first.display(),
                    line.unwrap_or(1)
                ),
                "give each product its own handle",
            );
            continue;
        }
        seen_handles.insert(key, (p.file.clone(), p.handle.line));
        if let Some(valid) = validate_product(
            p,
            currency_or_usd,
            &category_handles,
            &mut images,
            &mut seen_skus,
            &sold,
            &markets,
            problems,
        ) {
            products.push(valid);
        }
    }
    let product_handles: HashSet<&str> = draft.products.iter().map(|p| p.handle.value.trim()).collect();
    let pages: Vec<ContentPage> = draft
        .pages
        .iter()
        .filter(|p| p.language.is_none())
        .filter_map(|p| validate_page(p, problems))
        .collect();
    let mut page_translations: BTreeMap<Language, Vec<ContentPage>> = BTreeMap::new();
    for page in draft.pages.iter().filter(|p| p.language.is_some()) {
        let code = page.language.clone().unwrap_or_default();
        let what = format!("page `{}`", page.handle);
        let Some(language) = translated_language(&page.file, Some(1), &code, &sold, &what, problems) else {
            continue;
        };
        if !pages.iter().any(|p| p.handle.as_str() == page.handle) {
            problems.add(
                &page.file,
                Some(1),
                format!("`{code}` text of page `{}`, which has none in the catalog's language", page.handle),
                format!("add pages/{}.md, or rename this file", page.handle),
            );
            continue;
        }
        if let Some(valid) = validate_page(page, problems) {
            page_translations.entry(language).or_default().push(valid);
        }
    }
    // The interface is written in English: every other language the shop is shown in
    // may have its strings, the catalog's own included.
    let mut interface_languages = sold.clone();
    interface_languages.insert(catalog_language.clone());
    interface_languages.remove(&Language::english());
    let string_translations = interface_strings(&draft.strings, &interface_languages, problems);
    let mut tagline_translations = BTreeMap::new();
    for (code, text) in &store.translations {
        let Some(language) = translated_language(&store.file, None, code, &sold, "the store", problems)
        else {
            continue;
        };
        if let Some(tagline) = text.tagline.as_ref().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
            tagline_translations.insert(language, tagline);
        }
    }
    let mut menu_translations: BTreeMap<Language, BTreeMap<String, String>> = BTreeMap::new();
    if let Some(menus) = &draft.menus {
        for item in menus.header.iter().chain(&menus.footer) {
            for (code, title) in &item.translations {
                let what = format!("menu link `{}`", item.title.trim());
                let Some(language) =
                    translated_language(&menus.file, item.href.line, code, &sold, &what, problems)
                else {
                    continue;
                };
                menu_translations
                    .entry(language)
                    .or_default()
                    .insert(item.title.trim().to_string(), title.trim().to_string());
            }
        }
    }
    let page_handles: HashSet<&str> = pages.iter().map(|p| p.handle.as_str()).collect();

    let mut featured_products = Vec::new();
    for f in &store.featured_products {
        match Handle::parse(f.value.trim()).ok().filter(|h| product_handles.contains(h.as_str())) {
            Some(h) => featured_products.push(h),
            None => problems.add(
                &store.file,
                f.line,
                format!("featured product `{}` does not exist", f.value),
                "use the handle (file name without .toml) of a product",
            ),
        }
    }
    let mut featured_collections = Vec::new();
    for f in &store.featured_collections {
        match Handle::parse(f.value.trim()).ok().filter(|h| category_handles.contains(h.as_str())) {
            Some(h) => featured_collections.push(h),
            None => problems.add(
                &store.file,
                f.line,
                format!("featured collection `{}` does not exist", f.value),
                "use the handle of a category in categories.toml",
            ),
        }
    }
    let targets = (&category_handles, &product_handles, &page_handles);
    let (header_menu, footer_menu) = match &draft.menus {
        Some(menus) => (
            validate_menu(&menus.file, &menus.header, targets, problems),
            validate_menu(&menus.file, &menus.footer, targets, problems),
        ),
        None => {
            let top: Vec<MenuLink> = categories
                .iter()
                .filter(|c| c.parent.is_none())
                .map(|c| MenuLink { title: c.title.clone(), href: format!("/collections/{}", c.handle) })
                .collect();
            let mut footer: Vec<MenuLink> = pages
                .iter()
                .map(|p| MenuLink { title: p.title.clone(), href: format!("/pages/{}", p.handle) })
                .collect();
            footer.push(MenuLink { title: "Cart".into(), href: "/cart".into() });
            (top, footer)
        }
    };

    if !problems.is_empty() {
        return None;
    }
    let valid = ValidCatalog {
        store_name: store.name.value.trim().to_string(),
        tagline: store.tagline.trim().to_string(),
        currency: currency?,
        settings,
        markets,
        language: catalog_language,
        tagline_translations,
        page_translations,
        menu_translations,
        string_translations,
        strings: BTreeMap::new(),
        categories,
        products,
        pages,
        header_menu,
        footer_menu,
        featured_products,
        featured_collections,
    };
    // Every market's prices are made now, so a build never meets one it cannot make.
    for (market, at) in valid.markets.iter().zip(&store.markets).skip(1) {
        if let Err(e) = crate::editions::priced_for(&valid, market) {
            problems.add(
                &store.file,
                at.id.line,
                format!("market `{}`: its prices cannot be made ({e})", market.id),
                "check its rate: converted prices must stay within 64 bits of minor units",
            );
        }
    }
    problems.is_empty().then_some(valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked() {
        assert!(is_date("2026-11-25"));
        for bad in ["2026-13-01", "2026-1-01", "26-01-01", "2026-01-32", "yesterday", ""] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}

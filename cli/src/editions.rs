//! The shop's editions: each market in each of its languages. The default edition is the
//! catalog as written; every other one is built from a copy of it priced for its market
//! ([`priced_for`]) — prices converted when the catalog is built, in integer minor
//! units, so the worker never converts anything at request time.

use crate::validate::ValidCatalog;
use shared::markets::{convert, Edition, Language, Market, Pricing, Rounding};
use shared::money::{Money, MoneyError};
use shared::settings::DiscountKind;

/// Every edition of the catalog's markets, the default first (the first market in its
/// first language, served unprefixed).
pub fn editions(catalog: &ValidCatalog) -> Vec<Edition> {
    catalog
        .markets
        .iter()
        .flat_map(|m| m.languages.iter().map(|l| Edition { market: m.id.clone(), language: l.clone() }))
        .collect()
}

/// The catalog as `market` sells it: its currency; every product price from the market's
/// price list, or converted by its rule (and compare-at prices converted); shipping prices, free-shipping thresholds and
/// fixed discounts converted to the nearest minor unit (a charm ending is for shelf
/// prices, not fees); only the shipping zones and tax rates of its countries.
pub fn priced_for(catalog: &ValidCatalog, market: &Market) -> Result<ValidCatalog, MoneyError> {
    let mut priced = catalog.clone();
    let (rate, rounding) = match market.pricing {
        Pricing::Catalog => (None, Rounding::Nearest),
        Pricing::Converted { rate, rounding } => (Some(rate), rounding),
    };
    let to = market.currency;
    let shelf = |m: Money| match rate {
        Some(rate) => convert(m, rate, to, rounding),
        None => Ok(m),
    };
    let fee = |m: Money| match rate {
        Some(rate) => convert(m, rate, to, Rounding::Nearest),
        None => Ok(m),
    };
    priced.currency = to;
    for product in &mut priced.products {
        let listed = product.listed.get(&market.id);
        for variant in &mut product.variants {
            // The market's price list wins over the conversion.
            let price = match listed.and_then(|prices| prices.get(variant.sku.as_str())) {
                Some(price) => *price,
                None => shelf(variant.price)?,
            };
            // A compare-at price is converted, and kept only above the price.
            let compare_at =
                variant.compare_at.map(shelf).transpose()?.filter(|was| was.minor() > price.minor());
            variant.price = price;
            variant.compare_at = compare_at;
        }
    }
    let sells_to = |country: &String| market.countries.contains(country);
    priced.settings.shipping_zones.retain_mut(|zone| {
        zone.countries.retain(sells_to);
        !zone.countries.is_empty()
    });
    for zone in &mut priced.settings.shipping_zones {
        for rate in &mut zone.rates {
            rate.price = fee(rate.price)?;
            rate.free_over = rate.free_over.map(fee).transpose()?;
        }
    }
    priced.settings.tax_rates.retain(|t| sells_to(&t.country));
    for discount in &mut priced.settings.discounts {
        discount.min_subtotal = discount.min_subtotal.map(fee).transpose()?;
        if let DiscountKind::Fixed { off } = &mut discount.kind {
            *off = fee(*off)?;
        }
    }
    Ok(priced)
}

/// The catalog in `language`: every product's and category's translated text where it
/// has one, the catalog's own where not (the catalog's own language changes nothing).
/// Option names and values are translated in the options and in every variant.
pub fn translated(catalog: &ValidCatalog, language: &Language) -> ValidCatalog {
    let mut out = catalog.clone();
    // The interface strings in `language`, the catalog's own included (a shop written in
    // French has its pages' words in French too).
    out.strings = catalog.string_translations.get(language).cloned().unwrap_or_default();
    out.language = language.clone();
    if *language == catalog.language {
        return out;
    }
    for product in &mut out.products {
        let Some(text) = product.translations.get(language) else { continue };
        if let Some(title) = &text.title {
            product.title = title.clone();
        }
        if let Some(summary) = &text.summary {
            product.summary = summary.clone();
        }
        if let Some(html) = &text.description_html {
            product.description_html = html.clone();
        }
        let value = |v: &String| text.values.get(v).cloned().unwrap_or_else(|| v.clone());
        for option in &mut product.options {
            if let Some(name) = text.options.get(&option.name) {
                option.name = name.clone();
            }
            option.values = option.values.iter().map(value).collect();
        }
        for variant in &mut product.variants {
            variant.options = variant.options.iter().map(value).collect();
        }
    }
    if let Some(tagline) = catalog.tagline_translations.get(language) {
        out.tagline = tagline.clone();
    }
    if let Some(pages) = catalog.page_translations.get(language) {
        for page in &mut out.pages {
            if let Some(text) = pages.iter().find(|p| p.handle == page.handle) {
                *page = text.clone();
            }
        }
    }
    if let Some(titles) = catalog.menu_translations.get(language) {
        for link in out.header_menu.iter_mut().chain(out.footer_menu.iter_mut()) {
            if let Some(title) = titles.get(&link.title) {
                link.title = title.clone();
            }
        }
    }
    for category in &mut out.categories {
        let Some(text) = category.translations.get(language) else { continue };
        if let Some(title) = text.title.as_ref().filter(|t| !t.trim().is_empty()) {
            category.title = title.trim().to_string();
        }
        if let Some(description) = &text.description {
            category.description = description.trim().to_string();
        }
    }
    out
}

/// What has no translation into a language some market sells in, as lines for
/// `catalog validate` (such text is shown in the catalog's language).
pub fn missing_translations(catalog: &ValidCatalog) -> Vec<String> {
    let mut languages: Vec<&Language> =
        catalog.markets.iter().flat_map(|m| m.languages.iter()).filter(|l| **l != catalog.language).collect();
    languages.sort();
    languages.dedup();
    let mut missing = Vec::new();
    for language in languages {
        for product in &catalog.products {
            let text = product.translations.get(language);
            let mut fields = Vec::new();
            if text.is_none_or(|t| t.title.is_none()) {
                fields.push("title");
            }
            if text.is_none_or(|t| t.description_html.is_none()) && !product.description_html.is_empty() {
                fields.push("description");
            }
            if !fields.is_empty() {
                missing.push(format!("{language}: product `{}` ({})", product.handle, fields.join(", ")));
            }
        }
        for category in &catalog.categories {
            if category.translations.get(language).is_none_or(|t| t.title.is_none()) {
                missing.push(format!("{language}: category `{}` (title)", category.handle));
            }
        }
        let pages = catalog.page_translations.get(language);
        for page in &catalog.pages {
            if pages.is_none_or(|p| !p.iter().any(|t| t.handle == page.handle)) {
                missing.push(format!(
                    "{language}: page `{}` (pages/{}.{language}.md)",
                    page.handle, page.handle
                ));
            }
        }
        let titles = catalog.menu_translations.get(language);
        for link in catalog.header_menu.iter().chain(&catalog.footer_menu) {
            if titles.is_none_or(|t| !t.contains_key(&link.title)) {
                missing.push(format!("{language}: menu link `{}`", link.title));
            }
        }
        if !catalog.tagline.is_empty() && !catalog.tagline_translations.contains_key(language) {
            missing.push(format!("{language}: the store's tagline"));
        }
    }
    // The shop's own words are English in the code: every other language sold needs
    // them, the catalog's own included.
    let mut sold: Vec<&Language> = catalog
        .markets
        .iter()
        .flat_map(|m| m.languages.iter())
        .filter(|l| **l != Language::english())
        .collect();
    sold.sort();
    sold.dedup();
    for language in sold {
        let strings = catalog.string_translations.get(language);
        let untranslated = shared::strings::UI_STRINGS
            .iter()
            .filter(|s| strings.is_none_or(|t| !t.contains_key(**s)))
            .count();
        if untranslated > 0 {
            missing.push(format!(
                "{language}: {untranslated} of {} interface strings (strings/{language}.toml)",
                shared::strings::UI_STRINGS.len()
            ));
        }
    }
    missing
}

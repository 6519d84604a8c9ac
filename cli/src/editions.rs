//! The shop's editions: each market in each of its languages. The default edition is the
//! catalog as written; every other one is built from a copy of it priced for its market
//! ([`priced_for`]) — prices converted when the catalog is built, in integer minor
//! units, so the worker never converts anything at request time.

use crate::validate::ValidCatalog;
use shared::markets::{convert, Edition, Market, Pricing, Rounding};
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

/// The catalog as `market` sells it: its currency; every product price and compare-at
/// price converted by the market's rule; shipping prices, free-shipping thresholds and
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
        for variant in &mut product.variants {
            variant.price = shelf(variant.price)?;
            variant.compare_at = variant.compare_at.map(shelf).transpose()?;
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

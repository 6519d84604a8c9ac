//! The store's markets (`[[markets]]` in `store.toml`), checked: ids, countries (each in
//! one market, each shipped to), currencies, languages, and how prices are made — the
//! first market sells at the catalog's own prices in the catalog's currency; any other
//! in another currency needs an exact `rate` and a `rounding` rule the currency can
//! meet. A store without `[[markets]]` has one market, everything it ships to, in the
//! catalog's currency and language.

use crate::source::{At, MarketDraft, Problems, StoreDraft};
use crate::validate::country_code;
use shared::markets::{Language, Market, MarketId, Pricing, Rate, Rounding};
use shared::money::Currency;
use std::collections::{HashMap, HashSet};

const ROUNDING_FIX: &str =
    "write `rounding = \"nearest\"` (to the cent) or `rounding = \"ending-99\"` (up to the next price ending in .99; `ending-0` for whole units)";

/// `nearest` or `ending-NN`.
pub fn parse_rounding(text: &str) -> Option<Rounding> {
    match text.trim() {
        "nearest" => Some(Rounding::Nearest),
        other => {
            let ending = other.strip_prefix("ending-")?;
            (!ending.is_empty() && ending.len() <= 4 && ending.bytes().all(|b| b.is_ascii_digit()))
                .then(|| ending.parse().ok())
                .flatten()
                .map(|ending| Rounding::EndingIn { ending })
        }
    }
}

/// The catalog's language (`language = "en"` in `store.toml`, `en` when unset).
pub fn catalog_language(store: &StoreDraft, problems: &mut Problems) -> Language {
    let english = Language::english();
    match &store.language {
        None => english,
        Some(at) => Language::parse(at.value.trim()).unwrap_or_else(|| {
            problems.add(
                &store.file,
                at.line,
                format!("`{}` is not a language code", at.value),
                LANGUAGE_FIX,
            );
            english
        }),
    }
}

const LANGUAGE_FIX: &str = "use two lower-case letters (ISO 639-1), like `en` or `fr`";

fn language(store: &StoreDraft, at: &At<String>, problems: &mut Problems) -> Option<Language> {
    let parsed = Language::parse(at.value.trim());
    if parsed.is_none() {
        problems.add(&store.file, at.line, format!("`{}` is not a language code", at.value), LANGUAGE_FIX);
    }
    parsed
}

/// How market `draft` (not the first) makes its prices from the catalog's.
fn pricing(
    store: &StoreDraft,
    draft: &MarketDraft,
    currency: Currency,
    catalog: Currency,
    problems: &mut Problems,
) -> Option<Pricing> {
    let file = &store.file;
    let rate = match &draft.rate {
        None if currency == catalog => return Some(Pricing::Catalog),
        None => {
            problems.add(
                file,
                draft.id.line,
                format!(
                    "market `{}` sells in {} but has no rate from {}",
                    draft.id.value,
                    currency.code(),
                    catalog.code()
                ),
                format!(
                    "add `rate = \"1.37\"`: how many {} one {} is worth",
                    currency.code(),
                    catalog.code()
                ),
            );
            return None;
        }
        Some(at) => match Rate::parse(&at.value) {
            Some(rate) => rate,
            None => {
                problems.add(
                    file,
                    at.line,
                    format!("`{}` is not an exchange rate", at.value),
                    "write a positive decimal with at most 6 places, in quotes, like `rate = \"1.37\"`",
                );
                return None;
            }
        },
    };
    let rounding = match &draft.rounding {
        None => Rounding::Nearest,
        Some(at) => match parse_rounding(&at.value).filter(|r| r.fits(currency)) {
            Some(rounding) => rounding,
            None => {
                problems.add(
                    file,
                    at.line,
                    format!("`{}` is not a rounding rule {} can follow", at.value, currency.code()),
                    ROUNDING_FIX,
                );
                return None;
            }
        },
    };
    Some(Pricing::Converted { rate, rounding })
}

/// The store's markets, the first the default; problems are added for what is wrong.
/// `shipped` are the countries the shipping zones cover.
pub fn validate_markets(
    store: &StoreDraft,
    catalog: Currency,
    shipped: &HashSet<String>,
    problems: &mut Problems,
) -> Vec<Market> {
    let file = &store.file;
    let catalog_language = catalog_language(store, problems);
    if store.markets.is_empty() {
        let mut countries: Vec<String> = shipped.iter().cloned().collect();
        countries.sort();
        let id = MarketId::parse("default");
        return id
            .map(|id| Market {
                id,
                name: store.name.value.trim().to_string(),
                countries,
                currency: catalog,
                languages: vec![catalog_language],
                pricing: Pricing::Catalog,
            })
            .into_iter()
            .collect();
    }
    let mut markets = Vec::new();
    let mut ids: HashSet<String> = HashSet::new();
    let mut sold_by: HashMap<String, String> = HashMap::new();
    for (index, draft) in store.markets.iter().enumerate() {
        let id = MarketId::parse(draft.id.value.trim());
        if id.is_none() {
            problems.add(
                file,
                draft.id.line,
                format!("`{}` is not a market id", draft.id.value),
                "use 2 to 8 lower-case letters, like `us` or `ca`: it becomes part of the market's URLs",
            );
        }
        if !ids.insert(draft.id.value.trim().to_string()) {
            problems.add(
                file,
                draft.id.line,
                format!("market `{}` is defined twice", draft.id.value),
                "give each market its own id",
            );
        }
        if draft.name.trim().is_empty() {
            problems.add(
                file,
                draft.id.line,
                format!("market `{}` has no name", draft.id.value),
                "set `name = \"Canada\"`",
            );
        }
        let currency = match &draft.currency {
            None => Some(catalog),
            Some(at) => match Currency::parse(at.value.trim()) {
                Ok(currency) => Some(currency),
                Err(e) => {
                    problems.add(
                        file,
                        at.line,
                        e.to_string(),
                        "write an ISO 4217 code such as `CAD` or `EUR`",
                    );
                    None
                }
            },
        };
        if draft.countries.is_empty() {
            problems.add(
                file,
                draft.id.line,
                format!("market `{}` sells to no country", draft.id.value),
                "list its countries, like `countries = [\"CA\"]`",
            );
        }
        let mut countries = Vec::new();
        for at in &draft.countries {
            let Some(code) = country_code(file, at, problems) else { continue };
            if let Some(other) = sold_by.insert(code.clone(), draft.id.value.clone()) {
                problems.add(
                    file,
                    at.line,
                    format!("country {code} is in two markets ({other} and {})", draft.id.value),
                    "list each country in one market only",
                );
            }
            if !shipped.contains(&code) {
                problems.add(
                    file,
                    at.line,
                    format!("market `{}` sells to {code}, which no shipping zone covers", draft.id.value),
                    "add the country to a [[shipping_zones]] entry, or take it out of the market",
                );
            }
            countries.push(code);
        }
        if draft.languages.is_empty() {
            problems.add(
                file,
                draft.id.line,
                format!("market `{}` has no language", draft.id.value),
                "list its languages, the first its default, like `languages = [\"en\", \"fr\"]`",
            );
        }
        let languages: Vec<Language> =
            draft.languages.iter().filter_map(|l| language(store, l, problems)).collect();
        let pricing = match (index, currency) {
            (0, Some(currency)) => {
                if currency != catalog || draft.rate.is_some() {
                    problems.add(
                        file,
                        draft.id.line,
                        format!(
                            "the first market, `{}`, is the default: it sells at the catalog's own prices",
                            draft.id.value
                        ),
                        format!(
                            "give it the catalog's currency ({}) and no rate, or put another market first",
                            catalog.code()
                        ),
                    );
                }
                if languages.first().is_some_and(|l| *l != catalog_language) {
                    problems.add(
                        file,
                        draft.id.line,
                        format!(
                            "the default market's first language is not the catalog's ({catalog_language})"
                        ),
                        "list the catalog's language first in the first market",
                    );
                }
                Some(Pricing::Catalog)
            }
            (_, Some(currency)) => pricing(store, draft, currency, catalog, problems),
            (_, None) => None,
        };
        if let (Some(id), Some(currency), Some(pricing)) = (id, currency, pricing) {
            markets.push(Market {
                id,
                name: draft.name.trim().to_string(),
                countries,
                currency,
                languages,
                pricing,
            });
        }
    }
    markets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_rules_read_as_written() {
        assert_eq!(parse_rounding("nearest"), Some(Rounding::Nearest));
        assert_eq!(parse_rounding("ending-99"), Some(Rounding::EndingIn { ending: 99 }));
        assert_eq!(parse_rounding(" ending-0 "), Some(Rounding::EndingIn { ending: 0 }));
        for bad in ["", "ending-", "ending-x", "ending--1", "up", "ending-99999", "Nearest"] {
            assert_eq!(parse_rounding(bad), None, "{bad}");
        }
    }
}

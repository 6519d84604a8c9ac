//! Collection listings at any catalog size: the per-collection index the catalog build
//! writes (one KV document), and the query the worker runs over it — filters by option
//! values, price range and stock, five sort orders, and stable numbered pages.
//!
//! Products are referred to by *position* in the collection's merchant ("featured")
//! order; `cards[position]` is the product's card ordinal (KV key `card:{n}`).

use crate::money::{format_decimal, Currency, Money};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Products per listing page.
pub const PAGE_SIZE: usize = 24;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListingIndex {
    /// Card ordinal of each position, in featured order.
    pub cards: Vec<u32>,
    /// Lowest variant price of each position, in minor units.
    pub prices: Vec<i64>,
    /// Positions with nothing in stock (usually few).
    pub sold_out: Vec<u32>,
    /// Positions sorted by price, lowest first (ties in featured order).
    pub by_price: Vec<u32>,
    /// Positions sorted by title.
    pub by_name: Vec<u32>,
    /// Positions sorted by date added, newest first.
    pub by_newest: Vec<u32>,
    pub facets: Vec<Facet>,
}

/// One option (such as Size) and, for each value, the positions offering it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Facet {
    pub name: String,
    pub values: Vec<FacetValue>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    /// Ascending positions.
    pub positions: Vec<u32>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortOrder {
    #[default]
    Featured,
    PriceAsc,
    PriceDesc,
    Newest,
    Name,
}

impl SortOrder {
    pub const ALL: [SortOrder; 5] =
        [SortOrder::Featured, SortOrder::PriceAsc, SortOrder::PriceDesc, SortOrder::Newest, SortOrder::Name];

    /// The value in URLs (`?sort=price-asc`).
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Featured => "featured",
            SortOrder::PriceAsc => "price-asc",
            SortOrder::PriceDesc => "price-desc",
            SortOrder::Newest => "newest",
            SortOrder::Name => "name",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortOrder::Featured => "Featured",
            SortOrder::PriceAsc => "Price, low to high",
            SortOrder::PriceDesc => "Price, high to low",
            SortOrder::Newest => "Newest",
            SortOrder::Name => "Name, A–Z",
        }
    }

    pub fn parse(text: &str) -> Option<SortOrder> {
        SortOrder::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What the shopper asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListingQuery {
    /// Facet name and the values chosen in it: any chosen value matches (OR within a
    /// facet), every facet must match (AND across facets).
    pub filters: Vec<(String, Vec<String>)>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock_only: bool,
    pub sort: SortOrder,
    /// 1-based.
    pub page: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingPage {
    /// Products matching the filters, over all pages.
    pub total: usize,
    pub page: u32,
    pub page_count: u32,
    /// Card ordinals on this page, in display order.
    pub cards: Vec<u32>,
    /// For each facet and value: how many products would match if it were chosen,
    /// given every *other* facet's choice.
    pub facet_counts: Vec<Vec<usize>>,
}

/// A fixed-size set of positions.
#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn empty(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    fn full(n: usize) -> Bits {
        let mut bits = Bits(vec![u64::MAX; n.div_ceil(64)]);
        let rest = n % 64;
        if rest != 0 {
            if let Some(last) = bits.0.last_mut() {
                // The low `rest` bits (0 < rest < 64).
                *last = u64::MAX >> (64_usize.saturating_sub(rest));
            }
        }
        bits
    }

    fn set(&mut self, i: usize) {
        if let Some(word) = self.0.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
    }

    fn clear(&mut self, i: usize) {
        if let Some(word) = self.0.get_mut(i / 64) {
            *word &= !(1 << (i % 64));
        }
    }

    fn has(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn and(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }

    fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
}

impl ListingIndex {
    pub fn len(&self) -> usize {
        self.cards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }

    /// Lowest and highest price in the collection.
    pub fn price_bounds(&self) -> Option<(i64, i64)> {
        Some((*self.prices.iter().min()?, *self.prices.iter().max()?))
    }

    fn positions_of(&self, facet: &Facet, values: &[String]) -> Bits {
        let mut bits = Bits::empty(self.len());
        for v in facet.values.iter().filter(|v| values.contains(&v.value)) {
            for &p in &v.positions {
                bits.set(p as usize);
            }
        }
        bits
    }

    pub fn query(&self, query: &ListingQuery) -> ListingPage {
        let n = self.len();
        let mut base = Bits::full(n);
        if query.min_price.is_some() || query.max_price.is_some() {
            for (i, price) in self.prices.iter().enumerate() {
                let low = query.min_price.is_some_and(|min| *price < min);
                let high = query.max_price.is_some_and(|max| *price > max);
                if low || high {
                    base.clear(i);
                }
            }
        }
        if query.in_stock_only {
            for &p in &self.sold_out {
                base.clear(p as usize);
            }
        }
        // One mask per facet the shopper filtered on (unknown facets match nothing).
        let masks: Vec<(usize, Bits)> = query
            .filters
            .iter()
            .filter(|(_, values)| !values.is_empty())
            .map(|(name, values)| match self.facets.iter().enumerate().find(|(_, f)| &f.name == name) {
                Some((i, facet)) => (i, self.positions_of(facet, values)),
                None => (usize::MAX, Bits::empty(n)),
            })
            .collect();

        let mut matching = base.clone();
        for (_, mask) in &masks {
            matching.and(mask);
        }
        let facet_counts = self
            .facets
            .iter()
            .enumerate()
            .map(|(fi, facet)| {
                let mut others = base.clone();
                for (mi, mask) in &masks {
                    if *mi != fi {
                        others.and(mask);
                    }
                }
                facet
                    .values
                    .iter()
                    .map(|v| v.positions.iter().filter(|p| others.has(**p as usize)).count())
                    .collect()
            })
            .collect();

        let total = matching.count();
        let page_count = total.div_ceil(PAGE_SIZE).max(1) as u32;
        let page = query.page.max(1);
        let skip = (page as usize).saturating_sub(1).saturating_mul(PAGE_SIZE);
        let order: Box<dyn Iterator<Item = u32> + '_> = match query.sort {
            SortOrder::Featured => Box::new(0..n as u32),
            SortOrder::PriceAsc => Box::new(self.by_price.iter().copied()),
            SortOrder::PriceDesc => Box::new(self.by_price.iter().rev().copied()),
            SortOrder::Newest => Box::new(self.by_newest.iter().copied()),
            SortOrder::Name => Box::new(self.by_name.iter().copied()),
        };
        let cards = order
            .filter(|p| matching.has(*p as usize))
            .skip(skip)
            .take(PAGE_SIZE)
            .filter_map(|p| self.cards.get(p as usize).copied())
            .collect();
        ListingPage { total, page, page_count, cards, facet_counts }
    }
}

/// Query parameters of facet filters start with this: `filter.size=M`.
pub const FILTER_PREFIX: &str = "filter.";
/// The largest page number accepted in a URL.
pub const MAX_PAGE: u32 = 100_000;
/// Most values accepted per facet, and longest value, in a URL.
const MAX_FILTER_VALUES: usize = 50;
const MAX_VALUE_CHARS: usize = 100;

/// The URL form of a facet's name: `Size` → `size`, `Sleeve Length` → `sleeve-length`.
pub fn facet_key(name: &str) -> String {
    name.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join("-")
}

/// A collection listing's URL state, parsed strictly and written back in one canonical
/// order (so equal states give equal URLs and page-cache keys).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListingParams {
    pub sort: SortOrder,
    /// 1-based.
    pub page: u32,
    /// Facet key → chosen values.
    pub filters: BTreeMap<String, BTreeSet<String>>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
}

impl ListingParams {
    /// Reads query pairs; unknown parameters (`utm_source`, …) are ignored, malformed
    /// known ones are refused with a message for the shopper.
    pub fn parse(pairs: &[(String, String)], currency: Currency) -> Result<ListingParams, String> {
        let mut params = ListingParams { page: 1, ..Default::default() };
        let mut seen = BTreeSet::new();
        let price = |text: &str, which: &str| -> Result<Option<i64>, String> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            match Money::parse_decimal(text, currency) {
                Ok(m) if m.minor() >= 0 => Ok(Some(m.minor())),
                _ => Err(format!("The {which} price must be an amount like 25 or 25.50.")),
            }
        };
        for (name, value) in pairs {
            let single = !name.starts_with(FILTER_PREFIX);
            if single && !seen.insert(name.as_str()) {
                return Err(format!("The parameter `{name}` was given more than once."));
            }
            match name.as_str() {
                "sort" => {
                    params.sort = SortOrder::parse(value).ok_or_else(|| {
                        let known: Vec<&str> = SortOrder::ALL.iter().map(|s| s.as_str()).collect();
                        format!("Unknown sort order. Use one of: {}.", known.join(", "))
                    })?;
                }
                "page" => {
                    params.page = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_PAGE).contains(n))
                        .ok_or("The page number must be a whole number from 1 up.")?;
                }
                "price.min" => params.min_price = price(value, "lowest")?,
                "price.max" => params.max_price = price(value, "highest")?,
                "in_stock" => {
                    params.in_stock = match value.as_str() {
                        "1" | "on" | "true" => true,
                        "0" | "off" | "false" | "" => false,
                        _ => return Err("`in_stock` must be 1 (only products in stock) or 0.".into()),
                    }
                }
                other => {
                    let Some(facet) = other.strip_prefix(FILTER_PREFIX) else {
                        continue;
                    };
                    let key = facet_key(facet);
                    let value = value.trim();
                    if key.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
                        return Err("A filter in the address is malformed.".into());
                    }
                    if value.is_empty() {
                        continue;
                    }
                    let values = params.filters.entry(key).or_default();
                    values.insert(value.to_string());
                    if values.len() > MAX_FILTER_VALUES {
                        return Err("Too many filter values were chosen.".into());
                    }
                }
            }
        }
        if let (Some(min), Some(max)) = (params.min_price, params.max_price) {
            if min > max {
                return Err("The lowest price is above the highest price.".into());
            }
        }
        Ok(params)
    }

    pub fn is_filtered(&self) -> bool {
        !self.filters.is_empty() || self.min_price.is_some() || self.max_price.is_some() || self.in_stock
    }

    /// The canonical query string (no leading `?`; empty for the default state).
    pub fn canonical_query(&self, currency: Currency) -> String {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, values) in &self.filters {
            for value in values {
                pairs.push((format!("{FILTER_PREFIX}{key}"), value.clone()));
            }
        }
        if let Some(min) = self.min_price {
            pairs.push(("price.min".into(), format_decimal(Money::new(min, currency))));
        }
        if let Some(max) = self.max_price {
            pairs.push(("price.max".into(), format_decimal(Money::new(max, currency))));
        }
        if self.in_stock {
            pairs.push(("in_stock".into(), "1".into()));
        }
        if self.sort != SortOrder::Featured {
            pairs.push(("sort".into(), self.sort.as_str().into()));
        }
        if self.page > 1 {
            pairs.push(("page".into(), self.page.to_string()));
        }
        crate::url::query(&pairs)
    }

    /// The query the index runs; filter keys are matched to the index's facet names.
    pub fn to_query(&self, index: &ListingIndex) -> ListingQuery {
        let filters = self
            .filters
            .iter()
            .map(|(key, values)| {
                let name = index
                    .facets
                    .iter()
                    .find(|f| &facet_key(&f.name) == key)
                    .map(|f| f.name.clone())
                    .unwrap_or_else(|| key.clone());
                (name, values.iter().cloned().collect())
            })
            .collect();
        ListingQuery {
            filters,
            min_price: self.min_price,
            max_price: self.max_price,
            in_stock_only: self.in_stock,
            sort: self.sort,
            page: self.page,
        }
    }
}

/// What the build knows of each product in a collection, to make its index.
pub struct ListingEntry {
    pub card: u32,
    pub price: i64,
    pub available: bool,
    pub title: String,
    /// `YYYY-MM-DD`; later dates are newer.
    pub created: String,
    /// (option name, value) pairs the product offers.
    pub options: Vec<(String, String)>,
}

/// Builds a collection's index from its products in featured order.
pub fn build_listing_index(entries: &[ListingEntry]) -> ListingIndex {
    let n = entries.len() as u32;
    let mut by_price: Vec<u32> = (0..n).collect();
    let entry = |p: u32| entries.get(p as usize);
    by_price.sort_by_key(|&p| entry(p).map(|e| e.price));
    let mut by_name: Vec<u32> = (0..n).collect();
    by_name.sort_by_cached_key(|&p| entry(p).map(|e| e.title.to_lowercase()));
    let mut by_newest: Vec<u32> = (0..n).collect();
    by_newest.sort_by(|&a, &b| entry(b).map(|e| &e.created).cmp(&entry(a).map(|e| &e.created)));

    let mut facets: Vec<Facet> = Vec::new();
    for (position, entry) in entries.iter().enumerate() {
        for (name, value) in &entry.options {
            if !facets.iter().any(|f| &f.name == name) {
                facets.push(Facet { name: name.clone(), values: Vec::new() });
            }
            let Some(facet) = facets.iter_mut().find(|f| &f.name == name) else { continue };
            if !facet.values.iter().any(|v| &v.value == value) {
                facet.values.push(FacetValue { value: value.clone(), positions: Vec::new() });
            }
            let Some(slot) = facet.values.iter_mut().find(|v| &v.value == value) else { continue };
            if slot.positions.last() != Some(&(position as u32)) {
                slot.positions.push(position as u32);
            }
        }
    }
    ListingIndex {
        cards: entries.iter().map(|e| e.card).collect(),
        prices: entries.iter().map(|e| e.price).collect(),
        sold_out: entries.iter().enumerate().filter(|(_, e)| !e.available).map(|(i, _)| i as u32).collect(),
        by_price,
        by_name,
        by_newest,
        facets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(
        card: u32,
        price: i64,
        available: bool,
        title: &str,
        created: &str,
        options: &[(&str, &str)],
    ) -> ListingEntry {
        ListingEntry {
            card,
            price,
            available,
            title: title.into(),
            created: created.into(),
            options: options.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        }
    }

    fn sample() -> ListingIndex {
        build_listing_index(&[
            entry(
                10,
                3000,
                true,
                "Cardigan",
                "2026-01-01",
                &[("Size", "S"), ("Size", "M"), ("Colour", "Cream")],
            ),
            entry(11, 1000, true, "Apron", "2026-03-01", &[("Colour", "Navy")]),
            entry(12, 2000, false, "Beanie", "2026-02-01", &[("Size", "M"), ("Colour", "Navy")]),
        ])
    }

    #[test]
    fn sorts_each_way() {
        let index = sample();
        let cards = |sort| index.query(&ListingQuery { sort, ..Default::default() }).cards;
        assert_eq!(cards(SortOrder::Featured), vec![10, 11, 12]);
        assert_eq!(cards(SortOrder::PriceAsc), vec![11, 12, 10]);
        assert_eq!(cards(SortOrder::PriceDesc), vec![10, 12, 11]);
        assert_eq!(cards(SortOrder::Newest), vec![11, 12, 10]);
        assert_eq!(cards(SortOrder::Name), vec![11, 12, 10]);
    }

    #[test]
    fn filters_and_counts_facets() {
        let index = sample();
        let q = ListingQuery { filters: vec![("Colour".into(), vec!["Navy".into()])], ..Default::default() };
        let page = index.query(&q);
        assert_eq!(page.cards, vec![11, 12]);
        assert_eq!(page.total, 2);
        // Size counts consider the Colour choice; Colour counts ignore it.
        let size = index.facets.iter().position(|f| f.name == "Size").unwrap();
        let colour = index.facets.iter().position(|f| f.name == "Colour").unwrap();
        assert_eq!(page.facet_counts[size], vec![0, 1]); // S: 0, M: 1 (the beanie)
        assert_eq!(page.facet_counts[colour], vec![1, 2]); // Cream 1, Navy 2
        let in_stock = index.query(&ListingQuery { in_stock_only: true, ..q.clone() });
        assert_eq!(in_stock.cards, vec![11]);
        let priced =
            index.query(&ListingQuery { min_price: Some(1500), max_price: Some(2500), ..Default::default() });
        assert_eq!(priced.cards, vec![12]);
        let unknown = index.query(&ListingQuery {
            filters: vec![("Fabric".into(), vec!["Silk".into()])],
            ..Default::default()
        });
        assert_eq!(unknown.total, 0);
    }

    #[test]
    fn pages_are_stable_and_bounded() {
        let entries: Vec<ListingEntry> = (0..60)
            .map(|i| entry(i, i64::from(i) * 100, true, &format!("P{i:02}"), "2026-01-01", &[]))
            .collect();
        let index = build_listing_index(&entries);
        let page = |n| index.query(&ListingQuery { page: n, ..Default::default() });
        assert_eq!(page(1).page_count, 3);
        assert_eq!(page(1).cards.len(), PAGE_SIZE);
        assert_eq!(page(3).cards, (48..60).collect::<Vec<u32>>());
        assert!(page(4).cards.is_empty());
        assert_eq!(page(0).cards, page(1).cards);
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn listing_params_parse_and_write_one_canonical_form() {
        let a = ListingParams::parse(
            &pairs(&[
                ("sort", "price-asc"),
                ("filter.Size", "M"),
                ("filter.size", "L"),
                ("utm_source", "x"),
                ("price.min", "20"),
            ]),
            Currency::USD,
        )
        .unwrap();
        let b = ListingParams::parse(
            &pairs(&[
                ("price.min", "20.00"),
                ("filter.size", "L"),
                ("filter.size", "M"),
                ("sort", "price-asc"),
                ("page", "1"),
            ]),
            Currency::USD,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.canonical_query(Currency::USD),
            "filter.size=L&filter.size=M&price.min=20.00&sort=price-asc"
        );
        assert!(a.is_filtered());
        let plain = ListingParams::parse(&[], Currency::USD).unwrap();
        assert_eq!(plain.canonical_query(Currency::USD), "");
        assert_eq!(plain.page, 1);
    }

    #[test]
    fn listing_params_refuse_malformed_values() {
        for bad in [
            vec![("sort", "cheapest")],
            vec![("page", "0")],
            vec![("page", "two")],
            vec![("page", "1"), ("page", "2")],
            vec![("page", "")],
            vec![("page", "100001")],
            vec![("sort", "")],
            vec![("in_stock", "yes")],
            vec![("price.min", "-5")],
            vec![("price.min", "ten")],
            vec![("price.min", "50"), ("price.max", "10")],
        ] {
            assert!(ListingParams::parse(&pairs(&bad), Currency::USD).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn filter_keys_map_to_facet_names() {
        let index = sample();
        let params = ListingParams::parse(&pairs(&[("filter.colour", "Navy")]), Currency::USD).unwrap();
        let q = params.to_query(&index);
        assert_eq!(q.filters, vec![("Colour".to_string(), vec!["Navy".to_string()])]);
        assert_eq!(index.query(&q).cards, vec![11, 12]);
    }

    proptest! {
        #[test]
        fn canonical_queries_parse_back_to_the_same_state(
            sizes in proptest::collection::btree_set("[A-Za-z &]{1,6}", 0..4),
            min in proptest::option::of(0_i64..100_000),
            page in 1_u32..50,
            in_stock in any::<bool>(),
        ) {
            let mut filters = BTreeMap::new();
            if !sizes.is_empty() {
                filters.insert("size".to_string(), sizes.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<BTreeSet<_>>());
            }
            filters.retain(|_, v: &mut BTreeSet<String>| !v.is_empty());
            let params = ListingParams { sort: SortOrder::Newest, page, filters, min_price: min, max_price: None, in_stock };
            let query = params.canonical_query(Currency::USD);
            let decoded: Vec<(String, String)> = query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (n, v) = p.split_once('=').unwrap();
                    (percent_decode(n), percent_decode(v))
                })
                .collect();
            prop_assert_eq!(ListingParams::parse(&decoded, Currency::USD).unwrap(), params);
        }
    }

    #[allow(clippy::string_slice)] // test helper over ASCII-encoded text
    fn percent_decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    proptest! {
        #[test]
        fn query_matches_brute_force(
            products in proptest::collection::vec((0_i64..100, any::<bool>(), 0_u8..4, 0_u8..4), 0..80),
            size in proptest::option::of(0_u8..4),
            colour in proptest::option::of(0_u8..4),
            min in proptest::option::of(0_i64..100),
            in_stock_only in any::<bool>(),
            page in 1_u32..5,
        ) {
            let sizes = ["XS", "S", "M", "L"];
            let colours = ["Red", "Blue", "Green", "Black"];
            let entries: Vec<ListingEntry> = products.iter().enumerate().map(|(i, (price, available, s, c))| {
                entry(i as u32 + 100, *price, *available, &format!("t{i}"), "2026-01-01",
                    &[("Size", sizes[*s as usize]), ("Colour", colours[*c as usize])])
            }).collect();
            let index = build_listing_index(&entries);
            let mut filters = Vec::new();
            if let Some(s) = size { filters.push(("Size".to_string(), vec![sizes[s as usize].to_string()])); }
            if let Some(c) = colour { filters.push(("Colour".to_string(), vec![colours[c as usize].to_string()])); }
            let q = ListingQuery { filters, min_price: min, in_stock_only, page, ..Default::default() };
            let result = index.query(&q);
            let expected: Vec<u32> = entries.iter().enumerate().filter(|(_, e)| {
                size.is_none_or(|s| e.options[0].1 == sizes[s as usize])
                    && colour.is_none_or(|c| e.options[1].1 == colours[c as usize])
                    && min.is_none_or(|m| e.price >= m)
                    && (!in_stock_only || e.available)
            }).map(|(_, e)| e.card).collect();
            prop_assert_eq!(result.total, expected.len());
            let start = ((page - 1) as usize * PAGE_SIZE).min(expected.len());
            let end = (start + PAGE_SIZE).min(expected.len());
            prop_assert_eq!(&result.cards, &expected[start..end].to_vec());
        }
    }
}

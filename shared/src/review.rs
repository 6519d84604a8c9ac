//! The checkout review: a cart's stored state priced from the catalog, with its
//! shipping rates, discount, tax and totals, and the lines asking for more than is
//! available. Pure: the worker and the cart's Durable Object both call it with the
//! documents they read, so every total comes from one function.

use crate::cart::{price_cart, CartLine, PricedCart, PricingError};
use crate::catalog::Product;
use crate::checkout::{compute_totals, find_discount, rates_for, tax_for, Address, IdempotencyKey, Totals};
use crate::ids::Sku;
use crate::money::Currency;
use crate::settings::{ShippingRate, StoreSettings};
use crate::strings::Text;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a cart holds: the shopper's choices and checkout details, never prices.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CartState {
    pub lines: Vec<CartLine>,
    pub discount_code: Option<String>,
    pub email: Option<String>,
    pub address: Option<Address>,
    pub shipping_rate: Option<String>,
    /// Orders placed from this cart so far; names the current checkout's stock hold.
    #[serde(default)]
    pub checkout_seq: u64,
}

impl CartState {
    /// The idempotency key of this checkout attempt: a digest of the checkout's revision
    /// (`checkout_seq`, moved on by every completion that ends) and of everything the
    /// shopper chose — lines, discount code, contact, address, shipping rate. Computed
    /// on the server, never taken from a client: every retry of the same cart contents
    /// has the same key, so it resumes the same order (and the same payment), however
    /// often the page is reloaded; a changed cart is a new attempt. Prices are left out
    /// on purpose: an order whose payment may have started keeps the total it was
    /// placed with rather than becoming a second order.
    pub fn checkout_key(&self) -> IdempotencyKey {
        let mut digest = Sha256::new();
        let mut field = |bytes: &[u8]| {
            digest.update((bytes.len() as u64).to_le_bytes());
            digest.update(bytes);
        };
        field(&self.checkout_seq.to_le_bytes());
        for line in &self.lines {
            field(line.sku.as_str().as_bytes());
            field(&line.quantity.get().to_le_bytes());
        }
        let text = |t: &Option<String>| t.as_deref().unwrap_or("\u{0}").as_bytes().to_vec();
        field(&text(&self.discount_code));
        field(&text(&self.email));
        field(&text(&self.shipping_rate));
        match &self.address {
            Some(a) => {
                for part in [&a.name, &a.line1, &a.line2, &a.city, &a.region, &a.postal_code, &a.country] {
                    field(part.as_bytes());
                }
            }
            None => field(b"\0"),
        }
        let hash = digest.finalize();
        IdempotencyKey::derived("checkout", hash.get(..16).unwrap_or_default())
    }
}

/// One SKU as the stock service sees it: units wanted, and the catalog's stock figure
/// (applied by the stock service when it first sees the SKU or the figure changes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockItem {
    pub sku: Sku,
    /// Units asked for (0 for an availability check).
    pub quantity: u32,
    pub catalog_stock: u32,
}

/// The checkout steps, in the order a shopper gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Contact,
    Address,
    Shipping,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Contact, Step::Address, Step::Shipping];

    /// The step a path segment names (`contact`, `address`, `shipping`).
    pub fn parse(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Step::Contact => "contact",
            Step::Address => "address",
            Step::Shipping => "shipping",
        }
    }
}

/// Everything the checkout shows, computed on the server.
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    pub cart: PricedCart,
    pub state: CartState,
    /// Rates for the shipping address's country (empty before an address is given).
    pub rates: Vec<ShippingRate>,
    pub totals: Totals,
    /// Why the stored discount code does not apply now, if it does not.
    #[serde(serialize_with = "crate::strings::english_if_any")]
    pub discount_problem: Option<Text>,
    /// Lines asking for more than is available, with what is available.
    pub short: BTreeMap<String, u32>,
    #[serde(skip)]
    pub settings: Arc<StoreSettings>,
}

impl Review {
    /// The first step the shopper still has to give before paying.
    pub fn missing_step(&self) -> Option<Step> {
        if self.state.email.is_none() {
            Some(Step::Contact)
        } else if self.state.address.is_none() {
            Some(Step::Address)
        } else if !self.rates.iter().any(|r| Some(&r.id) == self.state.shipping_rate.as_ref()) {
            Some(Step::Shipping)
        } else {
            None
        }
    }

    /// Whether stock may be held for this checkout: lines, every step given, nothing
    /// set aside as no longer sold.
    pub fn ready_to_pay(&self) -> bool {
        !self.cart.lines.is_empty() && self.missing_step().is_none() && self.cart.unavailable.is_empty()
    }
}

/// Prices `state` from the catalog documents `products`, with the store's settings and
/// currency; `available` holds the units known to be free per SKU (SKUs it does not
/// name are not reported short); `today` is `YYYY-MM-DD` (UTC), for discount expiry.
pub fn review_cart(
    state: CartState,
    products: &[Arc<Product>],
    settings: Arc<StoreSettings>,
    currency: Currency,
    available: &BTreeMap<String, u32>,
    today: &str,
) -> Result<Review, PricingError> {
    let find = |h: &crate::ids::Handle| products.iter().find(|p| &p.handle == h).map(|p| p.as_ref());
    let mut cart = price_cart(&state.lines, currency, find)?;
    let mut short = BTreeMap::new();
    for line in &mut cart.lines {
        if let Some(free) = available.get(line.sku.as_str()).copied() {
            if free < line.quantity.get() {
                line.short_by = Some(free);
                short.insert(line.sku.to_string(), free);
            }
        }
    }
    let (discount, discount_problem) = match &state.discount_code {
        Some(code) => match find_discount(&settings, code, cart.subtotal, today) {
            Ok(d) => (Some(d.clone()), None),
            Err(e) => (None, Some(e.text())),
        },
        None => (None, None),
    };
    let (rates, tax) = match &state.address {
        Some(a) => (
            rates_for(&settings, &a.country).into_iter().cloned().collect::<Vec<_>>(),
            tax_for(&settings, &a.country, &a.region).cloned(),
        ),
        None => (Vec::new(), None),
    };
    let rate = rates.iter().find(|r| Some(&r.id) == state.shipping_rate.as_ref());
    let totals = compute_totals(&cart, currency, discount.as_ref(), rate, tax.as_ref())?;
    Ok(Review { cart, state, rates, totals, discount_problem, short, settings })
}

/// The countries whose zones offer the rate `id` (a chosen rate must be offered where
/// the cart ships to).
pub fn countries_offering(settings: &StoreSettings, id: &str) -> Vec<String> {
    let mut countries: Vec<String> = settings
        .shipping_zones
        .iter()
        .filter(|z| z.rates.iter().any(|r| r.id == id))
        .flat_map(|z| z.countries.iter().cloned())
        .collect();
    countries.sort();
    countries.dedup();
    countries
}

/// What `lines` ask of the stock service, per SKU (catalog stock from `products`).
pub fn stock_items_of(lines: &[CartLine], products: &[Arc<Product>]) -> Vec<StockItem> {
    lines
        .iter()
        .filter_map(|line| {
            let variant = products.iter().find(|p| p.handle == line.product)?.variant(&line.sku)?;
            Some(StockItem {
                sku: line.sku.clone(),
                quantity: line.quantity.get(),
                catalog_stock: variant.stock,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fixtures::*;
    use crate::ids::Quantity;
    use crate::money::Money;
    use crate::settings::{ShippingZone, TaxRate};
    use proptest::prelude::*;

    fn settings() -> Arc<StoreSettings> {
        let rate = |id: &str, price: i64| ShippingRate {
            id: id.into(),
            name: id.into(),
            price: Money::new(price, Currency::USD),
            free_over: None,
            min_days: 1,
            max_days: 3,
        };
        Arc::new(StoreSettings {
            shipping_zones: vec![
                ShippingZone {
                    name: "US".into(),
                    countries: vec!["US".into()],
                    rates: vec![rate("std", 600)],
                },
                ShippingZone {
                    name: "CA".into(),
                    countries: vec!["CA".into()],
                    rates: vec![rate("ca", 900)],
                },
            ],
            tax_rates: vec![TaxRate {
                country: "US".into(),
                region: None,
                name: "tax".into(),
                rate: crate::settings::BasisPoints(1000),
            }],
            ..StoreSettings::default()
        })
    }

    fn address(country: &str) -> Address {
        Address {
            name: "A".into(),
            line1: "1 Main".into(),
            line2: String::new(),
            city: "C".into(),
            region: "R".into(),
            postal_code: "1".into(),
            country: country.into(),
        }
    }

    fn products() -> Vec<Arc<Product>> {
        vec![Arc::new(product("tee", vec![variant("T-S", &["S"], 2500, 7), variant("T-M", &["M"], 2700, 0)]))]
    }

    #[test]
    fn the_steps_come_in_order_and_a_rate_must_be_offered_where_the_cart_ships() {
        let mut state = CartState { lines: vec![line("tee", "T-S", 1)], ..CartState::default() };
        let review = |s: &CartState| {
            review_cart(s.clone(), &products(), settings(), Currency::USD, &BTreeMap::new(), "2026-01-01")
                .unwrap()
        };
        assert_eq!(review(&state).missing_step(), Some(Step::Contact));
        state.email = Some("a@example.com".into());
        assert_eq!(review(&state).missing_step(), Some(Step::Address));
        state.address = Some(address("CA"));
        state.shipping_rate = Some("std".into());
        assert_eq!(review(&state).missing_step(), Some(Step::Shipping), "std is not offered in Canada");
        state.shipping_rate = Some("ca".into());
        let ready = review(&state);
        assert_eq!(ready.missing_step(), None);
        assert!(ready.ready_to_pay());
        assert_eq!(ready.totals.total.minor(), 2500 + 900);
    }

    #[test]
    fn only_skus_with_known_availability_are_reported_short() {
        let state =
            CartState { lines: vec![line("tee", "T-S", 3), line("tee", "T-M", 2)], ..CartState::default() };
        let available = BTreeMap::from([("T-S".to_string(), 1)]);
        let review =
            review_cart(state, &products(), settings(), Currency::USD, &available, "2026-01-01").unwrap();
        assert_eq!(review.short, BTreeMap::from([("T-S".to_string(), 1)]));
        assert_eq!(review.cart.lines[0].short_by, Some(1));
        assert_eq!(review.cart.lines[1].short_by, None, "unknown availability is not a shortage");
    }

    #[test]
    fn stock_items_carry_the_catalog_figure_and_skip_vanished_lines() {
        let lines = vec![line("tee", "T-S", 2), line("gone", "G-1", 1)];
        let items = stock_items_of(&lines, &products());
        assert_eq!(items, vec![StockItem { sku: Sku::parse("T-S").unwrap(), quantity: 2, catalog_stock: 7 }]);
    }

    #[test]
    fn rates_are_offered_by_the_zones_that_list_them() {
        assert_eq!(countries_offering(&settings(), "ca"), vec!["CA".to_string()]);
        assert!(countries_offering(&settings(), "nope").is_empty());
    }

    proptest! {
        #[test]
        fn a_line_is_short_exactly_when_it_asks_for_more_than_is_free(
            quantity in 1_u32..=99, free in 0_u32..200,
        ) {
            let state = CartState { lines: vec![line("tee", "T-S", quantity)], ..CartState::default() };
            let available = BTreeMap::from([("T-S".to_string(), free)]);
            let review =
                review_cart(state, &products(), settings(), Currency::USD, &available, "2026-01-01").unwrap();
            prop_assert_eq!(review.short.contains_key("T-S"), free < quantity);
            prop_assert_eq!(review.totals.subtotal.minor(), 2500 * i64::from(quantity));
        }
    }

    #[test]
    fn a_checkout_key_names_one_attempt_of_one_cart_content() {
        let state = CartState {
            lines: vec![line("a", "A-1", 2), line("b", "B-1", 1)],
            email: Some("a@example.com".into()),
            shipping_rate: Some("standard".into()),
            ..CartState::default()
        };
        let key = state.checkout_key();
        assert_eq!(key, state.clone().checkout_key(), "the same contents, the same key");
        assert_eq!(IdempotencyKey::parse(key.as_str()).as_ref(), Ok(&key), "a valid key");
        let mut changes: Vec<CartState> = Vec::new();
        let mut more = state.clone();
        more.lines[0].quantity = Quantity::new(3).unwrap();
        changes.push(more);
        let mut next = state.clone();
        next.checkout_seq += 1;
        changes.push(next);
        let mut code = state.clone();
        code.discount_code = Some("SAVE".into());
        changes.push(code);
        let mut rate = state.clone();
        rate.shipping_rate = Some("express".into());
        changes.push(rate);
        let mut fewer = state.clone();
        fewer.lines.pop();
        changes.push(fewer);
        for changed in changes {
            assert_ne!(changed.checkout_key(), key, "{changed:?}");
        }
    }
}

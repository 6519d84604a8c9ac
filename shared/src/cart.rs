//! Cart rules and cart pricing. The cart stores only what the shopper chose (product,
//! SKU, quantity); every price and total is computed here from the current catalog.

use crate::catalog::{Image, Product};
use crate::ids::{Handle, Quantity, Sku};
use crate::money::{Currency, Money, MoneyError};
use crate::strings::Text;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most distinct lines one cart may hold.
pub const MAX_LINES: usize = 50;

/// Longest discount code a cart accepts (codes are compared upper-cased).
pub const MAX_CODE_CHARS: usize = 32;

/// What the shopper put in the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub product: Handle,
    pub sku: Sku,
    pub quantity: Quantity,
    /// The unit price when the line was added, to tell the shopper if it changed since.
    #[serde(default)]
    pub added_at_price: Option<Money>,
}

/// Why a cart change was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CartError {
    TooManyOfOne { sku: Sku, existing: u32 },
    TooManyLines,
}

impl CartError {
    /// What the shopper is told.
    pub fn text(&self) -> Text {
        match self {
            Self::TooManyOfOne { sku, existing } => {
                Text::new("Your cart already holds {count} of {sku}; a cart line can hold at most {max}.")
                    .with("count", existing.to_string())
                    .with("sku", sku.as_str())
                    .with("max", Quantity::MAX.to_string())
            }
            Self::TooManyLines => Text::new("Your cart is full: it can hold at most {max} different items.")
                .with("max", MAX_LINES.to_string()),
        }
    }
}

impl fmt::Display for CartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.text(), f)
    }
}

impl std::error::Error for CartError {}

/// The quantity a line has after adding `added` to what it held (`None`: a new line in
/// a cart of `line_count` lines).
pub fn quantity_after_add(
    sku: &Sku,
    existing: Option<Quantity>,
    added: Quantity,
    line_count: usize,
) -> Result<Quantity, CartError> {
    match existing {
        None if line_count >= MAX_LINES => Err(CartError::TooManyLines),
        None => Ok(added),
        Some(held) => Quantity::new(held.get().saturating_add(added.get()))
            .map_err(|_| CartError::TooManyOfOne { sku: sku.clone(), existing: held.get() }),
    }
}

/// A cart line with its current catalog price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PricedLine {
    pub product: Handle,
    pub sku: Sku,
    pub title: String,
    pub variant_title: Option<String>,
    pub image: Option<Image>,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub line_total: Money,
    /// The price when the line was added, if the catalog price has changed since.
    #[serde(default)]
    pub price_was: Option<Money>,
    /// How many are available right now, if fewer than the line asks for.
    #[serde(default)]
    pub short_by: Option<u32>,
}

/// The cart as the shopper sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PricedCart {
    pub lines: Vec<PricedLine>,
    /// Lines whose product or variant is no longer in the catalog; not counted in totals.
    pub unavailable: Vec<CartLine>,
    pub subtotal: Money,
    pub item_count: u32,
    /// A currency other than the cart's that some lines were added in: the shopper
    /// added them in another market, and the cart is now priced in this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_in: Option<Currency>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PricingError {
    Money(MoneyError),
}

impl fmt::Display for PricingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Money(e) => write!(f, "the cart total could not be computed: {e}"),
        }
    }
}

impl std::error::Error for PricingError {}

impl From<MoneyError> for PricingError {
    fn from(e: MoneyError) -> Self {
        PricingError::Money(e)
    }
}

/// Prices every line from the catalog (`find` looks a product up by handle).
pub fn price_cart<'a>(
    lines: &[CartLine],
    currency: Currency,
    find: impl Fn(&Handle) -> Option<&'a Product>,
) -> Result<PricedCart, PricingError> {
    let mut priced = Vec::with_capacity(lines.len());
    let mut unavailable = Vec::new();
    let mut subtotal = Money::zero(currency);
    let mut item_count: u32 = 0;
    for line in lines {
        let found = find(&line.product).and_then(|p| p.variant(&line.sku).map(|v| (p, v)));
        let Some((product, variant)) = found else {
            unavailable.push(line.clone());
            continue;
        };
        let line_total = variant.price.checked_mul(line.quantity.get())?;
        subtotal = subtotal.checked_add(line_total)?;
        item_count = item_count.saturating_add(line.quantity.get());
        priced.push(PricedLine {
            product: line.product.clone(),
            sku: line.sku.clone(),
            title: product.title.clone(),
            variant_title: product.variant_title(variant),
            image: product.image_of(Some(variant)).cloned(),
            quantity: line.quantity,
            unit_price: variant.price,
            line_total,
            // A price seen in another market's currency is not a price change.
            price_was: line
                .added_at_price
                .filter(|was| was.currency() == variant.price.currency() && *was != variant.price),
            short_by: None,
        });
    }
    let added_in =
        lines.iter().filter_map(|l| l.added_at_price.map(|p| p.currency())).find(|c| *c != currency);
    Ok(PricedCart { lines: priced, unavailable, subtotal, item_count, added_in })
}

/// What a cart form posts to (`POST /cart/{action}`). Anything else is not a cart action
/// (404), never one of these by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CartAction {
    Add,
    Link,
    Update,
    Remove,
    Clear,
    Discount,
}

impl CartAction {
    pub const ALL: [CartAction; 6] = [
        CartAction::Add,
        CartAction::Link,
        CartAction::Update,
        CartAction::Remove,
        CartAction::Clear,
        CartAction::Discount,
    ];

    pub fn parse(name: &str) -> Option<CartAction> {
        CartAction::ALL.into_iter().find(|action| action.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            CartAction::Add => "add",
            CartAction::Link => "link",
            CartAction::Update => "update",
            CartAction::Remove => "remove",
            CartAction::Clear => "clear",
            CartAction::Discount => "discount",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fixtures::*;
    use proptest::prelude::*;

    #[test]
    fn prices_lines_from_the_catalog() {
        let tee = product("tee", vec![variant("T-S", &["S"], 2500, 3), variant("T-M", &["M"], 2700, 3)]);
        let mug = product("mug", vec![variant("MUG", &[], 1250, 3)]);
        let catalog = [tee, mug];
        let find = |h: &Handle| catalog.iter().find(|p| &p.handle == h);
        let cart = price_cart(&[line("tee", "T-M", 2), line("mug", "MUG", 1)], Currency::USD, find).unwrap();
        assert_eq!(cart.subtotal, money(2 * 2700 + 1250));
        assert_eq!(cart.item_count, 3);
        assert_eq!(cart.lines[0].variant_title.as_deref(), Some("M"));
        assert_eq!(cart.lines[0].line_total, money(5400));
    }

    #[test]
    fn vanished_products_and_variants_are_set_aside() {
        let tee = product("tee", vec![variant("T-S", &["S"], 2500, 3)]);
        let catalog = [tee];
        let find = |h: &Handle| catalog.iter().find(|p| &p.handle == h);
        let cart = price_cart(
            &[line("tee", "T-XL", 1), line("gone", "G", 1), line("tee", "T-S", 1)],
            Currency::USD,
            find,
        )
        .unwrap();
        assert_eq!(cart.unavailable.len(), 2);
        assert_eq!(cart.lines.len(), 1);
        assert_eq!(cart.subtotal, money(2500));
    }

    #[test]
    fn lines_whose_price_changed_are_flagged_and_repriced() {
        let tee = product("tee", vec![variant("T-S", &["S"], 2500, 3)]);
        let catalog = [tee];
        let find = |h: &Handle| catalog.iter().find(|p| &p.handle == h);
        let mut stale = line("tee", "T-S", 2);
        stale.added_at_price = Some(money(2000));
        let mut current = line("tee", "T-S", 1);
        current.added_at_price = Some(money(2500));
        let cart = price_cart(&[stale], Currency::USD, find).unwrap();
        assert_eq!(cart.lines[0].price_was, Some(money(2000)));
        assert_eq!(cart.subtotal, money(5000), "re-priced from the catalog");
        let cart = price_cart(&[current], Currency::USD, find).unwrap();
        assert_eq!(cart.lines[0].price_was, None);
        // Added in another market: priced in this one's currency, no "price changed".
        let mut abroad = line("tee", "T-S", 1);
        abroad.added_at_price = Some(Money::new(3499, Currency::parse("CAD").unwrap()));
        let cart = price_cart(&[abroad], Currency::USD, find).unwrap();
        assert_eq!((cart.lines[0].price_was, cart.added_in), (None, Currency::parse("CAD").ok()));
    }

    #[test]
    fn adding_respects_line_and_cart_bounds() {
        let sku = Sku::parse("A").unwrap();
        let q = |n| Quantity::new(n).unwrap();
        assert_eq!(quantity_after_add(&sku, Some(q(1)), q(1), 1), Ok(q(2)));
        assert_eq!(quantity_after_add(&sku, None, q(3), 0), Ok(q(3)));
        assert!(matches!(
            quantity_after_add(&sku, Some(q(98)), q(2), 1),
            Err(CartError::TooManyOfOne { .. })
        ));
        assert_eq!(quantity_after_add(&sku, None, q(1), MAX_LINES), Err(CartError::TooManyLines));
        assert_eq!(quantity_after_add(&sku, Some(q(1)), q(1), MAX_LINES), Ok(q(2)));
    }

    proptest! {
        #[test]
        fn subtotal_is_the_sum_of_price_times_quantity(
            prices in proptest::collection::vec(0_i64..10_000_000, 1..20),
            quantities in proptest::collection::vec(1_u32..=99, 20),
        ) {
            let catalog: Vec<Product> = prices
                .iter()
                .enumerate()
                .map(|(i, &p)| product(&format!("p{i}"), vec![variant(&format!("S{i}"), &[], p, 1)]))
                .collect();
            let lines: Vec<CartLine> =
                (0..prices.len()).map(|i| line(&format!("p{i}"), &format!("S{i}"), quantities[i])).collect();
            let find = |h: &Handle| catalog.iter().find(|p| &p.handle == h);
            let cart = price_cart(&lines, Currency::USD, find).unwrap();
            let expected: i64 = prices.iter().zip(&quantities).map(|(p, q)| p * i64::from(*q)).sum();
            prop_assert_eq!(cart.subtotal.minor(), expected);
            prop_assert_eq!(cart.item_count, quantities[..prices.len()].iter().sum::<u32>());
            let line_sum: i64 = cart.lines.iter().map(|l| l.line_total.minor()).sum();
            prop_assert_eq!(line_sum, expected);
        }
    }
}

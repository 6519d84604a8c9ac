//! The catalog as the worker reads it from KV: products with options and variants,
//! categories with their product listings, the home page and the site frame.
//!
//! These are the *built* documents (see the merchant CLI): descriptions are already
//! sanitized HTML and every listing is precomputed, so a page costs a fixed number of reads.

use crate::ids::{Handle, Sku};
use crate::money::{Currency, Money};
use serde::{Deserialize, Serialize};

/// The shop itself: what every page's header and footer need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoreInfo {
    pub name: String,
    pub tagline: String,
    pub currency: Currency,
}

/// A link in a merchant menu.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MenuLink {
    pub title: String,
    pub href: String,
}

/// Everything the page frame needs, read once per request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub store: StoreInfo,
    pub header_menu: Vec<MenuLink>,
    pub footer_menu: Vec<MenuLink>,
    /// The shop's editions (markets in their languages), for `hreflang` alternates and
    /// the market selector; empty for a shop with one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub editions: Vec<crate::markets::EditionLink>,
    /// The interface strings in this edition's language, by their English text (see
    /// `strings`); empty in English.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub strings: std::collections::BTreeMap<String, String>,
    /// The language this edition is written in (English in documents published before
    /// editions named theirs).
    #[serde(default = "crate::markets::Language::english")]
    pub language: crate::markets::Language,
}

/// An image shipped in `public/`, with its intrinsic size so pages never shift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub src: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

impl Image {
    /// Its `srcset`: the image at its intrinsic width (SVGs scale; raster images are
    /// served at their own size).
    pub fn srcset(&self) -> String {
        format!("{} {}w", self.src, self.width)
    }
}

/// One axis a product varies along, such as Size with values S, M, L.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductOption {
    pub name: String,
    pub values: Vec<String>,
}

/// One purchasable combination of option values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub sku: Sku,
    /// One value per product option, in the product's option order.
    pub options: Vec<String>,
    pub price: Money,
    /// The "was" price shown struck through when higher than `price`.
    pub compare_at: Option<Money>,
    pub weight_grams: u32,
    /// Stock as published with the catalog.
    pub stock: u32,
    /// Which of the product's images shows this variant (its position in `images`);
    /// `None`: the product's first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<u32>,
}

impl Variant {
    /// The position of this variant's picture among its product's `count` images: its
    /// own, else the first.
    pub fn image_position(&self, count: usize) -> usize {
        self.image.and_then(|i| usize::try_from(i).ok()).filter(|i| *i < count).unwrap_or(0)
    }

    /// The compare-at price, only when it really is a reduction.
    pub fn sale_from(&self) -> Option<Money> {
        self.compare_at
            .filter(|was| was.currency() == self.price.currency() && was.minor() > self.price.minor())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub handle: Handle,
    pub title: String,
    pub vendor: String,
    /// Short plain-text summary for cards and meta descriptions.
    pub summary: String,
    /// Sanitized when the catalog was built; the only HTML ever rendered unescaped.
    pub description_html: String,
    pub categories: Vec<Handle>,
    /// The primary category and its ancestors, root first, for breadcrumbs.
    pub breadcrumbs: Vec<MenuLink>,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    pub images: Vec<Image>,
    /// Date added, `YYYY-MM-DD`.
    pub created: String,
    /// Card ordinals of related products (same category), shown below the product.
    pub related: Vec<u32>,
}

impl Product {
    pub fn variant(&self, sku: &Sku) -> Option<&Variant> {
        self.variants.iter().find(|v| &v.sku == sku)
    }

    /// The position in `images` of the picture of `variant`: its own, else the first.
    pub fn image_index(&self, variant: Option<&Variant>) -> usize {
        variant.map_or(0, |v| v.image_position(self.images.len()))
    }

    /// The picture of `variant`: its own, else the product's first.
    pub fn image_of(&self, variant: Option<&Variant>) -> Option<&Image> {
        self.images.get(self.image_index(variant))
    }

    /// The variant shown first (see `variants::default_among`).
    pub fn default_variant(&self) -> Option<&Variant> {
        crate::variants::default_among(&self.variants)
    }

    /// "M / Oat" for a variant of a product with options; `None` for single-variant products.
    pub fn variant_title(&self, variant: &Variant) -> Option<String> {
        if self.options.is_empty() || variant.options.is_empty() {
            None
        } else {
            Some(variant.options.join(" / "))
        }
    }

    pub fn is_available(&self) -> bool {
        self.variants.iter().any(|v| v.stock > 0)
    }

    /// The card shown in listings: lowest price, and whether anything is in stock.
    pub fn summary_card(&self) -> Option<ProductSummary> {
        let cheapest = self.variants.iter().min_by_key(|v| v.price.minor())?;
        let varies = self.variants.iter().any(|v| v.price != cheapest.price);
        Some(ProductSummary {
            handle: self.handle.clone(),
            title: self.title.clone(),
            vendor: self.vendor.clone(),
            price: cheapest.price,
            price_varies: varies,
            compare_at: cheapest.sale_from(),
            image: self.images.first().cloned(),
            available: self.is_available(),
        })
    }
}

/// A product as it appears in a listing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductSummary {
    pub handle: Handle,
    pub title: String,
    pub vendor: String,
    /// The lowest variant price.
    pub price: Money,
    /// True when variants have different prices ("from $X").
    pub price_varies: bool,
    pub compare_at: Option<Money>,
    pub image: Option<Image>,
    pub available: bool,
}

/// A category page: its place in the tree and its first page of products. Other pages,
/// filters and sorts come from the collection's listing index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub handle: Handle,
    pub title: String,
    pub description: String,
    /// Ancestors from the root down, for breadcrumbs.
    pub ancestors: Vec<CategorySummary>,
    pub children: Vec<CategorySummary>,
    /// How many products the collection lists, its subcategories' included.
    pub product_count: u32,
    /// The first page in featured order.
    pub products: Vec<ProductSummary>,
}

/// A merchant content page (about, shipping, returns), from Markdown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentPage {
    pub handle: Handle,
    pub title: String,
    pub description: String,
    /// Sanitized when the catalog was built.
    pub body_html: String,
}

/// Paths listed in one sitemap shard (the worker adds the origin).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SitemapShard {
    pub paths: Vec<String>,
}

/// The names of every sitemap shard of a catalog version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SitemapIndex {
    pub shards: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategorySummary {
    pub handle: Handle,
    pub title: String,
    pub description: String,
    pub product_count: u32,
    pub image: Option<Image>,
}

/// The home page, merchandised from the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HomeData {
    pub categories: Vec<CategorySummary>,
    pub featured: Vec<ProductSummary>,
    /// Products in the catalog; their cards are ordinals `0..product_count`.
    #[serde(default)]
    pub product_count: u32,
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::cart::CartLine;
    use crate::ids::Quantity;

    /// A cart line of `qty` of `sku`, with no price seen.
    pub fn line(product: &str, sku: &str, qty: u32) -> CartLine {
        CartLine {
            product: Handle::parse(product).unwrap(),
            sku: Sku::parse(sku).unwrap(),
            quantity: Quantity::new(qty).unwrap(),
            added_at_price: None,
        }
    }

    pub fn money(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    pub fn variant(sku: &str, options: &[&str], price: i64, stock: u32) -> Variant {
        Variant {
            sku: Sku::parse(sku).unwrap(),
            options: options.iter().map(|o| o.to_string()).collect(),
            price: money(price),
            compare_at: None,
            weight_grams: 200,
            stock,
            image: None,
        }
    }

    pub fn product(handle: &str, variants: Vec<Variant>) -> Product {
        let options = if variants.iter().any(|v| !v.options.is_empty()) {
            vec![ProductOption { name: "Size".into(), values: vec!["S".into(), "M".into()] }]
        } else {
            vec![]
        };
        Product {
            handle: Handle::parse(handle).unwrap(),
            title: format!("Product {handle}"),
            vendor: "Vendor".into(),
            summary: String::new(),
            description_html: String::new(),
            categories: vec![],
            breadcrumbs: vec![],
            options,
            variants,
            images: vec![],
            created: "2026-01-01".into(),
            related: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;

    #[test]
    fn summary_card_shows_lowest_price_and_whether_it_varies() {
        let p = product("tee", vec![variant("T-S", &["S"], 2500, 0), variant("T-M", &["M"], 2000, 3)]);
        let card = p.summary_card().unwrap();
        assert_eq!(card.price, money(2000));
        assert!(card.price_varies);
        assert!(card.available);
    }

    #[test]
    fn a_variant_is_pictured_by_its_own_image_else_the_first() {
        let mut p = product("tee", vec![variant("T-S", &["S"], 2500, 1), variant("T-M", &["M"], 2500, 1)]);
        assert_eq!(p.image_of(p.variants.first()), None, "no images, no picture");
        p.images = ["a", "b"]
            .iter()
            .map(|name| super::Image { src: format!("/{name}.svg"), alt: String::new(), width: 1, height: 1 })
            .collect();
        p.variants[1].image = Some(1);
        assert_eq!(p.image_of(None).unwrap().src, "/a.svg");
        assert_eq!(p.image_of(p.variants.first()).unwrap().src, "/a.svg");
        assert_eq!(p.image_of(p.variants.get(1)).unwrap().src, "/b.svg");
        p.variants[1].image = Some(7);
        assert_eq!(p.image_index(p.variants.get(1)), 0, "a position past the images is the first");
    }

    #[test]
    fn product_without_variants_has_no_card() {
        assert!(product("empty", vec![]).summary_card().is_none());
    }

    #[test]
    fn default_variant_prefers_stock() {
        let p = product("tee", vec![variant("T-S", &["S"], 2500, 0), variant("T-M", &["M"], 2500, 1)]);
        assert_eq!(p.default_variant().unwrap().sku.as_str(), "T-M");
        let sold_out = product("tee", vec![variant("T-S", &["S"], 2500, 0)]);
        assert_eq!(sold_out.default_variant().unwrap().sku.as_str(), "T-S");
        assert!(!sold_out.is_available());
    }

    #[test]
    fn sale_price_only_when_lower_than_compare_at() {
        let mut v = variant("A", &[], 1000, 1);
        v.compare_at = Some(money(1500));
        assert_eq!(v.sale_from(), Some(money(1500)));
        v.compare_at = Some(money(900));
        assert_eq!(v.sale_from(), None);
    }

    #[test]
    fn variant_title_joins_option_values() {
        let p = product("tee", vec![variant("T-S", &["S"], 2500, 0)]);
        assert_eq!(p.variant_title(&p.variants[0]).as_deref(), Some("S"));
        let plain = product("mug", vec![variant("MUG", &[], 1200, 4)]);
        assert_eq!(plain.variant_title(&plain.variants[0]), None);
    }
}

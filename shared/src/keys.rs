//! The KV key layout of a published catalog, shared by the merchant CLI (which writes
//! it) and the worker (which reads it).
//!
//! Every document key carries the version it belongs to, so versions never overwrite
//! each other; [`CURRENT_VERSION_KEY`] names the version shoppers see.

/// Holds the id of the current catalog version.
pub const CURRENT_VERSION_KEY: &str = "catalog:current";

/// Holds the published versions, oldest first (JSON list of [`PublishedVersion`]),
/// so a rollback can find the previous one.
pub const HISTORY_KEY: &str = "catalog:history";

/// One entry of the publish history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublishedVersion {
    pub version: String,
    /// Seconds since the Unix epoch.
    pub published_at: u64,
    pub products: u64,
}

/// The kinds of document a version holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// The page frame: store info and menus (`Site`).
    Site,
    /// Checkout settings: shipping, tax, discounts (`StoreSettings`).
    Settings,
    /// The home page (`HomeData`).
    Home,
    /// A product page (`Product`), by handle.
    Product,
    /// A collection page (`Category`), by handle.
    Collection,
    /// A collection's filter/sort index (`ListingIndex`), by handle.
    Listing,
    /// A product card (`ProductSummary`), by card ordinal.
    Card,
    /// A search index shard (`SearchShard`), by first character.
    Search,
    /// A content page (`ContentPage`), by handle.
    Page,
    /// Sitemap index (`SitemapIndex`, singleton) and shards (`SitemapShard`, by name).
    Sitemap,
    /// SKU → product handle, in [`SKU_SHARDS`] shards (`BTreeMap<String, String>`, by shard number).
    Skus,
}

/// Shards of the SKU index.
pub const SKU_SHARDS: u32 = 64;

/// The SKU-index shard holding a SKU.
pub fn sku_shard(sku: &str) -> u32 {
    crate::hash::shard(sku, SKU_SHARDS)
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Site => "site",
            DocKind::Settings => "settings",
            DocKind::Home => "home",
            DocKind::Product => "product",
            DocKind::Collection => "collection",
            DocKind::Listing => "listing",
            DocKind::Card => "card",
            DocKind::Search => "search",
            DocKind::Page => "page",
            DocKind::Sitemap => "sitemap",
            DocKind::Skus => "skus",
        }
    }
}

/// The prefix of every key of one version: `catalog:{version}:`.
pub fn version_prefix(version: &str) -> String {
    format!("catalog:{version}:")
}

/// `catalog:{version}:{kind}:{name}`.
pub fn doc_key(version: &str, kind: DocKind, name: &str) -> String {
    let kind = kind.as_str();
    let mut key = String::with_capacity(
        16_usize.saturating_add(version.len()).saturating_add(kind.len()).saturating_add(name.len()),
    );
    key.push_str("catalog:");
    key.push_str(version);
    key.push(':');
    key.push_str(kind);
    key.push(':');
    key.push_str(name);
    key
}

/// Singleton documents (site, home) use this name.
pub const SINGLETON: &str = "main";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_version() {
        assert_eq!(doc_key("v1", DocKind::Product, "tee"), "catalog:v1:product:tee");
        assert_ne!(doc_key("v1", DocKind::Site, SINGLETON), doc_key("v2", DocKind::Site, SINGLETON));
    }
}

//! The KV key layout of a published catalog, shared by the merchant CLI (which writes
//! it) and the worker (which reads it).
//!
//! Every document key carries a version, so versions never overwrite each other;
//! [`CURRENT_VERSION_KEY`] names the version shoppers see.
//!
//! A version does not have to hold a copy of every document. Its [`VersionRoot`]
//! (`catalog:{version}:root`) names a *base* version and the documents that differ from
//! it: those are read from the version that introduced them (or are gone), every other
//! document from the base. A full publish is its own base; an incremental publish
//! uploads only the documents whose content changed. The key a version reads for a
//! document never changes, so pages still never mix two versions.

/// Holds the id of the current catalog version.
pub const CURRENT_VERSION_KEY: &str = "catalog:current";

/// Holds the published versions, oldest first (JSON list of [`PublishedVersion`]),
/// so a rollback can find the previous one.
pub const HISTORY_KEY: &str = "catalog:history";

/// Set when a publish starts uploading and cleared (JSON `null`) by its switch: a
/// publish under way or interrupted (JSON [`PublishMarker`]). Prune reads it so it never
/// deletes what an unfinished publish uploaded. The worker never reads it.
pub const PUBLISHING_KEY: &str = "catalog:publishing";

/// The value of [`PUBLISHING_KEY`] while a publish is unfinished.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublishMarker {
    pub version: String,
    /// Seconds since the Unix epoch.
    pub started_at: u64,
}

/// One entry of the publish history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublishedVersion {
    pub version: String,
    /// Seconds since the Unix epoch.
    pub published_at: u64,
    pub products: u64,
    /// The version whose documents this one inherits (itself for a full publish; empty
    /// for versions published before versions had roots).
    #[serde(default)]
    pub base: String,
    /// A hash of the version's manifest (empty when it has none), so the merchant CLI
    /// can trust a copy it kept.
    #[serde(default)]
    pub manifest: String,
    /// The same for its base's manifest.
    #[serde(default)]
    pub base_manifest: String,
}

/// Which key holds each document of a version (`catalog:{version}:root`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionRoot {
    /// Documents not in `overrides` are read from this version's keys.
    pub base: String,
    /// `kind:name` → the version whose key holds the document, or `None` when the
    /// document does not exist in this version (it was removed since the base).
    #[serde(default)]
    pub overrides: std::collections::HashMap<String, Option<String>>,
}

impl VersionRoot {
    /// A version that holds all its documents itself.
    pub fn full(version: &str) -> VersionRoot {
        VersionRoot { base: version.to_string(), overrides: Default::default() }
    }

    /// The KV key of a document in this version, or `None` when the version has none.
    pub fn key_of(&self, kind: DocKind, name: &str) -> Option<String> {
        match self.overrides.get(&doc_name(kind, name)) {
            Some(Some(owner)) => Some(doc_key(owner, kind, name)),
            Some(None) => None,
            None => Some(doc_key(&self.base, kind, name)),
        }
    }
}

/// `catalog:{version}:root`.
pub fn root_key(version: &str) -> String {
    format!("catalog:{version}:root")
}

/// `catalog:{version}:manifest:{part}`: the merchant CLI's record of a version (every
/// document's owner and content hash), read by the next publish and by prune. The
/// worker never reads it.
pub fn manifest_key(version: &str, part: u32) -> String {
    format!("catalog:{version}:manifest:{part}")
}

/// A version id is lowercase hex or alphanumeric, at most 64 characters.
pub fn is_version_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The version a catalog key belongs to (`catalog:{version}:…`), if it is one.
pub fn version_of_key(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("catalog:")?;
    let (version, tail) = rest.split_once(':')?;
    (is_version_id(version) && !tail.is_empty()).then_some(version)
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
    pub fn as_str(self) -> &'static str {
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

/// `{kind}:{name}`: a document's name within a version (the key of
/// [`VersionRoot::overrides`]).
pub fn doc_name(kind: DocKind, name: &str) -> String {
    let kind = kind.as_str();
    let mut out = String::with_capacity(kind.len().saturating_add(1).saturating_add(name.len()));
    out.push_str(kind);
    out.push(':');
    out.push_str(name);
    out
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

/// A document's name in the edition whose URL segment is `segment`: `fr-ca/main`,
/// `fr-ca/daypack`; the name itself in the default edition (empty segment). The SKU
/// index is written once, for every edition, under its own names.
pub fn edition_doc_name(segment: &str, name: &str) -> String {
    if segment.is_empty() {
        name.to_string()
    } else {
        format!("{segment}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_version() {
        assert_eq!(doc_key("v1", DocKind::Product, "tee"), "catalog:v1:product:tee");
        assert_ne!(doc_key("v1", DocKind::Site, SINGLETON), doc_key("v2", DocKind::Site, SINGLETON));
    }

    #[test]
    fn a_root_sends_changed_documents_to_their_owner_and_the_rest_to_the_base() {
        let mut root = VersionRoot::full("base1");
        root.overrides.insert(doc_name(DocKind::Product, "tee"), Some("v3".into()));
        root.overrides.insert(doc_name(DocKind::Product, "gone"), None);
        assert_eq!(root.key_of(DocKind::Product, "tee").as_deref(), Some("catalog:v3:product:tee"));
        assert_eq!(root.key_of(DocKind::Product, "gone"), None);
        assert_eq!(root.key_of(DocKind::Product, "mug").as_deref(), Some("catalog:base1:product:mug"));
        // A card and a product of the same name are different documents.
        assert_eq!(root.key_of(DocKind::Card, "tee").as_deref(), Some("catalog:base1:card:tee"));
    }

    #[test]
    fn keys_name_their_version() {
        assert_eq!(version_of_key("catalog:ab12:product:tee"), Some("ab12"));
        assert_eq!(version_of_key(&root_key("ab12")), Some("ab12"));
        assert_eq!(version_of_key(&manifest_key("ab12", 0)), Some("ab12"));
        assert_eq!(version_of_key(CURRENT_VERSION_KEY), None);
        assert_eq!(version_of_key(HISTORY_KEY), None);
        assert_eq!(version_of_key(PUBLISHING_KEY), None);
        assert_eq!(version_of_key("catalog:a-b:product:x"), None);
        assert_eq!(version_of_key("other:ab:product:x"), None);
    }
}

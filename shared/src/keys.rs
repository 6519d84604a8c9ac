//! The KV key layout of a published catalog, shared by the merchant CLI (which writes
//! it) and the worker (which reads it).
//!
//! Every document key carries the version it belongs to, so versions never overwrite
//! each other; [`CURRENT_VERSION_KEY`] names the version shoppers see.

/// Holds the id of the current catalog version.
pub const CURRENT_VERSION_KEY: &str = "catalog:current";

/// The kinds of document a version holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    Site,
    Home,
    Product,
    Collection,
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Site => "site",
            DocKind::Home => "home",
            DocKind::Product => "product",
            DocKind::Collection => "collection",
        }
    }
}

/// `catalog:{version}:{kind}:{name}`.
pub fn doc_key(version: &str, kind: DocKind, name: &str) -> String {
    let kind = kind.as_str();
    let mut key = String::with_capacity(16 + version.len() + kind.len() + name.len());
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
        assert_ne!(
            doc_key("v1", DocKind::Site, SINGLETON),
            doc_key("v2", DocKind::Site, SINGLETON)
        );
    }
}

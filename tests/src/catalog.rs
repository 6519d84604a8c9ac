//! The sample catalog as the worker sees it.

use crate::project_root;

/// The sample catalog as the worker sees it, read through the CLI's build: tests take
/// expected prices and names from here rather than hard-coding them.
pub struct SampleCatalog {
    built: storefront_cli::build::BuiltCatalog,
}

impl SampleCatalog {
    pub fn load() -> SampleCatalog {
        let root = project_root();
        let built = storefront_cli::load_and_build(&root.join("catalog"), &root.join("public"))
            .unwrap_or_else(|problems| panic!("sample catalog is invalid: {:?}", problems.0));
        SampleCatalog { built }
    }

    fn document<T: for<'de> serde::Deserialize<'de>>(
        &self,
        kind: shared::keys::DocKind,
        name: &str,
    ) -> Option<T> {
        let document = self.built.document(kind, name)?;
        serde_json::from_str(document.json.as_deref()?).ok()
    }

    pub fn product(&self, handle: &str) -> shared::Product {
        self.product_in("", handle)
    }

    /// A product as the edition with URL segment `edition` (`fr-ca`; empty: the default)
    /// sells it.
    pub fn product_in(&self, edition: &str, handle: &str) -> shared::Product {
        let name = shared::keys::edition_doc_name(edition, handle);
        self.document(shared::keys::DocKind::Product, &name)
            .unwrap_or_else(|| panic!("sample catalog has no product {name}"))
    }

    /// The site document of the edition with URL segment `edition`.
    pub fn site_in(&self, edition: &str) -> shared::Site {
        let name = shared::keys::edition_doc_name(edition, shared::keys::SINGLETON);
        self.document(shared::keys::DocKind::Site, &name)
            .unwrap_or_else(|| panic!("sample catalog has no site document {name}"))
    }

    pub fn collection(&self, handle: &str) -> shared::Category {
        self.document(shared::keys::DocKind::Collection, handle)
            .unwrap_or_else(|| panic!("sample catalog has no collection {handle}"))
    }

    pub fn home(&self) -> shared::HomeData {
        self.document(shared::keys::DocKind::Home, shared::keys::SINGLETON)
            .unwrap_or_else(|| panic!("sample catalog has no home document"))
    }

    pub fn site(&self) -> shared::Site {
        self.document(shared::keys::DocKind::Site, shared::keys::SINGLETON)
            .unwrap_or_else(|| panic!("sample catalog has no site document"))
    }

    pub fn version(&self) -> &str {
        &self.built.version
    }
}

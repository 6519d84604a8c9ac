//! Reading the published catalog from Workers KV, through the in-isolate cache.
//!
//! Every catalog key carries its version (`catalog:{version}:product:{handle}`); one
//! pointer key names the current version. A request resolves the pointer once and then
//! reads only keys of that version, so a page never mixes two publishes. The pointer
//! lives in KV (see README, "Where the current version lives"); each isolate re-reads
//! it at most every [`POINTER_TTL_MS`].

use crate::bindings;
use crate::error::{AppError, AppResult};
use crate::isolate_cache;
use crate::timing::{now_ms, Timing};
use serde::de::DeserializeOwned;
use shared::keys::{doc_key, DocKind, CURRENT_VERSION_KEY, SINGLETON};
use shared::listing::ListingIndex;
use shared::search::SearchShard;
use shared::settings::StoreSettings;
use shared::{
    Category, ContentPage, Handle, HomeData, Product, ProductSummary, Site, SitemapIndex, SitemapShard,
};
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use worker::kv::KvStore;
use worker::Env;

/// How long an isolate trusts the version pointer it read.
pub const POINTER_TTL_MS: f64 = 5_000.0;
/// KV edge-cache time for versioned documents: they never change, so a day is safe.
const DOC_CACHE_TTL_S: u64 = 86_400;
/// KV reads at most this many keys per bulk call.
const BULK_LIMIT: usize = 100;

thread_local! {
    static POINTER: RefCell<Option<(String, f64)>> = const { RefCell::new(None) };
}

pub struct CatalogReader<'t> {
    kv: KvStore,
    version: String,
    timing: &'t Timing,
}

impl<'t> CatalogReader<'t> {
    /// Resolves the current catalog version. No catalog published is an error the
    /// developer must fix (run `make dev`, or `storefront catalog publish`).
    pub async fn open(env: &Env, timing: &'t Timing) -> AppResult<CatalogReader<'t>> {
        let kv = env.kv(bindings::CATALOG)?;
        timing.lookup();
        let now = now_ms();
        let cached = POINTER
            .with(|p| p.borrow().clone())
            .filter(|(_, at)| now - at < POINTER_TTL_MS);
        let version = match cached {
            Some((version, _)) => {
                timing.memory_hits.set(timing.memory_hits.get() + 1);
                version
            }
            None => {
                let started = now_ms();
                let read = kv.get(CURRENT_VERSION_KEY).text().await;
                timing.add_kv(1, now_ms() - started);
                let version = read?.ok_or_else(|| {
                    AppError::Internal("no catalog is published: `catalog:current` is missing from KV".into())
                })?;
                POINTER.with(|p| *p.borrow_mut() = Some((version.clone(), now)));
                version
            }
        };
        Ok(CatalogReader { kv, version, timing })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    fn parse<T: DeserializeOwned + Any + Send + Sync>(&self, key: String, text: &str) -> AppResult<Arc<T>> {
        let value: Arc<T> = Arc::new(
            serde_json::from_str(text).map_err(|e| AppError::internal(&format!("decoding {key}"), e))?,
        );
        // Parsed documents take roughly twice their JSON size in memory.
        isolate_cache::put(key, Arc::clone(&value), text.len() * 2);
        Ok(value)
    }

    async fn doc<T: DeserializeOwned + Any + Send + Sync>(
        &self,
        kind: DocKind,
        name: &str,
    ) -> AppResult<Option<Arc<T>>> {
        self.timing.lookup();
        let key = doc_key(&self.version, kind, name);
        if let Some(value) = isolate_cache::get::<T>(&key) {
            self.timing.memory_hits.set(self.timing.memory_hits.get() + 1);
            return Ok(Some(value));
        }
        let started = now_ms();
        let text = self.kv.get(&key).cache_ttl(DOC_CACHE_TTL_S).text().await;
        self.timing.add_kv(1, now_ms() - started);
        match text? {
            Some(text) => self.parse(key, &text).map(Some),
            None => Ok(None),
        }
    }

    async fn required<T: DeserializeOwned + Any + Send + Sync>(&self, kind: DocKind) -> AppResult<Arc<T>> {
        self.doc(kind, SINGLETON)
            .await?
            .ok_or_else(|| AppError::Internal(format!("catalog {} has no {kind:?} document", self.version)))
    }

    pub async fn site(&self) -> AppResult<Arc<Site>> {
        self.required(DocKind::Site).await
    }

    pub async fn home(&self) -> AppResult<Arc<HomeData>> {
        self.required(DocKind::Home).await
    }

    pub async fn settings(&self) -> AppResult<Arc<StoreSettings>> {
        self.required(DocKind::Settings).await
    }

    pub async fn product(&self, handle: &Handle) -> AppResult<Option<Arc<Product>>> {
        self.doc(DocKind::Product, handle.as_str()).await
    }

    pub async fn collection(&self, handle: &Handle) -> AppResult<Option<Arc<Category>>> {
        self.doc(DocKind::Collection, handle.as_str()).await
    }

    pub async fn listing(&self, handle: &Handle) -> AppResult<Option<Arc<ListingIndex>>> {
        self.doc(DocKind::Listing, handle.as_str()).await
    }

    pub async fn page(&self, handle: &Handle) -> AppResult<Option<Arc<ContentPage>>> {
        self.doc(DocKind::Page, handle.as_str()).await
    }

    pub async fn sitemap_index(&self) -> AppResult<Arc<SitemapIndex>> {
        self.required(DocKind::Sitemap).await
    }

    pub async fn sitemap_shard(&self, name: &str) -> AppResult<Option<Arc<SitemapShard>>> {
        self.doc(DocKind::Sitemap, name).await
    }

    /// Documents of one kind by name, from memory where possible and otherwise in bulk
    /// reads (one KV operation per hundred keys). Missing documents are left out.
    async fn many<T: DeserializeOwned + Any + Send + Sync>(
        &self,
        kind: DocKind,
        names: &[String],
    ) -> AppResult<HashMap<String, Arc<T>>> {
        self.timing.lookup();
        let mut found = HashMap::with_capacity(names.len());
        let mut missing: Vec<(String, String)> = Vec::new();
        for name in names {
            let key = doc_key(&self.version, kind, name);
            match isolate_cache::get::<T>(&key) {
                Some(value) => {
                    self.timing.memory_hits.set(self.timing.memory_hits.get() + 1);
                    found.insert(name.clone(), value);
                }
                None => missing.push((name.clone(), key)),
            }
        }
        for chunk in missing.chunks(BULK_LIMIT) {
            let keys: Vec<&str> = chunk.iter().map(|(_, k)| k.as_str()).collect();
            let started = now_ms();
            let values = self.kv.get_bulk(&keys).cache_ttl(DOC_CACHE_TTL_S).text().await;
            self.timing.add_kv(1, now_ms() - started);
            let mut values = values?;
            for (name, key) in chunk {
                if let Some(Some(text)) = values.remove(key) {
                    found.insert(name.clone(), self.parse(key.clone(), &text)?);
                }
            }
        }
        Ok(found)
    }

    /// Product cards by ordinal, in the order asked.
    pub async fn cards(&self, ordinals: &[u32]) -> AppResult<Vec<Arc<ProductSummary>>> {
        let names: Vec<String> = ordinals.iter().map(u32::to_string).collect();
        let found = self.many::<ProductSummary>(DocKind::Card, &names).await?;
        Ok(names.iter().filter_map(|n| found.get(n).cloned()).collect())
    }

    /// The product handle of each SKU found (one bulk read for all their shards).
    pub async fn products_of_skus(&self, skus: &[shared::Sku]) -> AppResult<HashMap<String, Handle>> {
        let mut shards: Vec<String> = skus
            .iter()
            .map(|s| shared::keys::sku_shard(s.as_str()).to_string())
            .collect();
        shards.sort();
        shards.dedup();
        let maps = self
            .many::<std::collections::BTreeMap<String, String>>(DocKind::Skus, &shards)
            .await?;
        let mut found = HashMap::new();
        for sku in skus {
            let shard = shared::keys::sku_shard(sku.as_str()).to_string();
            if let Some(handle) = maps
                .get(&shard)
                .and_then(|m| m.get(sku.as_str()))
                .and_then(|h| Handle::parse(h).ok())
            {
                found.insert(sku.to_string(), handle);
            }
        }
        Ok(found)
    }

    /// Search index shards by name.
    pub async fn search_shards(&self, names: &[String]) -> AppResult<HashMap<String, Arc<SearchShard>>> {
        self.many::<SearchShard>(DocKind::Search, names).await
    }
}

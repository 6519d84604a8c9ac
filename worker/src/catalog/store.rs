//! Reading the published catalog from Workers KV, through the in-isolate cache.
//!
//! Every catalog key carries a version (`catalog:{version}:product:{handle}`); one
//! pointer key names the current version. A request resolves the pointer once, then the
//! version's root (which key holds each document: the base version's, or the one of the
//! publish that last changed it — see `shared::keys::VersionRoot`), and reads only the
//! keys that root names, so a page never mixes two publishes. The pointer
//! lives in KV (see README, "Where the current version lives"); each isolate re-reads
//! it at most every [`POINTER_TTL_MS`].
//!
//! A KV read that fails or takes longer than `KV_TIMEOUT_MS` is an
//! [`AppError::Unavailable`]: the router then serves the page's last good copy, marked
//! stale. If the pointer itself cannot be read, the version this isolate last saw is used
//! (and the response marked stale), so pages whose documents are in memory still render.

use crate::bindings;
use crate::durable::Caller;
use crate::error::{AppError, AppResult};
use crate::isolate_cache;
use crate::timing::{now_ms, Timing};
use futures_util::future::{select, Either};
use serde::de::DeserializeOwned;
use shared::keys::{edition_doc_name, root_key, DocKind, VersionRoot, CURRENT_VERSION_KEY, SINGLETON};
use shared::listing::ListingIndex;
use shared::search::SearchShard;
use shared::settings::StoreSettings;
use shared::{
    Category, ContentPage, Handle, HomeData, Product, ProductSummary, Site, SitemapIndex, SitemapShard,
};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use worker::kv::{KvError, KvStore};
use worker::{Delay, Env};

/// How long an isolate trusts the version pointer it read.
pub const POINTER_TTL_MS: f64 = 5_000.0;
/// KV edge-cache time for versioned documents: they never change, so a day is safe.
const DOC_CACHE_TTL_S: u64 = 86_400;
/// KV reads at most this many keys per bulk call.
const BULK_LIMIT: usize = 100;

/// KV reads slower than this count as failed, unless `KV_TIMEOUT_MS` says otherwise.
const DEFAULT_KV_TIMEOUT_MS: u64 = 2_000;

thread_local! {
    /// The current version, when it was read, and whether that read failed (so the
    /// version is a remembered one and responses are marked stale).
    static POINTER: RefCell<Option<Pointer>> = const { RefCell::new(None) };
    /// Test routes only: every KV read fails until this moment (ms since the epoch).
    static KV_OUTAGE_UNTIL: Cell<f64> = const { Cell::new(0.0) };
}

#[derive(Clone)]
struct Pointer {
    version: String,
    read_at: f64,
    stale: bool,
}

/// Makes every KV read of this isolate fail for `seconds` (a test route's fault
/// injection), starting with the next pointer read; 0 ends an outage.
pub fn simulate_kv_outage(seconds: f64) {
    KV_OUTAGE_UNTIL.with(|until| until.set(now_ms() + seconds * 1000.0));
    POINTER.with(|p| {
        if let Some(pointer) = p.borrow_mut().as_mut() {
            pointer.read_at = 0.0;
        }
    });
}

/// Runs a KV read with a deadline; failures and timeouts become `Unavailable`.
async fn kv_read<T, F>(timeout_ms: u64, read: F) -> AppResult<T>
where
    F: Future<Output = Result<T, KvError>>,
{
    if KV_OUTAGE_UNTIL.with(Cell::get) > now_ms() {
        return Err(AppError::Unavailable("The catalog store is not answering (simulated outage).".into()));
    }
    let deadline = Delay::from(Duration::from_millis(timeout_ms));
    match select(Box::pin(read), Box::pin(deadline)).await {
        Either::Left((Ok(value), _)) => Ok(value),
        Either::Left((Err(e), _)) => {
            worker::console_warn!("KV read failed: {e}");
            Err(AppError::Unavailable("The catalog store is not answering right now.".into()))
        }
        Either::Right(_) => Err(AppError::Unavailable(
            format!("The catalog store took over {timeout_ms} ms to answer.").into(),
        )),
    }
}

fn kv_timeout_ms(env: &Env) -> u64 {
    bindings::number(env, bindings::KV_TIMEOUT_MS).filter(|ms| *ms > 0).unwrap_or(DEFAULT_KV_TIMEOUT_MS)
}

pub struct CatalogReader<'t> {
    kv: KvStore,
    version: String,
    root: Arc<VersionRoot>,
    timing: &'t Timing,
    timeout_ms: u64,
    /// The edition read: its URL segment (`fr-ca`), empty for the default edition.
    edition: String,
    /// The edition's site document once read: a page asks for it several times (its
    /// frame, its interface strings), and only the first costs a lookup.
    site: RefCell<Option<Arc<Site>>>,
}

/// A version's root, from memory or KV. A version published before roots existed has
/// none: it holds all its documents itself.
async fn load_root(
    kv: &KvStore,
    version: &str,
    timing: &Timing,
    timeout_ms: u64,
) -> AppResult<Arc<VersionRoot>> {
    let key = root_key(version);
    if let Some(root) = isolate_cache::get::<VersionRoot>(&key) {
        return Ok(root);
    }
    timing.lookup();
    let started = now_ms();
    let text = kv_read(timeout_ms, kv.get(&key).cache_ttl(DOC_CACHE_TTL_S).text()).await;
    timing.add_kv(1, now_ms() - started);
    let (root, bytes) = match text? {
        Some(text) => (
            serde_json::from_str(&text).map_err(|e| AppError::internal(&format!("decoding {key}"), e))?,
            text.len(),
        ),
        None => (VersionRoot::full(version), 0),
    };
    let root = Arc::new(root);
    isolate_cache::put(key, Arc::clone(&root), bytes.saturating_mul(2).saturating_add(64));
    Ok(root)
}

impl<'t> CatalogReader<'t> {
    /// Resolves the current catalog version. No catalog published is an error the
    /// developer must fix (run `make dev`, or `storefront catalog publish`).
    pub async fn open(env: &Env, timing: &'t Timing) -> AppResult<CatalogReader<'t>> {
        let kv = env.kv(bindings::CATALOG)?;
        let timeout_ms = kv_timeout_ms(env);
        timing.lookup();
        let now = now_ms();
        let remembered = POINTER.with(|p| p.borrow().clone());
        let version = match remembered {
            Some(pointer) if now - pointer.read_at < POINTER_TTL_MS => {
                timing.memory_hit();
                if pointer.stale {
                    timing.stale.set(true);
                }
                pointer.version
            }
            _ => {
                let started = now_ms();
                let read = kv_read(timeout_ms, kv.get(CURRENT_VERSION_KEY).text()).await;
                timing.add_kv(1, now_ms() - started);
                match (read, remembered) {
                    (Ok(Some(version)), _) => {
                        let pointer = Pointer { version: version.clone(), read_at: now, stale: false };
                        POINTER.with(|p| *p.borrow_mut() = Some(pointer));
                        version
                    }
                    (Ok(None), _) => {
                        return Err(AppError::Internal(
                            "no catalog is published: `catalog:current` is missing from KV".into(),
                        ))
                    }
                    // KV is down: keep the version last seen (and try KV again after the TTL).
                    (Err(_), Some(pointer)) => {
                        timing.stale.set(true);
                        let version = pointer.version.clone();
                        POINTER.with(|p| {
                            *p.borrow_mut() = Some(Pointer { read_at: now, stale: true, ..pointer })
                        });
                        version
                    }
                    (Err(e), None) => return Err(e),
                }
            }
        };
        let root = load_root(&kv, &version, timing, timeout_ms).await?;
        Ok(CatalogReader {
            kv,
            version,
            root,
            timing,
            timeout_ms,
            edition: String::new(),
            site: RefCell::new(None),
        })
    }

    /// A reader of one known version (a Durable Object reads the version the worker's
    /// request resolved, so both see the same catalog).
    pub async fn at_version(env: &Env, timing: &'t Timing, version: &str) -> AppResult<CatalogReader<'t>> {
        let kv = env.kv(bindings::CATALOG)?;
        let timeout_ms = kv_timeout_ms(env);
        let root = load_root(&kv, version, timing, timeout_ms).await?;
        Ok(CatalogReader {
            kv,
            version: version.to_string(),
            root,
            timing,
            timeout_ms,
            edition: String::new(),
            site: RefCell::new(None),
        })
    }

    /// Whether this version has the edition whose URL segment is `segment` (`fr-ca`;
    /// empty: the default edition, always there): the default edition's site document
    /// lists them (one document every page reads anyway).
    pub async fn has_edition(&self, segment: &str) -> AppResult<bool> {
        if segment.is_empty() {
            return Ok(true);
        }
        let site: Option<Arc<Site>> = self.root_doc(DocKind::Site, SINGLETON).await?;
        Ok(site.is_some_and(|site| site.editions.iter().any(|e| e.segment == segment)))
    }

    /// This reader turned to the edition whose URL segment is `segment` (see
    /// [`Self::has_edition`]): every document is then read from that edition (the SKU
    /// index is the same for all).
    pub fn in_edition(mut self, segment: &str) -> CatalogReader<'t> {
        self.edition = segment.to_string();
        self.site = RefCell::new(None);
        self
    }

    /// The edition's URL segment (`fr-ca`), empty for the default edition.
    pub fn edition(&self) -> &str {
        &self.edition
    }

    /// The edition's language: a prefixed edition's from its segment (`fr-ca`), the
    /// default edition's as its site document names it (the catalog's first market's
    /// first language; English when it cannot be read).
    pub async fn language(&self) -> shared::markets::Language {
        match shared::markets::Edition::parse_segment(&self.edition) {
            Some(edition) => edition.language,
            None => self
                .site()
                .await
                .map(|site| site.language.clone())
                .unwrap_or_else(|_| shared::markets::Language::english()),
        }
    }

    /// What the edition's paths start with: `/fr-ca`, nothing for the default edition.
    pub fn base_path(&self) -> String {
        shared::markets::base_path(&self.edition)
    }

    /// The document name `name` has in this reader's edition.
    fn name_in_edition(&self, kind: DocKind, name: &str) -> String {
        match kind {
            DocKind::Skus => name.to_string(),
            _ => edition_doc_name(&self.edition, name),
        }
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn timing(&self) -> &'t Timing {
        self.timing
    }

    /// A Durable Object caller sharing this request's timing.
    pub fn caller(&self, env: &Env) -> Caller<'t> {
        Caller::new(env, self.timing)
    }

    fn parse<T: DeserializeOwned + Any + Send + Sync>(&self, key: String, text: &str) -> AppResult<Arc<T>> {
        let value: Arc<T> = Arc::new(
            serde_json::from_str(text).map_err(|e| AppError::internal(&format!("decoding {key}"), e))?,
        );
        // Parsed documents take roughly twice their JSON size in memory.
        isolate_cache::put(key, Arc::clone(&value), text.len().saturating_mul(2));
        Ok(value)
    }

    async fn doc<T: DeserializeOwned + Any + Send + Sync>(
        &self,
        kind: DocKind,
        name: &str,
    ) -> AppResult<Option<Arc<T>>> {
        self.root_doc(kind, &self.name_in_edition(kind, name)).await
    }

    /// A document by its name in the version (any edition's).
    async fn root_doc<T: DeserializeOwned + Any + Send + Sync>(
        &self,
        kind: DocKind,
        name: &str,
    ) -> AppResult<Option<Arc<T>>> {
        self.timing.lookup();
        let Some(key) = self.root.key_of(kind, name) else {
            return Ok(None);
        };
        if let Some(value) = isolate_cache::get::<T>(&key) {
            self.timing.memory_hit();
            return Ok(Some(value));
        }
        let started = now_ms();
        let text = kv_read(self.timeout_ms, self.kv.get(&key).cache_ttl(DOC_CACHE_TTL_S).text()).await;
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
        if let Some(site) = self.site.borrow().clone() {
            return Ok(site);
        }
        let site: Arc<Site> = self.required(DocKind::Site).await?;
        *self.site.borrow_mut() = Some(Arc::clone(&site));
        Ok(site)
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
            let Some(key) = self.root.key_of(kind, &self.name_in_edition(kind, name)) else {
                continue;
            };
            match isolate_cache::get::<T>(&key) {
                Some(value) => {
                    self.timing.memory_hit();
                    found.insert(name.clone(), value);
                }
                None => missing.push((name.clone(), key)),
            }
        }
        for chunk in missing.chunks(BULK_LIMIT) {
            let keys: Vec<&str> = chunk.iter().map(|(_, k)| k.as_str()).collect();
            let started = now_ms();
            let values =
                kv_read(self.timeout_ms, self.kv.get_bulk(&keys).cache_ttl(DOC_CACHE_TTL_S).text()).await;
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
        let mut shards: Vec<String> =
            skus.iter().map(|s| shared::keys::sku_shard(s.as_str()).to_string()).collect();
        shards.sort();
        shards.dedup();
        let maps = self.many::<std::collections::BTreeMap<String, String>>(DocKind::Skus, &shards).await?;
        let mut found = HashMap::new();
        for sku in skus {
            let shard = shared::keys::sku_shard(sku.as_str()).to_string();
            if let Some(handle) =
                maps.get(&shard).and_then(|m| m.get(sku.as_str())).and_then(|h| Handle::parse(h).ok())
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

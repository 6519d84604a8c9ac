//! Reading the published catalog from Workers KV.
//!
//! Every catalog key carries its version (`catalog:{version}:product:{handle}`); one
//! pointer key names the current version. A request resolves the pointer once and
//! then reads only keys of that version, so a page never mixes two publishes.

use crate::bindings;
use crate::error::{AppError, AppResult};
use serde::de::DeserializeOwned;
use shared::keys::{doc_key, DocKind, CURRENT_VERSION_KEY, SINGLETON};
use shared::{Category, Handle, HomeData, Product, Site};
use worker::kv::KvStore;
use worker::Env;

pub struct CatalogReader {
    kv: KvStore,
    version: String,
}

impl CatalogReader {
    /// Resolves the current catalog version. No catalog published is an error the
    /// developer must fix (run `make dev`, or `storefront catalog publish`).
    pub async fn open(env: &Env) -> AppResult<Self> {
        let kv = env.kv(bindings::CATALOG)?;
        let version = kv.get(CURRENT_VERSION_KEY).text().await?.ok_or_else(|| {
            AppError::Internal("no catalog is published: `catalog:current` is missing from KV".into())
        })?;
        Ok(CatalogReader { kv, version })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    async fn read<T: DeserializeOwned>(&self, kind: DocKind, name: &str) -> AppResult<Option<T>> {
        let key = doc_key(&self.version, kind, name);
        let Some(text) = self.kv.get(&key).text().await? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| AppError::internal(&format!("decoding {key}"), e))
    }

    pub async fn site(&self) -> AppResult<Site> {
        self.read(DocKind::Site, SINGLETON)
            .await?
            .ok_or_else(|| AppError::Internal(format!("catalog {} has no site document", self.version)))
    }

    pub async fn home(&self) -> AppResult<HomeData> {
        self.read(DocKind::Home, SINGLETON)
            .await?
            .ok_or_else(|| AppError::Internal(format!("catalog {} has no home document", self.version)))
    }

    pub async fn product(&self, handle: &Handle) -> AppResult<Option<Product>> {
        self.read(DocKind::Product, handle.as_str()).await
    }

    pub async fn collection(&self, handle: &Handle) -> AppResult<Option<Category>> {
        self.read(DocKind::Collection, handle.as_str()).await
    }
}

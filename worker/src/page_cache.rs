//! The full-page cache: rendered catalog pages kept in the Workers Cache API, and the
//! most used of them also in the isolate's memory (a hit there costs no subrequest and
//! no body stream), under a key that contains the catalog version, so a publish needs
//! no purge — the next request simply asks for a key that does not exist yet. Pages
//! carry a weak `ETag` derived from the same version and URL, so a browser revalidating
//! an unchanged page gets a `304` without a single document being read.
//!
//! Only anonymous, session-free pages are cached: catalog pages never contain anything
//! about the shopper (the cart lives on its own `no-store` page).
//! On `*.workers.dev` hostnames the Cache API is a no-op: use a custom domain or route
//! to get page-cache hits in production (the in-isolate cache still applies).

use std::future::Future;
use std::sync::Arc;
use worker::{Cache, Headers, Request, Response};

/// A page kept in the isolate's memory (in the isolate cache's LRU, next to documents).
struct Page {
    content_type: String,
    body: String,
}

fn remember(key: &str, content_type: &str, body: &str) {
    let page = Page { content_type: content_type.to_string(), body: body.to_string() };
    let bytes =
        [key.len(), content_type.len(), body.len(), 64].into_iter().fold(0_usize, usize::saturating_add);
    crate::isolate_cache::put(format!("page:{key}"), Arc::new(page), bytes);
}

/// Whether the full-page cache is in use: `PAGE_CACHE = "off"` renders every page from
/// the documents (benchmarks use it to measure rendering; stale copies are not kept then).
pub fn enabled(env: &worker::Env) -> bool {
    !crate::bindings::is(env, crate::bindings::PAGE_CACHE, "off")
}

/// How long the cache keeps a page. Keys are versioned, so this only bounds storage.
const STORED_MAX_AGE_S: u32 = 86_400;

/// A weak validator: the same catalog version and canonical URL give the same page.
pub fn etag(version: &str, path: &str, canonical_query: &str) -> String {
    let mut hash = shared::hash::Fnv64::new();
    hash.write(path.as_bytes()).write(b"\0").write(canonical_query.as_bytes()).write(b"\0");
    format!("W/\"{version}-{}\"", hash.hex())
}

/// Whether the request's `If-None-Match` names this ETag (or `*`).
pub fn client_has(req: &Request, etag: &str) -> bool {
    let Ok(Some(header)) = req.headers().get("if-none-match") else {
        return false;
    };
    let bare = etag.trim_start_matches("W/");
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == bare)
}

/// The cache key: a synthetic URL holding the version, path and canonical query.
pub fn key(version: &str, path: &str, canonical_query: &str) -> String {
    let mut url = format!("https://page-cache.internal/{version}{path}");
    if !canonical_query.is_empty() {
        url.push('?');
        url.push_str(canonical_query);
    }
    url
}

/// Where the last good copy of a page is kept, whatever the version: what is served,
/// marked stale, when KV cannot be read.
pub fn last_key(path: &str, canonical_query: &str) -> String {
    key("last-good", path, canonical_query)
}

/// A cached page's content type and body, if the cache has it.
pub async fn lookup(key: &str) -> Option<(String, String)> {
    if let Some(page) = crate::isolate_cache::get::<Page>(&format!("page:{key}")) {
        return Some((page.content_type.clone(), page.body.clone()));
    }
    let cache = Cache::default();
    let mut cached = cache.get(key, false).await.ok()??;
    if cached.status_code() != 200 {
        return None;
    }
    let content_type = cached.headers().get("content-type").ok().flatten().unwrap_or_default();
    let body = cached.text().await.ok()?;
    remember(key, &content_type, &body);
    Some((content_type, body))
}

/// Stores a page: in memory at once, and in the Cache API by the returned future (run
/// after the response is sent, through `wait_until`).
pub fn store(key: String, content_type: String, body: String) -> impl Future<Output = ()> + 'static {
    remember(&key, &content_type, &body);
    put(key, content_type, body)
}

/// Stores a page in the Cache API only (the last good copy kept for KV outages: rarely
/// read, so not worth a second copy in memory).
pub async fn put(key: String, content_type: String, body: String) {
    let headers = Headers::new();
    let stored = headers
        .set("content-type", &content_type)
        .and_then(|_| headers.set("cache-control", &format!("public, max-age={STORED_MAX_AGE_S}")))
        .and_then(|_| Response::ok(body))
        .map(|r| r.with_headers(headers));
    if let Ok(response) = stored {
        if let Err(e) = Cache::default().put(key.as_str(), response).await {
            worker::console_warn!("page cache put failed for {key}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_change_with_version_and_url() {
        let a = etag("v1", "/products/tee", "");
        assert_eq!(a, etag("v1", "/products/tee", ""));
        assert_ne!(a, etag("v2", "/products/tee", ""));
        assert_ne!(a, etag("v1", "/products/mug", ""));
        assert_ne!(a, etag("v1", "/products/tee", "variant=T-M"));
        assert!(a.starts_with("W/\"v1-"));
    }

    #[test]
    fn keys_hold_the_version() {
        assert_eq!(key("v1", "/", ""), "https://page-cache.internal/v1/");
        assert_eq!(
            key("v1", "/products/tee", "variant=A"),
            "https://page-cache.internal/v1/products/tee?variant=A"
        );
    }
}

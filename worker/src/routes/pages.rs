//! Catalog pages through the cache layers: home, collections, products, content pages,
//! search, suggestions, sitemaps and robots.txt. Each is the same for every visitor
//! without a cart, so it goes through the full-page cache; its own module (mirroring
//! `app/src/routes/`) reads its critical documents in parallel (a missing one is a 404)
//! and renders it.

use super::{article, collection, home, product, search, sitemaps};
use crate::catalog::{self, CatalogReader};
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields, Rendered};
use crate::page_cache;
use crate::timing::{now_ms, PageCache};
use shared::listing::ListingParams;
use shared::strings::Text;
use shared::{Currency, Handle, Sku};
use worker::{Context, Env, Request, Response};

/// The page-cached routes.
pub enum CatalogPage {
    Home,
    Collection(String),
    Product(String),
    Content(String),
    Search,
    Suggest,
    SitemapIndex,
    /// `products-1.xml` and the like.
    Sitemap(String),
    Robots,
}

impl CatalogPage {
    /// What, besides the catalog version and URL, the page depends on: a product page
    /// shows live availability. Empty for every other page.
    pub async fn live_mark(&self, env: &Env, catalog: &CatalogReader<'_>) -> AppResult<String> {
        let CatalogPage::Product(handle) = self else {
            return Ok(String::new());
        };
        let Ok(handle) = Handle::parse(handle) else {
            return Ok(String::new());
        };
        match catalog::product_with_availability(env, catalog, &handle).await? {
            Some((_, available)) => Ok(product::availability_mark(&available)),
            None => Ok(String::new()),
        }
    }

    pub fn cache_policy(&self) -> CachePolicy {
        match self {
            CatalogPage::SitemapIndex | CatalogPage::Sitemap(_) | CatalogPage::Robots => CachePolicy::Long,
            _ => CachePolicy::Catalog,
        }
    }

    /// The query parameters this page understands, validated and in one canonical order;
    /// all others are ignored, so junk parameters cannot split the page cache.
    pub async fn canonical_query(&self, raw: &str, catalog: &CatalogReader<'_>) -> AppResult<String> {
        Ok(match self {
            CatalogPage::Product(_) => {
                let fields = Fields::parse(raw.as_bytes())?;
                match fields.get("variant").and_then(|v| Sku::parse(v).ok()) {
                    Some(sku) => format!("variant={sku}"),
                    None => String::new(),
                }
            }
            CatalogPage::Collection(_) => {
                let pairs = Fields::pairs(raw.as_bytes());
                let currency = listing_currency(&pairs, catalog).await?;
                ListingParams::parse(&pairs, currency)
                    .map_err(|e| AppError::BadRequest(e.into()))?
                    .canonical_query(currency)
            }
            CatalogPage::Search | CatalogPage::Suggest => {
                let fields = Fields::parse(raw.as_bytes())?;
                let query = search::tidy_query(fields.get("q").unwrap_or(""));
                let mut pairs = vec![("q".to_string(), query)];
                if matches!(self, CatalogPage::Search) {
                    match fields.get("page").filter(|p| !p.is_empty()) {
                        None | Some("1") => {}
                        Some(p) => {
                            let page = p.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                                AppError::BadRequest(Text::new(
                                    "The page number must be a whole number from 1 up.",
                                ))
                            })?;
                            pairs.push(("page".into(), page.to_string()));
                        }
                    }
                }
                shared::url::query(&pairs)
            }
            _ => String::new(),
        })
    }
}

/// Prices in a listing URL are in the store currency; other parameters need none.
async fn listing_currency(pairs: &[(String, String)], catalog: &CatalogReader<'_>) -> AppResult<Currency> {
    if pairs.iter().any(|(n, _)| n.starts_with("price.")) {
        Ok(catalog.site().await?.store.currency)
    } else {
        Ok(Currency::USD)
    }
}

/// Renders a page from its documents.
async fn render(
    page: &CatalogPage,
    env: &Env,
    catalog: &CatalogReader<'_>,
    canonical_query: &str,
    origin: &str,
    path: &str,
) -> AppResult<Rendered> {
    let ctx = crate::security::render_context(catalog, origin, path).await;
    let fields = Fields::pairs(canonical_query.as_bytes());
    let param = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    match page {
        CatalogPage::Home => home::render(catalog, ctx).await,
        CatalogPage::Collection(handle) => collection::render(catalog, ctx, handle, &fields).await,
        CatalogPage::Product(handle) => {
            let selected = param("variant").and_then(|v| Sku::parse(&v).ok());
            product::render(env, catalog, ctx, handle, selected).await
        }
        CatalogPage::Content(handle) => article::render(catalog, ctx, handle).await,
        CatalogPage::Search => {
            let page: u32 = param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            search::render(catalog, ctx, param("q").unwrap_or_default(), page).await
        }
        CatalogPage::Suggest => search::suggest(catalog, param("q").unwrap_or_default()).await,
        CatalogPage::SitemapIndex => sitemaps::index(catalog, origin).await,
        CatalogPage::Sitemap(file) => sitemaps::shard(catalog, origin, file).await,
        CatalogPage::Robots => sitemaps::robots(catalog, origin).await,
    }
}

/// A catalog page through the cache layers: the client's copy (ETag → 304), the
/// full-page cache, then rendering from documents (in-isolate cache, then KV).
pub async fn cached(
    req: &Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    page: CatalogPage,
) -> AppResult<Response> {
    let path = req.path();
    let canonical = page.canonical_query(&http::query_string(req), catalog).await?;
    let policy = page.cache_policy();
    // The version, the URL, and anything live the page shows (product availability).
    let live = page.live_mark(env, catalog).await?;
    let versioned =
        if live.is_empty() { catalog.version().to_string() } else { format!("{}-{live}", catalog.version()) };
    let etag = page_cache::etag(&versioned, &path, &canonical);
    let timing = catalog.timing();
    if page_cache::client_has(req, &etag) {
        timing.page_cache.set(PageCache::Revalidated);
        return http::not_modified(&etag, policy);
    }
    let key = page_cache::key(&versioned, &path, &canonical);
    let use_cache = page_cache::enabled(env);
    if use_cache {
        if let Some((content_type, body)) = page_cache::lookup(&key).await {
            timing.page_cache.set(PageCache::Hit);
            return http::body_response(&content_type, body, 200, policy, Some(&etag));
        }
        timing.page_cache.set(PageCache::Miss);
    }
    let started = now_ms();
    let (content_type, body) = match render(&page, env, catalog, &canonical, &http::origin(req), &path).await
    {
        Ok(page) => page,
        // KV failed and the documents were not in memory: the last copy, if any.
        Err(AppError::Unavailable(message)) => {
            return stale_copy(&path, &canonical, catalog, message.to_string()).await
        }
        Err(e) => return Err(e),
    };
    timing.render_ms.set(now_ms() - started);
    let response = http::body_response(content_type, body.clone(), 200, policy, Some(&etag))?;
    if use_cache {
        ctx.wait_until(page_cache::store(key, content_type.to_string(), body.clone()));
        ctx.wait_until(page_cache::put(
            page_cache::last_key(&path, &canonical),
            content_type.to_string(),
            body,
        ));
    }
    Ok(response)
}

/// The last good copy of a page, served while KV cannot be read.
async fn stale_copy(
    path: &str,
    canonical: &str,
    catalog: &CatalogReader<'_>,
    message: String,
) -> AppResult<Response> {
    let Some((content_type, body)) = page_cache::lookup(&page_cache::last_key(path, canonical)).await else {
        return Err(AppError::Unavailable(message.into()));
    };
    catalog.timing().stale.set(true);
    let resp = http::body_response(&content_type, body, 200, CachePolicy::NoStore, None)?;
    resp.headers().set("x-served-stale", "kv-unavailable")?;
    Ok(resp)
}

//! Catalog pages: home, collections, products, content pages, search, suggestions,
//! sitemaps and robots.txt. Each reads its critical documents in parallel (a missing one
//! is a 404) and renders. All of them are anonymous and go through the full-page cache.

use crate::catalog::{self, CatalogReader};
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::page_cache;
use crate::timing::{now_ms, PageCache};
use app::islands::Suggestion;
use app::{
    render_document, ArticlePage, CollectionPage, FacetView, HomePage, ListingView, ProductPage,
    RenderContext, SearchPage, SearchResults,
};
use futures_util::future::join;
use leptos::prelude::*;
use shared::listing::{facet_key, ListingParams};
use shared::search::MAX_QUERY_CHARS;
use shared::{format_money, Currency, Handle, Sku};
use std::collections::BTreeMap;
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

/// Most suggestions returned while typing.
const SUGGESTIONS: usize = 6;

/// Which SKUs can be bought: part of a product page's cache key, so selling out changes it.
fn availability_mark(available: &BTreeMap<String, u32>) -> String {
    let mut hash = shared::hash::Fnv64::new();
    for (sku, n) in available {
        hash.write(sku.as_bytes()).write(&[u8::from(*n > 0), 0]);
    }
    hash.hex()
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
            Some((_, available)) => Ok(availability_mark(&available)),
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
                    .map_err(AppError::BadRequest)?
                    .canonical_query(currency)
            }
            CatalogPage::Search | CatalogPage::Suggest => {
                let fields = Fields::parse(raw.as_bytes())?;
                let query = tidy_query(fields.get("q").unwrap_or(""));
                let mut pairs = vec![("q".to_string(), query)];
                if matches!(self, CatalogPage::Search) {
                    match fields.get("page").filter(|p| !p.is_empty()) {
                        None | Some("1") => {}
                        Some(p) => {
                            let page = p.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                                AppError::BadRequest(
                                    "The page number must be a whole number from 1 up.".into(),
                                )
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

/// A search as typed, trimmed, blanks collapsed, bounded.
fn tidy_query(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_QUERY_CHARS).collect()
}

/// A rendered page: content type and body.
type Rendered = (&'static str, String);

/// Renders a page from its documents.
async fn render(
    page: &CatalogPage,
    env: &Env,
    catalog: &CatalogReader<'_>,
    canonical_query: &str,
    origin: &str,
) -> AppResult<Rendered> {
    let ctx = crate::security::render_context(catalog.version(), origin);
    let fields = Fields::pairs(canonical_query.as_bytes());
    let param = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    match page {
        CatalogPage::Home => {
            let (site, home) = join(catalog.site(), catalog.home()).await;
            let (site, home) = ((*site?).clone(), (*home?).clone());
            Ok((http::HTML, render_document(ctx, move || view! { <HomePage site home/> })))
        }
        CatalogPage::Collection(handle) => collection(catalog, ctx, handle, &fields).await,
        CatalogPage::Product(handle) => {
            let selected = param("variant").and_then(|v| Sku::parse(&v).ok());
            product(env, catalog, ctx, handle, selected).await
        }
        CatalogPage::Content(handle) => {
            let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
            let (site, page) = join(catalog.site(), catalog.page(&handle)).await;
            let (site, page) = ((*site?).clone(), (*page?.ok_or(AppError::NotFound)?).clone());
            Ok((http::HTML, render_document(ctx, move || view! { <ArticlePage site page/> })))
        }
        CatalogPage::Search => {
            let page: u32 = param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            search(catalog, ctx, param("q").unwrap_or_default(), page).await
        }
        CatalogPage::Suggest => suggest(catalog, param("q").unwrap_or_default()).await,
        CatalogPage::SitemapIndex => sitemap_index(catalog, origin).await,
        CatalogPage::Sitemap(file) => sitemap(catalog, origin, file).await,
        CatalogPage::Robots => Ok((http::TEXT, robots(origin))),
    }
}

async fn product(
    env: &Env,
    catalog: &CatalogReader<'_>,
    ctx: RenderContext,
    handle: &str,
    selected: Option<Sku>,
) -> AppResult<Rendered> {
    let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
    let (site, found) = join(catalog.site(), catalog::product_with_availability(env, catalog, &handle)).await;
    let (product, available) = found?.ok_or(AppError::NotFound)?;
    let (site, mut product) = ((*site?).clone(), (*product).clone());
    // Availability comes from inventory, not from the catalog's stock figures.
    for variant in &mut product.variants {
        variant.stock = available.get(variant.sku.as_str()).copied().unwrap_or(0);
    }
    // Related products are deferred data: if they cannot be read, the page goes without.
    let related = match catalog.cards(&product.related).await {
        Ok(cards) => cards.iter().map(|c| (**c).clone()).collect(),
        Err(e) => {
            worker::console_warn!("related products of {handle} left out: {e}");
            Vec::new()
        }
    };
    Ok((http::HTML, render_document(ctx, move || view! { <ProductPage site product selected related/> })))
}

async fn search(
    catalog: &CatalogReader<'_>,
    ctx: RenderContext,
    query: String,
    page: u32,
) -> AppResult<Rendered> {
    let (site, hits) = join(catalog.site(), catalog::search(catalog, &query, page)).await;
    let (site, hits) = ((*site?).clone(), hits?);
    if page > hits.page_count {
        return Err(AppError::NotFound);
    }
    let products = hits.products.iter().map(|c| (**c).clone()).collect();
    let results = SearchResults { query, total: hits.total, page, page_count: hits.page_count };
    Ok((http::HTML, render_document(ctx, move || view! { <SearchPage site results products/> })))
}

async fn suggest(catalog: &CatalogReader<'_>, query: String) -> AppResult<Rendered> {
    let suggestions: Vec<Suggestion> = catalog::suggestions(catalog, &query, SUGGESTIONS)
        .await?
        .iter()
        .map(|c| Suggestion {
            title: c.title.clone(),
            href: format!("/products/{}", c.handle),
            price: format_money(c.price),
        })
        .collect();
    let body = serde_json::json!({ "query": query, "suggestions": suggestions });
    Ok((http::JSON, http::escape_markup(body.to_string())))
}

async fn sitemap_index(catalog: &CatalogReader<'_>, origin: &str) -> AppResult<Rendered> {
    let index = catalog.sitemap_index().await?;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for shard in &index.shards {
        xml.push_str(&format!(
            "<sitemap><loc>{}/sitemaps/{}.xml</loc></sitemap>\n",
            xml_escape(origin),
            xml_escape(shard)
        ));
    }
    xml.push_str("</sitemapindex>\n");
    Ok((http::XML, xml))
}

async fn sitemap(catalog: &CatalogReader<'_>, origin: &str, file: &str) -> AppResult<Rendered> {
    let name = file.strip_suffix(".xml").ok_or(AppError::NotFound)?;
    let valid =
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(AppError::NotFound);
    }
    let shard = catalog.sitemap_shard(name).await?.ok_or(AppError::NotFound)?;
    let mut xml = String::with_capacity(shard.paths.len().saturating_mul(80).saturating_add(200));
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in &shard.paths {
        xml.push_str(&format!("<url><loc>{}{}</loc></url>\n", xml_escape(origin), xml_escape(path)));
    }
    xml.push_str("</urlset>\n");
    Ok((http::XML, xml))
}

fn robots(origin: &str) -> String {
    format!(
        "User-agent: *\n\
         Disallow: /cart\n\
         Disallow: /search\n\
         Disallow: /*?*sort=\n\
         Disallow: /*?*filter.\n\
         Disallow: /*?*price.\n\
         Disallow: /*?*in_stock=\n\
         Disallow: /*?*variant=\n\
         \n\
         Sitemap: {origin}/sitemap.xml\n"
    )
}

async fn collection(
    catalog: &CatalogReader<'_>,
    ctx: RenderContext,
    handle: &str,
    pairs: &[(String, String)],
) -> AppResult<Rendered> {
    let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
    let listing = catalog::collection(catalog, &handle, pairs).await?;
    let currency = listing.site.store.currency;
    let facets = listing
        .index
        .facets
        .iter()
        .zip(&listing.page.facet_counts)
        .map(|(facet, counts)| {
            let key = facet_key(&facet.name);
            let chosen = listing.params.filters.get(&key);
            FacetView {
                name: facet.name.clone(),
                values: facet
                    .values
                    .iter()
                    .zip(counts)
                    .take(60)
                    .map(|(v, n)| (v.value.clone(), *n, chosen.is_some_and(|c| c.contains(&v.value))))
                    .collect(),
                key,
            }
        })
        .collect();
    let view = ListingView {
        price_bounds: listing.index.price_bounds(),
        params: listing.params,
        currency,
        page_count: listing.page.page_count,
        total: listing.page.total,
        facets,
    };
    let (site, category, products) = ((*listing.site).clone(), (*listing.category).clone(), listing.products);
    Ok((
        http::HTML,
        render_document(ctx, move || view! { <CollectionPage site category products listing=view/> }),
    ))
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
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
    let (content_type, body) = match render(&page, env, catalog, &canonical, &http::origin(req)).await {
        Ok(page) => page,
        // KV failed and the documents were not in memory: the last copy, if any.
        Err(AppError::Unavailable(message)) => return stale_copy(&path, &canonical, catalog, message).await,
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
        return Err(AppError::Unavailable(message));
    };
    catalog.timing().stale.set(true);
    let resp = http::body_response(&content_type, body, 200, CachePolicy::NoStore, None)?;
    resp.headers().set("x-served-stale", "kv-unavailable")?;
    Ok(resp)
}

//! Catalog pages: home, collections, products, content pages, search, suggestions,
//! sitemaps and robots.txt. Each reads its critical documents in parallel (a missing one
//! is a 404) and renders. All of them are anonymous and go through the full-page cache.

use crate::catalog_store::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::inventory_object::{Inventory, StockItem};
use crate::timing::now_ms;
use app::islands::Suggestion;
use app::{
    render_document, ArticlePage, CollectionPage, FacetView, HomePage, ListingView, ProductPage,
    RenderContext, SearchPage, SearchResults,
};
use futures_util::future::join;
use leptos::prelude::*;
use shared::listing::{facet_key, ListingParams, SortOrder, PAGE_SIZE};
use shared::search::{query_terms, search, shards_for, MAX_QUERY_CHARS};
use shared::Product;
use shared::{format_money, Currency, Handle, Sku};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use worker::Env;

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
/// How long an isolate trusts the availability it read from the inventory objects.
const AVAILABILITY_TTL_MS: f64 = 10_000.0;

thread_local! {
    static AVAILABILITY: RefCell<HashMap<String, (u32, f64)>> = RefCell::new(HashMap::new());
}

/// Units available per SKU of a product, from the inventory objects (kept briefly in
/// isolate memory). If inventory cannot be reached, the catalog's figures are used: the
/// page still renders, and checkout checks stock again anyway.
pub async fn live_availability(
    env: &Env,
    catalog: &CatalogReader<'_>,
    product: &Product,
) -> BTreeMap<String, u32> {
    let now = now_ms();
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    AVAILABILITY.with(|cache| {
        let cache = cache.borrow();
        for v in &product.variants {
            match cache.get(v.sku.as_str()) {
                Some((n, at)) if now - at < AVAILABILITY_TTL_MS => {
                    found.insert(v.sku.to_string(), *n);
                }
                _ => missing.push(StockItem { sku: v.sku.clone(), quantity: 0, catalog_stock: v.stock }),
            }
        }
    });
    if missing.is_empty() {
        return found;
    }
    let fetched = match Inventory::new(env, catalog.caller(env)) {
        Ok(inventory) => inventory.availability(&missing, now as u64, "").await,
        Err(e) => Err(e),
    };
    match fetched {
        Ok(map) => AVAILABILITY.with(|cache| {
            let mut cache = cache.borrow_mut();
            for item in &missing {
                let n = map.get(item.sku.as_str()).copied().unwrap_or(0);
                cache.insert(item.sku.to_string(), (n, now));
                found.insert(item.sku.to_string(), n);
            }
        }),
        Err(e) => {
            worker::console_warn!("availability of {} from the catalog: {e}", product.handle);
            for item in &missing {
                found.insert(item.sku.to_string(), item.catalog_stock);
            }
        }
    }
    found
}

/// Drops a SKU's remembered availability (after the merchant sets its stock).
pub fn forget_availability(sku: &Sku) {
    AVAILABILITY.with(|cache| {
        cache.borrow_mut().remove(sku.as_str());
    });
}

/// Which SKUs can be bought: part of a product page's cache key, so selling out changes it.
fn availability_mark(available: &BTreeMap<String, u32>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (sku, n) in available {
        for b in sku.bytes().chain([u8::from(*n > 0), 0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
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
        match catalog.product(&handle).await? {
            Some(product) => Ok(availability_mark(&live_availability(env, catalog, &product).await)),
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

/// Renders a page: (content type, body).
pub async fn render(
    page: &CatalogPage,
    env: &Env,
    catalog: &CatalogReader<'_>,
    canonical_query: &str,
    origin: &str,
) -> AppResult<(&'static str, String)> {
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
            let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
            let selected = param("variant").and_then(|v| Sku::parse(&v).ok());
            let (site, product) = join(catalog.site(), catalog.product(&handle)).await;
            let (site, mut product) = ((*site?).clone(), (*product?.ok_or(AppError::NotFound)?).clone());
            // Availability comes from inventory, not from the catalog's stock figures.
            let available = live_availability(env, catalog, &product).await;
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
            Ok((
                http::HTML,
                render_document(ctx, move || view! { <ProductPage site product selected related/> }),
            ))
        }
        CatalogPage::Content(handle) => {
            let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
            let (site, page) = join(catalog.site(), catalog.page(&handle)).await;
            let (site, page) = ((*site?).clone(), (*page?.ok_or(AppError::NotFound)?).clone());
            Ok((http::HTML, render_document(ctx, move || view! { <ArticlePage site page/> })))
        }
        CatalogPage::Search => {
            let query = param("q").unwrap_or_default();
            let page: u32 = param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let (site, ranked) = join(catalog.site(), ranked_cards(catalog, &query)).await;
            let (site, ranked) = ((*site?).clone(), ranked?);
            let total = ranked.len();
            let page_count = total.div_ceil(PAGE_SIZE).max(1) as u32;
            if page > page_count {
                return Err(AppError::NotFound);
            }
            let start = (page as usize - 1) * PAGE_SIZE;
            let ordinals: Vec<u32> = ranked.iter().skip(start).take(PAGE_SIZE).copied().collect();
            let products = catalog.cards(&ordinals).await?.iter().map(|c| (**c).clone()).collect();
            let results = SearchResults { query, total, page, page_count };
            Ok((http::HTML, render_document(ctx, move || view! { <SearchPage site results products/> })))
        }
        CatalogPage::Suggest => {
            let query = param("q").unwrap_or_default();
            let ranked = ranked_cards(catalog, &query).await?;
            let top: Vec<u32> = ranked.into_iter().take(SUGGESTIONS).collect();
            let suggestions: Vec<Suggestion> = catalog
                .cards(&top)
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
        CatalogPage::SitemapIndex => {
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
        CatalogPage::Sitemap(file) => {
            let name = file.strip_suffix(".xml").ok_or(AppError::NotFound)?;
            let valid = !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(AppError::NotFound);
            }
            let shard = catalog.sitemap_shard(name).await?.ok_or(AppError::NotFound)?;
            let mut xml = String::with_capacity(shard.paths.len() * 80 + 200);
            xml.push_str(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
            );
            for path in &shard.paths {
                xml.push_str(&format!("<url><loc>{}{}</loc></url>\n", xml_escape(origin), xml_escape(path)));
            }
            xml.push_str("</urlset>\n");
            Ok((http::XML, xml))
        }
        CatalogPage::Robots => Ok((
            http::TEXT,
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
            ),
        )),
    }
}

/// Card ordinals matching a search, best first, from the index shards it needs.
async fn ranked_cards(catalog: &CatalogReader<'_>, query: &str) -> AppResult<Vec<u32>> {
    let terms = query_terms(query);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let shards = catalog.search_shards(&shards_for(&terms)).await?;
    Ok(search(&terms, |name| shards.get(name).map(Arc::as_ref)).into_iter().map(|(card, _)| card).collect())
}

async fn collection(
    catalog: &CatalogReader<'_>,
    ctx: RenderContext,
    handle: &str,
    pairs: &[(String, String)],
) -> AppResult<(&'static str, String)> {
    let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
    let (site, category) = join(catalog.site(), catalog.collection(&handle)).await;
    let (site, category) = ((*site?).clone(), (*category?.ok_or(AppError::NotFound)?).clone());
    let currency = site.store.currency;
    let params = ListingParams::parse(pairs, currency).map_err(AppError::BadRequest)?;
    let listing = catalog
        .listing(&handle)
        .await?
        .ok_or_else(|| AppError::Internal(format!("collection {handle} has no listing index")))?;
    let result = listing.query(&params.to_query(&listing));
    if params.page > result.page_count {
        return Err(AppError::NotFound);
    }
    // The first page of the default order is stored with the collection.
    let first_page = params.page == 1 && params.sort == SortOrder::Featured && !params.is_filtered();
    let products = if first_page {
        category.products.clone()
    } else {
        catalog.cards(&result.cards).await?.iter().map(|c| (**c).clone()).collect()
    };
    let facets = listing
        .facets
        .iter()
        .zip(&result.facet_counts)
        .map(|(facet, counts)| {
            let key = facet_key(&facet.name);
            let chosen = params.filters.get(&key);
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
        params,
        currency,
        page_count: result.page_count,
        total: result.total,
        facets,
        price_bounds: listing.price_bounds(),
    };
    Ok((
        http::HTML,
        render_document(ctx, move || view! { <CollectionPage site category products listing=view/> }),
    ))
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

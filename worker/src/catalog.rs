//! The catalog context: what the shop sells, read from the published catalog in KV
//! (versioned keys through the in-isolate cache, see [`store`]), and the questions both
//! front doors ask of it — a page of every product, a collection's filtered and sorted
//! listing, search and suggestions, a product with its live availability, and the
//! product documents of a cart's lines. No Durable Object is involved except for live
//! availability, which comes from the inventory context.

mod store;

pub use store::{simulate_kv_outage, CatalogReader};

use crate::error::{AppError, AppResult};
use crate::inventory;
use futures_util::future::{join, join_all};
use shared::listing::{ListingIndex, ListingPage, ListingParams, SortOrder, PAGE_SIZE};
use shared::search::{query_terms, search as rank, shards_for};
use shared::{CartLine, Category, Handle, Product, ProductSummary, Site, Sku};
use std::collections::BTreeMap;
use std::sync::Arc;
use worker::Env;

/// One page of results out of `total`.
pub struct Hits {
    pub total: usize,
    pub page: u32,
    pub page_count: u32,
    pub products: Vec<Arc<ProductSummary>>,
}

fn page_count(total: usize) -> u32 {
    total.div_ceil(PAGE_SIZE).max(1) as u32
}

/// Page `page` of every product, in catalog order; `None` past the last page.
pub async fn all_products(catalog: &CatalogReader<'_>, page: u32) -> AppResult<Option<Hits>> {
    let count = catalog.home().await?.product_count;
    let pages = page_count(count as usize);
    if page > pages {
        return Ok(None);
    }
    let start = page.saturating_sub(1).saturating_mul(PAGE_SIZE as u32);
    let ordinals: Vec<u32> = (start..count.min(start.saturating_add(PAGE_SIZE as u32))).collect();
    let products = catalog.cards(&ordinals).await?;
    Ok(Some(Hits { total: count as usize, page, page_count: pages, products }))
}

/// Card ordinals matching a search, best first, from the index shards it needs.
pub async fn ranked(catalog: &CatalogReader<'_>, query: &str) -> AppResult<Vec<u32>> {
    let terms = query_terms(query);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let shards = catalog.search_shards(&shards_for(&terms)).await?;
    Ok(rank(&terms, |name| shards.get(name).map(Arc::as_ref)).into_iter().map(|(card, _)| card).collect())
}

/// Page `page` of a search's results (empty past the last page).
pub async fn search(catalog: &CatalogReader<'_>, query: &str, page: u32) -> AppResult<Hits> {
    let ranked = ranked(catalog, query).await?;
    let start = (page as usize).saturating_sub(1).saturating_mul(PAGE_SIZE);
    let ordinals: Vec<u32> = ranked.iter().skip(start).take(PAGE_SIZE).copied().collect();
    let products = catalog.cards(&ordinals).await?;
    Ok(Hits { total: ranked.len(), page, page_count: page_count(ranked.len()), products })
}

/// The best `limit` products for what is being typed.
pub async fn suggestions(
    catalog: &CatalogReader<'_>,
    query: &str,
    limit: usize,
) -> AppResult<Vec<Arc<ProductSummary>>> {
    let top: Vec<u32> = ranked(catalog, query).await?.into_iter().take(limit).collect();
    catalog.cards(&top).await
}

/// A collection page: its documents, the parsed query and the page of products.
pub struct Listing {
    pub site: Arc<Site>,
    pub category: Arc<Category>,
    pub index: Arc<ListingIndex>,
    pub params: ListingParams,
    pub page: ListingPage,
    pub products: Vec<ProductSummary>,
}

/// A collection filtered, sorted and paged by `pairs` (the query string's pairs).
/// Unknown collection or a page past the last: not found; a malformed query: 400.
pub async fn collection(
    catalog: &CatalogReader<'_>,
    handle: &Handle,
    pairs: &[(String, String)],
) -> AppResult<Listing> {
    let (site, category) = join(catalog.site(), catalog.collection(handle)).await;
    let (site, category) = (site?, category?.ok_or(AppError::NotFound)?);
    let params =
        ListingParams::parse(pairs, site.store.currency).map_err(|e| AppError::BadRequest(e.into()))?;
    let index = catalog
        .listing(handle)
        .await?
        .ok_or_else(|| AppError::Internal(format!("collection {handle} has no listing index")))?;
    let page = index.query(&params.to_query(&index));
    if params.page > page.page_count {
        return Err(AppError::NotFound);
    }
    // The first page of the default order is stored with the collection.
    let first_page = params.page == 1 && params.sort == SortOrder::Featured && !params.is_filtered();
    let products = if first_page {
        category.products.clone()
    } else {
        catalog.cards(&page.cards).await?.iter().map(|c| (**c).clone()).collect()
    };
    Ok(Listing { site, category, index, params, page, products })
}

/// A product and the units available per SKU, live from inventory (see
/// [`inventory::live_availability`]); `None` for an unknown handle.
pub async fn product_with_availability(
    env: &Env,
    catalog: &CatalogReader<'_>,
    handle: &Handle,
) -> AppResult<Option<(Arc<Product>, BTreeMap<String, u32>)>> {
    let Some(product) = catalog.product(handle).await? else {
        return Ok(None);
    };
    let available = inventory::live_availability(env, catalog.caller(env), &product).await;
    Ok(Some((product, available)))
}

/// Reads each distinct product of `lines` once, in parallel (vanished ones are left out).
pub async fn load_products(catalog: &CatalogReader<'_>, lines: &[CartLine]) -> AppResult<Vec<Arc<Product>>> {
    let mut handles: Vec<&Handle> = lines.iter().map(|l| &l.product).collect();
    handles.sort();
    handles.dedup();
    let found = join_all(handles.into_iter().map(|h| catalog.product(h))).await;
    let mut products = Vec::with_capacity(found.len());
    for product in found {
        if let Some(p) = product? {
            products.push(p);
        }
    }
    Ok(products)
}

/// The product selling each of `skus` (one bulk read of the SKU index, then the products).
pub async fn products_of_skus(
    catalog: &CatalogReader<'_>,
    skus: &[Sku],
) -> AppResult<BTreeMap<String, Arc<Product>>> {
    let handles = catalog.products_of_skus(skus).await?;
    let mut distinct: Vec<&Handle> = handles.values().collect();
    distinct.sort();
    distinct.dedup();
    let found = join_all(distinct.into_iter().map(|h| catalog.product(h))).await;
    let mut products: Vec<Arc<Product>> = Vec::new();
    for product in found {
        products.extend(product?);
    }
    Ok(handles
        .into_iter()
        .filter_map(|(sku, handle)| Some((sku, Arc::clone(products.iter().find(|p| p.handle == handle)?))))
        .collect())
}

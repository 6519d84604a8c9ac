//! Catalog reads: every product by page, one product with live availability, a
//! collection with the site's filters, sort and pages, and search.

use super::{ok, page_param};
use crate::catalog::{self, CatalogReader};
use crate::error::{AppError, AppResult};
use crate::http::{self, Fields};
use serde_json::{json, Value};
use shared::listing::facet_key;
use shared::search::MAX_QUERY_CHARS;
use shared::Handle;
use worker::{Env, Request, Response};

pub async fn products(req: &Request, reader: &CatalogReader<'_>) -> AppResult<Response> {
    let fields = Fields::parse(http::query_string(req).as_bytes())?;
    let hits = catalog::all_products(reader, page_param(&fields)?).await?.ok_or(AppError::NotFound)?;
    ok(
        &json!({ "total": hits.total, "page": hits.page, "page_count": hits.page_count, "products": hits.products }),
    )
}

pub async fn product(env: &Env, reader: &CatalogReader<'_>, handle: &str) -> AppResult<Response> {
    let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
    let (product, available) =
        catalog::product_with_availability(env, reader, &handle).await?.ok_or(AppError::NotFound)?;
    ok(&json!({ "product": product, "available": available }))
}

pub async fn collection(req: &Request, reader: &CatalogReader<'_>, handle: &str) -> AppResult<Response> {
    let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
    let pairs = Fields::pairs(http::query_string(req).as_bytes());
    let listing = catalog::collection(reader, &handle, &pairs).await?;
    let facets: Vec<Value> = listing
        .index
        .facets
        .iter()
        .zip(&listing.page.facet_counts)
        .map(|(f, counts)| {
            let values: Vec<Value> =
                f.values.iter().zip(counts).map(|(v, n)| json!({ "value": v.value, "count": n })).collect();
            json!({ "name": f.name, "key": facet_key(&f.name), "values": values })
        })
        .collect();
    let c = &listing.category;
    ok(&json!({
        "collection": { "handle": c.handle, "title": c.title, "description": c.description,
                        "children": c.children, "ancestors": c.ancestors },
        "total": listing.page.total, "page": listing.params.page, "page_count": listing.page.page_count,
        "facets": facets, "products": listing.products,
    }))
}

pub async fn search(req: &Request, reader: &CatalogReader<'_>) -> AppResult<Response> {
    let fields = Fields::parse(http::query_string(req).as_bytes())?;
    let query =
        fields.get("q").ok_or_else(|| AppError::BadRequest("Send the words to look for as `q`.".into()))?;
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::BadRequest(format!("`q` is limited to {MAX_QUERY_CHARS} characters.").into()));
    }
    let query = query.to_string();
    let hits = catalog::search(reader, &query, page_param(&fields)?).await?;
    ok(&json!({ "query": query, "total": hits.total, "page": hits.page, "page_count": hits.page_count,
                "products": hits.products }))
}

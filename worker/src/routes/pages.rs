//! Catalog pages: home, collections and products. Each reads the site frame and its
//! own document in parallel (critical data: a missing document is a 404), then renders.

use crate::catalog_store::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use app::{render_document, CollectionPage, HomePage, ProductPage};
use futures_util::future::join;
use leptos::prelude::*;
use shared::{Handle, Sku};
use worker::{Request, Response};

pub async fn home(catalog: &CatalogReader) -> AppResult<Response> {
    let (site, home) = join(catalog.site(), catalog.home()).await;
    let (site, home) = (site?, home?);
    let page = render_document(move || view! { <HomePage site home/> });
    http::html(page, 200, CachePolicy::Short)
}

pub async fn collection(catalog: &CatalogReader, handle: &str) -> AppResult<Response> {
    let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
    let (site, category) = join(catalog.site(), catalog.collection(&handle)).await;
    let (site, category) = (site?, category?.ok_or(AppError::NotFound)?);
    let page = render_document(move || view! { <CollectionPage site category/> });
    http::html(page, 200, CachePolicy::Short)
}

pub async fn product(req: &Request, catalog: &CatalogReader, handle: &str) -> AppResult<Response> {
    let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
    let query = Fields::parse(http::query_string(req).as_bytes())?;
    // An unknown or malformed `?variant=` falls back to the default variant.
    let selected = query.get("variant").and_then(|v| Sku::parse(v).ok());
    let (site, product) = join(catalog.site(), catalog.product(&handle)).await;
    let (site, product) = (site?, product?.ok_or(AppError::NotFound)?);
    let page = render_document(move || view! { <ProductPage site product selected/> });
    http::html(page, 200, CachePolicy::Short)
}

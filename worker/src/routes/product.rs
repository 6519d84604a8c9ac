//! A product page, with live availability.

use crate::catalog::{self, CatalogReader};
use crate::error::{AppError, AppResult};
use crate::http::{self, Rendered};
use app::{render_document, ProductPage, RenderContext};
use futures_util::future::join;
use leptos::prelude::*;
use shared::{Handle, Sku};
use std::collections::BTreeMap;
use worker::Env;

/// Which SKUs can be bought: part of a product page's cache key, so selling out changes it.
pub fn availability_mark(available: &BTreeMap<String, u32>) -> String {
    let mut hash = shared::hash::Fnv64::new();
    for (sku, n) in available {
        hash.write(sku.as_bytes()).write(&[u8::from(*n > 0), 0]);
    }
    hash.hex()
}

pub async fn render(
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

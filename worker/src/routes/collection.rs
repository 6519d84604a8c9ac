//! A collection's listing: filters, sort and pages.

use crate::catalog::{self, CatalogReader};
use crate::error::{AppError, AppResult};
use crate::http::{self, Rendered};
use app::{render_document, CollectionPage, FacetView, ListingView, RenderContext};
use leptos::prelude::*;
use shared::listing::facet_key;
use shared::Handle;

pub async fn render(
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

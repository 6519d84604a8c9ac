//! Search results, and the suggestions shown while typing.

use crate::catalog::{self, CatalogReader};
use crate::error::{AppError, AppResult};
use crate::http::{self, Rendered};
use app::{render_document, RenderContext, SearchPage, SearchResults};
use futures_util::future::join;
use leptos::prelude::*;
use shared::api::Suggestion;
use shared::search::MAX_QUERY_CHARS;

/// Most suggestions returned while typing.
const SUGGESTIONS: usize = 6;

/// A search as typed, trimmed, blanks collapsed, bounded.
pub fn tidy_query(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_QUERY_CHARS).collect()
}

pub async fn render(
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

pub async fn suggest(catalog: &CatalogReader<'_>, query: String) -> AppResult<Rendered> {
    let language = catalog.language().await;
    let suggestions: Vec<Suggestion> = catalog::suggestions(catalog, &query, SUGGESTIONS)
        .await?
        .iter()
        .map(|c| Suggestion {
            title: c.title.clone(),
            href: shared::markets::path_in_edition(&catalog.base_path(), &format!("/products/{}", c.handle)),
            price: shared::locale::format_money_in(c.price, &language),
        })
        .collect();
    let body = serde_json::json!({ "query": query, "suggestions": suggestions });
    Ok((http::JSON, http::escape_markup(body.to_string())))
}

//! The search results page: ranked, paginated, and kept out of search engines' indexes.
//! Its search box is an island that suggests products as you type.

use crate::components::layout::{PageMeta, Shell};
use crate::components::product_card::ProductGrid;
use crate::islands::PredictiveSearch;
use leptos::prelude::*;
use shared::{ProductSummary, Site};

/// A search and the page of results shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchResults {
    pub query: String,
    pub total: usize,
    pub page: u32,
    pub page_count: u32,
}

impl SearchResults {
    fn href(&self, page: u32) -> String {
        let q = shared::url::encode(&self.query);
        if page > 1 {
            format!("/search?q={q}&page={page}")
        } else {
            format!("/search?q={q}")
        }
    }
}

#[component]
pub fn SearchPage(site: Site, results: SearchResults, products: Vec<ProductSummary>) -> impl IntoView {
    let searched = !results.query.trim().is_empty();
    let title = if searched { format!("Search: {}", results.query) } else { "Search".to_string() };
    let meta = PageMeta {
        title: title.clone(),
        description: format!("Search results at {}", site.store.name),
        islands: true,
        canonical: Some(if searched { results.href(results.page) } else { "/search".into() }),
        noindex: true,
        ..Default::default()
    };
    let summary = if !searched {
        "Type what you are looking for: a product, a colour, a size or a SKU.".to_string()
    } else {
        match results.total {
            0 => format!("No products match “{}”.", results.query),
            1 => format!("1 product matches “{}”.", results.query),
            n => format!("{n} products match “{}”.", results.query),
        }
    };
    let empty = (searched && products.is_empty()).then(|| {
        view! {
            <div class="empty-state">
                <p>"Try fewer words, a different spelling, or browse a collection instead."</p>
                <p><a href="/">"Go to the home page"</a></p>
            </div>
        }
    });
    let pagination = (results.page_count > 1).then(|| {
        let prev = (results.page > 1)
            .then(|| view! { <a class="pagination__step" href=results.href(results.page - 1) rel="prev">"Previous"</a> });
        let next = (results.page < results.page_count)
            .then(|| view! { <a class="pagination__step" href=results.href(results.page + 1) rel="next">"Next"</a> });
        let position = format!("Page {} of {}", results.page, results.page_count);
        view! {
            <nav class="pagination" aria-label="Pages">
                {prev}
                <span class="pagination__current">{position}</span>
                {next}
            </nav>
        }
    });
    view! {
        <Shell site meta>
            <h1>{title}</h1>
            <PredictiveSearch query=results.query.clone()/>
            <p class="result-count" role="status">{summary}</p>
            {empty}
            {(!products.is_empty()).then(|| view! {
                <h2 class="visually-hidden">"Results"</h2>
                <ProductGrid products/>
            })}
            {pagination}
        </Shell>
    }
}

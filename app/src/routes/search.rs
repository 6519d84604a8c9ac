//! The search results page: ranked, paginated, and kept out of search engines' indexes.
//! Its search box is an island that suggests products as you type.

use crate::components::layout::{PageMeta, Shell};
use crate::components::product_card::ProductGrid;
use crate::islands::PredictiveSearch;
use crate::tr;
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
    let title =
        if searched { crate::trf("Search: {query}", &[("query", &results.query)]) } else { tr("Search") };
    let meta = PageMeta {
        title: title.clone(),
        description: crate::trf("Search results at {shop}", &[("shop", &site.store.name)]),
        islands: true,
        canonical: Some(if searched { results.href(results.page) } else { "/search".into() }),
        noindex: true,
        ..Default::default()
    };
    let summary = if !searched {
        tr("Type what you are looking for: a product, a colour, a size or a SKU.")
    } else {
        match results.total {
            0 => crate::trf("No products match “{query}”.", &[("query", &results.query)]),
            1 => format!("1 product matches “{}”.", results.query),
            n => format!("{n} products match “{}”.", results.query),
        }
    };
    let empty = (searched && products.is_empty()).then(|| {
        view! {
            <div class="empty-state">
                <p>{tr("Try fewer words, a different spelling, or browse a collection instead.")}</p>
                <p><a href="/">{tr("Go to the home page")}</a></p>
            </div>
        }
    });
    let pagination = (results.page_count > 1).then(|| {
        let prev = (results.page > 1)
            .then(|| view! { <a class="pagination__step" href=results.href(results.page - 1) rel="prev">{tr("Previous")}</a> });
        let next = (results.page < results.page_count)
            .then(|| view! { <a class="pagination__step" href=results.href(results.page + 1) rel="next">{tr("Next")}</a> });
        let position = crate::trf("Page {page} of {pages}", &[("page", &results.page.to_string()), ("pages", &results.page_count.to_string())]);
        view! {
            <nav class="pagination" aria-label=tr("Pages")>
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
                <h2 class="visually-hidden">{tr("Results")}</h2>
                <ProductGrid products/>
            })}
            {pagination}
        </Shell>
    }
}

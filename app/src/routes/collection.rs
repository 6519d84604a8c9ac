//! A collection (category) page: breadcrumbs, sub-categories, sort, the products of
//! one page, and numbered pages with stable URLs. Everything is a plain link or GET
//! form, so it works without JavaScript.

use crate::components::layout::{PageMeta, Shell};
use crate::components::product_card::ProductGrid;
use leptos::prelude::*;
use shared::listing::SortOrder;
use shared::{Category, ProductSummary, Site};

/// Where the shopper is in the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingNav {
    pub sort: SortOrder,
    pub page: u32,
    pub page_count: u32,
    pub total: usize,
}

impl ListingNav {
    /// The URL of another page of the same listing (defaults left out).
    pub fn href(&self, handle: &str, page: u32) -> String {
        let mut params = Vec::new();
        if self.sort != SortOrder::Featured {
            params.push(format!("sort={}", self.sort.as_str()));
        }
        if page > 1 {
            params.push(format!("page={page}"));
        }
        if params.is_empty() {
            format!("/collections/{handle}")
        } else {
            format!("/collections/{handle}?{}", params.join("&"))
        }
    }
}

fn count_text(n: usize) -> String {
    if n == 1 {
        "1 product".to_string()
    } else {
        format!("{n} products")
    }
}

#[component]
pub fn CollectionPage(
    site: Site,
    category: Category,
    products: Vec<ProductSummary>,
    nav: ListingNav,
) -> impl IntoView {
    let handle = category.handle.to_string();
    let title = if nav.page > 1 {
        format!("{} – page {}", category.title, nav.page)
    } else {
        category.title.clone()
    };
    let meta = PageMeta {
        title,
        description: if category.description.is_empty() {
            format!("Shop {} at {}", category.title, site.store.name)
        } else {
            category.description.clone()
        },
    };
    let children = (!category.children.is_empty()).then(|| {
        view! {
            <nav class="subcategories" aria-label="Subcategories">
                <ul>
                    {category
                        .children
                        .iter()
                        .map(|child| {
                            let href = format!("/collections/{}", child.handle);
                            view! { <li><a href=href>{child.title.clone()}</a></li> }
                        })
                        .collect_view()}
                </ul>
            </nav>
        }
    });
    let sort_form = (nav.total > 1).then(|| {
        let action = format!("/collections/{handle}");
        let options = SortOrder::ALL
            .into_iter()
            .map(|s| view! { <option value=s.as_str() selected=s == nav.sort>{s.label()}</option> })
            .collect_view();
        view! {
            <form class="sort-form" method="get" action=action>
                <label for="sort">"Sort by"</label>
                <select id="sort" name="sort">{options}</select>
                <button class="button" type="submit">"Sort"</button>
            </form>
        }
    });
    let listing = if products.is_empty() {
        view! {
            <div class="empty-state">
                <p>"There are no products in this collection yet."</p>
                <p><a href="/">"Continue shopping"</a></p>
            </div>
        }
        .into_any()
    } else {
        view! { <ProductGrid products/> }.into_any()
    };
    let pagination = pagination(&handle, &nav);
    view! {
        <Shell site meta>
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <ol>
                    <li><a href="/">"Home"</a></li>
                    {category
                        .ancestors
                        .iter()
                        .map(|a| {
                            let href = format!("/collections/{}", a.handle);
                            view! { <li><a href=href>{a.title.clone()}</a></li> }
                        })
                        .collect_view()}
                    <li aria-current="page">{category.title.clone()}</li>
                </ol>
            </nav>
            <header class="collection-header">
                <h1>{category.title.clone()}</h1>
                <p>{category.description.clone()}</p>
            </header>
            {children}
            <div class="listing-bar">
                <p class="result-count">{count_text(nav.total)}</p>
                {sort_form}
            </div>
            {listing}
            {pagination}
        </Shell>
    }
}

/// Previous/next and a window of page numbers around the current page.
fn pagination(handle: &str, nav: &ListingNav) -> Option<AnyView> {
    if nav.page_count <= 1 {
        return None;
    }
    let mut numbers: Vec<u32> = vec![1, nav.page_count];
    numbers.extend(nav.page.saturating_sub(2).max(1)..=(nav.page + 2).min(nav.page_count));
    numbers.sort_unstable();
    numbers.dedup();
    let mut items = Vec::new();
    let mut previous = 0;
    for n in numbers {
        if n > previous + 1 {
            items.push(view! { <li class="pagination__gap" aria-hidden="true">"…"</li> }.into_any());
        }
        let item = if n == nav.page {
            view! { <li><span class="pagination__current" aria-current="page">{n}</span></li> }.into_any()
        } else {
            let label = format!("Page {n}");
            view! { <li><a href=nav.href(handle, n) aria-label=label>{n}</a></li> }.into_any()
        };
        items.push(item);
        previous = n;
    }
    let prev = (nav.page > 1).then(|| view! { <a class="pagination__step" href=nav.href(handle, nav.page - 1) rel="prev">"Previous"</a> });
    let next = (nav.page < nav.page_count).then(
        || view! { <a class="pagination__step" href=nav.href(handle, nav.page + 1) rel="next">"Next"</a> },
    );
    Some(
        view! {
            <nav class="pagination" aria-label="Pages">
                {prev}
                <ul>{items}</ul>
                {next}
            </nav>
        }
        .into_any(),
    )
}

//! A collection (category) page: breadcrumbs, sub-categories and the products.

use crate::components::layout::{PageMeta, Shell};
use crate::components::product_card::ProductGrid;
use leptos::prelude::*;
use shared::{Category, Site};

#[component]
pub fn CollectionPage(site: Site, category: Category) -> impl IntoView {
    let meta = PageMeta {
        title: category.title.clone(),
        description: if category.description.is_empty() {
            format!("Shop {} at {}", category.title, site.store.name)
        } else {
            category.description.clone()
        },
    };
    let count = match category.products.len() {
        1 => "1 product".to_string(),
        n => format!("{n} products"),
    };
    let children = (!category.children.is_empty()).then(|| {
        view! {
            <nav class="subcategories" aria-label="Subcategories">
                <ul>
                    {category
                        .children
                        .into_iter()
                        .map(|child| {
                            let href = format!("/collections/{}", child.handle);
                            view! { <li><a href=href>{child.title}</a></li> }
                        })
                        .collect_view()}
                </ul>
            </nav>
        }
    });
    let listing = if category.products.is_empty() {
        view! {
            <div class="empty-state">
                <p>"There are no products in this collection yet."</p>
                <p><a href="/">"Continue shopping"</a></p>
            </div>
        }
        .into_any()
    } else {
        view! { <ProductGrid products=category.products/> }.into_any()
    };
    view! {
        <Shell site meta>
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <ol>
                    <li><a href="/">"Home"</a></li>
                    {category
                        .ancestors
                        .into_iter()
                        .map(|a| {
                            let href = format!("/collections/{}", a.handle);
                            view! { <li><a href=href>{a.title}</a></li> }
                        })
                        .collect_view()}
                    <li aria-current="page">{category.title.clone()}</li>
                </ol>
            </nav>
            <header class="collection-header">
                <h1>{category.title}</h1>
                <p>{category.description}</p>
                <p class="result-count">{count}</p>
            </header>
            {children}
            {listing}
        </Shell>
    }
}

//! A collection (category) page: breadcrumbs, sub-categories, facet filters (option
//! values with counts, price range, in stock only), sort, the products of one page, and
//! numbered pages. Every control is a plain link or GET form, so it works without
//! JavaScript, and every state has a stable, shareable URL.

use crate::components::layout::{PageMeta, Shell};
use crate::components::product_card::ProductGrid;
use crate::components::seo;
use crate::tr;
use crate::RenderContext;
use leptos::prelude::*;
use shared::listing::{ListingParams, SortOrder, FILTER_PREFIX};
use shared::{format_decimal, Category, Currency, MenuLink, Money, ProductSummary, Site};

/// One facet as shown: its values with how many products each would give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacetView {
    pub name: String,
    /// URL key (`size` for Size).
    pub key: String,
    /// (value, count, chosen)
    pub values: Vec<(String, usize, bool)>,
}

/// Where the shopper is in the listing and what can be chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct ListingView {
    pub params: ListingParams,
    pub currency: Currency,
    pub page_count: u32,
    pub total: usize,
    pub facets: Vec<FacetView>,
    /// Lowest and highest price in the collection, as placeholders.
    pub price_bounds: Option<(i64, i64)>,
}

impl ListingView {
    /// The URL of the listing in `params`'s state.
    pub fn href(&self, handle: &str, params: &ListingParams) -> String {
        let query = params.canonical_query(self.currency);
        if query.is_empty() {
            format!("/collections/{handle}")
        } else {
            format!("/collections/{handle}?{query}")
        }
    }

    fn page_href(&self, handle: &str, page: u32) -> String {
        self.href(handle, &ListingParams { page, ..self.params.clone() })
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
    listing: ListingView,
) -> impl IntoView {
    let context = use_context::<RenderContext>().unwrap_or_default();
    let handle = category.handle.to_string();
    let path = format!("/collections/{handle}");
    let params = &listing.params;
    let plain = !params.is_filtered() && params.sort == SortOrder::Featured;
    let title = if params.page > 1 {
        format!("{} – page {}", category.title, params.page)
    } else {
        category.title.clone()
    };
    let trail: Vec<MenuLink> = category
        .ancestors
        .iter()
        .map(|a| MenuLink { title: a.title.clone(), href: format!("/collections/{}", a.handle) })
        .collect();
    let meta = PageMeta {
        title,
        description: if category.description.is_empty() {
            crate::trf(
                "Shop {collection} at {shop}",
                &[("collection", &category.title), ("shop", &site.store.name)],
            )
        } else {
            category.description.clone()
        },
        // Filtered and sorted views point at the plain listing and stay out of indexes.
        canonical: Some(if plain { listing.page_href(&handle, params.page) } else { path.clone() }),
        noindex: !plain,
        image: products.first().and_then(|p| p.image.clone()),
        json_ld: vec![seo::breadcrumbs(&trail, &category.title, &path, &context)],
        ..Default::default()
    };
    let children = (!category.children.is_empty()).then(|| {
        view! {
            <nav class="subcategories" aria-label=tr("Subcategories")>
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
    let listing_body = if products.is_empty() {
        let message = if params.is_filtered() {
            tr("No products match these filters.")
        } else {
            tr("There are no products in this collection yet.")
        };
        view! {
            <div class="empty-state">
                <p>{message}</p>
                <p>
                    {params.is_filtered().then(|| view! { <a href=path.clone()>{tr("Clear all filters")}</a> " · " })}
                    <a href="/">{tr("Continue shopping")}</a>
                </p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <h2 class="visually-hidden">{tr("Products")}</h2>
            <ProductGrid products/>
        }
        .into_any()
    };
    view! {
        <Shell site meta>
            <nav class="breadcrumbs" aria-label=tr("Breadcrumb")>
                <ol>
                    <li><a href="/">{tr("Home")}</a></li>
                    {trail.iter().cloned().map(|a| view! { <li><a href=a.href>{a.title}</a></li> }).collect_view()}
                    <li aria-current="page">{category.title.clone()}</li>
                </ol>
            </nav>
            <header class="collection-header">
                <h1>{category.title.clone()}</h1>
                <p>{category.description.clone()}</p>
            </header>
            {children}
            <div class="collection-layout">
                {filters(&handle, &listing)}
                <div class="collection-results">
                    <div class="listing-bar">
                        <p class="result-count" role="status">{count_text(listing.total)}</p>
                        {sort_form(&handle, &listing)}
                    </div>
                    {listing_body}
                    {pagination(&handle, &listing)}
                </div>
            </div>
        </Shell>
    }
}

/// Hidden fields carrying the state a form does not itself change.
fn hidden_fields(pairs: Vec<(String, String)>) -> impl IntoView {
    pairs
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
        .collect_view()
}

fn filter_pairs(params: &ListingParams, currency: Currency) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (key, values) in &params.filters {
        for value in values {
            pairs.push((format!("{FILTER_PREFIX}{key}"), value.clone()));
        }
    }
    if let Some(min) = params.min_price {
        pairs.push(("price.min".into(), format_decimal(Money::new(min, currency))));
    }
    if let Some(max) = params.max_price {
        pairs.push(("price.max".into(), format_decimal(Money::new(max, currency))));
    }
    if params.in_stock {
        pairs.push(("in_stock".into(), "1".into()));
    }
    pairs
}

fn sort_form(handle: &str, listing: &ListingView) -> Option<impl IntoView> {
    (listing.total > 1).then(|| {
        let action = format!("/collections/{handle}");
        let current = listing.params.sort;
        let options = SortOrder::ALL
            .into_iter()
            .map(|s| view! { <option value=s.as_str() selected=s == current>{s.label()}</option> })
            .collect_view();
        view! {
            <form class="sort-form" method="get" action=action>
                {hidden_fields(filter_pairs(&listing.params, listing.currency))}
                <label for="sort">{tr("Sort by")}</label>
                <select id="sort" name="sort">{options}</select>
                <button class="button" type="submit">{tr("Sort")}</button>
            </form>
        }
    })
}

fn filters(handle: &str, listing: &ListingView) -> Option<impl IntoView> {
    let show = !listing.facets.is_empty() || listing.price_bounds.is_some();
    show.then(|| {
        let action = format!("/collections/{handle}");
        let clear_href = action.clone();
        let params = &listing.params;
        let sort = (params.sort != SortOrder::Featured).then(|| ("sort".to_string(), params.sort.as_str().to_string()));
        let facets = listing
            .facets
            .iter()
            .map(|facet| {
                let name = format!("{FILTER_PREFIX}{}", facet.key);
                let values = facet
                    .values
                    .iter()
                    .map(|(value, count, chosen)| {
                        let id = format!("f-{}-{}", facet.key, shared::url::encode(value).replace('%', "_"));
                        let disabled = *count == 0 && !chosen;
                        view! {
                            <li>
                                <input type="checkbox" id=id.clone() name=name.clone() value=value.clone() checked=*chosen disabled=disabled/>
                                <label for=id>{value.clone()}<span class="facet__count">{format!(" ({count})")}</span></label>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <fieldset class="facet">
                        <legend>{facet.name.clone()}</legend>
                        <ul>{values}</ul>
                    </fieldset>
                }
            })
            .collect_view();
        let decimal = |minor: Option<i64>| minor.map(|m| format_decimal(Money::new(m, listing.currency))).unwrap_or_default();
        let (low, high) = listing.price_bounds.unwrap_or((0, 0));
        let currency = listing.currency.code().to_string();
        view! {
            <form class="filters" method="get" action=action.clone() aria-label=tr("Filters")>
                <h2 class="filters__title">{tr("Filter")}</h2>
                {hidden_fields(sort.into_iter().collect())}
                {facets}
                <fieldset class="facet facet--price">
                    <legend>{crate::trf("Price ({currency})", &[("currency", &currency)])}</legend>
                    <label for="price-min">{tr("From")}</label>
                    <input id="price-min" type="number" name="price.min" min="0" step="0.01" value=decimal(params.min_price) placeholder=decimal(Some(low))/>
                    <label for="price-max">{tr("To")}</label>
                    <input id="price-max" type="number" name="price.max" min="0" step="0.01" value=decimal(params.max_price) placeholder=decimal(Some(high))/>
                </fieldset>
                <p class="facet facet--stock">
                    <input type="checkbox" id="in-stock" name="in_stock" value="1" checked=params.in_stock/>
                    <label for="in-stock">{tr("In stock only")}</label>
                </p>
                <p class="filters__actions">
                    <button class="button button--primary" type="submit">{tr("Apply filters")}</button>
                    {params.is_filtered().then(|| view! { <a class="filters__clear" href=clear_href>{tr("Clear all")}</a> })}
                </p>
            </form>
        }
    })
}

/// Previous/next and a window of page numbers around the current page.
fn pagination(handle: &str, listing: &ListingView) -> Option<AnyView> {
    let page = listing.params.page;
    let page_count = listing.page_count;
    if page_count <= 1 {
        return None;
    }
    let mut numbers: Vec<u32> = vec![1, page_count];
    numbers.extend(page.saturating_sub(2).max(1)..=(page + 2).min(page_count));
    numbers.sort_unstable();
    numbers.dedup();
    let mut items = Vec::new();
    let mut previous = 0;
    for n in numbers {
        if n > previous + 1 {
            items.push(view! { <li class="pagination__gap" aria-hidden="true">"…"</li> }.into_any());
        }
        let item = if n == page {
            view! { <li><span class="pagination__current" aria-current="page">{n}</span></li> }.into_any()
        } else {
            let label = crate::trf("Page {number}", &[("number", &n.to_string())]);
            view! { <li><a href=listing.page_href(handle, n) aria-label=label>{n}</a></li> }.into_any()
        };
        items.push(item);
        previous = n;
    }
    let prev = (page > 1)
        .then(|| view! { <a class="pagination__step" href=listing.page_href(handle, page - 1) rel="prev">{tr("Previous")}</a> });
    let next = (page < page_count)
        .then(|| view! { <a class="pagination__step" href=listing.page_href(handle, page + 1) rel="next">{tr("Next")}</a> });
    Some(
        view! {
            <nav class="pagination" aria-label=tr("Pages")>
                {prev}
                <ul>{items}</ul>
                {next}
            </nav>
        }
        .into_any(),
    )
}

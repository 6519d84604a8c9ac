//! The home page: the store's featured categories and products, with the
//! `Organization` and site-search structured data.

use crate::components::layout::{PageMeta, Shell};
use crate::components::product_card::ProductGrid;
use crate::components::seo;
use crate::tr;
use crate::RenderContext;
use leptos::prelude::*;
use shared::{HomeData, Site};

#[component]
pub fn HomePage(site: Site, home: HomeData) -> impl IntoView {
    let context = use_context::<RenderContext>().unwrap_or_default();
    let meta = PageMeta {
        description: site.store.tagline.clone(),
        canonical: Some("/".into()),
        image: home.featured.first().and_then(|p| p.image.clone()),
        json_ld: vec![seo::organization(&site, &context)],
        ..Default::default()
    };
    let heading = site.store.name.clone();
    let tagline = site.store.tagline.clone();
    view! {
        <Shell site meta>
            <section class="hero">
                <h1>{heading}</h1>
                <p class="hero__tagline">{tagline}</p>
            </section>
            <section aria-labelledby="shop-by-category">
                <h2 id="shop-by-category">{tr("Shop by category")}</h2>
                <ul class="category-grid">
                    {home
                        .categories
                        .into_iter()
                        .map(|category| {
                            let href = format!("/collections/{}", category.handle);
                            let count = match category.product_count {
                                1 => "1 product".to_string(),
                                n => format!("{n} products"),
                            };
                            let image = category.image.map(|img| view! {
                                <img src=img.src alt="" width=img.width height=img.height loading="lazy" decoding="async"/>
                            });
                            view! {
                                <li class="category-card">
                                    <a href=href>
                                        {image}
                                        <span class="category-card__title">{category.title}</span>
                                        <span class="category-card__count">{count}</span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
            <section aria-labelledby="featured">
                <h2 id="featured">{tr("Featured products")}</h2>
                <ProductGrid products=home.featured/>
            </section>
        </Shell>
    }
}

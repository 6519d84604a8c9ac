//! Product cards and the grid that lays them out.

use super::price::Price;
use crate::tr;
use leptos::prelude::*;
use shared::ProductSummary;

#[component]
pub fn ProductGrid(products: Vec<ProductSummary>) -> impl IntoView {
    view! {
        <ul class="product-grid">
            {products.into_iter().map(|product| view! { <li><ProductCard product/></li> }).collect_view()}
        </ul>
    }
}

#[component]
pub fn ProductCard(product: ProductSummary) -> impl IntoView {
    let href = format!("/products/{}", product.handle);
    let image = product.image.map(|img| {
        view! {
            <img
                class="product-card__image"
                src=img.src
                alt=img.alt
                width=img.width
                height=img.height
                loading="lazy"
                decoding="async"
            />
        }
    });
    let sold_out = (!product.available).then(|| view! { <span class="badge">{tr("Sold out")}</span> });
    view! {
        <article class="product-card">
            <a class="product-card__link" href=href>
                {image}
                <h3 class="product-card__title">{product.title}</h3>
            </a>
            <p class="product-card__vendor">{product.vendor}</p>
            <p class="product-card__price">
                <Price price=product.price compare_at=product.compare_at from=product.price_varies/>
                {sold_out}
            </p>
        </article>
    }
}

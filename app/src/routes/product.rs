//! A product page: gallery, title, price, description, variants and an add-to-cart
//! form that works without JavaScript (a plain POST answered with a 303 to the cart).

use crate::components::layout::{PageMeta, Shell};
use crate::components::price::Price;
use crate::components::product_card::ProductGrid;
use leptos::prelude::*;
use shared::{Product, ProductSummary, Quantity, Site, Sku};

/// `related` may be empty: it is deferred data, and the page renders without it.
#[component]
pub fn ProductPage(
    site: Site,
    product: Product,
    selected: Option<Sku>,
    related: Vec<ProductSummary>,
) -> impl IntoView {
    let meta = PageMeta {
        title: product.title.clone(),
        description: product.summary.clone(),
    };
    let chosen = selected
        .as_ref()
        .and_then(|sku| product.variant(sku))
        .or_else(|| product.default_variant())
        .cloned();
    let price = chosen
        .as_ref()
        .map(|v| view! { <Price price=v.price compare_at=v.sale_from()/> });
    let availability = match &chosen {
        Some(v) if v.stock > 0 => {
            view! { <p class="availability availability--in">"In stock"</p> }.into_any()
        }
        _ => view! { <p class="availability availability--out">"Sold out"</p> }.into_any(),
    };
    let main_image = product.images.first().cloned().map(|img| {
        view! {
            <img class="gallery__main" src=img.src alt=img.alt width=img.width height=img.height fetchpriority="high"/>
        }
    });
    let thumbnails = product
        .images
        .iter()
        .skip(1)
        .cloned()
        .map(|img| {
            view! {
                <li><img src=img.src alt=img.alt width=img.width height=img.height loading="lazy" decoding="async"/></li>
            }
        })
        .collect_view();
    let variant_picker = variant_picker(&product, chosen.as_ref().map(|v| v.sku.clone()));
    let handle = product.handle.to_string();
    let can_buy = product.is_available();
    let options_summary = product
        .options
        .iter()
        .map(|o| view! { <li><strong>{o.name.clone()}": "</strong>{o.values.join(", ")}</li> })
        .collect_view();
    view! {
        <Shell site meta>
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <ol>
                    <li><a href="/">"Home"</a></li>
                    {product
                        .breadcrumbs
                        .iter()
                        .cloned()
                        .map(|crumb| view! { <li><a href=crumb.href>{crumb.title}</a></li> })
                        .collect_view()}
                    <li aria-current="page">{product.title.clone()}</li>
                </ol>
            </nav>
            <div class="product">
                <div class="gallery">
                    {main_image}
                    <ul class="gallery__thumbs">{thumbnails}</ul>
                </div>
                <div class="product__info">
                    <p class="product__vendor">{product.vendor.clone()}</p>
                    <h1 class="product__title">{product.title.clone()}</h1>
                    <p class="product__price">{price}</p>
                    {availability}
                    <form class="add-to-cart" method="post" action="/cart/add">
                        <input type="hidden" name="product" value=handle/>
                        {variant_picker}
                        <label class="field">
                            <span>"Quantity"</span>
                            <input type="number" name="quantity" value="1" min="1" max=Quantity::MAX inputmode="numeric" required/>
                        </label>
                        <button class="button button--primary" type="submit" disabled=!can_buy>
                            {if can_buy { "Add to cart" } else { "Sold out" }}
                        </button>
                    </form>
                    <ul class="product__options">{options_summary}</ul>
                    <div class="product__description" inner_html=product.description_html.clone()></div>
                </div>
            </div>
            {(!related.is_empty()).then(|| view! {
                <section class="related" aria-labelledby="related-heading">
                    <h2 id="related-heading">"You may also like"</h2>
                    <ProductGrid products=related/>
                </section>
            })}
        </Shell>
    }
}

/// A select of every variant (sold-out ones disabled); a single-variant product gets a
/// hidden field instead.
fn variant_picker(product: &Product, chosen: Option<Sku>) -> AnyView {
    match product.variants.as_slice() {
        [only] => view! { <input type="hidden" name="variant" value=only.sku.to_string()/> }.into_any(),
        variants => {
            let label = product
                .options
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(" / ");
            let options = variants
                .iter()
                .map(|v| {
                    let title = product.variant_title(v).unwrap_or_else(|| v.sku.to_string());
                    let sold_out = v.stock == 0;
                    let text = if sold_out {
                        format!("{title} — sold out")
                    } else {
                        title
                    };
                    let selected = chosen.as_ref() == Some(&v.sku);
                    view! {
                        <option value=v.sku.to_string() selected=selected disabled=sold_out>{text}</option>
                    }
                })
                .collect_view();
            view! {
                <label class="field">
                    <span>{if label.is_empty() { "Variant".to_string() } else { label }}</span>
                    <select name="variant" required>{options}</select>
                </label>
            }
            .into_any()
        }
    }
}

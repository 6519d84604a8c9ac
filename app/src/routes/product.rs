//! A product page: gallery, title, the buy box (price, availability, option picker,
//! add-to-cart form — an island), description and related products. Without
//! JavaScript every option value is a link to `?variant=SKU` (whose page leads with
//! that variant's picture) and the form is a plain POST answered with a 303 to the cart.

use crate::components::layout::{PageMeta, Shell};
use crate::components::product_card::ProductGrid;
use crate::components::seo;
use crate::islands::{BuyBox, BuyBoxData};
use crate::tr;
use crate::RenderContext;
use leptos::prelude::*;
use shared::variants::resolve;
use shared::{Product, ProductSummary, Site, Sku};

/// Widths the main image occupies: full width on phones, about half from tablets up.
const MAIN_SIZES: &str = "(min-width: 48rem) 55vw, 100vw";
const THUMB_SIZES: &str = "(min-width: 48rem) 12vw, 25vw";

/// `related` may be empty: it is deferred data, and the page renders without it.
#[component]
pub fn ProductPage(
    site: Site,
    product: Product,
    selected: Option<Sku>,
    related: Vec<ProductSummary>,
) -> impl IntoView {
    let context = use_context::<RenderContext>().unwrap_or_default();
    let path = format!("/products/{}", product.handle);
    let json_ld = vec![
        seo::product(&product, &context, &site),
        seo::breadcrumbs(&product.breadcrumbs, &product.title, &path, &context),
    ];
    let meta = PageMeta {
        title: product.title.clone(),
        description: product.summary.clone(),
        islands: true,
        canonical: Some(path),
        og_type: Some("product"),
        image: product.images.first().cloned(),
        json_ld,
        ..Default::default()
    };
    let chosen_variant = resolve(&product, selected.as_ref());
    let chosen = chosen_variant.map(|v| v.sku.to_string()).unwrap_or_default();
    // The chosen variant's picture leads; the others are thumbnails (every image is in
    // the list, the one shown hidden, so the picker island can swap them).
    let shown = product.image_index(chosen_variant);
    let pictured = product.variants.iter().any(|v| v.image.is_some());
    let buy_box = BuyBoxData {
        handle: product.handle.to_string(),
        csrf: context.csrf.clone(),
        options: product.options.clone(),
        variants: product.variants.clone(),
        selected: chosen,
        gallery: if pictured { product.images.clone() } else { Vec::new() },
        language: context.language.clone(),
        base: context.base.clone(),
        strings: crate::islands::BUY_BOX_STRINGS
            .iter()
            .filter_map(|text| context.strings.get(*text).map(|t| ((*text).to_string(), t.clone())))
            .collect(),
    };
    let main_image = product.images.get(shown).cloned().map(|img| {
        view! {
            <img
                class="gallery__main"
                src=img.src.clone()
                srcset=img.srcset()
                sizes=MAIN_SIZES
                alt=img.alt
                width=img.width
                height=img.height
                fetchpriority="high"
            />
        }
    });
    let thumbnails = product
        .images
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, img)| {
            view! {
                <li data-image=i hidden=i == shown>
                    <a href=img.src.clone()>
                        <img
                            src=img.src.clone()
                            srcset=img.srcset()
                            sizes=THUMB_SIZES
                            alt=img.alt
                            width=img.width
                            height=img.height
                            loading="lazy"
                            decoding="async"
                        />
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <Shell site meta>
            <nav class="breadcrumbs" aria-label=tr("Breadcrumb")>
                <ol>
                    <li><a href="/">{tr("Home")}</a></li>
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
                    <BuyBox data=buy_box/>
                    <div class="product__description" inner_html=product.description_html.clone()></div>
                </div>
            </div>
            {(!related.is_empty()).then(|| view! {
                <section class="related" aria-labelledby="related-heading">
                    <h2 id="related-heading">{tr("You may also like")}</h2>
                    <ProductGrid products=related/>
                </section>
            })}
        </Shell>
    }
}

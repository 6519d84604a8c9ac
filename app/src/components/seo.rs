//! Structured data for search engines (JSON-LD): products with their offers, breadcrumb
//! trails, and the organization with its site search. Serialized here, embedded by the
//! page frame. `<` is escaped so no value can close the script element.

use crate::RenderContext;
use serde_json::{json, Value};
use shared::{format_decimal, MenuLink, Product, Site};

fn to_script_json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default().replace('<', "\\u003c")
}

/// `Product` with one `Offer` per variant, each with price and availability.
pub fn product(product: &Product, context: &RenderContext, site: &Site) -> String {
    let url = context.url(&format!("/products/{}", product.handle));
    let offers: Vec<Value> = product
        .variants
        .iter()
        .map(|v| {
            let mut offer = json!({
                "@type": "Offer",
                "sku": v.sku.as_str(),
                "name": product.variant_title(v).unwrap_or_else(|| product.title.clone()),
                "price": format_decimal(v.price),
                "priceCurrency": v.price.currency().code(),
                "availability": if v.stock > 0 { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
                "url": format!("{url}?variant={}", v.sku),
                "seller": { "@type": "Organization", "name": site.store.name },
            });
            // The variant's own picture, when it has one.
            let image = v.image.and(product.image_of(Some(v))).map(|i| Value::String(context.url(&i.src)));
            if let (Some(image), Some(fields)) = (image, offer.as_object_mut()) {
                fields.insert("image".into(), image);
            }
            offer
        })
        .collect();
    let images: Vec<String> = product.images.iter().map(|i| context.url(&i.src)).collect();
    to_script_json(&json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "description": product.summary,
        "url": url,
        "image": images,
        "brand": { "@type": "Brand", "name": product.vendor },
        "sku": product.default_variant().map(|v| v.sku.to_string()),
        "offers": offers,
    }))
}

/// `BreadcrumbList` from Home through `trail` to the page itself.
pub fn breadcrumbs(trail: &[MenuLink], current: &str, current_path: &str, context: &RenderContext) -> String {
    let mut items =
        vec![json!({ "@type": "ListItem", "position": 1, "name": "Home", "item": context.url("/") })];
    for (i, link) in trail.iter().enumerate() {
        items.push(json!({
            "@type": "ListItem",
            "position": i + 2,
            "name": link.title,
            "item": context.url(&link.href),
        }));
    }
    items.push(json!({
        "@type": "ListItem",
        "position": trail.len() + 2,
        "name": current,
        "item": context.url(current_path),
    }));
    to_script_json(
        &json!({ "@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items }),
    )
}

/// `Organization`, and `WebSite` with a `SearchAction` (the site search box).
pub fn organization(site: &Site, context: &RenderContext) -> String {
    to_script_json(&json!({
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "Organization",
                "name": site.store.name,
                "url": context.url("/"),
                "logo": context.url("/favicon.svg"),
            },
            {
                "@type": "WebSite",
                "name": site.store.name,
                "url": context.url("/"),
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": { "@type": "EntryPoint", "urlTemplate": format!("{}?q={{search_term_string}}", context.url("/search")) },
                    "query-input": "required name=search_term_string",
                },
            },
        ],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let text = to_script_json(&json!({ "name": "</script><script>alert(1)</script>" }));
        assert!(!text.contains("</script>"), "{text}");
        assert!(text.contains("\\u003c/script>"));
    }
}

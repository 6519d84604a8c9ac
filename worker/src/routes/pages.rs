//! Catalog pages: home, collections, products, content pages, sitemaps and robots.txt.
//! Each reads its critical documents in parallel (a missing one is a 404) and renders.
//! All of them are anonymous and go through the full-page cache.

use crate::catalog_store::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use app::{render_document, ArticlePage, CollectionPage, HomePage, ListingNav, ProductPage, RenderContext};
use futures_util::future::join;
use leptos::prelude::*;
use shared::listing::{ListingQuery, SortOrder, PAGE_SIZE};
use shared::{Handle, Sku};

/// The page-cached routes.
pub enum CatalogPage {
    Home,
    Collection(String),
    Product(String),
    Content(String),
    SitemapIndex,
    /// `products-1.xml` and the like.
    Sitemap(String),
    Robots,
}

impl CatalogPage {
    pub fn cache_policy(&self) -> CachePolicy {
        match self {
            CatalogPage::SitemapIndex | CatalogPage::Sitemap(_) | CatalogPage::Robots => CachePolicy::Long,
            _ => CachePolicy::Catalog,
        }
    }

    /// The query parameters this page understands, validated and in a fixed order; all
    /// others are ignored, so junk parameters cannot split the page cache.
    pub fn canonical_query(&self, raw: &str) -> AppResult<String> {
        let fields = Fields::parse(raw.as_bytes())?;
        Ok(match self {
            CatalogPage::Product(_) => match fields.get("variant").and_then(|v| Sku::parse(v).ok()) {
                Some(sku) => format!("variant={sku}"),
                None => String::new(),
            },
            CatalogPage::Collection(_) => {
                let (sort, page) = listing_params(&fields)?;
                let mut params = Vec::new();
                if sort != SortOrder::Featured {
                    params.push(format!("sort={}", sort.as_str()));
                }
                if page > 1 {
                    params.push(format!("page={page}"));
                }
                params.join("&")
            }
            _ => String::new(),
        })
    }
}

/// The largest page number accepted in a URL.
const MAX_PAGE: u32 = 100_000;

/// `sort` and `page` of a collection URL; anything malformed is a 400 that says why.
fn listing_params(fields: &Fields) -> AppResult<(SortOrder, u32)> {
    let sort = match fields.get("sort") {
        None | Some("") => SortOrder::Featured,
        Some(s) => SortOrder::parse(s).ok_or_else(|| {
            let known: Vec<&str> = SortOrder::ALL.iter().map(|s| s.as_str()).collect();
            AppError::BadRequest(format!("Unknown sort order. Use one of: {}.", known.join(", ")))
        })?,
    };
    let page = match fields.get("page") {
        None | Some("") => 1,
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                AppError::BadRequest("The page number must be a whole number from 1 up.".into())
            })?,
    };
    Ok((sort, page))
}

fn context(catalog: &CatalogReader<'_>) -> RenderContext {
    RenderContext {
        catalog_version: catalog.version().to_string(),
    }
}

/// Renders a page: (content type, body).
pub async fn render(
    page: &CatalogPage,
    catalog: &CatalogReader<'_>,
    canonical_query: &str,
    origin: &str,
) -> AppResult<(&'static str, String)> {
    let ctx = context(catalog);
    match page {
        CatalogPage::Home => {
            let (site, home) = join(catalog.site(), catalog.home()).await;
            let (site, home) = ((*site?).clone(), (*home?).clone());
            Ok((http::HTML, render_document(ctx, move || view! { <HomePage site home/> })))
        }
        CatalogPage::Collection(handle) => {
            let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
            let (sort, page) = listing_params(&Fields::parse(canonical_query.as_bytes())?)?;
            let (site, category) = join(catalog.site(), catalog.collection(&handle)).await;
            let (site, category) = ((*site?).clone(), (*category?.ok_or(AppError::NotFound)?).clone());
            let total = category.product_count as usize;
            let (products, nav) = if sort == SortOrder::Featured && page == 1 {
                // The first page of the default order is stored with the collection.
                let page_count = total.div_ceil(PAGE_SIZE).max(1) as u32;
                (category.products.clone(), ListingNav { sort, page, page_count, total })
            } else {
                let listing = catalog.listing(&handle).await?.ok_or_else(|| {
                    AppError::Internal(format!("collection {handle} has no listing index"))
                })?;
                let result = listing.query(&ListingQuery { sort, page, ..Default::default() });
                if page > result.page_count {
                    return Err(AppError::NotFound);
                }
                let cards = catalog.cards(&result.cards).await?;
                let nav = ListingNav { sort, page, page_count: result.page_count, total: result.total };
                (cards.iter().map(|c| (**c).clone()).collect(), nav)
            };
            Ok((http::HTML, render_document(ctx, move || view! { <CollectionPage site category products nav/> })))
        }
        CatalogPage::Product(handle) => {
            let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
            let selected = Fields::parse(canonical_query.as_bytes())?.get("variant").and_then(|v| Sku::parse(v).ok());
            let (site, product) = join(catalog.site(), catalog.product(&handle)).await;
            let (site, product) = ((*site?).clone(), (*product?.ok_or(AppError::NotFound)?).clone());
            // Related products are deferred data: if they cannot be read, the page goes without.
            let related = match catalog.cards(&product.related).await {
                Ok(cards) => cards.iter().map(|c| (**c).clone()).collect(),
                Err(e) => {
                    worker::console_warn!("related products of {handle} left out: {e}");
                    Vec::new()
                }
            };
            Ok((http::HTML, render_document(ctx, move || view! { <ProductPage site product selected related/> })))
        }
        CatalogPage::Content(handle) => {
            let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
            let (site, page) = join(catalog.site(), catalog.page(&handle)).await;
            let (site, page) = ((*site?).clone(), (*page?.ok_or(AppError::NotFound)?).clone());
            Ok((http::HTML, render_document(ctx, move || view! { <ArticlePage site page/> })))
        }
        CatalogPage::SitemapIndex => {
            let index = catalog.sitemap_index().await?;
            let mut xml = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
            );
            for shard in &index.shards {
                xml.push_str(&format!("<sitemap><loc>{}/sitemaps/{}.xml</loc></sitemap>\n", xml_escape(origin), xml_escape(shard)));
            }
            xml.push_str("</sitemapindex>\n");
            Ok((http::XML, xml))
        }
        CatalogPage::Sitemap(file) => {
            let name = file.strip_suffix(".xml").ok_or(AppError::NotFound)?;
            let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(AppError::NotFound);
            }
            let shard = catalog.sitemap_shard(name).await?.ok_or(AppError::NotFound)?;
            let mut xml = String::with_capacity(shard.paths.len() * 80 + 200);
            xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
            for path in &shard.paths {
                xml.push_str(&format!("<url><loc>{}{}</loc></url>\n", xml_escape(origin), xml_escape(path)));
            }
            xml.push_str("</urlset>\n");
            Ok((http::XML, xml))
        }
        CatalogPage::Robots => Ok((
            http::TEXT,
            format!(
                "User-agent: *\nDisallow: /cart\nDisallow: /search\nDisallow: /*?\n\nSitemap: {origin}/sitemap.xml\n"
            ),
        )),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

//! The sitemap index, its shards and robots.txt. With several editions, the index at the
//! root lists every edition's shards (`/fr-ca/sitemaps/products-1.xml`), and each URL
//! names its alternates in the other editions (`xhtml:link rel="alternate" hreflang`).

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, Rendered};
use futures_util::future::join;
use shared::markets::{base_path, path_in_edition};

pub async fn index(catalog: &CatalogReader<'_>, origin: &str) -> AppResult<Rendered> {
    let (index, site) = join(catalog.sitemap_index(), catalog.site()).await;
    let (index, site) = (index?, site?);
    let bases: Vec<String> = if site.editions.is_empty() {
        vec![String::new()]
    } else {
        site.editions.iter().map(|e| base_path(&e.segment)).collect()
    };
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for base in &bases {
        for shard in &index.shards {
            xml.push_str(&format!(
                "<sitemap><loc>{}{base}/sitemaps/{}.xml</loc></sitemap>\n",
                xml_escape(origin),
                xml_escape(shard)
            ));
        }
    }
    xml.push_str("</sitemapindex>\n");
    Ok((http::XML, xml))
}

pub async fn shard(catalog: &CatalogReader<'_>, origin: &str, file: &str) -> AppResult<Rendered> {
    let name = file.strip_suffix(".xml").ok_or(AppError::NotFound)?;
    let valid =
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(AppError::NotFound);
    }
    let (shard, site) = join(catalog.sitemap_shard(name), catalog.site()).await;
    let (shard, site) = (shard?.ok_or(AppError::NotFound)?, site?);
    let base = catalog.base_path();
    let origin = xml_escape(origin);
    let per_url = 80usize.saturating_add(site.editions.len().saturating_mul(120));
    let mut xml = String::with_capacity(shard.paths.len().saturating_mul(per_url).saturating_add(200));
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"");
    if !site.editions.is_empty() {
        xml.push_str(" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\"");
    }
    xml.push_str(">\n");
    for path in &shard.paths {
        xml.push_str(&format!("<url><loc>{origin}{}</loc>", xml_escape(&path_in_edition(&base, path))));
        let default = site.editions.iter().find(|e| e.segment.is_empty());
        let alternates =
            site.editions.iter().map(|e| (e.hreflang.as_str(), e)).chain(default.map(|e| ("x-default", e)));
        for (hreflang, link) in alternates {
            xml.push_str(&format!(
                "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{origin}{}\"/>",
                xml_escape(hreflang),
                xml_escape(&path_in_edition(&base_path(&link.segment), path))
            ));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    Ok((http::XML, xml))
}

/// robots.txt: the cart, search and filtered listings of every edition stay out of
/// indexes; the sitemap index lists every edition's pages.
pub async fn robots(catalog: &CatalogReader<'_>, origin: &str) -> AppResult<Rendered> {
    let site = catalog.site().await?;
    let mut text = String::from("User-agent: *\n");
    for link in site.editions.iter().filter(|e| !e.segment.is_empty()) {
        text.push_str(&format!("Disallow: /{0}/cart\nDisallow: /{0}/search\n", link.segment));
    }
    text.push_str(&format!(
        "Disallow: /cart\n\
         Disallow: /search\n\
         Disallow: /*?*sort=\n\
         Disallow: /*?*filter.\n\
         Disallow: /*?*price.\n\
         Disallow: /*?*in_stock=\n\
         Disallow: /*?*variant=\n\
         \n\
         Sitemap: {origin}/sitemap.xml\n"
    ));
    Ok((http::TEXT, text))
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

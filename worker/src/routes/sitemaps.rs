//! The sitemap index, its shards and robots.txt.

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, Rendered};

pub async fn index(catalog: &CatalogReader<'_>, origin: &str) -> AppResult<Rendered> {
    let index = catalog.sitemap_index().await?;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for shard in &index.shards {
        xml.push_str(&format!(
            "<sitemap><loc>{}/sitemaps/{}.xml</loc></sitemap>\n",
            xml_escape(origin),
            xml_escape(shard)
        ));
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
    let shard = catalog.sitemap_shard(name).await?.ok_or(AppError::NotFound)?;
    let mut xml = String::with_capacity(shard.paths.len().saturating_mul(80).saturating_add(200));
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in &shard.paths {
        xml.push_str(&format!("<url><loc>{}{}</loc></url>\n", xml_escape(origin), xml_escape(path)));
    }
    xml.push_str("</urlset>\n");
    Ok((http::XML, xml))
}

pub fn robots(origin: &str) -> String {
    format!(
        "User-agent: *\n\
         Disallow: /cart\n\
         Disallow: /search\n\
         Disallow: /*?*sort=\n\
         Disallow: /*?*filter.\n\
         Disallow: /*?*price.\n\
         Disallow: /*?*in_stock=\n\
         Disallow: /*?*variant=\n\
         \n\
         Sitemap: {origin}/sitemap.xml\n"
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

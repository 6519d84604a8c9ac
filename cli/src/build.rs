//! The build: turns a validated catalog into the documents the worker reads, keyed by a
//! content-derived version — product and collection pages, product cards, per-collection
//! listing (facet) indexes, search shards, sitemap shards, content pages and settings.
//!
//! Every page the worker serves costs a fixed number of reads whatever the catalog size:
//! listings and search return card ordinals, and cards are fetched in one bulk read.

use crate::editions::{editions, priced_for, translated};
use crate::validate::{CategoryNode, ValidCatalog, ValidProduct};
use shared::keys::{doc_key, doc_name, root_key, sku_shard, DocKind, VersionRoot, SINGLETON, SKU_SHARDS};
use shared::listing::{build_listing_index, ListingEntry, PAGE_SIZE};
use shared::search::{weight, SearchIndexBuilder};
use shared::{
    Category, CategorySummary, Handle, HomeData, MenuLink, Product, ProductSummary, Site, SitemapIndex,
    SitemapShard, StoreInfo,
};
use std::collections::{BTreeMap, HashMap};

/// How many products the home page features when the store does not choose.
const DEFAULT_FEATURED: usize = 8;
/// How many related products a product page shows.
const RELATED: usize = 4;
/// URLs per sitemap shard (the protocol allows 50,000; smaller shards stay light).
pub const SITEMAP_SHARD_SIZE: usize = 10_000;

/// One document of a version: its kind, its name within the version, its JSON.
pub struct Document {
    pub kind: DocKind,
    pub name: String,
    /// The document, when the build was asked to keep it (a publish keeps only the
    /// documents it will upload).
    pub json: Option<String>,
    /// A hash of the JSON (16 hex digits): what a publish compares to find what changed.
    pub hash: String,
}

impl Document {
    /// `kind:name`, the document's name within a version.
    pub fn id(&self) -> String {
        doc_name(self.kind, &self.name)
    }
}

pub struct BuiltCatalog {
    /// Derived from the content: building the same catalog twice gives the same version.
    pub version: String,
    /// Every document of the version, in a stable order.
    pub documents: Vec<Document>,
    /// Product handles by card ordinal (an empty string is an ordinal no longer used).
    /// Ordinals are stable: a publish keeps the live version's, so adding a product does
    /// not renumber the cards, listings and search shards of every other one.
    pub ordinals: Vec<String>,
    pub product_count: usize,
    pub category_count: usize,
}

impl BuiltCatalog {
    /// Every KV key and value of the version as a full publish writes it (its documents
    /// under its own version, and a root saying so); the documents not kept are left out.
    pub fn entries(&self) -> Vec<(String, String)> {
        let mut entries: Vec<(String, String)> = self
            .documents
            .iter()
            .filter_map(|d| Some((doc_key(&self.version, d.kind, &d.name), d.json.clone()?)))
            .collect();
        entries.push((root_key(&self.version), to_json(&VersionRoot::full(&self.version))));
        entries
    }

    /// A document by kind and name.
    pub fn document(&self, kind: DocKind, name: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.kind == kind && d.name == name)
    }
}

/// Card ordinals for `products` (in catalog order): a product keeps the ordinal it has
/// in `prior`; a new one takes the next unused number. Returns the ordinal of each
/// product and the table of handles by ordinal.
fn assign_ordinals(handles: &[&str], prior: &[String]) -> (Vec<u32>, Vec<String>) {
    let known: HashMap<&str, u32> = prior
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty())
        .map(|(i, h)| (h.as_str(), i as u32))
        .collect();
    let mut table: Vec<String> = vec![String::new(); prior.len()];
    let mut ordinals = Vec::with_capacity(handles.len());
    for handle in handles {
        let ordinal = match known.get(handle) {
            Some(o) => *o,
            None => {
                table.push(String::new());
                (table.len() - 1) as u32
            }
        };
        table[ordinal as usize] = handle.to_string();
        ordinals.push(ordinal);
    }
    // Trailing unused ordinals are dropped, so a catalog that only shrinks at the end
    // stays compact.
    while table.last().is_some_and(String::is_empty) {
        table.pop();
    }
    (ordinals, table)
}

/// A category and its ancestors, the category first.
fn ancestry<'a>(
    categories: &'a [CategoryNode],
    index: &HashMap<&Handle, usize>,
    handle: &Handle,
) -> Vec<&'a CategoryNode> {
    let mut chain: Vec<&CategoryNode> = Vec::new();
    let mut current = index.get(handle).map(|i| &categories[*i]);
    while let Some(node) = current {
        if chain.iter().any(|c| c.handle == node.handle) {
            break;
        }
        chain.push(node);
        current = node.parent.as_ref().and_then(|p| index.get(p)).map(|i| &categories[*i]);
    }
    chain
}

/// Which documents a build keeps the JSON of, given a document's `kind:name` and hash.
pub type Keep<'a> = &'a dyn Fn(&str, &str) -> bool;

/// Keeps every document.
pub fn keep_all(_id: &str, _hash: &str) -> bool {
    true
}

/// Collects a version's documents: serializes each into one reused buffer, hashes it,
/// and keeps its JSON only when asked — a 100k catalog's 200k documents then cost their
/// serialization, not 200 MB of strings.
struct Collector<'k> {
    buffer: Vec<u8>,
    documents: Vec<Document>,
    keep: Keep<'k>,
    /// The edition whose documents are being added: its URL segment (empty for the
    /// default one), see [`shared::keys::edition_doc_name`].
    edition: String,
}

impl Collector<'_> {
    fn add<T: serde::Serialize>(&mut self, kind: DocKind, name: String, value: &T) {
        let name = shared::keys::edition_doc_name(&self.edition, &name);
        self.buffer.clear();
        // Plain structs with string keys always serialize.
        let _ = serde_json::to_writer(&mut self.buffer, value);
        let hash = shared::hash::Fnv64::new().write(&self.buffer).hex();
        let json = if (self.keep)(&doc_name(kind, &name), &hash) {
            String::from_utf8(self.buffer.clone()).ok()
        } else {
            None
        };
        self.documents.push(Document { kind, name, json, hash });
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Plain structs with string keys always serialize.
    serde_json::to_string(value).unwrap_or_default()
}

/// Text of sanitized HTML, for the search index.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn product_doc(p: &ValidProduct, breadcrumbs: Vec<MenuLink>) -> Product {
    Product {
        handle: p.handle.clone(),
        title: p.title.clone(),
        vendor: p.vendor.clone(),
        summary: p.summary.clone(),
        description_html: p.description_html.clone(),
        categories: p.categories.clone(),
        breadcrumbs,
        options: p.options.clone(),
        variants: p.variants.clone(),
        images: p.images.clone(),
        created: p.created.clone(),
        related: Vec::new(),
    }
}

/// Builds every document of the catalog. `prior_ordinals` is the live version's table of
/// handles by card ordinal (empty for a first or full publish).
/// `keep` says which documents' JSON to keep (see [`keep_all`]).
pub fn build(catalog: &ValidCatalog, prior_ordinals: &[String], keep: Keep) -> BuiltCatalog {
    let handles: Vec<&str> = catalog.products.iter().map(|p| p.handle.as_str()).collect();
    let (ordinal_of, ordinals) = assign_ordinals(&handles, prior_ordinals);
    let mut documents = Collector {
        buffer: Vec::with_capacity(64 * 1024),
        documents: Vec::with_capacity(catalog.products.len() * 2 + catalog.categories.len() * 2 + 64),
        keep,
        edition: String::new(),
    };
    // The default edition: the catalog's own prices, shipping to its market's countries,
    // in its market's first language.
    let all = editions(catalog);
    let default = catalog.markets.first().and_then(|m| priced_for(catalog, m).ok());
    let default = default.as_ref().unwrap_or(catalog);
    let language = all.first().map_or(&catalog.language, |e| &e.language);
    add_edition(&translated(default, language), &ordinal_of, &ordinals, &mut documents, true);
    // Every other edition: the catalog priced for its market, under its prefix. Their
    // documents hold the same (unprefixed) paths; the worker prefixes links by the
    // edition it serves. The SKU index is the same for all and is written once.
    for edition in all.into_iter().skip(1) {
        let Some(market) = catalog.markets.iter().find(|m| m.id == edition.market) else { continue };
        // Validation converted every price already: a failure here cannot happen.
        let Ok(priced) = priced_for(catalog, market) else { continue };
        documents.edition = edition.segment();
        add_edition(&translated(&priced, &edition.language), &ordinal_of, &ordinals, &mut documents, false);
    }
    let documents = documents.documents;
    let version = content_version(&documents);
    BuiltCatalog {
        version,
        documents,
        ordinals,
        product_count: catalog.products.len(),
        category_count: catalog.categories.len(),
    }
}

/// Adds one edition's documents (every kind; the SKU index only if `with_skus`).
fn add_edition(
    catalog: &ValidCatalog,
    ordinal_of: &[u32],
    ordinals: &[String],
    documents: &mut Collector,
    with_skus: bool,
) {
    let categories = &catalog.categories;
    let category_index: HashMap<&Handle, usize> =
        categories.iter().enumerate().map(|(i, c)| (&c.handle, i)).collect();

    // Products with their breadcrumbs (primary category's ancestry, root first).
    let mut products: Vec<Product> = catalog
        .products
        .iter()
        .map(|p| {
            let breadcrumbs = p
                .categories
                .first()
                .map(|primary| {
                    let mut trail = ancestry(categories, &category_index, primary);
                    trail.reverse();
                    trail
                        .into_iter()
                        .map(|c| MenuLink {
                            title: c.title.clone(),
                            href: format!("/collections/{}", c.handle),
                        })
                        .collect()
                })
                .unwrap_or_default();
            product_doc(p, breadcrumbs)
        })
        .collect();
    // Cards by catalog position; validation guarantees every product has variants.
    let cards: Vec<Option<ProductSummary>> = products.iter().map(Product::summary_card).collect();
    let card_at = |position: usize| cards.get(position).and_then(Option::as_ref);

    // Which products each collection lists: its own and its descendants', once each, in
    // catalog order (as catalog positions).
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); categories.len()];
    for (position, product) in products.iter().enumerate() {
        let mut listed: Vec<usize> = Vec::new();
        for c in &product.categories {
            for node in ancestry(categories, &category_index, c) {
                if let Some(i) = category_index.get(&node.handle) {
                    if !listed.contains(i) {
                        listed.push(*i);
                    }
                }
            }
        }
        for i in listed {
            members[i].push(position);
        }
    }

    // Related products: the next ones in the primary category, wrapping around.
    let place_in: Vec<HashMap<usize, usize>> = members
        .iter()
        .map(|list| list.iter().enumerate().map(|(at, position)| (*position, at)).collect())
        .collect();
    for (position, product) in products.iter_mut().enumerate() {
        let Some(primary) = product.categories.first().and_then(|c| category_index.get(c)) else {
            continue;
        };
        let list = &members[*primary];
        let at = place_in[*primary].get(&position).copied().unwrap_or(0);
        product.related =
            (1..list.len()).map(|k| ordinal_of[list[(at + k) % list.len()]]).take(RELATED).collect();
    }

    let summary_of = |i: usize| {
        let node = &categories[i];
        CategorySummary {
            handle: node.handle.clone(),
            title: node.title.clone(),
            description: node.description.clone(),
            product_count: members[i].len() as u32,
            image: node.image.clone(),
        }
    };

    for (i, node) in categories.iter().enumerate() {
        let mut ancestors: Vec<CategorySummary> = ancestry(categories, &category_index, &node.handle)
            .into_iter()
            .skip(1)
            .filter_map(|a| category_index.get(&a.handle).map(|j| summary_of(*j)))
            .collect();
        ancestors.reverse();
        let category = Category {
            handle: node.handle.clone(),
            title: node.title.clone(),
            description: node.description.clone(),
            ancestors,
            children: (0..categories.len())
                .filter(|j| categories[*j].parent.as_ref() == Some(&node.handle))
                .map(summary_of)
                .collect(),
            product_count: members[i].len() as u32,
            products: members[i].iter().take(PAGE_SIZE).filter_map(|p| card_at(*p).cloned()).collect(),
        };
        documents.add(DocKind::Collection, node.handle.to_string(), &category);
        let entries: Vec<ListingEntry> = members[i]
            .iter()
            .filter_map(|position| {
                let p = &products[*position];
                let card = card_at(*position)?;
                let mut options = Vec::new();
                for v in &p.variants {
                    for (option, value) in p.options.iter().zip(&v.options) {
                        let pair = (option.name.clone(), value.clone());
                        if !options.contains(&pair) {
                            options.push(pair);
                        }
                    }
                }
                Some(ListingEntry {
                    card: ordinal_of[*position],
                    price: card.price.minor(),
                    available: card.available,
                    title: p.title.clone(),
                    created: p.created.clone(),
                    options,
                })
            })
            .collect();
        documents.add(DocKind::Listing, node.handle.to_string(), &build_listing_index(&entries));
    }

    // Home page: the merchant's picks, else top-level categories and the first products.
    let home_categories: Vec<CategorySummary> = if catalog.featured_collections.is_empty() {
        (0..categories.len()).filter(|i| categories[*i].parent.is_none()).map(summary_of).collect()
    } else {
        catalog
            .featured_collections
            .iter()
            .filter_map(|h| category_index.get(h).map(|i| summary_of(*i)))
            .collect()
    };
    let position_of: HashMap<&Handle, usize> =
        products.iter().enumerate().map(|(i, p)| (&p.handle, i)).collect();
    let featured: Vec<ProductSummary> = if catalog.featured_products.is_empty() {
        cards.iter().flatten().take(DEFAULT_FEATURED).cloned().collect()
    } else {
        catalog
            .featured_products
            .iter()
            .filter_map(|h| position_of.get(h).and_then(|i| card_at(*i)).cloned())
            .collect()
    };
    documents.add(
        DocKind::Home,
        SINGLETON.into(),
        &HomeData { categories: home_categories, featured, product_count: products.len() as u32 },
    );
    let site = Site {
        store: StoreInfo {
            name: catalog.store_name.clone(),
            tagline: catalog.tagline.clone(),
            currency: catalog.currency,
        },
        header_menu: catalog.header_menu.clone(),
        footer_menu: catalog.footer_menu.clone(),
        editions: shared::markets::edition_links(&catalog.markets),
        strings: catalog.strings.clone(),
        language: catalog.language.clone(),
    };
    documents.add(DocKind::Site, SINGLETON.into(), &site);
    documents.add(DocKind::Settings, SINGLETON.into(), &catalog.settings);
    for page in &catalog.pages {
        documents.add(DocKind::Page, page.handle.to_string(), &page);
    }

    // Search: titles, SKUs, option values, vendor, category titles and descriptions.
    let mut search = SearchIndexBuilder::default();
    for (position, product) in products.iter().enumerate() {
        let card = ordinal_of[position];
        search.add(card, &product.title, weight::TITLE);
        search.add(card, &product.vendor, weight::VENDOR);
        for variant in &product.variants {
            search.add(card, variant.sku.as_str(), weight::SKU);
        }
        for option in &product.options {
            search.add(card, &option.values.join(" "), weight::OPTION);
        }
        for c in &product.categories {
            if let Some(i) = category_index.get(c) {
                search.add(card, &categories[*i].title, weight::CATEGORY);
            }
        }
        search.add(card, &product.summary, weight::DESCRIPTION);
        search.add(card, &strip_tags(&product.description_html), weight::DESCRIPTION);
    }
    for (shard, index) in search.finish() {
        documents.add(DocKind::Search, shard, &index);
    }

    // Sitemaps: every product and collection, in shards. Products are sharded by card
    // ordinal, so a new product changes only the last shard.
    let mut shards = Vec::new();
    for (n, chunk) in ordinals.chunks(SITEMAP_SHARD_SIZE).enumerate() {
        let paths: Vec<String> =
            chunk.iter().filter(|h| !h.is_empty()).map(|h| format!("/products/{h}")).collect();
        if paths.is_empty() {
            continue;
        }
        let name = format!("products-{}", n + 1);
        documents.add(DocKind::Sitemap, name.clone(), &SitemapShard { paths });
        shards.push(name);
    }
    let mut other_paths = vec!["/".to_string()];
    other_paths.extend(categories.iter().map(|c| format!("/collections/{}", c.handle)));
    other_paths.extend(catalog.pages.iter().map(|p| format!("/pages/{}", p.handle)));
    for (n, chunk) in other_paths.chunks(SITEMAP_SHARD_SIZE).enumerate() {
        let name = format!("pages-{}", n + 1);
        documents.add(DocKind::Sitemap, name.clone(), &SitemapShard { paths: chunk.to_vec() });
        shards.push(name);
    }
    documents.add(DocKind::Sitemap, SINGLETON.into(), &SitemapIndex { shards });

    // SKU → product handle, for cart links that name only variants.
    if with_skus {
        let mut sku_shards: Vec<BTreeMap<String, String>> = vec![BTreeMap::new(); SKU_SHARDS as usize];
        for product in &products {
            for variant in &product.variants {
                sku_shards[sku_shard(variant.sku.as_str()) as usize]
                    .insert(variant.sku.to_string(), product.handle.to_string());
            }
        }
        for (shard, map) in sku_shards.iter().enumerate() {
            documents.add(DocKind::Skus, shard.to_string(), &map);
        }
    }

    for (position, card) in cards.iter().enumerate() {
        if let Some(card) = card {
            documents.add(DocKind::Card, ordinal_of[position].to_string(), &card);
        }
    }
    for product in &products {
        documents.add(DocKind::Product, product.handle.to_string(), &product);
    }
}

/// 64-bit FNV-1a over every document's name and content hash: same content, same
/// version id.
fn content_version(documents: &[Document]) -> String {
    let mut hash = shared::hash::Fnv64::new();
    for d in documents {
        hash.write(d.kind.as_str().as_bytes())
            .write(b":")
            .write(d.name.as_bytes())
            .write(b"\0")
            .write(d.hash.as_bytes())
            .write(b"\0");
    }
    hash.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_keep_their_card_ordinals_across_publishes() {
        let (first, table) = assign_ordinals(&["b", "d", "f"], &[]);
        assert_eq!(first, [0, 1, 2]);
        // c is new (it sorts in the middle) and d is gone: b and f keep their cards.
        let (second, table) = assign_ordinals(&["b", "c", "f"], &table);
        assert_eq!(second, [0, 3, 2]);
        assert_eq!(table, ["b", "", "f", "c"]);
        // The last product removed: its trailing ordinal is dropped.
        let (third, table) = assign_ordinals(&["b", "f"], &table);
        assert_eq!(third, [0, 2]);
        assert_eq!(table, ["b", "", "f"]);
    }
}

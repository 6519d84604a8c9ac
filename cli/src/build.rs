//! Validation and build: turns the source folder into the documents the worker reads,
//! keyed by a content-derived version, reporting every problem at once.

use crate::images;
use crate::markdown;
use crate::source::{CatalogSource, Problems, ProductFile, SourceFile, VariantSource};
use shared::keys::{doc_key, DocKind, SINGLETON};
use shared::{
    Category, CategorySummary, Currency, Handle, HomeData, Image, MenuLink, Money, Product, ProductOption,
    ProductSummary, Site, Sku, StoreInfo, Variant,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use toml::Spanned;

/// How many products the home page features when the store does not choose.
const DEFAULT_FEATURED: usize = 8;

pub struct BuiltCatalog {
    /// Derived from the content: publishing the same catalog twice gives the same version.
    pub version: String,
    /// KV key and JSON value, in a stable order.
    pub entries: Vec<(String, String)>,
    pub product_count: usize,
    pub category_count: usize,
}

/// What the build needs to know about each category while wiring the tree.
struct CategoryNode {
    handle: Handle,
    title: String,
    description: String,
    parent: Option<Handle>,
    image: Option<Image>,
}

pub fn build(src: &CatalogSource, public: &Path, problems: &mut Problems) -> Option<BuiltCatalog> {
    let currency = match Currency::parse(src.store.currency.get_ref()) {
        Ok(c) => Some(c),
        Err(e) => {
            let line = src.store_file.line(&src.store.currency);
            problems.add(
                &src.store_file.path,
                line,
                e.to_string(),
                "write an ISO 4217 code such as `USD`, `EUR` or `GBP`",
            );
            None
        }
    };
    if src.store.name.get_ref().trim().is_empty() {
        problems.add(
            &src.store_file.path,
            src.store_file.line(&src.store.name),
            "the store has no name",
            "set `name = \"Your Shop\"`",
        );
    }

    let categories = build_category_nodes(src, public, problems);
    let category_index: HashMap<&Handle, usize> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (&c.handle, i))
        .collect();

    let currency_or_usd = currency.unwrap_or(Currency::USD);
    let mut seen_skus: HashMap<String, (std::path::PathBuf, Option<usize>)> = HashMap::new();
    let mut products: Vec<Product> = Vec::with_capacity(src.products.len());
    for file in &src.products {
        if let Some(p) = build_product(
            file,
            currency_or_usd,
            &categories,
            &category_index,
            public,
            &mut seen_skus,
            problems,
        ) {
            products.push(p);
        }
    }

    // Featured picks must exist.
    let product_handles: HashSet<&str> = products.iter().map(|p| p.handle.as_str()).collect();
    for featured in &src.store.featured_products {
        if !product_handles.contains(featured.get_ref().as_str()) {
            problems.add(
                &src.store_file.path,
                src.store_file.line(featured),
                format!("featured product `{}` does not exist", featured.get_ref()),
                "use the file name (without .toml) of a product in products/",
            );
        }
    }
    for featured in &src.store.featured_collections {
        if !categories.iter().any(|c| c.handle.as_str() == featured.get_ref()) {
            problems.add(
                &src.store_file.path,
                src.store_file.line(featured),
                format!("featured collection `{}` does not exist", featured.get_ref()),
                "use the handle of a category in categories.toml",
            );
        }
    }
    let menus = check_menus(src, &categories, &product_handles, problems);

    if !problems.is_empty() {
        return None;
    }
    let currency = currency?;
    Some(assemble(src, currency, &categories, products, menus))
}

fn build_category_nodes(src: &CatalogSource, public: &Path, problems: &mut Problems) -> Vec<CategoryNode> {
    let file = &src.categories_file;
    let mut nodes: Vec<CategoryNode> = Vec::new();
    let mut lines: HashMap<String, Option<usize>> = HashMap::new();
    for c in &src.categories.category {
        let line = file.line(&c.handle);
        let handle = match Handle::parse(c.handle.get_ref()) {
            Ok(h) => h,
            Err(e) => {
                problems.add(
                    &file.path,
                    line,
                    e.to_string(),
                    "use lowercase words joined by hyphens, like `winter-coats`",
                );
                continue;
            }
        };
        if let Some(first) = lines.get(handle.as_str()) {
            problems.add(
                &file.path,
                line,
                format!(
                    "category `{handle}` is defined twice (first at line {})",
                    first.unwrap_or(0)
                ),
                "give each category its own handle, or merge the two entries",
            );
            continue;
        }
        lines.insert(handle.to_string(), line);
        if c.title.get_ref().trim().is_empty() {
            problems.add(
                &file.path,
                file.line(&c.title),
                format!("category `{handle}` has an empty title"),
                "give it a title shoppers will see",
            );
        }
        let image = c
            .image
            .as_ref()
            .and_then(|src_path| load_image(file, src_path, String::new(), public, problems));
        let parent = c.parent.as_ref().and_then(|p| Handle::parse(p.get_ref()).ok());
        nodes.push(CategoryNode {
            handle,
            title: c.title.get_ref().trim().to_string(),
            description: c.description.trim().to_string(),
            parent,
            image,
        });
    }
    // Parents must exist and the tree must not loop.
    for c in &src.categories.category {
        let Some(parent) = &c.parent else { continue };
        if !nodes.iter().any(|n| n.handle.as_str() == parent.get_ref()) {
            problems.add(
                &file.path,
                file.line(parent),
                format!(
                    "category `{}` names parent `{}`, which does not exist",
                    c.handle.get_ref(),
                    parent.get_ref()
                ),
                "use the handle of another category, or remove `parent` to make it top level",
            );
        }
    }
    for node in &nodes {
        let mut seen = vec![&node.handle];
        let mut current = node.parent.as_ref();
        while let Some(parent) = current {
            if seen.contains(&parent) {
                problems.add(
                    &file.path,
                    lines.get(node.handle.as_str()).copied().flatten(),
                    format!("category `{}` is its own ancestor (parents loop)", node.handle),
                    "break the loop by changing one category's `parent`",
                );
                break;
            }
            seen.push(parent);
            current = nodes
                .iter()
                .find(|n| &n.handle == parent)
                .and_then(|n| n.parent.as_ref());
        }
    }
    nodes
}

fn load_image(
    file: &SourceFile,
    src: &Spanned<String>,
    alt: String,
    public: &Path,
    problems: &mut Problems,
) -> Option<Image> {
    let line = file.line(src);
    let path = match images::resolve(public, src.get_ref()) {
        Ok(p) => p,
        Err(message) => {
            problems.add(
                &file.path,
                line,
                message,
                "write the path as it is served, like `/images/products/tee.svg`",
            );
            return None;
        }
    };
    if !path.is_file() {
        problems.add(
            &file.path,
            line,
            format!(
                "image `{}` not found (looked for {})",
                src.get_ref(),
                path.display()
            ),
            "add the file under public/ or correct the path",
        );
        return None;
    }
    match images::dimensions(&path) {
        Ok((width, height)) => Some(Image {
            src: src.get_ref().clone(),
            alt,
            width,
            height,
        }),
        Err(message) => {
            problems.add(
                &file.path,
                line,
                message,
                "re-export the image as SVG with width/height, PNG or JPEG",
            );
            None
        }
    }
}

fn build_product(
    pf: &ProductFile,
    currency: Currency,
    categories: &[CategoryNode],
    category_index: &HashMap<&Handle, usize>,
    public: &Path,
    seen_skus: &mut HashMap<String, (std::path::PathBuf, Option<usize>)>,
    problems: &mut Problems,
) -> Option<Product> {
    let file = &pf.file;
    let path = &file.path;
    let before = problems.0.len();
    let src = &pf.product;
    let handle = match Handle::parse(&pf.handle) {
        Ok(h) => Some(h),
        Err(e) => {
            problems.add(
                path,
                None,
                format!("the file name gives the handle: {e}"),
                "rename the file to lowercase words joined by hyphens, like `wool-socks.toml`",
            );
            None
        }
    };
    if src.title.get_ref().trim().is_empty() {
        problems.add(
            path,
            file.line(&src.title),
            "the product has an empty title",
            "give it a title shoppers will see",
        );
    }

    let mut product_categories = Vec::new();
    for c in &src.categories {
        match Handle::parse(c.get_ref())
            .ok()
            .filter(|h| category_index.contains_key(h))
        {
            Some(h) => product_categories.push(h),
            None => problems.add(
                path,
                file.line(c),
                format!("unknown category `{}`", c.get_ref()),
                "use the handle of a category in categories.toml, or add the category there",
            ),
        }
    }

    let images: Vec<Image> = src
        .images
        .iter()
        .filter_map(|img| {
            let alt = if img.alt.trim().is_empty() {
                src.title.get_ref().clone()
            } else {
                img.alt.trim().to_string()
            };
            load_image(file, &img.src, alt, public, problems)
        })
        .collect();

    let mut options = Vec::new();
    for option in &src.options {
        let name = option.name.get_ref().trim();
        if name.is_empty() {
            problems.add(
                path,
                file.line(&option.name),
                "an option has no name",
                "name it, like `Size` or `Colour`",
            );
        }
        if options.iter().any(|o: &ProductOption| o.name == name) {
            problems.add(
                path,
                file.line(&option.name),
                format!("option `{name}` is listed twice"),
                "keep one entry per option",
            );
        }
        let mut values: Vec<String> = Vec::new();
        for value in &option.values {
            let v = value.get_ref().trim().to_string();
            if v.is_empty() || values.contains(&v) {
                problems.add(
                    path,
                    file.line(value),
                    format!("option `{name}` has an empty or repeated value"),
                    "list each value once",
                );
            }
            values.push(v);
        }
        if values.is_empty() {
            problems.add(
                path,
                file.line(&option.name),
                format!("option `{name}` has no values"),
                "list its values, like `values = [\"S\", \"M\", \"L\"]`",
            );
        }
        options.push(ProductOption {
            name: name.to_string(),
            values,
        });
    }

    if src.variants.is_empty() {
        problems.add(
            path,
            file.line(&src.title),
            "the product has no variants",
            "add at least one [[variants]] entry with a sku and a price",
        );
    }
    if options.is_empty() && src.variants.len() > 1 {
        problems.add(
            path,
            file.line(&src.variants[1].sku),
            "several variants but no options to tell them apart",
            "add [[options]] (like Size) and give each variant its `options` values",
        );
    }
    let mut variants = Vec::new();
    let mut combinations: HashSet<Vec<String>> = HashSet::new();
    for v in &src.variants {
        if let Some(variant) = build_variant(file, v, &src.defaults, &options, currency, seen_skus, problems)
        {
            if !options.is_empty() && !combinations.insert(variant.options.clone()) {
                problems.add(
                    path,
                    file.line(&v.sku),
                    format!(
                        "another variant already has the options {}",
                        variant.options.join(" / ")
                    ),
                    "give each variant a different combination of option values",
                );
            }
            variants.push(variant);
        }
    }

    if problems.0.len() > before {
        return None;
    }
    let handle = handle?;
    let breadcrumbs = product_categories
        .first()
        .map(|primary| {
            let mut trail = ancestry(categories, primary);
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
    Some(Product {
        handle,
        title: src.title.get_ref().trim().to_string(),
        vendor: src.vendor.trim().to_string(),
        summary: src.summary.trim().to_string(),
        description_html: markdown::to_safe_html(&src.description),
        categories: product_categories,
        breadcrumbs,
        options,
        variants,
        images,
    })
}

/// A category and its ancestors, the category first.
fn ancestry<'a>(categories: &'a [CategoryNode], handle: &Handle) -> Vec<&'a CategoryNode> {
    let mut chain = Vec::new();
    let mut current = categories.iter().find(|c| &c.handle == handle);
    while let Some(node) = current {
        if chain.iter().any(|c: &&CategoryNode| c.handle == node.handle) {
            break; // a loop, already reported
        }
        chain.push(node);
        current = node
            .parent
            .as_ref()
            .and_then(|p| categories.iter().find(|c| &c.handle == p));
    }
    chain
}

fn non_negative(
    file: &SourceFile,
    value: &Spanned<i64>,
    what: &str,
    fix: &str,
    problems: &mut Problems,
) -> Option<u32> {
    match u32::try_from(*value.get_ref()) {
        Ok(v) => Some(v),
        Err(_) => {
            problems.add(
                &file.path,
                file.line(value),
                format!("{what} `{}` is not a whole number from 0 up", value.get_ref()),
                fix,
            );
            None
        }
    }
}

fn build_variant(
    file: &SourceFile,
    v: &VariantSource,
    defaults: &crate::source::VariantDefaults,
    options: &[ProductOption],
    currency: Currency,
    seen_skus: &mut HashMap<String, (std::path::PathBuf, Option<usize>)>,
    problems: &mut Problems,
) -> Option<Variant> {
    let path = &file.path;
    let line = file.line(&v.sku);
    let before = problems.0.len();
    let sku = match Sku::parse(v.sku.get_ref()) {
        Ok(s) => Some(s),
        Err(e) => {
            problems.add(
                path,
                line,
                e.to_string(),
                "use letters, digits and hyphens, like `TEE-M-NAVY`",
            );
            None
        }
    };
    if let Some(sku) = &sku {
        if let Some((first_file, first_line)) = seen_skus.get(sku.as_str()) {
            problems.add(
                path,
                line,
                format!(
                    "duplicate SKU `{sku}` (also used in {}:{})",
                    first_file.display(),
                    first_line.unwrap_or(0)
                ),
                "every variant in the shop needs its own SKU",
            );
        } else {
            seen_skus.insert(sku.to_string(), (path.clone(), line));
        }
    }
    if v.options.len() != options.len() {
        problems.add(
            path,
            line,
            format!(
                "variant {} has {} option values but the product has {} options",
                v.sku.get_ref(),
                v.options.len(),
                options.len()
            ),
            format!(
                "give one value per option, in order: {}",
                if options.is_empty() {
                    "none".to_string()
                } else {
                    options
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        );
    } else {
        for (value, option) in v.options.iter().zip(options) {
            if !option
                .values
                .iter()
                .any(|allowed| allowed == value.get_ref().trim())
            {
                problems.add(
                    path,
                    file.line(value),
                    format!("`{}` is not a value of option {}", value.get_ref(), option.name),
                    format!("use one of: {}", option.values.join(", ")),
                );
            }
        }
    }
    let price_fix = "write the price in minor units (cents): 8900 means 89.00";
    let price = match v.price.as_ref().or(defaults.price.as_ref()) {
        Some(p) => non_negative(file, p, "price", price_fix, problems),
        None => {
            problems.add(
                path,
                line,
                format!("variant {} has no price", v.sku.get_ref()),
                "set `price` on the variant or in [defaults]",
            );
            None
        }
    };
    let compare_at = v
        .compare_at
        .as_ref()
        .or(defaults.compare_at.as_ref())
        .and_then(|p| non_negative(file, p, "compare-at price", price_fix, problems));
    let weight = v
        .weight
        .as_ref()
        .or(defaults.weight.as_ref())
        .map(|w| non_negative(file, w, "weight", "write the weight in whole grams", problems))
        .unwrap_or(Some(0));
    let stock = v
        .stock
        .as_ref()
        .or(defaults.stock.as_ref())
        .map(|s| {
            non_negative(
                file,
                s,
                "stock",
                "write how many are on hand, 0 or more",
                problems,
            )
        })
        .unwrap_or(Some(0));
    if problems.0.len() > before {
        return None;
    }
    Some(Variant {
        sku: sku?,
        options: v.options.iter().map(|o| o.get_ref().trim().to_string()).collect(),
        price: Money::new(i64::from(price?), currency),
        compare_at: compare_at.map(|c| Money::new(i64::from(c), currency)),
        weight_grams: weight?,
        stock: stock?,
    })
}

/// Menus may only link to pages that exist, or to other sites.
fn check_menus(
    src: &CatalogSource,
    categories: &[CategoryNode],
    products: &HashSet<&str>,
    problems: &mut Problems,
) -> (Vec<MenuLink>, Vec<MenuLink>) {
    let Some(file) = &src.menus_file else {
        let top: Vec<MenuLink> = categories
            .iter()
            .filter(|c| c.parent.is_none())
            .map(|c| MenuLink {
                title: c.title.clone(),
                href: format!("/collections/{}", c.handle),
            })
            .collect();
        let mut footer = top.clone();
        footer.push(MenuLink {
            title: "Cart".into(),
            href: "/cart".into(),
        });
        return (top, footer);
    };
    let mut check = |items: &[crate::source::MenuItemSource]| -> Vec<MenuLink> {
        let mut links = Vec::new();
        for item in items {
            let href = item.href.get_ref().trim();
            let exists = match href
                .split_once("/collections/")
                .or_else(|| href.split_once("/products/"))
            {
                _ if href == "/" || href == "/cart" => true,
                _ if href.starts_with("https://") || href.starts_with("http://") => true,
                Some(("", rest)) if href.starts_with("/collections/") => {
                    categories.iter().any(|c| c.handle.as_str() == rest)
                }
                Some(("", rest)) => products.contains(rest),
                _ => false,
            };
            if !exists {
                problems.add(
                    &file.path,
                    file.line(&item.href),
                    format!("menu link `{href}` leads nowhere"),
                    "link to `/`, `/cart`, `/collections/HANDLE`, `/products/HANDLE` or a full https:// address",
                );
            }
            links.push(MenuLink {
                title: item.title.trim().to_string(),
                href: href.to_string(),
            });
        }
        links
    };
    let header = check(&src.menus.header);
    let footer = check(&src.menus.footer);
    (header, footer)
}

fn assemble(
    src: &CatalogSource,
    currency: Currency,
    categories: &[CategoryNode],
    products: Vec<Product>,
    (header_menu, footer_menu): (Vec<MenuLink>, Vec<MenuLink>),
) -> BuiltCatalog {
    let cards: Vec<(usize, ProductSummary)> = products
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.summary_card().map(|c| (i, c)))
        .collect();

    // Which products each category lists: its own and its descendants', once each.
    let mut listings: BTreeMap<&Handle, Vec<usize>> = BTreeMap::new();
    for (i, product) in products.iter().enumerate() {
        let mut in_categories: Vec<&Handle> = Vec::new();
        for c in &product.categories {
            for node in ancestry(categories, c) {
                if !in_categories.contains(&&node.handle) {
                    in_categories.push(&node.handle);
                }
            }
        }
        for c in in_categories {
            listings.entry(c).or_default().push(i);
        }
    }
    let summary_of = |node: &CategoryNode| CategorySummary {
        handle: node.handle.clone(),
        title: node.title.clone(),
        description: node.description.clone(),
        product_count: listings.get(&node.handle).map_or(0, |l| l.len() as u32),
        image: node.image.clone(),
    };
    let card_of = |i: &usize| cards.iter().find(|(j, _)| j == i).map(|(_, c)| c.clone());

    let mut documents: Vec<(DocKind, String, String)> = Vec::new();
    let mut push = |kind: DocKind, name: &str, json: String| documents.push((kind, name.to_string(), json));
    for node in categories {
        let category = Category {
            handle: node.handle.clone(),
            title: node.title.clone(),
            description: node.description.clone(),
            ancestors: {
                let mut a: Vec<CategorySummary> = ancestry(categories, &node.handle)
                    .into_iter()
                    .skip(1)
                    .map(summary_of)
                    .collect();
                a.reverse();
                a
            },
            children: categories
                .iter()
                .filter(|c| c.parent.as_ref() == Some(&node.handle))
                .map(summary_of)
                .collect(),
            products: listings
                .get(&node.handle)
                .map(|l| l.iter().filter_map(card_of).collect())
                .unwrap_or_default(),
        };
        push(DocKind::Collection, node.handle.as_str(), to_json(&category));
    }

    let featured_categories: Vec<CategorySummary> = if src.store.featured_collections.is_empty() {
        categories
            .iter()
            .filter(|c| c.parent.is_none())
            .map(summary_of)
            .collect()
    } else {
        src.store
            .featured_collections
            .iter()
            .filter_map(|h| {
                categories
                    .iter()
                    .find(|c| c.handle.as_str() == h.get_ref())
                    .map(summary_of)
            })
            .collect()
    };
    let featured_products: Vec<ProductSummary> = if src.store.featured_products.is_empty() {
        cards
            .iter()
            .take(DEFAULT_FEATURED)
            .map(|(_, c)| c.clone())
            .collect()
    } else {
        src.store
            .featured_products
            .iter()
            .filter_map(|h| {
                cards
                    .iter()
                    .find(|(_, c)| c.handle.as_str() == h.get_ref())
                    .map(|(_, c)| c.clone())
            })
            .collect()
    };
    push(
        DocKind::Home,
        SINGLETON,
        to_json(&HomeData {
            categories: featured_categories,
            featured: featured_products,
        }),
    );
    let site = Site {
        store: StoreInfo {
            name: src.store.name.get_ref().trim().to_string(),
            tagline: src.store.tagline.trim().to_string(),
            currency,
        },
        header_menu,
        footer_menu,
    };
    push(DocKind::Site, SINGLETON, to_json(&site));
    for product in &products {
        push(DocKind::Product, product.handle.as_str(), to_json(product));
    }

    let version = content_version(&documents);
    let entries = documents
        .into_iter()
        .map(|(kind, name, json)| (doc_key(&version, kind, &name), json))
        .collect();
    BuiltCatalog {
        version,
        entries,
        product_count: products.len(),
        category_count: categories.len(),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serializing plain structs with string keys cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// 64-bit FNV-1a over every document: same content, same version id.
fn content_version(documents: &[(DocKind, String, String)]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (kind, name, json) in documents {
        for bytes in [
            format!("{kind:?}").as_bytes(),
            name.as_bytes(),
            json.as_bytes(),
            b"\0",
        ] {
            for b in bytes {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    format!("{hash:016x}")
}

//! Products from a spreadsheet: a CSV file in `products/`, one *variant* per row; rows
//! sharing a `handle` make one product. Product columns may be left empty after the
//! product's first row. Prices are decimals as people type them (`98.00`), in the
//! store currency; weights in grams.
//!
//! Columns (header row required, any order, unknown columns refused):
//! `handle, title, vendor, categories, created, summary, description,
//!  option1, value1, option2, value2, option3, value3,
//!  sku, price, compare_at, weight_grams, stock, images, image_alts, variant_image`
//! Lists inside a cell (`categories`, `images`, `image_alts`) are separated by `|`;
//! `variant_image` is one of the product's `images`, the picture of the row's variant.

use crate::source::{Amount, At, ImageDraft, OptionDraft, Problems, ProductDraft, VariantDraft};
use shared::Currency;
use std::collections::BTreeMap;
use std::path::Path;

const COLUMNS: [&str; 21] = [
    "handle",
    "title",
    "vendor",
    "categories",
    "created",
    "summary",
    "description",
    "option1",
    "value1",
    "option2",
    "value2",
    "option3",
    "value3",
    "sku",
    "price",
    "compare_at",
    "weight_grams",
    "stock",
    "images",
    "image_alts",
    "variant_image",
];

fn split_list(cell: &str) -> Vec<String> {
    cell.split('|').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Reads every product in one CSV file.
pub fn load_products(path: &Path, currency: Currency, problems: &mut Problems) -> Vec<ProductDraft> {
    let mut reader = match csv::ReaderBuilder::new().has_headers(true).flexible(false).from_path(path) {
        Ok(r) => r,
        Err(e) => {
            problems.add(
                path,
                None,
                format!("cannot read the CSV file: {e}"),
                "check that it exists and is UTF-8 CSV",
            );
            return Vec::new();
        }
    };
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            problems.add(
                path,
                Some(1),
                format!("cannot read the header row: {e}"),
                "the first row must name the columns",
            );
            return Vec::new();
        }
    };
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            problems.add(
                path,
                Some(1),
                format!("unknown column `{h}`"),
                format!("use only these columns: {}", COLUMNS.join(", ")),
            );
        }
    }
    for required in ["handle", "sku", "price"] {
        if !headers.iter().any(|h| h == required) {
            problems.add(
                path,
                Some(1),
                format!("the `{required}` column is missing"),
                "add it to the header row",
            );
            return Vec::new();
        }
    }
    let column = |name: &str| headers.iter().position(|h| h == name);
    let indexes: Vec<Option<usize>> = COLUMNS.iter().map(|c| column(c)).collect();
    let cell = |record: &csv::StringRecord, name: &str| -> String {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .and_then(|i| indexes[i])
            .and_then(|i| record.get(i))
            .unwrap_or("")
            .trim()
            .to_string()
    };

    let mut products: Vec<ProductDraft> = Vec::new();
    let mut by_handle: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                problems.add(
                    path,
                    line,
                    format!("cannot read this row: {e}"),
                    "every row needs the same number of cells as the header",
                );
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize);
        let handle = cell(&record, "handle");
        if handle.is_empty() {
            problems.add(
                path,
                line,
                "the row has no handle",
                "fill in the product handle, like `wool-socks`",
            );
            continue;
        }
        let index = match by_handle.get(&handle) {
            Some(i) => *i,
            None => {
                let title = cell(&record, "title");
                let images = split_list(&cell(&record, "images"));
                let alts = split_list(&cell(&record, "image_alts"));
                let created = cell(&record, "created");
                products.push(ProductDraft {
                    file: path.to_path_buf(),
                    line,
                    handle: At::new(handle.clone(), line),
                    title: At::new(title, line),
                    vendor: cell(&record, "vendor"),
                    summary: cell(&record, "summary"),
                    description: cell(&record, "description"),
                    created: (!created.is_empty()).then(|| At::new(created, line)),
                    categories: split_list(&cell(&record, "categories"))
                        .into_iter()
                        .map(|c| At::new(c, line))
                        .collect(),
                    images: images
                        .into_iter()
                        .enumerate()
                        .map(|(i, src)| ImageDraft {
                            src: At::new(src, line),
                            alt: alts.get(i).cloned().unwrap_or_default(),
                        })
                        .collect(),
                    translations: Default::default(),
                    options: (1..=3)
                        .filter_map(|n| {
                            let name = cell(&record, &format!("option{n}"));
                            (!name.is_empty())
                                .then(|| OptionDraft { name: At::new(name, line), values: Vec::new() })
                        })
                        .collect(),
                    variants: Vec::new(),
                });
                by_handle.insert(handle.clone(), products.len() - 1);
                products.len() - 1
            }
        };
        let product = &mut products[index];
        // Later rows may repeat the product columns, but not contradict them.
        let title = cell(&record, "title");
        if !title.is_empty() && title != product.title.value {
            problems.add(
                path,
                line,
                format!(
                    "this row gives product `{handle}` the title `{title}`, but an earlier row says `{}`",
                    product.title.value
                ),
                "leave product columns empty after a product's first row, or make them match",
            );
        }
        let mut values = Vec::new();
        for (n, option) in product.options.iter_mut().enumerate() {
            let value = cell(&record, &format!("value{}", n + 1));
            if !value.is_empty() && !option.values.iter().any(|v| v.value == value) {
                option.values.push(At::new(value.clone(), line));
            }
            values.push(At::new(value, line));
        }
        let amount = |text: String| {
            (!text.is_empty()).then(|| At::new(Amount::from_decimal_text(&text, currency), line))
        };
        let whole = |text: String| {
            (!text.is_empty()).then(|| {
                At::new(
                    text.parse::<i64>().map(Amount::Minor).unwrap_or_else(|_| Amount::Invalid(text.clone())),
                    line,
                )
            })
        };
        product.variants.push(VariantDraft {
            sku: At::new(cell(&record, "sku"), line),
            options: values,
            price: amount(cell(&record, "price")),
            prices: BTreeMap::new(),
            compare_at: amount(cell(&record, "compare_at")),
            weight: whole(cell(&record, "weight_grams")),
            stock: whole(cell(&record, "stock")),
            image: Some(cell(&record, "variant_image"))
                .filter(|src| !src.is_empty())
                .map(|src| At::new(src, line)),
        });
    }
    products
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_one_handle_make_one_product() {
        let dir = std::env::temp_dir().join(format!("csv-import-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.csv");
        std::fs::write(
            &path,
            "handle,title,categories,option1,value1,sku,price,stock,images\n\
             wool-socks,Wool Socks,socks|gifts,Size,M,WS-M,12.50,4,/images/a.svg\n\
             wool-socks,,,,L,WS-L,12.5,0,\n\
             tea,Tea,,,,TEA-1,8,3,\n",
        )
        .unwrap();
        let mut problems = Problems::default();
        let products = load_products(&path, Currency::USD, &mut problems);
        assert!(problems.is_empty(), "{:?}", problems.0);
        assert_eq!(products.len(), 2);
        let socks = &products[0];
        assert_eq!(socks.categories.len(), 2);
        assert_eq!(socks.options[0].values.len(), 2);
        assert_eq!(socks.variants.len(), 2);
        assert_eq!(socks.variants[1].price.as_ref().unwrap().value, Amount::Minor(1250));
        assert_eq!(socks.variants[1].sku.line, Some(3));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unknown_columns_and_contradictions_are_problems() {
        let dir = std::env::temp_dir().join(format!("csv-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.csv");
        std::fs::write(&path, "handle,title,sku,price,colour\nx,X,S1,1.00,red\nx,Y,S2,1.00,red\n").unwrap();
        let mut problems = Problems::default();
        load_products(&path, Currency::USD, &mut problems);
        let text: Vec<String> = problems.0.iter().map(|p| p.to_string()).collect();
        assert!(text.iter().any(|t| t.contains("unknown column `colour`")), "{text:?}");
        assert!(text.iter().any(|t| t.contains(":3:") && t.contains("earlier row")), "{text:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! The catalog source folder as the merchant writes it, and the list of problems found
//! while reading it. Every value keeps its position so problems point at `file:line`.
//!
//! ```text
//! catalog/
//!   store.toml          name, tagline, currency, what the home page features
//!   menus.toml          header and footer links (optional)
//!   categories.toml     [[category]] entries, nested through `parent`
//!   products/*.toml     one product per file; the file name is its handle
//! ```

use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One thing wrong with the catalog, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message)?,
            None => write!(f, "{}: {}", self.file.display(), self.message)?,
        }
        if !self.fix.is_empty() {
            write!(f, "\n    fix: {}", self.fix)?;
        }
        Ok(())
    }
}

/// Every problem found, reported all at once.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn add(
        &mut self,
        file: &Path,
        line: Option<usize>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.0.push(Problem {
            file: file.to_path_buf(),
            line,
            message: message.into(),
            fix: fix.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn print(&self) {
        for problem in &self.0 {
            eprintln!("{problem}");
        }
        let n = self.0.len();
        eprintln!(
            "\n{n} problem{} found; nothing was built or published.",
            if n == 1 { "" } else { "s" }
        );
    }
}

/// A file's path and text, to turn byte offsets into line numbers.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    text: String,
}

impl SourceFile {
    pub fn line_of(&self, span: &Range<usize>) -> Option<usize> {
        let end = span.start.min(self.text.len());
        Some(
            self.text.as_bytes()[..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1,
        )
    }

    pub fn line<T>(&self, spanned: &Spanned<T>) -> Option<usize> {
        self.line_of(&spanned.span())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSource {
    pub name: Spanned<String>,
    #[serde(default)]
    pub tagline: String,
    pub currency: Spanned<String>,
    #[serde(default)]
    pub featured_products: Vec<Spanned<String>>,
    #[serde(default)]
    pub featured_collections: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenusSource {
    #[serde(default)]
    pub header: Vec<MenuItemSource>,
    #[serde(default)]
    pub footer: Vec<MenuItemSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItemSource {
    pub title: String,
    pub href: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoriesSource {
    #[serde(default)]
    pub category: Vec<CategorySource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategorySource {
    pub handle: Spanned<String>,
    pub title: Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub parent: Option<Spanned<String>>,
    pub image: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSource {
    pub title: Spanned<String>,
    #[serde(default)]
    pub vendor: String,
    /// One or two plain sentences for cards and search engines.
    #[serde(default)]
    pub summary: String,
    /// Markdown; sanitized when the catalog is built.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub categories: Vec<Spanned<String>>,
    #[serde(default)]
    pub images: Vec<ImageSource>,
    #[serde(default)]
    pub options: Vec<OptionSource>,
    /// Values every variant gets unless it says otherwise.
    #[serde(default)]
    pub defaults: VariantDefaults,
    #[serde(default)]
    pub variants: Vec<VariantSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSource {
    pub src: Spanned<String>,
    #[serde(default)]
    pub alt: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSource {
    pub name: Spanned<String>,
    pub values: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantDefaults {
    pub price: Option<Spanned<i64>>,
    pub compare_at: Option<Spanned<i64>>,
    pub weight: Option<Spanned<i64>>,
    pub stock: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSource {
    pub sku: Spanned<String>,
    #[serde(default)]
    pub options: Vec<Spanned<String>>,
    /// Minor units (cents): 8900 is $89.00.
    pub price: Option<Spanned<i64>>,
    pub compare_at: Option<Spanned<i64>>,
    /// Grams.
    pub weight: Option<Spanned<i64>>,
    pub stock: Option<Spanned<i64>>,
}

pub struct ProductFile {
    pub file: SourceFile,
    /// The file name without `.toml`.
    pub handle: String,
    pub product: ProductSource,
}

pub struct CatalogSource {
    pub store_file: SourceFile,
    pub store: StoreSource,
    pub menus_file: Option<SourceFile>,
    pub menus: MenusSource,
    pub categories_file: SourceFile,
    pub categories: CategoriesSource,
    pub products: Vec<ProductFile>,
}

fn read_toml<T: for<'de> Deserialize<'de>>(path: &Path, problems: &mut Problems) -> Option<(SourceFile, T)> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            problems.add(
                path,
                None,
                format!("cannot read the file: {e}"),
                "check that it exists and is UTF-8 text",
            );
            return None;
        }
    };
    let file = SourceFile {
        path: path.to_path_buf(),
        text,
    };
    match toml::from_str::<T>(&file.text) {
        Ok(value) => Some((file, value)),
        Err(e) => {
            let line = e.span().and_then(|s| file.line_of(&s));
            let message = e.message().trim().to_string();
            problems.add(
                path,
                line,
                message,
                "correct the TOML at that line (see the catalog format in README.md)",
            );
            None
        }
    }
}

/// Reads the whole folder. Unreadable files are recorded as problems; whatever could be
/// read is returned so the build can report its problems too.
pub fn load(dir: &Path, problems: &mut Problems) -> Option<CatalogSource> {
    if !dir.is_dir() {
        problems.add(
            dir,
            None,
            "not a folder",
            "give the path of the catalog folder, such as `catalog`",
        );
        return None;
    }
    let store = read_toml::<StoreSource>(&dir.join("store.toml"), problems);
    let menus_path = dir.join("menus.toml");
    let menus = if menus_path.exists() {
        read_toml::<MenusSource>(&menus_path, problems)
    } else {
        None
    };
    let categories = read_toml::<CategoriesSource>(&dir.join("categories.toml"), problems);

    let products_dir = dir.join("products");
    let mut product_paths: Vec<PathBuf> = match std::fs::read_dir(&products_dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
            .collect(),
        Err(e) => {
            problems.add(
                &products_dir,
                None,
                format!("cannot list products: {e}"),
                "create a products/ folder with one .toml file per product",
            );
            Vec::new()
        }
    };
    product_paths.sort();
    let mut products = Vec::with_capacity(product_paths.len());
    for path in product_paths {
        let handle = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some((file, product)) = read_toml::<ProductSource>(&path, problems) {
            products.push(ProductFile {
                file,
                handle,
                product,
            });
        }
    }

    let (store_file, store) = store?;
    let (categories_file, categories) = categories?;
    let (menus_file, menus) = match menus {
        Some((file, menus)) => (Some(file), menus),
        None => (None, MenusSource::default()),
    };
    Some(CatalogSource {
        store_file,
        store,
        menus_file,
        menus,
        categories_file,
        categories,
        products,
    })
}

//! The catalog source folder as the merchant writes it, read into *drafts* whose every
//! value remembers its `file:line`, and the list of problems found along the way.
//!
//! ```text
//! catalog/
//!   store.toml          name, currency, language, markets, home page picks, shipping, taxes, discounts
//!   menus.toml          header and footer links (optional)
//!   categories.toml     [[category]] entries, nested through `parent`
//!   products/*.toml     one product per file; the file name is its handle
//!   products/*.csv      many products per file, one variant per row (spreadsheets)
//!   pages/*.md          content pages: TOML front matter between `+++` lines, then Markdown
//! ```

use serde::Deserialize;
use shared::{Currency, Money};
use std::collections::BTreeMap;
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
        self.0.push(Problem { file: file.to_path_buf(), line, message: message.into(), fix: fix.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn print(&self) {
        for problem in &self.0 {
            eprintln!("{problem}");
        }
        let n = self.0.len();
        eprintln!("\n{n} problem{} found; nothing was built or published.", if n == 1 { "" } else { "s" });
    }
}

/// A value and the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    pub value: T,
    pub line: Option<usize>,
}

impl<T> At<T> {
    pub fn new(value: T, line: Option<usize>) -> At<T> {
        At { value, line }
    }
}

/// A file's path and text, to turn byte offsets into line numbers.
struct SourceText {
    path: PathBuf,
    text: String,
    /// Byte offset where the TOML starts (front matter of a page).
    offset: usize,
}

impl SourceText {
    fn line_of(&self, span: &Range<usize>) -> Option<usize> {
        let end = (span.start + self.offset).min(self.text.len());
        Some(self.text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1)
    }

    fn at<T: Clone>(&self, spanned: &Spanned<T>) -> At<T> {
        At::new(spanned.get_ref().clone(), self.line_of(&spanned.span()))
    }
}

fn read_text(path: &Path, problems: &mut Problems) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            problems.add(
                path,
                None,
                format!("cannot read the file: {e}"),
                "check that it exists and is UTF-8 text",
            );
            None
        }
    }
}

fn parse_toml<T: for<'de> Deserialize<'de>>(
    source: &SourceText,
    toml_text: &str,
    problems: &mut Problems,
) -> Option<T> {
    match toml::from_str::<T>(toml_text) {
        Ok(value) => Some(value),
        Err(e) => {
            let line = e.span().and_then(|s| source.line_of(&s));
            problems.add(
                &source.path,
                line,
                e.message().trim().to_string(),
                "correct the TOML at that line (the catalog format is described in README.md)",
            );
            None
        }
    }
}

fn read_toml<T: for<'de> Deserialize<'de>>(path: &Path, problems: &mut Problems) -> Option<(SourceText, T)> {
    let text = read_text(path, problems)?;
    let source = SourceText { path: path.to_path_buf(), text, offset: 0 };
    let value = parse_toml(&source, &source.text.clone(), problems)?;
    Some((source, value))
}

// ---------------------------------------------------------------- store.toml

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreToml {
    name: Spanned<String>,
    #[serde(default)]
    tagline: String,
    currency: Spanned<String>,
    #[serde(default)]
    featured_products: Vec<Spanned<String>>,
    #[serde(default)]
    featured_collections: Vec<Spanned<String>>,
    #[serde(default)]
    shipping_zones: Vec<ZoneToml>,
    #[serde(default)]
    tax_rates: Vec<TaxToml>,
    #[serde(default)]
    discounts: Vec<DiscountToml>,
    /// The language the catalog is written in (`en` when unset).
    language: Option<Spanned<String>>,
    #[serde(default)]
    markets: Vec<MarketToml>,
    /// `[translations.fr]`: the store's tagline in another language.
    #[serde(default)]
    translations: BTreeMap<String, StoreText>,
}

/// The store's own text in another language.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreText {
    pub tagline: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MarketToml {
    id: Spanned<String>,
    name: String,
    countries: Vec<Spanned<String>>,
    currency: Option<Spanned<String>>,
    languages: Vec<Spanned<String>>,
    rate: Option<Spanned<String>>,
    rounding: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneToml {
    name: Spanned<String>,
    countries: Vec<Spanned<String>>,
    #[serde(default)]
    rates: Vec<RateToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateToml {
    id: Spanned<String>,
    name: String,
    price: Spanned<toml::Value>,
    free_over: Option<Spanned<toml::Value>>,
    #[serde(default)]
    min_days: u32,
    #[serde(default)]
    max_days: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxToml {
    country: Spanned<String>,
    region: Option<Spanned<String>>,
    name: String,
    rate: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscountToml {
    code: Spanned<String>,
    kind: Spanned<String>,
    percent: Option<Spanned<String>>,
    amount: Option<Spanned<toml::Value>>,
    min_subtotal: Option<Spanned<toml::Value>>,
    expires: Option<Spanned<String>>,
}

pub struct StoreDraft {
    pub file: PathBuf,
    pub name: At<String>,
    pub tagline: String,
    pub currency: At<String>,
    pub featured_products: Vec<At<String>>,
    pub featured_collections: Vec<At<String>>,
    pub shipping_zones: Vec<ZoneDraft>,
    pub tax_rates: Vec<TaxDraft>,
    pub discounts: Vec<DiscountDraft>,
    pub language: Option<At<String>>,
    pub markets: Vec<MarketDraft>,
    /// By language code, as written.
    pub translations: BTreeMap<String, StoreText>,
}

/// A `[[markets]]` entry as written.
pub struct MarketDraft {
    pub id: At<String>,
    pub name: String,
    pub countries: Vec<At<String>>,
    pub currency: Option<At<String>>,
    pub languages: Vec<At<String>>,
    pub rate: Option<At<String>>,
    pub rounding: Option<At<String>>,
}

pub struct ZoneDraft {
    pub name: At<String>,
    pub countries: Vec<At<String>>,
    pub rates: Vec<RateDraft>,
}

pub struct RateDraft {
    pub id: At<String>,
    pub name: String,
    pub price: At<Amount>,
    pub free_over: Option<At<Amount>>,
    pub min_days: u32,
    pub max_days: u32,
}

pub struct TaxDraft {
    pub country: At<String>,
    pub region: Option<At<String>>,
    pub name: String,
    pub rate: At<String>,
}

pub struct DiscountDraft {
    pub code: At<String>,
    pub kind: At<String>,
    pub percent: Option<At<String>>,
    pub amount: Option<At<Amount>>,
    pub min_subtotal: Option<At<Amount>>,
    pub expires: Option<At<String>>,
}

/// An amount of money as written: integer minor units in TOML, a decimal in CSV.
#[derive(Debug, Clone, PartialEq)]
pub enum Amount {
    Minor(i64),
    /// Written with a decimal point in TOML, where minor units are expected.
    Decimal(String),
    /// Not a number at all.
    Invalid(String),
}

impl Amount {
    fn from_toml(value: &toml::Value) -> Amount {
        match value {
            toml::Value::Integer(i) => Amount::Minor(*i),
            toml::Value::Float(f) => Amount::Decimal(f.to_string()),
            toml::Value::String(s) => Amount::Invalid(s.clone()),
            other => Amount::Invalid(format!("a {}", other.type_str())),
        }
    }

    /// A spreadsheet cell such as `98.00` or `98`.
    pub fn from_decimal_text(text: &str, currency: Currency) -> Amount {
        match Money::parse_decimal(text, currency) {
            Ok(m) => Amount::Minor(m.minor()),
            Err(_) => Amount::Invalid(text.to_string()),
        }
    }
}

fn amount_at(source: &SourceText, spanned: &Spanned<toml::Value>) -> At<Amount> {
    At::new(Amount::from_toml(spanned.get_ref()), source.line_of(&spanned.span()))
}

fn store_draft(source: &SourceText, raw: StoreToml) -> StoreDraft {
    StoreDraft {
        file: source.path.clone(),
        name: source.at(&raw.name),
        tagline: raw.tagline,
        currency: source.at(&raw.currency),
        featured_products: raw.featured_products.iter().map(|s| source.at(s)).collect(),
        featured_collections: raw.featured_collections.iter().map(|s| source.at(s)).collect(),
        shipping_zones: raw
            .shipping_zones
            .into_iter()
            .map(|z| ZoneDraft {
                name: source.at(&z.name),
                countries: z.countries.iter().map(|c| source.at(c)).collect(),
                rates: z
                    .rates
                    .into_iter()
                    .map(|r| RateDraft {
                        id: source.at(&r.id),
                        name: r.name,
                        price: amount_at(source, &r.price),
                        free_over: r.free_over.as_ref().map(|f| amount_at(source, f)),
                        min_days: r.min_days,
                        max_days: r.max_days,
                    })
                    .collect(),
            })
            .collect(),
        tax_rates: raw
            .tax_rates
            .into_iter()
            .map(|t| TaxDraft {
                country: source.at(&t.country),
                region: t.region.as_ref().map(|r| source.at(r)),
                name: t.name,
                rate: source.at(&t.rate),
            })
            .collect(),
        language: raw.language.as_ref().map(|l| source.at(l)),
        translations: raw.translations,
        markets: raw
            .markets
            .into_iter()
            .map(|m| MarketDraft {
                id: source.at(&m.id),
                name: m.name,
                countries: m.countries.iter().map(|c| source.at(c)).collect(),
                currency: m.currency.as_ref().map(|c| source.at(c)),
                languages: m.languages.iter().map(|l| source.at(l)).collect(),
                rate: m.rate.as_ref().map(|r| source.at(r)),
                rounding: m.rounding.as_ref().map(|r| source.at(r)),
            })
            .collect(),
        discounts: raw
            .discounts
            .into_iter()
            .map(|d| DiscountDraft {
                code: source.at(&d.code),
                kind: source.at(&d.kind),
                percent: d.percent.as_ref().map(|p| source.at(p)),
                amount: d.amount.as_ref().map(|a| amount_at(source, a)),
                min_subtotal: d.min_subtotal.as_ref().map(|a| amount_at(source, a)),
                expires: d.expires.as_ref().map(|e| source.at(e)),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------- menus.toml

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MenusToml {
    #[serde(default)]
    header: Vec<MenuItemToml>,
    #[serde(default)]
    footer: Vec<MenuItemToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuItemToml {
    title: String,
    href: Spanned<String>,
    /// The title in other languages (`translations = { fr = "À propos" }`).
    #[serde(default)]
    translations: BTreeMap<String, String>,
}

pub struct MenuDraft {
    pub title: String,
    pub href: At<String>,
    /// The title by language code, as written.
    pub translations: BTreeMap<String, String>,
}

pub struct MenusDraft {
    pub file: PathBuf,
    pub header: Vec<MenuDraft>,
    pub footer: Vec<MenuDraft>,
}

// ---------------------------------------------------------------- categories.toml

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesToml {
    #[serde(default)]
    category: Vec<CategoryToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryToml {
    handle: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    description: String,
    parent: Option<Spanned<String>>,
    image: Option<Spanned<String>>,
    #[serde(default)]
    translations: BTreeMap<String, CategoryText>,
}

pub struct CategoryDraft {
    pub handle: At<String>,
    pub title: At<String>,
    pub description: String,
    pub parent: Option<At<String>>,
    pub image: Option<At<String>>,
    /// By language code, as written.
    pub translations: BTreeMap<String, CategoryText>,
}

// ---------------------------------------------------------------- products

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductToml {
    title: Spanned<String>,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    description: String,
    created: Option<Spanned<String>>,
    #[serde(default)]
    categories: Vec<Spanned<String>>,
    #[serde(default)]
    images: Vec<ImageToml>,
    #[serde(default)]
    options: Vec<OptionToml>,
    #[serde(default)]
    defaults: DefaultsToml,
    #[serde(default)]
    variants: Vec<VariantToml>,
    /// `[translations.fr]`: the product's text in another language.
    #[serde(default)]
    translations: BTreeMap<String, ProductText>,
}

/// A product's text in another language (`[translations.fr]` in its file): any field
/// left out is shown in the catalog's language.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductText {
    pub title: Option<String>,
    pub summary: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    /// Option names, by their name in the catalog's language.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Option values, by their value in the catalog's language.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// A category's text in another language (`translations.fr = { … }` in its entry).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryText {
    pub title: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageToml {
    src: Spanned<String>,
    #[serde(default)]
    alt: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionToml {
    name: Spanned<String>,
    values: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsToml {
    price: Option<Spanned<toml::Value>>,
    /// Price lists: a market's own price (its currency's minor units), by market id.
    #[serde(default)]
    prices: BTreeMap<String, Spanned<toml::Value>>,
    compare_at: Option<Spanned<toml::Value>>,
    weight: Option<Spanned<toml::Value>>,
    stock: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantToml {
    sku: Spanned<String>,
    #[serde(default)]
    options: Vec<Spanned<String>>,
    price: Option<Spanned<toml::Value>>,
    #[serde(default)]
    prices: BTreeMap<String, Spanned<toml::Value>>,
    compare_at: Option<Spanned<toml::Value>>,
    weight: Option<Spanned<toml::Value>>,
    stock: Option<Spanned<toml::Value>>,
    /// The `src` of one of the product's `[[images]]`: the picture of this variant.
    image: Option<Spanned<String>>,
}

pub struct ImageDraft {
    pub src: At<String>,
    pub alt: String,
}

pub struct OptionDraft {
    pub name: At<String>,
    pub values: Vec<At<String>>,
}

pub struct VariantDraft {
    pub sku: At<String>,
    pub options: Vec<At<String>>,
    /// Minor units (cents).
    pub price: Option<At<Amount>>,
    /// Its price in markets with a price list, by market id (as written), in minor
    /// units of the market's currency.
    pub prices: BTreeMap<String, At<Amount>>,
    pub compare_at: Option<At<Amount>>,
    /// Grams.
    pub weight: Option<At<Amount>>,
    pub stock: Option<At<Amount>>,
    /// The `src` of the product image that shows this variant.
    pub image: Option<At<String>>,
}

pub struct ProductDraft {
    pub file: PathBuf,
    /// Where the product starts (1 for a TOML file, its first row in a CSV).
    pub line: Option<usize>,
    pub handle: At<String>,
    pub title: At<String>,
    pub vendor: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    pub created: Option<At<String>>,
    pub categories: Vec<At<String>>,
    pub images: Vec<ImageDraft>,
    pub options: Vec<OptionDraft>,
    pub variants: Vec<VariantDraft>,
    /// By language code, as written.
    pub translations: BTreeMap<String, ProductText>,
}

fn product_from_toml(source: &SourceText, handle: String, raw: ProductToml) -> ProductDraft {
    let amount = |v: &Option<Spanned<toml::Value>>| v.as_ref().map(|s| amount_at(source, s));
    let defaults = &raw.defaults;
    ProductDraft {
        file: source.path.clone(),
        line: Some(1),
        handle: At::new(handle, None),
        title: source.at(&raw.title),
        vendor: raw.vendor,
        summary: raw.summary,
        description: raw.description,
        created: raw.created.as_ref().map(|c| source.at(c)),
        categories: raw.categories.iter().map(|c| source.at(c)).collect(),
        images: raw
            .images
            .iter()
            .map(|i| ImageDraft { src: source.at(&i.src), alt: i.alt.clone() })
            .collect(),
        options: raw
            .options
            .iter()
            .map(|o| OptionDraft {
                name: source.at(&o.name),
                values: o.values.iter().map(|v| source.at(v)).collect(),
            })
            .collect(),
        variants: raw
            .variants
            .iter()
            .map(|v| VariantDraft {
                sku: source.at(&v.sku),
                options: v.options.iter().map(|o| source.at(o)).collect(),
                price: amount(&v.price).or_else(|| amount(&defaults.price)),
                prices: defaults
                    .prices
                    .iter()
                    .chain(&v.prices)
                    .map(|(market, price)| (market.clone(), amount_at(source, price)))
                    .collect(),
                compare_at: amount(&v.compare_at).or_else(|| amount(&defaults.compare_at)),
                weight: amount(&v.weight).or_else(|| amount(&defaults.weight)),
                stock: amount(&v.stock).or_else(|| amount(&defaults.stock)),
                image: v.image.as_ref().map(|i| source.at(i)),
            })
            .collect(),
        translations: raw.translations,
    }
}

// ---------------------------------------------------------------- pages/*.md

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageFrontMatter {
    title: Spanned<String>,
    #[serde(default)]
    description: String,
}

pub struct PageDraft {
    pub file: PathBuf,
    pub handle: String,
    /// `about.fr.md`: the page `about` in French (as written).
    pub language: Option<String>,
    pub title: At<String>,
    pub description: String,
    /// Markdown.
    pub body: String,
}

fn load_page(path: &Path, problems: &mut Problems) -> Option<PageDraft> {
    let text = read_text(path, problems)?;
    let handle = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let Some(rest) = text.strip_prefix("+++\n").or_else(|| text.strip_prefix("+++\r\n")) else {
        problems.add(
            path,
            Some(1),
            "the page has no front matter",
            "start the file with `+++`, a `title = \"…\"` line, and `+++`",
        );
        return None;
    };
    let Some(end) = rest.find("\n+++") else {
        problems.add(
            path,
            Some(1),
            "the front matter is not closed",
            "end it with a line holding only `+++`",
        );
        return None;
    };
    let front = &rest[..end];
    let body = rest[end + 4..].trim_start_matches(['\r', '\n']).to_string();
    let source = SourceText { path: path.to_path_buf(), text: text.clone(), offset: 4 };
    let matter: PageFrontMatter = parse_toml(&source, front, problems)?;
    // `about.fr.md` is the French text of `about.md`.
    let (handle, language) = match handle.split_once('.') {
        Some((handle, language)) => (handle.to_string(), Some(language.to_string())),
        None => (handle, None),
    };
    Some(PageDraft {
        file: path.to_path_buf(),
        handle,
        language,
        title: source.at(&matter.title),
        description: matter.description,
        body,
    })
}

// ---------------------------------------------------------------- the folder

pub struct CatalogDraft {
    pub store: StoreDraft,
    pub menus: Option<MenusDraft>,
    pub categories_file: PathBuf,
    pub categories: Vec<CategoryDraft>,
    pub products: Vec<ProductDraft>,
    pub pages: Vec<PageDraft>,
    pub strings: Vec<StringsDraft>,
}

/// `strings/{language}.toml`: the shop's interface strings in one language, each line
/// the English text and its translation.
pub struct StringsDraft {
    pub file: PathBuf,
    /// The file's stem, as written.
    pub language: String,
    pub entries: Vec<(String, At<String>)>,
}

fn list_files(dir: &Path, extensions: &[&str], problems: &mut Problems, required: bool) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            if required {
                problems.add(
                    dir,
                    None,
                    format!("cannot list the folder: {e}"),
                    "create it, with one .toml file per product",
                );
            }
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|x| x.to_str()).is_some_and(|x| extensions.contains(&x)))
        .collect();
    paths.sort();
    paths
}

/// Reads the whole folder. Unreadable parts are recorded as problems; whatever could be
/// read is returned so the build can report its problems too.
pub fn load(dir: &Path, problems: &mut Problems) -> Option<CatalogDraft> {
    if !dir.is_dir() {
        problems.add(dir, None, "not a folder", "give the path of the catalog folder, such as `catalog`");
        return None;
    }
    let store =
        read_toml::<StoreToml>(&dir.join("store.toml"), problems).map(|(s, raw)| store_draft(&s, raw));
    let currency =
        store.as_ref().and_then(|s| Currency::parse(&s.currency.value).ok()).unwrap_or(Currency::USD);

    let menus_path = dir.join("menus.toml");
    let menus = if menus_path.exists() {
        read_toml::<MenusToml>(&menus_path, problems).map(|(source, raw)| {
            let item = |m: &MenuItemToml| MenuDraft {
                title: m.title.clone(),
                href: source.at(&m.href),
                translations: m.translations.clone(),
            };
            MenusDraft {
                file: source.path.clone(),
                header: raw.header.iter().map(item).collect(),
                footer: raw.footer.iter().map(item).collect(),
            }
        })
    } else {
        None
    };

    let categories_path = dir.join("categories.toml");
    let categories = read_toml::<CategoriesToml>(&categories_path, problems).map(|(source, raw)| {
        raw.category
            .iter()
            .map(|c| CategoryDraft {
                handle: source.at(&c.handle),
                title: source.at(&c.title),
                description: c.description.clone(),
                parent: c.parent.as_ref().map(|p| source.at(p)),
                image: c.image.as_ref().map(|i| source.at(i)),
                translations: c.translations.clone(),
            })
            .collect::<Vec<_>>()
    });

    let mut products = Vec::new();
    for path in list_files(&dir.join("products"), &["toml", "csv"], problems, true) {
        if path.extension().is_some_and(|x| x == "csv") {
            products.extend(crate::csv_import::load_products(&path, currency, problems));
            continue;
        }
        let handle = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some((source, raw)) = read_toml::<ProductToml>(&path, problems) {
            products.push(product_from_toml(&source, handle, raw));
        }
    }
    let pages = list_files(&dir.join("pages"), &["md"], problems, false)
        .iter()
        .filter_map(|p| load_page(p, problems))
        .collect();

    let strings = list_files(&dir.join("strings"), &["toml"], problems, false)
        .iter()
        .filter_map(|path| {
            let (source, raw) = read_toml::<BTreeMap<String, Spanned<String>>>(path, problems)?;
            Some(StringsDraft {
                file: path.clone(),
                language: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
                entries: raw.iter().map(|(english, text)| (english.clone(), source.at(text))).collect(),
            })
        })
        .collect();

    Some(CatalogDraft {
        store: store?,
        menus,
        categories_file: categories_path,
        categories: categories?,
        products,
        pages,
        strings,
    })
}

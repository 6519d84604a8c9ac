//! `storefront catalog generate`: a realistic synthetic catalog of any size, the same
//! for the same seed, for scale tests and benchmarks. Products go to one CSV file
//! (the spreadsheet import path); images reuse the sample shop's files in `public/`.

use std::fmt::Write as _;
use std::path::Path;

/// A small, fast, deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const ADJECTIVES: &[&str] = &[
    "Classic",
    "Rugged",
    "Everyday",
    "Heritage",
    "Lightweight",
    "Heavyweight",
    "Coastal",
    "Alpine",
    "Urban",
    "Field",
    "Workshop",
    "Harbour",
    "Meadow",
    "Northern",
    "Vintage",
    "Essential",
    "Weekend",
    "Travel",
    "Studio",
    "Garden",
];
const MATERIALS: &[&str] = &[
    "Merino",
    "Linen",
    "Canvas",
    "Cotton",
    "Leather",
    "Wool",
    "Cashmere",
    "Denim",
    "Hemp",
    "Stoneware",
    "Oak",
    "Brass",
    "Copper",
    "Waxed",
    "Corduroy",
    "Flannel",
    "Suede",
    "Bamboo",
    "Ceramic",
    "Alpaca",
];

/// Product kinds: noun, category, base price (cents), sample image, options.
struct Kind {
    noun: &'static str,
    category: &'static str,
    base: i64,
    image: &'static str,
    sizes: bool,
}

const KINDS: &[Kind] = &[
    Kind { noun: "Sweater", category: "knitwear", base: 9000, image: "merino-crew-sweater-oat", sizes: true },
    Kind {
        noun: "Cardigan",
        category: "knitwear",
        base: 12000,
        image: "fisherman-cable-cardigan",
        sizes: true,
    },
    Kind {
        noun: "Beanie",
        category: "accessories",
        base: 3000,
        image: "merino-crew-sweater-forest",
        sizes: false,
    },
    Kind { noun: "Tee", category: "tees", base: 3000, image: "organic-cotton-tee-white", sizes: true },
    Kind { noun: "Pocket Tee", category: "tees", base: 3600, image: "heavyweight-pocket-tee", sizes: true },
    Kind { noun: "Overshirt", category: "shirts", base: 8500, image: "organic-cotton-tee-navy", sizes: true },
    Kind { noun: "Tote", category: "totes", base: 6500, image: "waxed-canvas-tote-olive", sizes: false },
    Kind {
        noun: "Daypack",
        category: "backpacks",
        base: 11500,
        image: "roll-top-daypack-black",
        sizes: false,
    },
    Kind {
        noun: "Card Holder",
        category: "small-leather",
        base: 4000,
        image: "leather-card-holder-tan",
        sizes: false,
    },
    Kind { noun: "Mug", category: "kitchen", base: 2200, image: "stoneware-mug-speckled", sizes: false },
    Kind { noun: "Coffee Set", category: "kitchen", base: 5200, image: "pour-over-coffee-set", sizes: false },
    Kind { noun: "Tea Towel", category: "linen", base: 1800, image: "linen-tea-towels", sizes: false },
    Kind { noun: "Throw", category: "bedding", base: 14000, image: "wool-throw-blanket-ochre", sizes: false },
    Kind { noun: "Candle", category: "candles", base: 2000, image: "beeswax-candle", sizes: false },
    Kind { noun: "Notebook", category: "paper", base: 1600, image: "dot-grid-notebook-navy", sizes: false },
    Kind { noun: "Pen", category: "writing", base: 3800, image: "brass-pen", sizes: false },
];

const COLOURS: &[&str] =
    &["Oat", "Charcoal", "Navy", "Forest", "Rust", "Sand", "Black", "Cream", "Olive", "Slate"];
const SIZES: &[&str] = &["XS", "S", "M", "L", "XL"];
const VENDORS: &[&str] =
    &["Fernleaf", "Harbour & Hide", "Kiln Street", "Paper Mill Press", "North Loom", "Ashgrove"];

/// (handle, title, parent, description)
const CATEGORIES: &[(&str, &str, Option<&str>, &str)] = &[
    ("apparel", "Apparel", None, "Clothing in natural fibres."),
    ("knitwear", "Knitwear", Some("apparel"), "Sweaters and cardigans."),
    ("tees", "Tees", Some("apparel"), "T-shirts in two weights."),
    ("shirts", "Shirts", Some("apparel"), "Overshirts and button-downs."),
    ("accessories", "Accessories", Some("apparel"), "Hats, scarves and gloves."),
    ("bags", "Bags", None, "Bags and small leather goods."),
    ("totes", "Totes", Some("bags"), "Everyday totes."),
    ("backpacks", "Backpacks", Some("bags"), "Packs for commuting and trails."),
    ("small-leather", "Small Leather Goods", Some("bags"), "Wallets and card holders."),
    ("home", "Home", None, "For the kitchen and the living room."),
    ("kitchen", "Kitchen", Some("home"), "Mugs and coffee gear."),
    ("linen", "Linen", Some("home"), "Tea towels and napkins."),
    ("bedding", "Bedding", Some("home"), "Throws and blankets."),
    ("candles", "Candles", Some("home"), "Beeswax and soy candles."),
    ("stationery", "Stationery", None, "Paper and pens."),
    ("paper", "Paper", Some("stationery"), "Notebooks and cards."),
    ("writing", "Writing", Some("stationery"), "Pens and pencils."),
];

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes a catalog of `products` products into `out`. Returns the number of variants.
pub fn generate(products: usize, out: &Path, seed: u64) -> Result<usize, String> {
    let io = |e: std::io::Error| format!("writing into {}: {e}", out.display());
    std::fs::create_dir_all(out.join("products")).map_err(io)?;
    std::fs::create_dir_all(out.join("pages")).map_err(io)?;

    let store = r#"# A synthetic catalog written by `storefront catalog generate`.
name = "Generated Goods"
tagline = "A large synthetic catalog for scale tests."
currency = "USD"
featured_collections = ["apparel", "bags", "home", "stationery"]

[[shipping_zones]]
name = "United States"
countries = ["US"]

[[shipping_zones.rates]]
id = "standard"
name = "Standard"
price = 600
free_over = 10000
min_days = 3
max_days = 5

[[tax_rates]]
country = "US"
region = "CA"
name = "California sales tax"
rate = "7.25%"

[[discounts]]
code = "SCALE10"
kind = "percent"
percent = "10%"
"#;
    std::fs::write(out.join("store.toml"), store).map_err(io)?;
    let mut categories = String::from("# Generated categories.\n");
    for (handle, title, parent, description) in CATEGORIES {
        let _ = write!(
            categories,
            "\n[[category]]\nhandle = \"{handle}\"\ntitle = \"{title}\"\ndescription = \"{description}\"\n"
        );
        if let Some(p) = parent {
            let _ = writeln!(categories, "parent = \"{p}\"");
        }
    }
    std::fs::write(out.join("categories.toml"), categories).map_err(io)?;
    let mut menus = String::new();
    for (handle, title, parent, _) in CATEGORIES {
        if parent.is_none() {
            let _ = write!(menus, "[[header]]\ntitle = \"{title}\"\nhref = \"/collections/{handle}\"\n\n");
        }
    }
    menus.push_str("[[footer]]\ntitle = \"About\"\nhref = \"/pages/about\"\n");
    std::fs::write(out.join("menus.toml"), menus).map_err(io)?;
    std::fs::write(
        out.join("pages/about.md"),
        "+++\ntitle = \"About\"\ndescription = \"About this synthetic shop.\"\n+++\nA generated catalog for **scale tests**.\n",
    )
    .map_err(io)?;

    let mut rng = Rng(seed);
    let mut csv = String::with_capacity(products * 400);
    csv.push_str("handle,title,vendor,categories,created,summary,description,option1,value1,option2,value2,option3,value3,sku,price,compare_at,weight_grams,stock,images,image_alts\n");
    let mut variants = 0;
    for n in 0..products {
        let kind = rng.pick(KINDS);
        let adjective = rng.pick(ADJECTIVES);
        let material = rng.pick(MATERIALS);
        let title = format!("{adjective} {material} {}", kind.noun);
        let handle = format!("{}-{n}", title.to_lowercase().replace(['&', ' '], "-").replace("--", "-"));
        let vendor = rng.pick(VENDORS);
        let created = format!("20{:02}-{:02}-{:02}", 22 + rng.below(5), 1 + rng.below(12), 1 + rng.below(28));
        let summary = format!(
            "A {} {} in {}, made to last.",
            adjective.to_lowercase(),
            kind.noun.to_lowercase(),
            material.to_lowercase()
        );
        let description = format!(
            "The {title} is {} from {}. {} Care: {}.",
            rng.pick(&["cut", "made", "crafted", "finished"]),
            material.to_lowercase(),
            rng.pick(&[
                "Built for daily use.",
                "A quiet classic.",
                "Gets better with age.",
                "Designed in our studio."
            ]),
            rng.pick(&["wash cold", "wipe clean", "hand wash", "air dry"]),
        );
        // ±20 % around the kind's base price, rounded to 50 cents.
        let base = kind.base + kind.base * (rng.below(41) as i64 - 20) / 100;
        let price = (base - base % 50).max(500);
        let compare_at = rng.chance(15).then(|| price + price / 5 - (price / 5) % 50);
        let colour_count = 1 + rng.below(3);
        let start = rng.below(COLOURS.len());
        let colours: Vec<&str> = (0..colour_count).map(|i| COLOURS[(start + i) % COLOURS.len()]).collect();
        let sizes: Vec<&str> = if kind.sizes { SIZES[rng.below(2)..].to_vec() } else { vec![] };
        let mut combos: Vec<(Option<&str>, &str)> = Vec::new();
        for colour in &colours {
            if sizes.is_empty() {
                combos.push((None, colour));
            } else {
                for size in &sizes {
                    combos.push((Some(size), colour));
                }
            }
        }
        let image = format!("/images/products/{}.svg", kind.image);
        for (i, (size, colour)) in combos.iter().enumerate() {
            let first = i == 0;
            let stock = if rng.chance(12) { 0 } else { rng.below(60) };
            let sku = match size {
                Some(s) => format!("G{n:06}-{s}-{}", &colour[..3].to_uppercase()),
                None => format!("G{n:06}-{}", &colour[..3].to_uppercase()),
            };
            let (option1, value1, option2, value2) = match size {
                Some(s) => ("Size", *s, "Colour", *colour),
                None => ("Colour", *colour, "", ""),
            };
            let row = [
                handle.as_str(),
                if first { title.as_str() } else { "" },
                if first { vendor } else { "" },
                if first { kind.category } else { "" },
                if first { created.as_str() } else { "" },
                if first { summary.as_str() } else { "" },
                if first { description.as_str() } else { "" },
                if first { option1 } else { "" },
                value1,
                if first { option2 } else { "" },
                value2,
                "",
                "",
                sku.as_str(),
                &format!("{}.{:02}", price / 100, price % 100),
                &compare_at.map(|c| format!("{}.{:02}", c / 100, c % 100)).unwrap_or_default(),
                &(200 + rng.below(800)).to_string(),
                &stock.to_string(),
                if first { image.as_str() } else { "" },
                if first { title.as_str() } else { "" },
            ];
            let line: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
            csv.push_str(&line.join(","));
            csv.push('\n');
            variants += 1;
        }
    }
    std::fs::write(out.join("products/generated.csv"), csv).map_err(io)?;
    Ok(variants)
}

//! Every class of catalog mistake, made on a copy of the sample shop: `validate` names
//! it with `file:line` and a fix and exits 1, and `publish` refuses before touching KV.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A scratch copy of the sample catalog.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("storefront-validate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&root().join("catalog"), &dir);
        Scratch { dir }
    }

    /// The sample catalog as a one-market, one-language shop: its markets and every
    /// translation taken out (the market tests declare their own).
    fn one_market(name: &str) -> Scratch {
        let s = Scratch::new(name);
        let cut = |file: &Path, from: &str| {
            let text = std::fs::read_to_string(file).unwrap();
            if let Some(at) = text.find(from) {
                std::fs::write(file, &text[..at]).unwrap();
            }
        };
        cut(&s.path("store.toml"), "\n# Markets:");
        for entry in std::fs::read_dir(s.path("products")).unwrap().flatten() {
            cut(&entry.path(), "\n# French, for the Canadian edition");
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("prices = ")).collect();
            std::fs::write(entry.path(), kept.join("\n") + "\n").unwrap();
        }
        for file in ["categories.toml", "menus.toml"] {
            let text = std::fs::read_to_string(s.path(file)).unwrap();
            let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("translations")).collect();
            std::fs::write(s.path(file), kept.join("\n") + "\n").unwrap();
        }
        let _ = std::fs::remove_dir_all(s.path("strings"));
        for entry in std::fs::read_dir(s.path("pages")).unwrap().flatten() {
            if entry.file_name().to_string_lossy().ends_with(".fr.md") {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
        s
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Replaces the first occurrence of `from` (which must exist) and returns the
    /// 1-based line where the replacement starts.
    fn replace(&self, file: &str, from: &str, to: &str) -> usize {
        let path = self.path(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text.find(from).unwrap_or_else(|| panic!("{file} has no {from:?}"));
        std::fs::write(&path, format!("{}{}{}", &text[..at], to, &text[at + from.len()..])).unwrap();
        text[..at].matches('\n').count() + 1
    }

    /// The 1-based line where `text` (which must be there) first appears.
    fn line_of(&self, file: &str, text: &str) -> usize {
        let whole = std::fs::read_to_string(self.path(file)).unwrap();
        let at = whole.find(text).unwrap_or_else(|| panic!("{file} has no {text:?}"));
        whole[..at].matches('\n').count() + 1
    }

    fn append(&self, file: &str, text: &str) -> usize {
        let path = self.path(file);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, format!("{old}{text}")).unwrap();
        old.matches('\n').count() + 1
    }

    fn write(&self, file: &str, text: &str) {
        let path = self.path(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn remove(&self, file: &str) {
        std::fs::remove_file(self.path(file)).unwrap();
    }

    /// Runs `storefront catalog <verb> <dir> …` from the project root.
    fn run(&self, verb: &str, extra: &[&str]) -> (i32, String) {
        let output = Command::new(env!("CARGO_BIN_EXE_storefront"))
            .current_dir(root())
            .args(["catalog", verb])
            .arg(&self.dir)
            .args(extra)
            .output()
            .unwrap();
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        (output.status.code().unwrap_or(-1), text)
    }

    /// Validation fails with `message` reported at `file:line`, and publishing the same
    /// folder refuses before writing anything.
    fn expect_problem(&self, file: &str, line: Option<usize>, message: &str) {
        let (code, output) = self.run("validate", &[]);
        assert_eq!(code, 1, "validate should fail for {message:?}:\n{output}");
        let location = match line {
            Some(l) => format!("{file}:{l}: "),
            None => format!("{file}: "),
        };
        let reported = output.lines().any(|l| l.contains(&location) && l.contains(message));
        assert!(reported, "expected `{location}…{message}` in:\n{output}");
        assert!(output.contains("fix: "), "no fix suggested:\n{output}");
        assert!(output.contains("nothing was built or published"), "{output}");

        let state = self.dir.with_extension("state");
        let _ = std::fs::remove_dir_all(&state);
        let state_arg = state.to_string_lossy().into_owned();
        let (code, output) = self.run("publish", &["--local", "--persist-to", &state_arg]);
        assert_eq!(code, 1, "publish should refuse for {message:?}:\n{output}");
        assert!(!state.exists(), "publish wrote local state despite problems");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_dir_all(self.dir.with_extension("state"));
    }
}

#[test]
fn the_sample_catalog_is_valid() {
    let s = Scratch::new("sample");
    let (code, output) = s.run("validate", &[]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("15 products, 7 categories, 3 pages"), "{output}");
}

#[test]
fn duplicate_sku() {
    let s = Scratch::new("dup-sku");
    let first = s.replace("products/brass-pen.toml", "sku = \"BRP-1\"", "sku = \"LTT-SET2\"");
    // Files are read in name order: the second use is reported, naming the first.
    let second = s.replace("products/linen-tea-towels.toml", "sku = \"LTT-SET2\"", "sku = \"LTT-SET2\"");
    s.expect_problem("products/linen-tea-towels.toml", Some(second), "duplicate SKU `LTT-SET2`");
    let (_, output) = s.run("validate", &[]);
    assert!(
        output.contains(&format!("also used at {}:{first}", s.path("products/brass-pen.toml").display())),
        "{output}"
    );
}

#[test]
fn unknown_category() {
    let s = Scratch::new("unknown-category");
    let line =
        s.replace("products/brass-pen.toml", "categories = [\"stationery\"]", "categories = [\"pens\"]");
    s.expect_problem("products/brass-pen.toml", Some(line), "unknown category `pens`");
}

#[test]
fn negative_price() {
    let s = Scratch::new("negative-price");
    let line = s.replace("products/brass-pen.toml", "price = 4200", "price = -4200");
    s.expect_problem("products/brass-pen.toml", Some(line), "price `-4200` is negative");
}

#[test]
fn decimal_price_where_minor_units_are_expected() {
    let s = Scratch::new("decimal-price");
    let line = s.replace("products/brass-pen.toml", "price = 4200", "price = 42.00");
    s.expect_problem("products/brass-pen.toml", Some(line), "has a decimal point");
    let (_, output) = s.run("validate", &[]);
    assert!(output.contains("write 4200 for 42"), "the fix should give the minor-unit value:\n{output}");
}

#[test]
fn missing_price() {
    let s = Scratch::new("missing-price");
    s.replace("products/brass-pen.toml", "price = 4200\n", "");
    let line = std::fs::read_to_string(s.path("products/brass-pen.toml"))
        .unwrap()
        .lines()
        .position(|l| l.starts_with("sku"))
        .unwrap()
        + 1;
    s.expect_problem("products/brass-pen.toml", Some(line), "has no price");
}

#[test]
fn broken_image_path() {
    let s = Scratch::new("broken-image");
    let line = s.replace(
        "products/brass-pen.toml",
        "/images/products/brass-pen.svg",
        "/images/products/brass-pen.png",
    );
    s.expect_problem(
        "products/brass-pen.toml",
        Some(line),
        "image `/images/products/brass-pen.png` not found",
    );
}

#[test]
fn image_path_escaping_public() {
    let s = Scratch::new("escaping-image");
    let line = s.replace("products/brass-pen.toml", "/images/products/brass-pen.svg", "/../Cargo.toml");
    s.expect_problem("products/brass-pen.toml", Some(line), "may not contain `..`");
}

#[test]
fn a_variant_shows_one_of_its_products_images() {
    let s = Scratch::new("variant-image");
    let built = storefront_cli::load_and_build(&s.dir, &root().join("public"))
        .unwrap_or_else(|p| panic!("{:?}", p.0.iter().map(ToString::to_string).collect::<Vec<_>>()));
    let holder = document(&built, "product:leather-card-holder");
    assert_eq!(holder["images"][1]["src"], "/images/products/leather-card-holder-black.svg");
    assert_eq!(holder["variants"][1]["sku"], "LCH-BLACK");
    assert_eq!(holder["variants"][1]["image"], 1, "the black holder shows the second image");
    let pen = document(&built, "product:brass-pen");
    assert!(pen["variants"][0].get("image").is_none(), "no picture named: none stored");
    // A picture the product does not list is refused where it is named.
    let line = s.replace(
        "products/leather-card-holder.toml",
        "image = \"/images/products/leather-card-holder-black.svg\"",
        "image = \"/images/products/leather-card-holder-red.svg\"",
    );
    s.expect_problem(
        "products/leather-card-holder.toml",
        Some(line),
        "variant `LCH-BLACK` shows image `/images/products/leather-card-holder-red.svg`, which the product does not list",
    );
}

#[test]
fn csv_variants_name_their_picture() {
    let s = Scratch::new("csv-variant-image");
    s.write(
        "products/more.csv",
        "handle,title,categories,option1,value1,sku,price,stock,images,variant_image\n\
         wool-socks,Wool Socks,apparel,Colour,Tan,WS-T,12.50,3,/images/products/leather-card-holder-tan.svg|/images/products/leather-card-holder-black.svg,/images/products/leather-card-holder-black.svg\n\
         wool-socks,,,,Red,WS-R,12.50,3,,/images/products/brass-pen.svg\n",
    );
    s.expect_problem(
        "products/more.csv",
        Some(3),
        "variant `WS-R` shows image `/images/products/brass-pen.svg`",
    );
}

#[test]
fn variant_without_option_values() {
    let s = Scratch::new("variant-options");
    let line = s.replace("products/stoneware-mug.toml", "options = [\"Slate\"]\n", "");
    let sku_line = std::fs::read_to_string(s.path("products/stoneware-mug.toml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("SWM-SLATE"))
        .unwrap()
        + 1;
    assert!(sku_line < line);
    s.expect_problem(
        "products/stoneware-mug.toml",
        Some(sku_line),
        "has 0 option value(s) but the product has 1 option(s)",
    );
}

#[test]
fn option_value_not_offered() {
    let s = Scratch::new("option-value");
    let line = s.replace("products/stoneware-mug.toml", "options = [\"Slate\"]", "options = [\"Teal\"]");
    s.expect_problem("products/stoneware-mug.toml", Some(line), "`Teal` is not a value of option Glaze");
}

#[test]
fn several_variants_without_options() {
    let s = Scratch::new("no-options");
    s.replace(
        "products/stoneware-mug.toml",
        "[[options]]\nname = \"Glaze\"\nvalues = [\"Speckled\", \"Slate\"]\n",
        "",
    );
    s.replace("products/stoneware-mug.toml", "options = [\"Speckled\"]\n", "");
    s.replace("products/stoneware-mug.toml", "options = [\"Slate\"]\n", "");
    let line = std::fs::read_to_string(s.path("products/stoneware-mug.toml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("SWM-SLATE"))
        .unwrap()
        + 1;
    s.expect_problem("products/stoneware-mug.toml", Some(line), "several variants but no options");
}

#[test]
fn toml_syntax_error() {
    let s = Scratch::new("syntax");
    let line =
        s.replace("products/brass-pen.toml", "vendor = \"Paper Mill Press\"", "vendor = \"Paper Mill Press");
    s.expect_problem("products/brass-pen.toml", Some(line), "");
}

#[test]
fn unknown_field() {
    let s = Scratch::new("unknown-field");
    let line = s.replace("products/brass-pen.toml", "vendor =", "vendorr =");
    s.expect_problem("products/brass-pen.toml", Some(line), "unknown field `vendorr`");
}

#[test]
fn bad_currency() {
    let s = Scratch::new("currency");
    let line = s.replace("store.toml", "currency = \"USD\"", "currency = \"dollars\"");
    s.expect_problem("store.toml", Some(line), "`dollars` is not an ISO 4217 currency code");
    // Three capital letters that name no currency are refused too.
    let s = Scratch::new("currency-code");
    let line = s.replace("store.toml", "currency = \"USD\"", "currency = \"ABC\"");
    s.expect_problem("store.toml", Some(line), "`ABC` is not an ISO 4217 currency code");
}

#[test]
fn duplicate_category_and_missing_parent_and_loop() {
    let s = Scratch::new("categories");
    let dup = s.append("categories.toml", "\n[[category]]\nhandle = \"bags\"\ntitle = \"Bags again\"\n");
    s.expect_problem("categories.toml", Some(dup + 2), "category `bags` is defined twice");
    let s = Scratch::new("parent");
    let line = s.replace("categories.toml", "parent = \"apparel\"", "parent = \"clothes\"");
    s.expect_problem("categories.toml", Some(line), "names parent `clothes`, which does not exist");
    let s = Scratch::new("loop");
    let line =
        s.replace("categories.toml", "handle = \"apparel\"", "handle = \"apparel\"\nparent = \"knitwear\"");
    s.expect_problem("categories.toml", Some(line), "is its own ancestor");
}

#[test]
fn menu_link_to_nowhere() {
    let s = Scratch::new("menu");
    let line = s.replace("menus.toml", "/collections/bags", "/collections/shoes");
    s.expect_problem("menus.toml", Some(line), "menu link `/collections/shoes` leads nowhere");
}

#[test]
fn featured_product_missing() {
    let s = Scratch::new("featured");
    let line = s.replace("store.toml", "\"roll-top-daypack\",", "\"roll-top-backpack\",");
    s.expect_problem("store.toml", Some(line), "featured product `roll-top-backpack` does not exist");
}

#[test]
fn bad_store_settings() {
    let s = Scratch::new("tax");
    let line = s.replace("store.toml", "rate = \"7.25%\"", "rate = \"seven\"");
    s.expect_problem("store.toml", Some(line), "tax rate `seven` is not a percentage");
    let s = Scratch::new("discount");
    let line = s.replace("store.toml", "kind = \"free_shipping\"", "kind = \"bogo\"");
    s.expect_problem("store.toml", Some(line), "discount kind `bogo` is unknown");
    let s = Scratch::new("zones");
    let line = s.replace("store.toml", "countries = [\"CA\"]", "countries = [\"US\"]");
    s.expect_problem("store.toml", Some(line), "country US is in two shipping zones");
    let s = Scratch::new("expiry");
    let line = s.replace("store.toml", "expires = \"2027-12-31\"", "expires = \"2027-13-31\"");
    s.expect_problem("store.toml", Some(line), "expiry `2027-13-31` is not a date");
}

#[test]
fn bad_handle_in_file_name() {
    let s = Scratch::new("handle");
    let text = std::fs::read_to_string(s.path("products/brass-pen.toml")).unwrap();
    s.remove("products/brass-pen.toml");
    s.write("products/Brass Pen.toml", &text);
    s.replace("store.toml", "", "");
    s.expect_problem("products/Brass Pen.toml", None, "the file name gives the handle");
}

#[test]
fn content_page_without_front_matter() {
    let s = Scratch::new("page");
    s.write("pages/faq.md", "# FAQ\nNo front matter here.\n");
    s.expect_problem("pages/faq.md", Some(1), "the page has no front matter");
}

#[test]
fn csv_problems_point_at_rows() {
    let s = Scratch::new("csv");
    s.write(
        "products/more.csv",
        "handle,title,categories,sku,price,stock,images\n\
         wool-socks,Wool Socks,apparel,WS-1,12.50,3,/images/products/brass-pen.svg\n\
         linen-apron,Linen Apron,kitchen,AP-1,twelve,3,\n\
         felt-hat,Felt Hat,hats,FH-1,40,2,\n",
    );
    s.expect_problem("products/more.csv", Some(3), "price `twelve` is not a price");
    let (_, output) = s.run("validate", &[]);
    assert!(output.contains("products/more.csv:4: unknown category `hats`"), "{output}");
}

#[test]
fn csv_products_are_accepted() {
    let s = Scratch::new("csv-ok");
    s.write(
        "products/more.csv",
        "handle,title,categories,option1,value1,sku,price,stock\n\
         wool-socks,Wool Socks,apparel,Size,M,WS-M,12.50,3\n\
         wool-socks,,,,L,WS-L,12.50,0\n",
    );
    let (code, output) = s.run("validate", &[]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("16 products"), "{output}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let s = Scratch::new("many");
    s.replace("products/brass-pen.toml", "price = 4200", "price = -1");
    s.replace("products/stoneware-mug.toml", "categories = [\"kitchen\"]", "categories = [\"cups\"]");
    s.replace("menus.toml", "/collections/bags", "/collections/shoes");
    let (code, output) = s.run("validate", &[]);
    assert_eq!(code, 1);
    for expected in ["price `-1` is negative", "unknown category `cups`", "leads nowhere", "3 problems found"]
    {
        assert!(output.contains(expected), "missing {expected:?} in:\n{output}");
    }
}

#[test]
fn build_writes_a_bulk_file_with_derived_data() {
    let s = Scratch::new("build");
    let out = s.dir.with_extension("json");
    let (code, output) = s.run("build", &["--out", &out.to_string_lossy()]);
    assert_eq!(code, 0, "{output}");
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let keys: Vec<&str> = entries.iter().map(|e| e["key"].as_str().unwrap()).collect();
    for kind in [
        ":product:",
        ":collection:",
        ":listing:",
        ":card:",
        ":search:",
        ":sitemap:",
        ":page:",
        ":settings:",
        ":site:",
        ":home:",
    ] {
        assert!(keys.iter().any(|k| k.contains(kind)), "no {kind} key in the bulk file");
    }
    let version = keys[0].split(':').nth(1).unwrap();
    assert!(keys.iter().all(|k| k.starts_with(&format!("catalog:{version}:"))), "keys of one version only");
    assert!(entries.iter().all(|e| e["value"].is_string()), "values are strings");
    let _ = std::fs::remove_file(out);
}

#[test]
fn generate_writes_a_valid_catalog_deterministically() {
    let base = std::env::temp_dir().join(format!("storefront-generate-{}", std::process::id()));
    let run = |dir: &Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_storefront"))
            .current_dir(root())
            .args(["catalog", "generate", "--products", "300", "--seed", "7", "--out"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(output.status.success());
        std::fs::read(dir.join("products/generated.csv")).unwrap()
    };
    let a = run(&base.join("a"));
    let b = run(&base.join("b"));
    assert_eq!(a, b, "the same seed must give the same catalog");
    let output = Command::new(env!("CARGO_BIN_EXE_storefront"))
        .current_dir(root())
        .args(["catalog", "validate"])
        .arg(base.join("a"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("300 products"), "{text}");
    let _ = std::fs::remove_dir_all(base);
}

/// A built document's JSON, by `kind:name`.
fn document(built: &storefront_cli::build::BuiltCatalog, id: &str) -> serde_json::Value {
    let doc = built.documents.iter().find(|d| d.id() == id).unwrap_or_else(|| panic!("no document {id}"));
    serde_json::from_str(doc.json.as_deref().unwrap()).unwrap()
}

/// A second market, as `store.toml` declares it: Canada, in CAD and two languages.
const MARKETS: &str = r#"
[[markets]]
id = "us"
name = "United States"
countries = ["US"]
languages = ["en"]

[[markets]]
id = "ca"
name = "Canada"
countries = ["CA"]
currency = "CAD"
languages = ["en", "fr"]
rate = "1.37"
rounding = "ending-99"
"#;

#[test]
fn markets_are_checked() {
    let s = Scratch::one_market("markets-ok");
    s.append("store.toml", MARKETS);
    let (code, output) = s.run("validate", &[]);
    assert_eq!(code, 0, "two markets are a valid store: {output}");
    let cases = [
        ("id = \"ca\"", "id = \"Canada!\"", "`Canada!` is not a market id"),
        ("rate = \"1.37\"", "rate = \"1,37\"", "`1,37` is not an exchange rate"),
        ("rounding = \"ending-99\"", "rounding = \"ending-100\"", "is not a rounding rule CAD can follow"),
        ("countries = [\"CA\"]\ncurrency", "countries = [\"US\"]\ncurrency", "country US is in two markets"),
        (
            "countries = [\"CA\"]\ncurrency",
            "countries = [\"JP\"]\ncurrency",
            "sells to JP, which no shipping zone covers",
        ),
        (
            "languages = [\"en\", \"fr\"]",
            "languages = [\"en\", \"French\"]",
            "`French` is not a language code",
        ),
        ("currency = \"CAD\"", "currency = \"C4D\"", "C4D"),
    ];
    for (i, (from, to, message)) in cases.into_iter().enumerate() {
        let s = Scratch::one_market(&format!("markets-{i}"));
        s.append("store.toml", MARKETS);
        // The replacement is made in the markets, never in the shipping zones above.
        let path = s.path("store.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let markets = text.find("[[markets]]").unwrap();
        let offset = markets + text[markets..].find(from).unwrap();
        std::fs::write(&path, format!("{}{}{}", &text[..offset], to, &text[offset + from.len()..])).unwrap();
        let line = text[..offset].matches('\n').count() + 1;
        s.expect_problem("store.toml", Some(line), message);
    }
    // A market in another currency without a rate; a default market with one.
    let s = Scratch::one_market("markets-no-rate");
    s.append("store.toml", &MARKETS.replace("rate = \"1.37\"\n", ""));
    let line = s.line_of("store.toml", "id = \"ca\"");
    s.expect_problem("store.toml", Some(line), "market `ca` sells in CAD but has no rate from USD");
    let s = Scratch::one_market("markets-default");
    s.append(
        "store.toml",
        &MARKETS.replace("languages = [\"en\"]\n", "languages = [\"en\"]\nrate = \"2\"\n"),
    );
    let line = s.line_of("store.toml", "id = \"us\"");
    s.expect_problem("store.toml", Some(line), "the first market, `us`, is the default");
}

#[test]
fn every_edition_is_built_with_its_markets_prices() {
    let s = Scratch::one_market("markets-build");
    s.append("store.toml", MARKETS);
    let built = storefront_cli::load_and_build(&s.dir, &root().join("public"))
        .unwrap_or_else(|p| panic!("{:?}", p.0.iter().map(ToString::to_string).collect::<Vec<_>>()));
    let json = |id: &str| document(&built, id);
    // The default edition is the catalog as written, unprefixed.
    let us = json("product:roll-top-daypack");
    let usd = us["variants"][0]["price"].clone();
    assert_eq!(usd["currency"], "USD", "{usd}");
    let usd_minor = usd["minor"].as_i64().unwrap();
    // Canada, in both its languages: the same product at CAD prices ending in .99.
    for edition in ["en-ca", "fr-ca"] {
        let ca = json(&format!("product:{edition}/roll-top-daypack"));
        let cad = &ca["variants"][0]["price"];
        assert_eq!(cad["currency"], "CAD", "{cad}");
        let cad_minor = cad["minor"].as_i64().unwrap();
        assert_eq!(cad_minor % 100, 99, "{cad_minor}");
        assert!(cad_minor * 100 >= usd_minor * 137 && cad_minor * 100 < usd_minor * 137 + 100 * 100);
        // Its checkout settings: Canada's zone only, in CAD, and Canada's taxes.
        let settings = json(&format!("settings:{edition}/main"));
        let zones = settings["shipping_zones"].as_array().unwrap();
        assert_eq!(zones.len(), 1, "{settings}");
        assert_eq!(zones[0]["countries"], serde_json::json!(["CA"]));
        assert_eq!(zones[0]["rates"][0]["price"]["currency"], "CAD");
        assert!(settings["tax_rates"].as_array().unwrap().iter().all(|t| t["country"] == "CA"));
        let card = json(&format!("card:{edition}/0"));
        assert_eq!(card["price"]["currency"], "CAD");
        assert!(
            built.documents.iter().all(|d| !d.id().starts_with(&format!("skus:{edition}/"))),
            "one SKU index"
        );
    }
    // The US edition ships to the US only now: Canada is its own market.
    let us_settings = json("settings:main");
    let zones = us_settings["shipping_zones"].as_array().unwrap();
    assert_eq!(zones.len(), 1, "{us_settings}");
    assert_eq!(zones[0]["countries"], serde_json::json!(["US"]));
    // Every edition's frame links to all of them (hreflang, the selector).
    for id in ["site:main", "site:en-ca/main", "site:fr-ca/main"] {
        let editions = &json(id)["editions"];
        let segments: Vec<&str> =
            editions.as_array().unwrap().iter().map(|e| e["segment"].as_str().unwrap()).collect();
        assert_eq!(segments, ["", "en-ca", "fr-ca"], "{id}");
        assert_eq!(editions[2]["hreflang"], "fr-CA");
    }
    // Without markets the build is what it always was: no prefixed document.
    let plain = Scratch::one_market("markets-none");
    let built = storefront_cli::load_and_build(&plain.dir, &root().join("public")).unwrap();
    assert!(built.documents.iter().all(|d| !d.name.contains('/')), "no edition documents");
}

#[test]
fn a_market_can_list_its_own_prices() {
    let s = Scratch::one_market("price-list");
    s.append("store.toml", MARKETS);
    s.replace(
        "products/roll-top-daypack.toml",
        "sku = \"RTD-BLACK\"",
        "sku = \"RTD-BLACK\"\nprices = { ca = 15000 }",
    );
    let built = storefront_cli::load_and_build(&s.dir, &root().join("public"))
        .unwrap_or_else(|p| panic!("{:?}", p.0.iter().map(ToString::to_string).collect::<Vec<_>>()));
    let ca = document(&built, "product:fr-ca/roll-top-daypack");
    assert_eq!(ca["variants"][0]["price"], serde_json::json!({ "minor": 15000, "currency": "CAD" }));
    let converted = ca["variants"][1]["price"]["minor"].as_i64().unwrap();
    assert_eq!(converted % 100, 99, "the variant without a listed price is converted: {converted}");
    assert_eq!(document(&built, "product:roll-top-daypack")["variants"][0]["price"]["currency"], "USD");
    // A price list names another market, in whole minor units.
    for (list, message) in [
        ("prices = { us = 15000 }", "`us` is not a market with its own prices"),
        ("prices = { mx = 15000 }", "`mx` is not a market with its own prices"),
        ("prices = { ca = \"150.00\" }", "price for market `ca` `150.00` is not a price"),
        ("prices = { ca = 150.5 }", "has a decimal point, but prices here are in minor units"),
        ("prices = { ca = -5 }", "price for market `ca` `-5` is negative"),
    ] {
        let s = Scratch::one_market("price-list-bad");
        s.append("store.toml", MARKETS);
        let line = s.replace(
            "products/roll-top-daypack.toml",
            "sku = \"RTD-BLACK\"",
            &format!("sku = \"RTD-BLACK\"\n{list}"),
        );
        s.expect_problem("products/roll-top-daypack.toml", Some(line + 1), message);
    }
}

#[test]
fn interface_strings_are_translated_in_the_catalog_folder() {
    let s = Scratch::one_market("strings");
    s.append("store.toml", MARKETS);
    s.write(
        "strings/fr.toml",
        "\"Add to cart\" = \"Ajouter au panier\"\n\"Only {count} left\" = \"Plus que {count}\"\n",
    );
    let (code, output) = s.run("validate", &[]);
    assert_eq!(code, 0, "{output}");
    let total = shared::strings::UI_STRINGS.len();
    assert!(
        output.contains(&format!("fr: {} of {total} interface strings (strings/fr.toml)", total - 2)),
        "{output}"
    );
    let built = storefront_cli::load_and_build(&s.dir, &root().join("public")).unwrap();
    let fr = document(&built, "site:fr-ca/main");
    assert_eq!(fr["strings"]["Add to cart"], "Ajouter au panier", "{fr}");
    assert!(document(&built, "site:en-ca/main").get("strings").is_none(), "English needs none");
    for (line, message) in [
        ("\"Add to basket\" = \"Ajouter\"", "\"Add to basket\" is not one of the shop's interface strings"),
        ("\"add to cart\" = \"Ajouter\"", "\"add to cart\" is not one of the shop's interface strings"),
        ("\"Only {count} left\" = \"Plus que {n}\"", "must keep its placeholders"),
        ("\"Add to cart\" = \" \"", "is translated as nothing"),
    ] {
        let s = Scratch::one_market("strings-bad");
        s.append("store.toml", MARKETS);
        s.write("strings/fr.toml", &format!("{line}\n"));
        s.expect_problem("strings/fr.toml", Some(1), message);
    }
    let s = Scratch::one_market("strings-de");
    s.append("store.toml", MARKETS);
    s.write("strings/de.toml", "\"Add to cart\" = \"In den Warenkorb\"\n");
    s.expect_problem("strings/de.toml", None, "translated into `de`, which no market sells in");
}

/// French text for the daypack and the apparel collection.
const DAYPACK_FR: &str = r#"
[translations.fr]
title = "Sac à dos Roll-Top 22 L"
description = "Toile cirée, **fermeture roulée**."
options = { Colour = "Couleur" }
values = { Black = "Noir", Rust = "Rouille" }
"#;

#[test]
fn translations_make_each_language_and_missing_ones_are_listed() {
    let s = Scratch::one_market("translations");
    s.append("store.toml", MARKETS);
    s.append("products/roll-top-daypack.toml", DAYPACK_FR);
    s.replace(
        "categories.toml",
        "image = \"/images/categories/apparel.svg\"",
        "image = \"/images/categories/apparel.svg\"\ntranslations.fr = { title = \"Vêtements\" }",
    );
    let (code, output) = s.run("validate", &[]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("have no translation and are shown in the catalog's language (en)"), "{output}");
    assert!(output.contains("fr: product `merino-crew-sweater` (title, description)"), "{output}");
    assert!(!output.contains("product `roll-top-daypack`"), "translated: {output}");
    assert!(!output.contains("category `apparel`"), "translated: {output}");
    assert!(output.contains("fr: category `knitwear` (title)"), "{output}");
    let built = storefront_cli::load_and_build(&s.dir, &root().join("public"))
        .unwrap_or_else(|p| panic!("{}", p.0.len()));
    let json = |id: &str| document(&built, id);
    let fr = json("product:fr-ca/roll-top-daypack");
    assert_eq!(fr["title"], "Sac à dos Roll-Top 22 L");
    assert!(fr["description_html"].as_str().unwrap().contains("<strong>fermeture roulée</strong>"), "{fr}");
    assert_eq!(fr["options"][0]["name"], "Couleur");
    assert_eq!(fr["options"][0]["values"], serde_json::json!(["Noir", "Rouille"]));
    assert_eq!(fr["variants"][0]["options"], serde_json::json!(["Noir"]));
    assert_eq!(fr["variants"][0]["price"]["currency"], "CAD");
    // English in Canada: the catalog's text at Canada's prices; French elsewhere falls back.
    let en = json("product:en-ca/roll-top-daypack");
    assert_eq!(en["title"], json("product:roll-top-daypack")["title"]);
    assert_eq!(en["variants"][0]["price"], fr["variants"][0]["price"]);
    assert_eq!(
        json("product:fr-ca/merino-crew-sweater")["title"],
        json("product:merino-crew-sweater")["title"]
    );
    assert_eq!(json("collection:fr-ca/apparel")["title"], "Vêtements");
    assert_eq!(json("collection:en-ca/apparel")["title"], "Apparel");
    // A filter in French: the listing index names the translated option.
    let listing = json("listing:fr-ca/bags").to_string();
    assert!(listing.contains("Couleur") && listing.contains("Rouille"), "{listing}");
}

#[test]
fn pages_menus_and_the_tagline_are_translated_too() {
    let s = Scratch::one_market("translations-pages");
    s.append("store.toml", MARKETS);
    s.append("store.toml", "\n[translations.fr]\ntagline = \"De belles choses pour tous les jours.\"\n");
    s.replace(
        "menus.toml",
        "title = \"Apparel\"",
        "title = \"Apparel\"\ntranslations = { fr = \"Vêtements\" }",
    );
    s.write("pages/about.fr.md", "+++\ntitle = \"À propos\"\n+++\nFondée en **2019**.\n");
    let (code, output) = s.run("validate", &[]);
    assert_eq!(code, 0, "{output}");
    assert!(
        !output.contains("page `about`") && output.contains("fr: page `returns` (pages/returns.fr.md)"),
        "{output}"
    );
    assert!(!output.contains("menu link `Apparel`") && output.contains("fr: menu link `Bags`"), "{output}");
    assert!(!output.contains("tagline"), "{output}");
    let built = storefront_cli::load_and_build(&s.dir, &root().join("public"))
        .unwrap_or_else(|p| panic!("{}", p.0.len()));
    let json = |id: &str| document(&built, id);
    let page = json("page:fr-ca/about");
    assert_eq!(page["title"], "À propos");
    assert!(page["body_html"].as_str().unwrap().contains("<strong>2019</strong>"));
    assert_eq!(json("page:en-ca/about")["title"], "About us");
    assert_eq!(json("page:fr-ca/returns")["title"], json("page:returns")["title"], "falls back");
    let site = json("site:fr-ca/main");
    assert_eq!(site["store"]["tagline"], "De belles choses pour tous les jours.");
    assert_eq!(site["header_menu"][0]["title"], "Vêtements");
    assert_eq!(site["header_menu"][0]["href"], "/collections/apparel", "paths stay unprefixed in documents");
    assert_eq!(site["store"]["currency"], "CAD");
    assert_eq!(json("site:main")["header_menu"][0]["title"], "Apparel");
    // A translation of a page that does not exist.
    let s = Scratch::one_market("translations-orphan");
    s.append("store.toml", MARKETS);
    s.write("pages/nothing.fr.md", "+++\ntitle = \"Rien\"\n+++\nRien.\n");
    s.expect_problem(
        "pages/nothing.fr.md",
        Some(1),
        "text of page `nothing`, which has none in the catalog's language",
    );
}

#[test]
fn translations_must_be_into_a_sold_language_and_of_the_products_own_options() {
    let s = Scratch::one_market("translations-de");
    s.append("store.toml", MARKETS);
    s.append("products/roll-top-daypack.toml", &DAYPACK_FR.replace("[translations.fr]", "[translations.de]"));
    s.expect_problem(
        "products/roll-top-daypack.toml",
        Some(1),
        "is translated into `de`, which no market sells in",
    );
    let s = Scratch::one_market("translations-option");
    s.append("store.toml", MARKETS);
    s.append("products/roll-top-daypack.toml", &DAYPACK_FR.replace("Colour = ", "Size = "));
    s.expect_problem(
        "products/roll-top-daypack.toml",
        Some(1),
        "translates option `Size`, which it does not have",
    );
    let s = Scratch::one_market("translations-value");
    s.append("store.toml", MARKETS);
    s.append("products/roll-top-daypack.toml", &DAYPACK_FR.replace("Black = ", "Blue = "));
    s.expect_problem("products/roll-top-daypack.toml", Some(1), "translates option value `Blue`");
}

//! The shopping experience over HTTP against a real `wrangler dev`: filters, sort,
//! search and suggestions, SEO tags and structured data, robots and sitemaps, no
//! JavaScript on pages without islands, valid HTML, and styled error pages.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use serde_json::Value;
use shared::format_money;
use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;
use storefront_tests::html::{count_tag, element_containing, links, text};
use storefront_tests::{project_root, Reply, SampleCatalog, Shop, ShopOptions, Shopper, TempDir};

struct World {
    shop: Shop,
    catalog: SampleCatalog,
}

fn main() {
    let args = Arguments::from_args();
    let world = if args.list {
        None
    } else {
        let state = TempDir::new("storefront");
        let shop = Shop::start(ShopOptions::fresh(&state));
        Some((Arc::new(World { shop, catalog: SampleCatalog::load() }), state))
    };
    let tests = storefront_tests::tests![
        facet_filters_narrow_by_option_price_and_stock,
        filters_that_match_nothing_show_an_empty_state,
        malformed_listing_urls_get_a_clear_4xx,
        sort_orders_the_listing,
        search_ranks_prefixes_typos_and_skus,
        suggestions_answer_as_json,
        add_to_cart_answers_scripts_with_json,
        pages_carry_one_canonical_url_and_opengraph,
        product_and_home_carry_structured_data,
        robots_and_sitemaps_cover_the_catalog,
        pages_without_islands_ship_no_javascript,
        content_pages_render_the_merchants_markdown,
        every_page_type_is_valid_html,
    ];
    let mut trials = storefront_tests::shared_trials(world.as_ref().map(|(w, _)| w), tests);
    trials.extend(storefront_tests::trials![a_missing_catalog_gives_a_styled_500]);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(world);
    conclusion.exit();
}

/// Product handles linked from a listing page's grid.
fn listed(reply: &Reply) -> Vec<String> {
    let grid = element_containing(&reply.body, "class=\"product-grid\"").unwrap_or_default();
    let mut handles: Vec<String> = Vec::new();
    for href in links(grid) {
        if let Some(h) = href.strip_prefix("/products/") {
            if !handles.iter().any(|x| x == h) {
                handles.push(h.to_string());
            }
        }
    }
    handles
}

fn apparel_products(w: &World) -> Vec<shared::Product> {
    [
        "fisherman-cable-cardigan",
        "alpaca-scarf",
        "merino-crew-sweater",
        "heavyweight-pocket-tee",
        "organic-cotton-tee",
    ]
    .iter()
    .map(|h| w.catalog.product(h))
    .collect()
}

fn facet_filters_narrow_by_option_price_and_stock(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let all = apparel_products(w);
    let offering = |value: &str| -> BTreeSet<String> {
        all.iter()
            .filter(|p| p.variants.iter().any(|v| v.options.iter().any(|o| o == value)))
            .map(|p| p.handle.to_string())
            .collect()
    };
    // One option value.
    let xs = shopper.get("/collections/apparel?filter.size=XS");
    assert_eq!(xs.status, 200);
    assert_eq!(listed(&xs).into_iter().collect::<BTreeSet<_>>(), offering("XS"));
    // Two values of one option: either matches.
    let xs_or_xl = shopper.get("/collections/apparel?filter.size=XS&filter.size=XL");
    let expected: BTreeSet<String> = offering("XS").union(&offering("XL")).cloned().collect();
    assert_eq!(listed(&xs_or_xl).into_iter().collect::<BTreeSet<_>>(), expected);
    // Two options: both must match.
    let navy_m = shopper.get("/collections/apparel?filter.size=M&filter.colour=Navy");
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|p| p.variants.iter().any(|v| v.options.contains(&"M".to_string())))
        .filter(|p| p.variants.iter().any(|v| v.options.contains(&"Navy".to_string())))
        .map(|p| p.handle.to_string())
        .collect();
    assert_eq!(listed(&navy_m).into_iter().collect::<BTreeSet<_>>(), expected);
    // Price range, in the store currency.
    let pricey = shopper.get("/collections/apparel?price.min=60");
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|p| p.summary_card().unwrap().price.minor() >= 6000)
        .map(|p| p.handle.to_string())
        .collect();
    assert_eq!(listed(&pricey).into_iter().collect::<BTreeSet<_>>(), expected);
    // In stock only drops the scarf, which is sold out in every colour.
    let everything = listed(&shopper.get("/collections/apparel"));
    assert!(everything.contains(&"alpaca-scarf".to_string()));
    let in_stock = listed(&shopper.get("/collections/apparel?in_stock=1"));
    assert!(!in_stock.contains(&"alpaca-scarf".to_string()));
    assert_eq!(in_stock.len(), everything.len() - 1);
    // The filter form shows counts, remembers choices, and is a plain GET form.
    let form = element_containing(&navy_m.body, "class=\"filters\"").expect("filter form");
    let tag_start = navy_m.body.find("class=\"filters\"").unwrap();
    let open_tag = &navy_m.body[navy_m.body[..tag_start].rfind('<').unwrap()..][..200];
    assert!(open_tag.starts_with("<form") && open_tag.contains("method=\"get\""), "{open_tag}");
    assert!(open_tag.contains("action=\"/collections/apparel\""), "{open_tag}");
    assert!(form.contains("name=\"filter.size\" value=\"M\" checked"), "chosen values stay checked");
    assert!(text(form).contains("Navy (1)") || text(form).contains("Navy ("), "values show counts");
    assert!(form.contains("name=\"price.min\""));
    assert!(form.contains("name=\"in_stock\""));
    // Filtered views are not indexed and point at the plain listing.
    assert!(navy_m.body.contains("<meta name=\"robots\" content=\"noindex,follow\">"));
    assert!(navy_m.body.contains("/collections/apparel\">"), "canonical is the unfiltered collection");
    let count = format!("{} product", expected_len(&navy_m));
    assert!(text(&navy_m.body).contains(&count));
}

fn expected_len(reply: &Reply) -> usize {
    listed(reply).len()
}

fn filters_that_match_nothing_show_an_empty_state(w: &World) {
    let reply = Shopper::new(&w.shop).get("/collections/apparel?filter.size=XXXL");
    assert_eq!(reply.status, 200);
    assert!(text(&reply.body).contains("No products match these filters."));
    assert!(text(&reply.body).contains("0 products"));
    assert!(links(&reply.body).contains(&"/collections/apparel".to_string()), "a way to clear the filters");
}

fn malformed_listing_urls_get_a_clear_4xx(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    for (path, status, words) in [
        ("/collections/apparel?price.min=cheap", 400, "lowest price must be an amount"),
        ("/collections/apparel?price.min=80&price.max=20", 400, "lowest price is above the highest"),
        ("/collections/apparel?sort=random", 400, "Unknown sort order"),
        ("/collections/apparel?page=0", 400, "page number"),
        ("/collections/apparel?page=1&page=2", 400, "more than once"),
        ("/collections/apparel?page=99", 404, "Page not found"),
        ("/search?q=tee&page=50", 404, "Page not found"),
    ] {
        let reply = shopper.get(path);
        assert_eq!(reply.status, status, "{path}");
        assert!(text(&reply.body).contains(words), "{path}: {}", text(&reply.body));
    }
}

fn sort_orders_the_listing(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let price_of = |h: &str| w.catalog.product(h).summary_card().unwrap().price.minor();
    let ascending = listed(&shopper.get("/collections/apparel?sort=price-asc"));
    let prices: Vec<i64> = ascending.iter().map(|h| price_of(h)).collect();
    assert!(prices.windows(2).all(|p| p[0] <= p[1]), "{prices:?}");
    let descending = listed(&shopper.get("/collections/apparel?sort=price-desc"));
    let prices: Vec<i64> = descending.iter().map(|h| price_of(h)).collect();
    assert!(prices.windows(2).all(|p| p[0] >= p[1]), "{prices:?}");
    let by_name = listed(&shopper.get("/collections/apparel?sort=name"));
    let titles: Vec<String> = by_name.iter().map(|h| w.catalog.product(h).title.to_lowercase()).collect();
    assert!(titles.windows(2).all(|t| t[0] <= t[1]), "{titles:?}");
    let newest = listed(&shopper.get("/collections/apparel?sort=newest"));
    let dates: Vec<String> = newest.iter().map(|h| w.catalog.product(h).created).collect();
    assert!(dates.windows(2).all(|d| d[0] >= d[1]), "{dates:?}");
    // The sort form keeps the filters.
    let filtered = shopper.get("/collections/apparel?filter.size=M");
    let sort_form = element_containing(&filtered.body, "class=\"sort-form\"").expect("sort form");
    assert!(sort_form.contains("name=\"filter.size\" value=\"M\""));
}

fn search_ranks_prefixes_typos_and_skus(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let first = |q: &str, shopper: &mut Shopper| -> Option<String> {
        let reply = shopper.get(&format!("/search?q={q}"));
        assert_eq!(reply.status, 200, "{q}");
        listed(&reply).first().cloned()
    };
    assert_eq!(first("merino", &mut shopper).as_deref(), Some("merino-crew-sweater"));
    assert_eq!(first("meri", &mut shopper).as_deref(), Some("merino-crew-sweater"), "prefix");
    assert_eq!(first("sweatr", &mut shopper).as_deref(), Some("merino-crew-sweater"), "typo");
    assert_eq!(first("RTD-RUST", &mut shopper).as_deref(), Some("roll-top-daypack"), "SKU");
    assert_eq!(first("charcoal", &mut shopper).as_deref(), Some("merino-crew-sweater"), "option value");
    let mugs = shopper.get("/search?q=stoneware+mug");
    assert_eq!(listed(&mugs), vec!["stoneware-mug".to_string()], "every word must match");
    let none = shopper.get("/search?q=zeppelin");
    assert!(text(&none.body).contains("No products match “zeppelin”."));
    let empty = shopper.get("/search");
    assert!(text(&empty.body).contains("Type what you are looking for"));
    let hostile = shopper.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E");
    assert_eq!(hostile.status, 200);
    assert!(!hostile.body.contains("<script>alert(1)"), "the query is escaped");
    for page in [&mugs, &none, &empty] {
        assert!(
            page.body.contains("<meta name=\"robots\" content=\"noindex,follow\">"),
            "search results are noindex"
        );
    }
}

fn suggestions_answer_as_json(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let reply = shopper.get("/search/suggest?q=mer");
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").unwrap_or("").starts_with("application/json"));
    let json: Value = serde_json::from_str(&reply.body).unwrap();
    let suggestions = json["suggestions"].as_array().unwrap();
    assert!(!suggestions.is_empty() && suggestions.len() <= 6);
    assert_eq!(suggestions[0]["title"], "Merino Crew Sweater");
    assert_eq!(suggestions[0]["href"], "/products/merino-crew-sweater");
    let price = format_money(w.catalog.product("merino-crew-sweater").summary_card().unwrap().price);
    assert_eq!(suggestions[0]["price"], price.as_str());
    let empty: Value = serde_json::from_str(&shopper.get("/search/suggest?q=").body).unwrap();
    assert_eq!(empty["suggestions"].as_array().map(Vec::len), Some(0));
}

fn add_to_cart_answers_scripts_with_json(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let added = shopper.post_form_with(
        "/cart/add",
        &[("product", "stoneware-mug"), ("variant", "SWM-SLATE"), ("quantity", "2")],
        &[("accept", "application/json")],
    );
    assert_eq!(added.status, 200, "{}", added.body);
    let json: Value = serde_json::from_str(&added.body).unwrap();
    assert_eq!(json["item_count"], 2);
    let price = w.catalog.product("stoneware-mug").variants[1].price.checked_mul(2).unwrap();
    assert_eq!(json["subtotal"], format_money(price).as_str());
    assert!(json["line"].as_str().unwrap().contains("Stoneware Mug"));
    assert!(shopper.cookie("cart").is_some(), "the JSON answer sets the cart cookie too");
    let refused = shopper.post_form_with(
        "/cart/add",
        &[("product", "stoneware-mug"), ("variant", "SWM-SLATE"), ("quantity", "0")],
        &[("accept", "application/json")],
    );
    assert_eq!(refused.status, 400);
    let json: Value = serde_json::from_str(&refused.body).unwrap();
    assert_eq!(json["error"], "bad_request");
    assert!(json["message"].as_str().unwrap().contains("Quantity"));
}

fn canonical(reply: &Reply) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = reply.body.as_str();
    while let Some(at) = rest.find("<link rel=\"canonical\" href=\"") {
        let value = &rest[at + 28..];
        found.push(value[..value.find('"').unwrap()].to_string());
        rest = &value[1..];
    }
    found
}

fn pages_carry_one_canonical_url_and_opengraph(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    for (path, expected) in [
        ("/", "/"),
        ("/collections/knitwear", "/collections/knitwear"),
        ("/collections/knitwear?sort=name", "/collections/knitwear"),
        ("/products/brass-pen", "/products/brass-pen"),
        ("/products/brass-pen?variant=BRP-1&utm_source=mail", "/products/brass-pen"),
        ("/pages/about", "/pages/about"),
    ] {
        let reply = shopper.get(path);
        assert_eq!(canonical(&reply), vec![format!("{}{expected}", w.shop.base)], "{path}");
        for tag in ["og:title", "og:description", "og:type", "og:url", "og:site_name"] {
            assert!(reply.body.contains(&format!("property=\"{tag}\"")), "{path} lacks {tag}");
        }
        assert!(reply.body.contains("<meta name=\"description\" content=\""), "{path}");
        assert_eq!(count_tag(&reply.body, "title"), 1, "{path}");
    }
    let product = shopper.get("/products/brass-pen");
    assert!(product.body.contains("property=\"og:type\" content=\"product\""));
    assert!(product.body.contains(&format!(
        "property=\"og:image\" content=\"{}/images/products/brass-pen.svg\"",
        w.shop.base
    )));
}

/// Every JSON-LD document of a page.
fn json_ld(reply: &Reply) -> Vec<Value> {
    let mut docs = Vec::new();
    let mut rest = reply.body.as_str();
    let open = "<script type=\"application/ld+json\">";
    while let Some(at) = rest.find(open) {
        let body = &rest[at + open.len()..];
        let end = body.find("</script>").unwrap();
        docs.push(serde_json::from_str(&body[..end]).unwrap_or_else(|e| panic!("bad JSON-LD: {e}")));
        rest = &body[end..];
    }
    docs
}

fn product_and_home_carry_structured_data(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let docs = json_ld(&shopper.get("/products/leather-card-holder"));
    let product = docs.iter().find(|d| d["@type"] == "Product").expect("Product JSON-LD");
    let source = w.catalog.product("leather-card-holder");
    assert_eq!(product["name"], source.title.as_str());
    let offers = product["offers"].as_array().unwrap();
    assert_eq!(offers.len(), source.variants.len());
    for (offer, variant) in offers.iter().zip(&source.variants) {
        assert_eq!(offer["@type"], "Offer");
        assert_eq!(offer["sku"], variant.sku.as_str());
        assert_eq!(offer["price"], shared::format_decimal(variant.price).as_str());
        assert_eq!(offer["priceCurrency"], "USD");
        let availability =
            if variant.stock > 0 { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" };
        assert_eq!(offer["availability"], availability);
        // Each colour's offer shows its own picture.
        let picture = &source.images[variant.image.unwrap() as usize].src;
        assert!(offer["image"].as_str().unwrap().ends_with(picture.as_str()), "{offer}");
    }
    let crumbs = docs.iter().find(|d| d["@type"] == "BreadcrumbList").expect("BreadcrumbList on products");
    let names: Vec<&str> =
        crumbs["itemListElement"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Home", "Bags", "Leather Card Holder"]);
    let collection = json_ld(&shopper.get("/collections/knitwear"));
    assert!(collection.iter().any(|d| d["@type"] == "BreadcrumbList"), "BreadcrumbList on collections");
    let home = json_ld(&shopper.get("/"));
    let graph = home[0]["@graph"].as_array().expect("Organization and WebSite");
    assert!(graph.iter().any(|n| n["@type"] == "Organization"));
    let site = graph.iter().find(|n| n["@type"] == "WebSite").unwrap();
    assert_eq!(site["potentialAction"]["@type"], "SearchAction");
    assert!(site["potentialAction"]["target"]["urlTemplate"]
        .as_str()
        .unwrap()
        .ends_with("/search?q={search_term_string}"));
}

fn robots_and_sitemaps_cover_the_catalog(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let robots = shopper.get("/robots.txt");
    assert_eq!(robots.status, 200);
    for rule in ["Disallow: /search", "Disallow: /*?*sort=", "Disallow: /*?*filter.", "Disallow: /cart"] {
        assert!(robots.body.contains(rule), "robots.txt lacks {rule}");
    }
    assert!(robots.body.contains(&format!("Sitemap: {}/sitemap.xml", w.shop.base)));
    let index = shopper.get("/sitemap.xml");
    assert!(index.header("content-type").unwrap_or("").starts_with("application/xml"));
    let mut urls = BTreeSet::new();
    for shard in index.body.split("<loc>").skip(1).map(|s| s.split("</loc>").next().unwrap()) {
        let path = shard.strip_prefix(&w.shop.base).expect("absolute sitemap URLs");
        let body = shopper.get(path).body;
        for loc in body.split("<loc>").skip(1).map(|s| s.split("</loc>").next().unwrap().to_string()) {
            urls.insert(loc);
        }
    }
    let root = project_root().join("catalog/products");
    for entry in std::fs::read_dir(root).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().trim_end_matches(".toml").to_string();
        assert!(urls.contains(&format!("{}/products/{name}", w.shop.base)), "sitemap lacks product {name}");
    }
    for c in ["apparel", "knitwear", "tees", "bags", "home", "kitchen", "stationery"] {
        assert!(urls.contains(&format!("{}/collections/{c}", w.shop.base)), "sitemap lacks collection {c}");
    }
}

/// Scripts that would run (JSON-LD data blocks do not).
fn executable_scripts(body: &str) -> usize {
    body.matches("<script").count() - body.matches("<script type=\"application/ld+json\"").count()
}

fn pages_without_islands_ship_no_javascript(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    shopper.post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    for path in
        ["/", "/collections/apparel", "/collections/bags?sort=name", "/pages/shipping", "/cart", "/nowhere"]
    {
        let reply = shopper.get(path);
        assert_eq!(executable_scripts(&reply.body), 0, "{path} has a script");
        assert!(!reply.body.contains("/pkg/"), "{path} references the islands bundle");
        assert!(!reply.body.contains(".wasm"), "{path} references Wasm");
    }
    for path in ["/products/brass-pen", "/search?q=pen"] {
        let reply = shopper.get(path);
        assert!(reply.body.contains("<leptos-island"), "{path} has an island");
        assert!(reply.body.contains("/pkg/storefront_islands"), "{path} loads the islands bundle");
    }
}

fn content_pages_render_the_merchants_markdown(w: &World) {
    let reply = Shopper::new(&w.shop).get("/pages/shipping");
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("<table>"), "Markdown tables render");
    assert!(text(&reply.body).contains("Standard, 3–5 days"));
    let footer = element_containing(&reply.body, "<footer").unwrap();
    for page in ["/pages/about", "/pages/shipping", "/pages/returns"] {
        assert!(links(footer).contains(&page.to_string()), "footer menu links {page}");
    }
}

/// Runs the Nu HTML checker over files; returns its error messages.
fn nu_errors(files: &[std::path::PathBuf]) -> Vec<String> {
    let jar = project_root().join("node_modules/vnu-jar/build/dist/vnu.jar");
    let output = Command::new("java")
        .arg("-jar")
        .arg(jar)
        .args(["--errors-only", "--format", "json", "--exit-zero-always"])
        .args(files)
        .output()
        .expect("java runs the Nu checker");
    let report: Value = serde_json::from_slice(&output.stderr)
        .or_else(|_| serde_json::from_slice(&output.stdout))
        .unwrap_or_else(|e| panic!("Nu checker output: {e}: {}", String::from_utf8_lossy(&output.stderr)));
    report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}: {} ({})", m["url"], m["message"], m["extract"]))
        .collect()
}

fn every_page_type_is_valid_html(w: &World) {
    let dir = TempDir::new("html");
    let mut shopper = Shopper::new(&w.shop);
    shopper.post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    let pages = [
        ("home", "/"),
        ("collection", "/collections/apparel?filter.size=M"),
        ("product", "/products/merino-crew-sweater"),
        ("search", "/search?q=mug"),
        ("content", "/pages/shipping"),
        ("cart", "/cart"),
        ("not-found", "/products/nope"),
    ];
    let mut files = Vec::new();
    for (name, path) in pages {
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, shopper.get(path).body).unwrap();
        files.push(file);
    }
    let errors = nu_errors(&files);
    assert!(errors.is_empty(), "invalid HTML:\n{}", errors.join("\n"));
}

fn a_missing_catalog_gives_a_styled_500() {
    // A state directory with nothing published: the worker cannot serve the catalog.
    let state = TempDir::new("empty");
    let shop = Shop::start(ShopOptions::on(state.path()).ready_when(500));
    let reply = Shopper::new(&shop).get("/");
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("/styles.css"), "the 500 page is styled");
    assert_eq!(count_tag(&reply.body, "h1"), 1);
    assert!(text(&reply.body).contains("Something went wrong on our side"));
    assert!(!text(&reply.body).contains("catalog:current"), "internal details stay in the log");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

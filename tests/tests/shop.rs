//! The shop over HTTP: pages rendered from KV, 404s, and the cart in its Durable
//! Object — against a real `wrangler dev` started for this run.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use shared::format_money;
use std::sync::Arc;
use storefront_tests::html::{count_tag, element_containing, links, text, title};
use storefront_tests::{SampleCatalog, Shop, ShopOptions, Shopper, TempDir};

/// A named test over the shared shop.
/// A refused add-to-cart: the form, the status, and words the page must contain.
type RefusedAdd<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);

struct World {
    shop: Shop,
    catalog: SampleCatalog,
}

fn main() {
    let args = Arguments::from_args();
    // `--list` (used by test runners) must not start a server.
    let world = if args.list {
        None
    } else {
        let state = TempDir::new("shop");
        let shop = Shop::start(ShopOptions::fresh(&state));
        Some((Arc::new(World { shop, catalog: SampleCatalog::load() }), state))
    };
    let tests = storefront_tests::tests![
        home_page_lists_categories_and_featured_products_from_kv,
        product_page_shows_title_price_description_variants_and_form,
        a_variants_picture_leads_its_page_and_shows_in_the_cart,
        sale_product_shows_compare_at_price,
        collection_page_lists_its_products_and_subcategory_products,
        unknown_product_collection_and_path_are_styled_404s,
        every_page_has_a_title_one_h1_and_no_dead_links,
        add_to_cart_redirects_to_cart_with_a_cookie_and_a_server_total,
        adding_the_same_variant_twice_gives_quantity_two,
        prices_sent_in_the_form_are_ignored,
        bad_cart_input_gets_a_clear_4xx_and_changes_nothing,
        carts_are_separate_per_shopper,
        trailing_slash_redirects_to_the_canonical_url,
    ];
    let trials = storefront_tests::shared_trials(world.as_ref().map(|(w, _)| w), tests);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(world);
    conclusion.exit();
}

fn home_page_lists_categories_and_featured_products_from_kv(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let reply = shopper.get("/");
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").unwrap_or("").starts_with("text/html"));
    let site = w.catalog.site();
    assert_eq!(title(&reply.body).as_deref(), Some(site.store.name.as_str()));
    let home = w.catalog.home();
    let hrefs = links(&reply.body);
    assert!(!home.categories.is_empty() && !home.featured.is_empty());
    for category in &home.categories {
        assert!(
            hrefs.contains(&format!("/collections/{}", category.handle)),
            "home lacks {}",
            category.handle
        );
    }
    let page_text = text(&reply.body);
    for product in &home.featured {
        assert!(hrefs.contains(&format!("/products/{}", product.handle)), "home lacks {}", product.handle);
        assert!(page_text.contains(&product.title), "home lacks the title {}", product.title);
    }
}

fn product_page_shows_title_price_description_variants_and_form(w: &World) {
    let product = w.catalog.product("merino-crew-sweater");
    let reply = Shopper::new(&w.shop).get("/products/merino-crew-sweater");
    assert_eq!(reply.status, 200);
    let body = &reply.body;
    assert!(title(body).unwrap_or_default().starts_with(&product.title));
    let h1 = element_containing(body, "<h1").map(text).unwrap_or_default();
    assert_eq!(h1, product.title);
    let variant = product.default_variant().expect("sample product has variants");
    assert!(
        text(body).contains(&format_money(variant.price)),
        "price {} missing",
        format_money(variant.price)
    );
    assert!(
        body.contains("<strong>100% extra-fine merino</strong>"),
        "sanitized Markdown description missing"
    );
    // The picker: every value of every option, as a link to a variant (no JS needed).
    for option in &product.options {
        for value in &option.values {
            assert!(text(body).contains(value.as_str()), "option value {value} missing");
        }
    }
    let hrefs = links(body);
    assert!(hrefs.iter().any(|l| l.starts_with("?variant=")), "option values are links to variants");
    for target in hrefs.iter().filter_map(|l| l.strip_prefix("?variant=")) {
        assert!(product.variants.iter().any(|v| v.sku.as_str() == target), "{target} is not a variant");
    }
    let form = element_containing(body, "action=\"/cart/add\"").expect("add-to-cart form");
    assert!(body.contains("method=\"post\" action=\"/cart/add\""));
    assert!(form.contains("name=\"product\" value=\"merino-crew-sweater\""));
    assert!(
        form.contains(&format!("name=\"variant\" value=\"{}\"", variant.sku)),
        "the form posts the chosen variant"
    );
    assert!(form.contains("name=\"quantity\""));
    assert!(form.contains("type=\"submit\""));

    // A sold-out variant chosen through the URL: shown, marked, not buyable.
    let sold_out = product.variants.iter().find(|v| v.stock == 0).expect("sample has a sold-out variant");
    let page = Shopper::new(&w.shop).get(&format!("/products/merino-crew-sweater?variant={}", sold_out.sku));
    assert!(text(&page.body).contains("Sold out"), "a sold-out variant says so");
    assert!(page.body.contains("choice--unavailable"), "sold-out combinations are marked");
    assert!(page.body.contains(&format!("name=\"variant\" value=\"{}\"", sold_out.sku)));
    assert!(page.body.contains(" disabled"), "the add button is disabled");
}

/// The `src` of the gallery's lead image.
fn lead_image(html: &str) -> String {
    let at = html.find("class=\"gallery__main\"").expect("a lead image");
    let tag = &html[html[..at].rfind('<').unwrap()..];
    let tag = &tag[..tag.find('>').unwrap()];
    let src = tag.split(" src=\"").nth(1).expect("a src");
    src[..src.find('"').unwrap()].to_string()
}

fn a_variants_picture_leads_its_page_and_shows_in_the_cart(w: &World) {
    let tote = w.catalog.product("waxed-canvas-tote");
    let (olive, tan) = (&tote.images[0].src, &tote.images[1].src);
    assert!(olive.ends_with("-olive.svg") && tan.ends_with("-tan.svg"), "{olive} {tan}");
    let mut shopper = Shopper::new(&w.shop);
    let page = shopper.get("/products/waxed-canvas-tote?variant=WCT-OLIVE");
    assert_eq!(lead_image(&page.body), *olive);
    let page = shopper.get("/products/waxed-canvas-tote?variant=WCT-TAN");
    assert_eq!(lead_image(&page.body), *tan, "the tan tote's own picture leads");
    // Every image is a thumbnail; the one leading is hidden.
    let thumbs = element_containing(&page.body, "class=\"gallery__thumbs\"").expect("thumbnails");
    assert!(thumbs.contains("<li data-image=\"0\">"), "{thumbs}");
    assert!(thumbs.contains("<li data-image=\"1\" hidden"), "{thumbs}");
    // The buy box knows the pictures, to swap them without a reload.
    let island = |html: &str| {
        let at = html.find("<leptos-island").expect("the buy box island");
        html[at..at + html[at..].find('>').unwrap()].to_string()
    };
    assert!(island(&page.body).contains("gallery&quot;:["), "the island's data carries the gallery");
    // A product whose variants share one picture: no gallery data, its first image leads.
    let pen = shopper.get("/products/brass-pen");
    assert!(!island(&pen.body).contains("gallery"), "{}", island(&pen.body));
    // The cart shows the tan tote with the tan picture.
    let added = shopper.post_form("/cart/add", &[("product", "waxed-canvas-tote"), ("variant", "WCT-TAN")]);
    assert_eq!(added.status, 303, "{}", text(&added.body));
    let cart = shopper.get("/cart");
    let line = element_containing(&cart.body, "data-sku=\"WCT-TAN\"").expect("the tote's line");
    assert!(line.contains(&format!("src=\"{tan}\"")), "{line}");
}

fn sale_product_shows_compare_at_price(w: &World) {
    let product = w.catalog.product("fisherman-cable-cardigan");
    let variant = product.default_variant().expect("variants");
    let was = variant.sale_from().expect("the cardigan is on sale in the sample catalog");
    let reply = Shopper::new(&w.shop).get("/products/fisherman-cable-cardigan");
    let price = element_containing(&reply.body, "class=\"price price--sale\"").map(text).unwrap_or_default();
    assert!(price.contains(&format_money(variant.price)), "{price}");
    assert!(price.contains(&format_money(was)), "{price}");
}

fn collection_page_lists_its_products_and_subcategory_products(w: &World) {
    let apparel = w.catalog.collection("apparel");
    let reply = Shopper::new(&w.shop).get("/collections/apparel");
    assert_eq!(reply.status, 200);
    assert_eq!(element_containing(&reply.body, "<h1").map(text).as_deref(), Some(apparel.title.as_str()));
    let hrefs = links(&reply.body);
    // Apparel has no products of its own: everything listed comes from knitwear and tees.
    let knitwear = w.catalog.collection("knitwear");
    assert!(!knitwear.products.is_empty());
    for product in knitwear.products.iter().chain(&apparel.products) {
        assert!(hrefs.contains(&format!("/products/{}", product.handle)), "apparel lacks {}", product.handle);
    }
    assert!(hrefs.contains(&"/collections/knitwear".to_string()), "subcategory link missing");
    let count = format!("{} products", apparel.products.len());
    assert!(text(&reply.body).contains(&count), "result count {count} missing");
}

fn unknown_product_collection_and_path_are_styled_404s(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    for path in
        ["/products/no-such-thing", "/collections/no-such-thing", "/products/BAD%20handle", "/nowhere/at/all"]
    {
        let reply = shopper.get(path);
        assert_eq!(reply.status, 404, "{path}");
        assert!(reply.header("content-type").unwrap_or("").starts_with("text/html"), "{path}");
        assert_eq!(count_tag(&reply.body, "h1"), 1, "{path}");
        assert!(text(&reply.body).contains("Page not found"), "{path}");
        assert!(reply.body.contains("/styles.css"), "{path}: 404 page is not styled");
        assert!(links(&reply.body).contains(&"/".to_string()), "{path}: no way back home");
    }
}

fn every_page_has_a_title_one_h1_and_no_dead_links(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let mut queue = vec!["/".to_string()];
    let mut seen = std::collections::HashSet::new();
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let reply = shopper.get(&path);
        assert_eq!(reply.status, 200, "dead link {path}");
        if !reply.header("content-type").unwrap_or("").starts_with("text/html") {
            continue;
        }
        assert!(title(&reply.body).is_some_and(|t| !t.is_empty()), "{path} has no title");
        assert_eq!(count_tag(&reply.body, "h1"), 1, "{path} must have exactly one h1");
        for href in links(&reply.body) {
            if href.starts_with('/') && !href.starts_with("//") {
                let path_only = href.split('#').next().unwrap_or("").to_string();
                if !path_only.is_empty() {
                    queue.push(path_only);
                }
            }
        }
    }
    assert!(seen.len() >= 20, "crawled only {} pages", seen.len());
}

fn cart_line_quantity(cart_html: &str, sku: &str) -> Option<u32> {
    let row = element_containing(cart_html, &format!("data-sku=\"{sku}\""))?;
    let cell = element_containing(row, "class=\"cart-line__quantity\"")?;
    text(cell).parse().ok()
}

fn cart_subtotal(cart_html: &str) -> String {
    element_containing(cart_html, "class=\"cart-subtotal\"").map(text).unwrap_or_default()
}

fn add_to_cart_redirects_to_cart_with_a_cookie_and_a_server_total(w: &World) {
    let product = w.catalog.product("stoneware-mug");
    let variant = &product.variants[1];
    let mut shopper = Shopper::new(&w.shop);
    // A catalog page starts no session; the first add does: its cookie names the cart.
    let page = shopper.get("/products/stoneware-mug");
    assert!(page.header("set-cookie").is_none(), "a catalog page starts no session");
    assert_eq!(shopper.csrf(), Some(""), "no token before there is a session");
    let line = [("product", "stoneware-mug"), ("variant", variant.sku.as_str()), ("quantity", "2")];
    let reply = shopper.post_form("/cart/add", &line);
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/cart"));
    let cookie = reply.header("set-cookie").expect("a cart cookie");
    assert!(cookie.starts_with("cart="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    // The session's pages carry its token; the next add keeps the session.
    shopper.get("/products/stoneware-mug");
    assert!(shopper.csrf().is_some_and(|t| !t.is_empty()), "the product form carries the session's token");
    let one_more = [("product", "stoneware-mug"), ("variant", variant.sku.as_str()), ("quantity", "1")];
    let reply = shopper.post_form("/cart/add", &one_more);
    assert_eq!(reply.status, 303);
    assert!(reply.header("set-cookie").is_none(), "the session is kept, not replaced");

    let cart = shopper.get("/cart");
    assert_eq!(cart.status, 200);
    assert_eq!(cart.header("cache-control"), Some("no-store"));
    assert_eq!(cart_line_quantity(&cart.body, variant.sku.as_str()), Some(3));
    let expected = variant.price.checked_mul(3).expect("no overflow");
    assert_eq!(cart_subtotal(&cart.body), format_money(expected));
    assert!(text(&cart.body).contains(&product.title));
}

fn adding_the_same_variant_twice_gives_quantity_two(w: &World) {
    let product = w.catalog.product("dot-grid-notebook");
    let sku = product.variants[0].sku.as_str();
    let mut shopper = Shopper::new(&w.shop);
    for _ in 0..2 {
        let reply = shopper.post_form("/cart/add", &[("product", "dot-grid-notebook"), ("variant", sku)]);
        assert_eq!(reply.status, 303);
    }
    let cart = shopper.get("/cart");
    assert_eq!(cart_line_quantity(&cart.body, sku), Some(2));
    assert_eq!(count_tag(&cart.body, "tr") - 1, 1, "one line, not two");
    let expected = product.variants[0].price.checked_mul(2).expect("no overflow");
    assert_eq!(cart_subtotal(&cart.body), format_money(expected));
}

fn prices_sent_in_the_form_are_ignored(w: &World) {
    let product = w.catalog.product("brass-pen");
    let mut shopper = Shopper::new(&w.shop);
    let reply = shopper.post_form(
        "/cart/add",
        &[
            ("product", "brass-pen"),
            ("variant", product.variants[0].sku.as_str()),
            ("quantity", "1"),
            ("price", "1"),
        ],
    );
    assert_eq!(reply.status, 303);
    let cart = shopper.get("/cart");
    assert_eq!(cart_subtotal(&cart.body), format_money(product.variants[0].price));
}

fn bad_cart_input_gets_a_clear_4xx_and_changes_nothing(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let good = shopper.post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    assert_eq!(good.status, 303);
    let before = shopper.get("/cart").body;
    let sold_out = w.catalog.product("leather-card-holder");
    let sold_out_sku =
        sold_out.variants.iter().find(|v| v.stock == 0).expect("a sold-out variant").sku.to_string();
    let pen_stock = w.catalog.product("brass-pen").variants[0].stock;
    let only_left = format!("Only {pen_stock} of Solid Brass Pen are left");
    let cases: Vec<RefusedAdd> = vec![
        (vec![("product", "brass-pen"), ("variant", "BRP-1"), ("quantity", "0")], 400, "Quantity"),
        (vec![("product", "brass-pen"), ("variant", "BRP-1"), ("quantity", "-3")], 400, "Quantity"),
        (vec![("product", "brass-pen"), ("variant", "BRP-1"), ("quantity", "100000000000")], 400, "Quantity"),
        (vec![("product", "brass-pen"), ("variant", "BRP-1"), ("quantity", "two")], 400, "Quantity"),
        (vec![("product", "brass-pen")], 400, "variant"),
        (vec![("product", "brass-pen"), ("variant", "NOPE")], 422, "no variant"),
        (vec![("product", "no-such-product"), ("variant", "BRP-1")], 422, "no longer in the shop"),
        (vec![("product", "leather-card-holder"), ("variant", sold_out_sku.as_str())], 422, "sold out"),
        (vec![("product", "<script>alert(1)</script>"), ("variant", "BRP-1")], 400, "not a valid handle"),
        (vec![("product", "brass-pen"), ("variant", "BRP-1"), ("variant", "BRP-1")], 400, "more than once"),
        (vec![("product", "brass-pen"), ("variant", "BRP-1"), ("quantity", "99")], 422, &only_left),
    ];
    for (fields, status, message) in cases {
        let reply = shopper.post_form("/cart/add", &fields);
        assert_eq!(reply.status, status, "{fields:?}: {}", text(&reply.body));
        assert!(
            text(&reply.body).contains(message),
            "{fields:?}: expected `{message}` in {}",
            text(&reply.body)
        );
        assert!(!reply.body.contains("<script>alert(1)"), "payload reflected unescaped");
    }
    assert_eq!(shopper.get("/cart").body, before, "a refused request changed the cart");
    let get = shopper.get("/cart/add");
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
}

fn carts_are_separate_per_shopper(w: &World) {
    let mut alice = Shopper::new(&w.shop);
    let mut bob = Shopper::new(&w.shop);
    assert_eq!(
        alice.post_form("/cart/add", &[("product", "linen-tea-towels"), ("variant", "LTT-SET2")]).status,
        303
    );
    assert_ne!(alice.cookie("cart"), None);
    let bobs_cart = bob.get("/cart");
    assert!(text(&bobs_cart.body).contains("Your cart is empty"));
    assert_eq!(cart_line_quantity(&alice.get("/cart").body, "LTT-SET2"), Some(1));
}

fn trailing_slash_redirects_to_the_canonical_url(w: &World) {
    let reply = Shopper::new(&w.shop).get("/collections/bags/");
    assert_eq!(reply.status, 308);
    assert_eq!(reply.header("location"), Some("/collections/bags"));
}

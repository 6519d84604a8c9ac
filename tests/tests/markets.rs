//! Markets over HTTP against a real `wrangler dev`: the sample shop sells in two markets
//! (United States & Europe in USD, English, unprefixed; Canada in CAD, English and
//! French, under `/en-ca/` and `/fr-ca/`). The same product in each edition, with its
//! currency, price and language; `hreflang` alternates, canonical URLs and the selector;
//! every edition crawled for links that leave it and for another market's prices; a cart
//! that moves from one market to another; the JSON API's `?edition=`.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use serde_json::json;
use shared::locale::format_money_in;
use shared::markets::Language;
use shared::Money;
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use storefront_tests::commerce::{form_value, merchant_orders, new_cart, outbox_email_where, set_stock};
use storefront_tests::html::{element_containing, links, text};
use storefront_tests::{Api, SampleCatalog, Shop, ShopOptions, Shopper, TempDir};

struct World {
    shop: Shop,
    catalog: SampleCatalog,
}

fn main() {
    let args = Arguments::from_args();
    let world = if args.list {
        None
    } else {
        let state = TempDir::new("markets");
        let shop = Shop::start(ShopOptions::fresh(&state));
        Some((Arc::new(World { shop, catalog: SampleCatalog::load() }), state))
    };
    let tests = storefront_tests::tests![
        the_same_product_sells_in_each_market_in_its_currency_and_language,
        pages_name_their_editions_to_search_engines_and_shoppers,
        every_edition_keeps_to_its_own_links_prices_and_language,
        a_cart_moves_to_another_market_repriced_and_checks_out_there,
        the_page_cache_and_etags_keep_editions_apart,
        the_api_answers_in_the_edition_it_names,
        unknown_editions_and_shared_paths_are_not_found,
        sitemaps_list_every_edition_with_its_alternates,
        messages_the_server_writes_are_in_the_editions_language,
    ];
    let mut trials = storefront_tests::shared_trials(world.as_ref().map(|(w, _)| w), tests);
    trials.extend(storefront_tests::trials![a_shop_written_in_french_is_french_unprefixed]);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(world);
    conclusion.exit();
}

/// The sample shop's editions: URL base, language, currency.
const EDITIONS: [(&str, &str, &str); 3] =
    [("", "en", "USD"), ("/en-ca", "en", "CAD"), ("/fr-ca", "fr", "CAD")];

fn lang(code: &str) -> Language {
    Language::parse(code).unwrap()
}

/// `amount` as a page in `language` writes it, as [`text`] reads it (its no-break
/// spaces as plain ones).
fn shown(amount: Money, language: &str) -> String {
    format_money_in(amount, &lang(language)).replace(['\u{a0}', '\u{202f}'], " ")
}

/// How each `$` of a page's text is written: `CA$12.99` (English, Canadian dollars),
/// `12,99 $` (French), `$12.99` (English, US dollars); anything else is `other`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Dollars {
    english_cad: usize,
    french: usize,
    english_usd: usize,
    other: usize,
}

fn dollars(words: &str) -> Dollars {
    let mut found = Dollars::default();
    for (at, _) in words.match_indices('$') {
        let before = &words[..at];
        let number_after = words[at + 1..].starts_with(|c: char| c.is_ascii_digit());
        if number_after && before.ends_with("CA") {
            found.english_cad += 1;
        } else if number_after {
            found.english_usd += 1;
        } else if before.ends_with(' ') && before.trim_end().ends_with(|c: char| c.is_ascii_digit()) {
            found.french += 1;
        } else {
            found.other += 1;
        }
    }
    found
}

fn the_same_product_sells_in_each_market_in_its_currency_and_language(w: &World) {
    let handle = "roll-top-daypack";
    let us = w.catalog.product(handle);
    let fr = w.catalog.product_in("fr-ca", handle);
    let en_ca = w.catalog.product_in("en-ca", handle);
    // The build converted the price: CAD, ending in .99, never below 1.37 × the USD one.
    let (usd, cad) = (us.variants[0].price, fr.variants[0].price);
    assert_eq!((usd.currency().code(), cad.currency().code()), ("USD", "CAD"));
    assert_eq!(cad.minor() % 100, 99);
    assert!(cad.minor() * 100 >= usd.minor() * 137 && cad.minor() * 100 < usd.minor() * 137 + 100 * 100);
    assert_eq!(en_ca.variants[0].price, cad, "one price per market, whatever the language");
    assert_ne!(fr.title, us.title, "the sample has French titles");
    assert_eq!(en_ca.title, us.title);

    let mut shopper = Shopper::new(&w.shop);
    for (base, language, product) in [("", "en", &us), ("/en-ca", "en", &en_ca), ("/fr-ca", "fr", &fr)] {
        let page = shopper.get(&format!("{base}/products/{handle}"));
        assert_eq!(page.status, 200, "{base}: {}", page.body);
        assert!(page.body.contains(&format!("<html lang=\"{language}\"")), "{base}: lang");
        let words = text(&page.body);
        let price = shown(product.variants[0].price, language);
        assert!(words.contains(&price), "{base}: {price} on the page");
        assert!(words.contains(&product.title), "{base}: {}", product.title);
        assert!(page
            .body
            .contains(&format!("\"priceCurrency\":\"{}\"", product.variants[0].price.currency().code())));
        // The buy box posts to the edition's cart.
        assert!(page.body.contains(&format!("action=\"{base}/cart/add\"")), "{base}: the cart form");
    }
    // The French page reads in French: title, options and values.
    let page = shopper.get(&format!("/fr-ca/products/{handle}"));
    let words = text(&page.body);
    assert!(!words.contains(&us.title), "no English title on the French page");
    assert!(words.contains("Couleur") && words.contains("Rouille"), "{words}");
    assert!(words.contains("Ajouter au panier") && words.contains("En stock"), "{words}");
    assert!(!words.contains("Add to cart"), "{words}");
    // The buy box writes in French once hydrated too: it brings the page's strings.
    assert!(
        page.body.contains("Ajouté à votre panier : {count} article(s) au total."),
        "the island's strings"
    );
    assert!(words.contains(&shown(cad, "fr")), "{words}");
}

fn pages_name_their_editions_to_search_engines_and_shoppers(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let origin = &w.shop.base;
    for (base, ..) in EDITIONS {
        let page = shopper.get(&format!("{base}/collections/bags"));
        assert_eq!(page.status, 200);
        let canonical = format!("<link rel=\"canonical\" href=\"{origin}{base}/collections/bags\">");
        assert!(page.body.contains(&canonical), "{base}: {canonical}");
        for (tag, target) in [
            ("en-US", "/collections/bags"),
            ("en-CA", "/en-ca/collections/bags"),
            ("fr-CA", "/fr-ca/collections/bags"),
            ("x-default", "/collections/bags"),
        ] {
            let alternate = format!("<link rel=\"alternate\" hreflang=\"{tag}\" href=\"{origin}{target}\">");
            assert!(page.body.contains(&alternate), "{base}: {alternate}");
        }
        // The selector: plain links to this page in every edition (no script needed).
        let selector = element_containing(&page.body, "class=\"edition-selector\"").expect("a selector");
        let targets: Vec<String> = links(selector);
        assert_eq!(
            targets,
            [
                format!("{origin}/collections/bags"),
                format!("{origin}/en-ca/collections/bags"),
                format!("{origin}/fr-ca/collections/bags"),
            ]
        );
        assert!(text(selector).contains("Canada (CAD) · Français"), "{selector}");
        assert!(selector.contains("aria-current=\"true\""), "the edition shown is marked");
    }
    // The home page of an edition is its bare prefix.
    let home = shopper.get("/fr-ca");
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains(&format!("<link rel=\"canonical\" href=\"{origin}/fr-ca\">")),
        "{}",
        home.body
    );
    assert_eq!(shopper.get("/fr-ca/").header("location"), Some("/fr-ca"), "one URL per page");
}

/// Crawls an edition from its home page, following the links shoppers can follow (no
/// filtered listings); answers each page's path and body.
fn crawl(shop: &Shop, base: &str, limit: usize) -> Vec<(String, String)> {
    let mut shopper = Shopper::new(shop);
    let start = if base.is_empty() { "/".to_string() } else { base.to_string() };
    let mut queue = VecDeque::from([start.clone()]);
    let mut seen = BTreeSet::from([start]);
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if pages.len() >= limit {
            break;
        }
        let reply = shopper.get(&path);
        assert_eq!(reply.status, 200, "{path} (a dead link)");
        for link in links(&reply.body) {
            let followable = link.starts_with('/')
                && !link.contains('?')
                && !link.starts_with("/images/")
                && !link.starts_with("/admin");
            if followable && seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
        pages.push((path, reply.body));
    }
    pages
}

fn every_edition_keeps_to_its_own_links_prices_and_language(w: &World) {
    let editions = ["/en-ca", "/fr-ca"];
    for (base, language, currency) in EDITIONS {
        let pages = crawl(&w.shop, base, 60);
        assert!(pages.len() >= 25, "{base}: only {} pages reached", pages.len());
        let products = pages.iter().filter(|(p, _)| p.contains("/products/")).count();
        assert!(products >= 10, "{base}: {products} product pages reached");
        for (path, body) in &pages {
            assert!(body.contains(&format!("<html lang=\"{language}\"")), "{path}: lang");
            // Every link stays in this edition (the selector's and alternates' are absolute).
            for link in links(body).iter().filter(|l| l.starts_with('/')) {
                let in_edition = if base.is_empty() {
                    !editions.iter().any(|e| link == e || link.starts_with(&format!("{e}/")))
                } else {
                    link == base || link.starts_with(&format!("{base}/")) || link.starts_with("/images/")
                };
                assert!(in_edition, "{path} links out of its edition: {link}");
            }
            // Every price is this market's, written this language's way.
            let found = dollars(&text(body));
            let total = found.english_cad + found.french + found.english_usd + found.other;
            let own = match (language, currency) {
                ("en", "USD") => found.english_usd,
                ("en", "CAD") => found.english_cad,
                _ => found.french,
            };
            let words = text(body);
            let around: Vec<&str> = words
                .match_indices('$')
                .map(|(at, _)| words.get(at.saturating_sub(20)..at + 8).unwrap_or(""))
                .collect();
            assert_eq!(
                own, total,
                "{path}: a price in another market's currency or language: {found:?} {around:?}"
            );
            if body.contains("priceCurrency") {
                assert!(body.contains(&format!("\"priceCurrency\":\"{currency}\"")), "{path}");
                let other = if currency == "USD" { "CAD" } else { "USD" };
                assert!(!body.contains(&format!("\"priceCurrency\":\"{other}\"")), "{path}");
            }
        }
        // French pages say nothing in English: neither the interface…
        if language == "fr" {
            let english = [
                "Add to cart",
                "Your cart",
                "Continue shopping",
                "Shop by category",
                "You may also like",
                "Sort by",
                "Skip to content",
                "Search the shop",
            ];
            let french = ["Aller au contenu", "Panier", "Rechercher"];
            for (path, body) in &pages {
                let words = text(body);
                for phrase in english {
                    assert!(!words.contains(phrase), "{path}: \"{phrase}\" on a French page");
                }
                for phrase in french {
                    assert!(words.contains(phrase), "{path}: no \"{phrase}\"");
                }
            }
        }
        // …nor the catalog's text, where a translation exists.
        if language == "fr" {
            for (path, body) in pages.iter().filter(|(p, _)| p.contains("/products/")) {
                let handle = path.rsplit('/').next().unwrap();
                let english = w.catalog.product(handle).title;
                let french = w.catalog.product_in("fr-ca", handle).title;
                assert!(text(body).contains(&french), "{path}");
                assert!(!text(body).contains(&english), "{path}: the English title");
            }
        }
    }
}

fn a_cart_moves_to_another_market_repriced_and_checks_out_there(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "SWM-SPECK", 50);
    set_stock(&api, "BRP-1", 50);
    let mug_us = w.catalog.product("stoneware-mug");
    let mug_ca = w.catalog.product_in("fr-ca", "stoneware-mug");
    let pen_ca = w.catalog.product_in("fr-ca", "brass-pen");
    let sku = |p: &shared::Product, s: &str| p.variants.iter().find(|v| v.sku.as_str() == s).unwrap().price;
    let mut shopper = Shopper::new(&w.shop);
    // Filled in the default market…
    shopper.get("/products/stoneware-mug");
    let added = shopper
        .post_form("/cart/add", &[("product", "stoneware-mug"), ("variant", "SWM-SPECK"), ("quantity", "2")]);
    assert_eq!((added.status, added.header("location")), (303, Some("/cart")), "{}", added.body);
    let cart = shopper.get("/cart");
    assert!(text(&cart.body).contains(&shown(sku(&mug_us, "SWM-SPECK").checked_mul(2).unwrap(), "en")));
    // …then shown in Canada, in French: repriced in CAD, and told so.
    let cart = shopper.get("/fr-ca/cart");
    assert_eq!(cart.status, 200);
    let words = text(&cart.body);
    let mugs = sku(&mug_ca, "SWM-SPECK").checked_mul(2).unwrap();
    assert!(words.contains(&shown(mugs, "fr")), "{words}");
    let found = dollars(&words);
    assert_eq!(found.french, words.matches('$').count(), "{found:?}: {words}");
    assert!(cart.body.contains("cart-repriced") && words.contains("USD") && words.contains("CAD"), "{words}");
    // Adding there stays there.
    let added = shopper.post_form("/fr-ca/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    assert_eq!((added.status, added.header("location")), (303, Some("/fr-ca/cart")));
    // Checking out in Canada: its address, its shipping rate, its tax, in CAD.
    let address = [
        ("name", "Gabrielle Roy"),
        ("line1", "1 rue Sainte-Catherine"),
        ("city", "Montréal"),
        ("region", "QC"),
        ("postal_code", "H2X 1Y4"),
        ("country", "CA"),
    ];
    for (path, fields) in [
        ("/fr-ca/checkout/contact", vec![("email", "gabrielle@example.com")]),
        ("/fr-ca/checkout/address", address.to_vec()),
        ("/fr-ca/checkout/shipping", vec![("rate", "canada-standard")]),
    ] {
        let reply = shopper.post_form(path, &fields);
        assert_eq!(reply.status, 303, "{path}: {}", text(&reply.body));
        assert!(reply.header("location").unwrap().starts_with("/fr-ca/"), "{path}");
    }
    let review = shopper.get("/fr-ca/checkout");
    assert!(review.body.contains("action=\"/fr-ca/checkout/complete\""), "{}", review.body);
    let key = form_value(&review.body, "idempotency_key").unwrap();
    let total: i64 = form_value(&review.body, "expected_total").unwrap().parse().unwrap();
    let goods = mugs.minor() + sku(&pen_ca, "BRP-1").minor();
    assert!(total > goods, "goods {goods}, shipping and GST: {total}");
    let paid = shopper.post_form(
        "/fr-ca/checkout/complete",
        &[("idempotency_key", &key), ("expected_total", &total.to_string()), ("card", "4242 4242 4242 4242")],
    );
    assert_eq!(paid.status, 303, "{}", text(&paid.body));
    let location = paid.header("location").unwrap().to_string();
    assert!(location.starts_with("/fr-ca/orders/FL-"), "{location}");
    let confirmation = shopper.get(&location);
    assert_eq!(confirmation.status, 200);
    let cad_total = Money::new(total, mug_ca.variants[0].price.currency());
    assert!(text(&confirmation.body).contains(&shown(cad_total, "fr")), "{}", text(&confirmation.body));
    let number = location.trim_start_matches("/fr-ca/orders/").split('?').next().unwrap();
    let order = merchant_orders(&api)
        .into_iter()
        .find(|o| o["number"] == number)
        .expect("the order on the merchant's desk");
    assert_eq!(order["totals"]["total"]["currency"], "CAD", "{order}");
    assert_eq!(order["totals"]["total"]["minor"], total, "{order}");
    assert_eq!(order["edition"], "fr-ca", "{order}");
    // Its confirmation email is in French, in CAD, and links to the order in Canada.
    let email = outbox_email_where(&api, number, |e| e["order_number"] == number);
    let body = email["body"].as_str().unwrap();
    assert_eq!(email["subject"], format!("Votre commande Fernleaf Supply Co. {number}"), "{email}");
    assert!(body.contains("Merci pour votre commande, Gabrielle Roy."), "{body}");
    assert!(body.contains(&format!("Total : {}", format_money_in(cad_total, &lang("fr")))), "{body}");
    assert!(body.contains(&format!("/fr-ca/orders/{number}?token=")), "{body}");
    assert!(!body.contains("Thank you") && !body.contains("Subtotal"), "{body}");
}

fn the_page_cache_and_etags_keep_editions_apart(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let mut etags = BTreeSet::new();
    for (base, ..) in EDITIONS {
        let path = format!("{base}/products/waxed-canvas-tote");
        let first = shopper.get(&path);
        let again = shopper.get(&path);
        assert_eq!(again.page_cache().as_deref(), Some("hit"), "{path}");
        assert_eq!(first.body.len(), again.body.len(), "{path}");
        let etag = first.header("etag").unwrap().to_string();
        let revalidated = shopper.get_with(&path, &[("if-none-match", &etag)]);
        assert_eq!(revalidated.status, 304, "{path}");
        etags.insert(etag);
    }
    assert_eq!(etags.len(), 3, "one ETag per edition: {etags:?}");
    // An ETag of one edition does not revalidate another's page.
    let default_etag = shopper.get("/products/waxed-canvas-tote").header("etag").unwrap().to_string();
    let other = shopper.get_with("/fr-ca/products/waxed-canvas-tote", &[("if-none-match", &default_etag)]);
    assert_eq!(other.status, 200);
}

fn the_api_answers_in_the_edition_it_names(w: &World) {
    let api = Api::new(&w.shop);
    let (status, product) = api.get("/products/roll-top-daypack?edition=fr-ca", None);
    assert_eq!(status, 200, "{product}");
    let expected = w.catalog.product_in("fr-ca", "roll-top-daypack");
    assert_eq!(product["product"]["title"], expected.title);
    assert_eq!(product["product"]["variants"][0]["price"]["currency"], "CAD", "{product}");
    let (_, product) = api.get("/products/roll-top-daypack", None);
    assert_eq!(product["product"]["variants"][0]["price"]["currency"], "USD");
    let (status, body) = api.get("/products/roll-top-daypack?edition=de-de", None);
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("no edition"), "{body}");
    // A cart is priced in the edition each call names.
    let (id, token) = new_cart(&api);
    let t = Some(token.as_str());
    let (status, cart) = api.post(
        &format!("/carts/{id}/lines?edition=en-ca"),
        t,
        json!({ "sku": "RTD-BLACK", "quantity": 1 }),
    );
    assert_eq!(status, 200, "{cart}");
    assert_eq!(cart["totals"]["subtotal"]["currency"], "CAD", "{cart}");
    assert_eq!(cart["totals"]["subtotal"]["minor"], expected.variants[0].price.minor(), "{cart}");
    let (_, cart) = api.get(&format!("/carts/{id}"), t);
    assert_eq!(cart["totals"]["subtotal"]["currency"], "USD", "{cart}");
}

fn unknown_editions_and_shared_paths_are_not_found(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    for path in [
        "/de-de",
        "/de-de/products/roll-top-daypack",
        "/fr-ca/admin",
        "/fr-ca/robots.txt",
        "/fr-ca/sitemap.xml",
    ] {
        let reply = shopper.get(path);
        assert_eq!(reply.status, 404, "{path}");
        assert!(reply.body.contains("<html"), "{path}: a styled page");
    }
    assert_eq!(shopper.get("/fr-ca/products/no-such-thing").status, 404);
    // Static files are shared by every edition.
    assert_eq!(shopper.get("/styles.css").status, 200);
}

fn sitemaps_list_every_edition_with_its_alternates(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let origin = &w.shop.base;
    let index = shopper.get("/sitemap.xml");
    assert_eq!(index.status, 200);
    let shards: Vec<String> =
        index.body.split("<loc>").skip(1).map(|s| s.split("</loc>").next().unwrap().to_string()).collect();
    for (base, ..) in EDITIONS {
        let own: Vec<&String> =
            shards.iter().filter(|s| s.starts_with(&format!("{origin}{base}/sitemaps/"))).collect();
        assert!(!own.is_empty(), "{base}: no shard in {shards:?}");
        let mut products = 0;
        for shard in own {
            let body = shopper.get(shard.strip_prefix(origin.as_str()).unwrap()).body;
            for url in body.split("<url>").skip(1) {
                let loc = url.split("<loc>").nth(1).unwrap().split("</loc>").next().unwrap();
                let path = loc.strip_prefix(origin.as_str()).expect("absolute URLs");
                let within = path.strip_prefix(base).unwrap_or_else(|| panic!("{loc} is not in {base}"));
                assert!(within.is_empty() || within.starts_with('/'), "{loc}");
                let within = if within.is_empty() { "/" } else { within };
                if within.starts_with("/products/") {
                    products += 1;
                }
                // Every page names itself in every edition, and the default.
                for (tag, other) in
                    [("en-US", ""), ("en-CA", "/en-ca"), ("fr-CA", "/fr-ca"), ("x-default", "")]
                {
                    let there = shared::markets::path_in_edition(other, within);
                    let alternate = format!("hreflang=\"{tag}\" href=\"{origin}{there}\"");
                    assert!(url.contains(&alternate), "{loc}: {alternate}");
                }
            }
        }
        assert_eq!(products, 15, "{base}: every product");
    }
    let robots = shopper.get("/robots.txt").body;
    for rule in ["Disallow: /fr-ca/cart", "Disallow: /en-ca/search", "Disallow: /cart"] {
        assert!(robots.contains(rule), "{rule}: {robots}");
    }
}

/// What the server writes for a shopper — error pages, cart refusals, form errors with
/// the values put into them, account notices — is in the edition's language; the same
/// mistakes in the default edition read in English, and the JSON API answers in English.
fn messages_the_server_writes_are_in_the_editions_language(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "BRP-1", 50);
    let mut shopper = Shopper::new(&w.shop);
    let says = |reply: &storefront_tests::Reply, status: u16, french: &[&str], english: &[&str]| {
        assert_eq!(reply.status, status, "{}", text(&reply.body));
        let words = text(&reply.body);
        for phrase in french {
            assert!(words.contains(phrase), "no \"{phrase}\" in: {words}");
        }
        for phrase in english {
            assert!(!words.contains(phrase), "\"{phrase}\" on a French page: {words}");
        }
    };
    // An error page.
    let missing = shopper.get("/fr-ca/products/no-such-product");
    says(
        &missing,
        404,
        &["Page introuvable", "Nous n’avons pas trouvé la page demandée."],
        &["Page not found"],
    );
    assert!(text(&shopper.get("/products/no-such-product").body).contains("Page not found"));
    // A cart refusal.
    shopper.get("/fr-ca/products/brass-pen");
    let added = shopper.post_form("/fr-ca/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    assert_eq!(added.status, 303, "{}", text(&added.body));
    let refused = shopper.post_form("/fr-ca/cart/discount", &[("code", "NO-SUCH-CODE")]);
    says(&refused, 422, &["Ce code de réduction n’existe pas."], &["That discount code does not exist."]);
    // Form errors, with the values put into the French text.
    let contact = shopper.post_form("/fr-ca/checkout/contact", &[("email", "pas une adresse")]);
    says(&contact, 422, &["Entrez une adresse courriel comme nom@exemple.com."], &["Enter an email address"]);
    let contact = shopper.post_form("/fr-ca/checkout/contact", &[("email", "gabrielle@example.com")]);
    assert_eq!(contact.status, 303, "{}", text(&contact.body));
    let bad_address = [
        ("name", ""),
        ("line1", "1 rue Sainte-Catherine"),
        ("city", "Montréal"),
        ("region", "ZZ"),
        ("postal_code", "nope"),
        ("country", "CA"),
    ];
    let address = shopper.post_form("/fr-ca/checkout/address", &bad_address);
    says(
        &address,
        422,
        &[
            "Entrez votre nom.",
            "Entrez le code de province à deux lettres, comme ",
            "Entrez un code postal valide pour CA : ",
        ],
        &["Enter your name.", "Enter the two-letter", "Enter a postal code"],
    );
    // The same address in the default edition, in English.
    let mut english = Shopper::new(&w.shop);
    english.get("/products/brass-pen");
    english.post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    english.post_form("/checkout/contact", &[("email", "gabrielle@example.com")]);
    let address = english.post_form("/checkout/address", &bad_address);
    assert_eq!(address.status, 422);
    assert!(text(&address.body).contains("Enter your name."), "{}", text(&address.body));
    // Account pages: a bad address, and the notice after signing out.
    let sign_in = shopper.post_form("/fr-ca/account/sign-in", &[("email", "pas une adresse")]);
    says(&sign_in, 422, &["Entrez une adresse courriel comme nom@exemple.com."], &["Sign in to see"]);
    let ended = shopper.get("/fr-ca/account?ended=signed-out");
    says(&ended, 200, &["Vous êtes déconnecté."], &["You are signed out."]);
    // A sign-in link asked for in French comes in French, and opens the French pages.
    let asked = shopper.post_form("/fr-ca/account/sign-in", &[("email", "gabrielle.compte@example.com")]);
    says(&asked, 200, &["Consultez vos courriels"], &["Check your email"]);
    let email = outbox_email_where(&api, "the sign-in link", |e| e["to"] == "gabrielle.compte@example.com");
    let body = email["body"].as_str().unwrap();
    assert_eq!(email["subject"], "Votre lien de connexion à Fernleaf Supply Co.", "{email}");
    assert!(body.contains("Quelqu’un (vous, nous l’espérons) a demandé à se connecter"), "{body}");
    let at = body.find("/fr-ca/account/verify?t=").unwrap_or_else(|| panic!("no French link in {body}"));
    let link = body[at..].split_whitespace().next().unwrap();
    let opened = shopper.get(link);
    says(&opened, 200, &["Se connecter à Fernleaf Supply Co."], &["Sign in to Fernleaf"]);
    let token = link.split("t=").nth(1).unwrap();
    let used = shopper.post_form("/fr-ca/account/verify", &[("t", token)]);
    assert_eq!((used.status, used.header("location")), (303, Some("/fr-ca/account")), "{}", text(&used.body));
    // The JSON API answers in English whatever the edition.
    let (id, token) = new_cart(&api);
    let (status, body) = api.post(
        &format!("/carts/{id}/lines?edition=fr-ca"),
        Some(&token),
        json!({ "sku": "NO-SUCH-SKU", "quantity": 1 }),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["message"], "No product has the SKU NO-SUCH-SKU.", "{body}");
}

/// A shop written in French (`language = "fr"`, one market): its unprefixed edition is
/// French — `lang`, the interface from its `strings/fr.toml`, amounts written the French
/// way, and the server's messages.
fn a_shop_written_in_french_is_french_unprefixed() {
    let catalog = TempDir::new("catalog-in-french");
    storefront_cli::generate::generate(20, catalog.path(), 7).unwrap();
    let store = catalog.path().join("store.toml");
    let settings = std::fs::read_to_string(&store).unwrap();
    assert!(settings.contains("currency = \"USD\"\n"), "the generated catalog's currency line");
    std::fs::write(
        &store,
        settings.replacen("currency = \"USD\"\n", "currency = \"USD\"\nlanguage = \"fr\"\n", 1),
    )
    .unwrap();
    std::fs::create_dir_all(catalog.path().join("strings")).unwrap();
    let french = storefront_tests::project_root().join("catalog/strings/fr.toml");
    std::fs::copy(french, catalog.path().join("strings/fr.toml")).unwrap();
    let state = TempDir::new("markets-in-french");
    storefront_tests::publish_catalog(catalog.path(), state.path());
    let shop = Shop::start(ShopOptions::on(state.path()));
    let mut shopper = Shopper::new(&shop);
    let home = shopper.get("/");
    assert_eq!(home.status, 200, "{}", text(&home.body));
    let product = links(&home.body)
        .into_iter()
        .find(|l| l.starts_with("/products/"))
        .expect("a product on the home page");
    let page = shopper.get(&product);
    assert_eq!(page.status, 200);
    for body in [&home.body, &page.body] {
        assert!(body.contains("<html lang=\"fr\""), "the default edition's lang");
        let words = text(body);
        assert!(words.contains("Aller au contenu") && !words.contains("Skip to content"), "{words}");
        let found = dollars(&words);
        assert!(found.french > 0 && found.english_usd == 0 && found.other == 0, "{found:?}: {words}");
    }
    let words = text(&page.body);
    assert!(words.contains("Quantité") && !words.contains("Quantity"), "{words}");
    assert!(words.contains("Vous aimerez aussi") && !words.contains("You may also like"), "{words}");
    let missing = shopper.get("/products/no-such-product");
    assert_eq!(missing.status, 404);
    assert!(text(&missing.body).contains("Page introuvable"), "{}", text(&missing.body));
}

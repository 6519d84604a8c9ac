//! Carts, inventory and checkout on Durable Objects, against a real `wrangler dev`:
//! concurrent adds lose nothing, stock never oversells, one idempotency key places one
//! order, reservations expire (alarms), declined payments release stock and place no
//! order, and orders and carts survive a restart. Also the HTML checkout and the API's
//! shape.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use storefront_tests::commerce::{available, complete, new_cart, orders_for, ready_cart, set_stock};
use storefront_tests::html::{element_containing, text};
use storefront_tests::{raw_request, Api, Shop, ShopOptions, Shopper, TempDir, ADMIN_TOKEN};

struct World {
    shop: Shop,
}

fn main() {
    let mut args = Arguments::from_args();
    // The concurrency tests load the machine; one at a time keeps their numbers honest.
    args.test_threads = Some(1);
    let world = if args.list {
        None
    } else {
        let state = TempDir::new("checkout");
        Some((Arc::new(World { shop: Shop::start(ShopOptions::fresh(&state)) }), state))
    };
    let tests = storefront_tests::tests![
        two_hundred_concurrent_adds_lose_nothing,
        stock_of_one_sells_exactly_once_to_fifty_buyers,
        stock_of_five_sells_exactly_five_to_fifty_buyers,
        one_idempotency_key_places_one_order,
        declined_and_failed_payments_place_no_order_and_release_stock,
        totals_tax_and_discounts_are_computed_on_the_server,
        the_html_checkout_places_an_order_without_javascript,
        cart_pages_change_quantities_and_refuse_bad_changes,
        shareable_cart_links_fill_a_cart,
        forged_cart_cookies_and_tokens_are_refused,
        the_api_describes_itself_and_answers_errors_as_json,
        the_merchant_api_needs_its_token_and_fulfils_orders,
        order_emails_go_to_the_outbox_once,
        unknown_steps_and_actions_are_refused_not_run_as_another,
        one_client_cannot_hold_a_sku_with_many_carts,
    ];
    let mut trials = storefront_tests::shared_trials(world.as_ref().map(|(w, _)| w), tests);
    trials.extend(storefront_tests::trials![reservations_expire_by_alarm_and_sweeping_twice_changes_nothing]);
    trials.extend(storefront_tests::trials![orders_and_carts_survive_a_restart]);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(world);
    conclusion.exit();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn two_hundred_concurrent_adds_lose_nothing(w: &World) {
    let api = Api::new(&w.shop);
    let (id, token) = new_cart(&api);
    let skus = ["SWM-SPECK", "SWM-SLATE", "DGN-NAVY", "BRP-1"];
    let barrier = Arc::new(Barrier::new(200));
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let (api, id, token, barrier) = (api.clone(), id.clone(), token.clone(), Arc::clone(&barrier));
            let sku = skus[i % skus.len()];
            std::thread::spawn(move || {
                barrier.wait();
                api.post(&format!("/carts/{id}/lines"), Some(&token), json!({ "sku": sku, "quantity": 1 })).0
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "some adds failed: {statuses:?}");
    let (_, cart) = api.get(&format!("/carts/{id}"), Some(&token));
    for sku in skus {
        let line = cart["lines"].as_array().unwrap().iter().find(|l| l["sku"] == sku).expect("line");
        assert_eq!(line["quantity"], 50, "{sku}: 200 adds over 4 SKUs must give 50 each");
    }
    assert_eq!(cart["item_count"], 200);
    println!("200 concurrent adds: 200 answered 200, final quantities 50/50/50/50 (nothing lost or doubled)");
}

/// 50 buyers race for `k` units of one SKU: exactly `k` orders, the rest sold out.
fn race_for_stock(w: &World, k: u32, sku: &str, product: &str) {
    let api = Api::new(&w.shop);
    set_stock(&api, sku, k);
    assert_eq!(available(&api, product, sku), u64::from(k));
    let email = format!("race-{sku}@example.com").to_lowercase();
    let carts: Vec<(String, String, i64)> = (0..50).map(|_| ready_cart(&api, sku, 1, &email)).collect();
    let barrier = Arc::new(Barrier::new(carts.len()));
    let threads: Vec<_> = carts
        .into_iter()
        .enumerate()
        .map(|(i, (id, token, total))| {
            let (api, barrier) = (api.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let started = Instant::now();
                let (status, body) =
                    complete(&api, &id, &token, &format!("race-key-{i:04}"), "4242424242424242", Some(total));
                (status, body, started.elapsed())
            })
        })
        .collect();
    let results: Vec<(u16, Value, Duration)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let placed = results.iter().filter(|(s, _, _)| *s == 201).count();
    let sold_out = results.iter().filter(|(s, b, _)| *s == 409 && b["error"] == "sold_out").count();
    let other: Vec<String> = results
        .iter()
        .filter(|(s, _, _)| *s != 201 && *s != 409)
        .map(|(s, b, _)| format!("{s} {b}"))
        .collect();
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    assert_eq!(placed, k as usize, "exactly k orders");
    assert_eq!(sold_out, 50 - k as usize, "everyone else hears sold out");
    assert_eq!(available(&api, product, sku), 0, "stock ends at zero, never below");
    assert_eq!(orders_for(&api, &email).len(), k as usize, "the order store agrees");
    let mut times: Vec<Duration> = results.iter().map(|(_, _, t)| *t).collect();
    times.sort();
    println!(
        "stock {k}, 50 concurrent checkouts: {placed} placed, {sold_out} sold out, 0 errors; latency p50 {:.1} ms, p99 {:.1} ms",
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0
    );
}

fn stock_of_one_sells_exactly_once_to_fifty_buyers(w: &World) {
    race_for_stock(w, 1, "DGN-SAND", "dot-grid-notebook");
}

fn stock_of_five_sells_exactly_five_to_fifty_buyers(w: &World) {
    race_for_stock(w, 5, "WTB-SAGE", "wool-throw-blanket");
}

fn one_idempotency_key_places_one_order(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "LCH-TAN", 20);
    let email = "idempotent@example.com";
    let (id, token, total) = ready_cart(&api, "LCH-TAN", 2, email);
    let barrier = Arc::new(Barrier::new(10));
    let threads: Vec<_> = (0..10)
        .map(|_| {
            let (api, id, token, barrier) = (api.clone(), id.clone(), token.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                complete(&api, &id, &token, "one-key-for-all-ten", "4242424242424242", Some(total))
            })
        })
        .collect();
    let results: Vec<(u16, Value)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let numbers: std::collections::BTreeSet<String> = results
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b["number"].as_str().unwrap().to_string())
        .collect();
    assert!(results.iter().all(|(s, _)| *s == 201 || *s == 409), "{results:?}");
    assert_eq!(numbers.len(), 1, "every success names the same order");
    // After the first finishes, the same key replays the same result.
    let (status, replay) =
        complete(&api, &id, &token, "one-key-for-all-ten", "4242424242424242", Some(total));
    assert_eq!(status, 201);
    assert_eq!(replay["number"].as_str(), numbers.iter().next().map(String::as_str));
    // The same key with a different request is refused.
    let (status, body) = complete(&api, &id, &token, "one-key-for-all-ten", "5555555555554444", Some(total));
    assert_eq!(status, 422, "{body}");
    // No key at all is a 400.
    let (status, body) = api.call(
        "POST",
        &format!("/checkouts/{id}/complete"),
        Some(&token),
        &[],
        Some(&json!({ "card": "4242424242424242" })),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(orders_for(&api, email).len(), 1, "10 concurrent completes with one key → one order");
    println!(
        "10 concurrent completes with one key: {} answered 201 with the same order, 1 order stored",
        results.iter().filter(|(s, _)| *s == 201).count()
    );
}

fn declined_and_failed_payments_place_no_order_and_release_stock(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "BWC-LARGE", 1);
    let email = "declined@example.com";
    let (id, token, total) = ready_cart(&api, "BWC-LARGE", 1, email);
    let (status, body) = complete(&api, &id, &token, "declined-key-1", "4000000000000002", Some(total));
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"], "payment_declined");
    assert!(orders_for(&api, email).is_empty(), "a decline creates no order");
    assert_eq!(available(&api, "beeswax-candle", "BWC-LARGE"), 1, "the decline released the stock");
    // The decline is the stored outcome of that key.
    let (status, _) = complete(&api, &id, &token, "declined-key-1", "4000000000000002", Some(total));
    assert_eq!(status, 402);
    // A transient failure: 503 with Retry-After, nothing charged or held; retry works.
    let (status, body) = complete(&api, &id, &token, "flaky-key-2", "4000000000000119", Some(total));
    assert_eq!(status, 503, "{body}");
    assert_eq!(available(&api, "beeswax-candle", "BWC-LARGE"), 1);
    let (status, body) = complete(&api, &id, &token, "good-key-3", "4242424242424242", Some(total));
    assert_eq!(status, 201, "{body}");
    assert_eq!(orders_for(&api, email).len(), 1);
    assert_eq!(available(&api, "beeswax-candle", "BWC-LARGE"), 0);
    // A changed total charges nothing.
    let (id, token, total) = ready_cart(&api, "BWC-SMALL", 1, email);
    let (status, body) = complete(&api, &id, &token, "stale-total-4", "4242424242424242", Some(total - 1));
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("total changed"));
    assert_eq!(orders_for(&api, email).len(), 1);
}

fn totals_tax_and_discounts_are_computed_on_the_server(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "BRP-1", 50);
    let (id, token, total) = ready_cart(&api, "BRP-1", 2, "totals@example.com");
    let t = Some(token.as_str());
    // 2 × $42.00, standard shipping $6.00 (free from $100), 7.25 % California tax on goods.
    assert_eq!(total, 8400 + 600 + 609);
    let (s, b) = api.put(&format!("/carts/{id}/discount"), t, json!({ "code": "welcome10" }));
    assert_eq!(s, 200, "{b}");
    let totals = &b["totals"];
    assert_eq!(totals["discount"]["minor"], 840);
    assert_eq!(totals["tax"]["minor"], 548, "tax on the discounted goods: 7.25 % of 75.60 = 5.481");
    assert_eq!(totals["total"]["minor"], 7560 + 600 + 548);
    // Free-shipping code above its minimum; a code below its minimum is reported.
    let (_, b) = api.put(&format!("/carts/{id}/discount"), t, json!({ "code": "SHIPFREE" }));
    assert_eq!(b["totals"]["shipping"]["minor"], 0);
    let (_, b) = api.put(&format!("/carts/{id}/discount"), t, json!({ "code": "TAKE15" }));
    assert!(b["discount_problem"].as_str().unwrap().contains("at least $100.00"), "{b}");
    assert_eq!(b["totals"]["discount"]["minor"], 0);
    let (s, b) = api.put(&format!("/carts/{id}/discount"), t, json!({ "code": "NOPE" }));
    assert_eq!(s, 422, "{b}");
    // Canada is another market: the default edition does not ship there…
    let address = json!({ "name": "B", "line1": "1 Rue", "city": "Ottawa", "region": "ON", "postal_code": "K1A 0B1", "country": "CA" });
    let (s, b) = api.put(&format!("/checkouts/{id}/address"), t, address.clone());
    assert_eq!(s, 422, "{b}");
    assert!(b["fields"][0]["message"].as_str().unwrap().contains("We ship to"), "{b}");
    // …the Canadian edition does: its zone's rate and 5 % GST, all in CAD.
    let (s, b) = api.put(&format!("/checkouts/{id}/address?edition=en-ca"), t, address);
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["next_step"], "shipping", "a new address needs a new rate");
    let (s, b) =
        api.put(&format!("/checkouts/{id}/shipping?edition=en-ca"), t, json!({ "rate": "standard" }));
    assert_eq!(s, 422, "the US rate is not offered in Canada: {b}");
    let (_, b) =
        api.put(&format!("/checkouts/{id}/shipping?edition=en-ca"), t, json!({ "rate": "canada-standard" }));
    let totals = &b["totals"];
    assert_eq!(totals["total"]["currency"], "CAD", "{b}");
    let goods = totals["subtotal"]["minor"].as_i64().unwrap() - totals["discount"]["minor"].as_i64().unwrap();
    assert_eq!(totals["tax"]["minor"].as_i64().unwrap(), (goods * 5 + 50) / 100, "5 % of the goods: {b}");
    let (s, b) =
        api.put(&format!("/checkouts/{id}/shipping?edition=xx-yy"), t, json!({ "rate": "canada-standard" }));
    assert_eq!(s, 400, "an unknown edition: {b}");
    // Addresses are checked per country, every problem at once.
    let bad = json!({ "name": "", "line1": "x", "city": "y", "region": "ZZ", "postal_code": "123", "country": "US" });
    let (s, b) = api.put(&format!("/checkouts/{id}/address"), t, bad);
    assert_eq!(s, 422);
    let fields: Vec<&str> =
        b["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["name", "region", "postal_code"], "{b}");
}

fn the_html_checkout_places_an_order_without_javascript(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "POC-SET", 10);
    let mut shopper = Shopper::new(&w.shop);
    assert_eq!(
        shopper.post_form("/cart/add", &[("product", "pour-over-coffee-set"), ("variant", "POC-SET")]).status,
        303
    );
    let checkout = shopper.get("/checkout");
    assert_eq!(checkout.status, 200);
    assert!(text(&checkout.body).contains("Email address"), "first step: contact");
    // A bad email is a field message, not a crash.
    let bad = shopper.post_form("/checkout/contact", &[("email", "not-an-email")]);
    assert_eq!(bad.status, 422);
    assert!(text(&bad.body).contains("Enter an email address"));
    assert_eq!(shopper.post_form("/checkout/contact", &[("email", "html@example.com")]).status, 303);
    let bad = shopper.post_form(
        "/checkout/address",
        &[
            ("name", "Ada"),
            ("line1", "1 Main"),
            ("city", "SF"),
            ("region", "CA"),
            ("postal_code", "ABCDE"),
            ("country", "US"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(text(&bad.body).contains("Enter a postal code for US"));
    assert!(bad.body.contains("value=\"Ada\""), "what was typed is kept");
    let ok = shopper.post_form(
        "/checkout/address",
        &[
            ("name", "Ada"),
            ("line1", "1 Main"),
            ("city", "SF"),
            ("region", "NY"),
            ("postal_code", "10001"),
            ("country", "US"),
        ],
    );
    assert_eq!(ok.status, 303);
    assert_eq!(shopper.post_form("/checkout/shipping", &[("rate", "express")]).status, 303);
    let review = shopper.get("/checkout");
    let form = element_containing(&review.body, "action=\"/checkout/complete\"").expect("payment form");
    let attr = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let at = form.find(&marker).unwrap() + marker.len();
        form[at..].split('"').next().unwrap().to_string()
    };
    let key = attr("idempotency_key");
    let total = attr("expected_total");
    // $56.00 + express $18.00 + New York 4 % on $56.00 = $2.24.
    assert_eq!(total, (5600 + 1800 + 224).to_string());
    assert!(text(&review.body).contains("$76.24"));
    let paid = shopper.post_form(
        "/checkout/complete",
        &[("idempotency_key", &key), ("expected_total", &total), ("card", "4242 4242 4242 4242")],
    );
    assert_eq!(paid.status, 303, "{}", text(&paid.body));
    let location = paid.header("location").unwrap().to_string();
    assert!(location.starts_with("/orders/FL-") && location.contains("?token="), "{location}");
    let confirmation = shopper.get(&location);
    assert_eq!(confirmation.status, 200);
    assert!(text(&confirmation.body).contains("Thank you for your order"));
    assert!(text(&confirmation.body).contains("$76.24"));
    assert_eq!(confirmation.header("cache-control"), Some("no-store"));
    // The double submit: the same form again lands on the same order.
    let again = shopper.post_form(
        "/checkout/complete",
        &[("idempotency_key", &key), ("expected_total", &total), ("card", "4242 4242 4242 4242")],
    );
    assert_eq!(again.header("location"), Some(location.as_str()));
    // Without the token the order does not exist; lookup by email and number finds it.
    let number = location.trim_start_matches("/orders/").split('?').next().unwrap().to_string();
    assert_eq!(shopper.get(&format!("/orders/{number}")).status, 404);
    assert_eq!(shopper.get(&format!("/orders/{number}?token=00000000000000000000000000000000")).status, 404);
    let found = shopper
        .post_form("/orders/lookup", &[("email", "HTML@example.com"), ("number", &number.to_lowercase())]);
    assert_eq!(found.status, 303);
    assert_eq!(found.header("location"), Some(location.as_str()));
    let wrong = shopper.post_form("/orders/lookup", &[("email", "someone@example.com"), ("number", &number)]);
    assert_eq!(wrong.status, 404);
    assert!(text(&wrong.body).contains("could not find an order"));
    assert!(
        text(&shopper.get("/cart").body).contains("Your cart is empty"),
        "the cart is emptied by the order"
    );
}

/// A step or action the shop does not have is a 4xx and changes nothing — never another
/// step's handler (the forms and the API alike).
fn unknown_steps_and_actions_are_refused_not_run_as_another(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "POC-SET", 10);
    let mut shopper = Shopper::new(&w.shop);
    let added =
        shopper.post_form("/cart/add", &[("product", "pour-over-coffee-set"), ("variant", "POC-SET")]);
    assert_eq!(added.status, 303);
    assert_eq!(shopper.post_form("/checkout/contact", &[("email", "steps@example.com")]).status, 303);
    for path in [
        "/checkout/complet",
        "/checkout/Contact",
        "/checkout/contact2",
        "/checkout/review",
        "/checkout/%63ontact",
    ] {
        let reply = shopper.post_form(path, &[("email", "other@example.com")]);
        assert_eq!(reply.status, 404, "{path}: {}", text(&reply.body));
    }
    for path in ["/cart/ad", "/cart/Add", "/cart/remove-all", "/cart/clear2"] {
        let reply = shopper.post_form(path, &[("product", "pour-over-coffee-set"), ("variant", "POC-SET")]);
        assert!((400..500).contains(&reply.status), "{path}: {}", reply.status);
    }
    let contact = shopper.get("/checkout?step=contact");
    assert!(contact.body.contains("steps@example.com"), "the contact is as it was");
    let cart = shopper.get("/cart");
    assert_eq!(cart_line_quantity(&cart.body, "POC-SET"), Some(1), "the cart is as it was");
    // The API: an unknown step is a 404 (or 405 for a path it has), and changes nothing.
    let (id, token, _) = ready_cart(&api, "POC-SET", 1, "steps-api@example.com");
    for step in ["complete", "review", "Contact", "payment"] {
        let (status, body) =
            api.put(&format!("/checkouts/{id}/{step}"), Some(&token), json!({ "email": "x@example.com" }));
        assert!(matches!(status, 404 | 405), "PUT {step}: {status} {body}");
    }
    let (status, body) = api.get(&format!("/checkouts/{id}"), Some(&token));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "steps-api@example.com", "{body}");
}

fn cart_line_quantity(html: &str, sku: &str) -> Option<u32> {
    let row = element_containing(html, &format!("data-sku=\"{sku}\""))?;
    text(element_containing(row, "class=\"cart-line__quantity\"")?).parse().ok()
}

fn cart_pages_change_quantities_and_refuse_bad_changes(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "SWM-SPECK", 30);
    let mut shopper = Shopper::new(&w.shop);
    shopper
        .post_form("/cart/add", &[("product", "stoneware-mug"), ("variant", "SWM-SPECK"), ("quantity", "2")]);
    shopper.post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    assert_eq!(shopper.post_form("/cart/update", &[("sku", "SWM-SPECK"), ("quantity", "5")]).status, 303);
    assert_eq!(cart_line_quantity(&shopper.get("/cart").body, "SWM-SPECK"), Some(5));
    let too_many = shopper.post_form("/cart/update", &[("sku", "SWM-SPECK"), ("quantity", "100")]);
    assert_eq!(too_many.status, 400);
    let missing = shopper.post_form("/cart/update", &[("sku", "NOPE-1"), ("quantity", "1")]);
    assert_eq!(missing.status, 422);
    assert!(text(&missing.body).contains("no NOPE-1 to change"), "{}", text(&missing.body));
    assert_eq!(shopper.post_form("/cart/update", &[("sku", "SWM-SPECK"), ("quantity", "0")]).status, 303);
    assert_eq!(cart_line_quantity(&shopper.get("/cart").body, "SWM-SPECK"), None, "quantity 0 removes");
    assert_eq!(shopper.post_form("/cart/remove", &[("sku", "BRP-1")]).status, 303);
    shopper.post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    let bad_code = shopper.post_form("/cart/discount", &[("code", "FREEMONEY")]);
    assert_eq!(bad_code.status, 422);
    assert!(text(&bad_code.body).contains("does not exist"));
    assert_eq!(shopper.post_form("/cart/discount", &[("code", "welcome10")]).status, 303);
    let cart = shopper.get("/cart");
    assert!(text(&cart.body).contains("Discount (WELCOME10)"));
    assert!(text(&cart.body).contains("-$4.20"));
    assert_eq!(shopper.post_form("/cart/clear", &[]).status, 303);
    assert!(text(&shopper.get("/cart").body).contains("Your cart is empty"));
}

fn shareable_cart_links_fill_a_cart(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    // Following a link changes nothing by itself: it shows what it would add.
    let reply = shopper.get("/cart/MCS-M-OAT:2,BRP-1");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(shopper.cookie("cart").is_some());
    assert!(reply.body.contains("action=\"/cart/link\""), "a confirm form");
    assert!(text(&reply.body).contains("2 × "), "{}", text(&reply.body));
    assert!(text(&shopper.get("/cart").body).contains("Your cart is empty"));
    // Confirming adds the items.
    let added = shopper.post_form("/cart/link", &[("items", "MCS-M-OAT:2,BRP-1")]);
    assert_eq!(added.status, 303);
    let cart = shopper.get("/cart").body;
    assert_eq!(cart_line_quantity(&cart, "MCS-M-OAT"), Some(2));
    assert_eq!(cart_line_quantity(&cart, "BRP-1"), Some(1));
    // Unknown items are named and left out; the rest are added.
    let preview = shopper.get("/cart/NOPE-9:1,BRP-1:1");
    assert_eq!(preview.status, 200);
    assert!(text(&preview.body).contains("Not in the shop any more: NOPE-9"), "{}", text(&preview.body));
    let partial = shopper.post_form("/cart/link", &[("items", "NOPE-9:1,BRP-1:1")]);
    assert_eq!(partial.status, 200);
    assert!(text(&partial.body).contains("could not be added: NOPE-9"));
    assert_eq!(cart_line_quantity(&partial.body, "BRP-1"), Some(2));
    // A forged confirmation (no token) adds nothing.
    let forged = shopper.post_raw("/cart/link", &[("items", "BRP-1:5")], &[]);
    assert_eq!(forged.status, 403);
    assert_eq!(cart_line_quantity(&shopper.get("/cart").body, "BRP-1"), Some(2));
    assert_eq!(shopper.get("/cart/BRP-1:0").status, 400);
    assert_eq!(shopper.get("/cart/%3Cscript%3E:1").status, 400);
}

fn forged_cart_cookies_and_tokens_are_refused(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    shopper.post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    let cookie = shopper.cookie("cart").unwrap().to_string();
    let (id, signature) = cookie.split_once('.').expect("signed cookie: id.signature");
    assert_eq!(id.len(), 32);
    assert!(!signature.is_empty());
    // Someone else's id with a made-up signature: an empty cart, not the victim's.
    let mut forger = Shopper::new(&w.shop);
    let forged = forger.get_with_cookie("/cart", &format!("cart={id}.AAAAAAAAAAAAAAAAAAAAAA"));
    assert!(text(&forged.body).contains("Your cart is empty"));
    let unsigned = forger.get_with_cookie("/cart", &format!("cart={id}"));
    assert!(text(&unsigned.body).contains("Your cart is empty"));
    let api = Api::new(&w.shop);
    let (status, body) = api.get(&format!("/carts/{id}"), Some(&format!("{id}.forged")));
    assert_eq!(status, 401, "{body}");
    let (other_id, other_token) = new_cart(&api);
    let (status, _) = api.get(&format!("/carts/{id}"), Some(&other_token));
    assert_eq!(status, 401, "one cart's token does not open another");
    let (status, _) = api.get(&format!("/carts/{other_id}"), None);
    assert_eq!(status, 401);
}

fn the_api_describes_itself_and_answers_errors_as_json(w: &World) {
    let api = Api::new(&w.shop);
    let (status, doc) = api.get("/openapi.json", None);
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/products",
        "/collections/{handle}",
        "/search",
        "/carts",
        "/carts/{id}/lines",
        "/checkouts/{id}/complete",
        "/orders/lookup",
        "/admin/stock/{sku}",
    ] {
        assert!(doc["paths"][path].is_object(), "openapi lacks {path}");
    }
    let (status, body) = api.get("/products?page=1", None);
    assert_eq!(status, 200);
    assert_eq!(body["total"], 15);
    let (status, body) = api.get("/collections/apparel?filter.size=XS&sort=price-asc", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["products"].as_array().unwrap().len(), body["total"].as_u64().unwrap() as usize);
    let (status, body) = api.get("/search?q=merino", None);
    assert_eq!(status, 200);
    assert_eq!(body["products"][0]["handle"], "merino-crew-sweater");
    for (method, path, body, code) in [
        ("GET", "/products/nope", None, "not_found"),
        ("GET", "/collections/apparel?sort=random", None, "bad_request"),
        ("DELETE", "/products", None, "method_not_allowed"),
        ("POST", "/carts/abc/lines", Some(json!({ "sku": "BRP-1" })), "unauthorized"),
    ] {
        let (status, reply) = api.call(method, path, None, &[], body.as_ref());
        assert!((400..500).contains(&status), "{method} {path}: {status}");
        assert_eq!(reply["error"], code, "{method} {path}: {reply}");
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (id, token) = new_cart(&api);
    let (status, body) = api.call(
        "POST",
        &format!("/carts/{id}/lines"),
        Some(&token),
        &[("content-type", "text/plain")],
        None,
    );
    assert_eq!(status, 415, "{body}");
    let (status, body) =
        api.post(&format!("/carts/{id}/lines"), Some(&token), json!({ "sku": "BRP-1", "quantity": 0 }));
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        api.post(&format!("/carts/{id}/lines"), Some(&token), json!({ "sku": "BRP-1", "colour": "red" }));
    assert_eq!(status, 400, "unknown fields are refused: {body}");
    let (status, body) = api.post(&format!("/carts/{id}/lines"), Some(&token), json!({ "sku": "NOPE-1" }));
    assert_eq!(status, 422, "{body}");
    // Bounds: 99 of one item per line.
    let lines = format!("/carts/{id}/lines");
    let (status, _) = api.post(&lines, Some(&token), json!({ "sku": "DGN-NAVY", "quantity": 99 }));
    assert_eq!(status, 200);
    let (status, body) = api.post(&lines, Some(&token), json!({ "sku": "DGN-NAVY", "quantity": 1 }));
    assert_eq!(status, 422, "{body}");
    assert!(body["message"].as_str().unwrap().contains("at most 99"), "{body}");
    // A line the cart does not have is not there to change or remove: 404, saying so.
    for (method, body) in [("PATCH", Some(json!({ "quantity": 2 }))), ("DELETE", None)] {
        let (status, reply) = api.call(method, &format!("{lines}/BRP-1"), Some(&token), &[], body.as_ref());
        assert_eq!(status, 404, "{method} of a line the cart lacks: {reply}");
        assert!(reply["message"].as_str().unwrap().contains("BRP-1"), "{reply}");
    }
    let (status, _) = api.call("DELETE", &format!("{lines}/DGN-NAVY"), Some(&token), &[], None);
    assert_eq!(status, 200);
    let (status, _) = api.call("DELETE", &format!("{lines}/DGN-NAVY"), Some(&token), &[], None);
    assert_eq!(status, 404, "a removed line is gone");
    // Whole numbers may be written as JSON floats; fractions are refused.
    let (status, body) = api.post(&lines, Some(&token), json!({ "sku": "DGN-NAVY", "quantity": 2.0 }));
    assert_eq!(status, 200, "{body}");
    let (status, _) = api.post(&lines, Some(&token), json!({ "sku": "DGN-NAVY", "quantity": 1.5 }));
    assert_eq!(status, 400);
    // 405 names the methods the path answers, also for a method workers-rs does not know.
    for (method, path, allow) in [
        ("DELETE", "/products", "GET"),
        ("GET", "/carts", "POST"),
        ("PUT", "/carts/abc/lines/BRP-1", "PATCH, DELETE"),
        ("GET", "/admin/stock/BRP-1", "PUT"),
    ] {
        let reply = api.reply(method, path, None, &[], None);
        assert_eq!(reply.status, 405, "{method} {path}: {}", reply.body);
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }
    // A method workers-rs does not know (it would read it as GET), over a raw socket
    // because the HTTP client refuses to send it.
    let head = raw_request(&w.shop.base, "QUERY /api/v1/carts/abc HTTP/1.1");
    assert!(head.starts_with("HTTP/1.1 405"), "{head}");
    assert!(head.to_ascii_lowercase().contains("\r\nallow: get\r\n"), "{head}");
}

fn the_merchant_api_needs_its_token_and_fulfils_orders(w: &World) {
    let api = Api::new(&w.shop);
    let (status, _) = api.get("/admin/orders", None);
    assert_eq!(status, 401);
    let (status, _) = api.get("/admin/orders", Some("test-admin-token-0123456789abcdeX"));
    assert_eq!(status, 401);
    set_stock(&api, "RTD-RUST", 3);
    let (id, token, total) = ready_cart(&api, "RTD-RUST", 1, "fulfil@example.com");
    // A total past what a JavaScript number holds exactly reaches the cart object intact
    // (and is simply not the total): 409, not a 500.
    let (status, body) =
        complete(&api, &id, &token, "fulfil-key-0", "4242424242424242", Some(9_007_199_254_740_993));
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("total changed"), "{body}");
    let (status, placed) = complete(&api, &id, &token, "fulfil-key-1", "4242424242424242", Some(total));
    assert_eq!(status, 201, "{placed}");
    let number = placed["number"].as_str().unwrap();
    // The merchant's list is fed by the order shard's alarm, off the shopper's path:
    // without any help from a test route, the order shows up within moments.
    let listed = |status: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, body) = api.get("/admin/orders?limit=500", Some(ADMIN_TOKEN));
            let found = body["orders"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["number"] == number && o["status"] == status);
            if found {
                return Instant::now() + Duration::from_secs(10) - deadline;
            }
            assert!(
                Instant::now() < deadline,
                "order {number} never reached the merchant's list as {status}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let lag = listed("paid");
    let (status, body) = api.post(&format!("/admin/orders/{number}/fulfil"), Some(ADMIN_TOKEN), json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["status"], "fulfilled");
    let fulfil_lag = listed("fulfilled");
    println!("the merchant's list showed the order after {lag:?}, its fulfilment after {fulfil_lag:?}");
    let (status, body) =
        api.post("/orders/lookup", None, json!({ "email": "FULFIL@example.com", "number": number }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["status"], "fulfilled");
    let (status, _) =
        api.post("/orders/lookup", None, json!({ "email": "other@example.com", "number": number }));
    assert_eq!(status, 404);
}

fn order_emails_go_to_the_outbox_once(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "WCT-TAN", 5);
    let (id, token, total) = ready_cart(&api, "WCT-TAN", 1, "outbox@example.com");
    let (status, placed) = complete(&api, &id, &token, "outbox-key-1", "4242424242424242", Some(total));
    assert_eq!(status, 201, "{placed}");
    let number = placed["number"].as_str().unwrap().to_string();
    let emails_for = |api: &Api| -> Vec<Value> {
        let (_, body) = api.get("/admin/outbox", Some(ADMIN_TOKEN));
        body["emails"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["order_number"] == number.as_str())
            .cloned()
            .collect()
    };
    // The queue consumer runs off the critical path: wait for it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while emails_for(&api).is_empty() {
        assert!(Instant::now() < deadline, "the confirmation email never reached the outbox");
        std::thread::sleep(Duration::from_millis(200));
    }
    let email = &emails_for(&api)[0];
    assert_eq!(email["to"], "outbox@example.com");
    assert!(email["subject"].as_str().unwrap().contains(&number));
    assert!(email["body"].as_str().unwrap().contains("Waxed Canvas Tote"));
    // Processing the same message again (a redelivery) changes nothing.
    for _ in 0..2 {
        let (status, body) =
            api.post("/test/queue/process", None, json!({ "order_number": number, "origin": w.shop.base }));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["new"], false);
    }
    assert_eq!(emails_for(&api).len(), 1);
}

fn reservations_expire_by_alarm_and_sweeping_twice_changes_nothing() {
    let state = TempDir::new("expiry");
    storefront_tests::publish_sample_catalog(state.path());
    let shop = Shop::start(ShopOptions::on(state.path()).vars(&[("RESERVATION_TTL_SECONDS", "2")]));
    let api = Api::new(&shop);
    set_stock(&api, "HPT-M", 1);
    // Buyer A reaches the payment step: the unit is held for them.
    let (a, a_token, _) = ready_cart(&api, "HPT-M", 1, "a@example.com");
    let (_, checkout) = api.get(&format!("/checkouts/{a}"), Some(&a_token));
    assert_eq!(checkout["stock_held"], true, "{checkout}");
    assert_eq!(available(&api, "heavyweight-pocket-tee", "HPT-M"), 0, "held for A");
    // Buyer B cannot have it while A's hold lasts.
    let (b, b_token, b_total) = ready_cart(&api, "HPT-M", 1, "b@example.com");
    let (status, body) = complete(&api, &b, &b_token, "b-key-0001", "4242424242424242", Some(b_total));
    assert_eq!(status, 409, "{body}");
    // After the hold expires, the alarm has swept it: nothing is left for a manual sweep.
    std::thread::sleep(Duration::from_millis(3_500));
    let (_, swept) = api.post("/test/inventory/sweep", None, json!({}));
    assert_eq!(swept["dropped"], 0, "the alarm already released the hold: {swept}");
    assert_eq!(available(&api, "heavyweight-pocket-tee", "HPT-M"), 1, "released");
    // Sweeping again changes nothing.
    let (_, swept) = api.post("/test/inventory/sweep", None, json!({}));
    assert_eq!(swept["dropped"], 0);
    assert_eq!(available(&api, "heavyweight-pocket-tee", "HPT-M"), 1);
    let (status, body) = complete(&api, &b, &b_token, "b-key-0002", "4242424242424242", Some(b_total));
    assert_eq!(status, 201, "B buys once A's hold lapsed: {body}");
    assert_eq!(available(&api, "heavyweight-pocket-tee", "HPT-M"), 0);

    // A client that keeps reading its checkout does not keep the stock: reads never
    // renew a hold, so it lapses on time and another shopper buys the unit.
    set_stock(&api, "HPT-M", 1);
    let (c, c_token, c_total) = ready_cart(&api, "HPT-M", 1, "c@example.com");
    let poll = |api: &Api| api.get(&format!("/checkouts/{c}"), Some(&c_token)).1;
    assert_eq!(poll(&api)["stock_held"], true);
    let deadline = Instant::now() + Duration::from_millis(3_500);
    while Instant::now() < deadline {
        let _ = poll(&api);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(poll(&api)["stock_held"], false, "the hold lapsed although the checkout was read");
    assert_eq!(
        available(&api, "heavyweight-pocket-tee", "HPT-M"),
        1,
        "free for others while C keeps polling"
    );
    let (d, d_token, d_total) = ready_cart(&api, "HPT-M", 1, "d@example.com");
    let (status, body) = complete(&api, &d, &d_token, "d-key-0001", "4242424242424242", Some(d_total));
    assert_eq!(status, 201, "another shopper buys the unit: {body}");
    let (status, body) = complete(&api, &c, &c_token, "c-key-0001", "4242424242424242", Some(c_total));
    assert_eq!(status, 409, "the poller's payment finds it sold: {body}");
    assert_eq!(available(&api, "heavyweight-pocket-tee", "HPT-M"), 0, "sold once");
}

/// One address filling many carts holds no more of a SKU than one cart line could (99
/// units, counted over its IPv6 /64); the shopper it refused can still pay, and another
/// client gets the rest.
fn one_client_cannot_hold_a_sku_with_many_carts(w: &World) {
    let api = Api::new(&w.shop);
    let (sku, product) = ("ALS-FOREST", "alpaca-scarf");
    set_stock(&api, sku, 200);
    let read_as = |id: &str, token: &str, address: &str| {
        let (status, body) =
            api.call("GET", &format!("/checkouts/{id}"), Some(token), &[("cf-connecting-ip", address)], None);
        assert_eq!(status, 200, "{body}");
        body["stock_held"].as_bool().unwrap()
    };
    let (first, first_token, _) = ready_cart(&api, sku, 99, "hoarder@example.com");
    assert!(read_as(&first, &first_token, "2001:db8:77:1::1"), "one full line is held");
    assert_eq!(available(&api, product, sku), 101);
    let (second, second_token, second_total) = ready_cart(&api, sku, 1, "hoarder@example.com");
    assert!(
        !read_as(&second, &second_token, "2001:db8:77:1::2"),
        "a second cart of the same client (the same /64) holds nothing more"
    );
    assert_eq!(available(&api, product, sku), 101, "the refused hold took nothing");
    assert!(read_as(&first, &first_token, "2001:db8:77:1::3"), "the first cart still holds its own");
    let (other, other_token, _) = ready_cart(&api, sku, 99, "other@example.com");
    assert!(read_as(&other, &other_token, "2001:db8:77:2::1"), "another client holds what is left");
    assert_eq!(available(&api, product, sku), 2);
    // A hold is a courtesy, not a condition: the refused cart still buys a free unit.
    let (status, body) =
        complete(&api, &second, &second_token, "hoard-key-0001", "4242424242424242", Some(second_total));
    assert_eq!(status, 201, "{body}");
    assert_eq!(available(&api, product, sku), 1);
}

fn orders_and_carts_survive_a_restart() {
    let state = TempDir::new("restart-orders");
    storefront_tests::publish_sample_catalog(state.path());
    let mut shop = Shop::start(ShopOptions::on(state.path()));
    let api = Api::new(&shop);
    set_stock(&api, "LTT-SET2", 10);
    let mut acknowledged = Vec::new();
    for i in 0..3 {
        let (id, token, total) = ready_cart(&api, "LTT-SET2", 1, "restart@example.com");
        let (status, body) =
            complete(&api, &id, &token, &format!("restart-key-{i}"), "4242424242424242", Some(total));
        assert_eq!(status, 201, "{body}");
        acknowledged.push(body["number"].as_str().unwrap().to_string());
    }
    let (cart, cart_token) = new_cart(&api);
    api.post(&format!("/carts/{cart}/lines"), Some(&cart_token), json!({ "sku": "BRP-1", "quantity": 3 }));
    shop.stop();

    let shop = Shop::start(ShopOptions::on(state.path()));
    let api = Api::new(&shop);
    for number in &acknowledged {
        let (status, body) =
            api.post("/orders/lookup", None, json!({ "email": "restart@example.com", "number": number }));
        assert_eq!(status, 200, "order {number} lost in the restart: {body}");
    }
    let (_, body) = api.get(&format!("/carts/{cart}"), Some(&cart_token));
    assert_eq!(body["lines"][0]["quantity"], 3, "the cart survived: {body}");
    assert_eq!(available(&api, "linen-tea-towels", "LTT-SET2"), 7, "stock survived too");
    println!(
        "restart: {} acknowledged orders, {} found after restart; cart intact",
        acknowledged.len(),
        acknowledged.len()
    );
}

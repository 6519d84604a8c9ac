//! Round-trip budgets, against a real `wrangler dev`: every write the README budgets is
//! made once through the JSON API and once through the shop's forms, and the Durable
//! Object calls it caused are read from the worker's own log line for that request
//! (`do_calls`, which counts the calls objects make while answering). Over budget fails;
//! so does a count too low to be true (the counting itself broken).

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storefront_tests::budgets::{self, shards_of, Budget};
use storefront_tests::commerce::{new_cart, set_stock};
use storefront_tests::html::element_containing;
use storefront_tests::{Api, Reply, Shop, ShopOptions, Shopper, TempDir, ADMIN_TOKEN};

struct World {
    shop: Shop,
    /// (operation, calls, allowed) for the summary.
    measured: Mutex<Vec<(String, u32, u32)>>,
}

fn main() {
    let args = Arguments::from_args();
    let world = if args.list {
        None
    } else {
        let state = TempDir::new("budgets");
        Some((
            Arc::new(World { shop: Shop::start(ShopOptions::fresh(&state)), measured: Mutex::default() }),
            state,
        ))
    };
    let tests = storefront_tests::tests![
        adding_a_line_costs_the_cart_and_at_most_one_inventory_read,
        checkout_steps_and_cart_changes_cost_one_call,
        holding_and_completing_cost_two_plus_one_per_shard,
        the_html_checkout_keeps_the_same_budgets,
        the_merchant_order_list_does_not_fan_out,
        a_customer_account_costs_its_object_and_the_history,
    ];
    let trials = storefront_tests::shared_trials(world.as_ref().map(|(w, _)| w), tests);
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some((world, _)) = &world {
        println!("Durable Object calls per operation (from the worker's log line):");
        for (operation, calls, allowed) in world.measured.lock().unwrap().iter() {
            println!("  {operation:<58} {calls:>2} (budget {allowed})");
        }
    }
    drop(world);
    conclusion.exit();
}

impl World {
    /// The Durable Object calls the worker logged for `reply`'s request.
    fn calls(&self, reply: &Reply) -> u32 {
        let id = reply.header("x-request-id").expect("x-request-id").to_string();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(line) = budgets::log_line(&self.shop.log(), &id) {
                return line["do_calls"].as_u64().expect("do_calls") as u32;
            }
            assert!(Instant::now() < deadline, "no log line for request {id}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Checks `reply`'s calls against `budget` (for a cart touching `shards` inventory
    /// shards) and at least `floor` (what the operation cannot do without).
    fn check(&self, what: &str, reply: &Reply, budget: Budget, shards: u32, floor: u32) -> u32 {
        let calls = self.calls(reply);
        let allowed = budget.allows(shards);
        self.measured.lock().unwrap().push((format!("{} — {what}", budget.operation), calls, allowed));
        assert!(
            calls <= allowed,
            "{what}: {calls} Durable Object calls, budget {} = {allowed}",
            budget.describe()
        );
        assert!(calls >= floor, "{what}: {calls} calls counted, but it cannot take fewer than {floor}");
        calls
    }
}

fn api_reply(api: &Api, method: &str, path: &str, token: &str, body: Option<Value>) -> Reply {
    let reply = api.reply(method, path, Some(token), &[], body.as_ref());
    assert!(reply.status < 300, "{method} {path}: {} {}", reply.status, reply.body);
    reply
}

fn adding_a_line_costs_the_cart_and_at_most_one_inventory_read(w: &World) {
    let api = Api::new(&w.shop);
    let (id, token) = new_cart(&api);
    let lines = format!("/carts/{id}/lines");
    let add = |sku: &str| api_reply(&api, "POST", &lines, &token, Some(json!({ "sku": sku, "quantity": 1 })));
    let first = add("BRP-1");
    w.check("API, a SKU the cart has not seen", &first, budgets::ADD_TO_CART, 1, 2);
    let again = add("BRP-1");
    w.check("API, the same SKU again (availability remembered)", &again, budgets::ADD_TO_CART, 1, 1);
    let other = add("SWM-SLATE");
    w.check("API, a SKU on another shard", &other, budgets::ADD_TO_CART, 2, 2);

    let mut shopper = Shopper::new(&w.shop);
    shopper.get("/products/brass-pen");
    let form = shopper.post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]);
    assert_eq!(form.status, 303, "{}", form.body);
    w.check("form POST /cart/add", &form, budgets::ADD_TO_CART, 1, 2);
}

fn checkout_steps_and_cart_changes_cost_one_call(w: &World) {
    let api = Api::new(&w.shop);
    let (id, token) = new_cart(&api);
    api_reply(
        &api,
        "POST",
        &format!("/carts/{id}/lines"),
        &token,
        Some(json!({ "sku": "DGN-NAVY", "quantity": 2 })),
    );
    let steps = [
        ("contact", json!({ "email": "budget@example.com" })),
        (
            "address",
            json!({ "name": "B", "line1": "1 Main St", "line2": "", "city": "San Francisco", "region": "CA",
                    "postal_code": "94107", "country": "US" }),
        ),
        ("shipping", json!({ "rate": "standard" })),
    ];
    for (step, body) in steps {
        let reply = api_reply(&api, "PUT", &format!("/checkouts/{id}/{step}"), &token, Some(body));
        w.check(&format!("API PUT .../{step}"), &reply, budgets::CHECKOUT_STEP, 1, 1);
    }
    let quantity = api_reply(
        &api,
        "PATCH",
        &format!("/carts/{id}/lines/DGN-NAVY"),
        &token,
        Some(json!({ "quantity": 3 })),
    );
    w.check("API PATCH a line's quantity", &quantity, budgets::CART_CHANGE, 1, 1);
    let code = api_reply(
        &api,
        "PUT",
        &format!("/carts/{id}/discount"),
        &token,
        Some(json!({ "code": "WELCOME10" })),
    );
    w.check("API PUT a discount code", &code, budgets::CART_CHANGE, 1, 1);

    let mut shopper = Shopper::new(&w.shop);
    shopper.get("/products/dot-grid-notebook");
    shopper.post_form("/cart/add", &[("product", "dot-grid-notebook"), ("variant", "DGN-NAVY")]);
    let update = shopper.post_form("/cart/update", &[("sku", "DGN-NAVY"), ("quantity", "2")]);
    assert_eq!(update.status, 303);
    w.check("form POST /cart/update", &update, budgets::CART_CHANGE, 1, 1);
}

/// A ready-to-pay cart holding one unit of each SKU.
fn ready(api: &Api, skus: &[&str], email: &str) -> (String, String, i64) {
    let (id, token) = new_cart(api);
    for sku in skus {
        api_reply(
            api,
            "POST",
            &format!("/carts/{id}/lines"),
            &token,
            Some(json!({ "sku": sku, "quantity": 1 })),
        );
    }
    api_reply(api, "PUT", &format!("/checkouts/{id}/contact"), &token, Some(json!({ "email": email })));
    let address = json!({ "name": "B", "line1": "1 Main St", "line2": "", "city": "San Francisco",
                          "region": "CA", "postal_code": "94107", "country": "US" });
    api_reply(api, "PUT", &format!("/checkouts/{id}/address"), &token, Some(address));
    let reply = api_reply(
        api,
        "PUT",
        &format!("/checkouts/{id}/shipping"),
        &token,
        Some(json!({ "rate": "standard" })),
    );
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    (id, token, body["totals"]["total"]["minor"].as_i64().unwrap())
}

fn holding_and_completing_cost_two_plus_one_per_shard(w: &World) {
    let api = Api::new(&w.shop);
    for (label, skus) in [
        ("one line", vec!["LTT-SET2"]),
        ("three lines on three shards", vec!["BRP-1", "SWM-SLATE", "DGN-NAVY"]),
    ] {
        for sku in &skus {
            set_stock(&api, sku, 500);
        }
        let shards = shards_of(&skus);
        let (id, token, total) = ready(&api, &skus, "budget-complete@example.com");
        let hold = api_reply(&api, "GET", &format!("/checkouts/{id}"), &token, None);
        assert_eq!(serde_json::from_str::<Value>(&hold.body).unwrap()["stock_held"], true, "{}", hold.body);
        w.check(&format!("API GET /checkouts/{{id}}, {label}"), &hold, budgets::HOLD, shards, 1 + shards);
        let body = json!({ "card": "4242 4242 4242 4242", "expected_total": total });
        let key = format!("budget-{id}");
        let placed = api.reply(
            "POST",
            &format!("/checkouts/{id}/complete"),
            Some(&token),
            &[("idempotency-key", &key)],
            Some(&body),
        );
        assert_eq!(placed.status, 201, "{}", placed.body);
        w.check(&format!("API complete, {label}"), &placed, budgets::COMPLETION, shards, 1 + shards);
        let replay = api.reply(
            "POST",
            &format!("/checkouts/{id}/complete"),
            Some(&token),
            &[("idempotency-key", &key)],
            Some(&body),
        );
        assert_eq!(replay.status, 201);
        w.check(&format!("API complete replayed, {label}"), &replay, budgets::COMPLETION, 0, 1);
    }
}

fn the_html_checkout_keeps_the_same_budgets(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "POC-SET", 500);
    let mut shopper = Shopper::new(&w.shop);
    shopper.get("/products/pour-over-coffee-set");
    shopper.post_form("/cart/add", &[("product", "pour-over-coffee-set"), ("variant", "POC-SET")]);
    let address = [
        ("name", "Ada"),
        ("line1", "1 Main"),
        ("city", "SF"),
        ("region", "CA"),
        ("postal_code", "94107"),
        ("country", "US"),
    ];
    for (path, fields) in [
        ("/checkout/contact", vec![("email", "budget-html@example.com")]),
        ("/checkout/address", address.to_vec()),
        ("/checkout/shipping", vec![("rate", "standard")]),
    ] {
        let reply = shopper.post_form(path, &fields);
        assert_eq!(reply.status, 303, "{path}: {}", reply.body);
        w.check(&format!("form POST {path}"), &reply, budgets::CHECKOUT_STEP, 1, 1);
    }
    let review = shopper.get("/checkout");
    w.check("GET /checkout at the payment step", &review, budgets::HOLD, 1, 2);
    let form = element_containing(&review.body, "action=\"/checkout/complete\"").expect("payment form");
    let attr = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let at = form.find(&marker).unwrap() + marker.len();
        form[at..].split('"').next().unwrap().to_string()
    };
    let (key, total) = (attr("idempotency_key"), attr("expected_total"));
    let paid = shopper.post_form(
        "/checkout/complete",
        &[("idempotency_key", &key), ("expected_total", &total), ("card", "4242 4242 4242 4242")],
    );
    assert_eq!(paid.status, 303, "{}", paid.body);
    w.check("form POST /checkout/complete", &paid, budgets::COMPLETION, 1, 2);
}

fn the_merchant_order_list_does_not_fan_out(w: &World) {
    let api = Api::new(&w.shop);
    let list = api.reply("GET", "/admin/orders?limit=500", Some(ADMIN_TOKEN), &[], None);
    assert_eq!(list.status, 200);
    w.check("GET /admin/orders", &list, budgets::ORDER_LIST, 0, 1);
    let outbox = api.reply("GET", "/admin/outbox", Some(ADMIN_TOKEN), &[], None);
    assert_eq!(outbox.status, 200);
    w.check("GET /admin/outbox", &outbox, budgets::ORDER_LIST, 0, 1);
}

/// The sign-in link the outbox (this shop's mail sink) holds for `email`: its path.
fn link_for(api: &Api, email: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, outbox) = api.get("/admin/outbox", Some(ADMIN_TOKEN));
        let found = outbox["emails"].as_array().into_iter().flatten().find_map(|e| {
            let body = e["body"].as_str().filter(|_| e["to"] == email)?;
            let at = body.find("/account/verify?t=")?;
            Some(body.get(at..)?.split_whitespace().next()?.to_string())
        });
        if let Some(link) = found {
            return link;
        }
        assert!(Instant::now() < deadline, "no sign-in link for {email} in the outbox");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn a_customer_account_costs_its_object_and_the_history(w: &World) {
    let api = Api::new(&w.shop);
    let mut shopper = Shopper::new(&w.shop);
    shopper.get("/account");
    let asked = shopper.post_form("/account/sign-in", &[("email", "budget.customer@example.com")]);
    assert_eq!(asked.status, 200);
    w.check("POST /account/sign-in", &asked, budgets::ACCOUNT, 0, 1);
    let link = link_for(&api, "budget.customer@example.com");
    shopper.get(&link);
    let used = shopper.post_form("/account/verify", &[("t", link.split("t=").nth(1).unwrap())]);
    assert_eq!(used.status, 303);
    w.check("POST /account/verify", &used, budgets::ACCOUNT, 0, 1);
    let page = shopper.get("/account");
    assert_eq!(page.status, 200);
    w.check("GET /account (with the order history)", &page, budgets::ACCOUNT, 0, 2);
    let address = [
        ("name", "Budget Customer"),
        ("line1", "1 Main St"),
        ("city", "San Francisco"),
        ("region", "CA"),
        ("postal_code", "94107"),
        ("country", "US"),
    ];
    let saved = shopper.post_form("/account/addresses", &address);
    assert_eq!(saved.status, 303);
    w.check("POST /account/addresses", &saved, budgets::ACCOUNT, 0, 1);
    // At checkout, signed in: a step that saves the address costs the account too.
    set_stock(&api, "WCT-OLIVE", 20);
    shopper.get("/products/waxed-canvas-tote");
    let added = shopper.post_form("/cart/add", &[("product", "waxed-canvas-tote"), ("variant", "WCT-OLIVE")]);
    assert_eq!(added.status, 303);
    let contact = shopper.post_form("/checkout/contact", &[("email", "budget.customer@example.com")]);
    assert_eq!(contact.status, 303);
    w.check("form POST /checkout/contact, signed in", &contact, budgets::CHECKOUT_STEP, 0, 1);
    let mut saving: Vec<(&str, &str)> = address.to_vec();
    saving.push(("save_address", "1"));
    let step = shopper.post_form("/checkout/address", &saving);
    assert_eq!(step.status, 303, "{}", step.body);
    w.check("form POST /checkout/address, saving it", &step, budgets::CHECKOUT_STEP_SAVING, 0, 2);
}

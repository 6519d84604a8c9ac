//! The write path: Durable Object round trips per operation (from the worker's own log
//! line, as the budgets in the README count them), add to cart, and stock holds on one
//! hot SKU — end to end through the API, and one inventory object asked directly.

use crate::wrk::{Item, Load};
use crate::{prepare_checkouts, Bench, Server};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use storefront_tests::budgets::{self, shards_of, Budget};
use storefront_tests::commerce::{new_cart, ready_cart, set_stock};
use storefront_tests::{Api, Reply, ADMIN_TOKEN};

/// The SKU every shopper of the hot-SKU load wants.
pub const HOT_SKU: &str = "WTB-SAGE";
/// SKUs the add-to-cart load spreads over.
const CART_SKUS: [&str; 10] = [
    "BRP-1",
    "SWM-SPECK",
    "SWM-SLATE",
    "DGN-NAVY",
    "DGN-SAND",
    "MCS-M-OAT",
    "MCS-S-OAT",
    "OCT-XS-NAVY",
    "LTT-SET2",
    "POC-SET",
];

/// Adds of one unit: 40 carts × 10 SKUs, cycled.
pub fn add_items(api: &Api) -> Vec<Item> {
    let carts: Vec<(String, String)> = (0..40).map(|_| new_cart(api)).collect();
    let mut adds = Vec::new();
    for sku in CART_SKUS {
        for (id, token) in &carts {
            let body = json!({ "sku": sku, "quantity": 1 }).to_string();
            adds.push(Item::json("POST", &format!("/api/v1/carts/{id}/lines"), Some(token), &body));
        }
    }
    adds
}

/// The add-to-cart load (20 connections), with a warm-up.
pub fn add_to_cart(bench: &mut Bench, server: &Server, api: &Api, via_runtime: bool) {
    let adds = add_items(api);
    let warm = Load { items: adds.iter().rev().take(100).cloned().collect(), connections: 4, requests: 100 };
    let profile = server.request_log.then_some("api:carts");
    bench.floor_before(server, via_runtime, "add_to_cart");
    bench.measure(
        server,
        "add_to_cart",
        "add to cart (API)",
        via_runtime,
        Load { items: adds, connections: 20, requests: 2000 },
        Some(warm),
        profile,
    );
}

/// Holds on one hot SKU: 200 shoppers at the payment step (`GET /checkouts/{id}`, which
/// holds their unit), 50 at a time — every request is a hold on the same SKU's object.
pub fn hot_sku(bench: &mut Bench, server: &Server, api: &Api, via_runtime: bool) {
    set_stock(api, HOT_SKU, 10_000_000);
    let (carts, _) = prepare_checkouts(api, 200, 20, &[HOT_SKU]);
    let items: Vec<Item> = carts
        .iter()
        .map(|(id, token, _)| {
            Item::get(&format!("/api/v1/checkouts/{id}"))
                .with_header("Authorization", &format!("Bearer {token}"))
        })
        .collect();
    let warm = Load { items: items.clone(), connections: 20, requests: 400 };
    let profile = server.request_log.then_some("api:checkouts");
    bench.floor_before(server, via_runtime, "hot_sku");
    bench.measure(
        server,
        "hot_sku",
        "hold stock, one hot SKU (200 shoppers at the payment step)",
        via_runtime,
        Load { items, connections: 50, requests: 4000 },
        Some(warm),
        profile,
    );
}

/// One inventory object asked for one-unit holds on the hot SKU as fast as one worker
/// request can ask (64 at a time): the object's own capacity for one SKU, in holds per
/// second of wall time, and the runtime's CPU per hold (the object's and the asking
/// worker's together: locally they share one process).
pub fn hold_burst(server: &Server, api: &Api, ticks: f64) -> Value {
    set_stock(api, HOT_SKU, 10_000_000);
    let processes = server.shop.process_group().map(crate::cpu::group).unwrap_or_default();
    let mut best = Value::Null;
    for _ in 0..3 {
        let before = crate::cpu::sample(&processes);
        let (status, mut body) = api.post(
            "/test/inventory/hold-burst",
            None,
            json!({ "sku": HOT_SKU, "holds": 3000, "concurrency": 64 }),
        );
        std::thread::sleep(Duration::from_millis(300));
        let after = crate::cpu::sample(&processes);
        if status != 200 {
            eprintln!("hold burst: {status} {body}");
            continue;
        }
        let cpu_ms = after.since(&before, &server.runtime) as f64 * 1000.0 / ticks / 3000.0;
        body["cpu_runtime_ms_per_hold"] = json!(cpu_ms);
        println!(
            "  one inventory object, one SKU: {:.0} holds/s ({} granted), {cpu_ms:.3} ms of runtime CPU per hold",
            body["holds_per_second"].as_f64().unwrap_or(0.0),
            body["granted"]
        );
        if best.is_null() || body["holds_per_second"].as_f64() > best["holds_per_second"].as_f64() {
            best = body;
        }
    }
    best
}

/// The calls the worker logged for `reply`'s request.
fn logged_calls(server: &Server, reply: &Reply) -> Option<u32> {
    let id = reply.header("x-request-id")?.to_string();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(line) = budgets::log_line(&server.shop.log(), &id) {
            return line["do_calls"].as_u64().map(|n| n as u32);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn record(server: &Server, out: &mut Vec<Value>, budget: Budget, what: &str, shards: u32, reply: &Reply) {
    let calls = logged_calls(server, reply);
    let allowed = budget.allows(shards);
    println!(
        "  {:<26} {what:<44} {} (budget {allowed})",
        budget.operation,
        calls.map_or("?".into(), |c| c.to_string())
    );
    out.push(json!({ "operation": budget.operation, "what": what, "calls": calls, "allowed": allowed,
                     "status": reply.status }));
}

/// One of each budgeted write, through the API, with the calls each made.
pub fn round_trips(server: &Server, api: &Api) -> Value {
    let mut out = Vec::new();
    let skus = ["BRP-1", "SWM-SLATE", "DGN-NAVY"];
    for sku in skus {
        set_stock(api, sku, 1_000_000);
    }
    let (id, token) = new_cart(api);
    let t = Some(token.as_str());
    let send = |method: &str, path: &str, body: Option<Value>, headers: &[(&str, &str)]| {
        api.reply(method, &path.replace("{id}", &id), t, headers, body.as_ref())
    };
    for (i, sku) in skus.iter().enumerate() {
        let reply = send("POST", "/carts/{id}/lines", Some(json!({ "sku": sku, "quantity": 1 })), &[]);
        record(
            server,
            &mut out,
            budgets::ADD_TO_CART,
            &format!("POST /carts/{{id}}/lines, line {}", i + 1),
            1,
            &reply,
        );
    }
    let reply = send("POST", "/carts/{id}/lines", Some(json!({ "sku": "BRP-1", "quantity": 1 })), &[]);
    record(server, &mut out, budgets::ADD_TO_CART, "POST /carts/{id}/lines, a SKU seen before", 1, &reply);
    let reply = send("PATCH", "/carts/{id}/lines/BRP-1", Some(json!({ "quantity": 1 })), &[]);
    record(server, &mut out, budgets::CART_CHANGE, "PATCH /carts/{id}/lines/{sku}", 1, &reply);
    let address = json!({ "name": "B", "line1": "1 Main St", "line2": "", "city": "San Francisco", "region": "CA",
                          "postal_code": "94107", "country": "US" });
    for (step, body) in [
        ("contact", json!({ "email": "trips@example.com" })),
        ("address", address),
        ("shipping", json!({ "rate": "standard" })),
    ] {
        let reply = send("PUT", &format!("/checkouts/{{id}}/{step}"), Some(body), &[]);
        record(server, &mut out, budgets::CHECKOUT_STEP, &format!("PUT /checkouts/{{id}}/{step}"), 1, &reply);
    }
    let shards = shards_of(&skus);
    let reply = send("GET", "/checkouts/{id}", None, &[]);
    record(
        server,
        &mut out,
        budgets::HOLD,
        &format!("GET /checkouts/{{id}}, {shards} shards"),
        shards,
        &reply,
    );
    let total: Value = serde_json::from_str(&reply.body).unwrap_or_default();
    let body = json!({ "card": "4242 4242 4242 4242", "expected_total": total["totals"]["total"]["minor"] });
    let reply = send("POST", "/checkouts/{id}/complete", Some(body), &[("idempotency-key", "round-trips-1")]);
    record(
        server,
        &mut out,
        budgets::COMPLETION,
        &format!("POST .../complete, {shards} shards"),
        shards,
        &reply,
    );
    let (one, one_token, one_total) = ready_cart(api, "LTT-SET2", 1, "trips-one@example.com");
    let body = json!({ "card": "4242 4242 4242 4242", "expected_total": one_total });
    let reply = api.reply(
        "POST",
        &format!("/checkouts/{one}/complete"),
        Some(&one_token),
        &[("idempotency-key", "round-trips-2")],
        Some(&body),
    );
    record(server, &mut out, budgets::COMPLETION, "POST .../complete, 1 shard, no hold before", 1, &reply);
    let reply = api.reply("GET", "/admin/orders?limit=500", Some(ADMIN_TOKEN), &[], None);
    record(server, &mut out, budgets::ORDER_LIST, "GET /admin/orders", 0, &reply);
    json!(out)
}

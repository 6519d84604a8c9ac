//! The crash test: during a bounded checkout load, `wrangler dev` and its runtime are
//! killed (SIGKILL) and started again on the same state directory. Afterwards every order
//! that was acknowledged to a client exists, retrying with the same idempotency key
//! never places a second order, no SKU is oversold, and carts are intact.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storefront_tests::commerce::{available, new_cart, orders_for_prefix, ready_cart, set_stock};
use storefront_tests::{try_send, Api, Shop, ShopOptions, TempDir};

const SKU: &str = "LTT-SET2";
const PRODUCT: &str = "linen-tea-towels";
const STOCK: u32 = 25;
const BUYERS: usize = 40;
/// Reservations of checkouts cut off by the crash expire after this.
const TTL_SECONDS: u64 = 5;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    libtest_mimic::run(&args, storefront_tests::trials![acknowledged_orders_survive_a_killed_runtime]).exit();
}

/// What one buyer's completion got back.
#[derive(Clone, Debug)]
enum Answer {
    Placed(String),
    SoldOut,
    /// No answer (the runtime died), or an answer that was cut off.
    Lost,
    /// Anything else: status and body, shown when the test fails.
    #[allow(dead_code)]
    Other(u16, String),
}

fn complete(base: &str, id: &str, token: &str, key: &str, total: i64) -> Answer {
    let body = json!({ "card": "4242 4242 4242 4242", "expected_total": total }).to_string();
    let headers = [
        ("authorization", format!("Bearer {token}")),
        ("idempotency-key", key.to_string()),
        ("content-type", "application/json".to_string()),
    ];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    match try_send(base, "POST", &format!("/api/v1/checkouts/{id}/complete"), &headers, body.as_bytes()) {
        Err(_) => Answer::Lost,
        Ok(reply) => {
            let json: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
            match (reply.status, json["number"].as_str()) {
                (201, Some(number)) => Answer::Placed(number.to_string()),
                (201, None) => Answer::Lost,
                (409, _) if json["error"] == "sold_out" => Answer::SoldOut,
                (status, _) => Answer::Other(status, reply.body.chars().take(200).collect()),
            }
        }
    }
}

fn acknowledged_orders_survive_a_killed_runtime() {
    let state = TempDir::new("crash");
    let _ = storefront_tests::publish_sample_catalog(state.path());
    let ttl = TTL_SECONDS.to_string();
    // A completion the crash cut off blocks its key for this long, then a retry takes it over.
    let vars = [("RESERVATION_TTL_SECONDS", ttl.as_str()), ("CHECKOUT_TAKEOVER_MS", "3000")];
    let mut shop = Shop::start(ShopOptions::on(state.path()).vars(&vars));
    let api = Api::new(&shop);
    set_stock(&api, SKU, STOCK);
    let buyers: Vec<(String, String, i64)> =
        (0..BUYERS).map(|i| ready_cart(&api, SKU, 1, &format!("crash-{i}@example.com"))).collect();
    // Carts that are just shopping: they must come through untouched.
    let mut bystanders = Vec::new();
    for (i, sku) in ["BRP-1", "SWM-SLATE", "DGN-SAND", "MCS-M-OAT", "OCT-XS-NAVY"].iter().enumerate() {
        let (id, token) = new_cart(&api);
        let (status, body) =
            api.post(&format!("/carts/{id}/lines"), Some(&token), json!({ "sku": sku, "quantity": i + 1 }));
        assert_eq!(status, 200, "{body}");
        bystanders.push((id, token, body["lines"].clone()));
    }

    // The load: buyers start 10 ms apart; the runtime is killed 200 ms in, with
    // checkouts in flight and more to come.
    let answers: Arc<Mutex<BTreeMap<usize, (Duration, Answer)>>> = Arc::default();
    let started = Instant::now();
    let threads: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(i, (id, token, total))| {
            let (base, id, token, total) = (shop.base.clone(), id.clone(), token.clone(), *total);
            let answers = Arc::clone(&answers);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(10 * i as u64));
                let sent_at = started.elapsed();
                let answer = complete(&base, &id, &token, &format!("crash-key-{i}"), total);
                answers.lock().unwrap().insert(i, (sent_at, answer));
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200).saturating_sub(started.elapsed()));
    shop.kill();
    let killed_at = started.elapsed();
    for t in threads {
        t.join().unwrap();
    }
    let sent: BTreeMap<usize, (Duration, Answer)> = answers.lock().unwrap().clone();
    // Cut off mid-request: sent before the kill, never answered.
    let in_flight_buyers: HashSet<usize> = sent
        .iter()
        .filter(|(_, (at, a))| *at < killed_at && matches!(a, Answer::Lost))
        .map(|(i, _)| *i)
        .collect();
    let in_flight = in_flight_buyers.len();
    let before: BTreeMap<usize, Answer> = sent.into_iter().map(|(i, (_, a))| (i, a)).collect();
    let acknowledged: Vec<String> = before
        .values()
        .filter_map(|a| if let Answer::Placed(n) = a { Some(n.clone()) } else { None })
        .collect();
    let lost: Vec<usize> =
        before.iter().filter(|(_, a)| matches!(a, Answer::Lost)).map(|(i, _)| *i).collect();
    let sold_out_before = before.values().filter(|a| matches!(a, Answer::SoldOut)).count();
    let odd: Vec<&Answer> = before.values().filter(|a| matches!(a, Answer::Other(..))).collect();
    assert!(odd.is_empty(), "unexpected answers before the crash: {odd:?}");
    assert!(!lost.is_empty(), "the kill must cut some checkouts off (killed at {killed_at:?})");

    // Restart on the same state.
    let shop = Shop::start(ShopOptions::on(state.path()).vars(&vars));
    let api = Api::new(&shop);
    let stored_after_restart = orders_for_prefix(&api, "crash-");
    let stored_numbers: HashSet<String> =
        stored_after_restart.iter().map(|o| o["number"].as_str().unwrap().to_string()).collect();
    for number in &acknowledged {
        assert!(stored_numbers.contains(number), "acknowledged order {number} was lost in the crash");
    }
    // Buyers who got no answer retry with the same key, as told (a 409 while the cut-off
    // attempt still counts as in flight means: wait, then retry). Each ends with one
    // order or a sold out.
    let mut placed_on_retry = 0;
    let mut sold_out_on_retry = 0;
    let mut told_to_wait = 0;
    for i in &lost {
        let (id, token, total) = &buyers[*i];
        let mut attempts = 0;
        loop {
            attempts += 1;
            match complete(&shop.base, id, token, &format!("crash-key-{i}"), *total) {
                Answer::Placed(_) => placed_on_retry += 1,
                Answer::SoldOut => {
                    sold_out_on_retry += 1;
                    if in_flight_buyers.contains(i) {
                        eprintln!(
                            "buyer {i} was in flight at the crash and is sold out on retry (available {})",
                            available(&api, PRODUCT, SKU)
                        );
                    }
                }
                Answer::Other(409, _) if attempts < 10 => {
                    told_to_wait += 1;
                    std::thread::sleep(Duration::from_millis(1_000));
                    continue;
                }
                other => panic!("buyer {i} retrying after the crash got {other:?}"),
            }
            break;
        }
    }
    // No buyer has two orders; nobody was sold stock that was not there.
    let stored = orders_for_prefix(&api, "crash-");
    let mut per_buyer: BTreeMap<String, usize> = BTreeMap::new();
    for order in &stored {
        *per_buyer.entry(order["email"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert!(per_buyer.values().all(|n| *n == 1), "a buyer has two orders: {per_buyer:?}");
    let units: u64 = stored
        .iter()
        .flat_map(|o| o["lines"].as_array().cloned().unwrap_or_default())
        .filter(|l| l["sku"] == SKU)
        .map(|l| l["quantity"].as_u64().unwrap())
        .sum();
    assert!(units <= u64::from(STOCK), "oversold: {units} units of {SKU} ordered, {STOCK} in stock");
    assert_eq!(units as usize, stored.len(), "one unit per order");
    // Once reservations of cut-off checkouts expire, stock adds up exactly.
    std::thread::sleep(Duration::from_secs(TTL_SECONDS + 1));
    let (status, _) = api.post("/test/inventory/sweep", None, json!({}));
    assert_eq!(status, 200);
    let left = available(&api, PRODUCT, SKU);
    assert_eq!(left + units, u64::from(STOCK), "stock {STOCK} = {units} sold + {left} available");
    for (id, token, lines) in &bystanders {
        let (status, body) = api.get(&format!("/carts/{id}"), Some(token));
        assert_eq!(status, 200, "{body}");
        assert_eq!(&body["lines"], lines, "cart {id} changed in the crash");
    }
    println!(
        "crash test: killed at {killed_at:?}; before the kill {} acknowledged, {sold_out_before} sold out, {} unanswered \
         ({in_flight} of them in flight); \
         after the restart {} of {} acknowledged orders found; retries placed {placed_on_retry}, sold out {sold_out_on_retry} ({told_to_wait} told to wait first); \
         {} orders stored ({units} units of {STOCK}); {} bystander carts intact",
        acknowledged.len(),
        lost.len(),
        acknowledged.iter().filter(|n| stored_numbers.contains(*n)).count(),
        acknowledged.len(),
        stored.len(),
        bystanders.len(),
    );
}

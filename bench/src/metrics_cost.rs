//! What recording metrics costs a request: two shops alike but for `RECORD_METRICS`
//! (on as shipped, and off), each serving the cached product page — the cheapest page,
//! where a fixed cost shows most — next to the trivial route `/livez` (which records
//! nothing), on the runtime alone with wrangler's inspector off. Rounds alternate
//! between the two shops (the machine's speed drifts); a round's figure is the page's
//! runtime CPU over its floor's, and the cost is the median of the on rounds less the
//! median of the off ones. The "on" shop's CPU includes sending its batches to the
//! metrics object (once a second, from `waitUntil`).

use crate::{gets, warmup, Bench, Server};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use storefront_tests::{project_root, publish_catalog, Api, Shop, ShopOptions, TempDir, ADMIN_TOKEN};

const ROUNDS: usize = 3;
const PRODUCT: &str = "/products/merino-crew-sweater";

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn measure(bench: &mut Bench, results: &mut BTreeMap<String, Value>) {
    let mut shops = Vec::new();
    for on in [true, false] {
        let state = TempDir::new(if on { "bench-metrics-on" } else { "bench-metrics-off" });
        publish_catalog(&project_root().join("catalog"), state.path());
        let mut vars =
            vec![("RESERVATION_TTL_SECONDS", "900"), ("LOG_HITS_EVERY", ""), ("REQUEST_LOG", "off")];
        if !on {
            vars.push(("RECORD_METRICS", "off"));
        }
        let shop = Shop::start(ShopOptions::on(state.path()).vars(&vars).without_inspector());
        shops.push((on, Server::of(shop, "sample", true, false, false), state));
    }
    println!("recording metrics: on and off, cached product page over /livez, runtime alone, inspector off");
    let mut over_floor: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut rounds: Vec<Value> = Vec::new();
    for round in 0..ROUNDS {
        for (i, (on, server, _)) in shops.iter().enumerate() {
            let state = if *on { "on" } else { "off" };
            let key = format!("metrics_{state}:product_cached");
            let floor = bench.measure(
                server,
                &format!("floor:{key}"),
                &format!("trivial route /livez (floor, metrics {state})"),
                true,
                gets("/livez", 3000),
                warmup("/livez", 200),
                None,
            );
            let page = bench.measure(
                server,
                &key,
                &format!("product page, full-page cache, metrics {state}"),
                true,
                gets(PRODUCT, 3000),
                warmup(PRODUCT, 200),
                None,
            );
            if let (Some(floor), Some(page), Some(slot)) = (floor, page, over_floor.get_mut(i)) {
                let over = page.cpu_runtime_ms - floor.cpu_runtime_ms;
                slot.push(over);
                rounds.push(json!({
                    "round": round, "metrics": state, "floor_ms": floor.cpu_runtime_ms,
                    "page_ms": page.cpu_runtime_ms, "page_over_floor_ms": over,
                }));
            }
        }
    }
    let [on, off] = &mut over_floor;
    let (on, off) = (median(on), median(off));
    println!(
        "  recording metrics costs {:.3} ms of CPU per request (page over floor: on {on:.3}, off {off:.3})",
        on - off
    );
    results.insert(
        "metrics_cost".into(),
        json!({ "page_over_floor_on_ms": on, "page_over_floor_off_ms": off, "cost_ms": on - off, "rounds": rounds }),
    );
}

/// The sample shop's own report (`GET /api/v1/admin/metrics`, the dashboard's numbers)
/// after the bench's browse and checkout loads: once the queue has counted the orders.
pub fn after_loads(api: &Api) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, report) = api.get("/admin/metrics?window=hour", Some(ADMIN_TOKEN));
        let orders = report.pointer("/funnel/orders_placed").and_then(Value::as_i64).unwrap_or(0);
        if status == 200 && (orders > 0 || Instant::now() > deadline) {
            let routes: Vec<Value> = report["routes"]
                .as_array()
                .map(|routes| {
                    routes
                        .iter()
                        .map(|r| json!({ "route": r["route"], "requests": r["requests"], "errors": r["errors"], "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"] }))
                        .collect()
                })
                .unwrap_or_default();
            println!(
                "  the shop's own metrics after the loads: {} requests, {orders} orders",
                report["requests"]
            );
            return json!({
                "requests": report["requests"], "errors": report["errors"], "funnel": report["funnel"],
                "revenue": report["revenue"], "page_cache_hit_ratio": report["page_cache_hit_ratio"],
                "queue_lag_ms": report["queue_lag_ms"], "routes": routes,
            });
        }
        if Instant::now() > deadline {
            return json!({ "error": format!("the metrics report answered {status}") });
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The "Recording metrics" section of SUMMARY.md.
pub fn table(md: &mut String, results: &BTreeMap<String, Value>) {
    use std::fmt::Write;
    if let Some(seen) = results.get("metrics_after_loads").filter(|s| s.get("requests").is_some()) {
        let _ = writeln!(md, "\n## The sample shop's loads on its own dashboard\n");
        let _ = writeln!(
            md,
            "What `GET /api/v1/admin/metrics` (the numbers `/admin/dashboard` draws) said after the sample shop's \
             loads: {} requests, {} with a 5xx; funnel {}; page-cache hit ratio {}.\n",
            seen["requests"], seen["errors"], seen["funnel"], seen["page_cache_hit_ratio"]
        );
        let _ = writeln!(md, "| route | requests | errors | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|");
        for r in seen["routes"].as_array().into_iter().flatten() {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                r["route"].as_str().unwrap_or(""),
                r["requests"],
                r["errors"],
                r["p50_ms"],
                r["p99_ms"]
            );
        }
    }
    let Some(cost) = results.get("metrics_cost") else {
        return;
    };
    let _ = writeln!(md, "\n## Recording metrics\n");
    let _ = writeln!(
        md,
        "Runtime CPU per request of the cached product page over the trivial route `/livez` (which records \
         nothing), in two shops alike but for `RECORD_METRICS`, on the runtime alone with the inspector off; \
         median of {ROUNDS} alternating rounds (every round is in `results.json`, `metrics_cost`).\n"
    );
    let _ = writeln!(md, "| metrics | page over floor, ms |\n|---|---:|");
    let ms = |name: &str| cost[name].as_f64().map_or("—".to_string(), |v| format!("{v:.3}"));
    let _ = writeln!(md, "| on (as shipped) | {} |", ms("page_over_floor_on_ms"));
    let _ = writeln!(md, "| off | {} |", ms("page_over_floor_off_ms"));
    let _ = writeln!(md, "\nRecording costs **{} ms** of CPU per request.", ms("cost_ms"));
}

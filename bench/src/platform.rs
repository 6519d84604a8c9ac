//! The platform's floor: the shop's CPU per request next to a no-op JavaScript worker
//! (`bench/noop`, a constant 2-byte response) served by the same wrangler and workerd,
//! behind the same static-asset router as the shop (which on this runtime is a worker
//! every request passes first); the same worker without assets is measured beside it.
//!
//! Every load runs in rounds that alternate between the no-op worker and the shop's
//! loads, and each keeps its median round: this machine's speed drifts by tens of
//! percent over minutes, which a floor measured once, minutes away, would fold into the
//! ratios. It runs twice: on the runtime alone with wrangler's inspector off (the
//! nearest this machine gets to a deployed worker) and under plain `wrangler dev`. The
//! shop logs as shipped.

use crate::{gets, project_root, publish_catalog, warmup, Bench, Scenario, Server, TempDir};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Rounds per load; each load keeps its median.
const ROUNDS: usize = 3;

/// Which server a load goes to.
#[derive(Clone, Copy)]
enum Target {
    /// The no-op worker behind the shop's static assets: the floor.
    Noop,
    /// The no-op worker alone.
    NoopBare,
    /// The shop with its full-page cache on.
    Cached,
    /// The shop with its full-page cache off: pages rendered from the in-isolate cache.
    Rendered,
}

/// One load of the comparison: its key (`platform:…`), name, target, path and size.
pub const LOADS: [(&str, &str, &str, u64); 9] = [
    ("platform:noop", "no-op JS worker behind static assets (platform floor)", "/livez", 4000),
    ("platform:noop_bare", "no-op JS worker, no static assets", "/livez", 4000),
    ("platform:livez", "shop /livez", "/livez", 4000),
    ("platform:product_cached", "product page, full-page cache", "/products/merino-crew-sweater", 3000),
    (
        "platform:collection_cached",
        "collection + filters, full-page cache",
        "/collections/knitwear?filter.size=M&sort=price-asc",
        3000,
    ),
    ("platform:search_cached", "search, full-page cache", "/search?q=wool", 3000),
    ("platform:product_rendered", "product page, rendered", "/products/merino-crew-sweater", 2000),
    (
        "platform:collection_rendered",
        "collection + filters, rendered",
        "/collections/knitwear?filter.size=M&sort=price-asc",
        2000,
    ),
    ("platform:search_rendered", "search, rendered", "/search?q=wool", 2000),
];

fn target_of(key: &str) -> Target {
    if key == "platform:noop" {
        Target::Noop
    } else if key == "platform:noop_bare" {
        Target::NoopBare
    } else if key.ends_with("_rendered") {
        Target::Rendered
    } else {
        Target::Cached
    }
}

/// The log route of a load's pages, for its profile.
fn route_of(key: &str) -> Option<&'static str> {
    if key.contains("product") {
        Some("products")
    } else if key.contains("collection") {
        Some("collections")
    } else if key.contains("search") {
        Some("search")
    } else {
        None
    }
}

/// Runs the comparison without and with wrangler's inspector; keeps each load's median
/// round in the bench and every round's CPU in `results["platform_rounds"]`.
pub fn compare(bench: &mut Bench, results: &mut BTreeMap<String, Value>) {
    let mut rounds: BTreeMap<String, Value> = BTreeMap::new();
    for inspector in [false, true] {
        let noop_state = TempDir::new("bench-noop");
        let bare_state = TempDir::new("bench-noop-bare");
        let cached_state = TempDir::new("bench-platform-cached");
        let rendered_state = TempDir::new("bench-platform-rendered");
        publish_catalog(&project_root().join("catalog"), cached_state.path());
        publish_catalog(&project_root().join("catalog"), rendered_state.path());
        let noop = Server::noop("wrangler.toml", noop_state.path(), inspector);
        let bare = Server::noop("bare.toml", bare_state.path(), inspector);
        let cached = Server::start_with(cached_state.path(), "sample", true, true, inspector);
        let rendered = Server::start_with(rendered_state.path(), "sample", false, true, inspector);
        let server = |target: Target| match target {
            Target::Noop => &noop,
            Target::NoopBare => &bare,
            Target::Cached => &cached,
            Target::Rendered => &rendered,
        };
        // Through wrangler's proxy under `wrangler dev` (as a developer reaches it); to the
        // runtime's own port without the inspector (as near to deployed as it gets here).
        let via_runtime = !inspector;
        println!(
            "platform floor: the no-op JS worker next to the shop, {ROUNDS} alternating rounds, {}",
            if inspector { "under wrangler dev" } else { "runtime alone, wrangler's inspector off" }
        );
        let mut measured: Vec<Vec<Scenario>> = vec![Vec::new(); LOADS.len()];
        for round in 0..ROUNDS {
            // Each round starts one load further on, so no load always follows the same one.
            for step in 0..LOADS.len() {
                let i = (step + round) % LOADS.len();
                let (key, name, path, requests) = LOADS[i];
                let warm = if round == 0 { 300 } else { 100 };
                let target = server(target_of(key));
                if let Some(s) = bench.run(
                    target,
                    key,
                    name,
                    via_runtime,
                    gets(path, requests),
                    warmup(path, warm),
                    route_of(key),
                ) {
                    measured[i].push(s);
                }
            }
        }
        for (i, mut runs) in measured.into_iter().enumerate() {
            let (key, ..) = LOADS[i];
            runs.sort_by(|a, b| a.cpu_runtime_ms.total_cmp(&b.cpu_runtime_ms));
            let cpu: Vec<f64> = runs.iter().map(|s| s.cpu_runtime_ms).collect();
            let Some(median) = runs.get(runs.len() / 2).cloned() else {
                eprintln!("{key}: no round measured");
                continue;
            };
            let via = median.via.clone();
            rounds.entry(key.to_string()).or_insert_with(|| json!({}))[via.as_str()] = json!(cpu);
            crate::print_scenario(&median);
            bench.scenarios.push(median);
        }
    }
    results.insert("platform_rounds".into(), json!(rounds));
}

/// The median of the no-op worker measured `via` (`runtime, no inspector` or `wrangler
/// dev`), if this run measured it.
pub fn floor<'a>(scenarios: &'a [Scenario], via: &str) -> Option<&'a Scenario> {
    find(scenarios, "platform:noop", via)
}

/// The median of the comparison's load `key` measured `via`.
pub fn find<'a>(scenarios: &'a [Scenario], key: &str, via: &str) -> Option<&'a Scenario> {
    scenarios.iter().find(|s| s.key == key && s.via == via)
}

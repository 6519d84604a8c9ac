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

/// One load of the comparison.
pub struct PlatformLoad {
    /// `platform:…`, as results and budgets name it.
    pub key: &'static str,
    pub name: &'static str,
    target: Target,
    path: &'static str,
    requests: u64,
    /// The route of its log lines, for its profile.
    route: Option<&'static str>,
}

const fn load(
    key: &'static str,
    name: &'static str,
    target: Target,
    path: &'static str,
    requests: u64,
    route: Option<&'static str>,
) -> PlatformLoad {
    PlatformLoad { key, name, target, path, requests, route }
}

const PRODUCT: &str = "/products/merino-crew-sweater";
const COLLECTION: &str = "/collections/knitwear?filter.size=M&sort=price-asc";
const SEARCH: &str = "/search?q=wool";

pub const LOADS: [PlatformLoad; 9] = [
    load(
        "platform:noop",
        "no-op JS worker behind static assets (platform floor)",
        Target::Noop,
        "/livez",
        4000,
        None,
    ),
    load("platform:noop_bare", "no-op JS worker, no static assets", Target::NoopBare, "/livez", 4000, None),
    load("platform:livez", "shop /livez", Target::Cached, "/livez", 4000, None),
    load(
        "platform:product_cached",
        "product page, full-page cache",
        Target::Cached,
        PRODUCT,
        3000,
        Some("products"),
    ),
    load(
        "platform:collection_cached",
        "collection + filters, full-page cache",
        Target::Cached,
        COLLECTION,
        3000,
        Some("collections"),
    ),
    load("platform:search_cached", "search, full-page cache", Target::Cached, SEARCH, 3000, Some("search")),
    load(
        "platform:product_rendered",
        "product page, rendered",
        Target::Rendered,
        PRODUCT,
        2000,
        Some("products"),
    ),
    load(
        "platform:collection_rendered",
        "collection + filters, rendered",
        Target::Rendered,
        COLLECTION,
        2000,
        Some("collections"),
    ),
    load("platform:search_rendered", "search, rendered", Target::Rendered, SEARCH, 2000, Some("search")),
];

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
                let Some(load) = LOADS.get(i) else { continue };
                let warm = if round == 0 { 300 } else { 100 };
                let target = server(load.target);
                if let Some(s) = bench.run(
                    target,
                    load.key,
                    load.name,
                    via_runtime,
                    gets(load.path, load.requests),
                    warmup(load.path, warm),
                    load.route,
                ) {
                    measured[i].push(s);
                }
            }
        }
        for (i, mut runs) in measured.into_iter().enumerate() {
            let key = LOADS.get(i).map_or("", |l| l.key);
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

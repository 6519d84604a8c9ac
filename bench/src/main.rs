//! `make bench`: speed, size and cost per request of the storefront, on this machine.
//!
//! Starts the release worker under `wrangler dev` on loopback (fresh local state, the
//! sample catalog, then generated catalogs of 1,000 and 100,000 products), drives bounded
//! loads with `wrk`, reads server CPU time from the kernel's per-process accounting
//! before and after each load, and writes `bench/results.json`, `bench/SUMMARY.md` and
//! `bench/latency.svg`. Budgets are checked and printed as verdicts; a missed budget is
//! reported with what dominates its cost, not failed.
//!
//! `BENCH_SCALE=sample` skips the generated catalogs (the 100k publish takes minutes the
//! first time; its local state is kept under `target/bench/` and reused);
//! `BENCH_SCALE=writes` runs only the write path on the runtime alone and writes its
//! results under `target/bench/writes/`; `BENCH_SCALE=platform` only the comparison with
//! a no-op JavaScript worker (`platform.rs`), under `target/bench/platform/`.

mod cpu;
mod metrics_cost;
mod platform;
mod publishing;
mod report;
mod writes;
mod wrk;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storefront_tests::commerce::{ready_cart, set_stock};
use storefront_tests::{agent, project_root, publish_catalog, Api, Shop, ShopOptions, TempDir};
use wrk::{Item, Load};

/// The bench publishes catalogs through the CLI's library: with the allocator the
/// `storefront` binary uses, so the publish times are the ones a merchant sees.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One measured load.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Scenario {
    pub key: String,
    pub name: String,
    /// `wrangler dev` (through its proxy) or `runtime` (the worker's workerd directly).
    pub via: String,
    /// Which catalog: `sample`, `1k`, `100k`.
    pub catalog: String,
    pub page_cache: bool,
    /// Whether the worker wrote its JSON log line for each request (`REQUEST_LOG`).
    pub request_log: bool,
    pub connections: u32,
    #[serde(flatten)]
    pub outcome: wrk::Outcome,
    /// Server CPU per request sent, in ms: the worker's runtime, and the processes in
    /// front of it (wrangler's proxy workerd and node).
    pub cpu_runtime_ms: f64,
    pub cpu_front_ms: f64,
    /// Averages of the worker's own log lines for these requests.
    pub profile: Option<Profile>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Profile {
    pub requests: usize,
    pub worker_ms: f64,
    pub do_calls: f64,
    /// The most Durable Object calls any one of these requests made.
    #[serde(default)]
    pub max_do_calls: u32,
    pub do_ms: f64,
    pub kv_reads: f64,
    pub kv_ms: f64,
}

/// A running shop and what the bench knows about its processes.
struct Server {
    shop: Shop,
    runtime: Vec<u32>,
    front: Vec<u32>,
    /// `http://127.0.0.1:PORT` of the runtime itself, without wrangler's proxy.
    direct: Option<String>,
    catalog: String,
    page_cache: bool,
    request_log: bool,
    /// Whether wrangler's inspector runs (as under `wrangler dev`).
    inspector: bool,
}

impl Server {
    fn start(state: &Path, catalog: &str, page_cache: bool, request_log: bool) -> Server {
        Server::start_with(state, catalog, page_cache, request_log, true)
    }

    /// `inspector: false` serves through `scripts/serve-no-inspector.mjs` instead of
    /// `wrangler dev`.
    fn start_with(
        state: &Path,
        catalog: &str,
        page_cache: bool,
        request_log: bool,
        inspector: bool,
    ) -> Server {
        // Page-cache hits are logged as shipped (one in ten): an empty var is an unset one.
        let mut vars = vec![("RESERVATION_TTL_SECONDS", "900"), ("LOG_HITS_EVERY", "")];
        if !page_cache {
            vars.push(("PAGE_CACHE", "off"));
        }
        if !request_log {
            vars.push(("REQUEST_LOG", "off"));
        }
        let shop = if inspector {
            Shop::start(ShopOptions::on(state).vars(&vars))
        } else {
            Shop::start(ShopOptions::on(state).vars(&vars).without_inspector())
        };
        Server::of(shop, catalog, page_cache, request_log, inspector)
    }

    /// The bench's no-op JavaScript worker (`bench/noop`, its config `config` there).
    fn noop(config: &str, state: &Path, inspector: bool) -> Server {
        let config = project_root().join("bench/noop").join(config);
        let options = ShopOptions::on(state).worker(&config);
        let shop = Shop::start(if inspector { options } else { options.without_inspector() });
        Server::of(shop, "none", false, false, inspector)
    }

    /// A started server and its processes: the runtime (the workerd whose own port
    /// answers `/livez` with `ok`) and what is in front of it.
    fn of(shop: Shop, catalog: &str, page_cache: bool, request_log: bool, inspector: bool) -> Server {
        let public_port: u16 = shop.base.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let processes = shop.process_group().map(cpu::group).unwrap_or_default();
        let mut runtime = Vec::new();
        let mut direct = None;
        for p in processes.iter().filter(|p| p.name == "workerd") {
            for port in cpu::listening_ports(p.pid).into_iter().filter(|port| *port != public_port) {
                let base = format!("http://127.0.0.1:{port}");
                let answered = agent()
                    .get(&format!("{base}/livez"))
                    .call()
                    .ok()
                    .and_then(|mut r| r.body_mut().read_to_string().ok())
                    .is_some_and(|body| body == "ok");
                if answered {
                    runtime.push(p.pid);
                    direct = Some(base);
                    break;
                }
            }
        }
        let front = processes.iter().map(|p| p.pid).filter(|pid| !runtime.contains(pid)).collect();
        Server {
            shop,
            runtime,
            front,
            direct,
            catalog: catalog.to_string(),
            page_cache,
            request_log,
            inspector,
        }
    }

    fn base(&self, via_runtime: bool) -> Option<String> {
        if via_runtime {
            self.direct.clone()
        } else {
            Some(self.shop.base.clone())
        }
    }
}

/// `n` GETs of one path over 10 connections.
fn gets(path: &str, n: u64) -> Load {
    Load { items: vec![Item::get(path)], connections: 10, requests: n }
}

/// A warm-up of `n` GETs of one path over 4 connections.
fn warmup(path: &str, n: u64) -> Option<Load> {
    Some(Load { items: vec![Item::get(path)], connections: 4, requests: n })
}

struct Bench {
    ticks: f64,
    scripts: TempDir,
    scenarios: Vec<Scenario>,
}

impl Bench {
    /// The trivial route `/livez`: the floor other loads are compared with.
    fn floor(&mut self, server: &Server, via_runtime: bool, requests: u64, warm: u64) {
        let label = "trivial route /livez (floor)";
        self.measure(
            server,
            "floor",
            label,
            via_runtime,
            gets("/livez", requests),
            warmup("/livez", warm),
            None,
        );
    }

    /// The floor again, right before the load `key`: the machine's speed drifts over
    /// minutes here, so a write load is compared with a floor measured next to it.
    pub(crate) fn floor_before(&mut self, server: &Server, via_runtime: bool, key: &str) {
        let label = format!("trivial route /livez (floor, next to {key})");
        self.measure(
            server,
            &format!("floor:{key}"),
            &label,
            via_runtime,
            gets("/livez", 3000),
            warmup("/livez", 200),
            None,
        );
    }

    /// Warms up with `warmup` requests, then measures `load` (CPU read around it); the
    /// result is printed and kept.
    #[allow(clippy::too_many_arguments)]
    fn measure(
        &mut self,
        server: &Server,
        key: &str,
        name: &str,
        via_runtime: bool,
        load: Load,
        warmup: Option<Load>,
        profile_route: Option<&str>,
    ) -> Option<Scenario> {
        let scenario = self.run(server, key, name, via_runtime, load, warmup, profile_route)?;
        print_scenario(&scenario);
        self.scenarios.push(scenario.clone());
        Some(scenario)
    }

    /// [`Bench::measure`] without printing or keeping the result (one round of several).
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        server: &Server,
        key: &str,
        name: &str,
        via_runtime: bool,
        load: Load,
        warmup: Option<Load>,
        profile_route: Option<&str>,
    ) -> Option<Scenario> {
        let base = server.base(via_runtime)?;
        let label = format!("{key}-{}-{}", server.catalog, if via_runtime { "runtime" } else { "proxy" });
        if let Some(warm) = warmup {
            if let Err(e) = wrk::run(&base, &warm, self.scripts.path(), &format!("{label}-warmup")) {
                eprintln!("warm-up of {name}: {e}");
            }
        }
        std::thread::sleep(Duration::from_millis(300));
        let processes: Vec<cpu::Process> = server.shop.process_group().map(cpu::group).unwrap_or_default();
        let log_offset = server.shop.log().len();
        let before = cpu::sample(&processes);
        let outcome = match wrk::run(&base, &load, self.scripts.path(), &label) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("{name}: {e}");
                return None;
            }
        };
        // Requests still in flight when wrk stopped finish on the server; after orders,
        // their forwarding (alarm after 200 ms) and the queue's batch (after up to 1 s)
        // belong to the load too.
        std::thread::sleep(Duration::from_millis(if key == "checkout" { 2_500 } else { 500 }));
        let after = cpu::sample(&processes);
        let per_request = |pids: &[u32]| {
            after.since(&before, pids) as f64 * 1000.0 / self.ticks / outcome.sent.max(1) as f64
        };
        let log = server.shop.log();
        let profile = profile_route.map(|route| profile_of(log.get(log_offset..).unwrap_or(""), route));
        let scenario = Scenario {
            key: key.to_string(),
            name: name.to_string(),
            via: match (via_runtime, server.inspector) {
                (true, true) => "runtime".into(),
                (false, true) => "wrangler dev".into(),
                (true, false) => "runtime, no inspector".into(),
                (false, false) => "proxy, no inspector".into(),
            },
            catalog: server.catalog.clone(),
            page_cache: server.page_cache,
            request_log: server.request_log,
            connections: load.connections,
            cpu_runtime_ms: per_request(&server.runtime),
            cpu_front_ms: per_request(&server.front),
            outcome,
            profile,
        };
        Some(scenario)
    }
}

impl Scenario {
    /// How the load was run, beyond its name: `wrangler dev` or `runtime` (`… no
    /// inspector` with wrangler's inspector off), the catalog when not the sample, and
    /// `no request log` when the log line was off.
    pub fn tags(&self) -> String {
        let mut tags = vec![self.via.clone()];
        if self.catalog != "sample" {
            tags.push(self.catalog.clone());
        }
        if !self.request_log {
            tags.push("no request log".into());
        }
        tags.join(", ")
    }
}

pub(crate) fn print_scenario(s: &Scenario) {
    let o = &s.outcome;
    println!(
        "  {:<44} {:>7.0} req/s  p50 {:>6.1}  p95 {:>6.1}  p99 {:>6.1} ms  err {:>5.1}%  cpu {:>5.2} ms runtime + {:>4.2} front",
        format!("{} [{}]", s.name, s.tags()),
        o.requests_per_second,
        o.p50_ms,
        o.p95_ms,
        o.p99_ms,
        o.error_rate * 100.0,
        s.cpu_runtime_ms,
        s.cpu_front_ms
    );
}

/// Averages of the worker's JSON log lines for one route.
fn profile_of(log: &str, route: &str) -> Profile {
    profile_where(log, |v| v["route"] == route)
}

/// Averages of the worker's JSON log lines that `pick` picks, each line weighted by the
/// requests it stands for (`sample`: the shop logs one page-cache hit in several).
fn profile_where(log: &str, pick: impl Fn(&Value) -> bool) -> Profile {
    let mut p = Profile::default();
    let mut weight = 0.0;
    for v in storefront_tests::budgets::log_lines(log).filter(|v| pick(v)) {
        let n = v["sample"].as_f64().filter(|n| *n >= 1.0).unwrap_or(1.0);
        weight += n;
        p.requests += n as usize;
        p.worker_ms += n * v["ms"].as_f64().unwrap_or(0.0);
        let calls = v["do_calls"].as_f64().unwrap_or(0.0);
        p.do_calls += n * calls;
        p.max_do_calls = p.max_do_calls.max(calls as u32);
        p.do_ms += n * v["do_ms"].as_f64().unwrap_or(0.0);
        p.kv_reads += n * v["kv_reads"].as_f64().unwrap_or(0.0);
        p.kv_ms += n * v["kv_ms"].as_f64().unwrap_or(0.0);
    }
    let n = if weight > 0.0 { weight } else { 1.0 };
    Profile {
        requests: p.requests,
        worker_ms: p.worker_ms / n,
        do_calls: p.do_calls / n,
        max_do_calls: p.max_do_calls,
        do_ms: p.do_ms / n,
        kv_reads: p.kv_reads / n,
        kv_ms: p.kv_ms / n,
    }
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    encoder.finish().map(|v| v.len()).unwrap_or(0)
}

/// JS and Wasm a page makes the browser load: inline module scripts and every
/// `/pkg/…` file it references, gzip-compressed.
fn js_wasm_bytes(html: &str) -> (usize, Vec<String>) {
    let mut total = 0;
    let mut files: Vec<String> = Vec::new();
    for part in html.split("<script type=\"module\"").skip(1) {
        let body = part.split_once('>').map(|(_, rest)| rest).unwrap_or("");
        let script = body.split("</script>").next().unwrap_or("");
        total += gzip_len(script.as_bytes());
    }
    for part in html.split("/pkg/").skip(1) {
        let name: String =
            part.chars().take_while(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect();
        if !name.is_empty() && !files.contains(&name) {
            files.push(name);
        }
    }
    for name in &files {
        if let Ok(bytes) = std::fs::read(project_root().join("public/pkg").join(name)) {
            total += gzip_len(&bytes);
        }
    }
    (total, files)
}

fn get_text(url: &str) -> String {
    agent().get(url).call().ok().and_then(|mut r| r.body_mut().read_to_string().ok()).unwrap_or_default()
}

/// Worker size and startup.
fn sizes() -> Value {
    let wasm = std::fs::read(project_root().join("worker/build/index_bg.wasm")).unwrap_or_default();
    let profile = std::env::temp_dir().join(format!("storefront-startup-{}.cpuprofile", std::process::id()));
    let status = std::process::Command::new("npx")
        .args(["--no-install", "wrangler", "check", "startup", "--outfile"])
        .arg(&profile)
        .current_dir(project_root())
        .env("STOREFRONT_PREBUILT", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let startup_ms = std::fs::read_to_string(&profile)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|p| Some((p["endTime"].as_f64()? - p["startTime"].as_f64()?) / 1000.0))
        .filter(|_| status.is_ok_and(|s| s.success()));
    let _ = std::fs::remove_file(&profile);
    json!({
        "worker_wasm_bytes": wasm.len(),
        "worker_wasm_gzip_bytes": gzip_len(&wasm),
        "startup_ms": startup_ms,
    })
}

/// A realistic browse: home, collections (some filtered or sorted), products, content
/// pages and searches, popular ones more often.
fn browse_mix() -> Vec<Item> {
    let mut paths: Vec<String> = Vec::new();
    for _ in 0..4 {
        paths.push("/".into());
        paths.push("/products/merino-crew-sweater".into());
        paths.push("/collections/knitwear".into());
    }
    for c in ["apparel", "bags", "home", "stationery", "tees", "kitchen"] {
        paths.push(format!("/collections/{c}"));
    }
    for q in ["?sort=price-asc", "?filter.size=M", "?filter.colour=Oat&sort=name", "?page=1"] {
        paths.push(format!("/collections/apparel{q}"));
    }
    for p in [
        "alpaca-scarf",
        "beeswax-candle",
        "brass-pen",
        "dot-grid-notebook",
        "fisherman-cable-cardigan",
        "heavyweight-pocket-tee",
        "leather-card-holder",
        "linen-tea-towels",
        "organic-cotton-tee",
        "pour-over-coffee-set",
        "roll-top-daypack",
        "stoneware-mug",
        "waxed-canvas-tote",
        "wool-throw-blanket",
    ] {
        paths.push(format!("/products/{p}"));
    }
    paths.push("/products/merino-crew-sweater?variant=MCS-M-OAT".into());
    for q in ["wool", "mug", "tote", "linen"] {
        paths.push(format!("/search?q={q}"));
    }
    for p in ["about", "shipping", "returns"] {
        paths.push(format!("/pages/{p}"));
    }
    paths.iter().map(|p| Item::get(p)).collect()
}

/// Checkouts ready to complete (contact, address and shipping set), made by `shoppers`
/// at once; also times each shopper's steps (new cart, add, contact, address, shipping).
pub(crate) fn prepare_checkouts(
    api: &Api,
    count: usize,
    shoppers: usize,
    skus: &[&str],
) -> (Vec<(String, String, i64)>, Vec<f64>) {
    let carts = Arc::new(Mutex::new(Vec::new()));
    let flows = Arc::new(Mutex::new(Vec::new()));
    let per = count.div_ceil(shoppers);
    let threads: Vec<_> = (0..shoppers)
        .map(|t| {
            let (api, carts, flows) = (api.clone(), Arc::clone(&carts), Arc::clone(&flows));
            let skus: Vec<String> = skus.iter().map(|s| s.to_string()).collect();
            std::thread::spawn(move || {
                for i in 0..per {
                    let n = t * per + i;
                    let started = Instant::now();
                    let cart = ready_cart(&api, &skus[n % skus.len()], 1, &format!("bench-{n}@example.com"));
                    flows
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(started.elapsed().as_secs_f64() * 1000.0);
                    carts.lock().unwrap_or_else(|e| e.into_inner()).push(cart);
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let mut carts = std::mem::take(&mut *carts.lock().unwrap_or_else(|e| e.into_inner()));
    carts.truncate(count);
    let flows = std::mem::take(&mut *flows.lock().unwrap_or_else(|e| e.into_inner()));
    (carts, flows)
}

fn complete_item(id: &str, token: &str, total: i64, key: &str) -> Item {
    let body = json!({ "card": "4242 4242 4242 4242", "expected_total": total }).to_string();
    Item::json("POST", &format!("/api/v1/checkouts/{id}/complete"), Some(token), &body)
        .with_header("Idempotency-Key", key)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

const CHECKOUT_SKUS: [&str; 5] = ["LTT-SET2", "BRP-1", "SWM-SLATE", "DGN-SAND", "POC-SET"];
/// The sample shop with the full-page cache on: every shopper-facing load.
fn sample_shop(bench: &mut Bench, results: &mut BTreeMap<String, Value>) {
    let state = TempDir::new("bench-sample");
    publish_catalog(&project_root().join("catalog"), state.path());
    let server = Server::start(state.path(), "sample", true, true);
    println!("sample catalog, full-page cache on (runtime port {:?})", server.direct);
    let api = Api::new(&server.shop);

    // Bytes of JS and Wasm each page type ships.
    let mut shipped = BTreeMap::new();
    for (kind, path) in [
        ("home", "/"),
        ("collection", "/collections/knitwear"),
        ("product", "/products/merino-crew-sweater"),
        ("search", "/search?q=wool"),
        ("content page", "/pages/about"),
        ("cart", "/cart"),
        ("checkout", "/checkout"),
        ("order lookup", "/orders/lookup"),
    ] {
        let (bytes, files) = js_wasm_bytes(&get_text(&server.shop.url(path)));
        shipped.insert(kind.to_string(), json!({ "path": path, "gzip_bytes": bytes, "files": files }));
    }
    results.insert("js_wasm_per_page".into(), json!(shipped));

    for via_runtime in [false, true] {
        bench.floor(&server, via_runtime, 4000, 200);
        bench.measure(
            &server,
            "product_cached",
            "product page, full-page cache",
            via_runtime,
            gets("/products/merino-crew-sweater", 4000),
            warmup("/products/merino-crew-sweater", 200),
            Some("products"),
        );
    }
    let collection = "/collections/knitwear?filter.size=M&sort=price-asc";
    bench.measure(
        &server,
        "collection_cached",
        "collection + filters, full-page cache",
        false,
        gets(collection, 3000),
        warmup(collection, 200),
        Some("collections"),
    );
    bench.measure(
        &server,
        "search_cached",
        "search, full-page cache",
        false,
        gets("/search?q=wool", 3000),
        warmup("/search?q=wool", 200),
        Some("search"),
    );

    // Add to cart: 40 carts × 10 SKUs, one unit per request.
    writes::add_to_cart(bench, &server, &api, false);

    // Browse mix: the page-cache hit ratio.
    bench.measure(
        &server,
        "browse_mix",
        "browse mix (40 URLs)",
        false,
        Load { items: browse_mix(), connections: 10, requests: 3000 },
        None,
        None,
    );

    checkout_load(bench, &server, &api, 600, false, Some(results));
    writes::hot_sku(bench, &server, &api, false);
    println!("round trips per operation (from the worker's log line)");
    results.insert("round_trips".into(), writes::round_trips(&server, &api));
    results.insert("metrics_after_loads".into(), metrics_cost::after_loads(&api));
    drop(server);
}

/// 50 shoppers at once completing prepared checkouts (each a different cart), sent
/// through wrangler's proxy or to the runtime alone; with `results`, also records the
/// timing of the steps before paying.
fn checkout_load(
    bench: &mut Bench,
    server: &Server,
    api: &Api,
    count: usize,
    via_runtime: bool,
    results: Option<&mut BTreeMap<String, Value>>,
) {
    for sku in CHECKOUT_SKUS {
        set_stock(api, sku, 1_000_000);
    }
    let log_offset = server.shop.log().len();
    let (carts, flows) = prepare_checkouts(api, count, 50, &CHECKOUT_SKUS);
    let mut flows = flows;
    flows.sort_by(f64::total_cmp);
    if let Some(results) = results {
        // Every contact, address and shipping PUT the shoppers made, from the worker's log.
        let log = server.shop.log();
        let steps = profile_where(log.get(log_offset..).unwrap_or(""), |v| {
            v["method"] == "PUT" && v["path"].as_str().is_some_and(|p| p.starts_with("/api/v1/checkouts/"))
        });
        results.insert(
            "checkout_steps".into(),
            json!({
                "what": "one shopper's steps before paying: new cart, add a line, contact, address, shipping (5 API calls), 50 shoppers at once",
                "shoppers": 50,
                "flows": flows.len(),
                "p50_ms": percentile(&flows, 0.5),
                "p95_ms": percentile(&flows, 0.95),
                "p99_ms": percentile(&flows, 0.99),
                "step_profile": steps,
            }),
        );
    }
    let items: Vec<Item> = carts
        .iter()
        .enumerate()
        .map(|(i, (id, token, total))| complete_item(id, token, *total, &format!("bench-{i}")))
        .collect();
    let (warm_items, load_items) = items.split_at(100.min(items.len()));
    bench.floor_before(server, via_runtime, "checkout");
    bench.measure(
        server,
        "checkout",
        "checkout: complete (pay + order), 50 at once",
        via_runtime,
        Load { items: load_items.to_vec(), connections: 50, requests: load_items.len() as u64 },
        Some(Load { items: warm_items.to_vec(), connections: 50, requests: warm_items.len() as u64 }),
        server.request_log.then_some("api:checkouts"),
    );
}

/// The same pages and checkout with the per-request log line off (`REQUEST_LOG=off`):
/// how much of each cost is the log line. The checkout goes to the runtime alone here,
/// the nearest this machine gets to the worker as deployed.
fn quiet_shop(bench: &mut Bench) {
    for page_cache in [true, false] {
        let state = TempDir::new("bench-quiet");
        publish_catalog(&project_root().join("catalog"), state.path());
        let server = Server::start(state.path(), "sample", page_cache, false);
        println!("sample catalog, full-page cache {}, no request log", if page_cache { "on" } else { "off" });
        let product = "/products/merino-crew-sweater";
        let (key, name) = if page_cache {
            ("product_cached", "product page, full-page cache")
        } else {
            ("product_rendered", "product page, rendered")
        };
        for via_runtime in [false, true] {
            bench.floor(&server, via_runtime, 4000, 200);
            bench.measure(&server, key, name, via_runtime, gets(product, 4000), warmup(product, 200), None);
        }
        if page_cache {
            checkout_load(bench, &server, &Api::new(&server.shop), 400, true, None);
        }
    }
}

/// The floor, the cached product page and the checkout on the runtime alone, with
/// wrangler's inspector off too: what is left is the worker's own cost.
fn no_inspector_shop(bench: &mut Bench, results: &mut BTreeMap<String, Value>) {
    let state = TempDir::new("bench-no-inspector");
    publish_catalog(&project_root().join("catalog"), state.path());
    let server = Server::start_with(state.path(), "sample", true, false, false);
    println!("sample catalog, full-page cache on, no request log, wrangler's inspector off");
    let product = "/products/merino-crew-sweater";
    bench.floor(&server, true, 4000, 200);
    bench.measure(
        &server,
        "product_cached",
        "product page, full-page cache",
        true,
        gets(product, 4000),
        warmup(product, 200),
        None,
    );
    let api = Api::new(&server.shop);
    writes::add_to_cart(bench, &server, &api, true);
    checkout_load(bench, &server, &api, 400, true, None);
    writes::hot_sku(bench, &server, &api, true);
    println!("  hot SKU, one inventory object asked directly");
    let ticks = bench.ticks;
    results.insert("hot_sku_object".into(), writes::hold_burst(&server, &api, ticks));
}

/// The sample shop with the full-page cache off: pages rendered from the in-isolate
/// catalog cache.
fn render_shop(bench: &mut Bench) {
    let state = TempDir::new("bench-render");
    publish_catalog(&project_root().join("catalog"), state.path());
    let server = Server::start(state.path(), "sample", false, true);
    println!("sample catalog, full-page cache off (pages rendered from the in-isolate cache)");
    for via_runtime in [false, true] {
        bench.floor(&server, via_runtime, 4000, 200);
        bench.measure(
            &server,
            "product_rendered",
            "product page, rendered",
            via_runtime,
            gets("/products/merino-crew-sweater", 2000),
            warmup("/products/merino-crew-sweater", 200),
            Some("products"),
        );
    }
    let collection = "/collections/knitwear?filter.size=M&sort=price-asc";
    bench.measure(
        &server,
        "collection_rendered",
        "collection + filters, rendered",
        false,
        gets(collection, 2000),
        warmup(collection, 200),
        Some("collections"),
    );
    bench.measure(
        &server,
        "search_rendered",
        "search, rendered",
        false,
        gets("/search?q=wool", 2000),
        warmup("/search?q=wool", 200),
        Some("search"),
    );
}

/// Product page and search of a generated catalog of `products` (full-page cache off).
fn scale_shop(bench: &mut Bench, results: &mut BTreeMap<String, Value>, products: usize, label: &str) {
    let state = project_root().join("target/bench").join(format!("state-{label}"));
    let marker = state.join("published-version");
    let source = std::env::temp_dir().join(format!("storefront-bench-catalog-{label}"));
    let _ = std::fs::remove_dir_all(&source);
    if let Err(e) = storefront_cli::generate::generate(products, &source, 7) {
        eprintln!("generating {label}: {e}");
        return;
    }
    let built = match storefront_cli::load_and_build(&source, &project_root().join("public")) {
        Ok(b) => b,
        Err(problems) => {
            eprintln!("the generated {label} catalog is invalid: {:?}", problems.0);
            return;
        }
    };
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(built.version.as_str()) {
        println!(
            "publishing the generated {label} catalog to {} (once; kept for later runs)",
            state.display()
        );
        let _ = std::fs::remove_dir_all(&state);
        let _ = std::fs::create_dir_all(&state);
        if let Err(e) = publishing::publish_full(&source, &state) {
            eprintln!("publishing the generated {label} catalog: {e}");
            return;
        }
        let _ = std::fs::write(&marker, &built.version);
    }
    println!("publishing cost at {label}");
    results
        .entry("publishing".to_string())
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .map(|o| o.insert(label.to_string(), publishing::measure(&source, &state, label)));
    let _ = std::fs::remove_dir_all(&source);
    let server = Server::start(&state, label, false, true);
    println!("generated catalog of {products} products, full-page cache off");
    let listing: Value =
        serde_json::from_str(&get_text(&server.shop.url("/api/v1/products?page=7"))).unwrap_or_default();
    let handle = listing["products"][3]["handle"].as_str().unwrap_or("").to_string();
    if handle.is_empty() {
        eprintln!("no product found in the {label} catalog");
        return;
    }
    let product = format!("/products/{handle}");
    bench.floor(&server, false, 2000, 100);
    bench.measure(
        &server,
        "product_rendered",
        "product page, rendered",
        false,
        gets(&product, 1500),
        warmup(&product, 100),
        Some("products"),
    );
    bench.measure(
        &server,
        "search_rendered",
        "search \"merino\", rendered",
        false,
        gets("/search?q=merino", 1500),
        warmup("/search?q=merino", 100),
        Some("search"),
    );
}

fn main() {
    let scale = std::env::var("BENCH_SCALE").unwrap_or_else(|_| "full".into());
    let started = Instant::now();
    let mut bench =
        Bench { ticks: cpu::ticks_per_second(), scripts: TempDir::new("bench-wrk"), scenarios: Vec::new() };
    let mut results: BTreeMap<String, Value> = BTreeMap::new();
    println!("sizes");
    let sizes = sizes();
    println!(
        "  worker wasm {} bytes raw, {} gzip; startup {:?} ms",
        sizes["worker_wasm_bytes"],
        sizes["worker_wasm_gzip_bytes"],
        sizes["startup_ms"].as_f64()
    );
    results.insert("sizes".into(), sizes);
    if scale == "writes" {
        // Only the write path on the runtime alone, for quick comparisons; results go to
        // target/bench so the committed full run stays as it is.
        no_inspector_shop(&mut bench, &mut results);
    } else if scale == "metrics" {
        // Only what recording metrics costs, likewise into target/bench.
        metrics_cost::measure(&mut bench, &mut results);
    } else if scale == "platform" {
        // Only the comparison with the no-op worker, likewise into target/bench.
        platform::compare(&mut bench, &mut results);
    } else {
        platform::compare(&mut bench, &mut results);
        sample_shop(&mut bench, &mut results);
        render_shop(&mut bench);
        quiet_shop(&mut bench);
        no_inspector_shop(&mut bench, &mut results);
        metrics_cost::measure(&mut bench, &mut results);
    }
    if scale == "full" {
        scale_shop(&mut bench, &mut results, 1_000, "1k");
        scale_shop(&mut bench, &mut results, 100_000, "100k");
    }
    results.insert("scenarios".into(), json!(bench.scenarios));
    results.insert("bench_seconds".into(), json!(started.elapsed().as_secs()));
    let out_dir: PathBuf = if matches!(scale.as_str(), "writes" | "platform" | "metrics") {
        project_root().join("target/bench").join(&scale)
    } else {
        project_root().join("bench")
    };
    match report::write(&out_dir, results) {
        Ok(verdicts) => {
            println!("budgets");
            for v in verdicts {
                println!("  {v}");
            }
            println!("wrote results.json, SUMMARY.md and latency.svg in {}", out_dir.display());
        }
        Err(e) => {
            eprintln!("writing the results: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_bytes_count_inline_modules_and_referenced_packages_once() {
        let none = js_wasm_bytes("<html><body><h1>Home</h1></body></html>");
        assert_eq!(none, (0, vec![]));
        let page = "<script type=\"module\" nonce=\"n\">import init from '/pkg/a.js';init('/pkg/a_bg.wasm')</script>\
                    <link rel=\"modulepreload\" href=\"/pkg/a.js\">";
        let (bytes, files) = js_wasm_bytes(page);
        assert_eq!(files, vec!["a.js".to_string(), "a_bg.wasm".to_string()]);
        assert!(bytes > 0);
    }

    #[test]
    fn percentiles_pick_from_sorted_samples() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.5), 51.0);
        assert_eq!(percentile(&samples, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn profiles_average_the_log_lines_of_one_route() {
        let log = "noise\n\
            [wrangler:info] {\"request_id\":\"a\",\"cache\":\"hit\",\"route\":\"products\",\"ms\":2.0,\"do_calls\":1,\"do_ms\":1.0,\"kv_reads\":0,\"kv_ms\":0,\"sample\":3}\n\
            {\"request_id\":\"b\",\"cache\":\"miss\",\"route\":\"products\",\"ms\":6.0,\"do_calls\":5,\"do_ms\":3.0,\"kv_reads\":4,\"kv_ms\":8.0}\n\
            {\"request_id\":\"c\",\"cache\":\"bypass\",\"route\":\"cart\",\"ms\":100.0}\n";
        let p = profile_of(log, "products");
        assert_eq!(p.requests, 4, "a sampled line stands for its sample");
        assert_eq!(p.worker_ms, 3.0);
        assert_eq!(p.do_calls, 2.0);
        assert_eq!(p.max_do_calls, 5);
        assert_eq!(p.kv_reads, 1.0);
        assert_eq!(p.kv_ms, 2.0);
    }
}

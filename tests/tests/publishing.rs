//! Publishing and caching against a real `wrangler dev`: an incremental publish
//! switches versions atomically under load, rollback restores the previous version, an
//! interrupted publish changes nothing until it is run again, prune keeps every page of
//! the versions it keeps, ETags give 304s, repeated requests hit the page cache, and a
//! page's KV cost does not grow with the catalog.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storefront_cli::publish::{prune, PublishOptions};
use storefront_tests::html::{element_containing, text};
use storefront_tests::{
    copy_dir, local_target, nonces_in, project_root, publish_catalog, publish_catalog_with,
    publish_sample_catalog, rollback_catalog, without_nonces, Reply, Shop, ShopOptions, Shopper, TempDir,
};

fn main() {
    let mut args = Arguments::from_args();
    // These tests publish into their shops: run them one after another.
    args.test_threads = Some(1);
    let trials = storefront_tests::trials![
        a_matching_etag_gets_304_without_reading_documents,
        a_second_identical_request_is_a_page_cache_hit,
        publishing_switches_atomically_and_rollback_restores,
        an_interrupted_publish_changes_nothing_until_it_is_rerun,
        prune_keeps_every_page_of_the_kept_versions,
        page_reads_do_not_grow_with_the_catalog
    ];
    libtest_mimic::run(&args, trials).exit();
}

fn a_matching_etag_gets_304_without_reading_documents() {
    let state = TempDir::new("etag");
    let shop = Shop::start(ShopOptions::fresh(&state));
    let mut shopper = Shopper::new(&shop);
    let first = shopper.get("/products/brass-pen");
    assert_eq!(first.status, 200);
    let etag = first.header("etag").expect("catalog pages carry an ETag").to_string();
    assert!(first.header("cache-control").unwrap_or("").contains("stale-while-revalidate"));

    let revalidated = shopper.get_with("/products/brass-pen", &[("if-none-match", &etag)]);
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.body.is_empty());
    assert_eq!(revalidated.header("etag"), Some(etag.as_str()));
    assert_eq!(revalidated.page_cache().as_deref(), Some("revalidated"));
    assert_eq!(revalidated.timing_count("kv"), Some(0), "a 304 reads no documents");

    let other = shopper.get_with("/products/brass-pen", &[("if-none-match", "W/\"someone-else\"")]);
    assert_eq!(other.status, 200);
    let different_page = shopper.get_with("/products/stoneware-mug", &[("if-none-match", &etag)]);
    assert_eq!(different_page.status, 200, "an ETag is only valid for its own page");
    // Carts are never cached or validated.
    let cart = shopper.get("/cart");
    assert_eq!(cart.header("cache-control"), Some("no-store"));
    assert_eq!(cart.header("etag"), None);
    assert_eq!(cart.page_cache().as_deref(), Some("bypass"));
}

fn a_second_identical_request_is_a_page_cache_hit() {
    let state = TempDir::new("hit");
    let shop = Shop::start(ShopOptions::fresh(&state));
    let mut shopper = Shopper::new(&shop);
    for path in [
        "/collections/kitchen",
        "/products/linen-tea-towels?variant=LTT-SET2",
        "/pages/about",
        "/sitemap.xml",
    ] {
        let first = shopper.get(path);
        assert_eq!(first.status, 200, "{path}");
        assert_eq!(first.page_cache().as_deref(), Some("miss"), "{path}: first request");
        let second = shopper.get(path);
        assert_eq!(second.page_cache().as_deref(), Some("hit"), "{path}: second request");
        assert_eq!(
            without_nonces(&second.body),
            without_nonces(&first.body),
            "{path}: the cached page is the page"
        );
        if !nonces_in(&first.body).is_empty() {
            assert_ne!(nonces_in(&second.body), nonces_in(&first.body), "{path}: a fresh nonce per response");
        }
        assert_eq!(second.timing_count("kv"), Some(0), "{path}: a hit reads nothing from KV");
    }
    // Junk query parameters do not split the cache.
    let junk = shopper.get("/collections/kitchen?utm_source=newsletter");
    assert_eq!(junk.page_cache().as_deref(), Some("hit"));
}

/// The sample catalog with a new tagline and product title: a recognisable v2.
fn make_v2(dir: &Path) {
    copy_dir(&project_root().join("catalog"), dir);
    let store = dir.join("store.toml");
    let text = std::fs::read_to_string(&store).unwrap();
    std::fs::write(&store, text.replacen("tagline = \"Well-made", "tagline = \"Version two: well-made", 1))
        .unwrap();
    let pen = dir.join("products/brass-pen.toml");
    let text = std::fs::read_to_string(&pen).unwrap();
    std::fs::write(
        &pen,
        text.replacen("title = \"Solid Brass Pen\"", "title = \"Solid Brass Pen, Mark II\"", 1),
    )
    .unwrap();
}

/// Which version a page is wholly from, or why it is a mix.
fn classify(reply: &Reply, v1: &str, v2: &str) -> Result<u8, String> {
    let marker = reply.page_version().ok_or("no version marker")?;
    let header = reply.header("x-catalog-version").unwrap_or_default();
    if marker != header {
        return Err(format!("marker {marker} but header {header}"));
    }
    let page = text(&reply.body);
    let says_v2 = page.contains("Version two: well-made");
    let pen_v2 = page.contains("Mark II");
    let mentions_pen = page.contains("Solid Brass Pen");
    let version = if marker == v1 {
        1
    } else if marker == v2 {
        2
    } else {
        return Err(format!("unknown version {marker}"));
    };
    let consistent = (says_v2 == (version == 2)) && (!mentions_pen || pen_v2 == (version == 2));
    if consistent {
        Ok(version)
    } else {
        Err(format!("page marked v{version} shows tagline v2={says_v2}, pen v2={pen_v2}"))
    }
}

fn publishing_switches_atomically_and_rollback_restores() {
    let state = TempDir::new("publish");
    let v1 = publish_sample_catalog(state.path());
    let shop = Shop::start(ShopOptions::on(state.path()));
    let v2_dir = TempDir::new("catalog-v2");
    make_v2(v2_dir.path());

    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<(Instant, u8)>>> = Arc::new(Mutex::new(Vec::new()));
    let mixed: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let v2_expected =
        storefront_cli::load_and_build(v2_dir.path(), &project_root().join("public")).unwrap().version;
    let readers: Vec<_> = ["/products/brass-pen", "/", "/collections/stationery", "/pages/about"]
        .into_iter()
        .map(|path| {
            let (stop, seen, mixed) = (Arc::clone(&stop), Arc::clone(&seen), Arc::clone(&mixed));
            let mut shopper = Shopper::new(&shop);
            let (v1, v2) = (v1.clone(), v2_expected.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let reply = shopper.get(path);
                    assert_eq!(reply.status, 200, "{path}");
                    match classify(&reply, &v1, &v2) {
                        Ok(version) => seen.lock().unwrap().push((Instant::now(), version)),
                        Err(why) => mixed.lock().unwrap().push(format!("{path}: {why}")),
                    }
                }
            })
        })
        .collect();

    std::thread::sleep(Duration::from_millis(500));
    let published_at = Instant::now();
    let report = publish_catalog_with(v2_dir.path(), state.path(), &PublishOptions::default()).unwrap();
    let v2 = report.version.clone();
    assert_eq!(v2, v2_expected);
    // Incremental: only what the new tagline and title touch is uploaded.
    assert_eq!(report.base, v1, "v2 inherits v1's unchanged documents: {report:?}");
    assert!(report.changed > 0 && report.changed * 4 < report.documents, "{report:?}");
    assert_eq!(
        report.keys_written,
        report.changed + 6,
        "documents, mark, root, manifest, history, pointer, mark cleared"
    );
    let published = Instant::now();
    // Wait for the switch to show (each isolate re-reads the pointer within 5 s).
    let deadline = Instant::now() + Duration::from_secs(30);
    let switched = loop {
        let recent_v2 = seen.lock().unwrap().iter().filter(|(t, v)| *t > published && *v == 2).count();
        if recent_v2 >= 20 || Instant::now() > deadline {
            break recent_v2 >= 20;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    for reader in readers {
        reader.join().expect("a reader thread failed");
    }
    let mixed = mixed.lock().unwrap();
    let seen = seen.lock().unwrap();
    assert!(mixed.is_empty(), "pages mixing versions: {:?}", &mixed[..mixed.len().min(5)]);
    assert!(switched, "the switch to v2 did not happen within 30 s");
    let v1_before = seen.iter().filter(|(t, v)| *t < published_at && *v == 1).count();
    assert!(v1_before > 0, "readers saw v1 before the publish");
    let last: Vec<u8> = seen.iter().rev().take(10).map(|(_, v)| *v).collect();
    assert!(last.iter().all(|v| *v == 2), "after the switch, pages are v2: {last:?}");
    println!("reader loop: {} pages, all wholly v1 or v2", seen.len());

    // Roll back: v1 again, within the pointer's lifetime.
    assert_eq!(rollback_catalog(state.path()).unwrap(), v1);
    let mut shopper = Shopper::new(&shop);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = shopper.get("/products/brass-pen");
        if reply.page_version().as_deref() == Some(v1.as_str()) {
            let title = element_containing(&reply.body, "<h1").map(text).unwrap_or_default();
            assert_eq!(title, "Solid Brass Pen", "rolled-back page shows v1 content");
            break;
        }
        assert!(Instant::now() < deadline, "rollback did not take effect within 30 s");
        std::thread::sleep(Duration::from_millis(250));
    }
    // Nothing older than v1: a second rollback is refused with a reason.
    let refused = rollback_catalog(state.path()).unwrap_err();
    assert!(refused.contains("no earlier version"), "{refused}");
}

/// Copies the sample catalog with one product's prices raised by `cents`.
fn with_price_change(dir: &Path, from: &Path, product: &str, cents: i64) {
    copy_dir(from, dir);
    let file = dir.join(format!("products/{product}.toml"));
    let text = std::fs::read_to_string(&file).unwrap();
    let changed: Vec<String> = text
        .lines()
        .map(|line| match line.strip_prefix("price = ").and_then(|p| p.trim().parse::<i64>().ok()) {
            Some(price) => format!("price = {}", price + cents),
            None => line.to_string(),
        })
        .collect();
    assert_ne!(changed.join("\n"), text.trim_end(), "{product} has prices");
    std::fs::write(&file, changed.join("\n") + "\n").unwrap();
}

/// Waits until `path` is served by `version`.
fn wait_for_version(shopper: &mut Shopper, path: &str, version: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if shopper.get(path).page_version().as_deref() == Some(version) {
            return;
        }
        assert!(Instant::now() < deadline, "{path} not served by {version} within 30 s");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Every page the sitemaps list (and the home page) answers 200 from `version`; how
/// many pages that is.
fn crawl(shop: &Shop, version: &str) -> usize {
    let mut shopper = Shopper::new(shop);
    let index = shopper.get("/sitemap.xml");
    assert_eq!(index.status, 200, "sitemap index");
    let locs = |body: &str| -> Vec<String> {
        body.split("<loc>").skip(1).filter_map(|s| s.split("</loc>").next()).map(str::to_string).collect()
    };
    let mut pages = 0;
    for shard in locs(&index.body) {
        let path = shard.strip_prefix(&shop.base).expect("absolute sitemap URLs").to_string();
        let reply = shopper.get(&path);
        assert_eq!(reply.status, 200, "{path}");
        for page in locs(&reply.body) {
            let path = page.strip_prefix(&shop.base).expect("absolute URLs").to_string();
            let reply = shopper.get(&path);
            assert_eq!(reply.status, 200, "{path} of version {version}");
            assert_eq!(reply.page_version().as_deref(), Some(version), "{path}");
            pages += 1;
        }
    }
    assert!(pages > 20, "the sitemaps list the catalog ({pages} pages)");
    pages
}

fn an_interrupted_publish_changes_nothing_until_it_is_rerun() {
    let state = TempDir::new("interrupted");
    let v1 = publish_sample_catalog(state.path());
    let shop = Shop::start(ShopOptions::on(state.path()));
    let mut shopper = Shopper::new(&shop);
    let v2_dir = TempDir::new("catalog-v2");
    make_v2(v2_dir.path());
    // Two keys per bulk call, and a crash after the first call.
    let crash = PublishOptions { chunk_keys: 2, stop_after_chunks: Some(1), ..PublishOptions::default() };
    let failed = publish_catalog_with(v2_dir.path(), state.path(), &crash).unwrap_err();
    assert!(failed.contains("interrupted"), "{failed}");
    // Prune leaves an unfinished publish alone: it refuses, naming it.
    let target = local_target(state.path());
    let refused = prune(&target, 1, true, false).unwrap_err();
    assert!(refused.contains("has not switched yet"), "{refused}");
    // Nothing shoppers see has changed, even after the pointer's lifetime.
    std::thread::sleep(Duration::from_millis(5_500));
    let pen = shopper.get("/products/brass-pen");
    assert_eq!(pen.page_version().as_deref(), Some(v1.as_str()));
    assert!(!text(&pen.body).contains("Mark II"), "the interrupted version is not served");
    // The same publish again skips what the first attempt uploaded, then switches.
    let again = PublishOptions { chunk_keys: 2, ..PublishOptions::default() };
    let report = publish_catalog_with(v2_dir.path(), state.path(), &again).unwrap();
    // The first call carried the publishing mark and one document.
    assert_eq!(report.resumed, 1, "{report:?}");
    assert_eq!(report.keys_written, report.changed - 1 + 6, "{report:?}");
    assert!(prune(&target, 1, true, false).is_ok(), "the finished publish no longer blocks prune");
    wait_for_version(&mut shopper, "/products/brass-pen", &report.version);
    assert!(text(&shopper.get("/products/brass-pen").body).contains("Mark II"));
    crawl(&shop, &report.version);
}

fn prune_keeps_every_page_of_the_kept_versions() {
    let state = TempDir::new("prune");
    let v1 = publish_sample_catalog(state.path());
    let v2_dir = TempDir::new("catalog-v2");
    make_v2(v2_dir.path());
    let v2 = publish_catalog(v2_dir.path(), state.path());
    let v3_dir = TempDir::new("catalog-v3");
    with_price_change(v3_dir.path(), v2_dir.path(), "alpaca-scarf", 100);
    let v3 = publish_catalog(v3_dir.path(), state.path());
    assert!(v1 != v2 && v2 != v3);
    let target = local_target(state.path());

    // Keep one: v3 (live) and v2 (its rollback target) stay; v1's own keys go.
    let dry = prune(&target, 1, true, false).unwrap();
    assert_eq!(dry.dropped, vec![v1.clone()], "{}", dry.summary());
    assert!(dry.keys.contains(&format!("catalog:{v1}:root")), "{:?}", dry.keys);
    assert!(dry.keys.contains(&format!("catalog:{v1}:site:main")), "v2 changed the tagline: {:?}", dry.keys);
    assert!(
        !dry.keys.contains(&format!("catalog:{v1}:page:about")),
        "unchanged documents v2 and v3 inherit from v1 stay: {:?}",
        dry.keys
    );
    assert!(dry.keys.iter().all(|k| k.starts_with(&format!("catalog:{v1}:"))), "{:?}", dry.keys);
    // A dry run deletes nothing: the same list again.
    let pruned = prune(&target, 1, false, false).unwrap();
    assert_eq!(pruned.keys, dry.keys, "the dry run lists what prune deletes");
    assert_eq!(prune(&target, 1, true, false).unwrap().keys, Vec::<String>::new(), "nothing left to prune");

    let shop = Shop::start(ShopOptions::on(state.path()));
    let v3_pages = crawl(&shop, &v3);
    assert_eq!(rollback_catalog(state.path()).unwrap(), v2);
    let mut shopper = Shopper::new(&shop);
    wait_for_version(&mut shopper, "/", &v2);
    let v2_pages = crawl(&shop, &v2);
    assert_eq!(v2_pages, v3_pages);
    // v1 left the history with its keys: nothing rolls back to it.
    let refused = rollback_catalog(state.path()).unwrap_err();
    assert!(refused.contains("no earlier version"), "{refused}");
}

/// (document lookups, KV reads) of a page's first request. A lookup is one single or
/// bulk read, served from isolate memory or KV: the page's worst-case KV operations.
fn lookups(shopper: &mut Shopper, path: &str) -> (u32, u32) {
    let reply = shopper.get(path);
    assert_eq!(reply.status, 200, "{path}");
    assert_eq!(reply.page_cache().as_deref(), Some("miss"), "{path} must be rendered, not cached");
    (reply.timing_count("docs").unwrap(), reply.timing_count("kv").unwrap())
}

fn page_reads_do_not_grow_with_the_catalog() {
    let root = project_root();
    let small = TempDir::new("small-catalog");
    let large = TempDir::new("large-catalog");
    storefront_cli::generate::generate(100, small.path(), 3).unwrap();
    storefront_cli::generate::generate(2_500, large.path(), 3).unwrap();
    let state = TempDir::new("scale");
    publish_catalog(small.path(), state.path());
    let shop = Shop::start(ShopOptions::on(state.path()));
    let mut shopper = Shopper::new(&shop);
    // The same seed makes the same first product in both catalogs.
    let csv = std::fs::read_to_string(small.path().join("products/generated.csv")).unwrap();
    let handle = csv.lines().nth(1).and_then(|l| l.split(',').next()).unwrap().to_string();
    let product = format!("/products/{handle}");
    // Warm the frame documents, then measure a product, a collection page and a sorted page.
    shopper.get("/collections/home");
    let small_costs = [
        lookups(&mut shopper, &product),
        lookups(&mut shopper, "/collections/apparel?page=2"),
        lookups(&mut shopper, "/collections/home?sort=price-desc"),
    ];
    publish_catalog(large.path(), state.path());
    // Let the pointer lifetime pass so the new version is used, then warm its frame.
    std::thread::sleep(Duration::from_millis(5_500));
    shopper.get("/collections/home");
    let large_costs = [
        lookups(&mut shopper, &product),
        lookups(&mut shopper, "/collections/apparel?page=2"),
        lookups(&mut shopper, "/collections/home?sort=price-desc"),
    ];
    println!("(lookups, kv reads) at 100 products: {small_costs:?}; at 2,500: {large_costs:?}");
    for (s, l) in small_costs.iter().zip(&large_costs) {
        assert_eq!(s.0, l.0, "document lookups must not depend on catalog size");
        assert!(l.1 <= l.0, "KV reads are bounded by lookups");
        assert!(l.0 <= 5, "a page makes at most five lookups, got {}", l.0);
    }
    let _ = root;
}

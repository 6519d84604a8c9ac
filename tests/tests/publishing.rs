//! Publishing and caching against a real `wrangler dev`: a publish switches versions
//! atomically under load, rollback restores the previous version, ETags give 304s,
//! repeated requests hit the page cache, and a page's KV cost does not grow with the
//! catalog.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storefront_tests::html::{element_containing, text};
use storefront_tests::{
    copy_dir, nonces_in, project_root, publish_catalog, publish_sample_catalog, rollback_catalog,
    without_nonces, Reply, Shop, ShopOptions, Shopper, TempDir,
};

fn main() {
    let mut args = Arguments::from_args();
    // These tests publish into their shops: run them one after another.
    args.test_threads = Some(1);
    let trials = storefront_tests::trials![
        a_matching_etag_gets_304_without_reading_documents,
        a_second_identical_request_is_a_page_cache_hit,
        publishing_switches_atomically_and_rollback_restores,
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
    let v2 = publish_catalog(v2_dir.path(), state.path());
    assert_eq!(v2, v2_expected);
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

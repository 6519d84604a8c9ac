//! Hardening, against a real `wrangler dev`: security headers and a per-response CSP
//! nonce, CSRF on every form, strict cookies over https, rate limits with `Retry-After`,
//! a panic that does not take later requests down, stale pages while KV is down, a 503
//! from an overloaded Durable Object instead of a hang, request ids, `Server-Timing` and
//! one JSON log line per request, and `/healthz`.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use storefront_tests::commerce::new_cart;
use storefront_tests::html::{element_containing, text};
use storefront_tests::{
    csrf_in, nonces_in, raw_request, send_raw, without_nonces, Api, Reply, Shop, ShopOptions, Shopper,
    TempDir,
};

struct World {
    /// Plain http, the usual test settings, and a short Durable Object deadline.
    shop: Shop,
    /// Shows the worker https URLs, and limits writes as deployed (`wrangler.toml`).
    strict: Shop,
}

/// The webhook signing secret of the strict shop.
const STRICT_WEBHOOK_SECRET: &str = "whsec_hardening_0123456789";

/// How many full-page-cache hits one log line of the strict shop stands for.
const STRICT_LOG_HITS_EVERY: usize = 10;

/// The Durable Object deadline of the main test shop.
const DO_TIMEOUT_MS: u64 = 1_500;

/// Form fields or request headers.
type Fields = Vec<(&'static str, &'static str)>;

fn main() {
    let mut args = Arguments::from_args();
    // The fault tests change the shop for a while (KV outage, stalled object): one at a time.
    args.test_threads = Some(1);
    let world = if args.list {
        None
    } else {
        let state = TempDir::new("hardening");
        let _ = storefront_tests::publish_sample_catalog(state.path());
        let shop =
            Shop::start(ShopOptions::on(state.path()).vars(&[("DO_TIMEOUT_MS", &DO_TIMEOUT_MS.to_string())]));
        let strict_state = TempDir::new("hardening-strict");
        let _ = storefront_tests::publish_sample_catalog(strict_state.path());
        let log_hits_every = STRICT_LOG_HITS_EVERY.to_string();
        let strict = Shop::start(
            ShopOptions::on(strict_state.path())
                .vars(&[
                    ("RATE_LIMITS", "on"),
                    ("STRIPE_WEBHOOK_SECRET", STRICT_WEBHOOK_SECRET),
                    ("LOG_HITS_EVERY", &log_hits_every),
                ])
                .args(&["--upstream-protocol", "https"]),
        );
        Some((Arc::new(World { shop, strict }), state, strict_state))
    };
    let tests = storefront_tests::tests![
        every_response_has_security_headers_and_a_request_id,
        csp_nonces_are_fresh_and_scripts_only_where_islands_are,
        every_form_needs_the_sessions_token_and_this_site,
        catalog_pages_start_no_session,
        cookies_are_host_only_and_secure_over_https,
        writes_over_the_limit_get_429_with_retry_after,
        oversized_bodies_get_413,
        a_panic_does_not_take_later_requests_down,
        pages_are_served_stale_while_kv_is_down,
        an_overloaded_durable_object_answers_503_not_a_hang,
        each_request_logs_one_json_line,
        page_cache_hits_are_logged_one_in_n,
        healthz_reports_the_catalog,
        redirects_never_leave_the_shop,
        limits_count_an_ipv6_64_and_the_merchant_api,
        webhook_deliveries_are_limited_before_any_signature_check,
        merchant_sign_in_is_limited_and_its_cookie_is_host_only_over_https,
        customer_sign_in_is_limited_and_its_cookie_is_host_only_over_https,
    ];
    let trials = storefront_tests::shared_trials(world.as_ref().map(|(w, _, _)| w), tests);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(world);
    conclusion.exit();
}

/// Paths crafted to turn the trailing-slash redirect (or any other) into a redirect to
/// another site: every `Location` the shop writes is a path on the shop.
fn redirects_never_leave_the_shop(w: &World) {
    let crafted = [
        "//other.example/",
        "//other.example/x/",
        "///other.example/",
        "/\\other.example/",
        "/\\/other.example/",
        "/%2F%2Fother.example/",
        "/%2f/other.example/",
        "/%5Cother.example/",
        "/%5C%5Cother.example/",
        "//other.example/?next=//evil.example/",
        "/cart//",
        "//",
        "/%09/other.example/",
    ];
    let mut redirects = 0;
    for path in crafted {
        let head = raw_request(&w.shop.base, &format!("GET {path} HTTP/1.1"));
        let status = head.split(' ').nth(1).unwrap_or_default().to_string();
        assert!(!status.starts_with('5'), "{path}: {head}");
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
            .map(str::to_string);
        if let Some(location) = location {
            redirects += 1;
            assert!(location.starts_with('/'), "{path} → {location}");
            let second = location.chars().nth(1);
            assert!(!matches!(second, Some('/' | '\\')), "{path} → {location}: another site");
            assert!(!location.contains("://"), "{path} → {location}");
        }
    }
    assert!(redirects >= 5, "the trailing-slash redirect answered the crafted paths ({redirects})");
}

fn csp(reply: &Reply) -> &str {
    reply.header("content-security-policy").unwrap_or("")
}

fn every_response_has_security_headers_and_a_request_id(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let api = format!("{}/api/v1", w.shop.base);
    let mut ids = HashSet::new();
    let mut replies: Vec<(String, Reply)> = [
        "/",
        "/collections/knitwear",
        "/products/brass-pen",
        "/pages/about",
        "/search?q=mug",
        "/search/suggest?q=mu",
        "/cart",
        "/checkout",
        "/orders/lookup",
        "/cart/BRP-1:1",
        "/sitemap.xml",
        "/robots.txt",
        "/healthz",
        "/products/no-such-thing",
        "/products/brass-pen/",
    ]
    .iter()
    .map(|p| (p.to_string(), shopper.get(p)))
    .collect();
    for p in ["/products", "/products/brass-pen", "/openapi.json", "/carts/nope"] {
        replies.push((format!("/api/v1{p}"), send_raw(&api, "GET", p, &[], b"")));
    }
    replies.push(("POST /cart/add (forged)".into(), shopper.post_raw("/cart/add", &[("product", "x")], &[])));
    for (what, reply) in &replies {
        assert!(reply.status < 500, "{what}: {}", reply.status);
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{what}");
        assert_eq!(reply.header("referrer-policy"), Some("strict-origin-when-cross-origin"), "{what}");
        assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
        assert!(
            reply.header("server-timing").is_some_and(|t| t.contains("total;dur=")),
            "{what}: Server-Timing"
        );
        let id = reply.header("x-request-id").unwrap_or_else(|| panic!("{what}: no request id"));
        assert!(id.len() >= 8, "{what}: {id}");
        assert!(ids.insert(id.to_string()), "{what}: request id {id} repeated");
        if reply.header("content-type").is_some_and(|t| t.starts_with("text/html")) {
            let policy = csp(reply);
            assert!(policy.contains("frame-ancestors 'none'"), "{what}: {policy}");
            assert!(
                policy.contains("object-src 'none'") && policy.contains("base-uri 'none'"),
                "{what}: {policy}"
            );
            assert!(
                !policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"),
                "{what}: {policy}"
            );
        }
    }
    println!("{} responses checked, {} distinct request ids", replies.len(), ids.len());
}

fn csp_nonces_are_fresh_and_scripts_only_where_islands_are(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    // Pages without islands: no script may run at all.
    for path in ["/", "/collections/knitwear", "/cart", "/pages/about"] {
        let page = shopper.get(path);
        assert!(csp(&page).contains("script-src 'none'"), "{path}: {}", csp(&page));
        assert!(!page.body.contains("<script type=\"module\""), "{path}");
        assert!(!csp(&page).contains("wasm-unsafe-eval"), "{path}");
    }
    // Island pages: only the nonced loader, and the same nonce in header and page.
    let mut seen = HashSet::new();
    for _ in 0..3 {
        for path in ["/products/merino-crew-sweater", "/search?q=tee"] {
            let page = shopper.get(path);
            let policy = csp(&page).to_string();
            let nonces = nonces_in(&page.body);
            assert!(!nonces.is_empty(), "{path}: the loader carries a nonce");
            assert!(nonces.iter().all(|n| *n == nonces[0]), "{path}: one nonce per response");
            assert!(
                policy.contains(&format!(
                    "script-src 'nonce-{}' 'strict-dynamic' 'wasm-unsafe-eval'",
                    nonces[0]
                )),
                "{path}: {policy}"
            );
            assert!(nonces[0].len() >= 16, "{path}: a nonce of 128 bits");
            assert!(seen.insert(nonces[0].clone()), "{path}: the nonce {} was used twice", nonces[0]);
            // The same page from the full-page cache gets its own nonce too.
        }
    }
    // Inline JSON-LD is data, not script; no inline handlers anywhere.
    let product = shopper.get("/products/merino-crew-sweater");
    assert!(!product.body.contains(" onclick=") && !product.body.contains(" onload="));
}

/// Every state-changing form of the shop, with a body that would succeed.
fn forms() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        ("/cart/add", vec![("product", "brass-pen"), ("variant", "BRP-1"), ("quantity", "1")]),
        ("/cart/update", vec![("sku", "BRP-1"), ("quantity", "4")]),
        ("/cart/remove", vec![("sku", "BRP-1")]),
        ("/cart/discount", vec![("code", "WELCOME10")]),
        ("/cart/link", vec![("items", "BRP-1:2")]),
        ("/checkout/contact", vec![("email", "forged@example.com")]),
        (
            "/checkout/address",
            vec![
                ("name", "Forger"),
                ("line1", "1 Main St"),
                ("city", "Boston"),
                ("region", "MA"),
                ("postal_code", "02110"),
                ("country", "US"),
            ],
        ),
        ("/checkout/shipping", vec![("rate", "express")]),
        ("/checkout/complete", vec![("idempotency_key", "forged-key-1"), ("card", "4242 4242 4242 4242")]),
        ("/orders/lookup", vec![("email", "a@example.com"), ("number", "FL-AAAAA-AAAAA")]),
        ("/cart/clear", vec![]),
    ]
}

fn every_form_needs_the_sessions_token_and_this_site(w: &World) {
    let api = Api::new(&w.shop);
    let mut victim = Shopper::new(&w.shop);
    assert_eq!(victim.post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")]).status, 303);
    assert_eq!(victim.post_form("/checkout/contact", &[("email", "victim@example.com")]).status, 303);
    let token = victim.cookie("cart").unwrap().to_string();
    let id = token.split('.').next().unwrap().to_string();
    let state = |api: &Api| api.get(&format!("/carts/{id}"), Some(&token)).1;
    let before = state(&api);
    let mut other = Shopper::new(&w.shop);
    other.get("/orders/lookup");
    let others_token: &'static str = other.csrf().unwrap().to_string().leak();
    let own: &'static str = victim.csrf().unwrap().to_string().leak();
    let origin = w.shop.base.clone();
    let mut refused = 0;
    for (path, fields) in forms() {
        let with = |csrf: &'static str| {
            let mut all = fields.clone();
            all.push(("csrf", csrf));
            all
        };
        let attempts: Vec<(&str, Fields, Fields)> = vec![
            ("no token", fields.clone(), vec![]),
            ("a made-up token", with("AAAAAAAAAAAAAAAAAAAAAA"), vec![]),
            ("another session's token", with(others_token), vec![]),
            ("an empty token", with(""), vec![]),
            ("another site's Origin", with(own), vec![("origin", "https://evil.example")]),
            ("a cross-site fetch", with(own), vec![("sec-fetch-site", "cross-site")]),
            ("a same-site (sibling) fetch", with(own), vec![("sec-fetch-site", "same-site")]),
        ];
        for (what, body, headers) in attempts {
            let reply = victim.post_raw(path, &body, &headers);
            assert_eq!(reply.status, 403, "{path} with {what}: {}", text(&reply.body));
            assert!(text(&reply.body).contains("That form could not be accepted"), "{path}: a helpful page");
            assert!(
                text(&reply.body).contains("reload the page") || text(&reply.body).contains("another site"),
                "{path}: says what to do"
            );
            assert_eq!(state(&api), before, "{path} with {what} changed the cart");
            refused += 1;
        }
    }
    // A browser's own same-origin post passes both checks.
    let ok = victim.post_form_with(
        "/cart/update",
        &[("sku", "BRP-1"), ("quantity", "2")],
        &[("origin", &origin), ("sec-fetch-site", "same-origin")],
    );
    assert_eq!(ok.status, 303, "{}", text(&ok.body));
    assert_eq!(state(&api)["lines"][0]["quantity"], 2);
    // A brand-new visitor posting straight away (a stale form from an old session) is
    // told to reload, and gets a session to do so with.
    let mut stranger = Shopper::new(&w.shop);
    let reply = stranger.post_raw("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1")], &[]);
    assert_eq!(reply.status, 403);
    assert!(reply.header("set-cookie").is_some_and(|c| c.starts_with("cart=")));
    println!("{refused} forged or cross-site form posts refused with 403; the cart never changed");
}

/// A visitor without a cart gets catalog pages without a cookie, a cart id or a token:
/// the same bytes as every other such visitor, but for the CSP nonce. Its first form
/// post starts the session when the browser says it came from this origin, and is
/// refused otherwise; from then on its forms need the session's token.
fn catalog_pages_start_no_session(w: &World) {
    for path in ["/", "/collections/knitwear", "/products/brass-pen", "/search?q=mug", "/pages/about"] {
        let (mut a, mut b) = (Shopper::new(&w.shop), Shopper::new(&w.shop));
        let (first, second) = (a.get(path), b.get(path));
        assert_eq!(first.status, 200, "{path}");
        assert!(first.header("set-cookie").is_none(), "{path} started a session");
        assert_eq!(
            without_nonces(&first.body),
            without_nonces(&second.body),
            "{path}: the same page for both"
        );
    }
    let mut visitor = Shopper::new(&w.shop);
    let page = visitor.get("/products/brass-pen");
    assert_eq!(csrf_in(&page.body).as_deref(), Some(""), "no token without a session");
    let add = [("product", "brass-pen"), ("variant", "BRP-1"), ("csrf", "")];
    let mut forger = Shopper::new(&w.shop);
    for (what, headers) in [
        ("no word from the browser", vec![]),
        ("a cross-site fetch", vec![("sec-fetch-site", "cross-site")]),
        ("a same-site (sibling) fetch", vec![("sec-fetch-site", "same-site")]),
        ("another site's Origin", vec![("origin", "https://evil.example")]),
    ] {
        let reply = forger.post_raw("/cart/add", &add, &headers);
        assert_eq!(reply.status, 403, "a first write with {what}: {}", text(&reply.body));
    }
    let reply = visitor.post_raw("/cart/add", &add, &[("sec-fetch-site", "same-origin")]);
    assert_eq!(reply.status, 303, "{}", text(&reply.body));
    assert!(
        reply.header("set-cookie").is_some_and(|c| c.starts_with("cart=")),
        "the write started the session"
    );
    assert!(text(&visitor.get("/cart").body).contains("Subtotal (1 item)"), "the line is in the new cart");
    let page = visitor.get("/products/brass-pen");
    let token = csrf_in(&page.body).unwrap();
    assert!(!token.is_empty(), "the session's pages carry its token");
    let reply = visitor.post_raw("/cart/add", &add, &[("sec-fetch-site", "same-origin")]);
    assert_eq!(reply.status, 403, "a session's forms need its token: {}", text(&reply.body));
    let with_token = [("product", "brass-pen"), ("variant", "BRP-1"), ("csrf", token.as_str())];
    assert_eq!(visitor.post_raw("/cart/add", &with_token, &[]).status, 303);
    assert!(text(&visitor.get("/cart").body).contains("Subtotal (2 items)"));
}

fn cookies_are_host_only_and_secure_over_https(w: &World) {
    let mut shopper = Shopper::new(&w.strict);
    // The cart page starts a session (catalog pages do not).
    let page = shopper.get("/cart");
    let cookie = page.header("set-cookie").expect("a session cookie");
    assert!(cookie.starts_with("__Host-cart="), "{cookie}");
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.split("; ").any(|part| part == flag), "{flag} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain="), "host-only: {cookie}");
    assert!(page.header("strict-transport-security").is_some_and(|h| h.contains("max-age=")));
    assert!(csp(&page).contains("upgrade-insecure-requests"));
    // The session works with that cookie.
    let add = shopper.post_form_with(
        "/cart/add",
        &[("product", "brass-pen"), ("variant", "BRP-1")],
        &[("cf-connecting-ip", "198.51.100.1")],
    );
    assert_eq!(add.status, 303, "{}", text(&add.body));
    let cart = shopper.get("/cart");
    assert!(text(&cart.body).contains("Brass Pen"), "{}", text(&cart.body));
    // A plain `cart` cookie is not accepted over https (it could have been set by a sibling).
    let plain = cookie.split(';').next().unwrap().trim_start_matches("__Host-");
    let mut other = Shopper::new(&w.strict);
    let reply = other.get_with_cookie("/cart", plain);
    assert!(text(&reply.body).contains("Your cart is empty"));
}

/// Waits, if need be, so that `writes` fit in one of the limiter's windows. Locally the
/// limiter counts in windows aligned to multiples of its period (Miniflare's
/// implementation), so a burst that straddles a boundary would be counted in two.
fn start_of_a_window(period: u32, writes: u32) {
    let period_ms = u128::from(period) * 1000;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    let left = period_ms - now % period_ms;
    // A write takes well under 50 ms here; leave room for twice that.
    if left < u128::from(writes) * 100 {
        std::thread::sleep(Duration::from_millis(left as u64 + 200));
    }
}

fn writes_over_the_limit_get_429_with_retry_after(w: &World) {
    let (limit, period) = storefront_tests::write_limit();
    let mut shopper = Shopper::new(&w.strict);
    let client = [("cf-connecting-ip", "203.0.113.7")];
    let products =
        [("dot-grid-notebook", "DGN-NAVY"), ("brass-pen", "BRP-1"), ("stoneware-mug", "SWM-SPECK")];
    shopper.get("/cart");
    start_of_a_window(period, 2 * limit + 10);
    for i in 0..limit {
        let (product, variant) = products[i as usize % products.len()];
        let reply =
            shopper.post_form_with("/cart/add", &[("product", product), ("variant", variant)], &client);
        assert_eq!(reply.status, 303, "write {i}: {}", text(&reply.body));
    }
    let add = [("product", "brass-pen"), ("variant", "BRP-1")];
    let limited = shopper.post_form_with("/cart/add", &add, &client);
    assert_eq!(limited.status, 429);
    let wait: u32 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=period).contains(&wait), "Retry-After {wait}");
    assert!(text(&limited.body).contains("Too many requests"));
    assert!(text(&limited.body).contains(&format!("Wait {wait} seconds")));
    // Nothing was added by the refused write; reading is never limited.
    for _ in 0..20 {
        assert_eq!(shopper.get("/products/dot-grid-notebook").status, 200);
    }
    let cart = text(&shopper.get("/cart").body);
    assert!(
        cart.contains(&format!("Subtotal ({limit} items)")),
        "the cart holds the {limit} accepted adds: {cart}"
    );
    // Another client is not affected.
    let mut neighbour = Shopper::new(&w.strict);
    let reply = neighbour.post_form_with("/cart/add", &add, &[("cf-connecting-ip", "203.0.113.8")]);
    assert_eq!(reply.status, 303);
    // The API counts writes the same way and answers JSON.
    let api_client = [("cf-connecting-ip", "203.0.113.9")];
    let base = format!("{}/api/v1", w.strict.base);
    let json_headers = [api_client[0], ("content-type", "application/json")];
    for _ in 0..limit {
        assert_eq!(send_raw(&base, "POST", "/carts", &json_headers, b"{}").status, 201);
    }
    let limited = send_raw(&base, "POST", "/carts", &json_headers, b"{}");
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
    let body: Value = serde_json::from_str(&limited.body).unwrap();
    assert_eq!(body["error"], "rate_limited", "{body}");
    assert_eq!(send_raw(&base, "GET", "/products", &api_client, b"").status, 200, "reads are not limited");
    println!("limit {limit} per {period} s: write {} answered 429, Retry-After {wait} s", limit + 1);
}

/// A client cannot step around the write limit by moving to another address of its own
/// IPv6 /64; the merchant API is limited too (guessed tokens included), on its own count.
fn limits_count_an_ipv6_64_and_the_merchant_api(w: &World) {
    let (limit, period) = storefront_tests::write_limit();
    let base = format!("{}/api/v1", w.strict.base);
    start_of_a_window(period, 2 * limit + 10);
    for i in 0..limit {
        let address = format!("2001:db8:aa:1::{:x}", i + 1);
        let headers = [("cf-connecting-ip", address.as_str()), ("content-type", "application/json")];
        assert_eq!(
            send_raw(&base, "POST", "/carts", &headers, b"{}").status,
            201,
            "write {i} from {address}"
        );
    }
    let same_64 = [("cf-connecting-ip", "2001:db8:aa:1:ffff:1:2:3"), ("content-type", "application/json")];
    assert_eq!(
        send_raw(&base, "POST", "/carts", &same_64, b"{}").status,
        429,
        "another address of the same /64"
    );
    let next_64 = [("cf-connecting-ip", "2001:db8:aa:2::1"), ("content-type", "application/json")];
    assert_eq!(
        send_raw(&base, "POST", "/carts", &next_64, b"{}").status,
        201,
        "another /64 is another client"
    );
    // The merchant API: wrong tokens are counted, then even the right one waits.
    let guesser = "203.0.113.50";
    for i in 0..limit {
        let guess = format!("Bearer guess-{i:032}");
        let headers = [("cf-connecting-ip", guesser), ("authorization", guess.as_str())];
        assert_eq!(send_raw(&base, "GET", "/admin/orders", &headers, b"").status, 401, "guess {i}");
    }
    let right = format!("Bearer {}", storefront_tests::ADMIN_TOKEN);
    let limited = send_raw(
        &base,
        "GET",
        "/admin/orders",
        &[("cf-connecting-ip", guesser), ("authorization", &right)],
        b"",
    );
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(limited.header("retry-after").is_some());
    let elsewhere = [("cf-connecting-ip", "203.0.113.51"), ("authorization", right.as_str())];
    assert_eq!(
        send_raw(&base, "GET", "/admin/orders", &elsewhere, b"").status,
        200,
        "the merchant elsewhere"
    );
}

/// Forged webhook deliveries from one address are counted on their own limiter before the
/// body or the signature is looked at: past the limit even a delivery whose signature
/// would be checked gets 429 (Stripe delivers again later), and other senders go on.
fn webhook_deliveries_are_limited_before_any_signature_check(w: &World) {
    let (limit, period) = storefront_tests::rate_limit("WEBHOOK_LIMITER");
    let (write_limit, _) = storefront_tests::write_limit();
    assert!(limit > write_limit / 2, "sized for bursts of payment events, not like a shopper's writes");
    let base = w.strict.base.clone();
    let forger = "198.51.100.90";
    let signed = |address: &str| {
        let headers = [
            ("cf-connecting-ip", address),
            ("content-type", "application/json"),
            (
                "stripe-signature",
                "t=1700000000,v1=0000000000000000000000000000000000000000000000000000000000000000",
            ),
        ];
        send_raw(
            &base,
            "POST",
            "/webhooks/stripe",
            &headers,
            br#"{"id":"evt_forged","type":"payment_intent.succeeded"}"#,
        )
    };
    // The next window, so all of these land in one.
    let period_ms = u128::from(period) * 1000;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    std::thread::sleep(Duration::from_millis((period_ms - now % period_ms) as u64 + 100));
    let started = Instant::now();
    for i in 0..limit {
        let reply = signed(forger);
        assert_eq!(reply.status, 400, "delivery {i} is checked and refused: {}", reply.body);
    }
    let limited = signed(forger);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(u64::from(period)), "all in one window ({elapsed:?})");
    assert_eq!(limited.status, 429, "{}", limited.body);
    let wait: u32 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert_eq!(wait, period);
    let body: Value = serde_json::from_str(&limited.body).unwrap();
    assert_eq!(body["error"], "rate_limited", "{body}");
    assert_eq!(signed("198.51.100.91").status, 400, "another sender is checked as before");
    println!("webhooks: {limit} deliveries per {period} s per address, delivery {} got 429", limit + 1);
}

fn oversized_bodies_get_413(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    shopper.get("/orders/lookup");
    let csrf = shopper.csrf().unwrap().to_string();
    let big = "x".repeat(20 * 1024);
    let reply = shopper.post_raw("/cart/discount", &[("csrf", &csrf), ("code", &big)], &[]);
    assert_eq!(reply.status, 413, "{}", text(&reply.body));
    assert!(text(&reply.body).contains("larger than we accept"));
    let (id, token) = new_cart(&Api::new(&w.shop));
    let base = format!("{}/api/v1", w.shop.base);
    let body = json!({ "sku": big }).to_string();
    let auth = format!("Bearer {token}");
    let headers = [("content-type", "application/json"), ("authorization", auth.as_str())];
    let reply = send_raw(&base, "POST", &format!("/carts/{id}/lines"), &headers, body.as_bytes());
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(serde_json::from_str::<Value>(&reply.body).unwrap()["error"], "payload_too_large");
    // Without a Content-Length (chunked), the cap holds as the body streams in: the JSON
    // API, a form, and the webhook.
    let big_json = json!({ "email": big, "number": "FL-AAAAA-AAAAA" }).to_string();
    let head = chunked_post(&w.shop.base, "/api/v1/orders/lookup", "application/json", big_json.as_bytes());
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let small = br#"{"email":"nobody@example.com","number":"FL-AAAAA-AAAAA"}"#;
    let head = chunked_post(&w.shop.base, "/api/v1/orders/lookup", "application/json", small);
    assert!(head.starts_with("HTTP/1.1 404"), "a small chunked body is read: {head}");
    let head = chunked_post(&w.shop.base, "/webhooks/stripe", "application/json", &vec![b' '; 300 * 1024]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

/// Posts `body` with `Transfer-Encoding: chunked` (no Content-Length); answers the
/// response's status line and headers.
fn chunked_post(base: &str, path: &str, content_type: &str, body: &[u8]) -> String {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(4096) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let _ = stream.write_all(&request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.split("\r\n\r\n").next().unwrap_or_default().to_string()
}

fn a_panic_does_not_take_later_requests_down(w: &World) {
    let api = Api::new(&w.shop);
    let (id, token) = new_cart(&api);
    let (status, _) =
        api.post(&format!("/carts/{id}/lines"), Some(&token), json!({ "sku": "BRP-1", "quantity": 2 }));
    assert_eq!(status, 200);
    let base = format!("{}/api/v1", w.shop.base);
    let panicked = send_raw(&base, "POST", "/test/panic", &[], b"");
    assert_eq!(panicked.status, 500, "the panicking request itself fails");
    // The very next requests are answered, and stored state is intact.
    let mut shopper = Shopper::new(&w.shop);
    for path in ["/", "/products/brass-pen", "/cart"] {
        assert_eq!(shopper.get(path).status, 200, "{path} after a panic");
    }
    let (status, cart) = api.get(&format!("/carts/{id}"), Some(&token));
    assert_eq!(status, 200);
    assert_eq!(cart["lines"][0]["quantity"], 2, "{cart}");
    // And again: recovery is not a one-off.
    assert_eq!(send_raw(&base, "POST", "/test/panic", &[], b"").status, 500);
    assert_eq!(shopper.get("/collections/knitwear").status, 200);
    // wrangler writes the runtime's output to its log a moment later.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !w.shop.log().contains("Reinitializing Wasm application") {
        assert!(Instant::now() < deadline, "the runtime reset the module");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn outage(w: &World, seconds: f64) {
    let (status, body) = Api::new(&w.shop).post("/test/kv-outage", None, json!({ "seconds": seconds }));
    assert_eq!(status, 200, "{body}");
}

fn pages_are_served_stale_while_kv_is_down(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let seen = ["/products/wool-throw-blanket", "/collections/home", "/pages/shipping"];
    let mut fresh = Vec::new();
    for path in seen {
        let page = shopper.get(path);
        assert_eq!(page.status, 200);
        assert_eq!(page.header("x-served-stale"), None);
        fresh.push(text(&page.body));
    }
    outage(w, 60.0);
    for (path, fresh) in seen.iter().zip(&fresh) {
        let page = shopper.get(path);
        assert_eq!(page.status, 200, "{path} during the outage: {}", text(&page.body));
        assert_eq!(page.header("x-served-stale"), Some("kv-unavailable"), "{path}: marked stale");
        assert!(page.header("server-timing").unwrap().contains("cache;desc=\"stale\""), "{path}");
        assert_eq!(&text(&page.body), fresh, "{path}: the same page");
    }
    // A page never rendered before cannot be made up: 503 with Retry-After, quickly.
    let started = Instant::now();
    let unseen = shopper.get("/products/leather-card-holder");
    assert_eq!(unseen.status, 503, "{}", text(&unseen.body));
    assert!(unseen.header("retry-after").is_some());
    assert!(text(&unseen.body).contains("Please try again in a moment"));
    assert!(started.elapsed() < Duration::from_secs(3));
    let health = shopper.get("/healthz");
    let body: Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(body["status"], "degraded", "{body}");
    outage(w, 0.0);
    let back = shopper.get("/products/leather-card-holder");
    assert_eq!(back.status, 200, "served again once KV answers");
    assert_eq!(back.header("x-served-stale"), None);
    let health: Value = serde_json::from_str(&shopper.get("/healthz").body).unwrap();
    assert_eq!(health["status"], "ok");
}

fn an_overloaded_durable_object_answers_503_not_a_hang(w: &World) {
    let api = Api::new(&w.shop);
    let (id, token) = new_cart(&api);
    api.post(&format!("/carts/{id}/lines"), Some(&token), json!({ "sku": "BRP-1", "quantity": 1 }));
    let stall_ms = 6_000;
    let (status, body) = api.post("/test/stall", None, json!({ "cart_id": id, "ms": stall_ms }));
    assert_eq!(status, 200, "{body}");
    let started = Instant::now();
    // The command reaches the object just after the answer.
    std::thread::sleep(Duration::from_millis(200));
    let base = format!("{}/api/v1", w.shop.base);
    let stuck = send_raw(
        &base,
        "GET",
        &format!("/carts/{id}"),
        &[("authorization", &format!("Bearer {token}"))],
        b"",
    );
    let waited = started.elapsed();
    assert_eq!(stuck.status, 503, "{}", stuck.body);
    assert!(stuck.header("retry-after").is_some());
    let body: Value = serde_json::from_str(&stuck.body).unwrap();
    assert_eq!(body["error"], "unavailable");
    assert!(waited < Duration::from_millis(DO_TIMEOUT_MS + 1_500), "answered in {waited:?}");
    // The shop page of the same cart: a styled 503, not a hang.
    let mut shopper = Shopper::new(&w.shop);
    let page = shopper.get_with_cookie("/cart", &format!("cart={token}"));
    assert_eq!(page.status, 503);
    assert!(page.header("retry-after").is_some());
    assert!(text(&page.body).contains("did not answer in time"), "{}", text(&page.body));
    // Other carts and pages are not affected.
    assert_eq!(shopper.get("/products/brass-pen").status, 200);
    let (other, other_token) = new_cart(&api);
    assert_eq!(api.get(&format!("/carts/{other}"), Some(&other_token)).0, 200);
    // Once the object is free again, the cart is intact.
    std::thread::sleep(
        Duration::from_millis(stall_ms).saturating_sub(started.elapsed()) + Duration::from_millis(500),
    );
    let (status, cart) = api.get(&format!("/carts/{id}"), Some(&token));
    assert_eq!(status, 200);
    assert_eq!(cart["lines"][0]["quantity"], 1);
    println!("stalled cart answered 503 after {waited:?} (deadline {DO_TIMEOUT_MS} ms)");
}

fn each_request_logs_one_json_line(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let page = shopper.get("/products/stoneware-mug");
    let missing = shopper.get("/products/nothing-here");
    let add = shopper.post_form("/cart/add", &[("product", "stoneware-mug"), ("variant", "SWM-SPECK")]);
    let api = send_raw(&format!("{}/api/v1", w.shop.base), "GET", "/products/stoneware-mug", &[], b"");
    std::thread::sleep(Duration::from_millis(500));
    let log = w.shop.log();
    for (reply, route, status) in [
        (&page, "products", 200),
        (&missing, "products", 404),
        (&add, "cart", add.status),
        (&api, "api:products", 200),
    ] {
        let id = reply.header("x-request-id").unwrap();
        let lines: Vec<Value> = log
            .lines()
            .filter(|l| l.contains(&format!("\"request_id\":\"{id}\"")))
            .map(|l| serde_json::from_str(&l[l.find('{').unwrap()..]).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 1, "one log line for request {id}");
        let line = &lines[0];
        assert_eq!(line["route"], route, "{line}");
        assert_eq!(line["status"], status, "{line}");
        for field in ["method", "path", "ms", "cache", "kv_reads", "kv_ms", "do_calls", "do_ms", "error"] {
            assert!(line.get(field).is_some(), "{field} missing: {line}");
        }
    }
    assert_eq!(add.status, 303);
    let id = missing.header("x-request-id").unwrap();
    let line = log.lines().find(|l| l.contains(id)).unwrap();
    assert!(line.contains("\"error\":\"not_found\""), "{line}");
    let add_id = add.header("x-request-id").unwrap();
    let add_line = log.lines().find(|l| l.contains(add_id)).unwrap();
    assert!(!add_line.contains("\"do_calls\":0"), "DO calls are counted: {add_line}");
}

/// Full-page-cache hits, the cheapest requests, are logged one in `LOG_HITS_EVERY`, each
/// sampled line saying how many it stands for; a 404 and a write always log.
fn page_cache_hits_are_logged_one_in_n(w: &World) {
    let mut shopper = Shopper::new(&w.strict);
    let path = "/collections/kitchen";
    assert_eq!(shopper.get(path).status, 200);
    let hits: Vec<Reply> = (0..2 * STRICT_LOG_HITS_EVERY).map(|_| shopper.get(path)).collect();
    for hit in &hits {
        assert_eq!(hit.page_cache().as_deref(), Some("hit"), "{path} is served from the page cache");
    }
    let missing = shopper.get("/products/not-a-product-here");
    assert_eq!(missing.status, 404);
    // A write from an address of its own (the strict shop limits writes per client).
    let headers = [("cf-connecting-ip", "198.51.100.77"), ("content-type", "application/json")];
    let add = send_raw(&format!("{}/api/v1", w.strict.base), "POST", "/carts", &headers, b"{}");
    assert_eq!(add.status, 201, "{}", add.body);
    // The warm-up may itself have been a hit (counted in the isolate's tally, which
    // earlier tests moved on too); however the tally stood, twenty hits make two lines.
    let lines_of = |replies: &[&Reply], expected: usize| -> Vec<Value> {
        let ids: HashSet<&str> = replies.iter().filter_map(|r| r.header("x-request-id")).collect();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = w.strict.log();
            let lines: Vec<Value> = storefront_tests::budgets::log_lines(&log)
                .filter(|l| l["request_id"].as_str().is_some_and(|id| ids.contains(id)))
                .collect();
            if lines.len() >= expected || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let always = lines_of(&[&missing, &add], 2);
    assert_eq!(always.len(), 2, "a 404 and a write each log: {always:?}");
    for line in &always {
        assert!(line.get("sample").is_none(), "an unsampled line: {line}");
    }
    let hit_lines = lines_of(&hits.iter().collect::<Vec<_>>(), 2);
    assert_eq!(
        hit_lines.len(),
        2,
        "{} hits, one line per {STRICT_LOG_HITS_EVERY}: {hit_lines:?}",
        hits.len()
    );
    for line in &hit_lines {
        assert_eq!(line["sample"], STRICT_LOG_HITS_EVERY, "{line}");
        assert_eq!(line["cache"], "hit", "{line}");
    }
}

fn healthz_reports_the_catalog(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    let reply = shopper.get("/healthz");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["status"], "ok");
    let version = body["catalog_version"].as_str().unwrap();
    let home = shopper.get("/");
    assert_eq!(home.page_version().as_deref(), Some(version));
    assert!(element_containing(&home.body, "<h1").is_some());
}

/// Guessing the admin token at the sign-in form is limited per client (its own limiter,
/// a few attempts a minute, the right token included once over); over https the
/// merchant's cookies are `__Host-`, `Secure`, HttpOnly and `SameSite=Strict`.
fn merchant_sign_in_is_limited_and_its_cookie_is_host_only_over_https(w: &World) {
    let (limit, period) = storefront_tests::rate_limit("SIGN_IN_LIMITER");
    let (write_limit, _) = storefront_tests::write_limit();
    assert!(limit < write_limit / 4, "fewer sign-in attempts than shopper writes");
    start_of_a_window(period, limit + 5);
    let guesser = [("cf-connecting-ip", "198.51.100.40")];
    let mut merchant = Shopper::new(&w.strict);
    let form = merchant.get_with("/admin/sign-in", &guesser);
    let pre = form
        .headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("__Host-admin-sign-in="))
        .expect("the sign-in form's cookie, __Host- over https");
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(pre.contains(part), "{part} in {pre}");
    }
    // The form's cookie and token, as a browser would send them.
    let cookie = pre.split(';').next().unwrap().to_string();
    let csrf = storefront_tests::csrf_in(&form.body).unwrap();
    let attempt = |merchant: &mut Shopper, token: &str, address: &'static str| {
        merchant.post_raw(
            "/admin/sign-in",
            &[("token", token), ("csrf", &csrf)],
            &[("cf-connecting-ip", address), ("cookie", &cookie), ("sec-fetch-site", "same-origin")],
        )
    };
    for i in 0..limit {
        let reply = attempt(&mut merchant, &format!("guess-{i:032}"), "198.51.100.40");
        assert_eq!(reply.status, 401, "guess {i}: {}", text(&reply.body));
    }
    let limited = attempt(&mut merchant, storefront_tests::ADMIN_TOKEN, "198.51.100.40");
    assert_eq!(limited.status, 429, "even the right token waits: {}", text(&limited.body));
    assert_eq!(limited.header("retry-after"), Some(period.to_string().as_str()));
    // Another client signs in, with a __Host- session cookie.
    let ok = attempt(&mut merchant, storefront_tests::ADMIN_TOKEN, "198.51.100.41");
    assert_eq!(ok.status, 303, "{}", text(&ok.body));
    let session = ok
        .headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("__Host-admin="))
        .expect("a __Host- session cookie");
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(session.contains(part), "{part} in {session}");
    }
    println!("sign-in: {limit} attempts per {period} s per client; attempt {} got 429", limit + 1);
}

/// Customers asking for sign-in links are limited per client (on `SIGN_IN_LIMITER`,
/// under their own keys): a client asking for links to many addresses is stopped; over
/// https the session the link starts is a `__Host-` cookie, Secure, HttpOnly, Lax.
fn customer_sign_in_is_limited_and_its_cookie_is_host_only_over_https(w: &World) {
    let (limit, period) = storefront_tests::rate_limit("SIGN_IN_LIMITER");
    start_of_a_window(period, limit + 5);
    let mut shopper = Shopper::new(&w.strict);
    assert_eq!(shopper.get("/account").status, 200);
    let flooder = [("cf-connecting-ip", "198.51.100.60")];
    for i in 0..limit {
        let email = format!("flood-{i}@example.com");
        let reply = shopper.post_form_with("/account/sign-in", &[("email", &email)], &flooder);
        assert_eq!(reply.status, 200, "link {i}: {}", text(&reply.body));
    }
    let limited = shopper.post_form_with("/account/sign-in", &[("email", "flood-x@example.com")], &flooder);
    assert_eq!(limited.status, 429, "{}", text(&limited.body));
    assert_eq!(limited.header("retry-after"), Some(period.to_string().as_str()));
    // Another client signs in by its link, and gets a __Host- session cookie.
    let customer = [("cf-connecting-ip", "198.51.100.61")];
    let asked = shopper.post_form_with("/account/sign-in", &[("email", "host.only@example.com")], &customer);
    assert_eq!(asked.status, 200, "{}", text(&asked.body));
    let api = Api::new(&w.strict);
    let deadline = Instant::now() + Duration::from_secs(30);
    let link = loop {
        let (_, outbox) = api.get("/admin/outbox", Some(storefront_tests::ADMIN_TOKEN));
        let found = outbox["emails"].as_array().into_iter().flatten().find_map(|e| {
            let body = e["body"].as_str().filter(|_| e["to"] == "host.only@example.com")?;
            let at = body.find("/account/verify?t=")?;
            Some(body.get(at..)?.split_whitespace().next()?.to_string())
        });
        if let Some(link) = found {
            break link;
        }
        assert!(Instant::now() < deadline, "no sign-in link reached the outbox");
        std::thread::sleep(Duration::from_millis(200));
    };
    let token = link.split("t=").nth(1).unwrap().to_string();
    let used = shopper.post_form_with("/account/verify", &[("t", &token)], &customer);
    assert_eq!(used.status, 303, "{}", text(&used.body));
    let session = used.set_cookie("__Host-customer").expect("a __Host- customer cookie");
    for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(session.contains(part), "{part} in {session}");
    }
    println!("customer sign-in links: {limit} per {period} s per client; link {} got 429", limit + 1);
}

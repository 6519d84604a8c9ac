//! The hostile-input suite: hundreds of malformed, oversized, forged and malicious
//! requests across every route and API endpoint, against a real `wrangler dev`.
//!
//! For every case: no response is a 5xx; nothing the client sent that could be markup
//! comes back unescaped; no secret or project file leaks; and whenever the request is
//! refused (4xx), the stored state — two carts with checkout details, stock, orders and
//! the email outbox — is exactly what it was. Cases a well-behaved shop may accept (an
//! address line that looks like HTML is still an address line) must then show the stored
//! text escaped on every page that displays it.
//!
//! Prints the number of cases and the status-code histogram, and writes both to
//! `test-artifacts/hostile.json`.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::collections::BTreeMap;
use storefront_tests::commerce::{available, new_cart};
use storefront_tests::{
    project_root, send_raw, try_send, Api, Reply, Shop, ShopOptions, Shopper, TempDir, ADMIN_TOKEN, TEST_VARS,
};

/// Markup payloads: each contains `<`, so finding one verbatim in a response means it
/// was reflected unescaped.
/// Text that breaks code which slices by byte offset or indexes unchecked.
const NON_ASCII: [&str; 9] = [
    "1234é5678",
    "123é AB",
    "日本語の住所",
    "e\u{301}\u{301}\u{301}",
    "\u{202E}gnp.exe\u{202C}",
    "a\u{0}b",
    "😀😀😀😀😀",
    "\u{ff19}\u{ff14}\u{ff11}\u{ff10}\u{ff17}",
    "Ｋ1Ａ ０Ｂ1",
];

const XSS: [&str; 6] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg/onload=alert(1)>",
    "javascript:alert(1)//<b>x</b>",
    "</title><script>alert(1)</script>",
    "<iframe src=//evil.example/>",
];

/// Text that must never appear in any response.
fn secrets() -> Vec<String> {
    let mut found: Vec<String> = TEST_VARS
        .iter()
        .filter(|(name, _)| *name == "SIGNING_SECRET" || *name == "ADMIN_TOKEN")
        .map(|(_, value)| value.to_string())
        .collect();
    found.extend(["compatibility_date".to_string(), "[workspace]".to_string(), "root:x:0:0".to_string()]);
    found
}

/// Form fields, by name.
type Pairs = Vec<(&'static str, &'static str)>;
/// Request headers, by name.
type Headers = Vec<(String, String)>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Must be a 4xx (and, like every refusal, change nothing).
    Refused,
    /// May be served or refused; never a 5xx, never a reflection.
    Either,
}

struct Case {
    group: &'static str,
    what: String,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    expect: Expect,
    payload: Option<String>,
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn form_body(fields: &[(&str, &str)]) -> Vec<u8> {
    fields.iter().map(|(n, v)| format!("{}={}", enc(n), enc(v))).collect::<Vec<_>>().join("&").into_bytes()
}

/// The shopper whose HTML session the form cases use, and the API cart of the API cases.
struct Target {
    html_token: String,
    html_id: String,
    csrf: String,
    api_id: String,
    api_token: String,
}

impl Target {
    fn cookie(&self) -> (String, String) {
        ("cookie".into(), format!("cart={}", self.html_token))
    }

    fn form(&self, path: &str, fields: &[(&str, &str)]) -> (String, Vec<(String, String)>, Vec<u8>) {
        let mut all = fields.to_vec();
        all.push(("csrf", &self.csrf));
        let headers =
            vec![self.cookie(), ("content-type".into(), "application/x-www-form-urlencoded".into())];
        (path.to_string(), headers, form_body(&all))
    }

    fn bearer(&self) -> (String, String) {
        ("authorization".into(), format!("Bearer {}", self.api_token))
    }
}

fn valid_address() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "Hostile Tester"),
        ("line1", "1 Main St"),
        ("line2", ""),
        ("city", "San Francisco"),
        ("region", "CA"),
        ("postal_code", "94107"),
        ("country", "US"),
    ]
}

fn cases(t: &Target) -> Vec<Case> {
    let mut out = Vec::new();
    let mut push = |group: &'static str,
                    what: String,
                    method: &'static str,
                    (path, headers, body): (String, Vec<(String, String)>, Vec<u8>),
                    expect: Expect,
                    payload: Option<&str>| {
        out.push(Case {
            group,
            what,
            method,
            path,
            headers,
            body,
            expect,
            payload: payload.map(str::to_string),
        });
    };
    let get = |path: String| (path, vec![t.cookie()], Vec::new());
    let json_to = |path: String, body: &str, auth: bool| {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if auth {
            headers.push(t.bearer());
        }
        (format!("/api/v1{path}"), headers, body.as_bytes().to_vec())
    };
    let api = format!("/carts/{}", t.api_id);
    let checkout = format!("/checkouts/{}", t.api_id);

    // 1. Markup in every text field of every form.
    let form_fields: Vec<(&str, Pairs, &str, Expect)> = vec![
        ("/checkout/contact", vec![], "email", Expect::Refused),
        ("/cart/discount", vec![], "code", Expect::Refused),
        ("/cart/add", vec![("variant", "BRP-1")], "product", Expect::Refused),
        ("/cart/add", vec![("product", "brass-pen")], "variant", Expect::Refused),
        ("/cart/add", vec![("product", "brass-pen"), ("variant", "BRP-1")], "quantity", Expect::Refused),
        ("/cart/update", vec![("quantity", "1")], "sku", Expect::Refused),
        ("/cart/remove", vec![], "sku", Expect::Refused),
        ("/cart/link", vec![], "items", Expect::Refused),
        ("/checkout/shipping", vec![], "rate", Expect::Refused),
        ("/orders/lookup", vec![("number", "FL-AAAAA-AAAAA")], "email", Expect::Refused),
        ("/orders/lookup", vec![("email", "a@example.com")], "number", Expect::Refused),
        ("/checkout/complete", vec![("idempotency_key", "hostile-1")], "card", Expect::Refused),
        ("/checkout/complete", vec![("card", "4000 0000 0000 0002")], "idempotency_key", Expect::Either),
        (
            "/checkout/complete",
            vec![("idempotency_key", "hostile-2"), ("card", "4000 0000 0000 0002")],
            "expected_total",
            Expect::Refused,
        ),
    ];
    for (path, others, field, expect) in &form_fields {
        for payload in XSS {
            let mut fields = others.clone();
            fields.push((field, payload));
            push(
                "markup in form fields",
                format!("{path} {field}={payload}"),
                "POST",
                t.form(path, &fields),
                *expect,
                Some(payload),
            );
        }
    }
    for field in ["name", "line1", "line2", "city", "region", "postal_code", "country"] {
        for payload in XSS {
            let fields: Vec<(&str, &str)> = valid_address()
                .into_iter()
                .map(|(n, v)| if n == field { (n, payload) } else { (n, v) })
                .collect();
            let expect = if matches!(field, "region" | "postal_code" | "country") {
                Expect::Refused
            } else {
                Expect::Either
            };
            push(
                "markup in form fields",
                format!("/checkout/address {field}={payload}"),
                "POST",
                t.form("/checkout/address", &fields),
                expect,
                Some(payload),
            );
        }
    }

    // 1b. Text that breaks byte-offset code in every text field of every form, and of
    // the address in every position: multi-byte letters (one where a ZIP+4 is sliced),
    // combining marks, bidi controls, NUL, emoji, full-width digits. Served or refused,
    // never a 5xx (a panic would reset the isolate).
    for (path, others, field, _) in &form_fields {
        for text in NON_ASCII {
            let mut fields = others.clone();
            fields.push((field, text));
            push(
                "non-ASCII text",
                format!("{path} {field}={text:?}"),
                "POST",
                t.form(path, &fields),
                Expect::Either,
                None,
            );
        }
    }
    for field in ["name", "line1", "line2", "city", "region", "postal_code", "country"] {
        for text in NON_ASCII {
            let fields: Vec<(&str, &str)> = valid_address()
                .into_iter()
                .map(|(n, v)| if n == field { (n, text) } else { (n, v) })
                .collect();
            push(
                "non-ASCII text",
                format!("/checkout/address {field}={text:?}"),
                "POST",
                t.form("/checkout/address", &fields),
                Expect::Either,
                None,
            );
        }
    }
    for text in NON_ASCII {
        let s = serde_json::to_string(text).unwrap();
        let address = |field: &str| {
            let mut fields: serde_json::Map<String, Value> = valid_address()
                .into_iter()
                .map(|(n, v)| (n.to_string(), Value::String(v.to_string())))
                .collect();
            fields.insert(field.to_string(), Value::String(text.to_string()));
            Value::Object(fields).to_string()
        };
        let mut json_cases = vec![
            (format!("{api}/lines"), format!("{{\"sku\": {s}}}")),
            (format!("{api}/discount"), format!("{{\"code\": {s}}}")),
            (format!("{checkout}/contact"), format!("{{\"email\": {s}}}")),
            (format!("{checkout}/shipping"), format!("{{\"rate\": {s}}}")),
            ("/orders/lookup".to_string(), format!("{{\"email\": {s}, \"number\": {s}}}")),
            (
                "/orders/FL-AAAAA-AAAAA/payment".to_string(),
                format!("{{\"token\": {s}, \"payment_method\": {s}}}"),
            ),
        ];
        for field in ["name", "line1", "line2", "city", "region", "postal_code", "country"] {
            json_cases.push((format!("{checkout}/address"), address(field)));
        }
        for (path, body) in json_cases {
            let method = if path.ends_with("/lines") || path.starts_with("/orders") { "POST" } else { "PUT" };
            push(
                "non-ASCII text",
                format!("{method} {path} {body}"),
                method,
                json_to(path, &body, true),
                Expect::Either,
                None,
            );
        }
        let e = enc(text);
        for path in [
            format!("/search?q={e}"),
            format!("/api/v1/search?q={e}"),
            format!("/collections/knitwear?filter.size={e}"),
        ] {
            push("non-ASCII text", path.clone(), "GET", get(path), Expect::Either, None);
        }
    }

    // 2. Markup in paths and query strings.
    for payload in XSS {
        let e = enc(payload);
        for path in [
            format!("/search?q={e}"),
            format!("/search/suggest?q={e}"),
            format!("/collections/knitwear?sort={e}"),
            format!("/collections/knitwear?filter.size={e}"),
            format!("/collections/knitwear?page={e}"),
            format!("/products/brass-pen?variant={e}"),
            format!("/products/{e}"),
            format!("/collections/{e}"),
            format!("/pages/{e}"),
            format!("/cart/{e}"),
            format!("/orders/{e}?token={e}"),
            format!("/api/v1/search?q={e}"),
        ] {
            push(
                "markup in paths and queries",
                path.clone(),
                "GET",
                get(path),
                Expect::Either,
                Some(payload),
            );
        }
    }

    // 3. Markup in API JSON fields.
    for payload in XSS {
        let s = serde_json::to_string(payload).unwrap();
        for (path, body, expect) in [
            (format!("{api}/lines"), format!("{{\"sku\": {s}}}"), Expect::Refused),
            (format!("{api}/discount"), format!("{{\"code\": {s}}}"), Expect::Refused),
            (format!("{checkout}/contact"), format!("{{\"email\": {s}}}"), Expect::Refused),
            (format!("{checkout}/shipping"), format!("{{\"rate\": {s}}}"), Expect::Refused),
            (
                format!("{checkout}/address"),
                format!("{{\"name\": {s}, \"line1\": \"1 Main St\", \"line2\": \"\", \"city\": \"San Francisco\", \"region\": \"CA\", \"postal_code\": \"94107\", \"country\": \"US\"}}"),
                Expect::Either,
            ),
            ("/orders/lookup".to_string(), format!("{{\"email\": {s}, \"number\": {s}}}"), Expect::Refused),
            (format!("{api}/lines"), format!("{{{s}: 1}}"), Expect::Refused),
        ] {
            let method = if path.ends_with("/lines") || path.starts_with("/orders") { "POST" } else { "PUT" };
            push("markup in API fields", format!("{method} {path} {body}"), method, json_to(path, &body, true), expect, Some(payload));
        }
    }

    // 4. Quantities: zero, negative, fractional, huge, not numbers.
    for q in [
        "0",
        "-1",
        "-0",
        "1.5",
        "1e3",
        "99999999999999999999",
        "4294967296",
        "100",
        "0x10",
        "",
        "abc",
        "+1",
        "\u{ff11}",
        "1 2",
    ] {
        let fields = [("product", "brass-pen"), ("variant", "BRP-1"), ("quantity", q)];
        push(
            "quantities",
            format!("/cart/add quantity={q:?}"),
            "POST",
            t.form("/cart/add", &fields),
            Expect::Refused,
            None,
        );
        if q != "0" && q != "-0" {
            let fields = [("sku", "BRP-1"), ("quantity", q)];
            push(
                "quantities",
                format!("/cart/update quantity={q:?}"),
                "POST",
                t.form("/cart/update", &fields),
                Expect::Refused,
                None,
            );
        }
    }
    for q in
        ["0", "-1", "1.5", "1e3", "99999999999999999999", "4294967296", "100", "\"2\"", "null", "true", "[1]"]
    {
        let add = format!("{{\"sku\": \"SWM-SLATE\", \"quantity\": {q}}}");
        push(
            "quantities",
            format!("API add quantity {q}"),
            "POST",
            json_to(format!("{api}/lines"), &add, true),
            Expect::Refused,
            None,
        );
        let patch = format!("{{\"quantity\": {q}}}");
        if q != "0" {
            push(
                "quantities",
                format!("API patch quantity {q}"),
                "PATCH",
                json_to(format!("{api}/lines/SWM-SPECK"), &patch, true),
                Expect::Refused,
                None,
            );
        }
    }
    for (what, fields) in [
        ("unknown product", vec![("product", "no-such-product"), ("variant", "BRP-1")]),
        ("unknown SKU", vec![("product", "brass-pen"), ("variant", "NOPE-1")]),
        ("another product's SKU", vec![("product", "brass-pen"), ("variant", "SWM-SPECK")]),
        ("sold-out SKU", vec![("product", "alpaca-scarf"), ("variant", "ALS-OAT")]),
    ] {
        push("unknown items", what.to_string(), "POST", t.form("/cart/add", &fields), Expect::Refused, None);
    }
    push(
        "unknown items",
        "API unknown SKU".into(),
        "POST",
        json_to(format!("{api}/lines"), "{\"sku\": \"NOPE-1\"}", true),
        Expect::Refused,
        None,
    );
    push(
        "unknown items",
        "update a SKU not in the cart".into(),
        "POST",
        t.form("/cart/update", &[("sku", "NOPE-1"), ("quantity", "2")]),
        Expect::Either,
        None,
    );

    // 5. Path traversal, odd and oversized addresses.
    let long = "a".repeat(300);
    let too_long = "a".repeat(3_000);
    let traversal = [
        "/products/..%2F..%2Fwrangler.toml",
        "/products/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/collections/..%5c..%5cwindows%5cwin.ini",
        "/pages/..%2f..%2f.dev.vars",
        "/images/..%2f..%2fwrangler.toml",
        "/pkg/..%2f..%2fCargo.toml",
        "/sitemaps/..%2fcatalog%3Acurrent",
        "/sitemaps/products-99999.xml",
        "/products/%00",
        "/products/%FF%FE",
        "/collections/%C0%AE%C0%AE%2F",
        "/.dev.vars",
        "/wrangler.toml",
        "/worker/build/index.js",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/cart/%FF:1",
        "/cart/BRP-1:-1",
        "/cart/BRP-1:99999999999",
        "/orders/FL-AAAAA-AAAAA?token=guess",
        "/orders/..%2F..%2Fapi%2Fv1%2Fadmin%2Forders",
        "/api/v1/products/..%2F..%2Fadmin%2Forders",
        "/api/v1/carts/..%2F..%2Fadmin%2Forders",
        "/api/v1/admin/orders/..%2F..%2F..%2Fproducts",
        "/api/v1/nothing",
    ];
    for path in traversal {
        push("paths", path.to_string(), "GET", get(path.to_string()), Expect::Refused, None);
    }
    push(
        "paths",
        "a 300-character handle".into(),
        "GET",
        get(format!("/products/{long}")),
        Expect::Refused,
        None,
    );
    push(
        "paths",
        "a 3000-character path".into(),
        "GET",
        get(format!("/products/{too_long}")),
        Expect::Refused,
        None,
    );
    push(
        "paths",
        "a 5000-character query".into(),
        "GET",
        get(format!("/search?q={}", "a".repeat(5_000))),
        Expect::Refused,
        None,
    );
    for query in [
        "/collections/knitwear?page=0",
        "/collections/knitwear?page=-1",
        "/collections/knitwear?page=99999999999999999999",
        "/collections/knitwear?price_min=-5",
        "/collections/knitwear?price_max=abc",
        "/collections/knitwear?price_min=1e309",
        "/collections/knitwear?filter.colour=%FF",
        "/collections/knitwear?sort=price-asc&sort=name",
        "/collections/knitwear?page=1&page=2",
        "/products/brass-pen?variant=%FF",
        "/products/brass-pen?variant=NOPE-1",
        "/products/brass-pen?variant=BRP-1&variant=BRP-1",
        "/search?q=%00%01%02",
        "/search?q=%FF%FE",
        "/search?q=a&q=b",
        "/search?q=mug&page=0",
        "/search?q=mug&page=99999999999",
        "/search/suggest?q=%FF",
        "/api/v1/search?q=mug&page=abc",
        "/api/v1/collections/knitwear?page=-1",
        "/api/v1/admin/orders?limit=99999999999999",
    ] {
        push("queries", query.to_string(), "GET", get(query.to_string()), Expect::Either, None);
    }
    let many_terms = (0..400).map(|i| format!("w{i}")).collect::<Vec<_>>().join("+");
    push(
        "queries",
        "a search of 400 terms".into(),
        "GET",
        get(format!("/search?q={many_terms}")),
        Expect::Either,
        None,
    );

    // 6. Malformed form bodies.
    for path in ["/cart/add", "/checkout/address", "/orders/lookup", "/checkout/contact"] {
        let cookie = t.cookie();
        let form_type = ("content-type".to_string(), "application/x-www-form-urlencoded".to_string());
        let csrf = format!("csrf={}", t.csrf);
        let bodies: Vec<(&str, Headers, Vec<u8>)> = vec![
            (
                "a truncated escape",
                vec![cookie.clone(), form_type.clone()],
                format!("{csrf}&product=%").into_bytes(),
            ),
            (
                "a bad escape",
                vec![cookie.clone(), form_type.clone()],
                format!("{csrf}&product=%G1&email=%ZZ").into_bytes(),
            ),
            (
                "invalid UTF-8",
                vec![cookie.clone(), form_type.clone()],
                [format!("{csrf}&product=").as_bytes(), b"\xff\xfe\xfd&variant=BRP-1&email=\xc3\x28"]
                    .concat(),
            ),
            (
                "duplicate fields",
                vec![cookie.clone(), form_type.clone()],
                format!(
                    "{csrf}&product=brass-pen&product=stoneware-mug&variant=BRP-1&email=a@b.co&email=c@d.co"
                )
                .into_bytes(),
            ),
            (
                "a duplicated token",
                vec![cookie.clone(), form_type.clone()],
                format!("{csrf}&{csrf}&product=brass-pen&variant=BRP-1").into_bytes(),
            ),
            (
                "only separators",
                vec![cookie.clone(), form_type.clone()],
                format!("{csrf}&&&===&=").into_bytes(),
            ),
            ("no fields", vec![cookie.clone(), form_type.clone()], csrf.clone().into_bytes()),
            (
                "a JSON body",
                vec![cookie.clone(), ("content-type".into(), "application/json".into())],
                b"{\"product\":\"brass-pen\"}".to_vec(),
            ),
            (
                "a multipart body",
                vec![cookie.clone(), ("content-type".into(), "multipart/form-data; boundary=x".into())],
                b"--x\r\nContent-Disposition: form-data; name=\"product\"\r\n\r\nbrass-pen\r\n--x--".to_vec(),
            ),
            ("no content type", vec![cookie.clone()], format!("{csrf}&product=brass-pen").into_bytes()),
            (
                "NUL bytes",
                vec![cookie.clone(), form_type.clone()],
                format!("{csrf}&product=brass%00pen&email=a%00@b.co&name=%00").into_bytes(),
            ),
            (
                "header injection",
                vec![cookie.clone(), form_type.clone()],
                format!("{csrf}&email=a%40b.co%0d%0aBcc:%20x%40evil.example&name=x%0d%0aSet-Cookie:%20a=b")
                    .into_bytes(),
            ),
            (
                "a 15 KB field",
                vec![cookie.clone(), form_type.clone()],
                format!("{csrf}&email={}&name={}", "e".repeat(7_000), "n".repeat(7_000)).into_bytes(),
            ),
        ];
        for (what, headers, body) in bodies {
            push(
                "malformed forms",
                format!("{path}: {what}"),
                "POST",
                (path.to_string(), headers, body),
                Expect::Refused,
                None,
            );
        }
    }

    // 7. Malformed JSON.
    let json_targets = [
        ("POST", format!("{api}/lines"), true),
        ("PUT", format!("{checkout}/contact"), true),
        ("PUT", format!("{checkout}/address"), true),
        ("POST", "/orders/lookup".to_string(), false),
        ("POST", "/checkouts".to_string(), true),
        ("PATCH", format!("{api}/lines/SWM-SPECK"), true),
    ];
    let nested = format!("{}{}", "[".repeat(2_000), "]".repeat(2_000));
    let bad_json: Vec<(&str, Vec<u8>)> = vec![
        ("an empty body", Vec::new()),
        ("an open brace", b"{".to_vec()),
        ("a truncated string", b"{\"sku\": \"BRP".to_vec()),
        ("an array", b"[]".to_vec()),
        ("null", b"null".to_vec()),
        ("a bare string", b"\"BRP-1\"".to_vec()),
        (
            "a number where text goes",
            b"{\"sku\": 5, \"email\": 5, \"cart_id\": 5, \"quantity\": \"x\"}".to_vec(),
        ),
        ("invalid UTF-8", b"{\"sku\": \"\xff\xfe\", \"email\": \"\xc3\x28\"}".to_vec()),
        (
            "duplicate keys",
            b"{\"sku\": \"BRP-1\", \"sku\": \"SWM-SPECK\", \"quantity\": 1, \"quantity\": 2}".to_vec(),
        ),
        ("deep nesting", nested.clone().into_bytes()),
        ("an unknown field", b"{\"sku\": \"BRP-1\", \"admin\": true}".to_vec()),
        ("a huge number", b"{\"quantity\": 1e400}".to_vec()),
        ("trailing garbage", b"{\"quantity\": 1} {\"quantity\": 2}".to_vec()),
    ];
    for (method, path, auth) in &json_targets {
        for (what, body) in &bad_json {
            let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
            if *auth {
                headers.push(t.bearer());
            }
            push(
                "malformed JSON",
                format!("{method} {path}: {what}"),
                method,
                (format!("/api/v1{path}"), headers, body.clone()),
                Expect::Refused,
                None,
            );
        }
        push(
            "malformed JSON",
            format!("{method} {path}: text/plain"),
            method,
            {
                let (p, mut h, b) = json_to(path.clone(), "{\"sku\": \"BRP-1\"}", *auth);
                h[0].1 = "text/plain".into();
                (p, h, b)
            },
            Expect::Refused,
            None,
        );
        push(
            "malformed JSON",
            format!("{method} {path}: 20 KB"),
            method,
            json_to(path.clone(), &format!("{{\"sku\": \"{}\"}}", "x".repeat(20_000)), *auth),
            Expect::Refused,
            None,
        );
    }
    let stock_body = |body: &[u8]| {
        (
            "/api/v1/admin/stock/BRP-1".to_string(),
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("authorization".to_string(), format!("Bearer {ADMIN_TOKEN}")),
            ],
            body.to_vec(),
        )
    };
    for (what, body) in [
        ("negative stock", &b"{\"on_hand\": -1}"[..]),
        ("fractional stock", b"{\"on_hand\": 1.5}"),
        ("stock beyond u32", b"{\"on_hand\": 4294967296}"),
        ("stock as text", b"{\"on_hand\": \"ten\"}"),
        ("no stock", b"{}"),
    ] {
        push(
            "malformed JSON",
            format!("admin stock: {what}"),
            "PUT",
            stock_body(body),
            Expect::Refused,
            None,
        );
    }

    // 8. Credentials: forged, replayed, missing.
    let forged_tokens = [
        "".to_string(),
        format!("{}.AAAAAAAAAAAAAAAAAAAAAA", t.api_id),
        t.api_id.clone(),
        format!("{}.{}", t.api_id, "A".repeat(4_000)),
        t.html_token.clone(),
        "..".to_string(),
    ];
    for token in &forged_tokens {
        let headers = vec![("authorization".to_string(), format!("Bearer {token}"))];
        push(
            "credentials",
            format!("API cart with token {:.40}", token),
            "GET",
            (format!("/api/v1{api}"), headers.clone(), Vec::new()),
            Expect::Refused,
            None,
        );
        let mut with_body = headers;
        with_body.push(("content-type".into(), "application/json".into()));
        push(
            "credentials",
            format!("API add with token {:.40}", token),
            "POST",
            (format!("/api/v1{api}/lines"), with_body, b"{\"sku\":\"BRP-1\"}".to_vec()),
            Expect::Refused,
            None,
        );
    }
    for auth in [
        "",
        "Bearer",
        "Bearer wrong-token-0123456789abcdef",
        "Basic dGVzdDp0ZXN0",
        &format!("Bearer {ADMIN_TOKEN}x"),
        &format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1]),
    ] {
        let headers = vec![
            ("authorization".to_string(), auth.to_string()),
            ("content-type".into(), "application/json".into()),
        ];
        push(
            "credentials",
            format!("admin orders with {auth:.30}"),
            "GET",
            ("/api/v1/admin/orders".into(), headers.clone(), Vec::new()),
            Expect::Refused,
            None,
        );
        push(
            "credentials",
            format!("admin stock with {auth:.30}"),
            "PUT",
            ("/api/v1/admin/stock/BRP-1".into(), headers.clone(), b"{\"on_hand\": 0}".to_vec()),
            Expect::Refused,
            None,
        );
        push(
            "credentials",
            format!("admin outbox with {auth:.30}"),
            "GET",
            ("/api/v1/admin/outbox".into(), headers.clone(), Vec::new()),
            Expect::Refused,
            None,
        );
        push(
            "credentials",
            format!("admin fulfil with {auth:.30}"),
            "POST",
            ("/api/v1/admin/orders/FL-AAAAA-AAAAA/fulfil".into(), headers, Vec::new()),
            Expect::Refused,
            None,
        );
    }
    let add_fields = [("product", "brass-pen"), ("variant", "BRP-1"), ("csrf", t.csrf.as_str())];
    let form_type = ("content-type".to_string(), "application/x-www-form-urlencoded".to_string());
    for (what, cookie) in [
        ("a forged signature", format!("cart={}.AAAAAAAAAAAAAAAAAAAAAA", t.html_id)),
        ("an unsigned id", format!("cart={}", t.html_id)),
        ("a 4 KB cookie", format!("cart={}", "A".repeat(4_000))),
        ("two cart cookies", format!("cart=junk; cart={}", t.html_token)),
        ("a path in the cookie", "cart=../../etc/passwd".to_string()),
        ("no cookie", String::new()),
    ] {
        let mut headers = vec![form_type.clone()];
        if !cookie.is_empty() {
            headers.push(("cookie".into(), cookie));
        }
        push(
            "credentials",
            format!("form post with {what}"),
            "POST",
            ("/cart/add".into(), headers, form_body(&add_fields)),
            Expect::Refused,
            None,
        );
    }
    for (what, key) in [
        ("a 5000-character key", "k".repeat(5_000)),
        ("a markup key", "<script>alert(1)</script>".to_string()),
    ] {
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            t.bearer(),
            ("idempotency-key".to_string(), key),
        ];
        push(
            "credentials",
            format!("complete with {what}"),
            "POST",
            (format!("/api/v1{checkout}/complete"), headers, b"{\"card\": \"4000 0000 0000 0002\"}".to_vec()),
            Expect::Either,
            None,
        );
    }
    push(
        "credentials",
        "complete without a key".into(),
        "POST",
        json_to(format!("{checkout}/complete"), "{\"card\": \"4242 4242 4242 4242\"}", true),
        Expect::Refused,
        None,
    );

    // 9. Methods a route does not answer.
    for (method, path) in [
        ("PUT", "/cart/add"),
        ("DELETE", "/cart"),
        ("PATCH", "/products/brass-pen"),
        ("POST", "/products/brass-pen"),
        ("POST", "/"),
        ("GET", "/cart/add"),
        ("GET", "/checkout/complete"),
        ("DELETE", "/api/v1/products"),
        ("POST", "/api/v1/openapi.json"),
        ("PUT", "/api/v1/orders/lookup"),
        ("POST", "/sitemap.xml"),
        ("DELETE", "/orders/lookup"),
    ] {
        push(
            "methods",
            format!("{method} {path}"),
            method,
            (path.to_string(), vec![t.cookie()], Vec::new()),
            Expect::Refused,
            None,
        );
    }
    out
}

/// Everything a refused request must leave alone.
fn snapshot(api: &Api, t: &Target) -> Value {
    let html_cart = api.get(&format!("/carts/{}", t.html_id), Some(&t.html_token)).1;
    let api_cart = api.get(&format!("/carts/{}", t.api_id), Some(&t.api_token)).1;
    let orders = api.get("/admin/orders?limit=500", Some(ADMIN_TOKEN)).1["orders"].as_array().map(Vec::len);
    let outbox = api.get("/admin/outbox", Some(ADMIN_TOKEN)).1["emails"].as_array().map(Vec::len);
    json!({
        "html_cart": html_cart,
        "api_cart": api_cart,
        "stock": [available(api, "brass-pen", "BRP-1"), available(api, "stoneware-mug", "SWM-SPECK"),
                  available(api, "stoneware-mug", "SWM-SLATE")],
        "orders": orders,
        "outbox": outbox,
    })
}

fn reflected(reply: &Reply, payload: &str) -> bool {
    reply.body.contains(payload) || reply.headers.iter().any(|(_, v)| v.contains(payload))
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    libtest_mimic::run(&args, storefront_tests::trials![every_hostile_case_is_refused_or_served_safely])
        .exit();
}

fn every_hostile_case_is_refused_or_served_safely() {
    let state = TempDir::new("hostile");
    let _ = storefront_tests::publish_sample_catalog(state.path());
    let shop = Shop::start(ShopOptions::on(state.path()));
    let api = Api::new(&shop);

    // The HTML shopper: a cart with checkout details; and an API cart.
    let mut shopper = Shopper::new(&shop);
    assert_eq!(
        shopper
            .post_form("/cart/add", &[("product", "brass-pen"), ("variant", "BRP-1"), ("quantity", "2")])
            .status,
        303
    );
    assert_eq!(shopper.post_form("/checkout/contact", &[("email", "hostile@example.com")]).status, 303);
    assert_eq!(shopper.post_form("/checkout/address", &valid_address()).status, 303);
    assert_eq!(shopper.post_form("/checkout/shipping", &[("rate", "standard")]).status, 303);
    let html_token = shopper.cookie("cart").unwrap().to_string();
    let (api_id, api_token) = new_cart(&api);
    let (status, body) = api.post(
        &format!("/carts/{api_id}/lines"),
        Some(&api_token),
        json!({ "sku": "SWM-SPECK", "quantity": 1 }),
    );
    assert_eq!(status, 200, "{body}");
    let target = Target {
        html_id: html_token.split('.').next().unwrap().to_string(),
        html_token,
        csrf: shopper.csrf().unwrap().to_string(),
        api_id,
        api_token,
    };

    let cases = cases(&target);
    let secrets = secrets();
    let mut histogram: BTreeMap<u16, usize> = BTreeMap::new();
    let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut accepted = 0;
    let mut baseline = snapshot(&api, &target);
    for case in &cases {
        let headers: Vec<(&str, &str)> = case.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let reply = match try_send(&shop.base, case.method, &case.path, &headers, &case.body) {
            Ok(reply) => reply,
            Err(e) => {
                failures.push(format!("[{}] {}: no answer ({e})", case.group, case.what));
                continue;
            }
        };
        *histogram.entry(reply.status).or_default() += 1;
        *groups.entry(case.group).or_default() += 1;
        let what = format!(
            "[{}] {} → {}",
            case.group,
            case.what.chars().take(120).collect::<String>(),
            reply.status
        );
        if reply.status >= 500 {
            failures.push(format!(
                "{what}: a server error: {}",
                reply.body.chars().take(300).collect::<String>()
            ));
        }
        if let Some(payload) = &case.payload {
            if reflected(&reply, payload) {
                failures.push(format!("{what}: the payload came back unescaped"));
            }
        }
        if let Some(secret) = secrets.iter().find(|s| reply.body.contains(s.as_str())) {
            failures.push(format!("{what}: the response contains {secret:?}"));
        }
        let refused = (400..500).contains(&reply.status);
        if case.expect == Expect::Refused && !refused {
            failures.push(format!("{what}: expected a 4xx refusal"));
        }
        let now = snapshot(&api, &target);
        if refused || reply.status >= 500 {
            if now != baseline {
                failures.push(format!(
                    "{what}: refused, but stored state changed:\nbefore {baseline}\nafter  {now}"
                ));
                baseline = now;
            }
        } else {
            accepted += 1;
            // Whatever was stored is shown escaped wherever it appears.
            if let Some(payload) = &case.payload {
                for page in ["/cart", "/checkout", &format!("/api/v1/carts/{}", target.html_id)] {
                    let shown = send_raw(
                        &shop.base,
                        "GET",
                        page,
                        &[
                            ("cookie", &format!("cart={}", target.html_token)),
                            ("authorization", &format!("Bearer {}", target.html_token)),
                        ],
                        b"",
                    );
                    if shown.status >= 500 || reflected(&shown, payload) {
                        failures.push(format!(
                            "{what}: {page} shows the stored payload unescaped ({})",
                            shown.status
                        ));
                    }
                }
            }
            baseline = snapshot(&api, &target);
        }
    }

    let histogram_text: Vec<String> = histogram.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    println!("hostile cases: {} ({} served, {} refused)", cases.len(), accepted, cases.len() - accepted);
    for (group, n) in &groups {
        println!("  {group}: {n}");
    }
    println!("status histogram: {}", histogram_text.join(", "));
    let artifacts = project_root().join("test-artifacts");
    let _ = std::fs::create_dir_all(&artifacts);
    let report = json!({
        "cases": cases.len(),
        "served": accepted,
        "groups": groups,
        "status_histogram": histogram.iter().map(|(s, n)| (s.to_string(), *n)).collect::<BTreeMap<_, _>>(),
        "failures": failures,
    });
    let _ = std::fs::write(artifacts.join("hostile.json"), serde_json::to_string_pretty(&report).unwrap());
    assert!(cases.len() >= 200, "at least 200 cases");
    if !failures.is_empty() {
        panic!("{} of {} hostile cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    }
    let server_errors: usize = histogram.iter().filter(|(s, _)| **s >= 500).map(|(_, n)| n).sum();
    assert_eq!(server_errors, 0);
}

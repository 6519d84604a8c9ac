//! The API keeps its contract, in two halves.
//!
//! - The document, `worker/src/openapi.json`, against the Rust the server runs (no shop
//!   needed): each bound is the constant the server checks, each pattern accepts exactly
//!   what the parser of that identifier accepts (property-tested), and each request body
//!   has exactly the fields of the Rust type it is parsed into, the same ones required,
//!   and refuses unknown ones.
//! - Schemathesis (pinned in `tests/contract/requirements.txt`, installed by setup into
//!   `target/schemathesis`) against a fresh shop, with `tests/contract/schemathesis.toml`:
//!   every check, every phase (the stateful one follows the document's links from a new
//!   cart to a placed order), a fixed seed. Any failure fails the test; the run time is
//!   printed and written with the report to `test-artifacts/schemathesis/`.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use proptest::test_runner::{Config, TestRunner};
use serde::de::{DeserializeOwned, Visitor};
use serde_json::{json, Value};
use shared::checkout::{AddressInput, Email, MAX_FIELD_CHARS};
use shared::payments::MAX_CARD_CHARS;
use shared::{api, CartId, Handle, Quantity, Sku};
use std::collections::BTreeSet;
use std::fmt;
use std::process::Command;
use std::time::Instant;
use storefront_tests::{project_root, Api, Shop, ShopOptions, TempDir, ADMIN_TOKEN};

fn main() {
    let args = Arguments::from_args();
    let tests = storefront_tests::trials![
        every_bound_in_the_document_is_the_servers,
        identifier_patterns_accept_what_the_parsers_accept,
        request_bodies_have_the_fields_of_their_rust_types,
        schemathesis_finds_no_failure
    ];
    libtest_mimic::run(&args, tests).exit();
}

fn document() -> Value {
    let path = project_root().join("worker/src/openapi.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("openapi.json is JSON")
}

/// `value`, or what its `$ref` points to.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("local $ref");
            resolve(doc, doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {reference}")))
        }
        None => value,
    }
}

/// The operation `METHOD /path` of the document.
fn operation<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let (method, path) = name.split_once(' ').unwrap();
    doc["paths"][path].get(method.to_ascii_lowercase()).unwrap_or_else(|| panic!("no {name} in the document"))
}

fn request_schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    resolve(doc, &operation(doc, name)["requestBody"]["content"]["application/json"]["schema"])
}

/// A parameter's schema, by operation and parameter name.
fn parameter_schema<'a>(doc: &'a Value, name: &str, parameter: &str) -> &'a Value {
    let parameters = operation(doc, name)["parameters"].as_array().unwrap();
    let found = parameters
        .iter()
        .map(|p| resolve(doc, p))
        .find(|p| p["name"] == parameter)
        .unwrap_or_else(|| panic!("{name} has no parameter {parameter}"));
    resolve(doc, &found["schema"])
}

fn number(schema: &Value, keyword: &str) -> u64 {
    schema[keyword].as_u64().unwrap_or_else(|| panic!("no {keyword} in {schema}"))
}

fn every_bound_in_the_document_is_the_servers() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let checks: Vec<(&str, u64, u64)> = vec![
        ("Sku maxLength", number(&schemas["Sku"], "maxLength"), Sku::MAX_LEN as u64),
        ("Handle maxLength", number(&schemas["Handle"], "maxLength"), Handle::MAX_LEN as u64),
        ("CartId length", number(&schemas["CartId"], "maxLength"), CartId::LEN as u64),
        ("CartId length", number(&schemas["CartId"], "minLength"), CartId::LEN as u64),
        (
            "page maximum",
            number(parameter_schema(&doc, "GET /products", "page"), "maximum"),
            shared::listing::MAX_PAGE.into(),
        ),
        (
            "collection page maximum",
            number(parameter_schema(&doc, "GET /collections/{handle}", "page"), "maximum"),
            shared::listing::MAX_PAGE.into(),
        ),
        (
            "search q maxLength",
            number(parameter_schema(&doc, "GET /search", "q"), "maxLength"),
            shared::search::MAX_QUERY_CHARS as u64,
        ),
        (
            "order search maxLength",
            number(parameter_schema(&doc, "GET /admin/orders", "q"), "maxLength"),
            shared::orders::MAX_SEARCH_CHARS as u64,
        ),
        (
            "tracking number maxLength",
            number(
                &request_schema(&doc, "POST /admin/orders/{number}/fulfil")["properties"]["tracking"],
                "maxLength",
            ),
            shared::orders::MAX_TRACKING_CHARS as u64,
        ),
        (
            "note maxLength",
            number(
                &request_schema(&doc, "POST /admin/orders/{number}/notes")["properties"]["text"],
                "maxLength",
            ),
            shared::orders::MAX_NOTE_CHARS as u64,
        ),
        (
            "order list limit maximum",
            number(parameter_schema(&doc, "GET /admin/orders", "limit"), "maximum"),
            shared::orders::MAX_LIST.into(),
        ),
        (
            "quantity of a new line, maximum",
            number(&request_schema(&doc, "POST /carts/{id}/lines")["properties"]["quantity"], "maximum"),
            Quantity::MAX.into(),
        ),
        (
            "quantity of a changed line, maximum",
            number(
                &request_schema(&doc, "PATCH /carts/{id}/lines/{sku}")["properties"]["quantity"],
                "maximum",
            ),
            Quantity::MAX.into(),
        ),
        (
            "discount code maxLength",
            number(&request_schema(&doc, "PUT /carts/{id}/discount")["properties"]["code"], "maxLength"),
            shared::cart::MAX_CODE_CHARS as u64,
        ),
        (
            "contact email maxLength",
            number(&request_schema(&doc, "PUT /checkouts/{id}/contact")["properties"]["email"], "maxLength"),
            Email::MAX_LEN as u64,
        ),
        (
            "lookup email maxLength",
            number(&request_schema(&doc, "POST /orders/lookup")["properties"]["email"], "maxLength"),
            Email::MAX_LEN as u64,
        ),
        (
            "card maxLength",
            number(&request_schema(&doc, "POST /checkouts/{id}/complete")["properties"]["card"], "maxLength"),
            MAX_CARD_CHARS as u64,
        ),
        (
            "expected_total maximum (i64)",
            number(
                &request_schema(&doc, "POST /checkouts/{id}/complete")["properties"]["expected_total"],
                "maximum",
            ),
            i64::MAX as u64,
        ),
        (
            "on_hand maximum (u32)",
            number(&request_schema(&doc, "PUT /admin/stock/{sku}")["properties"]["on_hand"], "maximum"),
            u32::MAX.into(),
        ),
    ];
    let address = &schemas["AddressInput"]["properties"];
    let mut checks = checks;
    for (field, schema) in address.as_object().unwrap() {
        checks.push(("address field maxLength", number(schema, "maxLength"), MAX_FIELD_CHARS as u64));
        assert!(!field.is_empty());
    }
    let key = parameter_schema(&doc, "POST /checkouts/{id}/complete", "Idempotency-Key");
    checks.push(("Idempotency-Key minLength", number(key, "minLength"), 8));
    checks.push(("Idempotency-Key maxLength", number(key, "maxLength"), 128));
    let wrong: Vec<String> = checks
        .iter()
        .filter(|(_, documented, server)| documented != server)
        .map(|(what, documented, server)| {
            format!("{what}: the document says {documented}, the server {server}")
        })
        .collect();
    assert!(wrong.is_empty(), "the document and the server disagree:\n{}", wrong.join("\n"));
    // The sort orders are the listing's.
    let sorts = parameter_schema(&doc, "GET /collections/{handle}", "sort")["enum"].clone();
    let server: Vec<&str> = shared::listing::SortOrder::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(sorts, json!(server), "the document's sort orders and the server's");
    // The bounds the server checks on the idempotency key are the ones just compared.
    let key = |n: usize| shared::checkout::IdempotencyKey::parse(&"k".repeat(n)).is_ok();
    assert!(key(8) && key(128) && !key(7) && !key(129));
}

/// Whether a text is valid for a string schema: its pattern and length bounds.
struct StringSchema {
    pattern: regex::Regex,
    lengths: std::ops::RangeInclusive<u64>,
}

impl StringSchema {
    fn of(schema: &Value) -> StringSchema {
        let pattern =
            regex::Regex::new(schema["pattern"].as_str().expect("pattern")).expect("the pattern compiles");
        let min = schema["minLength"].as_u64().unwrap_or(0);
        let max = schema["maxLength"].as_u64().unwrap_or(u64::MAX);
        StringSchema { pattern, lengths: min..=max }
    }

    fn accepts(&self, text: &str) -> bool {
        self.pattern.is_match(text) && self.lengths.contains(&(text.chars().count() as u64))
    }
}

fn identifier_patterns_accept_what_the_parsers_accept() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let key = parameter_schema(&doc, "POST /checkouts/{id}/complete", "Idempotency-Key").clone();
    let method =
        request_schema(&doc, "POST /checkouts/{id}/complete")["properties"]["payment_method"].clone();
    type Parser = fn(&str) -> bool;
    // Each alphabet holds what the parser accepts and its near misses, so both sides of
    // every rule get exercised.
    let cases: Vec<(&str, Value, &str, Parser)> = vec![
        ("Sku", schemas["Sku"].clone(), "[A-Za-z0-9._\\-/ é]{0,70}", |s| Sku::parse(s).is_ok()),
        ("Handle", schemas["Handle"].clone(), "[a-z0-9\\-A_]{0,104}", |s| Handle::parse(s).is_ok()),
        ("Handle (short)", schemas["Handle"].clone(), "[a-z\\-]{0,6}", |s| Handle::parse(s).is_ok()),
        ("CartId", schemas["CartId"].clone(), "[0-9a-gA]{30,34}", |s| CartId::parse(s).is_ok()),
        ("CartId (exact)", schemas["CartId"].clone(), "[0-9a-g]{32}", |s| CartId::parse(s).is_ok()),
        ("Idempotency-Key", key, "[A-Za-z0-9_\\- .]{0,132}", |s| {
            shared::checkout::IdempotencyKey::parse(s).is_ok()
        }),
        ("payment_method", method, "(pm_)?[A-Za-z0-9_\\-]{0,258}", shared::payments::valid_payment_method),
    ];
    for (what, schema, alphabet, parses) in cases {
        let schema = StringSchema::of(&schema);
        let mut runner =
            TestRunner::new(Config { cases: 3000, failure_persistence: None, ..Config::default() });
        let result = runner.run(&alphabet, |text| {
            let (documented, server) = (schema.accepts(&text), parses(&text));
            proptest::prop_assert_eq!(
                documented,
                server,
                "{:?}: document {} vs server {}",
                text,
                documented,
                server
            );
            Ok(())
        });
        if let Err(e) = result {
            panic!("{what}: the document's pattern and the server's parser disagree: {e}");
        }
    }
}

/// Reads the field names of a struct from its `Deserialize` impl: serde hands them to
/// `deserialize_struct`, where this deserializer stops.
struct FieldNames;

#[derive(Debug)]
struct Stop(Option<&'static [&'static str]>);

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a struct")
    }
}

impl std::error::Error for Stop {}

impl serde::de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop(None)
    }
}

impl<'de> serde::Deserializer<'de> for FieldNames {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        Err(Stop(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

fn fields_of<T: DeserializeOwned>() -> BTreeSet<String> {
    match T::deserialize(FieldNames) {
        Err(Stop(Some(fields))) => fields.iter().map(|f| f.to_string()).collect(),
        _ => panic!("{} is not a struct", std::any::type_name::<T>()),
    }
}

fn parses<T: DeserializeOwned>(body: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(body.clone()).map(|_| ()).map_err(|e| e.to_string())
}

/// The address is parsed, then validated: its required fields are the validator's (for
/// a country without regions; the document says that US and CA addresses need one).
fn address_parses(body: &Value) -> Result<(), String> {
    let input: AddressInput = serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
    input.validate(&["DE".to_string(), "US".to_string()]).map(|_| ()).map_err(|errors| format!("{errors:?}"))
}

struct Body {
    operation: &'static str,
    fields: fn() -> BTreeSet<String>,
    parses: fn(&Value) -> Result<(), String>,
    /// A complete, valid body.
    example: Value,
}

fn bodies() -> Vec<Body> {
    vec![
        Body {
            operation: "POST /carts/{id}/lines",
            fields: fields_of::<api::NewLine>,
            parses: parses::<api::NewLine>,
            example: json!({ "sku": "BRP-1", "quantity": 2 }),
        },
        Body {
            operation: "PATCH /carts/{id}/lines/{sku}",
            fields: fields_of::<api::QuantityChange>,
            parses: parses::<api::QuantityChange>,
            example: json!({ "quantity": 3 }),
        },
        Body {
            operation: "PUT /carts/{id}/discount",
            fields: fields_of::<api::Code>,
            parses: parses::<api::Code>,
            example: json!({ "code": "WELCOME10" }),
        },
        Body {
            operation: "POST /checkouts",
            fields: fields_of::<api::StartCheckout>,
            parses: parses::<api::StartCheckout>,
            example: json!({ "cart_id": "0123456789abcdef0123456789abcdef" }),
        },
        Body {
            operation: "PUT /checkouts/{id}/contact",
            fields: fields_of::<api::Contact>,
            parses: parses::<api::Contact>,
            example: json!({ "email": "ada@example.com" }),
        },
        Body {
            operation: "PUT /checkouts/{id}/address",
            fields: fields_of::<AddressInput>,
            parses: address_parses,
            example: json!({ "name": "Ada Lovelace", "line1": "Hauptstr. 1", "line2": "2. OG", "city": "Berlin",
                             "region": "Berlin", "postal_code": "10115", "country": "DE" }),
        },
        Body {
            operation: "PUT /checkouts/{id}/shipping",
            fields: fields_of::<api::Rate>,
            parses: parses::<api::Rate>,
            example: json!({ "rate": "standard" }),
        },
        Body {
            operation: "POST /checkouts/{id}/complete",
            fields: fields_of::<api::Complete>,
            parses: parses::<api::Complete>,
            example: json!({ "card": "4242 4242 4242 4242", "payment_method": "pm_card_visa", "expected_total": 4800 }),
        },
        Body {
            operation: "POST /orders/lookup",
            fields: fields_of::<api::Lookup>,
            parses: parses::<api::Lookup>,
            example: json!({ "email": "ada@example.com", "number": "FL-ABCDE-23456" }),
        },
        Body {
            operation: "POST /orders/{number}/payment",
            fields: fields_of::<api::PayAgain>,
            parses: parses::<api::PayAgain>,
            example: json!({ "token": "0123456789abcdef", "payment_method": "pm_card_visa" }),
        },
        Body {
            operation: "POST /admin/orders/{number}/fulfil",
            fields: fields_of::<api::Fulfilment>,
            parses: parses::<api::Fulfilment>,
            example: json!({ "tracking": "1Z999AA10123456784" }),
        },
        Body {
            operation: "POST /admin/orders/{number}/refund",
            fields: fields_of::<api::Refund>,
            parses: parses::<api::Refund>,
            example: json!({ "restock": true }),
        },
        Body {
            operation: "POST /admin/orders/{number}/notes",
            fields: fields_of::<api::NewNote>,
            parses: parses::<api::NewNote>,
            example: json!({ "text": "Gift wrap, please" }),
        },
        Body {
            operation: "PUT /admin/stock/{sku}",
            fields: fields_of::<api::Stock>,
            parses: parses::<api::Stock>,
            example: json!({ "on_hand": 12 }),
        },
    ]
}

fn request_bodies_have_the_fields_of_their_rust_types() {
    let doc = document();
    let mut documented_bodies = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_some() {
                documented_bodies.insert(format!("{} {path}", method.to_ascii_uppercase()));
            }
        }
    }
    let checked: BTreeSet<String> = bodies().iter().map(|b| b.operation.to_string()).collect();
    assert_eq!(documented_bodies, checked, "every documented request body is checked against its Rust type");
    for body in bodies() {
        let op = body.operation;
        let schema = request_schema(&doc, op);
        let properties: BTreeSet<String> =
            schema["properties"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(properties, (body.fields)(), "{op}: the document's properties and the Rust type's fields");
        assert_eq!(schema["additionalProperties"], false, "{op}: the server refuses unknown fields; say so");
        (body.parses)(&body.example).unwrap_or_else(|e| panic!("{op}: the example is refused: {e}"));
        let required: BTreeSet<String> = schema["required"]
            .as_array()
            .map(|r| r.iter().map(|f| f.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let example = body.example.as_object().unwrap();
        assert_eq!(
            example.keys().cloned().collect::<BTreeSet<_>>(),
            properties,
            "{op}: the example has every field"
        );
        for field in &properties {
            let mut without = example.clone();
            without.remove(field);
            let refused = (body.parses)(&Value::Object(without)).is_err();
            assert_eq!(
                refused,
                required.contains(field),
                "{op}: `{field}` is {} in the document but the server {} a body without it",
                if required.contains(field) { "required" } else { "optional" },
                if refused { "refuses" } else { "accepts" }
            );
        }
        if op.ends_with("/address") {
            let description = schema["description"].as_str().unwrap_or_default();
            assert!(
                description.contains("`region` is required for US and CA"),
                "{op}: say when a region is needed"
            );
            let mut us = example.clone();
            us.insert("country".into(), json!("US"));
            us.insert("postal_code".into(), json!("94103"));
            us.remove("region");
            assert!(
                (body.parses)(&Value::Object(us)).is_err(),
                "{op}: a US address without a state is accepted"
            );
        }
        let mut extra = example.clone();
        extra.insert("unexpected".into(), json!(1));
        assert!((body.parses)(&Value::Object(extra)).is_err(), "{op}: an unknown field is accepted");
    }
}

fn schemathesis_finds_no_failure() {
    let root = project_root();
    let st = root.join("target/schemathesis/bin/st");
    assert!(st.exists(), "Schemathesis is not installed at {}: run `make setup`", st.display());
    let state = TempDir::new("contract");
    let shop = Shop::start(ShopOptions::fresh(&state));
    // Stock for many orders of the SKUs the configuration offers Schemathesis, so that
    // the stateful phase's checkouts run out of steps before they run out of stock.
    let api = Api::new(&shop);
    for sku in ["BRP-1", "DGN-NAVY", "ALS-FOREST", "BWC-SMALL"] {
        storefront_tests::commerce::set_stock(&api, sku, 100_000);
    }
    let artifacts = root.join("test-artifacts/schemathesis");
    let _ = std::fs::remove_dir_all(&artifacts);
    std::fs::create_dir_all(&artifacts).unwrap();
    let calls = artifacts.join("calls.log");
    let started = Instant::now();
    let output = Command::new(&st)
        .current_dir(&root)
        .args(["--no-color", "--config-file", "tests/contract/schemathesis.toml", "run"])
        .arg(shop.url("/api/v1/openapi.json"))
        .args(["--report", "junit", "--report-dir"])
        .arg(&artifacts)
        .env("ADMIN_TOKEN", ADMIN_TOKEN)
        .env("CONTRACT_CALLS", &calls)
        .env("NO_COLOR", "1")
        .output()
        .expect("running Schemathesis");
    let seconds = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    std::fs::write(artifacts.join("output.txt"), format!("{stdout}\n{stderr}")).unwrap();
    std::fs::write(artifacts.join("shop.log"), shop.log()).unwrap();
    // Its last line (`=== 3 warnings in 111.54s ===`) and the stateful phase's counts.
    let last = stdout.lines().rev().find(|l| l.starts_with('=') && l.contains(" in ")).unwrap_or("");
    let stateful: Vec<String> = stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("Scenarios:") || l.starts_with("API Links:"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    println!(
        "schemathesis: {seconds:.1} s ({}; stateful {}); output in {}",
        last.trim_matches(|c| c == '=' || c == ' '),
        stateful.join(", "),
        artifacts.display()
    );
    std::fs::write(artifacts.join("seconds.txt"), format!("{seconds:.1}\n")).unwrap();
    assert!(output.status.success(), "Schemathesis failed ({:?}):\n{stdout}\n{stderr}", output.status.code());
    // The stateful phase went the whole way: a cart it created, with that cart's token,
    // got lines, a checkout, an address, a rate and a placed order.
    let log = std::fs::read_to_string(&calls).unwrap_or_default();
    let stateful = |step: &str, with_token: bool| {
        log.lines().any(|l| {
            let (auth, call) =
                l.strip_prefix("stateful ").and_then(|r| r.split_once(' ')).unwrap_or(("", ""));
            call == step && (!with_token || auth == "token")
        })
    };
    assert!(
        stateful("POST /carts 201", false),
        "the stateful phase never created a cart; calls in {}",
        calls.display()
    );
    for step in [
        "POST /carts/{id}/lines 200",
        "POST /checkouts 201",
        "PUT /checkouts/{id}/contact 200",
        "PUT /checkouts/{id}/address 200",
        "PUT /checkouts/{id}/shipping 200",
        "POST /checkouts/{id}/complete 201",
    ] {
        assert!(
            stateful(step, true),
            "the stateful phase never got `{step}` with a cart's own token; calls in {}",
            calls.display()
        );
    }
    drop(shop);
}

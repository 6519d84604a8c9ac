//! API steps shared by the commerce tests: carts, stock, ready-to-pay checkouts, orders.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use crate::{Api, Reply, Shop, Shopper, ADMIN_TOKEN};
use serde_json::{json, Value};

/// A new cart: (id, token).
pub fn new_cart(api: &Api) -> (String, String) {
    let (status, body) = api.post("/carts", None, json!({}));
    assert_eq!(status, 201, "{body}");
    (body["id"].as_str().unwrap().to_string(), body["token"].as_str().unwrap().to_string())
}

pub fn set_stock(api: &Api, sku: &str, on_hand: u32) {
    let (status, body) =
        api.put(&format!("/admin/stock/{sku}"), Some(ADMIN_TOKEN), json!({ "on_hand": on_hand }));
    assert_eq!(status, 200, "{body}");
}

pub fn available(api: &Api, product: &str, sku: &str) -> u64 {
    let (status, body) = api.get(&format!("/products/{product}"), None);
    assert_eq!(status, 200, "{body}");
    body["available"][sku].as_u64().unwrap()
}

/// A cart with `quantity` of `sku`, contact, a California address and standard shipping:
/// ready to complete. Returns (id, token, total in minor units).
pub fn ready_cart(api: &Api, sku: &str, quantity: u32, email: &str) -> (String, String, i64) {
    let (id, token) = new_cart(api);
    let t = Some(token.as_str());
    let (s, b) = api.post(&format!("/carts/{id}/lines"), t, json!({ "sku": sku, "quantity": quantity }));
    assert_eq!(s, 200, "{b}");
    let (s, b) = api.put(&format!("/checkouts/{id}/contact"), t, json!({ "email": email }));
    assert_eq!(s, 200, "{b}");
    let address = json!({ "name": "Test Buyer", "line1": "1 Main St", "line2": "", "city": "San Francisco",
                          "region": "CA", "postal_code": "94107", "country": "US" });
    let (s, b) = api.put(&format!("/checkouts/{id}/address"), t, address);
    assert_eq!(s, 200, "{b}");
    let (s, b) = api.put(&format!("/checkouts/{id}/shipping"), t, json!({ "rate": "standard" }));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["next_step"], "complete", "{b}");
    let total = b["totals"]["total"]["minor"].as_i64().unwrap();
    (id, token, total)
}

pub fn complete(api: &Api, id: &str, token: &str, key: &str, card: &str, total: Option<i64>) -> (u16, Value) {
    let mut body = json!({ "card": card });
    if let Some(t) = total {
        body["expected_total"] = json!(t);
    }
    api.call(
        "POST",
        &format!("/checkouts/{id}/complete"),
        Some(token),
        &[("idempotency-key", key)],
        Some(&body),
    )
}

/// Every order in the merchant's list (newest first). The list is fed by the order
/// shards' alarms a moment after each order; the test route makes the shards forward
/// what is waiting first, so the list is complete when read.
pub fn merchant_orders(api: &Api) -> Vec<Value> {
    let (status, body) = api.post("/test/orders/forward", None, json!({}));
    assert_eq!(status, 200, "{body}");
    let (status, body) = api.get("/admin/orders?limit=500", Some(ADMIN_TOKEN));
    assert_eq!(status, 200, "{body}");
    body["orders"].as_array().unwrap().clone()
}

/// The outbox's emails, as the merchant API lists them.
pub fn outbox(api: &Api) -> Vec<Value> {
    let (status, body) = api.get("/admin/outbox", Some(ADMIN_TOKEN));
    assert_eq!(status, 200, "{body}");
    body["emails"].as_array().unwrap().clone()
}

/// The first outbox email `matching`, once there is one (the queue writes them a moment
/// after their event); `what` names it when it never comes.
pub fn outbox_email_where(api: &Api, what: &str, matching: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(email) = outbox(api).into_iter().find(&matching) {
            return email;
        }
        assert!(std::time::Instant::now() < deadline, "the outbox never had {what}: {:?}", outbox(api));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Orders placed with `email` (newest first), from the merchant API.
pub fn orders_for(api: &Api, email: &str) -> Vec<Value> {
    merchant_orders(api).into_iter().filter(|o| o["email"] == email).collect()
}

/// Orders whose email starts with `prefix`, from the merchant API.
pub fn orders_for_prefix(api: &Api, prefix: &str) -> Vec<Value> {
    merchant_orders(api)
        .into_iter()
        .filter(|o| o["email"].as_str().is_some_and(|e| e.starts_with(prefix)))
        .collect()
}

/// The `value` of the field `name` in a page's form (the first one).
pub fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker)? + marker.len();
    html.get(at..)?.split('"').next().map(str::to_string)
}

/// A shopper who put one `product`/`sku` in the cart through the shop's forms and gave
/// contact, a California address and standard shipping, now on the payment step (the
/// page is the last reply).
pub fn shopper_at_payment(shop: &Shop, product: &str, sku: &str, email: &str) -> (Shopper, Reply) {
    let mut shopper = Shopper::new(shop);
    shopper.get(&format!("/products/{product}"));
    let added = shopper.post_form("/cart/add", &[("product", product), ("variant", sku)]);
    assert_eq!(added.status, 303, "{}", added.body);
    let address = [
        ("name", "Ada Lovelace"),
        ("line1", "1 Main St"),
        ("city", "San Francisco"),
        ("region", "CA"),
        ("postal_code", "94107"),
        ("country", "US"),
    ];
    for (path, fields) in [
        ("/checkout/contact", vec![("email", email)]),
        ("/checkout/address", address.to_vec()),
        ("/checkout/shipping", vec![("rate", "standard")]),
    ] {
        let reply = shopper.post_form(path, &fields);
        assert_eq!(reply.status, 303, "{path}: {}", reply.body);
    }
    let page = shopper.get("/checkout");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("action=\"/checkout/complete\""), "the payment step: {}", page.body);
    (shopper, page)
}

//! The merchant area (`/admin`) over HTTP against a real `wrangler dev`: signing in with
//! the admin token for a session cookie, the order desk (search, filter, fulfil with a
//! tracking number, refund, notes), stock levels and their edit form, and the outbox.
//! Also the metrics (`GET /api/v1/admin/metrics`) after a scripted set of visits and
//! orders. The same walk in Chromium is in `browser.rs`; the sign-in limit and the cookie over
//! https are in `hardening.rs`.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use serde_json::{json, Value};
use std::sync::Arc;
use storefront_tests::commerce::{available, complete, merchant_orders, ready_cart, set_stock};
use storefront_tests::html::{element_containing, text};
use storefront_tests::{Api, Shop, ShopOptions, Shopper, TempDir, ADMIN_TOKEN};

struct World {
    shop: Shop,
}

fn main() {
    let mut args = Arguments::from_args();
    // The metrics test counts what the shop did between two reports: one at a time.
    args.test_threads = Some(1);
    let world = if args.list {
        None
    } else {
        let state = TempDir::new("admin");
        // Carts left alone for two seconds count as abandoned (four hours as shipped).
        let shop = Shop::start(ShopOptions::fresh(&state).vars(&[("CART_ABANDONED_AFTER_SECONDS", "2")]));
        Some((Arc::new(World { shop }), state))
    };
    let tests = storefront_tests::tests![
        signing_in_exchanges_the_token_for_a_strict_session_cookie,
        merchant_forms_need_the_session_and_its_token,
        the_order_desk_finds_fulfils_notes_and_refunds_orders,
        a_refund_puts_the_stock_back_when_the_merchant_asks,
        the_order_desk_exports_its_search_as_csv,
        the_order_desk_and_the_api_page_through_orders,
        the_stock_page_warns_of_low_stock_and_sets_it,
        the_outbox_page_shows_confirmation_emails,
        metrics_count_a_scripted_set_of_visits_and_orders,
        a_cart_left_alone_with_lines_counts_as_abandoned_once,
    ];
    let trials = storefront_tests::shared_trials(world.as_ref().map(|(w, _)| w), tests);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(world);
    conclusion.exit();
}

/// The opening tag of the first element with `marker` in it.
fn tag_with<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    let at = html.find(marker)?;
    let start = html.get(..at)?.rfind('<')?;
    let end = at + html.get(at..)?.find('>')?;
    html.get(start..=end)
}

/// A merchant, signed in through the sign-in form.
fn merchant(shop: &Shop) -> Shopper {
    let mut merchant = Shopper::new(shop);
    let form = merchant.get("/admin/sign-in");
    assert_eq!(form.status, 200, "{}", text(&form.body));
    let signed_in = merchant.post_form("/admin/sign-in", &[("token", ADMIN_TOKEN)]);
    assert_eq!(signed_in.status, 303, "{}", text(&signed_in.body));
    assert_eq!(signed_in.header("location"), Some("/admin/orders"));
    merchant
}

/// A paid order placed through the API with the test provider: its number.
fn paid_order(api: &Api, sku: &str, email: &str, key: &str) -> String {
    set_stock(api, sku, 50);
    let (id, token, total) = ready_cart(api, sku, 1, email);
    let (status, placed) = complete(api, &id, &token, key, "4242424242424242", Some(total));
    assert_eq!(status, 201, "{placed}");
    placed["number"].as_str().unwrap().to_string()
}

fn signing_in_exchanges_the_token_for_a_strict_session_cookie(w: &World) {
    let mut visitor = Shopper::new(&w.shop);
    for path in ["/admin", "/admin/orders", "/admin/stock", "/admin/outbox", "/admin/orders/FL-AAAAA-AAAAA"] {
        let reply = visitor.get(path);
        assert_eq!(reply.status, 303, "{path} without a session");
        assert_eq!(reply.header("location"), Some("/admin/sign-in"), "{path}");
    }
    let form = visitor.get("/admin/sign-in");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"token\""), "a token field");
    assert!(!form.body.contains("<script"), "no script on merchant pages");
    let pre = form.set_cookie("admin-sign-in").expect("the sign-in form's cookie");
    assert!(pre.contains("HttpOnly") && pre.contains("SameSite=Strict"), "{pre}");
    assert!(form.set_cookie("cart").is_none(), "no shopper session in the merchant area");
    assert!(form.header("content-security-policy").unwrap().contains("script-src 'none'"));
    // A wrong token: 401, the form again, no session.
    let wrong = visitor.post_form("/admin/sign-in", &[("token", "test-admin-token-0123456789abcdeX")]);
    assert_eq!(wrong.status, 401, "{}", text(&wrong.body));
    assert!(text(&wrong.body).contains("not this shop's admin token"));
    assert!(wrong.set_cookie("admin").is_none());
    // The right token without the form's own token (a forged sign-in): refused.
    let forged = visitor.post_raw(
        "/admin/sign-in",
        &[("token", ADMIN_TOKEN), ("csrf", "forged")],
        &[("sec-fetch-site", "same-origin")],
    );
    assert_eq!(forged.status, 403, "{}", text(&forged.body));
    // From another site, even with the form's token: refused.
    let csrf = visitor.csrf().unwrap().to_string();
    let cross = visitor.post_raw(
        "/admin/sign-in",
        &[("token", ADMIN_TOKEN), ("csrf", &csrf)],
        &[("sec-fetch-site", "cross-site")],
    );
    assert_eq!(cross.status, 403);
    // The right token: a session cookie, HttpOnly, SameSite=Strict, with an expiry.
    let ok = visitor.post_form("/admin/sign-in", &[("token", ADMIN_TOKEN)]);
    assert_eq!(ok.status, 303, "{}", text(&ok.body));
    let session = ok.set_cookie("admin").expect("a session cookie");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(session.contains(part), "{part} in {session}");
    }
    let desk = visitor.get("/admin/orders");
    assert_eq!(desk.status, 200, "{}", text(&desk.body));
    assert!(text(&desk.body).contains("Orders"));
    // A tampered cookie is no session.
    let value = visitor.cookie("admin").unwrap().to_string();
    let mut tampered = value.clone();
    tampered.replace_range(0..1, if value.starts_with('9') { "8" } else { "9" });
    let reply = visitor.get_with_cookie("/admin/orders", &format!("admin={tampered}"));
    assert_eq!(reply.status, 303, "a changed expiry breaks the signature");
    let forged_session = "admin=99999999999.00000000000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(visitor.get_with_cookie("/admin/orders", forged_session).status, 303);
    // The shop's shopper cookie is not a merchant session either.
    let mut shopper = Shopper::new(&w.shop);
    shopper.get("/cart");
    let cart = shopper.cookie("cart").unwrap().to_string();
    assert_eq!(visitor.get_with_cookie("/admin/orders", &format!("admin={cart}")).status, 303);
    // Signing out ends it.
    let out = visitor.post_form("/admin/sign-out", &[]);
    assert_eq!(out.status, 303);
    assert!(out.set_cookie("admin").unwrap().contains("Max-Age=0"));
    assert_eq!(visitor.get("/admin/orders").status, 303);
}

fn merchant_forms_need_the_session_and_its_token(w: &World) {
    let api = Api::new(&w.shop);
    let number = paid_order(&api, "RTD-RUST", "forms@example.com", "admin-forms-1");
    let path = format!("/admin/orders/{number}/fulfil");
    // Without a session nothing changes: 401.
    let mut stranger = Shopper::new(&w.shop);
    stranger.get("/orders/lookup");
    let reply = stranger.post_form(&path, &[("tracking", "X1")]);
    assert_eq!(reply.status, 401, "{}", text(&reply.body));
    // With the session but another token (a forged form): 403.
    let mut merchant = merchant(&w.shop);
    let reply = merchant.post_raw(&path, &[("csrf", "not-the-token")], &[("sec-fetch-site", "same-origin")]);
    assert_eq!(reply.status, 403, "{}", text(&reply.body));
    // With the session's token but from another site: 403.
    merchant.get(&format!("/admin/orders/{number}"));
    let reply = merchant.post_form_with(&path, &[], &[("sec-fetch-site", "cross-site")]);
    assert_eq!(reply.status, 403);
    // A shopper's CSRF token is not the merchant's.
    let shopper_token = stranger.csrf().unwrap().to_string();
    let reply = merchant.post_raw(&path, &[("csrf", &shopper_token)], &[("sec-fetch-site", "same-origin")]);
    assert_eq!(reply.status, 403);
    let (_, body) =
        api.post("/orders/lookup", None, json!({ "email": "forms@example.com", "number": number }));
    assert_eq!(body["order"]["status"], "paid", "nothing was fulfilled: {body}");
    // Unknown pages and orders are 404s, bad numbers too.
    assert_eq!(merchant.get("/admin/orders/FL-ZZZZZ-ZZZZZ").status, 404);
    assert_eq!(merchant.get("/admin/orders/%F0%9F%A6%80").status, 404);
    assert_eq!(merchant.get("/admin/nothing").status, 404);
    assert_eq!(merchant.get("/admin/orders?status=shipped").status, 400);
}

fn the_order_desk_finds_fulfils_notes_and_refunds_orders(w: &World) {
    let api = Api::new(&w.shop);
    let first = paid_order(&api, "RTD-RUST", "desk.first@example.com", "admin-desk-1");
    let second = paid_order(&api, "WCT-TAN", "desk.second@example.com", "admin-desk-2");
    merchant_orders(&api); // the shards have forwarded both to the index
    let mut merchant = merchant(&w.shop);
    // Search by email prefix (any case), by number prefix, and filter by state.
    let found = merchant.get("/admin/orders?q=DESK.FIRST");
    assert_eq!(found.status, 200);
    assert!(found.body.contains(&format!("data-order=\"{first}\"")), "{}", text(&found.body));
    assert!(!found.body.contains(&format!("data-order=\"{second}\"")));
    let prefix: String = second.chars().take(9).collect();
    let found = merchant.get(&format!("/admin/orders?q={}", prefix.to_lowercase()));
    assert!(found.body.contains(&format!("data-order=\"{second}\"")), "{}", text(&found.body));
    let none = merchant.get("/admin/orders?q=%25&status=paid");
    assert!(text(&none.body).contains("No order matches"), "a % is a character, not a wildcard");
    let paid = merchant.get("/admin/orders?q=desk.&status=paid");
    assert!(paid.body.contains(&first) && paid.body.contains(&second));
    // The detail page, then fulfil with a tracking number.
    let detail = merchant.get(&format!("/admin/orders/{first}"));
    assert_eq!(detail.status, 200);
    assert!(text(&detail.body).contains("desk.first@example.com"));
    assert!(detail.body.contains("data-fulfil"), "a paid order can be fulfilled");
    let long = "9".repeat(101);
    let refused = merchant.post_form(&format!("/admin/orders/{first}/fulfil"), &[("tracking", &long)]);
    assert_eq!(refused.status, 400);
    assert!(text(&refused.body).contains("at most 100 characters"), "{}", text(&refused.body));
    let done =
        merchant.post_form(&format!("/admin/orders/{first}/fulfil"), &[("tracking", " 1Z999AA10123456784 ")]);
    assert_eq!(done.status, 303, "{}", text(&done.body));
    assert_eq!(done.header("location").unwrap(), format!("/admin/orders/{first}?done=fulfilled"));
    let detail = merchant.get(&format!("/admin/orders/{first}?done=fulfilled"));
    assert!(text(&detail.body).contains("Marked fulfilled."));
    assert!(detail.body.contains("data-order-status=\"fulfilled\""));
    assert_eq!(
        element_containing(&detail.body, "data-tracking").map(text).as_deref(),
        Some("1Z999AA10123456784")
    );
    let (_, body) =
        api.post("/orders/lookup", None, json!({ "email": "desk.first@example.com", "number": first }));
    assert_eq!(body["order"]["status"], "fulfilled");
    assert_eq!(body["order"]["tracking"], "1Z999AA10123456784");
    // Notes: kept in order, any text, shown escaped; an empty one is refused.
    let note = "Gift wrap <b>please</b> — 🎁\nsecond line";
    let noted = merchant.post_form(&format!("/admin/orders/{first}/notes"), &[("text", note)]);
    assert_eq!(noted.status, 303, "{}", text(&noted.body));
    let detail = merchant.get(&format!("/admin/orders/{first}"));
    assert!(detail.body.contains("Gift wrap &lt;b&gt;please&lt;/b&gt; — 🎁\nsecond line"), "{}", detail.body);
    let empty = merchant.post_form(&format!("/admin/orders/{first}/notes"), &[("text", "  ")]);
    assert_eq!(empty.status, 400);
    assert!(text(&empty.body).contains("The note is empty"));
    // A refund needs its box ticked; then the order is refunded and cannot be fulfilled.
    let unconfirmed = merchant.post_form(&format!("/admin/orders/{second}/refund"), &[]);
    assert_eq!(unconfirmed.status, 400);
    assert!(text(&unconfirmed.body).contains("nothing was refunded"));
    let refunded = merchant.post_form(&format!("/admin/orders/{second}/refund"), &[("confirm", "yes")]);
    assert_eq!(refunded.status, 303, "{}", text(&refunded.body));
    let detail = merchant.get(&format!("/admin/orders/{second}?done=refunded"));
    assert!(detail.body.contains("data-order-status=\"refunded\""));
    assert!(!detail.body.contains("data-fulfil") && !detail.body.contains("data-refund"));
    let late = merchant.post_form(&format!("/admin/orders/{second}/fulfil"), &[("tracking", "")]);
    assert_eq!(late.status, 409, "{}", text(&late.body));
    assert!(text(&late.body).contains("only paid orders can be fulfilled"));
    // The desk's state filter sees both changes once the shards forward them.
    merchant_orders(&api);
    let fulfilled = merchant.get("/admin/orders?q=desk.&status=fulfilled");
    assert!(fulfilled.body.contains(&first) && !fulfilled.body.contains(&second));
    let refunded = merchant.get("/admin/orders?q=desk.&status=refunded");
    assert!(refunded.body.contains(&second) && !refunded.body.contains(&first));
    // The API speaks the same search.
    let (status, body) = api.get("/admin/orders?q=desk.second&status=refunded", Some(ADMIN_TOKEN));
    assert_eq!(status, 200, "{body}");
    let numbers: Vec<&str> =
        body["orders"].as_array().unwrap().iter().filter_map(|o| o["number"].as_str()).collect();
    assert_eq!(numbers, vec![second.as_str()]);
}

/// An order of `quantity` units of `sku` paid through the API: its number.
fn paid_order_of(api: &Api, sku: &str, quantity: u32, email: &str, key: &str) -> String {
    let (id, token, total) = ready_cart(api, sku, quantity, email);
    let (status, placed) = complete(api, &id, &token, key, "4242424242424242", Some(total));
    assert_eq!(status, 201, "{placed}");
    placed["number"].as_str().unwrap().to_string()
}

fn a_refund_puts_the_stock_back_when_the_merchant_asks(w: &World) {
    let api = Api::new(&w.shop);
    let tee = |api: &Api| available(api, "heavyweight-pocket-tee", "HPT-XL");
    set_stock(&api, "HPT-XL", 10);
    let kept = paid_order_of(&api, "HPT-XL", 2, "restock.kept@example.com", "admin-restock-1");
    let back = paid_order_of(&api, "HPT-XL", 3, "restock.back@example.com", "admin-restock-2");
    assert_eq!(tee(&api), 5, "two orders sold 5 of 10");
    let refund = |number: &str, body: Value| {
        api.post(&format!("/admin/orders/{number}/refund"), Some(ADMIN_TOKEN), body)
    };
    // An unknown field or a restock that is not true/false: 400, nothing refunded.
    for body in [json!({ "restock": true, "units": 3 }), json!({ "restock": "yes" })] {
        let (status, reply) = refund(&kept, body.clone());
        assert_eq!(status, 400, "{body}: {reply}");
    }
    let (_, found) =
        api.post("/orders/lookup", None, json!({ "email": "restock.kept@example.com", "number": kept }));
    assert_eq!(found["order"]["status"], "paid", "{found}");
    // Refunded without a word about stock: the units stay sold.
    let (status, reply) = refund(&kept, json!({}));
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["order"]["status"], "refunded");
    assert_eq!(reply["order"]["payment"]["restocked_at_ms"], Value::Null, "{reply}");
    assert_eq!(tee(&api), 5);
    // Refunded with restock: its 3 units are free again, once however often it is asked.
    let (status, reply) = refund(&back, json!({ "restock": true }));
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["order"]["status"], "refunded");
    assert!(reply["order"]["payment"]["restocked_at_ms"].is_u64(), "{reply}");
    assert_eq!(tee(&api), 8);
    let (status, again) = refund(&back, json!({ "restock": true }));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["order"]["payment"]["restocked_at_ms"], reply["order"]["payment"]["restocked_at_ms"]);
    assert_eq!(tee(&api), 8, "a second restock gives nothing more back");
    // On the desk: a paid order's refund form offers the restock, ticked; a refunded one
    // whose items are still sold offers it on its own.
    let mut merchant = merchant(&w.shop);
    let page = merchant.get(&format!("/admin/orders/{kept}"));
    assert!(page.body.contains("data-restock"), "the refunded order can still be restocked");
    let restocked = merchant
        .post_form(&format!("/admin/orders/{kept}/refund"), &[("confirm", "yes"), ("restock", "yes")]);
    assert_eq!(restocked.status, 303, "{}", text(&restocked.body));
    assert_eq!(restocked.header("location"), Some(format!("/admin/orders/{kept}?done=restocked").as_str()));
    let page = merchant.get(&format!("/admin/orders/{kept}?done=restocked"));
    assert!(text(&page.body).contains("The items are back in stock."), "{}", text(&page.body));
    assert!(text(&page.body).contains("Back in stock"));
    assert!(!page.body.contains("data-restock"), "nothing more to put back");
    assert_eq!(tee(&api), 10);
    let third = paid_order_of(&api, "HPT-XL", 4, "restock.desk@example.com", "admin-restock-3");
    assert_eq!(tee(&api), 6);
    let page = merchant.get(&format!("/admin/orders/{third}"));
    let checkbox = tag_with(&page.body, "name=\"restock\"").expect("a restock checkbox on the refund form");
    assert!(checkbox.contains("checked"), "an unsent order's items go back unless unticked: {checkbox}");
    let refunded = merchant
        .post_form(&format!("/admin/orders/{third}/refund"), &[("confirm", "yes"), ("restock", "yes")]);
    assert_eq!(
        refunded.header("location"),
        Some(format!("/admin/orders/{third}?done=refunded-restocked").as_str())
    );
    assert_eq!(tee(&api), 10);
    // Fulfilled orders (the parcel left) are refunded with the box unticked.
    let sent = paid_order_of(&api, "HPT-XL", 1, "restock.sent@example.com", "admin-restock-4");
    let (status, _) = api.post(&format!("/admin/orders/{sent}/fulfil"), Some(ADMIN_TOKEN), json!({}));
    assert_eq!(status, 200);
    let page = merchant.get(&format!("/admin/orders/{sent}"));
    let checkbox = tag_with(&page.body, "name=\"restock\"").expect("a restock checkbox");
    assert!(!checkbox.contains("checked"), "{checkbox}");
    let refunded = merchant.post_form(&format!("/admin/orders/{sent}/refund"), &[("confirm", "yes")]);
    assert_eq!(refunded.header("location"), Some(format!("/admin/orders/{sent}?done=refunded").as_str()));
    assert_eq!(tee(&api), 9);
}

/// An order shipped to `name`, paid through the API: its number.
fn order_for(api: &Api, email: &str, name: &str, key: &str) -> String {
    let (id, token, _) = ready_cart(api, "RTD-RUST", 1, email);
    let t = Some(token.as_str());
    let address = json!({ "name": name, "line1": "1 Main St", "line2": "Apt 4, rear", "city": "San Francisco",
                          "region": "CA", "postal_code": "94107", "country": "US" });
    let (status, body) = api.put(&format!("/checkouts/{id}/address"), t, address);
    assert_eq!(status, 200, "{body}");
    // A new address asks for the shipping method again.
    let (status, body) = api.put(&format!("/checkouts/{id}/shipping"), t, json!({ "rate": "standard" }));
    assert_eq!(status, 200, "{body}");
    let total = body["totals"]["total"]["minor"].as_i64().unwrap();
    let (status, placed) = complete(api, &id, &token, key, "4242424242424242", Some(total));
    assert_eq!(status, 201, "{placed}");
    placed["number"].as_str().unwrap().to_string()
}

/// The records of a CSV file (RFC 4180: quoted cells may hold commas, quotes, breaks).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut cell) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && record.is_empty(), "the file ends with a line break");
    records
}

fn the_order_desk_exports_its_search_as_csv(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "RTD-RUST", 50);
    let hostile = "=HYPERLINK(\"http://evil.example\",\"Zoë \"\"Z\"\"\")";
    let first = order_for(&api, "export.one@example.com", hostile, "admin-export-1");
    let second = order_for(&api, "export.two@example.com", "Ådne Ørsted 🦀", "admin-export-2");
    let (status, _) = api.post(
        &format!("/admin/orders/{second}/fulfil"),
        Some(ADMIN_TOKEN),
        json!({ "tracking": "1Z-EXPORT" }),
    );
    assert_eq!(status, 200);
    merchant_orders(&api);
    // Without a session: the sign-in page, no file.
    let mut stranger = Shopper::new(&w.shop);
    let reply = stranger.get("/admin/orders.csv");
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/admin/sign-in"));
    // The desk links its search's file.
    let mut merchant = merchant(&w.shop);
    let desk = merchant.get("/admin/orders?q=export.");
    let link = tag_with(&desk.body, "data-export-orders").expect("an export link");
    assert!(link.contains("href=\"/admin/orders.csv?q=export.\""), "{link}");
    let reply = merchant.get("/admin/orders.csv?q=export.");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(reply.header("content-disposition").unwrap().starts_with("attachment; filename=\"orders-20"));
    assert!(reply.header("cache-control").unwrap().contains("no-store"));
    let records = csv_records(&reply.body);
    let header = &records[0];
    assert_eq!(header[0], "number");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name}"));
    let rows: Vec<&Vec<String>> = records[1..].iter().collect();
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        vec![second.as_str(), first.as_str()],
        "newest first"
    );
    assert!(rows.iter().all(|r| r.len() == header.len()));
    // A name that would run as a formula is written as text; others as typed.
    assert_eq!(rows[1][column("name")], format!("'{hostile}"));
    assert_eq!(rows[0][column("name")], "Ådne Ørsted 🦀");
    assert_eq!(rows[0][column("line2")], "Apt 4, rear");
    assert_eq!(rows[0][column("status")], "fulfilled");
    assert_eq!(rows[0][column("tracking")], "1Z-EXPORT");
    assert_eq!(rows[1][column("status")], "paid");
    // Amounts are the orders' own, as decimals.
    let (_, found) =
        api.post("/orders/lookup", None, json!({ "email": "export.one@example.com", "number": first }));
    let total = found["order"]["totals"]["total"]["minor"].as_i64().unwrap();
    assert_eq!(rows[1][column("total")], format!("{}.{:02}", total / 100, total % 100));
    assert_eq!(rows[1][column("currency")], "USD");
    // The state filter applies too; a bad one is a 400.
    let paid = csv_records(&merchant.get("/admin/orders.csv?q=export.&status=paid").body);
    assert_eq!(paid.len(), 2, "the header and the one paid order");
    assert_eq!(paid[1][0], first);
    assert_eq!(merchant.get("/admin/orders.csv?status=shipped").status, 400);
    let none = csv_records(&merchant.get("/admin/orders.csv?q=nobody.at.all").body);
    assert_eq!(none.len(), 1, "no match: the header alone");
}

fn the_stock_page_warns_of_low_stock_and_sets_it(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, "WCT-OLIVE", 40);
    let mut merchant = merchant(&w.shop);
    let page = merchant.get("/admin/stock?q=tote");
    assert_eq!(page.status, 200, "{}", text(&page.body));
    let row = tag_with(&page.body, "data-sku=\"WCT-OLIVE\"").expect("the olive tote's row");
    assert!(row.contains("data-stock-state=\"in_stock\""), "{row}");
    // Set it to 2 through the form: the page warns, and shoppers see 2.
    let set = merchant.post_form(
        "/admin/stock",
        &[("sku", "WCT-OLIVE"), ("on_hand", "2"), ("back", "/admin/stock?q=tote&page=1")],
    );
    assert_eq!(set.status, 303, "{}", text(&set.body));
    assert_eq!(set.header("location"), Some("/admin/stock?q=tote&page=1&set=WCT-OLIVE"));
    let page = merchant.get("/admin/stock?q=tote&page=1&set=WCT-OLIVE");
    assert!(text(&page.body).contains("Stock of WCT-OLIVE saved."));
    let low = element_containing(&page.body, "data-low-stock=\"\"").is_some();
    assert!(low, "a low-stock warning");
    let row = tag_with(&page.body, "data-sku=\"WCT-OLIVE\"").unwrap();
    assert!(row.contains("data-stock-state=\"low\""), "{row}");
    let (_, product) = api.get("/products/waxed-canvas-tote", None);
    assert_eq!(product["available"]["WCT-OLIVE"], 2, "{product}");
    // Bad numbers and SKUs are refused with the reason; nothing changes.
    for (sku, on_hand) in
        [("WCT-OLIVE", "-1"), ("WCT-OLIVE", "two"), ("WCT-OLIVE", "1000001"), ("no sku!", "3")]
    {
        let reply = merchant.post_form("/admin/stock", &[("sku", sku), ("on_hand", on_hand)]);
        assert_eq!(reply.status, 400, "{sku} {on_hand}: {}", text(&reply.body));
    }
    let (_, product) = api.get("/products/waxed-canvas-tote", None);
    assert_eq!(product["available"]["WCT-OLIVE"], 2);
    // A `back` elsewhere never leaves the stock pages.
    let set = merchant.post_form(
        "/admin/stock",
        &[("sku", "WCT-OLIVE"), ("on_hand", "40"), ("back", "//evil.example/admin/stock")],
    );
    assert_eq!(set.header("location"), Some("/admin/stock?set=WCT-OLIVE"));
    // Every page of the catalog's stock renders, and the last links back.
    let first = merchant.get("/admin/stock");
    assert_eq!(first.status, 200);
    assert!(first.body.contains("data-stock-state"));
}

fn the_outbox_page_shows_confirmation_emails(w: &World) {
    let api = Api::new(&w.shop);
    let number = paid_order(&api, "RTD-RUST", "outbox.page@example.com", "admin-outbox-1");
    let mut merchant = merchant(&w.shop);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let page = merchant.get("/admin/outbox");
        assert_eq!(page.status, 200);
        if let Some(email) = element_containing(&page.body, &format!("data-email=\"{number}\"")) {
            let shown = text(email);
            assert!(shown.contains("outbox.page@example.com"), "{shown}");
            assert!(shown.contains("Your ") && shown.contains(&number));
            assert!(email.contains(&format!("href=\"/admin/orders/{number}\"")));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the confirmation email never reached the outbox page");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// The hour's metrics report.
fn metrics(api: &Api) -> Value {
    let (status, body) = api.get("/admin/metrics?window=hour", Some(ADMIN_TOKEN));
    assert_eq!(status, 200, "{body}");
    body
}

/// A number in a report, by JSON pointer (0 when absent).
fn at(report: &Value, pointer: &str) -> i64 {
    report.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// A route's requests in a report.
fn route_requests(report: &Value, route: &str) -> i64 {
    report["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["route"] == route)
        .map_or(0, |r| at(r, "/requests"))
}

/// USD revenue in a report, in cents.
fn usd(report: &Value) -> i64 {
    report["revenue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["currency"] == "USD")
        .map_or(0, |m| at(m, "/minor"))
}

fn metrics_count_a_scripted_set_of_visits_and_orders(w: &World) {
    let api = Api::new(&w.shop);
    let (status, body) = api.get("/admin/metrics", None);
    assert_eq!(status, 401, "the metrics are the merchant's: {body}");
    let (status, _) = api.get("/admin/metrics?window=week", Some(ADMIN_TOKEN));
    assert_eq!(status, 400);
    let before = metrics(&api);
    // The script: five product page views (the first may render, the rest are cache
    // hits), two collection pages, a missing page, three adds to cart (one in the cart
    // that then checks out), one checkout started and one order placed.
    let mut visitor = Shopper::new(&w.shop);
    for _ in 0..5 {
        assert_eq!(visitor.get("/products/roll-top-daypack").status, 200);
    }
    for _ in 0..2 {
        assert_eq!(visitor.get("/collections/bags").status, 200);
    }
    assert_eq!(visitor.get("/no-such-page").status, 404);
    set_stock(&api, "RTD-RUST", 50);
    let (other_cart, other_token) = storefront_tests::commerce::new_cart(&api);
    for _ in 0..2 {
        let (s, b) = api.post(
            &format!("/carts/{other_cart}/lines"),
            Some(&other_token),
            json!({ "sku": "BRP-1", "quantity": 1 }),
        );
        assert_eq!(s, 200, "{b}");
    }
    let (id, token, total) = ready_cart(&api, "RTD-RUST", 1, "metrics@example.com");
    let (status, placed) = complete(&api, &id, &token, "admin-metrics-1", "4242424242424242", Some(total));
    assert_eq!(status, 201, "{placed}");
    merchant_orders(&api); // the order's shard announces it; the queue consumer counts it
                           // The order is counted by the queue's consumer, off the shopper's path: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let after = loop {
        let report = metrics(&api);
        if at(&report, "/funnel/orders_placed") > at(&before, "/funnel/orders_placed") {
            break report;
        }
        assert!(std::time::Instant::now() < deadline, "the order never reached the metrics: {report}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    let delta = |pointer: &str| at(&after, pointer) - at(&before, pointer);
    assert_eq!(delta("/funnel/product_views"), 5, "{after}");
    assert_eq!(delta("/funnel/add_to_carts"), 3, "{after}");
    assert_eq!(delta("/funnel/checkouts_started"), 1, "{after}");
    assert_eq!(delta("/funnel/orders_placed"), 1, "{after}");
    assert_eq!(usd(&after) - usd(&before), total, "the order's total as revenue");
    assert_eq!(route_requests(&after, "product") - route_requests(&before, "product"), 5);
    assert_eq!(route_requests(&after, "collection") - route_requests(&before, "collection"), 2);
    assert_eq!(route_requests(&after, "other") - route_requests(&before, "other"), 1, "the 404");
    assert!(route_requests(&after, "api_cart") - route_requests(&before, "api_cart") >= 3);
    assert!(delta("/queue_messages") >= 1, "{after}");
    assert!(after["queue_lag_ms"].is_number(), "{after}");
    let ratio = after["page_cache_hit_ratio"].as_f64().expect("a hit ratio");
    assert!(ratio > 0.0 && ratio <= 1.0, "{ratio}");
    let product = after["routes"].as_array().unwrap().iter().find(|r| r["route"] == "product").unwrap();
    let (p50, p99) = (at(product, "/p50_ms"), at(product, "/p99_ms"));
    assert!(p50 > 0 && p50 <= p99, "{product}");
    assert_eq!(after["series"].as_array().unwrap().len(), 60, "a point a minute");
    let series_orders: i64 = after["series"].as_array().unwrap().iter().map(|p| at(p, "/orders")).sum();
    assert!(series_orders >= at(&after, "/funnel/orders_placed"), "every order is in the series");
    let day = api.get("/admin/metrics?window=day", Some(ADMIN_TOKEN)).1;
    assert_eq!(day["series"].as_array().unwrap().len(), 144, "a point every ten minutes");
    assert!(at(&day, "/funnel/orders_placed") >= at(&after, "/funnel/orders_placed"));
    // The dashboard draws the same numbers.
    let mut merchant = merchant(&w.shop);
    let page = merchant.get("/admin/dashboard");
    assert_eq!(page.status, 200, "{}", text(&page.body));
    assert_eq!(page.body.matches("<svg").count(), 4, "three line charts and the funnel");
    assert!(!page.body.contains("<script"), "no script");
    let orders: i64 = text(element_containing(&page.body, "data-metric=\"orders\"").unwrap())
        .trim_start_matches("Orders")
        .trim()
        .parse()
        .unwrap();
    assert!(orders >= at(&after, "/funnel/orders_placed"), "{orders}");
    assert!(page.body.contains("data-route=\"product\""));
    assert!(page.body.contains("data-points=\"60\""));
    assert_eq!(merchant.get("/admin/dashboard?window=day").status, 200);
    assert_eq!(merchant.get("/admin/dashboard?window=year").status, 400);
    println!(
        "metrics: +5 product views, +3 adds, +1 checkout, +1 order ({total} cents); hit ratio {ratio:.2}, product p50 {p50} ms, p99 {p99} ms"
    );
}

fn a_cart_left_alone_with_lines_counts_as_abandoned_once(w: &World) {
    let api = Api::new(&w.shop);
    // Carts of the tests before have had their two seconds.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let before = at(&metrics(&api), "/carts_abandoned");
    let (left, left_token) = storefront_tests::commerce::new_cart(&api);
    let (emptied, emptied_token) = storefront_tests::commerce::new_cart(&api);
    for (id, token) in [(&left, &left_token), (&emptied, &emptied_token)] {
        let (s, b) =
            api.post(&format!("/carts/{id}/lines"), Some(token), json!({ "sku": "BRP-1", "quantity": 1 }));
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) =
        api.call("DELETE", &format!("/carts/{emptied}/lines/BRP-1"), Some(&emptied_token), &[], None);
    assert_eq!(s, 200, "{b}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while at(&metrics(&api), "/carts_abandoned") == before {
        assert!(std::time::Instant::now() < deadline, "the cart left with a line never counted as abandoned");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    // Counted once (the emptied cart not at all), however long it stays.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(at(&metrics(&api), "/carts_abandoned") - before, 1);
}

/// Orders come a page at a time, newest first: the API's `next` cursor walks every page
/// once (a page placed since does not shift them), and the desk takes the same cursor,
/// with a way back to the newest orders; a cursor that is not one is a 400.
fn the_order_desk_and_the_api_page_through_orders(w: &World) {
    let api = Api::new(&w.shop);
    let placed: Vec<String> = (0..3)
        .map(|i| paid_order(&api, "BRP-1", &format!("pages.{i}@example.com"), &format!("admin-pages-{i}")))
        .collect();
    merchant_orders(&api);
    let mut seen = Vec::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let (status, page) =
            api.get(&format!("/admin/orders?q=pages.&limit=1&after={after}"), Some(ADMIN_TOKEN));
        assert_eq!(status, 200, "{page}");
        pages += 1;
        // Every page counts all the matches: 3, then 4 once the late order is placed.
        let expected = if pages == 1 { 3 } else { 4 };
        assert_eq!(page["matching"], expected, "{page}");
        for order in page["orders"].as_array().unwrap() {
            seen.push(order["number"].as_str().unwrap().to_string());
        }
        if pages == 1 {
            // An order placed after the first page does not shift the pages after it.
            paid_order(&api, "BRP-1", "pages.late@example.com", "admin-pages-late");
            merchant_orders(&api);
        }
        match page["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
        assert!(pages <= 3, "more pages than orders: {seen:?}");
    }
    let newest_first: Vec<String> = placed.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first, "every order once, newest first");
    // The desk: the first page has them all (the late one too) and no other pages…
    let mut merchant = merchant(&w.shop);
    let desk = merchant.get("/admin/orders?q=pages.");
    assert_eq!(desk.status, 200);
    assert!(text(&desk.body).contains("4 orders, newest first"), "{}", text(&desk.body));
    assert!(!desk.body.contains("data-older-orders"), "one page holds them");
    // …and from a cursor, the older ones, with the way back.
    let (_, first) = api.get("/admin/orders?q=pages.&limit=2", Some(ADMIN_TOKEN));
    assert_eq!(first["matching"], 4, "{first}");
    let newest = merchant.get("/admin/orders?q=pages.&status=paid");
    assert!(text(&newest.body).contains("4 orders, newest first"), "{}", text(&newest.body));
    let next = first["next"].as_str().unwrap();
    let older = merchant.get(&format!("/admin/orders?q=pages.&after={next}"));
    assert_eq!(older.status, 200, "{}", text(&older.body));
    assert!(text(&older.body).contains("2 older orders (4 match)"), "{}", text(&older.body));
    for number in &placed[..2] {
        assert!(older.body.contains(&format!("data-order=\"{number}\"")), "{number}: {}", text(&older.body));
    }
    assert!(older.body.contains("href=\"/admin/orders?q=pages.\""), "a link back to the newest orders");
    for bad in ["yesterday", "1-FL%20X", "-"] {
        let refused = merchant.get(&format!("/admin/orders?after={bad}"));
        assert_eq!(refused.status, 400, "{bad}");
        let (status, body) = api.get(&format!("/admin/orders?after={bad}"), Some(ADMIN_TOKEN));
        assert_eq!(status, 400, "{bad}: {body}");
    }
}

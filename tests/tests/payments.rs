//! Real payments through the Stripe provider, against a real `wrangler dev` whose
//! `STRIPE_API_BASE` points at a local stand-in for Stripe's API (`fake_stripe`): the
//! provider's code path is the one that runs in production — form-encoded `fetch` with
//! the secret key and an `Idempotency-Key` —, only the remote end is local. Webhooks are
//! signed the way Stripe signs them.
//!
//! Cases: success, decline, 3-D Secure then the webhook, a reply lost to the timeout and
//! the retry with the same key, the webhook before the reply, the same webhook twice,
//! failure then a late success (refunded), forged and stale signatures, the merchant's
//! refund, orders whose payment never comes (cancelled, lines back in the cart), a failed
//! bank check then another card on the order page and through the API, and the payment
//! page's Payment Element and CSP.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use storefront_tests::budgets::log_line;
use storefront_tests::commerce::{
    available, form_value, merchant_orders, ready_cart, set_stock, shopper_at_payment,
};
use storefront_tests::fake_stripe::{event_payload, sign_webhook, FakeStripe};
use storefront_tests::html::{element_containing, text};
use storefront_tests::{send_raw, Api, Shop, ShopOptions, Shopper, TempDir, ADMIN_TOKEN};

const SECRET_KEY: &str = "sk_test_storefront_0123456789";
const WEBHOOK_SECRET: &str = "whsec_storefront_test_0123456789abcdef";
const PUBLISHABLE_KEY: &str = "pk_test_storefront_0123456789";
/// How long the shop waits for Stripe in these tests.
const STRIPE_TIMEOUT_MS: u64 = 1_500;
/// How long an order waits for its payment in these tests.
const PENDING_TTL_SECONDS: u64 = 20;
const SKU: &str = "POC-SET";
const PRODUCT: &str = "pour-over-coffee-set";

struct World {
    shop: Shop,
    stripe: FakeStripe,
}

fn main() {
    let mut args = Arguments::from_args();
    // Cases count stock of one SKU: one at a time.
    args.test_threads = Some(1);
    let world = if args.list {
        None
    } else {
        let state = TempDir::new("payments");
        let _ = storefront_tests::publish_sample_catalog(state.path());
        let stripe = FakeStripe::start(SECRET_KEY);
        let base = stripe.base_url();
        let timeout = STRIPE_TIMEOUT_MS.to_string();
        let ttl = PENDING_TTL_SECONDS.to_string();
        let vars = [
            ("PAYMENT_PROVIDER", "stripe"),
            ("STRIPE_SECRET_KEY", SECRET_KEY),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY),
            ("STRIPE_API_BASE", base.as_str()),
            ("STRIPE_TIMEOUT_MS", timeout.as_str()),
            ("PAYMENT_PENDING_TTL_SECONDS", ttl.as_str()),
        ];
        let shop = Shop::start(ShopOptions::on(state.path()).vars(&vars));
        Some((Arc::new(World { shop, stripe }), state))
    };
    let tests = storefront_tests::tests![
        a_card_that_pays_pays_the_order_at_once,
        a_declined_card_cancels_the_order_and_gives_the_stock_back,
        three_d_secure_leaves_the_order_pending_until_the_webhook,
        a_reply_lost_to_the_timeout_is_retried_with_the_same_key,
        the_payment_form_resumes_the_same_order_after_a_timeout,
        webhooks_stripe_sends_for_other_things_are_acknowledged,
        a_payment_that_is_not_the_orders_never_pays_it,
        a_webhook_before_the_reply_leaves_one_paid_order,
        the_same_webhook_twice_is_handled_once,
        a_failure_then_a_late_success_refunds_the_money,
        forged_and_stale_signatures_are_refused,
        the_merchant_refunds_through_stripe_once,
        the_payment_page_runs_the_payment_element_under_its_own_csp,
        an_order_whose_payment_never_comes_is_cancelled,
        a_failed_bank_check_lets_the_shopper_pay_with_another_card,
        // Last: it publishes other catalogs (and the sample one again after).
        amounts_in_zero_and_three_decimal_currencies_reach_stripe_right,
    ];
    let trials = storefront_tests::shared_trials(world.as_ref().map(|(w, _)| w), tests);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(world);
    conclusion.exit();
}

fn key(label: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{label}-{nanos}")
}

fn email(label: &str) -> String {
    format!("{}@example.com", key(label))
}

/// Completes the checkout of `id` with a Stripe PaymentMethod.
fn pay(api: &Api, id: &str, token: &str, key: &str, method: &str, total: i64) -> (u16, Value) {
    api.call(
        "POST",
        &format!("/checkouts/{id}/complete"),
        Some(token),
        &[("idempotency-key", key)],
        Some(&json!({ "payment_method": method, "expected_total": total })),
    )
}

/// The order as its own shard has it (the shopper's lookup: always current).
fn order(api: &Api, email: &str, number: &str) -> Value {
    let (status, body) = api.post("/orders/lookup", None, json!({ "email": email, "number": number }));
    assert_eq!(status, 200, "{body}");
    body["order"].clone()
}

/// The requests that created a PaymentIntent for order `number`.
fn create_requests(w: &World, number: &str) -> Vec<storefront_tests::fake_stripe::Recorded> {
    w.stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/payment_intents" && r.param("metadata[order_number]") == Some(number))
        .collect()
}

/// The requests that confirmed PaymentIntent `intent`.
fn confirm_requests(w: &World, intent: &str) -> Vec<storefront_tests::fake_stripe::Recorded> {
    let path = format!("/v1/payment_intents/{intent}/confirm");
    w.stripe.requests().into_iter().filter(|r| r.path == path).collect()
}

/// Posts a webhook as Stripe would: `payload` signed at `timestamp` with `secret`.
fn deliver(w: &World, payload: &str, secret: &str, timestamp: i64) -> (u16, Value) {
    let reply = deliver_reply(w, payload, secret, timestamp);
    (reply.status, serde_json::from_str(&reply.body).unwrap_or(Value::Null))
}

fn deliver_reply(w: &World, payload: &str, secret: &str, timestamp: i64) -> storefront_tests::Reply {
    let signature = sign_webhook(secret, timestamp, payload);
    send_raw(
        &w.shop.base,
        "POST",
        "/webhooks/stripe",
        &[("content-type", "application/json"), ("stripe-signature", &signature)],
        payload.as_bytes(),
    )
}

/// The Durable Object calls the request answered by `reply` made, from its log line.
fn calls_of(w: &World, reply: &storefront_tests::Reply) -> u64 {
    let request_id = reply.header("x-request-id").unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(line) = log_line(&w.shop.log(), &request_id) {
            return line["do_calls"].as_u64().unwrap();
        }
        assert!(Instant::now() < deadline, "no log line for {request_id}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn now_seconds() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The merchant's outbox emails for order `number`, after the shards forwarded what
/// waits and the queue had `wait` to deliver.
fn emails_for(api: &Api, number: &str, wait: Duration) -> usize {
    let deadline = Instant::now() + wait;
    loop {
        let _ = api.post("/test/orders/forward", None, json!({}));
        let (status, body) = api.get("/admin/outbox", Some(ADMIN_TOKEN));
        assert_eq!(status, 200, "{body}");
        let n = body["emails"].as_array().unwrap().iter().filter(|e| e["order_number"] == number).count();
        if n > 0 || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn stock_now(api: &Api) -> u64 {
    available(api, PRODUCT, SKU)
}

fn a_card_that_pays_pays_the_order_at_once(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 10);
    let buyer = email("paid");
    let (id, token, total) = ready_cart(&api, SKU, 2, &buyer);
    let k = key("paid");
    let reply = api.reply(
        "POST",
        &format!("/checkouts/{id}/complete"),
        Some(&token),
        &[("idempotency-key", &k)],
        Some(&json!({ "payment_method": "pm_card_visa", "expected_total": total })),
    );
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(reply.status, 201, "{body}");
    assert_eq!(body["payment_status"], "paid", "{body}");
    assert_eq!(body["order"]["status"], "paid");
    assert!(body["order"]["payment"].get("stock").is_none(), "the shop's bookkeeping is not shown: {body}");
    let number = body["number"].as_str().unwrap().to_string();
    // What Stripe received: a PaymentIntent for the server's amount and currency, cards
    // only, form-encoded with an Idempotency-Key; then its confirmation with the card.
    let sent = create_requests(w, &number);
    assert_eq!(sent.len(), 1, "one PaymentIntent");
    let request = &sent[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {SECRET_KEY}").as_str()));
    assert!(request.header("content-type").unwrap().starts_with("application/x-www-form-urlencoded"));
    assert!(request.header("idempotency-key").is_some_and(|k| k.starts_with(&number)));
    assert_eq!(request.param("amount"), Some(total.to_string().as_str()));
    assert_eq!(request.param("currency"), Some("usd"));
    assert_eq!(request.param("payment_method_types[]"), Some("card"), "only what the server confirms");
    assert_eq!(request.param("confirm"), None, "created first, confirmed once the order is stored");
    let intent_id = body["order"]["payment"]["reference"].as_str().unwrap().to_string();
    let confirms = confirm_requests(w, &intent_id);
    assert_eq!(confirms.len(), 1, "one confirmation");
    assert_eq!(confirms[0].param("payment_method"), Some("pm_card_visa"));
    assert!(confirms[0].header("idempotency-key").is_some());
    let intent = w.stripe.intent_for_order(&number).expect("the intent");
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(body["order"]["payment"]["reference"], intent["id"]);
    assert_eq!(stock_now(&api), 8, "two units sold");
    // The order is announced once paid: its confirmation email reaches the outbox.
    assert_eq!(emails_for(&api, &number, Duration::from_secs(15)), 1);
    // The request's own log line: within the Stripe completion's budget (README): the
    // cart object, one inventory shard, storing the order, marking it paid.
    let calls = calls_of(w, &reply);
    assert!(calls <= 4, "a Stripe completion on one shard made {calls} Durable Object calls");
    println!("paid at once: 1 PaymentIntent, {calls} Durable Object calls, email sent");
}

fn a_declined_card_cancels_the_order_and_gives_the_stock_back(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let buyer = email("declined");
    let (id, token, total) = ready_cart(&api, SKU, 1, &buyer);
    let (status, body) = pay(&api, &id, &token, &key("declined"), "pm_card_chargeDeclined", total);
    assert_eq!(status, 402, "{body}");
    assert!(body["message"].as_str().unwrap().contains("declined"), "{body}");
    assert!(body["message"].as_str().unwrap().contains("No money was taken"), "{body}");
    let (status, body) =
        pay(&api, &id, &token, &key("funds"), "pm_card_chargeDeclinedInsufficientFunds", total);
    assert_eq!(status, 402, "{body}");
    assert!(body["message"].as_str().unwrap().contains("insufficient funds"), "{body}");
    let (status, body) =
        pay(&api, &id, &token, &key("processing"), "pm_card_chargeDeclinedProcessingError", total);
    assert_eq!(status, 402, "{body}");
    assert!(body["message"].as_str().unwrap().contains("try again"), "{body}");
    assert_eq!(stock_now(&api), 5, "every decline gave its unit back");
    let orders: Vec<Value> =
        merchant_orders(&api).into_iter().filter(|o| o["email"] == buyer.as_str()).collect();
    assert_eq!(orders.len(), 3, "{orders:?}");
    assert!(orders.iter().all(|o| o["status"] == "cancelled"), "{orders:?}");
    for o in &orders {
        assert_eq!(
            emails_for(&api, o["number"].as_str().unwrap(), Duration::ZERO),
            0,
            "no email for a cancelled order"
        );
    }
    // The cart is still there: another card pays.
    let (status, body) = pay(&api, &id, &token, &key("second-card"), "pm_card_visa", total);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["payment_status"], "paid");
    assert_eq!(stock_now(&api), 4);
}

/// Places an order with a card that needs 3-D Secure: (email, number, intent).
fn pending_order(w: &World, api: &Api, label: &str) -> (String, String, Value) {
    let (buyer, number, intent, _) = pending_order_from_cart(w, api, label);
    (buyer, number, intent)
}

/// The same, with the cart it came from: (email, number, intent, (cart id, cart token)).
fn pending_order_from_cart(w: &World, api: &Api, label: &str) -> (String, String, Value, (String, String)) {
    let buyer = email(label);
    let (id, token, total) = ready_cart(api, SKU, 1, &buyer);
    let (status, body) = pay(api, &id, &token, &key(label), "pm_card_authenticationRequired", total);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["payment_status"], "pending_payment", "{body}");
    let number = body["number"].as_str().unwrap().to_string();
    let intent = w.stripe.intent_for_order(&number).expect("the intent");
    assert_eq!(intent["status"], "requires_action");
    assert_eq!(body["next_action"]["type"], "authenticate");
    assert_eq!(body["next_action"]["client_secret"], intent["client_secret"]);
    (buyer, number, intent, (id, token))
}

fn three_d_secure_leaves_the_order_pending_until_the_webhook(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let (buyer, number, intent) = pending_order(w, &api, "threeds");
    assert_eq!(stock_now(&api), 4, "the pending order keeps its unit");
    // The confirmation page shows the state and runs Stripe.js for the bank's check.
    let found = order(&api, &buyer, &number);
    assert_eq!(found["status"], "pending_payment");
    let page_path = format!("/orders/{number}?token={}", found["token"].as_str().unwrap());
    let mut shopper = Shopper::new(&w.shop);
    let page = shopper.get(&page_path);
    assert_eq!(page.status, 200);
    assert!(text(&page.body).contains("Awaiting payment"), "{}", text(&page.body));
    assert!(page.body.contains("data-stripe-authenticate"), "the page finishes the bank's check");
    assert!(page.header("content-security-policy").unwrap().contains("https://js.stripe.com"));
    assert_eq!(emails_for(&api, &number, Duration::from_secs(2)), 0, "no email before it is paid");
    // The shopper authenticates; Stripe sends payment_intent.succeeded.
    let succeeded = w.stripe.finish_authentication(intent["id"].as_str().unwrap(), true).unwrap();
    let payload = event_payload(&key("evt"), "payment_intent.succeeded", &succeeded);
    let reply = deliver_reply(w, &payload, WEBHOOK_SECRET, now_seconds());
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(reply.status, 200, "{body}");
    assert_eq!(body["result"], "applied");
    assert!(calls_of(w, &reply) <= 1, "a success webhook calls its order's shard only");
    assert_eq!(order(&api, &buyer, &number)["status"], "paid");
    assert_eq!(emails_for(&api, &number, Duration::from_secs(15)), 1, "announced once paid");
    let page = shopper.get(&page_path);
    assert!(text(&page.body).contains("Paid"), "{}", text(&page.body));
    assert!(!page.header("content-security-policy").unwrap().contains("stripe"), "no Stripe once paid");
    assert_eq!(stock_now(&api), 4);
}

/// Stripe takes the payment, but neither its answer nor the PaymentIntent it is asked
/// for next arrives in time.
fn lose_the_next_answers(w: &World) {
    w.stripe.delay_next("/v1/payment_intents/", STRIPE_TIMEOUT_MS + 1_500);
    w.stripe.delay_next("/v1/payment_intents/", STRIPE_TIMEOUT_MS + 1_500);
}

/// After an unanswered payment, the shopper pays again through the API with a new
/// Idempotency-Key (and a new PaymentMethod, as Stripe.js makes one per submit): the same
/// order resumes — one order, one PaymentIntent, one charge — and the first answer said
/// the truth.
fn a_reply_lost_to_the_timeout_is_retried_with_the_same_key(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let buyer = email("timeout");
    let (id, token, total) = ready_cart(&api, SKU, 1, &buyer);
    let charges_before = w.stripe.charges();
    lose_the_next_answers(w);
    let (status, body) = pay(&api, &id, &token, &key("timeout-1"), "pm_card_visa", total);
    assert_eq!(status, 503, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("could not confirm") && message.contains("will not charge you twice"), "{body}");
    assert!(!message.contains("Nothing was charged"), "not a promise the shop cannot keep: {body}");
    let pending: Vec<Value> =
        merchant_orders(&api).into_iter().filter(|o| o["email"] == buyer.as_str()).collect();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["status"], "pending_payment", "the order waits for its payment");
    let number = pending[0]["number"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(1_600));
    // Another key, another PaymentMethod: still the same checkout, so the same order.
    let (status, body) = pay(&api, &id, &token, &key("timeout-2"), "pm_card_mastercard", total);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["payment_status"], "paid");
    assert_eq!(body["number"], number.as_str(), "the same order");
    assert_eq!(w.stripe.intents_for_order(&number).len(), 1, "one PaymentIntent");
    assert_eq!(w.stripe.charges() - charges_before, 1, "one charge at Stripe");
    let orders: Vec<Value> =
        merchant_orders(&api).into_iter().filter(|o| o["email"] == buyer.as_str()).collect();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["status"], "paid");
    assert_eq!(stock_now(&api), 4, "one unit sold, once");
}

/// The same through the shop's own payment form: the page's key is the checkout's, so
/// paying again after an unanswered attempt resumes the same order.
fn the_payment_form_resumes_the_same_order_after_a_timeout(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let buyer = email("form-timeout");
    let (mut shopper, page) = shopper_at_payment(&w.shop, PRODUCT, SKU, &buyer);
    let key = form_value(&page.body, "idempotency_key").unwrap();
    let total = form_value(&page.body, "expected_total").unwrap();
    assert_eq!(
        form_value(&shopper.get("/checkout").body, "idempotency_key").as_deref(),
        Some(key.as_str()),
        "a reload shows the same checkout's key"
    );
    let charges_before = w.stripe.charges();
    lose_the_next_answers(w);
    let pay = |shopper: &mut Shopper, key: &str, method: &str| {
        shopper.post_form(
            "/checkout/complete",
            &[("idempotency_key", key), ("expected_total", total.as_str()), ("payment_method", method)],
        )
    };
    let first = pay(&mut shopper, &key, "pm_card_visa");
    assert_eq!(first.status, 503, "{}", text(&first.body));
    assert!(text(&first.body).contains("will not charge you twice"), "{}", text(&first.body));
    std::thread::sleep(Duration::from_millis(1_600));
    // The page the shopper sees again carries the same key; Stripe.js makes a new method.
    let again = shopper.get("/checkout");
    let key_again = form_value(&again.body, "idempotency_key").unwrap();
    assert_eq!(key_again, key, "the same checkout attempt");
    let second = pay(&mut shopper, &key_again, "pm_card_mastercard");
    assert_eq!(second.status, 303, "{}", text(&second.body));
    let orders: Vec<Value> =
        merchant_orders(&api).into_iter().filter(|o| o["email"] == buyer.as_str()).collect();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["status"], "paid");
    let number = orders[0]["number"].as_str().unwrap();
    assert!(second.header("location").unwrap().contains(number));
    assert_eq!(w.stripe.intents_for_order(number).len(), 1, "one PaymentIntent");
    assert_eq!(w.stripe.charges() - charges_before, 1, "one charge at Stripe");
    assert_eq!(stock_now(&api), 4);
}

fn a_webhook_before_the_reply_leaves_one_paid_order(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let buyer = email("early");
    let (id, token, total) = ready_cart(&api, SKU, 1, &buyer);
    let k = key("early");
    // Stripe's answer is slow (within the shop's patience); its webhook is not.
    w.stripe.delay_next("/v1/payment_intents/", 1_000);
    let seen = w.stripe.requests().len();
    let paying = {
        let (api, id, token, k) = (api.clone(), id.clone(), token.clone(), k.clone());
        std::thread::spawn(move || pay(&api, &id, &token, &k, "pm_card_visa", total))
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let (number, intent) = loop {
        let asked = w.stripe.requests().into_iter().skip(seen).find(|r| r.path == "/v1/payment_intents");
        if let Some(number) = asked.and_then(|r| r.param("metadata[order_number]").map(str::to_string)) {
            if let Some(intent) = w.stripe.intent_for_order(&number).filter(|i| i["status"] == "succeeded") {
                break (number, intent);
            }
        }
        assert!(Instant::now() < deadline, "the shop never had Stripe take the payment");
        std::thread::sleep(Duration::from_millis(20));
    };
    let payload = event_payload(&key("evt-early"), "payment_intent.succeeded", &intent);
    let (status, body) = deliver(w, &payload, WEBHOOK_SECRET, now_seconds());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"], "applied", "{body}");
    assert_eq!(body["order"]["status"], "paid", "the webhook paid the pending order: {body}");
    let (status, body) = paying.join().unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["payment_status"], "paid");
    let orders: Vec<Value> =
        merchant_orders(&api).into_iter().filter(|o| o["email"] == buyer.as_str()).collect();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["status"], "paid");
    assert_eq!(emails_for(&api, &number, Duration::from_secs(15)), 1);
    assert_eq!(stock_now(&api), 4);
}

fn the_same_webhook_twice_is_handled_once(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let (buyer, number, intent) = pending_order(w, &api, "twice");
    let succeeded = w.stripe.finish_authentication(intent["id"].as_str().unwrap(), true).unwrap();
    let payload = event_payload(&key("evt-twice"), "payment_intent.succeeded", &succeeded);
    let (first, _) = deliver(w, &payload, WEBHOOK_SECRET, now_seconds());
    let (second, body) = deliver(w, &payload, WEBHOOK_SECRET, now_seconds());
    assert_eq!((first, second), (200, 200));
    assert_eq!(body["result"], "duplicate", "{body}");
    // Two at once, from a fresh event.
    let again = event_payload(&key("evt-race"), "payment_intent.succeeded", &succeeded);
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let (base, payload) = (w.shop.base.clone(), again.clone());
            std::thread::spawn(move || {
                let signature = sign_webhook(WEBHOOK_SECRET, now_seconds(), &payload);
                send_raw(
                    &base,
                    "POST",
                    "/webhooks/stripe",
                    &[("content-type", "application/json"), ("stripe-signature", &signature)],
                    payload.as_bytes(),
                )
                .status
            })
        })
        .collect();
    for racer in racers {
        assert_eq!(racer.join().unwrap(), 200);
    }
    assert_eq!(order(&api, &buyer, &number)["status"], "paid");
    assert_eq!(emails_for(&api, &number, Duration::from_secs(15)), 1, "one email");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(emails_for(&api, &number, Duration::ZERO), 1, "still one");
    assert_eq!(stock_now(&api), 4);
}

fn a_failure_then_a_late_success_refunds_the_money(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let (buyer, number, intent) = pending_order(w, &api, "late");
    let intent_id = intent["id"].as_str().unwrap().to_string();
    assert_eq!(stock_now(&api), 4);
    // The bank's check fails: payment_intent.payment_failed leaves the order payable,
    // with the reason for the shopper; the order keeps its unit.
    let failed = w.stripe.finish_authentication(&intent_id, false).unwrap();
    let payload = event_payload(&key("evt-failed"), "payment_intent.payment_failed", &failed);
    let reply = deliver_reply(w, &payload, WEBHOOK_SECRET, now_seconds());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(calls_of(w, &reply) <= 1, "a failed attempt calls its order's shard only");
    let still = order(&api, &buyer, &number);
    assert_eq!(still["status"], "pending_payment", "{still}");
    assert!(still["payment"]["error"].as_str().unwrap().contains("bank did not confirm"), "{still}");
    assert_eq!(stock_now(&api), 4);
    // Then the PaymentIntent is cancelled at Stripe: the order is cancelled.
    let mut canceled = failed.clone();
    canceled["status"] = json!("canceled");
    let payload = event_payload(&key("evt-canceled"), "payment_intent.canceled", &canceled);
    let reply = deliver_reply(w, &payload, WEBHOOK_SECRET, now_seconds());
    assert_eq!(reply.status, 200, "{}", reply.body);
    let calls = calls_of(w, &reply);
    assert!(calls <= 2, "a cancel on one inventory shard made {calls} Durable Object calls");
    let cancelled = order(&api, &buyer, &number);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(stock_now(&api), 5, "the cancelled order's unit is free again");
    // A success for the same intent arrives after all (a retry that went through):
    // the money goes back, the order ends refunded, the stock stays with whoever has it.
    let succeeded = w.stripe.finish_authentication(&intent_id, true).unwrap();
    assert_eq!(succeeded["status"], "succeeded");
    let payload = event_payload(&key("evt-late"), "payment_intent.succeeded", &succeeded);
    let reply = deliver_reply(w, &payload, WEBHOOK_SECRET, now_seconds());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(calls_of(w, &reply) <= 1, "a webhook that refunds calls its order's shard only");
    let refunded = order(&api, &buyer, &number);
    assert_eq!(refunded["status"], "refunded", "{refunded}");
    let refunds: Vec<_> = w
        .stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/refunds" && r.param("payment_intent") == Some(intent_id.as_str()))
        .collect();
    assert_eq!(refunds.len(), 1, "one refund through Stripe");
    assert_eq!(stock_now(&api), 5);
    // The failure, delivered again late, changes nothing.
    let (status, _) = deliver(
        w,
        &event_payload(&key("evt-failed-late"), "payment_intent.payment_failed", &failed),
        WEBHOOK_SECRET,
        now_seconds(),
    );
    assert_eq!(status, 200);
    assert_eq!(order(&api, &buyer, &number)["status"], "refunded");
    assert_eq!(emails_for(&api, &number, Duration::ZERO), 0, "never announced");
}

fn forged_and_stale_signatures_are_refused(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let (buyer, number, intent) = pending_order(w, &api, "forged");
    let succeeded = w.stripe.finish_authentication(intent["id"].as_str().unwrap(), true).unwrap();
    let payload = event_payload(&key("evt-forged"), "payment_intent.succeeded", &succeeded);
    let refused = |status: u16, body: &Value, what: &str| {
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(order(&api, &buyer, &number)["status"], "pending_payment", "{what} changed the order");
    };
    let (status, body) = deliver(w, &payload, "whsec_not_the_shops_secret", now_seconds());
    refused(status, &body, "a signature with another secret");
    assert!(body["message"].as_str().unwrap().contains("signature"), "{body}");
    let (status, body) = deliver(w, &payload, WEBHOOK_SECRET, now_seconds() - 600);
    refused(status, &body, "a ten-minute-old signature");
    assert!(body["message"].as_str().unwrap().contains("tolerance"), "{body}");
    let (status, body) = deliver(w, &payload, WEBHOOK_SECRET, now_seconds() + 600);
    refused(status, &body, "a signature from the future");
    // The payload changed after signing (a paid amount, say).
    let signature = sign_webhook(WEBHOOK_SECRET, now_seconds(), &payload);
    let tampered = payload.replacen("\"succeeded\"", "\"succeeded\" ", 1);
    let reply = send_raw(
        &w.shop.base,
        "POST",
        "/webhooks/stripe",
        &[("content-type", "application/json"), ("stripe-signature", &signature)],
        tampered.as_bytes(),
    );
    refused(reply.status, &Value::String(reply.body.clone()), "a payload changed after signing");
    let reply = send_raw(
        &w.shop.base,
        "POST",
        "/webhooks/stripe",
        &[("content-type", "application/json")],
        payload.as_bytes(),
    );
    refused(reply.status, &Value::String(reply.body.clone()), "no signature");
    let reply = send_raw(
        &w.shop.base,
        "POST",
        "/webhooks/stripe",
        &[("stripe-signature", "t=abc,v1=zz")],
        payload.as_bytes(),
    );
    refused(reply.status, &Value::String(reply.body.clone()), "a malformed signature");
    // Each refusal is logged.
    std::thread::sleep(Duration::from_millis(300));
    let log = w.shop.log();
    assert!(log.matches("Stripe webhook refused").count() >= 6, "refusals are logged");
    // The genuine delivery still works.
    let (status, body) = deliver(w, &payload, WEBHOOK_SECRET, now_seconds());
    assert_eq!(status, 200, "{body}");
    assert_eq!(order(&api, &buyer, &number)["status"], "paid");
}

fn the_merchant_refunds_through_stripe_once(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let buyer = email("refund");
    let (id, token, total) = ready_cart(&api, SKU, 1, &buyer);
    let (status, body) = pay(&api, &id, &token, &key("refund"), "pm_card_visa", total);
    assert_eq!(status, 201, "{body}");
    let number = body["number"].as_str().unwrap().to_string();
    let intent = body["order"]["payment"]["reference"].as_str().unwrap().to_string();
    let refund = |token: Option<&str>| api.post(&format!("/admin/orders/{number}/refund"), token, json!({}));
    assert_eq!(refund(None).0, 401, "the merchant's token is needed");
    let (status, body) = refund(Some(ADMIN_TOKEN));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["status"], "refunded");
    assert!(body["order"]["payment"]["refund"].as_str().unwrap().starts_with("re_"), "{body}");
    let (status, body) = refund(Some(ADMIN_TOKEN));
    assert_eq!(status, 200, "refunding again answers the refunded order: {body}");
    let refunds = w
        .stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/refunds" && r.param("payment_intent") == Some(intent.as_str()))
        .count();
    assert_eq!(refunds, 1, "one refund request: the second was answered from the order");
    assert_eq!(order(&api, &buyer, &number)["status"], "refunded");
    // A refunded order is not fulfilled; an order still pending is not refunded.
    let (status, body) = api.post(&format!("/admin/orders/{number}/fulfil"), Some(ADMIN_TOKEN), json!({}));
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("refunded"), "{body}");
    let (_, pending, intent) = pending_order(w, &api, "refund-pending");
    let (status, body) = api.post(&format!("/admin/orders/{pending}/refund"), Some(ADMIN_TOKEN), json!({}));
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("pending payment"), "{body}");
    // Settled now, so it does not fall due while a later case counts stock.
    let mut canceled = intent.clone();
    canceled["status"] = json!("canceled");
    let payload = event_payload(&key("evt-refund-pending"), "payment_intent.canceled", &canceled);
    assert_eq!(deliver(w, &payload, WEBHOOK_SECRET, now_seconds()).0, 200);
}

fn the_payment_page_runs_the_payment_element_under_its_own_csp(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let mut shopper = Shopper::new(&w.shop);
    let home = shopper.get("/");
    assert!(!home.header("content-security-policy").unwrap().contains("stripe"), "no Stripe on other pages");
    assert_eq!(shopper.post_form("/cart/add", &[("product", PRODUCT), ("variant", SKU)]).status, 303);
    let buyer = email("page");
    assert_eq!(shopper.post_form("/checkout/contact", &[("email", &buyer)]).status, 303);
    let address = [
        ("name", "Ada"),
        ("line1", "1 Main"),
        ("city", "SF"),
        ("region", "CA"),
        ("postal_code", "94107"),
        ("country", "US"),
    ];
    assert_eq!(shopper.post_form("/checkout/address", &address).status, 303);
    let contact_page = shopper.get("/checkout?step=contact");
    assert!(
        !contact_page.header("content-security-policy").unwrap().contains("stripe"),
        "only the payment step"
    );
    assert_eq!(shopper.post_form("/checkout/shipping", &[("rate", "standard")]).status, 303);
    let review = shopper.get("/checkout");
    assert_eq!(review.status, 200);
    let csp = review.header("content-security-policy").unwrap().to_string();
    assert!(csp.contains("script-src 'nonce-") && csp.contains("https://js.stripe.com"), "{csp}");
    assert!(csp.contains("frame-src https://js.stripe.com"), "{csp}");
    assert!(csp.contains("connect-src 'self' https://api.stripe.com"), "{csp}");
    let form = element_containing(&review.body, "action=\"/checkout/complete\"").expect("payment form");
    assert!(form.contains("data-stripe-payment"), "the Payment Element's mount point");
    assert!(form.contains(&format!("data-publishable-key=\"{PUBLISHABLE_KEY}\"")));
    assert!(!form.contains("name=\"card\""), "no raw card field with Stripe");
    assert!(review.body.contains("src=\"https://js.stripe.com/v3/\""), "Stripe.js from Stripe");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(
        review.body.contains(&format!("src=\"https://js.stripe.com/v3/\" nonce=\"{nonce}\"")),
        "Stripe.js runs under the page's nonce"
    );
    let script = send_raw(&w.shop.base, "GET", "/stripe-payment.js", &[], b"");
    assert_eq!(script.status, 200);
    assert!(script.body.contains("createPaymentMethod"));
    // What the page's script does on submit: the PaymentMethod's id goes in the form.
    let field = |name: &str| {
        let at = form.find(&format!("name=\"{name}\"")).unwrap();
        form[at..].split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
    };
    let (k, total) = (field("idempotency_key"), field("expected_total"));
    let missing =
        shopper.post_form("/checkout/complete", &[("idempotency_key", &k), ("expected_total", &total)]);
    assert_eq!(missing.status, 422, "no PaymentMethod: a field to fix, nothing to charge");
    assert!(text(&missing.body).contains("pay with the card form"), "{}", text(&missing.body));
    let paid = shopper.post_form(
        "/checkout/complete",
        &[("idempotency_key", &k), ("expected_total", &total), ("payment_method", "pm_card_visa")],
    );
    assert_eq!(paid.status, 303, "{}", text(&paid.body));
    let location = paid.header("location").unwrap().to_string();
    let confirmation = shopper.get(&location);
    assert!(text(&confirmation.body).contains("Paid"), "{}", text(&confirmation.body));
}

fn an_order_whose_payment_never_comes_is_cancelled(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let (buyer, number, intent, (cart, cart_token)) = pending_order_from_cart(w, &api, "abandoned");
    assert_eq!(stock_now(&api), 4);
    let lines = |api: &Api| {
        let (status, body) = api.get(&format!("/carts/{cart}"), Some(cart_token.as_str()));
        assert_eq!(status, 200, "{body}");
        body["lines"].as_array().cloned().expect("the cart's lines")
    };
    assert!(lines(&api).is_empty(), "placing the order emptied the cart");
    // The shopper never finishes the bank's check. Once the order is overdue, the shard's
    // alarm cancels the PaymentIntent (so it cannot succeed later), then the order.
    std::thread::sleep(Duration::from_secs(PENDING_TTL_SECONDS + 1));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let _ = api.post("/test/orders/settle", None, json!({}));
        if order(&api, &buyer, &number)["status"] == "cancelled" {
            break;
        }
        assert!(Instant::now() < deadline, "the overdue order was never cancelled");
        std::thread::sleep(Duration::from_millis(500));
    }
    let intent_id = intent["id"].as_str().unwrap();
    assert_eq!(w.stripe.intent(intent_id).unwrap()["status"], "canceled");
    assert_eq!(stock_now(&api), 5, "its unit is free again");
    assert!(order(&api, &buyer, &number)["payment"]["note"].as_str().unwrap().contains("No payment arrived"));
    // Its lines go back to the cart it came from (through the order queue), once.
    let deadline = Instant::now() + Duration::from_secs(20);
    let back = loop {
        let _ = api.post("/test/orders/settle", None, json!({}));
        let now = lines(&api);
        if !now.is_empty() {
            break now;
        }
        assert!(Instant::now() < deadline, "the cancelled order's lines never came back to its cart");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0]["sku"], SKU, "{back:?}");
    assert_eq!(back[0]["quantity"], 1, "{back:?}");
    std::thread::sleep(Duration::from_secs(2));
    let _ = api.post("/test/orders/settle", None, json!({}));
    assert_eq!(lines(&api)[0]["quantity"], 1, "given back once");
}

/// 3-D Secure that fails: the order stays payable, its page says why and takes another
/// card, which confirms the same PaymentIntent (HTML form and JSON API).
fn a_failed_bank_check_lets_the_shopper_pay_with_another_card(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let buyer = email("pay-again");
    let (mut shopper, page) = shopper_at_payment(&w.shop, PRODUCT, SKU, &buyer);
    let checkout_key = form_value(&page.body, "idempotency_key").unwrap();
    let total = form_value(&page.body, "expected_total").unwrap();
    let placed = shopper.post_form(
        "/checkout/complete",
        &[
            ("idempotency_key", &checkout_key),
            ("expected_total", &total),
            ("payment_method", "pm_card_authenticationRequired"),
        ],
    );
    assert_eq!(placed.status, 303, "{}", text(&placed.body));
    let page_path = placed.header("location").unwrap().to_string();
    let number = page_path.trim_start_matches("/orders/").split('?').next().unwrap().to_string();
    let token = page_path.split("token=").nth(1).unwrap().to_string();
    let page = shopper.get(&page_path);
    assert!(page.body.contains("data-stripe-authenticate"), "the bank's check");
    assert!(page.body.contains("data-pay-again"), "and another card, if the shopper prefers");
    let intent = w.stripe.intent_for_order(&number).unwrap();
    let intent_id = intent["id"].as_str().unwrap().to_string();
    let charges_before = w.stripe.charges();
    // The bank's check fails.
    let failed = w.stripe.finish_authentication(&intent_id, false).unwrap();
    let payload = event_payload(&key("evt-pay-again"), "payment_intent.payment_failed", &failed);
    assert_eq!(deliver(w, &payload, WEBHOOK_SECRET, now_seconds()).0, 200);
    assert_eq!(order(&api, &buyer, &number)["status"], "pending_payment");
    assert_eq!(stock_now(&api), 4, "the order keeps its unit while it can still be paid");
    let page = shopper.get(&page_path);
    let words = text(&page.body);
    assert!(words.contains("Your payment did not go through"), "{words}");
    assert!(words.contains("bank did not confirm"), "{words}");
    assert!(!page.body.contains("data-stripe-authenticate"), "no bank's check to finish any more");
    let form =
        element_containing(&page.body, &format!("action=\"/orders/{number}/pay\"")).expect("pay again form");
    assert!(form.contains("data-stripe-payment"), "the Payment Element again");
    assert!(page.header("content-security-policy").unwrap().contains("https://js.stripe.com"));
    let pay_again = |shopper: &mut Shopper, token: &str, method: &str| {
        shopper.post_form(&format!("/orders/{number}/pay"), &[("token", token), ("payment_method", method)])
    };
    // No card (the page's script did not run), or a wrong token: nothing happens.
    let missing = pay_again(&mut shopper, &token, "");
    assert_eq!(missing.status, 400, "{}", text(&missing.body));
    assert!(text(&missing.body).contains("JavaScript"), "{}", text(&missing.body));
    assert_eq!(pay_again(&mut shopper, "not-the-token", "pm_card_visa").status, 404);
    // Another card that is declined: still payable, the page says why.
    let declined = pay_again(&mut shopper, &token, "pm_card_chargeDeclinedInsufficientFunds");
    assert_eq!(declined.status, 303, "{}", text(&declined.body));
    let words = text(&shopper.get(&page_path).body);
    assert!(words.contains("insufficient funds"), "{words}");
    assert_eq!(order(&api, &buyer, &number)["status"], "pending_payment");
    // A card that pays: the same PaymentIntent, charged once.
    let paid = pay_again(&mut shopper, &token, "pm_card_visa");
    assert_eq!(paid.status, 303, "{}", text(&paid.body));
    assert_eq!(paid.header("location"), Some(page_path.as_str()));
    let words = text(&shopper.get(&page_path).body);
    assert!(words.contains("Paid"), "{words}");
    assert!(!words.contains("did not go through"), "{words}");
    assert_eq!(order(&api, &buyer, &number)["status"], "paid");
    assert_eq!(w.stripe.intents_for_order(&number).len(), 1, "one PaymentIntent");
    assert_eq!(w.stripe.charges() - charges_before, 1, "one charge");
    assert_eq!(emails_for(&api, &number, Duration::from_secs(15)), 1, "announced once paid");
    assert_eq!(stock_now(&api), 4);
    // Paying a paid order again does nothing.
    let again = pay_again(&mut shopper, &token, "pm_card_mastercard");
    assert_eq!(again.status, 303);
    assert_eq!(w.stripe.charges() - charges_before, 1, "still one charge");

    // The JSON API: the same, with the bank's check asked again, then passed.
    let (buyer, number, intent) = pending_order(w, &api, "pay-again-api");
    let intent_id = intent["id"].as_str().unwrap().to_string();
    let failed = w.stripe.finish_authentication(&intent_id, false).unwrap();
    let payload = event_payload(&key("evt-pay-again-api"), "payment_intent.payment_failed", &failed);
    assert_eq!(deliver(w, &payload, WEBHOOK_SECRET, now_seconds()).0, 200);
    let token = order(&api, &buyer, &number)["token"].as_str().unwrap().to_string();
    let path = format!("/orders/{number}/payment");
    let (status, body) = api.post(&path, None, json!({ "token": "wrong", "payment_method": "pm_card_visa" }));
    assert_eq!(status, 404, "{body}");
    let (status, body) = api.post(&path, None, json!({ "token": token, "payment_method": "card" }));
    assert_eq!(status, 422, "{body}");
    let (status, body) =
        api.post(&path, None, json!({ "token": token, "payment_method": "pm_card_authenticationRequired" }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["status"], "pending_payment", "{body}");
    assert!(body["order"]["payment"]["error"].is_null(), "a new attempt clears the old error: {body}");
    assert_eq!(body["client_secret"], w.stripe.intent(&intent_id).unwrap()["client_secret"]);
    let succeeded = w.stripe.finish_authentication(&intent_id, true).unwrap();
    let payload = event_payload(&key("evt-pay-again-ok"), "payment_intent.succeeded", &succeeded);
    assert_eq!(deliver(w, &payload, WEBHOOK_SECRET, now_seconds()).0, 200);
    assert_eq!(order(&api, &buyer, &number)["status"], "paid");
    assert_eq!(w.stripe.intents_for_order(&number).len(), 1, "one PaymentIntent");
}

/// Stripe sends every event type an endpoint subscribes to, and objects of all kinds:
/// what this shop does not act on is acknowledged (2xx), never a 400 Stripe retries for
/// days, and changes no order.
fn webhooks_stripe_sends_for_other_things_are_acknowledged(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let (buyer, number, intent) = pending_order(w, &api, "other-events");
    let charge = json!({ "id": "ch_other", "object": "charge", "amount": 100, "currency": "usd",
                         "metadata": { "order_number": number } });
    let cases = [
        event_payload(&key("evt-created"), "payment_intent.created", &intent),
        event_payload(&key("evt-charge"), "charge.succeeded", &charge),
        // A payment event whose object is not a PaymentIntent.
        event_payload(&key("evt-odd"), "payment_intent.succeeded", &charge),
        event_payload(
            &key("evt-dispute"),
            "charge.dispute.created",
            &json!({ "id": "dp_1", "object": "dispute" }),
        ),
        json!({ "id": key("evt-bare"), "object": "event", "type": "customer.created" }).to_string(),
        "not json at all".to_string(),
    ];
    for payload in &cases {
        let (status, body) = deliver(w, payload, WEBHOOK_SECRET, now_seconds());
        assert_eq!(status, 200, "{payload}: {body}");
        assert_eq!(body["result"], "ignored", "{payload}: {body}");
    }
    assert_eq!(order(&api, &buyer, &number)["status"], "pending_payment", "nothing changed");
    // Settled, so that its deadline does not give stock back under a later test.
    let succeeded = w.stripe.finish_authentication(intent["id"].as_str().unwrap(), true).unwrap();
    let payload = event_payload(&key("evt-settle"), "payment_intent.succeeded", &succeeded);
    assert_eq!(deliver(w, &payload, WEBHOOK_SECRET, now_seconds()).0, 200);
    assert_eq!(order(&api, &buyer, &number)["status"], "paid");
}

/// A success whose amount or PaymentIntent is not the order's never marks it paid: not
/// from a webhook, and not when the order's time runs out and Stripe shows a success.
fn a_payment_that_is_not_the_orders_never_pays_it(w: &World) {
    let api = Api::new(&w.shop);
    set_stock(&api, SKU, 5);
    let (buyer, number, intent) = pending_order(w, &api, "mismatch");
    let succeeded = w.stripe.finish_authentication(intent["id"].as_str().unwrap(), true).unwrap();
    let mut cheaper = succeeded.clone();
    cheaper["amount"] = json!(succeeded["amount"].as_i64().unwrap() - 1);
    let mut euros = succeeded.clone();
    euros["currency"] = json!("eur");
    let mut other = succeeded.clone();
    other["id"] = json!("pi_someone_elses_payment_0000");
    for (label, object) in [("amount", &cheaper), ("currency", &euros), ("intent", &other)] {
        let payload = event_payload(&key(&format!("evt-{label}")), "payment_intent.succeeded", object);
        let (status, body) = deliver(w, &payload, WEBHOOK_SECRET, now_seconds());
        assert_eq!(status, 200, "{label}: {body}");
        assert_eq!(order(&api, &buyer, &number)["status"], "pending_payment", "not paid by a wrong {label}");
    }
    // The right one pays it.
    let payload = event_payload(&key("evt-right"), "payment_intent.succeeded", &succeeded);
    let (status, body) = deliver(w, &payload, WEBHOOK_SECRET, now_seconds());
    assert_eq!(status, 200, "{body}");
    assert_eq!(order(&api, &buyer, &number)["status"], "paid");
}

/// A catalog priced in a zero-decimal (JPY) and a three-decimal currency (KWD), paid
/// end to end: what reaches Stripe is in its units for the currency (whole yen; fils
/// rounded half up to a multiple of ten, which the fake insists on as Stripe does), and
/// the order is paid. Republishes the catalog it found afterwards (it runs last).
fn amounts_in_zero_and_three_decimal_currencies_reach_stripe_right(w: &World) {
    let api = Api::new(&w.shop);
    let wait_for_currency = |code: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = api.get(&format!("/products/{PRODUCT}"), None);
            if status == 200 && body.to_string().contains(&format!("\"currency\":\"{code}\"")) {
                return;
            }
            assert!(Instant::now() < deadline, "the {code} catalog never went live: {body}");
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    for code in ["JPY", "KWD"] {
        let dir = TempDir::new(&format!("catalog-{code}"));
        storefront_tests::copy_dir(&storefront_tests::project_root().join("catalog"), dir.path());
        let store = dir.path().join("store.toml");
        let settings = std::fs::read_to_string(&store).unwrap();
        assert!(settings.contains("currency = \"USD\""), "the sample catalog's currency line");
        std::fs::write(&store, settings.replace("currency = \"USD\"", &format!("currency = \"{code}\"")))
            .unwrap();
        storefront_tests::publish_catalog(dir.path(), &w.shop.state_dir);
        wait_for_currency(code);
        set_stock(&api, SKU, 5);
        let buyer = email(&format!("currency-{code}"));
        let (id, token, total) = ready_cart(&api, SKU, 1, &buyer);
        let (status, body) = pay(&api, &id, &token, &key(code), "pm_card_visa", total);
        assert_eq!(status, 201, "{code}: {body}");
        assert_eq!(body["payment_status"], "paid", "{code}: {body}");
        assert_eq!(body["order"]["totals"]["total"]["currency"], code, "{body}");
        let number = body["number"].as_str().unwrap().to_string();
        // Stripe's units: JPY is zero-decimal (minor units are whole yen); KWD has three
        // decimals, sent rounded half up to a multiple of ten.
        let expected = match code {
            "KWD" => (total + 5) / 10 * 10,
            _ => total,
        };
        let sent = create_requests(w, &number);
        assert_eq!(sent.len(), 1, "{code}: one PaymentIntent");
        assert_eq!(sent[0].param("amount"), Some(expected.to_string().as_str()), "{code}: total {total}");
        assert_eq!(sent[0].param("currency"), Some(code.to_ascii_lowercase().as_str()));
        let intent = w.stripe.intent_for_order(&number).unwrap();
        assert_eq!(intent["status"], "succeeded", "{code}: {intent}");
        assert_eq!(order(&api, &buyer, &number)["status"], "paid", "{code}");
        if code == "KWD" {
            assert_ne!(total % 10, 0, "the sample's KWD total ({total} fils) exercises the rounding");
        }
    }
    storefront_tests::publish_sample_catalog(&w.shop.state_dir);
    wait_for_currency("USD");
}

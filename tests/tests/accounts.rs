//! Customer accounts over HTTP against a real `wrangler dev` whose mail goes through the
//! Resend channel to a local stand-in of Resend's API (`fake_mail`): a sign-in link
//! asked for, delivered, used once; the same answer for any address; the limits; an
//! expired or used link refused with a clear page; signing out here and everywhere;
//! order history, saved addresses offered at checkout, account deletion; catalog pages
//! the same for every customer; and the mail channel itself — the outbox's record
//! (without the link), delivery states, retries from the queue. The same walk in
//! Chromium (with the outbox as the sink, JavaScript on and off) is in `browser.rs`.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storefront_tests::commerce::{complete, outbox_email_where, ready_cart, set_stock};
use storefront_tests::fake_mail::{Delivered, FakeMail};
use storefront_tests::html::text;
use storefront_tests::{without_tokens, Api, Reply, Shop, ShopOptions, Shopper, TempDir, ADMIN_TOKEN};

const MAIL_KEY: &str = "re_test_0123456789";
const FROM: &str = "Field Supply <orders@field-supply.example>";

struct World {
    shop: Shop,
    mail: FakeMail,
}

fn main() {
    let args = Arguments::from_args();
    let world = if args.list {
        None
    } else {
        let state = TempDir::new("accounts");
        let mail = FakeMail::start(MAIL_KEY);
        let url = mail.base_url();
        let shop = Shop::start(ShopOptions::fresh(&state).vars(&[
            ("MAIL_PROVIDER", "resend"),
            ("MAIL_API_KEY", MAIL_KEY),
            ("MAIL_FROM", FROM),
            ("MAIL_API_URL", &url),
        ]));
        Some((Arc::new(World { shop, mail }), state))
    };
    let tests = storefront_tests::tests![
        a_link_signs_in_once_and_the_outbox_keeps_no_copy_of_it,
        every_address_gets_the_same_answer,
        links_to_one_address_are_limited,
        an_expired_or_unknown_link_is_refused_with_a_clear_page,
        signing_out_here_and_everywhere,
        history_saved_addresses_checkout_and_deletion,
        catalog_pages_are_the_same_for_every_customer,
        a_failed_send_is_retried_from_the_queue,
        account_forms_need_the_session_token_and_bad_input_is_a_4xx,
    ];
    let trials = storefront_tests::shared_trials(world.as_ref().map(|(w, _)| w), tests);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(world);
    conclusion.exit();
}

/// The emails the fake received for `to`, once there are at least `n` (waits for the
/// queue).
fn mail_to(w: &World, to: &str, n: usize) -> Vec<Delivered> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mails = w.mail.delivered_to(to);
        if mails.len() >= n {
            return mails;
        }
        assert!(Instant::now() < deadline, "{n} email(s) to {to} never arrived: {:?}", w.mail.statuses());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The sign-in link in an email's text: its path and query.
fn link_in(mail: &Delivered) -> String {
    let at = mail.text.find("/account/verify?t=").unwrap_or_else(|| panic!("no link in {}", mail.text));
    let rest = mail.text.get(at..).unwrap();
    rest.split_whitespace().next().unwrap().to_string()
}

/// Asks for a sign-in link for `email` as `shopper`; answers the reply.
fn ask_link(shopper: &mut Shopper, email: &str) -> Reply {
    shopper.get("/account");
    shopper.post_form("/account/sign-in", &[("email", email)])
}

/// Signs `shopper` in as `email` by a link from the mailbox; answers the account page.
fn sign_in(w: &World, shopper: &mut Shopper, email: &str) -> Reply {
    let before = w.mail.delivered_to(email).len();
    let asked = ask_link(shopper, email);
    assert_eq!(asked.status, 200, "{}", text(&asked.body));
    let mail = mail_to(w, email, before + 1).pop().unwrap();
    let link = link_in(&mail);
    let opened = shopper.get(&link);
    assert_eq!(opened.status, 200, "{}", text(&opened.body));
    let token = link.split("t=").nth(1).unwrap().to_string();
    let used = shopper.post_form("/account/verify", &[("t", &token)]);
    assert_eq!(used.status, 303, "{}", text(&used.body));
    assert_eq!(used.header("location"), Some("/account"));
    let page = shopper.get("/account");
    assert_eq!(page.status, 200, "{}", text(&page.body));
    page
}

/// The outbox's email under `key`, once its delivery is `state`.
fn outbox_email(api: &Api, key: &str, state: &str) -> Value {
    outbox_email_where(api, &format!("{key} {state}"), |e| e["key"] == key && e["delivery"]["state"] == state)
}

fn a_link_signs_in_once_and_the_outbox_keeps_no_copy_of_it(w: &World) {
    let api = Api::new(&w.shop);
    let mut shopper = Shopper::new(&w.shop);
    let form = shopper.get("/account");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("action=\"/account/sign-in\""), "the sign-in form");
    assert_eq!(form.header("cache-control"), Some("no-store"));
    assert!(form.body.contains("noindex"));
    let asked = shopper.post_form("/account/sign-in", &[("email", "Ada.Once@Example.com")]);
    assert_eq!(asked.status, 200, "{}", text(&asked.body));
    assert!(text(&asked.body).contains("We sent a sign-in link to Ada.Once@Example.com"));
    assert!(!asked.body.contains("/account/verify?t="), "the link goes by email only");
    // Delivered through the provider: from the shop's sender, once, with an idempotency key.
    let mail = mail_to(w, "Ada.Once@Example.com", 1).pop().unwrap();
    assert_eq!(mail.from, FROM);
    assert!(mail.subject.contains("sign-in link"), "{}", mail.subject);
    let key = mail.idempotency_key.clone().expect("an Idempotency-Key");
    assert!(key.starts_with("storefront/sign-in:"), "{key}");
    let link = link_in(&mail);
    assert!(
        mail.text.contains(&format!("{}{link}", w.shop.base)),
        "an absolute link on the shop: {}",
        mail.text
    );
    // The outbox keeps the record, sent, without the link.
    let record = outbox_email(&api, key.trim_start_matches("storefront/"), "sent");
    assert_eq!(record["kind"], "sign_in_link");
    assert_eq!(record["to"], "Ada.Once@Example.com");
    assert_eq!(record["delivery"]["provider"], "resend");
    let body = record["body"].as_str().unwrap();
    assert!(!body.contains("/account/verify"), "the outbox must not hold the link: {body}");
    assert!(body.contains("withheld"));
    // Opening the link shows a button; it signs in nobody by itself (mail scanners).
    let opened = shopper.get(&link);
    assert_eq!(opened.status, 200);
    assert!(opened.body.contains("action=\"/account/verify\""));
    assert!(opened.set_cookie("customer").is_none());
    assert_eq!(opened.header("cache-control"), Some("no-store"));
    let token = link.split("t=").nth(1).unwrap().to_string();
    let used = shopper.post_form("/account/verify", &[("t", &token)]);
    assert_eq!(used.status, 303, "{}", text(&used.body));
    let cookie = used.set_cookie("customer").expect("a customer session cookie");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!cookie.to_lowercase().contains("ada"), "the cookie does not carry the address: {cookie}");
    let page = shopper.get("/account");
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(text(&page.body).contains("Signed in as Ada.Once@Example.com"), "{}", text(&page.body));
    // Used once: the same link again, from this browser or another, is refused.
    let again = shopper.post_form("/account/verify", &[("t", &token)]);
    assert_eq!(again.status, 410, "{}", text(&again.body));
    assert!(text(&again.body).contains("already used"));
    let mut other = Shopper::new(&w.shop);
    other.get(&link);
    let stolen = other.post_form("/account/verify", &[("t", &token)]);
    assert_eq!(stolen.status, 410);
    assert!(stolen.set_cookie("customer").is_none());
    // A tampered cookie signs in nobody.
    let value = shopper.cookie("customer").unwrap().to_string();
    let forged = value.replacen(char::is_numeric, "1", 1);
    let mut forger = Shopper::new(&w.shop);
    let page = forger.get_with_cookie("/account", &format!("customer={forged}X"));
    assert!(page.body.contains("action=\"/account/sign-in\""), "a forged cookie is no session");
    // The same address in any case is the same account.
    let mut later = Shopper::new(&w.shop);
    let page = sign_in(w, &mut later, "ada.once@example.COM");
    assert!(text(&page.body).contains("Signed in as Ada.Once@Example.com"), "the address as first typed");
}

fn every_address_gets_the_same_answer(w: &World) {
    // An address with an account and one never seen: the same page, status and headers.
    let mut known = Shopper::new(&w.shop);
    sign_in(w, &mut known, "known@example.com");
    let mut asker = Shopper::new(&w.shop);
    let for_known = ask_link(&mut asker, "known@example.com");
    let mut asker2 = Shopper::new(&w.shop);
    let for_new = ask_link(&mut asker2, "never-seen@example.com");
    assert_eq!(for_known.status, for_new.status);
    let strip = |reply: &Reply, email: &str| without_tokens(&reply.body).replace(email, "EMAIL");
    assert_eq!(strip(&for_known, "known@example.com"), strip(&for_new, "never-seen@example.com"));
    // Both get a link (a new address's account is made when its link is used).
    mail_to(w, "never-seen@example.com", 1);
}

fn links_to_one_address_are_limited(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    for _ in 0..3 {
        assert_eq!(ask_link(&mut shopper, "limited@example.com").status, 200);
    }
    let fourth = ask_link(&mut shopper, "limited@example.com");
    assert_eq!(fourth.status, 429, "{}", text(&fourth.body));
    assert!(fourth.header("retry-after").is_some());
    assert!(
        text(&fourth.body).contains("3 sign-in links went to this address in the last 15 minutes"),
        "{}",
        text(&fourth.body)
    );
    // In any case: the limit is the address's.
    assert_eq!(ask_link(&mut shopper, "LIMITED@example.com").status, 429);
    assert_eq!(ask_link(&mut shopper, "not-limited@example.com").status, 200);
    assert_eq!(mail_to(w, "limited@example.com", 3).len(), 3, "three links sent, no fourth");
}

fn an_expired_or_unknown_link_is_refused_with_a_clear_page(w: &World) {
    let api = Api::new(&w.shop);
    let mut shopper = Shopper::new(&w.shop);
    assert_eq!(ask_link(&mut shopper, "late@example.com").status, 200);
    let link = link_in(&mail_to(w, "late@example.com", 1)[0]);
    // Sixteen minutes later:
    let (status, body) =
        api.post("/test/customers/age-links", None, json!({ "email": "late@example.com", "ms": 960_000 }));
    assert_eq!(status, 200, "{body}");
    let token = link.split("t=").nth(1).unwrap().to_string();
    shopper.get(&link);
    let late = shopper.post_form("/account/verify", &[("t", &token)]);
    assert_eq!(late.status, 410, "{}", text(&late.body));
    assert!(text(&late.body).contains("This sign-in link has expired"));
    assert!(late.body.contains("action=\"/account/sign-in\""), "with the form to ask for another");
    assert!(late.set_cookie("customer").is_none());
    // A link this shop never sent (right shape, wrong secret), and one cut short.
    let wrong = format!("{}.{}", token.split('.').next().unwrap(), "0".repeat(32));
    let unknown = shopper.post_form("/account/verify", &[("t", &wrong)]);
    assert_eq!(unknown.status, 400);
    assert!(text(&unknown.body).contains("This sign-in link does not work"));
    let cut = shopper.get(&link[..link.len() - 5]);
    assert_eq!(cut.status, 400);
    assert!(text(&cut.body).contains("does not work"));
    let junk = shopper.get("/account/verify?t=%00%FF%E2%80%AE%F0%9F%98%80");
    assert_eq!(junk.status, 400);
}

fn signing_out_here_and_everywhere(w: &World) {
    let email = "two.browsers@example.com";
    let mut laptop = Shopper::new(&w.shop);
    let mut phone = Shopper::new(&w.shop);
    sign_in(w, &mut laptop, email);
    sign_in(w, &mut phone, email);
    // Signing out on the laptop leaves the phone signed in.
    let out = laptop.post_form("/account/sign-out", &[]);
    assert_eq!(out.status, 303);
    assert_eq!(out.header("location"), Some("/account?ended=signed-out"));
    assert!(out.set_cookie("customer").unwrap().contains("Max-Age=0"));
    let page = laptop.get("/account?ended=signed-out");
    assert!(text(&page.body).contains("You are signed out."));
    assert!(page.body.contains("action=\"/account/sign-in\""));
    assert!(text(&phone.get("/account").body).contains("Signed in as"));
    // Everywhere, from a third browser: the phone's session ends at once.
    let mut tablet = Shopper::new(&w.shop);
    sign_in(w, &mut tablet, email);
    let copied_cookie = tablet.cookie("customer").unwrap().to_string();
    let everywhere = tablet.post_form("/account/sign-out-everywhere", &[]);
    assert_eq!(everywhere.status, 303);
    assert_eq!(everywhere.header("location"), Some("/account?ended=everywhere"));
    let phone_page = phone.get("/account");
    assert!(phone_page.body.contains("action=\"/account/sign-in\""), "the phone is signed out");
    assert!(phone_page.set_cookie("customer").unwrap().contains("Max-Age=0"));
    // A copy of an ended session's cookie is no good either.
    let replayed = Shopper::new(&w.shop).get_with_cookie("/account", &format!("customer={copied_cookie}"));
    assert!(replayed.body.contains("action=\"/account/sign-in\""));
}

/// The account page's saved addresses (their ids, in order).
fn saved_ids(html: &str) -> Vec<String> {
    html.split("data-saved-address=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

fn history_saved_addresses_checkout_and_deletion(w: &World) {
    let api = Api::new(&w.shop);
    // An order placed as a guest, before the account exists.
    set_stock(&api, "RTD-RUST", 50);
    let (id, token, total) = ready_cart(&api, "RTD-RUST", 1, "History.Buyer@example.com");
    let (status, placed) = complete(&api, &id, &token, "account-history-1", "4242424242424242", Some(total));
    assert_eq!(status, 201, "{placed}");
    let number = placed["number"].as_str().unwrap().to_string();
    // Its confirmation went through the provider too.
    let confirmation = mail_to(w, "History.Buyer@example.com", 1).pop().unwrap();
    assert!(confirmation.subject.contains(&number), "{}", confirmation.subject);
    assert_eq!(confirmation.idempotency_key.as_deref(), Some(format!("storefront/{number}").as_str()));
    // Signing in (in another case) links it: the account lists it, linked to its page.
    let mut shopper = Shopper::new(&w.shop);
    let page = sign_in(w, &mut shopper, "history.buyer@EXAMPLE.com");
    assert!(page.body.contains(&format!("data-order=\"{number}\"")), "{}", text(&page.body));
    assert!(page.body.contains(&format!("/orders/{number}?token=")));
    // Saving an address: a bad one is a 422 with its fields, a good one is kept once.
    let bad =
        shopper.post_form("/account/addresses", &[("name", "Q"), ("country", "US"), ("postal_code", "nope")]);
    assert_eq!(bad.status, 422, "{}", text(&bad.body));
    assert!(bad.body.contains("field-error"));
    let address = [
        ("name", "Grace Hopper ✓"),
        ("line1", "1 Navy Yard"),
        ("city", "Arlington"),
        ("region", "VA"),
        ("postal_code", "22202"),
        ("country", "US"),
    ];
    for _ in 0..2 {
        let saved = shopper.post_form("/account/addresses", &address);
        assert_eq!(saved.status, 303, "{}", text(&saved.body));
    }
    let page = shopper.get("/account");
    let ids = saved_ids(&page.body);
    assert_eq!(ids.len(), 1, "saved once: {ids:?}");
    assert!(text(&page.body).contains("Grace Hopper ✓"));
    // At checkout: the email is prefilled, the saved address is offered and taken.
    let product = shopper.get("/products/roll-top-daypack");
    assert_eq!(product.status, 200);
    set_stock(&api, "RTD-RUST", 50);
    let added = shopper.post_form("/cart/add", &[("product", "roll-top-daypack"), ("variant", "RTD-RUST")]);
    assert_eq!(added.status, 303, "{}", added.body);
    let contact = shopper.get("/checkout");
    assert!(contact.body.contains("value=\"history.buyer@EXAMPLE.com\""), "the account's email is prefilled");
    assert_eq!(shopper.post_form("/checkout/contact", &[("email", "History.Buyer@example.com")]).status, 303);
    let step = shopper.get("/checkout");
    assert!(step.body.contains("Your saved addresses"), "{}", text(&step.body));
    assert!(step.body.contains(&format!("data-saved-address=\"{}\"", ids[0])));
    assert!(step.body.contains("name=\"save_address\""), "a signed-in customer may save what they type");
    let mut ship_here: Vec<(&str, &str)> = address.to_vec();
    ship_here.push(("line2", ""));
    let chosen = shopper.post_form("/checkout/address", &ship_here);
    assert_eq!(chosen.status, 303, "{}", text(&chosen.body));
    let shipping = shopper.get("/checkout");
    assert!(
        shipping.body.contains("action=\"/checkout/shipping\""),
        "on to shipping: {}",
        text(&shipping.body)
    );
    // Typing another address with "save" ticked adds it to the account.
    let mut another: Vec<(&str, &str)> = vec![
        ("name", "Grace Hopper"),
        ("line1", "2 Harbor Rd"),
        ("city", "Boston"),
        ("region", "MA"),
        ("postal_code", "02110"),
        ("country", "US"),
    ];
    another.push(("save_address", "1"));
    assert_eq!(shopper.post_form("/checkout/address", &another).status, 303);
    assert_eq!(saved_ids(&shopper.get("/account").body).len(), 2);
    // Removing one.
    let removed = shopper.post_form(&format!("/account/addresses/{}/delete", ids[0]), &[]);
    assert_eq!(removed.status, 303);
    let page = shopper.get("/account");
    assert_eq!(saved_ids(&page.body).len(), 1);
    assert!(!text(&page.body).contains("Grace Hopper ✓"));
    // Deleting the account: only when confirmed; then everything it kept is gone, the
    // orders stay with the merchant.
    let unconfirmed = shopper.post_form("/account/delete", &[]);
    assert_eq!(unconfirmed.status, 422);
    let deleted = shopper.post_form("/account/delete", &[("confirm", "delete")]);
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.header("location"), Some("/account?ended=deleted"));
    let after = shopper.get("/account?ended=deleted");
    assert!(text(&after.body).contains("Your account is deleted"));
    let (_, listed) = api.get("/admin/orders?q=history.buyer", Some(ADMIN_TOKEN));
    assert!(listed["orders"].as_array().unwrap().iter().any(|o| o["number"] == number.as_str()), "{listed}");
    // Signing up again starts empty: no addresses (the orders are linked again by the
    // address the customer proves they own).
    let mut again = Shopper::new(&w.shop);
    let fresh = sign_in(w, &mut again, "history.buyer@example.com");
    assert!(saved_ids(&fresh.body).is_empty(), "no addresses after deletion");
}

fn catalog_pages_are_the_same_for_every_customer(w: &World) {
    let mut ada = Shopper::new(&w.shop);
    sign_in(w, &mut ada, "same.page.ada@example.com");
    let mut bob = Shopper::new(&w.shop);
    sign_in(w, &mut bob, "same.page.bob@example.com");
    let mut guest = Shopper::new(&w.shop);
    for path in ["/", "/products/roll-top-daypack", "/collections/apparel", "/search?q=tee"] {
        let pages: Vec<Reply> = [&mut ada, &mut bob, &mut guest].into_iter().map(|s| s.get(path)).collect();
        let bodies: Vec<String> = pages
            .iter()
            .map(|p| {
                assert_eq!(p.status, 200, "{path}");
                without_tokens(&p.body)
            })
            .collect();
        assert_eq!(bodies[0], bodies[1], "{path}: two customers see one page");
        assert_eq!(bodies[0], bodies[2], "{path}: and a guest the same");
        assert!(!bodies[0].contains("same.page"), "nothing about the customer in {path}");
        assert!(bodies[0].contains("href=\"/account\""), "the account link is there for all");
        for page in &pages {
            assert!(
                page.header("cache-control").is_some_and(|c| c.contains("max-age=60")),
                "{path} stays cacheable"
            );
        }
        for page in pages.iter().skip(1) {
            assert_eq!(page.page_cache().as_deref(), Some("hit"), "{path}: rendered once for everyone");
        }
    }
}

fn a_failed_send_is_retried_from_the_queue(w: &World) {
    let api = Api::new(&w.shop);
    w.mail.fail_next(2, 500);
    let mut shopper = Shopper::new(&w.shop);
    assert_eq!(
        ask_link(&mut shopper, "retry.me@example.com").status,
        200,
        "the shopper does not wait for the mail"
    );
    // Tried, failed twice, retried from the queue after MAIL_RETRY_SECONDS (1 s here).
    let mail = mail_to(w, "retry.me@example.com", 1).pop().unwrap();
    let key = mail.idempotency_key.clone().unwrap();
    let record = outbox_email(&api, key.trim_start_matches("storefront/"), "sent");
    assert_eq!(record["to"], "retry.me@example.com");
    let statuses = w.mail.statuses();
    assert!(statuses.iter().filter(|s| **s == 500).count() >= 2, "{statuses:?}");
    // The link works after the retries.
    let link = link_in(&mail);
    shopper.get(&link);
    let used = shopper.post_form("/account/verify", &[("t", link.split("t=").nth(1).unwrap())]);
    assert_eq!(used.status, 303);
    // A 429 from the provider is retried too.
    w.mail.fail_next(1, 429);
    let mut other = Shopper::new(&w.shop);
    assert_eq!(ask_link(&mut other, "retry.429@example.com").status, 200);
    assert_eq!(mail_to(w, "retry.429@example.com", 1).len(), 1);
}

fn account_forms_need_the_session_token_and_bad_input_is_a_4xx(w: &World) {
    let mut shopper = Shopper::new(&w.shop);
    sign_in(w, &mut shopper, "forms@example.com");
    // From another site, or without the page's token: refused, nothing changed.
    for path in ["/account/sign-out-everywhere", "/account/delete", "/account/addresses"] {
        let cross =
            shopper.post_form_with(path, &[("confirm", "delete")], &[("sec-fetch-site", "cross-site")]);
        assert_eq!(cross.status, 403, "{path}");
        let forged = shopper.post_raw(
            path,
            &[("confirm", "delete"), ("csrf", "forged")],
            &[("sec-fetch-site", "same-origin")],
        );
        assert_eq!(forged.status, 403, "{path}");
    }
    assert!(
        text(&shopper.get("/account").body).contains("Signed in as forms@example.com"),
        "still signed in"
    );
    // Bad input: a 4xx with a message, never a 5xx.
    for email in ["", "not an email", &"x".repeat(300), "a@b", "\u{202e}@example.com"] {
        let reply = shopper.post_form("/account/sign-in", &[("email", email)]);
        assert_eq!(reply.status, 422, "{email:?}: {}", text(&reply.body));
        assert!(text(&reply.body).contains("Enter an email address"), "{email:?}");
    }
    assert_eq!(shopper.post_form("/account/addresses/not-an-id/delete", &[]).status, 404);
    assert_eq!(shopper.post_form("/account/verify", &[("t", "")]).status, 400);
    let signed_out = Shopper::new(&w.shop).post_form("/account/addresses", &[("name", "x")]);
    assert_eq!(signed_out.status, 303, "a signed-out form goes to the sign-in page");
    assert_eq!(shopper.get("/account/nothing").status, 404);
    assert_eq!(shopper.post_form("/account", &[]).status, 405);
}

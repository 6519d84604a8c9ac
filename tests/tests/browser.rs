//! Browser tests: a real headless Chromium (Debian's) walks the shopping path, from the
//! home page to the order confirmation, against a real `wrangler dev`: once with
//! JavaScript and once without (test provider), and once with JavaScript against a shop
//! whose provider is Stripe, its API a local stand-in (`fake_stripe`) and Stripe.js a
//! local stand-in at its address. The walk itself is `tests/browser/shop-flow.mjs`;
//! screenshots land in `test-artifacts/browser/<mode>/`. The merchant's walk through
//! `/admin` (sign in, find an order, fulfil it) is `tests/browser/admin-flow.mjs`, its
//! screenshots in `test-artifacts/browser/admin/`; the customer's account (a sign-in
//! link from the outbox, history, a saved address offered at checkout), with and
//! without JavaScript, is `tests/browser/account-flow.mjs`, in
//! `test-artifacts/browser/account-{js,nojs}/`; the markets (one product in the US and
//! Canadian editions through the selector, a cart repriced on the way), with and without
//! JavaScript, is `tests/browser/markets-flow.mjs`, in `test-artifacts/browser/markets-{js,nojs}/`.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::json;
use std::process::Command;
use std::sync::Arc;
use storefront_tests::commerce::{complete, merchant_orders, ready_cart, set_stock};
use storefront_tests::fake_stripe::FakeStripe;
use storefront_tests::{project_root, Api, Shop, ShopOptions, TempDir, ADMIN_TOKEN};

const SECRET_KEY: &str = "sk_test_browser_0123456789";

/// The shops the walks run against: the test provider's, and Stripe's.
struct Shops {
    test: Shop,
    stripe: Shop,
    _stripe_api: FakeStripe,
}

/// Runs a walk script (`tests/browser/<script>`) with `args` after the shop's URL and
/// the artifacts directory; its log is printed, and a failing walk fails the test.
fn run_walk(script: &str, shop: &Shop, args: &[&str], what: &str) -> Result<(), Failed> {
    let root = project_root();
    let output = Command::new("node")
        .current_dir(&root)
        .env("ADMIN_TOKEN", ADMIN_TOKEN)
        .arg(format!("tests/browser/{script}"))
        .arg(&shop.base)
        .arg(root.join("test-artifacts/browser"))
        .args(args)
        .output()
        .map_err(|e| format!("running node: {e}"))?;
    let log =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("{log}");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed:\n{log}").into())
    }
}

fn walk(shop: &Shop, mode: &str) -> Result<(), Failed> {
    run_walk("shop-flow.mjs", shop, &[mode], &format!("the {mode} walk"))
}

/// The merchant's walk (`tests/browser/admin-flow.mjs`) on the test provider's shop:
/// an order placed through the API first, then signed in, found and fulfilled in the
/// browser.
fn merchant_walk(shop: &Shop) -> Result<(), Failed> {
    let api = Api::new(shop);
    set_stock(&api, "RTD-RUST", 20);
    let (id, token, total) = ready_cart(&api, "RTD-RUST", 1, "browser.merchant@example.com");
    let (status, placed) = complete(&api, &id, &token, "browser-merchant-1", "4242424242424242", Some(total));
    if status != 201 {
        return Err(format!("placing the order: {status} {placed}").into());
    }
    let number = placed["number"].as_str().unwrap_or_default().to_string();
    merchant_orders(&api); // forwarded to the desk's index
    run_walk("admin-flow.mjs", shop, &[&number], "the merchant's walk")?;
    let (_, body) = api.post(
        "/orders/lookup",
        None,
        json!({ "email": "browser.merchant@example.com", "number": number }),
    );
    if body["order"]["status"] != "fulfilled" || body["order"]["tracking"] != "1Z999AA10123456784" {
        return Err(format!("the order is not fulfilled with its tracking number: {body}").into());
    }
    Ok(())
}

/// A customer's walk (`tests/browser/account-flow.mjs`) on the test provider's shop,
/// whose mail stays in the outbox: an order placed through the API with the address
/// first, then the account made by a sign-in link, the order in its history, an address
/// saved and offered back at checkout.
fn customer_walk(shop: &Shop, mode: &str) -> Result<(), Failed> {
    let api = Api::new(shop);
    let email = format!("browser.account.{mode}@example.com");
    set_stock(&api, "RTD-RUST", 20);
    set_stock(&api, "WCT-OLIVE", 20);
    let (id, token, total) = ready_cart(&api, "RTD-RUST", 1, &email);
    let key = format!("browser-account-{mode}");
    let (status, placed) = complete(&api, &id, &token, &key, "4242424242424242", Some(total));
    if status != 201 {
        return Err(format!("placing the order: {status} {placed}").into());
    }
    let number = placed["number"].as_str().unwrap_or_default().to_string();
    merchant_orders(&api); // forwarded to the index the history reads
    run_walk("account-flow.mjs", shop, &[mode, &email, &number], &format!("the customer's walk ({mode})"))
}

/// The markets walk (`tests/browser/markets-flow.mjs`): the same product in the default
/// edition and in Canada (French, then English) through the selector, and a cart filled
/// in US dollars opened in Canada, repriced in CAD.
fn markets_walk(shop: &Shop, mode: &str) -> Result<(), Failed> {
    let api = Api::new(shop);
    set_stock(&api, "RTD-BLACK", 50);
    set_stock(&api, "SWM-SPECK", 50);
    run_walk("markets-flow.mjs", shop, &[mode], &format!("the markets walk ({mode})"))
}

fn main() {
    let args = Arguments::from_args();
    let shops = if args.list {
        None
    } else {
        let state = TempDir::new("browser");
        let test = Shop::start(ShopOptions::fresh(&state));
        let stripe_state = TempDir::new("browser-stripe");
        let _ = storefront_tests::publish_sample_catalog(stripe_state.path());
        let stripe_api = FakeStripe::start(SECRET_KEY);
        let base = stripe_api.base_url();
        let vars = [
            ("PAYMENT_PROVIDER", "stripe"),
            ("STRIPE_SECRET_KEY", SECRET_KEY),
            ("STRIPE_WEBHOOK_SECRET", "whsec_browser_0123456789"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_browser_0123456789"),
            ("STRIPE_API_BASE", base.as_str()),
        ];
        let stripe = Shop::start(ShopOptions::on(stripe_state.path()).vars(&vars));
        Some((Arc::new(Shops { test, stripe, _stripe_api: stripe_api }), state, stripe_state))
    };
    let mut trials: Vec<Trial> = ["js", "nojs", "stripe"]
        .into_iter()
        .map(|mode| {
            let shops = shops.as_ref().map(|(s, _, _)| Arc::clone(s));
            Trial::test(format!("shopping_path_in_chromium_{mode}"), move || match shops {
                Some(shops) if mode == "stripe" => walk(&shops.stripe, mode),
                Some(shops) => walk(&shops.test, mode),
                None => Ok(()),
            })
        })
        .collect();
    let test_shop = shops.as_ref().map(|(s, _, _)| Arc::clone(s));
    trials.push(Trial::test("merchant_desk_in_chromium", move || match test_shop {
        Some(shops) => merchant_walk(&shops.test),
        None => Ok(()),
    }));
    for mode in ["js", "nojs"] {
        let shops = shops.as_ref().map(|(s, _, _)| Arc::clone(s));
        trials.push(Trial::test(format!("customer_account_in_chromium_{mode}"), move || match shops {
            Some(shops) => customer_walk(&shops.test, mode),
            None => Ok(()),
        }));
    }
    for mode in ["js", "nojs"] {
        let shops = shops.as_ref().map(|(s, _, _)| Arc::clone(s));
        trials.push(Trial::test(format!("markets_in_chromium_{mode}"), move || match shops {
            Some(shops) => markets_walk(&shops.test, mode),
            None => Ok(()),
        }));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    drop(shops);
    conclusion.exit();
}

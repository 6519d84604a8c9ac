//! Browser tests: a real headless Chromium (Debian's) walks the shopping path, from the
//! home page to the order confirmation, against a real `wrangler dev`: once with
//! JavaScript and once without (test provider), and once with JavaScript against a shop
//! whose provider is Stripe, its API a local stand-in (`fake_stripe`) and Stripe.js a
//! local stand-in at its address. The walk itself is `tests/browser/shop-flow.mjs`;
//! screenshots land in `test-artifacts/browser/<mode>/`.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::{Arguments, Failed, Trial};
use std::process::Command;
use std::sync::Arc;
use storefront_tests::fake_stripe::FakeStripe;
use storefront_tests::{project_root, Shop, ShopOptions, TempDir};

const SECRET_KEY: &str = "sk_test_browser_0123456789";

/// The shops the walks run against: the test provider's, and Stripe's.
struct Shops {
    test: Shop,
    stripe: Shop,
    _stripe_api: FakeStripe,
}

fn walk(shop: &Shop, mode: &str) -> Result<(), Failed> {
    let root = project_root();
    let artifacts = root.join("test-artifacts/browser");
    let output = Command::new("node")
        .current_dir(&root)
        .arg("tests/browser/shop-flow.mjs")
        .arg(&shop.base)
        .arg(&artifacts)
        .arg(mode)
        .output()
        .map_err(|e| format!("running node: {e}"))?;
    let log =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("{log}");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("the {mode} walk failed:\n{log}").into())
    }
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
    let trials = ["js", "nojs", "stripe"]
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
    let conclusion = libtest_mimic::run(&args, trials);
    drop(shops);
    conclusion.exit();
}

//! The deploy path and durability: the deploy bundle builds, and a cart survives a
//! `wrangler dev` restart on the same state directory.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::{Arguments, Trial};
use storefront_tests::html::{element_containing, text};
use storefront_tests::{run_wrangler, Shop, Shopper, TempDir};

fn main() {
    let args = Arguments::from_args();
    let trials = vec![
        Trial::test("deploy_dry_run_builds_the_bundle", deploy_dry_run_builds_the_bundle),
        Trial::test("cart_survives_a_wrangler_dev_restart", cart_survives_a_wrangler_dev_restart),
    ];
    libtest_mimic::run(&args, trials).exit();
}

fn deploy_dry_run_builds_the_bundle() -> Result<(), libtest_mimic::Failed> {
    let out = TempDir::new("deploy");
    let outdir = out.path().to_string_lossy().into_owned();
    let (ok, output) = run_wrangler(&["deploy", "--dry-run", "--outdir", &outdir]);
    if !ok {
        return Err(format!("wrangler deploy --dry-run failed:\n{output}").into());
    }
    let files: Vec<String> = std::fs::read_dir(out.path())
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    if !files.iter().any(|f| f.ends_with(".js")) || !files.iter().any(|f| f.ends_with(".wasm")) {
        return Err(format!("bundle lacks the script or the wasm module: {files:?}").into());
    }
    for binding in ["CATALOG", "CART"] {
        if !output.contains(binding) {
            return Err(format!("dry run did not list the {binding} binding:\n{output}").into());
        }
    }
    Ok(())
}

fn cart_survives_a_wrangler_dev_restart() -> Result<(), libtest_mimic::Failed> {
    let state = TempDir::new("restart");
    let mut shop = Shop::start_fresh(&state);
    let mut shopper = Shopper::new(&shop);
    let added = shopper.post_form(
        "/cart/add",
        &[("product", "beeswax-candle"), ("variant", "BWC-LARGE"), ("quantity", "2")],
    );
    if added.status != 303 {
        return Err(format!("add answered {}", added.status).into());
    }
    let before = shopper.get("/cart");
    shop.stop();

    let shop = Shop::start_on(state.path());
    let mut returning = Shopper::new(&shop);
    // The same shopper comes back with the same cookie.
    let cookie = shopper.cookie("cart").ok_or("no cart cookie")?.to_string();
    let reply = returning.get_with_cookie("/cart", &format!("cart={cookie}"));
    let row = element_containing(&reply.body, "data-sku=\"BWC-LARGE\"").map(text).unwrap_or_default();
    if !row.contains('2') {
        return Err(format!("the cart line is gone after the restart: {}", text(&reply.body)).into());
    }
    let subtotal = |html: &str| element_containing(html, "class=\"cart-subtotal\"").map(text);
    if subtotal(&reply.body) != subtotal(&before.body) || subtotal(&reply.body).is_none() {
        return Err("the cart total changed across the restart".into());
    }
    Ok(())
}

//! The deploy path and durability: the deploy bundle builds, and a cart survives a
//! `wrangler dev` restart on the same state directory.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::Arguments;
use storefront_tests::commerce::{complete, ready_cart, set_stock};
use storefront_tests::html::{element_containing, text};
use storefront_tests::{
    project_root, publish_sample_catalog, run_wrangler, Api, Shop, ShopOptions, Shopper, TempDir,
};

fn main() {
    let mut args = Arguments::from_args();
    // Each trial publishes a catalog and starts its own shop; two wrangler runs at once
    // trip over each other on this machine.
    args.test_threads = Some(1);
    let trials = storefront_tests::trials![
        deploy_dry_run_builds_the_bundle,
        cart_survives_a_wrangler_dev_restart,
        a_shop_deployed_without_providers_takes_no_payments_and_sends_no_mail
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
    let mut shop = Shop::start(ShopOptions::fresh(&state));
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

    let shop = Shop::start(ShopOptions::on(state.path()));
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

/// Fails closed: the shipped `wrangler.toml` names no payment provider and no mail
/// provider, and a shop run that way (as `wrangler deploy` would) refuses every payment
/// with a 503 and a log line instead of approving cards through the built-in test
/// provider, and refuses customer sign-in (a link it cannot send) the same way.
fn a_shop_deployed_without_providers_takes_no_payments_and_sends_no_mail() -> Result<(), libtest_mimic::Failed>
{
    let config = std::fs::read_to_string(project_root().join("wrangler.toml")).map_err(|e| e.to_string())?;
    if config.lines().any(|l| l.trim_start().starts_with("PAYMENT_PROVIDER")) {
        return Err("wrangler.toml sets PAYMENT_PROVIDER: a deployed shop would take payments unasked".into());
    }
    if config.lines().any(|l| l.trim_start().starts_with("MAIL_PROVIDER")) {
        return Err(
            "wrangler.toml sets MAIL_PROVIDER: a deployed shop would pick a mail channel unasked".into()
        );
    }
    let state = TempDir::new("no-provider");
    let _ = publish_sample_catalog(state.path());
    // The test harness chooses the test provider for every shop; this one is set back
    // to nothing, as deployed.
    let shop =
        Shop::start(ShopOptions::on(state.path()).vars(&[("PAYMENT_PROVIDER", ""), ("MAIL_PROVIDER", "")]));
    let api = Api::new(&shop);
    set_stock(&api, "POC-SET", 5);
    let (id, token, total) = ready_cart(&api, "POC-SET", 1, "no-provider@example.com");
    let (status, body) = complete(&api, &id, &token, "no-provider-1", "4242 4242 4242 4242", Some(total));
    if status != 503 || !body["message"].as_str().unwrap_or("").contains("not set up") {
        return Err(format!("a payment without a provider answered {status}: {body}").into());
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !shop.log().contains("PAYMENT_PROVIDER is not set") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    if !shop.log().contains("PAYMENT_PROVIDER is not set") {
        eprintln!("{}", shop.log_tail());
        return Err("no log line says why payments are refused".into());
    }
    let (_, orders) = api.get("/admin/orders", Some(storefront_tests::ADMIN_TOKEN));
    if orders["orders"].as_array().is_some_and(|o| !o.is_empty()) {
        return Err(format!("an order was placed without a provider: {orders}").into());
    }
    // No mail channel: asking for a sign-in link is refused, saying why, and logged.
    let mut shopper = storefront_tests::Shopper::new(&shop);
    shopper.get("/account");
    let asked = shopper.post_form("/account/sign-in", &[("email", "no-mail@example.com")]);
    if asked.status != 503 || !text(&asked.body).contains("cannot send email") {
        return Err(format!(
            "sign-in without a mail provider answered {}: {}",
            asked.status,
            text(&asked.body)
        )
        .into());
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !shop.log().contains("MAIL_PROVIDER is not set") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    if !shop.log().contains("MAIL_PROVIDER is not set") {
        return Err("no log line says why sign-in is refused".into());
    }
    let (_, outbox) = api.get("/admin/outbox", Some(storefront_tests::ADMIN_TOKEN));
    if outbox["emails"].as_array().is_some_and(|e| !e.is_empty()) {
        return Err(format!("an email was written without a mail channel: {outbox}").into());
    }
    Ok(())
}

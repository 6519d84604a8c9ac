//! Browser tests: a real headless Chromium (Debian's) walks the shopping path against a
//! real `wrangler dev`, once with JavaScript and once without. The walk itself is
//! `tests/browser/shop-flow.mjs`; screenshots land in `test-artifacts/browser/`.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use libtest_mimic::{Arguments, Failed, Trial};
use std::process::Command;
use std::sync::Arc;
use storefront_tests::{project_root, Shop, TempDir};

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
    let shop = if args.list {
        None
    } else {
        let state = TempDir::new("browser");
        Some((Arc::new(Shop::start_fresh(&state)), state))
    };
    let trials = ["js", "nojs"]
        .into_iter()
        .map(|mode| {
            let shop = shop.as_ref().map(|(s, _)| Arc::clone(s));
            Trial::test(format!("shopping_path_in_chromium_{mode}"), move || match shop {
                Some(shop) => walk(&shop, mode),
                None => Ok(()),
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    drop(shop);
    conclusion.exit();
}

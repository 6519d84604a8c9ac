//! Test harness: starts a real `wrangler dev` (workerd with local KV and Durable
//! Objects) on free ports with a fresh state directory, publishes the sample catalog
//! into its local KV, and talks HTTP to it.
//!
//! By concern: [`process`] (state directories, publishing, starting a shop with
//! [`ShopOptions`]), [`client`] (HTTP, the JSON [`Api`]), [`shopper`] (a browser's cookie
//! jar and forms), [`catalog`] (the sample catalog's documents), [`fake_stripe`] (Stripe's
//! API at its network edge); and here, how tests that share one running shop are named
//! and run ([`tests!`], [`trials!`], [`shared_trials`]).
//!
//! The worker must already be built (`make test` builds it once); the harness starts
//! wrangler with `STOREFRONT_PREBUILT=1` so the build step is skipped.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

pub mod budgets;
mod catalog;
mod client;
pub mod commerce;
pub mod fake_mail;
pub mod fake_stripe;
pub mod html;
mod process;
mod shopper;
pub mod stand_in;

pub use catalog::SampleCatalog;
pub use client::*;
pub use process::*;
pub use shopper::*;

/// A test by name, run against a shared world.
pub type NamedTest<W> = (&'static str, fn(&W));

pub use libtest_mimic;

/// What a standalone test function returns: nothing (it panics on failure) or a result.
pub trait TestOutcome {
    fn outcome(self) -> Result<(), libtest_mimic::Failed>;
}

impl TestOutcome for () {
    fn outcome(self) -> Result<(), libtest_mimic::Failed> {
        Ok(())
    }
}

impl TestOutcome for Result<(), libtest_mimic::Failed> {
    fn outcome(self) -> Result<(), libtest_mimic::Failed> {
        self
    }
}

/// Standalone tests (each starts what it needs), each named by its function:
/// `trials![deploy_dry_run_builds_the_bundle]`.
#[macro_export]
macro_rules! trials {
    ($($test:ident),* $(,)?) => {
        vec![$($crate::libtest_mimic::Trial::test(stringify!($test), || $crate::TestOutcome::outcome($test()))),*]
    };
}

/// Tests run against a shared world, each named by its function (so a test's name is
/// written once): `tests![adds_lose_nothing, stock_sells_once]`.
#[macro_export]
macro_rules! tests {
    ($($test:ident),* $(,)?) => {
        vec![$((stringify!($test), $test as fn(&_))),*]
    };
}

/// Trials of tests that share one world (a running shop): each gets it, unless the run
/// only lists the tests (`world` is `None`, and nothing is started or run).
pub fn shared_trials<W: Send + Sync + 'static>(
    world: Option<&std::sync::Arc<W>>,
    tests: Vec<NamedTest<W>>,
) -> Vec<libtest_mimic::Trial> {
    tests
        .into_iter()
        .map(|(name, test)| {
            let world = world.map(std::sync::Arc::clone);
            libtest_mimic::Trial::test(name, move || {
                if let Some(world) = world {
                    test(&world);
                }
                Ok(())
            })
        })
        .collect()
}

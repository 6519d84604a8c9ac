//! The JSON bodies of the test-only routes (`/api/v1/test/*`, on only with
//! `ENABLE_TEST_ROUTES = "1"`); the public API's bodies are in `shared::api`.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    pub seconds: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stall {
    pub cart_id: String,
    pub ms: u64,
}

/// Test routes only: age the sign-in links sent to `email` by `ms`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeLinks {
    pub email: String,
    pub ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Process {
    pub order_number: String,
    #[serde(default)]
    pub origin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldBurst {
    pub sku: String,
    pub holds: u32,
    pub concurrency: u32,
}

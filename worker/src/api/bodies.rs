//! The JSON bodies the API accepts: typed, refusing unknown fields, so a misspelt field
//! is a 400 that says so rather than a silent default.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    pub sku: String,
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityChange {
    pub quantity: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub rate: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartCheckout {
    pub cart_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complete {
    pub card: String,
    pub expected_total: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    pub email: String,
    pub number: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stock {
    pub on_hand: u32,
}

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

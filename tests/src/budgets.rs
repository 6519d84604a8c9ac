//! The round-trip budgets of the README: how many Durable Object calls each write may
//! cause, counted from the worker's own log line (`do_calls`, which includes the calls
//! objects make while answering). `tests/tests/budgets.rs` fails when an operation goes
//! over; `make bench` prints the same budgets as verdicts for its loads.

use serde_json::Value;

/// A write and the Durable Object calls it may make.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub operation: &'static str,
    /// Calls allowed whatever the cart holds.
    pub fixed: u32,
    /// Whether one more call is allowed per inventory shard the cart's lines touch.
    pub per_shard: bool,
}

impl Budget {
    /// The calls allowed for a cart whose lines touch `shards` inventory shards.
    pub fn allows(&self, shards: u32) -> u32 {
        self.fixed + if self.per_shard { shards } else { 0 }
    }

    /// How the README writes the budget.
    pub fn describe(&self) -> String {
        if self.per_shard {
            format!("≤ {} + inventory shards", self.fixed)
        } else {
            format!("≤ {}", self.fixed)
        }
    }
}

/// Adding a line: the cart's object, plus at most one inventory read (kept briefly).
pub const ADD_TO_CART: Budget = Budget { operation: "add to cart", fixed: 2, per_shard: false };
/// Changing a quantity, removing a line, a discount code, emptying the cart.
pub const CART_CHANGE: Budget = Budget { operation: "other cart change", fixed: 1, per_shard: false };
/// Contact, address or shipping method.
pub const CHECKOUT_STEP: Budget = Budget { operation: "checkout step", fixed: 1, per_shard: false };
/// Reaching the payment step: the cart's object holds the stock on each shard.
pub const HOLD: Budget = Budget { operation: "hold stock (payment step)", fixed: 1, per_shard: true };
/// Placing the order: the cart's object, one commit per shard, storing the order.
pub const COMPLETION: Budget = Budget { operation: "complete (order placed)", fixed: 2, per_shard: true };
/// The merchant's order list: the order index, never every shard.
pub const ORDER_LIST: Budget = Budget { operation: "merchant order list", fixed: 1, per_shard: false };

/// A customer's account page and forms: the account's object, and the order index for
/// the history (not in [`ALL`]: the bench's write loads make none).
pub const ACCOUNT: Budget = Budget { operation: "customer account", fixed: 2, per_shard: false };
/// A signed-in customer's checkout step that also saves the address to their account.
pub const CHECKOUT_STEP_SAVING: Budget =
    Budget { operation: "checkout step, saving the address", fixed: 2, per_shard: false };

pub const ALL: [Budget; 6] = [ADD_TO_CART, CART_CHANGE, CHECKOUT_STEP, HOLD, COMPLETION, ORDER_LIST];

/// The inventory shard of a SKU: the worker's hash (32-bit FNV-1a) over its 16 shards.
pub fn inventory_shard(sku: &str) -> u32 {
    shared::hash::shard(sku, 16)
}

/// Distinct inventory shards of these SKUs.
pub fn shards_of(skus: &[&str]) -> u32 {
    let mut shards: Vec<u32> = skus.iter().map(|s| inventory_shard(s)).collect();
    shards.sort_unstable();
    shards.dedup();
    shards.len() as u32
}

/// The worker's JSON log lines in `log` (the text `wrangler dev` printed).
pub fn log_lines(log: &str) -> impl Iterator<Item = Value> + '_ {
    log.lines().filter_map(|line| {
        let start = line.find('{')?;
        serde_json::from_str::<Value>(&line[start..]).ok().filter(|v| v.get("request_id").is_some())
    })
}

/// The log line of the request `request_id`, if it is in `log`.
pub fn log_line(log: &str, request_id: &str) -> Option<Value> {
    log_lines(log).find(|v| v["request_id"] == request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_grow_with_shards_only_where_they_say_so() {
        assert_eq!(ADD_TO_CART.allows(5), 2);
        assert_eq!(COMPLETION.allows(1), 3);
        assert_eq!(COMPLETION.allows(3), 5);
        assert_eq!(COMPLETION.describe(), "≤ 2 + inventory shards");
    }

    #[test]
    fn log_lines_are_found_by_request_id() {
        let log = "[wrangler:info] GET / 200\n{\"cache\":\"bypass\",\"do_calls\":2,\"request_id\":\"ab\"}\nnoise {\n";
        assert_eq!(log_line(log, "ab").unwrap()["do_calls"], 2);
        assert!(log_line(log, "cd").is_none());
        assert_eq!(shards_of(&["BRP-1", "BRP-1"]), 1);
    }
}

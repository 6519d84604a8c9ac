//! Stock as the merchant sees it: units on hand, units free to sell (on hand less live
//! checkout holds), and when that is low.

use serde::{Deserialize, Serialize};

/// At or below this many free units a SKU is low on stock (the merchant's stock page
/// warns; zero is sold out).
pub const LOW_STOCK: u32 = 5;

/// The most SKUs one low-stock list holds.
pub const MAX_LOW_LISTED: u32 = 200;

/// One SKU's stock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    pub on_hand: u32,
    /// On hand less live holds.
    pub available: u32,
}

/// How a SKU's stock stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockState {
    SoldOut,
    Low,
    InStock,
}

impl StockLevel {
    pub fn state(self) -> StockState {
        match self.available {
            0 => StockState::SoldOut,
            n if n <= LOW_STOCK => StockState::Low,
            _ => StockState::InStock,
        }
    }
}

impl StockState {
    /// What the stock page says.
    pub fn text(self) -> &'static str {
        match self {
            StockState::SoldOut => "Sold out",
            StockState::Low => "Low stock",
            StockState::InStock => "In stock",
        }
    }

    /// Its name in markup (`data-stock-state`) and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            StockState::SoldOut => "sold_out",
            StockState::Low => "low",
            StockState::InStock => "in_stock",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_units_decide_the_state() {
        let level = |available| StockLevel { on_hand: 9, available };
        assert_eq!(level(0).state(), StockState::SoldOut);
        assert_eq!(level(1).state(), StockState::Low);
        assert_eq!(level(LOW_STOCK).state(), StockState::Low);
        assert_eq!(level(LOW_STOCK + 1).state(), StockState::InStock);
    }
}

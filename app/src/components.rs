//! Pieces shared by several pages.

pub mod address;
pub mod chart;
pub mod layout;
pub mod locale;
pub mod price;
pub mod product_card;
pub mod seo;

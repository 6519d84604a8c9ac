//! Pieces shared by several pages.

pub mod layout;
pub mod price;
pub mod product_card;
pub mod seo;

//! One page per file. Each page receives everything it shows as props.

pub mod account;
pub mod admin;
pub mod article;
pub mod cart;
pub mod cart_link;
pub mod checkout;
pub mod collection;
pub mod error;
pub mod home;
pub mod order;
pub mod product;
pub mod search;

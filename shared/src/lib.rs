//! Domain types and rules shared by every part of the storefront.
//!
//! Nothing in here knows about Leptos or Workers: it builds and is tested on the
//! host and compiles unchanged to wasm32. Money is always integer minor units.

// No byte-offset slicing of text and no unchecked indexing: every parser here sees text
// from requests, and a panic in the worker resets its isolate for everyone on it.
#![warn(clippy::string_slice, clippy::indexing_slicing)]
// No arithmetic that can overflow, wrap or divide by zero unchecked: money, quantities
// and rates come from requests and catalogs, and release builds wrap silently.
#![cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]

pub mod api;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod customers;
pub mod hash;
pub mod ids;
pub mod keys;
pub mod limits;
pub mod listing;
pub mod locale;
pub mod mail;
pub mod markets;
pub mod metrics;
pub mod money;
pub mod orders;
pub mod payments;
pub mod review;
pub mod search;
pub mod settings;
pub mod stock;
pub mod strings;
pub mod text;
pub mod url;
pub mod variants;

pub use cart::{price_cart, quantity_after_add, CartError, CartLine, PricedCart, PricedLine, PricingError};
pub use catalog::{
    Category, CategorySummary, ContentPage, HomeData, Image, MenuLink, Product, ProductOption,
    ProductSummary, Site, SitemapIndex, SitemapShard, StoreInfo, Variant,
};
pub use ids::{CartId, Handle, IdError, Quantity, Sku};
pub use money::{format_decimal, format_money, Currency, Money, MoneyError};

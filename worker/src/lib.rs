//! The Cloudflare Workers entry of the storefront. Two front doors — the shop's pages
//! (`routes`) and the JSON API (`api`) — are thin adapters over one service per bounded
//! context: `catalog`, `cart`, `inventory`, `checkout`, `orders`, plus `limits`. Each
//! context owns its rules and its Durable Object protocol; `router` is the pipeline
//! every request goes through. See ARCHITECTURE.md.

// No byte-offset slicing of text and no unchecked indexing on request paths: a panic
// (`panic = "abort"`) resets the isolate for every request on it.
#![warn(clippy::string_slice, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod api;
#[cfg(test)]
mod architecture;
mod bindings;
mod cart;
mod catalog;
mod checkout;
mod customer_session;
mod customers;
mod durable;
mod error;
mod http;
mod inventory;
mod isolate_cache;
mod limits;
mod mail;
mod merchant;
mod metrics;
mod orders;
mod outbound;
mod page_cache;
mod payments;
mod queue;
mod random;
mod router;
mod routes;
mod security;
mod session;
mod signing;
mod sql;
mod timing;

pub use checkout::object::CartObject;
pub use customers::object::CustomerObject;
pub use inventory::object::InventoryObject;
pub use metrics::object::MetricsObject;
pub use orders::index::OrderIndexObject;
pub use orders::object::OrderObject;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    router::handle(req, env, ctx).await
}

//! The Cloudflare Workers entry of the storefront: routes each request, reads the
//! catalog from KV, talks to the cart Durable Objects, and renders Leptos pages.

mod api;
mod bindings;
mod cart_object;
mod catalog_store;
mod checkout;
mod durable;
mod error;
mod http;
mod inventory_object;
mod isolate_cache;
mod limiter;
mod order_object;
mod order_queue;
mod page_cache;
mod random;
mod routes;
mod security;
mod signing;
mod timing;

pub use cart_object::CartObject;
pub use inventory_object::InventoryObject;
pub use limiter::LimiterObject;
pub use order_object::OrderObject;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    routes::handle(req, env, ctx).await
}

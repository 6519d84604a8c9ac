//! The Cloudflare Workers entry of the storefront: routes each request, reads the
//! catalog from KV, talks to the cart Durable Objects, and renders Leptos pages.

mod bindings;
mod cart_object;
mod catalog_store;
mod error;
mod http;
mod isolate_cache;
mod page_cache;
mod random;
mod routes;
mod timing;

pub use cart_object::CartObject;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    routes::handle(req, env, ctx).await
}

//! Names of the Cloudflare bindings declared in `wrangler.toml`, in one place.

/// Workers KV namespace holding the published catalog.
pub const CATALOG: &str = "CATALOG";
/// Durable Object namespace of carts: one `CartObject` per cart id.
pub const CART: &str = "CART";

//! Names of the Cloudflare bindings declared in `wrangler.toml`, in one place.

/// Workers KV namespace holding the published catalog.
pub const CATALOG: &str = "CATALOG";
/// Durable Object namespace of carts: one `CartObject` per cart id.
pub const CART: &str = "CART";
/// Durable Object namespace of stock: `InventoryObject`s, sharded by SKU.
pub const INVENTORY: &str = "INVENTORY";
/// Durable Object namespace of orders: `OrderObject`s, sharded by order number.
pub const ORDERS: &str = "ORDERS";
/// Queue of order events ("order placed"), consumed by this worker.
pub const ORDER_EVENTS: &str = "ORDER_EVENTS";
/// Bearer token of the merchant API (a secret).
pub const ADMIN_TOKEN: &str = "ADMIN_TOKEN";
/// How long checkout holds stock, in seconds (a var; 900 by default).
pub const RESERVATION_TTL_SECONDS: &str = "RESERVATION_TTL_SECONDS";
/// Milliseconds after which a checkout completion that never finished (its worker died)
/// may be taken over by a retry with the same idempotency key (a var; 60000 by default).
pub const CHECKOUT_TAKEOVER_MS: &str = "CHECKOUT_TAKEOVER_MS";
/// Milliseconds a Durable Object may take before the request answers 503 (a var).
pub const DO_TIMEOUT_MS: &str = "DO_TIMEOUT_MS";
/// Milliseconds a KV read may take before it counts as failed (a var).
pub const KV_TIMEOUT_MS: &str = "KV_TIMEOUT_MS";
/// Writes (form posts, API cart changes) allowed per client per minute (a var).
pub const WRITE_LIMIT_PER_MINUTE: &str = "WRITE_LIMIT_PER_MINUTE";
/// Durable Object namespace of the write-rate limiter: `LimiterObject`s, sharded by client.
pub const LIMITER: &str = "LIMITER";
/// "off" turns the full-page cache off (a var; on by default).
pub const PAGE_CACHE: &str = "PAGE_CACHE";
/// "off" drops the one-line JSON log of each request (a var; on by default).
pub const REQUEST_LOG: &str = "REQUEST_LOG";
/// "1" enables the routes only tests use (a var; off by default).
pub const ENABLE_TEST_ROUTES: &str = "ENABLE_TEST_ROUTES";

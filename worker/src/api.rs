//! The JSON API v1 for headless clients, described at `/api/v1/openapi.json`. It drives
//! the same Durable Objects as the HTML pages: carts (a bearer token per cart, the same
//! signed value as the cart cookie), checkouts (keyed by cart), orders, and the merchant
//! API behind `ADMIN_TOKEN`. Every error is JSON with a machine code and a message.

use crate::bindings;
use crate::cart_object::{CartClient, CartCommand, CartState};
use crate::catalog_store::CatalogReader;
use crate::checkout::{self, CompleteRequest, NotRun, Outcome, Review};
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::inventory_object::Inventory;
use crate::order_object::Orders;
use crate::random;
use crate::routes::checkout::{not_run, outcome_message};
use crate::signing::{constant_time_eq, Signer};
use crate::timing::now_ms;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::checkout::{shippable_countries, AddressInput, Email};
use shared::listing::{ListingParams, PAGE_SIZE};
use shared::search::{query_terms, search, shards_for};
use shared::{CartId, CartLine, Handle, Quantity, Sku};
use std::sync::Arc;
use wasm_bindgen::JsValue;
use worker::{Context, Env, Method, Request, RequestInit, Response};

const OPENAPI: &str = include_str!("openapi.json");

pub fn ok(value: &Value) -> AppResult<Response> {
    http::json(value, 200, CachePolicy::NoStore)
}

fn created(value: &Value) -> AppResult<Response> {
    http::json(value, 201, CachePolicy::NoStore)
}

fn page_param(req: &Request) -> AppResult<u32> {
    let fields = Fields::parse(http::query_string(req).as_bytes())?;
    match fields.get("page") {
        None | Some("") => Ok(1),
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| AppError::BadRequest("`page` must be a whole number from 1 up.".into())),
    }
}

/// The cart named in the path, if the bearer token is that cart's.
fn authorized_cart(req: &Request, env: &Env, id: &str) -> AppResult<CartId> {
    let signer = Signer::from_env(env)?;
    let token = http::bearer(req).ok_or_else(|| {
        AppError::Unauthorized("Send the cart's token as `Authorization: Bearer <token>`.".into())
    })?;
    match signer.verify_cart_token(&token) {
        Some(cart) if cart.as_str() == id => Ok(cart),
        _ => Err(AppError::Unauthorized("That token is not this cart's.".into())),
    }
}

fn authorize_admin(req: &Request, env: &Env) -> AppResult<()> {
    let expected = env
        .secret(bindings::ADMIN_TOKEN)
        .map(|s| s.to_string())
        .or_else(|_| env.var(bindings::ADMIN_TOKEN).map(|v| v.to_string()))
        .map_err(|_| {
            AppError::Unauthorized("The merchant API is not configured (set ADMIN_TOKEN).".into())
        })?;
    let given = http::bearer(req).unwrap_or_default();
    if expected.len() >= 16 && constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::Unauthorized("The merchant API needs `Authorization: Bearer <ADMIN_TOKEN>`.".into()))
    }
}

/// The rate-limit key of an API write: the client's address, for cart, checkout and
/// order calls. The merchant API (authenticated by its token) and test routes are not
/// limited.
pub fn limit_key(req: &Request, segments: &[&str]) -> Option<String> {
    match segments.first() {
        Some(&("carts" | "checkouts" | "orders")) => Some(format!("ip:{}", http::client_ip(req))),
        _ => None,
    }
}

fn test_routes_enabled(env: &Env) -> bool {
    env.var(bindings::ENABLE_TEST_ROUTES).map(|v| v.to_string() == "1").unwrap_or(false)
}

fn review_json(id: &CartId, review: &Review) -> Value {
    json!({
        "id": id.as_str(),
        "lines": review.cart.lines,
        "unavailable": review.cart.unavailable,
        "item_count": review.cart.item_count,
        "email": review.state.email,
        "address": review.state.address,
        "shipping_rate": review.state.shipping_rate,
        "discount_code": review.state.discount_code,
        "discount_problem": review.discount_problem,
        "rates": review.rates,
        "totals": review.totals,
        "short": review.short,
        "next_step": review.missing_step().unwrap_or("complete"),
    })
}

async fn cart_json(
    env: &Env,
    catalog: &CatalogReader<'_>,
    id: &CartId,
    state: CartState,
) -> AppResult<Value> {
    let review = checkout::review_state_for(env, catalog, Some(id), state).await?;
    Ok(review_json(id, &review))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLine {
    sku: String,
    #[serde(default = "one")]
    quantity: u32,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuantityChange {
    quantity: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactBody {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateBody {
    rate: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutBody {
    cart_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    card: String,
    expected_total: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupBody {
    email: String,
    number: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockBody {
    on_hand: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutageBody {
    seconds: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StallBody {
    cart_id: String,
    ms: u64,
}

/// A deliberate panic, to show that one panicking request does not take later ones down.
#[allow(clippy::panic)]
fn panic_on_purpose() -> ! {
    panic!("deliberate panic from the test route /api/v1/test/panic");
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcessBody {
    order_number: String,
    #[serde(default)]
    origin: String,
}

pub async fn handle(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    segments: &[&str],
) -> AppResult<Response> {
    let method = req.method();
    let origin = http::origin(&req);
    match (method, segments) {
        (Method::Get, ["openapi.json"]) => {
            http::body_response(http::JSON, OPENAPI.to_string(), 200, CachePolicy::Long, None)
        }

        // Catalog.
        (Method::Get, ["products"]) => {
            let page = page_param(&req)?;
            let count = catalog.home().await?.product_count;
            let page_count = (count as usize).div_ceil(PAGE_SIZE).max(1) as u32;
            if page > page_count {
                return Err(AppError::NotFound);
            }
            let start = (page - 1) * PAGE_SIZE as u32;
            let ordinals: Vec<u32> = (start..count.min(start + PAGE_SIZE as u32)).collect();
            let cards = catalog.cards(&ordinals).await?;
            ok(&json!({ "total": count, "page": page, "page_count": page_count, "products": cards }))
        }
        (Method::Get, ["products", handle]) => {
            let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
            let product = catalog.product(&handle).await?.ok_or(AppError::NotFound)?;
            let available = crate::routes::pages::live_availability(env, catalog, &product).await;
            ok(&json!({ "product": product, "available": available }))
        }
        (Method::Get, ["collections", handle]) => {
            let handle = Handle::parse(handle).map_err(|_| AppError::NotFound)?;
            let (site, category) =
                futures_util::future::join(catalog.site(), catalog.collection(&handle)).await;
            let (site, category) = (site?, category?.ok_or(AppError::NotFound)?);
            let pairs = Fields::pairs(http::query_string(&req).as_bytes());
            let params = ListingParams::parse(&pairs, site.store.currency).map_err(AppError::BadRequest)?;
            let listing = catalog.listing(&handle).await?.ok_or(AppError::NotFound)?;
            let result = listing.query(&params.to_query(&listing));
            if params.page > result.page_count {
                return Err(AppError::NotFound);
            }
            let cards = catalog.cards(&result.cards).await?;
            let facets: Vec<Value> = listing
                .facets
                .iter()
                .zip(&result.facet_counts)
                .map(|(f, counts)| {
                    let values: Vec<Value> = f
                        .values
                        .iter()
                        .zip(counts)
                        .map(|(v, n)| json!({ "value": v.value, "count": n }))
                        .collect();
                    json!({ "name": f.name, "key": shared::listing::facet_key(&f.name), "values": values })
                })
                .collect();
            ok(&json!({
                "collection": { "handle": category.handle, "title": category.title, "description": category.description,
                                "children": category.children, "ancestors": category.ancestors },
                "total": result.total, "page": params.page, "page_count": result.page_count,
                "facets": facets, "products": cards,
            }))
        }
        (Method::Get, ["search"]) => {
            let fields = Fields::parse(http::query_string(&req).as_bytes())?;
            let query = fields.get("q").unwrap_or("").to_string();
            let page = page_param(&req)?;
            let terms = query_terms(&query);
            let ranked: Vec<u32> = if terms.is_empty() {
                Vec::new()
            } else {
                let shards = catalog.search_shards(&shards_for(&terms)).await?;
                search(&terms, |name| shards.get(name).map(Arc::as_ref)).into_iter().map(|(c, _)| c).collect()
            };
            let page_count = ranked.len().div_ceil(PAGE_SIZE).max(1) as u32;
            let ordinals: Vec<u32> =
                ranked.iter().skip((page as usize - 1) * PAGE_SIZE).take(PAGE_SIZE).copied().collect();
            let cards = catalog.cards(&ordinals).await?;
            ok(
                &json!({ "query": query, "total": ranked.len(), "page": page, "page_count": page_count, "products": cards }),
            )
        }

        // Carts.
        (Method::Post, ["carts"]) => {
            let signer = Signer::from_env(env)?;
            let id = CartId::from_random_bytes(random::random_16().map_err(AppError::Internal)?);
            let cart = cart_json(env, catalog, &id, CartState::default()).await?;
            created(&json!({ "id": id.as_str(), "token": signer.cart_token(&id), "cart": cart }))
        }
        (Method::Get, ["carts", id]) => {
            let cart = authorized_cart(&req, env, id)?;
            let state = CartClient::for_cart(env, catalog.caller(env), &cart)?.get().await?;
            ok(&cart_json(env, catalog, &cart, state).await?)
        }
        (Method::Post, ["carts", id, "lines"]) => {
            let cart = authorized_cart(&req, env, id)?;
            let body: NewLine = http::read_json(&mut req).await?;
            let sku = Sku::parse(&body.sku).map_err(|e| AppError::BadRequest(e.to_string()))?;
            let quantity = Quantity::new(body.quantity).map_err(|e| AppError::BadRequest(e.to_string()))?;
            let handle = catalog
                .products_of_skus(std::slice::from_ref(&sku))
                .await?
                .remove(sku.as_str())
                .ok_or_else(|| AppError::Unprocessable(format!("No product has the SKU {sku}.")))?;
            let price = catalog.product(&handle).await?.and_then(|p| p.variant(&sku).map(|v| v.price));
            let line = CartLine { product: handle, sku, quantity, added_at_price: price };
            let state = CartClient::for_cart(env, catalog.caller(env), &cart)?
                .run(&CartCommand::Add { line })
                .await?;
            ok(&cart_json(env, catalog, &cart, state).await?)
        }
        (Method::Patch, ["carts", id, "lines", sku]) | (Method::Delete, ["carts", id, "lines", sku]) => {
            let cart = authorized_cart(&req, env, id)?;
            let sku = Sku::parse(sku).map_err(|_| AppError::NotFound)?;
            let quantity = if req.method() == Method::Delete {
                0
            } else {
                let body: QuantityChange = http::read_json(&mut req).await?;
                if body.quantity > Quantity::MAX {
                    return Err(AppError::BadRequest(format!(
                        "`quantity` must be from 0 to {}.",
                        Quantity::MAX
                    )));
                }
                body.quantity
            };
            let state = CartClient::for_cart(env, catalog.caller(env), &cart)?
                .run(&CartCommand::SetQuantity { sku, quantity })
                .await?;
            ok(&cart_json(env, catalog, &cart, state).await?)
        }
        (Method::Put, ["carts", id, "discount"]) => {
            let cart = authorized_cart(&req, env, id)?;
            let body: CodeBody = http::read_json(&mut req).await?;
            let code = body.code.trim().to_ascii_uppercase();
            if !catalog.settings().await?.discounts.iter().any(|d| d.code == code) {
                return Err(AppError::Unprocessable("That discount code does not exist.".into()));
            }
            let state = CartClient::for_cart(env, catalog.caller(env), &cart)?
                .run(&CartCommand::SetDiscount { code: Some(code) })
                .await?;
            ok(&cart_json(env, catalog, &cart, state).await?)
        }
        (Method::Delete, ["carts", id, "discount"]) => {
            let cart = authorized_cart(&req, env, id)?;
            let state = CartClient::for_cart(env, catalog.caller(env), &cart)?
                .run(&CartCommand::SetDiscount { code: None })
                .await?;
            ok(&cart_json(env, catalog, &cart, state).await?)
        }

        // Checkouts (one per cart; the id is the cart's).
        (Method::Post, ["checkouts"]) => {
            let body: CheckoutBody = http::read_json(&mut req).await?;
            let cart = authorized_cart(&req, env, &body.cart_id)?;
            let review = checkout::review(env, catalog, &cart).await?;
            if review.cart.lines.is_empty() {
                return Err(AppError::Unprocessable("The cart is empty.".into()));
            }
            created(&review_json(&cart, &review))
        }
        (Method::Get, ["checkouts", id]) => {
            let cart = authorized_cart(&req, env, id)?;
            let mut review = checkout::review(env, catalog, &cart).await?;
            // A checkout ready to pay holds its stock while the buyer pays.
            let held = checkout::hold_stock(env, catalog, &cart, &mut review).await?;
            let mut body = review_json(&cart, &review);
            body["stock_held"] = json!(held);
            ok(&body)
        }
        (Method::Put, ["checkouts", id, "contact"]) => {
            let cart = authorized_cart(&req, env, id)?;
            let body: ContactBody = http::read_json(&mut req).await?;
            let email = Email::parse(&body.email).map_err(|e| AppError::InvalidFields(vec![e]))?;
            let state = CartClient::for_cart(env, catalog.caller(env), &cart)?
                .run(&CartCommand::SetContact { email: email.to_string() })
                .await?;
            ok(&cart_json(env, catalog, &cart, state).await?)
        }
        (Method::Put, ["checkouts", id, "address"]) => {
            let cart = authorized_cart(&req, env, id)?;
            let input: AddressInput = http::read_json(&mut req).await?;
            let settings = catalog.settings().await?;
            let address = input.validate(&shippable_countries(&settings)).map_err(AppError::InvalidFields)?;
            let state = CartClient::for_cart(env, catalog.caller(env), &cart)?
                .run(&CartCommand::SetAddress { address })
                .await?;
            ok(&cart_json(env, catalog, &cart, state).await?)
        }
        (Method::Put, ["checkouts", id, "shipping"]) => {
            let cart = authorized_cart(&req, env, id)?;
            let body: RateBody = http::read_json(&mut req).await?;
            let review = checkout::review(env, catalog, &cart).await?;
            if !review.rates.iter().any(|r| r.id == body.rate) {
                let offered: Vec<&str> = review.rates.iter().map(|r| r.id.as_str()).collect();
                return Err(AppError::Unprocessable(if offered.is_empty() {
                    "Set a shipping address first.".to_string()
                } else {
                    format!("Choose one of the rates offered: {}.", offered.join(", "))
                }));
            }
            let state = CartClient::for_cart(env, catalog.caller(env), &cart)?
                .run(&CartCommand::SetShipping { rate: body.rate })
                .await?;
            ok(&cart_json(env, catalog, &cart, state).await?)
        }
        (Method::Post, ["checkouts", id, "complete"]) => {
            let cart = authorized_cart(&req, env, id)?;
            let key = req.headers().get("idempotency-key")?.ok_or_else(|| {
                AppError::BadRequest("Completing a checkout needs an `Idempotency-Key` header.".into())
            })?;
            let body: CompleteBody = http::read_json(&mut req).await?;
            let request = CompleteRequest {
                idempotency_key: key,
                card: body.card,
                expected_total: body.expected_total,
                origin,
            };
            match checkout::complete(env, catalog, &cart, &request).await? {
                Ok(Outcome::Placed { number, token, total, currency }) => {
                    let order = Orders::new(env, catalog.caller(env))?.get(&number).await?;
                    let url = format!("{}/orders/{number}?token={token}", http::origin(&req));
                    created(
                        &json!({ "status": "placed", "number": number, "total": total, "currency": currency,
                                     "confirmation_url": url, "order": order }),
                    )
                }
                Ok(outcome @ Outcome::Declined { .. }) => {
                    Err(AppError::PaymentRequired(outcome_message(&outcome)))
                }
                Ok(Outcome::SoldOut { available }) => {
                    let message = outcome_message(&Outcome::SoldOut { available: available.clone() });
                    let body = json!({ "error": "sold_out", "message": message, "available": available });
                    http::json(&body, 409, CachePolicy::NoStore)
                }
                Err(reason) => Err(not_run_error(reason)),
            }
        }

        // Orders.
        (Method::Post, ["orders", "lookup"]) => {
            let body: LookupBody = http::read_json(&mut req).await?;
            let number = body.number.trim().to_ascii_uppercase();
            let email = Email::parse(&body.email).map_err(|e| AppError::InvalidFields(vec![e]))?;
            let order = if number.len() <= 20 {
                Orders::new(env, catalog.caller(env))?.get(&number).await?
            } else {
                None
            };
            match order.filter(|o| o.email.to_lowercase() == email.normalized()) {
                Some(order) => ok(&json!({ "order": order })),
                None => Err(AppError::NotFound),
            }
        }

        // Merchant API.
        (Method::Put, ["admin", "stock", sku]) => {
            authorize_admin(&req, env)?;
            let sku = Sku::parse(sku).map_err(|e| AppError::BadRequest(e.to_string()))?;
            let body: StockBody = http::read_json(&mut req).await?;
            Inventory::new(env, catalog.caller(env))?.set_stock(&sku, body.on_hand).await?;
            ok(&json!({ "sku": sku, "on_hand": body.on_hand }))
        }
        (Method::Get, ["admin", "orders"]) => {
            authorize_admin(&req, env)?;
            let fields = Fields::parse(http::query_string(&req).as_bytes())?;
            let limit = fields.get("limit").and_then(|l| l.parse::<u32>().ok()).unwrap_or(50).clamp(1, 500);
            ok(&json!({ "orders": Orders::new(env, catalog.caller(env))?.list(limit).await? }))
        }
        (Method::Post, ["admin", "orders", number, "fulfil"]) => {
            authorize_admin(&req, env)?;
            let order = Orders::new(env, catalog.caller(env))?
                .fulfil(number, now_ms() as u64)
                .await?
                .ok_or(AppError::NotFound)?;
            ok(&json!({ "order": order }))
        }
        (Method::Get, ["admin", "outbox"]) => {
            authorize_admin(&req, env)?;
            ok(&json!({ "emails": Orders::new(env, catalog.caller(env))?.outbox(100).await? }))
        }

        // Test-only routes (ENABLE_TEST_ROUTES=1): run what alarms and queues run.
        (Method::Post, ["test", "inventory", "sweep"]) if test_routes_enabled(env) => {
            let dropped = Inventory::new(env, catalog.caller(env))?.sweep_all(now_ms() as u64).await?;
            ok(&json!({ "dropped": dropped }))
        }
        (Method::Post, ["test", "queue", "process"]) if test_routes_enabled(env) => {
            let body: ProcessBody = http::read_json(&mut req).await?;
            let event =
                crate::order_queue::OrderPlaced { order_number: body.order_number, origin: body.origin };
            let new = crate::order_queue::process(env, &event).await?;
            ok(&json!({ "new": new }))
        }
        (Method::Post, ["test", "panic"]) if test_routes_enabled(env) => panic_on_purpose(),
        (Method::Post, ["test", "kv-outage"]) if test_routes_enabled(env) => {
            let body: OutageBody = http::read_json(&mut req).await?;
            crate::catalog_store::simulate_kv_outage(body.seconds.clamp(0.0, 300.0));
            ok(&json!({ "kv_outage_seconds": body.seconds.clamp(0.0, 300.0) }))
        }
        (Method::Post, ["test", "stall"]) if test_routes_enabled(env) => {
            let body: StallBody = http::read_json(&mut req).await?;
            let cart = CartId::parse(&body.cart_id).map_err(|e| AppError::BadRequest(e.to_string()))?;
            // The stalled object holds its own answer too: send the command and move on.
            let stub = env.durable_object(bindings::CART)?.id_from_name(cart.as_str())?.get_stub()?;
            let command = serde_json::to_string(&CartCommand::Stall { ms: body.ms })
                .map_err(|e| AppError::internal("encoding a command", e))?;
            let mut init = RequestInit::new();
            init.with_method(Method::Post).with_body(Some(JsValue::from_str(&command)));
            let stall = Request::new_with_init("https://object.internal/", &init)?;
            ctx.wait_until(async move {
                let _ = stub.fetch_with_request(stall).await;
            });
            ok(&json!({ "stalled_ms": body.ms.min(20_000) }))
        }

        (
            _,
            ["openapi.json"]
            | ["products", ..]
            | ["collections", ..]
            | ["search"]
            | ["carts", ..]
            | ["checkouts", ..]
            | ["orders", ..]
            | ["admin", ..],
        ) => Err(AppError::MethodNotAllowed("the methods listed in /api/v1/openapi.json")),
        _ => Err(AppError::NotFound),
    }
}

fn not_run_error(reason: NotRun) -> AppError {
    let (status, message) = not_run(reason);
    match status {
        400 => AppError::BadRequest(message),
        422 => AppError::Unprocessable(message),
        503 => AppError::Unavailable(message),
        _ => AppError::Conflict(message),
    }
}

//! The cart pages: the cart itself, and its forms — add (from product pages), change a
//! quantity, remove, empty, discount codes — plus shareable cart links
//! (`/cart/MCS-M-OAT:2,BRP-1:1`, which show what they would add and ask to confirm: a
//! link must not change a cart by itself). Every form is a plain POST carrying the
//! session's CSRF token, answered with `303` to `/cart` (or JSON for scripts); a refused
//! change re-renders the cart with the reason.
//!
//! The cart id is the session: it lives in a signed cookie (`{id}.{HMAC}`; `__Host-cart`
//! with `Secure` over https, else `cart`), HttpOnly and SameSite=Lax. A forged or
//! tampered cookie is ignored (a new session starts).

use crate::cart_object::{CartClient, CartCommand};
use crate::catalog_store::CatalogReader;
use crate::checkout::{self, Review};
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy};
use crate::inventory_object::{Inventory, StockItem};
use crate::random;
use crate::security::{self, Session};
use crate::signing::Signer;
use crate::timing::now_ms;
use app::{render_document, CartLinkItem, CartLinkPage, CartPage, CartView};
use futures_util::future::join_all;
use leptos::prelude::*;
use shared::{format_money, CartId, CartLine, Handle, Money, Product, Quantity, Sku};
use std::sync::Arc;
use worker::{Env, Request, Response};

/// Thirty days.
const CART_COOKIE_MAX_AGE: u32 = 60 * 60 * 24 * 30;
/// Most lines one shareable link may add.
const MAX_LINK_LINES: usize = 20;

fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-cart"
    } else {
        "cart"
    }
}

/// The cart id of a request's cookie, if present and correctly signed.
pub fn cart_id(req: &Request, signer: &Signer) -> Option<CartId> {
    http::cookie(req, cookie_name(http::is_https(req))).and_then(|v| signer.verify_cart_token(&v))
}

/// The session's cart: the cookie's, or a new one (whose cookie the response sets).
pub fn cart_for_write(req: &Request, signer: &Signer) -> AppResult<(CartId, bool)> {
    match cart_id(req, signer) {
        Some(id) => Ok((id, false)),
        None => Ok((CartId::from_random_bytes(random::random_16().map_err(AppError::Internal)?), true)),
    }
}

/// The `Set-Cookie` value carrying a session.
pub fn cookie_value(req: &Request, signer: &Signer, id: &CartId) -> String {
    let https = http::is_https(req);
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{}={}; Path=/; Max-Age={CART_COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax{secure}",
        cookie_name(https),
        signer.cart_token(id)
    )
}

/// Reads each distinct product in the cart once, in parallel.
pub async fn load_products(catalog: &CatalogReader<'_>, lines: &[CartLine]) -> AppResult<Vec<Arc<Product>>> {
    let mut handles: Vec<&Handle> = lines.iter().map(|l| &l.product).collect();
    handles.sort();
    handles.dedup();
    let found = join_all(handles.into_iter().map(|h| catalog.product(h))).await;
    let mut products = Vec::with_capacity(found.len());
    for product in found {
        if let Some(p) = product? {
            products.push(p);
        }
    }
    Ok(products)
}

fn cart_view(review: Review, notice: Option<String>) -> CartView {
    let goods = Money::new(
        review.totals.subtotal.minor() - review.totals.discount.minor(),
        review.totals.subtotal.currency(),
    );
    CartView {
        discount_code: review.state.discount_code.clone(),
        discount: review.totals.discount,
        discount_problem: review.discount_problem.clone(),
        goods_total: goods,
        notice,
        cart: review.cart,
    }
}

/// The cart page; `notice` explains a refused change (shown with `status`).
pub async fn show(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    notice: Option<String>,
    status: u16,
) -> AppResult<Response> {
    let review = if session.is_new {
        checkout::review_state(env, catalog, Default::default()).await?
    } else {
        checkout::review(env, catalog, &session.id).await?
    };
    let site = (*catalog.site().await?).clone();
    let view = cart_view(review, notice);
    let started = now_ms();
    let context = security::render_context(catalog.version(), &http::origin(req));
    let page = render_document(context, move || view! { <CartPage site view/> });
    catalog.timing().render_ms.set(now_ms() - started);
    http::html(page, status, CachePolicy::NoStore)
}

/// Units of a variant available right now.
async fn available(env: &Env, catalog: &CatalogReader<'_>, sku: &Sku, catalog_stock: u32) -> AppResult<u32> {
    let item = StockItem { sku: sku.clone(), quantity: 0, catalog_stock };
    let map = Inventory::new(env, catalog.caller(env))?.availability(&[item], now_ms() as u64, "").await?;
    Ok(map.get(sku.as_str()).copied().unwrap_or(0))
}

pub async fn add(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let handle = Handle::parse(form.require("product")?)
        .map_err(|e| AppError::BadRequest(format!("Product: {e}.")))?;
    let sku =
        Sku::parse(form.require("variant")?).map_err(|e| AppError::BadRequest(format!("Variant: {e}.")))?;
    let quantity = match form.get("quantity") {
        None => Quantity::ONE,
        Some(text) => Quantity::parse(text).map_err(|e| AppError::BadRequest(format!("Quantity: {e}.")))?,
    };
    let product = catalog.product(&handle).await?.ok_or_else(|| {
        AppError::Unprocessable("That product is no longer in the shop, so it could not be added.".into())
    })?;
    let variant = product.variant(&sku).ok_or_else(|| {
        AppError::Unprocessable(format!("{} has no variant {sku}, so it could not be added.", product.title))
    })?;
    let free = available(env, catalog, &sku, variant.stock).await?;
    if free == 0 {
        return Err(AppError::Unprocessable(format!(
            "{} is sold out in that option, so it could not be added.",
            product.title
        )));
    }
    if quantity.get() > free {
        return Err(AppError::Unprocessable(format!(
            "Only {free} of {} are left in that option.",
            product.title
        )));
    }
    let line = CartLine { product: handle, sku: sku.clone(), quantity, added_at_price: Some(variant.price) };
    let state =
        CartClient::for_cart(env, catalog.caller(env), &session.id)?.run(&CartCommand::Add { line }).await?;
    if !http::wants_json(&req) {
        return http::see_other("/cart");
    }
    // Scripts (the buy-box island) get the new cart summary instead of a redirect.
    let review = checkout::review_state(env, catalog, state).await?;
    let line = review
        .cart
        .lines
        .iter()
        .find(|l| l.sku == sku)
        .map(|l| match &l.variant_title {
            Some(v) => format!("{} ({v}) × {}", l.title, l.quantity),
            None => format!("{} × {}", l.title, l.quantity),
        })
        .unwrap_or_default();
    let summary = app::islands::AddedToCart {
        item_count: review.cart.item_count,
        subtotal: format_money(review.cart.subtotal),
        line,
    };
    http::json(&summary, 200, CachePolicy::NoStore)
}

/// A change to the session's cart: refused changes re-render the cart with the reason.
async fn change(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    command: CartCommand,
) -> AppResult<Response> {
    match CartClient::for_cart(env, catalog.caller(env), &session.id)?.run(&command).await {
        Ok(_) => http::see_other("/cart"),
        Err(AppError::Unprocessable(message)) => show(req, env, catalog, session, Some(message), 422).await,
        Err(e) => Err(e),
    }
}

pub async fn update(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let sku = Sku::parse(form.require("sku")?).map_err(|e| AppError::BadRequest(format!("Item: {e}.")))?;
    let text = form.require("quantity")?.trim();
    // Digits only: no signs, spaces, exponents or fractions.
    let digits = !text.is_empty() && text.len() <= 6 && text.bytes().all(|b| b.is_ascii_digit());
    let quantity: u32 = match text.parse::<u32>() {
        Ok(n) if digits && n <= Quantity::MAX => n,
        _ => {
            return Err(AppError::BadRequest(format!(
                "Quantity: `{}` is not a whole number from 0 to {}.",
                text.chars().take(20).collect::<String>(),
                Quantity::MAX
            )))
        }
    };
    change(&req, env, catalog, session, CartCommand::SetQuantity { sku, quantity }).await
}

pub async fn remove(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let sku = Sku::parse(form.require("sku")?).map_err(|e| AppError::BadRequest(format!("Item: {e}.")))?;
    change(&req, env, catalog, session, CartCommand::SetQuantity { sku, quantity: 0 }).await
}

pub async fn clear(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    security::read_form(&mut req, session).await?;
    change(&req, env, catalog, session, CartCommand::Clear).await
}

pub async fn discount(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let code = form.get("code").unwrap_or("").trim().to_ascii_uppercase();
    if code.is_empty() {
        return change(&req, env, catalog, session, CartCommand::SetDiscount { code: None }).await;
    }
    let known = code.len() <= 32 && catalog.settings().await?.discounts.iter().any(|d| d.code == code);
    if !known {
        return show(&req, env, catalog, session, Some("That discount code does not exist.".into()), 422)
            .await;
    }
    change(&req, env, catalog, session, CartCommand::SetDiscount { code: Some(code) }).await
}

/// The items of a cart link: `SKU:QTY,SKU:QTY` (a missing quantity is 1).
fn parse_link(spec: &str) -> AppResult<Vec<(Sku, Quantity)>> {
    let mut wanted = Vec::new();
    for part in spec.split(',').filter(|p| !p.is_empty()) {
        let (sku, qty) = part.split_once(':').unwrap_or((part, "1"));
        let sku = Sku::parse(sku).map_err(|e| AppError::BadRequest(format!("Cart link: {e}.")))?;
        let qty = Quantity::parse(qty).map_err(|e| AppError::BadRequest(format!("Cart link: {e}.")))?;
        wanted.push((sku, qty));
    }
    if wanted.is_empty() || wanted.len() > MAX_LINK_LINES {
        return Err(AppError::BadRequest(format!(
            "A cart link lists 1 to {MAX_LINK_LINES} items, like /cart/MCS-M-OAT:2,BRP-1:1."
        )));
    }
    Ok(wanted)
}

/// `GET /cart/SKU:QTY,…`: shows what the link would add, with a button to add it.
pub async fn permalink(req: &Request, catalog: &CatalogReader<'_>, spec: &str) -> AppResult<Response> {
    let wanted = parse_link(spec)?;
    let skus: Vec<Sku> = wanted.iter().map(|(s, _)| s.clone()).collect();
    let handles = catalog.products_of_skus(&skus).await?;
    let mut items = Vec::new();
    let mut unknown = Vec::new();
    for (sku, quantity) in &wanted {
        let product = match handles.get(sku.as_str()) {
            Some(handle) => catalog.product(handle).await?,
            None => None,
        };
        match product.as_ref().and_then(|p| p.variant(sku).map(|v| (p, v))) {
            Some((p, v)) => items.push(CartLinkItem {
                title: p.title.clone(),
                variant_title: p.variant_title(v),
                quantity: quantity.get(),
                price: format_money(v.price),
            }),
            None => unknown.push(sku.to_string()),
        }
    }
    let site = (*catalog.site().await?).clone();
    let spec = spec.to_string();
    let context = security::render_context(catalog.version(), &http::origin(req));
    let page = render_document(context, move || view! { <CartLinkPage site items unknown spec/> });
    http::html(page, 200, CachePolicy::NoStore)
}

/// `POST /cart/link`: adds a link's items to the session's cart.
pub async fn link(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let wanted = parse_link(form.require("items")?)?;
    let skus: Vec<Sku> = wanted.iter().map(|(s, _)| s.clone()).collect();
    let handles = catalog.products_of_skus(&skus).await?;
    let cart = CartClient::for_cart(env, catalog.caller(env), &session.id)?;
    let mut skipped = Vec::new();
    for (sku, quantity) in wanted {
        let Some(handle) = handles.get(sku.as_str()) else {
            skipped.push(sku.to_string());
            continue;
        };
        let price = catalog.product(handle).await?.and_then(|p| p.variant(&sku).map(|v| v.price));
        let line = CartLine { product: handle.clone(), sku: sku.clone(), quantity, added_at_price: price };
        if cart.run(&CartCommand::Add { line }).await.is_err() {
            skipped.push(sku.to_string());
        }
    }
    if skipped.is_empty() {
        return http::see_other("/cart");
    }
    let notice =
        format!("These items could not be added: {}. The others are in your cart.", skipped.join(", "));
    show(&req, env, catalog, session, Some(notice), 200).await
}

//! The cart pages: showing the cart, and the add-to-cart form's POST.
//!
//! The cart id lives in an HttpOnly, SameSite=Lax cookie. Totals are computed here
//! from the current catalog; the form only says which variant and how many.

use crate::cart_object::CartClient;
use crate::catalog_store::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy};
use crate::random;
use crate::timing::{now_ms, Timing};
use app::{render_document, CartPage, RenderContext};
use futures_util::future::join_all;
use leptos::prelude::*;
use shared::{price_cart, CartId, CartLine, Handle, Product, Quantity, Sku};
use std::sync::Arc;
use worker::{Env, Request, Response};

const CART_COOKIE: &str = "cart";
/// Thirty days.
const CART_COOKIE_MAX_AGE: u32 = 60 * 60 * 24 * 30;

fn cart_id_from_cookie(req: &Request) -> Option<CartId> {
    http::cookie(req, CART_COOKIE).and_then(|v| CartId::parse(&v).ok())
}

pub async fn show(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    timing: &Timing,
) -> AppResult<Response> {
    let lines = match cart_id_from_cookie(req) {
        Some(id) => CartClient::for_cart(env, &id)?.lines().await?,
        None => Vec::new(),
    };
    let (site, products) = futures_util::future::join(catalog.site(), load_products(catalog, &lines)).await;
    let (site, products) = (site?, products?);
    let cart = price_cart(&lines, site.store.currency, |handle| {
        products.iter().find(|p| &p.handle == handle).map(|p| p.as_ref())
    })
    .map_err(|e| AppError::internal("pricing cart", e))?;
    let site = (*site).clone();
    let started = now_ms();
    let context = RenderContext {
        catalog_version: catalog.version().to_string(),
        origin: http::origin(req),
    };
    let page = render_document(context, move || view! { <CartPage site cart/> });
    timing.render_ms.set(now_ms() - started);
    http::html(page, 200, CachePolicy::NoStore)
}

/// Reads each distinct product in the cart once, in parallel.
async fn load_products(catalog: &CatalogReader<'_>, lines: &[CartLine]) -> AppResult<Vec<Arc<Product>>> {
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

pub async fn add(mut req: Request, env: &Env, catalog: &CatalogReader<'_>) -> AppResult<Response> {
    let form = http::read_form(&mut req).await?;
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
        AppError::Unprocessable(format!(
            "{} has no variant {sku}, so it could not be added.",
            product.title
        ))
    })?;
    if variant.stock == 0 {
        return Err(AppError::Unprocessable(format!(
            "{} is sold out in that option, so it could not be added.",
            product.title
        )));
    }

    let (cart_id, is_new) = match cart_id_from_cookie(&req) {
        Some(id) => (id, false),
        None => (
            CartId::from_random_bytes(random::random_16().map_err(AppError::Internal)?),
            true,
        ),
    };
    let line = CartLine {
        product: handle,
        sku: sku.clone(),
        quantity,
    };
    let lines = CartClient::for_cart(env, &cart_id)?.add(&line).await?;

    let resp = if http::wants_json(&req) {
        // Scripts (the buy-box island) get the new cart summary instead of a redirect.
        let (site, products) =
            futures_util::future::join(catalog.site(), load_products(catalog, &lines)).await;
        let (site, products) = (site?, products?);
        let find = |h: &Handle| products.iter().find(|p| &p.handle == h).map(|p| p.as_ref());
        let cart = price_cart(&lines, site.store.currency, find)
            .map_err(|e| AppError::internal("pricing cart", e))?;
        let line = cart
            .lines
            .iter()
            .find(|l| l.sku == sku)
            .map(|l| match &l.variant_title {
                Some(v) => format!("{} ({v}) × {}", l.title, l.quantity),
                None => format!("{} × {}", l.title, l.quantity),
            })
            .unwrap_or_default();
        let summary = app::islands::AddedToCart {
            item_count: cart.item_count,
            subtotal: shared::format_money(cart.subtotal),
            line,
        };
        http::json(&summary, 200, CachePolicy::NoStore)?
    } else {
        http::see_other("/cart")?
    };
    if is_new {
        let secure = if http::is_https(&req) { "; Secure" } else { "" };
        let cookie = format!(
            "{CART_COOKIE}={cart_id}; Path=/; Max-Age={CART_COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax{secure}"
        );
        resp.headers().append("set-cookie", &cookie)?;
    }
    Ok(resp)
}

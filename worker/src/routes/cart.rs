//! The cart pages: the cart itself, and its forms — add (from product pages), change a
//! quantity, remove, empty, discount codes — plus shareable cart links
//! (`/cart/MCS-M-OAT:2,BRP-1:1`, which show what they would add and ask to confirm: a
//! link must not change a cart by itself). Every form is a plain POST carrying the
//! session's CSRF token, answered with `303` to `/cart` (or JSON for scripts); a refused
//! change re-renders the cart with the reason.

use crate::cart::protocol::Snapshot;
use crate::cart::{parse_link, Carts, Changed};
use crate::catalog::CatalogReader;
use crate::checkout;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::security;
use crate::session::Session;
use crate::timing::now_ms;
use app::{render_document, CartLinkItem, CartLinkPage, CartPage, CartView};
use leptos::prelude::*;
use shared::cart::CartAction;
use shared::review::Review;
use shared::strings::Text;
use shared::{Handle, Quantity, Sku};
use worker::{Env, Request, Response};

fn cart_view(review: Review, notice: Option<Text>) -> CartView {
    let goods = review.totals.goods();
    CartView {
        discount_code: review.state.discount_code.clone(),
        discount: review.totals.discount,
        discount_problem: review.discount_problem.clone(),
        goods_total: goods,
        notice,
        cart: review.cart,
    }
}

/// Renders the cart as `snapshot` shows it; `notice` explains a refused change.
async fn render(
    req: &Request,
    catalog: &CatalogReader<'_>,
    snapshot: Snapshot,
    notice: Option<Text>,
    status: u16,
) -> AppResult<Response> {
    let review = checkout::review(catalog, snapshot).await?;
    let site = (*catalog.site().await?).clone();
    let view = cart_view(review, notice);
    let started = now_ms();
    let context = security::request_context(catalog, req).await;
    let page = render_document(context, move || view! { <CartPage site view/> });
    catalog.timing().render_ms.set(now_ms() - started);
    http::html(page, status, CachePolicy::NoStore)
}

/// `GET /cart` (a new session has an empty cart, and no object is asked).
pub async fn show(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
) -> AppResult<Response> {
    let snapshot = if session.is_new {
        Snapshot::default()
    } else {
        Carts::new(env, catalog).view(&session.id, true).await?
    };
    render(req, catalog, snapshot, None, 200).await
}

/// A change made: back to the cart, or the cart again with the reason it was refused.
async fn after_change(req: &Request, catalog: &CatalogReader<'_>, changed: Changed) -> AppResult<Response> {
    match changed.refused {
        None => http::see_other("/cart"),
        Some(AppError::Unprocessable(message) | AppError::Absent(message)) => {
            render(req, catalog, changed.snapshot, Some(message), 422).await
        }
        Some(e) => Err(e),
    }
}

/// The cart's forms (`POST /cart/{action}`).
pub async fn form(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    action: CartAction,
) -> AppResult<Response> {
    let form = security::read_form(&mut req, session).await?;
    let carts = Carts::new(env, catalog);
    let id = &session.id;
    let changed = match action {
        CartAction::Add => return add(&req, catalog, &carts, session, &form).await,
        CartAction::Link => return link(&req, catalog, &carts, session, &form).await,
        CartAction::Update => carts.set_quantity(id, sku_field(&form)?, quantity_field(&form)?).await?,
        CartAction::Remove => {
            // Removing a line that is already gone (a second tab, a double submit) is done.
            let changed = carts.set_quantity(id, sku_field(&form)?, 0).await?;
            let refused = changed.refused.filter(|e| !matches!(e, AppError::Absent(_)));
            Changed { refused, ..changed }
        }
        CartAction::Clear => carts.clear(id).await?,
        CartAction::Discount => {
            let code = form.get("code").unwrap_or("").trim();
            match carts.set_discount(id, (!code.is_empty()).then_some(code)).await {
                Err(AppError::Unprocessable(message)) => {
                    let snapshot = carts.view(id, false).await?;
                    return render(&req, catalog, snapshot, Some(message), 422).await;
                }
                other => other?,
            }
        }
    };
    after_change(&req, catalog, changed).await
}

fn sku_field(form: &Fields) -> AppResult<Sku> {
    Sku::parse(form.require("sku")?).map_err(|e| AppError::BadRequest(format!("Item: {e}.").into()))
}

/// A line's new quantity (0 removes it).
fn quantity_field(form: &Fields) -> AppResult<u32> {
    Quantity::parse_change(form.require("quantity")?)
        .map_err(|e| AppError::BadRequest(format!("Quantity: {e}.").into()))
}

/// `POST /cart/add` from a product page: a product, one of its variants, a quantity.
async fn add(
    req: &Request,
    catalog: &CatalogReader<'_>,
    carts: &Carts<'_, '_>,
    session: &Session,
    form: &Fields,
) -> AppResult<Response> {
    let handle = Handle::parse(form.require("product")?)
        .map_err(|e| AppError::BadRequest(format!("Product: {e}.").into()))?;
    let sku = Sku::parse(form.require("variant")?)
        .map_err(|e| AppError::BadRequest(format!("Variant: {e}.").into()))?;
    let quantity = match form.get("quantity") {
        None => Quantity::ONE,
        Some(text) => {
            Quantity::parse(text).map_err(|e| AppError::BadRequest(format!("Quantity: {e}.").into()))?
        }
    };
    let snapshot = carts.add_variant(&session.id, &handle, sku.clone(), quantity).await?;
    if !http::wants_json(req) {
        return http::see_other("/cart");
    }
    // Scripts (the buy-box island) get the new cart summary instead of a redirect.
    let review = checkout::review(catalog, snapshot).await?;
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
    let summary = shared::api::AddedToCart {
        item_count: review.cart.item_count,
        subtotal: shared::locale::format_money_in(review.cart.subtotal, &catalog.language().await),
        line,
    };
    http::json(&summary, 200, CachePolicy::NoStore)
}

/// `GET /cart/SKU:QTY,…`: shows what the link would add, with a button to add it.
pub async fn permalink(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    spec: &str,
) -> AppResult<Response> {
    let link = Carts::new(env, catalog).resolve_link(&parse_link(spec)?).await?;
    let language = catalog.language().await;
    let items: Vec<CartLinkItem> = link
        .found
        .iter()
        .map(|item| CartLinkItem {
            title: item.product.title.clone(),
            variant_title: item.product.variant_title(&item.variant),
            quantity: item.quantity.get(),
            price: shared::locale::format_money_in(item.variant.price, &language),
        })
        .collect();
    let unknown = link.unknown;
    let site = (*catalog.site().await?).clone();
    let spec = spec.to_string();
    let context = security::request_context(catalog, req).await;
    let page = render_document(context, move || view! { <CartLinkPage site items unknown spec/> });
    http::html(page, 200, CachePolicy::NoStore)
}

/// `POST /cart/link`: adds a link's items to the session's cart.
async fn link(
    req: &Request,
    catalog: &CatalogReader<'_>,
    carts: &Carts<'_, '_>,
    session: &Session,
    form: &Fields,
) -> AppResult<Response> {
    let wanted = parse_link(form.require("items")?)?;
    let (snapshot, skipped) = carts.add_link(&session.id, &wanted).await?;
    if skipped.is_empty() {
        return http::see_other("/cart");
    }
    let notice = Text::new("These items could not be added: {items}. The others are in your cart.")
        .with("items", skipped.join(", "));
    render(req, catalog, snapshot, Some(notice), 200).await
}

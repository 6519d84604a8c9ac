//! The merchant area's pages and forms (`/admin`): sign-in (the admin token for a
//! session cookie, see `merchant`), the dashboard, the order desk, stock and the outbox. Each handler
//! parses the request, calls the orders, inventory or catalog service and renders; a
//! form answers `303` to the page it changed, or that page again with what went wrong.
//! Every page is `no-store`, carries its session's CSRF token and runs no script.

use crate::catalog::{self, CatalogReader, Hits};
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::inventory::Inventory;
use crate::limits::{self, Scope};
use crate::merchant::{self, AdminSession};
use crate::orders::{self, Index, Orders};
use crate::security;
use crate::timing::now_ms;
use app::{
    render_document, AdminNotice, AdminOrderPage, AdminSignInPage, DashboardPage, DeskFilter, OrderDeskPage,
    OutboxPage, RenderContext, StockPage, StockRow,
};
use futures_util::future::join_all;
use leptos::prelude::*;
use shared::metrics::Window;
use shared::orders::export::{orders_csv, MAX_EXPORT};
use shared::orders::{parse_note, parse_tracking, Order, OrderNote, OrderQuery, OrderStatus, MAX_LIST};
use shared::review::StockItem;
use shared::stock::StockLevel;
use shared::{Product, Sku, Variant};
use std::collections::BTreeMap;
use std::sync::Arc;
use worker::{Env, Method, Request, Response};

/// What a form does to an order.
#[derive(Clone, Copy)]
pub enum OrderAction {
    Fulfil,
    Refund,
    Note,
}

impl OrderAction {
    fn parse(name: &str) -> Option<OrderAction> {
        Some(match name {
            "fulfil" => OrderAction::Fulfil,
            "refund" => OrderAction::Refund,
            "notes" => OrderAction::Note,
            _ => return None,
        })
    }
}

/// Every page and form of the merchant area (after `/admin`).
pub enum AdminPage<'a> {
    Home,
    SignInForm,
    SignIn,
    SignOut,
    Orders,
    /// The desk's search as a CSV file.
    ExportOrders,
    Order(&'a str),
    OrderForm(&'a str, OrderAction),
    Stock,
    SetStock,
    Outbox,
    Dashboard,
}

/// The merchant area's route table: the page or form a method and path (after `admin`)
/// ask for.
pub fn route<'a>(method: &Method, segments: &'a [&'a str]) -> Option<AdminPage<'a>> {
    use Method::{Get, Head, Post};
    Some(match (method, segments) {
        (Get | Head, []) => AdminPage::Home,
        (Get | Head, ["sign-in"]) => AdminPage::SignInForm,
        (Post, ["sign-in"]) => AdminPage::SignIn,
        (Post, ["sign-out"]) => AdminPage::SignOut,
        (Get | Head, ["orders"]) => AdminPage::Orders,
        (Get | Head, ["orders.csv"]) => AdminPage::ExportOrders,
        (Get | Head, ["orders", number]) => AdminPage::Order(number),
        (Post, ["orders", number, action]) => AdminPage::OrderForm(number, OrderAction::parse(action)?),
        (Get | Head, ["stock"]) => AdminPage::Stock,
        (Post, ["stock"]) => AdminPage::SetStock,
        (Get | Head, ["outbox"]) => AdminPage::Outbox,
        (Get | Head, ["dashboard"]) => AdminPage::Dashboard,
        _ => return None,
    })
}

/// What merchant pages are rendered with: their session's (or the sign-in form's) CSRF
/// token itself, not a placeholder (they are never cached).
async fn context(req: &Request, catalog: &CatalogReader<'_>, csrf: &str) -> RenderContext {
    RenderContext { csrf: csrf.to_string(), ..security::request_context(catalog, req).await }
}

async fn store_name(catalog: &CatalogReader<'_>) -> String {
    catalog.site().await.map(|s| s.store.name.clone()).unwrap_or_else(|_| "Shop".into())
}

fn html_page(html: String, status: u16) -> AppResult<Response> {
    http::html(html, status, CachePolicy::NoStore)
}

pub async fn handle(
    req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    page: AdminPage<'_>,
) -> AppResult<Response> {
    match page {
        AdminPage::SignInForm => return sign_in_form(&req, env, catalog, None, 200).await,
        AdminPage::SignIn => return sign_in(req, env, catalog).await,
        _ => {}
    }
    let Some(session) = AdminSession::of(&req, env) else {
        if req.method() == Method::Post {
            return Err(AppError::Unauthorized(
                "Your merchant session ended, so nothing was changed. Sign in again at /admin/sign-in."
                    .into(),
            ));
        }
        return http::see_other("/admin/sign-in");
    };
    if req.method() == Method::Post {
        limits::check(env, &req, Scope::Admin).await?;
    }
    match page {
        AdminPage::Home => http::see_other("/admin/orders"),
        AdminPage::SignInForm | AdminPage::SignIn => Err(AppError::NotFound),
        AdminPage::SignOut => sign_out(req, &session).await,
        AdminPage::Orders => desk(&req, env, catalog, &session).await,
        AdminPage::ExportOrders => export_orders(&req, env, catalog).await,
        AdminPage::Order(number) => {
            let notice =
                Fields::parse(http::query_string(&req).as_bytes())?.get("done").and_then(done_notice);
            let order = find(env, catalog, number).await?;
            order_page(&req, catalog, &session, order, notice, 200).await
        }
        AdminPage::OrderForm(number, action) => order_form(req, env, catalog, &session, number, action).await,
        AdminPage::Stock => stock(&req, env, catalog, &session).await,
        AdminPage::SetStock => set_stock(req, env, catalog, &session).await,
        AdminPage::Dashboard => {
            let fields = Fields::parse(http::query_string(&req).as_bytes())?;
            let window =
                Window::from_query(fields.get("window")).map_err(|e| AppError::BadRequest(e.into()))?;
            let report = crate::metrics::report(env, catalog.timing(), window).await?;
            let store_name = store_name(catalog).await;
            let html = render_document(context(&req, catalog, &session.csrf).await, move || {
                view! { <DashboardPage store_name report/> }
            });
            html_page(html, 200)
        }
        AdminPage::Outbox => {
            let emails = Index::new(env, catalog.caller(env))?.outbox(100).await?;
            let store_name = store_name(catalog).await;
            let html = render_document(context(&req, catalog, &session.csrf).await, move || {
                view! { <OutboxPage store_name emails/> }
            });
            html_page(html, 200)
        }
    }
}

async fn sign_in_form(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    notice: Option<AdminNotice>,
    status: u16,
) -> AppResult<Response> {
    let form = merchant::sign_in_form(req, env)?;
    let store_name = store_name(catalog).await;
    let html = render_document(context(req, catalog, &form.csrf).await, move || {
        view! { <AdminSignInPage store_name notice/> }
    });
    let resp = html_page(html, status)?;
    if let Some(cookie) = form.new_cookie {
        resp.headers().append("set-cookie", &cookie)?;
    }
    Ok(resp)
}

async fn sign_in(mut req: Request, env: &Env, catalog: &CatalogReader<'_>) -> AppResult<Response> {
    // Counted before anything is checked: every guess costs an attempt.
    limits::check(env, &req, Scope::SignIn).await?;
    let form = http::read_form(&mut req).await?;
    let expected = match merchant::sign_in_form_genuine(&req, env, form.get("csrf").unwrap_or(""))? {
        true => form.get("csrf").unwrap_or("").to_string(),
        false => String::new(),
    };
    // Same-site and token checks, as for every merchant form (the body is read already).
    security::check_merchant_form(&req, &form, &expected)?;
    if !merchant::is_admin_token(env, form.get("token").unwrap_or(""))? {
        let notice = Some(AdminNotice::Problem("That is not this shop's admin token.".into()));
        return sign_in_form(&req, env, catalog, notice, 401).await;
    }
    let resp = http::see_other("/admin/orders")?;
    for cookie in merchant::start_session(&req, env)? {
        resp.headers().append("set-cookie", &cookie)?;
    }
    Ok(resp)
}

async fn sign_out(mut req: Request, session: &AdminSession) -> AppResult<Response> {
    security::read_merchant_form(&mut req, &session.csrf).await?;
    let resp = http::see_other("/admin/sign-in")?;
    resp.headers().append("set-cookie", &merchant::end_session(&req))?;
    Ok(resp)
}

/// Every order the desk's search finds (the newest `MAX_EXPORT`), as a CSV file named
/// after the day: the index is read a full page (`MAX_LIST`) at a time.
async fn export_orders(req: &Request, env: &Env, catalog: &CatalogReader<'_>) -> AppResult<Response> {
    let fields = Fields::parse(http::query_string(req).as_bytes())?;
    let mut query = OrderQuery::parse(fields.get("q"), fields.get("status"), None, MAX_LIST)
        .map_err(|e| AppError::BadRequest(e.into()))?;
    let index = Index::new(env, catalog.caller(env))?;
    let most = usize::try_from(MAX_EXPORT).unwrap_or(usize::MAX);
    let mut orders = Vec::new();
    loop {
        let page = index.list(query.clone()).await?;
        orders.extend(page.orders);
        match page.next {
            Some(cursor) if orders.len() < most => query.after = Some(cursor),
            _ => break,
        }
    }
    orders.truncate(most);
    let (year, month, day) = shared::text::civil_date(now_ms() as u64);
    let resp =
        http::body_response("text/csv; charset=utf-8", orders_csv(&orders), 200, CachePolicy::NoStore, None)?;
    resp.headers().set(
        "content-disposition",
        &format!("attachment; filename=\"orders-{year:04}-{month:02}-{day:02}.csv\""),
    )?;
    Ok(resp)
}

/// The most orders the desk lists at once.
const DESK_LIMIT: u32 = 100;

async fn desk(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &AdminSession,
) -> AppResult<Response> {
    let fields = Fields::parse(http::query_string(req).as_bytes())?;
    let query = OrderQuery::parse(fields.get("q"), fields.get("status"), fields.get("after"), DESK_LIMIT)
        .map_err(|e| AppError::BadRequest(e.into()))?;
    let filter = DeskFilter {
        text: query.text.clone().unwrap_or_default(),
        status: query.status,
        paged: query.after.is_some(),
    };
    let page = Index::new(env, catalog.caller(env))?.list(query).await?;
    let (orders, next, matching) = (page.orders, page.next.map(|cursor| cursor.to_string()), page.matching);
    let store_name = store_name(catalog).await;
    let html = render_document(context(req, catalog, &session.csrf).await, move || {
        view! { <OrderDeskPage store_name orders filter next matching notice=None/> }
    });
    html_page(html, 200)
}

/// The order with this number, from its own shard (always current); 404 if none.
async fn find(env: &Env, catalog: &CatalogReader<'_>, number: &str) -> AppResult<Order> {
    if !orders::valid_number(number) {
        return Err(AppError::NotFound);
    }
    Orders::new(env, catalog.caller(env))?.get(number).await?.ok_or(AppError::NotFound)
}

/// What a form did, named in the address it sends the merchant back to.
fn done_notice(done: &str) -> Option<AdminNotice> {
    let text = match done {
        "fulfilled" => "Marked fulfilled.",
        "tracking" => "Tracking number saved.",
        "refunded" => "Refunded: the money is on its way back to the shopper.",
        "refunded-restocked" => {
            "Refunded: the money is on its way back to the shopper, the items are back in stock."
        }
        "restocked" => "The items are back in stock.",
        "noted" => "Note added.",
        _ => return None,
    };
    Some(AdminNotice::Done(text.into()))
}

async fn order_page(
    req: &Request,
    catalog: &CatalogReader<'_>,
    session: &AdminSession,
    order: Order,
    notice: Option<AdminNotice>,
    status: u16,
) -> AppResult<Response> {
    let store_name = store_name(catalog).await;
    let html = render_document(context(req, catalog, &session.csrf).await, move || {
        view! { <AdminOrderPage store_name order notice/> }
    });
    html_page(html, status)
}

async fn order_form(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &AdminSession,
    number: &str,
    action: OrderAction,
) -> AppResult<Response> {
    let form = security::read_merchant_form(&mut req, &session.csrf).await?;
    let before = find(env, catalog, number).await?;
    let orders = Orders::new(env, catalog.caller(env))?;
    let outcome: Result<(Order, &str), AppError> = match action {
        OrderAction::Fulfil => match parse_tracking(form.get("tracking").unwrap_or("")) {
            Err(problem) => Err(AppError::BadRequest(problem.into())),
            Ok(tracking) => {
                let was = before.status;
                match orders.fulfil(number, tracking, now_ms() as u64).await? {
                    Some(order) if order.status == OrderStatus::Fulfilled => {
                        Ok((order, if was == OrderStatus::Fulfilled { "tracking" } else { "fulfilled" }))
                    }
                    Some(order) => Err(not_now(&order, "fulfilled")),
                    None => Err(AppError::NotFound),
                }
            }
        },
        OrderAction::Refund if form.get("confirm") != Some("yes") => {
            Err(AppError::BadRequest("Tick the box to confirm the refund: nothing was refunded.".into()))
        }
        OrderAction::Refund => match orders.refund(number, form.get("restock") == Some("yes")).await {
            Ok(Some(order)) if order.status == OrderStatus::Refunded => {
                let restocked = order.payment.restocked_at_ms.is_some();
                let done = match (before.status, restocked) {
                    (OrderStatus::Refunded, _) => "restocked",
                    (_, true) => "refunded-restocked",
                    (_, false) => "refunded",
                };
                Ok((order, done))
            }
            Ok(Some(order)) => Err(not_now(&order, "refunded")),
            Ok(None) => Err(AppError::NotFound),
            Err(e) => Err(e),
        },
        OrderAction::Note => match parse_note(form.get("text").unwrap_or("")) {
            Err(problem) => Err(AppError::BadRequest(problem.into())),
            Ok(text) => match orders.add_note(number, OrderNote { at_ms: now_ms() as u64, text }).await {
                Ok(Some(order)) => Ok((order, "noted")),
                Ok(None) => Err(AppError::NotFound),
                Err(e) => Err(e),
            },
        },
    };
    match outcome {
        Ok((order, done)) => http::see_other(&format!("/admin/orders/{}?done={done}", order.number)),
        // What the merchant can fix or should know is said on the order's page.
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_) | AppError::Unavailable(_))) => {
            let status = e.status();
            let notice = Some(AdminNotice::Problem(e.public_text().1.to_string()));
            let order = find(env, catalog, number).await.unwrap_or(before);
            order_page(&req, catalog, session, order, notice, status).await
        }
        Err(e) => Err(e),
    }
}

/// Why an order cannot be `verb` in its state.
fn not_now(order: &Order, verb: &str) -> AppError {
    AppError::Conflict(
        format!(
            "Order {} is {}: only paid orders can be {verb}.",
            order.number,
            order.status.merchant_text().to_lowercase()
        )
        .into(),
    )
}

/// A variant as the stock page names it: the product, and its options when it has
/// several variants.
fn variant_title(product: &Product, variant: &Variant) -> String {
    if product.variants.len() > 1 {
        format!("{} ({})", product.title, variant.options.join(" / "))
    } else {
        product.title.clone()
    }
}

/// The stock rows of products' variants.
fn rows_of(products: &[Arc<Product>], levels: &BTreeMap<String, StockLevel>) -> Vec<StockRow> {
    products
        .iter()
        .flat_map(|p| {
            p.variants.iter().map(move |v| StockRow {
                title: variant_title(p, v),
                href: Some(format!("/products/{}", p.handle)),
                sku: v.sku.to_string(),
                price: Some(v.price),
                level: levels.get(v.sku.as_str()).copied().unwrap_or_default(),
            })
        })
        .collect()
}

async fn stock(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &AdminSession,
) -> AppResult<Response> {
    let fields = Fields::parse(http::query_string(req).as_bytes())?;
    let query = fields.get("q").unwrap_or("").trim().chars().take(100).collect::<String>();
    let page_number = fields.get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1);
    let hits: Hits = if query.is_empty() {
        catalog::all_products(catalog, page_number).await?.ok_or(AppError::NotFound)?
    } else {
        catalog::search(catalog, &query, page_number).await?
    };
    let found = join_all(hits.products.iter().map(|card| catalog.product(&card.handle))).await;
    let mut products: Vec<Arc<Product>> = Vec::new();
    for product in found {
        products.extend(product?);
    }
    let items: Vec<StockItem> = products
        .iter()
        .flat_map(|p| p.variants.iter())
        .map(|v| StockItem { sku: v.sku.clone(), quantity: 0, catalog_stock: v.stock })
        .collect();
    let inventory = Inventory::new(env, catalog.caller(env))?;
    let levels = inventory.levels(&items).await?;
    let rows = rows_of(&products, &levels);
    let low_levels = inventory.low().await?;
    let low_skus: Vec<Sku> = low_levels.iter().filter_map(|(sku, _)| Sku::parse(sku).ok()).collect();
    let selling = catalog::products_of_skus(catalog, &low_skus).await?;
    let low: Vec<StockRow> = low_levels
        .into_iter()
        .map(|(sku, level)| {
            let product = selling.get(&sku);
            let variant = product.and_then(|p| p.variants.iter().find(|v| v.sku.as_str() == sku));
            StockRow {
                title: match (product, variant) {
                    (Some(p), Some(v)) => variant_title(p, v),
                    (Some(p), None) => p.title.clone(),
                    // Stock kept for a SKU the live catalog no longer sells.
                    (None, _) => "Not in the catalog".into(),
                },
                href: product.map(|p| format!("/products/{}", p.handle)),
                price: variant.map(|v| v.price),
                sku,
                level,
            }
        })
        .collect();
    let notice = fields.get("set").map(|sku| AdminNotice::Done(format!("Stock of {sku} saved.")));
    let store_name = store_name(catalog).await;
    let (page, page_count) = (hits.page, hits.page_count);
    let html = render_document(context(req, catalog, &session.csrf).await, move || {
        view! { <StockPage store_name low rows query page page_count notice/> }
    });
    html_page(html, 200)
}

/// The most units a merchant sets by hand.
const MAX_ON_HAND: u32 = 1_000_000;

async fn set_stock(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &AdminSession,
) -> AppResult<Response> {
    let form = security::read_merchant_form(&mut req, &session.csrf).await?;
    let sku =
        Sku::parse(form.get("sku").unwrap_or("")).map_err(|e| AppError::BadRequest(e.to_string().into()))?;
    let on_hand = form
        .get("on_hand")
        .and_then(|n| n.trim().parse::<u32>().ok())
        .filter(|n| *n <= MAX_ON_HAND)
        .ok_or_else(|| {
            AppError::BadRequest(
                format!("Units on hand must be a whole number from 0 to {MAX_ON_HAND}.").into(),
            )
        })?;
    Inventory::new(env, catalog.caller(env))?.set_stock(&sku, on_hand).await?;
    // Back to the page the form was on (only ever a stock page of this shop).
    let back = shared::url::local_location(form.get("back").unwrap_or("/admin/stock"));
    let back = if back.starts_with("/admin/stock") { back } else { "/admin/stock".to_string() };
    let joiner = if back.contains('?') { '&' } else { '?' };
    http::see_other(&format!("{back}{joiner}set={}", shared::url::encode(sku.as_str())))
}

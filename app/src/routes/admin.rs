//! The merchant's area, `/admin`: sign-in, the order desk (search, filter, an order's
//! detail with fulfilment, refund and notes), stock levels and the email outbox. Plain
//! server-rendered HTML and forms: no script runs on these pages.

use crate::components::address::PostalAddress;
use crate::components::chart::{FunnelChart, LineChart};
use crate::components::layout::CsrfField;
use leptos::prelude::*;
use shared::mail::OutboxEmail;
use shared::metrics::{Report, Window};
use shared::orders::{Order, OrderStatus, MAX_NOTE_CHARS, MAX_SEARCH_CHARS, MAX_TRACKING_CHARS};
use shared::stock::StockLevel;
use shared::text::utc_minute;
use shared::{format_money, Money};

/// The sections of the merchant area, for its navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminSection {
    SignIn,
    Orders,
    Stock,
    Outbox,
    Dashboard,
}

impl AdminSection {
    /// The sections a signed-in merchant moves between: (section, path, label).
    const NAV: [(AdminSection, &'static str, &'static str); 4] = [
        (AdminSection::Dashboard, "/admin/dashboard", "Dashboard"),
        (AdminSection::Orders, "/admin/orders", "Orders"),
        (AdminSection::Stock, "/admin/stock", "Stock"),
        (AdminSection::Outbox, "/admin/outbox", "Outbox"),
    ];
}

/// A line above a page's content: what the last action did, or why it did not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminNotice {
    Done(String),
    Problem(String),
}

fn notice_view(notice: Option<AdminNotice>) -> impl IntoView {
    notice.map(|n| match n {
        AdminNotice::Done(text) => {
            view! { <div class="notice notice--done" role="status" data-notice="done"><p>{text}</p></div> }
                .into_any()
        }
        AdminNotice::Problem(text) => {
            view! { <div class="notice notice--error" role="alert" data-notice="problem"><p>{text}</p></div> }
                .into_any()
        }
    })
}

/// The document around every merchant page: no shop header, never indexed, and the
/// sign-out button once signed in.
#[component]
pub fn AdminShell(
    store_name: String,
    title: String,
    section: AdminSection,
    children: Children,
) -> impl IntoView {
    let nav = (section != AdminSection::SignIn).then(|| {
        let links = AdminSection::NAV
            .into_iter()
            .map(|(s, href, label)| {
                let current = (s == section).then_some("page");
                view! { <li><a href=href aria-current=current>{label}</a></li> }
            })
            .collect_view();
        view! {
            <nav class="admin-nav" aria-label="Merchant">
                <ul>{links}</ul>
            </nav>
            <form class="admin-sign-out" method="post" action="/admin/sign-out">
                <CsrfField/>
                <button class="link-button" type="submit">"Sign out"</button>
            </form>
        }
    });
    view! {
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="robots" content="noindex,nofollow"/>
                <title>{format!("{title} · {store_name} admin")}</title>
                <link rel="stylesheet" href="/styles.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
            </head>
            <body class="admin">
                <a class="skip-link" href="#main">"Skip to content"</a>
                <header class="site-header">
                    <div class="site-header__inner">
                        <a class="brand" href="/admin">{format!("{store_name} admin")}</a>
                        {nav}
                    </div>
                </header>
                <main id="main" class="page">{children()}</main>
            </body>
        </html>
    }
}

#[component]
pub fn AdminSignInPage(store_name: String, notice: Option<AdminNotice>) -> impl IntoView {
    view! {
        <AdminShell store_name title="Sign in".to_string() section=AdminSection::SignIn>
            <h1>"Sign in to run the shop"</h1>
            {notice_view(notice)}
            <form class="checkout-form" method="post" action="/admin/sign-in">
                <CsrfField/>
                <div class="field">
                    <label for="admin-token">"Admin token"</label>
                    <input id="admin-token" name="token" type="password" required maxlength="512"
                        autocomplete="current-password"/>
                    <p class="field-hint">"The ADMIN_TOKEN secret set for this shop."</p>
                </div>
                <button class="button button--primary" type="submit">"Sign in"</button>
            </form>
        </AdminShell>
    }
}

/// An order's state as a tag the desk's rows and the detail page show.
fn status_tag(status: OrderStatus) -> impl IntoView {
    view! {
        <span class=format!("order-state order-state--{}", status.as_str()) data-order-status=status.as_str()>
            {status.merchant_text()}
        </span>
    }
}

/// What the order desk was asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeskFilter {
    pub text: String,
    pub status: Option<OrderStatus>,
    /// Past the first page (an `after` cursor was given).
    pub paged: bool,
}

impl DeskFilter {
    /// The desk's address for this search, from `after` (the first page without one).
    fn href(&self, after: Option<&str>) -> String {
        self.at("/admin/orders", after)
    }

    /// `path` with this search in its query.
    fn at(&self, path: &str, after: Option<&str>) -> String {
        let mut pairs = Vec::new();
        if !self.text.is_empty() {
            pairs.push(("q".to_string(), self.text.clone()));
        }
        if let Some(status) = self.status {
            pairs.push(("status".to_string(), status.as_str().to_string()));
        }
        if let Some(after) = after {
            pairs.push(("after".to_string(), after.to_string()));
        }
        match pairs.is_empty() {
            true => path.to_string(),
            false => format!("{path}?{}", shared::url::query(&pairs)),
        }
    }
}

#[component]
pub fn OrderDeskPage(
    store_name: String,
    orders: Vec<Order>,
    filter: DeskFilter,
    /// Where the next (older) page starts, if there is one.
    next: Option<String>,
    /// How many orders the search matches in all.
    matching: u64,
    notice: Option<AdminNotice>,
) -> impl IntoView {
    let options = OrderStatus::ALL
        .into_iter()
        .map(|s| {
            view! { <option value=s.as_str() selected=filter.status == Some(s)>{s.merchant_text()}</option> }
        })
        .collect_view();
    let filtered = !filter.text.is_empty() || filter.status.is_some();
    let all = if filtered { format!("{matching} match") } else { format!("{matching} in all") };
    let shown = u64::try_from(orders.len()).unwrap_or(u64::MAX);
    let count = match (shown, filtered, filter.paged) {
        (0, _, true) => "No older orders.".to_string(),
        (0, true, false) => "No order matches.".to_string(),
        (0, false, false) => "No orders yet.".to_string(),
        (1, _, false) if matching <= 1 => "1 order".to_string(),
        (n, _, false) if matching <= n => format!("{n} orders, newest first"),
        (n, _, false) => format!("The newest {n} orders ({all})"),
        (n, _, true) => format!("{n} older orders ({all})"),
    };
    let pages = (filter.paged || next.is_some()).then(|| {
        let newest = filter.paged.then(|| view! { <a class="button" href=filter.href(None)>"Newest orders"</a> });
        let older = next.as_deref().map(|after| {
            view! { <a class="button" rel="next" href=filter.href(Some(after)) data-older-orders="">"Older orders"</a> }
        });
        view! { <nav class="admin-pages" aria-label="Pages of orders">{newest}" "{older}</nav> }
    });
    let export = (!orders.is_empty()).then(|| {
        let limit = shared::orders::export::MAX_EXPORT.to_string();
        view! {
            <p class="field-hint">
                <a href=filter.at("/admin/orders.csv", None) download="" data-export-orders="">"Download these orders as CSV"</a>
                {format!(" (every order this search finds, newest first, up to {limit})")}
            </p>
        }
    });
    let rows = orders
        .into_iter()
        .map(|o| {
            let href = format!("/admin/orders/{}", o.number);
            view! {
                <tr data-order=o.number.clone()>
                    <td><a href=href>{o.number.clone()}</a></td>
                    <td>{utc_minute(o.created_at_ms)}</td>
                    <td>{o.email.clone()}</td>
                    <td class="num">{o.item_count()}</td>
                    <td class="num">{format_money(o.totals.total)}</td>
                    <td>{status_tag(o.status)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <AdminShell store_name title="Orders".to_string() section=AdminSection::Orders>
            <h1>"Orders"</h1>
            {notice_view(notice)}
            <form class="admin-filter" method="get" action="/admin/orders" role="search">
                <div class="field">
                    <label for="desk-q">"Order number or email"</label>
                    <input id="desk-q" name="q" type="search" value=filter.text maxlength=MAX_SEARCH_CHARS.to_string()
                        placeholder="FL-… or name@example.com"/>
                </div>
                <div class="field">
                    <label for="desk-status">"State"</label>
                    <select id="desk-status" name="status">
                        <option value="" selected=filter.status.is_none()>"Any"</option>
                        {options}
                    </select>
                </div>
                <button class="button" type="submit">"Find"</button>
            </form>
            <p class="result-count" data-order-count="">{count}</p>
            {export}
            <table class="admin-table">
                <thead>
                    <tr><th scope="col">"Order"</th><th scope="col">"Placed"</th><th scope="col">"Email"</th>
                        <th scope="col" class="num">"Items"</th><th scope="col" class="num">"Total"</th><th scope="col">"State"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {pages}
        </AdminShell>
    }
}

#[component]
pub fn AdminOrderPage(store_name: String, order: Order, notice: Option<AdminNotice>) -> impl IntoView {
    let number = order.number.clone();
    let lines = order
        .lines
        .iter()
        .map(|l| {
            let title = l.full_title();
            view! {
                <tr>
                    <td>{title}</td><td><code>{l.sku.to_string()}</code></td>
                    <td class="num">{l.quantity}</td><td class="num">{format_money(l.unit_price)}</td>
                    <td class="num">{format_money(l.line_total)}</td>
                </tr>
            }
        })
        .collect_view();
    let t = order.totals.clone();
    let payment = order.payment.clone();
    let fulfil = match order.status {
        OrderStatus::Paid | OrderStatus::Fulfilled => {
            let (heading, button) = if order.status == OrderStatus::Paid {
                ("Fulfil", "Mark fulfilled")
            } else {
                ("Tracking", "Update tracking number")
            };
            Some(view! {
                <form class="admin-form" method="post" action=format!("/admin/orders/{number}/fulfil") data-fulfil="">
                    <CsrfField/>
                    <h2>{heading}</h2>
                    <div class="field">
                        <label for="tracking">"Tracking number"</label>
                        <input id="tracking" name="tracking" value=order.tracking.clone().unwrap_or_default()
                            maxlength=MAX_TRACKING_CHARS.to_string() autocomplete="off"/>
                    </div>
                    <button class="button button--primary" type="submit">{button}</button>
                </form>
            })
        }
        OrderStatus::PendingPayment | OrderStatus::Cancelled | OrderStatus::Refunded => None,
    };
    let has_stock = payment.stock_commit.is_some() && payment.restocked_at_ms.is_none();
    let refund = order.status.is_paid().then(|| {
        let label = format!("Refund {}", format_money(t.total));
        // Units of an order not yet sent are on the shelf: put back unless unticked.
        let unsent = order.status == OrderStatus::Paid;
        let restock = has_stock.then(|| {
            view! {
                <label class="choice-line">
                    <input type="checkbox" name="restock" value="yes" checked=unsent/>
                    " Put the items back in stock"
                </label>
            }
        });
        view! {
            <form class="admin-form" method="post" action=format!("/admin/orders/{number}/refund") data-refund="">
                <CsrfField/>
                <h2>"Refund"</h2>
                <p class="field-hint">"The whole total goes back to the shopper's card."</p>
                {restock}
                <label class="choice-line">
                    <input type="checkbox" name="confirm" value="yes" required/>
                    " I want to refund this order"
                </label>
                <button class="button" type="submit">{label}</button>
            </form>
        }
    });
    // A refunded order whose items came back later.
    let restock = (order.status == OrderStatus::Refunded && has_stock).then(|| {
        view! {
            <form class="admin-form" method="post" action=format!("/admin/orders/{number}/refund") data-restock="">
                <CsrfField/>
                <input type="hidden" name="confirm" value="yes"/>
                <input type="hidden" name="restock" value="yes"/>
                <h2>"Stock"</h2>
                <p class="field-hint">"This order's items are still counted as sold."</p>
                <button class="button" type="submit">"Put the items back in stock"</button>
            </form>
        }
    });
    let no_notes = order.notes.is_empty().then(|| view! { <p class="field-hint">"No notes yet."</p> });
    let notes = order
        .notes
        .iter()
        .map(|n| {
            view! { <li><p class="note-meta">{utc_minute(n.at_ms)}</p><p class="note-text">{n.text.clone()}</p></li> }
        })
        .collect_view();
    let when = |label: &'static str, at: Option<u64>| {
        at.map(|ms| view! { <dt>{label}</dt><dd>{utc_minute(ms)}</dd> })
    };
    view! {
        <AdminShell store_name title=format!("Order {number}") section=AdminSection::Orders>
            <p><a href="/admin/orders">"← All orders"</a></p>
            <h1>"Order " <span data-order-number="">{number.clone()}</span></h1>
            {notice_view(notice)}
            <p>{status_tag(order.status)}</p>
            <div class="admin-columns">
                <section>
                    <h2>"Items"</h2>
                    <table class="admin-table">
                        <thead><tr><th scope="col">"Item"</th><th scope="col">"SKU"</th><th scope="col" class="num">"Qty"</th>
                            <th scope="col" class="num">"Price"</th><th scope="col" class="num">"Total"</th></tr></thead>
                        <tbody>{lines}</tbody>
                    </table>
                    <dl class="review-list">
                        <dt>"Subtotal"</dt><dd>{format_money(t.subtotal)}</dd>
                        {(t.discount.minor() > 0).then(|| view! { <dt>"Discount"</dt><dd>{format!("-{}", format_money(t.discount))}</dd> })}
                        <dt>"Shipping"</dt><dd>{format_money(t.shipping)}</dd>
                        <dt>"Tax"</dt><dd>{format_money(t.tax)}</dd>
                        <dt>"Total"</dt><dd><strong data-order-total="">{format_money(t.total)}</strong></dd>
                    </dl>
                    <h2>"Notes"</h2>
                    {no_notes}
                    <ul class="admin-notes" data-notes="">{notes}</ul>
                    <form class="admin-form" method="post" action=format!("/admin/orders/{number}/notes") data-add-note="">
                        <CsrfField/>
                        <div class="field">
                            <label for="note">"Add a note (only merchants see notes)"</label>
                            <textarea id="note" name="text" rows="3" required maxlength=MAX_NOTE_CHARS.to_string()></textarea>
                        </div>
                        <button class="button" type="submit">"Add note"</button>
                    </form>
                </section>
                <aside>
                    <h2>"Customer"</h2>
                    <p>{order.email.clone()}</p>
                    <PostalAddress address=order.address.clone()/>
                    <p>{order.totals.shipping_name.clone().unwrap_or_else(|| order.shipping_rate.clone())}</p>
                    <h2>"Payment"</h2>
                    <dl class="review-list">
                        <dt>"Provider"</dt><dd>{payment.provider.as_str()}</dd>
                        {payment.reference.clone().map(|r| view! { <dt>"Reference"</dt><dd><code>{r}</code></dd> })}
                        <dt>"Placed"</dt><dd>{utc_minute(order.created_at_ms)}</dd>
                        {when("Paid", payment.paid_at_ms)}
                        {when("Fulfilled", order.fulfilled_at_ms)}
                        {order.tracking.clone().map(|t| view! { <dt>"Tracking"</dt><dd data-tracking="">{t}</dd> })}
                        {when("Refunded", payment.refunded_at_ms)}
                        {when("Back in stock", payment.restocked_at_ms)}
                        {payment.note.clone().map(|n| view! { <dt>"Note"</dt><dd>{n}</dd> })}
                    </dl>
                    {fulfil}
                    {refund}
                    {restock}
                </aside>
            </div>
        </AdminShell>
    }
}

/// One SKU on the stock page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockRow {
    /// The product's title, and the variant's options when it has several variants.
    pub title: String,
    /// The product's page.
    pub href: Option<String>,
    pub sku: String,
    pub price: Option<Money>,
    pub level: StockLevel,
}

fn stock_rows(rows: Vec<StockRow>, back: &str) -> impl IntoView {
    rows.into_iter()
        .map(|r| {
            let state = r.level.state();
            let title = match r.href {
                Some(href) => view! { <a href=href>{r.title}</a> }.into_any(),
                None => view! { <span>{r.title}</span> }.into_any(),
            };
            let label = format!("Units on hand of {}", r.sku);
            view! {
                <tr data-sku=r.sku.clone() data-stock-state=state.as_str()>
                    <td>{title}</td>
                    <td><code>{r.sku.clone()}</code></td>
                    <td class="num">{r.price.map(format_money)}</td>
                    <td class="num" data-available="">{r.level.available}</td>
                    <td><span class=format!("stock-state stock-state--{}", state.as_str())>{state.text()}</span></td>
                    <td>
                        <form class="inline-form" method="post" action="/admin/stock">
                            <CsrfField/>
                            <input type="hidden" name="sku" value=r.sku.clone()/>
                            <input type="hidden" name="back" value=back.to_string()/>
                            <input class="qty-input" name="on_hand" type="number" min="0" max="1000000" required
                                value=r.level.on_hand.to_string() aria-label=label/>
                            <button class="button" type="submit">"Set"</button>
                        </form>
                    </td>
                </tr>
            }
        })
        .collect_view()
}

fn stock_table(rows: Vec<StockRow>, back: &str) -> impl IntoView {
    view! {
        <table class="admin-table">
            <thead>
                <tr><th scope="col">"Product"</th><th scope="col">"SKU"</th><th scope="col" class="num">"Price"</th>
                    <th scope="col" class="num">"Free to sell"</th><th scope="col">"State"</th><th scope="col">"On hand"</th></tr>
            </thead>
            <tbody>{stock_rows(rows, back)}</tbody>
        </table>
    }
}

#[component]
pub fn StockPage(
    store_name: String,
    low: Vec<StockRow>,
    rows: Vec<StockRow>,
    query: String,
    page: u32,
    page_count: u32,
    notice: Option<AdminNotice>,
) -> impl IntoView {
    let q = if query.is_empty() { String::new() } else { format!("q={}&", shared::url::encode(&query)) };
    let back = format!("/admin/stock?{q}page={page}");
    let link = |to: u32, label: &'static str, rel: &'static str| {
        view! { <a href=format!("/admin/stock?{q}page={to}") rel=rel>{label}</a> }
    };
    let pages = (page_count > 1).then(|| {
        view! {
            <nav class="pagination" aria-label="Stock pages">
                {(page > 1).then(|| link(page - 1, "← Previous", "prev"))}
                <span>{format!("Page {page} of {page_count}")}</span>
                {(page < page_count).then(|| link(page + 1, "Next →", "next"))}
            </nav>
        }
    });
    let low_section = if low.is_empty() {
        view! { <p data-low-stock="none">"Nothing is low on stock."</p> }.into_any()
    } else {
        view! {
            <div class="notice notice--warning" data-low-stock="">
                <p>{format!("{} SKUs have {} or fewer units free to sell.", low.len(), shared::stock::LOW_STOCK)}</p>
            </div>
            {stock_table(low, &back)}
        }
        .into_any()
    };
    let listed = if rows.is_empty() {
        view! { <p>"No product matches."</p> }.into_any()
    } else {
        stock_table(rows, &back).into_any()
    };
    view! {
        <AdminShell store_name title="Stock".to_string() section=AdminSection::Stock>
            <h1>"Stock"</h1>
            {notice_view(notice)}
            <section aria-labelledby="low-heading">
                <h2 id="low-heading">"Low stock"</h2>
                {low_section}
            </section>
            <section aria-labelledby="all-heading">
                <h2 id="all-heading">"Products"</h2>
                <form class="admin-filter" method="get" action="/admin/stock" role="search">
                    <div class="field">
                        <label for="stock-q">"Search products"</label>
                        <input id="stock-q" name="q" type="search" value=query.clone() maxlength="100"/>
                    </div>
                    <button class="button" type="submit">"Find"</button>
                </form>
                {listed}
                {pages}
            </section>
        </AdminShell>
    }
}

#[component]
pub fn OutboxPage(store_name: String, emails: Vec<OutboxEmail>) -> impl IntoView {
    let list = if emails.is_empty() {
        view! { <p>"No emails yet: each order's confirmation and each sign-in link lands here."</p> }
            .into_any()
    } else {
        emails
            .into_iter()
            .map(|e| {
                let order = e.order_number.clone().map(|number| {
                    let href = format!("/admin/orders/{number}");
                    view! { " · " <a href=href>{format!("Order {number}")}</a> }
                });
                let delivery = e.delivery.merchant_text();
                view! {
                    <article class="outbox-email" data-email=e.key.clone()>
                        <h2>{e.subject}</h2>
                        <p class="note-meta">{format!("To {} · {}", e.to, utc_minute(e.created_at_ms))}{order}</p>
                        <p class="note-meta" data-delivery="">{delivery}</p>
                        <pre>{e.body}</pre>
                    </article>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <AdminShell store_name title="Outbox".to_string() section=AdminSection::Outbox>
            <h1>"Email outbox"</h1>
            <p class="field-hint">"The newest 100 emails the shop wrote, newest first."</p>
            {list}
        </AdminShell>
    }
}

/// A share as a percentage, or a dash when there is nothing to divide.
fn percent(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "–".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn milliseconds(ms: Option<u32>) -> String {
    ms.map_or_else(|| "–".to_string(), |ms| format!("{ms} ms"))
}

/// The time of day of a minute (since the epoch), `HH:MM UTC`.
fn clock(minute: u64) -> String {
    let text = utc_minute(minute.saturating_mul(60_000));
    text.split_once(' ').map_or(text.clone(), |(_, time)| time.to_string())
}

#[component]
pub fn DashboardPage(store_name: String, report: Report) -> impl IntoView {
    let window = report.window;
    let tabs = Window::ALL
        .into_iter()
        .map(|w| {
            let current = (w == window).then_some("page");
            view! { <li><a href=format!("/admin/dashboard?window={}", w.as_str()) aria-current=current>{w.title()}</a></li> }
        })
        .collect_view();
    let revenue = if report.revenue.is_empty() {
        "–".to_string()
    } else {
        report.revenue.iter().map(|m| format_money(*m)).collect::<Vec<_>>().join(" + ")
    };
    let error_rate = (report.requests > 0).then(|| report.errors as f64 / report.requests as f64);
    let tiles = [
        ("Requests", report.requests.to_string(), "requests"),
        ("Error rate (5xx)", percent(error_rate), "error_rate"),
        ("Orders", report.funnel.orders_placed.to_string(), "orders"),
        ("Revenue", revenue, "revenue"),
        ("Page-cache hit ratio", percent(report.page_cache_hit_ratio), "hit_ratio"),
        ("Queue lag (mean)", report.queue_lag_ms.map_or_else(|| "–".into(), |ms| format!("{ms:.0} ms")), "queue_lag"),
        ("Carts abandoned", report.carts_abandoned.to_string(), "carts_abandoned"),
    ]
    .into_iter()
    .map(|(label, value, name)| view! { <div class="tile" data-metric=name><dt>{label}</dt><dd>{value}</dd></div> })
    .collect_view();
    let per = match window {
        Window::Hour => "per minute",
        Window::Day => "per 10 minutes",
    };
    let (first, last) = (clock(report.from_minute), clock(report.to_minute));
    let series =
        |f: fn(&shared::metrics::Point) -> Option<f64>| report.series.iter().map(f).collect::<Vec<_>>();
    let requests = series(|p| Some(p.requests as f64));
    let orders = series(|p| Some(p.orders as f64));
    let p99 = series(|p| p.p99_ms.map(f64::from));
    let routes = report
        .routes
        .iter()
        .map(|r| {
            view! {
                <tr data-route=r.route.as_str()>
                    <td>{r.route.as_str()}</td>
                    <td class="num">{r.requests}</td>
                    <td class="num">{r.errors}</td>
                    <td class="num">{percent(Some(r.error_rate))}</td>
                    <td class="num">{milliseconds(r.p50_ms)}</td>
                    <td class="num">{milliseconds(r.p99_ms)}</td>
                </tr>
            }
        })
        .collect_view();
    let views = report
        .page_views
        .iter()
        .map(|v| view! { <tr data-page=v.page.as_str()><td>{v.page.as_str()}</td><td class="num">{v.views}</td></tr> })
        .collect_view();
    view! {
        <AdminShell store_name title="Dashboard".to_string() section=AdminSection::Dashboard>
            <h1>"Dashboard"</h1>
            <nav aria-label="Window"><ul class="admin-tabs">{tabs}</ul></nav>
            <p class="field-hint">{format!("{} to {}, counted per minute from every isolate (each sends what it counted about once a second).", first, last)}</p>
            <dl class="tiles">{tiles}</dl>
            <div class="charts">
                <LineChart title=format!("Requests {per}") unit="req" values=requests first=first.clone() last=last.clone()/>
                <LineChart title=format!("Orders {per}") unit="orders" values=orders first=first.clone() last=last.clone()/>
                <LineChart title="p99 latency, all routes".to_string() unit="ms" values=p99 first=first.clone() last=last.clone()/>
                <FunnelChart title="Conversion funnel".to_string() steps=report.funnel.steps().to_vec()/>
            </div>
            <h2>"Routes"</h2>
            <table class="admin-table">
                <thead><tr><th scope="col">"Route"</th><th scope="col" class="num">"Requests"</th><th scope="col" class="num">"Errors"</th>
                    <th scope="col" class="num">"Error rate"</th><th scope="col" class="num">"p50"</th><th scope="col" class="num">"p99"</th></tr></thead>
                <tbody>{routes}</tbody>
            </table>
            <h2>"Page views"</h2>
            <table class="admin-table">
                <thead><tr><th scope="col">"Page"</th><th scope="col" class="num">"Views"</th></tr></thead>
                <tbody>{views}</tbody>
            </table>
        </AdminShell>
    }
}

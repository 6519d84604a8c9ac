//! The order confirmation page and the order lookup form.

use crate::components::layout::{CsrfField, PageMeta, Shell};
use leptos::prelude::*;
use shared::orders::{Order, OrderStatus};

/// What an order waiting for the shopper's bank needs on its page: Stripe.js finishes
/// the authentication (3-D Secure) with the PaymentIntent's client secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authentication {
    pub publishable_key: String,
    pub client_secret: String,
}
use shared::{format_money, Site};

#[component]
pub fn OrderPage(site: Site, order: Order, authenticate: Option<Authentication>) -> impl IntoView {
    let meta = PageMeta {
        title: format!("Order {}", order.number),
        description: "Your order confirmation.".into(),
        noindex: true,
        ..Default::default()
    };
    let status = order.status.shopper_text();
    let state = order.status.as_str();
    let placed = !matches!(order.status, OrderStatus::Cancelled);
    let nonce = use_context::<crate::RenderContext>().map(|c| c.nonce).unwrap_or_default();
    let authenticate = authenticate.map(|a| view! {
        <div class="notice notice--warning" data-stripe-authenticate="" data-publishable-key=a.publishable_key
            data-client-secret=a.client_secret>
            <p>"Your bank asks you to confirm this payment."</p>
            <button class="button button--primary" type="button">"Confirm with your bank"</button>
            <noscript><p>"Confirming needs JavaScript: your bank's check runs in the page."</p></noscript>
        </div>
        <script src=crate::STRIPE_JS nonce=nonce.clone()></script>
        <script src="/stripe-payment.js" nonce=nonce defer=""></script>
    });
    let t = order.totals.clone();
    let lines = order
        .lines
        .iter()
        .map(|l| {
            let title = match &l.variant_title {
                Some(v) => format!("{} ({v}) × {}", l.title, l.quantity),
                None => format!("{} × {}", l.title, l.quantity),
            };
            view! { <li data-sku=l.sku.to_string()><span>{title}</span><span>{format_money(l.line_total)}</span></li> }
        })
        .collect_view();
    let a = order.address.clone();
    view! {
        <Shell site meta>
            <section class="order-confirmation">
                <h1>{if placed { "Thank you for your order" } else { "Your order was cancelled" }}</h1>
                <p class="order-number">"Order " <strong>{order.number.clone()}</strong></p>
                {order.status.is_paid().then(|| view! { <p>{format!("A confirmation is on its way to {}.", order.email)}</p> })}
                <p class="order-status" data-order-status=state>{status}</p>
                {authenticate}
                <div class="checkout">
                    <div>
                        <h2>"Shipping to"</h2>
                        <address>
                            {a.name.clone()}<br/>{a.line1.clone()}<br/>
                            {(!a.line2.is_empty()).then(|| view! { {a.line2.clone()}<br/> })}
                            {format!("{} {} {}", a.city, a.region, a.postal_code)}<br/>{a.country.clone()}
                        </address>
                        <p>{order.shipping_rate.clone()}</p>
                    </div>
                    <aside class="order-summary" aria-label="Order summary">
                        <h2>"Summary"</h2>
                        <ul class="order-summary__lines">{lines}</ul>
                        <p><span>"Subtotal"</span><span>{format_money(t.subtotal)}</span></p>
                        {(t.discount.minor() > 0).then(|| view! { <p><span>"Discount"</span><span>{format!("-{}", format_money(t.discount))}</span></p> })}
                        <p><span>"Shipping"</span><span>{format_money(t.shipping)}</span></p>
                        <p><span>"Tax"</span><span>{format_money(t.tax)}</span></p>
                        <p class="order-summary__total"><span>"Total"</span><strong class="order-total">{format_money(t.total)}</strong></p>
                    </aside>
                </div>
                <p><a class="button" href="/">"Continue shopping"</a></p>
            </section>
        </Shell>
    }
}

#[component]
pub fn OrderLookupPage(site: Site, notice: Option<String>, email: String, number: String) -> impl IntoView {
    let meta = PageMeta {
        title: "Find your order".into(),
        description: "Look up an order with its number and your email address.".into(),
        canonical: Some("/orders/lookup".into()),
        noindex: true,
        ..Default::default()
    };
    view! {
            <Shell site meta>
                <h1>"Find your order"</h1>
                {notice.map(|n| view! { <div class="notice notice--error" role="alert"><p>{n}</p></div> })}
                <form class="checkout-form" method="post" action="/orders/lookup">
    <CsrfField/>
                    <div class="field">
                        <label for="lookup-email">"Email address"</label>
                        <input id="lookup-email" name="email" type="email" value=email required maxlength="254" autocomplete="email"/>
                    </div>
                    <div class="field">
                        <label for="lookup-number">"Order number"</label>
                        <input id="lookup-number" name="number" value=number required maxlength="20" placeholder="FL-XXXXX-XXXXX"/>
                    </div>
                    <button class="button button--primary" type="submit">"Find order"</button>
                </form>
            </Shell>
        }
}

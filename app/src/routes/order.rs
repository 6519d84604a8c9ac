//! The order confirmation page and the order lookup form.

use crate::components::address::PostalAddress;
use crate::components::layout::{CsrfField, PageMeta, Shell};
use crate::components::locale::money;
use crate::routes::checkout::{stripe_card_field, stripe_scripts};
use crate::tr;
use leptos::prelude::*;
use shared::orders::{Order, OrderStatus};
use shared::strings::Text;
use shared::Site;

/// What the page of an order still waiting for its Stripe payment needs: the
/// publishable key for Stripe.js, and while the bank asks the shopper to confirm
/// (3-D Secure), the PaymentIntent's client secret that finishes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingPayment {
    pub publishable_key: String,
    pub client_secret: Option<String>,
}

/// While an order waits for its payment: why the last attempt failed, the bank's check
/// if it is waiting for the shopper, and a form to pay with another card.
fn pending_payment(order: &Order, pending: Option<PendingPayment>) -> impl IntoView {
    let error = order.payment.error.clone().map(|e| {
        view! {
            <div class="notice notice--error" role="alert" data-payment-failed="">
                <p><strong>{tr("Your payment did not go through.")}</strong> " " {e}</p>
            </div>
        }
    });
    let payable = pending.map(|p| {
        let authenticate = p.client_secret.map(|secret| view! {
            <div class="notice notice--warning" data-stripe-authenticate="" data-publishable-key=p.publishable_key.clone()
                data-client-secret=secret>
                <p>{tr("Your bank asks you to confirm this payment.")}</p>
                <button class="button button--primary" type="button">{tr("Confirm with your bank")}</button>
                <p class="field-error" data-authenticate-error="" role="alert"></p>
                <noscript><p>{tr("Confirming needs JavaScript: your bank's check runs in the page.")}</p></noscript>
            </div>
        });
        let action = format!("/orders/{}/pay", order.number);
        let pay = crate::trf("Pay {total} with another card", &[("total", &money(order.totals.total))]);
        view! {
            {authenticate}
            <form class="checkout-form" method="post" action=action data-pay-again="">
                <CsrfField/>
                <h2>{tr("Pay with another card")}</h2>
                <input type="hidden" name="token" value=order.token.clone()/>
                {stripe_card_field(&p.publishable_key, order.totals.total, None)}
                <button class="button button--primary" type="submit">{pay}</button>
            </form>
            {stripe_scripts()}
        }
    });
    view! { {error} {payable} }
}

#[component]
pub fn OrderPage(site: Site, order: Order, pending: Option<PendingPayment>) -> impl IntoView {
    let meta = PageMeta {
        title: crate::trf("Order {number}", &[("number", &order.number)]),
        description: "Your order confirmation.".into(),
        noindex: true,
        ..Default::default()
    };
    let status = order.status.shopper_text();
    let state = order.status.as_str();
    let heading = match order.status {
        OrderStatus::PendingPayment => "Your order is waiting for its payment",
        OrderStatus::Cancelled => "Your order was cancelled",
        OrderStatus::Paid | OrderStatus::Fulfilled | OrderStatus::Refunded => "Thank you for your order",
    };
    let waiting = (order.status == OrderStatus::PendingPayment).then(|| pending_payment(&order, pending));
    let cancelled_note = (order.status == OrderStatus::Cancelled).then(|| {
        let note = order.payment.note.clone().unwrap_or_default();
        view! {
            <p class="order-note">{note}</p>
            <p>"If the items came from your cart, they are back in it: " <a href="/cart">"view your cart"</a>"."</p>
        }
    });
    let t = order.totals.clone();
    let lines = order
        .lines
        .iter()
        .map(|l| {
            let title = format!("{} × {}", l.full_title(), l.quantity);
            view! { <li data-sku=l.sku.to_string()><span>{title}</span><span>{money(l.line_total)}</span></li> }
        })
        .collect_view();
    view! {
        <Shell site meta>
            <section class="order-confirmation">
                <h1>{heading}</h1>
                <p class="order-number">"Order " <strong>{order.number.clone()}</strong></p>
                {order.status.is_paid().then(|| view! { <p>{crate::trf("A confirmation is on its way to {email}.", &[("email", &order.email)])}</p> })}
                <p class="order-status" data-order-status=state>{status}</p>
                {cancelled_note}
                {waiting}
                <div class="checkout">
                    <div>
                        <h2>{tr("Shipping to")}</h2>
                        <PostalAddress address=order.address.clone()/>
                        <p>{order.totals.shipping_name.clone().unwrap_or_else(|| order.shipping_rate.clone())}</p>
                    </div>
                    <aside class="order-summary" aria-label=tr("Order summary")>
                        <h2>{tr("Summary")}</h2>
                        <ul class="order-summary__lines">{lines}</ul>
                        <p><span>{tr("Subtotal")}</span><span>{money(t.subtotal)}</span></p>
                        {(t.discount.minor() > 0).then(|| view! { <p><span>{tr("Discount")}</span><span>{format!("-{}", money(t.discount))}</span></p> })}
                        <p><span>{tr("Shipping")}</span><span>{money(t.shipping)}</span></p>
                        <p><span>{tr("Tax")}</span><span>{money(t.tax)}</span></p>
                        <p class="order-summary__total"><span>{tr("Total")}</span><strong class="order-total">{money(t.total)}</strong></p>
                    </aside>
                </div>
                <p><a class="button" href="/">{tr("Continue shopping")}</a></p>
            </section>
        </Shell>
    }
}

#[component]
pub fn OrderLookupPage(site: Site, notice: Option<Text>, email: String, number: String) -> impl IntoView {
    let meta = PageMeta {
        title: tr("Find your order"),
        description: "Look up an order with its number and your email address.".into(),
        canonical: Some("/orders/lookup".into()),
        noindex: true,
        ..Default::default()
    };
    view! {
            <Shell site meta>
                <h1>{tr("Find your order")}</h1>
                {notice.map(|n| view! { <div class="notice notice--error" role="alert"><p>{crate::say(&n)}</p></div> })}
                <form class="checkout-form" method="post" action="/orders/lookup">
    <CsrfField/>
                    <div class="field">
                        <label for="lookup-email">{tr("Email address")}</label>
                        <input id="lookup-email" name="email" type="email" value=email required maxlength="254" autocomplete="email"/>
                    </div>
                    <div class="field">
                        <label for="lookup-number">{tr("Order number")}</label>
                        <input id="lookup-number" name="number" value=number required maxlength="20" placeholder="FL-XXXXX-XXXXX"/>
                    </div>
                    <button class="button button--primary" type="submit">{tr("Find order")}</button>
                </form>
            </Shell>
        }
}

//! The checkout: contact, shipping address, shipping method, then review and payment.
//! Each step is a plain form; earlier steps stay editable; the order summary beside the
//! form shows every amount as the server computed it.

use crate::components::address::{address_fields, PostalAddress};
use crate::components::layout::{CsrfField, PageMeta, Shell};
use crate::components::locale::money;
use crate::{say, tr};
use leptos::prelude::*;
use shared::checkout::{AddressInput, FieldError, Totals};
use shared::customers::SavedAddress;
use shared::payments::{TEST_CARD_APPROVED, TEST_CARD_DECLINED, TEST_CARD_TRANSIENT};
use shared::settings::ShippingRate;
use shared::strings::Text;
use shared::{Money, PricedCart, Site};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckoutStep {
    Contact,
    Address,
    Shipping,
    Review,
}

impl CheckoutStep {
    fn label(self) -> String {
        match self {
            CheckoutStep::Contact => tr("Contact"),
            CheckoutStep::Address => tr("Address"),
            CheckoutStep::Shipping => tr("Shipping"),
            CheckoutStep::Review => tr("Review and pay"),
        }
    }

    fn slug(self) -> &'static str {
        match self {
            CheckoutStep::Contact => "contact",
            CheckoutStep::Address => "address",
            CheckoutStep::Shipping => "shipping",
            CheckoutStep::Review => "review",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CheckoutView {
    pub step: CheckoutStep,
    pub cart: PricedCart,
    pub totals: Totals,
    pub email: String,
    pub address: AddressInput,
    /// ISO codes the shop ships to.
    pub countries: Vec<String>,
    pub rates: Vec<ShippingRate>,
    pub chosen_rate: Option<String>,
    pub errors: Vec<FieldError>,
    pub notice: Option<Text>,
    /// A fresh idempotency key for the payment form.
    pub idempotency_key: String,
    /// SKUs asking for more than is available, with what is available.
    pub short: BTreeMap<String, u32>,
    pub payment: PaymentForm,
    /// The signed-in customer's saved addresses (none for a guest), offered at the
    /// address step; `signed_in`: the address form offers to save what is typed.
    pub saved_addresses: Vec<SavedAddress>,
    pub signed_in: bool,
}

/// How the payment step takes the card.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PaymentForm {
    /// The built-in test provider's plain card field (works without JavaScript).
    #[default]
    TestCard,
    /// Stripe's Payment Element, with the account's publishable key (`None`: the shop
    /// is set up for Stripe without one, so nothing can be paid yet).
    Stripe { publishable_key: Option<String> },
    /// No payment provider is configured (a deployed shop before the merchant chose
    /// one): nothing can be paid, and the page says so.
    Unavailable,
}

/// Where Stripe.js is loaded from (Stripe requires it be loaded from there, never bundled).
pub const STRIPE_JS: &str = "https://js.stripe.com/v3/";

#[component]
pub fn CheckoutPage(site: Site, view: CheckoutView) -> impl IntoView {
    let meta = PageMeta {
        title: tr("Checkout"),
        description: tr("Pay for your order."),
        canonical: Some("/checkout".into()),
        noindex: true,
        ..Default::default()
    };
    let step = view.step;
    let steps = [CheckoutStep::Contact, CheckoutStep::Address, CheckoutStep::Shipping, CheckoutStep::Review]
        .into_iter()
        .map(|s| {
            let current = (s == step).then_some("step");
            if s < step {
                let href = format!("/checkout?step={}", s.slug());
                view! { <li class="steps__done"><a href=href>{s.label()}</a></li> }.into_any()
            } else {
                view! { <li aria-current=current>{s.label()}</li> }.into_any()
            }
        })
        .collect_view();
    let notice = view
        .notice
        .clone()
        .map(|n| view! { <div class="notice notice--error" role="alert"><p>{say(&n)}</p></div> });
    let form = match step {
        CheckoutStep::Contact => contact_form(&view).into_any(),
        CheckoutStep::Address => address_form(&view).into_any(),
        CheckoutStep::Shipping => shipping_form(&view).into_any(),
        CheckoutStep::Review => review_form(&view).into_any(),
    };
    view! {
        <Shell site meta>
            <h1>{tr("Checkout")}</h1>
            <nav aria-label=tr("Checkout steps")><ol class="steps">{steps}</ol></nav>
            {notice}
            <div class="checkout">
                <div class="checkout__form">{form}</div>
                {summary(&view)}
            </div>
        </Shell>
    }
}

fn contact_form(view: &CheckoutView) -> impl IntoView {
    let error = view.errors.iter().find(|e| e.field == "email").map(|e| crate::say(&e.message));
    let invalid = error.as_ref().map(|_| "true");
    view! {
            <form class="checkout-form" method="post" action="/checkout/contact">
    <CsrfField/>
                <h2>{tr("Contact")}</h2>
                <div class="field">
                    <label for="email">{tr("Email address")}</label>
                    <input id="email" name="email" type="email" value=view.email.clone() autocomplete="email" required maxlength="254"
                        aria-invalid=invalid aria-describedby=error.as_ref().map(|_| "email-error")/>
                    {error.map(|m| view! { <p class="field-error" id="email-error">{m}</p> })}
                    <p class="field-hint">{tr("We send your order confirmation here.")}</p>
                </div>
                <button class="button button--primary" type="submit">{tr("Continue to address")}</button>
            </form>
        }
}

fn address_form(view: &CheckoutView) -> impl IntoView {
    let saved = (!view.saved_addresses.is_empty()).then(|| {
        let choices = view
            .saved_addresses
            .iter()
            .map(|saved| {
                let a = saved.address.clone();
                view! {
                    <li data-saved-address=saved.id.clone()>
                        <form method="post" action="/checkout/address">
                            <CsrfField/>
                            <PostalAddress address=a.clone()/>
                            <input type="hidden" name="name" value=a.name/>
                            <input type="hidden" name="line1" value=a.line1/>
                            <input type="hidden" name="line2" value=a.line2/>
                            <input type="hidden" name="city" value=a.city/>
                            <input type="hidden" name="region" value=a.region/>
                            <input type="hidden" name="postal_code" value=a.postal_code/>
                            <input type="hidden" name="country" value=a.country/>
                            <button class="button" type="submit">{tr("Ship here")}</button>
                        </form>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="saved-addresses" aria-labelledby="saved-heading">
                <h2 id="saved-heading">{tr("Your saved addresses")}</h2>
                <ul class="address-book">{choices}</ul>
                <p class="field-hint">{tr("Or type another address below.")}</p>
            </section>
        }
    });
    let save = view.signed_in.then(|| {
        view! {
            <div class="field field--check">
                <input type="checkbox" id="save_address" name="save_address" value="1" checked/>
                <label for="save_address">{tr("Save this address to my account")}</label>
            </div>
        }
    });
    view! {
            {saved}
            <form class="checkout-form" method="post" action="/checkout/address">
    <CsrfField/>
                <h2>{tr("Shipping address")}</h2>
                {address_fields(&view.address, &view.errors, &view.countries)}
                {save}
                <button class="button button--primary" type="submit">{tr("Continue to shipping")}</button>
            </form>
        }
}

fn shipping_form(view: &CheckoutView) -> impl IntoView {
    let error = view.errors.iter().find(|e| e.field == "rate").map(|e| crate::say(&e.message));
    let first = view.rates.first().map(|r| r.id.clone());
    let chosen = view.chosen_rate.clone().or(first);
    let options = view
        .rates
        .iter()
        .map(|r| {
            let id = format!("rate-{}", r.id);
            let free = r.free_over.map(|t| crate::trf(" · free from {amount}", &[("amount", &money(t))])).unwrap_or_default();
            let text = format!("{} — {}{free}", r.name, money(r.price));
            view! {
                <li>
                    <input type="radio" id=id.clone() name="rate" value=r.id.clone() checked=chosen.as_ref() == Some(&r.id) required/>
                    <label for=id>{text}</label>
                </li>
            }
        })
        .collect_view();
    view! {
            <form class="checkout-form" method="post" action="/checkout/shipping">
    <CsrfField/>
                <fieldset class="rates">
                    <legend>{tr("Shipping method")}</legend>
                    <ul>{options}</ul>
                </fieldset>
                {error.map(|m| view! { <p class="field-error">{m}</p> })}
                <button class="button button--primary" type="submit">{tr("Continue to review")}</button>
            </form>
        }
}

/// The test provider's card field.
fn test_card_field(view: &CheckoutView) -> impl IntoView {
    let error = view.errors.iter().find(|e| e.field == "card").map(|e| crate::say(&e.message));
    view! {
        <div class="field">
            <label for="card">{tr("Card number")}</label>
            <input id="card" name="card" inputmode="numeric" autocomplete="cc-number" required maxlength="23"
                aria-describedby="card-hint"/>
            {error.map(|m| view! { <p class="field-error">{m}</p> })}
            <p class="field-hint" id="card-hint">
                {format!("Test mode: {TEST_CARD_APPROVED} pays, {TEST_CARD_DECLINED} is declined, {TEST_CARD_TRANSIENT} fails as if the provider were down.")}
            </p>
        </div>
    }
}

/// Stripe's Payment Element: `/stripe-payment.js` mounts it, creates the PaymentMethod
/// on submit and puts its id in the form, which then posts as usual. The page adds
/// [`stripe_scripts`] once.
pub fn stripe_card_field(publishable_key: &str, total: Money, error: Option<String>) -> impl IntoView {
    // Stripe.js takes the amount in Stripe's units for the currency, as the server sends it.
    let (amount, currency) = match shared::payments::StripeAmount::from_money(total) {
        Ok(sent) => (sent.value, sent.currency),
        Err(_) => (total.minor(), total.currency().code().to_ascii_lowercase()),
    };
    view! {
        <div class="field" data-stripe-payment="" data-publishable-key=publishable_key.to_string()
            data-amount=amount data-currency=currency>
            <label for="payment-element">{tr("Card")}</label>
            <div id="payment-element" class="payment-element"></div>
            <input type="hidden" name="payment_method" value=""/>
            <p class="field-error" data-payment-error="" role="alert">{error}</p>
            <noscript><p class="notice notice--warning">{tr("Paying by card needs JavaScript: Stripe's secure card form runs in the page.")}</p></noscript>
        </div>
    }
}

/// Stripe.js and the shop's script that drives it (the CSP allows them on Stripe pages).
pub fn stripe_scripts() -> impl IntoView {
    let nonce = use_context::<crate::RenderContext>().map(|c| c.nonce).unwrap_or_default();
    view! {
        <script src=STRIPE_JS nonce=nonce.clone()></script>
        <script src="/stripe-payment.js" nonce=nonce defer=""></script>
    }
}

fn stripe_field(view: &CheckoutView, publishable_key: &str) -> impl IntoView {
    let error = view.errors.iter().find(|e| e.field == "payment_method").map(|e| crate::say(&e.message));
    view! {
        {stripe_card_field(publishable_key, view.totals.total, error)}
        {stripe_scripts()}
    }
}

fn review_form(view: &CheckoutView) -> impl IntoView {
    let a = &view.address;
    let unconfigured =
        matches!(view.payment, PaymentForm::Stripe { publishable_key: None } | PaymentForm::Unavailable);
    let short = !view.short.is_empty() || !view.cart.unavailable.is_empty();
    let blocked = short || unconfigured;
    let field = match &view.payment {
        PaymentForm::TestCard => test_card_field(view).into_any(),
        PaymentForm::Stripe { publishable_key: Some(key) } => stripe_field(view, key).into_any(),
        PaymentForm::Stripe { publishable_key: None } | PaymentForm::Unavailable => view! {
            <p class="notice notice--warning">{tr("Card payments are not set up in this shop yet, so orders cannot be paid for now.")}</p>
        }.into_any(),
    };
    let pay = crate::trf("Pay {total}", &[("total", &money(view.totals.total))]);
    let address =
        format!("{}, {}, {} {} {}, {}", a.name, a.line1, a.city, a.region, a.postal_code, a.country);
    view! {
            <div class="checkout-review">
                <h2>{tr("Review")}</h2>
                <dl class="review-list">
                    <dt>{tr("Contact")}</dt><dd>{view.email.clone()} " " <a href="/checkout?step=contact">{tr("Change")}</a></dd>
                    <dt>{tr("Ship to")}</dt><dd>{address} " " <a href="/checkout?step=address">{tr("Change")}</a></dd>
                    <dt>{tr("Method")}</dt><dd>{view.totals.shipping_name.clone().unwrap_or_default()} " " <a href="/checkout?step=shipping">{tr("Change")}</a></dd>
                </dl>
                {short.then(|| view! {
                    <p class="notice notice--warning">{tr("Some items are no longer available in the quantity you chose. ")}<a href="/cart">{tr("Update your cart")}</a>{tr(" to continue.")}</p>
                })}
                <form class="checkout-form" method="post" action="/checkout/complete">
    <CsrfField/>
                    <h2>{tr("Payment")}</h2>
                    <input type="hidden" name="idempotency_key" value=view.idempotency_key.clone()/>
                    <input type="hidden" name="expected_total" value=view.totals.total.minor()/>
                    {field}
                    <button class="button button--primary button--wide" type="submit" disabled=blocked>{pay}</button>
                </form>
            </div>
        }
}

fn summary(view: &CheckoutView) -> impl IntoView {
    let t = &view.totals;
    let lines = view
        .cart
        .lines
        .iter()
        .map(|l| {
            let title = match &l.variant_title {
                Some(v) => format!("{} ({v}) × {}", l.title, l.quantity),
                None => format!("{} × {}", l.title, l.quantity),
            };
            view! { <li><span>{title}</span><span>{money(l.line_total)}</span></li> }
        })
        .collect_view();
    let discount = (t.discount.minor() > 0).then(|| {
        view! { <p><span>{crate::trf("Discount ({code})", &[("code", &t.discount_code.clone().unwrap_or_default())])}</span><span>{format!("-{}", money(t.discount))}</span></p> }
    });
    let shipping = if t.shipping_name.is_some() { money(t.shipping) } else { "Next step".to_string() };
    let tax_label = match (&t.tax_name, t.tax_rate) {
        (Some(name), Some(rate)) => format!("{name} ({rate})"),
        _ => "Tax".to_string(),
    };
    view! {
        <aside class="order-summary" aria-label=tr("Order summary")>
            <h2>{tr("Order summary")}</h2>
            <ul class="order-summary__lines">{lines}</ul>
            <p><span>{tr("Subtotal")}</span><span>{money(t.subtotal)}</span></p>
            {discount}
            <p><span>{tr("Shipping")}</span><span>{shipping}</span></p>
            <p><span>{tax_label}</span><span class="checkout-tax">{money(t.tax)}</span></p>
            <p class="order-summary__total"><span>{tr("Total")}</span><strong class="checkout-total">{money(t.total)}</strong></p>
        </aside>
    }
}

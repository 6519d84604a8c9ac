//! The checkout: contact, shipping address, shipping method, then review and payment.
//! Each step is a plain form; earlier steps stay editable; the order summary beside the
//! form shows every amount as the server computed it.

use crate::components::layout::{CsrfField, PageMeta, Shell};
use leptos::prelude::*;
use shared::checkout::{AddressInput, FieldError, Totals};
use shared::payments::{TEST_CARD_APPROVED, TEST_CARD_DECLINED, TEST_CARD_TRANSIENT};
use shared::settings::ShippingRate;
use shared::{format_money, Money, PricedCart, Site};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckoutStep {
    Contact,
    Address,
    Shipping,
    Review,
}

impl CheckoutStep {
    fn label(self) -> &'static str {
        match self {
            CheckoutStep::Contact => "Contact",
            CheckoutStep::Address => "Address",
            CheckoutStep::Shipping => "Shipping",
            CheckoutStep::Review => "Review and pay",
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
    pub notice: Option<String>,
    /// A fresh idempotency key for the payment form.
    pub idempotency_key: String,
    /// SKUs asking for more than is available, with what is available.
    pub short: BTreeMap<String, u32>,
    pub payment: PaymentForm,
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

fn country_name(code: &str) -> &str {
    match code {
        "US" => "United States",
        "CA" => "Canada",
        "DE" => "Germany",
        "FR" => "France",
        "NL" => "Netherlands",
        "IE" => "Ireland",
        "ES" => "Spain",
        "IT" => "Italy",
        "GB" => "United Kingdom",
        other => other,
    }
}

/// A labelled text field with its error, if any.
fn field(
    id: &'static str,
    label: &'static str,
    value: String,
    errors: &[FieldError],
    autocomplete: &'static str,
    required: bool,
) -> impl IntoView {
    let error = errors.iter().find(|e| e.field == id).map(|e| e.message.clone());
    let error_id = format!("{id}-error");
    let described = error.as_ref().map(|_| error_id.clone());
    let invalid = error.as_ref().map(|_| "true");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id value=value autocomplete=autocomplete required=required maxlength="120"
                aria-invalid=invalid aria-describedby=described/>
            {error.map(|message| view! { <p class="field-error" id=error_id>{message}</p> })}
        </div>
    }
}

#[component]
pub fn CheckoutPage(site: Site, view: CheckoutView) -> impl IntoView {
    let meta = PageMeta {
        title: "Checkout".into(),
        description: "Pay for your order.".into(),
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
        .map(|n| view! { <div class="notice notice--error" role="alert"><p>{n}</p></div> });
    let form = match step {
        CheckoutStep::Contact => contact_form(&view).into_any(),
        CheckoutStep::Address => address_form(&view).into_any(),
        CheckoutStep::Shipping => shipping_form(&view).into_any(),
        CheckoutStep::Review => review_form(&view).into_any(),
    };
    view! {
        <Shell site meta>
            <h1>"Checkout"</h1>
            <nav aria-label="Checkout steps"><ol class="steps">{steps}</ol></nav>
            {notice}
            <div class="checkout">
                <div class="checkout__form">{form}</div>
                {summary(&view)}
            </div>
        </Shell>
    }
}

fn contact_form(view: &CheckoutView) -> impl IntoView {
    let error = view.errors.iter().find(|e| e.field == "email").map(|e| e.message.clone());
    let invalid = error.as_ref().map(|_| "true");
    view! {
            <form class="checkout-form" method="post" action="/checkout/contact">
    <CsrfField/>
                <h2>"Contact"</h2>
                <div class="field">
                    <label for="email">"Email address"</label>
                    <input id="email" name="email" type="email" value=view.email.clone() autocomplete="email" required maxlength="254"
                        aria-invalid=invalid aria-describedby=error.as_ref().map(|_| "email-error")/>
                    {error.map(|m| view! { <p class="field-error" id="email-error">{m}</p> })}
                    <p class="field-hint">"We send your order confirmation here."</p>
                </div>
                <button class="button button--primary" type="submit">"Continue to address"</button>
            </form>
        }
}

fn address_form(view: &CheckoutView) -> impl IntoView {
    let a = &view.address;
    let e = &view.errors;
    let country_error = e.iter().find(|x| x.field == "country").map(|x| x.message.clone());
    let options = view
        .countries
        .iter()
        .map(|c| view! { <option value=c.clone() selected=*c == a.country>{country_name(c).to_string()}</option> })
        .collect_view();
    view! {
            <form class="checkout-form" method="post" action="/checkout/address">
    <CsrfField/>
                <h2>"Shipping address"</h2>
                {field("name", "Full name", a.name.clone(), e, "name", true)}
                {field("line1", "Street address", a.line1.clone(), e, "address-line1", true)}
                {field("line2", "Apartment, suite (optional)", a.line2.clone(), e, "address-line2", false)}
                {field("city", "City", a.city.clone(), e, "address-level2", true)}
                {field("region", "State, province or region", a.region.clone(), e, "address-level1", false)}
                {field("postal_code", "Postal code", a.postal_code.clone(), e, "postal-code", true)}
                <div class="field">
                    <label for="country">"Country"</label>
                    <select id="country" name="country" autocomplete="country" required>{options}</select>
                    {country_error.map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
                <button class="button button--primary" type="submit">"Continue to shipping"</button>
            </form>
        }
}

fn shipping_form(view: &CheckoutView) -> impl IntoView {
    let error = view.errors.iter().find(|e| e.field == "rate").map(|e| e.message.clone());
    let first = view.rates.first().map(|r| r.id.clone());
    let chosen = view.chosen_rate.clone().or(first);
    let options = view
        .rates
        .iter()
        .map(|r| {
            let id = format!("rate-{}", r.id);
            let free = r.free_over.map(|t| format!(" · free from {}", format_money(t))).unwrap_or_default();
            let text = format!("{} — {}{free}", r.name, format_money(r.price));
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
                    <legend>"Shipping method"</legend>
                    <ul>{options}</ul>
                </fieldset>
                {error.map(|m| view! { <p class="field-error">{m}</p> })}
                <button class="button button--primary" type="submit">"Continue to review"</button>
            </form>
        }
}

/// The test provider's card field.
fn test_card_field(view: &CheckoutView) -> impl IntoView {
    let error = view.errors.iter().find(|e| e.field == "card").map(|e| e.message.clone());
    view! {
        <div class="field">
            <label for="card">"Card number"</label>
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
            <label for="payment-element">"Card"</label>
            <div id="payment-element" class="payment-element"></div>
            <input type="hidden" name="payment_method" value=""/>
            <p class="field-error" data-payment-error="" role="alert">{error}</p>
            <noscript><p class="notice notice--warning">"Paying by card needs JavaScript: Stripe's secure card form runs in the page."</p></noscript>
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
    let error = view.errors.iter().find(|e| e.field == "payment_method").map(|e| e.message.clone());
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
            <p class="notice notice--warning">"Card payments are not set up in this shop yet, so orders cannot be paid for now."</p>
        }.into_any(),
    };
    let pay = format!("Pay {}", format_money(view.totals.total));
    let address =
        format!("{}, {}, {} {} {}, {}", a.name, a.line1, a.city, a.region, a.postal_code, a.country);
    view! {
            <div class="checkout-review">
                <h2>"Review"</h2>
                <dl class="review-list">
                    <dt>"Contact"</dt><dd>{view.email.clone()} " " <a href="/checkout?step=contact">"Change"</a></dd>
                    <dt>"Ship to"</dt><dd>{address} " " <a href="/checkout?step=address">"Change"</a></dd>
                    <dt>"Method"</dt><dd>{view.totals.shipping_name.clone().unwrap_or_default()} " " <a href="/checkout?step=shipping">"Change"</a></dd>
                </dl>
                {short.then(|| view! {
                    <p class="notice notice--warning">"Some items are no longer available in the quantity you chose. "<a href="/cart">"Update your cart"</a>" to continue."</p>
                })}
                <form class="checkout-form" method="post" action="/checkout/complete">
    <CsrfField/>
                    <h2>"Payment"</h2>
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
            view! { <li><span>{title}</span><span>{format_money(l.line_total)}</span></li> }
        })
        .collect_view();
    let discount = (t.discount.minor() > 0).then(|| {
        view! { <p><span>{format!("Discount ({})", t.discount_code.clone().unwrap_or_default())}</span><span>{format!("-{}", format_money(t.discount))}</span></p> }
    });
    let shipping = if t.shipping_name.is_some() { format_money(t.shipping) } else { "Next step".to_string() };
    let tax_label = match (&t.tax_name, t.tax_rate) {
        (Some(name), Some(rate)) => format!("{name} ({rate})"),
        _ => "Tax".to_string(),
    };
    view! {
        <aside class="order-summary" aria-label="Order summary">
            <h2>"Order summary"</h2>
            <ul class="order-summary__lines">{lines}</ul>
            <p><span>"Subtotal"</span><span>{format_money(t.subtotal)}</span></p>
            {discount}
            <p><span>"Shipping"</span><span>{shipping}</span></p>
            <p><span>{tax_label}</span><span class="checkout-tax">{format_money(t.tax)}</span></p>
            <p class="order-summary__total"><span>"Total"</span><strong class="checkout-total">{format_money(t.total)}</strong></p>
        </aside>
    }
}

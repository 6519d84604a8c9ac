//! The customer's account, without a password: the sign-in form (a link by email), the
//! page a link opens (one button, so a mail scanner fetching the link signs no one in),
//! a refused link, and the account page — order history, saved addresses, signing out
//! (here or everywhere) and deleting the account. Every form works without JavaScript.

use crate::components::address::{address_fields, PostalAddress};
use crate::components::layout::{CsrfField, PageMeta, Shell};
use crate::components::locale::{date, money};
use crate::{say, tr};
use leptos::prelude::*;
use shared::checkout::{AddressInput, FieldError};
use shared::customers::{Account, LinkRefusal, MAX_ADDRESSES};
use shared::mail::SIGN_IN_LINK_MINUTES;
use shared::orders::Order;
use shared::strings::Text;
use shared::Site;

/// What the sign-in page says above its form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInNotice {
    /// A link went to this address.
    Sent(String),
    /// The session ended (signed out, or everywhere, or the account deleted).
    SignedOut(Text),
    Refused(LinkRefusal),
    Error(Text),
}

fn meta(title: String, canonical: Option<&str>) -> PageMeta {
    PageMeta {
        title,
        description: tr("Sign in with a link sent to your email: your orders and saved addresses."),
        canonical: canonical.map(str::to_string),
        noindex: true,
        ..Default::default()
    }
}

/// The email field and button that ask for a sign-in link.
fn link_form(email: String, error: Option<Text>) -> impl IntoView {
    let invalid = error.as_ref().map(|_| "true");
    view! {
        <form class="checkout-form" method="post" action="/account/sign-in" data-sign-in="">
            <CsrfField/>
            <div class="field">
                <label for="account-email">{tr("Email address")}</label>
                <input id="account-email" name="email" type="email" value=email autocomplete="email" required
                    maxlength="254" aria-invalid=invalid aria-describedby="account-email-hint"/>
                {error.map(|m| view! { <p class="field-error">{say(&m)}</p> })}
                <p class="field-hint" id="account-email-hint">
                    {crate::trf("We email you a link that signs you in, valid for {minutes} minutes. No password needed.", &[("minutes", &SIGN_IN_LINK_MINUTES.to_string())])}
                </p>
            </div>
            <button class="button button--primary" type="submit">{tr("Email me a sign-in link")}</button>
        </form>
    }
}

#[component]
pub fn SignInPage(site: Site, notice: Option<SignInNotice>, email: String) -> impl IntoView {
    let (heading, body, form_error) = match notice {
        None => (tr("Sign in"), None, None),
        Some(SignInNotice::Sent(to)) => (
            tr("Check your email"),
            Some(view! {
                <div class="notice notice--done" role="status" data-link-sent="">
                    <p>{crate::trf("We sent a sign-in link to {to}. It works once, for {minutes} minutes.", &[("to", &to), ("minutes", &SIGN_IN_LINK_MINUTES.to_string())])}</p>
                    <p>{tr("No email? Check your spam folder, or ask for another link below.")}</p>
                </div>
            }
            .into_any()),
            None,
        ),
        Some(SignInNotice::SignedOut(message)) => (
            tr("Sign in"),
            Some(view! { <div class="notice" role="status" data-signed-out=""><p>{say(&message)}</p></div> }.into_any()),
            None,
        ),
        Some(SignInNotice::Refused(refusal)) => {
            let (heading, message) = refusal.shopper_text();
            (
                say(&heading),
                Some(view! {
                    <div class="notice notice--error" role="alert" data-link-refused=format!("{refusal:?}").to_lowercase()>
                        <p>{say(&message)}</p>
                    </div>
                }
                .into_any()),
                None,
            )
        }
        Some(SignInNotice::Error(message)) => (tr("Sign in"), None, Some(message)),
    };
    view! {
        <Shell site meta=meta(tr("Sign in"), Some("/account"))>
            <section class="account">
                <h1>{heading}</h1>
                {body}
                <p>{tr("Sign in to see your orders and keep your addresses for checkout.")}</p>
                {link_form(email, form_error)}
            </section>
        </Shell>
    }
}

/// What a sign-in link opens: one button that uses it.
#[component]
pub fn VerifyLinkPage(site: Site, token: String) -> impl IntoView {
    let store = site.store.name.clone();
    view! {
        <Shell site meta=meta(tr("Sign in"), None)>
            <section class="account">
                <h1>{crate::trf("Sign in to {store}", &[("store", &store)])}</h1>
                <form class="checkout-form" method="post" action="/account/verify" data-verify="">
                    <CsrfField/>
                    <input type="hidden" name="t" value=token/>
                    <button class="button button--primary" type="submit">{tr("Sign in")}</button>
                </form>
                <p class="field-hint">{tr("The link works once: it signs in the browser that presses this button.")}</p>
            </section>
        </Shell>
    }
}

/// The account page.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountView {
    pub account: Account,
    /// Orders placed with the account's address, newest first.
    pub orders: Vec<Order>,
    /// What the address form was sent with, and what needs fixing in it.
    pub address: AddressInput,
    pub errors: Vec<FieldError>,
    pub countries: Vec<String>,
    pub notice: Option<Text>,
}

fn history(orders: &[Order]) -> AnyView {
    if orders.is_empty() {
        return view! { <p data-no-orders="">{tr("No orders with this email address yet.")}</p> }.into_any();
    }
    let rows = orders
        .iter()
        .map(|o| {
            let href = format!("/orders/{}?token={}", o.number, o.token);
            view! {
                <tr data-order=o.number.clone()>
                    <td><a href=href>{o.number.clone()}</a></td>
                    <td>{date(o.created_at_ms)}</td>
                    <td>{o.status.merchant_text()}</td>
                    <td class="num">{money(o.totals.total)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="admin-table account-orders">
            <thead><tr><th>{tr("Order")}</th><th>{tr("Placed")}</th><th>{tr("State")}</th><th class="num">{tr("Total")}</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn AccountPage(site: Site, view: AccountView) -> impl IntoView {
    let AccountView { account, orders, address, errors, countries, notice } = view;
    let saved = account
        .addresses
        .iter()
        .map(|saved| {
            let action = format!("/account/addresses/{}/delete", saved.id);
            view! {
                <li data-saved-address=saved.id.clone()>
                    <PostalAddress address=saved.address.clone()/>
                    <form method="post" action=action>
                        <CsrfField/>
                        <button class="button button--link" type="submit">{tr("Remove")}</button>
                    </form>
                </li>
            }
        })
        .collect_view();
    let no_addresses = account
        .addresses
        .is_empty()
        .then(|| view! { <p>{tr("No saved addresses. Addresses you save here or at checkout are offered at checkout.")}</p> });
    let full = account.addresses.len() >= MAX_ADDRESSES;
    let add_form = if full {
        view! { <p>{crate::trf("Your address book is full ({count} addresses): remove one to add another.", &[("count", &MAX_ADDRESSES.to_string())])}</p> }
            .into_any()
    } else {
        view! {
            <form class="checkout-form" method="post" action="/account/addresses" data-add-address="">
                <CsrfField/>
                <h3>{tr("Add an address")}</h3>
                {address_fields(&address, &errors, &countries)}
                <button class="button" type="submit">{tr("Save address")}</button>
            </form>
        }
        .into_any()
    };
    let since = date(account.created_at_ms);
    view! {
        <Shell site meta=meta(tr("Your account"), Some("/account"))>
            <section class="account" data-account=account.email.clone()>
                <h1>{tr("Your account")}</h1>
                {notice.map(|n| view! { <div class="notice" role="status"><p>{say(&n)}</p></div> })}
                <p>{crate::trf("Signed in as {email} · customer since {since}", &[("email", &account.email), ("since", &since)])}</p>
                <h2>{tr("Orders")}</h2>
                {history(&orders)}
                <h2>{tr("Saved addresses")}</h2>
                {no_addresses}
                <ul class="address-book">{saved}</ul>
                {add_form}
                <h2>{tr("Sign out")}</h2>
                <div class="account-actions">
                    <form method="post" action="/account/sign-out">
                        <CsrfField/>
                        <button class="button" type="submit">{tr("Sign out")}</button>
                    </form>
                    <form method="post" action="/account/sign-out-everywhere">
                        <CsrfField/>
                        <button class="button" type="submit">{tr("Sign out on every device")}</button>
                    </form>
                </div>
                <h2>{tr("Delete your account")}</h2>
                <form class="checkout-form" method="post" action="/account/delete" data-delete-account="">
                    <CsrfField/>
                    <p>"Deleting your account removes your saved addresses and signs you out everywhere. \
                        Your orders stay with the shop (it needs them for deliveries, returns and its books), \
                        no longer linked to an account."</p>
                    <div class="field field--check">
                        <input type="checkbox" id="confirm-delete" name="confirm" value="delete" required/>
                        <label for="confirm-delete">{tr("Yes, delete my account")}</label>
                    </div>
                    <button class="button button--danger" type="submit">{tr("Delete account")}</button>
                </form>
            </section>
        </Shell>
    }
}

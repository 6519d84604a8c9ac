//! The customer's account pages (`/account`): asking for a sign-in link, the page the
//! link opens and the button that uses it, the account page (order history, saved
//! addresses) and its forms. Every page is `no-store`; every form is a shopper form
//! (the visitor's session's CSRF token) answered `303` or re-rendered with what needs
//! fixing. Who is signed in comes from the customer cookie ([`customer_session`]),
//! checked against the account's object on each request.

use crate::catalog::CatalogReader;
use crate::customer_session;
use crate::customers::{Change, Customers};
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy, Fields};
use crate::limits;
use crate::security;
use crate::session::Session;
use app::{render_document, AccountPage, AccountView, SignInNotice, SignInPage, VerifyLinkPage};
use leptos::prelude::*;
use shared::checkout::{shippable_countries, AddressInput, Email, FieldError};
use shared::customers::{is_hex, Account, LinkRefusal, LinkToken, SessionRef};
use shared::mail::Words;
use shared::strings::Text;
use worker::{Env, Method, Request, Response};

/// Every account page and form.
pub enum AccountRoute<'a> {
    Show,
    RequestLink,
    OpenLink,
    UseLink,
    SignOut,
    SignOutEverywhere,
    AddAddress,
    RemoveAddress(&'a str),
    Delete,
}

/// The account's route table (the paths after `/account`).
pub fn route<'a>(method: &Method, rest: &'a [&'a str]) -> Option<AccountRoute<'a>> {
    use Method::{Get, Head, Post};
    Some(match (method, rest) {
        (Get | Head, []) => AccountRoute::Show,
        (Post, ["sign-in"]) => AccountRoute::RequestLink,
        (Get | Head, ["verify"]) => AccountRoute::OpenLink,
        (Post, ["verify"]) => AccountRoute::UseLink,
        (Post, ["sign-out"]) => AccountRoute::SignOut,
        (Post, ["sign-out-everywhere"]) => AccountRoute::SignOutEverywhere,
        (Post, ["addresses"]) => AccountRoute::AddAddress,
        (Post, ["addresses", id, "delete"]) => AccountRoute::RemoveAddress(id),
        (Post, ["delete"]) => AccountRoute::Delete,
        _ => return None,
    })
}

/// Why the visitor is on the sign-in page after their session ended (`?ended=`).
fn ended_notice(query: &Fields) -> Option<SignInNotice> {
    Some(SignInNotice::SignedOut(match query.get("ended")? {
        "signed-out" => Text::new("You are signed out."),
        "everywhere" => Text::new("You are signed out on every device."),
        "deleted" => Text::new(
            "Your account is deleted. Your orders stay with the shop, no longer linked to an account.",
        ),
        "expired" => Text::new("Your session ended. Sign in again to see your account."),
        _ => return None,
    }))
}

pub async fn handle(
    mut req: Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    session: &Session,
    route: AccountRoute<'_>,
) -> AppResult<Response> {
    let customers = Customers::new(env, catalog.caller(env));
    let who = customer_session::of(&req, env);
    match route {
        AccountRoute::Show => show(&req, catalog, &customers, who).await,
        AccountRoute::OpenLink => {
            let query = Fields::parse(http::query_string(&req).as_bytes())?;
            match query.get("t").and_then(LinkToken::parse) {
                Some(token) => {
                    let site = (*catalog.site().await?).clone();
                    let token = token.as_text();
                    page(&req, catalog, 200, move || view! { <VerifyLinkPage site token/> }).await
                }
                None => {
                    sign_in_page(&req, catalog, 400, Some(SignInNotice::Refused(LinkRefusal::Unknown))).await
                }
            }
        }
        AccountRoute::RequestLink => {
            let form = security::read_form(&mut req, session).await?;
            request_link(&req, env, catalog, &customers, &form).await
        }
        AccountRoute::UseLink => {
            let form = security::read_form(&mut req, session).await?;
            limits::check(env, &req, limits::Scope::CustomerSignIn).await?;
            let Some(token) = form.get("t").and_then(LinkToken::parse) else {
                return sign_in_page(&req, catalog, 400, Some(SignInNotice::Refused(LinkRefusal::Unknown)))
                    .await;
            };
            match customers.redeem(&token).await? {
                Ok((signed_in, _)) => {
                    let resp = http::see_other("/account")?;
                    resp.headers().append("set-cookie", &customer_session::start(&req, env, &signed_in)?)?;
                    Ok(resp)
                }
                Err(refusal) => {
                    let status = match refusal {
                        LinkRefusal::Unknown => 400,
                        LinkRefusal::Used | LinkRefusal::Expired => 410,
                    };
                    sign_in_page(&req, catalog, status, Some(SignInNotice::Refused(refusal))).await
                }
            }
        }
        AccountRoute::SignOut => {
            security::read_form(&mut req, session).await?;
            if let Some(who) = &who {
                customers.sign_out(who).await?;
            }
            ended(&req, "signed-out")
        }
        AccountRoute::SignOutEverywhere => {
            security::read_form(&mut req, session).await?;
            match &who {
                Some(who) => {
                    customers.sign_out_everywhere(who).await?;
                    ended(&req, "everywhere")
                }
                None => ended(&req, "expired"),
            }
        }
        AccountRoute::AddAddress => {
            let form = security::read_form(&mut req, session).await?;
            let Some(who) = who else { return ended(&req, "expired") };
            add_address(&req, catalog, &customers, &who, &form).await
        }
        AccountRoute::RemoveAddress(id) => {
            security::read_form(&mut req, session).await?;
            if !is_hex(id, 32) {
                return Err(AppError::NotFound);
            }
            let Some(who) = who else { return ended(&req, "expired") };
            match customers.remove_address(&who, id).await? {
                Change::Done | Change::Full => http::see_other("/account"),
                Change::SignedOut => ended(&req, "expired"),
            }
        }
        AccountRoute::Delete => {
            let form = security::read_form(&mut req, session).await?;
            let Some(who) = who else { return ended(&req, "expired") };
            if form.get("confirm") != Some("delete") {
                let Some(account) = customers.account(&who).await? else { return ended(&req, "expired") };
                let notice = Some(Text::new("Tick “Yes, delete my account” to delete it."));
                return account_page(&req, catalog, &customers, account, AddressForm::default(), notice, 422)
                    .await;
            }
            match customers.delete(&who).await? {
                true => ended(&req, "deleted"),
                false => ended(&req, "expired"),
            }
        }
    }
}

/// Renders a page, `no-store`.
async fn page<F, V>(req: &Request, catalog: &CatalogReader<'_>, status: u16, view: F) -> AppResult<Response>
where
    F: FnOnce() -> V + 'static,
    V: IntoView + 'static,
{
    let context = security::request_context(catalog, req).await;
    http::html(render_document(context, view), status, CachePolicy::NoStore)
}

async fn sign_in_page(
    req: &Request,
    catalog: &CatalogReader<'_>,
    status: u16,
    notice: Option<SignInNotice>,
) -> AppResult<Response> {
    let site = (*catalog.site().await?).clone();
    page(req, catalog, status, move || view! { <SignInPage site notice email=String::new()/> }).await
}

/// Off to the sign-in page, with this browser's customer cookie ended.
fn ended(req: &Request, why: &str) -> AppResult<Response> {
    let resp = http::see_other(&format!("/account?ended={why}"))?;
    resp.headers().append("set-cookie", &customer_session::end(req))?;
    Ok(resp)
}

/// What the add-address form was sent with.
#[derive(Default)]
struct AddressForm {
    input: AddressInput,
    errors: Vec<FieldError>,
}

async fn account_page(
    req: &Request,
    catalog: &CatalogReader<'_>,
    customers: &Customers<'_>,
    account: Account,
    form: AddressForm,
    notice: Option<Text>,
    status: u16,
) -> AppResult<Response> {
    let orders = customers.orders(&account).await?;
    let site = (*catalog.site().await?).clone();
    let countries = shippable_countries(&*catalog.settings().await?);
    let view = AccountView { account, orders, address: form.input, errors: form.errors, countries, notice };
    page(req, catalog, status, move || view! { <AccountPage site view/> }).await
}

async fn show(
    req: &Request,
    catalog: &CatalogReader<'_>,
    customers: &Customers<'_>,
    who: Option<SessionRef>,
) -> AppResult<Response> {
    let query = Fields::parse(http::query_string(req).as_bytes())?;
    let Some(who) = who else { return sign_in_page(req, catalog, 200, ended_notice(&query)).await };
    match customers.account(&who).await? {
        Some(account) => {
            account_page(req, catalog, customers, account, AddressForm::default(), None, 200).await
        }
        // Signed out elsewhere (or deleted): this browser's cookie goes too.
        None => {
            let resp = sign_in_page(
                req,
                catalog,
                200,
                Some(SignInNotice::SignedOut(Text::new("Your session ended. Sign in again."))),
            )
            .await?;
            resp.headers().append("set-cookie", &customer_session::end(req))?;
            Ok(resp)
        }
    }
}

async fn request_link(
    req: &Request,
    env: &Env,
    catalog: &CatalogReader<'_>,
    customers: &Customers<'_>,
    form: &Fields,
) -> AppResult<Response> {
    let typed = form.get("email").unwrap_or("");
    let email = match Email::parse(typed) {
        Ok(email) => email,
        Err(error) => {
            let site = (*catalog.site().await?).clone();
            let email: String = typed.chars().take(Email::MAX_LEN).collect();
            let notice = Some(SignInNotice::Error(error.message));
            return page(req, catalog, 422, move || view! { <SignInPage site notice email/> }).await;
        }
    };
    limits::check_sign_in_link(env, req, &email).await?;
    let site = (*catalog.site().await?).clone();
    let site_url = format!("{}{}", http::origin(req), catalog.base_path());
    let language = catalog.language().await;
    let words = Words { language: &language, strings: &site.strings };
    customers.send_link(&email, &site_url, &site.store.name, words).await?;
    let notice = Some(SignInNotice::Sent(email.as_str().to_string()));
    let email = email.as_str().to_string();
    page(req, catalog, 200, move || view! { <SignInPage site notice email/> }).await
}

async fn add_address(
    req: &Request,
    catalog: &CatalogReader<'_>,
    customers: &Customers<'_>,
    who: &SessionRef,
    form: &Fields,
) -> AppResult<Response> {
    let input = AddressInput::from_form(|name| form.get(name));
    let settings = catalog.settings().await?;
    let address = match input.validate(&shippable_countries(&settings)) {
        Ok(address) => address,
        Err(errors) => {
            let Some(account) = customers.account(who).await? else { return ended(req, "expired") };
            return account_page(req, catalog, customers, account, AddressForm { input, errors }, None, 422)
                .await;
        }
    };
    match customers.save_address(who, address).await? {
        Change::Done => http::see_other("/account"),
        Change::SignedOut => ended(req, "expired"),
        Change::Full => {
            let Some(account) = customers.account(who).await? else { return ended(req, "expired") };
            let notice = Some(Text::new("Your address book is full: remove an address to add another."));
            account_page(
                req,
                catalog,
                customers,
                account,
                AddressForm { input, errors: Vec::new() },
                notice,
                409,
            )
            .await
        }
    }
}

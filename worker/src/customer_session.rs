//! A customer's session cookie: `__Host-customer` over https (else `customer`), holding
//! the account's key and the session's id until an expiry, signed with
//! `SIGNING_SECRET`; HttpOnly and `SameSite=Lax` (a link in an email arrives signed in).
//! A genuine cookie only says who the visitor claims to be: the account's object says
//! whether that session is still live (signing out everywhere ends it at once).

use crate::error::AppResult;
use crate::http::{self, SameSite};
use crate::signing::Signer;
use crate::timing::now_seconds;
use shared::customers::{SessionRef, SESSION_SECONDS};
use worker::{Env, Request};

const PURPOSE: &str = "customer-session";

fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-customer"
    } else {
        "customer"
    }
}

/// The customer the request's cookie names, if the cookie is genuine and unexpired.
pub fn of(req: &Request, env: &Env) -> Option<SessionRef> {
    let value = http::cookie(req, cookie_name(http::is_https(req)))?;
    let signer = Signer::from_env(env).ok()?;
    SessionRef::parse(&signer.unseal(PURPOSE, &value, "", now_seconds())?)
}

/// The `Set-Cookie` value that starts `who`'s session.
pub fn start(req: &Request, env: &Env, who: &SessionRef) -> AppResult<String> {
    let signer = Signer::from_env(env)?;
    let expires = now_seconds().saturating_add(SESSION_SECONDS);
    let value = signer.seal(PURPOSE, expires, &who.as_text(), "");
    let https = http::is_https(req);
    Ok(http::set_cookie(cookie_name(https), &value, SESSION_SECONDS, https, SameSite::Lax))
}

/// The `Set-Cookie` value that ends the session on this browser.
pub fn end(req: &Request) -> String {
    let https = http::is_https(req);
    http::set_cookie(cookie_name(https), "", 0, https, SameSite::Lax)
}

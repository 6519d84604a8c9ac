//! The visitor's session: the cart id, in a signed cookie (`{id}.{HMAC}`; `__Host-cart`
//! with `Secure` over https, else `cart`), HttpOnly and SameSite=Lax. A forged or
//! tampered cookie is ignored. Catalog pages only read a session ([`Session::existing`]):
//! a visitor without one gets the same page as every other, and nothing is minted. The
//! other pages and the forms start one ([`Session::of`]); the response that started it
//! sets its cookie.

use crate::error::{AppError, AppResult};
use crate::http;
use crate::random;
use crate::signing::Signer;
use shared::CartId;
use worker::Request;

/// Thirty days.
const CART_COOKIE_MAX_AGE: u64 = 60 * 60 * 24 * 30;

pub struct Session {
    pub id: CartId,
    pub is_new: bool,
    pub csrf: String,
    /// The `Set-Cookie` value that starts a new session.
    pub new_cookie: Option<String>,
}

impl Session {
    /// The session the request's cookie carries, if it is genuine; never a new one.
    pub fn existing(req: &Request, signer: &Signer) -> Option<Session> {
        Session::cookie(req).and_then(|value| Session::from_cookie(&value, signer))
    }

    /// The request's session cookie, genuine or not, if it carries one.
    pub fn cookie(req: &Request) -> Option<String> {
        http::cookie(req, cookie_name(http::is_https(req)))
    }

    /// The session a cookie value carries, if it is genuine.
    pub fn from_cookie(value: &str, signer: &Signer) -> Option<Session> {
        let id = signer.verify_cart_token(value)?;
        Some(Session { csrf: signer.csrf_token(&id), id, is_new: false, new_cookie: None })
    }

    /// The request's session, or a new one whose cookie the response sets.
    pub fn of(req: &Request, signer: &Signer) -> AppResult<Session> {
        if let Some(session) = Session::existing(req, signer) {
            return Ok(session);
        }
        let id = CartId::from_random_bytes(random::random_16().map_err(AppError::Internal)?);
        let new_cookie = Some(cookie_value(http::is_https(req), signer, &id));
        Ok(Session { csrf: signer.csrf_token(&id), id, is_new: true, new_cookie })
    }
}

fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-cart"
    } else {
        "cart"
    }
}

/// The `Set-Cookie` value carrying a session.
fn cookie_value(https: bool, signer: &Signer, id: &CartId) -> String {
    http::set_cookie(
        cookie_name(https),
        &signer.cart_token(id),
        CART_COOKIE_MAX_AGE,
        https,
        http::SameSite::Lax,
    )
}

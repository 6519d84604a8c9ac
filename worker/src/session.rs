//! The visitor's session: the cart id, in a signed cookie (`{id}.{HMAC}`; `__Host-cart`
//! with `Secure` over https, else `cart`), HttpOnly and SameSite=Lax. A forged or
//! tampered cookie is ignored and a new session starts; its cookie is set by the first
//! page of the session (whose forms carry its CSRF token).

use crate::error::{AppError, AppResult};
use crate::http;
use crate::random;
use crate::signing::Signer;
use shared::CartId;
use worker::Request;

/// Thirty days.
const CART_COOKIE_MAX_AGE: u32 = 60 * 60 * 24 * 30;

pub struct Session {
    pub id: CartId,
    pub is_new: bool,
    pub csrf: String,
    /// The `Set-Cookie` value that starts a new session.
    pub new_cookie: Option<String>,
}

impl Session {
    pub fn of(req: &Request, signer: &Signer) -> AppResult<Session> {
        let https = http::is_https(req);
        let known = http::cookie(req, cookie_name(https)).and_then(|v| signer.verify_cart_token(&v));
        let (id, is_new) = match known {
            Some(id) => (id, false),
            None => (CartId::from_random_bytes(random::random_16().map_err(AppError::Internal)?), true),
        };
        let new_cookie = is_new.then(|| cookie_value(https, signer, &id));
        Ok(Session { csrf: signer.csrf_token(&id), id, is_new, new_cookie })
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
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{}={}; Path=/; Max-Age={CART_COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax{secure}",
        cookie_name(https),
        signer.cart_token(id)
    )
}

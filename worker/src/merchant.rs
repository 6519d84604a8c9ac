//! The merchant's way in. The admin token (`ADMIN_TOKEN`, a secret of at least 16
//! characters) is the JSON API's bearer token, and what `/admin/sign-in` exchanges for a
//! session: a cookie (`__Host-admin` over https, else `admin`) holding an expiry and a
//! random id, signed with `SIGNING_SECRET` and bound to the admin token (a new token
//! ends every session), HttpOnly and `SameSite=Strict`. Each session's forms carry a
//! CSRF token derived from its id. The sign-in form has its own: a short-lived signed
//! cookie the form must match (double submit), so even signing in cannot be forged
//! from another site. With no admin token configured, nobody gets in.

use crate::bindings;
use crate::error::{AppError, AppResult};
use crate::http;
use crate::random;
use crate::signing::{constant_time_eq, Signer};
use crate::timing::now_seconds;
use std::rc::Rc;
use worker::{Env, Request};

/// How long a merchant stays signed in.
pub const SESSION_SECONDS: u64 = 8 * 60 * 60;
/// How long a sign-in form stays good.
const SIGN_IN_SECONDS: u64 = 30 * 60;

/// The admin token, if one is configured (and long enough to be one).
fn admin_token(env: &Env) -> AppResult<Rc<str>> {
    bindings::text(env, bindings::ADMIN_TOKEN).filter(|t| t.len() >= 16).ok_or_else(|| {
        AppError::Unauthorized(
            "The merchant area is not configured: set the ADMIN_TOKEN secret (16 characters or more).".into(),
        )
    })
}

/// Whether `given` is the admin token (compared in constant time).
pub fn is_admin_token(env: &Env, given: &str) -> AppResult<bool> {
    Ok(constant_time_eq(admin_token(env)?.as_bytes(), given.trim().as_bytes()))
}

/// The JSON API's check: `Authorization: Bearer <ADMIN_TOKEN>`.
pub fn authorize_bearer(req: &Request, env: &Env) -> AppResult<()> {
    if is_admin_token(env, &http::bearer(req).unwrap_or_default())? {
        Ok(())
    } else {
        Err(AppError::Unauthorized("The merchant API needs `Authorization: Bearer <ADMIN_TOKEN>`.".into()))
    }
}

fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-admin"
    } else {
        "admin"
    }
}

fn sign_in_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-admin-sign-in"
    } else {
        "admin-sign-in"
    }
}

fn cookie(name: &str, value: &str, max_age: u64, https: bool) -> String {
    http::set_cookie(name, value, max_age, https, http::SameSite::Strict)
}

/// The id a signed value carries (32 hex digits), if it is genuine and unexpired.
fn verify(signer: &Signer, purpose: &str, value: &str, token: &str) -> Option<String> {
    signer.unseal(purpose, value, token, now_seconds()).filter(|id| shared::customers::is_hex(id, 32))
}

/// A signed-in merchant.
pub struct AdminSession {
    /// What this session's forms carry.
    pub csrf: String,
}

impl AdminSession {
    /// The session the request's cookie carries, if it is genuine and unexpired.
    pub fn of(req: &Request, env: &Env) -> Option<AdminSession> {
        let value = http::cookie(req, session_cookie_name(http::is_https(req)))?;
        let signer = Signer::from_env(env).ok()?;
        let token = admin_token(env).ok()?;
        let id = verify(&signer, "admin-session", &value, &token)?;
        Some(AdminSession { csrf: signer.mac("admin-csrf", &id) })
    }
}

/// The `Set-Cookie` values that start a session (and drop the sign-in form's cookie).
pub fn start_session(req: &Request, env: &Env) -> AppResult<[String; 2]> {
    let https = http::is_https(req);
    let signer = Signer::from_env(env)?;
    let token = admin_token(env)?;
    let expires = now_seconds().saturating_add(SESSION_SECONDS);
    let value = signer.seal("admin-session", expires, &random::hex_id()?, &token);
    Ok([
        cookie(session_cookie_name(https), &value, SESSION_SECONDS, https),
        cookie(sign_in_cookie_name(https), "", 0, https),
    ])
}

/// The `Set-Cookie` value that ends a session.
pub fn end_session(req: &Request) -> String {
    let https = http::is_https(req);
    cookie(session_cookie_name(https), "", 0, https)
}

/// The sign-in form's CSRF token, and the cookie it must match when a new one was made.
pub struct SignInForm {
    pub csrf: String,
    pub new_cookie: Option<String>,
}

/// The sign-in form's token: the one of the request's sign-in cookie if it is still
/// good, else a new one with its cookie.
pub fn sign_in_form(req: &Request, env: &Env) -> AppResult<SignInForm> {
    let https = http::is_https(req);
    let signer = Signer::from_env(env)?;
    let token = admin_token(env)?;
    if let Some(id) = http::cookie(req, sign_in_cookie_name(https))
        .and_then(|v| verify(&signer, "admin-sign-in", &v, &token))
    {
        return Ok(SignInForm { csrf: signer.mac("admin-sign-in-csrf", &id), new_cookie: None });
    }
    let id = random::hex_id()?;
    let value = signer.seal("admin-sign-in", now_seconds().saturating_add(SIGN_IN_SECONDS), &id, &token);
    Ok(SignInForm {
        csrf: signer.mac("admin-sign-in-csrf", &id),
        new_cookie: Some(cookie(sign_in_cookie_name(https), &value, SIGN_IN_SECONDS, https)),
    })
}

/// Whether a sign-in form's token matches the request's sign-in cookie.
pub fn sign_in_form_genuine(req: &Request, env: &Env, form_csrf: &str) -> AppResult<bool> {
    let signer = Signer::from_env(env)?;
    let token = admin_token(env)?;
    let id = http::cookie(req, sign_in_cookie_name(http::is_https(req)))
        .and_then(|v| verify(&signer, "admin-sign-in", &v, &token));
    Ok(id.is_some_and(|id| {
        constant_time_eq(signer.mac("admin-sign-in-csrf", &id).as_bytes(), form_csrf.as_bytes())
    }))
}

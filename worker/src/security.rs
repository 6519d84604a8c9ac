//! Response security and form protection.
//!
//! - **CSP with a per-response nonce.** Pages are rendered (and page-cached) with a
//!   placeholder nonce; every response gets a fresh one, in the page and in the
//!   `Content-Security-Policy` header. Pages without islands allow no script at all;
//!   island pages allow only the nonced loader (`'strict-dynamic'`, plus
//!   `'wasm-unsafe-eval'` for the Wasm).
//! - **CSRF.** Every state-changing form carries a token bound to the visitor's session
//!   (an HMAC of the session id, filled into pages per response like the nonce), and
//!   requests whose `Sec-Fetch-Site` or `Origin` shows another site are refused. A
//!   visitor without a session (catalog pages start none) has no token to send: its
//!   first write is taken only when the browser says the form came from this very
//!   origin (`Sec-Fetch-Site: same-origin`, or an `Origin` equal to ours), as OWASP's
//!   Fetch Metadata defence describes, and that write starts the session.
//! - **Headers**: `X-Content-Type-Options`, `Referrer-Policy`, `frame-ancestors` and
//!   `X-Frame-Options`, `Permissions-Policy`, `Cross-Origin-Opener-Policy`, and HSTS
//!   over https.

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, Fields};
use crate::random;
use crate::session::Session;
use crate::signing::constant_time_eq;
use shared::strings::Text;
use worker::{Headers, Request};

/// What pages are rendered with in place of the nonce and the CSRF token.
pub const NONCE_PLACEHOLDER: &str = "nonce-placeholder-4f8c2d1a9e7b";
pub const CSRF_PLACEHOLDER: &str = "csrf-placeholder-b71e0c55d3a8";

/// What pages are rendered with: the catalog's version and edition, and placeholders
/// that [`finish_page`] fills per response. `path` is the request's (`/fr-ca/cart`).
pub async fn render_context(catalog: &CatalogReader<'_>, origin: &str, path: &str) -> app::RenderContext {
    // The edition's interface strings (a page whose site document cannot be read is an
    // error page, in English).
    let strings = catalog.site().await.map(|site| site.strings.clone()).unwrap_or_default();
    let base = catalog.base_path();
    let within = match path.strip_prefix(base.as_str()) {
        Some("") => "/",
        Some(rest) if !base.is_empty() && rest.starts_with('/') => rest,
        _ => path,
    };
    app::RenderContext {
        catalog_version: catalog.version().to_string(),
        origin: origin.to_string(),
        nonce: NONCE_PLACEHOLDER.to_string(),
        csrf: CSRF_PLACEHOLDER.to_string(),
        language: catalog.language().await.to_string(),
        path: within.to_string(),
        base,
        strings: std::sync::Arc::new(strings),
    }
}

/// [`render_context`] for the page `req` asks for.
pub async fn request_context(catalog: &CatalogReader<'_>, req: &Request) -> app::RenderContext {
    render_context(catalog, &http::origin(req), &req.path()).await
}

/// 16 random bytes, base64url: a CSP nonce.
pub fn fresh_nonce() -> AppResult<String> {
    let bytes = random::random_16().map_err(AppError::Internal)?;
    Ok(crate::signing::base64url(&bytes))
}

/// Fills a page's placeholders for this response (one pass, one new string: it runs for
/// every page served).
pub fn finish_page(body: &str, nonce: &str, csrf: &str) -> String {
    shared::text::replace_all(body, &[(NONCE_PLACEHOLDER, nonce), (CSRF_PLACEHOLDER, csrf)])
}

/// Set by a handler whose page runs Stripe.js (the payment step, an order awaiting the
/// bank's check); [`apply_headers`] widens that page's CSP for Stripe and drops it.
pub const STRIPE_PAGE: &str = "x-storefront-stripe-page";

/// What a page that runs Stripe.js may load besides the shop itself, as Stripe documents
/// for Stripe.js and the Payment Element: its script, its frames (the card fields, the
/// bank's check) and its API.
const STRIPE_SCRIPT: &str = "https://js.stripe.com";
const STRIPE_FRAMES: &str = "https://js.stripe.com https://hooks.stripe.com";
const STRIPE_CONNECT: &str = "https://api.stripe.com";
const STRIPE_IMAGES: &str = "https://*.stripe.com";

/// Headers every response gets; `html` adds the CSP (with scripts only if `nonce` is
/// given, and Stripe's origins only if the handler marked the page with [`STRIPE_PAGE`]).
pub fn apply_headers(headers: &Headers, https: bool, html: bool, nonce: Option<&str>) -> AppResult<()> {
    let stripe = headers.get(STRIPE_PAGE)?.is_some();
    headers.delete(STRIPE_PAGE)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "strict-origin-when-cross-origin")?;
    headers.set("x-frame-options", "DENY")?;
    headers.set("cross-origin-opener-policy", "same-origin")?;
    let payment = if stripe { "payment=(self \"https://js.stripe.com\")" } else { "payment=()" };
    headers.set("permissions-policy", &format!("camera=(), microphone=(), geolocation=(), {payment}"))?;
    if https {
        headers.set("strict-transport-security", "max-age=31536000; includeSubDomains")?;
    }
    if html {
        // Stripe's script is nonced like ours; its host is listed too for browsers
        // without 'strict-dynamic'.
        let scripts = match (nonce, stripe) {
            (Some(n), true) => {
                format!("script-src 'nonce-{n}' 'strict-dynamic' 'wasm-unsafe-eval' {STRIPE_SCRIPT}")
            }
            (Some(n), false) => format!("script-src 'nonce-{n}' 'strict-dynamic' 'wasm-unsafe-eval'"),
            (None, _) => "script-src 'none'".to_string(),
        };
        let (frames, connect, images) = if stripe {
            (
                format!("frame-src {STRIPE_FRAMES}; "),
                format!(" {STRIPE_CONNECT}"),
                format!(" {STRIPE_IMAGES}"),
            )
        } else {
            (String::new(), String::new(), String::new())
        };
        let upgrade = if https { "; upgrade-insecure-requests" } else { "" };
        headers.set(
            "content-security-policy",
            &format!(
                "default-src 'self'; {scripts}; {frames}style-src 'self'; img-src 'self' data:{images}; \
                 font-src 'self'; connect-src 'self'{connect}; object-src 'none'; base-uri 'none'; \
                 form-action 'self'; frame-ancestors 'none'{upgrade}"
            ),
        )?;
    }
    Ok(())
}

/// Whether the request came from this site, by the headers browsers send. Requests with
/// neither header (scripts, old browsers) pass on to the token check.
fn same_site(req: &Request) -> bool {
    let fetch_site = req.headers().get("sec-fetch-site").ok().flatten();
    if let Some(site) = fetch_site {
        if !matches!(site.as_str(), "same-origin" | "none") {
            return false;
        }
    }
    match req.headers().get("origin").ok().flatten() {
        Some(origin) => origin == http::origin(req),
        None => true,
    }
}

/// Reads a state-changing form: refused (403) when it comes from another site or lacks
/// this session's token. Every form handler reads its form through here.
pub async fn read_form(req: &mut Request, session: &Session) -> AppResult<Fields> {
    let form = http::read_form(req).await?;
    check_form(req, &form, session)?;
    Ok(form)
}

/// Reads a merchant form (`/admin`): refused (403) when it comes from another site or
/// lacks `expected`, the token of the merchant's session (or of the sign-in form).
pub async fn read_merchant_form(req: &mut Request, expected: &str) -> AppResult<Fields> {
    let form = http::read_form(req).await?;
    check_merchant_form(req, &form, expected)?;
    Ok(form)
}

/// See [`read_merchant_form`] (for a form already read).
pub fn check_merchant_form(req: &Request, form: &Fields, expected: &str) -> AppResult<()> {
    if !same_site(req) {
        return Err(AppError::Forbidden(Text::new(
            "This form was sent from another site, so it was not accepted.",
        )));
    }
    let token = form.get("csrf").unwrap_or("");
    if expected.is_empty() || !constant_time_eq(token.as_bytes(), expected.as_bytes()) {
        return Err(AppError::Forbidden(
            "This form is out of date or your session ended. Go back, reload the page, and try again.".into(),
        ));
    }
    Ok(())
}

/// Whether the browser itself says the request came from this origin.
fn same_origin_proven(req: &Request) -> bool {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    header("sec-fetch-site").is_some_and(|site| site == "same-origin")
        || header("origin").is_some_and(|origin| origin == http::origin(req))
}

/// Refuses a form POST from another site, or without this session's token (a new
/// session's first write: without the browser's word that it came from this origin).
fn check_form(req: &Request, form: &Fields, session: &Session) -> AppResult<()> {
    if !same_site(req) {
        return Err(AppError::Forbidden(Text::new(
            "This form was sent from another site, so it was not accepted.",
        )));
    }
    let token = form.get("csrf").unwrap_or("");
    let accepted = if session.is_new {
        same_origin_proven(req)
    } else {
        constant_time_eq(token.as_bytes(), session.csrf.as_bytes())
    };
    if !accepted {
        return Err(AppError::Forbidden(Text::new(
            "Your session expired or this form is out of date. Go back, reload the page, and try again.",
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_get_every_placeholder_filled_and_nothing_else_changed() {
        let page = format!(
            "<script nonce=\"{NONCE_PLACEHOLDER}\">1</script><form><input value=\"{CSRF_PLACEHOLDER}\">\
             </form>é<script nonce=\"{NONCE_PLACEHOLDER}\">2</script><input value=\"{CSRF_PLACEHOLDER}\">end"
        );
        assert_eq!(
            finish_page(&page, "N0nce", "t0ken"),
            "<script nonce=\"N0nce\">1</script><form><input value=\"t0ken\"></form>é<script nonce=\"N0nce\">2</script><input value=\"t0ken\">end"
        );
        assert_eq!(finish_page("no placeholders, ünïcode", "n", "c"), "no placeholders, ünïcode");
        assert_eq!(finish_page("", "n", "c"), "");
        assert_eq!(finish_page(CSRF_PLACEHOLDER, "n", ""), "");
        let both = format!("{CSRF_PLACEHOLDER}{NONCE_PLACEHOLDER}{NONCE_PLACEHOLDER}{CSRF_PLACEHOLDER}");
        assert_eq!(finish_page(&both, "n", "c"), "cnnc");
    }
}

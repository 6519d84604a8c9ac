//! The response pipeline every request goes through:
//!
//! 1. a request id, the visitor's session (signed cart cookie) and its CSRF token;
//! 2. bounds on the address, then one of the two front doors — the shop's pages
//!    (`routes`) or the JSON API (`api`), thin adapters over the services;
//! 3. errors become styled pages (or JSON for the API and scripts) with the right status;
//!    when KV fails, anonymous pages are served stale from the page cache;
//! 4. every page gets a fresh CSP nonce and its session's CSRF token filled in, security
//!    headers, `Server-Timing`, `x-request-id`, and one JSON log line.

use crate::catalog::CatalogReader;
use crate::error::{AppError, AppResult};
use crate::http::{self, CachePolicy};
use crate::page_cache;
use crate::security::{self, NONCE_PLACEHOLDER};
use crate::session::Session;
use crate::signing::Signer;
use crate::timing::{PageCache, Timing};
use app::{render_document, ErrorPage};
use leptos::prelude::*;
use shared::metrics::{Answer, Route};
use shared::{Currency, Site, StoreInfo};
use worker::{console_error, console_log, Context, Env, Method, Request, Response};

/// Longest path and query accepted (anything longer is a 414).
const MAX_PATH: usize = 2_048;
const MAX_QUERY: usize = 4_096;

/// A request id: Cloudflare's ray id when there is one, else 64 random bits.
fn request_id(req: &Request) -> String {
    if let Ok(Some(ray)) = req.headers().get("cf-ray") {
        return ray;
    }
    crate::random::random_16().map(|b| shared::ids::hex(b.get(..8).unwrap_or_default())).unwrap_or_default()
}

/// Which route answered, for the log (no ids or query strings in it).
fn route_name(segments: &[&str]) -> String {
    match segments {
        [""] => "home".into(),
        ["api", "v1", first, ..] => format!("api:{first}"),
        [first, ..] => (*first).to_string(),
        [] => "home".into(),
    }
}

pub async fn handle(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let timing = Timing::start();
    let path = req.path();
    let method = req.method();
    let origin = http::origin(&req);
    let https = http::is_https(&req);
    let id = request_id(&req);
    // Webhooks are machine calls like the API: no session, JSON errors.
    let is_api = path.starts_with("/api/") || path.starts_with("/webhooks/");
    let wants_json = is_api || http::wants_json(&req);
    if path == "/livez" {
        return livez(&timing, &id);
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // An edition's pages are under its segment (`/fr-ca/products/…`); the routes see the
    // path within the edition.
    // API calls name theirs in the query (`?edition=fr-ca`).
    let (edition, segments) = if is_api { (api_edition(&req), segments) } else { split_edition(segments) };

    // The API authenticates with bearer tokens; catalog pages read a cookie session but
    // never start one (the same page for every visitor without a cart); everything else
    // has one, new if need be.
    let session = if is_api || crate::routes::is_merchant_page(&segments) {
        None
    } else if crate::routes::is_catalog_page(&segments) {
        // Most catalog visitors have no cart: no key is derived for them.
        Session::cookie(&req).and_then(|value| {
            Signer::from_env(&env).ok().and_then(|signer| Session::from_cookie(&value, &signer))
        })
    } else {
        Signer::from_env(&env).and_then(|s| Session::of(&req, &s)).ok()
    };
    let (catalog, open_error) = match CatalogReader::open(&env, &timing).await {
        Ok(catalog) => (Some(catalog), None),
        Err(e) => (None, Some(e)),
    };
    let edition_check = match &catalog {
        Some(c) => c.has_edition(&edition).await,
        None => Ok(true),
    };
    let known_edition = matches!(edition_check, Ok(true));
    let catalog = catalog.map(|c| if known_edition { c.in_edition(&edition) } else { c });
    let result = if path.len() > MAX_PATH || http::query_string(&req).len() > MAX_QUERY {
        Err(AppError::UriTooLong)
    } else if let Err(e) = edition_check {
        Err(e)
    } else if !known_edition && is_api {
        Err(AppError::BadRequest(
            format!("The shop has no edition `{edition}`; the site document lists its editions' segments.")
                .into(),
        ))
    } else if !known_edition || (!edition.is_empty() && !is_api && !edition_route(&segments)) {
        Err(AppError::NotFound)
    } else if path == "/healthz" {
        health(catalog.as_ref(), open_error.as_ref())
    } else if path.len() > 1 && path.ends_with('/') {
        trailing_slash(&req, &path)
    } else {
        match (&catalog, open_error) {
            (Some(catalog), _) => dispatch(req, &env, &ctx, catalog, &segments, session.as_ref()).await,
            (None, Some(e)) => Err(e),
            (None, None) => Err(AppError::Internal("the catalog reader did not open".into())),
        }
    };
    // When KV fails, an anonymous page is served from its last rendered copy, if any.
    let result = match result {
        Err(AppError::Unavailable(message)) if method == Method::Get && !is_api => {
            match page_cache::lookup(&page_cache::last_key(&path, "")).await {
                Some((content_type, body)) => {
                    timing.stale.set(true);
                    http::body_response(&content_type, body, 200, CachePolicy::NoStore, None)
                }
                None => Err(AppError::Unavailable(message)),
            }
        }
        other => other,
    };
    let error_code = result.as_ref().err().map(AppError::code);
    let result = match (result, catalog.as_ref()) {
        (Ok(response), Some(c)) if !c.edition().is_empty() => in_edition(response, &c.base_path()),
        (other, _) => other,
    };
    let response = respond(result, catalog.as_ref(), &timing, &origin, &path, wants_json).await?;
    let response = finish(response, session.as_ref(), https, catalog.as_ref(), &timing, &id).await?;
    if crate::metrics::enabled(&env) {
        record(&segments, &method, &response, &timing);
        crate::metrics::send_soon(&env, &ctx);
    }
    let sample = if response.status_code() == 200 && timing.was_hit() { logged_hit(&env) } else { Some(1) };
    if let Some(sample) = sample.filter(|_| request_log_enabled(&env)) {
        console_log!(
            "{}",
            timing.log_line(
                &id,
                method.as_ref(),
                &path,
                &route_name(&segments),
                response.status_code(),
                error_code,
                sample,
            )
        );
    }
    Ok(response)
}

/// Adds an answered request to this isolate's metrics (in memory; sent later).
fn record(segments: &[&str], method: &Method, response: &Response, timing: &Timing) {
    let status = response.status_code();
    let html =
        response.headers().get("content-type").ok().flatten().is_some_and(|t| t.starts_with("text/html"));
    let page_cache_hit = match timing.page_cache.get() {
        PageCache::Hit | PageCache::Revalidated => Some(true),
        PageCache::Miss => Some(false),
        PageCache::Bypass => None,
    };
    let answer = Answer {
        status,
        ms: timing.elapsed_ms(),
        page_view: *method == Method::Get && status == 200 && html,
        page_cache_hit,
    };
    crate::metrics::request(Route::of(segments), answer);
}

thread_local! {
    /// Full-page-cache hits this isolate served since it last logged one.
    static HITS_UNLOGGED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether this full-page-cache hit gets a log line: one in `LOG_HITS_EVERY` (10 by
/// default) does, standing for that many (`Some(n)`). A hit is the cheapest request the
/// shop serves, and writing its line cost more than serving it; errors, misses, writes
/// and API calls are always logged.
fn logged_hit(env: &Env) -> Option<u32> {
    let every = crate::bindings::number(env, crate::bindings::LOG_HITS_EVERY)
        .filter(|n| *n >= 1)
        .map_or(DEFAULT_LOG_HITS_EVERY, |n| u32::try_from(n).unwrap_or(u32::MAX));
    HITS_UNLOGGED.with(|unlogged| {
        let seen = unlogged.get().saturating_add(1);
        if seen >= every {
            unlogged.set(0);
            Some(every)
        } else {
            unlogged.set(seen);
            None
        }
    })
}

/// See [`logged_hit`].
const DEFAULT_LOG_HITS_EVERY: u32 = 10;

/// Whether every request gets its JSON log line (`REQUEST_LOG = "off"` turns them off;
/// warnings and errors are logged either way).
fn request_log_enabled(env: &Env) -> bool {
    !crate::bindings::is(env, crate::bindings::REQUEST_LOG, "off")
}

/// A path's edition and the segments within it: `/fr-ca/products/x` is
/// (`fr-ca`, [`products`, `x`]), `/fr-ca` is (`fr-ca`, [``]); a path whose first
/// segment is not shaped like an edition's is in the default one (``).
fn split_edition(segments: Vec<&str>) -> (String, Vec<&str>) {
    match segments.split_first() {
        Some((first, rest)) if shared::markets::Edition::parse_segment(first).is_some() => {
            let rest = if rest.is_empty() { vec![""] } else { rest.to_vec() };
            (first.to_string(), rest)
        }
        _ => (String::new(), segments),
    }
}

/// The edition an API call names with `?edition=` (empty: the default edition). A value
/// not shaped like one is kept, to be answered as an unknown edition.
fn api_edition(req: &Request) -> String {
    http::Fields::pairs(http::query_string(req).as_bytes())
        .into_iter()
        .find(|(name, _)| name == "edition")
        .map(|(_, value)| value)
        .unwrap_or_default()
}

/// Whether a route is served in every edition: the shop's pages are; the merchant's
/// area, the crawler files at the root, and the static files are not.
fn edition_route(segments: &[&str]) -> bool {
    !matches!(segments, ["admin", ..] | ["robots.txt"] | ["sitemap.xml"] | ["livez" | "healthz"])
}

/// A response of an edition's page: a redirect to a shop path stays in the edition.
fn in_edition(response: Response, base: &str) -> AppResult<Response> {
    if let Ok(Some(location)) = response.headers().get("location") {
        let local = shared::markets::path_in_edition(base, &location);
        if local != location {
            response.headers().set("location", &local)?;
        }
    }
    Ok(response)
}

/// `/livez`: the worker answers at all. Nothing is read and nothing is logged: this is
/// also the benchmarks' floor, the cost of a request that does no work.
fn livez(timing: &Timing, request_id: &str) -> worker::Result<Response> {
    let headers = worker::Headers::new();
    headers.set("content-type", http::TEXT)?;
    headers.set("cache-control", "no-store")?;
    security::apply_headers(&headers, false, false, None)
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    headers.set("x-request-id", request_id)?;
    headers.set("server-timing", &format!("total;dur={:.1}", timing.elapsed_ms()))?;
    Ok(Response::ok("ok")?.with_headers(headers))
}

/// `/healthz`: 200 while pages can be served ("degraded" when KV is down but a
/// remembered version serves), 503 when no catalog can be read.
fn health(catalog: Option<&CatalogReader<'_>>, open_error: Option<&AppError>) -> AppResult<Response> {
    let (status, body) = match (catalog, open_error) {
        (Some(c), _) if !c.timing().stale.get() => (
            200,
            serde_json::json!({ "status": "ok", "catalog_version": c.version(), "kv_ms": c.timing().kv_ms.get() }),
        ),
        (Some(c), _) => (
            200,
            serde_json::json!({
                "status": "degraded",
                "catalog_version": c.version(),
                "problem": "KV is not answering; pages come from memory and their last good copies",
            }),
        ),
        (None, e) => (
            503,
            serde_json::json!({ "status": "down", "problem": e.map(|e| e.public_text().1.english()).unwrap_or_default() }),
        ),
    };
    http::json(&body, status, CachePolicy::NoStore)
}

/// One canonical URL per page: `/cart/` → `/cart`.
fn trailing_slash(req: &Request, path: &str) -> AppResult<Response> {
    let query = http::query_string(req);
    let mut target = path.trim_end_matches('/').to_string();
    if target.is_empty() {
        target.push('/');
    }
    if !query.is_empty() {
        target.push('?');
        target.push_str(&query);
    }
    http::permanent_redirect(&target)
}

/// The two front doors: the JSON API under `/api/v1`, the shop's pages everywhere else.
async fn dispatch(
    req: Request,
    env: &Env,
    ctx: &Context,
    catalog: &CatalogReader<'_>,
    segments: &[&str],
    session: Option<&Session>,
) -> AppResult<Response> {
    // workers-rs reads a method it does not know as GET: the raw method then differs.
    let known_method = req.method().as_ref() == req.inner().method();
    if let ["api", "v1", rest @ ..] = segments {
        if !known_method {
            return Err(crate::api::not_answered(rest));
        }
        return crate::api::handle(req, env, ctx, catalog, rest).await;
    }
    if let ["webhooks", "stripe"] = segments {
        return crate::api::webhooks::stripe(req, env, catalog).await;
    }
    if !known_method {
        return Err(crate::routes::not_answered(segments));
    }
    crate::routes::handle(req, env, ctx, catalog, segments, session).await
}

/// Turns a handler result into a response, rendering errors as pages (or JSON).
async fn respond(
    result: AppResult<Response>,
    catalog: Option<&CatalogReader<'_>>,
    timing: &Timing,
    origin: &str,
    path: &str,
    wants_json: bool,
) -> worker::Result<Response> {
    let error = match result {
        Ok(resp) => return Ok(resp),
        Err(e) => e,
    };
    timing.page_cache.set(PageCache::Bypass);
    if let AppError::Internal(detail) = &error {
        console_error!("internal error: {detail}");
    }
    let allow = match &error {
        AppError::MethodNotAllowed(methods) => Some(methods.clone()),
        _ => None,
    };
    let retry_after = error.retry_after();
    let built = if wants_json {
        let (heading, message) = error.public_text();
        let mut body = serde_json::json!({
            "error": error.code(),
            "title": heading.english(),
            "message": message.english(),
        });
        if let (Some(fields), Some(object)) = (error.fields(), body.as_object_mut()) {
            object.insert("fields".into(), serde_json::to_value(fields).unwrap_or_default());
        }
        http::json(&body, error.status(), CachePolicy::NoStore)
    } else {
        let site = match catalog {
            Some(c) => c.site().await.map(|s| (*s).clone()).unwrap_or_else(|_| fallback_site()),
            None => fallback_site(),
        };
        let context = match catalog {
            Some(c) => security::render_context(c, origin, path).await,
            None => app::RenderContext {
                origin: origin.to_string(),
                nonce: NONCE_PLACEHOLDER.to_string(),
                csrf: security::CSRF_PLACEHOLDER.to_string(),
                ..app::RenderContext::default()
            },
        };
        let status = error.status();
        let (heading, message) = error.public_text();
        let page = render_document(context, move || view! { <ErrorPage site status heading message/> });
        http::html(page, status, CachePolicy::NoStore)
    };
    match built {
        Ok(resp) => {
            if let Some(seconds) = retry_after {
                resp.headers().set("retry-after", &seconds.to_string())?;
            }
            if let Some(methods) = allow {
                resp.headers().set("allow", &methods)?;
            }
            Ok(resp)
        }
        Err(e) => {
            console_error!("could not build the error page: {e}");
            Response::error("Something went wrong on our side.", 500)
        }
    }
}

/// The last step of every response: placeholders, headers, cookie, timing.
async fn finish(
    mut response: Response,
    session: Option<&Session>,
    https: bool,
    catalog: Option<&CatalogReader<'_>>,
    timing: &Timing,
    request_id: &str,
) -> worker::Result<Response> {
    let content_type = response.headers().get("content-type")?.unwrap_or_default();
    let html = content_type.starts_with("text/html");
    let mut nonce = None;
    if html {
        let body = response.text().await?;
        let with_scripts = body.contains(NONCE_PLACEHOLDER);
        let fresh = security::fresh_nonce().map_err(|e| worker::Error::RustError(e.to_string()))?;
        let csrf = session.map(|s| s.csrf.as_str()).unwrap_or("");
        let page = security::finish_page(&body, &fresh, csrf);
        let headers = response.headers().clone();
        response = Response::ok(page)?.with_status(response.status_code()).with_headers(headers);
        nonce = with_scripts.then_some(fresh);
    }
    let headers = response.headers();
    security::apply_headers(headers, https, html, nonce.as_deref())
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    // A new session starts with the response that made it: a page whose forms carry its
    // token, or the visitor's first write.
    if let Some(cookie) = session.and_then(|s| s.new_cookie.as_deref()) {
        headers.append("set-cookie", cookie)?;
    }
    headers.set("server-timing", &timing.header_value())?;
    headers.set("x-request-id", request_id)?;
    if let Some(c) = catalog {
        headers.set("x-catalog-version", c.version())?;
    }
    if timing.stale.get() && headers.get("x-served-stale")?.is_none() {
        headers.set("x-served-stale", "kv-unavailable")?;
    }
    Ok(response)
}

/// The frame used when even the site document cannot be read.
fn fallback_site() -> Site {
    Site {
        store: StoreInfo { name: "Shop".into(), tagline: String::new(), currency: Currency::USD },
        header_menu: vec![],
        footer_menu: vec![],
        editions: vec![],
        strings: Default::default(),
        language: shared::markets::Language::english(),
    }
}

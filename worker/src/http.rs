//! Small HTTP pieces: strict form and query parsing, cookies, and response builders
//! with the headers every answer needs.

use crate::error::{AppError, AppResult};
use worker::{Headers, Method, Request, Response};

/// Forms larger than this are refused with 413 before parsing.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// Named cache policies; every route picks one (never an ad-hoc header string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CachePolicy {
    /// Carts, checkout, forms, errors, anything with a session.
    NoStore,
    /// Catalog pages: fresh for a minute, then served stale while revalidating (by
    /// ETag). Stored in the full-page cache under the catalog version (with
    /// placeholders); `private` to other caches, because each response carries the
    /// visitor's own CSRF token.
    Catalog,
    /// Sitemaps and robots.txt.
    Long,
}

impl CachePolicy {
    pub fn header_value(self) -> &'static str {
        match self {
            CachePolicy::NoStore => "no-store",
            CachePolicy::Catalog => "private, max-age=60, stale-while-revalidate=600",
            CachePolicy::Long => "public, max-age=3600, stale-while-revalidate=86400",
        }
    }
}

/// Name/value pairs of an urlencoded form or query string, parsed strictly: a field
/// sent twice is an error rather than a guess.
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(encoded: &[u8]) -> AppResult<Self> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(encoded) {
            if pairs.iter().any(|(n, _)| n == name.as_ref()) {
                return Err(AppError::BadRequest(
                    format!("The field `{name}` was sent more than once.").into(),
                ));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Fields(pairs))
    }

    /// Every pair of a query string, repeats kept (facet filters repeat: `filter.size=M&filter.size=L`).
    pub fn pairs(encoded: &[u8]) -> Vec<(String, String)> {
        form_urlencoded::parse(encoded).map(|(n, v)| (n.into_owned(), v.into_owned())).collect()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn require(&self, name: &str) -> AppResult<&str> {
        self.get(name).ok_or_else(|| AppError::BadRequest(format!("The field `{name}` is missing.").into()))
    }
}

/// The raw query string of a request (without `?`), without parsing the whole URL.
pub fn query_string(req: &Request) -> String {
    let url = req.inner().url();
    let without_fragment = url.split('#').next().unwrap_or("");
    match without_fragment.split_once('?') {
        Some((_, query)) => query.to_string(),
        None => String::new(),
    }
}

/// `scheme://host[:port]` of the request, for absolute URLs (sitemaps).
pub fn origin(req: &Request) -> String {
    let url = req.inner().url();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url.as_str()));
    let host = rest.split('/').next().unwrap_or_default();
    if scheme.is_empty() {
        host.to_string()
    } else {
        format!("{scheme}://{host}")
    }
}

/// The client's address as Cloudflare reports it (`CF-Connecting-IP`, which clients
/// cannot set through Cloudflare); "unknown" when absent.
pub fn client_ip(req: &Request) -> String {
    req.headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .filter(|ip| ip.len() <= 64)
        .unwrap_or_else(|| "unknown".to_string())
}

pub fn is_https(req: &Request) -> bool {
    req.inner().url().starts_with("https:")
}

/// The request's body, at most `max` bytes: a `Content-Length` over it is refused before
/// anything is read, and a body without one (chunked) is refused as soon as what has
/// streamed in passes `max` — never buffered whole first. 413 either way.
pub async fn read_capped(req: &mut Request, max: usize) -> AppResult<Vec<u8>> {
    use futures_util::StreamExt;
    if let Some(length) = req.headers().get("content-length")? {
        match length.trim().parse::<usize>() {
            Ok(n) if n > max => return Err(AppError::PayloadTooLarge),
            Ok(_) => {}
            Err(_) => return Err(AppError::BadRequest("The Content-Length header is not a number.".into())),
        }
    }
    // No body at all reads as an empty one.
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new());
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest("The request body could not be read.".into()))?;
        if body.len().saturating_add(chunk.len()) > max {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads an urlencoded form body, refusing bodies over [`MAX_FORM_BYTES`] and other
/// content types.
pub async fn read_form(req: &mut Request) -> AppResult<Fields> {
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/x-www-form-urlencoded" {
        return Err(AppError::BadRequest(
            "Send this form as application/x-www-form-urlencoded (a normal HTML form).".into(),
        ));
    }
    Fields::parse(&read_capped(req, MAX_FORM_BYTES).await?)
}

/// Reads a JSON body into `T`, refusing other content types and bodies over
/// [`MAX_FORM_BYTES`]; a body that does not fit `T` is a 400 that says why.
pub async fn read_json<T: serde::de::DeserializeOwned>(req: &mut Request) -> AppResult<T> {
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" {
        return Err(AppError::UnsupportedMediaType("application/json"));
    }
    let body = read_capped(req, MAX_FORM_BYTES).await?;
    serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("The JSON body is not valid here: {e}.").into()))
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(req: &Request) -> Option<String> {
    let header = req.headers().get("authorization").ok().flatten()?;
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

/// The value of one cookie, if the request carries it.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten()?;
    header.split(';').find_map(|pair| {
        let (n, v) = pair.trim().split_once('=')?;
        (n == name).then(|| v.trim().to_string())
    })
}

/// A response's own headers; the security headers every response gets are added on the
/// way out (`security::apply_headers`, in the router's last step).
fn base_headers(content_type: &str, cache: CachePolicy) -> AppResult<Headers> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    headers.set("cache-control", cache.header_value())?;
    Ok(headers)
}

/// How a cookie may travel with requests from other sites.
#[derive(Clone, Copy)]
pub enum SameSite {
    /// Sent on top-level navigations from other sites (a link in an email signs in).
    Lax,
    /// Never sent from other sites.
    Strict,
}

/// A `Set-Cookie` value for the whole shop: HttpOnly, `Secure` over https (where the
/// name should start with `__Host-`), `Max-Age=0` ending it.
pub fn set_cookie(name: &str, value: &str, max_age: u64, https: bool, same_site: SameSite) -> String {
    let secure = if https { "; Secure" } else { "" };
    let same_site = match same_site {
        SameSite::Lax => "Lax",
        SameSite::Strict => "Strict",
    };
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}")
}

/// The `Allow` header of a path: those of `methods` its route table `answers`, in
/// order; `None` when it answers none (no such path).
pub fn allow(methods: &[Method], answers: impl Fn(&Method) -> bool) -> Option<String> {
    let allowed: Vec<&str> = methods.iter().filter(|method| answers(method)).map(Method::as_ref).collect();
    (!allowed.is_empty()).then(|| allowed.join(", "))
}

/// A rendered body: its content type and text.
pub type Rendered = (&'static str, String);

pub const HTML: &str = "text/html; charset=utf-8";
pub const XML: &str = "application/xml; charset=utf-8";
pub const TEXT: &str = "text/plain; charset=utf-8";
pub const JSON: &str = "application/json";

/// Whether the client asked for JSON (scripts) rather than a page (browsers).
pub fn wants_json(req: &Request) -> bool {
    req.headers().get("accept").ok().flatten().is_some_and(|a| a.contains("application/json"))
}

/// A JSON response. `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026`: the
/// same JSON to any parser, but nothing a client sent (echoed in an error message)
/// appears in it as markup, whatever a browser makes of the response.
pub fn json<T: serde::Serialize>(value: &T, status: u16, cache: CachePolicy) -> AppResult<Response> {
    let body = serde_json::to_string(value).map_err(|e| AppError::internal("encoding JSON", e))?;
    body_response(JSON, escape_markup(body), status, cache, None)
}

/// Escapes markup characters of serialized JSON (they only occur inside strings there).
pub fn escape_markup(json: String) -> String {
    if !json.contains(['<', '>', '&']) {
        return json;
    }
    let mut out = String::with_capacity(json.len().saturating_add(16));
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            other => out.push(other),
        }
    }
    out
}

pub fn html(body: String, status: u16, cache: CachePolicy) -> AppResult<Response> {
    body_response(HTML, body, status, cache, None)
}

/// A response of any text type, with an optional ETag.
pub fn body_response(
    content_type: &str,
    body: String,
    status: u16,
    cache: CachePolicy,
    etag: Option<&str>,
) -> AppResult<Response> {
    let headers = base_headers(content_type, cache)?;
    if let Some(tag) = etag {
        headers.set("etag", tag)?;
    }
    Ok(Response::ok(body)?.with_status(status).with_headers(headers))
}

/// 304 Not Modified for a matching `If-None-Match`.
pub fn not_modified(etag: &str, cache: CachePolicy) -> AppResult<Response> {
    let headers = base_headers(HTML, cache)?;
    headers.set("etag", etag)?;
    headers.delete("content-type")?;
    Ok(Response::empty()?.with_status(304).with_headers(headers))
}

/// A redirect to a path on this shop (`shared::url::local_location`: never another
/// site, whatever the path was built from). Every redirect the worker writes goes here.
fn redirect(target: &str, status: u16, cache: CachePolicy) -> AppResult<Response> {
    let location = shared::url::local_location(target);
    let headers = base_headers(TEXT, cache)?;
    headers.set("location", &location)?;
    Ok(Response::ok(format!("See {location}"))?.with_status(status).with_headers(headers))
}

/// 303 See Other: the answer to a successful form POST.
pub fn see_other(location: &str) -> AppResult<Response> {
    redirect(location, 303, CachePolicy::NoStore)
}

/// 308 to the same path without a trailing slash (query kept).
pub fn permanent_redirect(location: &str) -> AppResult<Response> {
    redirect(location, 308, CachePolicy::Catalog)
}

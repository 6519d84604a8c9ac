//! Talking HTTP to a shop: an agent that reports every status and follows no redirect,
//! raw requests (for what a well-behaved client never sends), and [`Api`], the JSON API
//! client.

use crate::process::Shop;
use std::io::Read;
use std::time::Duration;

/// An HTTP client that reports every status (no errors for 4xx/5xx) and never follows
/// redirects, so tests see exactly what the worker answered.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// What the worker answered.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The page-cache status in `Server-Timing` (`hit`, `miss`, `revalidated`, `bypass`).
    pub fn page_cache(&self) -> Option<String> {
        let timing = self.header("server-timing")?;
        let at = timing.find("cache;desc=\"")? + "cache;desc=\"".len();
        Some(timing[at..].split('"').next()?.to_string())
    }

    /// A count from `Server-Timing`: `kv` gives KV reads, `mem` in-isolate hits.
    pub fn timing_count(&self, metric: &str) -> Option<u32> {
        let timing = self.header("server-timing")?;
        let entry = timing.split(',').map(str::trim).find(|e| e.starts_with(&format!("{metric};")))?;
        let desc = entry.split("desc=\"").nth(1)?;
        desc.split_whitespace().next()?.parse().ok()
    }

    /// The catalog version written into the page (`<html data-catalog-version>`).
    pub fn page_version(&self) -> Option<String> {
        let marker = "data-catalog-version=\"";
        let at = self.body.find(marker)? + marker.len();
        Some(self.body[at..].split('"').next()?.to_string())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    /// The `Set-Cookie` value for cookie `name`, if the reply sets it.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers_named("set-cookie").into_iter().find(|c| c.starts_with(&format!("{name}=")))
    }
}

pub(crate) fn to_reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>, what: &str) -> Reply {
    let mut resp = result.unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let mut bytes = Vec::new();
    let _ = resp.body_mut().as_reader().read_to_end(&mut bytes);
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// Sends exactly this request — any method, headers and body bytes — to `base`
/// (`http://127.0.0.1:PORT`), and returns what the worker answered.
pub fn send_raw(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    try_send(base, method, path, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// [`send_raw`], with a failed connection as an error rather than a panic.
pub fn try_send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Reply, String> {
    let mut builder = ureq::http::Request::builder().method(method).uri(format!("{base}{path}"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(body.to_vec()).map_err(|e| e.to_string())?;
    let result = agent().run(request).map_err(|e| e.to_string())?;
    Ok(to_reply(Ok(result), &format!("{method} {path}")))
}

/// The status line and headers the shop answers to a request with this request line,
/// sent byte for byte (paths an HTTP client library would refuse or normalise, such as
/// backslashes), with `Host` and `Connection: close`.
pub fn raw_request(base: &str, request_line: &str) -> String {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(host) else {
        panic!("connecting to {host}");
    };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    if let Err(e) = write!(stream, "{request_line}\r\nHost: {host}\r\nConnection: close\r\n\r\n") {
        panic!("{request_line}: {e}");
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.split("\r\n\r\n").next().unwrap_or_default().to_string() + "\r\n"
}

/// How `wrangler dev`'s proxy answers when it lost the request on its way to the worker.
pub const WRANGLER_RESTART_503: &str = "Your worker restarted mid-request";

/// A headless client of the JSON API (`/api/v1`).
#[derive(Clone)]
pub struct Api {
    agent: ureq::Agent,
    base: String,
}

impl Api {
    pub fn new(shop: &Shop) -> Api {
        Api { agent: agent(), base: format!("{}/api/v1", shop.base) }
    }

    /// Sends a request; `token` becomes `Authorization: Bearer`, `body` is sent as JSON.
    ///
    /// `wrangler dev`'s proxy sometimes loses its connection to the runtime when many
    /// requests arrive at once and then answers a POST with its own plain-text 503
    /// ("Your worker restarted mid-request", `Retry-After: 0`) without the worker having
    /// run; a real client retries that, and so does this one (the worker's own 503s are
    /// JSON and are returned as they are). Checkout completion is safe to repeat by its
    /// idempotency key; a resent cart write that had in fact run would show up in the
    /// tests that count quantities.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let reply = self.reply(method, path, token, headers, body);
        let json = serde_json::from_str(&reply.body).unwrap_or(serde_json::Value::Null);
        (reply.status, json)
    }

    /// [`Api::call`], answering the whole reply (headers too).
    pub fn reply(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Reply {
        let mut attempt = 1;
        loop {
            let reply = self.call_once(method, path, token, headers, body);
            if reply.status == 503 && reply.body.starts_with(WRANGLER_RESTART_503) && attempt < 4 {
                eprintln!("{method} {path}: wrangler's proxy lost the request (attempt {attempt}); sending it again");
                attempt += 1;
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            return reply;
        }
    }

    fn call_once(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let text = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                json.to_string()
            }
            None => String::new(),
        };
        let request = builder.body(text).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        to_reply(self.agent.run(request), &format!("{method} {path}"))
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        self.call("GET", path, token, &[], None)
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.call("POST", path, token, &[], Some(&body))
    }

    pub fn put(&self, path: &str, token: Option<&str>, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.call("PUT", path, token, &[], Some(&body))
    }
}

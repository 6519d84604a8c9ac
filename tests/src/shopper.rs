//! A shopper with a browser's cookie jar, and what tests read out of pages (the CSRF
//! token, CSP nonces).

use crate::client::{agent, to_reply, Reply};
use crate::process::Shop;

/// The CSRF token in a page's forms (`<input type="hidden" name="csrf" value="…">`).
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\"")?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value = tag.split("value=\"").nth(1)?;
    Some(value.split('"').next()?.to_string())
}

/// The CSP nonces of a page's scripts (every `nonce="…"` attribute).
pub fn nonces_in(html: &str) -> Vec<String> {
    html.split("nonce=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_string).collect()
}

/// A page with its nonces and its visitor's CSRF token blanked: what two visitors'
/// copies of one page must have in common.
pub fn without_tokens(html: &str) -> String {
    let page = without_nonces(html);
    match csrf_in(html).filter(|token| !token.is_empty()) {
        Some(token) => page.replace(&token, ""),
        None => page,
    }
}

/// A page with its nonces blanked, to compare two responses of one page.
pub fn without_nonces(html: &str) -> String {
    let mut out = html.to_string();
    for nonce in nonces_in(html) {
        out = out.replace(&nonce, "");
    }
    out
}

/// A shopper: an HTTP client with its own cookie jar, which (like a browser) keeps the
/// CSRF token of the last page it saw and sends it with its forms.
pub struct Shopper {
    agent: ureq::Agent,
    base: String,
    cookies: Vec<(String, String)>,
    csrf: Option<String>,
}

impl Shopper {
    pub fn new(shop: &Shop) -> Shopper {
        Shopper { agent: agent(), base: shop.base.clone(), cookies: Vec::new(), csrf: None }
    }

    /// The CSRF token of the last page seen.
    pub fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }

    /// Forgets cookies and token: a new visitor.
    pub fn forget(&mut self) {
        self.cookies.clear();
        self.csrf = None;
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn remember(&mut self, reply: &Reply) {
        let token = csrf_in(&reply.body);
        // A new session without a page of its own (a first write): the token seen so far
        // was none, so the next form is opened afresh, as a browser reloads after a post.
        if token.is_none() && !reply.headers_named("set-cookie").is_empty() {
            self.csrf = None;
        }
        if let Some(token) = token {
            self.csrf = Some(token);
        }
        for set in reply.headers_named("set-cookie") {
            let pair = set.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(n, _)| n != name.trim());
                self.cookies.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn get(&mut self, path: &str) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut request = self.agent.get(&url);
        if !self.cookies.is_empty() {
            request = request.header("cookie", &self.cookie_header());
        }
        let reply = to_reply(request.call(), &format!("GET {path}"));
        self.remember(&reply);
        reply
    }

    /// GET with extra request headers (and no cookies).
    pub fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut request = self.agent.get(&url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        to_reply(request.call(), &format!("GET {path}"))
    }

    /// GET with an explicit cookie header, as a browser returning after a restart.
    pub fn get_with_cookie(&mut self, path: &str, cookie: &str) -> Reply {
        let url = format!("{}{path}", self.base);
        to_reply(self.agent.get(&url).header("cookie", cookie).call(), &format!("GET {path}"))
    }

    /// POSTs an urlencoded form, as a browser does from a page of the shop.
    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_form_with(path, fields, &[])
    }

    /// POSTs a form with extra request headers (`accept`, …). Like a browser submitting a
    /// page's form, it sends the page's CSRF token (opening a page with a form first if
    /// none was seen yet), unless `fields` has its own `csrf`, and says the form came
    /// from this origin (`Sec-Fetch-Site: same-origin`), unless `headers` say otherwise.
    pub fn post_form_with(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        if self.csrf.is_none() {
            let page = self.get("/orders/lookup");
            assert!(self.csrf.is_some(), "the order lookup page has no CSRF token (status {})", page.status);
        }
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if !fields.iter().any(|(n, _)| *n == "csrf") {
            all.push(("csrf", &token));
        }
        let mut with_site: Vec<(&str, &str)> = headers.to_vec();
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("sec-fetch-site")) {
            with_site.push(("sec-fetch-site", "same-origin"));
        }
        self.post_raw(path, &all, &with_site)
    }

    /// POSTs exactly these fields and headers (no token added): what a forger sends.
    pub fn post_raw(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut request = self.agent.post(&url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if !self.cookies.is_empty() {
            request = request.header("cookie", &self.cookie_header());
        }
        let reply = to_reply(request.send_form(fields.iter().copied()), &format!("POST {path}"));
        self.remember(&reply);
        reply
    }
}

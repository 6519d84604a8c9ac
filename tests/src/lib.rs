//! Test harness: starts a real `wrangler dev` (workerd with local KV and Durable
//! Objects) on free ports with a fresh state directory, publishes the sample catalog
//! into its local KV, and talks HTTP to it.
//!
//! The worker must already be built (`make test` builds it once); the harness starts
//! wrangler with `STOREFRONT_PREBUILT=1` so the build step is skipped.

// Test code: a panic is how a test fails.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

pub mod budgets;
pub mod commerce;
pub mod fake_stripe;
pub mod html;

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The workspace root, where `wrangler.toml` and `node_modules` live.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A scratch directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("storefront-{label}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// Environment every wrangler command gets: no metrics, no `request.cf` fetch.
fn quiet_wrangler(command: &mut Command) -> &mut Command {
    command
        .current_dir(project_root())
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("STOREFRONT_PREBUILT", "1")
        .env("NO_COLOR", "1")
}

/// Builds and publishes a catalog folder into local KV under `state`; returns its version.
pub fn publish_catalog(dir: &Path, state: &Path) -> String {
    let root = project_root();
    let built = storefront_cli::load_and_build(dir, &root.join("public"))
        .unwrap_or_else(|problems| panic!("catalog {} is invalid: {:?}", dir.display(), problems.0));
    let target =
        storefront_cli::publish::Target::Local { project: root, persist_to: Some(state.to_path_buf()) };
    storefront_cli::publish::publish(&built, &target)
        .unwrap_or_else(|e| panic!("publishing {}: {e}", dir.display()));
    built.version
}

/// Publishes the sample catalog (`catalog/`) into local KV under `state`.
pub fn publish_sample_catalog(state: &Path) -> String {
    publish_catalog(&project_root().join("catalog"), state)
}

/// Rolls the local catalog under `state` back; returns the version now current.
pub fn rollback_catalog(state: &Path) -> Result<String, String> {
    let target = storefront_cli::publish::Target::Local {
        project: project_root(),
        persist_to: Some(state.to_path_buf()),
    };
    storefront_cli::publish::rollback(&target)
}

/// Copies a folder tree (catalog fixtures).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    let entries = fs::read_dir(from).unwrap_or_else(|e| panic!("listing {}: {e}", from.display()));
    for entry in entries.flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("copying {}: {e}", target.display()));
        }
    }
}

/// A test by name, run against a shared world.
pub type NamedTest<W> = (&'static str, fn(&W));

/// Trials of tests that share one world (a running shop): each gets it, unless the run
/// only lists the tests (`world` is `None`, and nothing is started or run).
pub fn shared_trials<W: Send + Sync + 'static>(
    world: Option<&std::sync::Arc<W>>,
    tests: Vec<NamedTest<W>>,
) -> Vec<libtest_mimic::Trial> {
    tests
        .into_iter()
        .map(|(name, test)| {
            let world = world.map(std::sync::Arc::clone);
            libtest_mimic::Trial::test(name, move || {
                if let Some(world) = world {
                    test(&world);
                }
                Ok(())
            })
        })
        .collect()
}

/// Secrets and switches every test shop runs with (a shop's own vars override them).
/// Tests hammer the shop from one address, so the write limiter is off (the rate-limit
/// test turns it back on, with the limit `wrangler.toml` gives it). The shipped
/// configuration names no payment provider (a deployed shop takes no payments until the
/// merchant chooses one), so tests choose the test provider explicitly.
pub const TEST_VARS: [(&str, &str); 6] = [
    ("PAYMENT_PROVIDER", "test"),
    ("SIGNING_SECRET", "test-signing-secret-0123456789abcdef"),
    ("ADMIN_TOKEN", ADMIN_TOKEN),
    ("ENABLE_TEST_ROUTES", "1"),
    ("RATE_LIMITS", "off"),
    // Every request's log line, full-page-cache hits too (deployed, one hit in ten).
    ("LOG_HITS_EVERY", "1"),
];

/// [`TEST_VARS`] with `vars` added, a var in `vars` replacing the test default.
fn shop_vars<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = &'a (&'a str, &'a str)> {
    TEST_VARS.iter().filter(|(name, _)| !vars.iter().any(|(n, _)| n == name)).chain(vars)
}

/// The write limit `wrangler.toml` gives the `WRITE_LIMITER` binding: (limit, period in
/// seconds).
pub fn write_limit() -> (u32, u32) {
    rate_limit("WRITE_LIMITER")
}

/// The limit `wrangler.toml` gives the Rate Limiting binding `name`: (limit, period in
/// seconds).
pub fn rate_limit(name: &str) -> (u32, u32) {
    let config = fs::read_to_string(project_root().join("wrangler.toml")).unwrap_or_default();
    let section = config
        .split("[[ratelimits]]")
        .find(|section| section.contains(&format!("name = \"{name}\"")))
        .unwrap_or_else(|| panic!("wrangler.toml: no [[ratelimits]] named {name}"));
    let number = |key: &str| -> u32 {
        let at = section
            .find(&format!("{key} = "))
            .unwrap_or_else(|| panic!("wrangler.toml: no {key} in [[ratelimits]]"));
        section[at + key.len() + 3..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    (number("limit"), number("period"))
}

/// The merchant API token of test shops.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

/// A running `wrangler dev`. Dropping it stops the whole process group.
pub struct Shop {
    child: Option<Child>,
    pub base: String,
    pub state_dir: PathBuf,
    log: PathBuf,
}

impl Shop {
    /// Starts a shop on a new state directory with the sample catalog published.
    pub fn start_fresh(state: &TempDir) -> Shop {
        let _ = publish_sample_catalog(state.path());
        Shop::start_on(state.path())
    }

    /// Starts `wrangler dev` on an existing state directory.
    pub fn start_on(state_dir: &Path) -> Shop {
        Shop::start_with(state_dir, 200, &[])
    }

    /// Starts `wrangler dev` and waits until `/` answers with `ready_status` (500 for a
    /// shop with no catalog published).
    pub fn start_on_expecting(state_dir: &Path, ready_status: u16) -> Shop {
        Shop::start_with(state_dir, ready_status, &[])
    }

    /// Starts `wrangler dev` with extra vars (on top of [`TEST_VARS`]).
    pub fn start_with(state_dir: &Path, ready_status: u16, vars: &[(&str, &str)]) -> Shop {
        Shop::start_with_args(state_dir, ready_status, vars, &[])
    }

    /// Starts `wrangler dev` with extra vars and extra command-line arguments (such as
    /// `--upstream-protocol https`, which shows the worker https URLs).
    pub fn start_with_args(
        state_dir: &Path,
        ready_status: u16,
        vars: &[(&str, &str)],
        args: &[&str],
    ) -> Shop {
        let port = free_port();
        let inspector = free_port();
        let mut command = Command::new("npx");
        command
            .args(["--no-install", "wrangler", "dev", "--ip", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--inspector-port", &inspector.to_string()])
            .arg("--persist-to")
            .arg(state_dir)
            // `log` level: the worker's request log lines are `console.log`.
            .args(["--log-level", "log", "--show-interactive-dev-session=false"])
            .args(args);
        for (name, value) in shop_vars(vars) {
            command.arg("--var").arg(format!("{name}:{value}"));
        }
        Shop::spawn(command, state_dir, port, ready_status, true)
    }

    /// Starts the shop through `scripts/serve-no-inspector.mjs`: wrangler's dev server
    /// with its inspector off and no file watching (benchmarks compare the two).
    pub fn start_without_inspector(state_dir: &Path, vars: &[(&str, &str)]) -> Shop {
        let port = free_port();
        let mut command = Command::new("node");
        command.arg("scripts/serve-no-inspector.mjs").arg(port.to_string()).arg(state_dir);
        for (name, value) in shop_vars(vars) {
            command.arg(format!("{name}={value}"));
        }
        Shop::spawn(command, state_dir, port, 200, false)
    }

    /// Starts another worker from its own `wrangler.toml` (such as the bench's no-op
    /// worker, `bench/noop/wrangler.toml`), under `wrangler dev` or, with `inspector`
    /// false, through `scripts/serve-no-inspector.mjs`; ready once `/` answers 200.
    pub fn start_worker(config: &Path, state_dir: &Path, inspector: bool) -> Shop {
        let port = free_port();
        let mut command;
        if inspector {
            command = Command::new("npx");
            command
                .args(["--no-install", "wrangler", "dev", "--ip", "127.0.0.1", "-c"])
                .arg(config)
                .args(["--port", &port.to_string(), "--inspector-port", &free_port().to_string()])
                .arg("--persist-to")
                .arg(state_dir)
                .args(["--log-level", "log", "--show-interactive-dev-session=false"]);
        } else {
            command = Command::new("node");
            command.arg("scripts/serve-no-inspector.mjs").arg(port.to_string()).arg(state_dir);
            command.env("SERVE_CONFIG", config);
        }
        Shop::spawn(command, state_dir, port, 200, false)
    }

    /// Runs `command` (a dev server listening on `port`) in its own process group with
    /// its output in a log file, and waits until it serves; `rebuilds`: it runs
    /// wrangler's startup rebuild, which is waited for too.
    fn spawn(mut command: Command, state_dir: &Path, port: u16, ready_status: u16, rebuilds: bool) -> Shop {
        let log = state_dir.join(format!("wrangler-{port}.log"));
        let log_file = fs::File::create(&log).unwrap_or_else(|e| panic!("creating log: {e}"));
        let err_file = log_file.try_clone().unwrap_or_else(|e| panic!("cloning log: {e}"));
        // wrangler's debug log (every inspector event, ~100 MB per test run) goes with the
        // state directory instead of piling up in ~/.config/.wrangler/logs.
        command.env("WRANGLER_LOG_PATH", state_dir.join("wrangler-debug.log"));
        quiet_wrangler(&mut command).stdin(Stdio::null()).stdout(log_file).stderr(err_file).process_group(0);
        let child = command.spawn().unwrap_or_else(|e| panic!("starting the dev server: {e}"));
        let mut shop = Shop {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            state_dir: state_dir.to_path_buf(),
            log,
        };
        shop.wait_until_ready(ready_status, rebuilds);
        shop
    }

    fn wait_until_ready(&mut self, ready_status: u16, rebuilds: bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        // Should wrangler ever stop doing the startup rebuild, do not wait for it forever.
        let rebuild_deadline = Instant::now() + Duration::from_secs(30);
        let agent = agent();
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("wrangler dev exited early ({status}):\n{}", self.log_tail());
                }
            }
            let answered = agent
                .get(&format!("{}/", self.base))
                .call()
                .is_ok_and(|resp| resp.status().as_u16() == ready_status);
            if answered
                && (!rebuilds || startup_rebuild_done(&self.log()) || Instant::now() > rebuild_deadline)
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("wrangler dev did not answer within 120 s:\n{}", self.log_tail());
    }

    /// The process group of `wrangler dev` and the runtimes it started (benchmarks read
    /// their CPU time).
    pub fn process_group(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Everything `wrangler dev` printed so far (including the worker's log lines).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the process group (SIGINT, then SIGKILL after 10 s).
    /// Kills `wrangler dev` and its runtime at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).status();
            let _ = child.wait();
        }
    }

    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        let _ = Command::new("kill").args(["-s", "INT", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                // The group leader is gone; make sure workerd is too.
                let _ =
                    Command::new("kill").args(["-s", "KILL", "--", &group]).stderr(Stdio::null()).status();
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).status();
        let _ = child.wait();
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether wrangler's startup rebuild is behind us. Once its file watcher is ready,
/// wrangler 4.86 runs the custom build again and reloads the worker (logging "The file …
/// changed, restarting build..."); a POST in flight during that reload gets wrangler's
/// own 503 ("Your worker restarted mid-request"). On a busy machine the reload can come
/// after the shop first answers, so tests wait for it: done when the rebuild line is
/// followed by the server starting, or by a reload that has finished.
fn startup_rebuild_done(log: &str) -> bool {
    let Some(rebuild) = log.find("changed, restarting build") else {
        return false;
    };
    let after = &log[rebuild..];
    match (after.find("Starting local server"), after.find("Reloading local server")) {
        (Some(_), None) => true,
        (_, Some(reload)) => after[reload..].contains("Local server updated and ready"),
        (None, None) => false,
    }
}

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
}

fn to_reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>, what: &str) -> Reply {
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

/// Runs a wrangler command from the project root and returns (success, combined output).
pub fn run_wrangler(args: &[&str]) -> (bool, String) {
    let mut command = Command::new("npx");
    command.args(["--no-install", "wrangler"]).args(args);
    let output = quiet_wrangler(&mut command)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running wrangler: {e}"));
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// The sample catalog as the worker sees it, read through the CLI's build: tests take
/// expected prices and names from here rather than hard-coding them.
pub struct SampleCatalog {
    built: storefront_cli::build::BuiltCatalog,
}

impl SampleCatalog {
    pub fn load() -> SampleCatalog {
        let root = project_root();
        let built = storefront_cli::load_and_build(&root.join("catalog"), &root.join("public"))
            .unwrap_or_else(|problems| panic!("sample catalog is invalid: {:?}", problems.0));
        SampleCatalog { built }
    }

    fn document<T: for<'de> serde::Deserialize<'de>>(
        &self,
        kind: shared::keys::DocKind,
        name: &str,
    ) -> Option<T> {
        let key = shared::keys::doc_key(&self.built.version, kind, name);
        let (_, json) = self.built.entries.iter().find(|(k, _)| *k == key)?;
        serde_json::from_str(json).ok()
    }

    pub fn product(&self, handle: &str) -> shared::Product {
        self.document(shared::keys::DocKind::Product, handle)
            .unwrap_or_else(|| panic!("sample catalog has no product {handle}"))
    }

    pub fn collection(&self, handle: &str) -> shared::Category {
        self.document(shared::keys::DocKind::Collection, handle)
            .unwrap_or_else(|| panic!("sample catalog has no collection {handle}"))
    }

    pub fn home(&self) -> shared::HomeData {
        self.document(shared::keys::DocKind::Home, shared::keys::SINGLETON)
            .unwrap_or_else(|| panic!("sample catalog has no home document"))
    }

    pub fn site(&self) -> shared::Site {
        self.document(shared::keys::DocKind::Site, shared::keys::SINGLETON)
            .unwrap_or_else(|| panic!("sample catalog has no site document"))
    }

    pub fn version(&self) -> &str {
        &self.built.version
    }
}

#[cfg(test)]
mod tests {
    use super::startup_rebuild_done;

    #[test]
    fn the_startup_rebuild_counts_as_done_only_once_its_reload_finished() {
        let before_start = "x\nThe file a,b changed, restarting build...\n⎔ Starting local server...\n";
        assert!(startup_rebuild_done(before_start));
        let pending = "⎔ Starting local server...\nReady\nThe file a,b changed, restarting build...\n";
        assert!(!startup_rebuild_done(pending));
        let reloading = format!("{pending}⎔ Reloading local server...\n");
        assert!(!startup_rebuild_done(&reloading));
        assert!(startup_rebuild_done(&format!("{reloading}⎔ Local server updated and ready\n")));
        assert!(!startup_rebuild_done("⎔ Starting local server...\n"));
    }
}

//! The shop as a process: scratch state directories, publishing catalogs into a state's
//! local KV, the vars every test shop runs with, and starting and stopping `wrangler dev`
//! (or another worker) with [`ShopOptions`].

use crate::client::agent;
use std::fs;
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
    publish_catalog_with(dir, state, &storefront_cli::publish::PublishOptions::default())
        .unwrap_or_else(|e| panic!("publishing {}: {e}", dir.display()))
        .version
}

/// The local publish target for a state directory.
pub fn local_target(state: &Path) -> storefront_cli::publish::Target {
    storefront_cli::publish::Target::Local { project: project_root(), persist_to: Some(state.to_path_buf()) }
}

/// Publishes a catalog folder into local KV under `state` with `options`; what it did.
pub fn publish_catalog_with(
    dir: &Path,
    state: &Path,
    options: &storefront_cli::publish::PublishOptions,
) -> Result<storefront_cli::publish::PublishReport, String> {
    let public = project_root().join("public");
    match storefront_cli::publish_folder(dir, &public, &local_target(state), options) {
        Ok(report) => Ok(report),
        Err(storefront_cli::PublishError::Invalid(problems)) => {
            panic!("catalog {} is invalid: {:?}", dir.display(), problems.0)
        }
        Err(storefront_cli::PublishError::Failed(message)) => Err(message),
    }
}

/// Publishes the sample catalog (`catalog/`) into local KV under `state`.
pub fn publish_sample_catalog(state: &Path) -> String {
    publish_catalog(&project_root().join("catalog"), state)
}

/// Rolls the local catalog under `state` back; returns the version now current.
pub fn rollback_catalog(state: &Path) -> Result<String, String> {
    storefront_cli::publish::rollback(&local_target(state))
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

/// Secrets and switches every test shop runs with (a shop's own vars override them).
/// Tests hammer the shop from one address, so the write limiter is off (the rate-limit
/// test turns it back on, with the limit `wrangler.toml` gives it). The shipped
/// configuration names no payment provider (a deployed shop takes no payments until the
/// merchant chooses one), so tests choose the test provider explicitly; likewise the
/// mail channel: emails are kept in the outbox, where tests read them.
pub const TEST_VARS: [(&str, &str); 8] = [
    ("PAYMENT_PROVIDER", "test"),
    ("MAIL_PROVIDER", "outbox"),
    ("MAIL_RETRY_SECONDS", "1"),
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

/// How to start a shop: on which state, with which vars and arguments, how, and what
/// `/` answers once it is up. `Shop::start(ShopOptions::on(dir))` is a test shop on
/// `dir` as it is, under `wrangler dev`, with [`TEST_VARS`].
pub struct ShopOptions<'a> {
    state_dir: &'a Path,
    sample_catalog: bool,
    vars: Vec<(&'a str, &'a str)>,
    args: Vec<&'a str>,
    ready_status: u16,
    inspector: bool,
    config: Option<&'a Path>,
}

impl<'a> ShopOptions<'a> {
    /// A test shop on `state_dir` as it is.
    pub fn on(state_dir: &'a Path) -> Self {
        ShopOptions {
            state_dir,
            sample_catalog: false,
            vars: Vec::new(),
            args: Vec::new(),
            ready_status: 200,
            inspector: true,
            config: None,
        }
    }

    /// A test shop on a new state directory, with the sample catalog published first.
    pub fn fresh(state: &'a TempDir) -> Self {
        ShopOptions { sample_catalog: true, ..ShopOptions::on(state.path()) }
    }

    /// Vars on top of [`TEST_VARS`] (one named in both takes this value).
    pub fn vars(mut self, vars: &[(&'a str, &'a str)]) -> Self {
        self.vars.extend_from_slice(vars);
        self
    }

    /// Extra `wrangler dev` arguments (such as `--upstream-protocol https`).
    pub fn args(mut self, args: &[&'a str]) -> Self {
        self.args.extend_from_slice(args);
        self
    }

    /// Up once `/` answers `status` (500 for a shop with no catalog published).
    pub fn ready_when(mut self, status: u16) -> Self {
        self.ready_status = status;
        self
    }

    /// Through `scripts/serve-no-inspector.mjs`: wrangler's dev server with its
    /// inspector off and no file watching (benchmarks compare the two).
    pub fn without_inspector(mut self) -> Self {
        self.inspector = false;
        self
    }

    /// Another worker from its own `wrangler.toml` (such as the bench's no-op worker,
    /// `bench/noop/wrangler.toml`), with none of the shop's vars.
    pub fn worker(mut self, config: &'a Path) -> Self {
        self.config = Some(config);
        self
    }
}

/// The command that serves a shop (or another worker) on `port`.
fn shop_command(
    port: u16,
    state_dir: &Path,
    vars: &[(&str, &str)],
    args: &[&str],
    inspector: bool,
    config: Option<&Path>,
) -> Command {
    let mut command;
    if inspector {
        command = Command::new("npx");
        command.args(["--no-install", "wrangler", "dev", "--ip", "127.0.0.1"]);
        if let Some(config) = config {
            command.arg("-c").arg(config);
        }
        command
            .args(["--port", &port.to_string(), "--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(state_dir)
            // `log` level: the worker's request log lines are `console.log`.
            .args(["--log-level", "log", "--show-interactive-dev-session=false"])
            .args(args);
        for (name, value) in vars {
            command.arg("--var").arg(format!("{name}:{value}"));
        }
    } else {
        command = Command::new("node");
        command.arg("scripts/serve-no-inspector.mjs").arg(port.to_string()).arg(state_dir);
        if let Some(config) = config {
            command.env("SERVE_CONFIG", config);
        }
        for (name, value) in vars {
            command.arg(format!("{name}={value}"));
        }
    }
    command
}

impl Shop {
    /// Starts a shop (or another worker) as `options` say, and waits until it serves.
    /// Ports are picked free but released before wrangler binds them, so another shop
    /// starting at the same moment (or its runtime's own sockets) can take one first:
    /// a start that fails on a taken address is tried again on new ports.
    pub fn start(options: ShopOptions<'_>) -> Shop {
        let ShopOptions { state_dir, sample_catalog, vars, args, ready_status, inspector, config } = options;
        if sample_catalog {
            let _ = publish_sample_catalog(state_dir);
        }
        let vars: Vec<(&str, &str)> = match config {
            Some(_) => vars,
            None => shop_vars(&vars).copied().collect(),
        };
        // Only the shop under `wrangler dev` runs wrangler's startup rebuild.
        let rebuilds = inspector && config.is_none();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let port = free_port();
            let command = shop_command(port, state_dir, &vars, &args, inspector, config);
            match Shop::spawn(command, state_dir, port, ready_status, rebuilds) {
                Ok(shop) => return shop,
                Err(tail) if attempts < 4 && tail.contains("Address already in use") => continue,
                Err(tail) => panic!("wrangler dev exited early:\n{tail}"),
            }
        }
    }

    /// Runs `command` (a dev server listening on `port`) in its own process group with
    /// its output in a log file, and waits until it serves; `rebuilds`: it runs
    /// wrangler's startup rebuild, which is waited for too.
    /// An early exit is an error carrying the end of the log.
    fn spawn(
        mut command: Command,
        state_dir: &Path,
        port: u16,
        ready_status: u16,
        rebuilds: bool,
    ) -> Result<Shop, String> {
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
        shop.wait_until_ready(ready_status, rebuilds)?;
        Ok(shop)
    }

    fn wait_until_ready(&mut self, ready_status: u16, rebuilds: bool) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        // Should wrangler ever stop doing the startup rebuild, do not wait for it forever.
        let rebuild_deadline = Instant::now() + Duration::from_secs(30);
        let agent = agent();
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("({status})\n{}", self.log_tail()));
                }
            }
            let answered = agent
                .get(&format!("{}/", self.base))
                .call()
                .is_ok_and(|resp| resp.status().as_u16() == ready_status);
            if answered
                && (!rebuilds || startup_rebuild_done(&self.log()) || Instant::now() > rebuild_deadline)
            {
                return Ok(());
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

//! Loads driven by `wrk` (Debian's package): a Lua script sends a fixed number of
//! requests, cycling through a list of requests (so add-to-cart can spread over many
//! carts and checkouts can complete a different cart each time), counts status codes
//! and the page-cache status each response reports in `Server-Timing`, and prints one
//! JSON line with wrk's latency percentiles.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// One request of a load's cycle.
#[derive(Clone, Debug)]
pub struct Item {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Item {
    pub fn get(path: &str) -> Item {
        Item { method: "GET", path: path.to_string(), headers: Vec::new(), body: String::new() }
    }

    pub fn json(method: &'static str, path: &str, token: Option<&str>, body: &str) -> Item {
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if let Some(token) = token {
            headers.push(("Authorization".to_string(), format!("Bearer {token}")));
        }
        Item { method, path: path.to_string(), headers, body: body.to_string() }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Item {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A bounded load: `requests` in total over `connections`, cycling through `items`.
pub struct Load {
    pub items: Vec<Item>,
    pub connections: u32,
    pub requests: u64,
}

/// What wrk measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Requests sent (the server handled all of them, answered or not when wrk stopped).
    pub sent: u64,
    pub answered: u64,
    pub seconds: f64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    /// Non-2xx/3xx answers, timeouts and socket errors, over requests answered.
    pub error_rate: f64,
    pub statuses: BTreeMap<String, u64>,
    /// Page-cache status by count, from `Server-Timing` (`hit`, `miss`, `bypass`, ...).
    pub cache: BTreeMap<String, u64>,
}

/// A Lua string literal.
fn lua(text: &str) -> String {
    let mut out = String::from("\"");
    for b in text.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            other => out.push_str(&format!("\\{other:03}")),
        }
    }
    out.push('"');
    out
}

const THREADS: u32 = 2;

fn script(load: &Load, done_prefix: &str) -> String {
    let mut items = String::new();
    for item in &load.items {
        let headers: Vec<String> =
            item.headers.iter().map(|(n, v)| format!("[{}] = {}", lua(n), lua(v))).collect();
        items.push_str(&format!(
            "  {{ {}, {}, {{ {} }}, {} }},\n",
            lua(item.method),
            lua(&item.path),
            headers.join(", "),
            if item.body.is_empty() { "nil".to_string() } else { lua(&item.body) }
        ));
    }
    let quota = load.requests.div_ceil(u64::from(THREADS));
    format!(
        r#"local items = {{
{items}}}
local quota = {quota}
local done_prefix = {done}
local threads = {{}}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  cursor = id
  sent = 0
  answered = 0
  stopped = false
  statuses = {{}}
  caches = {{}}
end

function request()
  local item = items[(cursor % #items) + 1]
  cursor = cursor + {THREADS}
  sent = sent + 1
  return wrk.format(item[1], item[2], item[3], item[4])
end

function response(status, headers, body)
  answered = answered + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  local timing = headers["server-timing"] or headers["Server-Timing"] or ""
  local cache = string.match(timing, 'cache;desc="(%a+)"') or "none"
  caches[cache] = (caches[cache] or 0) + 1
  if sent >= quota and not stopped then
    stopped = true
    -- wrk's main thread sleeps for the whole duration; this marker tells the bench
    -- that this thread is finished, and once all are it interrupts wrk (SIGINT).
    local marker = io.open(done_prefix .. id, "w")
    if marker then marker:close() end
    wrk.thread:stop()
  end
end

local function encode(map)
  local parts = {{}}
  for k, v in pairs(map) do
    table.insert(parts, string.format('"%s":%d', k, v))
  end
  return "{{" .. table.concat(parts, ",") .. "}}"
end

function done(summary, latency, requests)
  local total_sent, total_answered = 0, 0
  local all_statuses, all_caches = {{}}, {{}}
  for _, t in ipairs(threads) do
    total_sent = total_sent + t:get("sent")
    total_answered = total_answered + t:get("answered")
    for k, v in pairs(t:get("statuses")) do all_statuses[k] = (all_statuses[k] or 0) + v end
    for k, v in pairs(t:get("caches")) do all_caches[k] = (all_caches[k] or 0) + v end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {{"sent":%d,"answered":%d,"duration_us":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%f,' ..
    '"errors":%d,"statuses":%s,"cache":%s}}\n',
    total_sent, total_answered, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean,
    e.connect + e.read + e.write + e.status + e.timeout,
    encode(all_statuses), encode(all_caches)))
end
"#,
        done = lua(done_prefix)
    )
}

/// Runs `load` against `base` (`http://127.0.0.1:PORT`). The script goes to `dir`.
pub fn run(base: &str, load: &Load, dir: &Path, name: &str) -> Result<Outcome, String> {
    let path = dir.join(format!("{name}.lua"));
    let done_prefix = dir.join(format!("{name}.done."));
    let done_prefix = done_prefix.to_string_lossy().to_string();
    let markers: Vec<String> = (0..THREADS).map(|id| format!("{done_prefix}{id}")).collect();
    for marker in &markers {
        let _ = std::fs::remove_file(marker);
    }
    std::fs::write(&path, script(load, &done_prefix))
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    let first = load.items.first().ok_or("a load needs at least one request")?;
    let child = Command::new("wrk")
        .args(["-t", &THREADS.to_string(), "-c", &load.connections.max(THREADS).to_string()])
        .args(["-d", "600s", "--timeout", "30s", "-s"])
        .arg(&path)
        .arg(format!("{base}{}", first.path))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running wrk (is it installed? `make bench` installs it): {e}"))?;
    // wrk runs until its duration ends or it is interrupted: interrupt it as soon as
    // every thread has sent its share.
    let pid = child.id().to_string();
    let watcher = std::thread::spawn({
        let markers = markers.clone();
        move || loop {
            if markers.iter().all(|m| Path::new(m).exists()) {
                let _ = Command::new("kill").args(["-INT", &pid]).status();
                return;
            }
            if !Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let output = child.wait_with_output().map_err(|e| format!("waiting for wrk: {e}"))?;
    let _ = watcher.join();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("WRK_JSON ")).ok_or_else(|| {
        format!("wrk printed no result:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    })?;
    let v: Value = serde_json::from_str(line).map_err(|e| format!("wrk's result {line}: {e}"))?;
    let num = |k: &str| v[k].as_f64().unwrap_or(0.0);
    let map = |k: &str| -> BTreeMap<String, u64> {
        v[k].as_object()
            .map(|o| o.iter().map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0))).collect())
            .unwrap_or_default()
    };
    let seconds = num("duration_us") / 1e6;
    let answered = num("answered");
    Ok(Outcome {
        sent: num("sent") as u64,
        answered: answered as u64,
        seconds,
        requests_per_second: if seconds > 0.0 { answered / seconds } else { 0.0 },
        p50_ms: num("p50") / 1000.0,
        p90_ms: num("p90") / 1000.0,
        p95_ms: num("p95") / 1000.0,
        p99_ms: num("p99") / 1000.0,
        max_ms: num("max") / 1000.0,
        mean_ms: num("mean") / 1000.0,
        error_rate: if answered > 0.0 { num("errors") / answered } else { 1.0 },
        statuses: map("statuses"),
        cache: map("cache"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_strings_escape_quotes_backslashes_and_bytes() {
        assert_eq!(lua("plain /path?q=1"), "\"plain /path?q=1\"");
        assert_eq!(lua("say \"hi\" \\ there"), "\"say \\\"hi\\\" \\\\ there\"");
        assert_eq!(lua("a\nb"), "\"a\\010b\"");
        assert_eq!(lua("é"), "\"\\195\\169\"");
    }

    #[test]
    fn the_script_lists_every_request_and_splits_the_quota() {
        let load = Load {
            items: vec![
                Item::get("/a"),
                Item::json("POST", "/api/b", Some("tok"), "{\"x\":1}").with_header("Idempotency-Key", "k1"),
            ],
            connections: 4,
            requests: 101,
        };
        let text = script(&load, "/tmp/done.");
        assert!(text.contains("{ \"GET\", \"/a\", {  }, nil },"), "{text}");
        assert!(text.contains("[\"Authorization\"] = \"Bearer tok\""), "{text}");
        assert!(text.contains("[\"Idempotency-Key\"] = \"k1\""), "{text}");
        assert!(text.contains("\"{\\\"x\\\":1}\""), "{text}");
        assert!(text.contains("local quota = 51"), "{text}");
        assert!(text.contains("local done_prefix = \"/tmp/done.\""), "{text}");
    }
}

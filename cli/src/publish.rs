//! Publishing through wrangler. A publish uploads every key of the new version
//! (`wrangler kv bulk put`, in chunks, with a progress bar), records the version in the
//! history, and only then switches `catalog:current` to it — one write, so shoppers see
//! the old catalog or the new one, never a mix. Rollback points `catalog:current` back
//! at the version published before the current one.

use crate::build::BuiltCatalog;
use shared::keys::{PublishedVersion, CURRENT_VERSION_KEY, HISTORY_KEY};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Keys per `wrangler kv bulk put` call (the API takes at most 10,000).
const CHUNK_KEYS: usize = 10_000;
/// Bytes per call, well under the API's 100 MB request limit.
const CHUNK_BYTES: usize = 50 * 1024 * 1024;

/// Where to publish. wrangler runs in `project`, the folder holding `wrangler.toml`.
pub enum Target {
    Local { project: PathBuf, persist_to: Option<PathBuf> },
    Remote { project: PathBuf },
}

impl Target {
    fn project_dir(&self) -> &Path {
        match self {
            Target::Local { project, .. } | Target::Remote { project } => project,
        }
    }
}

#[derive(serde::Serialize)]
struct Entry<'a> {
    key: &'a str,
    value: &'a str,
}

/// Writes `[{"key": …, "value": …}, …]`, the format of `wrangler kv bulk put`.
fn write_entries(entries: &[(String, String)], out: &Path) -> Result<u64, String> {
    let list: Vec<Entry> = entries.iter().map(|(key, value)| Entry { key, value }).collect();
    let json = serde_json::to_vec(&list).map_err(|e| format!("encoding the bulk file: {e}"))?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(out, &json).map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(json.len() as u64)
}

/// The whole version as one bulk file (what `catalog build --out` writes).
pub fn write_bulk_file(built: &BuiltCatalog, out: &Path) -> Result<u64, String> {
    write_entries(&built.entries, out)
}

fn wrangler_command(target: &Target, args: &[&str]) -> Command {
    let mut command = Command::new("npx");
    command.current_dir(target.project_dir());
    command.args(["--no-install", "wrangler"]).args(args).args(["--binding", "CATALOG"]);
    match target {
        Target::Local { persist_to, .. } => {
            command.arg("--local");
            if let Some(dir) = persist_to {
                command.arg("--persist-to").arg(dir);
            }
        }
        Target::Remote { .. } => {
            command.arg("--remote");
        }
    }
    command.env("WRANGLER_SEND_METRICS", "false").stdin(Stdio::null());
    command
}

/// Runs wrangler quietly; its output is shown only if it fails.
fn wrangler(target: &Target, args: &[&str]) -> Result<String, String> {
    let output = wrangler_command(target, args)
        .output()
        .map_err(|e| format!("could not run `npx wrangler`: {e} (run `npm ci` first)"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "`wrangler {}` failed ({}):\n{stdout}{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn get_text(target: &Target, key: &str) -> Option<String> {
    let output = wrangler_command(target, &["kv", "key", "get", key, "--text"]).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    // wrangler prints "Value not found" for a missing key.
    (output.status.success() && !text.is_empty() && text != "Value not found").then_some(text)
}

/// The version shoppers currently see, if any.
pub fn live_version(target: &Target) -> Option<String> {
    get_text(target, CURRENT_VERSION_KEY)
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Every version published, oldest first.
pub fn history(target: &Target) -> Vec<PublishedVersion> {
    get_text(target, HISTORY_KEY).and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default()
}

fn progress(done: usize, total: usize, started: Instant) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    let bar: String = "#".repeat(filled) + &" ".repeat(width - filled);
    eprint!(
        "\r  uploading [{bar}] {percent:>3}% {done}/{total} keys, {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::io::stderr().flush();
}

/// Splits entries into bulk calls under the key and byte limits.
fn chunks(entries: &[(String, String)]) -> Vec<&[(String, String)]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, (k, v)) in entries.iter().enumerate() {
        let size = k.len() + v.len() + 32;
        if i > start && (i - start >= CHUNK_KEYS || bytes + size > CHUNK_BYTES) {
            out.push(&entries[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < entries.len() {
        out.push(&entries[start..]);
    }
    out
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub fn publish(built: &BuiltCatalog, target: &Target) -> Result<(), String> {
    if live_version(target).as_deref() == Some(built.version.as_str()) {
        println!("Catalog version {} is already live; nothing to publish.", built.version);
        return Ok(());
    }
    let started = Instant::now();
    let dir =
        std::env::temp_dir().join(format!("storefront-publish-{}-{}", std::process::id(), built.version));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    println!(
        "Publishing catalog version {} ({} products, {} keys)…",
        built.version,
        built.product_count,
        built.entries.len()
    );
    let total = built.entries.len();
    let mut done = 0;
    progress(done, total, started);
    let mut result = Ok(());
    for (n, chunk) in chunks(&built.entries).into_iter().enumerate() {
        let file = dir.join(format!("chunk-{n}.json"));
        let path = file.to_string_lossy().into_owned();
        result = write_entries(chunk, &file)
            .and_then(|_| wrangler(target, &["kv", "bulk", "put", &path]).map(|_| ()));
        let _ = std::fs::remove_file(&file);
        if result.is_err() {
            break;
        }
        done += chunk.len();
        progress(done, total, started);
    }
    eprintln!();
    let _ = std::fs::remove_dir_all(&dir);
    result?;

    let mut versions = history(target);
    versions.retain(|v| v.version != built.version);
    versions.push(PublishedVersion {
        version: built.version.clone(),
        published_at: now_seconds(),
        products: built.product_count as u64,
    });
    let history_json = serde_json::to_string(&versions).map_err(|e| format!("encoding history: {e}"))?;
    wrangler(target, &["kv", "key", "put", HISTORY_KEY, &history_json])?;
    // The switch: one write.
    wrangler(target, &["kv", "key", "put", CURRENT_VERSION_KEY, &built.version])?;
    println!("Catalog version {} is now live ({:.1}s).", built.version, started.elapsed().as_secs_f64());
    Ok(())
}

/// Makes the version published before the current one current again.
pub fn rollback(target: &Target) -> Result<String, String> {
    let current = live_version(target).ok_or("no catalog is published, so there is nothing to roll back")?;
    let versions = history(target);
    let at = versions.iter().position(|v| v.version == current).ok_or_else(|| {
        format!("the live version {current} is not in the publish history; publish again to repair it")
    })?;
    let previous = at.checked_sub(1).map(|i| versions[i].version.clone()).ok_or_else(|| {
        format!("version {current} is the first one published; there is no earlier version")
    })?;
    wrangler(target, &["kv", "key", "put", CURRENT_VERSION_KEY, &previous])?;
    println!("Rolled back from {current} to {previous}.");
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_the_key_limit() {
        let entries: Vec<(String, String)> =
            (0..25_001).map(|i| (format!("k{i}"), "v".to_string())).collect();
        let sizes: Vec<usize> = chunks(&entries).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![10_000, 10_000, 5_001]);
        assert!(chunks(&[]).is_empty());
    }

    #[test]
    fn chunks_respect_the_byte_limit() {
        let big = "x".repeat(20 * 1024 * 1024);
        let entries: Vec<(String, String)> = (0..5).map(|i| (format!("k{i}"), big.clone())).collect();
        let sizes: Vec<usize> = chunks(&entries).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![2, 2, 1]);
    }
}

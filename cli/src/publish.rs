//! Writing the KV bulk file and publishing it with wrangler: upload every key of the
//! new version first, then switch the current-version pointer in one write.

use crate::build::BuiltCatalog;
use shared::keys::CURRENT_VERSION_KEY;
use std::path::{Path, PathBuf};
use std::process::Command;

pub enum Target {
    Local { persist_to: Option<PathBuf> },
    Remote,
}

/// Writes `[{"key": …, "value": …}, …]`, the format of `wrangler kv bulk put`.
pub fn write_bulk_file(built: &BuiltCatalog, out: &Path) -> Result<u64, String> {
    #[derive(serde::Serialize)]
    struct Entry<'a> {
        key: &'a str,
        value: &'a str,
    }
    let entries: Vec<Entry> = built
        .entries
        .iter()
        .map(|(key, value)| Entry { key, value })
        .collect();
    let json = serde_json::to_vec(&entries).map_err(|e| format!("encoding the bulk file: {e}"))?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(out, &json).map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(json.len() as u64)
}

fn wrangler_command(target: &Target, args: &[&str]) -> Command {
    let mut command = Command::new("npx");
    command
        .args(["--no-install", "wrangler"])
        .args(args)
        .args(["--binding", "CATALOG"]);
    match target {
        Target::Local { persist_to } => {
            command.arg("--local");
            if let Some(dir) = persist_to {
                command.arg("--persist-to").arg(dir);
            }
        }
        Target::Remote => {
            command.arg("--remote");
        }
    }
    command.env("WRANGLER_SEND_METRICS", "false");
    command
}

fn wrangler(target: &Target, args: &[&str]) -> Result<(), String> {
    let mut command = wrangler_command(target, args);
    let status = command
        .status()
        .map_err(|e| format!("could not run `npx wrangler`: {e} (run `npm ci` first)"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`wrangler {}` failed ({status})", args.join(" ")))
    }
}

/// The version shoppers currently see, if any.
pub fn live_version(target: &Target) -> Option<String> {
    let output = wrangler_command(target, &["kv", "key", "get", CURRENT_VERSION_KEY, "--text"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let looks_like_version =
        !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric());
    (output.status.success() && looks_like_version).then_some(text)
}

pub fn publish(built: &BuiltCatalog, target: &Target) -> Result<(), String> {
    if live_version(target).as_deref() == Some(built.version.as_str()) {
        println!(
            "Catalog version {} is already live; nothing to publish.",
            built.version
        );
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("storefront-publish-{}", std::process::id()));
    let bulk = dir.join(format!("catalog-{}.json", built.version));
    write_bulk_file(built, &bulk)?;
    let bulk_arg = bulk.to_string_lossy().into_owned();
    println!(
        "Uploading catalog version {} ({} keys)…",
        built.version,
        built.entries.len()
    );
    let uploaded = wrangler(target, &["kv", "bulk", "put", &bulk_arg]);
    let _ = std::fs::remove_dir_all(&dir);
    uploaded?;
    wrangler(target, &["kv", "key", "put", CURRENT_VERSION_KEY, &built.version])?;
    println!("Catalog version {} is now live.", built.version);
    Ok(())
}

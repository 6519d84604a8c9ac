//! Publishing through wrangler: incremental, atomic, resumable.
//!
//! A version's documents are immutable once uploaded. A publish builds every document,
//! compares each one's content hash with the live version's *manifest* (every
//! document's owner and hash, `catalog:{version}:manifest:{n}`), and uploads only the
//! documents whose content changed, under the new version's id. The new version's root
//! (`catalog:{version}:root`) names its base and the documents that differ from it, so
//! the worker reads every other document from the base's keys. A version that would
//! differ from its base in more than [`MAX_OVERRIDES`] documents, or with no manifest to
//! compare against, is published in full and becomes its own base.
//!
//! Order of writes: the changed documents, the root and the manifest (in as few bulk
//! calls as the key and byte limits allow); then, in one last call, the history and
//! `catalog:current` — the switch. Until that last call nothing a shopper reads has
//! changed, so an interrupted publish leaves the live version untouched; running the
//! same publish again uploads what is missing (a large upload first lists the keys a
//! previous attempt already wrote and skips them) and then switches. Rollback points
//! `catalog:current` back at the version published before the current one. `prune`
//! deletes the keys no kept version reads.

use crate::build::BuiltCatalog;
use crate::validate::ValidCatalog;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use shared::keys::{
    doc_key, manifest_key, root_key, version_of_key, version_prefix, PublishMarker, PublishedVersion,
    VersionRoot, CURRENT_VERSION_KEY, HISTORY_KEY, PUBLISHING_KEY,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Keys per `wrangler kv bulk put` / `bulk delete` call (the API takes at most 10,000).
const CHUNK_KEYS: usize = 10_000;
/// Bytes per call, well under the API's 100 MB request limit.
const CHUNK_BYTES: usize = 50 * 1024 * 1024;
/// A version may differ from its base in at most this many documents (its root is
/// read by every isolate that serves it, so it must stay small); beyond, the publish is
/// full and the version becomes its own base.
pub const MAX_OVERRIDES: usize = 10_000;
/// A manifest part holds at most this many bytes (a KV value may hold 25 MiB).
const MANIFEST_PART_BYTES: usize = 8 * 1024 * 1024;
/// Manifests have at most this many parts (128 MB: several million documents).
const MAX_MANIFEST_PARTS: u32 = 16;

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

    /// A local target whose state folder does not exist has nothing published (and
    /// reading it with wrangler would create the folder).
    fn is_empty_local(&self) -> bool {
        match self {
            Target::Local { persist_to: Some(dir), .. } => !dir.exists(),
            Target::Local { project, persist_to: None } => !project.join(".wrangler/state").exists(),
            Target::Remote { .. } => false,
        }
    }
}

/// How to publish.
#[derive(Clone, Debug)]
pub struct PublishOptions {
    /// Where to keep copies of manifests (none: always read them from KV).
    pub cache: ManifestCache,
    /// Upload every document and make the version its own base.
    pub full: bool,
    /// Keys per bulk call (at most the API's 10,000).
    pub chunk_keys: usize,
    /// Stop with an error after this many bulk uploads, before the switch — what a
    /// crash or a lost connection midway does (for tests of resuming).
    pub stop_after_chunks: Option<usize>,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            full: false,
            chunk_keys: CHUNK_KEYS,
            stop_after_chunks: None,
            cache: ManifestCache(None),
        }
    }
}

/// What a publish did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishReport {
    pub version: String,
    /// The version it inherits unchanged documents from (itself for a full publish).
    pub base: String,
    /// Documents in the version.
    pub documents: usize,
    /// Documents whose content is new in this version (uploaded now or by an
    /// interrupted attempt).
    pub changed: usize,
    /// Keys written by this run (documents, root, manifest, the publishing mark and its
    /// clearing, history, pointer).
    pub keys_written: usize,
    /// Bytes of the values written.
    pub bytes_written: u64,
    /// Keys an interrupted attempt had already uploaded, skipped.
    pub resumed: usize,
    /// The version was live already; nothing was written.
    pub already_live: bool,
    /// The version had been published before: only the pointer moved.
    pub republished: bool,
    pub millis: u64,
}

impl PublishReport {
    pub fn seconds(&self) -> f64 {
        self.millis as f64 / 1000.0
    }

    pub fn full(&self) -> bool {
        self.base == self.version
    }

    /// The summary line the command prints.
    pub fn summary(&self) -> String {
        if self.already_live {
            return format!("Catalog version {} is already live; nothing to publish.", self.version);
        }
        if self.republished {
            return format!(
                "Catalog version {} was published before; it is live again ({} keys written, {:.1}s).",
                self.version,
                self.keys_written,
                self.seconds()
            );
        }
        let kind =
            if self.full() { "full publish".to_string() } else { format!("incremental on {}", self.base) };
        let resumed = if self.resumed > 0 {
            format!(", {} already uploaded by an earlier attempt", self.resumed)
        } else {
            String::new()
        };
        format!(
            "Catalog version {} is live ({kind}): {} of {} documents changed; {} keys written, {} bytes{resumed}, {:.1}s.",
            self.version,
            self.changed,
            self.documents,
            self.keys_written,
            self.bytes_written,
            self.seconds()
        )
    }
}

/// The merchant CLI's record of a version: who holds each document and its hash, and
/// the card ordinals (so the next publish keeps them). A base's manifest lists every
/// document; any other version's lists only how it differs from its base, so an
/// incremental publish writes a small manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub version: String,
    pub base: String,
    /// Product handles by card ordinal ("" for an unused ordinal); `None`: the base's.
    #[serde(default)]
    pub ordinals: Option<Vec<String>>,
    /// `kind:name` → (the version whose key holds it, its content hash): every document
    /// of a base; the documents not read from the base otherwise.
    pub docs: BTreeMap<String, (String, String)>,
    /// Documents of the base this version does not have.
    #[serde(default)]
    pub removed: BTreeSet<String>,
}

/// A version's manifest with its base's (the same one for a base).
#[derive(Clone, Copy)]
struct Resolved<'m> {
    own: &'m Manifest,
    base: &'m Manifest,
}

impl<'m> Resolved<'m> {
    fn new(own: &'m Manifest, base: &'m Manifest) -> Option<Resolved<'m>> {
        (own.base == base.version && base.version == base.base).then_some(Resolved { own, base })
    }

    fn ordinals(&self) -> &'m [String] {
        self.own.ordinals.as_deref().or(self.base.ordinals.as_deref()).unwrap_or_default()
    }

    /// Whether a document with this content is in neither the version nor its base (so a
    /// publish on them uploads it).
    fn is_new(&self, id: &str, hash: &str) -> bool {
        self.base.docs.get(id).is_none_or(|(_, h)| h != hash)
            && self.own.docs.get(id).is_none_or(|(_, h)| h != hash)
    }

    /// Every document key the version reads.
    fn document_keys(&self) -> impl Iterator<Item = String> + 'm {
        let own = self.own;
        let inherited = self
            .base
            .docs
            .iter()
            .filter(move |(id, _)| !own.docs.contains_key(*id) && !own.removed.contains(*id));
        own.docs.iter().chain(inherited).map(|(id, (owner, _))| format!("catalog:{owner}:{id}"))
    }
}

impl Manifest {
    /// The manifest's JSON and its hash (what the history records).
    fn json(&self) -> Result<(String, String), String> {
        let json = serde_json::to_string(self).map_err(|e| format!("encoding the manifest: {e}"))?;
        let hash = shared::hash::Fnv64::new().write(json.as_bytes()).hex();
        Ok((json, hash))
    }

    /// The manifest as KV values, split into parts under the value size limit.
    fn parts(json: &str) -> Result<Vec<String>, String> {
        let mut parts = Vec::new();
        let mut rest = json;
        while !rest.is_empty() {
            let mut cut = rest.len().min(MANIFEST_PART_BYTES);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let (part, tail) = rest.split_at(cut);
            parts.push(part.to_string());
            rest = tail;
        }
        if parts.len() > MAX_MANIFEST_PARTS as usize {
            return Err(format!(
                "the manifest needs {} parts, more than the {MAX_MANIFEST_PARTS} a version may have",
                parts.len()
            ));
        }
        Ok(parts)
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
    write_file(out, &json)?;
    Ok(entries.iter().map(|(_, v)| v.len() as u64).sum())
}

fn write_file(out: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(out, bytes).map_err(|e| format!("writing {}: {e}", out.display()))
}

/// The whole version as one bulk file (what `catalog build --out` writes); its size.
pub fn write_bulk_file(built: &BuiltCatalog, out: &Path) -> Result<u64, String> {
    let entries = built.entries();
    write_entries(&entries, out)?;
    std::fs::metadata(out).map(|m| m.len()).map_err(|e| format!("reading {}: {e}", out.display()))
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

/// A scratch folder for bulk files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "storefront-{what}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        Scratch(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The first JSON value in wrangler's output (it may print more after it).
fn first_json(stdout: &str) -> Result<Value, String> {
    let start = stdout.find(['{', '[']).ok_or("wrangler printed no JSON")?;
    let mut values = serde_json::Deserializer::from_str(&stdout[start..]).into_iter::<Value>();
    match values.next() {
        Some(Ok(value)) => Ok(value),
        Some(Err(e)) => Err(format!("reading wrangler's JSON: {e}")),
        None => Err("wrangler printed no JSON".into()),
    }
}

/// Reads several keys in one call; a missing key maps to `None`.
fn get_many(
    target: &Target,
    scratch: &Scratch,
    keys: &[String],
) -> Result<HashMap<String, Option<String>>, String> {
    let file = scratch.file("get.json");
    write_file(&file, &serde_json::to_vec(keys).map_err(|e| e.to_string())?)?;
    let stdout = wrangler(target, &["kv", "bulk", "get", &file.to_string_lossy()])?;
    let Value::Object(map) = first_json(&stdout)? else {
        return Err("wrangler kv bulk get did not print an object".into());
    };
    Ok(map
        .into_iter()
        .map(|(key, entry)| {
            let value = entry.get("value").and_then(Value::as_str).map(str::to_string);
            (key, value)
        })
        .collect())
}

/// Every key under `prefix`.
fn list_keys(target: &Target, prefix: &str) -> Result<Vec<String>, String> {
    let stdout = wrangler(target, &["kv", "key", "list", "--prefix", prefix])?;
    let Value::Array(list) = first_json(&stdout)? else {
        return Err("wrangler kv key list did not print a list".into());
    };
    Ok(list.iter().filter_map(|k| k.get("name").and_then(Value::as_str)).map(str::to_string).collect())
}

/// What is live: the pointer and the history.
struct Live {
    current: Option<String>,
    history: Vec<PublishedVersion>,
    /// A publish that started uploading and has not switched.
    unfinished: Option<PublishMarker>,
}

impl Live {
    fn read(target: &Target, scratch: &Scratch) -> Result<Live, String> {
        let keys = [CURRENT_VERSION_KEY, HISTORY_KEY, PUBLISHING_KEY].map(str::to_string);
        let mut got = get_many(target, scratch, &keys)?;
        let current = got
            .remove(CURRENT_VERSION_KEY)
            .flatten()
            .map(|v| v.trim().to_string())
            .filter(|v| shared::keys::is_version_id(v));
        let history = match got.remove(HISTORY_KEY).flatten() {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                format!("the publish history in KV is unreadable ({e}); fix or delete `{HISTORY_KEY}`")
            })?,
            None => Vec::new(),
        };
        let unfinished =
            got.remove(PUBLISHING_KEY).flatten().and_then(|json| serde_json::from_str(&json).ok()).flatten();
        Ok(Live { current, history, unfinished })
    }

    fn entry(&self, version: &str) -> Option<&PublishedVersion> {
        self.history.iter().find(|v| v.version == version)
    }
}

/// Manifests kept on this machine (one file per version), so a publish need not read a
/// large base's manifest from KV each time. A copy is used only when its hash is the one
/// the publish history records.
#[derive(Clone, Debug, Default)]
pub struct ManifestCache(pub Option<PathBuf>);

impl ManifestCache {
    /// `$XDG_CACHE_HOME/storefront/manifests`, else `~/.cache/storefront/manifests`.
    pub fn for_user() -> ManifestCache {
        let home = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
        ManifestCache(home.map(|h| h.join("storefront").join("manifests")))
    }

    fn file(&self, version: &str) -> Option<PathBuf> {
        let dir = self.0.as_ref()?;
        shared::keys::is_version_id(version).then(|| dir.join(format!("{version}.json")))
    }

    fn get(&self, version: &str, hash: &str) -> Option<Manifest> {
        let json = std::fs::read_to_string(self.file(version)?).ok()?;
        (!hash.is_empty() && shared::hash::Fnv64::new().write(json.as_bytes()).hex() == hash)
            .then(|| serde_json::from_str(&json).ok())
            .flatten()
    }

    /// Keeps a copy (best effort: a cache that cannot be written only costs time).
    fn put(&self, version: &str, json: &str) {
        if let Some(file) = self.file(version) {
            let _ = write_file(&file, json.as_bytes());
        }
    }

    /// Removes the copies of every version but `keep`.
    fn retain(&self, keep: &[&str]) {
        let Some(entries) = self.0.as_ref().and_then(|dir| std::fs::read_dir(dir).ok()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version = name.strip_suffix(".json").unwrap_or(&name);
            if !keep.contains(&version) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The manifests of `versions` (those that have one) with their hashes: from the cache
/// when its copy has the expected hash, the rest from KV in one call. An expected hash
/// of "" accepts what KV holds.
fn read_manifests(
    target: &Target,
    scratch: &Scratch,
    versions: &[(&str, &str)],
    cache: &ManifestCache,
) -> Result<HashMap<String, (Manifest, String)>, String> {
    let mut manifests = HashMap::new();
    let mut keys = Vec::new();
    for (version, hash) in versions {
        match cache.get(version, hash) {
            Some(manifest) => {
                manifests.insert(version.to_string(), (manifest, hash.to_string()));
            }
            None => keys.extend((0..MAX_MANIFEST_PARTS).map(|n| manifest_key(version, n))),
        }
    }
    if keys.is_empty() {
        return Ok(manifests);
    }
    let mut got = get_many(target, scratch, &keys)?;
    for (version, expected) in versions {
        if manifests.contains_key(*version) {
            continue;
        }
        let mut json = String::new();
        let mut parts = 0;
        while let Some(Some(part)) = got.remove(&manifest_key(version, parts)) {
            json.push_str(&part);
            parts += 1;
        }
        if parts == 0 {
            continue;
        }
        let hash = shared::hash::Fnv64::new().write(json.as_bytes()).hex();
        match serde_json::from_str::<Manifest>(&json) {
            Ok(manifest) if manifest.version == *version && (expected.is_empty() || hash == *expected) => {
                cache.put(version, &json);
                manifests.insert(version.to_string(), (manifest, hash));
            }
            _ => eprintln!(
                "warning: the manifest of version {version} is unreadable or not the one the history records; it is treated as missing"
            ),
        }
    }
    Ok(manifests)
}

/// What a publish writes, decided before anything is written.
struct Plan {
    /// Document keys and values to upload.
    documents: Vec<(String, String)>,
    root: VersionRoot,
    manifest: Manifest,
    /// Documents whose content is new in this version.
    changed: usize,
}

/// Compares the built version with the live one (with its base); without them, when
/// asked, or when the version would differ from the base in more than
/// [`MAX_OVERRIDES`] documents, the plan is a full publish. `None` when the build did
/// not keep a document the plan must upload.
fn plan(built: &BuiltCatalog, live: Option<Resolved>, full: bool) -> Option<Plan> {
    let version = &built.version;
    if let Some(Resolved { own: live, base }) = live.filter(|_| !full) {
        let mut documents = Vec::new();
        let mut manifest =
            Manifest { version: version.clone(), base: base.version.clone(), ..Manifest::default() };
        let mut overrides = HashMap::new();
        let mut present: HashSet<String> = HashSet::with_capacity(built.documents.len());
        for d in &built.documents {
            let id = d.id();
            if base.docs.get(&id).is_none_or(|(_, hash)| *hash != d.hash) {
                let owner = match live.docs.get(&id).filter(|(_, hash)| *hash == d.hash) {
                    Some((owner, _)) => owner.clone(),
                    None => {
                        documents.push((doc_key(version, d.kind, &d.name), d.json.clone()?));
                        version.clone()
                    }
                };
                overrides.insert(id.clone(), Some(owner.clone()));
                manifest.docs.insert(id.clone(), (owner, d.hash.clone()));
            }
            present.insert(id);
        }
        for id in base.docs.keys().filter(|id| !present.contains(*id)) {
            overrides.insert(id.clone(), None);
            manifest.removed.insert(id.clone());
        }
        if base.ordinals.as_deref() != Some(built.ordinals.as_slice()) {
            manifest.ordinals = Some(built.ordinals.clone());
        }
        if overrides.len() <= MAX_OVERRIDES {
            return Some(Plan {
                changed: documents.len(),
                documents,
                root: VersionRoot { base: base.version.clone(), overrides },
                manifest,
            });
        }
    }
    let mut documents = Vec::with_capacity(built.documents.len());
    for d in &built.documents {
        documents.push((doc_key(version, d.kind, &d.name), d.json.clone()?));
    }
    Some(Plan {
        changed: documents.len(),
        documents,
        root: VersionRoot::full(version),
        manifest: Manifest {
            version: version.clone(),
            base: version.clone(),
            ordinals: Some(built.ordinals.clone()),
            docs: built.documents.iter().map(|d| (d.id(), (version.clone(), d.hash.clone()))).collect(),
            removed: BTreeSet::new(),
        },
    })
}

fn bar(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template(&format!(
        "  {what} [{{bar:30}}] {{percent:>3}}% {{pos}}/{{len}} keys, {{elapsed}} (eta {{eta}})"
    ))
    .map(|s| s.progress_chars("#>-"))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// Splits entries into bulk calls under the key and byte limits.
fn chunks(entries: &[(String, String)], max_keys: usize) -> Vec<&[(String, String)]> {
    let max_keys = max_keys.clamp(1, CHUNK_KEYS);
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, (k, v)) in entries.iter().enumerate() {
        let size = k.len() + v.len() + 32;
        if i > start && (i - start >= max_keys || bytes + size > CHUNK_BYTES) {
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

/// Uploads entries in bulk calls, with a progress bar; the bytes of the values.
fn upload(
    target: &Target,
    scratch: &Scratch,
    entries: &[(String, String)],
    options: &PublishOptions,
) -> Result<u64, String> {
    let progress = bar(entries.len(), "uploading");
    let mut bytes = 0;
    for (n, chunk) in chunks(entries, options.chunk_keys).into_iter().enumerate() {
        if options.stop_after_chunks.is_some_and(|stop| n >= stop) {
            progress.abandon();
            return Err(format!("publish interrupted after {n} bulk uploads (as asked)"));
        }
        let file = scratch.file(&format!("chunk-{n}.json"));
        bytes += write_entries(chunk, &file)?;
        wrangler(target, &["kv", "bulk", "put", &file.to_string_lossy()])?;
        let _ = std::fs::remove_file(&file);
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    Ok(bytes)
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn elapsed_millis(started: Instant) -> u64 {
    started.elapsed().as_millis().try_into().unwrap_or(u64::MAX)
}

/// The history and the pointer, in one call: the switch.
fn switch(
    target: &Target,
    scratch: &Scratch,
    mut history: Vec<PublishedVersion>,
    entry: PublishedVersion,
) -> Result<u64, String> {
    let version = entry.version.clone();
    history.retain(|v| v.version != version);
    history.push(entry);
    let history_json = serde_json::to_string(&history).map_err(|e| format!("encoding history: {e}"))?;
    let entries = vec![
        (HISTORY_KEY.to_string(), history_json),
        (CURRENT_VERSION_KEY.to_string(), version),
        (PUBLISHING_KEY.to_string(), "null".to_string()),
    ];
    let file = scratch.file("switch.json");
    let bytes = write_entries(&entries, &file)?;
    wrangler(target, &["kv", "bulk", "put", &file.to_string_lossy()])?;
    Ok(bytes)
}

/// What is published, read before a publish: the pointer, the history, and the
/// manifests of the live version and of its base.
pub struct Published {
    live: Live,
    manifests: HashMap<String, (Manifest, String)>,
}

impl Published {
    /// Reads it: one wrangler call, and one more for the manifests `cache` has no good
    /// copy of (none when `full`: the manifests are not needed).
    pub fn read(target: &Target, full: bool, cache: &ManifestCache) -> Result<Published, String> {
        if target.is_empty_local() {
            let live = Live { current: None, history: Vec::new(), unfinished: None };
            return Ok(Published { live, manifests: HashMap::new() });
        }
        let scratch = Scratch::new("read");
        let live = Live::read(target, &scratch)?;
        let mut wanted: Vec<(&str, &str)> = Vec::new();
        if let Some(entry) = live.current.as_deref().and_then(|v| live.entry(v)).filter(|_| !full) {
            wanted.push((&entry.version, &entry.manifest));
            if !entry.base.is_empty() && entry.base != entry.version {
                wanted.push((&entry.base, &entry.base_manifest));
            }
        }
        let manifests = read_manifests(target, &scratch, &wanted, cache)?;
        Ok(Published { live, manifests })
    }

    fn live_entry(&self) -> Option<&PublishedVersion> {
        self.live.current.as_deref().and_then(|v| self.live.entry(v))
    }

    /// The live version's manifest with its base's.
    fn resolved(&self) -> Option<Resolved<'_>> {
        let (own, _) = self.live_entry().and_then(|e| self.manifests.get(&e.version))?;
        let (base, _) = self.manifests.get(&own.base)?;
        Resolved::new(own, base)
    }

    fn manifest_hash(&self, version: &str) -> Option<&str> {
        self.manifests.get(version).map(|(_, hash)| hash.as_str())
    }
}

/// Builds `catalog` and publishes what changed since the live version (`published`,
/// read before); `started` is when the work began (the report's seconds count from it).
/// `crate::publish_folder` reads what is published while it validates the folder.
pub fn publish_on(
    catalog: &ValidCatalog,
    target: &Target,
    options: &PublishOptions,
    published: Published,
    started: Instant,
) -> Result<PublishReport, String> {
    let scratch = Scratch::new("publish");
    let live_entry = published.live_entry();
    let resolved = published.resolved().filter(|_| !options.full);
    let prior_ordinals = resolved.map(|r| r.ordinals()).unwrap_or_default();
    // Keep the JSON of only the documents the publish will upload.
    let keep_new = |id: &str, hash: &str| resolved.is_none_or(|r| r.is_new(id, hash));
    let mut built = crate::build::build(catalog, prior_ordinals, &keep_new);
    let live = &published.live;
    let mut report = PublishReport {
        version: built.version.clone(),
        documents: built.documents.len(),
        ..PublishReport::default()
    };
    if live.current.as_deref() == Some(built.version.as_str()) {
        report.already_live = true;
        report.base = live_entry.map(|e| e.base.clone()).unwrap_or_default();
        report.millis = elapsed_millis(started);
        return Ok(report);
    }
    if let Some(entry) = live.entry(&built.version).filter(|e| !e.base.is_empty()) {
        // Published before (and complete: history is written only at a switch).
        let mut entry = entry.clone();
        entry.published_at = now_seconds();
        report.base = entry.base.clone();
        report.bytes_written = switch(target, &scratch, live.history.clone(), entry)?;
        report.keys_written = 3;
        report.republished = true;
        report.millis = elapsed_millis(started);
        return Ok(report);
    }

    let plan = match plan(&built, resolved, options.full) {
        Some(plan) => plan,
        None => {
            // Too many differences for an incremental version: a full one, which needs
            // every document.
            built = crate::build::build(catalog, prior_ordinals, &crate::build::keep_all);
            plan(&built, resolved, true).ok_or("the build lost documents it was asked to keep")?
        }
    };
    report.base = plan.root.base.clone();
    report.changed = plan.changed;
    let (manifest_json, manifest_hash) = plan.manifest.json()?;
    let parts = Manifest::parts(&manifest_json)?;
    let mut entries = plan.documents;
    // A large upload may be the rerun of an interrupted one: skip what it wrote.
    if chunks(&entries, options.chunk_keys).len() > 1 {
        let present: HashSet<String> =
            list_keys(target, &version_prefix(&built.version))?.into_iter().collect();
        let before = entries.len();
        entries.retain(|(key, _)| !present.contains(key));
        report.resumed = before - entries.len();
    }
    // First, the mark of a publish under way (the switch clears it): prune leaves alone
    // what an unfinished publish uploaded.
    let marker = PublishMarker { version: built.version.clone(), started_at: now_seconds() };
    entries
        .insert(0, (PUBLISHING_KEY.to_string(), serde_json::to_string(&marker).map_err(|e| e.to_string())?));
    entries.push((root_key(&built.version), serde_json::to_string(&plan.root).map_err(|e| e.to_string())?));
    for (n, part) in parts.iter().enumerate() {
        entries.push((manifest_key(&built.version, n as u32), part.clone()));
    }
    println!(
        "Publishing catalog version {} ({} products): {} of {} documents changed{}…",
        built.version,
        built.product_count,
        report.changed,
        report.documents,
        if report.full() { ", full publish" } else { "" }
    );
    report.bytes_written = upload(target, &scratch, &entries, options)?;
    report.keys_written = entries.len();
    options.cache.put(&built.version, &manifest_json);
    let base_manifest = if report.full() {
        manifest_hash.clone()
    } else {
        published.manifest_hash(&report.base).unwrap_or_default().to_string()
    };
    let entry = PublishedVersion {
        version: built.version.clone(),
        published_at: now_seconds(),
        products: built.product_count as u64,
        base: plan.root.base.clone(),
        manifest: manifest_hash,
        base_manifest,
    };
    report.bytes_written += switch(target, &scratch, live.history.clone(), entry)?;
    options.cache.retain(&[&built.version, &report.base]);
    report.keys_written += 3;
    report.millis = elapsed_millis(started);
    Ok(report)
}

/// Makes the version published before the current one current again.
pub fn rollback(target: &Target) -> Result<String, String> {
    let live = Live::read(target, &Scratch::new("rollback"))?;
    let current = live.current.ok_or("no catalog is published, so there is nothing to roll back")?;
    let at = live.history.iter().position(|v| v.version == current).ok_or_else(|| {
        format!("the live version {current} is not in the publish history; publish again to repair it")
    })?;
    let previous =
        at.checked_sub(1).and_then(|i| live.history.get(i)).map(|v| v.version.clone()).ok_or_else(|| {
            format!("version {current} is the first one published; there is no earlier version")
        })?;
    wrangler(target, &["kv", "key", "put", CURRENT_VERSION_KEY, &previous])?;
    println!("Rolled back from {current} to {previous}.");
    Ok(previous)
}

/// What a prune removed (or, in a dry run, would remove).
#[derive(Clone, Debug, Default)]
pub struct PruneReport {
    /// Versions kept, oldest first.
    pub kept: Vec<String>,
    /// Versions dropped from the history.
    pub dropped: Vec<String>,
    /// Keys deleted (or to delete), sorted.
    pub keys: Vec<String>,
    pub dry_run: bool,
    pub millis: u64,
}

impl PruneReport {
    pub fn summary(&self) -> String {
        let verb = if self.dry_run { "would delete" } else { "deleted" };
        format!(
            "Kept {} versions ({}); {verb} {} keys of {} older versions and interrupted publishes ({:.1}s).",
            self.kept.len(),
            self.kept.join(", "),
            self.keys.len(),
            self.dropped.len(),
            self.millis as f64 / 1000.0
        )
    }
}

/// The versions a prune keeps: the last `keep` published, the live one and the one a
/// rollback from it would go to.
fn kept_versions(history: &[PublishedVersion], current: &str, keep: usize) -> Vec<String> {
    let at = history.iter().position(|v| v.version == current);
    history
        .iter()
        .enumerate()
        .filter(|(i, v)| {
            *i + keep >= history.len() || v.version == current || at.is_some_and(|at| at == i + 1)
        })
        .map(|(_, v)| v.version.clone())
        .collect()
}

/// Deletes every catalog key that no kept version reads (`keep` ≥ 1).
/// How long an unfinished publish blocks prune (unless forced): past this it is
/// taken for abandoned.
const UNFINISHED_FOR_S: u64 = 24 * 3_600;

/// Deletes every catalog key that no kept version reads (`keep` ≥ 1). While a publish is
/// unfinished (uploading, or interrupted less than a day ago) it refuses, unless
/// `force`: that publish's documents would look unreachable.
pub fn prune(target: &Target, keep: usize, dry_run: bool, force: bool) -> Result<PruneReport, String> {
    if keep == 0 {
        return Err("--keep must be at least 1 (the live version is always kept)".into());
    }
    let started = Instant::now();
    let scratch = Scratch::new("prune");
    let live = Live::read(target, &scratch)?;
    let current = live.current.clone().ok_or("no catalog is published, so there is nothing to prune")?;
    if let Some(marker) = live.unfinished.as_ref().filter(|_| !force) {
        let ago = now_seconds().saturating_sub(marker.started_at);
        if ago < UNFINISHED_FOR_S {
            return Err(format!(
                "a publish of version {} started {} minutes ago has not switched yet (it is still uploading, or it was interrupted: run it again to finish it); pruning now would delete what it uploaded. Wait for it, or pass --force",
                marker.version,
                ago / 60
            ));
        }
    }
    let kept = kept_versions(&live.history, &current, keep);
    let mut kept_all = kept.clone();
    if !kept_all.contains(&current) {
        kept_all.push(current.clone());
    }
    // Each kept version with its base.
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    for version in &kept_all {
        wanted.push((version, ""));
        if let Some(base) = live.entry(version).map(|e| e.base.as_str()).filter(|b| !b.is_empty()) {
            wanted.push((base, ""));
        }
    }
    wanted.sort();
    wanted.dedup();
    let manifests = read_manifests(target, &scratch, &wanted, &ManifestCache(None))?;
    let mut reachable: HashSet<String> = HashSet::new();
    // Versions published before manifests: everything under their prefix is kept.
    let mut whole: HashSet<&str> = HashSet::new();
    let mut manifests_kept: Vec<String> = Vec::new();
    for version in &kept_all {
        let base = live.entry(version).map(|e| e.base.as_str()).unwrap_or_default();
        if base.is_empty() {
            whole.insert(version);
            continue;
        }
        let resolved = manifests
            .get(version)
            .zip(manifests.get(base))
            .and_then(|((own, _), (base, _))| Resolved::new(own, base))
            .ok_or_else(|| {
                format!(
                    "the manifest of version {version} or of its base {base} is missing or unreadable, so what it reads is unknown; nothing was pruned"
                )
            })?;
        reachable.insert(root_key(version));
        reachable.extend(resolved.document_keys());
        manifests_kept.push(format!("catalog:{version}:manifest:"));
        manifests_kept.push(format!("catalog:{base}:manifest:"));
    }
    let mut doomed: Vec<String> = list_keys(target, "catalog:")?
        .into_iter()
        .filter(|key| match version_of_key(key) {
            Some(version) => {
                !whole.contains(version)
                    && !reachable.contains(key)
                    && !manifests_kept.iter().any(|prefix| key.starts_with(prefix.as_str()))
            }
            None => false,
        })
        .collect();
    doomed.sort();
    let dropped: Vec<String> =
        live.history.iter().filter(|v| !kept_all.contains(&v.version)).map(|v| v.version.clone()).collect();
    let mut report = PruneReport { kept: kept_all.clone(), dropped, keys: doomed, dry_run, millis: 0 };
    if !dry_run {
        // History first: once a version leaves it, nothing can roll back to it.
        if !report.dropped.is_empty() {
            let history: Vec<PublishedVersion> =
                live.history.iter().filter(|v| kept_all.contains(&v.version)).cloned().collect();
            let json = serde_json::to_string(&history).map_err(|e| format!("encoding history: {e}"))?;
            wrangler(target, &["kv", "key", "put", HISTORY_KEY, &json])?;
        }
        let progress = bar(report.keys.len(), "deleting");
        for (n, chunk) in report.keys.chunks(CHUNK_KEYS).enumerate() {
            let file = scratch.file(&format!("delete-{n}.json"));
            write_file(&file, &serde_json::to_vec(chunk).map_err(|e| e.to_string())?)?;
            wrangler(target, &["kv", "bulk", "delete", "--force", &file.to_string_lossy()])?;
            progress.inc(chunk.len() as u64);
        }
        progress.finish_and_clear();
    }
    report.millis = elapsed_millis(started);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::keys::DocKind;

    #[test]
    fn chunks_respect_the_key_limit() {
        let entries: Vec<(String, String)> =
            (0..25_001).map(|i| (format!("k{i}"), "v".to_string())).collect();
        let sizes: Vec<usize> = chunks(&entries, CHUNK_KEYS).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![10_000, 10_000, 5_001]);
        assert!(chunks(&[], CHUNK_KEYS).is_empty());
        let sizes: Vec<usize> = chunks(&entries[..7], 3).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![3, 3, 1]);
    }

    #[test]
    fn chunks_respect_the_byte_limit() {
        let big = "x".repeat(20 * 1024 * 1024);
        let entries: Vec<(String, String)> = (0..5).map(|i| (format!("k{i}"), big.clone())).collect();
        let sizes: Vec<usize> = chunks(&entries, CHUNK_KEYS).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![2, 2, 1]);
    }

    fn history(versions: &[&str]) -> Vec<PublishedVersion> {
        versions
            .iter()
            .map(|v| PublishedVersion {
                version: v.to_string(),
                published_at: 0,
                products: 0,
                base: v.to_string(),
                manifest: String::new(),
                base_manifest: String::new(),
            })
            .collect()
    }

    #[test]
    fn prune_keeps_the_last_versions_the_live_one_and_its_rollback_target() {
        let h = history(&["a", "b", "c", "d"]);
        assert_eq!(kept_versions(&h, "d", 1), ["c", "d"]);
        assert_eq!(kept_versions(&h, "d", 3), ["b", "c", "d"]);
        // Rolled back to b: b and its own rollback target a stay, with the newest.
        assert_eq!(kept_versions(&h, "b", 1), ["a", "b", "d"]);
        assert_eq!(kept_versions(&h, "a", 1), ["a", "d"]);
    }

    fn built(version: &str, docs: &[(&str, &str)]) -> BuiltCatalog {
        BuiltCatalog {
            version: version.into(),
            documents: docs
                .iter()
                .map(|(name, json)| crate::build::Document {
                    kind: DocKind::Product,
                    name: name.to_string(),
                    json: Some(json.to_string()),
                    hash: shared::hash::Fnv64::new().write(json.as_bytes()).hex(),
                })
                .collect(),
            ordinals: Vec::new(),
            product_count: docs.len(),
            category_count: 0,
        }
    }

    #[test]
    fn a_publish_uploads_only_what_changed_and_inherits_the_rest() {
        let v1 = built("v1", &[("a", "1"), ("b", "1"), ("c", "1")]);
        let first = plan(&v1, None, false).unwrap();
        assert_eq!((first.changed, first.root.clone()), (3, VersionRoot::full("v1")));
        // v2 changes a and removes c.
        let v2 = built("v2", &[("a", "2"), ("b", "1")]);
        let second = plan(&v2, Resolved::new(&first.manifest, &first.manifest), false).unwrap();
        assert_eq!(second.changed, 1);
        assert_eq!(second.documents, vec![("catalog:v2:product:a".to_string(), "2".to_string())]);
        assert_eq!(second.root.base, "v1");
        assert_eq!(second.root.key_of(DocKind::Product, "a").as_deref(), Some("catalog:v2:product:a"));
        assert_eq!(second.root.key_of(DocKind::Product, "b").as_deref(), Some("catalog:v1:product:b"));
        assert_eq!(second.root.key_of(DocKind::Product, "c"), None);
        // v3 changes b; a keeps v2's key, and c stays removed.
        let v3 = built("v3", &[("a", "2"), ("b", "3")]);
        let third = plan(&v3, Resolved::new(&second.manifest, &first.manifest), false).unwrap();
        assert_eq!(third.changed, 1);
        assert_eq!(third.root.key_of(DocKind::Product, "a").as_deref(), Some("catalog:v2:product:a"));
        assert_eq!(third.root.key_of(DocKind::Product, "b").as_deref(), Some("catalog:v3:product:b"));
        assert_eq!(third.root.key_of(DocKind::Product, "c"), None);
        // Its manifest lists only what differs from the base, and resolves to every key
        // it reads (what prune keeps).
        assert_eq!(third.manifest.docs.len(), 2);
        assert!(third.manifest.removed.contains("product:c"));
        let mut keys: Vec<String> =
            Resolved::new(&third.manifest, &first.manifest).unwrap().document_keys().collect();
        keys.sort();
        assert_eq!(keys, ["catalog:v2:product:a", "catalog:v3:product:b"]);
        // Back to v1's content for a: read from the base again, no override.
        let v4 = built("v4", &[("a", "1"), ("b", "3")]);
        let fourth = plan(&v4, Resolved::new(&third.manifest, &first.manifest), false).unwrap();
        assert_eq!(fourth.changed, 0);
        assert_eq!(fourth.root.key_of(DocKind::Product, "a").as_deref(), Some("catalog:v1:product:a"));
        // Asked for a full publish: everything uploaded under the new version.
        let full = plan(&v4, Resolved::new(&third.manifest, &first.manifest), true).unwrap();
        assert_eq!((full.changed, full.root), (2, VersionRoot::full("v4")));
    }

    #[test]
    fn a_plan_needs_the_json_of_what_it_uploads() {
        let first = plan(&built("v1", &[("a", "1"), ("b", "1")]), None, false).unwrap();
        let mut second = built("v2", &[("a", "2"), ("b", "1")]);
        // The build kept only the changed document: enough for the incremental plan.
        for d in &mut second.documents {
            if !Resolved::new(&first.manifest, &first.manifest).unwrap().is_new(&d.id(), &d.hash) {
                d.json = None;
            }
        }
        assert!(plan(&second, Resolved::new(&first.manifest, &first.manifest), false).is_some());
        // Not for a full one.
        assert!(plan(&second, Resolved::new(&first.manifest, &first.manifest), true).is_none());
    }

    #[test]
    fn too_many_differences_from_the_base_make_a_full_publish() {
        let names: Vec<String> = (0..=MAX_OVERRIDES).map(|i| format!("p{i}")).collect();
        let old: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "old")).collect();
        let new: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "new")).collect();
        let first = plan(&built("v1", &old), None, false).unwrap();
        let second =
            plan(&built("v2", &new), Resolved::new(&first.manifest, &first.manifest), false).unwrap();
        assert_eq!(second.root, VersionRoot::full("v2"));
        assert_eq!(second.changed, names.len());
    }

    #[test]
    fn a_kept_manifest_is_used_only_with_the_hash_the_history_records() {
        let dir = std::env::temp_dir().join(format!("storefront-cache-test-{}", std::process::id()));
        let cache = ManifestCache(Some(dir.clone()));
        let manifest = Manifest { version: "v1".into(), base: "v1".into(), ..Manifest::default() };
        let (json, hash) = manifest.json().unwrap();
        cache.put("v1", &json);
        assert_eq!(cache.get("v1", &hash), Some(manifest));
        assert_eq!(cache.get("v1", "0000000000000000"), None, "another manifest under that version");
        assert_eq!(cache.get("v1", ""), None, "no recorded hash: read KV");
        assert_eq!(cache.get("../v1", &hash), None, "only version ids name files");
        cache.retain(&["v2"]);
        assert_eq!(cache.get("v1", &hash), None);
        let _ = std::fs::remove_dir_all(dir);
        assert_eq!(ManifestCache(None).get("v1", &hash), None);
    }

    #[test]
    fn manifests_split_into_parts_that_join_back() {
        let mut manifest = Manifest { version: "v1".into(), base: "v1".into(), ..Manifest::default() };
        for i in 0..200_000 {
            manifest.docs.insert(format!("product:p-é-{i}"), ("v1".into(), format!("{i:016x}")));
        }
        let parts = Manifest::parts(&manifest.json().unwrap().0).unwrap();
        assert!(parts.len() > 1, "{} parts", parts.len());
        assert!(parts.iter().all(|p| p.len() <= MANIFEST_PART_BYTES));
        let joined: Manifest = serde_json::from_str(&parts.concat()).unwrap();
        assert_eq!(joined, manifest);
    }
}

//! The module-dependency invariants of ARCHITECTURE.md, checked on the source: a host
//! test reads each module's files and looks for the imports it must not have.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The bounded contexts' services, below the front doors.
const SERVICES: [&str; 10] = [
    "catalog",
    "cart",
    "checkout",
    "payments",
    "inventory",
    "orders",
    "customers",
    "mail",
    "metrics",
    "limits",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The crate's top-level modules: every `src/*.rs` but the crate root and this file.
fn top_level_modules() -> Vec<String> {
    let mut modules: Vec<String> = fs::read_dir(src())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.path().file_stem()?.to_str().map(str::to_string))
        .filter(|name| entry_is_module(name))
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

fn entry_is_module(name: &str) -> bool {
    src().join(format!("{name}.rs")).is_file() && name != "lib" && name != "architecture"
}

/// The top-level modules each one names as `crate::{module}` in its code.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = top_level_modules();
    let mut graph = BTreeMap::new();
    for module in &modules {
        let mut targets = BTreeSet::new();
        for (_, text) in sources_of(module) {
            for other in modules.iter().filter(|other| *other != module) {
                let path = format!("crate::{other}");
                let named = uses(&text, &path).iter().any(|line| {
                    line.match_indices(&path).any(|(at, _)| {
                        !line[at + path.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    })
                });
                if named {
                    targets.insert(other.clone());
                }
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

/// A cycle in `graph`, as the modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

/// Every source file of a context: `src/{context}.rs` and everything under `src/{context}/`.
fn sources_of(context: &str) -> Vec<(PathBuf, String)> {
    let src = src();
    let mut files = vec![src.join(format!("{context}.rs"))];
    rust_files(&src.join(context), &mut files);
    let sources: Vec<(PathBuf, String)> = files
        .into_iter()
        .filter_map(|path| fs::read_to_string(&path).ok().map(|text| (path, text)))
        .collect();
    assert!(!sources.is_empty(), "no source found for {context}");
    sources
}

/// The lines of `text` that are code (not comments) and mention `module`.
fn uses(text: &str, module: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("//"))
        .filter(|line| line.contains(module))
        .map(str::to_string)
        .collect()
}

#[test]
fn services_never_reach_the_front_doors() {
    for context in SERVICES {
        for (path, text) in sources_of(context) {
            for door in ["crate::routes", "crate::api", "crate::router"] {
                let found = uses(&text, door);
                assert!(found.is_empty(), "{} uses the front door {door}: {found:?}", path.display());
            }
        }
    }
}

#[test]
fn payments_never_depend_on_orders() {
    // The scan does find imports: orders' use of payments is the allowed direction.
    assert!(sources_of("orders").iter().any(|(_, text)| !uses(text, "crate::payments").is_empty()));
    for (path, text) in sources_of("payments") {
        let found = uses(&text, "crate::orders");
        assert!(found.is_empty(), "{} uses orders (orders depend on payments): {found:?}", path.display());
    }
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let graph = module_graph();
    // The scan sees the known edges (so an empty graph cannot pass).
    assert!(graph["checkout"].contains("cart") && graph["orders"].contains("payments"), "{graph:?}");
    assert!(!graph["cart"].contains("cart"), "a module's own paths are not edges");
    assert_eq!(find_cycle(&graph), None, "module cycle in {graph:#?}");
}

/// Every module of the crate (`cart::object` for `src/cart/object.rs`) with its source,
/// but the crate root and this file.
fn all_modules() -> BTreeMap<String, String> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(src()).ok()?.with_extension("");
            let name = relative.to_str()?.replace(std::path::MAIN_SEPARATOR, "::");
            let text = fs::read_to_string(&path).ok()?;
            (name != "lib" && name != "architecture").then_some((name, text))
        })
        .collect()
}

/// The modules a path written in `module` names: `crate::a::b::Item`, `super::x`, and
/// each entry of a `{…}` group, resolved to the longest prefix that is a module.
fn named_modules(module: &str, line: &str, modules: &BTreeMap<String, String>) -> BTreeSet<String> {
    let parent: Vec<&str> =
        module.rsplit_once("::").map(|(p, _)| p.split("::").collect()).unwrap_or_default();
    let mut found = BTreeSet::new();
    for (root, base) in [("crate::", Vec::new()), ("super::", parent)] {
        for (at, _) in line.match_indices(root) {
            let rest = &line[at + root.len()..];
            let path: String =
                rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            let mut paths = vec![path.trim_end_matches(':').to_string()];
            if (path.is_empty() || path.ends_with("::")) && rest[path.len()..].starts_with('{') {
                let group: String = rest[path.len() + 1..].chars().take_while(|c| *c != '}').collect();
                paths = group
                    .split(',')
                    .map(|entry| format!("{path}{}", entry.trim().split("::").next().unwrap_or("")))
                    .collect();
            }
            for path in paths {
                let mut parts: Vec<&str> = base.clone();
                parts.extend(path.split("::").filter(|p| !p.is_empty() && *p != "self"));
                let named =
                    (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains_key(m));
                if let Some(named) = named.filter(|named| named != module) {
                    found.insert(named);
                }
            }
        }
    }
    found
}

#[test]
fn no_file_depends_on_itself_through_others() {
    let modules = all_modules();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &modules {
        let code = text.lines().map(str::trim).filter(|line| !line.starts_with("//"));
        let targets = code.flat_map(|line| named_modules(module, line, &modules)).collect();
        graph.insert(module.clone(), targets);
    }
    // The scan resolves paths to files (so an empty graph cannot pass).
    assert!(graph["checkout::procedure"].contains("cart::object"), "{graph:#?}");
    assert!(graph["routes::pages"].contains("routes::product"), "super:: groups: {graph:#?}");
    assert_eq!(find_cycle(&graph), None, "file cycle in {graph:#?}");
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let edges = |pairs: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in pairs {
            graph.entry(from.to_string()).or_default().insert(to.to_string());
            graph.entry(to.to_string()).or_default();
        }
        graph
    };
    assert_eq!(find_cycle(&edges(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    let cycle = find_cycle(&edges(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]));
    assert_eq!(cycle, Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}

#[test]
fn nothing_below_the_front_doors_chooses_a_status_code() {
    // The Durable Object classes answer the worker over the runtime's fetch, and the
    // Stripe client reads Stripe's statuses: those may speak HTTP.
    let speaks_http = |path: &Path, text: &str| {
        text.contains("impl DurableObject for") || path.ends_with("payments/stripe.rs")
    };
    let mut scanned = 0;
    for context in SERVICES {
        for (path, text) in sources_of(context) {
            if speaks_http(&path, &text) {
                continue;
            }
            scanned += 1;
            for pattern in ["Response::", "status_code", "http_status", ".status()", "u16"] {
                let found = uses(&text, pattern);
                assert!(found.is_empty(), "{} chooses an HTTP status ({pattern}): {found:?}", path.display());
            }
        }
    }
    assert!(scanned > 10, "the scan read the services ({scanned} files)");
}

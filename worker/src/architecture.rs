//! The module-dependency invariants of ARCHITECTURE.md, checked on the source: a host
//! test reads each bounded context's files and looks for the imports it must not have.

use std::fs;
use std::path::{Path, PathBuf};

/// The bounded contexts' services, below the front doors.
const SERVICES: [&str; 7] = ["catalog", "cart", "checkout", "payments", "inventory", "orders", "limits"];

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

/// Every source file of a context: `src/{context}.rs` and everything under `src/{context}/`.
fn sources_of(context: &str) -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
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

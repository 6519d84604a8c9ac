//! What publishing costs: a full publish of a generated catalog (once, when its local
//! state is made; the numbers are kept next to it) and a one-product price change
//! published on top of it, then undone (the original catalog published again, which
//! only moves the pointer back) so the state stays as the loads expect. Publishes keep
//! manifests in `target/bench/manifests`, as the merchant CLI keeps them in the user's
//! cache folder.

use serde_json::{json, Value};
use std::path::Path;
use storefront_cli::publish::{ManifestCache, PublishOptions, PublishReport};
use storefront_tests::{project_root, publish_catalog_with};

const FULL_RECORD: &str = "full-publish.json";

fn options(full: bool) -> PublishOptions {
    PublishOptions {
        full,
        cache: ManifestCache(Some(project_root().join("target/bench/manifests"))),
        ..PublishOptions::default()
    }
}

fn numbers(report: &PublishReport) -> Value {
    json!({
        "version": report.version,
        "documents": report.documents,
        "changed": report.changed,
        "keys_written": report.keys_written,
        "bytes_written": report.bytes_written,
        "seconds": report.seconds(),
        "full": report.full(),
    })
}

/// The full publish of `source` into a fresh `state`; its numbers are kept in the state.
pub fn publish_full(source: &Path, state: &Path) -> Result<(), String> {
    let report =
        publish_catalog_with(source, state, &PublishOptions { full: true, ..PublishOptions::default() })?;
    println!("  {}", report.summary());
    let measured_at =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let record = json!({ "measured_at_unix": measured_at, "publish": numbers(&report) });
    std::fs::write(state.join(FULL_RECORD), record.to_string()).map_err(|e| e.to_string())
}

/// Raises the first product's first price in a generated catalog's CSV by a few cents
/// that differ from run to run (so each run publishes a version not seen before).
fn change_one_price(source: &Path) -> Result<String, String> {
    let file = source.join("products/generated.csv");
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    let (header, rest) = text.split_once('\n').ok_or("empty CSV")?;
    let (first, others) = rest.split_once('\n').ok_or("no product rows")?;
    let price_at = header.split(',').position(|c| c == "price").ok_or("no price column")?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(first.as_bytes());
    let record = reader.records().next().ok_or("no first row")?.map_err(|e| e.to_string())?;
    let mut fields: Vec<String> = record.iter().map(str::to_string).collect();
    let cents = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() % 9_000 + 1_000)
        .unwrap_or(1_234);
    let price = format!("{}.{:02}", cents / 100, cents % 100);
    let handle = fields.first().cloned().unwrap_or_default();
    if let Some(field) = fields.get_mut(price_at) {
        *field = price.clone();
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&fields).map_err(|e| e.to_string())?;
    let row =
        String::from_utf8(writer.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    std::fs::write(&file, format!("{header}\n{row}{others}")).map_err(|e| e.to_string())?;
    Ok(format!("{handle} at {price}"))
}

/// The kept full-publish numbers and a one-product change measured now.
pub fn measure(source: &Path, state: &Path, label: &str) -> Value {
    let full: Value = std::fs::read_to_string(state.join(FULL_RECORD))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let csv = source.join("products/generated.csv");
    let Ok(original) = std::fs::read_to_string(&csv) else {
        return json!({ "full": full, "error": "the generated catalog has no CSV" });
    };
    let change = match change_one_price(source) {
        Ok(what) => what,
        Err(e) => return json!({ "full": full, "error": format!("changing a price: {e}") }),
    };
    let one = publish_catalog_with(source, state, &options(false));
    // Back to the version the loads and the next run expect.
    let restored = std::fs::write(&csv, original)
        .map_err(|e| e.to_string())
        .and_then(|_| publish_catalog_with(source, state, &options(false)));
    if let Err(e) = restored {
        eprintln!("  publishing the original catalog again: {e}");
    }
    match one {
        Ok(one) => {
            println!("  one-product change ({change}) at {label}: {}", one.summary());
            json!({ "full": full, "one_product": numbers(&one), "change": change })
        }
        Err(e) => json!({ "full": full, "error": format!("publishing the change: {e}") }),
    }
}

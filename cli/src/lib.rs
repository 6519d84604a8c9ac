//! The merchant CLI as a library: load the catalog folder, validate it, build the KV
//! documents, publish them, roll back, and generate synthetic catalogs. The
//! `storefront` binary is a thin front over this, and the integration tests publish
//! through the same code.

pub mod build;
pub mod csv_import;
pub mod editions;
pub mod generate;
pub mod images;
pub mod markdown;
pub mod markets;
pub mod publish;
pub mod source;
pub mod validate;

use std::path::Path;

/// Loads, validates and builds a catalog folder; every problem found is returned at once.
pub fn load_and_build(dir: &Path, public: &Path) -> Result<build::BuiltCatalog, source::Problems> {
    let mut problems = source::Problems::default();
    let draft = source::load(dir, &mut problems);
    let valid = draft.and_then(|d| validate::validate(&d, public, &mut problems));
    match valid {
        Some(valid) if problems.is_empty() => Ok(build::build(&valid, &[], &build::keep_all)),
        _ => Err(problems),
    }
}

/// Loads and validates only (no documents built).
pub fn load_and_validate(dir: &Path, public: &Path) -> Result<validate::ValidCatalog, source::Problems> {
    let mut problems = source::Problems::default();
    let draft = source::load(dir, &mut problems);
    let valid = draft.and_then(|d| validate::validate(&d, public, &mut problems));
    match valid {
        Some(valid) if problems.is_empty() => Ok(valid),
        _ => Err(problems),
    }
}

/// Why a publish of a folder did not happen.
#[derive(Debug)]
pub enum PublishError {
    /// The catalog has problems; nothing was touched.
    Invalid(source::Problems),
    /// Publishing failed (what is live did not change unless the message says so).
    Failed(String),
}

/// Loads, validates and publishes a catalog folder. What is live is read from KV while
/// the folder is validated; the report's seconds count everything.
pub fn publish_folder(
    dir: &Path,
    public: &Path,
    target: &publish::Target,
    options: &publish::PublishOptions,
) -> Result<publish::PublishReport, PublishError> {
    let started = std::time::Instant::now();
    let (valid, published) = std::thread::scope(|scope| {
        let reading = scope.spawn(|| publish::Published::read(target, options.full, &options.cache));
        let valid = load_and_validate(dir, public);
        let published =
            reading.join().unwrap_or_else(|_| Err("reading what is published failed".to_string()));
        (valid, published)
    });
    let valid = valid.map_err(PublishError::Invalid)?;
    let published = published.map_err(PublishError::Failed)?;
    publish::publish_on(&valid, target, options, published, started).map_err(PublishError::Failed)
}

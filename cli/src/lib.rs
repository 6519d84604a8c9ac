//! The merchant CLI as a library: load the catalog folder, validate it, build the KV
//! documents, publish them, roll back, and generate synthetic catalogs. The
//! `storefront` binary is a thin front over this, and the integration tests publish
//! through the same code.

pub mod build;
pub mod csv_import;
pub mod generate;
pub mod images;
pub mod markdown;
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
        Some(valid) if problems.is_empty() => Ok(build::build(&valid, &[])),
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

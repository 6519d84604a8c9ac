//! The merchant CLI as a library: load the catalog folder, validate it, build the KV
//! documents, publish them. The `storefront` binary is a thin front over this, and the
//! integration tests publish through the same code.

pub mod build;
pub mod images;
pub mod markdown;
pub mod publish;
pub mod source;

use std::path::Path;

/// Loads, validates and builds a catalog folder; every problem found is returned at once.
pub fn load_and_build(dir: &Path, public: &Path) -> Result<build::BuiltCatalog, source::Problems> {
    let mut problems = source::Problems::default();
    let catalog = source::load(dir, &mut problems);
    let built = catalog.and_then(|c| build::build(&c, public, &mut problems));
    match built {
        Some(built) if problems.is_empty() => Ok(built),
        _ => Err(problems),
    }
}

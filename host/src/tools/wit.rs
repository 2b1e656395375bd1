//! The WIT packages a probe is built against, embedded in the binary so `probe-host wit` can
//! hand them to a probe author with no repository at hand.

use std::path::Path;

/// `(relative path, contents)` of every WIT file, in the layout every toolchain reads
/// (`wit-bindgen`, `componentize-py -d`, componentize-js `witPath`): the world's package at the
/// top, its dependencies under `deps/`.
pub const FILES: &[(&str, &str)] = &[
    ("probe.wit", include_str!("../../../wit/probe.wit")),
    ("deps/potato-api/types.wit", include_str!("../../../wit/deps/potato-api/types.wit")),
];

/// The world to name when building: `probe-host:probe/probe@<version>`.
pub const WORLD: &str = crate::engine::WORLD;

/// Writes [`FILES`] under `dir`.
///
/// # Errors
/// When a directory or file cannot be written, naming it.
pub fn write(dir: &Path) -> anyhow::Result<()> {
    for (relative, contents) in FILES {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, contents).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

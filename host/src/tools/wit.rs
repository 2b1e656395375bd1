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

/// The import of the potato-api functions in the world file, replaced for other targets.
const POTATO_IMPORT: &str = "potato:api/potatoes@0.1.1";

/// Writes the probe world importing the functions of the API `document` describes, and that
/// API's package generated from it (`deps/<name>/<name>.wit`), under `dir`. Returns the import.
///
/// # Errors
/// When the document cannot be read or mapped (naming the file and the JSON pointer), or a
/// file cannot be written.
pub fn write_for_openapi(
    dir: &Path,
    document: &Path,
    options: &potato_api_client::wit::Options,
) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(document).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", document.display()))?;
    let generated =
        potato_api_client::wit::generate(&text, options).map_err(|e| anyhow::anyhow!("{}: {e}", document.display()))?;
    let world = generated.rewrite_world(FILES[0].1, POTATO_IMPORT)?;
    let name = options.package.split(['@', ':']).nth(1).unwrap_or("api");
    let import = generated.import();
    for (relative, contents) in [("probe.wit".to_string(), world), (format!("deps/{name}/{name}.wit"), generated.text)]
    {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, contents).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(import)
}

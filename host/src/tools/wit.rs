//! The WIT a probe is built against, for the target the host serves: the host's world,
//! importing the target's functions, and the target's package generated from its OpenAPI
//! document (the built-in potato-api's by default). Written by `probe-host wit`, so a probe
//! author needs no repository at hand; the repository's own `wit/` is this output for the
//! built-in document (a test keeps it so).

use potato_api_client::wit::Generated;
use std::path::Path;

/// The host's world, as a template: the target's import takes the place of the potato-api's.
const WORLD_TEMPLATE: &str = include_str!("../../../wit/probe.wit");

/// The import the template names.
const POTATO_IMPORT: &str = "potato:api/potatoes@0.1.1";

/// The world to name when building: `probe-host:probe/probe@<version>`.
pub const WORLD: &str = crate::engine::WORLD;

/// `(relative path, contents)` of every WIT file for `target`, in the layout every toolchain
/// reads (`wit-bindgen`, `componentize-py -d`, componentize-js `witPath`): the world's package
/// at the top, the target's under `deps/<namespace>-<name>/<name>.wit`.
///
/// # Errors
/// When the world cannot be made to import the target (a template without the import).
pub fn files(target: &Generated) -> anyhow::Result<Vec<(String, String)>> {
    let world = target.rewrite_world(WORLD_TEMPLATE, POTATO_IMPORT)?;
    let package = target.api.package.split('@').next().unwrap_or(&target.api.package);
    let (namespace, name) = package.split_once(':').unwrap_or(("api", package));
    Ok(vec![("probe.wit".into(), world), (format!("deps/{namespace}-{name}/{name}.wit"), target.text.clone())])
}

/// Writes [`files`] for `target` under `dir`; returns the world's import of the target.
///
/// # Errors
/// When a directory or file cannot be written, naming it.
pub fn write(dir: &Path, target: &Generated) -> anyhow::Result<String> {
    for (relative, contents) in files(target)? {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, contents).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(target.import())
}

/// Reads and maps the OpenAPI document at `path`.
///
/// # Errors
/// When the document cannot be read or mapped, naming the file (and the JSON pointer).
pub fn map_document(path: &Path, options: &potato_api_client::wit::Options) -> anyhow::Result<Generated> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    potato_api_client::wit::generate(&text, options).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

//! OpenAPI → WIT: a target's OpenAPI document (3.0 or 3.1, YAML or JSON) mapped to a WIT
//! package that probes import: one record, enum or variant per schema they can see, one
//! function per exposed operation, and `list-all-*` pagers where operations follow the
//! configured pagination convention. The rules are written down in `docs/openapi-to-wit.md`.
//!
//! ```
//! let document = potato_api_client::OPENAPI_DOCUMENT;
//! let generated = potato_api_client::wit::generate(document, &potato_api_client::wit::Options::potato())?;
//! assert!(generated.text.contains("list-farms: func() -> result<list<farm>, api-error>;"));
//! # Ok::<(), potato_api_client::wit::WitError>(())
//! ```

mod document;
mod emit;
pub mod model;
mod names;
mod operations;
mod schema;

pub use document::Document;
pub use names::kebab;

/// Why a document could not be mapped. Every case names where in the document the problem is
/// (a JSON pointer such as `#/components/schemas/Pet/properties/id`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WitError {
    #[error("not JSON or YAML: {0}")]
    Parse(String),
    #[error("not an OpenAPI 3.0 or 3.1 document ({0})")]
    NotOpenApi3(String),
    #[error("{pointer}: the reference {reference:?} does not resolve: {why}")]
    UnresolvedRef { pointer: String, reference: String, why: String },
    #[error("{pointer}: {name:?} gives no WIT name (it has no letters or digits)")]
    BadName { pointer: String, name: String },
    #[error("{second}: its WIT name {name:?} is already taken by {first}")]
    Collision { name: String, first: String, second: String },
    #[error("{pointer}: the enum values {first:?} and {second:?} are both {case:?} in WIT")]
    EnumCollision { pointer: String, case: String, first: String, second: String },
    #[error("{pointer}: the name {name:?} is the host's own (timestamp, http-error, api-error)")]
    Reserved { pointer: String, name: String },
    #[error("{pointer}: {what} cannot be mapped")]
    Unsupported { pointer: String, what: String },
    #[error("the package name {0:?} is not `namespace:name@version`")]
    BadPackage(String),
}

/// How an API pages its lists: the query parameter carrying the token, the result fields
/// holding the next token and the items, and the page-size parameter (set to `page_size` by
/// the pagers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    pub token_param: String,
    pub next_token_field: String,
    pub items_field: String,
    pub size_param: Option<String>,
}

impl Pagination {
    /// `page_token` / `next_page_token` / `items` / `limit`: the potato-api's convention.
    pub fn page_token() -> Self {
        Self {
            token_param: "page_token".into(),
            next_token_field: "next_page_token".into(),
            items_field: "items".into(),
            size_param: Some("limit".into()),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `namespace:name@version`.
    pub package: String,
    /// The name of the interface holding the functions.
    pub interface: String,
    pub pagination: Option<Pagination>,
    /// operationIds of non-GET operations to expose too.
    pub allow_methods: Vec<String>,
}

impl Options {
    /// The embedded potato-api document's settings: `potato:api@0.1.1`, interface `potatoes`,
    /// `page_token` pagination.
    pub fn potato() -> Self {
        Self {
            package: "potato:api@0.1.1".into(),
            interface: "potatoes".into(),
            pagination: Some(Pagination::page_token()),
            allow_methods: Vec::new(),
        }
    }
}

/// A mapped document: the model the host serves and the WIT text probes build against.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub api: model::Api,
    /// The package, as one `.wit` file.
    pub text: String,
}

/// The built-in potato-api document ([`crate::OPENAPI_DOCUMENT`]) mapped with
/// [`Options::potato`]: the target when a configuration names no document. Mapped once.
///
/// # Errors
/// None in practice (the embedded document maps, which a test checks); a [`WitError`] if it
/// ever did not.
pub fn potato() -> Result<std::sync::Arc<Generated>, WitError> {
    static POTATO: std::sync::OnceLock<Result<std::sync::Arc<Generated>, WitError>> = std::sync::OnceLock::new();
    POTATO.get_or_init(|| generate(crate::OPENAPI_DOCUMENT, &Options::potato()).map(std::sync::Arc::new)).clone()
}

/// Maps `document` to a WIT package.
///
/// # Errors
/// A [`WitError`] naming the JSON pointer of the first problem.
pub fn generate(document: &str, options: &Options) -> Result<Generated, WitError> {
    check_package(&options.package)?;
    let interface = names::kebab(&options.interface)
        .filter(|k| *k == options.interface)
        .ok_or_else(|| WitError::BadName { pointer: "(the interface name)".into(), name: options.interface.clone() })?;
    let doc = Document::parse(document)?;
    let mut types = schema::Types::new(&doc);
    let functions = operations::functions(&doc, &mut types, &options.allow_methods)?;
    let pagers = match &options.pagination {
        Some(p) => operations::pagers(&functions, &types, p),
        None => Vec::new(),
    };
    if let Some(clash) = pagers.iter().find_map(|p| functions.iter().find(|f| f.name == p.name)) {
        return Err(WitError::Collision {
            name: clash.name.clone(),
            first: clash.pointer.clone(),
            second: "(a list-all pager)".into(),
        });
    }
    let uses_timestamp =
        types.uses_timestamp() || functions.iter().any(|f| f.params.iter().any(|p| mentions_timestamp(&p.ty)));
    let api = model::Api {
        package: options.package.clone(),
        interface,
        types: std::mem::take(&mut types.defs),
        functions,
        pagers,
        base_path: base_path(&doc),
    };
    let text = emit::package(&api, uses_timestamp);
    Ok(Generated { api, text })
}

/// The path of `servers[0].url` (relative, or after an absolute URL's host), without a
/// trailing `/`; `None` when empty.
fn base_path(doc: &Document) -> Option<String> {
    let url = doc.at("/servers/0/url")?.as_str()?;
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("").trim_end_matches('/');
    (!path.is_empty() && !path.contains('{')).then(|| path.to_string())
}

impl Generated {
    /// The `import` line a world needs for this package's functions:
    /// `namespace:name/interface@version`.
    pub fn import(&self) -> String {
        let (name, version) = self.api.package.split_once('@').unwrap_or((&self.api.package, ""));
        format!("{name}/{}@{version}", self.api.interface)
    }

    /// `world_text` (a world importing some other target's functions, such as
    /// `probe-host:probe`'s `import potato:api/potatoes@0.1.1;`) importing this package's
    /// functions instead.
    ///
    /// # Errors
    /// [`WitError::Unsupported`] when the world has no such import line.
    pub fn rewrite_world(&self, world_text: &str, current_import: &str) -> Result<String, WitError> {
        let line = format!("import {current_import};");
        if !world_text.contains(&line) {
            return Err(WitError::Unsupported {
                pointer: "(the world)".into(),
                what: format!("a world without `{line}`"),
            });
        }
        Ok(world_text.replacen(&line, &format!("import {};", self.import()), 1))
    }
}

fn mentions_timestamp(ty: &model::Ty) -> bool {
    match ty {
        model::Ty::Timestamp => true,
        model::Ty::List(t) | model::Ty::Option(t) | model::Ty::Map(t) => mentions_timestamp(t),
        _ => false,
    }
}

/// `namespace:name@version`, each part a WIT identifier and the version semver-like.
fn check_package(package: &str) -> Result<(), WitError> {
    let bad = || WitError::BadPackage(package.into());
    let (name, version) = package.split_once('@').ok_or_else(bad)?;
    let (namespace, name) = name.split_once(':').ok_or_else(bad)?;
    let is_ident = |s: &str| names::kebab(s).is_some_and(|k| k == s);
    let numbers: Vec<&str> = version.split(['.', '-', '+']).collect();
    if !is_ident(namespace)
        || !is_ident(name)
        || numbers.len() < 3
        || numbers[..3].iter().any(|n| n.parse::<u64>().is_err())
    {
        return Err(bad());
    }
    Ok(())
}

//! An OpenAPI 3.0 or 3.1 document, YAML or JSON, read as plain JSON values: both versions are
//! handled by one reader, and every error can name the JSON pointer it is about.

use super::WitError;
use serde_json::Value;

/// A parsed document.
#[derive(Debug)]
pub struct Document {
    pub root: Value,
    /// `3.0` or `3.1`.
    pub version: (u32, u32),
}

impl Document {
    /// Reads `text` (JSON, or YAML, which JSON is a subset of) and checks it is OpenAPI 3.0/3.1.
    ///
    /// # Errors
    /// [`WitError::Parse`] when the text is neither, [`WitError::NotOpenApi3`] for Swagger 2.0
    /// or any other version.
    pub fn parse(text: &str) -> Result<Self, WitError> {
        let root: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => serde_yaml::from_str(text).map_err(|e| WitError::Parse(e.to_string()))?,
        };
        let version = match root.get("openapi").and_then(Value::as_str) {
            Some(v) => v.to_string(),
            None => {
                let found = match root.get("swagger") {
                    Some(s) => format!("Swagger {}", s.as_str().unwrap_or("?")),
                    None => "no `openapi` field".into(),
                };
                return Err(WitError::NotOpenApi3(found));
            }
        };
        let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
        let parsed = match (parts.next().flatten(), parts.next().flatten()) {
            (Some(3), Some(minor @ (0 | 1))) => (3, minor),
            _ => return Err(WitError::NotOpenApi3(format!("OpenAPI {version}"))),
        };
        Ok(Self { root, version: parsed })
    }

    /// The value at `pointer` (`#/components/schemas/Pet` or `/components/...`).
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        self.root.pointer(pointer.strip_prefix('#').unwrap_or(pointer))
    }

    /// `value`, or what its `$ref` points to (following chains of references), with the pointer
    /// of where it was found.
    ///
    /// # Errors
    /// [`WitError::UnresolvedRef`] for a reference outside the document or to nothing, and a
    /// cycle of references.
    pub fn resolve<'a>(&'a self, value: &'a Value, pointer: &str) -> Result<(&'a Value, String), WitError> {
        let mut current = value;
        let mut at = pointer.to_string();
        for _ in 0..32 {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                return Ok((current, at));
            };
            if !reference.starts_with("#/") {
                return Err(WitError::UnresolvedRef {
                    pointer: at,
                    reference: reference.into(),
                    why: "only references inside the document (#/...) are supported".into(),
                });
            }
            current = self.at(reference).ok_or_else(|| WitError::UnresolvedRef {
                pointer: at.clone(),
                reference: reference.into(),
                why: "nothing is there".into(),
            })?;
            at = reference.to_string();
        }
        Err(WitError::UnresolvedRef { pointer: at, reference: String::new(), why: "a cycle of references".into() })
    }
}

/// `pointer` with `token` appended, escaped as RFC 6901 says (`~` → `~0`, `/` → `~1`).
pub fn join(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

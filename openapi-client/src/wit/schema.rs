//! JSON Schemas (OpenAPI's dialect, 3.0 and 3.1) to WIT types. The rules, one by one, are in
//! `docs/openapi-to-wit.md`; each function here says which it implements.

use super::WitError;
use super::document::{Document, join};
use super::model::{Case, Field, Ty, TypeDef, TypeKind};
use super::names::kebab;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Names the host defines in every package: a schema may not take them.
pub const HOST_TYPES: [&str; 3] = ["timestamp", "http-error", "api-error"];

/// The named types found so far, in the order they were first needed.
#[derive(Debug)]
pub struct Types<'d> {
    doc: &'d Document,
    pub defs: Vec<TypeDef>,
    /// Schema pointer → WIT name, for schemas already defined.
    by_pointer: HashMap<String, String>,
    /// WIT name → schema pointer, to catch two schemas with one name.
    by_name: HashMap<String, String>,
    /// Pointers being converted now: a reference back to one is a recursive schema.
    in_progress: HashSet<String>,
}

impl<'d> Types<'d> {
    pub fn new(doc: &'d Document) -> Self {
        Self { doc, defs: Vec::new(), by_pointer: HashMap::new(), by_name: HashMap::new(), in_progress: HashSet::new() }
    }

    /// Whether any type uses `timestamp` (then the package defines it).
    pub fn uses_timestamp(&self) -> bool {
        fn uses(ty: &Ty) -> bool {
            match ty {
                Ty::Timestamp => true,
                Ty::List(t) | Ty::Option(t) | Ty::Map(t) => uses(t),
                _ => false,
            }
        }
        self.defs.iter().any(|d| match &d.kind {
            TypeKind::Record(fields) => fields.iter().any(|f| uses(&f.ty)),
            TypeKind::Variant { cases, .. } => cases.iter().any(|c| uses(&c.ty)),
            TypeKind::Enum(_) => false,
        })
    }

    /// The WIT type of the schema `schema` found at `pointer`; `hint` names it if it needs a
    /// name of its own (an inline object or enum). Optional-ness is the caller's: a nullable
    /// schema comes back as `option`.
    ///
    /// # Errors
    /// Unresolvable references, names that collide, enums whose cases collide.
    pub fn ty(&mut self, schema: &Value, pointer: &str, hint: &str) -> Result<Ty, WitError> {
        // A reference to a named schema: defined once, under the schema's own name.
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let (target, at) = self.doc.resolve(schema, pointer)?;
            if self.in_progress.contains(&at) {
                // WIT types cannot refer to themselves: the recursive part travels as JSON.
                return Ok(Ty::Json);
            }
            if let Some(name) = self.by_pointer.get(&at) {
                return Ok(Ty::Named(name.clone()));
            }
            let own = reference.rsplit('/').next().unwrap_or(reference);
            let name = kebab(own).ok_or_else(|| WitError::BadName { pointer: at.clone(), name: own.into() })?;
            self.in_progress.insert(at.clone());
            let result = self.shape(target, &at, &name);
            self.in_progress.remove(&at);
            return result;
        }
        self.shape(schema, pointer, hint)
    }

    fn shape(&mut self, schema: &Value, pointer: &str, name: &str) -> Result<Ty, WitError> {
        let object = match schema {
            Value::Object(o) => o,
            // `true` / `{}`: anything at all.
            _ => return Ok(Ty::Json),
        };
        let (types, nullable) = type_list(object);
        let wrap = |ty: Ty| if nullable { ty.optional() } else { ty };
        if let Some(all) = object.get("allOf").and_then(Value::as_array) {
            return Ok(wrap(self.all_of(all, object, pointer, name)?));
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(members) = object.get(key).and_then(Value::as_array) {
                return Ok(wrap(self.one_of(members, object, &join(pointer, key), name)?));
            }
        }
        if let Some(values) = object.get("enum").and_then(Value::as_array)
            && (types.is_empty() || types == ["string"])
        {
            let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            let has_null = values.iter().any(Value::is_null);
            if strings.len() + usize::from(has_null) == values.len() && !strings.is_empty() {
                let ty = self.enumeration(&strings, object, pointer, name)?;
                return Ok(if nullable || has_null { ty.optional() } else { ty });
            }
        }
        let ty = match types.as_slice() {
            ["string"] => match object.get("format").and_then(Value::as_str) {
                Some("date-time") => Ty::Timestamp,
                _ => Ty::String,
            },
            ["integer"] => match object.get("format").and_then(Value::as_str) {
                Some("int32") => Ty::S32,
                Some("uint32") => Ty::U32,
                Some("uint64") => Ty::U64,
                _ => Ty::S64,
            },
            ["number"] => Ty::F64,
            ["boolean"] => Ty::Bool,
            ["array"] => match object.get("items") {
                Some(items) => Ty::List(Box::new(self.ty(items, &join(pointer, "items"), &format!("{name}-item"))?)),
                None => Ty::List(Box::new(Ty::Json)),
            },
            ["object"] | [] if object.contains_key("properties") => self.record(object, pointer, name)?,
            ["object"] | [] => match object.get("additionalProperties") {
                Some(values @ Value::Object(o)) if !o.is_empty() => {
                    let at = join(pointer, "additionalProperties");
                    Ty::Map(Box::new(self.ty(values, &at, &format!("{name}-value"))?))
                }
                // `additionalProperties: true`, `{}`, or nothing said: a free-form object.
                _ => Ty::Json,
            },
            // Several types at once (`[string, integer]`): no WIT type says that.
            _ => Ty::Json,
        };
        Ok(wrap(ty))
    }

    /// `allOf`: one member is that member; several are one record with every member's
    /// properties (each resolved), required where any member requires them.
    fn all_of(
        &mut self,
        members: &[Value],
        parent: &Map<String, Value>,
        pointer: &str,
        name: &str,
    ) -> Result<Ty, WitError> {
        let at = join(pointer, "allOf");
        if let [only] = members
            && !parent.contains_key("properties")
        {
            return self.ty(only, &join(&at, "0"), name);
        }
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        // Members in document order (a nested allOf in place of its member), then the
        // parent's own properties: fields come out in the order a reader of the document sees.
        let mut pending: std::collections::VecDeque<(Value, String)> =
            members.iter().enumerate().map(|(i, m)| (m.clone(), join(&at, &i.to_string()))).collect();
        let mut own = parent.clone();
        own.remove("allOf");
        pending.push_back((Value::Object(own), pointer.to_string()));
        let mut seen = 0;
        while let Some((member, member_at)) = pending.pop_front() {
            seen += 1;
            if seen > 256 {
                return Err(WitError::Unsupported { pointer: at, what: "an allOf nested past 256 schemas".into() });
            }
            let (member, member_at) = self.doc.resolve(&member, &member_at).map(|(v, p)| (v.clone(), p))?;
            if let Some(nested) = member.get("allOf").and_then(Value::as_array) {
                let nested_at = join(&member_at, "allOf");
                for (i, m) in nested.iter().enumerate().rev() {
                    pending.push_front((m.clone(), join(&nested_at, &i.to_string())));
                }
            }
            if let Some(props) = member.get("properties").and_then(Value::as_object) {
                for (key, value) in props {
                    properties.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
            if let Some(req) = member.get("required").and_then(Value::as_array) {
                required.extend(req.iter().cloned());
            }
        }
        let mut merged = Map::new();
        merged.insert("type".into(), Value::String("object".into()));
        merged.insert("properties".into(), Value::Object(properties));
        merged.insert("required".into(), Value::Array(required));
        if let Some(description) = parent.get("description") {
            merged.insert("description".into(), description.clone());
        }
        self.record(&merged, pointer, name)
    }

    /// `oneOf`/`anyOf`: a `null` member makes it optional; one other member is that member;
    /// more are a variant, one case per member, named from the member's schema name, or its
    /// discriminator value, or its `title`, or its type.
    fn one_of(
        &mut self,
        members: &[Value],
        parent: &Map<String, Value>,
        pointer: &str,
        name: &str,
    ) -> Result<Ty, WitError> {
        let is_null = |m: &Value| m.get("type").and_then(Value::as_str) == Some("null");
        let nullable = members.iter().any(is_null);
        let others: Vec<(usize, &Value)> = members.iter().enumerate().filter(|(_, m)| !is_null(m)).collect();
        if let [(i, only)] = others.as_slice() {
            let ty = self.ty(only, &join(pointer, &i.to_string()), name)?;
            return Ok(if nullable { ty.optional() } else { ty });
        }
        let discriminator = parent.get("discriminator");
        let property = discriminator.and_then(|d| d.get("propertyName")).and_then(Value::as_str).map(str::to_string);
        let mapping: Vec<(String, String)> = discriminator
            .and_then(|d| d.get("mapping"))
            .and_then(Value::as_object)
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
            .unwrap_or_default();
        let mut cases: Vec<Case> = Vec::new();
        for (i, member) in others {
            let at = join(pointer, &i.to_string());
            let reference = member.get("$ref").and_then(Value::as_str);
            let schema_name = reference.map(|r| r.rsplit('/').next().unwrap_or(r).to_string());
            // The discriminator values that select this member: the mapping's keys that point
            // to it, or (OpenAPI's default) the schema's own name.
            let mut tags: Vec<String> = mapping
                .iter()
                .filter(|(_, target)| Some(target.as_str()) == reference)
                .map(|(k, _)| k.clone())
                .collect();
            if tags.is_empty()
                && property.is_some()
                && let Some(own) = &schema_name
            {
                tags.push(own.clone());
            }
            let label = tags
                .first()
                .cloned()
                .or(schema_name)
                .or_else(|| member.get("title").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| type_word(member));
            let mut case_name = kebab(&label).ok_or_else(|| WitError::BadName { pointer: at.clone(), name: label })?;
            if cases.iter().any(|c| c.name == case_name) {
                case_name = format!("{case_name}{i}");
            }
            let ty = self.ty(member, &at, &format!("{name}-{case_name}"))?;
            cases.push(Case { name: case_name, ty, tags });
        }
        let parent_at = pointer.rsplit_once('/').map_or(pointer, |(p, _)| p).to_string();
        let docs = description(parent);
        self.define(name, TypeKind::Variant { cases, discriminator: property }, docs, &parent_at)?;
        let ty = Ty::Named(name.to_string());
        Ok(if nullable { ty.optional() } else { ty })
    }

    fn record(&mut self, object: &Map<String, Value>, pointer: &str, name: &str) -> Result<Ty, WitError> {
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map_or_else(Vec::new, |r| r.iter().filter_map(Value::as_str).collect());
        let mut fields: Vec<Field> = Vec::new();
        let properties = object.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let props_at = join(pointer, "properties");
        for (json, schema) in &properties {
            let at = join(&props_at, json);
            let field = kebab(json).ok_or_else(|| WitError::BadName { pointer: at.clone(), name: json.clone() })?;
            if let Some(other) = fields.iter().find(|f| f.name == field) {
                return Err(WitError::Collision { name: field, first: join(&props_at, &other.json), second: at });
            }
            let ty = self.ty(schema, &at, &format!("{name}-{field}"))?;
            let ty = if required.contains(&json.as_str()) { ty } else { ty.optional() };
            let docs = self.doc.resolve(schema, &at).ok().and_then(|(s, _)| s.as_object().and_then(description));
            fields.push(Field { name: field, json: json.clone(), ty, docs });
        }
        self.define(name, TypeKind::Record(fields), description(object), pointer)?;
        Ok(Ty::Named(name.to_string()))
    }

    fn enumeration(
        &mut self,
        values: &[&str],
        object: &Map<String, Value>,
        pointer: &str,
        name: &str,
    ) -> Result<Ty, WitError> {
        let mut cases: Vec<(String, String)> = Vec::new();
        for value in values {
            let case =
                kebab(value).ok_or_else(|| WitError::BadName { pointer: pointer.into(), name: (*value).into() })?;
            if let Some((_, first)) = cases.iter().find(|(c, _)| *c == case) {
                return Err(WitError::EnumCollision {
                    pointer: pointer.into(),
                    case,
                    first: first.clone(),
                    second: (*value).into(),
                });
            }
            cases.push((case, (*value).to_string()));
        }
        self.define(name, TypeKind::Enum(cases), description(object), pointer)?;
        Ok(Ty::Named(name.to_string()))
    }

    /// Adds a named type, once per schema; two schemas may not share a WIT name.
    fn define(&mut self, name: &str, kind: TypeKind, docs: Option<String>, pointer: &str) -> Result<(), WitError> {
        if HOST_TYPES.contains(&name) {
            return Err(WitError::Reserved { pointer: pointer.into(), name: name.into() });
        }
        if let Some(first) = self.by_name.get(name) {
            if first == pointer {
                return Ok(());
            }
            return Err(WitError::Collision { name: name.into(), first: first.clone(), second: pointer.into() });
        }
        self.by_name.insert(name.into(), pointer.into());
        self.by_pointer.insert(pointer.into(), name.into());
        self.defs.push(TypeDef { name: name.into(), kind, docs, pointer: pointer.into() });
        Ok(())
    }
}

/// The schema's non-null types (3.1 lists them; 3.0 has one and `nullable`), and whether
/// `null` is allowed.
fn type_list(object: &Map<String, Value>) -> (Vec<&str>, bool) {
    let nullable = object.get("nullable").and_then(Value::as_bool).unwrap_or(false);
    match object.get("type") {
        Some(Value::String(t)) if t == "null" => (Vec::new(), true),
        Some(Value::String(t)) => (vec![t.as_str()], nullable),
        Some(Value::Array(ts)) => {
            let names: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
            let null = names.contains(&"null");
            (names.into_iter().filter(|t| *t != "null").collect(), nullable || null)
        }
        _ => (Vec::new(), nullable),
    }
}

fn type_word(schema: &Value) -> String {
    match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        _ if schema.get("properties").is_some() => "object".into(),
        _ => "value".into(),
    }
}

fn description(object: &Map<String, Value>) -> Option<String> {
    object.get("description").or_else(|| object.get("title")).and_then(Value::as_str).map(|d| d.trim().to_string())
}

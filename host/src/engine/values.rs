//! JSON ⇄ component values, by the API's model: how the host serves any OpenAPI document's
//! functions without generated Rust per operation (issue 14, "served dynamically"). A
//! response body is read straight from its bytes onto a [`Tape`] of the function's result
//! type (a schema-driven `DeserializeSeed`: no `serde_json::Value` in between, except to pick
//! a `oneOf` case, and nothing allocated per record), which is lowered into the probe as it is
//! ([`component_abi`]) or turned into `Val`s (`tape::to_val`); a value that does not match the
//! schema names the JSON path where it stopped matching. Arguments go the other way, to JSON.

use super::scan;
use chrono::{DateTime, SecondsFormat, Utc};
use component_abi::{Node, Tape};
use potato_api_client::wit::model::{Api, Ty, TypeDef, TypeKind};
use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;
use wasmtime::component::Val;

/// The named types of a mapped document, by WIT name. (Looked up for every named value read
/// or rebuilt: a fast hash of short names, not a DoS-resistant one; the names are the
/// document's, fixed at load.)
#[derive(Debug)]
pub struct Schema {
    types: FxHashMap<String, TypeDef>,
}

impl Schema {
    pub fn new(api: &Api) -> Self {
        Self { types: api.types.iter().map(|t| (t.name.clone(), t.clone())).collect() }
    }

    /// The type named `name`.
    pub fn get(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }
}

/// A body that does not match its schema: where (`$.items[3].weight_grams`) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at {path}: {reason}")]
pub struct InvalidValue {
    pub path: String,
    pub reason: String,
}

/// Reads `bytes` (a JSON document) as a value of type `ty`.
///
/// # Errors
/// [`InvalidValue`] naming the JSON path of the first mismatch.
#[cfg(test)]
pub fn from_json(schema: &Schema, ty: &Ty, bytes: &[u8]) -> Result<Val, InvalidValue> {
    let tape = read_json(schema, ty, bytes)?;
    super::tape::to_val(&tape, schema, ty)
        .ok_or_else(|| InvalidValue { path: "$".into(), reason: "the value read does not have its type".into() })
}

/// Reads `bytes` (a JSON document) as a value of type `ty`, into a [`Tape`]: its scalars in
/// the order the type visits them, its strings in one buffer, nothing per field name.
///
/// # Errors
/// [`InvalidValue`] naming the JSON path of the first mismatch.
pub fn read_json(schema: &Schema, ty: &Ty, bytes: &[u8]) -> Result<Tape, InvalidValue> {
    // The body checked as UTF-8 once, as a whole: read from bytes, serde_json checks every
    // string on its own (3 % of a run reading 100,000 potatoes, most of it per-call cost).
    match std::str::from_utf8(bytes) {
        Ok(text) => read_with(schema, ty, serde_json::Deserializer::from_str(text), bytes.len()),
        Err(_) => read_with(schema, ty, serde_json::Deserializer::from_slice(bytes), bytes.len()),
    }
}

fn read_with<'de, R: serde_json::de::Read<'de>>(
    schema: &Schema,
    ty: &Ty,
    mut de: serde_json::Deserializer<R>,
    len: usize,
) -> Result<Tape, InvalidValue> {
    let path = RefCell::new(Vec::new());
    // About one node per 12 bytes of JSON and a quarter of it in strings (a potato page: 14
    // and 22 %), so a page's tape mostly fits at once. Not shrunk after: most tapes are read
    // once and dropped; one kept counts its whole capacity against the budget.
    let out = RefCell::new(Tape::with_capacity(len / 12, len / 4));
    let spans = RefCell::new(Vec::new());
    let scratch = RefCell::new(Vec::new());
    let orders = RefCell::new(Vec::new());
    let named = RefCell::new(Vec::new());
    let seed =
        Seed { schema, ty, path: &path, out: &out, spans: &spans, scratch: &scratch, orders: &orders, named: &named };
    let result = seed.deserialize(&mut de).and_then(|()| de.end());
    match result {
        Ok(()) => Ok(out.into_inner()),
        Err(e) => Err(InvalidValue { path: render(&path.borrow()), reason: e.to_string() }),
    }
}

/// One step of a JSON path. A record's field borrows its name from the model, so reading a
/// record allocates nothing for the path (it is rendered only for an error).
#[derive(Debug, Clone)]
enum Step<'s> {
    Field(&'s str),
    Key(String),
    Index(usize),
}

/// Renders a path noted innermost first.
fn render(path: &[Step<'_>]) -> String {
    let mut out = String::from("$");
    for step in path.iter().rev() {
        match step {
            Step::Field(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// A value of `ty` to read onto `out`. `path` is empty while reading goes well; after an error
/// it holds the steps from the value that failed out to the top (innermost first).
#[derive(Clone, Copy)]
struct Seed<'s> {
    schema: &'s Schema,
    ty: &'s Ty,
    path: &'s RefCell<Vec<Step<'s>>>,
    out: &'s RefCell<Tape>,
    /// Where each field of the records being read is on `out` (a stack: a record's spans sit
    /// above its parent's while it is read), for putting keys that came out of the schema's
    /// order back in it.
    spans: &'s RefCell<Vec<Option<(usize, usize)>>>,
    /// Room to reorder a record's nodes in, reused from record to record.
    scratch: &'s RefCell<Vec<Node>>,
    /// The order of the keys of the last record read of each type, as field indices: the
    /// records of a list mostly come with their keys in one order, whatever it is, so the
    /// field the `k`-th key names is looked for first where the last record had it.
    orders: &'s RefCell<Vec<(&'s TypeDef, Vec<usize>)>>,
    /// The named types found so far, by the very name in the model (a pointer comparison):
    /// a page of records looks the same few types up once per record and field, and hashing
    /// their names every time was 3 % of reading 100,000 potatoes.
    named: &'s RefCell<Vec<(&'s String, &'s TypeDef)>>,
}

impl<'s> Seed<'s> {
    fn of(self, ty: &'s Ty) -> Self {
        Seed { ty, ..self }
    }

    /// Reads the value under `step` with `read`, noting the step on failure. (Noted only then,
    /// on the way out: a value read costs no step, and the path is kept innermost first.)
    fn under<T, E>(self, step: Step<'s>, read: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let result = read();
        if result.is_err() {
            self.path.borrow_mut().push(step);
        }
        result
    }

    /// The named type `name` (a name in the model's types, borrowed for the read).
    fn lookup(self, name: &'s String) -> Option<&'s TypeDef> {
        const REMEMBERED: usize = 16;
        let mut named = self.named.borrow_mut();
        if let Some((_, def)) = named.iter().find(|(n, _)| std::ptr::eq(*n, name)) {
            return Some(def);
        }
        let def = self.schema.types.get(name.as_str())?;
        if named.len() < REMEMBERED {
            named.push((name, def));
        }
        Some(def)
    }

    fn push(self, node: Node) {
        self.out.borrow_mut().push(node);
    }

    fn push_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.out.borrow_mut().push_str(s).ok_or_else(|| E::custom("more than 4 GiB of text"))
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        match self.ty {
            Ty::Option(inner) => de.deserialize_option(OptionVisitor(self.of(inner))),
            Ty::Json => {
                let value = Value::deserialize_any_json(de)?;
                self.push_str(&value.to_string())
            }
            Ty::Named(name) => match self.lookup(name) {
                Some(def) => match &def.kind {
                    TypeKind::Record(_) => de.deserialize_map(RecordVisitor { seed: self, def }),
                    TypeKind::Enum(_) => de.deserialize_str(ScalarVisitor { seed: self, def: Some(def) }),
                    TypeKind::Variant { .. } => {
                        let value = Value::deserialize_any_json(de)?;
                        variant(self, def, value).map_err(de::Error::custom)
                    }
                },
                None => Err(de::Error::custom(format!("the model has no type {name:?}"))),
            },
            Ty::List(_) => de.deserialize_seq(ListVisitor(self)),
            Ty::Map(_) => de.deserialize_map(MapVisitor(self)),
            _ => de.deserialize_any(ScalarVisitor { seed: self, def: None }),
        }
    }
}

/// `serde_json::Value` from any deserializer (for the JSON-text fallback and `oneOf`).
trait AnyJson: Sized {
    fn deserialize_any_json<'de, D: Deserializer<'de>>(de: D) -> Result<Self, D::Error>;
}

impl AnyJson for Value {
    fn deserialize_any_json<'de, D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        serde::Deserialize::deserialize(de)
    }
}

/// A `oneOf`/`anyOf`: the case the discriminator names, or the first case the value reads as.
fn variant<'s>(seed: Seed<'s>, def: &'s TypeDef, value: Value) -> Result<(), String> {
    let TypeKind::Variant { cases, discriminator } = &def.kind else { unreachable!("a variant") };
    let case_node = |i: usize| Node::Case(u32::try_from(i).unwrap_or(u32::MAX));
    if let Some(property) = discriminator {
        let tag = value
            .get(property)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{} needs a string {property:?} to say which it is", def.name))?;
        let i = cases
            .iter()
            .position(|c| c.tags.iter().any(|t| t == tag))
            .ok_or_else(|| format!("{property} {tag:?} is none of {}", def.name))?;
        seed.push(case_node(i));
        return seed.of(&cases[i].ty).deserialize(value).map_err(|e| e.to_string());
    }
    for (i, case) in cases.iter().enumerate() {
        let depth = seed.path.borrow().len();
        let mark = seed.out.borrow().len();
        seed.push(case_node(i));
        match seed.of(&case.ty).deserialize(value.clone()) {
            Ok(()) => return Ok(()),
            Err(_) => {
                seed.path.borrow_mut().truncate(depth);
                seed.out.borrow_mut().truncate(mark);
            }
        }
    }
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    Err(format!("matches none of {}'s cases ({})", def.name, names.join(", ")))
}

struct OptionVisitor<'s>(Seed<'s>);

impl<'de> Visitor<'de> for OptionVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.0.push(Node::None);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.push(Node::None);
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        self.0.push(Node::Some);
        self.0.deserialize(de)
    }
}

/// A count as a tape's length node.
fn length<E: de::Error>(n: usize) -> Result<Node, E> {
    u32::try_from(n).map(Node::Len).map_err(|_| E::custom("more than 4 billion items"))
}

struct ListVisitor<'s>(Seed<'s>);

impl<'de> Visitor<'de> for ListVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Ty::List(item) = self.0.ty else { unreachable!("a list") };
        // The length, known at the end.
        let at = self.0.out.borrow().len();
        self.0.push(Node::Len(0));
        let mut n = 0;
        loop {
            let seed = self.0.of(item);
            match seed.under(Step::Index(n), || seq.next_element_seed(seed))? {
                Some(()) => n += 1,
                None => break,
            }
        }
        self.0.out.borrow_mut().set(at, length(n)?);
        Ok(())
    }
}

struct MapVisitor<'s>(Seed<'s>);

impl<'de> Visitor<'de> for MapVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Ty::Map(value) = self.0.ty else { unreachable!("a map") };
        let at = self.0.out.borrow().len();
        self.0.push(Node::Len(0));
        let mut n = 0;
        while let Some(key) = map.next_key::<String>()? {
            self.0.push_str(&key)?;
            let seed = self.0.of(value);
            seed.under(Step::Key(key), || map.next_value_seed(seed))?;
            n += 1;
        }
        self.0.out.borrow_mut().set(at, length(n)?);
        Ok(())
    }
}

struct RecordVisitor<'s> {
    seed: Seed<'s>,
    def: &'s TypeDef,
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object ({})", self.def.name)
    }

    /// Keys in the schema's order (optional fields may be left out: a `None` goes in their
    /// place) are read onto the tape as they come, and that is all. Keys in another order
    /// (an encoder that sorts them, as many do) are read onto the tape as they come too, each
    /// field's place noted; at the end the record's nodes are put in the schema's order
    /// through a buffer reused from record to record (the last of a repeated key counts), so a
    /// record costs no allocation either way.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let TypeKind::Record(fields) = &self.def.kind else { unreachable!("a record") };
        let optional = |f: &potato_api_client::wit::model::Field| matches!(f.ty, Ty::Option(_));
        let seed = self.seed;
        let base = seed.spans.borrow().len();
        seed.spans.borrow_mut().resize(base + fields.len(), None);
        let start = seed.out.borrow().len();
        // The last record's key order, taken while this one is read (a record type never
        // holds itself: recursive schemas are JSON text).
        let mut order = {
            let mut orders = seed.orders.borrow_mut();
            match orders.iter_mut().find(|(d, _)| std::ptr::eq(*d, self.def)) {
                Some((_, order)) => std::mem::take(order),
                None => Vec::new(),
            }
        };
        let mut k = 0;
        // While in order: the fields before `next` are on the tape, in order.
        let mut next = 0;
        let mut in_order = true;
        while let Some(field) = map.next_key_seed(FieldSeed { fields, next, predicted: order.get(k).copied() })? {
            let Some(i) = field else {
                // Fields the schema does not name are not the probe's business.
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match order.get_mut(k) {
                Some(slot) => *slot = i,
                None => order.push(i),
            }
            k += 1;
            in_order = in_order && i >= next && fields[next..i].iter().all(optional);
            if in_order {
                for _ in next..i {
                    seed.push(Node::None);
                }
                next = i + 1;
            }
            let from = seed.out.borrow().len();
            let value = seed.of(&fields[i].ty);
            value.under(Step::Field(&fields[i].json), || map.next_value_seed(value))?;
            let to = seed.out.borrow().len();
            seed.spans.borrow_mut()[base + i] = Some((from, to));
        }
        let missing = |i: usize| {
            seed.path.borrow_mut().push(Step::Field(&fields[i].json));
            de::Error::custom(format!("the required field {:?} is missing", fields[i].json))
        };
        let result = if in_order {
            fields.iter().enumerate().skip(next).try_for_each(|(i, field)| {
                if !optional(field) {
                    return Err(missing(i));
                }
                seed.push(Node::None);
                Ok(())
            })
        } else {
            let mut out = seed.out.borrow_mut();
            let mut scratch = seed.scratch.borrow_mut();
            scratch.clear();
            scratch.extend_from_slice(&out.nodes()[start..]);
            out.truncate(start);
            let spans = seed.spans.borrow();
            let mut result = Ok(());
            for (i, field) in fields.iter().enumerate() {
                match spans[base + i] {
                    Some((from, to)) => out.extend(&scratch[from - start..to - start]),
                    None if optional(field) => out.push(Node::None),
                    None => {
                        result = Err(i);
                        break;
                    }
                }
            }
            result.map_err(missing)
        };
        seed.spans.borrow_mut().truncate(base);
        order.truncate(k);
        let mut orders = seed.orders.borrow_mut();
        match orders.iter_mut().find(|(d, _)| std::ptr::eq(*d, self.def)) {
            Some((_, kept)) => *kept = order,
            None => orders.push((self.def, order)),
        }
        result
    }
}

/// A record's key, as the index of the field it names (none for a key the schema does not
/// name), matched without copying the key. Encoders write the keys of one type's objects in
/// one order (the schema's, or sorted, or their own), so the field the last record of the type
/// had at this place is tried first, then the field after the last one matched: mostly one
/// comparison per key instead of a search (string comparisons were 3.5 % of a run reading
/// 100,000 potatoes).
struct FieldSeed<'s> {
    fields: &'s [potato_api_client::wit::model::Field],
    next: usize,
    /// The field the key at this place named in the last record of this type.
    predicted: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Option<usize>, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        for guess in [self.predicted, Some(self.next)].into_iter().flatten() {
            if self.fields.get(guess).is_some_and(|f| scan::eq(&f.json, key)) {
                return Ok(Some(guess));
            }
        }
        Ok(self.fields.iter().position(|f| scan::eq(&f.json, key)))
    }
}

/// Booleans, numbers, strings, enums and timestamps.
struct ScalarVisitor<'s> {
    seed: Seed<'s>,
    def: Option<&'s TypeDef>,
}

impl ScalarVisitor<'_> {
    fn integer<E: de::Error>(&self, v: i128) -> Result<(), E> {
        let out_of_range = || E::custom(format!("{v} does not fit {}", wit(self.seed.ty)));
        self.seed.push(match self.seed.ty {
            Ty::S32 => Node::S32(i32::try_from(v).map_err(|_| out_of_range())?),
            Ty::S64 => Node::S64(i64::try_from(v).map_err(|_| out_of_range())?),
            Ty::U32 => Node::U32(u32::try_from(v).map_err(|_| out_of_range())?),
            Ty::U64 => Node::U64(u64::try_from(v).map_err(|_| out_of_range())?),
            Ty::F64 => Node::F64(v as f64),
            _ => return Err(E::invalid_type(de::Unexpected::Other("a number"), self)),
        });
        Ok(())
    }
}

/// How a type is named in errors.
fn wit(ty: &Ty) -> String {
    match ty {
        Ty::Named(n) => n.clone(),
        Ty::S32 => "s32".into(),
        Ty::S64 => "s64".into(),
        Ty::U32 => "u32".into(),
        Ty::U64 => "u64".into(),
        Ty::F64 => "f64".into(),
        Ty::Bool => "bool".into(),
        Ty::String | Ty::Json => "string".into(),
        Ty::Timestamp => "a date-time".into(),
        Ty::List(_) | Ty::Map(_) | Ty::Option(_) => "a value".into(),
    }
}

impl<'de> Visitor<'de> for ScalarVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.def, self.seed.ty) {
            (Some(def), _) => write!(f, "one of the strings of {}", def.name),
            (None, Ty::Bool) => f.write_str("a boolean"),
            (None, Ty::String) => f.write_str("a string"),
            (None, Ty::Timestamp) => f.write_str("an RFC 3339 date-time string"),
            (None, Ty::F64) => f.write_str("a number"),
            (None, ty) => write!(f, "an integer ({})", wit(ty)),
        }
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match self.seed.ty {
            Ty::Bool => {
                self.seed.push(Node::Bool(v));
                Ok(())
            }
            _ => Err(E::invalid_type(de::Unexpected::Bool(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.integer(i128::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.integer(i128::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        match self.seed.ty {
            Ty::F64 => {
                self.seed.push(Node::F64(v));
                Ok(())
            }
            // 5.0 is an integer that a JSON encoder happened to write with a point.
            Ty::S32 | Ty::S64 | Ty::U32 | Ty::U64 if v.fract() == 0.0 && v.abs() < 9.0e15 => self.integer(v as i128),
            _ => Err(E::invalid_type(de::Unexpected::Float(v), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match (self.def, self.seed.ty) {
            (Some(def), _) => {
                let TypeKind::Enum(cases) = &def.kind else { unreachable!("an enum") };
                match cases.iter().position(|(_, json)| scan::eq(json, v)) {
                    Some(i) => {
                        self.seed.push(Node::Case(u32::try_from(i).unwrap_or(u32::MAX)));
                        Ok(())
                    }
                    None => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            (None, Ty::String) => self.seed.push_str(v),
            (None, Ty::Timestamp) => {
                if let Some(seconds) = scan::utc_seconds(v) {
                    self.seed.push(Node::S64(seconds));
                    self.seed.push(Node::U32(0));
                    return Ok(());
                }
                let t = DateTime::parse_from_rfc3339(v).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))?;
                self.seed.push(Node::S64(t.timestamp()));
                self.seed.push(Node::U32(t.timestamp_subsec_nanos()));
                Ok(())
            }
            _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
        }
    }
}

/// A value of type `ty` as JSON, for a request (a parameter or a body).
pub fn to_json(schema: &Schema, ty: &Ty, val: &Val) -> Value {
    match (ty, val) {
        (Ty::Option(_), Val::Option(None)) => Value::Null,
        (Ty::Option(inner), Val::Option(Some(v))) => to_json(schema, inner, v),
        (_, Val::Bool(b)) => Value::Bool(*b),
        (_, Val::S32(n)) => Value::from(*n),
        (_, Val::S64(n)) => Value::from(*n),
        (_, Val::U32(n)) => Value::from(*n),
        (_, Val::U64(n)) => Value::from(*n),
        (_, Val::Float64(f)) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        (Ty::Json, Val::String(s)) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())),
        (_, Val::String(s)) => Value::String(s.clone()),
        (Ty::Timestamp, Val::Record(fields)) => {
            let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
            let (Some(Val::S64(s)), Some(Val::U32(ns))) = (get("seconds"), get("nanoseconds")) else {
                return Value::Null;
            };
            DateTime::<Utc>::from_timestamp(*s, *ns)
                .map_or(Value::Null, |t| Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
        }
        (Ty::List(item), Val::List(items)) => Value::Array(items.iter().map(|v| to_json(schema, item, v)).collect()),
        (Ty::Map(value), Val::List(pairs)) => Value::Object(
            pairs
                .iter()
                .filter_map(|p| match p {
                    Val::Tuple(kv) => match kv.as_slice() {
                        [Val::String(k), v] => Some((k.clone(), to_json(schema, value, v))),
                        _ => None,
                    },
                    _ => None,
                })
                .collect(),
        ),
        (Ty::Named(name), val) => match (schema.types.get(name.as_str()).map(|d| &d.kind), val) {
            (Some(TypeKind::Record(fields)), Val::Record(values)) => Value::Object(
                fields
                    .iter()
                    .zip(values)
                    .filter(|(_, (_, v))| !matches!(v, Val::Option(None)))
                    .map(|(f, (_, v))| (f.json.clone(), to_json(schema, &f.ty, v)))
                    .collect(),
            ),
            (Some(TypeKind::Enum(cases)), Val::Enum(case)) => {
                cases.iter().find(|(c, _)| c == case).map_or(Value::Null, |(_, json)| Value::String(json.clone()))
            }
            (Some(TypeKind::Variant { cases, .. }), Val::Variant(case, Some(payload))) => {
                cases.iter().find(|c| c.name == *case).map_or(Value::Null, |c| to_json(schema, &c.ty, payload))
            }
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use potato_api_client::wit::generate;

    fn shop() -> Api {
        use probe_host_test_support::{SHOP_DOCUMENT, shop_options};
        generate(SHOP_DOCUMENT, &shop_options()).expect("maps").api
    }

    /// 2026-11-30T05:00:00Z in Unix seconds.
    fn five_oclock() -> i64 {
        DateTime::parse_from_rfc3339("2026-11-30T05:00:00Z").expect("date").timestamp()
    }

    fn page() -> Ty {
        Ty::Named("find-items-by-store-response".into())
    }

    fn rec(fields: &[(&str, Val)]) -> Val {
        Val::Record(fields.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect())
    }

    fn some(v: Val) -> Val {
        Val::Option(Some(Box::new(v)))
    }

    const PAGE: &str = r#"{
        "items": [
            {"id": 9007199254740993, "kind": "fruit", "price": {"mode": "fixed", "cents": 250},
             "state": null, "seen": "2026-11-30T05:00:00.5Z", "unknown": [1, {"x": 2}],
             "stock": [{"warehouse": "north", "counts": {"a": 1, "b": 4000000000}}]},
            {"id": 2, "kind": "veg", "price": {"mode": "per_kilo", "cents_per_kilo": 1.5},
             "state": "used", "stock": []}
        ],
        "next": "c2"
    }"#;

    #[test]
    fn a_response_is_read_by_the_schema_into_values() {
        let api = shop();
        let schema = Schema::new(&api);
        let val = from_json(&schema, &page(), PAGE.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let first = rec(&[
            ("id", Val::S64(9_007_199_254_740_993)),
            ("kind", Val::Enum("fruit".into())),
            (
                "price",
                Val::Variant(
                    "fixed".into(),
                    Some(Box::new(rec(&[("mode", Val::String("fixed".into())), ("cents", Val::U32(250))]))),
                ),
            ),
            ("state", Val::Option(None)),
            ("seen", some(rec(&[("seconds", Val::S64(five_oclock())), ("nanoseconds", Val::U32(500_000_000))]))),
            (
                "stock",
                Val::List(vec![rec(&[
                    ("warehouse", Val::String("north".into())),
                    (
                        "counts",
                        Val::List(vec![
                            Val::Tuple(vec![Val::String("a".into()), Val::U32(1)]),
                            Val::Tuple(vec![Val::String("b".into()), Val::U32(4_000_000_000)]),
                        ]),
                    ),
                ])]),
            ),
        ]);
        let second_price = rec(&[("mode", Val::String("per_kilo".into())), ("cents-per-kilo", Val::Float64(1.5))]);
        let Val::Record(fields) = &val else { panic!("{val:?}") };
        assert_eq!(fields[1], ("next".into(), some(Val::String("c2".into()))));
        let Val::List(items) = &fields[0].1 else { panic!("{val:?}") };
        assert_eq!(items[0], first);
        let Val::Record(second) = &items[1] else { panic!() };
        assert_eq!(second[2], ("price".into(), Val::Variant("per-kilo".into(), Some(Box::new(second_price)))));
        assert_eq!(second[3], ("state".into(), some(Val::Enum("used".into()))));
        assert_eq!(second[4], ("seen".into(), Val::Option(None)), "a missing optional field is none");
    }

    #[test]
    fn keys_in_any_order_read_as_in_the_schemas_order() {
        let api = shop();
        let schema = Schema::new(&api);
        let read = |json: &str| from_json(&schema, &page(), json.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let in_order = read(PAGE);
        // Reversed keys, and the first item's `stock` given twice (the last one counts).
        let shuffled = r#"{"next": "c2", "items": [
            {"stock": [], "unknown": 1, "seen": "2026-11-30T05:00:00.5Z", "state": null,
             "price": {"cents": 250, "mode": "fixed"}, "kind": "fruit", "id": 9007199254740993,
             "stock": [{"counts": {"a": 1, "b": 4000000000}, "warehouse": "north"}]},
            {"stock": [], "state": "used", "price": {"mode": "per_kilo", "cents_per_kilo": 1.5},
             "kind": "veg", "id": 2}
        ]}"#;
        assert_eq!(read(shuffled), in_order);
    }

    #[test]
    fn a_mismatch_names_the_json_path_where_it_is() {
        let api = shop();
        let schema = Schema::new(&api);
        let err = |json: &str| from_json(&schema, &page(), json.as_bytes()).unwrap_err();
        let broken = PAGE.replace(r#""cents_per_kilo": 1.5"#, r#""cents_per_kilo": "cheap""#);
        let e = err(&broken);
        assert_eq!(e.path, "$.items[1].price.cents_per_kilo", "{e}");
        assert!(e.reason.contains("invalid type: string \"cheap\", expected a number"), "{e}");
        let e = err(&PAGE.replace(r#""kind": "veg", "#, ""));
        assert_eq!(
            (e.path.as_str(), e.reason.contains("the required field \"kind\" is missing")),
            ("$.items[1].kind", true),
            "{e}"
        );
        let e = err(&PAGE.replace(r#""kind": "veg""#, r#""kind": "mineral""#));
        assert_eq!(e.path, "$.items[1].kind", "{e}");
        assert!(e.reason.contains("one of the strings of kind"), "{e}");
        let e = err(&PAGE.replace("4000000000", "-1"));
        assert_eq!(e.path, "$.items[0].stock[0].counts.b", "{e}");
        assert!(e.reason.contains("-1 does not fit u32"), "{e}");
        let e = err(&PAGE.replace(r#""mode": "fixed""#, r#""mode": "free""#));
        assert_eq!(e.path, "$.items[0].price", "{e}");
        assert!(e.reason.contains("mode \"free\" is none of price"), "{e}");
        let e = err(&PAGE.replace("2026-11-30T05:00:00.5Z", "yesterday"));
        assert_eq!(e.path, "$.items[0].seen", "{e}");
        assert_eq!(err("[]").path, "$", "the top level is an object");
        assert!(err(&format!("{PAGE} trailing")).reason.contains("trailing"));
    }

    #[test]
    fn arguments_become_json_with_the_documents_names() {
        let api = shop();
        let schema = Schema::new(&api);
        let query = rec(&[
            ("text", some(Val::String("apples".into()))),
            ("kinds", some(Val::List(vec![Val::Enum("fruit".into())]))),
        ]);
        assert_eq!(
            to_json(&schema, &Ty::Named("query".into()), &query),
            serde_json::json!({"text": "apples", "kinds": ["fruit"]})
        );
        let partial = rec(&[("text", Val::Option(None)), ("kinds", Val::Option(None))]);
        assert_eq!(to_json(&schema, &Ty::Named("query".into()), &partial), serde_json::json!({}));
        let stamp = rec(&[("seconds", Val::S64(five_oclock())), ("nanoseconds", Val::U32(0))]);
        assert_eq!(to_json(&schema, &Ty::Timestamp, &stamp), serde_json::json!("2026-11-30T05:00:00Z"));
        // Read back, the same value.
        let json = serde_json::to_vec(&to_json(&schema, &Ty::Named("query".into()), &query)).expect("json");
        assert_eq!(from_json(&schema, &Ty::Named("query".into()), &json), Ok(query));
    }
}

//! A response value kept between calls in a flat form: the scalars of a value read from a
//! body, in the order its type visits them, with its strings in one buffer. A body served
//! again (the shared-call cache hands out the same bytes) is not parsed and checked again:
//! its value is rebuilt from the tape, which costs the allocations of the value and nothing
//! else (no JSON, no names looked up, no deep copy of a tree of `Val`s). A tape takes about
//! the room of its body, where the value it stands for takes several times that.

use super::values::Schema;
use potato_api_client::wit::model::{Ty, TypeKind};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use wasmtime::component::Val;

/// One scalar, or the shape of what follows (`Len`, `Case`, `None`/`Some`).
#[derive(Debug, Clone, Copy)]
enum Node {
    Bool(bool),
    S32(i32),
    S64(i64),
    U32(u32),
    U64(u64),
    F64(f64),
    /// `text[start..start + len]`.
    Str {
        start: u32,
        len: u32,
    },
    /// A list's (or map's) length; its items follow.
    Len(u32),
    /// An enum's case, or a variant's (its payload follows), by index in the type.
    Case(u32),
    None,
    Some,
}

/// A value of one type, flattened. Built by [`Tape::of`], read back by [`Tape::value`] with the
/// same type.
#[derive(Debug, Default)]
pub struct Tape {
    nodes: Vec<Node>,
    text: String,
}

impl Tape {
    /// `val`, of type `ty`, as a tape; `None` if the value does not have the type's shape (it
    /// always does when it was read by the type; the caller then just does not keep it), or is
    /// larger than a tape can index (4 GiB of text).
    pub fn of(schema: &Schema, ty: &Ty, val: &Val) -> Option<Self> {
        let mut tape = Tape::default();
        tape.push(schema, ty, val)?;
        tape.nodes.shrink_to_fit();
        tape.text.shrink_to_fit();
        Some(tape)
    }

    /// The room the tape takes, in bytes.
    pub fn size(&self) -> usize {
        self.nodes.capacity() * size_of::<Node>() + self.text.capacity()
    }

    /// The value again, as a fresh `Val` of `ty` (the type the tape was made with).
    pub fn value(&self, schema: &Schema, ty: &Ty) -> Option<Val> {
        let mut at = 0;
        let val = self.read(schema, ty, &mut at)?;
        (at == self.nodes.len()).then_some(val)
    }

    fn push(&mut self, schema: &Schema, ty: &Ty, val: &Val) -> Option<()> {
        match (ty, val) {
            (Ty::Option(_), Val::Option(None)) => self.nodes.push(Node::None),
            (Ty::Option(inner), Val::Option(Some(v))) => {
                self.nodes.push(Node::Some);
                self.push(schema, inner, v)?;
            }
            (Ty::Bool, Val::Bool(b)) => self.nodes.push(Node::Bool(*b)),
            (Ty::S32, Val::S32(n)) => self.nodes.push(Node::S32(*n)),
            (Ty::S64, Val::S64(n)) => self.nodes.push(Node::S64(*n)),
            (Ty::U32, Val::U32(n)) => self.nodes.push(Node::U32(*n)),
            (Ty::U64, Val::U64(n)) => self.nodes.push(Node::U64(*n)),
            (Ty::F64, Val::Float64(f)) => self.nodes.push(Node::F64(*f)),
            (Ty::String | Ty::Json, Val::String(s)) => self.string(s)?,
            (Ty::Timestamp, Val::Record(fields)) => match fields.as_slice() {
                [(_, Val::S64(s)), (_, Val::U32(ns))] => self.nodes.extend([Node::S64(*s), Node::U32(*ns)]),
                _ => return None,
            },
            (Ty::List(item), Val::List(items)) => {
                self.nodes.push(Node::Len(u32::try_from(items.len()).ok()?));
                for v in items {
                    self.push(schema, item, v)?;
                }
            }
            (Ty::Map(value), Val::List(pairs)) => {
                self.nodes.push(Node::Len(u32::try_from(pairs.len()).ok()?));
                for pair in pairs {
                    let Val::Tuple(kv) = pair else { return None };
                    let [Val::String(k), v] = kv.as_slice() else { return None };
                    self.string(k)?;
                    self.push(schema, value, v)?;
                }
            }
            (Ty::Named(name), val) => match (&schema.get(name)?.kind, val) {
                (TypeKind::Record(fields), Val::Record(values)) if fields.len() == values.len() => {
                    for (field, (_, v)) in fields.iter().zip(values) {
                        self.push(schema, &field.ty, v)?;
                    }
                }
                (TypeKind::Enum(cases), Val::Enum(case)) => {
                    let i = cases.iter().position(|(c, _)| c == case)?;
                    self.nodes.push(Node::Case(u32::try_from(i).ok()?));
                }
                (TypeKind::Variant { cases, .. }, Val::Variant(case, Some(payload))) => {
                    let i = cases.iter().position(|c| c.name == *case)?;
                    self.nodes.push(Node::Case(u32::try_from(i).ok()?));
                    self.push(schema, &cases[i].ty, payload)?;
                }
                _ => return None,
            },
            _ => return None,
        }
        Some(())
    }

    fn string(&mut self, s: &str) -> Option<()> {
        let start = u32::try_from(self.text.len()).ok()?;
        let len = u32::try_from(s.len()).ok()?;
        start.checked_add(len)?;
        self.text.push_str(s);
        self.nodes.push(Node::Str { start, len });
        Some(())
    }

    fn next(&self, at: &mut usize) -> Option<Node> {
        let node = *self.nodes.get(*at)?;
        *at += 1;
        Some(node)
    }

    fn str(&self, at: &mut usize) -> Option<String> {
        match self.next(at)? {
            Node::Str { start, len } => {
                let start = start as usize;
                self.text.get(start..start + len as usize).map(str::to_owned)
            }
            _ => None,
        }
    }

    fn read(&self, schema: &Schema, ty: &Ty, at: &mut usize) -> Option<Val> {
        Some(match ty {
            Ty::Option(inner) => match self.next(at)? {
                Node::None => Val::Option(None),
                Node::Some => Val::Option(Some(Box::new(self.read(schema, inner, at)?))),
                _ => return None,
            },
            Ty::String | Ty::Json => Val::String(self.str(at)?),
            Ty::Timestamp => match (self.next(at)?, self.next(at)?) {
                (Node::S64(s), Node::U32(ns)) => {
                    Val::Record(vec![("seconds".into(), Val::S64(s)), ("nanoseconds".into(), Val::U32(ns))])
                }
                _ => return None,
            },
            Ty::List(item) => {
                let Node::Len(n) = self.next(at)? else { return None };
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    items.push(self.read(schema, item, at)?);
                }
                Val::List(items)
            }
            Ty::Map(value) => {
                let Node::Len(n) = self.next(at)? else { return None };
                let mut pairs = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let key = self.str(at)?;
                    pairs.push(Val::Tuple(vec![Val::String(key), self.read(schema, value, at)?]));
                }
                Val::List(pairs)
            }
            Ty::Named(name) => match &schema.get(name)?.kind {
                TypeKind::Record(fields) => {
                    let mut values = Vec::with_capacity(fields.len());
                    for field in fields {
                        values.push((field.name.clone(), self.read(schema, &field.ty, at)?));
                    }
                    Val::Record(values)
                }
                TypeKind::Enum(cases) => {
                    let Node::Case(i) = self.next(at)? else { return None };
                    Val::Enum(cases.get(i as usize)?.0.clone())
                }
                TypeKind::Variant { cases, .. } => {
                    let Node::Case(i) = self.next(at)? else { return None };
                    let case = cases.get(i as usize)?;
                    Val::Variant(case.name.clone(), Some(Box::new(self.read(schema, &case.ty, at)?)))
                }
            },
            scalar => match (scalar, self.next(at)?) {
                (Ty::Bool, Node::Bool(b)) => Val::Bool(b),
                (Ty::S32, Node::S32(n)) => Val::S32(n),
                (Ty::S64, Node::S64(n)) => Val::S64(n),
                (Ty::U32, Node::U32(n)) => Val::U32(n),
                (Ty::U64, Node::U64(n)) => Val::U64(n),
                (Ty::F64, Node::F64(f)) => Val::Float64(f),
                _ => return None,
            },
        })
    }
}

/// Tapes of bodies read more than once lately, by function and body, within a budget of bytes
/// for all of them together. A body is known by its `Arc` (the caller hands out the same one
/// for a cached answer): a hit is a pointer comparison.
///
/// A body read once is only noted, by its address and length: most bodies are read by one run
/// of one probe and never again, and a tape of each would double what the host holds of them
/// (measured: a probe paging through 100,000 potatoes peaked 45 MiB higher). The second read of
/// the same bytes makes the tape the reads after it use. A note holds nothing (not even a weak
/// reference, which would keep the body's allocation after the caller let it go): if a new
/// body lands at a noted address, the worst that happens is a tape made on its first read, of
/// its own value. The notes are a ring of [`SEEN_NOTES`]; tapes hold a weak reference each
/// and go when the caller's cache lets their body go.
#[derive(Debug)]
pub struct Kept {
    budget: usize,
    inner: Mutex<Inner>,
}

/// Bodies noted as read once, by function: enough for every page a run can read (its API-call
/// cap) several times over.
const SEEN_NOTES: usize = 4096;

#[derive(Debug, Default)]
struct Inner {
    /// The function, the body's address and length.
    seen: std::collections::VecDeque<(String, usize, usize)>,
    /// The function, the body, the tape of what it read.
    tapes: Vec<(String, Weak<[u8]>, Arc<Tape>)>,
}

/// What a note knows of a body.
fn address(bytes: &Arc<[u8]>) -> (usize, usize) {
    (Arc::as_ptr(bytes).cast::<u8>() as usize, bytes.len())
}

impl Kept {
    pub fn new(budget: usize) -> Self {
        Self { budget, inner: Mutex::new(Inner::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tape `function` made of these very bytes, if kept. Tapes whose bodies nobody holds
    /// any more are forgotten first: they can never be handed out again.
    pub fn get(&self, function: &str, bytes: &Arc<[u8]>) -> Option<Arc<Tape>> {
        let mut inner = self.lock();
        inner.tapes.retain(|(_, body, _)| body.strong_count() > 0);
        let found = inner.tapes.iter().find(|(f, b, _)| std::ptr::eq(b.as_ptr(), Arc::as_ptr(bytes)) && f == function);
        found.map(|(_, _, tape)| tape.clone())
    }

    /// Notes that `function` read `bytes`; on its second read of them, keeps the tape `tape`
    /// makes when it fits the budget with what is kept. Answers whether a tape was kept.
    /// Nothing kept is pushed out for it: when more bodies cycle through than fit, the first
    /// ones stay fast and the rest are read as if nothing were kept, without paying for a
    /// tape that would be dropped before its next use.
    pub fn read(&self, function: &str, bytes: &Arc<[u8]>, tape: impl FnOnce() -> Option<Tape>) -> bool {
        let mut inner = self.lock();
        inner.tapes.retain(|(_, body, _)| body.strong_count() > 0);
        let at = address(bytes);
        let Some(noted) = inner.seen.iter().position(|(f, a, l)| (*a, *l) == at && f == function) else {
            if inner.seen.len() == SEEN_NOTES {
                inner.seen.pop_front();
            }
            inner.seen.push_back((function.to_string(), at.0, at.1));
            return false;
        };
        inner.seen.remove(noted);
        let kept: usize = inner.tapes.iter().map(|(_, _, t)| t.size()).sum();
        // Made under the lock: a second read of the same bytes is rare, and two runs making
        // the same tape at once would be wasted work.
        let Some(tape) = tape() else { return false };
        if kept + tape.size() > self.budget {
            return false;
        }
        inner.tapes.push((function.to_string(), Arc::downgrade(bytes), Arc::new(tape)));
        true
    }

    /// Bytes of tapes kept now.
    #[cfg(test)]
    fn size(&self) -> usize {
        self.lock().tapes.iter().map(|(_, _, t)| t.size()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::values;

    #[test]
    fn a_value_read_from_a_body_comes_back_the_same_from_its_tape() {
        let generated = potato_api_client::wit::generate(
            potato_api_client::OPENAPI_DOCUMENT,
            &potato_api_client::wit::Options::potato(),
        )
        .unwrap();
        let schema = Schema::new(&generated.api);
        let page = Ty::Named("potato-page".into());
        let body = br#"{"items": [
            {"id": "p-1", "name": "Spud", "variety": "russet", "weight_grams": 180, "status": "stored",
             "harvested_at": "2026-11-30T05:00:00.5Z", "tags": ["big", ""], "farm_id": "f-1"},
            {"id": "p-2", "name": "", "variety": "yukon_gold", "weight_grams": 0, "status": "shipped",
             "harvested_at": null, "tags": [], "farm_id": "f-2"}
        ], "next_page_token": null}"#;
        let val = values::from_json(&schema, &page, body).unwrap();
        let tape = Tape::of(&schema, &page, &val).expect("a value read by its type has its shape");
        assert_eq!(tape.value(&schema, &page), Some(val.clone()));
        assert!(tape.size() < body.len() * 2, "a tape of {} bytes for a body of {}", tape.size(), body.len());
        // A value of another shape is not kept.
        assert!(Tape::of(&schema, &Ty::Named("silo".into()), &val).is_none());
    }

    #[test]
    fn what_is_kept_stays_within_its_budget_and_goes_with_its_body() {
        let potato = potato_api_client::wit::potato().unwrap();
        let schema = Schema::new(&potato.api);
        let ty = Ty::List(Box::new(Ty::String));
        let tape = |n: usize| {
            let val = Val::List((0..n).map(|i| Val::String(format!("item {i}"))).collect());
            Tape::of(&schema, &ty, &val).unwrap()
        };
        let one = tape(100).size();
        let kept = Kept::new(one * 3);
        // The caller's cache holds the bodies.
        let bodies: Vec<Arc<[u8]>> = (0..5).map(|i| Arc::from(vec![i as u8; 8])).collect();
        // A first read only notes the body: no tape is made.
        for body in &bodies {
            assert!(!kept.read("f", body, || panic!("no tape on a first read")));
        }
        assert_eq!(kept.size(), 0);
        assert!(kept.get("f", &bodies[0]).is_none());
        // The second read keeps one, as many as fit.
        let admitted = bodies.iter().filter(|b| kept.read("f", b, || Some(tape(100)))).count();
        assert_eq!(admitted, 3, "as many as fit, the rest refused");
        assert!(kept.size() <= one * 3);
        assert!(kept.get("f", &bodies[0]).is_some());
        assert!(kept.get("g", &bodies[0]).is_none(), "the same bytes read by another function are not its");
        assert!(kept.get("f", &bodies[4]).is_none(), "refused, not kept");
        // Nothing here holds a body, and its tape goes with it.
        let weak = Arc::downgrade(&bodies[0]);
        drop(bodies);
        assert_eq!(weak.strong_count(), 0, "the bodies were not kept alive");
        let fresh: Arc<[u8]> = Arc::from(vec![9u8; 8]);
        assert!(kept.get("f", &fresh).is_none());
        assert_eq!(kept.size(), 0, "tapes of bodies nobody holds are forgotten");
        assert!(!kept.read("f", &fresh, || Some(tape(100))));
        assert!(kept.read("f", &fresh, || Some(tape(100))));
    }

    #[test]
    fn a_body_read_once_is_not_held_and_the_notes_are_bounded() {
        let kept = Kept::new(1 << 20);
        let body: Arc<[u8]> = Arc::from(vec![1u8; 64]);
        assert!(!kept.read("f", &body, || panic!("no tape on a first read")));
        // Not even weakly: a weak reference would keep the body's memory after the caller
        // let it go, until the next call.
        assert_eq!((Arc::strong_count(&body), Arc::weak_count(&body)), (1, 0));
        // A ring of notes: the oldest is forgotten, and its second read then makes no tape.
        let others: Vec<Arc<[u8]>> = (0..SEEN_NOTES).map(|i| Arc::from(i.to_le_bytes().to_vec())).collect();
        for other in &others {
            kept.read("f", other, || None);
        }
        assert!(!kept.read("f", &body, || panic!("forgotten, so a first read again")));
    }
}

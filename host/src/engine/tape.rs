//! Tapes ([`component_abi::Tape`]: a value's scalars in the order its type visits them, its
//! strings in one buffer) as the engine uses them: turned into `Val`s for functions still
//! served with `Val`s, walked by type to find a value's nodes, and kept between calls. A body
//! served again (the shared-call cache hands out the same bytes) is not parsed and checked
//! again: its tape is lowered again. A tape takes about the room of its body, where the value
//! it stands for as `Val`s takes several times that.

use super::values::Schema;
use component_abi::{Cursor, Node, Tape};
use potato_api_client::wit::model::{Ty, TypeKind};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use wasmtime::component::Val;

/// The value a tape of type `ty` holds, as a `Val` (for the functions still served with
/// `Val`s); `None` if the tape does not have the type's shape.
pub fn to_val(tape: &Tape, schema: &Schema, ty: &Ty) -> Option<Val> {
    let mut cursor = tape.cursor();
    let val = read(&mut cursor, schema, ty)?;
    cursor.at_end().then_some(val)
}

fn read(cursor: &mut Cursor<'_>, schema: &Schema, ty: &Ty) -> Option<Val> {
    Some(match ty {
        Ty::Option(inner) => match cursor.next_node()? {
            Node::None => Val::Option(None),
            Node::Some => Val::Option(Some(Box::new(read(cursor, schema, inner)?))),
            _ => return None,
        },
        Ty::String | Ty::Json => Val::String(cursor.next_str()?.to_owned()),
        Ty::Timestamp => match (cursor.next_node()?, cursor.next_node()?) {
            (Node::S64(s), Node::U32(ns)) => {
                Val::Record(vec![("seconds".into(), Val::S64(s)), ("nanoseconds".into(), Val::U32(ns))])
            }
            _ => return None,
        },
        Ty::List(item) => {
            let Node::Len(n) = cursor.next_node()? else { return None };
            let mut items = Vec::with_capacity((n as usize).min(4096));
            for _ in 0..n {
                items.push(read(cursor, schema, item)?);
            }
            Val::List(items)
        }
        Ty::Map(value) => {
            let Node::Len(n) = cursor.next_node()? else { return None };
            let mut pairs = Vec::with_capacity((n as usize).min(4096));
            for _ in 0..n {
                let key = cursor.next_str()?.to_owned();
                pairs.push(Val::Tuple(vec![Val::String(key), read(cursor, schema, value)?]));
            }
            Val::List(pairs)
        }
        Ty::Named(name) => match &schema.get(name)?.kind {
            TypeKind::Record(fields) => {
                let mut values = Vec::with_capacity(fields.len());
                for field in fields {
                    values.push((field.name.clone(), read(cursor, schema, &field.ty)?));
                }
                Val::Record(values)
            }
            TypeKind::Enum(cases) => {
                let Node::Case(i) = cursor.next_node()? else { return None };
                Val::Enum(cases.get(i as usize)?.0.clone())
            }
            TypeKind::Variant { cases, .. } => {
                let Node::Case(i) = cursor.next_node()? else { return None };
                let case = cases.get(i as usize)?;
                Val::Variant(case.name.clone(), Some(Box::new(read(cursor, schema, &case.ty)?)))
            }
        },
        scalar => match (scalar, cursor.next_node()?) {
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

/// Moves `at` past one value of type `ty` in `nodes`; `None` if the nodes do not have its
/// shape.
pub fn skip(schema: &Schema, ty: &Ty, nodes: &[Node], at: &mut usize) -> Option<()> {
    fn next(nodes: &[Node], at: &mut usize) -> Option<Node> {
        let node = *nodes.get(*at)?;
        *at += 1;
        Some(node)
    }
    match ty {
        Ty::Option(inner) => match next(nodes, at)? {
            Node::None => {}
            Node::Some => skip(schema, inner, nodes, at)?,
            _ => return None,
        },
        Ty::Timestamp => {
            next(nodes, at)?;
            next(nodes, at)?;
        }
        Ty::List(item) => {
            let Node::Len(n) = next(nodes, at)? else { return None };
            for _ in 0..n {
                skip(schema, item, nodes, at)?;
            }
        }
        Ty::Map(value) => {
            let Node::Len(n) = next(nodes, at)? else { return None };
            for _ in 0..n {
                next(nodes, at)?;
                skip(schema, value, nodes, at)?;
            }
        }
        Ty::Named(name) => match &schema.get(name)?.kind {
            TypeKind::Record(fields) => {
                for field in fields {
                    skip(schema, &field.ty, nodes, at)?;
                }
            }
            TypeKind::Enum(_) => {
                next(nodes, at)?;
            }
            TypeKind::Variant { cases, .. } => {
                let Node::Case(i) = next(nodes, at)? else { return None };
                skip(schema, &cases.get(i as usize)?.ty, nodes, at)?;
            }
        },
        _ => {
            next(nodes, at)?;
        }
    }
    Some(())
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
    pub fn read(&self, function: &str, bytes: &Arc<[u8]>, tape: impl FnOnce() -> Option<Arc<Tape>>) -> bool {
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
        inner.tapes.push((function.to_string(), Arc::downgrade(bytes), tape));
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
        let tape = values::read_json(&schema, &page, body).unwrap();
        let val = to_val(&tape, &schema, &page).expect("a tape read by its type has its shape");
        let Val::Record(fields) = &val else { panic!("{val:?}") };
        let Val::List(items) = &fields[0].1 else { panic!("{val:?}") };
        assert_eq!(items.len(), 2);
        assert!(tape.size() < body.len() * 2, "a tape of {} bytes for a body of {}", tape.size(), body.len());
        // Skipping the value moves past every node.
        let mut at = 0;
        assert_eq!(skip(&schema, &page, tape.nodes(), &mut at), Some(()));
        assert_eq!(at, tape.nodes().len());
        // Read by another type, it does not fit.
        assert!(to_val(&tape, &schema, &Ty::Named("silo".into())).is_none());
    }

    #[test]
    fn what_is_kept_stays_within_its_budget_and_goes_with_its_body() {
        let potato = potato_api_client::wit::potato().unwrap();
        let schema = Schema::new(&potato.api);
        let ty = Ty::List(Box::new(Ty::String));
        let tape = |n: usize| {
            let mut tape = Tape::default();
            tape.push(Node::Len(n as u32));
            for i in 0..n {
                tape.push_str(&format!("item {i}")).unwrap();
            }
            assert!(to_val(&tape, &schema, &ty).is_some());
            Arc::new(tape)
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

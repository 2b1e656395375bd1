//! A value as a flat list of scalars in the order its type visits them, with its strings in
//! one buffer: built by a reader of JSON without a node per field name, kept between calls at
//! about the size of its body, and lowered into a guest without building anything else.

/// One scalar, or the shape of what follows (`Len`, `Case`, `None`/`Some`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node {
    Bool(bool),
    U16(u16),
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
    /// A list's length; its items follow.
    Len(u32),
    /// An enum's case, or a variant's (its payload follows), by index in the type.
    Case(u32),
    None,
    Some,
}

/// A value of one type, flattened. A record is its fields in order, a list `Len(n)` and its
/// items, an option `None` or `Some` and the value, a variant `Case(i)` and its payload.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tape {
    nodes: Vec<Node>,
    text: String,
}

impl Tape {
    /// An empty tape with room for `nodes` nodes and `text` bytes of strings.
    pub fn with_capacity(nodes: usize, text: usize) -> Self {
        Self { nodes: Vec::with_capacity(nodes), text: String::with_capacity(text) }
    }

    /// The nodes.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Appends a node.
    pub fn push(&mut self, node: Node) {
        self.nodes.push(node);
    }

    /// Appends a string (`None` past the 4 GiB a tape can index).
    pub fn push_str(&mut self, s: &str) -> Option<()> {
        let start = u32::try_from(self.text.len()).ok()?;
        let len = u32::try_from(s.len()).ok()?;
        start.checked_add(len)?;
        self.text.push_str(s);
        self.nodes.push(Node::Str { start, len });
        Some(())
    }

    /// The number of nodes: a mark to come back to with [`Tape::truncate`] or to patch with
    /// [`Tape::set`].
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tape has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Replaces the node at `at` (a list's length, known once its items are read).
    pub fn set(&mut self, at: usize, node: Node) {
        if let Some(slot) = self.nodes.get_mut(at) {
            *slot = node;
        }
    }

    /// Drops the nodes from `len` on (a case that did not match). Their strings stay in the
    /// buffer, unreferenced.
    pub fn truncate(&mut self, len: usize) {
        self.nodes.truncate(len);
    }

    /// Appends nodes of this tape taken earlier (their strings are still here).
    pub fn extend(&mut self, nodes: &[Node]) {
        self.nodes.extend_from_slice(nodes);
    }

    /// Appends nodes of `other`, its strings copied into this tape's buffer.
    pub fn append_from(&mut self, other: &Tape, nodes: std::ops::Range<usize>) -> Option<()> {
        for node in other.nodes.get(nodes)? {
            match *node {
                Node::Str { .. } => self.push_str(other.str(*node)?)?,
                n => self.nodes.push(n),
            }
        }
        Some(())
    }

    /// The room the tape takes, in bytes.
    pub fn size(&self) -> usize {
        self.nodes.capacity() * size_of::<Node>() + self.text.capacity()
    }

    /// The string a `Str` node stands for.
    pub fn str(&self, node: Node) -> Option<&str> {
        match node {
            Node::Str { start, len } => {
                let start = start as usize;
                self.text.get(start..start.checked_add(len as usize)?)
            }
            _ => None,
        }
    }

    /// A reader from the first node.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor { tape: self, at: 0 }
    }
}

/// Reads a tape's nodes in order.
#[derive(Debug, Clone)]
pub struct Cursor<'t> {
    tape: &'t Tape,
    at: usize,
}

impl<'t> Cursor<'t> {
    /// The next node.
    pub fn next_node(&mut self) -> Option<Node> {
        let node = *self.tape.nodes.get(self.at)?;
        self.at += 1;
        Some(node)
    }

    /// The next node, which must be a string.
    pub fn next_str(&mut self) -> Option<&'t str> {
        let node = self.next_node()?;
        self.tape.str(node)
    }

    /// Whether every node was read.
    pub fn at_end(&self) -> bool {
        self.at == self.tape.nodes.len()
    }
}

//! What a document maps to, before it is written as WIT: named types and functions, each
//! remembering where in the document it came from and how its values look in JSON (the host
//! converts between the two by this model).

/// A WIT type as the mapping produces it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    S32,
    S64,
    U32,
    U64,
    F64,
    String,
    /// `date-time` strings: the `timestamp` record.
    Timestamp,
    /// Free-form or recursive schemas: the JSON text of the value, as a `string`.
    Json,
    /// A type defined in the `types` interface, by its WIT name.
    Named(String),
    List(Box<Ty>),
    Option(Box<Ty>),
    /// `additionalProperties` maps: `list<tuple<string, T>>`, in the document's key order.
    Map(Box<Ty>),
}

impl Ty {
    /// `self` as an `option`, unless it already is one (optional and nullable are one `option`).
    pub fn optional(self) -> Ty {
        match self {
            Ty::Option(_) => self,
            other => Ty::Option(Box::new(other)),
        }
    }
}

/// A named type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// The WIT name (kebab-case, unescaped).
    pub name: String,
    pub kind: TypeKind,
    pub docs: Option<String>,
    /// The JSON pointer of the schema it comes from.
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    Record(Vec<Field>),
    /// Cases: (WIT name, the JSON string).
    Enum(Vec<(String, String)>),
    Variant {
        cases: Vec<Case>,
        discriminator: Option<String>,
    },
}

/// A record field: `name` in WIT, `json` in the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub json: String,
    pub ty: Ty,
    pub docs: Option<String>,
}

/// A variant case (from `oneOf`/`anyOf`).
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    pub ty: Ty,
    /// With a discriminator, the property values that select this case.
    pub tags: Vec<String>,
}

/// Where a parameter goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Location {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub json: String,
    pub location: Location,
    /// `option<…>` when the parameter is optional.
    pub ty: Ty,
}

/// One operation as a function.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    pub operation_id: Option<String>,
    pub method: String,
    pub path: String,
    /// Path, then query, then header parameters, each in document order; then `body`.
    pub params: Vec<Param>,
    /// The JSON request body, if any (`option` when not required).
    pub body: Option<Ty>,
    /// The 2xx JSON response; `None`: no content.
    pub result: Option<Ty>,
    pub docs: Option<String>,
    pub pointer: String,
}

/// A `list-all-*` function: `of`'s pages followed on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Pager {
    pub name: String,
    /// The paged function's name.
    pub of: String,
    /// `of`'s parameters minus the page token and page size (`max-pages: u32` follows them).
    pub params: Vec<Param>,
    /// The items' type.
    pub item: Ty,
    /// `of`'s token parameter and page-size parameter (WIT names).
    pub token_param: String,
    pub size_param: Option<String>,
    /// The result record's next-token and items fields (WIT names).
    pub next_field: String,
    pub items_field: String,
}

/// A document, mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// `ns:name@version`.
    pub package: String,
    /// The interface holding the functions.
    pub interface: String,
    pub types: Vec<TypeDef>,
    pub functions: Vec<Function>,
    pub pagers: Vec<Pager>,
    /// The path of the document's first server URL (`/api/v0`), which a base URL for the
    /// API should end with; `None` when the document names none (or only `/`).
    pub base_path: Option<String>,
}

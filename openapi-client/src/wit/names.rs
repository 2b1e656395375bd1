//! WIT identifiers from OpenAPI names: kebab-case, and `%`-escaped where a name is a keyword.

/// Words WIT reserves; an identifier equal to one is written `%word`.
const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "bool",
    "borrow",
    "char",
    "constructor",
    "enum",
    "error-context",
    "export",
    "f32",
    "f64",
    "flags",
    "func",
    "future",
    "import",
    "include",
    "interface",
    "list",
    "own",
    "option",
    "package",
    "record",
    "resource",
    "result",
    "s16",
    "s32",
    "s64",
    "s8",
    "static",
    "stream",
    "string",
    "tuple",
    "type",
    "u16",
    "u32",
    "u64",
    "u8",
    "use",
    "variant",
    "with",
    "world",
];

/// `someName`, `some_name`, `Some Name`, `some-name`, `SOME_NAME` → `some-name`. Every run of
/// characters other than ASCII letters and digits separates words, as does a lower-to-upper
/// case change (`listFarms` → `list-farms`, `HTTPServer` → `http-server`). A word may not start
/// with a digit in WIT: such a word is joined to the one before it (`v1-2` stays, `farm-2x`
/// becomes `farm2x`), and a leading one gets an `n` (`2fa` → `n2fa`). `None` when nothing is
/// left (a name of only punctuation).
pub fn kebab(name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_ascii_uppercase()
            && !word.is_empty()
            && (prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(|p| p.is_ascii_uppercase()) && next.is_some_and(|n| n.is_ascii_lowercase())));
        if boundary {
            words.push(std::mem::take(&mut word));
        }
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = String::new();
    for w in words {
        let starts_with_digit = w.starts_with(|c: char| c.is_ascii_digit());
        if out.is_empty() {
            if starts_with_digit {
                out.push('n');
            }
        } else if !starts_with_digit {
            out.push('-');
        }
        out.push_str(&w);
    }
    (!out.is_empty()).then_some(out)
}

/// `name` as written in WIT: `%name` when it is a keyword.
pub fn ident(name: &str) -> String {
    if KEYWORDS.contains(&name) { format!("%{name}") } else { name.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_kebab_case() {
        let k = |s| kebab(s).unwrap_or_default();
        assert_eq!(k("listFarms"), "list-farms");
        assert_eq!(k("listImportantPotatoes"), "list-important-potatoes");
        assert_eq!(k("weight_grams"), "weight-grams");
        assert_eq!(k("find pet by id"), "find-pet-by-id");
        assert_eq!(k("HTTPServerError"), "http-server-error");
        assert_eq!(k("PotatoPage"), "potato-page");
        assert_eq!(k("get /farms/{farm_id}/silos"), "get-farms-farm-id-silos");
        assert_eq!(k("v1.2"), "v12");
        assert_eq!(k("2fa"), "n2fa");
        assert_eq!(k("ID"), "id");
        assert_eq!(k("userID"), "user-id");
        assert_eq!(kebab("--"), None);
    }

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(ident("type"), "%type");
        assert_eq!(ident("list"), "%list");
        assert_eq!(ident("farm"), "farm");
    }
}

//! Text cut to a budget of bytes: what a probe controls (its errors, its log lines, its names
//! quoted in an error) is kept, logged and shown only up to a bound.

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `text` cut to at most `max` bytes (on a character boundary); when cut, followed by how many
/// bytes were dropped.
pub fn bounded(text: &str, max: usize) -> String {
    let kept = truncate(text, max);
    if kept.len() == text.len() {
        return text.to_string();
    }
    format!("{kept}… ({} bytes dropped)", text.len() - kept.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_on_a_character_boundary_and_says_how_much_went() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(bounded("short", 10), "short");
        assert_eq!(bounded("héllo", 2), "h… (5 bytes dropped)");
    }
}

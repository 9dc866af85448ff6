//! Making untrusted text (imported cells, notes) safe to show on a terminal.

use std::borrow::Cow;

/// Replaces control characters (C0, DEL, C1 — which carry terminal escape sequences) and
/// bidirectional-override marks with `�`, so that no byte of imported data can drive the
/// terminal. Ordinary text is returned borrowed.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if is_unsafe(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

/// Like [`sanitize`] but keeps newlines and tabs, for multi-line notes printed as text.
pub fn sanitize_multiline(text: &str) -> Cow<'_, str> {
    let bad = |c: char| is_unsafe(c) && c != '\n' && c != '\t';
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

/// JSON text (as serde_json writes it) with the characters JSON leaves raw but a terminal may
/// act on — DEL, C1 controls and bidirectional overrides — written as `\uXXXX` escapes. The
/// JSON means exactly the same; only its bytes change. Such characters only occur in strings.
pub fn json_terminal_safe(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r') {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_are_neutralised() {
        assert!(matches!(sanitize("Ana Ruiz — CTO"), Cow::Borrowed(_)));
        assert_eq!(
            sanitize("\u{1b}]0;pwned\u{7}Bob"),
            "\u{FFFD}]0;pwned\u{FFFD}Bob"
        );
        assert_eq!(
            sanitize("a\u{9b}31mb\rc\n"),
            "a\u{FFFD}31mb\u{FFFD}c\u{FFFD}"
        );
        assert_eq!(sanitize("x\u{202E}y"), "x\u{FFFD}y");
        let json =
            serde_json::to_string_pretty(&serde_json::json!({"n": "a\u{9b}2J\u{7f}\u{202E}"}))
                .unwrap();
        let safe = json_terminal_safe(&json);
        assert!(!safe.chars().any(|c| c.is_control() && c != '\n'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["n"], "a\u{9b}2J\u{7f}\u{202E}");
        assert_eq!(
            sanitize_multiline("line1\nline2\t\u{1b}[2J"),
            "line1\nline2\t\u{FFFD}[2J"
        );
    }
}

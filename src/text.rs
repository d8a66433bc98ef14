//! Text from the log is data, never terminal control: `inert` makes any
//! string safe to print or draw (control characters, escape sequences and
//! bidi overrides escaped; length capped).

/// Characters that reorder text on screen (bidi embeddings, overrides, isolates).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// `text` with every control or bidi character shown as an escape
/// (`\x1b`, `\u{202e}`) and at most `max_chars` characters (`…` when cut).
pub fn inert(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 2));
    let mut count = 0;
    for c in text.chars() {
        let piece = if c == '\n' {
            "\\n".to_string()
        } else if c == '\t' {
            "\\t".to_string()
        } else if (c as u32) < 0x20 || c == '\u{7f}' {
            format!("\\x{:02x}", c as u32)
        } else if c.is_control() || is_bidi_control(c) || c == '\u{FEFF}' {
            format!("\\u{{{:x}}}", c as u32)
        } else {
            c.to_string()
        };
        let width = piece.chars().count();
        if count + width > max_chars {
            out.push('…');
            return out;
        }
        count += width;
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(inert("a\u{1b}[31mred", 100), "a\\x1b[31mred");
        assert_eq!(inert("x\u{202e}y", 100), "x\\u{202e}y");
        assert_eq!(inert("line\nbreak", 100), "line\\nbreak");
        assert!(!inert("\u{9b}2J", 100).contains('\u{9b}'));
    }

    #[test]
    fn caps_length() {
        assert_eq!(inert("abcdef", 3), "abc…");
        assert_eq!(inert("abc", 3), "abc");
    }
}

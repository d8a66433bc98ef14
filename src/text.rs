//! Text from the log is data, never terminal control: `inert` makes any
//! string safe to print or draw (control characters, escape sequences and
//! bidi overrides escaped; length capped). Also `thousands`, the one way
//! counts are written for people.

/// Characters that reorder text on screen (bidi embeddings, overrides, isolates).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// Characters that must not reach a terminal raw even inside JSON: C0 and
/// C1 controls, DEL, bidi controls, the BOM and the Unicode line separators.
pub fn is_terminal_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}')
}

/// JSON text (as serde_json writes it) with every terminal-unsafe character
/// written as a `\uXXXX` escape. Such characters can only stand inside JSON
/// strings, where the escape means the same character: the data is unchanged.
pub fn escape_json_unsafe(json: &str) -> String {
    if !json.chars().any(is_terminal_unsafe) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_terminal_unsafe(c) && c != '\n' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
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
        } else if is_terminal_unsafe(c) {
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

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
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
        assert_eq!(inert("a\u{2028}b", 100), "a\\u{2028}b");
    }

    #[test]
    fn json_keeps_its_meaning_with_unsafe_characters_escaped() {
        let text = "a\u{1b}[2J\u{9b}\u{202e}\u{7f}\u{2028}b";
        let json = serde_json::to_string_pretty(&serde_json::json!({ "k": text })).unwrap();
        let safe = escape_json_unsafe(&json);
        assert!(
            !safe.chars().any(|c| is_terminal_unsafe(c) && c != '\n'),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["k"], text);
    }

    #[test]
    fn caps_length() {
        assert_eq!(inert("abcdef", 3), "abc…");
        assert_eq!(inert("abc", 3), "abc");
    }
}

//! Whether a payload's JSON text reads back as a payload (a map of JSON
//! values). The line parser only skims the payload; the payload reader
//! (serde_json into a `Map`) refuses some text the skim accepts: nesting
//! deeper than its recursion limit, a number out of f64 range (`1e400`), a
//! lone surrogate escape. Every line of every load is checked, so a quick
//! scan vouches for the common payloads and anything unusual goes through
//! the payload reader itself: both ways give the reader's own verdict.

use memchr::memchr2;
use serde_json::{Map, Value};

/// Nesting the quick scan vouches for (the reader's limit is 128 levels).
const QUICK_DEPTH: usize = 64;
/// Longest number the quick scan vouches for, without an exponent: far
/// from f64's overflow at 309 digits.
const QUICK_NUMBER: usize = 40;

/// `Ok` when `raw`, a JSON value the line parser has already skimmed as
/// well-formed, reads as a payload map; else the reader's reason.
pub fn check_readable(raw: &str) -> Result<(), String> {
    if quick_ok(raw.as_bytes()) {
        return Ok(());
    }
    serde_json::from_str::<Map<String, Value>>(raw)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// True only for text the payload reader surely accepts, given that the
/// skim accepted it (well-formed JSON, no control characters in strings).
fn quick_ok(b: &[u8]) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => {
                depth += 1;
                if depth > QUICK_DEPTH {
                    return false;
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => match string_end(b, i + 1) {
                Some(end) => i = end,
                None => return false,
            },
            b'-' | b'0'..=b'9' => {
                let start = i;
                while let Some(&c) = b.get(i) {
                    match c {
                        b'-' | b'+' | b'.' | b'0'..=b'9' => i += 1,
                        b'e' | b'E' => return false,
                        _ => break,
                    }
                }
                if i - start > QUICK_NUMBER {
                    return false;
                }
            }
            _ => i += 1,
        }
    }
    true
}

/// Just past the closing quote of the string whose text starts at `i`;
/// `None` for an escape the quick scan leaves to the reader (surrogates).
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i += memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[i] == b'"' {
            return Some(i + 1);
        }
        match b.get(i + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
            b'u' => {
                let hex = b.get(i + 2..i + 6)?;
                let surrogate = matches!(hex[0], b'd' | b'D')
                    && matches!(hex[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F');
                if surrogate || !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                i += 6;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reader_accepts(raw: &str) -> bool {
        serde_json::from_str::<Map<String, Value>>(raw).is_ok()
    }

    fn skim_accepts(raw: &str) -> bool {
        serde_json::from_str::<&serde_json::value::RawValue>(raw).is_ok()
    }

    #[test]
    fn what_the_skim_accepts_and_the_reader_refuses() {
        let deep = format!("{{\"k\":{}1{}}}", "[".repeat(127), "]".repeat(127));
        let cases = [
            r#"{"weight_kg":1e400}"#.to_string(),
            format!("{{\"n\":{}}}", "9".repeat(400)),
            r#"{"s":"\ud800"}"#.to_string(),
            deep,
        ];
        for raw in &cases {
            assert!(skim_accepts(raw), "{raw}");
            assert!(!reader_accepts(raw), "{raw}");
            assert!(check_readable(raw).is_err(), "{raw}");
        }
        let shallow = format!("{{\"k\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        for raw in [
            r#"{"weight_kg":1e300,"s":"\u00e9\n","t":"\ud83d\ude00"}"#,
            r#"{"n":-12.5e-3}"#,
            shallow.as_str(),
        ] {
            assert_eq!(check_readable(raw), Ok(()), "{raw}");
        }
    }

    /// Well-formed JSON text with the leaves the quick scan must judge.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("\"k\"".to_string()),
            Just("\"\\ud83d\\ude00\"".to_string()),
            Just("\"\\udc00\"".to_string()),
            Just("\"\\ud800x\"".to_string()),
            Just("\"\\u00e9\\n\\/\"".to_string()),
            Just("1e400".to_string()),
            Just("1E-2".to_string()),
            Just("-0.5".to_string()),
            Just("9".repeat(45)),
            Just("9".repeat(320)),
            Just("true".to_string()),
            Just("null".to_string()),
        ];
        let value = leaf.prop_recursive(6, 64, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                proptest::collection::vec(inner, 0..4).prop_map(|items| {
                    let fields: Vec<String> = items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| format!("\"f{i}\":{v}"))
                        .collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        });
        (value, 0usize..130).prop_map(|(v, nest)| {
            format!("{{\"a\":{}{}{}}}", "[".repeat(nest), v, "]".repeat(nest))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn agrees_with_the_payload_reader(raw in json_text()) {
            prop_assert!(skim_accepts(&raw), "{}", raw);
            {
                prop_assert_eq!(check_readable(&raw).is_ok(), reader_accepts(&raw), "{}", raw);
                if quick_ok(raw.as_bytes()) {
                    prop_assert!(reader_accepts(&raw), "{}", raw);
                }
            }
        }
    }
}

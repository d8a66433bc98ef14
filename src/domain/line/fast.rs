//! The fast path of line parsing, for the lines nearly every log is made
//! of: known keys, each once, plain strings (no escapes), a plain integer
//! seq. Anything else returns `None` and goes through serde, so both paths
//! accept and reject exactly the same lines (a property test holds them to
//! that).

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::WireLine;

/// Reads `text` as a line's JSON object, or `None` when serde must decide.
pub(super) fn fast_wire(text: &str) -> Option<WireLine<'_>> {
    let mut cursor = Cursor { text, i: 0 };
    let mut fields = Fields::default();
    cursor.skip_ws();
    cursor.expect(b'{')?;
    loop {
        cursor.skip_ws();
        let key = cursor.plain_string()?;
        cursor.skip_ws();
        cursor.expect(b':')?;
        cursor.skip_ws();
        fields.read_value(key, &mut cursor)?;
        cursor.skip_ws();
        match cursor.peek()? {
            b',' => cursor.i += 1,
            b'}' => {
                cursor.i += 1;
                break;
            }
            _ => return None,
        }
    }
    cursor.skip_ws();
    if cursor.i != text.len() {
        return None;
    }
    fields.into_wire()
}

/// A position in the line's text.
struct Cursor<'a> {
    text: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    /// A string without escapes or control characters: its text as is.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.i;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => return None,
                c if c < 0x20 => return None,
                _ => self.i += 1,
            }
        }
        let s = self.text.get(start..self.i)?;
        self.i += 1;
        Some(s)
    }

    /// A plain integer: digits only, no leading zero, no fraction or
    /// exponent, and short enough to fit an `i64`.
    fn plain_integer(&mut self) -> Option<i64> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let digits = self.text.get(start..self.i)?;
        if digits.is_empty()
            || (digits.len() > 1 && digits.starts_with('0'))
            || digits.len() > 18
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        digits.parse::<i64>().ok()
    }

    /// Any JSON value, borrowed as is (serde checks it), starting right at
    /// the cursor.
    fn raw_value(&mut self) -> Option<&'a RawValue> {
        let rest = self.text.get(self.i..)?;
        let mut de = serde_json::Deserializer::from_str(rest);
        let raw: &RawValue = serde::Deserialize::deserialize(&mut de).ok()?;
        if raw.get().as_ptr() != rest.as_ptr() {
            return None;
        }
        self.i += raw.get().len();
        Some(raw)
    }
}

/// The values read so far, by key.
#[derive(Default)]
struct Fields<'a> {
    id: Option<&'a str>,
    seq: Option<i64>,
    kind: Option<&'a str>,
    ts: Option<&'a str>,
    actor: Option<&'a str>,
    payload: Option<&'a RawValue>,
    operator: Option<&'a str>,
    prev_hash: Option<&'a str>,
}

impl<'a> Fields<'a> {
    /// Reads the value of `key` at the cursor. `None` for an unknown key or
    /// a repeated one (serde's error message is the one to show).
    fn read_value(&mut self, key: &str, cursor: &mut Cursor<'a>) -> Option<()> {
        match key {
            "event_seq" => {
                let seq = cursor.plain_integer()?;
                self.seq.is_none().then(|| self.seq = Some(seq))
            }
            "payload" => {
                let raw = cursor.raw_value()?;
                self.payload.is_none().then(|| self.payload = Some(raw))
            }
            _ => {
                let slot = match key {
                    "shipment_id" => &mut self.id,
                    "event_type" => &mut self.kind,
                    "timestamp" => &mut self.ts,
                    "actor" => &mut self.actor,
                    "operator" => &mut self.operator,
                    "prev_hash" => &mut self.prev_hash,
                    _ => return None,
                };
                if slot.is_some() {
                    return None;
                }
                *slot = Some(cursor.plain_string()?);
                Some(())
            }
        }
    }

    /// The line, when every required key was there.
    fn into_wire(self) -> Option<WireLine<'a>> {
        Some(WireLine {
            shipment_id: Cow::Borrowed(self.id?),
            event_seq: self.seq?,
            event_type: Cow::Borrowed(self.kind?),
            timestamp: Cow::Borrowed(self.ts?),
            actor: Cow::Borrowed(self.actor?),
            payload: self.payload?,
            operator: self.operator.map(Cow::Borrowed),
            prev_hash: self.prev_hash.map(Cow::Borrowed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::line::serde_wire;
    use proptest::prelude::*;

    const OURS: &str = r#"{"shipment_id":"SHP-0000000007","event_seq":2,"event_type":"MANAGER_APPROVED","timestamp":"2026-01-21T12:00:00.000Z","actor":"SENDER_MANAGER","payload":{"approval_type":"manual","n":[1,{"x":"y"}]},"operator":"asha","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000"}"#;
    const PYTHON: &str = r#"{"shipment_id": "SHP-0000000001", "event_seq": 1, "event_type": "CREATED", "timestamp": "2026-11-29T10:33:44.508181Z", "actor": "SENDER", "payload": {"source": "Chennai", "weight_kg": 428.6}}"#;

    fn same(a: &WireLine<'_>, b: &WireLine<'_>) -> bool {
        a.shipment_id == b.shipment_id
            && a.event_seq == b.event_seq
            && a.event_type == b.event_type
            && a.timestamp == b.timestamp
            && a.actor == b.actor
            && a.payload.get() == b.payload.get()
            && a.operator == b.operator
            && a.prev_hash == b.prev_hash
    }

    #[test]
    fn fast_path_takes_the_common_lines() {
        for line in [OURS, PYTHON] {
            let fast = fast_wire(line).expect("fast path");
            assert!(same(&fast, &serde_wire(line).unwrap()));
        }
    }

    #[test]
    fn fast_path_declines_what_it_does_not_handle() {
        let cases = [
            OURS.replace(r#""operator":"asha""#, r#""operator":null"#),
            OURS.replace(
                r#""actor":"SENDER_MANAGER""#,
                r#""actor":"SENDER_\u004dANAGER""#,
            ),
            OURS.replace(r#""event_seq":2"#, r#""event_seq":2.0"#),
            OURS.replace(r#""event_seq":2"#, r#""event_seq":02"#),
            OURS.replace(r#""operator":"asha""#, r#""operator":"asha","extra":1"#),
            OURS.replace(
                r#""operator":"asha""#,
                r#""operator":"asha","actor":"SENDER""#,
            ),
            format!("{OURS} x"),
        ];
        for case in &cases {
            assert!(fast_wire(case).is_none(), "{case}");
        }
    }

    fn mutated() -> impl Strategy<Value = String> {
        let base = prop_oneof![Just(OURS.to_string()), Just(PYTHON.to_string())];
        (
            base,
            proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8, any::<u8>()), 0..4),
        )
            .prop_map(|(mut line, edits)| {
                for (at, op, byte) in edits {
                    let mut bytes = line.into_bytes();
                    let i = at.index(bytes.len() + 1);
                    let insert: &[u8] = match op {
                        0 => b" ",
                        1 => b"\\",
                        2 => b"\"",
                        3 => b",",
                        4 => b"}",
                        5 => b"\"event_seq\":3,",
                        6 => b"\n",
                        _ => &[],
                    };
                    if op == 7 && i < bytes.len() {
                        bytes[i] = byte;
                    } else if op == 7 && i < bytes.len() + 1 && !bytes.is_empty() {
                        bytes.truncate(i.min(bytes.len()));
                    } else {
                        bytes.splice(i..i, insert.iter().copied());
                    }
                    line = String::from_utf8_lossy(&bytes).into_owned();
                }
                line
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn fast_path_agrees_with_serde(line in mutated()) {
            if let Some(fast) = fast_wire(&line) {
                let slow = serde_wire(&line);
                prop_assert!(slow.is_ok(), "fast accepted what serde rejects: {line}");
                prop_assert!(same(&fast, &slow.unwrap()), "{line}");
            }
        }
    }
}

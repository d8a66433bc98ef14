//! The fast path of line parsing, for the lines nearly every log is made
//! of: known keys, each once, plain strings (no escapes), a plain integer
//! seq, a payload of plain JSON (no escapes, no exponents, shallow). Anything
//! else returns `None` and goes through serde, so both paths accept and
//! reject exactly the same lines (a property test holds them to that).

use std::borrow::Cow;

use super::Wire;
use super::bytes::first_stop;

/// Nesting the payload skim takes; deeper payloads go through serde (whose
/// limit, 128, is far above this).
const SKIM_DEPTH: usize = 32;
/// Longest number the payload skim takes (the payload reader's quick check
/// vouches for up to 40 characters).
const SKIM_NUMBER: usize = 40;

/// Reads `text` as a line's JSON object, or `None` when serde must decide.
pub(super) fn fast_wire(text: &str) -> Option<Wire<'_>> {
    canonical_wire(text).or_else(|| any_order_wire(text))
}

/// The line exactly as this tool writes it: the keys in their documented
/// order, no spaces, both extensions. Nearly every line of a log written
/// here; the same `Wire` as `any_order_wire` gives, without matching keys.
fn canonical_wire(text: &str) -> Option<Wire<'_>> {
    let mut cursor = Cursor { text, i: 0 };
    let id = cursor.string_after(r#"{"shipment_id":"#)?;
    cursor.literal(r#","event_seq":"#)?;
    let seq = cursor.plain_integer()?;
    let kind = cursor.string_after(r#","event_type":"#)?;
    let ts = cursor.string_after(r#","timestamp":"#)?;
    let actor = cursor.string_after(r#","actor":"#)?;
    cursor.literal(r#","payload":"#)?;
    let payload = cursor.skim_value()?;
    let operator = cursor.string_after(r#","operator":"#)?;
    let prev_hash = cursor.string_after(r#","prev_hash":"#)?;
    cursor.literal("}")?;
    if cursor.i != text.len() {
        return None;
    }
    Fields {
        id: Some(id),
        seq: Some(seq),
        kind: Some(kind),
        ts: Some(ts),
        actor: Some(actor),
        payload: Some(payload),
        operator: Some(operator),
        prev_hash: Some(prev_hash),
    }
    .into_wire()
}

/// Any line `fast_wire` takes: keys in any order, JSON white space.
fn any_order_wire(text: &str) -> Option<Wire<'_>> {
    let mut fields = Fields::default();
    Cursor { text, i: 0 }.whole_object(|key, cursor| fields.read_value(key, cursor))?;
    fields.into_wire()
}

/// The counter of a counter-log line exactly as `encode_counter_line`
/// writes it (the original tool's spacing), or `None` when serde must decide.
pub(super) fn fast_counter(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(br#"{"counter": "#)?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 20 || (digits > 1 && rest[0] == b'0') {
        return None;
    }
    let counter = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let rest = rest[digits..].strip_prefix(br#", "timestamp": ""#)?;
    let rest = rest.strip_suffix(br#"", "action": "ID_GENERATED"}"#)?;
    let plain = rest
        .iter()
        .all(|&c| c != b'"' && c != b'\\' && c >= 0x20 && c.is_ascii());
    plain.then_some(counter)
}

/// Hands `each` every key and raw value text of a plain JSON object (the
/// grammar `fast_wire` takes for a payload: no escapes, no exponents,
/// shallow), in order. `None` when `text` is not such an object; `each` may
/// have seen some entries by then, and the caller must let serde decide.
pub(crate) fn plain_entries<'a>(
    text: &'a str,
    mut each: impl FnMut(&'a str, &'a str),
) -> Option<()> {
    Cursor { text, i: 0 }.whole_object(|key, cursor| {
        let start = cursor.i;
        cursor.skim(SKIM_DEPTH - 1)?;
        each(key, text.get(start..cursor.i)?);
        Some(())
    })
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

    /// The rest of the text as one object, `{"key": value, …}` with JSON
    /// white space around; `value` reads each value at the cursor.
    fn whole_object(
        &mut self,
        mut value: impl FnMut(&'a str, &mut Self) -> Option<()>,
    ) -> Option<()> {
        self.skip_ws();
        self.expect(b'{')?;
        self.skip_ws();
        if self.peek()? == b'}' {
            self.i += 1;
        } else {
            loop {
                self.skip_ws();
                let key = self.plain_string()?;
                self.skip_ws();
                self.expect(b':')?;
                self.skip_ws();
                value(key, self)?;
                self.skip_ws();
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.skip_ws();
        (self.i == self.text.len()).then_some(())
    }

    /// A string without escapes or control characters: its text as is.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.i;
        // Many bytes at a time up to the first that ends the plain text,
        // then byte by byte to say which it is.
        self.i = first_stop(self.text.as_bytes(), self.i);
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

    /// Any JSON value this skim vouches for, as its text, starting right
    /// at the cursor. Only JSON serde accepts is taken (strict grammar, no
    /// trailing commas), and only what the payload reader's quick check
    /// vouches for too: no escapes, no exponents, numbers up to
    /// `SKIM_NUMBER` characters, nesting up to `SKIM_DEPTH`.
    fn skim_value(&mut self) -> Option<&'a str> {
        let start = self.i;
        self.skim(SKIM_DEPTH)?;
        self.text.get(start..self.i)
    }

    fn skim(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.skim_container(depth, b'}', true),
            b'[' => self.skim_container(depth, b']', false),
            b'"' => self.plain_string().map(drop),
            b'-' | b'0'..=b'9' => self.plain_number(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => None,
        }
    }

    /// An object (`keyed`) or an array, the cursor on its opening bracket.
    fn skim_container(&mut self, depth: usize, close: u8, keyed: bool) -> Option<()> {
        let depth = depth.checked_sub(1)?;
        self.i += 1;
        self.skip_ws();
        if self.peek()? == close {
            self.i += 1;
            return Some(());
        }
        loop {
            self.skip_ws();
            if keyed {
                self.plain_string()?;
                self.skip_ws();
                self.expect(b':')?;
                self.skip_ws();
            }
            self.skim(depth)?;
            self.skip_ws();
            match self.peek()? {
                b',' => self.i += 1,
                c if c == close => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The plain string right after the text `before`.
    #[inline(always)] // `before` is a constant: its compare is then inlined
    fn string_after(&mut self, before: &str) -> Option<&'a str> {
        self.literal(before)?;
        self.plain_string()
    }

    #[inline(always)]
    fn literal(&mut self, word: &str) -> Option<()> {
        let rest = self.text.as_bytes().get(self.i..)?;
        rest.starts_with(word.as_bytes())
            .then(|| self.i += word.len())
    }

    /// JSON's number grammar without an exponent: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
    fn plain_number(&mut self) -> Option<()> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            let before = self.i;
            self.digits();
            if self.i == before {
                return None;
            }
        }
        let fits = self.i - start <= SKIM_NUMBER;
        (fits && !matches!(self.peek(), Some(b'e' | b'E' | b'0'..=b'9'))).then_some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
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
    payload: Option<&'a str>,
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
                let raw = cursor.skim_value()?;
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
    fn into_wire(self) -> Option<Wire<'a>> {
        Some(Wire {
            shipment_id: Cow::Borrowed(self.id?),
            event_seq: self.seq?,
            event_type: Cow::Borrowed(self.kind?),
            timestamp: Cow::Borrowed(self.ts?),
            actor: Cow::Borrowed(self.actor?),
            payload: self.payload?,
            operator: self.operator.map(Cow::Borrowed),
            prev_hash: self.prev_hash.map(Cow::Borrowed),
            payload_readable: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::line::{Wire, serde_wire};
    use proptest::prelude::*;

    const OURS: &str = r#"{"shipment_id":"SHP-0000000007","event_seq":2,"event_type":"MANAGER_APPROVED","timestamp":"2026-01-21T12:00:00.000Z","actor":"SENDER_MANAGER","payload":{"approval_type":"manual","n":[1,{"x":"y"}]},"operator":"asha","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000"}"#;
    const NESTED: &str = r#"{"shipment_id":"SHP-0000000009","event_seq":3,"event_type":"NOTE_ADDED","timestamp":"2026-01-21T12:00:00.000Z","actor":"SENDER","payload":{"a":[1,-0.5,true,false,null,{"b":[]},{}],"c":"x y","d":-12.75,"e":0},"operator":"op","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000"}"#;
    const PYTHON: &str = r#"{"shipment_id": "SHP-0000000001", "event_seq": 1, "event_type": "CREATED", "timestamp": "2026-11-29T10:33:44.508181Z", "actor": "SENDER", "payload": {"source": "Chennai", "weight_kg": 428.6}}"#;

    fn same(a: &Wire<'_>, b: &Wire<'_>) -> bool {
        a.shipment_id == b.shipment_id
            && a.event_seq == b.event_seq
            && a.event_type == b.event_type
            && a.timestamp == b.timestamp
            && a.actor == b.actor
            && a.payload == b.payload
            && a.operator == b.operator
            && a.prev_hash == b.prev_hash
    }

    #[test]
    fn fast_path_takes_the_common_lines() {
        for line in [OURS, PYTHON, NESTED] {
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
            OURS.replace(r#""manual""#, r#""man\nual""#),
            NESTED.replace("-12.75", "1e5"),
            NESTED.replace("-12.75", "01"),
            NESTED.replace("-12.75", "1."),
            NESTED.replace("-12.75", &"1".repeat(41)),
            NESTED.replace("{}]", "{},]"),
            NESTED.replace("true", "tru"),
            NESTED.replace(
                r#"{"b":[]}"#,
                &format!("{}{}", "[".repeat(40), "]".repeat(40)),
            ),
        ];
        for case in &cases {
            assert!(fast_wire(case).is_none(), "{case}");
        }
    }

    fn mutated() -> impl Strategy<Value = String> {
        let base = prop_oneof![
            Just(OURS.to_string()),
            Just(PYTHON.to_string()),
            Just(NESTED.to_string())
        ];
        (
            base,
            proptest::collection::vec((any::<prop::sample::Index>(), 0u8..14, any::<u8>()), 0..4),
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
                        8 => b"e",
                        9 => b"0",
                        10 => b"-",
                        11 => b".",
                        12 => b"[",
                        13 => b"]",
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
        fn the_counter_fast_path_agrees_with_serde(
            counter in prop_oneof![any::<u64>(), 0u64..100],
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        ) {
            let ts = crate::domain::Timestamp::parse("2026-01-21T12:00:00.000Z").unwrap();
            let mut line = crate::domain::line::encode_counter_line(counter, &ts).trim_end().as_bytes().to_vec();
            let untouched = edits.is_empty();
            for (at, byte) in edits {
                let i = at.index(line.len() + 1);
                line.insert(i, byte);
            }
            let slow = serde_json::from_slice::<crate::domain::line::CounterWire>(&line).ok().map(|c| c.counter);
            match fast_counter(&line) {
                Some(fast) => prop_assert_eq!(Some(fast), slow, "{}", String::from_utf8_lossy(&line)),
                None => prop_assert!(!untouched, "the lines we write take the fast path"),
            }
        }

        #[test]
        fn fast_path_agrees_with_serde(line in mutated()) {
            if let Some(fast) = fast_wire(&line) {
                let slow = serde_wire(&line);
                prop_assert!(slow.is_ok(), "fast accepted what serde rejects: {line}");
                prop_assert!(same(&fast, &slow.unwrap()), "{line}");
                // What the skim vouches for, the payload reader accepts.
                let readable = crate::domain::payload_text::check_readable(fast.payload);
                prop_assert!(readable.is_ok() || !fast.payload.starts_with('{'), "{line}");
            }
        }
    }
}

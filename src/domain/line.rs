//! The JSONL line format: parsing one line (borrowing, no payload parse
//! unless asked), encoding a new line, and the hash that chains lines.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{Actor, Event, EventType, ShipmentId, Timestamp};

/// SHA-256 of a line's exact bytes, without its `\n`.
pub type LineHash = [u8; 32];

pub const GENESIS_HASH: LineHash = [0; 32];

/// A line longer than this (without its `\n`) is malformed for every reader.
pub const MAX_LINE_BYTES: usize = 1 << 20;

pub fn hash_line(line: &[u8]) -> LineHash {
    Sha256::digest(line).into()
}

pub fn hash_hex(hash: &LineHash) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for &byte in hash {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 0x0F) as usize] as char);
    }
    out
}

/// The keys as they stand in a line; unknown keys are ignored.
#[derive(Deserialize)]
struct WireLine<'a> {
    #[serde(borrow)]
    shipment_id: Cow<'a, str>,
    event_seq: i64,
    #[serde(borrow)]
    event_type: Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    actor: Cow<'a, str>,
    #[serde(borrow)]
    payload: &'a RawValue,
    #[serde(default, borrow)]
    operator: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    prev_hash: Option<Cow<'a, str>>,
}

/// A well-formed event line, borrowed from the bytes it was read from.
#[derive(Debug, Clone)]
pub struct LineRecord<'a> {
    pub shipment_id: ShipmentId,
    pub event_seq: u32,
    pub event_type: EventType,
    pub timestamp: Timestamp,
    pub actor: Actor,
    pub payload: &'a RawValue,
    pub operator: Option<Cow<'a, str>>,
    pub prev_hash: Option<LineHash>,
}

/// Why a line is not a well-formed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// The JSON ends early: a write that was cut off (torn).
    Truncated,
    NotJson(String),
    BadShipmentId(String),
    BadSeq(String),
    UnknownEventType(String),
    UnknownActor(String),
    BadTimestamp(String),
    PayloadNotObject,
    BadPrevHash,
    /// Longer than `MAX_LINE_BYTES`: not an event, whatever its first bytes say.
    Oversized,
    /// The payload is JSON the payload reader refuses (nested too deep, a
    /// number out of range, a lone surrogate).
    UnreadablePayload(String),
    /// A line we encoded parses, but not as the event it was built from.
    ReadsBackDifferently(&'static str),
}

impl LineError {
    pub fn is_torn_write(&self) -> bool {
        matches!(self, LineError::Truncated)
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Truncated => f.write_str("line ends mid-event (torn write)"),
            LineError::NotJson(e) => write!(f, "not a JSON event: {e}"),
            LineError::BadShipmentId(s) => write!(f, "bad shipment ID {s:?}"),
            LineError::BadSeq(s) => write!(f, "bad event_seq {s}"),
            LineError::UnknownEventType(s) => write!(f, "unknown event type {s:?}"),
            LineError::UnknownActor(s) => write!(f, "unknown actor {s:?}"),
            LineError::BadTimestamp(s) => write!(f, "bad timestamp {s:?}"),
            LineError::PayloadNotObject => f.write_str("payload is not a JSON object"),
            LineError::BadPrevHash => f.write_str("prev_hash is not 64 lowercase hex digits"),
            LineError::Oversized => f.write_str("line longer than 1 MiB: not an event"),
            LineError::UnreadablePayload(e) => write!(f, "payload cannot be read: {e}"),
            LineError::ReadsBackDifferently(field) => {
                write!(f, "the line would read back with a different {field}")
            }
        }
    }
}

fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

fn serde_wire(text: &str) -> Result<WireLine<'_>, LineError> {
    serde_json::from_str(text).map_err(classify)
}

fn classify(e: serde_json::Error) -> LineError {
    if e.classify() == serde_json::error::Category::Eof {
        LineError::Truncated
    } else {
        LineError::NotJson(e.to_string())
    }
}

/// A fast path for the lines nearly every log is made of: known keys, each
/// once, plain strings (no escapes), a plain integer seq. Anything else
/// returns `None` and goes through serde, so both paths accept and reject
/// exactly the same lines (a property test holds them to that).
fn fast_wire(text: &str) -> Option<WireLine<'_>> {
    let b = text.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *i += 1;
        }
    };
    let expect = |i: &mut usize, c: u8| -> Option<()> { (b.get(*i) == Some(&c)).then(|| *i += 1) };
    // A string without escapes or control characters: its text as is.
    let plain_string = |i: &mut usize| -> Option<&str> {
        expect(i, b'"')?;
        let start = *i;
        loop {
            match *b.get(*i)? {
                b'"' => break,
                b'\\' => return None,
                c if c < 0x20 => return None,
                _ => *i += 1,
            }
        }
        let s = text.get(start..*i)?;
        *i += 1;
        Some(s)
    };
    let (mut id, mut seq, mut kind, mut ts, mut actor) = (None, None, None, None, None);
    let (mut payload, mut operator, mut prev_hash) = (None, None, None);
    skip_ws(&mut i);
    expect(&mut i, b'{')?;
    loop {
        skip_ws(&mut i);
        let key = plain_string(&mut i)?;
        skip_ws(&mut i);
        expect(&mut i, b':')?;
        skip_ws(&mut i);
        match key {
            "event_seq" => {
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let digits = text.get(start..i)?;
                if digits.is_empty()
                    || (digits.len() > 1 && digits.starts_with('0'))
                    || digits.len() > 18
                    || matches!(b.get(i), Some(b'.' | b'e' | b'E'))
                    || seq.is_some()
                {
                    return None;
                }
                seq = Some(digits.parse::<i64>().ok()?);
            }
            "payload" => {
                let rest = text.get(i..)?;
                let mut de = serde_json::Deserializer::from_str(rest);
                let raw: &RawValue = serde::Deserialize::deserialize(&mut de).ok()?;
                if payload.is_some() || raw.get().as_ptr() != rest.as_ptr() {
                    return None;
                }
                i += raw.get().len();
                payload = Some(raw);
            }
            _ => {
                let slot = match key {
                    "shipment_id" => &mut id,
                    "event_type" => &mut kind,
                    "timestamp" => &mut ts,
                    "actor" => &mut actor,
                    "operator" => &mut operator,
                    "prev_hash" => &mut prev_hash,
                    _ => return None,
                };
                if slot.is_some() {
                    return None; // a repeated key: serde's error message is the one to show
                }
                *slot = Some(plain_string(&mut i)?);
            }
        }
        skip_ws(&mut i);
        match b.get(i)? {
            b',' => i += 1,
            b'}' => {
                i += 1;
                break;
            }
            _ => return None,
        }
    }
    skip_ws(&mut i);
    if i != b.len() {
        return None;
    }
    Some(WireLine {
        shipment_id: Cow::Borrowed(id?),
        event_seq: seq?,
        event_type: Cow::Borrowed(kind?),
        timestamp: Cow::Borrowed(ts?),
        actor: Cow::Borrowed(actor?),
        payload: payload?,
        operator: operator.map(Cow::Borrowed),
        prev_hash: prev_hash.map(Cow::Borrowed),
    })
}

/// Parses one line (without its `\n`).
pub fn parse_line(line: &[u8]) -> Result<LineRecord<'_>, LineError> {
    // One UTF-8 check for the whole line; the string reader then skips
    // per-string checks.
    let wire = match std::str::from_utf8(line) {
        Ok(text) => match fast_wire(text) {
            Some(wire) => wire,
            None => serde_wire(text)?,
        },
        // Let serde say what is wrong: a character cut at the end of the
        // line is a torn write, not corruption.
        Err(_) => serde_json::from_slice::<WireLine<'_>>(line).map_err(classify)?,
    };
    let shipment_id = wire
        .shipment_id
        .parse::<ShipmentId>()
        .ok()
        .filter(|_| wire.shipment_id.starts_with("SHP-"))
        .ok_or_else(|| LineError::BadShipmentId(clip(&wire.shipment_id)))?;
    let event_seq = u32::try_from(wire.event_seq)
        .ok()
        .filter(|&s| s >= 1)
        .ok_or_else(|| LineError::BadSeq(wire.event_seq.to_string()))?;
    let event_type = EventType::from_log_name(&wire.event_type)
        .ok_or_else(|| LineError::UnknownEventType(clip(&wire.event_type)))?;
    let actor = Actor::from_log_name(&wire.actor)
        .ok_or_else(|| LineError::UnknownActor(clip(&wire.actor)))?;
    let timestamp = Timestamp::parse(&wire.timestamp)
        .ok_or_else(|| LineError::BadTimestamp(clip(&wire.timestamp)))?;
    if !wire.payload.get().starts_with('{') {
        return Err(LineError::PayloadNotObject);
    }
    super::payload_text::check_readable(wire.payload.get())
        .map_err(LineError::UnreadablePayload)?;
    let prev_hash = match wire.prev_hash {
        None => None,
        Some(text) => Some(parse_hash(&text).ok_or(LineError::BadPrevHash)?),
    };
    Ok(LineRecord {
        shipment_id,
        event_seq,
        event_type,
        timestamp,
        actor,
        payload: wire.payload,
        operator: wire.operator,
        prev_hash,
    })
}

/// Hex digit values; 0xFF marks a byte that is not a lowercase hex digit.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Table-driven: this runs for every line of every load.
fn parse_hash(text: &str) -> Option<LineHash> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    let mut invalid = 0u8;
    for (out, pair) in hash.iter_mut().zip(bytes.chunks_exact(2)) {
        let (hi, lo) = (HEX_VALUES[pair[0] as usize], HEX_VALUES[pair[1] as usize]);
        invalid |= (hi | lo) & 0xF0;
        *out = (hi << 4) | (lo & 0x0F);
    }
    (invalid == 0).then_some(hash)
}

impl LineRecord<'_> {
    /// The payload as a map. `parse_line` only returns records whose payload
    /// reads (`payload_text::check_readable`), so the fallback is never taken.
    pub fn payload_map(&self) -> Map<String, Value> {
        serde_json::from_str(self.payload.get()).unwrap_or_default()
    }

    pub fn to_event(&self) -> Event {
        Event {
            shipment_id: self.shipment_id,
            event_seq: self.event_seq,
            event_type: self.event_type,
            timestamp: self.timestamp,
            actor: self.actor,
            payload: self.payload_map(),
            operator: self.operator.as_deref().map(str::to_owned),
            prev_hash: self.prev_hash.as_ref().map(hash_hex),
        }
    }
}

/// A line this project writes: every key, extensions included, in order.
#[derive(Serialize)]
pub struct NewLine<'a> {
    pub shipment_id: ShipmentId,
    pub event_seq: u32,
    pub event_type: EventType,
    pub timestamp: Timestamp,
    pub actor: Actor,
    pub payload: &'a Map<String, Value>,
    pub operator: &'a str,
    pub prev_hash: String,
}

impl NewLine<'_> {
    /// The line's bytes without the `\n`.
    pub fn encode(&self) -> Vec<u8> {
        // A struct of strings, numbers and a `Map` always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The line's bytes, proven to read back through the readers' own
    /// parser as exactly this event: what cannot be read is never written.
    pub fn encode_checked(&self) -> Result<Vec<u8>, LineError> {
        let bytes = self.encode();
        if bytes.len() > MAX_LINE_BYTES {
            return Err(LineError::Oversized);
        }
        let back = parse_line(&bytes)?;
        let differs = if back.shipment_id != self.shipment_id {
            Some("shipment_id")
        } else if back.event_seq != self.event_seq {
            Some("event_seq")
        } else if back.event_type != self.event_type {
            Some("event_type")
        } else if back.timestamp != self.timestamp {
            // The text read back is the text written: the same instant means
            // it printed right (a leap second as `:60`, 3 digits).
            Some("timestamp")
        } else if back.actor != self.actor {
            Some("actor")
        } else if back.operator.as_deref() != Some(self.operator) {
            Some("operator")
        } else if back.prev_hash.as_ref().map(hash_hex).as_deref() != Some(self.prev_hash.as_str())
        {
            Some("prev_hash")
        } else {
            None
        };
        match differs {
            Some(field) => Err(LineError::ReadsBackDifferently(field)),
            None => Ok(bytes),
        }
    }
}

/// One line of `shipment_counter.jsonl`, in the original tool's spacing.
pub fn encode_counter_line(counter: u64, timestamp: &Timestamp) -> String {
    format!(
        "{{\"counter\": {counter}, \"timestamp\": \"{timestamp}\", \"action\": \"ID_GENERATED\"}}\n"
    )
}

#[derive(Deserialize)]
struct CounterWire {
    counter: u64,
}

/// The counter of a counter-log line, if the line is well-formed.
pub fn parse_counter_line(line: &[u8]) -> Option<u64> {
    serde_json::from_slice::<CounterWire>(line)
        .ok()
        .map(|c| c.counter)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PYTHON_LINE: &str = r#"{"shipment_id": "SHP-0000000001", "event_seq": 1, "event_type": "CREATED", "timestamp": "2026-11-29T10:33:44.508181Z", "actor": "SENDER", "payload": {"source": "Chennai", "destination": "Kolkata", "weight_kg": 428.6, "delivery_type": "EXPRESS", "priority": "high"}}"#;

    #[test]
    fn reads_lines_without_extensions() {
        let record = parse_line(PYTHON_LINE.as_bytes()).unwrap();
        assert_eq!(record.shipment_id.number(), 1);
        assert_eq!(record.event_type, EventType::Created);
        assert_eq!(record.timestamp.to_string(), "2026-11-29T10:33:44.508181Z");
        assert!(record.prev_hash.is_none() && record.operator.is_none());
        assert_eq!(record.payload_map()["priority"], "high");
    }

    #[test]
    fn encodes_keys_in_contract_order_and_reads_back() {
        let payload = record_payload();
        let line = NewLine {
            shipment_id: ShipmentId::new(7).unwrap(),
            event_seq: 2,
            event_type: EventType::ManagerApproved,
            timestamp: Timestamp::parse("2026-01-21T12:00:00.000Z").unwrap(),
            actor: Actor::SenderManager,
            payload: &payload,
            operator: "asha",
            prev_hash: hash_hex(&GENESIS_HASH),
        }
        .encode();
        let text = String::from_utf8(line.clone()).unwrap();
        assert!(text.starts_with(r#"{"shipment_id":"SHP-0000000007","event_seq":2,"event_type":"MANAGER_APPROVED","timestamp":"2026-01-21T12:00:00.000Z","actor":"SENDER_MANAGER","payload":{"approval_type":"manual"},"operator":"asha","prev_hash":"000"#), "{text}");
        let back = parse_line(&line).unwrap();
        assert_eq!(back.prev_hash, Some(GENESIS_HASH));
        assert_eq!(back.operator.as_deref(), Some("asha"));
    }

    fn record_payload() -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("approval_type".into(), "manual".into());
        m
    }

    #[test]
    fn classifies_bad_lines() {
        let cut = &PYTHON_LINE.as_bytes()[..PYTHON_LINE.len() - 10];
        assert_eq!(parse_line(cut).unwrap_err(), LineError::Truncated);
        assert!(matches!(
            parse_line(b"garbage").unwrap_err(),
            LineError::NotJson(_)
        ));
        let bad_id = PYTHON_LINE.replace("SHP-0000000001", "SHP-1");
        assert!(matches!(
            parse_line(bad_id.as_bytes()).unwrap_err(),
            LineError::BadShipmentId(_)
        ));
        let array = PYTHON_LINE
            .replace(r#""payload": {"#, r#""payload": [{"#)
            .replace("}}", "}]}");
        assert_eq!(
            parse_line(array.as_bytes()).unwrap_err(),
            LineError::PayloadNotObject
        );
        let seq0 = PYTHON_LINE.replace(r#""event_seq": 1"#, r#""event_seq": 0"#);
        assert!(matches!(
            parse_line(seq0.as_bytes()).unwrap_err(),
            LineError::BadSeq(_)
        ));
    }

    #[test]
    fn counter_lines_round_trip() {
        let ts = Timestamp::parse("2026-01-21T12:00:00.000Z").unwrap();
        let line = encode_counter_line(42, &ts);
        assert_eq!(parse_counter_line(line.trim_end().as_bytes()), Some(42));
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;
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

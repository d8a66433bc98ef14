//! The JSONL line format: parsing one line (borrowing, no payload parse
//! unless asked), encoding a new line, and the hash that chains lines.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{Actor, Event, EventType, ShipmentId, Timestamp};

mod bytes;
mod hash_pair;
pub use hash_pair::hash_pair;
mod fast;
use fast::fast_wire;
pub(crate) use fast::plain_entries;

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

/// A line's fields as text, read by either path (the fast one, or serde).
struct Wire<'a> {
    shipment_id: Cow<'a, str>,
    event_seq: i64,
    event_type: Cow<'a, str>,
    timestamp: Cow<'a, str>,
    actor: Cow<'a, str>,
    /// The payload's JSON text, as it stands in the line.
    payload: &'a str,
    operator: Option<Cow<'a, str>>,
    prev_hash: Option<Cow<'a, str>>,
    /// The reader vouched that the payload map reader accepts the payload
    /// (`payload_text::check_readable` would say so): no second look.
    payload_readable: bool,
}

impl<'a> From<WireLine<'a>> for Wire<'a> {
    fn from(wire: WireLine<'a>) -> Self {
        Wire {
            shipment_id: wire.shipment_id,
            event_seq: wire.event_seq,
            event_type: wire.event_type,
            timestamp: wire.timestamp,
            actor: wire.actor,
            payload: wire.payload.get(),
            operator: wire.operator,
            prev_hash: wire.prev_hash,
            payload_readable: false,
        }
    }
}

/// A payload's JSON text as it stands in its line: an object the payload
/// reader accepts (`parse_line` checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPayload<'a>(&'a str);

impl<'a> RawPayload<'a> {
    pub fn get(&self) -> &'a str {
        self.0
    }
}

/// A well-formed event line, borrowed from the bytes it was read from.
#[derive(Debug, Clone)]
pub struct LineRecord<'a> {
    pub shipment_id: ShipmentId,
    pub event_seq: u32,
    pub event_type: EventType,
    pub timestamp: Timestamp,
    pub actor: Actor,
    pub payload: RawPayload<'a>,
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

fn serde_wire(text: &str) -> Result<Wire<'_>, LineError> {
    serde_json::from_str::<WireLine<'_>>(text)
        .map(Wire::from)
        .map_err(classify)
}

fn classify(e: serde_json::Error) -> LineError {
    if e.classify() == serde_json::error::Category::Eof {
        LineError::Truncated
    } else {
        LineError::NotJson(e.to_string())
    }
}

/// Parses one line (without its `\n`).
pub fn parse_line(line: &[u8]) -> Result<LineRecord<'_>, LineError> {
    // One UTF-8 check for the whole line; the string reader then skips
    // per-string checks. Lines are nearly always ASCII, which is quicker
    // to check.
    let text = bytes::ascii_text(line).map_or_else(|| std::str::from_utf8(line), Ok);
    let wire = match text {
        Ok(text) => match fast_wire(text) {
            Some(wire) => wire,
            None => serde_wire(text)?,
        },
        // Let serde say what is wrong: a character cut at the end of the
        // line is a torn write, not corruption.
        Err(_) => serde_json::from_slice::<WireLine<'_>>(line)
            .map(Wire::from)
            .map_err(classify)?,
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
    if !wire.payload.starts_with('{') {
        return Err(LineError::PayloadNotObject);
    }
    if !wire.payload_readable {
        super::payload_text::check_readable(wire.payload).map_err(LineError::UnreadablePayload)?;
    }
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
        payload: RawPayload(wire.payload),
        operator: wire.operator,
        prev_hash,
    })
}

/// 64 lowercase hex digits, as `hash_hex` writes them; anything else is
/// `None`. This runs for every line of every load, so it reads sixteen
/// digits at a time (`bytes::hex_32`).
pub fn parse_hash(text: &str) -> Option<LineHash> {
    bytes::hex_32(text.as_bytes().try_into().ok()?)
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
        self.encode_checked_with(|_, _| ()).map(|(bytes, ())| bytes)
    }

    /// `encode_checked`, handing the line as read back (and its bytes) to
    /// `then`, so a writer that also digests what it writes parses it once.
    pub fn encode_checked_with<T>(
        &self,
        then: impl FnOnce(&LineRecord<'_>, &[u8]) -> T,
    ) -> Result<(Vec<u8>, T), LineError> {
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
        if let Some(field) = differs {
            return Err(LineError::ReadsBackDifferently(field));
        }
        let out = then(&back, &bytes);
        drop(back);
        Ok((bytes, out))
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
    if let Some(counter) = fast::fast_counter(line) {
        return Some(counter);
    }
    serde_json::from_slice::<CounterWire>(line)
        .ok()
        .map(|c| c.counter)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PYTHON_LINE: &str = r#"{"shipment_id": "SHP-0000000001", "event_seq": 1, "event_type": "CREATED", "timestamp": "2026-11-29T10:33:44.508181Z", "actor": "SENDER", "payload": {"source": "Chennai", "destination": "Kolkata", "weight_kg": 428.6, "delivery_type": "EXPRESS", "priority": "high"}}"#;

    /// The plain reading of a hash: each pair of lowercase hex digits.
    fn hash_by_pairs(text: &str) -> Option<LineHash> {
        let lowercase_hex = |c: &u8| c.is_ascii_digit() || (b'a'..=b'f').contains(c);
        if text.len() != 64 || !text.as_bytes().iter().all(lowercase_hex) {
            return None;
        }
        let mut hash = [0u8; 32];
        for (i, out) in hash.iter_mut().enumerate() {
            *out = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(hash)
    }

    proptest::proptest! {
        #[test]
        fn hashes_read_eight_digits_at_a_time_as_pair_by_pair(
            digits in "[0-9a-f]{64}",
            odd in "[A-Fg/:`@\"\\ \u{7f}\u{0}é]?",
            at in 0usize..64,
            hash in proptest::prelude::any::<[u8; 32]>(),
        ) {
            // One digit replaced by a byte just outside the ranges, or none.
            let text = format!("{}{odd}{}", &digits[..at], &digits[(at + usize::from(!odd.is_empty())).min(64)..]);
            proptest::prop_assert_eq!(parse_hash(&text), hash_by_pairs(&text));
            proptest::prop_assert_eq!(parse_hash(&hash_hex(&hash)), Some(hash));
        }
    }

    #[test]
    fn counter_lines_read_alike_by_both_parsers() {
        let full = |l: &str| {
            serde_json::from_str::<CounterWire>(l)
                .ok()
                .map(|c| c.counter)
        };
        for line in [
            r#"{"counter": 42, "timestamp": "2026-01-21T12:00:00.000Z", "action": "ID_GENERATED"}"#,
            r#"{"counter": 0, "timestamp": "2026-01-21T12:00:00.000Z", "action": "ID_GENERATED"}"#,
            r#"{"counter": 042, "timestamp": "2026-01-21T12:00:00.000Z", "action": "ID_GENERATED"}"#,
            r#"{"counter": 99999999999999999999, "timestamp": "x", "action": "ID_GENERATED"}"#,
            r#"{"counter": 7, "timestamp": "a\"b", "action": "ID_GENERATED"}"#,
            r#"{"counter": 7, "timestamp": "2026", "action": "ID_GENERATED"} "#,
            r#"{"counter":7}"#,
        ] {
            assert_eq!(parse_counter_line(line.as_bytes()), full(line), "{line}");
        }
        assert_eq!(
            fast::fast_counter(
                encode_counter_line(9, &Timestamp::now_millis())
                    .trim_end()
                    .as_bytes()
            ),
            Some(9)
        );
    }

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

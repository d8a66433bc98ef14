//! The snapshot file: `MAGIC`, the format version (u32 LE), the SHA-256
//! of the body, then the body in postcard (a compact, documented binary
//! encoding). Names are stored once, shipments refer to them by number.
//! Decoding checks everything a damaged or hostile file could get wrong
//! (magic, version, checksum, every state, role and name number, the
//! counts) and says what in one line; nothing in it can panic.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::details::Details;
use crate::domain::line::LineHash;
use crate::domain::{Actor, EventType, Name, ShipmentId, Timestamp};
use crate::log::lines::LineSpan;
use crate::read::projection::{Projection, ShipmentSummary, Tally};
use crate::read::pulse::minutes::Minutes;
use crate::read::verify::ChainSeed;

const MAGIC: &[u8; 8] = b"CTSNAP\r\n";

/// Bumped whenever the body's shape or meaning changes: a snapshot of
/// another version is ignored (and replaced).
pub const FORMAT_VERSION: u32 = 1;

/// What a snapshot stands for: the log up to the end of one event line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The last event line covered: where it is (file: byte offset;
    /// database: position), its line number and the hash of its bytes.
    pub line: (u64, u32),
    pub line_no: u64,
    pub line_hash: LineHash,
    /// Events covered.
    pub events: u64,
    /// Where reading goes on (the file: just past the line's `\n`; a
    /// database: the next position).
    pub next: u64,
    /// Where the counter log's reading went on then (byte offset, next
    /// line number), for a store that keeps it in a file: the lines before
    /// are read by the background check, not by the reader.
    pub counter: Option<(u64, u64)>,
}

impl Key {
    pub fn span(&self) -> LineSpan {
        LineSpan {
            offset: self.line.0,
            len: self.line.1,
        }
    }
}

/// Everything a reader needs to go on from `key` as if it had read the
/// log up to there.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub key: Key,
    pub projection: Projection,
    pub chain: ChainSeed,
}

/// The body's first part; `shipments` rows follow it, one after another
/// (decoded one at a time, so no second copy of them is ever held).
#[derive(Serialize, Deserialize)]
struct Head {
    key: Key,
    chain: ChainSeed,
    tally: Tally,
    minutes: Minutes,
    names: Vec<String>,
    shipments: u64,
}

/// One shipment, with names by number (`u32::MAX`: none).
#[derive(Serialize, Deserialize)]
struct Row {
    id: u64,
    state: u8,
    seq: u32,
    event_count: u32,
    created_at: (i64, u32, u8),
    last_updated: (i64, u32, u8),
    last_actor: u8,
    last_operator: u32,
    source: u32,
    destination: u32,
    weight_kg: Option<f64>,
    delivery_type: u32,
    first_line: u64,
    last_event_no: u64,
    first_offset: u64,
    last: (u64, u32),
}

const NO_NAME: u32 = u32::MAX;

/// The bytes of a snapshot file of `projection` at `key`.
pub fn encode(key: Key, chain: ChainSeed, projection: &Projection) -> Result<Vec<u8>, String> {
    let fail = |e: postcard::Error| format!("cannot encode: {e}");
    let mut names = NameTable::default();
    let mut rows = Vec::new();
    for s in projection.shipments() {
        rows = postcard::to_extend(&row_of(s, &mut names), rows).map_err(fail)?;
    }
    let head = Head {
        key,
        chain,
        tally: projection.tally().clone(),
        minutes: projection.minutes().clone(),
        names: names.texts,
        shipments: projection.total_shipments() as u64,
    };
    let mut body = postcard::to_stdvec(&head).map_err(fail)?;
    body.extend_from_slice(&rows);
    drop(rows);
    let mut out = Vec::with_capacity(body.len() + 44);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&body));
    out.extend_from_slice(&body);
    Ok(out)
}

/// A snapshot file's bytes read back; why not, in a few words.
pub fn decode(bytes: &[u8]) -> Result<Snapshot, String> {
    let (magic, rest) = bytes.split_at_checked(8).ok_or("shorter than its header")?;
    if magic != MAGIC {
        return Err("not a snapshot file".into());
    }
    let (version, rest) = rest.split_at_checked(4).ok_or("shorter than its header")?;
    let version = u32::from_le_bytes(version.try_into().map_err(|_| "bad header")?);
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this build reads {FORMAT_VERSION}"
        ));
    }
    let (sum, body) = rest.split_at_checked(32).ok_or("shorter than its header")?;
    if Sha256::digest(body).as_slice() != sum {
        return Err("damaged (its checksum does not match)".into());
    }
    let unreadable = |e: postcard::Error| format!("unreadable: {e}");
    let (head, mut rest) = postcard::take_from_bytes::<Head>(body).map_err(unreadable)?;
    let names: Vec<Name> = head.names.iter().map(|t| Name::of(t)).collect();
    // Each row is at least a few bytes: a count past what is left is a lie
    // (and must not size an allocation).
    let count = usize::try_from(head.shipments).unwrap_or(usize::MAX);
    let mut shipments = Vec::with_capacity(count.min(rest.len()));
    for _ in 0..count {
        let (row, more) = postcard::take_from_bytes::<Row>(rest).map_err(unreadable)?;
        shipments.push(summary_of(&row, &names).ok_or("holds a shipment no log could make")?);
        rest = more;
    }
    if !rest.is_empty() {
        return Err("holds more than it says".into());
    }
    let projection = Projection::from_parts(shipments, head.tally, head.minutes)
        .ok_or("its counts do not fit its shipments")?;
    if projection.total_events() != head.key.events {
        return Err("its counts do not fit its key".into());
    }
    Ok(Snapshot {
        key: head.key,
        projection,
        chain: head.chain,
    })
}

#[derive(Default)]
struct NameTable {
    texts: Vec<String>,
    by_name: std::collections::HashMap<Name, u32>,
}

impl NameTable {
    fn number(&mut self, name: Name) -> u32 {
        let next = self.texts.len() as u32;
        *self.by_name.entry(name).or_insert_with(|| {
            self.texts.push(name.as_str().to_string());
            next
        })
    }
}

fn row_of(s: &ShipmentSummary, names: &mut NameTable) -> Row {
    Row {
        id: s.id.number(),
        state: index_of(EventType::ALL, &s.state),
        seq: s.seq,
        event_count: s.event_count,
        created_at: s.created_at.to_parts(),
        last_updated: s.last_updated.to_parts(),
        last_actor: index_of(Actor::ALL, &s.last_actor),
        last_operator: s.last_operator.map_or(NO_NAME, |n| names.number(n)),
        source: names.number(s.details.source),
        destination: names.number(s.details.destination),
        weight_kg: s.details.weight_kg,
        delivery_type: names.number(s.details.delivery_type),
        first_line: s.first_line,
        last_event_no: s.last_event_no,
        first_offset: s.first_offset,
        last: (s.last.offset, s.last.len),
    }
}

fn summary_of(row: &Row, names: &[Name]) -> Option<ShipmentSummary> {
    let name = |n: u32| names.get(n as usize).copied();
    let time = |(secs, nanos, digits): (i64, u32, u8)| Timestamp::from_parts(secs, nanos, digits);
    Some(ShipmentSummary {
        id: ShipmentId::new(row.id)?,
        state: *EventType::ALL.get(row.state as usize)?,
        seq: row.seq,
        event_count: row.event_count,
        created_at: time(row.created_at)?,
        last_updated: time(row.last_updated)?,
        last_actor: *Actor::ALL.get(row.last_actor as usize)?,
        last_operator: match row.last_operator {
            NO_NAME => None,
            n => Some(name(n)?),
        },
        details: Details {
            source: name(row.source)?,
            destination: name(row.destination)?,
            weight_kg: row.weight_kg,
            delivery_type: name(row.delivery_type)?,
        },
        first_line: row.first_line,
        last_event_no: row.last_event_no,
        first_offset: row.first_offset,
        last: LineSpan {
            offset: row.last.0,
            len: row.last.1,
        },
    })
}

fn index_of<T: PartialEq>(all: &[T], value: &T) -> u8 {
    all.iter().position(|v| v == value).unwrap_or(0) as u8
}

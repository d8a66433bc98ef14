//! `SearchIndex`: per shipment, what the search needs and the projection
//! does not keep, as one compact `Record`: which actors and event types
//! its events had (two bit sets), and its operators and every payload key
//! and value of any of its events as one lowercase text, deduplicated:
//! `KIND key \x1f value \x1e KIND key \x1f value \x1e …`. Built from the
//! lines the projection points at, read back through the store's
//! `LineSource` (the file or a database alike), and kept current by
//! re-reading only the shipments a refresh touched.

use std::collections::HashSet;

use serde_json::Value;

use crate::domain::line::parse_line;
use crate::domain::{Actor, EventType, ShipmentId};
use crate::error::Result;
use crate::log::lines::LineSpan;
use crate::read::index::LogIndex;
use crate::read::projection::Projection;

/// What an entry of a record's text is (its first byte).
pub const KIND_OPERATOR: u8 = 0x03;
pub const KIND_PAYLOAD: u8 = 0x05;
/// Between an entry's key and its value.
pub const KEY_END: u8 = 0x1f;
/// After each entry.
pub const ENTRY_END: u8 = 0x1e;

/// Lines read back per store call while building (a database answers a
/// batch in one round trip).
const BATCH_SPANS: usize = 4096;

/// Reads lines back by span (the `LogIndex`'s or a worker's own source).
pub type ReadLines<'a> = dyn FnMut(&[LineSpan]) -> Result<Vec<Vec<u8>>> + 'a;

/// One shipment's searchable record.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Record {
    /// Bit `i`: some event's actor was `Actor::ALL[i]`.
    pub actors: u16,
    /// Bit `i`: some event was of type `EventType::ALL[i]`.
    pub events: u16,
    /// Operators and payload entries (see the module docs).
    pub text: Box<[u8]>,
}

/// The bit of `value` in `all`.
pub fn bit<T: PartialEq>(all: &[T], value: &T) -> u16 {
    all.iter()
        .position(|v| v == value)
        .map_or(0, |i| 1u16.checked_shl(i as u32).unwrap_or(0))
}

#[derive(Debug, Default, Clone)]
pub struct SearchIndex {
    /// By position in `Projection::shipments()`.
    records: Vec<Record>,
    /// Every payload key seen (lowercase): a comparison may name only these.
    keys: HashSet<Box<str>>,
    /// What a shipment not indexed (yet) has.
    empty: Record,
}

impl SearchIndex {
    /// Indexes every shipment of `index`, reading its lines back.
    pub fn build(index: &LogIndex) -> Result<SearchIndex> {
        let spans: Vec<Vec<LineSpan>> = spans_of(index.projection());
        let built = Self::build_from(&spans, &mut |s| index.read_lines(s), &mut |_, _| true)?;
        Ok(built.unwrap_or_default())
    }

    /// Indexes shipments whose lines are at `spans` (one entry per
    /// projection position), calling `progress(done, total)` after each
    /// batch; `None` if it said stop.
    pub fn build_from(
        spans: &[Vec<LineSpan>],
        read: &mut ReadLines<'_>,
        progress: &mut dyn FnMut(usize, usize) -> bool,
    ) -> Result<Option<SearchIndex>> {
        let mut built = SearchIndex {
            records: Vec::with_capacity(spans.len()),
            keys: HashSet::new(),
            empty: Record::default(),
        };
        let mut start = 0;
        while start < spans.len() {
            let mut end = start;
            let mut batch: Vec<LineSpan> = Vec::new();
            while end < spans.len() && (batch.len() < BATCH_SPANS || end == start) {
                batch.extend_from_slice(&spans[end]);
                end += 1;
            }
            let lines = read(&batch)?;
            let mut lines = lines.iter();
            for shipment in &spans[start..end] {
                let own: Vec<&[u8]> = lines
                    .by_ref()
                    .take(shipment.len())
                    .map(|l| &l[..])
                    .collect();
                let record = built.record_of(&own);
                built.records.push(record);
            }
            start = end;
            if !progress(start, spans.len()) {
                return Ok(None);
            }
        }
        Ok(Some(built))
    }

    /// Brings the records of `touched` (and of shipments new since) up to
    /// date with `index`'s projection.
    pub fn update(&mut self, index: &LogIndex, touched: &[ShipmentId]) -> Result<()> {
        let projection = index.projection();
        let mut positions: Vec<usize> = touched
            .iter()
            .filter_map(|&id| projection.position(id))
            .filter(|&p| p < self.records.len())
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions.extend(self.records.len()..projection.total_shipments());
        for chunk in positions.chunks(BATCH_SPANS / 8) {
            let shipments = projection.shipments();
            let batch: Vec<LineSpan> = chunk
                .iter()
                .flat_map(|&p| shipments[p].lines.iter().copied())
                .collect();
            let lines = index.read_lines(&batch)?;
            let mut lines = lines.iter();
            for &p in chunk {
                let own: Vec<&[u8]> = lines
                    .by_ref()
                    .take(shipments[p].lines.len())
                    .map(|l| &l[..])
                    .collect();
                let record = self.record_of(&own);
                if p < self.records.len() {
                    self.records[p] = record;
                } else {
                    self.records.push(record);
                }
            }
        }
        Ok(())
    }

    /// The record of the shipment at `position` (empty if not indexed).
    pub fn record(&self, position: usize) -> &Record {
        self.records.get(position).unwrap_or(&self.empty)
    }

    /// How many shipments are indexed.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Some event of some shipment has this payload key (lowercase).
    pub fn has_key(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// Bytes the records hold (for the benchmark's memory figure).
    pub fn record_bytes(&self) -> usize {
        self.records
            .iter()
            .map(|r| r.text.len() + std::mem::size_of::<Record>())
            .sum()
    }

    /// One shipment's record from its lines, in order. A line that does not
    /// parse (the log changed under the reader) adds nothing.
    fn record_of(&mut self, lines: &[&[u8]]) -> Record {
        let (mut actors, mut events) = (0, 0);
        let mut entries: Vec<Vec<u8>> = Vec::with_capacity(lines.len() * 2);
        for bytes in lines {
            let Ok(line) = parse_line(bytes) else {
                continue;
            };
            actors |= bit(Actor::ALL, &line.actor);
            events |= bit(EventType::ALL, &line.event_type);
            if let Some(operator) = &line.operator {
                entries.push(entry(KIND_OPERATOR, "", operator));
            }
            let Ok(Value::Object(payload)) = serde_json::from_str::<Value>(line.payload.get())
            else {
                continue;
            };
            for (key, value) in &payload {
                let key = clean(key);
                if !self.keys.contains(key.as_str()) {
                    self.keys.insert(key.clone().into_boxed_str());
                }
                entries.push(entry(KIND_PAYLOAD, &key, &value_text(value)));
            }
        }
        entries.sort_unstable();
        entries.dedup();
        Record {
            actors,
            events,
            text: entries.concat().into_boxed_slice(),
        }
    }
}

/// Every shipment's line spans, by projection position (what a worker
/// thread needs to build an index away from the projection).
pub fn spans_of(projection: &Projection) -> Vec<Vec<LineSpan>> {
    projection
        .shipments()
        .iter()
        .map(|s| s.lines.clone())
        .collect()
}

/// A payload value as searched: strings as they are, anything else as its
/// JSON text.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Lowercase, with the separators (and any control character) as spaces.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .to_lowercase()
}

fn entry(kind: u8, key: &str, value: &str) -> Vec<u8> {
    let value = clean(value);
    let mut out = Vec::with_capacity(key.len() + value.len() + 3);
    out.push(kind);
    out.extend_from_slice(key.as_bytes());
    out.push(KEY_END);
    out.extend_from_slice(value.as_bytes());
    out.push(ENTRY_END);
    out
}

/// The entries of `kind` (and `key`, for payload entries) in `record`.
pub fn values<'r>(record: &'r [u8], kind: u8, key: &'r [u8]) -> impl Iterator<Item = &'r [u8]> {
    record
        .split(|&b| b == ENTRY_END)
        .filter(move |e| e.first() == Some(&kind))
        .filter_map(move |e| {
            let rest = &e[1..];
            let sep = rest.iter().position(|&b| b == KEY_END)?;
            (&rest[..sep] == key).then_some(&rest[sep + 1..])
        })
}

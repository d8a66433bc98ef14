//! `SearchIndex`: per shipment, what the search needs and the projection
//! does not keep, as one compact `Record`: which actors and event types
//! its events had (two bit sets), and its operators and every payload key
//! and value of any of its events as one lowercase text, deduplicated:
//! `KIND key \x1f value \x1e KIND key \x1f value \x1e …`. Built by
//! reading the log's lines once, in order, from the store (the file or a
//! database alike), and kept current by reading back only the shipments a
//! refresh touched.

use std::collections::HashSet;

use serde_json::Value;

use crate::domain::id::IdMap;
use crate::domain::line::parse_line;
use crate::domain::{Actor, EventType, ShipmentId};
use crate::error::{Error, Result};
use crate::read::index::LogIndex;
use crate::read::projection::Projection;
use crate::store::Location;

/// What an entry of a record's text is (its first byte).
pub const KIND_OPERATOR: u8 = 0x03;
pub const KIND_PAYLOAD: u8 = 0x05;
/// Between an entry's key and its value.
pub const KEY_END: u8 = 0x1f;
/// After each entry.
pub const ENTRY_END: u8 = 0x1e;

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
    /// Indexes every shipment of `index`, reading the log once.
    pub fn build(index: &LogIndex) -> Result<SearchIndex> {
        let projection = index.projection();
        let (ids, events) = (ids_of(projection), projection.total_events());
        let built = Self::build_from(index.location(), &ids, events, &mut |_, _| true)?;
        Ok(built.unwrap_or_default())
    }

    /// Indexes the shipments `ids` (by projection position), reading the
    /// log's first `events` lines in order from the store, calling
    /// `progress(lines read, events)` after each batch; `None` if it said
    /// stop.
    pub fn build_from(
        location: &Location,
        ids: &[ShipmentId],
        events: u64,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<Option<SearchIndex>> {
        let mut built = SearchIndex {
            records: vec![Record::default(); ids.len()],
            keys: HashSet::new(),
            empty: Record::default(),
        };
        let mut position: IdMap<u32> = IdMap::default();
        position.reserve(ids.len());
        for (pos, &id) in ids.iter().enumerate() {
            position.insert(id, pos as u32);
        }
        let mut done = 0u64;
        let read = location.event_lines(&mut |batch| {
            // Only the projection's events: later ones (or those after a
            // past moment) are not its shipments' yet.
            let wanted = events.saturating_sub(done).min(batch.len() as u64);
            for bytes in &batch[..wanted as usize] {
                built.add_line(&position, bytes);
            }
            done += wanted;
            if done < events && progress(done, events) {
                Ok(())
            } else {
                Err(Error::Cancelled)
            }
        });
        match read {
            Ok(()) => Ok(Some(built)),
            Err(Error::Cancelled) if done >= events => Ok(Some(built)),
            Err(Error::Cancelled) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Takes one line into its shipment's record (if it is indexed).
    fn add_line(&mut self, position: &IdMap<u32>, bytes: &[u8]) {
        let Ok(line) = parse_line(bytes) else {
            return;
        };
        let Some(&pos) = position.get(&line.shipment_id) else {
            return;
        };
        let mut more = self.record_of(&[bytes]);
        let Some(record) = self.records.get_mut(pos as usize) else {
            return;
        };
        more.actors |= record.actors;
        more.events |= record.events;
        let mut entries: Vec<&[u8]> = entries_of(&record.text)
            .chain(entries_of(&more.text))
            .collect();
        entries.sort_unstable();
        entries.dedup();
        more.text = entries.concat().into_boxed_slice();
        *record = more;
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
        for p in positions {
            let Some(summary) = projection.shipments().get(p) else {
                continue;
            };
            let lines = index.shipment_lines(summary)?;
            let own: Vec<&[u8]> = lines.iter().map(|(_, bytes)| &bytes[..]).collect();
            let record = self.record_of(&own);
            if p < self.records.len() {
                self.records[p] = record;
            } else {
                self.records.push(record);
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

/// Every shipment's ID, by projection position (what a worker thread
/// needs to build an index away from the projection).
pub fn ids_of(projection: &Projection) -> Vec<ShipmentId> {
    projection.shipments().iter().map(|s| s.id).collect()
}

/// The entries of a record's text, each with its `ENTRY_END`.
fn entries_of(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split_inclusive(|&b| b == ENTRY_END)
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

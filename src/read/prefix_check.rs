//! `check_prefix`: verifies the lines a projection snapshot stood for, on
//! their own, in the background: a snapshot is never trusted for
//! integrity, nor for what it says the shipments are. It runs the
//! verifier over them and rebuilds each shipment's summary from its lines
//! (`ShipmentSummary::begin`/`take`, as the projection does); when a
//! shipment reaches its last event as of the snapshot, the rebuilt summary
//! is compared, field by field through a hash, with the snapshot's and
//! then dropped. So only the shipments in flight at each point of the log
//! are held, not a second projection; and a snapshot that does not make
//! exactly what its lines make (a log edited under it, a forged file) is
//! found out, and the reader replays in full.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::domain::id::IdMap;
use crate::domain::{Actor, EventType, Name, ShipmentId};
use crate::error::Result;
use crate::log::digest::IndexedLine;
use crate::read::counters::CounterSet;
use crate::read::projection::{Projection, ShipmentSummary};
use crate::read::resume::Unverified;
use crate::read::verify::{ChainSeed, Known, Seen, Verifier};
use crate::store::{Feed, Location, Position};

/// Bytes read between two progress reports.
const CHUNK: u64 = 8 << 20;

/// What a snapshot says of its shipments and counts, for the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// By projection position: the event number of its last event, and
    /// the hash of its summary (`summary_hash`).
    shipments: Arc<[(u64, u64)]>,
    /// Events per type and per actor.
    counts: Vec<u64>,
}

impl Expected {
    pub fn of(projection: &Projection) -> Expected {
        let shipments = projection
            .shipments()
            .iter()
            .map(|s| (s.last_event_no, summary_hash(s)))
            .collect();
        Expected {
            shipments,
            counts: counts_of(projection),
        }
    }
}

fn counts_of(projection: &Projection) -> Vec<u64> {
    let by_type = EventType::ALL
        .iter()
        .map(|&e| projection.event_type_count(e));
    let by_actor = Actor::ALL.iter().map(|&a| projection.actor_count(a));
    by_type.chain(by_actor).collect()
}

/// A quick hasher for `summary_hash` (a million summaries are hashed on
/// opening): each word folded in by a rotate, xor and multiply.
#[derive(Default)]
struct Fold(u64);

impl Fold {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for Fold {
    fn finish(&self) -> u64 {
        let h = self.0 ^ (self.0 >> 31);
        h.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (h >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        self.mix(bytes.len() as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    fn write_i64(&mut self, n: i64) {
        self.mix(n as u64);
    }
}

/// Every field of a summary, as one number (names by their text).
pub fn summary_hash(s: &ShipmentSummary) -> u64 {
    let mut h = Fold::default();
    let name = |n: Name| n.as_str();
    (s.id.number(), s.state, s.seq, s.event_count).hash(&mut h);
    (s.created_at.to_parts(), s.last_updated.to_parts()).hash(&mut h);
    (s.last_actor, s.last_operator.map(name)).hash(&mut h);
    let d = &s.details;
    (name(d.source), name(d.destination), name(d.delivery_type)).hash(&mut h);
    d.weight_kg.map(f64::to_bits).hash(&mut h);
    (s.first_line, s.last_event_no, s.first_offset).hash(&mut h);
    (s.last.offset, s.last.len).hash(&mut h);
    h.finish()
}

/// The shipments in flight: rebuilt so far, by ID, with their position.
#[derive(Default)]
struct InFlight {
    by_id: IdMap<(usize, ShipmentSummary)>,
    /// Shipments seen (the next one's position).
    seen: usize,
    events: u64,
    /// Events per type, then per actor (as `counts_of`).
    counts: Vec<u64>,
    /// The first way the lines differ from what the snapshot says.
    differs: Option<String>,
}

impl Known for InFlight {
    fn seen(&self, id: ShipmentId) -> Option<Seen> {
        self.by_id.get(&id).map(|(_, s)| Seen {
            state: s.state,
            seq: s.seq,
            last_updated: s.last_updated,
        })
    }

    fn each_shipment(&self, each: &mut dyn FnMut(ShipmentId, u64, Seen)) {
        for (id, (_, s)) in &self.by_id {
            if let Some(seen) = self.seen(*id) {
                each(*id, s.first_line, seen);
            }
        }
    }

    fn total_events(&self) -> u64 {
        self.events
    }
}

impl InFlight {
    fn apply(&mut self, event: &crate::log::digest::IndexedEvent, expected: &Expected) {
        self.events += 1;
        let kinds = EventType::ALL.len();
        let type_at = EventType::ALL.iter().position(|&e| e == event.event_type);
        let actor_at = Actor::ALL.iter().position(|&a| a == event.actor);
        for at in [type_at, actor_at.map(|a| kinds + a)].into_iter().flatten() {
            if let Some(n) = self.counts.get_mut(at) {
                *n += 1;
            }
        }
        let id = event.shipment_id;
        let (pos, mut summary) = match self.by_id.remove(&id) {
            Some(known) => known,
            None => {
                self.seen += 1;
                (self.seen - 1, ShipmentSummary::begin(event))
            }
        };
        summary.take(event, self.events);
        match expected.shipments.get(pos) {
            Some(&(last, hash)) if last == self.events => {
                if summary_hash(&summary) != hash {
                    self.differ(format!("{id} is not what its lines make"));
                }
            }
            Some(&(last, _)) if last > self.events => {
                self.by_id.insert(id, (pos, summary));
            }
            _ => self.differ(format!("{id} has events the snapshot does not know")),
        }
    }

    fn differ(&mut self, why: String) {
        self.differs.get_or_insert(why);
    }
}

/// What the lines a snapshot stood for came to.
pub struct Checked {
    /// The counter lines before the line number it was given.
    pub counters: CounterSet,
    /// Its findings are those of the lines checked.
    pub verifier: Verifier,
    pub seed: ChainSeed,
    /// `None` when they make exactly what the snapshot says; else why not.
    pub differs: Option<String>,
}

/// Checks the events a snapshot stood for (`unverified`: the first N of
/// `location`, and the malformed lines among them) and reads the counter
/// lines before the snapshot's, calling `progress(bytes read, bytes to
/// read)` now and then; `None` if it said stop.
pub fn check_prefix(
    location: &Location,
    unverified: &Unverified,
    mut progress: impl FnMut(u64, u64) -> bool,
) -> Result<Option<Checked>> {
    let (events, bytes) = (unverified.events, unverified.bytes);
    let expected = &unverified.expected;
    let mut feed = location.subscribe(Position::START)?;
    let mut flight = InFlight {
        counts: vec![0; expected.counts.len()],
        ..InFlight::default()
    };
    let (mut verifier, mut counters) = (Verifier::default(), CounterSet::default());
    while flight.events < events {
        let polled = feed.poll(CHUNK, &mut |item| {
            // Lines past the snapshot's are the reader's.
            let past = flight.events >= events;
            match item {
                Feed::Line(_) if past => {}
                Feed::Line(IndexedLine::Event(event)) => {
                    verifier.check(event, &flight);
                    flight.apply(event, expected);
                }
                Feed::Line(IndexedLine::Malformed {
                    line_no,
                    error,
                    oversized,
                }) => verifier.malformed(*line_no, error, *oversized),
                Feed::Counter { line_no, bytes } if line_no < unverified.counter_lines => {
                    counters.apply_line(line_no, bytes);
                }
                Feed::Counter { .. } | Feed::CountersReset => {}
            }
        })?;
        if !progress(feed.progress().0.min(bytes), bytes) {
            return Ok(None);
        }
        if polled.reset.is_some() || !polled.more {
            break;
        }
    }
    let whole = flight.events == events
        && flight.seen == expected.shipments.len()
        && flight.by_id.is_empty()
        && flight.counts == expected.counts;
    if !whole {
        flight.differ("its counts are not what its lines make".into());
    }
    Ok(Some(Checked {
        counters,
        seed: verifier.seed(),
        differs: flight.differs,
        verifier,
    }))
}

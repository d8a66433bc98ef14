//! `PrefixCheck`: verifies the first N events of a log on their own, with
//! only what the verifier needs per shipment (state, seq, last time, first
//! line), not a whole projection. A reader that opened from a snapshot
//! runs it in the background over the lines the snapshot stood for: a
//! snapshot is never trusted for integrity. It also says what those lines
//! make of every shipment (`fingerprint`), so a snapshot that does not
//! match its log (edited under it, or forged) is found out and replaced
//! by a full replay.

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::domain::{ShipmentId, Timestamp};
use crate::error::Result;
use crate::log::digest::{IndexedEvent, IndexedLine};
use crate::read::counters::CounterSet;
use crate::read::id_index::IdIndex;
use crate::read::resume::Unverified;
use crate::read::verify::{ChainSeed, Known, Seen, Verifier};
use crate::store::{Feed, Location, Position};

/// Bytes read between two progress reports.
const CHUNK: u64 = 8 << 20;

#[derive(Debug, Clone, Copy)]
struct Head {
    seen: Seen,
    first_line: u64,
}

#[derive(Default)]
struct Heads {
    index: IdIndex,
    heads: Vec<(ShipmentId, Head)>,
    events: u64,
}

impl Known for Heads {
    fn seen(&self, id: ShipmentId) -> Option<Seen> {
        Some(self.heads.get(self.index.get(&id)?)?.1.seen)
    }

    fn each_shipment(&self, each: &mut dyn FnMut(ShipmentId, u64, Seen)) {
        for (id, h) in &self.heads {
            each(*id, h.first_line, h.seen);
        }
    }

    fn total_events(&self) -> u64 {
        self.events
    }
}

impl Heads {
    fn apply(&mut self, event: &IndexedEvent) {
        self.events += 1;
        let seen = Seen {
            state: event.event_type,
            seq: event.event_seq,
            last_updated: event.timestamp,
        };
        let id = event.shipment_id;
        match self.index.get(&id).and_then(|pos| self.heads.get_mut(pos)) {
            Some((_, head)) => head.seen = seen,
            None => {
                self.index.insert(id, self.heads.len());
                let first_line = event.line_no;
                self.heads.push((id, Head { seen, first_line }));
            }
        }
    }
}

/// What the first N events came to.
pub struct Checked {
    /// The counter lines before the line number it was given.
    pub counters: CounterSet,
    /// Its findings are those of the lines checked.
    pub verifier: Verifier,
    pub seed: ChainSeed,
    pub fingerprint: u64,
}

/// Verifies the events a snapshot stood for (`unverified`: the first N of
/// `location`, and the malformed lines among them) and reads the counter
/// lines before the snapshot's, calling `progress(bytes read, bytes to
/// read)` now and then; `None` if it said stop.
pub fn check_prefix(
    location: &Location,
    unverified: &Unverified,
    mut progress: impl FnMut(u64, u64) -> bool,
) -> Result<Option<Checked>> {
    let (events, bytes) = (unverified.events, unverified.bytes);
    let mut feed = location.subscribe(Position::START)?;
    let (mut heads, mut verifier) = (Heads::default(), Verifier::default());
    let mut counters = CounterSet::default();
    while heads.events < events {
        let polled = feed.poll(CHUNK, &mut |item| {
            if heads.events >= events {
                return;
            }
            match item {
                Feed::Line(IndexedLine::Event(event)) => {
                    verifier.check(&event, &heads);
                    heads.apply(&event);
                }
                Feed::Line(IndexedLine::Malformed {
                    line_no,
                    error,
                    oversized,
                }) => verifier.malformed(line_no, &error, oversized),
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
            break; // shorter than the snapshot said: the fingerprint differs
        }
    }
    Ok(Some(Checked {
        counters,
        seed: verifier.seed(),
        fingerprint: fingerprint(&heads),
        verifier,
    }))
}

/// One number for what the shipments are (state, seq, last time, first
/// line of each, and how many events): equal for a projection and a
/// check of the same lines. Order does not matter (a sum).
pub fn fingerprint(known: &dyn Known) -> u64 {
    let mut sum = known.total_events();
    known.each_shipment(&mut |id, first_line, seen| {
        let mut h = DefaultHasher::new();
        let time = time_key(seen.last_updated);
        (id.number(), first_line, seen.state, seen.seq, time).hash(&mut h);
        sum = sum.wrapping_add(h.finish());
    });
    sum
}

fn time_key(t: Timestamp) -> (i64, u32) {
    let (secs, nanos, _) = t.to_parts();
    (secs, nanos)
}

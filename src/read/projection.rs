//! `Projection`: the in-memory index every view reads. One compact
//! `ShipmentSummary` per shipment (no heap: names are shared `Name`s) and
//! where its first and last lines are (the history itself is read back
//! from the store on demand, never kept per event), and the tower-wide
//! counts.

use crate::domain::details::Details;
use crate::domain::{Actor, EventType, Name, ShipmentId, Timestamp};
use crate::error::{Error, Result};
use crate::log::digest::IndexedEvent;
use crate::log::lines::LineSpan;
use crate::read::id_index::IdIndex;
use crate::read::pulse::dwell::Dwell;
use crate::read::pulse::minutes::Minutes;
use crate::store::ShipmentLines;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShipmentSummary {
    pub id: ShipmentId,
    pub state: EventType,
    /// `event_seq` of the last event: what an operator "saw".
    pub seq: u32,
    pub event_count: u32,
    pub created_at: Timestamp,
    pub last_updated: Timestamp,
    pub last_actor: Actor,
    pub last_operator: Option<Name>,
    /// Source, destination, weight and delivery type: the payloads merged
    /// by the rule every view uses (`domain::details`).
    pub details: Details,
    /// Line number of the shipment's first event.
    pub first_line: u64,
    /// Position of the last event in the whole log (1-based event number):
    /// orders shipments by newest activity.
    pub last_event_no: u64,
    /// Where its first line starts, and its last line: every line of the
    /// shipment lies between them (`LineSource::shipment` reads them back).
    pub first_offset: u64,
    pub last: LineSpan,
}

impl ShipmentSummary {
    /// A shipment's summary before its first event (`record`) is taken.
    pub fn begin(record: &IndexedEvent) -> ShipmentSummary {
        ShipmentSummary {
            id: record.shipment_id,
            state: record.event_type,
            seq: 0,
            event_count: 0,
            created_at: record.timestamp,
            last_updated: record.timestamp,
            last_actor: record.actor,
            last_operator: None,
            details: Details::default(),
            first_line: record.line_no,
            last_event_no: 0,
            first_offset: record.span.offset,
            last: record.span,
        }
    }

    /// Takes in the shipment's next event, event number `event_no` of the
    /// log.
    pub fn take(&mut self, record: &IndexedEvent, event_no: u64) {
        self.state = record.event_type;
        self.seq = record.event_seq;
        self.event_count += 1;
        self.last_updated = record.timestamp;
        self.last_actor = record.actor;
        self.last_event_no = event_no;
        self.last = record.span;
        if let Some(patch) = record.details {
            self.details.apply(patch);
        }
        self.last_operator = record.operator;
    }

    /// Where the store finds this shipment's lines.
    pub fn range(&self) -> ShipmentLines {
        ShipmentLines {
            id: self.id,
            first: self.first_offset,
            last: self.last,
            count: self.event_count,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Projection {
    shipments: Vec<ShipmentSummary>,
    index: IdIndex,
    tally: Tally,
    /// Where each minute begins (events per minute, throughput by actor):
    /// not in the tally, as time travel cuts the live marks instead.
    minutes: Minutes,
}

/// The tower-wide counts of a projection: what a checkpoint keeps besides
/// the shipments (and a snapshot on disk, as it is).
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    event_type_counts: [u64; EventType::ALL.len()],
    actor_counts: [u64; Actor::ALL.len()],
    state_counts: [u64; EventType::ALL.len()],
    total_events: u64,
    first_event_time: Option<Timestamp>,
    last_event_time: Option<Timestamp>,
    /// The highest shipment number seen.
    max_id: u64,
    /// Time spent in each state before the next event.
    dwell: Dwell,
}

fn event_index(e: EventType) -> usize {
    EventType::ALL.iter().position(|&x| x == e).unwrap_or(0)
}

/// How long a shipment stayed in a state: from its event at `from` to
/// the next one at `to` (0 if an older tool's clock went back).
fn stay_ms(from: Timestamp, to: Timestamp) -> u64 {
    let ms = (to.instant() - from.instant()).num_milliseconds();
    u64::try_from(ms).unwrap_or(0)
}

fn actor_index(a: Actor) -> usize {
    Actor::ALL.iter().position(|&x| x == a).unwrap_or(0)
}

impl Projection {
    pub fn apply(&mut self, record: &IndexedEvent) {
        self.minutes.note(
            record.timestamp,
            self.tally.total_events,
            &self.tally.actor_counts,
        );
        self.tally.total_events += 1;
        self.tally.event_type_counts[event_index(record.event_type)] += 1;
        self.tally.actor_counts[actor_index(record.actor)] += 1;
        if self.tally.first_event_time.is_none() {
            self.tally.first_event_time = Some(record.timestamp);
        }
        self.tally.last_event_time = Some(record.timestamp);
        let event_no = self.tally.total_events;
        let slot = match self.index.get(&record.shipment_id) {
            Some(i) => {
                let old = &self.shipments[i];
                self.tally.state_counts[event_index(old.state)] -= 1;
                let stay = stay_ms(old.last_updated, record.timestamp);
                self.tally.dwell.add(old.state, stay);
                i
            }
            None => {
                self.tally.max_id = self.tally.max_id.max(record.shipment_id.number());
                self.index.insert(record.shipment_id, self.shipments.len());
                self.shipments.push(ShipmentSummary::begin(record));
                self.shipments.len() - 1
            }
        };
        self.shipments[slot].take(record, event_no);
        self.tally.state_counts[event_index(record.event_type)] += 1;
    }

    /// Takes back the last event taken in (`gone`): time travel one event
    /// back. `rebuilt` is its shipment's summary from the events before
    /// it (`summary_of`; `None` when `gone` created the shipment, which is
    /// then the last one in `shipments()`); `previous` is the time of the
    /// event before `gone`. The tower-wide counts are adjusted, so the
    /// result equals a fresh replay of one event fewer.
    pub fn undo(
        &mut self,
        gone: &IndexedEvent,
        rebuilt: Option<ShipmentSummary>,
        previous: Option<Timestamp>,
    ) {
        let Some(slot) = self.index.get(&gone.shipment_id) else {
            return;
        };
        self.tally.total_events = self.tally.total_events.saturating_sub(1);
        let dec = |n: &mut u64| *n = n.saturating_sub(1);
        dec(&mut self.tally.event_type_counts[event_index(gone.event_type)]);
        dec(&mut self.tally.actor_counts[actor_index(gone.actor)]);
        dec(&mut self.tally.state_counts[event_index(self.shipments[slot].state)]);
        self.tally.last_event_time = previous;
        self.minutes.undo(self.tally.total_events);
        if self.tally.total_events == 0 {
            self.tally.first_event_time = None;
        }
        match rebuilt {
            Some(summary) => {
                self.tally.state_counts[event_index(summary.state)] += 1;
                let stay = stay_ms(summary.last_updated, gone.timestamp);
                self.tally.dwell.remove(summary.state, stay);
                self.shipments[slot] = summary;
            }
            None => {
                self.index.remove(&gone.shipment_id);
                self.shipments.truncate(slot);
                self.tally.max_id = self
                    .shipments
                    .iter()
                    .map(|s| s.id.number())
                    .max()
                    .unwrap_or(0);
            }
        }
    }

    /// A shipment's summary made of its first events, in order, the last
    /// of which is event number `last_event_no` of the log: what `apply`
    /// would have made of them.
    pub fn summary_of(
        events: impl IntoIterator<Item = IndexedEvent>,
        last_event_no: u64,
    ) -> Option<ShipmentSummary> {
        let mut one = Projection::default();
        events.into_iter().for_each(|e| one.apply(&e));
        let mut summary = one.shipments.pop()?;
        summary.last_event_no = last_event_no;
        Some(summary)
    }

    /// A projection made of its parts (a snapshot read back): `None` when
    /// they do not fit together.
    pub fn from_parts(
        shipments: Vec<ShipmentSummary>,
        tally: Tally,
        minutes: Minutes,
    ) -> Option<Projection> {
        let mut index = IdIndex::default();
        index.reserve(shipments.len());
        for (pos, s) in shipments.iter().enumerate() {
            if index.insert(s.id, pos).is_some() {
                return None;
            }
        }
        let total = tally
            .state_counts
            .iter()
            .try_fold(0u64, |a, &n| a.checked_add(n))
            .unwrap_or(u64::MAX);
        let events = tally.total_events;
        let sums = |counts: &[u64]| counts.iter().try_fold(0u64, |a, &n| a.checked_add(n));
        let fits = total == shipments.len() as u64
            && events >= total
            && sums(&tally.event_type_counts) == Some(events)
            && sums(&tally.actor_counts) == Some(events)
            && tally.dwell.is_well_formed()
            && minutes.is_well_formed(tally.total_events);
        fits.then_some(Projection {
            shipments,
            index,
            tally,
            minutes,
        })
    }

    /// Room for the shipments of a log of `bytes` still to read (a
    /// shipment's lines take a kilobyte or more): reserved address space
    /// costs no memory until used, where growing by doubling copies the
    /// whole list and holds both copies for a moment.
    pub fn reserve_for_log(&mut self, bytes: u64) {
        let more = usize::try_from(bytes / 1024).unwrap_or(0);
        self.shipments.reserve(more);
        self.index.reserve(more);
    }

    /// The tower-wide counts (a checkpoint keeps them).
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// Where each minute of the log begins (`read::pulse::minutes`).
    pub fn minutes(&self) -> &Minutes {
        &self.minutes
    }

    /// Time spent in each state before the next event.
    pub fn dwell(&self) -> &Dwell {
        &self.tally.dwell
    }

    /// Per-actor event counts, in `Actor::ALL` order.
    pub fn actor_counts(&self) -> &[u64; Actor::ALL.len()] {
        &self.tally.actor_counts
    }

    /// After a restore: the minute marks of this projection's events, cut
    /// from `live`'s (of which they are a prefix).
    pub fn minutes_from(&mut self, live: &Projection) {
        self.minutes = Minutes::prefix_of(&live.minutes, self.tally.total_events);
    }

    /// Makes this the projection after `tally`'s events, whose shipments
    /// are the first `len`: `wanted(pos, current)` gives each one's summary
    /// then, or `None` when `current` (this projection's, when it has one)
    /// already is it. Shipments past `len` are taken out and handed back
    /// (dropping 100k summaries takes a while: the caller may do it
    /// elsewhere). Time travel's long jumps, without rebuilding what did
    /// not change.
    pub fn restore(
        &mut self,
        len: usize,
        tally: &Tally,
        mut wanted: impl FnMut(usize, Option<&ShipmentSummary>) -> Result<Option<ShipmentSummary>>,
    ) -> Result<Vec<ShipmentSummary>> {
        let gone: Vec<ShipmentSummary> = if self.shipments.len() > len {
            self.shipments.drain(len..).collect()
        } else {
            Vec::new()
        };
        for s in &gone {
            self.index.remove(&s.id);
        }
        let more = len.saturating_sub(self.shipments.len());
        self.shipments.reserve(more);
        self.index.reserve(more);
        for pos in 0..len {
            let current = self.shipments.get(pos);
            match (wanted(pos, current)?, current.is_some()) {
                (Some(summary), true) => self.shipments[pos] = summary,
                (Some(summary), false) => {
                    self.index.insert(summary.id, pos);
                    self.shipments.push(summary);
                }
                (None, true) => {}
                (None, false) => {
                    return Err(Error::Internal(format!(
                        "time travel: no summary for shipment position {pos}"
                    )));
                }
            }
        }
        self.tally = tally.clone();
        Ok(gone)
    }

    pub fn get(&self, id: ShipmentId) -> Option<&ShipmentSummary> {
        self.index.get(&id).and_then(|i| self.shipments.get(i))
    }

    /// Shipment → position in `shipments()` (a worker thread takes a copy).
    pub fn id_index(&self) -> &IdIndex {
        &self.index
    }

    /// Where `id` is in `shipments()`: a stable position (shipments are only
    /// ever appended), so views can keep compact `u32` row orders.
    pub fn position(&self, id: ShipmentId) -> Option<usize> {
        self.index.get(&id)
    }

    /// Every shipment, in order of first appearance.
    pub fn shipments(&self) -> &[ShipmentSummary] {
        &self.shipments
    }

    pub fn total_events(&self) -> u64 {
        self.tally.total_events
    }

    pub fn total_shipments(&self) -> usize {
        self.shipments.len()
    }

    pub fn first_event_time(&self) -> Option<Timestamp> {
        self.tally.first_event_time
    }

    pub fn last_event_time(&self) -> Option<Timestamp> {
        self.tally.last_event_time
    }

    /// The highest shipment number in the log (0 if none).
    pub fn max_id(&self) -> u64 {
        self.tally.max_id
    }

    /// Shipments whose current state is `state`.
    pub fn state_count(&self, state: EventType) -> u64 {
        self.tally.state_counts[event_index(state)]
    }

    pub fn event_type_count(&self, event: EventType) -> u64 {
        self.tally.event_type_counts[event_index(event)]
    }

    pub fn actor_count(&self, actor: Actor) -> u64 {
        self.tally.actor_counts[actor_index(actor)]
    }

    /// Shipments in `state` (all if `None`), newest activity first.
    pub fn newest_first(&self, state: Option<EventType>) -> Vec<&ShipmentSummary> {
        let mut rows: Vec<&ShipmentSummary> = self
            .shipments
            .iter()
            .filter(|s| state.is_none_or(|st| s.state == st))
            .collect();
        rows.sort_by_key(|s| std::cmp::Reverse(s.last_event_no));
        rows
    }
}

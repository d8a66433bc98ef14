//! Time travel: the tower as it stood after any number of events, moved
//! event by event or by jumps, for a reader that keeps its live index
//! running underneath (the dashboard's `t`). `Travel` owns a past
//! projection: a step back undoes one event (its shipment's summary is
//! rebuilt from its earlier lines, read back by their spans, and the
//! tower-wide counts are adjusted); a step forward reads the next line and
//! applies it; a long jump restores the nearest checkpoint in place and
//! replays forward from it (`checkpoint`; taken on a worker thread when
//! travel starts, `builder`, and as replays pass them). `events` finds
//! any event's line in the live projection. Every result equals a fresh
//! replay of the first N lines (`LogIndex::load_as_of(…, AsOf::Event(N))`,
//! property-tested).

pub mod builder;
pub mod checkpoint;
pub mod events;

use crate::domain::{ShipmentId, Timestamp};
use crate::error::{Error, Result};
use crate::log::digest::{IndexedEvent, IndexedLine, OperatorNames, index_line};
use crate::log::lines::{LineRef, LineSpan};
use crate::read::as_of::{AsOf, Moment};
use crate::read::index::LogIndex;
use crate::read::projection::Projection;
use crate::store::{LineSource, Location};
use builder::Builder;
use checkpoint::{Checkpoint, Checkpoints};
use events::EventMap;

/// Events between checkpoints, and how many are kept (each holds the
/// summaries of the shipments in flight then: see BENCHMARKS.md for the
/// memory they take).
pub const CHECKPOINT_EVERY: u64 = 5_000;
pub const MAX_CHECKPOINTS: usize = 400;
/// A jump back at most this far undoes event by event; further, it
/// replays forward from a checkpoint.
const UNDO_LIMIT: u64 = 200;
/// Lines read back per batch while replaying.
const BATCH: usize = 4096;
/// A move that changed more shipments than this rebuilds the table.
const TOUCHED_LIMIT: usize = 64;

pub struct Travel {
    /// The tower after the first `projection.total_events()` events.
    projection: Projection,
    events: EventMap,
    checkpoints: Checkpoints,
    lines: Box<dyn LineSource>,
    names: OperatorNames,
    location: Location,
    /// What the last move changed (see `take_touched`).
    touched: Option<Vec<ShipmentId>>,
    /// Checkpoints being taken in the background, while it runs.
    builder: Option<Builder>,
}

impl Travel {
    /// Time travel at the latest event of `live`.
    pub fn enter(live: &LogIndex) -> Result<Travel> {
        Self::enter_with(live, EventMap::new(live.location())?)
    }

    /// `enter`, with the events `events` mapped already (read ahead on a
    /// worker thread, `EventMap::read_ahead`).
    pub fn enter_with(live: &LogIndex, mut events: EventMap) -> Result<Travel> {
        events.extend(live.projection())?;
        Ok(Travel {
            projection: live.projection().clone(),
            events,
            checkpoints: Checkpoints::new(CHECKPOINT_EVERY, MAX_CHECKPOINTS),
            lines: live.location().lines()?,
            names: OperatorNames::default(),
            location: live.location().clone(),
            touched: None,
            builder: None,
        })
    }

    /// Checkpoints every `every` events, at most `max` (tests use small
    /// ones so that every path is taken on small logs).
    pub fn with_checkpoints(mut self, every: u64, max: usize) -> Travel {
        self.checkpoints = Checkpoints::new(every, max);
        self
    }

    /// Starts taking checkpoints of the whole log on a worker thread (the
    /// dashboard does; without it they are taken as moves replay).
    pub fn build_checkpoints(mut self) -> Travel {
        let counts = self
            .projection
            .shipments()
            .iter()
            .map(|s| s.event_count)
            .collect();
        self.builder = Some(Builder::spawn(
            self.location.clone(),
            self.at(),
            self.checkpoints.every(),
            counts,
        ));
        self
    }

    /// Takes in what the background builder made since.
    fn absorb(&mut self) {
        let Some(builder) = &self.builder else { return };
        match builder.take() {
            Some(made) => made.into_iter().for_each(|c| self.checkpoints.keep(c)),
            None => self.builder = None,
        }
    }

    /// The tower as of the moment travelled to.
    pub fn projection(&self) -> &Projection {
        &self.projection
    }

    /// Events taken in.
    pub fn at(&self) -> u64 {
        self.projection.total_events()
    }

    /// The latest event that can be reached (grows with `catch_up`).
    pub fn latest(&self) -> u64 {
        self.events.len()
    }

    /// Where this is, as `--as-of` says it.
    pub fn moment(&self) -> Moment {
        Moment {
            events: self.at(),
            total: self.latest(),
            at: self.projection.last_event_time(),
        }
    }

    pub fn checkpoints(&self) -> &Checkpoints {
        &self.checkpoints
    }

    /// Takes note of events the live index read since (the latest moment
    /// that `Right` and `}` reach grows).
    pub fn catch_up(&mut self, live: &Projection) -> Result<()> {
        self.events.extend(live)
    }

    /// One event back (`delta` < 0) or forward, clamped to 0 … latest.
    pub fn step(&mut self, live: &Projection, delta: i64) -> Result<()> {
        let target = self.at().saturating_add_signed(delta);
        self.go(live, target)
    }

    /// To the moment `as_of` names (an event number past the latest stops
    /// at the latest).
    pub fn go_as_of(&mut self, live: &Projection, as_of: AsOf) -> Result<()> {
        let target = match as_of {
            AsOf::Event(n) => n,
            AsOf::Time(t) => self.events_until(t)?,
        };
        self.go(live, target)
    }

    /// Moves the time by `by` (an hour, a day; negative goes back): to the
    /// last event at or before the current event's time plus `by`.
    pub fn shift(&mut self, live: &Projection, by: chrono::TimeDelta) -> Result<()> {
        let now = match self.projection.last_event_time() {
            Some(t) => t,
            None => match self.time_of(1)? {
                Some(t) => t,
                None => return Ok(()),
            },
        };
        let Some(then) = now.instant().checked_add_signed(by) else {
            return Ok(());
        };
        let target = self.events_until(Timestamp::from_instant_millis(then))?;
        // A step forward always moves on, even when the next event is
        // later than the shift.
        let target = if by > chrono::TimeDelta::zero() {
            target.max(self.at() + 1)
        } else {
            target.min(self.at().saturating_sub(1))
        };
        self.go(live, target)
    }

    /// To the state after the first `target` events (clamped to latest).
    pub fn go(&mut self, live: &Projection, target: u64) -> Result<()> {
        self.absorb();
        let target = target.min(self.latest());
        let at = self.at();
        self.touched = Some(Vec::new());
        if target < at && at - target <= UNDO_LIMIT {
            while self.at() > target {
                self.undo(live)?;
            }
            return Ok(());
        }
        let ahead = at <= target;
        if ahead && target - at <= self.checkpoints.every() {
            return self.replay(live, target);
        }
        self.touched = None;
        if target == 0 {
            // The beginning: nothing. (Freed here: freeing on another
            // thread only slowed the next jump's copy, by contention.)
            self.projection = Projection::default();
            return Ok(());
        }
        if target == live.total_events() {
            if self.projection.total_shipments() < live.total_shipments() / 2 {
                // Most of it is missing here: a copy is quicker than a
                // restore shipment by shipment.
                self.projection = live.clone();
                return Ok(());
            }
            // The live projection is exactly there: nothing to replay.
            let whole = Checkpoint {
                events: target,
                shipments: live.total_shipments(),
                tally: live.tally().clone(),
                in_flight: Vec::new(),
            };
            return self.restore(live, target, Some(&whole));
        }
        let checkpoint = self
            .checkpoints
            .at_or_before(target)
            .map_or(0, |c| c.events);
        if !(ahead && checkpoint <= at) {
            self.restore(live, target, None)?;
        }
        self.replay(live, target)
    }

    /// Makes the projection that of `checkpoint` (else that of the
    /// nearest kept at or before `target`, else the empty one), changing
    /// only the shipments whose summary differs.
    fn restore(
        &mut self,
        live: &Projection,
        target: u64,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<()> {
        let Travel {
            projection,
            events,
            checkpoints,
            lines,
            names,
            location,
            ..
        } = self;
        let empty = Checkpoint::default();
        let ck = checkpoint
            .or_else(|| checkpoints.at_or_before(target))
            .unwrap_or(&empty);
        let gone = projection.restore(ck.shipments, &ck.tally, |pos, current| {
            let changed = || changed_error(location, 0);
            let l = live.shipments().get(pos).ok_or_else(changed)?;
            let then = if l.last_event_no <= ck.events {
                Some(l)
            } else {
                ck.in_flight(pos)
            };
            if let Some(then) = then {
                let same = current.is_some_and(|s| s.event_count == then.event_count);
                return Ok((!same).then_some(*then));
            }
            // In flight then, and moved on since the checkpoint was taken:
            // rebuilt from its lines up to then.
            let last_no = events.at_or_before(l.last_event_no, ck.events);
            let chain = events.chain(last_no);
            if chain.is_empty() {
                return Err(changed());
            }
            if current.is_some_and(|s| s.event_count as usize == chain.len()) {
                return Ok(None);
            }
            let spans = spans_of(events, &chain).ok_or_else(changed)?;
            let read = read_events(lines.as_mut(), names, &spans, l.first_line, location)?;
            Ok(Projection::summary_of(read, last_no))
        })?;
        drop(gone);
        projection.minutes_from(live);
        Ok(())
    }

    /// Takes back the last event taken in.
    fn undo(&mut self, live: &Projection) -> Result<()> {
        let n = self.at();
        let (pos, _) = self.events.get(n).ok_or_else(|| self.changed(0))?;
        let shipment = live.shipments().get(pos).ok_or_else(|| self.changed(0))?;
        let chain = self.events.chain(n);
        let mut spans = spans_of(&self.events, &chain).ok_or_else(|| self.changed(0))?;
        let previous = self.events.span(n - 1);
        spans.extend(previous);
        let mut read = self.read(&spans, shipment.first_line)?;
        let previous = match previous {
            Some(_) => read.pop().map(|e| e.timestamp),
            None => None,
        };
        let gone = read.pop().ok_or_else(|| self.changed(0))?;
        let rebuilt = match chain.len().checked_sub(2).map(|i| chain[i]) {
            Some(last_no) => Projection::summary_of(read, last_no),
            None => {
                if pos + 1 != self.projection.total_shipments() {
                    return Err(self.changed(gone.span.offset));
                }
                None
            }
        };
        self.note_touched(gone.shipment_id);
        self.projection.undo(&gone, rebuilt, previous);
        Ok(())
    }

    /// Remembers a shipment a step changed (for the caller's table); past
    /// a few, "everything" (`None`).
    fn note_touched(&mut self, id: ShipmentId) {
        if let Some(touched) = self.touched.as_mut() {
            touched.push(id);
            if touched.len() > TOUCHED_LIMIT {
                self.touched = None;
            }
        }
    }

    /// The shipments the last move changed, if it changed only a few
    /// (`None`: rebuild whatever depends on the projection).
    pub fn take_touched(&mut self) -> Option<Vec<ShipmentId>> {
        self.touched.take()
    }

    /// Applies events `at + 1 ..= target`, reading their lines in batches,
    /// and keeps checkpoints on the way.
    fn replay(&mut self, live: &Projection, target: u64) -> Result<()> {
        while self.at() < target {
            let from = self.at() + 1;
            let to = target.min(from + BATCH as u64 - 1);
            let mut spans = Vec::with_capacity((to - from + 1) as usize);
            let mut first_lines = Vec::with_capacity(spans.capacity());
            for n in from..=to {
                let (pos, first) = self.events.get(n).ok_or_else(|| self.changed(0))?;
                let span = self.events.span(n).ok_or_else(|| self.changed(0))?;
                spans.push(span);
                // Only a shipment's first line number is kept.
                first_lines.push(match (first, live.shipments().get(pos)) {
                    (true, Some(s)) => s.first_line,
                    _ => 0,
                });
            }
            let lines = self.lines.read(&spans)?;
            for ((bytes, span), line_no) in lines.iter().zip(&spans).zip(first_lines) {
                let event = digest(&mut self.names, bytes, *span, line_no, &self.location)?;
                self.note_touched(event.shipment_id);
                self.projection.apply(&event);
                let at = self.at();
                if self.checkpoints.wants(at) {
                    let count = |pos: usize| live.shipments().get(pos).map(|s| s.event_count);
                    self.checkpoints
                        .keep(Checkpoint::of(&self.projection, count));
                }
            }
        }
        Ok(())
    }

    /// The events at `spans`, digested (only the first one's line number
    /// is known: `line_no`).
    fn read(&mut self, spans: &[LineSpan], line_no: u64) -> Result<Vec<IndexedEvent>> {
        read_events(
            self.lines.as_mut(),
            &mut self.names,
            spans,
            line_no,
            &self.location,
        )
    }

    /// The time of event `n` (1-based), read back.
    fn time_of(&mut self, n: u64) -> Result<Option<Timestamp>> {
        let Some(span) = self.events.span(n) else {
            return Ok(None);
        };
        Ok(self.read(&[span], 0)?.pop().map(|e| e.timestamp))
    }

    /// How many events are at or before `t`: a binary search over event
    /// times (lines are in time order: a writer never writes a time
    /// earlier than the line before), reading ~20 lines back.
    fn events_until(&mut self, t: Timestamp) -> Result<u64> {
        let (mut lo, mut hi) = (0u64, self.latest());
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            match self.time_of(mid)? {
                Some(time) if time <= t => lo = mid,
                _ => hi = mid - 1,
            }
        }
        Ok(lo)
    }

    fn changed(&self, offset: u64) -> Error {
        changed_error(&self.location, offset)
    }
}

/// A line that is no longer where the live projection said: the log
/// changed under this reader.
fn changed_error(location: &Location, offset: u64) -> Error {
    Error::ChangedUnderReader {
        path: location.describe().into(),
        offset,
    }
}

/// Where the events numbered `chain` are (`None`: one is not mapped).
fn spans_of(events: &EventMap, chain: &[u64]) -> Option<Vec<LineSpan>> {
    chain.iter().map(|&n| events.span(n)).collect()
}

/// The events at `spans`, read back and digested (only the first one's
/// line number is known: `line_no`).
fn read_events(
    lines: &mut dyn LineSource,
    names: &mut OperatorNames,
    spans: &[LineSpan],
    line_no: u64,
    location: &Location,
) -> Result<Vec<IndexedEvent>> {
    let read = lines.read(spans)?;
    read.iter()
        .zip(spans)
        .map(|(bytes, span)| digest(names, bytes, *span, line_no, location))
        .collect()
}

fn digest(
    names: &mut OperatorNames,
    bytes: &[u8],
    span: LineSpan,
    line_no: u64,
    location: &Location,
) -> Result<IndexedEvent> {
    let line = LineRef {
        offset: span.offset,
        line_no,
        bytes,
        len: u64::from(span.len),
        oversized: false,
    };
    match index_line(&line, names) {
        IndexedLine::Event(event) => Ok(event),
        IndexedLine::Malformed { .. } => Err(changed_error(location, span.offset)),
    }
}

//! `LogIndex`: the read side in one place, and the projection a
//! long-running writer decides on. It reads the log through the store's
//! subscription (tailers on the event and counter logs), feeds every line
//! to the verifier and the projection, and answers the questions the CLI
//! and the dashboard ask. As a `WriterState` it lets the file store catch
//! up under the lock and takes in the lines the store wrote, so a process
//! keeps one model of its log (see `read::Log`).

use std::fs::File;

use crate::domain::line::parse_line;
use crate::domain::rules::ShipmentHead;
use crate::domain::{Event, EventType, ShipmentId};
use crate::error::{Error, Result};
use crate::log::digest::{IndexedEvent, IndexedLine};
use crate::log::files::LogPaths;
use crate::log::lines::LineSpan;
use crate::read::as_of::{AsOf, Cutoff, Moment};
use crate::read::audit::AuditReport;
use crate::read::projection::{Projection, ShipmentSummary};
use crate::read::state::ShipmentState;
use crate::read::verify::{CounterSet, Verifier, VerifyReport};
use crate::store::jsonl::FileSubscription;
use crate::store::{
    CaughtUp, Feed, LineSource, Location, Polled, Position, ShipmentLines, Subscription, TornEvent,
    WriterState,
};
use std::sync::Mutex;

/// Shipments whose histories are read back together (`for_each_state`).
const HISTORY_BATCH: usize = 2048;

pub struct LogIndex {
    pub(super) location: Location,
    pub(super) feed: Box<dyn Subscription>,
    /// Reads a shipment's lines back by where the projection recorded them.
    lines: Mutex<Box<dyn LineSource>>,
    pub(super) projection: Projection,
    pub(super) verifier: Verifier,
    pub(super) counters: CounterSet,
    /// Opened from a snapshot: the lines it stood for are not verified
    /// yet (`read::resume`).
    pub(super) unverified: Option<crate::read::resume::Unverified>,
    /// Events the snapshot on disk covers, as far as this process knows.
    pub(super) snapshot_events: u64,
    /// How it was opened (`read::resume`).
    pub(super) opened: crate::read::resume::Opened,
    /// The log changed under a reader that reloads on its own
    /// (`refresh_appends`): nothing more is read into this index.
    void: bool,
    /// What was read under the writers' lock and not yet reported by
    /// `refresh_appends` (the dashboard highlights it).
    unreported: Refresh,
    /// Someone takes `unreported` (`refresh_appends` was called).
    reporting: bool,
    /// Read as of a past moment (`load_as_of`): what follows it is left out.
    cut: bool,
}

/// What a refresh changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Refresh {
    /// Shipments that got new events, in log order (may repeat).
    pub touched: Vec<ShipmentId>,
    pub new_lines: u64,
    /// Set when the log shrank or was replaced and was read again from the start.
    pub reloaded: Option<String>,
    /// More bytes remain (a refresh with a byte limit stopped early).
    pub more: bool,
    /// The log changed without growing: nothing read is void, but only a
    /// full verification can tell whether history was edited.
    pub modified: Option<String>,
    /// The store is out of reach (a database connection lost): the last
    /// poll read nothing and the subscription reconnects with backoff.
    /// `None` once a poll succeeds again; always `None` on the file store.
    pub reconnecting: Option<String>,
}

impl Refresh {
    fn merge(&mut self, later: Refresh) {
        self.touched.extend(later.touched);
        self.new_lines += later.new_lines;
        self.reloaded = later.reloaded.or(self.reloaded.take());
        self.more = later.more;
        self.modified = later.modified.or(self.modified.take());
        // The latest poll says whether the store is reachable now.
        self.reconnecting = later.reconnecting;
    }
}

impl LogIndex {
    /// An empty index on the file log in `paths`; nothing read yet.
    pub fn new(paths: &LogPaths) -> Self {
        let location = Location::File(paths.clone());
        let feed = Box::new(FileSubscription::new(paths, Position::START));
        let lines = location.lines();
        Self::with(location, feed, lines)
    }

    /// An empty index on a tower wherever it lives (a database store
    /// connects here); nothing read yet.
    pub fn open(location: &Location) -> Result<Self> {
        let feed = location.subscribe(Position::START)?;
        let lines = location.lines();
        Ok(Self::with(location.clone(), feed, lines))
    }

    pub(super) fn with(
        location: Location,
        feed: Box<dyn Subscription>,
        lines: Result<Box<dyn LineSource>>,
    ) -> Self {
        let lines = lines.unwrap_or_else(|e| Box::new(Unreadable(e.to_string())));
        LogIndex {
            location,
            feed,
            lines: Mutex::new(lines),
            projection: Projection::default(),
            verifier: Verifier::default(),
            counters: CounterSet::default(),
            unverified: None,
            snapshot_events: 0,
            opened: crate::read::resume::Opened::Replayed(None),
            void: false,
            unreported: Refresh::default(),
            reporting: false,
            cut: false,
        }
    }

    /// Reads the whole log in chunks of `chunk` bytes, calling `progress`
    /// with (read, total) after each; `None` if `progress` said stop. The
    /// same reading and verifying as `load` (and `verify`), for a thread
    /// that must be stoppable and show how far it got.
    pub fn load_in_steps(
        location: &Location,
        chunk: u64,
        mut progress: impl FnMut(u64, u64) -> bool,
    ) -> Result<Option<Self>> {
        let mut index = Self::open(location)?;
        loop {
            let more = index.refresh_at_most(chunk)?.more;
            let (read, total) = index.progress();
            if !progress(read, total) {
                return Ok(None);
            }
            if !more {
                return Ok(Some(index));
            }
        }
    }

    /// Reads the log as it stood at `as_of`: the events up to that moment,
    /// verified as a log that ended there. Says where it stopped.
    pub fn load_as_of(location: &Location, as_of: AsOf) -> Result<(Self, Moment)> {
        let mut index = Self::open(location)?;
        let mut cutoff = Cutoff::new(as_of);
        loop {
            let (projection, verifier, counters) = (
                &mut index.projection,
                &mut index.verifier,
                &mut index.counters,
            );
            let (cut, mut refresh) = (&mut cutoff, Refresh::default());
            let polled = index.feed.poll(u64::MAX, &mut |item| {
                let keep = match &item {
                    Feed::Line(IndexedLine::Event(event)) => cut.admits(event),
                    Feed::Line(IndexedLine::Malformed { .. }) => cut.admits_other(),
                    Feed::Counter { .. } | Feed::CountersReset => true,
                };
                if keep {
                    apply(item, projection, verifier, counters, &mut refresh, false);
                }
            })?;
            if polled.reset.is_none() {
                break;
            }
            index.start_over()?; // replaced while read: read it again
            cutoff = Cutoff::new(as_of);
        }
        index.counters.retain_up_to(index.projection.max_id());
        index.cut = !cutoff.admits_other();
        Ok((index, cutoff.moment()))
    }

    /// Reads the whole file log in `paths`.
    pub fn load(paths: &LogPaths) -> Result<Self> {
        Self::load_at(&Location::File(paths.clone()))
    }

    /// Reads the whole log, wherever it lives.
    pub fn load_at(location: &Location) -> Result<Self> {
        let mut index = Self::open(location)?;
        index.refresh()?;
        Ok(index)
    }

    /// Where the log lives.
    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn projection(&self) -> &Projection {
        &self.projection
    }

    /// Reads everything appended since the last refresh.
    pub fn refresh(&mut self) -> Result<Refresh> {
        self.refresh_at_most(u64::MAX)
    }

    /// Reads at most `max_bytes` of the event log (for a progress gauge).
    /// A log that shrank or was replaced is read again from the start.
    pub fn refresh_at_most(&mut self, max_bytes: u64) -> Result<Refresh> {
        let (read, total) = self.feed.progress();
        if self.projection.total_events() == 0 {
            self.projection.reserve_for_log(total.saturating_sub(read));
        }
        let mut refresh = std::mem::take(&mut self.unreported);
        let (polled, read) = self.poll(max_bytes)?;
        refresh.merge(read);
        if let Some(reason) = polled.reset {
            self.start_over()?;
            let (_, again) = self.poll(max_bytes)?;
            refresh = Refresh {
                reloaded: Some(reason),
                ..again
            };
        }
        Ok(refresh)
    }

    /// Reads what was appended, for a reader that reloads on its own (the
    /// dashboard reads the log again on a worker thread). When the log
    /// shrank, was replaced or was rewritten in place, says so in
    /// `reloaded` and reads nothing more: this index is then void (see
    /// `is_void`) and must be replaced by a fresh one.
    pub fn refresh_appends(&mut self) -> Result<Refresh> {
        self.reporting = true;
        if !self.void {
            let (_, read) = self.poll(u64::MAX)?;
            self.unreported.merge(read);
        }
        Ok(std::mem::take(&mut self.unreported))
    }

    /// Keeps what a refresh found for `refresh_appends` to report; which
    /// shipments were touched only once someone reads it (a simulator's
    /// index never does, and would grow without end).
    fn keep_unreported(&mut self, mut refresh: Refresh) {
        if !self.reporting {
            refresh.touched = Vec::new();
        }
        self.unreported.merge(refresh);
    }

    /// Read as of a past moment: what follows it is left out.
    pub fn is_cut(&self) -> bool {
        self.cut
    }

    /// True once the log was found changed under this index.
    pub fn is_void(&self) -> bool {
        self.void
    }

    fn start_over(&mut self) -> Result<()> {
        self.feed = self.location.subscribe(Position::START)?;
        self.lines = Mutex::new(self.location.lines()?);
        self.projection = Projection::default();
        self.verifier = Verifier::default();
        self.counters = CounterSet::default();
        self.unverified = None;
        self.void = false;
        Ok(())
    }

    /// One poll of the subscription, applied. A reset leaves this index
    /// void (and says why in the refresh's `reloaded`).
    fn poll(&mut self, max_bytes: u64) -> Result<(Polled, Refresh)> {
        let mut refresh = Refresh::default();
        let polled = {
            let (projection, verifier, counters) =
                (&mut self.projection, &mut self.verifier, &mut self.counters);
            let (refresh, reporting) = (&mut refresh, self.reporting);
            self.feed.poll(max_bytes, &mut |item| {
                apply(item, projection, verifier, counters, refresh, reporting)
            })?
        };
        if let Some(reason) = &polled.reset {
            self.void = true;
            refresh.reloaded = Some(reason.clone());
        }
        refresh.more = polled.more;
        refresh.modified = polled.modified.clone();
        refresh.reconnecting = polled.reconnecting.clone();
        Ok((polled, refresh))
    }

    /// Where the next read starts.
    pub fn position(&self) -> Position {
        self.feed.position()
    }

    /// Bytes of the event log read so far and its current size.
    pub fn progress(&self) -> (u64, u64) {
        self.feed.progress()
    }

    pub fn verify_report(&self) -> VerifyReport {
        // A torn tail lies after any past moment.
        let unterminated = if self.cut {
            None
        } else {
            self.feed.torn_tail()
        };
        self.verifier
            .report(&self.projection, &self.counters, unterminated)
    }

    pub fn audit_report(&self) -> AuditReport {
        AuditReport::new(&self.projection, self.verify_report())
    }

    pub fn summary(&self, id: ShipmentId) -> Option<&ShipmentSummary> {
        self.projection.get(id)
    }

    /// A shipment's events, read back from the store by where they are.
    pub fn history(&self, id: ShipmentId) -> Result<Vec<Event>> {
        let Some(summary) = self.projection.get(id) else {
            return Err(Error::UnknownShipment(id));
        };
        self.history_of(summary)
    }

    /// The events of `summary` (of this index's projection or of a past
    /// one, whose lines are a prefix of these), read back from the store.
    pub fn history_of(&self, summary: &ShipmentSummary) -> Result<Vec<Event>> {
        self.shipment_lines(summary)?
            .into_iter()
            .map(|(span, bytes)| self.event_at(span, &bytes))
            .collect()
    }

    /// The event of a line read back at `span`: a line that no longer
    /// parses means the log changed under this reader.
    fn event_at(&self, span: LineSpan, bytes: &[u8]) -> Result<Event> {
        match parse_line(bytes) {
            Ok(record) => Ok(record.to_event()),
            Err(_) => Err(Error::ChangedUnderReader {
                path: self.location.describe().into(),
                offset: span.offset,
            }),
        }
    }

    /// The lines of `summary`'s shipment, with where each is, read back
    /// from the store.
    pub fn shipment_lines(&self, summary: &ShipmentSummary) -> Result<Vec<(LineSpan, Vec<u8>)>> {
        self.lines
            .lock()
            .map_err(|_| Error::Internal("a reader thread panicked".into()))?
            .shipment(summary.range())
    }

    pub fn state(&self, id: ShipmentId) -> Result<ShipmentState> {
        ShipmentState::from_events(self.history(id)?).ok_or(Error::UnknownShipment(id))
    }

    /// Reconstructed states of every shipment in `state`, newest activity first.
    pub fn states_in(&self, state: Option<EventType>) -> Result<Vec<ShipmentState>> {
        let mut states = Vec::new();
        self.for_each_state(state, |s| {
            states.push(s);
            Ok(())
        })?;
        Ok(states)
    }

    /// Hands the reconstructed state of every shipment in `state` (all if
    /// `None`), newest activity first, to `each`, one at a time: only one
    /// shipment's history is in memory at once, whatever the log's size.
    pub fn for_each_state(
        &self,
        state: Option<EventType>,
        each: impl FnMut(ShipmentState) -> Result<()>,
    ) -> Result<()> {
        self.for_each_state_where(state, |_| true, each)
    }

    /// `for_each_state`, only for the shipments `keep` admits (their
    /// histories alone are read back).
    pub fn for_each_state_where(
        &self,
        state: Option<EventType>,
        keep: impl Fn(&ShipmentSummary) -> bool,
        mut each: impl FnMut(ShipmentState) -> Result<()>,
    ) -> Result<()> {
        let wanted: Vec<&ShipmentSummary> = self
            .projection
            .newest_first(state)
            .into_iter()
            .filter(|s| keep(s))
            .collect();
        // Read back a batch at a time: neighbours in activity share most
        // of the log's bytes between their first and last lines.
        for batch in wanted.chunks(HISTORY_BATCH) {
            let ranges: Vec<ShipmentLines> = batch.iter().map(|s| s.range()).collect();
            let read = self
                .lines
                .lock()
                .map_err(|_| Error::Internal("a reader thread panicked".into()))?
                .shipments(&ranges)?;
            for lines in read {
                let events = lines
                    .into_iter()
                    .map(|(span, bytes)| self.event_at(span, &bytes))
                    .collect::<Result<Vec<Event>>>()?;
                if let Some(state) = ShipmentState::from_events(events) {
                    each(state)?;
                }
            }
        }
        Ok(())
    }

    /// The raw lines at `spans`, read back through the store.
    pub fn read_lines(&self, spans: &[LineSpan]) -> Result<Vec<Vec<u8>>> {
        self.lines
            .lock()
            .map_err(|_| Error::Internal("a reader thread panicked".into()))?
            .read(spans)
    }
}

/// A store whose lines cannot be read back: says why on every read.
struct Unreadable(String);

impl LineSource for Unreadable {
    fn read(&mut self, _: &[LineSpan]) -> Result<Vec<Vec<u8>>> {
        Err(self.why())
    }

    fn shipment(&mut self, _: ShipmentLines) -> Result<Vec<(LineSpan, Vec<u8>)>> {
        Err(self.why())
    }
}

impl Unreadable {
    fn why(&self) -> Error {
        Error::ReadOnly(format!("cannot read the log back: {}", self.0))
    }
}

/// One item of the subscription, into the verifier and the projection.
/// `touched`: note the shipments touched (for a reader that reports
/// them; a load of millions of events would only pile them up).
fn apply(
    item: Feed<'_>,
    projection: &mut Projection,
    verifier: &mut Verifier,
    counters: &mut CounterSet,
    refresh: &mut Refresh,
    touched: bool,
) {
    match item {
        Feed::Line(line) => {
            refresh.new_lines += 1;
            match line {
                IndexedLine::Event(event) => {
                    verifier.check(event, projection);
                    if touched {
                        refresh.touched.push(event.shipment_id);
                    }
                    projection.apply(event);
                }
                IndexedLine::Malformed {
                    line_no,
                    error,
                    oversized,
                } => verifier.malformed(*line_no, error, *oversized),
            }
        }
        Feed::Counter { line_no, bytes } => counters.apply_line(line_no, bytes),
        Feed::CountersReset => *counters = CounterSet::default(),
    }
}

fn head_of(summary: &ShipmentSummary) -> ShipmentHead {
    ShipmentHead {
        state: summary.state,
        seq: summary.seq,
        actor: summary.last_actor,
        operator: summary.last_operator.map(|name| name.as_str().into()),
        at: summary.last_updated,
    }
}

impl WriterState for LogIndex {
    /// Reads what others appended. A log changed under this index voids it
    /// and refuses this append; the next one reads the log afresh.
    fn catch_up(&mut self, _events: &File, paths: &LogPaths) -> Result<CaughtUp> {
        if self.void {
            self.start_over()?;
        }
        let (polled, read) = self.poll(u64::MAX)?;
        self.keep_unreported(read);
        if let Some(detail) = polled.reset {
            return Err(Error::LogChanged {
                path: paths.events.clone(),
                detail,
            });
        }
        let torn = self.feed.torn_tail().map(|_| match self.feed.torn_line() {
            Some(IndexedLine::Event(event)) => Some(TornEvent {
                id: event.shipment_id,
                head: ShipmentHead {
                    state: event.event_type,
                    seq: event.event_seq,
                    actor: event.actor,
                    operator: event.operator,
                    at: event.timestamp,
                },
                hash: event.hash,
            }),
            _ => None,
        });
        let (read_up_to, _) = self.feed.progress();
        Ok(CaughtUp {
            len: read_up_to,
            last_hash: self.verifier.last_hash(),
            last_timestamp: self.projection.last_event_time(),
            torn,
        })
    }

    fn head(&mut self, _: &File, _: &LogPaths, id: ShipmentId) -> Result<Option<ShipmentHead>> {
        Ok(self.projection.get(id).map(head_of))
    }

    fn highest_id(&mut self, _: &File, _: &LogPaths, counter: u64) -> Result<u64> {
        Ok(self.projection.max_id().max(counter))
    }

    fn written(
        &mut self,
        _: &File,
        _: &LogPaths,
        bytes: &[u8],
        digests: Vec<IndexedEvent>,
    ) -> Result<()> {
        let mut refresh = Refresh::default();
        let (projection, verifier, counters) =
            (&mut self.projection, &mut self.verifier, &mut self.counters);
        let (refresh_ref, reporting) = (&mut refresh, self.reporting);
        self.feed.written(bytes, digests, &mut |item| {
            apply(item, projection, verifier, counters, refresh_ref, reporting)
        })?;
        self.keep_unreported(refresh);
        Ok(())
    }

    /// A failed write was cut back off the file: nothing read is void.
    fn forget(&mut self) {}
}

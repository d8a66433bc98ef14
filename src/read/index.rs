//! `LogIndex`: the read side in one place. Tails the event log and the
//! counter log, feeds every line to the verifier and the projection, and
//! answers the questions the CLI and the dashboard ask.

use std::fs::File;

use crate::domain::line::parse_line;
use crate::domain::rules::ShipmentHead;
use crate::domain::{Event, EventType, ShipmentId};
use crate::error::{Error, Result};
use crate::log::files::{self, LogPaths};
use crate::log::lines::LineSpan;
use crate::log::tail::{LogTailer, TailPoll};
use crate::read::audit::AuditReport;
use crate::read::projection::{Projection, ShipmentSummary};
use crate::read::replay::{self, IndexedLine};
use crate::read::state::ShipmentState;
use crate::read::verify::{CounterSet, Verifier, VerifyReport};
use crate::store::WriterSeed;

/// Reads at least this big are parsed on worker threads.
const PARALLEL_FROM_BYTES: u64 = 8 << 20;

pub struct LogIndex {
    paths: LogPaths,
    events: LogTailer,
    counter: LogTailer,
    projection: Projection,
    verifier: Verifier,
    counters: CounterSet,
    operator_names: replay::OperatorNames,
    /// The log changed under a reader that reloads on its own
    /// (`refresh_appends`): nothing more is read into this index.
    void: bool,
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
}

impl LogIndex {
    /// An empty index on `paths`; nothing read yet.
    pub fn new(paths: &LogPaths) -> Self {
        LogIndex {
            paths: paths.clone(),
            events: LogTailer::new(&paths.events),
            counter: LogTailer::new(&paths.counter),
            projection: Projection::default(),
            verifier: Verifier::default(),
            counters: CounterSet::default(),
            operator_names: replay::OperatorNames::default(),
            void: false,
        }
    }

    /// Reads the whole log in chunks of `chunk` bytes, calling `progress`
    /// with (read, total) after each; `None` if `progress` said stop. The
    /// same reading and verifying as `load` (and `verify`), for a thread
    /// that must be stoppable and show how far it got.
    pub fn load_in_steps(
        paths: &LogPaths,
        chunk: u64,
        mut progress: impl FnMut(u64, u64) -> bool,
    ) -> Result<Option<Self>> {
        let mut index = Self::new(paths);
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

    /// Reads the whole log.
    pub fn load(paths: &LogPaths) -> Result<Self> {
        let mut index = Self::new(paths);
        index.refresh()?;
        Ok(index)
    }

    pub fn paths(&self) -> &LogPaths {
        &self.paths
    }

    pub fn projection(&self) -> &Projection {
        &self.projection
    }

    /// Reads everything appended since the last refresh.
    pub fn refresh(&mut self) -> Result<Refresh> {
        self.refresh_at_most(u64::MAX)
    }

    /// Reads at most `max_bytes` of the event log (for a progress gauge).
    pub fn refresh_at_most(&mut self, max_bytes: u64) -> Result<Refresh> {
        let mut refresh = Refresh::default();
        let mut poll = self.poll_events(max_bytes, &mut refresh)?;
        if let TailPoll::Reset { reason } = poll {
            self.projection = Projection::default();
            self.verifier = Verifier::default();
            self.counters = CounterSet::default();
            self.counter = LogTailer::new(&self.paths.counter);
            refresh = Refresh {
                reloaded: Some(reason),
                ..Refresh::default()
            };
            poll = self.poll_events(max_bytes, &mut refresh)?;
        }
        refresh.more = matches!(poll, TailPoll::Read { more: true, .. });
        refresh.modified = self.events.take_modified();
        self.poll_counter()?;
        Ok(refresh)
    }

    /// Reads what was appended, for a reader that reloads on its own (the
    /// dashboard reads the log again on a worker thread). When the log
    /// shrank, was replaced or was rewritten in place, says so in
    /// `reloaded` and reads nothing more: this index is then void (see
    /// `is_void`) and must be replaced by a fresh one.
    pub fn refresh_appends(&mut self) -> Result<Refresh> {
        if self.void {
            return Ok(Refresh::default());
        }
        let mut refresh = Refresh::default();
        let poll = self.poll_events(u64::MAX, &mut refresh)?;
        if let TailPoll::Reset { reason } = poll {
            self.void = true;
            refresh.reloaded = Some(reason);
            return Ok(refresh);
        }
        refresh.more = matches!(poll, TailPoll::Read { more: true, .. });
        refresh.modified = self.events.take_modified();
        self.poll_counter()?;
        Ok(refresh)
    }

    /// True once `refresh_appends` found the log changed under this index.
    pub fn is_void(&self) -> bool {
        self.void
    }

    fn poll_counter(&mut self) -> Result<()> {
        // The counter line of a creation is written before its event, so
        // reading the counter log after the event log never misses one.
        let counters = &mut self.counters;
        if let TailPoll::Reset { .. } = self
            .counter
            .poll(|line| counters.apply_line(line.line_no, line.bytes))?
        {
            self.counters = CounterSet::default();
            let counters = &mut self.counters;
            self.counter
                .poll(|line| counters.apply_line(line.line_no, line.bytes))?;
        }
        Ok(())
    }

    fn poll_events(&mut self, max_bytes: u64, refresh: &mut Refresh) -> Result<TailPoll> {
        let (projection, verifier) = (&mut self.projection, &mut self.verifier);
        let mut apply = |item: IndexedLine| {
            refresh.new_lines += 1;
            match item {
                IndexedLine::Event(event) => {
                    verifier.check(&event, projection);
                    refresh.touched.push(event.shipment_id);
                    projection.apply(event);
                }
                IndexedLine::Malformed {
                    line_no,
                    error,
                    oversized,
                } => verifier.malformed(line_no, &error, oversized),
            }
        };
        let (read, total) = (
            self.events.offset() + self.events.pending_bytes(),
            self.events.file_len(),
        );
        let events = &mut self.events;
        if total.saturating_sub(read).min(max_bytes) >= PARALLEL_FROM_BYTES {
            replay::parallel(|on_line| events.poll_at_most(max_bytes, on_line), apply)
        } else {
            let names = &mut self.operator_names;
            events.poll_at_most(max_bytes, |line| apply(replay::index_line(&line, names)))
        }
    }

    /// Bytes of the event log read so far and its current size.
    pub fn progress(&self) -> (u64, u64) {
        (
            self.events.offset() + self.events.pending_bytes(),
            self.events.file_len(),
        )
    }

    /// What a writer in this process needs to start where this index is.
    pub fn writer_seed(&self) -> WriterSeed {
        let summaries = self.projection.shipments();
        WriterSeed {
            identity: self.events.identity(),
            offset: self.events.offset(),
            last_hash: (self.projection.total_events() > 0).then(|| self.verifier.head_hash()),
            last_timestamp: self.projection.last_event_time(),
            max_id: summaries.iter().map(|s| s.id.number()).max().unwrap_or(0),
            heads: summaries
                .iter()
                .map(|s| {
                    let head = ShipmentHead {
                        state: s.state,
                        seq: s.seq,
                        actor: s.last_actor,
                        operator: s.last_operator.as_deref().map(Box::from),
                        at: s.last_updated,
                    };
                    (s.id, head)
                })
                .collect(),
        }
    }

    pub fn verify_report(&self) -> VerifyReport {
        let pending = self.events.pending_bytes();
        let unterminated = (pending > 0).then(|| (self.events.next_line_no(), pending));
        self.verifier
            .report(&self.projection, &self.counters, unterminated)
    }

    pub fn audit_report(&self) -> AuditReport {
        AuditReport::new(&self.projection, self.verify_report())
    }

    pub fn summary(&self, id: ShipmentId) -> Option<&ShipmentSummary> {
        self.projection.get(id)
    }

    /// A shipment's events, read back from the file by their offsets.
    pub fn history(&self, id: ShipmentId) -> Result<Vec<Event>> {
        let Some(summary) = self.projection.get(id) else {
            return Err(Error::UnknownShipment(id));
        };
        let Some(file) = files::open_for_read(&self.paths.events)? else {
            return Err(Error::UnknownShipment(id));
        };
        read_spans(&file, &self.paths, &summary.lines)
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
        mut each: impl FnMut(ShipmentState) -> Result<()>,
    ) -> Result<()> {
        let Some(file) = files::open_for_read(&self.paths.events)? else {
            return Ok(());
        };
        for summary in self.projection.newest_first(state) {
            if let Some(state) =
                ShipmentState::from_events(read_spans(&file, &self.paths, &summary.lines)?)
            {
                each(state)?;
            }
        }
        Ok(())
    }
}

fn read_spans(file: &File, paths: &LogPaths, spans: &[LineSpan]) -> Result<Vec<Event>> {
    let mut events = Vec::with_capacity(spans.len());
    for span in spans {
        let bytes = files::read_exact_at(file, &paths.events, span.offset, span.len as usize)?;
        match parse_line(&bytes) {
            Ok(record) => events.push(record.to_event()),
            Err(_) => {
                return Err(Error::ChangedUnderReader {
                    path: paths.events.clone(),
                    offset: span.offset,
                });
            }
        }
    }
    Ok(events)
}

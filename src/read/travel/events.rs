//! `EventMap`: where each event of the log is, which shipment it belongs
//! to and which event of that shipment came before it, so time travel can
//! read back any event and any shipment's earlier lines. The projection
//! keeps no per-event places (only a shipment's first and last line), so
//! the map is made by reading the log once, in order, through the store's
//! subscription when travel starts, and grows the same way as the live
//! projection does (never past it: time travel reaches what the live
//! projection holds).

use std::collections::VecDeque;

use crate::domain::ShipmentId;
use crate::error::{Error, Result};
use crate::log::digest::IndexedLine;
use crate::log::lines::LineSpan;
use crate::read::id_index::IdIndex;
use crate::read::projection::Projection;
use crate::store::{Feed, Location, Position, Subscription};

/// Bytes read between two progress reports of `read_ahead`.
const CHUNK: u64 = 8 << 20;

/// One event: 24 bytes.
#[derive(Debug, Clone, Copy)]
struct Mapped {
    offset: u64,
    /// The number of the shipment's event before this one (0: none).
    prev: u64,
    len: u32,
    /// The shipment's position in `Projection::shipments()`.
    pos: u32,
}

pub struct EventMap {
    /// By event number - 1.
    events: Vec<Mapped>,
    /// Per shipment position: the number of its latest mapped event.
    latest: Vec<u64>,
    /// Reads the log in order from its start.
    feed: Box<dyn Subscription>,
    /// Events read but not in the live projection yet.
    pending: VecDeque<(ShipmentId, LineSpan)>,
    location: Location,
}

impl EventMap {
    /// A map of no events yet, reading `location` from its start.
    pub fn new(location: &Location) -> Result<EventMap> {
        Ok(EventMap {
            events: Vec::new(),
            latest: Vec::new(),
            feed: location.subscribe(Position::START)?,
            pending: VecDeque::new(),
            location: location.clone(),
        })
    }

    /// Events mapped: the latest moment time travel can reach.
    pub fn len(&self) -> u64 {
        self.events.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Maps the events `live` took in since the last call.
    pub fn extend(&mut self, live: &Projection) -> Result<()> {
        if live.total_events() <= self.len() {
            return Ok(());
        }
        if (self.pending.len() as u64) < live.total_events() - self.len() {
            let pending = &mut self.pending;
            let polled = self.feed.poll(u64::MAX, &mut |item| {
                if let Feed::Line(IndexedLine::Event(event)) = item {
                    pending.push_back((event.shipment_id, event.span));
                }
            })?;
            if polled.reset.is_some() {
                return Err(self.changed(0));
            }
        }
        while self.len() < live.total_events() {
            let Some((id, span)) = self.pending.pop_front() else {
                break;
            };
            let pos = live.position(id).ok_or_else(|| self.changed(span.offset))?;
            self.admit(pos, span);
        }
        Ok(())
    }

    /// Maps the first `upto` events of the log, whose shipments `ids`
    /// places (the live projection's, when travel was asked for), calling
    /// `progress(bytes read, bytes)` now and then: a worker thread's part
    /// of entering time travel on a big log. `None` if it said stop.
    pub fn read_ahead(
        mut self,
        ids: &IdIndex,
        upto: u64,
        mut progress: impl FnMut(u64, u64) -> bool,
    ) -> Result<Option<EventMap>> {
        let mut unknown = None;
        while self.len() < upto && unknown.is_none() {
            let mut read = Vec::new();
            let polled = self.feed.poll(CHUNK, &mut |item| {
                if let Feed::Line(IndexedLine::Event(event)) = item {
                    read.push((event.shipment_id, event.span));
                }
            })?;
            for (id, span) in read {
                match (self.len() < upto, ids.get(&id)) {
                    (false, _) => self.pending.push_back((id, span)),
                    (true, Some(pos)) => self.admit(pos, span),
                    (true, None) => unknown = unknown.or(Some(span.offset)),
                }
            }
            let (read, total) = self.feed.progress();
            if !progress(read, total) {
                return Ok(None);
            }
            if polled.reset.is_some() || !polled.more {
                break;
            }
        }
        match unknown {
            Some(offset) => Err(self.changed(offset)),
            None => Ok(Some(self)),
        }
    }

    /// Event number `len() + 1` is a line of the shipment at `pos`.
    fn admit(&mut self, pos: usize, span: LineSpan) {
        if self.latest.len() <= pos {
            self.latest.resize(pos + 1, 0);
        }
        self.events.push(Mapped {
            offset: span.offset,
            prev: self.latest[pos],
            len: span.len,
            pos: pos as u32,
        });
        self.latest[pos] = self.len();
    }

    /// Shipment position of event `n` (1-based), and whether it is its
    /// shipment's first event.
    pub fn get(&self, n: u64) -> Option<(usize, bool)> {
        let m = self.mapped(n)?;
        Some((m.pos as usize, m.prev == 0))
    }

    /// Where event `n` (1-based) is.
    pub fn span(&self, n: u64) -> Option<LineSpan> {
        let m = self.mapped(n)?;
        Some(LineSpan {
            offset: m.offset,
            len: m.len,
        })
    }

    /// The numbers of the events of event `n`'s shipment up to `n`,
    /// oldest first.
    pub fn chain(&self, n: u64) -> Vec<u64> {
        let mut chain = Vec::new();
        let mut at = n;
        while let Some(m) = self.mapped(at) {
            chain.push(at);
            at = m.prev;
        }
        chain.reverse();
        chain
    }

    /// The last event at or before event number `limit` of the shipment
    /// whose event `n` is (walking back from `n`); 0 if none.
    pub fn at_or_before(&self, n: u64, limit: u64) -> u64 {
        let mut at = n;
        while at > limit {
            match self.mapped(at) {
                Some(m) => at = m.prev,
                None => return 0,
            }
        }
        at
    }

    fn mapped(&self, n: u64) -> Option<&Mapped> {
        self.events.get(usize::try_from(n.checked_sub(1)?).ok()?)
    }

    fn changed(&self, offset: u64) -> Error {
        Error::ChangedUnderReader {
            path: self.location.describe().into(),
            offset,
        }
    }
}

//! Opening a log from its projection snapshot, and keeping the snapshot
//! current (`read::snapshot` owns the file). A `LogIndex` opened this way
//! reads only the lines after the snapshot; the lines before it stay
//! `Unverified` until a background check of them (`read::prefix_check`)
//! is adopted, and its verify report covers only what it read until then.

use super::index::LogIndex;
use super::prefix_check::{Checked, Expected};
use super::snapshot::{self, Found, Key, Snapshot};
use super::verify::{ChainSeed, Verifier};
use crate::error::Result;
use crate::store::{Location, Position};

/// The lines a snapshot stood for, still to be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    /// Events and bytes (where they end) to check.
    pub events: u64,
    pub bytes: u64,
    /// Counter lines before this line number are the check's to read.
    pub counter_lines: u64,
    chain: ChainSeed,
    /// What the snapshot says its lines make.
    pub expected: Expected,
}

/// How a reader opened its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// From the snapshot of this many events, then what followed.
    FromSnapshot(u64),
    /// Replayed in full; the note says why a snapshot was not used.
    Replayed(Option<String>),
}

impl LogIndex {
    /// Reads the log, from its snapshot when one matches it, else all of
    /// it. What it says is for a one-line note.
    pub fn open_fast(location: &Location) -> Result<(LogIndex, Opened)> {
        let (mut index, opened) = Self::prepare(location)?;
        index.refresh()?;
        Ok((index, opened))
    }

    /// An index at the log's snapshot when one matches it, else at its
    /// start; what follows is not read yet (a caller with a progress
    /// gauge reads it in steps).
    pub fn prepare(location: &Location) -> Result<(LogIndex, Opened)> {
        let (mut index, opened) = match snapshot::open(location) {
            Found::Usable(snapshot) => {
                let events = snapshot.key.events;
                (
                    Self::resume(location, *snapshot)?,
                    Opened::FromSnapshot(events),
                )
            }
            Found::Absent => (Self::open(location)?, Opened::Replayed(None)),
            Found::Ignored(note) => (Self::open(location)?, Opened::Replayed(Some(note))),
        };
        index.opened = opened.clone();
        Ok((index, opened))
    }

    /// How this index was opened.
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// An index that goes on from `snapshot`; nothing after it read yet.
    fn resume(location: &Location, snapshot: Snapshot) -> Result<LogIndex> {
        let Snapshot {
            key,
            projection,
            chain,
        } = snapshot;
        let feed = location.resume(Position(key.next), key.line_no + 1, key.counter)?;
        let mut index = Self::with(location.clone(), feed, location.lines());
        index.unverified = Some(Unverified {
            events: key.events,
            bytes: key.next,
            counter_lines: key.counter.map_or(1, |(_, line_no)| line_no),
            chain,
            expected: Expected::of(&projection),
        });
        index.projection = projection;
        index.verifier = Verifier::resume(chain);
        index.snapshot_events = key.events;
        Ok(index)
    }

    /// The lines before the snapshot this index opened from, while they
    /// are not verified.
    pub fn unverified(&self) -> Option<&Unverified> {
        self.unverified.as_ref()
    }

    /// Takes in the background check of the unverified lines. `Err` (with
    /// why) when they do not make what the snapshot said: then this index
    /// must not be used, and a full replay replaces it.
    pub fn adopt_check(&mut self, checked: Checked) -> std::result::Result<(), String> {
        let Some(unverified) = &self.unverified else {
            return Ok(());
        };
        let differs = match checked.differs {
            Some(why) => Some(why),
            None if checked.seed != unverified.chain => Some("its hash chain differs".into()),
            None => None,
        };
        if let Some(why) = differs {
            return Err(format!(
                "the snapshot of {} events does not match the log's first {} events ({why}): edited under it?",
                unverified.events, unverified.events
            ));
        }
        self.verifier.adopt_prefix(checked.verifier);
        let later = std::mem::take(&mut self.counters);
        self.counters = checked.counters;
        self.counters.absorb(later);
        self.unverified = None;
        Ok(())
    }

    /// The key a snapshot of this index would have: only when every line
    /// it read was an event line it took in (not cut at a past moment,
    /// not void), and it holds enough events to be worth one.
    pub fn snapshot_key(&self) -> Option<(Key, ChainSeed)> {
        let total = self.projection.total_events();
        if self.is_cut() || self.is_void() || total < snapshot::MIN_EVENTS {
            return None;
        }
        let chain = self.verifier.seed();
        let (line_no, id) = chain.last_line?;
        let last = self
            .projection
            .get(crate::domain::ShipmentId::new(id)?)?
            .last;
        let key = Key {
            line: (last.offset, last.len),
            line_no,
            line_hash: chain.last_hash?,
            events: total,
            next: self.location.after(last),
            counter: self.feed.counter_at(),
        };
        // Read up to exactly the end of that line: nothing held back.
        (self.position().0 == key.next).then_some((key, chain))
    }

    /// Writes a snapshot when this index is `EVERY_EVENTS` past the last
    /// one (or, with `closing`, past it at all). Says whether it wrote one.
    pub fn save_snapshot_if_due(&mut self, closing: bool) -> Result<bool> {
        match self.snapshot_if_due(closing)? {
            Some(encoded) => encoded.write().map(|()| true),
            None => Ok(false),
        }
    }

    /// `save_snapshot_if_due` without the write: the snapshot encoded, for
    /// the caller to write (maybe on another thread). Each step is tried
    /// once: a cache that cannot be written (a read-only account, a full
    /// disk) is tried again `EVERY_EVENTS` later, or on closing, not on
    /// every refresh.
    pub fn snapshot_if_due(&mut self, closing: bool) -> Result<Option<snapshot::Encoded>> {
        let ahead = self
            .projection
            .total_events()
            .saturating_sub(self.snapshot_events);
        // What is not verified yet is not handed on.
        let due = self.unverified.is_none()
            && (ahead >= snapshot::EVERY_EVENTS || (closing && ahead > 0));
        let Some((key, chain)) = due.then(|| self.snapshot_key()).flatten() else {
            return Ok(None);
        };
        self.snapshot_events = key.events;
        snapshot::encode(&self.location, key, chain, &self.projection)
    }
}

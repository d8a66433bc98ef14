//! The event store: the one way anything is written to the log, and the
//! ways it is read back. The interface is shaped like KurrentDB's client
//! (`append` with an expected version, `read_shipment`, `read_all`,
//! `subscribe`, `head`), so a second store (PostgreSQL) can satisfy it
//! without knowing the file. `jsonl` is the file implementation; `policy`
//! says who may act as whom; `account` is who this process runs as.
//!
//! What a writer knows between appends (the heads of shipments, the last
//! hash, the highest ID) is a `WriterState`: a one-shot process keeps the
//! cheap `jsonl::OneShot` (the end of the file, one shipment's lines found
//! on demand); a long-running one hands the store its projection
//! (`read::LogIndex`), so one process holds one model of the log.

pub mod account;
pub mod copy;
mod counter;
pub mod decide;
pub mod jsonl;
pub mod location;
pub mod lock;
pub mod policy;
#[cfg(feature = "postgres")]
pub mod postgres;

use std::fs::File;

use serde_json::{Map, Value};

use crate::domain::line::LineHash;
use crate::domain::rules::ShipmentHead;
use crate::domain::{Actor, Event, EventType, ShipmentId, Timestamp};
use crate::error::Result;
use crate::log::digest::{IndexedEvent, IndexedLine};

pub use crate::log::files::LogPaths;
pub use jsonl::JsonlStore;
pub use location::{LineSource, Location, ShipmentLines, Who};

/// Which shipment a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A new shipment: the store generates its ID (event must be CREATED).
    New,
    Existing(ShipmentId),
}

/// What the caller believes about the shipment's last `event_seq`; a
/// mismatch is a conflict and nothing is appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpectedSeq {
    /// Append whatever the shipment's state (the rules still apply).
    #[default]
    Any,
    /// The shipment must have no events yet (a new shipment).
    NoShipment,
    /// The shipment's last event must be this one.
    Exactly(u32),
}

impl ExpectedSeq {
    /// The seq the rules compare with (`NoShipment` is 0 events).
    pub fn as_seq(self) -> Option<u32> {
        match self {
            ExpectedSeq::Any => None,
            ExpectedSeq::NoShipment => Some(0),
            ExpectedSeq::Exactly(seq) => Some(seq),
        }
    }
}

/// Where an event is in the whole log: the file store's byte offset of its
/// line, a database's global position. Increases with commit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position(pub u64);

impl Position {
    pub const START: Position = Position(0);
}

/// The event someone wants appended (the store adds ID, seq, time,
/// operator and chain).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_type: EventType,
    pub actor: Actor,
    pub payload: Map<String, Value>,
}

/// One append: which shipment, what the caller saw, what to append.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub target: Target,
    pub expected: ExpectedSeq,
    pub event: NewEvent,
}

impl AppendRequest {
    pub fn create(payload: Map<String, Value>) -> Self {
        AppendRequest {
            target: Target::New,
            expected: ExpectedSeq::NoShipment,
            event: NewEvent {
                event_type: EventType::Created,
                actor: Actor::Sender,
                payload,
            },
        }
    }

    pub fn advance(
        id: ShipmentId,
        event_type: EventType,
        actor: Actor,
        payload: Map<String, Value>,
    ) -> Self {
        AppendRequest {
            target: Target::Existing(id),
            expected: ExpectedSeq::Any,
            event: NewEvent {
                event_type,
                actor,
                payload,
            },
        }
    }

    pub fn expecting_seq(mut self, seq: u32) -> Self {
        self.expected = ExpectedSeq::Exactly(seq);
        self
    }
}

/// An event that is durably in the log.
#[derive(Debug, Clone)]
pub struct Appended {
    pub event: Event,
    /// The shipment's `event_seq` after this append.
    pub seq: u32,
    pub position: Position,
}

/// An event as read back, with where it is.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub position: Position,
    pub event: Event,
}

/// The log's head: how many events it holds and the hash of the last one's
/// line (`None` for an empty log). Written `N:HASH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub count: u64,
    pub hash: Option<LineHash>,
}

pub trait EventStore: Send {
    /// Validates and appends one event durably (synced before it returns).
    fn append(
        &mut self,
        shipment: Target,
        expected: ExpectedSeq,
        event: NewEvent,
    ) -> Result<Appended> {
        self.append_request(&AppendRequest {
            target: shipment,
            expected,
            event,
        })
    }

    /// `append`, with the three parts in one value.
    fn append_request(&mut self, request: &AppendRequest) -> Result<Appended> {
        let mut results = self.append_batch(std::slice::from_ref(request))?;
        results.pop().unwrap_or_else(|| {
            Err(crate::error::Error::Internal(
                "an append of one event returned no result".into(),
            ))
        })
    }

    /// Appends many events under one lock and one sync. Each request is
    /// validated on the state left by the ones before it; a refused request
    /// gets its error and the others go on.
    fn append_batch(&mut self, requests: &[AppendRequest]) -> Result<Vec<Result<Appended>>>;

    /// Every event of one shipment, in log order.
    fn read_shipment(&mut self, id: ShipmentId) -> Result<Vec<Event>>;

    /// Every well-formed event from `from` on, in log order, handed to
    /// `each`; returns the position after the last one read.
    fn read_all(
        &mut self,
        from: Position,
        each: &mut dyn FnMut(Recorded) -> Result<()>,
    ) -> Result<Position>;

    /// Events as they are committed, from `from` on.
    fn subscribe(&self, from: Position) -> Result<Box<dyn Subscription>>;

    /// How many events the log holds and the hash of the last one.
    fn head(&mut self) -> Result<Head>;
}

/// One item a subscription hands out, in commit order.
pub enum Feed<'a> {
    /// A line of the event log (an event, or a malformed line to report).
    Line(&'a IndexedLine),
    /// A line of the ID counter log.
    Counter { line_no: u64, bytes: &'a [u8] },
    /// The counter log shrank or was replaced: forget its lines read so far.
    CountersReset,
}

/// What one poll of a subscription found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Polled {
    /// Everything handed out before is void (the log shrank, was replaced or
    /// rewritten): the reader must start again from nothing.
    pub reset: Option<String>,
    /// More is committed than this poll's limit let through.
    pub more: bool,
    /// The log changed without growing: nothing read is void, but only a
    /// full verification can tell whether history was edited.
    pub modified: Option<String>,
    /// The store is out of reach (a database connection lost): nothing was
    /// read; the subscription reconnects with backoff on later polls and
    /// resumes after its last position. Always `None` for the file store.
    pub reconnecting: Option<String>,
}

/// Live reading: what was committed since the last poll, and a wake-up when
/// more may have been (the file store: the notify watcher with its polling
/// fallback, and the tailer, owned here and nowhere else).
pub trait Subscription: Send {
    /// Hands out what was committed since the last poll, at most about
    /// `max_bytes` of it (for a progress gauge).
    fn poll(&mut self, max_bytes: u64, each: &mut (dyn FnMut(Feed<'_>) + Send)) -> Result<Polled>;

    /// Like `poll`, but hands out each event whole (its payload too) and
    /// skips what is not an event: for printing them.
    fn poll_events(&mut self, each: &mut dyn FnMut(Recorded)) -> Result<Polled>;

    /// Calls `wake` (from another thread) whenever something may have been
    /// committed. Returns why live updates fall back to polling, if they do.
    fn watch(&mut self, wake: Box<dyn Fn() + Send>) -> Option<String>;

    /// Waits until `wake` would have been called, or `timeout` passed.
    fn wait(&mut self, timeout: std::time::Duration);

    /// Bytes (or positions) read so far, and how many there are now.
    fn progress(&self) -> (u64, u64);

    /// Where the next poll starts.
    fn position(&self) -> Position;

    /// An unterminated last line held back: (its line number, its length).
    fn torn_tail(&self) -> Option<(u64, u64)>;

    /// The held-back last line as it reads once a writer ends it with `\n`.
    fn torn_line(&self) -> Option<IndexedLine>;

    /// Where the counter log's reading stands (byte offset, next line
    /// number), for a store that keeps it in a file of its own.
    fn counter_at(&self) -> Option<(u64, u64)> {
        None
    }

    /// Under the writers' lock, right after this process appended `bytes`
    /// at `position()` (a torn tail first ended by its leading `\n`): hands
    /// them out as read, without reading them back; `digests` are their
    /// event lines, already digested by the writer.
    fn written(
        &mut self,
        bytes: &[u8],
        digests: Vec<IndexedEvent>,
        each: &mut (dyn FnMut(Feed<'_>) + Send),
    ) -> Result<()>;
}

/// What a writer knows of the log between appends. The store asks it,
/// under the writers' lock, to catch up, then decides on it.
pub trait WriterState: Send {
    /// Reads what other processes appended. `Err(LogChanged)` when what was
    /// read before is no longer the log's prefix: the state is then dropped
    /// and rebuilt from the file on the next call.
    fn catch_up(&mut self, events: &File, paths: &LogPaths) -> Result<CaughtUp>;

    /// The last event of `id`, if it has any.
    fn head(
        &mut self,
        events: &File,
        paths: &LogPaths,
        id: ShipmentId,
    ) -> Result<Option<ShipmentHead>>;

    /// The highest shipment number in the log or in the counter log (whose
    /// last entry is `counter`).
    fn highest_id(&mut self, events: &File, paths: &LogPaths, counter: u64) -> Result<u64>;

    /// Takes in what this process just wrote at the end of the log:
    /// `bytes`, whose event lines `digests` describe in order (a torn line
    /// they end first is not among them).
    fn written(
        &mut self,
        events: &File,
        paths: &LogPaths,
        bytes: &[u8],
        digests: Vec<IndexedEvent>,
    ) -> Result<()>;

    /// A write failed: whatever was staged may or may not be in the file.
    fn forget(&mut self);
}

/// Where the log ends, as a writer continues it.
#[derive(Debug, Clone, Default)]
pub struct CaughtUp {
    /// The file's length: the next line starts here.
    pub len: u64,
    /// The last well-formed line's hash (`None`: no line yet).
    pub last_hash: Option<LineHash>,
    pub last_timestamp: Option<Timestamp>,
    /// The file ends in an unterminated line; the writer ends it with `\n`.
    /// If it was a whole event that lost only its `\n`, it is here as the
    /// event it becomes.
    pub torn: Option<Option<TornEvent>>,
}

/// An event whose line lost only its `\n`: once ended, it counts.
#[derive(Debug, Clone)]
pub struct TornEvent {
    pub id: ShipmentId,
    pub head: ShipmentHead,
    pub hash: LineHash,
}

//! The event store: the one way anything is written to the log. The
//! interface (`EventStore`) is what the CLI, the dashboard and the simulator
//! use; `JsonlStore` is the file implementation.

pub mod account;
mod counter;
pub mod jsonl;
pub mod lock;
pub mod policy;
mod writer_view;

pub use writer_view::WriterSeed;

use serde_json::{Map, Value};

use crate::domain::{Actor, Event, EventType, ShipmentId};
use crate::error::Result;

pub use crate::log::files::LogPaths;
pub use jsonl::JsonlStore;

/// Which shipment a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A new shipment: the store generates its ID (event must be CREATED).
    New,
    Existing(ShipmentId),
}

/// One event someone wants appended.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub target: Target,
    pub event_type: EventType,
    pub actor: Actor,
    pub payload: Map<String, Value>,
    /// The `event_seq` the caller last saw; a mismatch is a conflict.
    pub expected_seq: Option<u32>,
}

impl AppendRequest {
    pub fn create(payload: Map<String, Value>) -> Self {
        AppendRequest {
            target: Target::New,
            event_type: EventType::Created,
            actor: Actor::Sender,
            payload,
            expected_seq: None,
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
            event_type,
            actor,
            payload,
            expected_seq: None,
        }
    }

    pub fn expecting_seq(mut self, seq: u32) -> Self {
        self.expected_seq = Some(seq);
        self
    }
}

/// An event that is durably in the log.
#[derive(Debug, Clone)]
pub struct Appended {
    pub event: Event,
    /// Byte offset of its line.
    pub offset: u64,
}

pub trait EventStore {
    /// Validates and appends one event durably (synced before it returns).
    fn append(&mut self, request: &AppendRequest) -> Result<Appended>;

    /// Appends many events under one lock and one sync. Each request is
    /// validated on the state left by the ones before it; a refused request
    /// gets its error and the others go on.
    fn append_batch(&mut self, requests: &[AppendRequest]) -> Result<Vec<Result<Appended>>>;

    /// Every event of one shipment, in log order.
    fn shipment_events(&mut self, id: ShipmentId) -> Result<Vec<Event>>;
}

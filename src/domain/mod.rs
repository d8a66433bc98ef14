//! The vocabulary of the tower: IDs, roles, event types, timestamps, the line
//! format, the lifecycle tables and payload rules. Pure: no I/O here.

pub mod details;
pub mod event;
pub mod id;
pub mod lifecycle;
pub mod line;
pub mod name;
pub mod operator;
pub mod payload;
pub mod payload_text;
pub mod rules;
pub mod timestamp;
pub mod zone;

pub use event::{Actor, Event, EventType};
pub use id::ShipmentId;
pub use name::Name;
pub use operator::OperatorName;
pub use rules::{Reason, Refusal};
pub use timestamp::Timestamp;
pub use zone::Zone;

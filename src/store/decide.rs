//! The decision every store makes the same way, whatever it stores in:
//! given a request and the shipment's last event, may it be appended, and
//! as which seq? (The rules are `domain::rules`; this adds what the store
//! interface means: the expected seq, and a new shipment's ID to come.)

use super::{AppendRequest, ExpectedSeq, Target};
use crate::domain::ShipmentId;
use crate::domain::rules::{Refusal, ShipmentHead, check_append};
use crate::error::{Error, Result};

/// Where an accepted event goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The next event of an existing shipment.
    Next { id: ShipmentId, seq: u32 },
    /// The first event of a new shipment: the store generates its ID.
    New,
}

/// The rules' verdict on `request`, whose shipment's last event is `head`
/// (`None`: no event yet, or a new shipment).
pub fn decide(request: &AppendRequest, head: Option<&ShipmentHead>) -> Result<Placement> {
    let id = match request.target {
        Target::Existing(id) => Some(id),
        Target::New => None,
    };
    if let (Some(id), Some(head), ExpectedSeq::NoShipment) = (id, head, request.expected) {
        return Err(Refusal::Conflict {
            id,
            expected_seq: 0,
            head: head.clone(),
        }
        .into());
    }
    let event = &request.event;
    check_append(
        id,
        head,
        event.event_type,
        event.actor,
        &event.payload,
        request.expected.as_seq(),
    )?;
    Ok(match (id, head) {
        (Some(id), Some(head)) => Placement::Next {
            id,
            seq: head.seq.checked_add(1).ok_or(Error::SeqExhausted(id))?,
        },
        (Some(id), None) => Placement::Next { id, seq: 1 },
        (None, _) => Placement::New,
    })
}

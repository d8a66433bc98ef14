//! The decision every write goes through: may this actor append this event
//! to a shipment whose last event is `head`, with this payload?

use serde_json::{Map, Value};

use super::{Actor, EventType, ShipmentId, Timestamp, lifecycle, payload};
use crate::error::{Error, Result};

/// The last event of a shipment: all the rules need to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentHead {
    pub state: EventType,
    pub seq: u32,
    pub actor: Actor,
    pub operator: Option<Box<str>>,
    pub at: Timestamp,
}

/// Checks an append to an existing shipment (`head`) or a new one (`None`).
pub fn check_append(
    id: Option<ShipmentId>,
    head: Option<&ShipmentHead>,
    event: EventType,
    actor: Actor,
    payload: &Map<String, Value>,
    expected_seq: Option<u32>,
) -> Result<()> {
    match (id, head) {
        (Some(id), None) => return Err(Error::UnknownShipment(id)),
        (Some(id), Some(head)) => {
            if let Some(expected) = expected_seq
                && expected != head.seq
            {
                return Err(Error::Conflict {
                    id,
                    expected_seq: expected,
                    current_seq: head.seq,
                    state: head.state,
                    actor: head.actor,
                    operator: head.operator.as_deref().map(str::to_owned),
                    at: head.at,
                });
            }
            if !lifecycle::is_allowed(Some(head.state), event) {
                return Err(Error::TransitionNotAllowed {
                    id,
                    state: head.state,
                    actor,
                    event,
                });
            }
        }
        (None, _) => {
            if event != EventType::Created {
                return Err(Error::Usage(format!(
                    "a new shipment starts with CREATED, not {event}"
                )));
            }
            if expected_seq.is_some_and(|s| s != 0) {
                return Err(Error::Usage(
                    "a new shipment has no events yet: expect seq 0".into(),
                ));
            }
        }
    }
    if !lifecycle::may_append(actor, event) {
        return Err(Error::RoleNotPermitted { id, actor, event });
    }
    payload::validate(event, id.is_none(), payload).map_err(Error::InvalidPayload)
}

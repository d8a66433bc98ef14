//! The decision every write goes through: may this actor append this event
//! to a shipment whose last event is `head`, with this payload? And the one
//! explanation of a refused step (`explain`), which the store's check and
//! the dashboard's action bar both use.

use serde_json::{Map, Value};

use super::{Actor, EventType, ShipmentId, Timestamp, lifecycle, payload};

/// The last event of a shipment: all the rules need to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentHead {
    pub state: EventType,
    pub seq: u32,
    pub actor: Actor,
    pub operator: Option<super::Name>,
    pub at: Timestamp,
}

/// Why a role may not take a step, in the fewest words. Its `Display` is
/// the reason the action bar shows beside a key; the store's refusal
/// (`Refusal`) is built from the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// Nothing may follow `state`.
    #[error("{state} is terminal")]
    Terminal { state: EventType },
    /// The lifecycle table does not allow the event after `state`.
    #[error("wrong state: not allowed after {state}")]
    WrongState { state: EventType },
    /// The role table does not let this role append `event`.
    #[error("wrong role: {} only", roles_text(*.event))]
    WrongRole { event: EventType },
    /// The next standard step, `next`, is other roles' (the `a` key).
    #[error("wrong role: next step {next} is for {}", roles_text(*.next))]
    NextStepForOthers { next: EventType },
}

/// The roles that may append `event`, as `A/B`.
pub fn roles_text(event: EventType) -> String {
    lifecycle::permitted_actors(event)
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join("/")
}

/// May `actor` append `event` to a shipment in `state`? `Err` says why not:
/// a terminal state first, then the lifecycle table, then the role table.
pub fn explain(actor: Actor, state: EventType, event: EventType) -> Result<(), Reason> {
    if lifecycle::is_terminal(state) {
        return Err(Reason::Terminal { state });
    }
    if !lifecycle::is_allowed(Some(state), event) {
        return Err(Reason::WrongState { state });
    }
    explain_role(actor, event)
}

/// May `actor` append `event` at all (the role table)?
pub fn explain_role(actor: Actor, event: EventType) -> Result<(), Reason> {
    if lifecycle::may_append(actor, event) {
        Ok(())
    } else {
        Err(Reason::WrongRole { event })
    }
}

/// The one-key (`a`) step of `role` on a shipment in `state`, or why it
/// has none.
pub fn primary(role: Actor, state: EventType) -> Result<EventType, Reason> {
    match lifecycle::primary_action(role, state) {
        Ok(event) => Ok(event),
        Err(lifecycle::NoAction::Terminal) => Err(Reason::Terminal { state }),
        Err(lifecycle::NoAction::OtherRole(next)) => Err(Reason::NextStepForOthers { next }),
    }
}

/// What the rules refuse: the domain's error. `crate::Error` converts each
/// variant to its own (same message, same exit code).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The lifecycle table does not allow `event` after `state`.
    #[error("{id} is {state}; {actor} cannot append {event}")]
    TransitionNotAllowed {
        id: ShipmentId,
        state: EventType,
        actor: Actor,
        event: EventType,
    },
    /// The role table does not let `actor` append `event` (`id`: `None`
    /// for a new shipment).
    #[error("{actor} may not append {event}")]
    RoleNotPermitted {
        id: Option<ShipmentId>,
        actor: Actor,
        event: EventType,
    },
    #[error("invalid payload: {0}")]
    InvalidPayload(String),
    /// Optimistic concurrency: the caller expected `expected_seq`, the
    /// shipment is at `head`.
    #[error("{id} moved on (expected seq {expected_seq}, it is at seq {})", .head.seq)]
    Conflict {
        id: ShipmentId,
        expected_seq: u32,
        head: ShipmentHead,
    },
    #[error("{0} does not exist")]
    UnknownShipment(ShipmentId),
    /// A request for a new shipment whose event is not CREATED.
    #[error("a new shipment starts with CREATED, not {0}")]
    NotCreated(EventType),
    /// A request for a new shipment that expects events before it.
    #[error("a new shipment has no events yet: expect seq 0")]
    NewShipmentSeq,
}

impl Refusal {
    /// The refusal of `actor` appending `event` to shipment `id`, for `why`.
    fn of_step(id: ShipmentId, actor: Actor, event: EventType, why: Reason) -> Refusal {
        match why {
            Reason::Terminal { state } | Reason::WrongState { state } => {
                Refusal::TransitionNotAllowed {
                    id,
                    state,
                    actor,
                    event,
                }
            }
            Reason::WrongRole { .. } | Reason::NextStepForOthers { .. } => {
                Refusal::RoleNotPermitted {
                    id: Some(id),
                    actor,
                    event,
                }
            }
        }
    }
}

/// Checks an append to an existing shipment (`head`) or a new one (`None`).
pub fn check_append(
    id: Option<ShipmentId>,
    head: Option<&ShipmentHead>,
    event: EventType,
    actor: Actor,
    payload: &Map<String, Value>,
    expected_seq: Option<u32>,
) -> Result<(), Refusal> {
    match (id, head) {
        (Some(id), None) => return Err(Refusal::UnknownShipment(id)),
        (Some(id), Some(head)) => {
            if let Some(expected) = expected_seq
                && expected != head.seq
            {
                return Err(Refusal::Conflict {
                    id,
                    expected_seq: expected,
                    head: head.clone(),
                });
            }
            explain(actor, head.state, event)
                .map_err(|why| Refusal::of_step(id, actor, event, why))?;
        }
        (None, _) => {
            if event != EventType::Created {
                return Err(Refusal::NotCreated(event));
            }
            if expected_seq.is_some_and(|s| s != 0) {
                return Err(Refusal::NewShipmentSeq);
            }
            explain_role(actor, event).map_err(|_| Refusal::RoleNotPermitted {
                id: None,
                actor,
                event,
            })?;
        }
    }
    payload::validate(event, id.is_none(), payload).map_err(Refusal::InvalidPayload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventType::*;

    #[test]
    fn explain_names_the_first_reason() {
        assert_eq!(
            explain(Actor::Customer, Delivered, Cancelled),
            Err(Reason::Terminal { state: Delivered })
        );
        assert_eq!(
            explain(Actor::Warehouse, Created, HoldForReview),
            Err(Reason::WrongRole {
                event: HoldForReview
            })
        );
        assert_eq!(
            explain(Actor::SenderManager, ReceiverAcknowledged, Cancelled),
            Err(Reason::WrongState {
                state: ReceiverAcknowledged
            })
        );
        assert_eq!(
            explain(Actor::SenderManager, Created, ManagerApproved),
            Ok(())
        );
    }

    #[test]
    fn reasons_read_as_the_action_bar_shows_them() {
        let text = |r: Result<(), Reason>| r.unwrap_err().to_string();
        assert_eq!(
            text(explain(Actor::Sender, Delivered, HoldForReview)),
            "DELIVERED is terminal"
        );
        assert_eq!(
            text(explain(Actor::Sender, Created, HoldForReview)),
            "wrong role: SENDER_MANAGER/SENDER_SUPERVISOR only"
        );
        assert_eq!(
            text(explain(Actor::Sender, WarehouseIntake, Cancelled)),
            "wrong state: not allowed after WAREHOUSE_INTAKE"
        );
        assert_eq!(
            primary(Actor::Warehouse, ManagerApproved)
                .unwrap_err()
                .to_string(),
            "wrong role: next step SUPERVISOR_APPROVED is for SENDER_SUPERVISOR"
        );
    }

    #[test]
    fn the_store_and_the_action_bar_agree() {
        for state in [
            Created,
            InTransit,
            WarehouseIntake,
            OverrideApplied,
            Delivered,
        ] {
            for event in [HoldForReview, OverrideApplied, Cancelled, ManagerApproved] {
                for &actor in Actor::ALL {
                    let id = ShipmentId::new(1).unwrap();
                    let head = ShipmentHead {
                        state,
                        seq: 1,
                        actor: Actor::Sender,
                        operator: None,
                        at: Timestamp::now_millis(),
                    };
                    let mut payload = Map::new();
                    payload.insert("reason".into(), Value::from("r"));
                    let store = check_append(Some(id), Some(&head), event, actor, &payload, None);
                    let by_store = match store {
                        Err(Refusal::TransitionNotAllowed { .. }) => "state",
                        Err(Refusal::RoleNotPermitted { .. }) => "role",
                        _ => "allowed",
                    };
                    let by_bar = match explain(actor, state, event) {
                        Err(Reason::Terminal { .. } | Reason::WrongState { .. }) => "state",
                        Err(Reason::WrongRole { .. } | Reason::NextStepForOthers { .. }) => "role",
                        Ok(()) => "allowed",
                    };
                    assert_eq!(by_store, by_bar, "{actor} {event} after {state}");
                }
            }
        }
    }
}

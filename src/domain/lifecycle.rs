//! The lifecycle tables of docs/FORMAT.md ("The lifecycle"), kept exact: which event may
//! follow which state, and which roles may append which event.

use super::{Actor, EventType};
use EventType::*;

/// The standard flow, in order.
pub const STANDARD_FLOW: [EventType; 8] = [
    Created,
    ManagerApproved,
    SupervisorApproved,
    InTransit,
    ReceiverAcknowledged,
    WarehouseIntake,
    OutForDelivery,
    Delivered,
];

/// Events allowed after `current` (`None`: the shipment does not exist yet).
pub fn allowed_next(current: Option<EventType>) -> &'static [EventType] {
    match current {
        None => &[Created],
        Some(Created) => &[ManagerApproved, OverrideApplied, HoldForReview, Cancelled],
        Some(ManagerApproved) => &[
            SupervisorApproved,
            OverrideApplied,
            HoldForReview,
            Cancelled,
        ],
        Some(SupervisorApproved) => &[InTransit, OverrideApplied, HoldForReview, Cancelled],
        Some(InTransit) => &[
            ReceiverAcknowledged,
            OverrideApplied,
            HoldForReview,
            Cancelled,
        ],
        Some(ReceiverAcknowledged) => &[WarehouseIntake, OverrideApplied, HoldForReview],
        Some(WarehouseIntake) => &[OutForDelivery, OverrideApplied, HoldForReview],
        Some(OutForDelivery) => &[Delivered, OverrideApplied, HoldForReview, Cancelled],
        Some(OverrideApplied) => &[ManagerApproved, HoldForReview, Cancelled, Created],
        Some(HoldForReview) => &[ManagerApproved, OverrideApplied, Cancelled, Created],
        Some(Delivered) | Some(Cancelled) => &[],
    }
}

pub fn is_allowed(current: Option<EventType>, next: EventType) -> bool {
    allowed_next(current).contains(&next)
}

pub fn is_terminal(state: EventType) -> bool {
    allowed_next(Some(state)).is_empty()
}

/// Roles that may append `event`.
pub fn permitted_actors(event: EventType) -> &'static [Actor] {
    use Actor::*;
    match event {
        Created => &[Sender],
        ManagerApproved | OverrideApplied => &[SenderManager],
        SupervisorApproved => &[SenderSupervisor],
        HoldForReview => &[SenderManager, SenderSupervisor],
        InTransit => &[System, Carrier],
        ReceiverAcknowledged => &[Receiver],
        WarehouseIntake | OutForDelivery => &[Warehouse],
        Delivered => &[Customer],
        Cancelled => Actor::ALL,
    }
}

pub fn may_append(actor: Actor, event: EventType) -> bool {
    permitted_actors(event).contains(&actor)
}

/// The next standard-flow event from `state`: what "advance" means. After a
/// hold or an override the flow resumes at manager approval.
pub fn standard_next(state: EventType) -> Option<EventType> {
    match state {
        OverrideApplied | HoldForReview => Some(ManagerApproved),
        _ => STANDARD_FLOW
            .iter()
            .position(|&e| e == state)
            .and_then(|i| STANDARD_FLOW.get(i + 1).copied()),
    }
}

/// Why a role has no primary action on a shipment in `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAction {
    Terminal,
    /// The next standard step belongs to other roles.
    OtherRole(EventType),
}

/// The one-key action for `role` on a shipment in `state`: the next
/// standard-flow event if the role may append it. A SENDER facing a hold or
/// an override resubmits (CREATED).
pub fn primary_action(role: Actor, state: EventType) -> Result<EventType, NoAction> {
    let next = standard_next(state).ok_or(NoAction::Terminal)?;
    if may_append(role, next) {
        return Ok(next);
    }
    if role == Actor::Sender && matches!(state, OverrideApplied | HoldForReview) {
        return Ok(Created);
    }
    Err(NoAction::OtherRole(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_flow_is_a_path_through_the_table() {
        let mut state = None;
        for step in STANDARD_FLOW {
            assert!(is_allowed(state, step), "{state:?} -> {step}");
            state = Some(step);
        }
        assert!(is_terminal(Delivered) && is_terminal(Cancelled));
    }

    #[test]
    fn primary_action_follows_role_and_state() {
        assert_eq!(
            primary_action(Actor::SenderManager, Created),
            Ok(ManagerApproved)
        );
        assert_eq!(
            primary_action(Actor::Carrier, SupervisorApproved),
            Ok(InTransit)
        );
        assert_eq!(primary_action(Actor::Sender, HoldForReview), Ok(Created));
        assert_eq!(
            primary_action(Actor::Warehouse, Created),
            Err(NoAction::OtherRole(ManagerApproved))
        );
        assert_eq!(
            primary_action(Actor::Customer, Delivered),
            Err(NoAction::Terminal)
        );
    }
}

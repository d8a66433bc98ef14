//! docs/FORMAT.md, "the lifecycle", copied by hand: the events, the roles,
//! which event may follow which state, and who may append it. Not taken
//! from `src/domain/lifecycle.rs`, so the two are checked against each other.

pub const EVENTS: [&str; 11] = [
    "CREATED",
    "MANAGER_APPROVED",
    "SUPERVISOR_APPROVED",
    "IN_TRANSIT",
    "RECEIVER_ACKNOWLEDGED",
    "WAREHOUSE_INTAKE",
    "OUT_FOR_DELIVERY",
    "DELIVERED",
    "OVERRIDE_APPLIED",
    "HOLD_FOR_REVIEW",
    "CANCELLED",
];

pub const ACTORS: [&str; 8] = [
    "SENDER",
    "SENDER_MANAGER",
    "SENDER_SUPERVISOR",
    "SYSTEM",
    "CARRIER",
    "RECEIVER",
    "WAREHOUSE",
    "CUSTOMER",
];

/// The standard flow after CREATED, with the actor the seed's demo uses.
pub const STANDARD_STEPS: [(&str, &str); 7] = [
    ("MANAGER_APPROVED", "SENDER_MANAGER"),
    ("SUPERVISOR_APPROVED", "SENDER_SUPERVISOR"),
    ("IN_TRANSIT", "SYSTEM"),
    ("RECEIVER_ACKNOWLEDGED", "RECEIVER"),
    ("WAREHOUSE_INTAKE", "WAREHOUSE"),
    ("OUT_FOR_DELIVERY", "WAREHOUSE"),
    ("DELIVERED", "CUSTOMER"),
];

/// docs/FORMAT.md, "the lifecycle": allowed next events, copied by hand.
pub fn allowed_next(state: &str) -> &'static [&'static str] {
    match state {
        "CREATED" => &[
            "MANAGER_APPROVED",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "MANAGER_APPROVED" => &[
            "SUPERVISOR_APPROVED",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "SUPERVISOR_APPROVED" => &[
            "IN_TRANSIT",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "IN_TRANSIT" => &[
            "RECEIVER_ACKNOWLEDGED",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "RECEIVER_ACKNOWLEDGED" => &["WAREHOUSE_INTAKE", "OVERRIDE_APPLIED", "HOLD_FOR_REVIEW"],
        "WAREHOUSE_INTAKE" => &["OUT_FOR_DELIVERY", "OVERRIDE_APPLIED", "HOLD_FOR_REVIEW"],
        "OUT_FOR_DELIVERY" => &[
            "DELIVERED",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "OVERRIDE_APPLIED" => &[
            "MANAGER_APPROVED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
            "CREATED",
        ],
        "HOLD_FOR_REVIEW" => &[
            "MANAGER_APPROVED",
            "OVERRIDE_APPLIED",
            "CANCELLED",
            "CREATED",
        ],
        "DELIVERED" | "CANCELLED" => &[],
        other => panic!("not a state: {other}"),
    }
}

/// docs/FORMAT.md, "the lifecycle": the events written only with a
/// non-empty `reason`.
pub fn needs_reason(event: &str) -> bool {
    matches!(
        event.to_ascii_uppercase().as_str(),
        "HOLD_FOR_REVIEW" | "OVERRIDE_APPLIED" | "CANCELLED"
    )
}

/// docs/FORMAT.md, "the lifecycle": who may append which event, copied by
/// hand.
pub fn permitted_actors(event: &str) -> &'static [&'static str] {
    match event {
        "CREATED" => &["SENDER"],
        "MANAGER_APPROVED" | "OVERRIDE_APPLIED" => &["SENDER_MANAGER"],
        "SUPERVISOR_APPROVED" => &["SENDER_SUPERVISOR"],
        "HOLD_FOR_REVIEW" => &["SENDER_MANAGER", "SENDER_SUPERVISOR"],
        "IN_TRANSIT" => &["SYSTEM", "CARRIER"],
        "RECEIVER_ACKNOWLEDGED" => &["RECEIVER"],
        "WAREHOUSE_INTAKE" | "OUT_FOR_DELIVERY" => &["WAREHOUSE"],
        "DELIVERED" => &["CUSTOMER"],
        "CANCELLED" => &ACTORS,
        other => panic!("not an event: {other}"),
    }
}

/// The next standard-flow step from `state` and the role that takes it;
/// `None` at the end of the flow (DELIVERED, CANCELLED). A held or
/// overridden shipment goes back to the manager's approval.
pub fn standard_step(state: &str) -> Option<(&'static str, &'static str)> {
    let next = match state {
        "CREATED" | "OVERRIDE_APPLIED" | "HOLD_FOR_REVIEW" => 0,
        _ => STANDARD_STEPS.iter().position(|(e, _)| *e == state)? + 1,
    };
    STANDARD_STEPS.get(next).copied()
}

/// The standard path (after CREATED) to `state`, plus other ways to reach
/// states, as `(event, actor)` steps.
pub fn path_to(state: &str) -> Vec<(&'static str, &'static str)> {
    match state {
        "CREATED" => vec![],
        "OVERRIDE_APPLIED" => vec![("OVERRIDE_APPLIED", "SENDER_MANAGER")],
        "HOLD_FOR_REVIEW" => vec![("HOLD_FOR_REVIEW", "SENDER_SUPERVISOR")],
        "CANCELLED" => vec![("CANCELLED", "SENDER")],
        _ => {
            let n = STANDARD_STEPS
                .iter()
                .position(|(e, _)| *e == state)
                .unwrap_or_else(|| panic!("no path to {state}"));
            STANDARD_STEPS[..=n].to_vec()
        }
    }
}

/// `payload` plus a `reason` when `event` is one that must say why
/// (docs/FORMAT.md, "the lifecycle").
pub fn with_reason(
    event: control_tower::domain::EventType,
    mut payload: serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    if needs_reason(event.as_str()) && !payload.contains_key("reason") {
        payload.insert("reason".into(), "given by the test".into());
    }
    payload
}

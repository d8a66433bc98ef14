//! What needs attention at a moment (`now`: the clock, or the moment
//! time travel shows): which unfinished shipments are late (past their
//! delivery type's service level) or stuck (no event for too long), and
//! which are on hold; and a role's queue (the shipments whose next
//! standard step is the role's). A shipment delivered late is not listed
//! (it counts in the lead-time figures); DELIVERED and CANCELLED never
//! are.

use crate::domain::lifecycle::{is_terminal, primary_action};
use crate::domain::{Actor, EventType, ShipmentId, Timestamp};
use crate::read::projection::{Projection, ShipmentSummary};

use super::levels::{ServiceLevels, duration_text};

/// Late and stuck, as of a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// How far past its service level (ms), if late.
    pub late_by: Option<i64>,
    /// How long without an event (ms), if stuck.
    pub stuck_for: Option<i64>,
}

impl Flags {
    /// The table's marker: `LATE`, `STUCK`, both, or nothing.
    pub fn marker(&self) -> &'static str {
        match (self.late_by.is_some(), self.stuck_for.is_some()) {
            (true, true) => "LATE+STUCK",
            (true, false) => "LATE",
            (false, true) => "STUCK",
            (false, false) => "",
        }
    }
}

fn millis(t: Timestamp) -> i64 {
    t.instant().timestamp_millis()
}

/// Whether `s` is late or stuck at `now`.
pub fn classify(s: &ShipmentSummary, levels: &ServiceLevels, now: Timestamp) -> Flags {
    if is_terminal(s.state) {
        return Flags::default();
    }
    let now = millis(now);
    let late_by = levels
        .limit_ms(&s.details.delivery_type)
        .map(|limit| now - millis(s.created_at) - limit)
        .filter(|&by| by > 0);
    let idle = now - millis(s.last_updated);
    Flags {
        late_by,
        stuck_for: (idle > levels.stuck_after_ms).then_some(idle),
    }
}

/// How many shipments are late, stuck and on hold at `now`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub late: u64,
    pub stuck: u64,
    pub on_hold: u64,
}

pub fn counts(projection: &Projection, levels: &ServiceLevels, now: Timestamp) -> Counts {
    let mut counts = Counts::default();
    for s in projection.shipments() {
        let flags = classify(s, levels, now);
        counts.late += u64::from(flags.late_by.is_some());
        counts.stuck += u64::from(flags.stuck_for.is_some());
        counts.on_hold += u64::from(s.state == EventType::HoldForReview);
    }
    counts
}

/// Why a shipment is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    Late {
        by_ms: i64,
        kind: String,
        limit_ms: i64,
    },
    Stuck {
        for_ms: i64,
        state: EventType,
    },
    /// On hold, with the hold's reason when it was read (`with_reasons`).
    OnHold(Option<String>),
}

impl Why {
    /// `LATE by 3h12m (EXPRESS 48h)`, `STUCK 7h in IN_TRANSIT`, `ON HOLD`.
    pub fn text(&self) -> String {
        match self {
            Why::Late {
                by_ms,
                kind,
                limit_ms,
            } => format!(
                "LATE by {} ({kind} {})",
                duration_text(*by_ms),
                limit_text(*limit_ms)
            ),
            Why::Stuck { for_ms, state } => {
                format!("STUCK {} in {state}", duration_text(*for_ms))
            }
            Why::OnHold(Some(reason)) => format!("ON HOLD: {reason}"),
            Why::OnHold(None) => "ON HOLD".into(),
        }
    }
}

/// A service level in hours when it is whole hours (`48h`, not `2d`).
fn limit_text(ms: i64) -> String {
    if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else {
        duration_text(ms)
    }
}

/// One shipment of the attention list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    pub id: ShipmentId,
    pub state: EventType,
    pub why: Vec<Why>,
    /// How far past its limits (ms): the larger of late-by and stuck
    /// beyond the stuck limit; negative for a hold that is neither.
    pub overdue_ms: i64,
}

/// Every unfinished shipment that is late, stuck or on hold at `now`,
/// most overdue first (then by ID).
pub fn attention_list(
    projection: &Projection,
    levels: &ServiceLevels,
    now: Timestamp,
) -> Vec<Attention> {
    let mut list: Vec<Attention> = projection
        .shipments()
        .iter()
        .filter_map(|s| {
            let flags = classify(s, levels, now);
            let hold = s.state == EventType::HoldForReview;
            if flags == Flags::default() && !hold {
                return None;
            }
            let mut why = Vec::new();
            if let (Some(by_ms), Some(limit_ms)) =
                (flags.late_by, levels.limit_ms(&s.details.delivery_type))
            {
                why.push(Why::Late {
                    by_ms,
                    kind: s.details.delivery_type.to_string(),
                    limit_ms,
                });
            }
            if let Some(for_ms) = flags.stuck_for {
                why.push(Why::Stuck {
                    for_ms,
                    state: s.state,
                });
            }
            if hold {
                why.push(Why::OnHold(None));
            }
            let idle = millis(now) - millis(s.last_updated);
            let overdue_ms = flags
                .late_by
                .unwrap_or(i64::MIN)
                .max(idle - levels.stuck_after_ms);
            Some(Attention {
                id: s.id,
                state: s.state,
                why,
                overdue_ms,
            })
        })
        .collect();
    list.sort_by(|a, b| b.overdue_ms.cmp(&a.overdue_ms).then(a.id.cmp(&b.id)));
    list
}

/// Fills in the reasons of the holds among the first `first` entries
/// (`reason_of` reads a shipment's last event: only those shown).
pub fn with_reasons(
    list: &mut [Attention],
    first: usize,
    mut reason_of: impl FnMut(ShipmentId) -> Option<String>,
) {
    for entry in list.iter_mut().take(first) {
        for why in &mut entry.why {
            if let Why::OnHold(reason @ None) = why {
                *reason = reason_of(entry.id);
            }
        }
    }
}

/// One shipment waiting for a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub id: ShipmentId,
    pub state: EventType,
    /// The event the role's `a` appends.
    pub next: EventType,
    pub waited_ms: i64,
}

/// The shipments whose next standard step `role` may append, oldest
/// waiting first (then by ID).
pub fn queue(projection: &Projection, role: Actor, now: Timestamp) -> Vec<Waiting> {
    let mut list: Vec<Waiting> = projection
        .shipments()
        .iter()
        .filter_map(|s| {
            let next = primary_action(role, s.state).ok()?;
            Some(Waiting {
                id: s.id,
                state: s.state,
                next,
                waited_ms: millis(now) - millis(s.last_updated),
            })
        })
        .collect();
    list.sort_by(|a, b| b.waited_ms.cmp(&a.waited_ms).then(a.id.cmp(&b.id)));
    list
}

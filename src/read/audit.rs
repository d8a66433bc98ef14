//! The audit report (`get_audit_report` of the seed): tower-wide figures
//! and the integrity verdict, with the seed's field names.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{Actor, EventType, Timestamp};
use crate::read::projection::Projection;
use crate::read::pulse::PulseFigures;
use crate::read::pulse::levels::ServiceLevels;
use crate::read::verify::VerifyReport;

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub total_events: u64,
    pub total_shipments: usize,
    pub event_type_distribution: BTreeMap<EventType, u64>,
    pub actor_distribution: BTreeMap<Actor, u64>,
    pub current_state_distribution: BTreeMap<EventType, u64>,
    /// `VALID` or `CORRUPTED`.
    pub log_integrity: &'static str,
    /// `EMPTY` for a log with no events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<&'static str>,
    pub integrity_errors: Vec<String>,
    pub first_event_time: Option<Timestamp>,
    pub last_event_time: Option<Timestamp>,
    pub warnings: Vec<String>,
    /// SHA-256 of the last well-formed line: with `total_events`, lets an
    /// auditor later check that this exact prefix is still there.
    pub head_hash: String,
    /// The service levels the figures below were measured against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_levels: Option<ServiceLevels>,
    /// The pulse figures (the dashboard's `p`) at the moment of the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulse: Option<PulseFigures>,
}

impl AuditReport {
    pub fn new(projection: &Projection, verify: VerifyReport) -> Self {
        let nonzero = |count: u64| count > 0;
        AuditReport {
            total_events: projection.total_events(),
            total_shipments: projection.total_shipments(),
            event_type_distribution: EventType::ALL
                .iter()
                .map(|&e| (e, projection.event_type_count(e)))
                .filter(|&(_, n)| nonzero(n))
                .collect(),
            actor_distribution: Actor::ALL
                .iter()
                .map(|&a| (a, projection.actor_count(a)))
                .filter(|&(_, n)| nonzero(n))
                .collect(),
            current_state_distribution: EventType::ALL
                .iter()
                .map(|&e| (e, projection.state_count(e)))
                .filter(|&(_, n)| nonzero(n))
                .collect(),
            log_integrity: verify.log_integrity,
            health: (projection.total_events() == 0).then_some("EMPTY"),
            integrity_errors: verify.errors.iter().map(|f| f.message.clone()).collect(),
            first_event_time: projection.first_event_time(),
            last_event_time: projection.last_event_time(),
            warnings: verify.warnings.iter().map(|f| f.message.clone()).collect(),
            head_hash: verify.head_hash,
            service_levels: None,
            pulse: None,
        }
    }

    /// Adds the pulse figures (`read::pulse::figures`, against `levels`).
    pub fn with_figures(mut self, levels: ServiceLevels, pulse: PulseFigures) -> Self {
        self.pulse = Some(pulse);
        self.service_levels = Some(levels);
        self
    }
}

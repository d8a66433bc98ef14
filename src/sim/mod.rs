//! The traffic simulator: interleaved shipments moving through realistic
//! lifecycles (mostly the standard flow; some holds, overrides,
//! resubmissions and cancellations; Indian city pairs). Every event goes
//! through the store like any other write, with the seq it last saw.

use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::domain::payload::created_payload;
use crate::domain::{Actor, EventType, ShipmentId, lifecycle};
use crate::error::{Error, Result};
use crate::store::{AppendRequest, Appended, EventStore};

pub const CITIES: [&str; 16] = [
    "Mumbai, Maharashtra",
    "Delhi, Delhi",
    "Bengaluru, Karnataka",
    "Chennai, Tamil Nadu",
    "Kolkata, West Bengal",
    "Hyderabad, Telangana",
    "Pune, Maharashtra",
    "Ahmedabad, Gujarat",
    "Jaipur, Rajasthan",
    "Lucknow, Uttar Pradesh",
    "Kochi, Kerala",
    "Bhopal, Madhya Pradesh",
    "Patna, Bihar",
    "Guwahati, Assam",
    "Chandigarh, Punjab",
    "Visakhapatnam, Andhra Pradesh",
];

const PEOPLE: [&str; 8] = [
    "Asha", "Ravi", "Meera", "Kiran", "Arjun", "Divya", "Sanjay", "Priya",
];

/// A small, fast, seedable generator (SplitMix64): runs repeat exactly.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub fn seed_from_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(42, |d| d.as_nanos() as u64)
}

#[derive(Debug, Clone)]
pub struct SimulationConfig {
    /// Stop after this many shipments reached a final state (`None`: run forever).
    pub shipments: Option<u64>,
    /// Events per second; 0 means as fast as possible.
    pub rate: f64,
    pub seed: u64,
    /// How many shipments are in flight at once.
    pub in_flight: usize,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        SimulationConfig {
            shipments: None,
            rate: 5.0,
            seed: 42,
            in_flight: 12,
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SimulationStats {
    pub events: u64,
    pub created: u64,
    pub conflicts: u64,
}

#[derive(Debug, Clone)]
struct InFlight {
    id: ShipmentId,
    state: EventType,
    seq: u32,
    detours: u32,
}

pub struct Simulation {
    config: SimulationConfig,
    rng: Rng,
    in_flight: Vec<InFlight>,
    stats: SimulationStats,
}

impl Simulation {
    pub fn new(config: SimulationConfig) -> Self {
        Simulation {
            rng: Rng::new(config.seed),
            config,
            in_flight: Vec::new(),
            stats: SimulationStats::default(),
        }
    }

    /// Runs until done (or forever); `on_event` sees each appended event and
    /// returns false to stop.
    pub fn run(
        &mut self,
        store: &mut dyn EventStore,
        mut on_event: impl FnMut(&Appended) -> bool,
    ) -> Result<SimulationStats> {
        let interval =
            (self.config.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / self.config.rate));
        let mut next_due = Instant::now();
        loop {
            let Some(request) = self.next_request() else {
                return Ok(self.stats);
            };
            if let Some(interval) = interval {
                let now = Instant::now();
                if next_due > now {
                    thread::sleep(next_due - now);
                }
                next_due = next_due.max(now - interval) + interval;
            }
            match store.append_request(&request) {
                Ok(appended) => {
                    self.record(&appended);
                    if !on_event(&appended) {
                        return Ok(self.stats);
                    }
                }
                Err(Error::Conflict {
                    id,
                    current_seq,
                    state,
                    ..
                }) => {
                    // Another writer moved it: carry on from where it is now.
                    self.stats.conflicts += 1;
                    self.update(id, state, current_seq);
                }
                // The log was rewritten under us: the store re-reads it on
                // the next append, and shipments that are gone drop out then.
                Err(Error::LogChanged { .. }) => self.stats.conflicts += 1,
                Err(Error::TransitionNotAllowed { id, .. }) | Err(Error::UnknownShipment(id)) => {
                    self.in_flight.retain(|s| s.id != id);
                }
                Err(other) => return Err(other),
            }
        }
    }

    fn update(&mut self, id: ShipmentId, state: EventType, seq: u32) {
        if let Some(s) = self.in_flight.iter_mut().find(|s| s.id == id) {
            s.state = state;
            s.seq = seq;
        }
        self.in_flight.retain(|s| !lifecycle::is_terminal(s.state));
    }

    fn record(&mut self, appended: &Appended) {
        let e = &appended.event;
        self.stats.events += 1;
        if e.event_seq == 1 {
            self.stats.created += 1;
            self.in_flight.push(InFlight {
                id: e.shipment_id,
                state: e.event_type,
                seq: 1,
                detours: 0,
            });
        } else {
            if let Some(s) = self.in_flight.iter_mut().find(|s| s.id == e.shipment_id)
                && matches!(
                    e.event_type,
                    EventType::HoldForReview | EventType::OverrideApplied | EventType::Created
                )
            {
                s.detours += 1;
            }
            self.update(e.shipment_id, e.event_type, e.event_seq);
        }
    }

    fn creating_allowed(&self) -> bool {
        self.config.shipments.is_none_or(|n| self.stats.created < n)
    }

    fn next_request(&mut self) -> Option<AppendRequest> {
        let want_new = self.creating_allowed()
            && (self.in_flight.len() < self.config.in_flight.min(2)
                || (self.in_flight.len() < self.config.in_flight && self.rng.chance(30)));
        if want_new || (self.in_flight.is_empty() && self.creating_allowed()) {
            return Some(self.new_shipment());
        }
        if self.in_flight.is_empty() {
            return None;
        }
        let i = self.rng.below(self.in_flight.len() as u64) as usize;
        let s = self.in_flight[i].clone();
        let (event, actor, payload) = self.next_step(&s);
        Some(AppendRequest::advance(s.id, event, actor, payload).expecting_seq(s.seq))
    }

    fn new_shipment(&mut self) -> AppendRequest {
        let from = self.rng.below(CITIES.len() as u64) as usize;
        let to = (from + 1 + self.rng.below(CITIES.len() as u64 - 1) as usize) % CITIES.len();
        let weight = (1 + self.rng.below(50_000)) as f64 / 10.0;
        let delivery = *self
            .rng
            .pick(&["STANDARD", "STANDARD", "EXPRESS", "SAME_DAY"]);
        let mut extra = Map::new();
        extra.insert(
            "priority".into(),
            Value::from(*self.rng.pick(&["low", "normal", "normal", "high"])),
        );
        AppendRequest::create(created_payload(
            CITIES[from],
            CITIES[to],
            weight,
            delivery,
            extra,
        ))
    }

    fn payload(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    /// A plausible next event for a shipment in flight. The dice (`r`, a
    /// person) are rolled before looking at the state, whatever the state
    /// needs, so a seed replays the same run.
    fn next_step(&mut self, s: &InFlight) -> Step {
        use EventType::*;
        let detour_ok = s.detours < 2;
        let r = self.rng.below(100);
        let person = *self.rng.pick(&PEOPLE);
        match s.state {
            Created | ManagerApproved => approval_step(s.state, detour_ok, r),
            SupervisorApproved | InTransit | ReceiverAcknowledged | WarehouseIntake
            | OutForDelivery => self.transport_step(s.state, detour_ok, r, person),
            OverrideApplied | HoldForReview => review_step(s.state, r),
            Delivered | Cancelled => (Cancelled, Actor::Sender, Map::new()), // never in flight
        }
    }

    /// From supervisor approval to the door: dispatch (by the system or a
    /// carrier, on a vehicle), transit, receipt, warehouse, delivery; now
    /// and then a customs hold or a cancellation.
    fn transport_step(&mut self, state: EventType, detour_ok: bool, r: u64, person: &str) -> Step {
        use EventType::*;
        let p = Self::payload;
        match state {
            SupervisorApproved if r < 3 => (
                Cancelled,
                Actor::SenderSupervisor,
                p(json!({"reason": "no carrier capacity"})),
            ),
            SupervisorApproved => {
                let actor = if r < 50 {
                    Actor::System
                } else {
                    Actor::Carrier
                };
                let vehicle = format!("TRK-{:04}", 1000 + self.rng.below(9000));
                (InTransit, actor, p(json!({"vehicle": vehicle})))
            }
            InTransit if detour_ok && r < 3 => (
                HoldForReview,
                Actor::SenderManager,
                p(json!({"reason": "customs inspection"})),
            ),
            InTransit => (
                ReceiverAcknowledged,
                Actor::Receiver,
                p(json!({"received_by": person})),
            ),
            ReceiverAcknowledged => {
                let warehouse = format!("WH-{:02}", 1 + self.rng.below(40));
                (
                    WarehouseIntake,
                    Actor::Warehouse,
                    p(json!({"warehouse": warehouse})),
                )
            }
            WarehouseIntake => (
                OutForDelivery,
                Actor::Warehouse,
                p(json!({"courier": person})),
            ),
            OutForDelivery if r < 4 => (
                Cancelled,
                Actor::Customer,
                p(json!({"reason": "refused at the door"})),
            ),
            OutForDelivery => (Delivered, Actor::Customer, p(json!({"signed_by": person}))),
            other => unreachable!("{other} is not a transport state"),
        }
    }
}

/// An event to append: its type, who appends it, its payload.
type Step = (EventType, Actor, Map<String, Value>);

/// The sender's approvals: a new shipment goes to the manager, an approved
/// one to the supervisor; either may be held, overridden or cancelled.
fn approval_step(state: EventType, detour_ok: bool, r: u64) -> Step {
    use EventType::*;
    let p = Simulation::payload;
    match state {
        Created if detour_ok && r < 5 => (
            HoldForReview,
            Actor::SenderManager,
            p(json!({"reason": "documents missing"})),
        ),
        Created if detour_ok && r < 10 => (
            OverrideApplied,
            Actor::SenderManager,
            p(json!({"reason": "priority customer"})),
        ),
        Created if r < 13 => (
            Cancelled,
            Actor::Sender,
            p(json!({"reason": "customer withdrew order"})),
        ),
        Created => (
            ManagerApproved,
            Actor::SenderManager,
            p(json!({"approval_type": "manual"})),
        ),
        ManagerApproved if detour_ok && r < 5 => (
            HoldForReview,
            Actor::SenderSupervisor,
            p(json!({"reason": "weight mismatch"})),
        ),
        ManagerApproved if r < 8 => (
            Cancelled,
            Actor::SenderManager,
            p(json!({"reason": "budget withdrawn"})),
        ),
        ManagerApproved => (
            SupervisorApproved,
            Actor::SenderSupervisor,
            p(json!({"approval_type": "supervisor"})),
        ),
        other => unreachable!("{other} is not an approval state"),
    }
}

/// Out of a hold or an override: resubmitted, cancelled, or approved
/// after review.
fn review_step(state: EventType, r: u64) -> Step {
    use EventType::*;
    let p = Simulation::payload;
    match state {
        HoldForReview if r < 25 => (
            Created,
            Actor::Sender,
            p(json!({"note": "documents corrected"})),
        ),
        HoldForReview if r < 35 => (
            Cancelled,
            Actor::SenderManager,
            p(json!({"reason": "review failed"})),
        ),
        OverrideApplied | HoldForReview => (
            ManagerApproved,
            Actor::SenderManager,
            p(json!({"approval_type": "after review"})),
        ),
        other => unreachable!("{other} is not a review state"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_repeatable() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn every_planned_step_is_allowed_for_its_actor() {
        let mut sim = Simulation::new(SimulationConfig::default());
        for state in EventType::ALL
            .iter()
            .copied()
            .filter(|s| !lifecycle::is_terminal(*s))
        {
            for _ in 0..200 {
                let s = InFlight {
                    id: ShipmentId::new(1).unwrap(),
                    state,
                    seq: 3,
                    detours: 0,
                };
                let (event, actor, _) = sim.next_step(&s);
                assert!(
                    lifecycle::is_allowed(Some(state), event),
                    "{state} -> {event}"
                );
                assert!(lifecycle::may_append(actor, event), "{actor} {event}");
            }
        }
    }
}

//! Logs with chosen timestamps: a chained event log (and its counter log)
//! written line by line from `Timed` steps, so that tests of the pulse
//! figures, service levels, the attention list and the queue know every
//! time. `attention_log` is one such log, relative to a given "now".

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use control_tower::domain::line::{
    GENESIS_HASH, NewLine, encode_counter_line, hash_hex, hash_line,
};
use control_tower::domain::{Actor, EventType, ShipmentId, Timestamp};
use serde_json::{Map, Value, json};

/// One event: shipment number, type, actor, when, payload.
pub struct Timed(
    pub u64,
    pub EventType,
    pub Actor,
    pub DateTime<Utc>,
    pub Value,
);

/// Writes `steps` (in time order) as the log of the data directory `dir`.
pub fn write_timed_log(dir: &Path, steps: &[Timed]) {
    let mut out = Vec::new();
    let mut counter = String::new();
    let mut last = GENESIS_HASH;
    let mut seqs = HashMap::new();
    for Timed(n, event, actor, at, payload) in steps {
        let ts = Timestamp::from_instant_millis(*at);
        let seq = seqs.entry(*n).and_modify(|s| *s += 1).or_insert(1u32);
        if *seq == 1 {
            counter.push_str(&encode_counter_line(*n, &ts));
        }
        let payload: Map<String, Value> = payload.as_object().cloned().unwrap_or_default();
        let line = NewLine {
            shipment_id: ShipmentId::new(*n).unwrap(),
            event_seq: *seq,
            event_type: *event,
            timestamp: ts,
            actor: *actor,
            payload: &payload,
            operator: "tester",
            prev_hash: hash_hex(&last),
        }
        .encode();
        last = hash_line(&line);
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    fs::write(dir.join("shipments.jsonl"), out).unwrap();
    fs::write(dir.join("shipment_counter.jsonl"), counter).unwrap();
}

pub fn parcel(kind: &str) -> Value {
    json!({"source": "Mumbai, Maharashtra", "destination": "Delhi, Delhi",
           "weight_kg": 5.0, "delivery_type": kind})
}

/// A log whose times, against `now` and the default service levels, make:
/// - SHP-1 EXPRESS, created 50 h ago, IN_TRANSIT for 7 h: LATE by 2h, STUCK 7h;
/// - SHP-2 SAME_DAY, created 13 h ago, still CREATED: LATE by 1h, STUCK 13h;
/// - SHP-3 STANDARD, MANAGER_APPROVED 1 h ago: fine (SENDER_SUPERVISOR's queue);
/// - SHP-4 STANDARD, on HOLD_FOR_REVIEW for 30 min ("weight check");
/// - SHP-5 EXPRESS, delivered in 25 h (5 h ago): lead time 25h, on time;
/// - SHP-6 SAME_DAY, delivered in 14 h (6 h ago): delivered late, not listed;
/// - SHP-7 STANDARD, CREATED 10 min ago (SENDER_MANAGER's queue);
/// - SHP-8 STANDARD, CREATED 40 min ago (SENDER_MANAGER's queue, first).
pub fn attention_log(dir: &Path, now: DateTime<Utc>) {
    use Actor::*;
    use EventType::*;
    let h = |hours: i64| now - Duration::hours(hours);
    let m = |minutes: i64| now - Duration::minutes(minutes);
    let none = json!({});
    let flow = [
        (ManagerApproved, SenderManager),
        (SupervisorApproved, SenderSupervisor),
        (InTransit, Carrier),
        (ReceiverAcknowledged, Receiver),
        (WarehouseIntake, Warehouse),
        (OutForDelivery, Warehouse),
        (Delivered, Customer),
    ];
    let mut steps = vec![
        Timed(1, Created, Sender, h(50), parcel("EXPRESS")),
        Timed(1, ManagerApproved, SenderManager, h(49), none.clone()),
        Timed(1, SupervisorApproved, SenderSupervisor, h(48), none.clone()),
        Timed(5, Created, Sender, h(30), parcel("EXPRESS")),
    ];
    // SHP-5: one step every 25/7 h, delivered 5 h ago.
    for (k, (event, actor)) in flow.iter().enumerate() {
        let at = h(30) + Duration::minutes(25 * 60 * (k as i64 + 1) / 7);
        steps.push(Timed(5, *event, *actor, at, none.clone()));
    }
    steps.push(Timed(6, Created, Sender, h(20), parcel("SAME_DAY")));
    for (k, (event, actor)) in flow.iter().enumerate() {
        let at = h(20) + Duration::hours(2 * (k as i64 + 1));
        steps.push(Timed(6, *event, *actor, at, none.clone()));
    }
    steps.extend([
        Timed(2, Created, Sender, h(13), parcel("SAME_DAY")),
        Timed(1, InTransit, Carrier, h(7), none.clone()),
        Timed(4, Created, Sender, h(3), parcel("STANDARD")),
        Timed(3, Created, Sender, h(2), parcel("STANDARD")),
        Timed(3, ManagerApproved, SenderManager, h(1), none.clone()),
        Timed(8, Created, Sender, m(40), parcel("STANDARD")),
        Timed(
            4,
            HoldForReview,
            SenderManager,
            m(30),
            json!({"reason": "weight check"}),
        ),
        Timed(7, Created, Sender, m(10), parcel("STANDARD")),
    ]);
    steps.sort_by_key(|t| t.3);
    write_timed_log(dir, &steps);
}

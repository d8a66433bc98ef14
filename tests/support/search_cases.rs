//! The search language's known answers: a hand-made log of five shipments
//! (vehicles, hold reasons, weights, operators, warehouses, fixed times)
//! and a table of queries with the exact IDs each must find. The same
//! table runs through `list --where` (the binary), the library function
//! and the dashboard's `/` filter; all three must agree with it.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use control_tower::domain::line::{
    GENESIS_HASH, NewLine, encode_counter_line, hash_hex, hash_line,
};
use control_tower::domain::{Actor, EventType, ShipmentId, Timestamp};
use serde_json::{Map, Value, json};

/// The first event's time; the last is `SEARCH_NOW`.
pub fn search_t0() -> DateTime<Utc> {
    "2026-01-19T10:00:00Z".parse().unwrap()
}

/// The last event's time: "now" for `age` and `idle` (the CLI runs with
/// `--as-of event:SEARCH_EVENTS`, whose moment is this).
pub const SEARCH_NOW: &str = "2026-01-21T14:00:00.000Z";
pub const SEARCH_EVENTS: usize = 22;

fn steps() -> Vec<(u64, EventType, Actor, i64, Value, &'static str)> {
    use Actor::*;
    use EventType::*;
    let created = |src: &str, dst: &str, kg: f64, kind: &str| json!({"source": src, "destination": dst, "weight_kg": kg, "delivery_type": kind});
    vec![
        (
            1,
            Created,
            Sender,
            0,
            created("Mumbai, Maharashtra", "Delhi, Delhi", 5.0, "EXPRESS"),
            "asha",
        ),
        (1, ManagerApproved, SenderManager, 30, json!({}), "ravi"),
        (
            1,
            SupervisorApproved,
            SenderSupervisor,
            60,
            json!({}),
            "ravi",
        ),
        (
            1,
            InTransit,
            Carrier,
            120,
            json!({"vehicle": "TRK-5916", "driver": "Om Prakash"}),
            "kiran",
        ),
        (1, ReceiverAcknowledged, Receiver, 300, json!({}), "kiran"),
        (
            1,
            WarehouseIntake,
            Warehouse,
            360,
            json!({"warehouse": "WH-03"}),
            "kiran",
        ),
        (1, OutForDelivery, Warehouse, 400, json!({}), "kiran"),
        (1, Delivered, Customer, 480, json!({}), "kiran"),
        (
            2,
            Created,
            Sender,
            1380,
            created(
                "Chennai, Tamil Nadu",
                "Kolkata, West Bengal",
                750.0,
                "STANDARD",
            ),
            "asha",
        ),
        (
            2,
            HoldForReview,
            SenderManager,
            1400,
            json!({"reason": "Weight check pending"}),
            "ravi",
        ),
        (
            3,
            Created,
            Sender,
            1740,
            created(
                "Pune, Maharashtra",
                "Mumbai, Maharashtra",
                1200.0,
                "SAME_DAY",
            ),
            "meera",
        ),
        (3, ManagerApproved, SenderManager, 1750, json!({}), "meera"),
        (
            3,
            SupervisorApproved,
            SenderSupervisor,
            1760,
            json!({}),
            "ravi",
        ),
        (
            3,
            InTransit,
            System,
            1800,
            json!({"vehicle": "TRK-1234", "temp_c": 4}),
            "meera",
        ),
        (
            4,
            Created,
            Sender,
            2760,
            created("Delhi, Delhi", "Jaipur, Rajasthan", 20.0, "EXPRESS"),
            "asha",
        ),
        (
            4,
            Cancelled,
            Sender,
            2770,
            json!({"reason": "customer request"}),
            "asha",
        ),
        (
            5,
            Created,
            Sender,
            2940,
            created(
                "Kolkata, West Bengal",
                "Mumbai, Maharashtra",
                300.0,
                "STANDARD",
            ),
            "asha",
        ),
        (5, ManagerApproved, SenderManager, 2950, json!({}), "ravi"),
        (
            5,
            SupervisorApproved,
            SenderSupervisor,
            2960,
            json!({}),
            "ravi",
        ),
        (
            5,
            InTransit,
            Carrier,
            3000,
            json!({"vehicle": "TRK-5917", "temp_c": 12}),
            "kiran",
        ),
        (5, ReceiverAcknowledged, Receiver, 3060, json!({}), "kiran"),
        (
            5,
            WarehouseIntake,
            Warehouse,
            3120,
            json!({"warehouse": "WH-07"}),
            "kiran",
        ),
    ]
}

/// Writes the log (chained, with its counter log) into `dir`.
pub fn write_search_log(dir: &Path) {
    let (mut out, mut counter) = (Vec::new(), String::new());
    let mut last = GENESIS_HASH;
    let mut seqs = std::collections::HashMap::new();
    for (n, event, actor, minutes, payload, operator) in steps() {
        let ts = Timestamp::from_instant_millis(search_t0() + Duration::minutes(minutes));
        let seq = seqs.entry(n).and_modify(|s| *s += 1).or_insert(1u32);
        if *seq == 1 {
            counter.push_str(&encode_counter_line(n, &ts));
        }
        let payload: Map<String, Value> = payload.as_object().cloned().unwrap();
        let line = NewLine {
            shipment_id: ShipmentId::new(n).unwrap(),
            event_seq: *seq,
            event_type: event,
            timestamp: ts,
            actor,
            payload: &payload,
            operator,
            prev_hash: hash_hex(&last),
        }
        .encode();
        last = hash_line(&line);
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    std::fs::write(dir.join("shipments.jsonl"), out).unwrap();
    std::fs::write(dir.join("shipment_counter.jsonl"), counter).unwrap();
}

/// (query, the shipment numbers it finds).
pub const SEARCH_CASES: &[(&str, &[u64])] = &[
    ("", &[1, 2, 3, 4, 5]),
    ("TRK-5916", &[1]),
    ("trk-59", &[1, 5]),
    ("vehicle:TRK-5916", &[1]),
    ("vehicle=trk-591", &[]),
    ("vehicle=TRK-5916", &[1]),
    ("-vehicle:trk", &[2, 4]),
    (r#"reason:"weight check""#, &[2]),
    (r#""weight check""#, &[2]),
    (r#""om prakash""#, &[1]),
    ("warehouse:WH-07", &[5]),
    ("mumbai", &[1, 3, 5]),
    ("-mumbai", &[2, 4]),
    ("-state:DELIVERED", &[2, 3, 4, 5]),
    ("state=in_transit", &[3]),
    (r#"state:"in transit""#, &[3]),
    ("actor:carrier", &[1, 5]),
    ("operator:meera", &[3]),
    ("kiran -state:delivered", &[5]),
    ("source:delhi", &[4]),
    ("destination:delhi", &[1]),
    ("type:express", &[1, 4]),
    ("type=SAME_DAY", &[3]),
    ("event:cancelled", &[4]),
    ("event:hold", &[2]),
    ("id:0000000003", &[3]),
    ("id=SHP-0000000004", &[4]),
    ("weight>500", &[2, 3]),
    ("weight_kg<=20", &[1, 4]),
    ("events>=5", &[1, 5]),
    ("temp_c>5", &[5]),
    ("temp_c<=4", &[3]),
    ("created<2026-01-20", &[1]),
    ("created<=2026-01-20", &[1, 2, 3]),
    ("created>2026-01-20", &[4, 5]),
    ("created>=2026-01-20", &[2, 3, 4, 5]),
    ("updated>=2026-01-21T11:00:00Z", &[5]),
    ("age>2d", &[1]),
    ("idle<1h", &[5]),
    ("idle>30m age<1d", &[3, 4]),
    ("ravi weight>500", &[2, 3]),
    ("colour:red", &[]),
];

/// The IDs of shipment numbers, as the CLI prints them.
pub fn search_ids(numbers: &[u64]) -> Vec<String> {
    numbers.iter().map(|n| format!("SHP-{n:010}")).collect()
}

/// Malformed queries and a part of what the error must say.
pub const SEARCH_ERRORS: &[(&str, &str)] = &[
    ("colour>3", "colour is not a number or time field"),
    ("source>3", "source is not a number or time field"),
    ("weight>abc", "\"abc\" is not a number"),
    ("created<yesterday", "is not a time"),
    ("age>soon", "is not a duration"),
    (r#"reason:"weight check"#, "never closed"),
    (":x", "empty field name"),
    ("a - b", "lone -"),
];

//! Power loss: the log cut at every byte offset of its last lines. Each cut
//! reads every whole event before it, flags the partial line as a torn write
//! (a warning: the log stays VALID), and the next appends continue the hash
//! chain and the shipment's sequence correctly.

use crate::support;
use std::fs;

use control_tower::domain::line::{hash_hex, hash_line};
use control_tower::domain::{Actor, EventType};
use control_tower::read::index::LogIndex;
use control_tower::read::verify::FindingKind;
use control_tower::store::{AppendRequest, EventStore, JsonlStore, LogPaths};
use serde_json::{Map, Value, json};

fn created() -> Map<String, Value> {
    json!({"source": "Chennai, Tamil Nadu", "destination": "Patna, Bihar", "weight_kg": 7.5, "delivery_type": "SAME_DAY"})
        .as_object()
        .cloned()
        .unwrap()
}

/// The hash of the last line of `bytes` that is a well-formed event.
fn last_event_hash(bytes: &[u8]) -> String {
    let line = bytes
        .split(|&b| b == b'\n')
        .rev()
        .find(|l| control_tower::domain::line::parse_line(l).is_ok())
        .unwrap();
    hash_hex(&hash_line(line))
}

const CUT_LINES: usize = 3;

#[test]
fn every_cut_of_the_last_lines_reads_flags_and_continues() {
    let tmp = tempfile::tempdir().unwrap();
    let source = LogPaths::new(tmp.path().join("source"));
    {
        let mut store = JsonlStore::open(&source, "writer").unwrap();
        let a = store
            .append_request(&AppendRequest::create(created()))
            .unwrap();
        let b = store
            .append_request(&AppendRequest::create(created()))
            .unwrap();
        for (id, event, actor) in [
            (
                a.event.shipment_id,
                EventType::ManagerApproved,
                Actor::SenderManager,
            ),
            (
                b.event.shipment_id,
                EventType::HoldForReview,
                Actor::SenderSupervisor,
            ),
            (
                a.event.shipment_id,
                EventType::SupervisorApproved,
                Actor::SenderSupervisor,
            ),
            (a.event.shipment_id, EventType::InTransit, Actor::System),
        ] {
            let mut payload = Map::new();
            payload.insert("note".into(), json!("ünïcödé ✓ multi-byte text"));
            store
                .append_request(&AppendRequest::advance(
                    id,
                    event,
                    actor,
                    support::with_reason(event, payload),
                ))
                .unwrap();
        }
    }
    let full = fs::read(&source.events).unwrap();
    let counter = fs::read(&source.counter).unwrap();
    let ends: Vec<usize> = full
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    let first_cut = ends[ends.len() - CUT_LINES - 1];
    let mut cuts = 0;
    let mut torn_cuts = 0;
    for cut in first_cut..=full.len() {
        let paths = LogPaths::new(tmp.path().join(format!("cut-{cut}")));
        fs::create_dir_all(&paths.dir).unwrap();
        fs::write(&paths.events, &full[..cut]).unwrap();
        fs::write(&paths.counter, &counter).unwrap();
        let whole = ends.iter().filter(|&&e| e <= cut).count() as u64;
        let torn = !full[..cut].ends_with(b"\n");
        // The only unterminated fragment that is a whole event: just the `\n` lost.
        let fragment_is_event = torn && ends.contains(&(cut + 1));

        // Reading: every whole event, the partial line flagged, still VALID.
        let index = LogIndex::load(&paths).unwrap();
        assert_eq!(index.projection().total_events(), whole, "cut {cut}");
        let report = index.verify_report();
        assert!(report.valid, "cut {cut}: {:?}", report.errors);
        let flagged = report
            .warnings
            .iter()
            .any(|w| w.kind == FindingKind::TornWrite);
        assert_eq!(flagged, torn, "cut {cut}: {:?}", report.warnings);
        assert_eq!(
            report.head_hash,
            last_event_hash(&full[..ends[whole as usize - 1]]),
            "cut {cut}"
        );

        // The next append (alternating one-shot and long-running writers)
        // ends the torn line and chains on the last well-formed line.
        let mut store = if cut % 2 == 0 {
            Box::new(JsonlStore::open(&paths, "next").unwrap()) as Box<dyn EventStore>
        } else {
            Box::new(JsonlStore::open_indexed(&paths, "next").unwrap())
        };
        let new = store
            .append_request(&AppendRequest::create(created()))
            .unwrap();
        let after = fs::read(&paths.events).unwrap();
        assert!(
            after.starts_with(&full[..cut]),
            "cut {cut}: history altered"
        );
        let before_new = &after[..new.position.0 as usize];
        assert_eq!(
            new.event.prev_hash.as_deref(),
            Some(last_event_hash(before_new).as_str()),
            "cut {cut}: chain not continued"
        );
        let index = LogIndex::load(&paths).unwrap();
        let report = index.verify_report();
        assert!(report.valid, "cut {cut}: {:?}", report.errors);
        let expected_total = whole + u64::from(fragment_is_event) + 1;
        assert_eq!(
            index.projection().total_events(),
            expected_total,
            "cut {cut}"
        );
        assert_eq!(
            report
                .warnings
                .iter()
                .any(|w| w.kind == FindingKind::TornWrite),
            torn && !fragment_is_event,
            "cut {cut}: {:?}",
            report.warnings
        );

        // And an advance of the shipment the cut lines belong to continues
        // its sequence from what is really there.
        let last = full[..full.len() - 1]
            .rsplit(|&b| b == b'\n')
            .next()
            .unwrap();
        let id = control_tower::domain::line::parse_line(last)
            .unwrap()
            .shipment_id;
        let summary = *index.summary(id).unwrap();
        let next = match summary.state {
            EventType::ManagerApproved => (EventType::SupervisorApproved, Actor::SenderSupervisor),
            EventType::SupervisorApproved => (EventType::InTransit, Actor::Carrier),
            EventType::InTransit => (EventType::ReceiverAcknowledged, Actor::Receiver),
            other => panic!("cut {cut}: unexpected state {other}"),
        };
        let advanced = store
            .append_request(
                &AppendRequest::advance(id, next.0, next.1, Map::new()).expecting_seq(summary.seq),
            )
            .unwrap();
        assert_eq!(advanced.event.event_seq, summary.seq + 1, "cut {cut}");
        let index = LogIndex::load(&paths).unwrap();
        assert!(index.verify_report().valid, "cut {cut}");
        assert_eq!(index.projection().total_events(), expected_total + 1);
        cuts += 1;
        torn_cuts += u64::from(torn);
    }
    println!(
        "power loss: {cuts} cuts over the last {CUT_LINES} lines ({torn_cuts} mid-line), each read, flagged and continued"
    );
}

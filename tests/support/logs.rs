//! The log read back by a parser written here (serde_json), independent of
//! the crate's line reader, and a tailing projection or index compared with
//! a fresh replay of the same log.

use std::collections::HashMap;
use std::path::Path;

use control_tower::read::index::LogIndex;
use control_tower::read::projection::Projection;
use sha2::{Digest, Sha256};

/// One well-formed event line as read back by `read_log_independently`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoggedEvent {
    pub id: String,
    pub seq: u64,
    pub event: String,
    pub actor: String,
}

/// Every line of the log that is a JSON object with the seed keys.
/// Returns (events, lines that are not events).
pub fn read_log_independently(path: &Path) -> (Vec<LoggedEvent>, Vec<Vec<u8>>) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let mut events = Vec::new();
    let mut bad = Vec::new();
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for line in lines {
        match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(v) if v.get("shipment_id").is_some() => events.push(LoggedEvent {
                id: v["shipment_id"].as_str().unwrap_or_default().to_string(),
                seq: v["event_seq"].as_u64().unwrap_or(0),
                event: v["event_type"].as_str().unwrap_or_default().to_string(),
                actor: v["actor"].as_str().unwrap_or_default().to_string(),
            }),
            _ => bad.push(line.to_vec()),
        }
    }
    (events, bad)
}

/// Panics if any (shipment_id, event_seq) appears twice; returns the map.
pub fn unique_events(events: &[LoggedEvent]) -> HashMap<(String, u64), LoggedEvent> {
    let mut map = HashMap::new();
    for e in events {
        let key = (e.id.clone(), e.seq);
        if let Some(old) = map.insert(key.clone(), e.clone()) {
            panic!("(shipment_id, event_seq) {key:?} appears twice: {old:?} and {e:?}");
        }
    }
    map
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let hash: [u8; 32] = Sha256::digest(bytes).into();
    hex::encode(hash)
}

/// A projection maintained by tailing must equal a fresh replay, shipment by
/// shipment (state, seq, event_count, times, actors, places, line spans).
pub fn assert_same_projection(tailing: &Projection, fresh: &Projection) {
    assert_eq!(tailing.total_events(), fresh.total_events(), "total events");
    assert_eq!(
        tailing.total_shipments(),
        fresh.total_shipments(),
        "total shipments"
    );
    for f in fresh.shipments() {
        let t = tailing
            .get(f.id)
            .unwrap_or_else(|| panic!("{} missing from the tailing projection", f.id));
        assert_eq!(
            (t.state, t.seq, t.event_count, t.created_at, t.last_updated),
            (f.state, f.seq, f.event_count, f.created_at, f.last_updated),
            "{}: state/seq/event_count/times differ",
            f.id
        );
        assert_eq!(
            (
                &t.last_actor,
                &t.last_operator,
                &t.details.source,
                &t.details.destination
            ),
            (
                &f.last_actor,
                &f.last_operator,
                &f.details.source,
                &f.details.destination
            ),
            "{}",
            f.id
        );
        assert_eq!(
            (t.first_line, t.last_event_no, t.first_offset, t.last),
            (f.first_line, f.last_event_no, f.first_offset, f.last),
            "{}",
            f.id
        );
    }
    for e in control_tower::domain::EventType::ALL {
        assert_eq!(tailing.state_count(*e), fresh.state_count(*e), "{e}");
        assert_eq!(
            tailing.event_type_count(*e),
            fresh.event_type_count(*e),
            "{e}"
        );
    }
}

/// Tailing index vs fresh load: projection and verify verdict agree.
pub fn assert_index_matches_replay(tailing: &LogIndex, fresh: &LogIndex) {
    assert_same_projection(tailing.projection(), fresh.projection());
    let (a, b) = (tailing.verify_report(), fresh.verify_report());
    assert_eq!(a.valid, b.valid);
    assert_eq!(a.head_hash, b.head_hash);
    assert_eq!(a.total_events, b.total_events);
    let msgs = |r: &control_tower::read::verify::VerifyReport| {
        r.errors
            .iter()
            .chain(&r.warnings)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(msgs(&a), msgs(&b));
}

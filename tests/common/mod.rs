//! Helpers shared by the integration tests: running the real binary, reading
//! the log back independently, and comparing a tailing index with a replay.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use control_tower::index::LogIndex;
use control_tower::projection::Projection;

pub const BIN: &str = env!("CARGO_BIN_EXE_control-tower");

/// The binary on `dir`, as operator `tester`, with no inherited settings.
pub fn ct(dir: &Path) -> Command {
    ct_as(dir, "tester")
}

pub fn ct_as(dir: &Path, operator: &str) -> Command {
    // A tower made with `init`: named data directories must exist.
    let _ = std::fs::create_dir_all(dir);
    let mut c = Command::new(BIN);
    c.arg("--data-dir")
        .arg(dir)
        .arg("--operator")
        .arg(operator)
        .env_remove("CONTROL_TOWER_DATA_DIR")
        .env_remove("CONTROL_TOWER_OPERATOR")
        .stdin(Stdio::null());
    c
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub raw_stdout: Vec<u8>,
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("spawn control-tower");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        raw_stdout: stdout,
    }
}

/// Creates a shipment through the CLI and returns its ID.
pub fn create(dir: &Path) -> String {
    let r = run(ct(dir).args([
        "create",
        "--source",
        "Mumbai, Maharashtra",
        "--destination",
        "Delhi, Delhi",
        "--weight-kg",
        "5",
        "--delivery-type",
        "EXPRESS",
    ]));
    assert_eq!(r.code, Some(0), "create failed: {}", r.stderr);
    r.stdout.trim().to_string()
}

/// One well-formed event line as read back by a parser written here
/// (serde_json::Value), independent of the crate's line reader.
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
            (&t.last_actor, &t.last_operator, &t.source, &t.destination),
            (&f.last_actor, &f.last_operator, &f.source, &f.destination),
            "{}",
            f.id
        );
        assert_eq!(
            (t.first_line, t.last_event_no, &t.lines),
            (f.first_line, f.last_event_no, &f.lines),
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
    let msgs = |r: &control_tower::verify::VerifyReport| {
        r.errors
            .iter()
            .chain(&r.warnings)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(msgs(&a), msgs(&b));
}

/// The next standard-flow step and the role that takes it (written here from
/// DESIGN.md, not taken from the crate).
pub fn standard_step(state: &str) -> Option<(&'static str, &'static str)> {
    Some(match state {
        "CREATED" | "OVERRIDE_APPLIED" | "HOLD_FOR_REVIEW" => {
            ("MANAGER_APPROVED", "SENDER_MANAGER")
        }
        "MANAGER_APPROVED" => ("SUPERVISOR_APPROVED", "SENDER_SUPERVISOR"),
        "SUPERVISOR_APPROVED" => ("IN_TRANSIT", "CARRIER"),
        "IN_TRANSIT" => ("RECEIVER_ACKNOWLEDGED", "RECEIVER"),
        "RECEIVER_ACKNOWLEDGED" => ("WAREHOUSE_INTAKE", "WAREHOUSE"),
        "WAREHOUSE_INTAKE" => ("OUT_FOR_DELIVERY", "WAREHOUSE"),
        "OUT_FOR_DELIVERY" => ("DELIVERED", "CUSTOMER"),
        _ => return None,
    })
}

/// A `[shared_accounts]` table letting the account the tests run as act
/// for `people` (the operator is the real account, never `$USER`).
pub fn shared_account_for(people: &[&str]) -> String {
    let account = control_tower::operator::os_account();
    let people: Vec<String> = people.iter().map(|p| format!("{p:?}")).collect();
    format!(
        "\n[shared_accounts]\n{account:?} = [{}]\n",
        people.join(", ")
    )
}

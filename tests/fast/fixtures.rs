//! The original Python tool's log (`tests/fixtures/reference-python`, data
//! that tool wrote, kept in the repository) read exactly, on a copy: `audit --json` reproduces `audit.json`, `show
//! --json` reproduces `states.json`, and appending continues the log with a
//! chained line. Nothing is ever written into the fixture directory.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::*;
use serde_json::{Map, Value};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference-python")
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A temporary data directory holding a copy of the Python log.
fn python_copy() -> Env {
    let env = Env::new();
    fs::create_dir_all(&env.dir).unwrap();
    for name in ["shipments.jsonl", "shipment_counter.jsonl"] {
        fs::copy(fixture_dir().join(name), env.dir.join(name)).unwrap();
        // A copy of a read-only file is read-only: make it appendable.
        let mut perms = fs::metadata(env.dir.join(name)).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(env.dir.join(name), perms).unwrap();
    }
    env
}

#[test]
fn audit_reproduces_every_field_of_audit_json() {
    let env = python_copy();
    let expected = read_json(&fixture_dir().join("audit.json"));
    let audit = env.run(&["audit", "--json"]).ok().json();
    let expected = expected.as_object().unwrap();
    assert_eq!(expected.len(), 9, "audit.json looks incomplete");
    for (key, value) in expected {
        assert_eq!(&audit[key], value, "audit field {key}");
    }
    // The extensions: the head hash of the last Python line, and a warning
    // that the log carries no chain.
    let last = env.lines().pop().unwrap();
    assert_eq!(audit["head_hash"], sha256_hex(last.as_bytes()).as_str());
    let warnings = audit["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].as_str().unwrap().contains("prev_hash"),
        "{warnings:?}"
    );
    assert!(audit.get("health").is_none(), "not EMPTY");

    let (code, report) = env.verify();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["total_events"], 440);
    assert_eq!(report["warnings"][0]["kind"], "unchained_prefix");
    assert_eq!(env.run(&["events"]).ok().stdout.lines().count(), 440);
}

#[test]
fn show_reproduces_every_state_of_states_json() {
    let env = python_copy();
    let states = read_json(&fixture_dir().join("states.json"));
    let states = states.as_object().unwrap();
    assert_eq!(states.len(), 60);
    for (id, expected) in states {
        let mut shown = env.show(id);
        let history = shown
            .as_object_mut()
            .unwrap()
            .remove("full_history")
            .expect("show --json has full_history");
        assert_eq!(&shown, expected, "{id}");
        let history = history.as_array().unwrap();
        assert_eq!(
            history.len() as u64,
            expected["event_count"].as_u64().unwrap()
        );
        // History is the log's lines, microseconds and all.
        assert_eq!(history[0]["timestamp"], expected["created_at"]);
        assert!(history.iter().all(|e| e.get("prev_hash").is_none()));
    }
    // `list --json` reconstructs the same states.
    let listed = env.run(&["list", "--json"]).ok().json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 60);
    for state in listed {
        let mut state: Map<String, Value> = state.as_object().unwrap().clone();
        state.remove("full_history");
        let id = state["shipment_id"].as_str().unwrap();
        assert_eq!(&Value::Object(state.clone()), &states[id], "list: {id}");
    }
    // Newest activity first: last_updated never increases down the list.
    let times: Vec<&str> = listed
        .iter()
        .map(|s| s["last_updated"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
}

#[test]
fn appending_to_the_python_log_continues_it_with_a_chained_line() {
    let fixture_before = fs::read(fixture_dir().join("shipments.jsonl")).unwrap();
    let env = python_copy();
    let python_lines = env.lines();
    assert_eq!(python_lines.len(), 440);
    let last_python = python_lines.last().unwrap().clone();

    // SHP-0000000026 is IN_TRANSIT after its Python events.
    let states = read_json(&fixture_dir().join("states.json"));
    let count = states["SHP-0000000026"]["event_count"].as_u64().unwrap();
    assert_eq!(states["SHP-0000000026"]["current_state"], "IN_TRANSIT");
    let e = env
        .run(&[
            "advance",
            "SHP-0000000026",
            "RECEIVER_ACKNOWLEDGED",
            "--actor",
            "RECEIVER",
            "--expect-seq",
            &count.to_string(),
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(e["event_seq"], count + 1);
    assert_eq!(e["prev_hash"], sha256_hex(last_python.as_bytes()).as_str());

    // A forbidden step on a Python shipment is refused like any other.
    let before = snapshot(&env);
    env.advance("SHP-0000000002", "CANCELLED", "SENDER")
        .refused();
    assert_unchanged(&env, &before, "after DELIVERED");

    // The next ID follows the Python counter.
    let id = env.create();
    assert_eq!(id, "SHP-0000000061");
    let lines = env.lines();
    assert_eq!(lines.len(), 442);
    assert_eq!(
        &lines[..440],
        &python_lines[..],
        "the Python lines are untouched"
    );
    let created: Value = serde_json::from_str(&lines[441]).unwrap();
    assert_eq!(
        created["prev_hash"],
        sha256_hex(lines[440].as_bytes()).as_str()
    );
    let counter = String::from_utf8(env.counter_bytes()).unwrap();
    assert_eq!(counter.lines().count(), 61);
    assert!(
        counter
            .lines()
            .last()
            .unwrap()
            .starts_with("{\"counter\": 61, ")
    );

    let state = env.show("SHP-0000000026");
    assert_eq!(state["current_state"], "RECEIVER_ACKNOWLEDGED");
    assert_eq!(state["created_at"], states["SHP-0000000026"]["created_at"]);

    let (code, report) = env.verify();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["total_events"], 442);
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{report:#}");
    assert_eq!(warnings[0]["kind"], "unchained_prefix");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("starts at line 441"),
        "{report:#}"
    );
    let audit = env.run(&["audit", "--json"]).ok().json();
    assert_eq!(audit["total_shipments"], 61);
    assert_eq!(
        audit["current_state_distribution"]["IN_TRANSIT"],
        Value::Null
    );
    assert_eq!(
        audit["current_state_distribution"]["RECEIVER_ACKNOWLEDGED"],
        13
    );

    assert_eq!(
        fs::read(fixture_dir().join("shipments.jsonl")).unwrap(),
        fixture_before,
        "the fixture must never be written"
    );
}

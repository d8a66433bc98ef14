//! `verify`: each class of docs/FORMAT.md, "guarantees", reported with its
//! kind, severity, line number and shipment, on hand-written logs.

use std::fs;

use crate::support::*;
use serde_json::Value;

fn line(id: u64, seq: u64, event: &str, actor: &str, ts: &str) -> String {
    let payload = if event == "CREATED" {
        r#"{"source": "A", "destination": "B", "weight_kg": 1.0, "delivery_type": "EXPRESS"}"#
    } else {
        "{}"
    };
    format!(
        r#"{{"shipment_id": "SHP-{id:010}", "event_seq": {seq}, "event_type": "{event}", "timestamp": "{ts}", "actor": "{actor}", "payload": {payload}}}"#
    )
}

fn write_log(env: &Env, lines: &[String], counters: &[u64]) {
    fs::create_dir_all(&env.dir).unwrap();
    fs::write(env.events_path(), lines.join("\n") + "\n").unwrap();
    let counter: String = counters
        .iter()
        .map(|c| format!("{{\"counter\": {c}, \"timestamp\": \"2026-01-21T11:00:00.000000Z\", \"action\": \"ID_GENERATED\"}}\n"))
        .collect();
    fs::write(env.counter_path(), counter).unwrap();
}

/// (kind, line, shipment) of every finding in a section.
fn kinds(report: &Value, section: &str) -> Vec<(String, Option<u64>, Option<String>)> {
    report[section]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(
                f["severity"],
                if section == "errors" {
                    "error"
                } else {
                    "warning"
                }
            );
            (
                f["kind"].as_str().unwrap().to_string(),
                f["line"].as_u64(),
                f["shipment_id"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn k(kind: &str, line: Option<u64>, id: Option<u64>) -> (String, Option<u64>, Option<String>) {
    (kind.into(), line, id.map(|n| format!("SHP-{n:010}")))
}

const T0: &str = "2026-01-21T12:00:00.000000Z";
const T1: &str = "2026-01-21T12:00:01.000000Z";
const T2: &str = "2026-01-21T12:00:02.000000Z";
const EARLIER: &str = "2026-01-21T11:59:00.000000Z";

#[test]
fn every_error_and_warning_class_is_reported_where_it_is() {
    let env = Env::new();
    write_log(
        &env,
        &[
            line(1, 1, "CREATED", "SENDER", T0),                        // 1
            line(1, 3, "MANAGER_APPROVED", "SENDER_MANAGER", T1),       // 2 seq gap
            line(1, 3, "SUPERVISOR_APPROVED", "SENDER_SUPERVISOR", T1), // 3 seq repeat
            line(2, 1, "MANAGER_APPROVED", "SENDER_MANAGER", T1),       // 4 first not CREATED
            line(1, 4, "DELIVERED", "CUSTOMER", T2),                    // 5 transition
            line(3, 1, "CREATED", "SENDER", T1),                        // 6
            line(3, 2, "MANAGER_APPROVED", "SENDER_MANAGER", EARLIER),  // 7 time back
            line(3, 3, "SUPERVISOR_APPROVED", "CUSTOMER", T2),          // 8 actor (warning)
            line(4, 1, "CREATED", "SENDER", T2),                        // 9 not in counter
        ],
        &[1, 2, 3, 5],
    );
    let (code, report) = env.verify();
    assert_eq!(code, 1);
    assert_eq!(report["log_integrity"], "CORRUPTED");
    assert_eq!(
        kinds(&report, "errors"),
        [
            k("seq_gap", Some(2), Some(1)),
            k("seq_repeat", Some(3), Some(1)),
            k("first_event_not_created", Some(4), Some(2)),
            k("transition_not_allowed", Some(5), Some(1)),
            k("timestamp_went_back", Some(7), Some(3)),
            k("missing_from_counter", Some(9), Some(4)),
        ],
        "{report:#}"
    );
    let warnings = kinds(&report, "warnings");
    for expected in [
        k("unchained_prefix", Some(1), None),
        k("actor_not_permitted", Some(8), Some(3)),
        k("counter_without_shipment", None, Some(5)),
    ] {
        assert!(
            warnings.contains(&expected),
            "{expected:?} missing: {report:#}"
        );
    }
    assert_eq!(warnings.len(), 3, "{report:#}");
    // The audit carries the same verdict and messages.
    let audit = env.run(&["audit", "--json"]).ok().json();
    assert_eq!(audit["log_integrity"], "CORRUPTED");
    assert_eq!(audit["integrity_errors"].as_array().unwrap().len(), 6);
    assert!(
        audit["integrity_errors"][0]
            .as_str()
            .unwrap()
            .starts_with("line 2: SHP-0000000001: ")
    );
}

#[test]
fn a_repeated_counter_line_hides_no_counter_without_its_shipment() {
    let env = Env::new();
    write_log(
        &env,
        &[
            line(1, 1, "CREATED", "SENDER", T0),
            line(2, 1, "CREATED", "SENDER", T1),
        ],
        &[1, 2, 1, 4],
    );
    let (code, report) = env.verify();
    assert_eq!(code, 0, "{report:#}");
    let warnings = kinds(&report, "warnings");
    assert!(
        warnings.contains(&k("counter_without_shipment", None, Some(4))),
        "{report:#}"
    );
    assert!(
        !warnings.contains(&k("counter_without_shipment", None, Some(1))),
        "{report:#}"
    );
}

#[test]
fn warnings_alone_leave_the_log_valid() {
    let env = Env::new();
    write_log(
        &env,
        &[
            line(1, 1, "CREATED", "SENDER", T0),
            line(1, 2, "MANAGER_APPROVED", "SYSTEM", T1),
        ],
        &[1, 2],
    );
    let (code, report) = env.verify();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["errors"], serde_json::json!([]));
    let warnings = kinds(&report, "warnings");
    assert!(warnings.contains(&k("actor_not_permitted", Some(2), Some(1))));
    assert!(warnings.contains(&k("counter_without_shipment", None, Some(2))));
    // Plain output: VALID on stdout, exit 0, warnings listed.
    let run = env.run(&["verify"]).ok();
    assert!(run.stdout.starts_with("VALID"), "{}", run.stdout);
    assert!(run.stdout.contains("warning: line 2"), "{}", run.stdout);
    // A writer appends after such a log; the chain starts there.
    let id = env.create();
    assert_eq!(id, "SHP-0000000003");
    let report = env.assert_verifies();
    let w = kinds(&report, "warnings");
    assert!(
        w.contains(&k("unchained_prefix", Some(1), None)),
        "{report:#}"
    );
}

#[test]
fn verify_is_read_only() {
    let env = Env::new();
    env.create();
    env.append_raw(b"{\"torn\": ");
    let before = snapshot(&env);
    env.verify();
    env.run(&["audit"]).ok();
    env.run(&["list"]).ok();
    env.run(&["show", "SHP-0000000001"]).ok();
    env.run(&["events"]).ok();
    assert_unchanged(&env, &before, "readers");
}

/// A payload the payload reader cannot read (a number out of range, nesting
/// past its limit) is a malformed line for every reader: `verify` names it,
/// and no view shows the event with an empty payload in its place.
#[test]
fn an_unreadable_payload_is_a_malformed_line_not_an_empty_one() {
    let env = Env::new();
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let mut lines = vec![
        line(1, 1, "CREATED", "SENDER", T0),
        line(1, 2, "MANAGER_APPROVED", "SENDER_MANAGER", T1)
            .replace(r#""payload": {}"#, r#""payload": {"weight_kg": 1e400}"#),
        line(2, 1, "CREATED", "SENDER", T1),
    ];
    lines[2] = lines[2].replace(
        r#""weight_kg": 1.0"#,
        &format!(r#""weight_kg": 1.0, "deep": {deep}"#),
    );
    write_log(&env, &lines, &[1, 2]);
    let (code, report) = env.verify();
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        kinds(&report, "errors"),
        [
            k("malformed_line", Some(2), None),
            k("malformed_line", Some(3), None)
        ]
    );
    let messages: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().all(|m| m.contains("payload")),
        "{messages:?}"
    );

    let shown = env.show("SHP-0000000001");
    assert_eq!(shown["current_state"], "CREATED", "{shown:#}");
    assert_eq!(shown["event_count"], 1);
    assert_eq!(shown["current_payload"]["weight_kg"], 1.0);
    let listed = env.run(&["list", "--json"]).ok().json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:#?}");
    for state in listed {
        for event in state["full_history"].as_array().unwrap() {
            assert_ne!(event["payload"], serde_json::json!({}), "{state:#}");
        }
    }
    let events = env.run(&["events"]).ok();
    assert_eq!(events.stdout.lines().count(), 1, "{}", events.stdout);
}

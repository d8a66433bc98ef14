//! Damage and how it is survived: torn tails, malformed lines, an edited
//! chained line, a deleted or truncated counter log, a log replaced or shrunk
//! under a reader or a writer.

use std::fs;

use crate::support::*;
use control_tower::Error;
use control_tower::domain::{Actor, EventType, ShipmentId};
use control_tower::read::index::LogIndex;
use control_tower::store::{AppendRequest, EventStore, JsonlStore};
use serde_json::{Map, Value, json};

/// Findings of one kind in a `verify --json` report section.
fn findings(report: &Value, section: &str, kind: &str) -> Vec<Value> {
    report[section]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .cloned()
        .collect()
}

fn finding_lines(report: &Value, section: &str, kind: &str) -> Vec<u64> {
    findings(report, section, kind)
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect()
}

#[test]
fn torn_tail_is_ended_kept_and_reported_as_a_warning() {
    let env = Env::new();
    let a = env.create();
    env.advance(&a, "MANAGER_APPROVED", "SENDER_MANAGER").ok();
    let fragment = r#"{"shipment_id": "SHP-0000000001", "event_seq": 3, "event_ty"#;
    env.append_raw(fragment.as_bytes());

    // Readers hold the unterminated tail back.
    assert_eq!(env.run(&["events"]).ok().stdout.lines().count(), 2);
    assert_eq!(env.show(&a)["event_count"], 2);
    let report = env.assert_verifies();
    assert_eq!(finding_lines(&report, "warnings", "torn_write"), [3]);
    assert_eq!(report["total_events"], 2);

    // The next writer ends the fragment with `\n` and carries on.
    let b = env.create();
    assert_eq!(b, "SHP-0000000002");
    env.advance(&a, "SUPERVISOR_APPROVED", "SENDER_SUPERVISOR")
        .ok();
    let lines = env.lines();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[2], fragment, "the fragment stays, on its own line");
    assert!(env.log_bytes().ends_with(b"\n"));
    let l4: Value = serde_json::from_str(&lines[3]).unwrap();
    let l5: Value = serde_json::from_str(&lines[4]).unwrap();
    assert_eq!(l4["shipment_id"], b.as_str());
    assert_eq!(
        l4["prev_hash"],
        sha256_hex(lines[1].as_bytes()).as_str(),
        "chain skips the fragment"
    );
    assert_eq!(l5["prev_hash"], sha256_hex(lines[3].as_bytes()).as_str());
    assert_eq!(l5["event_seq"], 3, "the fragment was never parsed as seq 3");

    // A second torn write, ended by an advance this time.
    env.append_raw(br#"{"shipment_id": "SHP-00"#);
    env.advance(&b, "CANCELLED", "RECEIVER").ok();
    let lines = env.lines();
    assert_eq!(lines.len(), 7);
    let l7: Value = serde_json::from_str(&lines[6]).unwrap();
    assert_eq!(l7["prev_hash"], sha256_hex(lines[4].as_bytes()).as_str());

    let report = env.assert_verifies();
    let torn = findings(&report, "warnings", "torn_write");
    assert_eq!(
        torn.iter()
            .map(|f| f["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [3, 6]
    );
    assert!(
        torn[0]["message"].as_str().unwrap().contains("line 3"),
        "{torn:?}"
    );
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["total_events"], 5);
    assert_eq!(env.run(&["events"]).ok().stdout.lines().count(), 5);
    let audit = env.run(&["audit", "--json"]).ok().json();
    assert_eq!(audit["log_integrity"], "VALID");
    assert_eq!(audit["head_hash"], sha256_hex(lines[6].as_bytes()).as_str());
}

#[test]
fn a_whole_event_missing_only_its_newline_is_counted_by_the_next_writer() {
    // A write cut just before its `\n`: once the next writer ends the line it
    // is a well-formed event, so that writer must validate, number and chain
    // after it, or its own line repeats a seq and breaks the chain.
    for via_library in [false, true] {
        let env = Env::new();
        let a = env.create();
        let line1 = env.lines()[0].clone();
        let ts = serde_json::from_str::<Value>(&line1).unwrap()["timestamp"].clone();
        let cut = format!(
            r#"{{"shipment_id":"{a}","event_seq":2,"event_type":"MANAGER_APPROVED","timestamp":{ts},"actor":"SENDER_MANAGER","payload":{{}},"operator":"crashed","prev_hash":"{}"}}"#,
            sha256_hex(line1.as_bytes())
        );
        env.append_raw(cut.as_bytes());
        let report = env.assert_verifies();
        assert_eq!(finding_lines(&report, "warnings", "torn_write"), [2]);
        assert_eq!(
            env.show(&a)["event_count"],
            1,
            "held back while unterminated"
        );

        if via_library {
            let mut store = JsonlStore::open(&env.paths(), "tester").unwrap();
            let r = store.append_request(
                &AppendRequest::advance(
                    a.parse().unwrap(),
                    EventType::SupervisorApproved,
                    Actor::SenderSupervisor,
                    Map::new(),
                )
                .expecting_seq(2),
            );
            assert_eq!(r.unwrap().event.event_seq, 3);
        } else {
            // Approving again must be refused: it was approved (seq 2).
            let before = snapshot(&env);
            let run = env
                .run(&[
                    "advance",
                    &a,
                    "MANAGER_APPROVED",
                    "--actor",
                    "SENDER_MANAGER",
                    "--expect-seq",
                    "1",
                ])
                .refused();
            assert!(run.stderr.contains("seq 2"), "{}", run.stderr);
            // A refusal appends nothing, not even the `\n`.
            assert_unchanged(&env, &before, "refused after a cut line");
            env.run(&[
                "advance",
                &a,
                "SUPERVISOR_APPROVED",
                "--actor",
                "SENDER_SUPERVISOR",
                "--expect-seq",
                "2",
            ])
            .ok();
        }
        let lines = env.lines();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], cut);
        let l3: Value = serde_json::from_str(&lines[2]).unwrap();
        assert_eq!(l3["event_seq"], 3);
        assert_eq!(l3["prev_hash"], sha256_hex(cut.as_bytes()).as_str());
        let report = env.assert_verifies();
        assert_eq!(report["total_events"], 3);
        assert_eq!(report["errors"], json!([]));
        assert_eq!(env.show(&a)["current_state"], "SUPERVISOR_APPROVED");
    }
}

#[test]
fn a_whole_creation_missing_its_newline_keeps_its_id_taken() {
    // The cut line creates SHP-0000000007 and the counter log is gone: the
    // next ID must still be above it once the line is ended.
    let env = Env::new();
    let a = env.create();
    let line1 = env.lines()[0].clone();
    let cut = line1.replace(&a, "SHP-0000000007").replacen(
        &"0".repeat(64),
        &sha256_hex(line1.as_bytes()),
        1,
    );
    env.append_raw(cut.as_bytes());
    fs::remove_file(env.counter_path()).unwrap();
    assert_eq!(env.create(), "SHP-0000000008");
    let (_, report) = env.verify();
    let kinds: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.iter().all(|k| *k == "missing_from_counter"),
        "{report:#}"
    );
}

#[test]
fn a_log_that_is_only_a_torn_fragment_starts_the_chain_afresh() {
    let env = Env::new();
    fs::create_dir_all(&env.dir).unwrap();
    env.append_raw(br#"{"shipment_id": "SHP-0000000001", "event_seq": 1, "#);
    let id = env.create();
    assert_eq!(id, "SHP-0000000001");
    let lines = env.lines();
    assert_eq!(lines.len(), 2);
    let e: Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(e["prev_hash"], "0".repeat(64).as_str());
    let report = env.assert_verifies();
    assert_eq!(finding_lines(&report, "warnings", "torn_write"), [1]);
}

#[test]
fn malformed_lines_are_skipped_and_reported_with_their_line_numbers() {
    let env = Env::new();
    let a = env.create(); // line 1
    let b = env.create(); // line 2
    env.append_raw(b"garbage that is not JSON\n"); // line 3
    env.advance(&a, "MANAGER_APPROVED", "SENDER_MANAGER").ok(); // line 4
    let bad = |payload: &str, id: &str| {
        format!(
            r#"{{"shipment_id":"{id}","event_seq":9,"event_type":"HOLD_FOR_REVIEW","timestamp":"2026-01-21T12:00:00.000Z","actor":"SENDER_MANAGER","payload":{payload}}}"#
        ) + "\n"
    };
    env.append_raw(bad("{}", "SHP-1").as_bytes()); // line 5: bad ID
    env.append_raw(bad("[1,2]", &b).as_bytes()); // line 6: payload not an object
    env.append_raw(bad("null", &b).as_bytes()); // line 7
    env.append_raw(bad(r#""text""#, &b).as_bytes()); // line 8
    env.append_raw(b"{\"not\": \"an event\"}\n"); // line 9
    env.append_raw(
        bad("{}", &b)
            .replace("HOLD_FOR_REVIEW", "TELEPORTED")
            .as_bytes(),
    ); // line 10
    env.append_raw(bad("{}", &b).replace("SENDER_MANAGER", "PILOT").as_bytes()); // line 11
    env.append_raw(
        bad("{}", &b)
            .replace("2026-01-21T12:00:00.000Z", "yesterday")
            .as_bytes(),
    ); // line 12
    let c = env.create(); // line 13

    // Readers skip them.
    let events: Vec<Value> = env
        .run(&["events"])
        .ok()
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 4);
    assert_eq!(env.show(&a)["event_count"], 2);
    assert_eq!(env.show(&b)["event_count"], 1, "no bad line counts for {b}");
    assert_eq!(env.show(&b)["current_state"], "CREATED");
    assert_eq!(
        env.run(&["list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // The chain skips malformed lines.
    let lines = env.lines();
    assert_eq!(lines.len(), 13);
    let last: Value = serde_json::from_str(&lines[12]).unwrap();
    assert_eq!(last["shipment_id"], c.as_str());
    assert_eq!(last["prev_hash"], sha256_hex(lines[3].as_bytes()).as_str());

    let (code, report) = env.verify();
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["log_integrity"], "CORRUPTED");
    assert_eq!(report["valid"], false);
    let mut bad_lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    bad_lines.sort();
    assert_eq!(bad_lines, [3, 5, 6, 7, 8, 9, 10, 11, 12], "{report:#}");
    assert_eq!(finding_lines(&report, "errors", "bad_shipment_id"), [5]);
    for f in report["errors"].as_array().unwrap() {
        let line = f["line"].as_u64().unwrap();
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("line {line}:")),
            "{f}"
        );
        assert_eq!(f["severity"], "error");
    }
    assert!(
        findings(&report, "warnings", "torn_write").is_empty(),
        "not torn writes"
    );

    let run = env.run(&["verify"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("CORRUPTED") && run.stdout.contains("line 3"),
        "{}",
        run.stdout
    );
    let audit = env.run(&["audit", "--json"]).ok().json();
    assert_eq!(audit["log_integrity"], "CORRUPTED");
    assert_eq!(audit["total_events"], 4);
    assert_eq!(audit["integrity_errors"].as_array().unwrap().len(), 9);
    assert!(
        audit["integrity_errors"][0]
            .as_str()
            .unwrap()
            .starts_with("line 3:")
    );
}

/// A small chained log written by the tool: 6 lines.
fn chained_log(env: &Env) -> Vec<String> {
    let a = env.create(); // 1
    let b = env.create(); // 2
    env.run(&[
        "advance",
        &a,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
        "--set",
        "approval_type=manual",
    ])
    .ok(); // 3
    let c = env.create(); // 4
    env.advance(&b, "HOLD_FOR_REVIEW", "SENDER_MANAGER").ok(); // 5
    env.advance(&c, "CANCELLED", "SENDER").ok(); // 6
    env.assert_verifies();
    env.lines()
}

fn rewrite(env: &Env, lines: &[String]) {
    fs::write(env.events_path(), lines.join("\n") + "\n").unwrap();
}

#[test]
fn an_edited_line_is_caught_at_that_line() {
    for (k, from, to) in [
        (3, "\"manual\"", "\"forged\""),
        (1, "\"weight_kg\":5.0", "\"weight_kg\":9.0"),
        (4, "Delhi, Delhi", "Delhi, Dilli"),
        (2, "\"operator\":\"tester\"", "\"operator\":\"mallory\""),
    ] {
        let env = Env::new();
        let mut lines = chained_log(&env);
        assert!(lines[k - 1].contains(from), "{}", lines[k - 1]);
        lines[k - 1] = lines[k - 1].replacen(from, to, 1);
        rewrite(&env, &lines);
        let (code, report) = env.verify();
        assert_eq!(code, 1, "edit of line {k} went unnoticed: {report:#}");
        assert_eq!(report["log_integrity"], "CORRUPTED");
        let errors = report["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{report:#}");
        assert_eq!(errors[0]["kind"], "chain_broken");
        assert_eq!(errors[0]["line"], k as u64, "{report:#}");
        assert!(
            errors[0]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("line {k}")),
            "{report:#}"
        );
        let run = env.run(&["verify"]);
        assert_eq!(run.code, 1);
        assert!(run.stdout.contains(&format!("line {k}")), "{}", run.stdout);
    }
}

#[test]
fn removed_inserted_or_unchained_lines_break_the_chain() {
    // A line removed from the middle.
    let env = Env::new();
    let mut lines = chained_log(&env);
    lines.remove(2);
    rewrite(&env, &lines);
    let (code, report) = env.verify();
    assert_eq!(code, 1, "{report:#}");
    assert!(
        !findings(&report, "errors", "chain_broken").is_empty(),
        "{report:#}"
    );

    // Two lines swapped.
    let env = Env::new();
    let mut lines = chained_log(&env);
    lines.swap(3, 4);
    rewrite(&env, &lines);
    assert_eq!(env.verify().0, 1);

    // A line without prev_hash inserted after the chain started.
    let env = Env::new();
    let mut lines = chained_log(&env);
    let v: Map<String, Value> = serde_json::from_str(&lines[4]).unwrap();
    let mut forged = v.clone();
    forged.remove("prev_hash");
    forged.insert("event_seq".into(), json!(3));
    forged.insert("event_type".into(), json!("MANAGER_APPROVED"));
    lines.push(serde_json::to_string(&forged).unwrap());
    rewrite(&env, &lines);
    let (code, report) = env.verify();
    assert_eq!(code, 1);
    assert_eq!(
        finding_lines(&report, "errors", "chain_broken"),
        [7],
        "{report:#}"
    );

    // The last line has no successor to vouch for it: the audit head hash
    // is what an auditor compares.
    let env = Env::new();
    let mut lines = chained_log(&env);
    let head = env.run(&["audit", "--json"]).ok().json()["head_hash"].clone();
    assert_eq!(head, sha256_hex(lines[5].as_bytes()).as_str());
    lines[5] = lines[5].replacen("\"SENDER\"", "\"CARRIER\"", 1);
    rewrite(&env, &lines);
    let audit = env.run(&["audit", "--json"]).ok().json();
    assert_ne!(audit["head_hash"], head);
    assert_eq!(audit["total_events"], 6);
}

fn counter_values(env: &Env) -> Vec<u64> {
    String::from_utf8(env.counter_bytes())
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| v["counter"].as_u64().unwrap())
        .collect()
}

#[test]
fn deleted_or_truncated_counter_log_never_reuses_an_id() {
    let env = Env::new();
    for n in 1..=3 {
        assert_eq!(env.create(), format!("SHP-{n:010}"));
    }
    // Deleted.
    fs::remove_file(env.counter_path()).unwrap();
    assert_eq!(env.create(), "SHP-0000000004");
    assert_eq!(counter_values(&env), [4]);
    // Missing counters are corruption (docs/FORMAT.md, "guarantees"), yet
    // writes go on.
    let (code, report) = env.verify();
    assert_eq!(code, 1);
    assert_eq!(
        finding_lines(&report, "errors", "missing_from_counter"),
        [1, 2, 3]
    );

    env.create();
    env.create();
    // Truncated to its first line, then to nothing.
    let text = String::from_utf8(env.counter_bytes()).unwrap();
    let first = text.lines().next().unwrap().to_string() + "\n";
    fs::write(env.counter_path(), &first).unwrap();
    assert_eq!(env.create(), "SHP-0000000007");
    fs::write(env.counter_path(), "").unwrap();
    assert_eq!(env.create(), "SHP-0000000008");
    // Cut in the middle of a line: the fragment is ended, not glued to.
    fs::write(env.counter_path(), "{\"counter\": 8, \"timest").unwrap();
    assert_eq!(env.create(), "SHP-0000000009");
    let text = String::from_utf8(env.counter_bytes()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert_eq!(counter_values(&env), [9]);

    let ids: Vec<Value> = env
        .events()
        .iter()
        .map(|e| e["shipment_id"].clone())
        .collect();
    let unique: std::collections::HashSet<String> = ids.iter().map(|v| v.to_string()).collect();
    assert_eq!(unique.len(), ids.len(), "an ID was reused: {ids:?}");
}

#[test]
fn deleted_counter_with_the_last_creation_far_back_in_a_big_log() {
    // The newest CREATED lies more than one read-back chunk (256 KiB) before
    // the end: the next ID must still be above it.
    let env = Env::new();
    let paths = env.paths();
    let mut store = JsonlStore::open(&paths, "tester").unwrap();
    let payload =
        json!({"source": "A", "destination": "B", "weight_kg": 1, "delivery_type": "EXPRESS"});
    for _ in 0..3 {
        store
            .append_request(&AppendRequest::create(payload.as_object().unwrap().clone()))
            .unwrap();
    }
    let id = ShipmentId::new(3).unwrap();
    let mut note = Map::new();
    note.insert("note".into(), json!("n".repeat(12_000)));
    let mut requests = Vec::new();
    for i in 0..40 {
        let event = if i % 2 == 0 {
            EventType::HoldForReview
        } else {
            EventType::ManagerApproved
        };
        requests.push(AppendRequest::advance(
            id,
            event,
            Actor::SenderManager,
            with_reason(event, note.clone()),
        ));
    }
    for r in store.append_batch(&requests).unwrap() {
        r.unwrap();
    }
    drop(store);
    assert!(env.log_bytes().len() > 400_000);
    fs::remove_file(env.counter_path()).unwrap();
    assert_eq!(env.create(), "SHP-0000000004");
    // And through a long-running (indexed) writer too.
    fs::remove_file(env.counter_path()).unwrap();
    let mut store = JsonlStore::open_indexed(&paths, "tester").unwrap();
    let e = store
        .append_request(&AppendRequest::create(payload.as_object().unwrap().clone()))
        .unwrap();
    assert_eq!(e.event.shipment_id.to_string(), "SHP-0000000005");
}

#[test]
fn counter_ahead_of_the_log_is_respected_and_only_warned_about() {
    // A crash between the counter append and the event append.
    let env = Env::new();
    env.create();
    let mut counter = fs::OpenOptions::new()
        .append(true)
        .open(env.counter_path())
        .unwrap();
    std::io::Write::write_all(
        &mut counter,
        b"{\"counter\": 20, \"timestamp\": \"2026-01-21T12:00:00.000Z\", \"action\": \"ID_GENERATED\"}\n",
    )
    .unwrap();
    assert_eq!(env.create(), "SHP-0000000021");
    let report = env.assert_verifies();
    let w = findings(&report, "warnings", "counter_without_shipment");
    assert_eq!(w.len(), 1, "{report:#}");
    assert_eq!(w[0]["shipment_id"], "SHP-0000000020");
}

fn created() -> Map<String, Value> {
    json!({"source": "A", "destination": "B", "weight_kg": 2, "delivery_type": "STANDARD"})
        .as_object()
        .cloned()
        .unwrap()
}

#[test]
fn reader_reloads_a_log_that_was_replaced_or_shrank() {
    let env = Env::new();
    for _ in 0..3 {
        env.create();
    }
    let paths = env.paths();
    let mut index = LogIndex::load(&paths).unwrap();
    assert_eq!(index.projection().total_shipments(), 3);
    let no_change = index.refresh().unwrap();
    assert_eq!(no_change.reloaded, None);
    assert_eq!(no_change.new_lines, 0);

    // Replaced by another file (rename over it) holding one line.
    let first = env.lines()[0].clone();
    let replacement = env.tmp.path().join("replacement.jsonl");
    fs::write(&replacement, format!("{first}\n")).unwrap();
    fs::rename(&replacement, env.events_path()).unwrap();
    let refresh = index.refresh().unwrap();
    let reason = refresh.reloaded.expect("a replaced log must be reloaded");
    assert!(reason.contains("replaced"), "{reason}");
    assert_eq!(index.projection().total_shipments(), 1);
    assert_eq!(index.projection().total_events(), 1);

    // Grows again, then shrinks in place (same file, truncated).
    env.create();
    env.create();
    let refresh = index.refresh().unwrap();
    assert_eq!(refresh.reloaded, None);
    assert_eq!(index.projection().total_shipments(), 3);
    let f = fs::OpenOptions::new()
        .write(true)
        .open(env.events_path())
        .unwrap();
    f.set_len((first.len() + 1) as u64).unwrap();
    let refresh = index.refresh().unwrap();
    let reason = refresh.reloaded.expect("a shrunk log must be reloaded");
    assert!(reason.contains("shrank"), "{reason}");
    assert_eq!(index.projection().total_shipments(), 1);

    // Truncated to nothing under a loaded index: reads fail cleanly.
    let index = LogIndex::load(&paths).unwrap();
    let id = ShipmentId::new(1).unwrap();
    assert_eq!(index.state(id).unwrap().event_count, 1);
    f.set_len(0).unwrap();
    assert!(index.history(id).is_err());
    assert!(index.state(id).is_err());
    assert!(index.states_in(None).is_err());
}

#[test]
fn writer_refuses_once_then_follows_a_log_that_was_replaced_or_shrank() {
    for indexed in [false, true] {
        let env = Env::new();
        let paths = env.paths();
        let mut store = if indexed {
            Box::new(JsonlStore::open_indexed(&paths, "w").unwrap()) as Box<dyn EventStore>
        } else {
            Box::new(JsonlStore::open(&paths, "w").unwrap())
        };
        for _ in 0..3 {
            store
                .append_request(&AppendRequest::create(created()))
                .unwrap();
        }
        let id1 = ShipmentId::new(1).unwrap();
        let id3 = ShipmentId::new(3).unwrap();
        store
            .append_request(&AppendRequest::advance(
                id1,
                EventType::ManagerApproved,
                Actor::SenderManager,
                Map::new(),
            ))
            .unwrap();

        // Replaced by a log holding only the first line.
        let first = env.lines()[0].clone();
        let replacement = env.tmp.path().join("r.jsonl");
        fs::write(&replacement, format!("{first}\n")).unwrap();
        fs::rename(&replacement, env.events_path()).unwrap();
        // The first append after the change is refused (its caller decided
        // on the old log); the store reloads and the next one goes through.
        refused_as_log_changed(&mut *store, &env, id1, indexed);
        let r = store
            .append_request(&AppendRequest::advance(
                id1,
                EventType::ManagerApproved,
                Actor::SenderManager,
                Map::new(),
            ))
            .unwrap();
        assert_eq!(
            r.event.event_seq, 2,
            "indexed={indexed}: seq from the new file"
        );
        let lines = env.lines();
        assert_eq!(lines.len(), 2);
        let e: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(e["prev_hash"], sha256_hex(first.as_bytes()).as_str());
        let gone = store.append_request(&AppendRequest::advance(
            id3,
            EventType::Cancelled,
            Actor::Sender,
            with_reason(EventType::Cancelled, Map::new()),
        ));
        assert!(
            matches!(gone, Err(Error::UnknownShipment(_))),
            "indexed={indexed}: {gone:?}"
        );
        // The counter log still knows 1..3: no ID is handed out again.
        let created_id = store
            .append_request(&AppendRequest::create(created()))
            .unwrap()
            .event
            .shipment_id;
        assert_eq!(created_id.number(), 4, "indexed={indexed}");

        // Shrunk in place to its first line.
        let f = fs::OpenOptions::new()
            .write(true)
            .open(env.events_path())
            .unwrap();
        f.set_len((first.len() + 1) as u64).unwrap();
        refused_as_log_changed(&mut *store, &env, id1, indexed);
        let r = store
            .append_request(&AppendRequest::advance(
                id1,
                EventType::HoldForReview,
                Actor::SenderManager,
                with_reason(EventType::HoldForReview, Map::new()),
            ))
            .unwrap();
        assert_eq!(r.event.event_seq, 2, "indexed={indexed}");
        let lines = env.lines();
        assert_eq!(lines.len(), 2);
        let e: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(e["prev_hash"], sha256_hex(first.as_bytes()).as_str());
        let report = LogIndex::load(&paths).unwrap().verify_report();
        assert!(report.valid, "indexed={indexed}: {report:#?}");
    }
}

fn refused_as_log_changed(store: &mut dyn EventStore, env: &Env, id: ShipmentId, indexed: bool) {
    let before = fs::read(env.events_path()).unwrap();
    let refused = store.append_request(&AppendRequest::advance(
        id,
        EventType::HoldForReview,
        Actor::SenderManager,
        Map::from_iter([("reason".to_string(), Value::from("check"))]),
    ));
    assert!(
        matches!(refused, Err(Error::LogChanged { .. })),
        "indexed={indexed}: {refused:?}"
    );
    assert_eq!(fs::read(env.events_path()).unwrap(), before);
}

/// Builds: 3 creations, then `notes.len()` HOLD/MANAGER_APPROVED lines on
/// SHP-0000000003 with notes of the given sizes. Returns the log's bytes.
fn padded_log(env: &Env, notes: &[usize]) -> Vec<u8> {
    let mut store = JsonlStore::open(&env.paths(), "tester").unwrap();
    let payload =
        json!({"source": "A", "destination": "B", "weight_kg": 1, "delivery_type": "EXPRESS"});
    for _ in 0..3 {
        store
            .append_request(&AppendRequest::create(payload.as_object().unwrap().clone()))
            .unwrap();
    }
    let id = ShipmentId::new(3).unwrap();
    let requests: Vec<AppendRequest> = notes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let event = if i % 2 == 0 {
                EventType::HoldForReview
            } else {
                EventType::ManagerApproved
            };
            let mut note = Map::new();
            note.insert("note".into(), json!("n".repeat(n)));
            AppendRequest::advance(id, event, Actor::SenderManager, with_reason(event, note))
        })
        .collect();
    for r in store.append_batch(&requests).unwrap() {
        r.unwrap();
    }
    env.log_bytes()
}

#[test]
fn deleted_counter_with_the_newest_creation_across_a_read_back_chunk_edge() {
    // Place the newest CREATED line across the point 256 KiB before the end
    // (where a backwards reader's chunks meet), then lose the counter log.
    const CHUNK: usize = 256 * 1024;
    let notes = vec![12_000; 22];
    let probe = Env::new();
    let bytes = padded_log(&probe, &notes);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let (s3, e3) = (starts[2], starts[3]);
    for inside in [1, (e3 - s3) / 2, e3 - s3 - 2] {
        let wanted_len = s3 + inside + CHUNK;
        let mut notes = notes.clone();
        let last = notes.len() - 1;
        notes[last] = (notes[last] as isize + wanted_len as isize - bytes.len() as isize) as usize;
        let env = Env::new();
        let log = padded_log(&env, &notes);
        assert_eq!(log.len(), wanted_len, "line sizes are deterministic");
        fs::remove_file(env.counter_path()).unwrap();
        assert_eq!(
            env.create(),
            "SHP-0000000004",
            "edge {inside} bytes into the line"
        );
        let file = fs::File::open(env.paths().events).unwrap();
        let len = file.metadata().unwrap().len();
        let tail = control_tower::log::scan::scan_tail(&file, &env.paths().events, len).unwrap();
        assert_eq!(tail.max_id, 4);
    }
}

/// A legacy log (no counter log, no chain) whose newest creation is not its
/// highest ID: the next IDs are above the highest, never a reuse.
#[test]
fn counter_missing_or_behind_with_ids_out_of_order_never_reuses_an_id() {
    let legacy = |n: u64, ts: &str| {
        format!(
            r#"{{"shipment_id": "SHP-{n:010}", "event_seq": 1, "event_type": "CREATED", "timestamp": "{ts}", "actor": "SENDER", "payload": {{"source": "A", "destination": "B", "weight_kg": 1.0, "delivery_type": "EXPRESS"}}}}"#
        ) + "\n"
    };
    let log = legacy(5, "2026-01-21T12:00:00.000000Z") + &legacy(3, "2026-01-21T12:00:01.000000Z");
    for counter in [
        None,
        Some(""),
        Some(
            "{\"counter\": 2, \"timestamp\": \"2026-01-21T12:00:00.000Z\", \"action\": \"ID_GENERATED\"}\n",
        ),
    ] {
        let env = Env::new();
        fs::create_dir_all(&env.dir).unwrap();
        fs::write(env.events_path(), &log).unwrap();
        if let Some(text) = counter {
            fs::write(env.counter_path(), text).unwrap();
        }
        let ids: Vec<String> = (0..3).map(|_| env.create()).collect();
        assert_eq!(
            ids,
            ["SHP-0000000006", "SHP-0000000007", "SHP-0000000008"],
            "counter {counter:?}"
        );
        assert_eq!(counter_values(&env).last(), Some(&8));
        // The dashboard's kind of writer (indexed) agrees.
        let mut store = JsonlStore::open_indexed(&env.paths(), "tester").unwrap();
        let e = store
            .append_request(&AppendRequest::create(created()))
            .unwrap();
        assert_eq!(e.event.shipment_id.to_string(), "SHP-0000000009");
    }
}

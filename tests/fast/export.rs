//! `export`: one row per event, read back by Python's `csv` module exactly
//! as the log holds it (RFC 4180 quoting, UTF-8, formula-like cells
//! defused with a leading `'`); the JSON lines carry the same columns; the
//! window (`--from`, `--to`, `--as-of`) picks events by number and time;
//! `--output` is replaced atomically and never with a failed export.

use std::fs;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::*;

/// A tower whose values test the encoding: commas, quotes, a line break,
/// Indian scripts, and cells a spreadsheet would run as formulas.
fn tricky_tower() -> Env {
    let env = Env::new();
    env.run(&[
        "create",
        "--source",
        "=HYPERLINK(\"http://x\",\"y\")",
        "--destination",
        "मुंबई, \"महाराष्ट्र\"",
        "--weight-kg",
        "12.5",
        "--delivery-type",
        "EXPRESS",
        "--set",
        "note=first line\nsecond, line",
        "--set",
        "contact=+91 98450 00000",
    ])
    .ok();
    let id = env.create();
    env.advance(&id, "MANAGER_APPROVED", "SENDER_MANAGER").ok();
    env.run(&[
        "advance",
        &id,
        "HOLD_FOR_REVIEW",
        "--actor",
        "SENDER_SUPERVISOR",
        "--reason",
        "@weight check",
    ])
    .ok();
    // A name starting with `-` only reads as a value in `--operator=…` form.
    run(Command::new(BIN)
        .arg("--data-dir")
        .arg(&env.dir)
        .arg("--operator=-ravi")
        .args([
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ]))
    .ok();
    env
}

/// The cell a value of the log becomes: text as it is, anything else as
/// JSON, and a formula-like start defused.
fn cell(value: Option<&Value>) -> String {
    let text = match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text,
    }
}

/// The rows an export must hold for `events`, built from the log's JSON.
fn expected_rows(events: &[Value]) -> Vec<Vec<String>> {
    let created = ["source", "destination", "weight_kg", "delivery_type"];
    events
        .iter()
        .map(|e| {
            let payload = e["payload"].as_object().unwrap();
            let rest: serde_json::Map<String, Value> = payload
                .iter()
                .filter(|(k, _)| !created.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut row: Vec<String> = ["shipment_id", "event_seq", "timestamp", "event_type"]
                .iter()
                .chain(&["actor", "operator"])
                .map(|k| cell(e.get(*k)))
                .collect();
            row.extend(created.iter().map(|k| cell(payload.get(*k))));
            row.push(Value::Object(rest).to_string());
            row
        })
        .collect()
}

/// The file read by Python's `csv` module, as JSON: the header and rows.
fn python_csv(path: &std::path::Path) -> Vec<Vec<String>> {
    let script = "import csv, json, sys\n\
        with open(sys.argv[1], newline='', encoding='utf-8') as f:\n\
        \x20   print(json.dumps(list(csv.reader(f))))\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

#[test]
fn csv_round_trips_through_python_with_formulas_defused() {
    let env = tricky_tower();
    let path = env.tmp.path().join("timelines.csv");
    env.run(&["export", "--output", path.to_str().unwrap()])
        .ok();
    let mut rows = python_csv(&path);
    let header = rows.remove(0);
    assert_eq!(
        header,
        [
            "shipment",
            "seq",
            "time",
            "event",
            "actor",
            "operator",
            "source",
            "destination",
            "weight_kg",
            "delivery_type",
            "payload"
        ]
    );
    let events = env.events();
    // The log's own timestamps are already UTC with milliseconds and `Z`.
    assert!(
        events
            .iter()
            .all(|e| e["timestamp"].as_str().unwrap().ends_with('Z'))
    );
    assert_eq!(rows, expected_rows(&events));
    assert_eq!(rows[0][6], "'=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(rows[0][7], "मुंबई, \"महाराष्ट्र\"");
    assert!(rows.iter().any(|r| r[5] == "'-ravi"), "operator defused");
    let bytes = fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"shipment,"), "no BOM, header first");
    assert!(bytes.windows(2).any(|w| w == b"\r\n"), "RFC 4180 line ends");
}

#[test]
fn json_lines_carry_the_same_columns_with_the_log_s_values() {
    let env = tricky_tower();
    let run = env.run(&["export", "--format", "jsonl"]).ok();
    let rows: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let events = env.events();
    assert_eq!(rows.len(), events.len());
    for (row, event) in rows.iter().zip(&events) {
        assert_eq!(row["shipment"], event["shipment_id"]);
        assert_eq!(row["seq"], event["event_seq"]);
        assert_eq!(row["time"], event["timestamp"]);
        assert_eq!(row["event"], event["event_type"]);
        assert_eq!(row["operator"], event["operator"]);
        assert_eq!(row["weight_kg"], event["payload"]["weight_kg"].clone());
    }
    assert_eq!(rows[0]["weight_kg"], json!(12.5));
    assert_eq!(rows[0]["source"], "=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(rows[3]["payload"]["reason"], "@weight check");
}

/// Shipment and seq of each row of a CSV export on stdout.
fn exported(env: &Env, args: &[&str]) -> (Vec<String>, String) {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let run = env.run(&all).ok();
    let rows = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(2).collect::<Vec<_>>().join("/"))
        .collect();
    (rows, run.stderr)
}

#[test]
fn the_window_picks_events_by_number_and_time() {
    let env = tricky_tower();
    let events = env.events();
    let key = |e: &Value| format!("{}/{}", e["shipment_id"].as_str().unwrap(), e["event_seq"]);
    let all: Vec<String> = events.iter().map(key).collect();
    assert_eq!(exported(&env, &[]).0, all);
    assert_eq!(
        exported(&env, &["--from", "event:2", "--to", "event:3"]).0,
        all[1..3]
    );
    let (rows, note) = exported(&env, &["--as-of", "event:2"]);
    assert_eq!(rows, all[..2]);
    assert!(note.contains("as of event 2 of 5"), "{note}");
    let third = events[2]["timestamp"].as_str().unwrap();
    let through_third: Vec<String> = events
        .iter()
        .filter(|e| e["timestamp"].as_str().unwrap() <= third)
        .map(key)
        .collect();
    assert_eq!(exported(&env, &["--to", third]).0, through_third);
    let today = &third[..10];
    assert_eq!(exported(&env, &["--from", today, "--to", today]).0, all);
    assert!(exported(&env, &["--from", "2999-01-01"]).0.is_empty());
}

#[test]
fn output_is_replaced_atomically_and_never_by_a_failed_export() {
    let env = tricky_tower();
    let path = env.tmp.path().join("out.csv");
    fs::write(&path, "an older export\n").unwrap();
    let out = path.to_str().unwrap();
    let bad = env.run(&["export", "--output", out, "--from", "last tuesday"]);
    bad.usage();
    assert_eq!(fs::read_to_string(&path).unwrap(), "an older export\n");
    env.run(&["export", "--output", out]).ok();
    assert_eq!(python_csv(&path).len(), 1 + env.events().len());
    let leftovers: Vec<_> = fs::read_dir(env.tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".export-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn an_export_never_overwrites_the_tower_s_own_log() {
    let env = tricky_tower();
    let before = (env.log_bytes(), env.counter_bytes());
    for log in [env.events_path(), env.counter_path()] {
        let run = env
            .run(&["export", "--output", log.to_str().unwrap()])
            .usage();
        assert!(run.stderr.contains("own log"), "{}", run.stderr);
    }
    assert_unchanged(&env, &before, "export --output onto the log");
    let missing = env.tmp.path().join("no/such/dir/out.csv");
    let run = env.run(&["export", "--output", missing.to_str().unwrap()]);
    assert!(run.usage().stderr.contains("no/such/dir"));
}

//! Text from the log reaches the terminal only as text. Lines carrying
//! escape sequences, C1 controls, bidi overrides and very long strings in
//! places, payload keys and values and the operator are written straight
//! into the log (the core refuses control characters in places on write);
//! the CLI's human output (`show`, `list`, `audit`, `verify`) must contain
//! no raw control or bidi character and no endless line, and its JSON
//! output must escape them (and still carry the exact text).

use crate::support;
use std::fs;
use std::path::Path;

use crate::support::{ct, run};
use control_tower::domain::line::{GENESIS_HASH, NewLine, hash_hex, hash_line};
use control_tower::domain::{Actor, EventType, ShipmentId, Timestamp};
use control_tower::store::LogPaths;
use serde_json::{Map, Value, json};

const ESC: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}[31m";
const C1: &str = "\u{9b}31m\u{85}\u{90}";
const BIDI: &str = "\u{202e}\u{2066}\u{200f}";
const MISC: &str = "\u{0}\u{7f}\r\t\u{feff}\u{2028}";

fn hostile(tag: &str) -> String {
    // The rarer characters first, so that no cell is cut before them.
    format!("{tag}{MISC}{BIDI}{C1}{ESC}{}", "L".repeat(10_000))
}

/// Whether `c` must never reach a terminal raw.
fn dangerous(c: char) -> bool {
    (c < ' ' && c != '\n')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}' | '\u{feff}' | '\u{2028}' | '\u{2029}')
}

fn assert_inert(what: &str, out: &[u8], max_line: usize) {
    let text = std::str::from_utf8(out).unwrap_or_else(|_| panic!("{what}: output is not UTF-8"));
    if let Some(c) = text.chars().find(|&c| dangerous(c)) {
        let at = text.chars().position(|x| x == c).unwrap();
        let near: String = text.chars().skip(at.saturating_sub(40)).take(50).collect();
        panic!("{what}: raw U+{:04X} in output near {near:?}", c as u32);
    }
    for line in text.lines() {
        assert!(
            line.chars().count() <= max_line,
            "{what}: a {}-character line",
            line.chars().count()
        );
    }
}

/// Writes chained event lines with hostile text, as another tool could.
fn write_hostile_log(paths: &LogPaths) -> ShipmentId {
    fs::create_dir_all(&paths.dir).unwrap();
    let id = ShipmentId::new(1).unwrap();
    let mut created = json!({
        "source": hostile("src"),
        "destination": hostile("dst"),
        "weight_kg": 5.0,
        "delivery_type": hostile("type"),
    })
    .as_object()
    .cloned()
    .unwrap();
    created.insert(hostile("key"), Value::from(hostile("value")));
    let mut hold = Map::new();
    hold.insert("reason".into(), Value::from(hostile("reason")));
    let mut out = Vec::new();
    let mut prev = GENESIS_HASH;
    for (seq, event, actor, payload) in [
        (1, EventType::Created, Actor::Sender, created),
        (2, EventType::HoldForReview, Actor::SenderManager, hold),
    ] {
        let line = NewLine {
            shipment_id: id,
            event_seq: seq,
            event_type: event,
            timestamp: Timestamp::parse("2026-01-21T12:00:00.000Z").unwrap(),
            actor,
            payload: &payload,
            operator: &hostile("op"),
            prev_hash: hash_hex(&prev),
        }
        .encode();
        prev = hash_line(&line);
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    fs::write(&paths.events, out).unwrap();
    fs::write(
        &paths.counter,
        "{\"counter\": 1, \"timestamp\": \"2026-01-21T12:00:00.000Z\", \"action\": \"ID_GENERATED\"}\n",
    )
    .unwrap();
    id
}

/// Malformed lines whose echoed fragments carry hostile text.
fn write_corrupted_log(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let bad = [
        json!({"shipment_id": hostile("SHP-"), "event_seq": 1, "event_type": "CREATED", "timestamp": "2026-01-21T12:00:00Z", "actor": "SENDER", "payload": {}}),
        json!({"shipment_id": "SHP-0000000001", "event_seq": 1, "event_type": hostile("EV"), "timestamp": "2026-01-21T12:00:00Z", "actor": "SENDER", "payload": {}}),
        json!({"shipment_id": "SHP-0000000001", "event_seq": 1, "event_type": "CREATED", "timestamp": hostile("T"), "actor": "SENDER", "payload": {}}),
        json!({"shipment_id": "SHP-0000000001", "event_seq": 1, "event_type": "CREATED", "timestamp": "2026-01-21T12:00:00Z", "actor": hostile("A"), "payload": {}}),
    ];
    let mut text: String = bad.iter().map(|v| format!("{v}\n")).collect();
    text.push_str(&format!("{}\n", hostile("not json")));
    fs::write(dir.join("shipments.jsonl"), text).unwrap();
}

#[test]
fn human_output_is_inert_and_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    let id = write_hostile_log(&paths).to_string();
    for args in [
        vec!["show", id.as_str()],
        vec!["list"],
        vec!["list", "--state", "HOLD_FOR_REVIEW"],
        vec!["audit"],
        vec!["verify"],
    ] {
        let r = run(ct(&paths.dir).args(&args));
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_inert(&format!("{args:?}"), &r.raw_stdout, 1_000);
        assert!(
            !r.stdout.contains(&"L".repeat(1_000)),
            "{args:?}: long text not cut"
        );
    }
    let show = run(ct(&paths.dir).args(["show", &id]));
    assert!(
        show.stdout.contains("\\x00\\x7f"),
        "escapes shown as text: {}",
        show.stdout
    );
    assert!(
        show.stdout.contains("\\u{2028}"),
        "separators shown as text: {}",
        show.stdout
    );
    assert!(show.stdout.contains("\\u{202e}"), "bidi shown as text");

    let bad = tmp.path().join("bad");
    write_corrupted_log(&bad);
    for args in [vec!["verify"], vec!["audit"], vec!["list"]] {
        let r = run(ct(&bad).args(&args));
        assert!(matches!(r.code, 0 | 1), "{args:?}: {}", r.stderr);
        assert_inert(&format!("corrupted {args:?}"), &r.raw_stdout, 1_000);
        assert_inert(
            &format!("corrupted {args:?} stderr"),
            r.stderr.as_bytes(),
            1_000,
        );
    }
}

#[test]
fn json_output_escapes_and_keeps_the_text() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    let id = write_hostile_log(&paths).to_string();
    for args in [
        vec!["show", id.as_str(), "--json"],
        vec!["list", "--json"],
        vec!["audit", "--json"],
        vec!["verify", "--json"],
        vec!["events"],
    ] {
        let r = run(ct(&paths.dir).args(&args));
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_inert(&format!("{args:?}"), &r.raw_stdout, usize::MAX);
    }
    // Escaped, not lost: the JSON still holds the exact strings.
    let show = run(ct(&paths.dir).args(["show", &id, "--json"]));
    let v: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(v["current_payload"]["source"], Value::from(hostile("src")));
    assert_eq!(
        v["current_payload"][hostile("key")],
        Value::from(hostile("value"))
    );
    assert_eq!(v["full_history"][0]["operator"], Value::from(hostile("op")));
    let events = run(ct(&paths.dir).args(["events"]));
    let first: Value = serde_json::from_str(events.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["payload"]["destination"], Value::from(hostile("dst")));

    let bad = tmp.path().join("bad");
    write_corrupted_log(&bad);
    for args in [vec!["verify", "--json"], vec!["audit", "--json"]] {
        let r = run(ct(&bad).args(&args));
        assert_inert(&format!("corrupted {args:?}"), &r.raw_stdout, usize::MAX);
    }
}

/// Values written through the CLI (where only places refuse control
/// characters) come back escaped in `advance --json` and human output.
#[test]
fn cli_written_values_are_escaped_on_the_way_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let id = support::create(&dir);
    let note = format!("note={ESC}{C1}{BIDI}");
    let r = run(ct(&dir).args([
        "advance",
        &id,
        "HOLD_FOR_REVIEW",
        "--actor",
        "SENDER_MANAGER",
        "--reason",
        "papers missing",
        "--set",
        &note,
        "--json",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_inert("advance --json", &r.raw_stdout, usize::MAX);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["payload"]["note"],
        Value::from(format!("{ESC}{C1}{BIDI}"))
    );
    let show = run(ct(&dir).args(["show", &id]));
    assert_inert("show", &show.raw_stdout, 1_000);
    // Places refuse them on write, naming the rule.
    let r = run(ct(&dir).args([
        "create",
        "--source",
        &format!("A{ESC}"),
        "--destination",
        "B",
        "--weight-kg",
        "1",
        "--delivery-type",
        "EXPRESS",
    ]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("control characters"), "{}", r.stderr);
}

/// Issue 7 item 18: error messages that quote text from the log (or from
/// another process) render it inert like `show`: the conflict's operator,
/// payload values, paths.
#[test]
fn error_messages_quote_log_text_inert() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    let id = write_hostile_log(&paths).to_string();
    let before = fs::read(&paths.events).unwrap();
    let hostile_value = format!("{BIDI}{ESC}{C1}");
    let weight = format!("weight_kg=\"{hostile_value}\"");
    let kind = format!("delivery_type={hostile_value}");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        // The shipment moved on: the message names who moved it (the forged operator).
        (
            vec![
                "advance",
                &id,
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
                "--expect-seq",
                "1",
            ],
            1,
        ),
        (
            vec![
                "advance",
                &id,
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
                "--set",
                &weight,
            ],
            1,
        ),
        (
            vec![
                "advance",
                &id,
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
                "--set",
                &kind,
            ],
            1,
        ),
    ];
    for (args, code) in cases {
        let r = run(ct(&paths.dir).args(&args));
        assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
        let stderr = r.stderr.as_bytes();
        assert_inert(&format!("stderr of {args:?}"), stderr, 2_500);
        assert!(
            r.stderr.contains("\\u{202e}"),
            "{args:?}: shown escaped: {}",
            r.stderr
        );
    }
    let r = run(ct(&paths.dir).args([
        "advance",
        &id,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
        "--expect-seq",
        "1",
    ]));
    assert!(
        r.stderr.contains("moved to HOLD_FOR_REVIEW"),
        "{}",
        r.stderr
    );
    assert_eq!(fs::read(&paths.events).unwrap(), before, "nothing appended");

    // What was typed is quoted inert too (a mistyped ID holding escapes).
    let typed = format!("SHP-{ESC}{BIDI}");
    let r = run(ct(&paths.dir).args(["show", typed.as_str()]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_inert("stderr of a bad ID", r.stderr.as_bytes(), 2_500);

    // A path that is not a directory, named with escapes, in an I/O error.
    let odd = tmp.path().join(format!("dir{ESC}"));
    fs::write(&odd, "a file").unwrap();
    let r = run(ct(&odd).args([
        "create",
        "--source",
        "A",
        "--destination",
        "B",
        "--weight-kg",
        "1",
        "--delivery-type",
        "EXPRESS",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_inert("stderr of an I/O error", r.stderr.as_bytes(), 2_500);
}

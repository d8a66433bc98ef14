//! Limits are enforced on write and named in the error: payload 16 KiB,
//! place and key lengths, weight range, delivery types, shipment IDs out of
//! range, the last ID, operator names. Refusals append nothing.

use crate::support;
use std::fs;
use std::path::Path;

use crate::support::{ct, ct_as, run};
use control_tower::domain::payload::{MAX_KEY_CHARS, MAX_PAYLOAD_BYTES, MAX_PLACE_CHARS};
use control_tower::domain::{Actor, EventType, ShipmentId};
use control_tower::error::Error;
use control_tower::store::{AppendRequest, EventStore, JsonlStore, LogPaths};
use serde_json::{Map, Value, json};

fn log_bytes(dir: &Path) -> Vec<u8> {
    fs::read(dir.join("shipments.jsonl")).unwrap_or_default()
}

fn create_args<'a>(
    source: &'a str,
    destination: &'a str,
    weight: &'a str,
    kind: &'a str,
) -> Vec<&'a str> {
    vec![
        "create",
        "--source",
        source,
        "--destination",
        destination,
        "--weight-kg",
        weight,
        "--delivery-type",
        kind,
    ]
}

/// Runs `args`, expects `code` and every `words` in stderr, and nothing appended.
fn refused(dir: &Path, args: &[&str], code: i32, words: &[&str]) {
    let before = log_bytes(dir);
    let r = run(ct(dir).args(args));
    let shown: Vec<&str> = args.iter().map(|a| &a[..a.len().min(40)]).collect();
    assert_eq!(r.code, code, "{shown:?}: {}{}", r.stdout, r.stderr);
    for w in words {
        assert!(
            r.stderr.contains(w),
            "{shown:?}: {w:?} not in {:?}",
            r.stderr
        );
    }
    assert!(!r.stderr.contains("panicked"));
    assert_eq!(log_bytes(dir), before, "{shown:?} appended something");
}

#[test]
fn payload_size_is_capped_at_16_kib_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    let id = support::create(&paths.dir);
    let id: ShipmentId = id.parse().unwrap();
    let mut store = JsonlStore::open(&paths, "tester").unwrap();
    // {"note":"…"} is 11 bytes plus the text.
    let payload = |n: usize| -> Map<String, Value> {
        json!({"note": "x".repeat(n)}).as_object().cloned().unwrap()
    };
    // (MANAGER_APPROVED: it needs no reason, so the note is the whole payload.)
    let hold = |p| AppendRequest::advance(id, EventType::ManagerApproved, Actor::SenderManager, p);
    let err = store
        .append_request(&hold(payload(MAX_PAYLOAD_BYTES - 10)))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPayload(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("16385 bytes") && text.contains("16 KiB"),
        "{text}"
    );
    store
        .append_request(&hold(payload(MAX_PAYLOAD_BYTES - 11)))
        .unwrap();

    let big = format!("note={}", "y".repeat(17 * 1024));
    refused(
        &paths.dir,
        &[
            "advance",
            &id.to_string(),
            "CANCELLED",
            "--actor",
            "SENDER",
            "--set",
            &big,
        ],
        1,
        &["16 KiB", "nothing appended"],
    );
    let mut args = create_args("A", "B", "1", "EXPRESS");
    args.extend(["--set", &big]);
    refused(&paths.dir, &args, 1, &["16 KiB"]);
}

#[test]
fn field_lengths_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let at_limit = "é".repeat(MAX_PLACE_CHARS); // characters, not bytes
    let r = run(ct(&dir).args(create_args(&at_limit, &at_limit, "1", "STANDARD")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let over = "p".repeat(MAX_PLACE_CHARS + 1);
    refused(
        &dir,
        &create_args(&over, "B", "1", "EXPRESS"),
        1,
        &["source", "200 characters"],
    );
    refused(
        &dir,
        &create_args("A", &over, "1", "EXPRESS"),
        1,
        &["destination", "200 characters"],
    );
    refused(
        &dir,
        &create_args("  ", "B", "1", "EXPRESS"),
        1,
        &["source must not be blank"],
    );
    refused(
        &dir,
        &create_args("A", "", "1", "EXPRESS"),
        1,
        &["destination must not be blank"],
    );

    let key_ok = format!("{}=1", "k".repeat(MAX_KEY_CHARS));
    let mut args = create_args("A", "B", "1", "EXPRESS");
    args.extend(["--set", &key_ok]);
    assert_eq!(run(ct(&dir).args(&args)).code, 0);
    let key_long = format!("{}=1", "k".repeat(MAX_KEY_CHARS + 1));
    let mut args = create_args("A", "B", "1", "EXPRESS");
    args.extend(["--set", &key_long]);
    refused(&dir, &args, 1, &["payload key", "1 to 64"]);
}

#[test]
fn weight_range_and_delivery_type_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    for ok in ["0.001", "100000", "5"] {
        let r = run(ct(&dir).args(create_args("A", "B", ok, "SAME_DAY")));
        assert_eq!(r.code, 0, "{ok}: {}", r.stderr);
    }
    for bad in ["0", "-1", "100000.01", "1e9", "NaN", "inf"] {
        refused(
            &dir,
            &create_args("A", "B", bad, "EXPRESS"),
            1,
            &["weight_kg", "100000"],
        );
    }
    let mut args = create_args("A", "B", "1", "EXPRESS");
    args.retain(|a| *a != "--weight-kg" && *a != "1");
    args.push("--weight-kg=-inf");
    refused(&dir, &args, 1, &["weight_kg", "100000"]);
    refused(
        &dir,
        &create_args("A", "B", "1", "TELEPORT"),
        1,
        &["delivery_type", "STANDARD, EXPRESS, SAME_DAY"],
    );
    refused(
        &dir,
        &create_args("A", "B", "heavy", "EXPRESS"),
        2,
        &["heavy"],
    );
}

#[test]
fn shipment_ids_out_of_range_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    support::create(&dir);
    for bad in [
        "SHP-99999999999",
        "SHP-0000000000",
        "SHP-1",
        "SHP--000000001",
        "SHP-00000000x1",
        "XYZ-0000000001",
    ] {
        refused(
            &dir,
            &["show", bad],
            2,
            &["is not a shipment ID", "SHP-0000000042"],
        );
        refused(
            &dir,
            &["advance", bad, "CANCELLED", "--actor", "SENDER"],
            2,
            &["is not a shipment ID"],
        );
        refused(
            &dir,
            &["events", "--shipment", bad],
            2,
            &["is not a shipment ID"],
        );
    }
    // In range but never created.
    refused(
        &dir,
        &["show", "SHP-9999999999"],
        1,
        &["SHP-9999999999 does not exist"],
    );
    refused(
        &dir,
        &[
            "advance",
            "SHP-9999999999",
            "CANCELLED",
            "--actor",
            "SENDER",
        ],
        1,
        &["does not exist"],
    );
}

#[test]
fn the_last_id_is_never_exceeded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("shipment_counter.jsonl"),
        "{\"counter\": 9999999998, \"timestamp\": \"2026-01-21T12:00:00.000Z\", \"action\": \"ID_GENERATED\"}\n",
    )
    .unwrap();
    assert_eq!(support::create(&dir), "SHP-9999999999");
    refused(
        &dir,
        &create_args("A", "B", "1", "EXPRESS"),
        1,
        &["SHP-9999999999 is taken"],
    );
}

#[test]
fn operator_names_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let id = support::create(&dir);
    let ok = "o".repeat(64);
    let r = run(ct_as(&dir, &ok).args([
        "advance",
        &id,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for bad in [
        "o".repeat(65),
        String::new(),
        "   ".into(),
        "ev\u{1b}[31mil".into(),
        "a\nb".into(),
    ] {
        let before = log_bytes(&dir);
        let r = run(ct_as(&dir, &bad).args(["advance", &id, "CANCELLED", "--actor", "SENDER"]));
        assert_eq!(r.code, 2, "{bad:?}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("operator name must be 1 to 64 printable characters"),
            "{}",
            r.stderr
        );
        assert_eq!(log_bytes(&dir), before);
    }
}

/// Peak resident memory (KiB) of the binary run with `args` on `dir`, its
/// standard output thrown away.
#[allow(clippy::zombie_processes)] // reaped by wait4, which also reports its memory
fn peak_rss_kib(dir: &Path, args: &[&str]) -> i64 {
    let child = ct(dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?} failed"
    );
    usage.ru_maxrss
}

/// Issue 7 item 15: `list --json` streams one state at a time (it used 992
/// MB on a 500k-event log where `list` used 68 MB): its peak memory is at
/// most twice that of `list`, and its output is the same JSON array as
/// serializing every state at once.
#[test]
fn list_json_streams_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let small = LogPaths::new(tmp.path().join("small"));
    control_tower::cli::bench::loggen::generate(&small, 2_000, 3).unwrap();
    let states = control_tower::read::index::LogIndex::load(&small)
        .unwrap()
        .states_in(None)
        .unwrap();
    let whole = serde_json::to_string_pretty(&states).unwrap();
    let whole = format!("{}\n", control_tower::text::escape_json_unsafe(&whole));
    let r = run(ct(&small.dir).args(["list", "--json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout == whole,
        "streamed output differs from the whole array"
    );
    let none = run(ct(&small.dir).args(["list", "--json", "--state", "CANCELLED"]));
    assert!(
        none.stdout == "[]\n",
        "an empty list is []: {}",
        none.stderr
    );

    let big = LogPaths::new(tmp.path().join("big"));
    control_tower::cli::bench::loggen::generate(&big, 80_000, 5).unwrap();
    let plain = peak_rss_kib(&big.dir, &["list"]);
    let json = peak_rss_kib(&big.dir, &["list", "--json"]);
    assert!(
        json <= 2 * plain,
        "list --json peaked at {json} KiB, list at {plain} KiB"
    );
}

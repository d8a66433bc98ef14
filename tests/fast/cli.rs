//! The command line end to end: the seed's demo, the line format written,
//! `--set` parsing, `show`, `list`, `events`, `audit` and the exit codes.

use crate::support::*;
use serde_json::{Value, json};

#[test]
fn seed_demo_end_to_end() {
    let env = Env::new();
    let id = env.create();
    assert_eq!(id, "SHP-0000000001");
    for (seq, (event, actor)) in STANDARD_STEPS.iter().enumerate() {
        let run = env
            .run(&["advance", &id, event, "--actor", actor, "--json"])
            .ok();
        let e = run.json();
        assert_eq!(e["shipment_id"], id.as_str());
        assert_eq!(e["event_seq"], seq as u64 + 2);
        assert_eq!(e["event_type"], *event);
        assert_eq!(e["actor"], *actor);
        assert_eq!(e["operator"], "tester");
    }
    let state = env.show(&id);
    assert_eq!(state["current_state"], "DELIVERED");
    assert_eq!(state["event_count"], 8);
    let mut expected = vec!["CREATED"];
    expected.extend(STANDARD_STEPS.iter().map(|(e, _)| *e));
    assert_eq!(state["event_sequence"], json!(expected));
    assert_eq!(
        state["actors_involved"],
        json!([
            "CUSTOMER",
            "RECEIVER",
            "SENDER",
            "SENDER_MANAGER",
            "SENDER_SUPERVISOR",
            "SYSTEM",
            "WAREHOUSE"
        ])
    );
    assert_eq!(state["current_payload"]["source"], "Mumbai, Maharashtra");
    assert_eq!(state["current_payload"]["weight_kg"], 5.0);
    assert_eq!(state["full_history"].as_array().unwrap().len(), 8);
    assert_eq!(state["created_at"], state["full_history"][0]["timestamp"]);
    assert_eq!(state["last_updated"], state["full_history"][7]["timestamp"]);

    // Nothing may follow DELIVERED.
    let before = snapshot(&env);
    let run = env.advance(&id, "CANCELLED", "CUSTOMER").refused();
    assert!(run.stderr.contains("DELIVERED"), "{}", run.stderr);
    assert_unchanged(&env, &before, "advance after DELIVERED");

    let audit = env.run(&["audit", "--json"]).ok().json();
    assert_eq!(audit["total_events"], 8);
    assert_eq!(audit["total_shipments"], 1);
    assert_eq!(audit["log_integrity"], "VALID");
    assert_eq!(audit["current_state_distribution"], json!({"DELIVERED": 1}));
    assert_eq!(audit["actor_distribution"]["WAREHOUSE"], 2);
    assert_eq!(audit["event_type_distribution"]["CREATED"], 1);
    assert_eq!(audit["integrity_errors"], json!([]));
    let head = sha256_hex(env.lines().last().unwrap().as_bytes());
    assert_eq!(audit["head_hash"], head.as_str());
    env.assert_verifies();
}

#[test]
fn lines_have_contract_keys_order_and_millisecond_utc_timestamps() {
    let env = Env::new();
    let a = env.create();
    env.advance(&a, "manager_approved", "sender_manager").ok();
    env.advance(&a, "HOLD_FOR_REVIEW", "SENDER_SUPERVISOR").ok();
    let lines = env.lines();
    assert_eq!(lines.len(), 3);
    let mut prev_hash = "0".repeat(64);
    let mut prev_ts = String::new();
    for line in &lines {
        let v: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = v.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "shipment_id",
                "event_seq",
                "event_type",
                "timestamp",
                "actor",
                "payload",
                "operator",
                "prev_hash"
            ],
            "{line}"
        );
        let ts = v["timestamp"].as_str().unwrap();
        let b = ts.as_bytes();
        assert_eq!(ts.len(), 24, "{ts}");
        assert!(ts.ends_with('Z') && b[10] == b'T' && b[19] == b'.', "{ts}");
        assert!(b[20..23].iter().all(u8::is_ascii_digit), "{ts}");
        assert!(
            chrono::DateTime::parse_from_rfc3339(ts).is_ok(),
            "not RFC 3339: {ts}"
        );
        assert!(*ts >= *prev_ts, "timestamps went back: {prev_ts} then {ts}");
        prev_ts = ts.to_string();
        assert_eq!(v["prev_hash"], prev_hash.as_str(), "chain at {line}");
        prev_hash = sha256_hex(line.as_bytes());
        assert!(v["payload"].is_object());
        assert_eq!(v["operator"], "tester");
    }
    // Names are stored canonically, whatever case was typed.
    assert!(lines[1].contains(r#""event_type":"MANAGER_APPROVED","#));
    assert!(lines[1].contains(r#""actor":"SENDER_MANAGER","#));
    // The counter line, in the original tool's format.
    let counter = String::from_utf8(env.counter_bytes()).unwrap();
    let c: serde_json::Map<String, Value> = serde_json::from_str(counter.trim_end()).unwrap();
    assert_eq!(
        c.keys().map(String::as_str).collect::<Vec<_>>(),
        ["counter", "timestamp", "action"]
    );
    assert_eq!(c["counter"], 1);
    assert_eq!(c["action"], "ID_GENERATED");
    assert!(counter.ends_with('\n') && counter.lines().count() == 1);
}

#[test]
fn timestamps_never_go_back_behind_a_future_line() {
    // A line from a clock far ahead: later writers reuse its time.
    let env = Env::new();
    let a = env.create();
    let last = env.lines().pop().unwrap();
    let future = "2099-01-01T00:00:00.123Z";
    let line = format!(
        r#"{{"shipment_id":"{a}","event_seq":2,"event_type":"MANAGER_APPROVED","timestamp":"{future}","actor":"SENDER_MANAGER","payload":{{}},"operator":"clock","prev_hash":"{}"}}"#,
        sha256_hex(last.as_bytes())
    );
    env.append_raw(format!("{line}\n").as_bytes());
    let b = env.create();
    env.advance(&a, "SUPERVISOR_APPROVED", "SENDER_SUPERVISOR")
        .ok();
    let events = env.events();
    assert_eq!(events[2]["shipment_id"], b.as_str());
    assert_eq!(events[2]["timestamp"], future);
    assert_eq!(events[3]["timestamp"], future);
    env.assert_verifies();
}

#[test]
fn set_values_are_json_when_they_parse_else_text() {
    let env = Env::new();
    let id = env.create_with(&[
        "--set",
        "count=3",
        "--set",
        "fragile=true",
        "--set",
        r#"dims={"a":1}"#,
        "--set",
        "note=handle with care",
        "--set",
        r#"quoted="3""#,
        "--set",
        "ratio=1.5",
        "--set",
        "list=[1,2]",
        "--set",
        "eq=a=b",
    ]);
    let p = env.events()[0]["payload"].clone();
    assert_eq!(p["count"], json!(3));
    assert_eq!(p["fragile"], json!(true));
    assert_eq!(p["dims"], json!({"a": 1}));
    assert_eq!(p["note"], json!("handle with care"));
    assert_eq!(p["quoted"], json!("3"));
    assert_eq!(p["ratio"], json!(1.5));
    assert_eq!(p["list"], json!([1, 2]));
    assert_eq!(p["eq"], json!("a=b"));
    assert_eq!(p["delivery_type"], "EXPRESS");

    env.run(&[
        "advance",
        &id,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
        "--set",
        "approval_type=manual",
        "--set",
        "level=2",
    ])
    .ok();
    let events = env.events();
    assert_eq!(
        events[1]["payload"],
        json!({"approval_type": "manual", "level": 2})
    );
    // current_payload merges in order.
    let state = env.show(&id);
    assert_eq!(state["current_payload"]["level"], 2);
    assert_eq!(state["current_payload"]["count"], 3);

    // Not KEY=VALUE, or an empty key: usage errors, nothing appended.
    let before = snapshot(&env);
    for bad in ["novalue", "=3", " =x"] {
        env.run(&[
            "advance",
            &id,
            "SUPERVISOR_APPROVED",
            "--actor",
            "SENDER_SUPERVISOR",
            "--set",
            bad,
        ])
        .usage();
    }
    assert_unchanged(&env, &before, "bad --set");
}

#[test]
fn show_unknown_id_exits_1_and_says_so() {
    let env = Env::new();
    // Empty (absent) log.
    let run = env.run(&["show", "SHP-0000000001"]).refused();
    assert!(run.stderr.contains("SHP-0000000001"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    env.create();
    let run = env.run(&["show", "SHP-0000000002", "--json"]).refused();
    assert!(run.stderr.contains("SHP-0000000002"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    // IDs that only contain the asked one as a substring are not it.
    let run = env.run(&["show", "SHP-0000000000"]);
    assert_eq!(run.code, 2, "SHP-0000000000 is not a valid ID: {run:?}");
    // Plain-text show of a known one works.
    let run = env.run(&["show", "SHP-0000000001"]).ok();
    assert!(run.stdout.contains("SHP-0000000001") && run.stdout.contains("CREATED"));
}

#[test]
fn list_state_is_newest_activity_first() {
    let env = Env::new();
    let a = env.create();
    let b = env.create();
    let c = env.create();
    let d = env.create();
    env.advance(&a, "MANAGER_APPROVED", "SENDER_MANAGER").ok();
    env.advance(&c, "MANAGER_APPROVED", "SENDER_MANAGER").ok();
    env.advance(&b, "CANCELLED", "CUSTOMER").ok();

    let ids = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["list", "--json"];
        full.extend_from_slice(args);
        let v = env.run(&full).ok().json();
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["shipment_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&["--state", "CREATED"]), [d.as_str()]);
    assert_eq!(
        ids(&["--state", "MANAGER_APPROVED"]),
        [c.as_str(), a.as_str()]
    );
    assert_eq!(ids(&["--state", "cancelled"]), [b.as_str()]);
    assert!(ids(&["--state", "DELIVERED"]).is_empty());
    assert_eq!(ids(&[]), [b.as_str(), c.as_str(), a.as_str(), d.as_str()]);

    // A listed state carries the seed's fields.
    let v = env
        .run(&["list", "--json", "--state", "CANCELLED"])
        .ok()
        .json();
    let s = &v[0];
    for key in [
        "shipment_id",
        "current_state",
        "created_at",
        "last_updated",
        "event_count",
        "event_sequence",
        "full_history",
        "current_payload",
        "actors_involved",
    ] {
        assert!(s.get(key).is_some(), "list --json lacks {key}: {s}");
    }
    assert_eq!(s["actors_involved"], json!(["CUSTOMER", "SENDER"]));

    // The table: same order.
    let text = env
        .run(&["list", "--state", "MANAGER_APPROVED"])
        .ok()
        .stdout;
    let (pc, pa) = (text.find(&c).unwrap(), text.find(&a).unwrap());
    assert!(pc < pa, "{text}");
    assert!(!text.contains(&b) && !text.contains(&d));

    env.run(&["list", "--state", "SHIPPED"]).usage();
}

#[test]
fn events_prints_every_event_and_filters_by_shipment() {
    let env = Env::new();
    let a = env.create();
    let b = env.create();
    env.advance(&a, "MANAGER_APPROVED", "SENDER_MANAGER").ok();
    let out = env.run(&["events"]).ok().stdout;
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["event_type"], "MANAGER_APPROVED");
    assert_eq!(lines, env.events(), "events prints the log's events");
    let out = env.run(&["events", "--shipment", &b]).ok().stdout;
    assert_eq!(out.lines().count(), 1);
    assert!(out.contains(&b) && !out.contains(&a));
}

#[test]
fn empty_log_reads_cleanly() {
    let env = Env::new();
    let audit = env.run(&["audit", "--json"]).ok().json();
    assert_eq!(audit["total_events"], 0);
    assert_eq!(audit["health"], "EMPTY");
    assert_eq!(audit["log_integrity"], "VALID");
    env.assert_verifies();
    assert_eq!(env.run(&["list", "--json"]).ok().json(), json!([]));
    assert_eq!(env.run(&["events"]).ok().stdout, "");
    // Reading never creates the log.
    assert!(!env.events_path().exists());
}

#[test]
fn usage_and_io_errors_exit_2_without_panicking() {
    let env = Env::new();
    let id = env.create();
    let before = snapshot(&env);
    for args in [
        vec![
            "advance",
            "SHP-42",
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ],
        vec!["advance", &id, "SHIPPED", "--actor", "SENDER_MANAGER"],
        vec!["advance", &id, "MANAGER_APPROVED", "--actor", "PILOT"],
        vec!["advance", &id, "MANAGER_APPROVED"],
        vec![
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
            "--expect-seq",
            "x",
        ],
        vec![
            "create",
            "--source",
            "A",
            "--destination",
            "B",
            "--weight-kg",
            "heavy",
            "--delivery-type",
            "EXPRESS",
        ],
        vec!["create", "--source", "A"],
        vec!["frobnicate"],
    ] {
        let run = env.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(!run.stderr.is_empty());
    }
    assert_unchanged(&env, &before, "usage errors");

    // The data directory is a file: an I/O error, exit 2.
    let file = env.tmp.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let run = Run::from_output(
        std::process::Command::new(BIN)
            .arg("--data-dir")
            .arg(&file)
            .args([
                "--operator",
                "t",
                "create",
                "--source",
                "A",
                "--destination",
                "B",
            ])
            .args(["--weight-kg", "1", "--delivery-type", "STANDARD"])
            .output()
            .unwrap(),
    );
    run.usage();

    // The operator comes from --operator, or the environment.
    let run = Run::from_output(
        env.command(&[
            "create",
            "--source",
            "A",
            "--destination",
            "B",
            "--weight-kg",
            "1",
        ])
        .args(["--delivery-type", "STANDARD"])
        .output()
        .unwrap(),
    )
    .ok();
    assert!(is_shipment_id(run.stdout.trim()));
    assert_eq!(env.events().last().unwrap()["operator"], "tester");
    let mut cmd = std::process::Command::new(BIN);
    cmd.arg("--data-dir").arg(&env.dir);
    cmd.env("CONTROL_TOWER_OPERATOR", "from-env");
    cmd.args([
        "advance",
        &id,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
    ]);
    Run::from_output(cmd.output().unwrap()).ok();
    assert_eq!(env.events().last().unwrap()["operator"], "from-env");
}

#[test]
fn operator_names_must_be_printable_and_short() {
    let env = Env::new();
    let id = env.create();
    let before = snapshot(&env);
    let long = "o".repeat(65);
    for bad in ["", "   ", "tab\tbed", long.as_str()] {
        let run = Run::from_output(
            env.command_as(
                bad,
                &[
                    "advance",
                    &id,
                    "MANAGER_APPROVED",
                    "--actor",
                    "SENDER_MANAGER",
                ],
            )
            .output()
            .unwrap(),
        );
        assert_eq!(run.code, 2, "operator {bad:?}: {run:?}");
        assert!(run.stderr.contains("operator"), "{}", run.stderr);
    }
    assert_unchanged(&env, &before, "bad operators");
    // 64 characters, not bytes.
    let ok = "ö".repeat(64);
    Run::from_output(
        env.command_as(
            &ok,
            &[
                "advance",
                &id,
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
            ],
        )
        .output()
        .unwrap(),
    )
    .ok();
    assert_eq!(env.events()[1]["operator"], ok.as_str());
}

#[test]
fn after_a_microsecond_line_from_the_future_timestamps_round_up_to_milliseconds() {
    // A line from another tool (microseconds, no chain) with a clock ahead:
    // the next line must not be earlier, and still has exactly 3 digits.
    let env = Env::new();
    std::fs::create_dir_all(&env.dir).unwrap();
    env.append_raw(
        br#"{"shipment_id": "SHP-0000000001", "event_seq": 1, "event_type": "CREATED", "timestamp": "2099-01-01T00:00:00.123456Z", "actor": "SENDER", "payload": {"source": "A", "destination": "B", "weight_kg": 1.0, "delivery_type": "EXPRESS"}}
"#,
    );
    std::fs::write(
        env.counter_path(),
        "{\"counter\": 1, \"timestamp\": \"2099-01-01T00:00:00.123000Z\", \"action\": \"ID_GENERATED\"}\n",
    )
    .unwrap();
    let id = env.create();
    assert_eq!(id, "SHP-0000000002");
    let e = env
        .advance("SHP-0000000001", "MANAGER_APPROVED", "SENDER_MANAGER")
        .ok();
    assert!(
        e.stdout.contains("2099-01-01T00:00:00.124Z"),
        "{}",
        e.stdout
    );
    let events = env.events();
    assert_eq!(events[1]["timestamp"], "2099-01-01T00:00:00.124Z");
    assert_eq!(events[2]["timestamp"], "2099-01-01T00:00:00.124Z");
    // The Python line keeps its microseconds when shown.
    assert_eq!(
        env.show("SHP-0000000001")["created_at"],
        "2099-01-01T00:00:00.123456Z"
    );
    env.assert_verifies();
}

#[test]
fn data_dir_comes_from_the_flag_the_environment_or_the_default() {
    let env = Env::new();
    let create = CREATE_ARGS;
    // CONTROL_TOWER_DATA_DIR, when --data-dir is not given (made by init).
    let from_env = env.tmp.path().join("from-env");
    std::fs::create_dir(&from_env).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["--operator", "t"])
        .args(create)
        .env("CONTROL_TOWER_DATA_DIR", &from_env)
        .current_dir(env.tmp.path())
        .output()
        .unwrap();
    Run::from_output(out).ok();
    assert!(from_env.join("shipments.jsonl").exists());
    assert!(from_env.join("shipment_counter.jsonl").exists());
    // Otherwise data/logs under the working directory, created on first use.
    let out = std::process::Command::new(BIN)
        .args(["--operator", "t"])
        .args(create)
        .env_remove("CONTROL_TOWER_DATA_DIR")
        .current_dir(env.tmp.path())
        .output()
        .unwrap();
    Run::from_output(out).ok();
    let default = env.tmp.path().join("data/logs/shipments.jsonl");
    assert_eq!(std::fs::read_to_string(default).unwrap().lines().count(), 1);
    // The flag wins over the environment.
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&env.dir)
        .args(["--operator", "t"])
        .args(create)
        .env("CONTROL_TOWER_DATA_DIR", &from_env)
        .output()
        .unwrap();
    Run::from_output(out).ok();
    assert_eq!(env.lines().len(), 1);
    assert_eq!(
        std::fs::read_to_string(from_env.join("shipments.jsonl"))
            .unwrap()
            .lines()
            .count(),
        1
    );
}

/// The binary with no data-dir or operator settings inherited.
fn bare(cwd: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    cmd.current_dir(cwd)
        .env_remove("CONTROL_TOWER_DATA_DIR")
        .env_remove("CONTROL_TOWER_OPERATOR")
        .env_remove("CONTROL_TOWER_POLICY")
        .env_remove("RUST_BACKTRACE")
        .stdin(std::process::Stdio::null());
    cmd
}

fn bare_run(cmd: &mut std::process::Command) -> Run {
    Run::from_output(cmd.output().expect("run the binary"))
}

/// Issue 7 items 2 and 12: a mistyped directory is an error naming the path
/// and `control-tower init`, for every command (flag or environment), and
/// nothing is created; `init` makes it, and then it reads as empty.
#[test]
fn a_missing_data_directory_is_an_error_until_init() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("dta");
    let name = missing.display().to_string();
    let commands: Vec<Vec<&str>> = vec![
        CREATE_ARGS.to_vec(),
        vec![
            "advance",
            "SHP-0000000001",
            "CANCELLED",
            "--actor",
            "SENDER",
        ],
        vec!["show", "SHP-0000000001"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["events"],
        vec!["events", "--follow"],
        vec!["audit"],
        vec!["verify"],
        vec!["verify", "--json"],
        vec!["simulate", "--shipments", "1"],
        vec![],
    ];
    for args in &commands {
        for via_env in [false, true] {
            let mut cmd = bare(tmp.path());
            if via_env {
                cmd.env("CONTROL_TOWER_DATA_DIR", &missing);
            } else {
                cmd.arg("--data-dir").arg(&missing);
            }
            let run = bare_run(cmd.args(args)).usage();
            assert!(
                run.stderr.contains(&name) && run.stderr.contains("control-tower init"),
                "{args:?} (env: {via_env}): {}",
                run.stderr
            );
            assert!(!run.stdout.contains("VALID"), "{args:?}: {}", run.stdout);
            assert!(!missing.exists(), "{args:?} created {name}");
        }
    }
    assert!(
        !tmp.path().join("data").exists(),
        "nothing fell back to data/logs"
    );

    // init makes the directory and an empty log; then it is an empty tower.
    let run = bare_run(bare(tmp.path()).arg("init").arg(&missing)).ok();
    assert!(run.stdout.contains(&name), "{}", run.stdout);
    assert_eq!(std::fs::read(missing.join("shipments.jsonl")).unwrap(), b"");
    let run = bare_run(
        bare(tmp.path())
            .arg("--data-dir")
            .arg(&missing)
            .arg("verify"),
    )
    .ok();
    assert!(run.stdout.contains("VALID: 0 events"), "{}", run.stdout);
    // init again changes nothing.
    let run = bare_run(
        bare(tmp.path())
            .arg("--operator")
            .arg("t")
            .arg("--data-dir")
            .arg(&missing)
            .args(CREATE_ARGS),
    )
    .ok();
    assert!(is_shipment_id(run.stdout.trim()));
    let before = std::fs::read(missing.join("shipments.jsonl")).unwrap();
    bare_run(bare(tmp.path()).arg("--data-dir").arg(&missing).arg("init")).ok();
    assert_eq!(
        std::fs::read(missing.join("shipments.jsonl")).unwrap(),
        before
    );

    // An existing directory without a log reads as empty.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let run = bare_run(bare(tmp.path()).arg("--data-dir").arg(&empty).arg("verify")).ok();
    assert!(run.stdout.contains("VALID: 0 events"), "{}", run.stdout);
    bare_run(bare(tmp.path()).arg("--data-dir").arg(&empty).arg("list")).ok();

    // init with no DIR uses the data directory settings, nested paths too.
    let nested = tmp.path().join("a/b/c");
    bare_run(
        bare(tmp.path())
            .env("CONTROL_TOWER_DATA_DIR", &nested)
            .arg("init"),
    )
    .ok();
    assert!(nested.join("shipments.jsonl").is_file());
    bare_run(bare(tmp.path()).arg("init")).ok();
    assert!(tmp.path().join("data/logs/shipments.jsonl").is_file());
}

/// Issue 7 item 2: the default `data/logs` (relative to the current
/// directory) is still created on first use, by readers and writers.
#[test]
fn the_default_data_directory_is_created_on_first_use() {
    let tmp = tempfile::tempdir().unwrap();
    let run = bare_run(bare(tmp.path()).arg("verify")).ok();
    assert!(run.stdout.contains("VALID: 0 events"), "{}", run.stdout);
    assert!(tmp.path().join("data/logs").is_dir());
}

/// Issue 7 item 1: `demo` never writes a real log. It ignores
/// CONTROL_TOWER_DATA_DIR, and refuses (exit 2, naming the directory) a
/// directory whose log holds events it did not write — before it even
/// looks for a terminal.
#[test]
fn demo_refuses_a_real_log_and_ignores_the_environment() {
    let env = Env::new();
    env.create();
    let before = snapshot(&env);
    let name = env.dir.display().to_string();
    for args in [
        vec!["demo", "--data-dir", name.as_str()],
        vec!["--data-dir", name.as_str(), "demo"],
        vec!["demo", "--fresh", "--data-dir", name.as_str()],
        vec!["demo", "--rate", "0", "--data-dir", name.as_str()],
    ] {
        let run = bare_run(bare(env.tmp.path()).args(&args)).usage();
        assert!(
            run.stderr.contains(&name) && run.stderr.contains("demo"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("terminal"), "{args:?}: {}", run.stderr);
        assert_unchanged(&env, &before, &format!("{args:?}"));
    }
    assert!(!env.dir.join(".control-tower-demo").exists());
    // With the real tower in the environment, demo still uses data/demo
    // (here: no terminal, so it stops there, and the real log is untouched).
    let run = bare_run(
        bare(env.tmp.path())
            .env("CONTROL_TOWER_DATA_DIR", &env.dir)
            .arg("demo"),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("terminal"), "{}", run.stderr);
    assert_unchanged(&env, &before, "demo with CONTROL_TOWER_DATA_DIR");
    env.assert_verifies();
}

/// Issue 7 items 1 and 20: `demo --help` shows demo's own directory and
/// `--fresh`.
#[test]
fn demo_help_shows_its_own_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let run = bare_run(bare(tmp.path()).args(["demo", "--help"])).ok();
    assert!(run.stdout.contains("data/demo"), "{}", run.stdout);
    assert!(run.stdout.contains("--fresh"), "{}", run.stdout);
    assert!(!run.stdout.contains("default: data/logs"), "{}", run.stdout);
    let run = bare_run(bare(tmp.path()).args(["--help"])).ok();
    assert!(run.stdout.contains("init"), "{}", run.stdout);
    assert!(run.stdout.contains("--policy"), "{}", run.stdout);
}

/// Issue 7 item 1: demo marks the directory it starts on, accepts it again
/// with its traffic in it, and `--fresh` starts it over from an empty log
/// (the previous run kept once beside it); a real log is refused.
#[test]
fn demo_marks_its_directory_and_fresh_starts_it_over() {
    use clap::Parser;
    use control_tower::cli::{Cli, Settings, demo};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sandbox");
    let choose = |extra: &[&str]| {
        let mut argv = vec!["control-tower", "demo", "--data-dir"];
        argv.push(dir.to_str().unwrap());
        argv.extend_from_slice(extra);
        let cli = Cli::try_parse_from(argv).unwrap();
        let settings = Settings::resolve(&cli);
        assert!(settings.demo.is_some(), "not demo");
        demo::choose(&settings)
    };
    let paths = choose(&[]).unwrap().prepare().unwrap();
    assert!(dir.join(demo::DEMO_MARKER).is_file());
    let mut store = control_tower::store::JsonlStore::open(&paths, "simulator").unwrap();
    use control_tower::store::{AppendRequest, EventStore};
    let payload =
        json!({"source": "A", "destination": "B", "weight_kg": 1.0, "delivery_type": "EXPRESS"});
    store
        .append_request(&AppendRequest::create(
            payload.as_object().cloned().unwrap(),
        ))
        .unwrap();
    drop(store);
    let traffic = std::fs::read(&paths.events).unwrap();
    // Its own traffic does not make it a real log.
    choose(&[]).unwrap().prepare().unwrap();
    assert_eq!(std::fs::read(&paths.events).unwrap(), traffic);
    // --fresh: an empty log, the old one kept once.
    choose(&["--fresh"]).unwrap().prepare().unwrap();
    assert!(!paths.events.exists() || std::fs::read(&paths.events).unwrap().is_empty());
    assert_eq!(
        std::fs::read(dir.join("shipments.jsonl.before-fresh")).unwrap(),
        traffic
    );
    assert!(dir.join(demo::DEMO_MARKER).is_file());
    // A directory with events and no marker is a real log: refused.
    std::fs::remove_file(dir.join(demo::DEMO_MARKER)).unwrap();
    std::fs::write(&paths.events, &traffic).unwrap();
    let err = choose(&["--fresh"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("sandbox"), "{err}");
    assert_eq!(std::fs::read(&paths.events).unwrap(), traffic);
}

/// Appends a hand-made line chained to the log's last line (a forged or
/// foreign line, as another tool could leave it).
fn append_chained(
    env: &Env,
    id: &str,
    seq: u64,
    event: &str,
    actor: &str,
    ts: &str,
    payload: &str,
) {
    let last = env.lines().pop().unwrap();
    let line = format!(
        r#"{{"shipment_id":"{id}","event_seq":{seq},"event_type":"{event}","timestamp":"{ts}","actor":"{actor}","payload":{payload},"operator":"forger","prev_hash":"{}"}}"#,
        sha256_hex(last.as_bytes())
    );
    env.append_raw(format!("{line}\n").as_bytes());
}

/// Exit 1, the words on stderr, and neither log touched.
fn refused_untouched(env: &Env, args: &[&str], words: &[&str]) {
    let before = snapshot(env);
    let r = env.run(args).refused();
    for w in words {
        assert!(r.stderr.contains(w), "{w:?} not in {:?}", r.stderr);
    }
    assert_unchanged(env, &before, &args.join(" "));
}

#[test]
fn no_timestamp_past_the_year_9999_is_written() {
    let env = Env::new();
    std::fs::create_dir_all(&env.dir).unwrap();
    let id = env.create();
    append_chained(
        &env,
        &id,
        2,
        "MANAGER_APPROVED",
        "SENDER_MANAGER",
        "9999-12-31T23:59:59.9995Z",
        "{}",
    );
    refused_untouched(
        &env,
        &[
            "advance",
            &id,
            "SUPERVISOR_APPROVED",
            "--actor",
            "SENDER_SUPERVISOR",
        ],
        &["9999-12-31T23:59:59.9995Z", "year 9999", "nothing appended"],
    );
    refused_untouched(&env, &CREATE_ARGS, &["year 9999"]);
    // The last millisecond of 9999 is still writable.
    let env = Env::new();
    std::fs::create_dir_all(&env.dir).unwrap();
    let id = env.create();
    append_chained(
        &env,
        &id,
        2,
        "MANAGER_APPROVED",
        "SENDER_MANAGER",
        "9999-12-31T23:59:59.999Z",
        "{}",
    );
    env.advance(&id, "SUPERVISOR_APPROVED", "SENDER_SUPERVISOR")
        .ok();
    assert_eq!(env.events()[2]["timestamp"], "9999-12-31T23:59:59.999Z");
    assert_eq!(env.show(&id)["current_state"], "SUPERVISOR_APPROVED");
    env.assert_verifies();
}

#[test]
fn after_a_leap_second_the_next_stamp_is_not_earlier_and_has_3_digits() {
    for (last, next) in [
        ("2098-12-31T23:59:60.000Z", "2098-12-31T23:59:60.000Z"),
        ("2098-12-31T23:59:60.5004Z", "2098-12-31T23:59:60.501Z"),
        ("2098-12-31T23:59:60.9995Z", "2099-01-01T00:00:00.000Z"),
    ] {
        let env = Env::new();
        std::fs::create_dir_all(&env.dir).unwrap();
        let id = env.create();
        append_chained(
            &env,
            &id,
            2,
            "MANAGER_APPROVED",
            "SENDER_MANAGER",
            last,
            "{}",
        );
        env.advance(&id, "SUPERVISOR_APPROVED", "SENDER_SUPERVISOR")
            .ok();
        assert_eq!(env.events()[2]["timestamp"], next, "after {last}");
        let shown = env.show(&id);
        assert_eq!(shown["event_count"], 3, "after {last}: {shown:#}");
        assert_eq!(shown["full_history"][1]["timestamp"], last);
        env.assert_verifies();
    }
}

#[test]
fn a_payload_nested_too_deep_to_read_back_is_refused() {
    let env = Env::new();
    std::fs::create_dir_all(&env.dir).unwrap();
    let id = env.create();
    let nested = |n: usize| format!("k={}1{}", "[".repeat(n), "]".repeat(n));
    let too_deep = nested(127);
    refused_untouched(
        &env,
        &[
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
            "--set",
            &too_deep,
        ],
        &["invalid payload", "recursion limit"],
    );
    let create_too_deep = [
        "create",
        "--source",
        "A",
        "--destination",
        "B",
        "--weight-kg",
        "1",
        "--delivery-type",
        "STANDARD",
        "--set",
        &too_deep,
    ];
    refused_untouched(&env, &create_too_deep, &["invalid payload"]);
    // One level less reads back, and is shown whole.
    let deepest = nested(126);
    env.run(&[
        "advance",
        &id,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
        "--set",
        &deepest,
    ])
    .ok();
    // (`show --json` nests it deeper than serde_json's own default limit.)
    let shown = env.run(&["show", &id, "--json"]).ok().stdout;
    assert!(
        shown.contains("\"current_state\": \"MANAGER_APPROVED\""),
        "{shown}"
    );
    assert!(
        shown.contains("\"source\": \"Mumbai, Maharashtra\""),
        "{shown}"
    );
    env.assert_verifies();
}

#[test]
fn event_seq_does_not_wrap() {
    let env = Env::new();
    std::fs::create_dir_all(&env.dir).unwrap();
    let id = env.create();
    append_chained(
        &env,
        &id,
        4_294_967_295,
        "MANAGER_APPROVED",
        "SENDER_MANAGER",
        "2026-01-21T12:00:00.000Z",
        "{}",
    );
    refused_untouched(
        &env,
        &[
            "advance",
            &id,
            "SUPERVISOR_APPROVED",
            "--actor",
            "SENDER_SUPERVISOR",
        ],
        &["4294967295", "nothing appended"],
    );
    assert_eq!(env.show(&id)["current_state"], "MANAGER_APPROVED");
}

/// The entries of a help text's "Arguments:" and "Options:" sections, each
/// with its description (empty when there is none).
fn help_entries(help: &str) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut in_section = false;
    for line in help.lines() {
        if line.ends_with(':') && !line.starts_with(' ') {
            in_section = line == "Arguments:" || line == "Options:";
            continue;
        }
        let trimmed = line.trim_start();
        if !in_section || trimmed.is_empty() {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent <= 6 && (trimmed.starts_with('-') || trimmed.starts_with('<')) {
            let (name, text) = trimmed.split_once("  ").unwrap_or((trimmed, ""));
            entries.push((name.to_string(), text.trim().to_string()));
        } else if let Some(last) = entries.last_mut() {
            // A description on the lines below its entry (long help).
            last.1.push_str(trimmed);
        }
    }
    entries
}

/// Issue 7 item 20: every argument of every command has a description in
/// `-h` and `--help`, and `--role` is offered only where it applies (the
/// dashboard: no command, or `demo`).
#[test]
fn every_help_describes_every_argument_and_offers_role_only_for_the_dashboard() {
    let env = Env::new();
    let commands = [
        "", "create", "advance", "show", "list", "events", "audit", "verify", "simulate", "bench",
        "demo",
    ];
    for command in commands {
        for flag in ["-h", "--help"] {
            let args: Vec<&str> = [command, flag]
                .into_iter()
                .filter(|a| !a.is_empty())
                .collect();
            let help = env.run(&args).ok().stdout;
            let entries = help_entries(&help);
            assert!(entries.len() >= 3, "{args:?}: {help}");
            for (name, text) in &entries {
                assert!(
                    !text.is_empty(),
                    "{args:?}: {name} has no description:\n{help}"
                );
            }
            let offers_role = entries.iter().any(|(n, _)| n.starts_with("--role"));
            assert_eq!(
                offers_role,
                command.is_empty() || command == "demo",
                "{args:?}: --role offered where it does not apply:\n{help}"
            );
        }
    }
    let bench = env.run(&["bench", "--help"]).ok().stdout;
    assert!(
        bench.contains("Scratch space") && bench.contains("--data-dir"),
        "{bench}"
    );
    // `--role` still opens the dashboard with no command, and `demo --role`
    // is accepted (both then stop: no terminal here).
    for args in [
        vec!["--role", "WAREHOUSE"],
        vec!["demo", "--role", "warehouse"],
    ] {
        let r = Run::from_output(
            env.command(&args)
                .current_dir(env.tmp.path())
                .output()
                .unwrap(),
        );
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains("terminal"), "{args:?}: {}", r.stderr);
    }
    let r = env.run(&["--role", "WAREHOUSE", "list"]).usage();
    assert!(r.stderr.contains("--actor"), "{}", r.stderr);
}

/// Issue 7 item 20: a shipment may be named by its number alone, like the
/// dashboard's `:` (`show 42`, `events --shipment 42`, `advance 42 …`).
#[test]
fn a_bare_number_names_a_shipment() {
    let env = Env::new();
    let a = env.create();
    let b = env.create();
    assert_eq!(b, "SHP-0000000002");
    env.run(&[
        "advance",
        "2",
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
    ])
    .ok();
    let shown = env.run(&["show", "2", "--json"]).ok().json();
    assert_eq!(shown, env.show(&b));
    assert_eq!(shown["current_state"], "MANAGER_APPROVED");
    let text = env.run(&["show", " 0000000002 "]).ok().stdout;
    assert!(
        text.starts_with("SHP-0000000002  MANAGER_APPROVED"),
        "{text}"
    );
    let out = env.run(&["events", "--shipment", "2"]).ok().stdout;
    assert_eq!(out.lines().count(), 2);
    assert!(out.contains(&b) && !out.contains(&a));
    for bad in ["0", "-1", "12345678901", "SHP-2", "2x"] {
        env.run(&["show", bad]).usage();
    }
    env.run(&["show", "3"]).refused();
    env.assert_verifies();
}

#[test]
fn a_store_given_with_its_password_or_not_a_database_is_refused() {
    let env = Env::new();
    let id = env.create();
    let before = std::fs::read(env.dir.join("shipments.jsonl")).unwrap();
    for store in [
        "postgresql://asha:secret@db.hub/tower",
        "host=db password=secret dbname=tower",
        "postgresql://db.hub/tower?password=secret",
    ] {
        let r = env
            .run(&[
                "--store",
                store,
                "advance",
                &id,
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
            ])
            .usage();
        assert!(
            r.stderr.contains("must not hold a password"),
            "{store}: {}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("secret"),
            "the password is not echoed: {}",
            r.stderr
        );
    }
    let r = env.run(&["--store", "tower-db", "list"]).usage();
    assert!(
        r.stderr.contains("not a PostgreSQL connection string"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(env.dir.join("shipments.jsonl")).unwrap(),
        before
    );
}

#[test]
fn policy_show_on_the_file_store_prints_the_grants_and_apply_is_refused() {
    let env = Env::new();
    let r = env.run(&["policy", "show"]).ok();
    assert!(
        r.stdout.contains("every operator may act in every role"),
        "{}",
        r.stdout
    );
    let policy = env.dir.join("policy.toml");
    std::fs::write(
        &policy,
        "[operators]\nasha = [\"SENDER\", \"SENDER_MANAGER\"]\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = env.run(&["policy", "show"]).ok();
    assert_eq!(r.stdout.trim(), "asha = SENDER, SENDER_MANAGER");
    let r = env
        .run(&["policy", "apply", policy.to_str().unwrap()])
        .usage();
    assert!(
        r.stderr.contains("for the PostgreSQL store"),
        "{}",
        r.stderr
    );
    let r = env.run(&["migrate-schema"]).usage();
    assert!(
        r.stderr.contains("for the PostgreSQL store"),
        "{}",
        r.stderr
    );
}

#[test]
fn migrate_copies_a_tower_byte_for_byte_resumes_and_refuses_a_diverged_target() {
    let from = Env::new();
    for _ in 0..3 {
        let id = from.create();
        from.run(&[
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ])
        .ok();
    }
    let to = Env::new();
    let migrate = |to: &Env| {
        from.run(&[
            "migrate",
            "--from",
            from.dir.to_str().unwrap(),
            "--to",
            to.dir.to_str().unwrap(),
        ])
    };
    let r = migrate(&to).ok();
    assert!(
        r.stdout.contains("copied 6 events and 3 counter lines"),
        "{}",
        r.stdout
    );
    for file in ["shipments.jsonl", "shipment_counter.jsonl"] {
        assert_eq!(
            std::fs::read(from.dir.join(file)).unwrap(),
            std::fs::read(to.dir.join(file)).unwrap(),
            "{file}"
        );
    }
    assert_eq!(
        from.run(&["audit", "--json"]).ok().json(),
        to.run(&["audit", "--json"]).ok().json()
    );
    // Again: nothing twice. Then only what came since.
    assert!(
        migrate(&to)
            .ok()
            .stdout
            .contains("copied 0 events and 0 counter lines")
    );
    from.create();
    assert!(
        migrate(&to)
            .ok()
            .stdout
            .contains("copied 1 events and 1 counter lines")
    );
    assert_eq!(
        std::fs::read(from.dir.join("shipments.jsonl")).unwrap(),
        std::fs::read(to.dir.join("shipments.jsonl")).unwrap()
    );
    // A target with a history of its own is refused, and left as it was.
    to.create();
    from.create();
    let before = std::fs::read(to.dir.join("shipments.jsonl")).unwrap();
    let r = migrate(&to).usage();
    assert!(
        r.stderr.contains("is not a copy of the source"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(to.dir.join("shipments.jsonl")).unwrap(),
        before
    );
}

#[test]
fn migrate_refuses_a_target_whose_counter_log_is_another() {
    let from = Env::new();
    from.create();
    from.create();
    let to = Env::new();
    let first = from.lines()[0].clone();
    std::fs::write(to.events_path(), format!("{first}\n")).unwrap();
    std::fs::write(
        to.counter_path(),
        "{\"counter\": 9, \"timestamp\": \"2026-01-01T00:00:00.000Z\", \"action\": \"ID_GENERATED\"}\n",
    )
    .unwrap();
    let before = (to.log_bytes(), to.counter_bytes());
    let r = from
        .run(&[
            "migrate",
            "--from",
            from.dir.to_str().unwrap(),
            "--to",
            to.dir.to_str().unwrap(),
        ])
        .usage();
    assert!(
        r.stderr.contains("counter lines are not the source's"),
        "{}",
        r.stderr
    );
    assert_eq!((to.log_bytes(), to.counter_bytes()), before);
}

//! Payload rules (docs/FORMAT.md, "The event line" and "Payload rules"): every
//! refusal exits 1, says why on stderr, and leaves both logs byte for byte
//! as they were.

use crate::support::*;
use control_tower::Error;
use control_tower::domain::{Actor, EventType};
use control_tower::store::{AppendRequest, EventStore, JsonlStore};
use serde_json::{Map, Value, json};

fn create_args<'a>(source: &'a str, dest: &'a str, weight: &'a str, kind: &'a str) -> Vec<&'a str> {
    vec![
        "create",
        "--source",
        source,
        "--destination",
        dest,
        "--weight-kg",
        weight,
        "--delivery-type",
        kind,
    ]
}

/// Runs a create that must be refused with a message mentioning `field`.
fn refuse(env: &Env, args: &[&str], field: &str) {
    let before = snapshot(env);
    let run = env.run(args).refused();
    assert!(
        run.stderr.contains(field),
        "{args:?}: the message should name {field}: {}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    assert_unchanged(env, &before, &format!("{args:?}"));
}

#[test]
fn weight_must_be_finite_positive_and_at_most_100000() {
    let env = Env::new();
    for w in [
        "-1",
        "-0.5",
        "0",
        "-0",
        "0.0",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "infinity",
        "100000.001",
        "100001",
        "1e308",
        "1e999",
    ] {
        // `--weight-kg=-inf`: a separate `-inf` would read as a flag.
        let weight = format!("--weight-kg={w}");
        let args = [
            "create",
            "--source",
            "Pune",
            "--destination",
            "Goa",
            &weight,
            "--delivery-type",
            "STANDARD",
        ];
        refuse(&env, &args, "weight_kg");
        if !w.starts_with("-i") {
            refuse(
                &env,
                &create_args("Pune", "Goa", w, "STANDARD"),
                "weight_kg",
            );
        }
    }
    // No refused create used up an ID.
    assert_eq!(env.counter_bytes(), b"");
    for (w, stored) in [
        ("100000", json!(100000.0)),
        ("0.001", json!(0.001)),
        ("42", json!(42.0)),
    ] {
        env.run(&create_args("Pune", "Goa", w, "STANDARD")).ok();
        assert_eq!(env.events().last().unwrap()["payload"]["weight_kg"], stored);
    }
    assert_eq!(env.events()[0]["shipment_id"], "SHP-0000000001");
}

#[test]
fn places_must_be_non_blank_and_at_most_200_chars() {
    let env = Env::new();
    let long = "x".repeat(201);
    let long_multibyte = "é".repeat(201);
    for (s, d, field) in [
        ("", "Goa", "source"),
        ("   ", "Goa", "source"),
        ("\t \t", "Goa", "source"),
        ("Pune", "", "destination"),
        ("Pune", "    ", "destination"),
        (long.as_str(), "Goa", "source"),
        ("Pune", long.as_str(), "destination"),
        ("Pune", long_multibyte.as_str(), "destination"),
        ("Pu\u{7}ne", "Goa", "source"),
    ] {
        refuse(&env, &create_args(s, d, "5", "EXPRESS"), field);
    }
    // 200 characters (bytes do not count, surrounding blanks are trimmed).
    let ok = "é".repeat(200);
    let padded = format!("  {}  ", "y".repeat(200));
    env.run(&create_args(&ok, &padded, "5", "EXPRESS")).ok();
    let p = env.events()[0]["payload"].clone();
    assert_eq!(p["source"], ok.as_str());
    assert_eq!(p["destination"], "y".repeat(200).as_str());
}

#[test]
fn delivery_type_must_be_known() {
    let env = Env::new();
    for kind in ["OVERNIGHT", "", "   ", "EXPRESS!", "STANDARD EXPRESS"] {
        refuse(
            &env,
            &create_args("Pune", "Goa", "5", kind),
            "delivery_type",
        );
    }
    for (typed, stored) in [
        ("STANDARD", "STANDARD"),
        ("express", "EXPRESS"),
        ("Same_Day", "SAME_DAY"),
    ] {
        env.run(&create_args("Pune", "Goa", "5", typed)).ok();
        assert_eq!(
            env.events().last().unwrap()["payload"]["delivery_type"],
            stored
        );
    }
}

#[test]
fn set_cannot_smuggle_bad_created_fields() {
    let env = Env::new();
    let base = create_args("Pune", "Goa", "5", "EXPRESS");
    let id = env.create();
    for (set, field) in [
        ("weight_kg=-5", "weight_kg"),
        ("weight_kg=0", "weight_kg"),
        (r#"weight_kg="5""#, "weight_kg"),
        ("weight_kg=null", "weight_kg"),
        ("weight_kg=1e6", "weight_kg"),
        ("source=", "source"),
        (r#"source="  ""#, "source"),
        ("source=42", "source"),
        ("destination={}", "destination"),
        ("delivery_type=ROCKET", "delivery_type"),
        ("delivery_type=1", "delivery_type"),
    ] {
        // `create` has a flag for each of these: `--set` may not repeat it.
        let mut args = base.clone();
        args.extend(["--set", set]);
        let before = snapshot(&env);
        let run = env.run(&args).usage();
        assert!(run.stderr.contains(field), "{set}: {}", run.stderr);
        assert_unchanged(&env, &before, set);
        // A later event may carry the field only with a valid value.
        let advance = [
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
            "--set",
            set,
        ];
        let before = snapshot(&env);
        let run = env.run(&advance).refused();
        assert!(run.stderr.contains(field), "{set}: {}", run.stderr);
        assert_unchanged(&env, &before, set);
    }
    // A resubmission (CREATED after a hold) is checked on the fields it carries.
    env.advance(&id, "HOLD_FOR_REVIEW", "SENDER_MANAGER").ok();
    for set in ["weight_kg=0", "destination=   ", "delivery_type=FAST"] {
        let before = snapshot(&env);
        env.run(&["advance", &id, "CREATED", "--actor", "SENDER", "--set", set])
            .refused();
        assert_unchanged(&env, &before, set);
    }
    env.run(&[
        "advance",
        &id,
        "CREATED",
        "--actor",
        "SENDER",
        "--set",
        "destination=Surat",
    ])
    .ok();
    let state = env.show(&id);
    assert_eq!(state["current_state"], "CREATED");
    assert_eq!(state["current_payload"]["destination"], "Surat");
    assert_eq!(state["current_payload"]["source"], "Mumbai, Maharashtra");
    // A resubmission never generates an ID.
    assert_eq!(
        String::from_utf8(env.counter_bytes())
            .unwrap()
            .lines()
            .count(),
        1
    );
}

#[test]
fn payload_over_16_kib_is_refused() {
    let env = Env::new();
    let id = env.create();
    // One big value.
    let big = format!("note={}", "x".repeat(16 * 1024));
    let mut args = create_args("Pune", "Goa", "5", "EXPRESS");
    args.extend(["--set", &big]);
    refuse(&env, &args, "16 KiB");
    let before = snapshot(&env);
    let run = env
        .run(&[
            "advance",
            &id,
            "HOLD_FOR_REVIEW",
            "--actor",
            "SENDER_MANAGER",
            "--set",
            &big,
        ])
        .refused();
    assert!(run.stderr.contains("16 KiB"), "{}", run.stderr);
    assert_unchanged(&env, &before, "big advance");

    // Many small values adding up to more than 16 KiB.
    let sets: Vec<String> = (0..40)
        .map(|i| format!("k{i}={}", "v".repeat(450)))
        .collect();
    let mut args = vec![
        "advance",
        &id,
        "HOLD_FOR_REVIEW",
        "--actor",
        "SENDER_MANAGER",
    ];
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    let before = snapshot(&env);
    env.run(&args).refused();
    assert_unchanged(&env, &before, "many --set");

    // Just under the limit is fine.
    let fits = format!("note={}", "x".repeat(16 * 1024 - 34));
    env.run(&[
        "advance",
        &id,
        "HOLD_FOR_REVIEW",
        "--actor",
        "SENDER_MANAGER",
        "--reason",
        "r",
        "--set",
        &fits,
    ])
    .ok();
    let line = env.lines().pop().unwrap();
    let payload =
        serde_json::to_vec(&serde_json::from_str::<Value>(&line).unwrap()["payload"]).unwrap();
    assert!(payload.len() <= 16 * 1024 && payload.len() > 16 * 1024 - 40);
    env.assert_verifies();
}

#[test]
fn bad_payload_keys_are_refused_by_the_store() {
    let env = Env::new();
    let mut store = JsonlStore::open(&env.paths(), "tester").unwrap();
    let mut created = Map::new();
    for (k, v) in [
        ("source", json!("Pune")),
        ("destination", json!("Goa")),
        ("weight_kg", json!(3.5)),
        ("delivery_type", json!("EXPRESS")),
    ] {
        created.insert(k.into(), v);
    }
    let id = store
        .append_request(&AppendRequest::create(created.clone()))
        .unwrap()
        .event
        .shipment_id;
    for key in ["", "   ", "a\u{0}b", "line\nbreak", &"k".repeat(65)] {
        let mut payload = Map::new();
        payload.insert(key.to_string(), json!(1));
        let before = snapshot(&env);
        let r = store.append_request(&AppendRequest::advance(
            id,
            EventType::HoldForReview,
            Actor::SenderManager,
            payload,
        ));
        assert!(
            matches!(r, Err(Error::InvalidPayload(_))),
            "key {key:?}: {r:?}"
        );
        assert_unchanged(&env, &before, &format!("key {key:?}"));
    }
    // Missing CREATED fields, and weights JSON cannot even carry.
    for missing in ["source", "destination", "weight_kg", "delivery_type"] {
        let mut p = created.clone();
        p.remove(missing);
        let r = store.append_request(&AppendRequest::create(p));
        match r {
            Err(Error::InvalidPayload(msg)) => assert!(msg.contains(missing), "{msg}"),
            other => panic!("missing {missing}: {other:?}"),
        }
    }
    for w in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, -1e-300] {
        let p = control_tower::domain::payload::created_payload("A", "B", w, "EXPRESS", Map::new());
        let r = store.append_request(&AppendRequest::create(p));
        assert!(
            matches!(r, Err(Error::InvalidPayload(_))),
            "weight {w}: {r:?}"
        );
    }
    // Only one shipment and one counter line exist.
    assert_eq!(env.lines().len(), 1);
    assert_eq!(
        String::from_utf8(env.counter_bytes())
            .unwrap()
            .lines()
            .count(),
        1
    );
}

/// The figures `show`, `list` and `list --json` give for a shipment's details.
fn views_of(env: &Env, id: &str) -> [(String, String); 3] {
    let figures = |p: &Value| {
        (
            p["weight_kg"].to_string(),
            format!("{} -> {}", p["source"], p["destination"]),
        )
    };
    let show = env.show(id);
    let list = env.run(&["list", "--json"]).ok().json();
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["shipment_id"] == id)
        .unwrap()
        .clone();
    // The table: ID, STATE, ROUTE, KG, … in columns of two spaces or more.
    let table = env.run(&["list"]).ok().stdout;
    let row = table
        .lines()
        .find(|l| l.starts_with(id))
        .unwrap()
        .to_string();
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let show_text = env.run(&["show", id]).ok().stdout;
    let details = show_text.lines().nth(1).unwrap().trim().to_string();
    assert!(
        details.contains(&format!("{} kg", cells[3])),
        "show says {details:?}, list says {row:?}"
    );
    assert!(
        details.starts_with(cells[2]),
        "show says {details:?}, list says {row:?}"
    );
    [
        figures(&show["current_payload"]),
        figures(&listed["current_payload"]),
        (cells[3].to_string(), cells[2].to_string()),
    ]
}

/// Issue 7 item 5: a later event may carry a CREATED field only with a
/// valid value (the same rule as creation, for every writer), `create`'s
/// `--set` may not repeat a field that has its own flag, and `show`, `list`
/// and `list --json` agree on the result.
#[test]
fn later_events_change_details_only_validly_and_every_view_agrees() {
    let env = Env::new();
    let id = env.create();
    for set in [
        "weight_kg=-3",
        "weight_kg=0",
        "weight_kg=100001",
        r#"weight_kg="7""#,
        "source=  ",
        "destination=42",
        "delivery_type=BY_SEA",
    ] {
        let before = snapshot(&env);
        let run = env
            .run(&[
                "advance",
                &id,
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
                "--set",
                set,
            ])
            .refused();
        assert!(
            run.stderr.contains(set.split('=').next().unwrap()),
            "{set}: {}",
            run.stderr
        );
        assert_unchanged(&env, &before, set);
    }
    // Every writer gets the rule: the library too.
    let mut store = JsonlStore::open(&env.paths(), "tester").unwrap();
    let bad = json!({"weight_kg": -3}).as_object().cloned().unwrap();
    let r = store.append_request(&AppendRequest::advance(
        id.parse().unwrap(),
        EventType::ManagerApproved,
        Actor::SenderManager,
        bad,
    ));
    assert!(matches!(r, Err(Error::InvalidPayload(_))), "{r:?}");

    // `create --weight-kg 5 --set weight_kg=7`: which one? Neither: exit 2.
    let mut args = create_args("Pune", "Goa", "5", "EXPRESS");
    args.extend(["--set", "weight_kg=7"]);
    let before = snapshot(&env);
    let run = env.run(&args).usage();
    assert!(run.stderr.contains("--weight-kg"), "{}", run.stderr);
    assert_unchanged(&env, &before, "create --set weight_kg");
    let mut args = create_args("Pune", "Goa", "5", "EXPRESS");
    args.extend(["--set", "note=a", "--set", "note=b"]);
    env.run(&args).usage();

    // A re-weigh and a reroute on later events: every view shows them.
    env.run(&[
        "advance",
        &id,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
        "--set",
        "weight_kg=7",
    ])
    .ok();
    env.run(&[
        "advance",
        &id,
        "SUPERVISOR_APPROVED",
        "--actor",
        "SENDER_SUPERVISOR",
        "--set",
        "destination=Surat, Gujarat",
    ])
    .ok();
    let [show, list_json, table] = views_of(&env, &id);
    assert_eq!(
        show,
        (
            "7".to_string(),
            "\"Mumbai, Maharashtra\" -> \"Surat, Gujarat\"".to_string()
        )
    );
    assert_eq!(list_json, show);
    assert_eq!(
        table,
        (
            "7".to_string(),
            "Mumbai, Maharashtra -> Surat, Gujarat".to_string()
        )
    );
    env.assert_verifies();
}

/// Issue 7 item 6: HOLD_FOR_REVIEW, OVERRIDE_APPLIED and CANCELLED need a
/// non-blank reason on the command line and through the library;
/// `--reason TEXT` is `--set reason=TEXT`; logs written without reasons
/// stay VALID.
#[test]
fn hold_override_and_cancel_need_a_reason() {
    let env = Env::new();
    let id = env.create();
    for (event, actor) in [
        ("HOLD_FOR_REVIEW", "SENDER_MANAGER"),
        ("OVERRIDE_APPLIED", "SENDER_MANAGER"),
        ("CANCELLED", "SENDER"),
    ] {
        for extra in [
            vec![],
            vec!["--reason", ""],
            vec!["--reason", "   "],
            vec!["--set", "reason=  "],
            vec!["--set", "reason=5"],
        ] {
            let mut args = vec!["advance", &id, event, "--actor", actor];
            args.extend(&extra);
            let before = snapshot(&env);
            let run = env.run(&args).refused();
            assert!(run.stderr.contains("reason"), "{args:?}: {}", run.stderr);
            assert_unchanged(&env, &before, &format!("{args:?}"));
        }
        let mut store = JsonlStore::open(&env.paths(), "tester").unwrap();
        let r = store.append_request(&AppendRequest::advance(
            id.parse().unwrap(),
            event.parse().unwrap(),
            actor.parse().unwrap(),
            Map::new(),
        ));
        assert!(matches!(r, Err(Error::InvalidPayload(_))), "{event}: {r:?}");
    }
    // Both ways of giving it at once: a usage error.
    env.run(&[
        "advance",
        &id,
        "HOLD_FOR_REVIEW",
        "--actor",
        "SENDER_MANAGER",
        "--reason",
        "a",
        "--set",
        "reason=b",
    ])
    .usage();
    let held = env
        .run(&[
            "advance",
            &id,
            "HOLD_FOR_REVIEW",
            "--actor",
            "SENDER_MANAGER",
            "--reason",
            " papers missing ",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(held["payload"]["reason"], "papers missing");
    let over = env
        .run(&[
            "advance",
            &id,
            "OVERRIDE_APPLIED",
            "--actor",
            "SENDER_MANAGER",
            "--set",
            "reason=priority customer",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(over["payload"]["reason"], "priority customer");
    env.assert_verifies();

    // A log written before the rule (no reasons) is still VALID.
    let old = Env::new();
    std::fs::create_dir_all(&old.dir).unwrap();
    let mut prev = control_tower::domain::line::GENESIS_HASH;
    let mut text = String::new();
    let at = control_tower::domain::Timestamp::parse("2026-01-21T12:00:00.000Z").unwrap();
    let sid: control_tower::domain::ShipmentId = "SHP-0000000001".parse().unwrap();
    let created =
        json!({"source": "A", "destination": "B", "weight_kg": 1, "delivery_type": "EXPRESS"});
    for (seq, event, actor, payload) in [
        (1, EventType::Created, Actor::Sender, created),
        (2, EventType::HoldForReview, Actor::SenderManager, json!({})),
        (
            3,
            EventType::OverrideApplied,
            Actor::SenderManager,
            json!({}),
        ),
        (4, EventType::Cancelled, Actor::Sender, json!({})),
    ] {
        let payload = payload.as_object().cloned().unwrap();
        let line = control_tower::domain::line::NewLine {
            shipment_id: sid,
            event_seq: seq,
            event_type: event,
            timestamp: at,
            actor,
            payload: &payload,
            operator: "old-tool",
            prev_hash: control_tower::domain::line::hash_hex(&prev),
        }
        .encode();
        prev = control_tower::domain::line::hash_line(&line);
        text.push_str(std::str::from_utf8(&line).unwrap());
        text.push('\n');
    }
    std::fs::write(old.events_path(), text).unwrap();
    std::fs::write(
        old.counter_path(),
        control_tower::domain::line::encode_counter_line(1, &at),
    )
    .unwrap();
    old.assert_verifies();
    assert_eq!(old.show("1")["current_state"], "CANCELLED");
}

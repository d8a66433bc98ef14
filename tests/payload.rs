//! Payload rules (DESIGN.md sections 1-2): every refusal exits 1, says why on
//! stderr, and leaves both logs byte for byte as they were.

mod support;

use control_tower::Error;
use control_tower::domain::{Actor, EventType};
use control_tower::store::{AppendRequest, EventStore, JsonlStore};
use serde_json::{Map, Value, json};
use support::*;

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
        .append(&AppendRequest::create(created.clone()))
        .unwrap()
        .event
        .shipment_id;
    for key in ["", "   ", "a\u{0}b", "line\nbreak", &"k".repeat(65)] {
        let mut payload = Map::new();
        payload.insert(key.to_string(), json!(1));
        let before = snapshot(&env);
        let r = store.append(&AppendRequest::advance(
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
        let r = store.append(&AppendRequest::create(p));
        match r {
            Err(Error::InvalidPayload(msg)) => assert!(msg.contains(missing), "{msg}"),
            other => panic!("missing {missing}: {other:?}"),
        }
    }
    for w in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, -1e-300] {
        let p = control_tower::domain::payload::created_payload("A", "B", w, "EXPRESS", Map::new());
        let r = store.append(&AppendRequest::create(p));
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

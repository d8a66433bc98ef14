//! Model-based test: random command sequences from random actors, applied
//! both to a real `JsonlStore` (reopened at random, so both writer views
//! are exercised) and to the tests' own model of the lifecycle tables of
//! docs/FORMAT.md (`tests/support/lifecycle.rs`, written from the document,
//! not from src/domain/lifecycle.rs). Every accept / refuse decision, the
//! reason for each refusal, and the final states (replayed by a fresh
//! `LogIndex`) must agree.

use crate::support::{ACTORS, EVENTS, allowed_next, permitted_actors};
use control_tower::domain::{Actor, EventType, ShipmentId};
use control_tower::error::Error;
use control_tower::read::index::LogIndex;
use control_tower::store::{
    AppendRequest, EventStore, ExpectedSeq, JsonlStore, LogPaths, NewEvent, Target,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Unknown,
    Conflict,
    Transition,
    Role,
    Payload,
}

#[derive(Debug, Clone)]
enum Payload {
    Valid,
    ZeroWeight,
    HugeWeight,
    BlankSource,
    LongDestination,
    BadDeliveryType,
    Oversized,
}

#[derive(Debug, Clone)]
enum Expect {
    None,
    Current,
    Stale(u32),
    Ahead(u32),
}

#[derive(Debug, Clone)]
enum Cmd {
    /// `None`: a SENDER; else any role.
    Create {
        actor: Option<Index>,
        payload: Payload,
    },
    Advance {
        target: Index,
        unknown: bool,
        /// Pick an allowed event and a permitted actor (else any).
        sensible: bool,
        event: Index,
        actor: Index,
        expect: Expect,
    },
    Reopen,
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let payload = prop_oneof![
        6 => Just(Payload::Valid),
        1 => Just(Payload::ZeroWeight),
        1 => Just(Payload::HugeWeight),
        1 => Just(Payload::BlankSource),
        1 => Just(Payload::LongDestination),
        1 => Just(Payload::BadDeliveryType),
        1 => Just(Payload::Oversized),
    ];
    let expect = prop_oneof![
        3 => Just(Expect::None),
        4 => Just(Expect::Current),
        1 => (0u32..3).prop_map(Expect::Stale),
        1 => (0u32..3).prop_map(Expect::Ahead),
    ];
    prop_oneof![
        2 => (any::<Index>(), payload, proptest::bool::weighted(0.7)).prop_map(|(actor, payload, sender)| {
            Cmd::Create { actor: (!sender).then_some(actor), payload }
        }),
        7 => (any::<Index>(), proptest::bool::weighted(0.05), proptest::bool::weighted(0.7), any::<Index>(), any::<Index>(), expect)
            .prop_map(|(target, unknown, sensible, event, actor, expect)| Cmd::Advance { target, unknown, sensible, event, actor, expect }),
        1 => Just(Cmd::Reopen),
    ]
}

fn payload_of(p: &Payload) -> Map<String, Value> {
    let mut m = json!({"source": "Mumbai, Maharashtra", "destination": "Delhi, Delhi", "weight_kg": 5.0, "delivery_type": "EXPRESS"});
    match p {
        Payload::Valid => {}
        Payload::ZeroWeight => m["weight_kg"] = json!(0),
        Payload::HugeWeight => m["weight_kg"] = json!(100000.01),
        Payload::BlankSource => m["source"] = json!("   "),
        Payload::LongDestination => m["destination"] = json!("d".repeat(201)),
        Payload::BadDeliveryType => m["delivery_type"] = json!("TELEPORT"),
        Payload::Oversized => m["notes"] = json!("n".repeat(16 * 1024)),
    }
    m.as_object().cloned().unwrap()
}

fn payload_valid(p: &Payload) -> bool {
    matches!(p, Payload::Valid)
}

fn verdict_of(result: &Result<control_tower::store::Appended, Error>) -> Verdict {
    match result {
        Ok(_) => Verdict::Accepted,
        Err(Error::UnknownShipment(_)) => Verdict::Unknown,
        Err(Error::Conflict { .. }) => Verdict::Conflict,
        Err(Error::TransitionNotAllowed { .. }) => Verdict::Transition,
        Err(Error::RoleNotPermitted { .. }) => Verdict::Role,
        Err(Error::InvalidPayload(_)) => Verdict::Payload,
        Err(other) => panic!("unexpected error: {other}"),
    }
}

/// The model: (state, seq) per shipment, in creation order (ID = index + 1).
struct Model {
    shipments: Vec<(&'static str, u32)>,
}

fn run_case(cmds: &[Cmd], indexed: bool) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    let open = |indexed: bool| {
        if indexed {
            Box::new(JsonlStore::open_indexed(&paths, "model").unwrap()) as Box<dyn EventStore>
        } else {
            Box::new(JsonlStore::open(&paths, "model").unwrap())
        }
    };
    let mut store = open(indexed);
    let mut model = Model {
        shipments: Vec::new(),
    };
    let mut reopen_indexed = indexed;
    for (step, c) in cmds.iter().enumerate() {
        match c {
            Cmd::Reopen => {
                reopen_indexed = !reopen_indexed;
                store = open(reopen_indexed);
            }
            Cmd::Create { actor, payload } => {
                let actor_name = actor.map_or("SENDER", |a| ACTORS[a.index(ACTORS.len())]);
                let expected = if !permitted_actors("CREATED").contains(&actor_name) {
                    Verdict::Role
                } else if !payload_valid(payload) {
                    Verdict::Payload
                } else {
                    Verdict::Accepted
                };
                let request = AppendRequest {
                    target: Target::New,
                    expected: ExpectedSeq::Any,
                    event: NewEvent {
                        event_type: EventType::Created,
                        actor: Actor::from_log_name(actor_name).unwrap(),
                        payload: payload_of(payload),
                    },
                };
                let result = store.append_request(&request);
                let got = verdict_of(&result);
                prop_assert_eq!(
                    got,
                    expected,
                    "step {}: {:?} -> {:?}",
                    step,
                    c,
                    result.as_ref().err().map(ToString::to_string)
                );
                if let Ok(a) = result {
                    model.shipments.push(("CREATED", 1));
                    prop_assert_eq!(a.event.shipment_id.number(), model.shipments.len() as u64);
                }
            }
            Cmd::Advance {
                target,
                unknown,
                sensible,
                event,
                actor,
                expect,
            } => {
                let known = !model.shipments.is_empty() && !unknown;
                let i = if known {
                    target.index(model.shipments.len())
                } else {
                    model.shipments.len()
                };
                let (state, seq) = model.shipments.get(i).copied().unwrap_or(("CREATED", 0));
                let options = allowed_next(state);
                let event_name = if *sensible && !options.is_empty() {
                    options[event.index(options.len())]
                } else {
                    EVENTS[event.index(EVENTS.len())]
                };
                let actors = permitted_actors(event_name);
                let actor_name = if *sensible {
                    actors[actor.index(actors.len())]
                } else {
                    ACTORS[actor.index(ACTORS.len())]
                };
                let expected_seq = match expect {
                    Expect::None => None,
                    Expect::Current => Some(seq),
                    Expect::Stale(k) => Some(seq.saturating_sub(1 + k)),
                    Expect::Ahead(k) => Some(seq + 1 + k),
                };
                let expected = if !known {
                    Verdict::Unknown
                } else if expected_seq.is_some_and(|s| s != seq) {
                    Verdict::Conflict
                } else if !allowed_next(state).contains(&event_name) {
                    Verdict::Transition
                } else if !actors.contains(&actor_name) {
                    Verdict::Role
                } else {
                    Verdict::Accepted
                };
                let mut payload = Map::new();
                payload.insert("step".into(), json!(step));
                if matches!(
                    event_name,
                    "HOLD_FOR_REVIEW" | "OVERRIDE_APPLIED" | "CANCELLED"
                ) {
                    payload.insert("reason".into(), json!("model step"));
                }
                let request = AppendRequest {
                    target: Target::Existing(ShipmentId::new(i as u64 + 1).unwrap()),
                    expected: expected_seq.map_or(ExpectedSeq::Any, ExpectedSeq::Exactly),
                    event: NewEvent {
                        event_type: EventType::from_log_name(event_name).unwrap(),
                        actor: Actor::from_log_name(actor_name).unwrap(),
                        payload,
                    },
                };
                let result = store.append_request(&request);
                let got = verdict_of(&result);
                prop_assert_eq!(
                    got,
                    expected,
                    "step {}: {} {} by {} (seq {:?}) on {}@{}: {:?}",
                    step,
                    i + 1,
                    event_name,
                    actor_name,
                    expected_seq,
                    state,
                    seq,
                    result.as_ref().err().map(ToString::to_string)
                );
                if let Ok(a) = result {
                    model.shipments[i] = (event_name, seq + 1);
                    prop_assert_eq!(a.event.event_seq, seq + 1);
                }
            }
        }
    }
    // Final states: a fresh replay equals the model, and the log verifies clean.
    let index = LogIndex::load(&paths).unwrap();
    let projection = index.projection();
    prop_assert_eq!(projection.total_shipments(), model.shipments.len());
    let total: u32 = model.shipments.iter().map(|s| s.1).sum();
    prop_assert_eq!(projection.total_events(), u64::from(total));
    for (i, (state, seq)) in model.shipments.iter().enumerate() {
        let s = projection
            .get(ShipmentId::new(i as u64 + 1).unwrap())
            .unwrap();
        prop_assert_eq!(
            (s.state.as_str(), s.seq, s.event_count),
            (*state, *seq, *seq)
        );
    }
    let report = index.verify_report();
    prop_assert!(
        report.valid && report.warnings.is_empty(),
        "{:?} {:?}",
        report.errors,
        report.warnings
    );
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(Config { cases: cases(), ..Config::default() })]

    #[test]
    fn store_agrees_with_the_design_tables(cmds in proptest::collection::vec(cmd(), 1..60), indexed in any::<bool>()) {
        run_case(&cmds, indexed)?;
    }
}

// ---------------------------------------------------------------------------
// Issue 7 item 5: every view computes the same current payload. `show`
// (byte search + `ShipmentState`), `list --json` / the dashboard's history
// (`LogIndex::state` / `states_in`, read back by offset) and `list` / the
// dashboard's rows (the projection's compact summary) must agree on random
// logs: written through the store with later events re-setting details,
// and written raw by "other tools" with any values at all.

use control_tower::domain::details::Details;
use control_tower::domain::lifecycle;
use control_tower::read::state::ShipmentState;

fn assert_views_agree(paths: &LogPaths) -> Result<(), TestCaseError> {
    let index = LogIndex::load(paths).unwrap();
    let listed = index.states_in(None).unwrap();
    prop_assert_eq!(listed.len(), index.projection().total_shipments());
    for summary in index.projection().shipments() {
        let show = ShipmentState::from_events(
            JsonlStore::reader(paths).read_shipment(summary.id).unwrap(),
        )
        .unwrap();
        let state = index.state(summary.id).unwrap();
        let list = listed.iter().find(|s| s.shipment_id == summary.id).unwrap();
        prop_assert_eq!(&show.current_payload, &state.current_payload);
        prop_assert_eq!(&show.current_payload, &list.current_payload);
        prop_assert_eq!(show.details(), summary.details, "{}", summary.id);
        prop_assert_eq!(Details::of(&list.current_payload), summary.details);
    }
    Ok(())
}

/// What a later event sets: any of the four details (valid values) and more.
fn detail_patch() -> impl Strategy<Value = Map<String, Value>> {
    let place = prop::sample::select(vec!["Pune", "Goa, Goa", "Surat, Gujarat", " Agra "]);
    let kind = prop::sample::select(vec!["STANDARD", "EXPRESS", "SAME_DAY"]);
    (
        prop::option::of(place.clone()),
        prop::option::of(place),
        prop::option::of(prop_oneof![
            (1u32..100_000).prop_map(f64::from),
            0.5f64..99_999.0
        ]),
        prop::option::of(kind),
        prop::option::of("[a-z]{0,6}"),
    )
        .prop_map(|(source, destination, weight, kind, note)| {
            let mut p = Map::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    p.insert(k.into(), v);
                }
            };
            put("source", source.map(Value::from));
            put("destination", destination.map(Value::from));
            put("weight_kg", weight.map(|w| json!(w)));
            put("delivery_type", kind.map(Value::from));
            put("note", note.map(Value::from));
            p
        })
}

fn written_log_case(
    steps: &[(bool, Index, Index, Map<String, Value>)],
    indexed: bool,
) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    let mut store = if indexed {
        Box::new(JsonlStore::open_indexed(&paths, "views").unwrap()) as Box<dyn EventStore>
    } else {
        Box::new(JsonlStore::open(&paths, "views").unwrap())
    };
    let mut heads: Vec<(ShipmentId, EventType)> = Vec::new();
    for (create, target, pick, patch) in steps {
        if *create || heads.is_empty() {
            let mut p = payload_of(&Payload::Valid);
            p.extend(patch.clone());
            let e = store
                .append_request(&AppendRequest::create(p))
                .unwrap()
                .event;
            heads.push((e.shipment_id, e.event_type));
            continue;
        }
        let i = target.index(heads.len());
        let (id, state) = heads[i];
        let next = lifecycle::allowed_next(Some(state));
        if next.is_empty() {
            continue;
        }
        let event = next[pick.index(next.len())];
        let actor = lifecycle::permitted_actors(event)[0];
        let mut p = patch.clone();
        p.insert("reason".into(), json!("re-checked"));
        let e = store
            .append_request(&AppendRequest::advance(id, event, actor, p))
            .unwrap()
            .event;
        heads[i].1 = e.event_type;
    }
    drop(store);
    assert_views_agree(&paths)?;
    prop_assert!(LogIndex::load(&paths).unwrap().verify_report().valid);
    Ok(())
}

/// A payload as another tool might write it: any keys, any values, repeats,
/// escaped keys, numbers out of range, deep nesting.
fn raw_payload() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        r#""source""#,
        r#""destination""#,
        r#""weight_kg""#,
        r#""delivery_type""#,
        r#""weight\u005fkg""#,
        r#""note""#,
    ]);
    let deep = format!("{}1{}", "[".repeat(130), "]".repeat(130));
    let value = prop::sample::select(vec![
        r#""Pune""#.to_string(),
        r#""Goa, Goa""#.to_string(),
        r#""x\u001by""#.to_string(),
        "7".into(),
        "-3".into(),
        "2.5".into(),
        r#""5""#.into(),
        "null".into(),
        "true".into(),
        r#"{"a":[1]}"#.into(),
        "1e400".into(),
        deep,
    ]);
    prop::collection::vec((key, value), 0..5).prop_map(|kvs| {
        let body: Vec<String> = kvs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        format!("{{{}}}", body.join(","))
    })
}

fn raw_log_case(lines: &[(Index, Index, String)]) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    std::fs::create_dir_all(&paths.dir).unwrap();
    let mut seqs = [0u32; 3];
    let mut text = String::new();
    for (target, event, payload) in lines {
        let i = target.index(seqs.len());
        seqs[i] += 1;
        let event = if seqs[i] == 1 {
            "CREATED"
        } else {
            EVENTS[event.index(EVENTS.len())]
        };
        text.push_str(&format!(
            r#"{{"shipment_id":"SHP-{:010}","event_seq":{},"event_type":"{event}","timestamp":"2026-01-21T12:00:00.000Z","actor":"SENDER","payload":{payload}}}"#,
            i + 1,
            seqs[i]
        ));
        text.push('\n');
    }
    std::fs::write(&paths.events, text).unwrap();
    assert_views_agree(&paths)
}

proptest! {
    #![proptest_config(Config { cases: cases(), ..Config::default() })]

    #[test]
    fn every_view_computes_the_same_current_payload_on_written_logs(
        steps in proptest::collection::vec(
            (proptest::bool::weighted(0.2), any::<Index>(), any::<Index>(), detail_patch()),
            1..40,
        ),
        indexed in any::<bool>(),
    ) {
        written_log_case(&steps, indexed)?;
    }

    #[test]
    fn every_view_computes_the_same_current_payload_on_raw_logs(
        lines in proptest::collection::vec((any::<Index>(), any::<Index>(), raw_payload()), 1..30),
    ) {
        raw_log_case(&lines)?;
    }
}

//! docs/FORMAT.md, "the lifecycle", exhaustively: every (state, event) pair
//! of the transition table and every (event, actor) pair of the role table,
//! through the library's `JsonlStore` (fast) and slices of both through the
//! CLI. The expected tables are the hand-copied ones in `support`, not the
//! core's.

use crate::support::*;
use control_tower::Error;
use control_tower::domain::{Actor, EventType, ShipmentId};
use control_tower::read::index::LogIndex;
use control_tower::store::{AppendRequest, EventStore, ExpectedSeq, JsonlStore, NewEvent, Target};
use serde_json::{Map, Value, json};

fn et(name: &str) -> EventType {
    EventType::from_log_name(name).unwrap_or_else(|| panic!("{name}"))
}

fn actor(name: &str) -> Actor {
    Actor::from_log_name(name).unwrap_or_else(|| panic!("{name}"))
}

fn created_payload() -> Map<String, Value> {
    json!({"source": "Pune", "destination": "Nagpur", "weight_kg": 12.5, "delivery_type": "STANDARD"})
        .as_object()
        .cloned()
        .unwrap()
}

/// A named way to drive a fresh shipment into a state.
struct Route {
    name: &'static str,
    state: &'static str,
    steps: Vec<(&'static str, &'static str)>,
}

fn routes() -> Vec<Route> {
    let mut routes: Vec<Route> = EVENTS
        .iter()
        .map(|&state| Route {
            name: state,
            state,
            steps: path_to(state),
        })
        .collect();
    routes.push(Route {
        name: "CREATED (resubmitted after a hold)",
        state: "CREATED",
        steps: vec![("HOLD_FOR_REVIEW", "SENDER_MANAGER"), ("CREATED", "SENDER")],
    });
    routes.push(Route {
        name: "MANAGER_APPROVED (after an override)",
        state: "MANAGER_APPROVED",
        steps: vec![
            ("OVERRIDE_APPLIED", "SENDER_MANAGER"),
            ("MANAGER_APPROVED", "SENDER_MANAGER"),
        ],
    });
    routes.push(Route {
        name: "HOLD_FOR_REVIEW (from IN_TRANSIT)",
        state: "HOLD_FOR_REVIEW",
        steps: {
            let mut s = path_to("IN_TRANSIT");
            s.push(("HOLD_FOR_REVIEW", "SENDER_SUPERVISOR"));
            s
        },
    });
    routes.push(Route {
        name: "CANCELLED (from OUT_FOR_DELIVERY)",
        state: "CANCELLED",
        steps: {
            let mut s = path_to("OUT_FOR_DELIVERY");
            s.push(("CANCELLED", "WAREHOUSE"));
            s
        },
    });
    routes
}

/// Creates one shipment per route and drives each along it, in batches
/// (one lock and one sync per step). Returns the IDs in route order.
fn set_up(store: &mut JsonlStore, steps: &[Vec<(&str, &str)>]) -> Vec<ShipmentId> {
    let creates: Vec<AppendRequest> = steps
        .iter()
        .map(|_| AppendRequest::create(created_payload()))
        .collect();
    let ids: Vec<ShipmentId> = store
        .append_batch(&creates)
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap().event.shipment_id)
        .collect();
    let longest = steps.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        let batch: Vec<AppendRequest> = steps
            .iter()
            .zip(&ids)
            .filter_map(|(s, &id)| s.get(i).map(|&(e, a)| (id, e, a)))
            .map(|(id, e, a)| {
                AppendRequest::advance(id, et(e), actor(a), with_reason(et(e), Map::new()))
                    .expecting_seq(i as u32 + 1)
            })
            .collect();
        for r in store.append_batch(&batch).unwrap() {
            r.expect("setting up a route");
        }
    }
    ids
}

#[test]
fn every_transition_of_the_table_through_the_store() {
    let env = Env::new();
    let paths = env.paths();
    let mut store = JsonlStore::open(&paths, "tester").unwrap();
    let routes = routes();
    let cases: Vec<(&Route, &str)> = routes
        .iter()
        .flat_map(|r| EVENTS.iter().map(move |&e| (r, e)))
        .collect();
    let steps: Vec<_> = cases.iter().map(|(r, _)| r.steps.clone()).collect();
    let ids = set_up(&mut store, &steps);

    let (mut allowed_seen, mut forbidden_seen) = (0, 0);
    for ((route, event), &id) in cases.iter().zip(&ids) {
        let who = permitted_actors(event)[0];
        let request = AppendRequest::advance(
            id,
            et(event),
            actor(who),
            with_reason(et(event), Map::new()),
        );
        let before = snapshot(&env);
        let result = store.append_request(&request);
        let what = format!("{} -> {event} by {who}", route.name);
        if allowed_next(route.state).contains(event) {
            allowed_seen += 1;
            let appended = result.unwrap_or_else(|e| panic!("{what} must be allowed: {e}"));
            assert_eq!(
                appended.event.event_seq,
                route.steps.len() as u32 + 2,
                "{what}"
            );
            assert_eq!(appended.event.event_type, et(event));
            let after = env.log_bytes();
            assert!(after.starts_with(&before.0), "{what}: history changed");
            let added = &after[before.0.len()..];
            assert_eq!(
                added.iter().filter(|&&b| b == b'\n').count(),
                1,
                "{what}: exactly one line appended"
            );
            assert_eq!(appended.position.0, before.0.len() as u64);
            assert_eq!(env.counter_bytes(), before.1, "{what}: no ID generated");
        } else {
            forbidden_seen += 1;
            match result {
                Err(Error::TransitionNotAllowed {
                    state, event: e, ..
                }) => {
                    assert_eq!(state, et(route.state), "{what}");
                    assert_eq!(e, et(event), "{what}");
                }
                other => panic!("{what} must be refused as a transition, got {other:?}"),
            }
            assert_unchanged(&env, &before, &what);
        }
    }
    // 11 events x 15 routes; the table has 34 allowed pairs among the 11 states.
    assert_eq!(allowed_seen + forbidden_seen, routes.len() * 11);
    let per_state: usize = EVENTS.iter().map(|s| allowed_next(s).len()).sum();
    assert_eq!(per_state, 34);
    let report = LogIndex::load(&paths).unwrap().verify_report();
    assert!(report.valid, "{:#?}", report.errors);
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
}

#[test]
fn nothing_but_created_starts_a_shipment() {
    let env = Env::new();
    let mut store = JsonlStore::open(&env.paths(), "tester").unwrap();
    store
        .append_request(&AppendRequest::create(created_payload()))
        .unwrap();
    let unknown = ShipmentId::new(2).unwrap();
    for event in EVENTS {
        let who = actor(permitted_actors(event)[0]);
        let before = snapshot(&env);
        // An ID no event names: unknown, whatever the event.
        let r = store.append_request(&AppendRequest::advance(unknown, et(event), who, Map::new()));
        assert!(
            matches!(r, Err(Error::UnknownShipment(id)) if id == unknown),
            "{event}: {r:?}"
        );
        assert_eq!(r.unwrap_err().exit_code(), 1);
        assert_unchanged(&env, &before, event);
        // A new shipment whose first event is not CREATED.
        if event != "CREATED" {
            let mut payload = created_payload();
            payload.insert("x".into(), 1.into());
            let request = AppendRequest {
                target: Target::New,
                expected: ExpectedSeq::Any,
                event: NewEvent {
                    event_type: et(event),
                    actor: who,
                    payload,
                },
            };
            assert!(
                store.append_request(&request).is_err(),
                "new shipment with {event}"
            );
            assert_unchanged(&env, &before, event);
        }
    }
    // Through the CLI: an unknown ID exits 1 and says so.
    let before = snapshot(&env);
    let run = env
        .advance("SHP-0000000002", "MANAGER_APPROVED", "SENDER_MANAGER")
        .refused();
    assert!(run.stderr.contains("SHP-0000000002"), "{}", run.stderr);
    assert_unchanged(&env, &before, "unknown ID");
}

#[test]
fn transition_rows_through_the_cli() {
    let env = Env::new();
    let states = [
        "CREATED",
        "IN_TRANSIT",
        "RECEIVER_ACKNOWLEDGED",
        "HOLD_FOR_REVIEW",
        "DELIVERED",
    ];
    let cases: Vec<(&str, &str)> = states
        .iter()
        .flat_map(|&s| EVENTS.iter().map(move |&e| (s, e)))
        .collect();
    let ids = {
        let mut store = JsonlStore::open(&env.paths(), "setup").unwrap();
        let steps: Vec<_> = cases.iter().map(|(s, _)| path_to(s)).collect();
        set_up(&mut store, &steps)
    };
    for ((state, event), id) in cases.iter().zip(&ids) {
        let id = id.to_string();
        let who = permitted_actors(event)[0];
        let before = snapshot(&env);
        let mut args = vec!["advance", &id, event, "--actor", who, "--json"];
        if needs_reason(event) {
            args.extend(["--reason", "given by the test"]);
        }
        let run = env.run(&args);
        if allowed_next(state).contains(event) {
            let e = run.ok().json();
            assert_eq!(e["event_type"], *event);
            assert_eq!(e["event_seq"], path_to(state).len() as u64 + 2);
            assert_eq!(env.events().last().unwrap(), &e, "printed = written");
        } else {
            let run = run.refused();
            assert!(
                run.stderr.contains(&id) && run.stderr.contains(state),
                "{state} -> {event}: the message names the shipment and its state: {}",
                run.stderr
            );
            assert!(run.stdout.is_empty());
            assert_unchanged(&env, &before, &format!("{state} -> {event}"));
        }
    }
    env.assert_verifies();
}

/// A state from which `event` is allowed.
fn state_allowing(event: &str) -> Vec<(&'static str, &'static str)> {
    match event {
        "CREATED" => path_to("HOLD_FOR_REVIEW"),
        "MANAGER_APPROVED" | "OVERRIDE_APPLIED" | "HOLD_FOR_REVIEW" | "CANCELLED" => vec![],
        _ => {
            let n = STANDARD_STEPS
                .iter()
                .position(|(e, _)| *e == event)
                .unwrap();
            STANDARD_STEPS[..n].to_vec()
        }
    }
}

#[test]
fn every_role_rule_through_the_store() {
    let env = Env::new();
    let paths = env.paths();
    let mut store = JsonlStore::open(&paths, "tester").unwrap();
    let cases: Vec<(&str, &str)> = EVENTS
        .iter()
        .flat_map(|&e| ACTORS.iter().map(move |&a| (e, a)))
        .collect();
    let steps: Vec<_> = cases.iter().map(|(e, _)| state_allowing(e)).collect();
    let ids = set_up(&mut store, &steps);
    let mut permitted = 0;
    for ((event, who), &id) in cases.iter().zip(&ids) {
        let before = snapshot(&env);
        let r = store.append_request(&AppendRequest::advance(
            id,
            et(event),
            actor(who),
            with_reason(et(event), Map::new()),
        ));
        if permitted_actors(event).contains(who) {
            permitted += 1;
            let e = r
                .unwrap_or_else(|e| panic!("{who} may append {event}: {e}"))
                .event;
            assert_eq!(e.actor, actor(who));
        } else {
            match r {
                Err(Error::RoleNotPermitted {
                    actor: a, event: e, ..
                }) => {
                    assert_eq!((a, e), (actor(who), et(event)));
                }
                other => panic!("{who} must not append {event}: {other:?}"),
            }
            assert_unchanged(&env, &before, &format!("{event} by {who}"));
        }
    }
    // 1+1+1+1+2+2+1+1+1+1+8 permitted pairs.
    assert_eq!(permitted, 20);

    // A new shipment: only SENDER may create it.
    for who in ACTORS {
        let before = snapshot(&env);
        let mut request = AppendRequest::create(created_payload());
        request.event.actor = actor(who);
        let r = store.append_request(&request);
        if who == "SENDER" {
            assert!(r.is_ok(), "{r:?}");
        } else {
            assert!(
                matches!(r, Err(Error::RoleNotPermitted { .. })),
                "{who} created a shipment: {r:?}"
            );
            assert_unchanged(&env, &before, who);
        }
    }
    let report = LogIndex::load(&paths).unwrap().verify_report();
    assert!(report.valid && report.warnings.is_empty(), "{report:#?}");
}

#[test]
fn role_rules_through_the_cli() {
    let env = Env::new();
    let events = ["HOLD_FOR_REVIEW", "IN_TRANSIT", "CREATED", "DELIVERED"];
    let cases: Vec<(&str, &str)> = events
        .iter()
        .flat_map(|&e| ACTORS.iter().map(move |&a| (e, a)))
        .collect();
    let ids = {
        let mut store = JsonlStore::open(&env.paths(), "setup").unwrap();
        let steps: Vec<_> = cases.iter().map(|(e, _)| state_allowing(e)).collect();
        set_up(&mut store, &steps)
    };
    for ((event, who), id) in cases.iter().zip(&ids) {
        let id = id.to_string();
        let before = snapshot(&env);
        // Roles are typed in any case.
        let typed = who.to_lowercase();
        let mut args = vec!["advance", &id, event, "--actor", &typed];
        if needs_reason(event) {
            args.extend(["--reason", "given by the test"]);
        }
        let run = env.run(&args);
        if permitted_actors(event).contains(who) {
            run.ok();
            assert_eq!(env.events().last().unwrap()["actor"], *who);
        } else {
            let run = run.refused();
            assert!(
                run.stderr.contains(who) && run.stderr.contains(event),
                "{event} by {who}: {}",
                run.stderr
            );
            assert_unchanged(&env, &before, &format!("{event} by {who}"));
        }
    }
    env.assert_verifies();
}

#[test]
fn role_policy_limits_which_operators_may_act_as_which_roles() {
    let env = Env::new();
    let id = env.create();
    std::fs::write(
        env.dir.join("policy.toml"),
        "[operators]\nasha = [\"SENDER_MANAGER\", \"SENDER\"]\nravi = [\"WAREHOUSE\"]\nmeera = []\n"
            .to_string() + &shared_account_for(&["asha", "ravi", "meera", "stranger"]),
    )
    .unwrap();
    let as_op =
        |op: &str, args: &[&str]| Run::from_output(env.command_as(op, args).output().unwrap());
    for (op, why) in [
        ("ravi", "WAREHOUSE"),
        ("meera", "read-only"),
        ("stranger", "policy.toml"),
    ] {
        let before = snapshot(&env);
        let run = as_op(
            op,
            &[
                "advance",
                &id,
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
            ],
        )
        .refused();
        assert!(
            run.stderr.contains(op) && run.stderr.contains(why),
            "{op}: {}",
            run.stderr
        );
        assert_unchanged(&env, &before, op);
    }
    as_op(
        "asha",
        &[
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ],
    )
    .ok();
    // Readers are not limited.
    as_op("meera", &["show", &id]).ok();
    as_op("meera", &["verify"]).ok();
    // A broken policy is a usage error, and nothing is written.
    std::fs::write(
        env.dir.join("policy.toml"),
        "[operators]\nasha = [\"PILOT\"]\n",
    )
    .unwrap();
    let before = snapshot(&env);
    let run = as_op(
        "asha",
        &[
            "advance",
            &id,
            "HOLD_FOR_REVIEW",
            "--actor",
            "SENDER_MANAGER",
        ],
    )
    .usage();
    assert!(run.stderr.contains("PILOT"), "{}", run.stderr);
    assert_unchanged(&env, &before, "broken policy");
}

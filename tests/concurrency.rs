//! Many writers on one log: optimistic concurrency (`--expect-seq`), real
//! processes creating and racing at once, threads with their own stores.
//! After each: no repeated ID or (shipment_id, event_seq), and `verify` passes.

mod support;

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::process::{Child, Stdio};
use std::time::Duration;

use control_tower::Error;
use control_tower::domain::{Actor, EventType};
use control_tower::store::{AppendRequest, EventStore, JsonlStore};
use fs2::FileExt;
use serde_json::{Map, Value, json};
use support::*;

/// Checks the log's invariants: every (id, seq) once, seqs 1..n per
/// shipment, every created ID in the counter log exactly once.
fn assert_log_consistent(env: &Env) -> Vec<Value> {
    let events = env.events();
    assert_eq!(events.len(), env.lines().len(), "every line is an event");
    let mut pairs = HashSet::new();
    let mut next_seq = std::collections::HashMap::new();
    for e in &events {
        let id = e["shipment_id"].as_str().unwrap().to_string();
        let seq = e["event_seq"].as_u64().unwrap();
        assert!(pairs.insert((id.clone(), seq)), "repeated ({id}, {seq})");
        let expected = next_seq.entry(id.clone()).or_insert(1);
        assert_eq!(seq, *expected, "{id}: seq out of order");
        *expected += 1;
    }
    let counters: Vec<u64> = String::from_utf8(env.counter_bytes())
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["counter"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let unique: BTreeSet<u64> = counters.iter().copied().collect();
    assert_eq!(
        unique.len(),
        counters.len(),
        "a counter was handed out twice"
    );
    let created: BTreeSet<u64> = next_seq
        .keys()
        .map(|id| id[4..].parse::<u64>().unwrap())
        .collect();
    assert_eq!(created, unique, "counter log and event log disagree");
    env.assert_verifies();
    events
}

#[test]
fn expect_seq_conflict_names_the_new_state_and_appends_nothing() {
    let env = Env::new();
    let id = env.create();
    env.run(&[
        "advance",
        &id,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
        "--expect-seq",
        "1",
    ])
    .ok();
    // Someone else saw seq 1 too, and pressed a different key.
    for (event, actor, seen) in [
        ("HOLD_FOR_REVIEW", "SENDER_SUPERVISOR", "1"),
        ("MANAGER_APPROVED", "SENDER_MANAGER", "1"),
        ("SUPERVISOR_APPROVED", "SENDER_SUPERVISOR", "0"),
        ("SUPERVISOR_APPROVED", "SENDER_SUPERVISOR", "3"),
    ] {
        let before = snapshot(&env);
        let run = env
            .run(&[
                "advance",
                &id,
                event,
                "--actor",
                actor,
                "--expect-seq",
                seen,
            ])
            .refused();
        assert!(
            run.stderr.contains("MANAGER_APPROVED") && run.stderr.contains("seq 2"),
            "the conflict names the new state and seq: {}",
            run.stderr
        );
        assert!(run.stderr.contains(&id), "{}", run.stderr);
        assert_unchanged(&env, &before, event);
    }
    // The right seq goes through.
    env.run(&[
        "advance",
        &id,
        "SUPERVISOR_APPROVED",
        "--actor",
        "SENDER_SUPERVISOR",
        "--expect-seq",
        "2",
    ])
    .ok();

    // The library reports a typed conflict.
    let mut store = JsonlStore::open(&env.paths(), "lib").unwrap();
    let sid = id.parse().unwrap();
    let r = store.append(
        &AppendRequest::advance(sid, EventType::InTransit, Actor::Carrier, Map::new())
            .expecting_seq(2),
    );
    match r {
        Err(Error::Conflict {
            current_seq,
            state,
            expected_seq,
            ..
        }) => {
            assert_eq!(
                (current_seq, state, expected_seq),
                (3, EventType::SupervisorApproved, 2)
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(env.show(&id)["event_count"], 3);
    env.assert_verifies();
}

#[test]
fn four_processes_creating_at_once_get_distinct_ids() {
    let env = Env::new();
    env.create(); // the log exists, so all writers contend on one file
    let per_process = 50;
    let outputs: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|p| {
                let env = &env;
                s.spawn(move || {
                    (0..per_process)
                        .map(|i| {
                            let out = env
                                .command(&[
                                    "create",
                                    "--source",
                                    "Chennai",
                                    "--destination",
                                    "Kolkata",
                                    "--weight-kg",
                                    "7.5",
                                    "--delivery-type",
                                    "SAME_DAY",
                                    "--set",
                                    &format!("writer={p}"),
                                    "--set",
                                    &format!("n={i}"),
                                ])
                                .output()
                                .unwrap();
                            let run = Run::from_output(out).ok();
                            run.stdout.trim().to_string()
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ids: Vec<&String> = outputs.iter().flatten().collect();
    assert_eq!(ids.len(), 4 * per_process);
    let unique: HashSet<&String> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an ID was handed out twice");
    // Each process saw its own IDs increase.
    for out in &outputs {
        assert!(out.windows(2).all(|w| w[0] < w[1]), "{out:?}");
    }
    let events = assert_log_consistent(&env);
    assert_eq!(events.len(), 4 * per_process + 1);
    // The printed ID is the one written with that process's payload.
    for (p, out) in outputs.iter().enumerate() {
        for (i, id) in out.iter().enumerate() {
            let e = events
                .iter()
                .find(|e| e["shipment_id"] == id.as_str())
                .unwrap();
            assert_eq!(e["payload"]["writer"], json!(p));
            assert_eq!(e["payload"]["n"], json!(i));
        }
    }
    let ids: BTreeSet<String> = events
        .iter()
        .map(|e| e["shipment_id"].as_str().unwrap().into())
        .collect();
    assert_eq!(ids.len(), 201);
    assert_eq!(ids.last().unwrap(), "SHP-0000000201", "IDs are dense");
}

/// Holds the log's lock while `spawn` starts the racers, waits until they
/// are all queued on the lock, then lets them go at once.
fn race(env: &Env, n: usize, spawn: impl Fn(usize) -> Child) -> Vec<Run> {
    let gate = fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(env.events_path())
        .unwrap();
    gate.lock_exclusive().unwrap();
    let children: Vec<Child> = (0..n).map(&spawn).collect();
    // Best effort: if /proc/locks is unavailable the race is merely looser.
    wait_until(Duration::from_secs(10), || {
        blocked_lock_waiters(&env.events_path()) >= n
    });
    FileExt::unlock(&gate).unwrap();
    children
        .into_iter()
        .map(|c| Run::from_output(c.wait_with_output().unwrap()))
        .collect()
}

#[test]
fn racing_approvals_at_one_seq_exactly_one_wins() {
    let env = Env::new();
    let n = 6;
    for round in 0..3 {
        let id = env.create();
        let runs = race(&env, n, |i| {
            env.command_as(
                &format!("racer-{i}"),
                &[
                    "advance",
                    &id,
                    "MANAGER_APPROVED",
                    "--actor",
                    "SENDER_MANAGER",
                    "--expect-seq",
                    "1",
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        });
        let winners: Vec<usize> = (0..n).filter(|&i| runs[i].code == 0).collect();
        assert_eq!(winners.len(), 1, "round {round}: {runs:#?}");
        let winner = format!("racer-{}", winners[0]);
        for (i, run) in runs.iter().enumerate() {
            if i == winners[0] {
                continue;
            }
            assert_eq!(run.code, 1, "{run:?}");
            assert!(
                run.stderr.contains("MANAGER_APPROVED")
                    && run.stderr.contains("seq 2")
                    && run.stderr.contains(&winner)
                    && run.stderr.contains("nothing appended"),
                "a loser is told who won: {}",
                run.stderr
            );
        }
        let state = env.show(&id);
        assert_eq!(state["event_count"], 2);
        assert_eq!(state["full_history"][1]["operator"], winner.as_str());
    }

    // Without --expect-seq the table itself lets only one approval in.
    let id = env.create();
    let runs = race(&env, n, |_| {
        env.command(&[
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    });
    assert_eq!(runs.iter().filter(|r| r.code == 0).count(), 1, "{runs:#?}");
    assert!(runs.iter().all(|r| r.code == 0 || r.code == 1));
    assert_log_consistent(&env);
}

#[test]
fn racing_creates_released_together_get_distinct_ids() {
    let env = Env::new();
    env.create();
    let runs = race(&env, 8, |_| {
        env.command(&[
            "create",
            "--source",
            "Agra",
            "--destination",
            "Jaipur",
            "--weight-kg",
            "1",
            "--delivery-type",
            "STANDARD",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    });
    let ids: HashSet<String> = runs
        .into_iter()
        .map(|r| r.ok().stdout.trim().to_string())
        .collect();
    assert_eq!(ids.len(), 8);
    assert_log_consistent(&env);
}

#[test]
fn threads_with_their_own_stores_interleave_safely() {
    let env = Env::new();
    let paths = env.paths();
    std::thread::scope(|s| {
        for t in 0..4 {
            let paths = paths.clone();
            s.spawn(move || {
                // Long-running writers index everything; one-shot ones do not.
                let mut store = if t % 2 == 0 {
                    JsonlStore::open_indexed(&paths, &format!("t{t}")).unwrap()
                } else {
                    JsonlStore::open(&paths, &format!("t{t}")).unwrap()
                };
                for _ in 0..15 {
                    let payload = json!({"source": "A", "destination": "B", "weight_kg": 1, "delivery_type": "EXPRESS"});
                    let id = store
                        .append(&AppendRequest::create(payload.as_object().unwrap().clone()))
                        .unwrap()
                        .event
                        .shipment_id;
                    for (i, (event, actor)) in STANDARD_STEPS.iter().take(3).enumerate() {
                        let r = store.append(
                            &AppendRequest::advance(
                                id,
                                EventType::from_log_name(event).unwrap(),
                                Actor::from_log_name(actor).unwrap(),
                                Map::new(),
                            )
                            .expecting_seq(i as u32 + 1),
                        );
                        assert_eq!(r.unwrap().event.event_seq, i as u32 + 2);
                    }
                }
            });
        }
    });
    let events = assert_log_consistent(&env);
    assert_eq!(events.len(), 4 * 15 * 4);
}

#[test]
fn concurrent_simulators_and_cli_writers_keep_the_log_valid() {
    let env = Env::new();
    env.create();
    let sims: Vec<Child> = (0..3)
        .map(|i| {
            env.command(&[
                "simulate",
                "--shipments",
                "8",
                "--rate",
                "0",
                "--seed",
                &format!("{}", 7 + i),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut cli_ids = Vec::new();
    for _ in 0..10 {
        cli_ids.push(env.create());
    }
    for sim in sims {
        let run = Run::from_output(sim.wait_with_output().unwrap());
        assert_eq!(run.code, 0, "{run:?}");
    }
    let events = assert_log_consistent(&env);
    let shipments: HashSet<&str> = events
        .iter()
        .map(|e| e["shipment_id"].as_str().unwrap())
        .collect();
    assert_eq!(shipments.len(), 1 + 10 + 3 * 8);
    for id in &cli_ids {
        assert_eq!(env.show(id)["event_count"], 1);
    }
}

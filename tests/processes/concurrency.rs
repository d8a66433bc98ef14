//! Many writers on one log: optimistic concurrency (`--expect-seq`), real
//! processes creating and racing at once, threads with their own stores.
//! After each: no repeated ID or (shipment_id, event_seq), and `verify` passes.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::support::*;
use control_tower::Error;
use control_tower::domain::{Actor, EventType};
use control_tower::store::{AppendRequest, EventStore, JsonlStore};
use fs2::FileExt;
use serde_json::{Map, Value, json};

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
    let r = store.append_request(
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

/// Holds the writers' lock while `spawn` starts the racers, waits until
/// they all have the lock file open (they are polling for it), then lets
/// them go at once.
fn race(env: &Env, n: usize, spawn: impl Fn(usize) -> Child) -> Vec<Run> {
    let lock = env.dir.join(".lock");
    let gate = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock)
        .unwrap();
    gate.lock_exclusive().unwrap();
    let children: Vec<Child> = (0..n).map(&spawn).collect();
    // Best effort: if /proc is unavailable the race is merely looser.
    wait_until(Duration::from_secs(10), || processes_with_open(&lock) >= n);
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
                    Box::new(JsonlStore::open_indexed(&paths, &format!("t{t}")).unwrap()) as Box<dyn EventStore>
                } else {
                    Box::new(JsonlStore::open(&paths, &format!("t{t}")).unwrap())
                };
                for _ in 0..15 {
                    let payload = json!({"source": "A", "destination": "B", "weight_kg": 1, "delivery_type": "EXPRESS"});
                    let id = store
                        .append_request(&AppendRequest::create(payload.as_object().unwrap().clone()))
                        .unwrap()
                        .event
                        .shipment_id;
                    for (i, (event, actor)) in STANDARD_STEPS.iter().take(3).enumerate() {
                        let r = store.append_request(
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

/// Starts `flock` holding `path` (as `user`, if given) and returns it once
/// it holds the lock (it prints `held`), to be killed by the caller.
fn hold_flock(path: &std::path::Path, user: Option<&str>) -> Child {
    use std::io::{BufRead, BufReader};
    let mut cmd = match user {
        Some(user) => {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", user, "--", "flock"]);
            c
        }
        None => std::process::Command::new("flock"),
    };
    let mut child = cmd
        // -o: the command does not inherit the lock, so killing flock frees it.
        .args(["-x", "-o"])
        .arg(path)
        .args(["-c", "echo held; exec sleep 60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("flock(1) runs");
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "held", "flock did not take {path:?}");
    child
}

fn running_as_root() -> bool {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() == 0 }
}

#[test]
fn a_writer_gives_up_on_a_held_lock_naming_it_and_its_holder() {
    let env = Env::new();
    let id = env.create();
    let before = snapshot(&env);
    let mut holder = hold_flock(&env.dir.join(".lock"), None);
    let runs = [
        env.run(&[
            "--lock-timeout",
            "0.3",
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ]),
        env.run(&[
            "--lock-timeout",
            "0.3",
            "create",
            "--source",
            "Pune",
            "--destination",
            "Goa",
            "--weight-kg",
            "1",
            "--delivery-type",
            "STANDARD",
        ]),
    ];
    let pid = holder.id();
    holder.kill().unwrap();
    holder.wait().unwrap();
    for run in runs {
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains(".lock") && run.stderr.contains(&format!("PID {pid}")),
            "names the lock and its holder: {}",
            run.stderr
        );
    }
    assert_unchanged(&env, &before, "a write that timed out on the lock");
    // Once the holder is gone, writing works again.
    env.advance(&id, "MANAGER_APPROVED", "SENDER_MANAGER").ok();
    env.assert_verifies();
}

#[test]
fn a_user_who_can_only_read_the_log_cannot_stop_writers() {
    if !running_as_root() {
        eprintln!("skipped: needs root to act as nobody");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let id = env.create();
    // Everyone may read the log; only root may write it.
    for dir in [env.tmp.path(), env.dir.as_path()] {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(env.events_path(), fs::Permissions::from_mode(0o644)).unwrap();
    let lock = env.dir.join(".lock");
    let mode = fs::metadata(&lock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the lock is as writable as the log, no more");

    // Locking the log itself no longer stops anyone.
    let mut reader = hold_flock(&env.events_path(), Some("nobody"));
    let run = env.run(&[
        "--lock-timeout",
        "5",
        "advance",
        &id,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
    ]);
    reader.kill().unwrap();
    reader.wait().unwrap();
    run.ok();
    // And the lock file cannot even be opened by a reader.
    let status = std::process::Command::new("runuser")
        .args(["-u", "nobody", "--", "flock", "-x", "-n"])
        .arg(&lock)
        .arg("true")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "nobody could take the writers' lock");
    env.assert_verifies();
}

/// `cp other/shipments.jsonl W/` under a long-running writer: same inode, a
/// longer file, different history.
fn rewrite_in_place(from: &Env, to: &Env) {
    for file in ["shipments.jsonl", "shipment_counter.jsonl"] {
        let status = std::process::Command::new("cp")
            .arg(from.dir.join(file))
            .arg(to.dir.join(file))
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn approve(id: &str, seq: u32) -> AppendRequest {
    AppendRequest::advance(
        id.parse().unwrap(),
        EventType::ManagerApproved,
        Actor::SenderManager,
        Map::new(),
    )
    .expecting_seq(seq)
}

/// Another tower whose SHP-0000000001 was cancelled, and which is longer.
fn other_tower() -> Env {
    let other = Env::new();
    let first = other.create();
    other
        .run(&[
            "advance",
            &first,
            "CANCELLED",
            "--actor",
            "SENDER",
            "--set",
            "reason=duplicate",
        ])
        .ok();
    for _ in 0..3 {
        other.create();
    }
    other
}

#[test]
fn a_writer_refuses_to_append_on_a_log_rewritten_in_place_then_reloads() {
    let env = Env::new();
    let first = env.create();
    let mut writer = JsonlStore::open_indexed(&env.paths(), "desk").unwrap();
    writer.append_request(&approve(&first, 1)).unwrap();

    let other = other_tower();
    rewrite_in_place(&other, &env);
    let before = snapshot(&env);
    let refused = writer.append_request(&approve(&first, 2)).unwrap_err();
    assert!(matches!(refused, Error::LogChanged { .. }), "{refused}");
    assert_eq!(refused.exit_code(), 1);
    assert!(
        refused.to_string().contains("nothing was appended"),
        "{refused}"
    );
    assert_unchanged(&env, &before, "an append on a rewritten log");

    // Now it decides on the new history: SHP-0000000001 is cancelled there.
    let next = writer.append_request(&approve(&first, 1)).unwrap_err();
    assert!(!matches!(next, Error::LogChanged { .. }), "{next}");
    assert_unchanged(&env, &before, "a refused append");
    let created = writer
        .append_request(&AppendRequest::create(valid_created_payload()))
        .unwrap();
    assert_eq!(created.event.shipment_id.to_string(), "SHP-0000000005");
    env.assert_verifies();
}

#[test]
fn a_long_running_writer_proves_the_prefix_its_projection_read() {
    let env = Env::new();
    let first = env.create();
    // As the dashboard does: the projection is read first, then decided on.
    let mut writer = control_tower::read::Log::open_indexed(&env.paths(), "desk").unwrap();
    writer.state_mut().refresh().unwrap();

    rewrite_in_place(&other_tower(), &env);
    let before = snapshot(&env);
    let refused = writer.append_request(&approve(&first, 1)).unwrap_err();
    assert!(matches!(refused, Error::LogChanged { .. }), "{refused}");
    assert_unchanged(&env, &before, "an append on a rewritten log");
    env.assert_verifies();
}

#[test]
fn a_long_running_writer_on_an_unchanged_log_appends() {
    let env = Env::new();
    let first = env.create();
    let mut writer = control_tower::read::Log::open_indexed(&env.paths(), "desk").unwrap();
    writer.state_mut().refresh().unwrap();
    env.create(); // a pure append by another process is fine
    writer.append_request(&approve(&first, 1)).unwrap();
    writer.append_request(&approve(&first, 2)).unwrap_err(); // already approved
    env.assert_verifies();
}

fn valid_created_payload() -> Map<String, Value> {
    control_tower::domain::payload::created_payload("Pune", "Goa", 2.0, "STANDARD", Map::new())
}

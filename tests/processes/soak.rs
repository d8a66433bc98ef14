//! Contention soak: 4 processes x 5,000 mixed operations (creations,
//! approvals racing on the same shipments with the seq each last saw, and
//! unguarded advances that the rules may refuse) on one log, plus CLI
//! `advance --expect-seq` calls racing them, while a `LogIndex` tails the
//! log as the dashboard does. No repeated ID or (shipment_id, event_seq);
//! every lost race is reported as a conflict; `verify` passes; the tailing
//! projection equals a fresh replay. Prints throughput and append latency.
//!
//! Each worker is this test binary run again with `CT_SOAK_DIR` set: a
//! separate process with its own `JsonlStore`, i.e. real multi-process
//! contention on the lock, without spawning 20,000 CLI processes.

use crate::support;
use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{LoggedEvent, ct, read_log_independently, run, standard_step, unique_events};
use control_tower::domain::lifecycle;
use control_tower::domain::{Actor, EventType};
use control_tower::error::Error;
use control_tower::read::index::LogIndex;
use control_tower::sim::Rng;
use control_tower::store::{AppendRequest, EventStore, JsonlStore, LogPaths};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

const WORKERS: u64 = 4;
const DEFAULT_OPS: u64 = 5_000;

#[derive(Serialize, Deserialize, Default)]
struct WorkerReport {
    appended: Vec<(String, u64, String, String)>,
    conflicts: u64,
    refused: u64,
    failures: Vec<String>,
    /// Microseconds per successful append (lock + catch-up + write + fsync).
    latencies_us: Vec<u64>,
    seconds: f64,
}

fn created() -> Map<String, Value> {
    json!({"source": "Kolkata, West Bengal", "destination": "Guwahati, Assam", "weight_kg": 42.0, "delivery_type": "EXPRESS"})
        .as_object()
        .cloned()
        .unwrap()
}

fn event_of(name: &str) -> EventType {
    EventType::from_log_name(name).unwrap()
}

fn actor_of(name: &str) -> Actor {
    Actor::from_log_name(name).unwrap()
}

/// The worker: runs only when spawned by `soak_four_processes` (env set).
#[test]
fn soak_worker_entry() {
    let (Ok(dir), Ok(out), Ok(n)) = (
        env::var("CT_SOAK_DIR"),
        env::var("CT_SOAK_OUT"),
        env::var("CT_SOAK_WORKER"),
    ) else {
        return; // not a worker run
    };
    let n: u64 = n.parse().unwrap();
    let ops: u64 = env::var("CT_SOAK_OPS").map_or(DEFAULT_OPS, |v| v.parse().unwrap());
    let paths = LogPaths::new(dir);
    let mut store = JsonlStore::open_indexed(&paths, &format!("worker-{n}")).unwrap();
    let mut index = LogIndex::new(&paths);
    let mut rng = Rng::new(0x5eed + n);
    let mut report = WorkerReport::default();
    let started = Instant::now();
    for _ in 0..ops {
        index.refresh().unwrap();
        let shipments = index.projection().shipments();
        // Race on the newest shipments: every worker picks among the same few.
        let live: Vec<_> = shipments
            .iter()
            .rev()
            .take(6)
            .filter(|s| !lifecycle::is_terminal(s.state))
            .collect();
        let r = rng.below(100);
        let (request, guarded) = if live.is_empty() || r < 15 {
            (AppendRequest::create(created()), false)
        } else if r < 88 {
            let s = live[rng.below(live.len() as u64) as usize];
            let (event, actor) = standard_step(s.state.as_str()).unwrap();
            let mut payload = Map::new();
            payload.insert("by_worker".into(), json!(n));
            let request = AppendRequest::advance(s.id, event_of(event), actor_of(actor), payload)
                .expecting_seq(s.seq);
            (request, true)
        } else {
            // Unguarded, arbitrary event and role: the rules decide.
            let s = &shipments[rng.below(shipments.len() as u64) as usize];
            let event = *rng.pick(EventType::ALL);
            let actor = *rng.pick(Actor::ALL);
            (
                AppendRequest::advance(s.id, event, actor, support::with_reason(event, Map::new())),
                false,
            )
        };
        let t = Instant::now();
        let result = store.append_request(&request);
        let took = t.elapsed();
        match result {
            Ok(a) => {
                report.latencies_us.push(took.as_micros() as u64);
                let e = a.event;
                report.appended.push((
                    e.shipment_id.to_string(),
                    u64::from(e.event_seq),
                    e.event_type.to_string(),
                    e.actor.to_string(),
                ));
            }
            Err(err @ Error::Conflict { .. }) if guarded => {
                let Error::Conflict {
                    expected_seq,
                    current_seq,
                    ..
                } = &err
                else {
                    unreachable!()
                };
                let text = err.to_string();
                if current_seq <= expected_seq || !text.contains("moved to") {
                    report.failures.push(format!("bad conflict: {text}"));
                }
                report.conflicts += 1;
            }
            Err(Error::TransitionNotAllowed { .. } | Error::RoleNotPermitted { .. })
                if !guarded =>
            {
                report.refused += 1;
            }
            Err(other) => report
                .failures
                .push(format!("guarded={guarded}: {other} ({other:?})")),
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    fs::write(out, serde_json::to_vec(&report).unwrap()).unwrap();
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[test]
fn soak_four_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let paths = LogPaths::new(&dir);
    support::create(&dir);
    let exe = env::current_exe().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let tailer = {
        let (paths, stop) = (paths.clone(), stop.clone());
        thread::spawn(move || {
            let mut index = LogIndex::new(&paths);
            while !stop.load(Ordering::Relaxed) {
                assert!(index.refresh().unwrap().reloaded.is_none());
                thread::sleep(Duration::from_millis(5));
            }
            index.refresh().unwrap();
            index
        })
    };

    // libtest names a test by its module path without the crate's name.
    let entry = match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::soak_worker_entry"),
        None => "soak_worker_entry".to_string(),
    };
    let started = Instant::now();
    let workers: Vec<(std::process::Child, PathBuf)> = (0..WORKERS)
        .map(|n| {
            let out = tmp.path().join(format!("worker-{n}.json"));
            let child = Command::new(&exe)
                .args([
                    entry.as_str(),
                    "--exact",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env("CT_SOAK_DIR", &dir)
                .env("CT_SOAK_OUT", &out)
                .env("CT_SOAK_WORKER", n.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap();
            (child, out)
        })
        .collect();

    // CLI writers race the workers too: a lost race must exit 1 as a conflict.
    let cli_done = Arc::new(AtomicBool::new(false));
    let cli = {
        let (dir, paths, done) = (dir.clone(), paths.clone(), cli_done.clone());
        thread::spawn(move || {
            let mut index = LogIndex::new(&paths);
            let (mut appended, mut conflicts) = (Vec::new(), 0u64);
            while !done.load(Ordering::Relaxed) {
                index.refresh().unwrap();
                let Some(s) = index
                    .projection()
                    .shipments()
                    .iter()
                    .rev()
                    .find(|s| !lifecycle::is_terminal(s.state))
                    .cloned()
                else {
                    continue;
                };
                let (event, actor) = standard_step(s.state.as_str()).unwrap();
                let id = s.id.to_string();
                let r = run(ct(&dir)
                    .args(["advance", &id, event, "--actor", actor, "--expect-seq"])
                    .arg(s.seq.to_string()));
                match r.code {
                    0 => {
                        let f: Vec<&str> = r.stdout.split_whitespace().collect();
                        appended.push(LoggedEvent {
                            id: f[0].into(),
                            seq: f[2].parse().unwrap(),
                            event: f[3].into(),
                            actor: f[5].into(),
                        });
                    }
                    1 => {
                        assert!(
                            r.stderr.contains(&format!("{id} moved to"))
                                && r.stderr.contains("nothing appended")
                                && r.stderr.contains(&format!("you saw seq {}", s.seq)),
                            "a lost race not reported as a conflict: {}",
                            r.stderr
                        );
                        conflicts += 1;
                    }
                    other => panic!("CLI advance exit {other:?}: {}", r.stderr),
                }
            }
            (appended, conflicts)
        })
    };

    let mut reports = Vec::new();
    for (mut child, out) in workers {
        let status = child.wait().unwrap();
        assert!(status.success(), "worker failed: {status}");
        let report: WorkerReport = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
        assert!(
            report.failures.is_empty(),
            "worker failures: {:?}",
            report.failures
        );
        reports.push(report);
    }
    let wall = started.elapsed().as_secs_f64();
    cli_done.store(true, Ordering::Relaxed);
    let (cli_appended, cli_conflicts) = cli.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    let tailing = tailer.join().unwrap();

    // No repeated (shipment_id, event_seq) — hence no repeated ID — and every
    // reported append is in the log exactly once.
    let (events, bad) = read_log_independently(&paths.events);
    assert!(bad.is_empty(), "malformed lines in a log no one crashed on");
    let logged = unique_events(&events);
    let mut reported = cli_appended.clone();
    for r in &reports {
        reported.extend(
            r.appended
                .iter()
                .map(|(id, seq, event, actor)| LoggedEvent {
                    id: id.clone(),
                    seq: *seq,
                    event: event.clone(),
                    actor: actor.clone(),
                }),
        );
    }
    for e in &reported {
        assert_eq!(
            logged.get(&(e.id.clone(), e.seq)),
            Some(e),
            "lost or altered"
        );
    }
    assert_eq!(
        reported.len() + 1,
        events.len(),
        "events no writer reported"
    );
    let counters = fs::read_to_string(&paths.counter).unwrap();
    let mut ids: Vec<&str> = counters.lines().collect();
    let n_ids = ids.len();
    ids.sort_unstable();
    ids.dedup_by_key(|l| l.split(',').next().unwrap_or_default().to_string());
    assert_eq!(ids.len(), n_ids, "a counter handed out twice");

    let v = run(ct(&dir).args(["verify"]));
    assert_eq!(v.code, 0, "verify: {}", v.stdout);
    assert!(v.stdout.starts_with("VALID"));
    let fresh = LogIndex::load(&paths).unwrap();
    support::assert_index_matches_replay(&tailing, &fresh);

    let mut lat: Vec<u64> = reports
        .iter()
        .flat_map(|r| r.latencies_us.clone())
        .collect();
    lat.sort_unstable();
    let appends = lat.len() as u64;
    let conflicts: u64 = reports.iter().map(|r| r.conflicts).sum();
    let refused: u64 = reports.iter().map(|r| r.refused).sum();
    let ops: u64 = reports
        .iter()
        .map(|r| r.appended.len() as u64 + r.conflicts + r.refused)
        .sum();
    assert!(conflicts > 0, "no race was lost: the soak did not contend");
    println!(
        "soak: {WORKERS} processes x {} ops in {wall:.1} s: {appends} appends ({:.0} appends/s, {:.0} ops/s), \
         {conflicts} conflicts, {refused} refused by the rules; append latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
         CLI racers: {} appended, {cli_conflicts} conflicts (exit 1); {} events in the log",
        ops / WORKERS,
        appends as f64 / wall,
        ops as f64 / wall,
        percentile(&lat, 0.50) as f64 / 1000.0,
        percentile(&lat, 0.99) as f64 / 1000.0,
        lat.last().copied().unwrap_or(0) as f64 / 1000.0,
        cli_appended.len(),
        events.len()
    );
}

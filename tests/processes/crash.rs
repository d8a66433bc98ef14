//! Crash safety under SIGKILL: writers (the simulator, and a loop of CLI
//! `create`/`advance` calls) are killed at random moments while others keep
//! appending and a `LogIndex` tails the log the whole time, as the dashboard
//! does. Afterwards every event a writer printed (it prints only after its
//! append returned) is in the log exactly once, `verify` passes, and the
//! tailing projection equals a fresh replay.

use crate::support;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{LoggedEvent, ct, read_log_independently, run, standard_step, unique_events};
use control_tower::read::index::LogIndex;
use control_tower::sim::Rng;
use control_tower::store::LogPaths;

/// Both loops must reach their share; the whole test stays well under 90 s.
const SIM_KILLS: u64 = 200;
const CLI_KILLS: u64 = 150;
const TIME_CAP: Duration = Duration::from_secs(70);

#[derive(Default)]
struct Tally {
    printed: Vec<LoggedEvent>,
    kills: u64,
    spawned: u64,
}

/// Spawns `child`, collecting its stdout on a thread; the receiver hears
/// when the first complete line has arrived.
fn with_stdout(mut child: Child) -> (Child, thread::JoinHandle<Vec<u8>>, mpsc::Receiver<()>) {
    let mut out = child.stdout.take().unwrap();
    let (first_line, heard) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        while let Ok(n) = out.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.contains(&b'\n') {
                let _ = first_line.send(());
            }
        }
        buf
    });
    (child, reader, heard)
}

/// Complete lines only: a line cut by the kill claims nothing.
fn complete_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    lines.pop(); // after the last '\n': empty, or an unfinished line
    lines
}

/// `simulate` output: `ID SEQ EVENT ACTOR`.
fn parse_sim_line(line: &str) -> LoggedEvent {
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(f.len(), 4, "unexpected simulate output {line:?}");
    LoggedEvent {
        id: f[0].into(),
        seq: f[1].parse().unwrap(),
        event: f[2].into(),
        actor: f[3].into(),
    }
}

/// `advance` output: `ID seq N EVENT by ACTOR (operator) at TIME`.
fn parse_advance_line(line: &str) -> LoggedEvent {
    let f: Vec<&str> = line.split_whitespace().collect();
    assert!(
        f.len() >= 6 && f[1] == "seq" && f[4] == "by",
        "unexpected advance output {line:?}"
    );
    LoggedEvent {
        id: f[0].into(),
        seq: f[2].parse().unwrap(),
        event: f[3].into(),
        actor: f[5].into(),
    }
}

fn simulate_killer(dir: PathBuf, seed: u64, stop: Arc<AtomicBool>, kills: Arc<AtomicU64>) -> Tally {
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    while !stop.load(Ordering::Relaxed) && kills.load(Ordering::Relaxed) < SIM_KILLS {
        let child = ct(&dir)
            .args([
                "simulate",
                "--shipments",
                "1000000",
                "--rate",
                "0",
                "--seed",
            ])
            .arg(rng.next_u64().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        tally.spawned += 1;
        let (mut child, reader, heard) = with_stdout(child);
        // Kill it while it appends: after its first event, at a random moment.
        let _ = heard.recv_timeout(Duration::from_secs(20));
        thread::sleep(Duration::from_millis(rng.below(150)));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let out = reader.join().unwrap();
        if status.signal() == Some(libc::SIGKILL) {
            tally.kills += 1;
            kills.fetch_add(1, Ordering::Relaxed);
        } else {
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("simulate ended on its own ({status}): {err}");
        }
        tally
            .printed
            .extend(complete_lines(&out).iter().map(|l| parse_sim_line(l)));
    }
    tally
}

/// Current (state, seq) of a shipment through `show --json`.
fn show_state(dir: &Path, id: &str) -> Option<(String, u64)> {
    let r = run(ct(dir).args(["show", id, "--json"]));
    if r.code != 0 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let history = v["full_history"].as_array().unwrap();
    let last = history.last().unwrap();
    Some((
        v["current_state"].as_str().unwrap().to_string(),
        last["event_seq"].as_u64().unwrap(),
    ))
}

fn cli_killer(dir: PathBuf, seed: u64, stop: Arc<AtomicBool>) -> Tally {
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    // Shipments this loop drives: (id, state, seq as last seen).
    let mut mine: Vec<(String, String, u64)> = Vec::new();
    while !stop.load(Ordering::Relaxed) && tally.kills < CLI_KILLS {
        let creating = mine.len() < 3 || rng.chance(25);
        let mut cmd = ct(&dir);
        let mut target = None;
        if creating {
            cmd.args([
                "create",
                "--source",
                "Pune, Maharashtra",
                "--destination",
                "Kochi, Kerala",
                "--weight-kg",
                "12.5",
                "--delivery-type",
                "STANDARD",
            ]);
        } else {
            let i = rng.below(mine.len() as u64) as usize;
            let (id, state, seq) = mine[i].clone();
            let (event, actor) = standard_step(&state).unwrap();
            cmd.args(["advance", &id, event, "--actor", actor, "--expect-seq"])
                .arg(seq.to_string());
            target = Some(i);
        }
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tally.spawned += 1;
        let (mut child, reader, _) = with_stdout(child);
        // A one-shot append lives a few milliseconds: kill most of them
        // somewhere inside that window, let some finish.
        if rng.chance(85) {
            thread::sleep(Duration::from_micros(rng.below(9_000)));
            let _ = child.kill();
        }
        let status = child.wait().unwrap();
        let out = reader.join().unwrap();
        let killed = status.signal() == Some(libc::SIGKILL);
        if killed {
            tally.kills += 1;
        } else {
            assert!(
                matches!(status.code(), Some(0) | Some(1)),
                "CLI writer failed: {status}"
            );
        }
        let lines = complete_lines(&out);
        match (creating, lines.first()) {
            (true, Some(id)) => {
                let id = id.trim().to_string();
                tally.printed.push(LoggedEvent {
                    id: id.clone(),
                    seq: 1,
                    event: "CREATED".into(),
                    actor: "SENDER".into(),
                });
                mine.push((id, "CREATED".into(), 1));
            }
            (false, Some(line)) => {
                let e = parse_advance_line(line);
                let i = target.unwrap();
                mine[i].1 = e.event.clone();
                mine[i].2 = e.seq;
                tally.printed.push(e);
            }
            (false, None) => {
                // Killed or refused: learn where the shipment really is.
                let i = target.unwrap();
                if let Some((state, seq)) = show_state(&dir, &mine[i].0) {
                    mine[i].1 = state;
                    mine[i].2 = seq;
                }
            }
            (true, None) => {}
        }
        mine.retain(|(_, state, _)| standard_step(state).is_some());
    }
    tally
}

#[test]
fn sigkilled_writers_lose_nothing_acknowledged() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let paths = LogPaths::new(&dir);
    support::create(&dir);

    // The dashboard's view: a LogIndex refreshed in a loop the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let tailer = {
        let (paths, stop) = (paths.clone(), stop.clone());
        thread::spawn(move || {
            let mut index = LogIndex::new(&paths);
            let mut refreshes = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let r = index.refresh().unwrap();
                assert!(r.reloaded.is_none(), "log shrank or was replaced: {r:?}");
                refreshes += 1;
                thread::sleep(Duration::from_millis(3));
            }
            index.refresh().unwrap();
            (index, refreshes + 1)
        })
    };

    // A writer that is never killed mid-run keeps appending throughout.
    let steady = ct(&dir)
        .args([
            "simulate",
            "--shipments",
            "1000000",
            "--rate",
            "150",
            "--seed",
            "7",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut steady, steady_out, _) = with_stdout(steady);

    let sim_kills = Arc::new(AtomicU64::new(0));
    let deadline = Arc::new(AtomicBool::new(false));
    let sims: Vec<_> = (0..2)
        .map(|k| {
            let (dir, stop, kills) = (dir.clone(), deadline.clone(), sim_kills.clone());
            thread::spawn(move || simulate_killer(dir, 1000 + k, stop, kills))
        })
        .collect();
    let cli = {
        let (dir, stop) = (dir.clone(), deadline.clone());
        thread::spawn(move || cli_killer(dir, 99, stop))
    };
    let watchdog = {
        let deadline = deadline.clone();
        thread::spawn(move || {
            while started.elapsed() < TIME_CAP && !deadline.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(100));
            }
            deadline.store(true, Ordering::Relaxed);
        })
    };

    let mut tallies: Vec<Tally> = sims.into_iter().map(|t| t.join().unwrap()).collect();
    let cli_tally = cli.join().unwrap();
    deadline.store(true, Ordering::Relaxed);
    watchdog.join().unwrap();
    let _ = steady.kill();
    let steady_status = steady.wait().unwrap();
    assert_eq!(
        steady_status.signal(),
        Some(libc::SIGKILL),
        "steady writer died early"
    );
    let steady_printed: Vec<LoggedEvent> = complete_lines(&steady_out.join().unwrap())
        .iter()
        .map(|l| parse_sim_line(l))
        .collect();
    stop.store(true, Ordering::Relaxed);
    let (tailing, refreshes) = tailer.join().unwrap();

    let sim_kill_count: u64 = tallies.iter().map(|t| t.kills).sum();
    let kills = sim_kill_count + cli_tally.kills + 1;
    tallies.push(cli_tally);
    tallies.push(Tally {
        printed: steady_printed,
        kills: 1,
        spawned: 1,
    });

    // Every printed event is in the log exactly once.
    let (events, bad_lines) = read_log_independently(&paths.events);
    let logged = unique_events(&events);
    let mut checked = 0;
    for tally in &tallies {
        for p in &tally.printed {
            let found = logged
                .get(&(p.id.clone(), p.seq))
                .unwrap_or_else(|| panic!("acknowledged event lost: {p:?}"));
            assert_eq!(found, p, "printed event differs from the log");
            checked += 1;
        }
    }

    // `verify` passes; torn lines are warnings only.
    let v = run(ct(&dir).args(["verify", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(v.code, 0, "verify failed: {}", v.stdout);
    assert_eq!(report["log_integrity"], "VALID");
    for w in report["warnings"].as_array().unwrap() {
        let kind = w["kind"].as_str().unwrap();
        assert!(
            matches!(kind, "torn_write" | "counter_without_shipment"),
            "unexpected warning {w}"
        );
    }
    for line in &bad_lines {
        assert!(
            serde_json::from_slice::<serde_json::Value>(line)
                .err()
                .is_some_and(|e| e.is_eof()),
            "a non-event line that is not a torn write: {:?}",
            String::from_utf8_lossy(line)
        );
    }

    // The index that tailed the whole time equals a fresh replay.
    let fresh = LogIndex::load(&paths).unwrap();
    support::assert_index_matches_replay(&tailing, &fresh);

    assert!(
        sim_kill_count >= SIM_KILLS && kills >= 200,
        "only {kills} kills ({sim_kill_count} simulators) before the time cap"
    );
    println!(
        "crash: {kills} SIGKILLs survived ({sim_kill_count} simulate, {} CLI, 1 steady); \
         {checked} printed events checked, {} events in the log, {} torn lines, \
         {} warnings, {refreshes} tail refreshes, {:.1} s",
        kills - sim_kill_count - 1,
        events.len(),
        bad_lines.len(),
        report["warnings"].as_array().unwrap().len(),
        started.elapsed().as_secs_f64()
    );
}

//! The PostgreSQL store's figures (issue 9, BENCHMARKS.md "PostgreSQL store
//! (issue 9)"), against the server of `CT_PG_ADMIN_URL`. Ignored by default:
//! they take minutes and their figures depend on the machine, so nothing
//! here asserts a time. Run with
//!
//! ```sh
//! cargo test --release --test processes -- --ignored pg_bench:: --nocapture --test-threads 1
//! ```
//!
//! `CT_PG_BENCH_ROUNDS` / `CT_PG_BENCH_SECONDS` (8 x 2 s) set the single
//! appends' rounds, `CT_PG_BENCH_EVENTS` (1,000,000) the cold start's log.
//!
//! - `single_and_concurrent_appends`: durable single appends per second
//!   for the file store, `PgStore` and the floor (`pgbench`, one client,
//!   `BEGIN; INSERT` of a 300-byte row`; COMMIT`), in rounds side by side;
//!   8 writers on 8 connections; append → a second `PgSubscription`.
//! - `dashboard_cold_start_on_a_million_events`: `migrate` of a generated
//!   1M-event log into the database, then the dashboard's `Tower` + `App`
//!   in a fresh process (this test binary again, `cold_start_child`): time
//!   to the first full frame and the process's peak RSS.

use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use control_tower::cli::bench::loggen;
use control_tower::domain::payload::created_payload;
use control_tower::domain::{Actor, EventType, ShipmentId};
use control_tower::store::postgres::{PgStore, PgSubscription};
use control_tower::store::{
    AppendRequest, EventStore, JsonlStore, Location, LogPaths, Subscription, Who,
};
use serde_json::Map;

use crate::support::*;

const ALL_ROLES: &str = r#"["SENDER", "SENDER_MANAGER", "SENDER_SUPERVISOR", "SYSTEM", "CARRIER", "RECEIVER", "WAREHOUSE", "CUSTOMER"]"#;
/// Rounds of (floor, tool, file store), each timed run this many seconds
/// (`CT_PG_BENCH_ROUNDS`, `CT_PG_BENCH_SECONDS`): short runs, interleaved,
/// because the shared disk's fsync cost changes from minute to minute.
const ROUNDS: usize = 8;
const RUN_SECONDS: u64 = 2;

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
const WRITERS: usize = 8;
const NOTIFY_SAMPLES: usize = 300;
const COLD_URL_ENV: &str = "CT_BENCH_COLD_URL";

const FLOW: [(EventType, Actor); 7] = [
    (EventType::ManagerApproved, Actor::SenderManager),
    (EventType::SupervisorApproved, Actor::SenderSupervisor),
    (EventType::InTransit, Actor::Carrier),
    (EventType::ReceiverAcknowledged, Actor::Receiver),
    (EventType::WarehouseIntake, Actor::Warehouse),
    (EventType::OutForDelivery, Actor::Warehouse),
    (EventType::Delivered, Actor::Customer),
];

/// Appends shipments through the standard flow (a create, then its seven
/// advances), one durable append at a time, until `until`; returns each
/// append's latency.
fn flow_until(store: &mut dyn EventStore, until: Instant) -> Vec<Duration> {
    let mut times = Vec::new();
    let mut current: Option<(ShipmentId, usize)> = None;
    while Instant::now() < until {
        let request = match current {
            None => AppendRequest::create(created_payload(
                "Mumbai, Maharashtra",
                "Delhi, Delhi",
                12.5,
                "EXPRESS",
                Map::new(),
            )),
            Some((id, step)) => {
                let (event, actor) = FLOW[step];
                AppendRequest::advance(id, event, actor, Map::new())
            }
        };
        let t = Instant::now();
        let appended = store.append_request(&request).expect("append");
        times.push(t.elapsed());
        current = match current {
            None => Some((appended.event.shipment_id, 0)),
            Some((id, step)) if step + 1 < FLOW.len() => Some((id, step + 1)),
            Some(_) => None,
        };
    }
    times
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// `n/s, p50, p99` of one timed run.
fn rate(mut times: Vec<Duration>, seconds: f64) -> (f64, f64, f64) {
    times.sort();
    (
        times.len() as f64 / seconds,
        pct(&times, 0.5),
        pct(&times, 0.99),
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The floor: `pgbench`, one client, `BEGIN; INSERT` of a 300-byte row
/// `; COMMIT` for `RUN_SECONDS`; its tps.
fn floor(tower: &PgTower, seconds: u64) -> f64 {
    let (url, password) = tower.bare_url(tower.admin());
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("floor.sql");
    std::fs::write(
        &script,
        "BEGIN;\nINSERT INTO floor_rows (line) VALUES (repeat('x', 300));\nCOMMIT;\n",
    )
    .unwrap();
    let out = Command::new("pgbench")
        .args(["-n", "-c", "1", "-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .arg(&url)
        .env("PGPASSWORD", password)
        .output()
        .expect("pgbench runs (PostgreSQL's client tools)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .expect("pgbench prints tps")
}

fn tower_for_bench(test: &str) -> Option<(PgTower, String)> {
    let mut tower = pg_tower(test)?;
    let op = tower.login("op");
    let mut admin = PgStore::connect(&tower.admin_url(), None).expect("admin connects");
    admin
        .apply_policy(&format!("[operators]\n{op} = {ALL_ROLES}\n"))
        .expect("admin applies the policy");
    Some((tower, op))
}

#[test]
#[ignore]
fn single_and_concurrent_appends() {
    let Some((tower, op)) = tower_for_bench("pgbench_appends") else {
        return;
    };
    let out = tower.psql(
        tower.admin(),
        "CREATE TABLE floor_rows (id bigserial PRIMARY KEY, line text NOT NULL)",
    );
    assert!(out.status.success(), "{out:?}");
    let rounds: usize = setting("CT_PG_BENCH_ROUNDS", ROUNDS);
    let run: u64 = setting("CT_PG_BENCH_SECONDS", RUN_SECONDS);
    println!(
        "single durable appends, {rounds} rounds of {run} s each; load average before: {}",
        load_average()
    );
    let files = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(files.path());
    paths.create_dir().unwrap();
    let mut file = JsonlStore::open_indexed(&paths, "bench").unwrap();
    let mut pg = PgStore::connect(&tower.url_of(&op), Some(&op)).unwrap();
    let seconds = run as f64;
    let (mut floors, mut tools, mut fss) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tool_times, mut fs_times) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let floor = floor(&tower, run);
        let until = Instant::now() + Duration::from_secs(run);
        let times = flow_until(&mut pg, until);
        tool_times.extend_from_slice(&times);
        let (tool, p50, p99) = rate(times, seconds);
        let until = Instant::now() + Duration::from_secs(run);
        let times = flow_until(&mut file, until);
        fs_times.extend_from_slice(&times);
        let (fs, fs50, fs99) = rate(times, seconds);
        println!(
            "round {round}: floor (pgbench) {floor:.0}/s | PgStore {tool:.0}/s (p50 {p50:.2} ms, p99 {p99:.2} ms) = {:.2}x floor | file store {fs:.0}/s (p50 {fs50:.2} ms, p99 {fs99:.2} ms) | load {}",
            tool / floor,
            load_average()
        );
        floors.push(floor);
        tools.push(tool);
        fss.push(fs);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (_, p50, p99) = rate(tool_times, 1.0);
    let (_, fs50, fs99) = rate(fs_times, 1.0);
    println!(
        "all rounds: floor {:.0}/s | PgStore {:.0}/s (p50 {p50:.2} ms, p99 {p99:.2} ms) = {:.2}x floor | file store {:.0}/s (p50 {fs50:.2} ms, p99 {fs99:.2} ms) | load {}",
        mean(&floors),
        mean(&tools),
        mean(&tools) / mean(&floors),
        mean(&fss),
        load_average()
    );

    // 8 writers, each on its own connection.
    let url = tower.url_of(&op);
    let until = Instant::now() + Duration::from_secs(10);
    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let url = url.clone();
            let op = op.clone();
            thread::spawn(move || {
                let mut store = PgStore::connect(&url, Some(&op)).unwrap();
                flow_until(&mut store, until)
            })
        })
        .collect();
    let all: Vec<Duration> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let (total, p50, p99) = rate(all, started.elapsed().as_secs_f64());
    println!(
        "{WRITERS} writers, 10 s: {total:.0} appends/s in all, latency p50 {p50:.2} ms, p99 {p99:.2} ms | load {}",
        load_average()
    );

    // An append on one connection → a second PgSubscription sees it.
    let head = pg.head().unwrap();
    let mut sub = PgSubscription::new(
        pg.target().clone(),
        control_tower::store::Position(head.count),
    )
    .unwrap();
    let (tx, rx) = mpsc::channel();
    sub.watch(Box::new(move || {
        let _ = tx.send(());
    }));
    let _ = rx.recv_timeout(Duration::from_secs(5)); // LISTENing
    thread::sleep(Duration::from_millis(200));
    while rx.try_recv().is_ok() {}
    let mut times = Vec::with_capacity(NOTIFY_SAMPLES);
    for i in 0..NOTIFY_SAMPLES {
        let payload = created_payload(
            "Pune, Maharashtra",
            "Kochi, Kerala",
            1.0 + i as f64,
            "EXPRESS",
            Map::new(),
        );
        let appended = pg.append_request(&AppendRequest::create(payload)).unwrap();
        let at = Instant::now();
        let want = appended.position.0 + 1;
        while sub.position().0 < want {
            let _ = rx.recv_timeout(Duration::from_millis(100));
            sub.poll(u64::MAX, &mut |_| {}).unwrap();
            assert!(at.elapsed() < Duration::from_secs(10), "never seen");
        }
        times.push(at.elapsed());
        while rx.try_recv().is_ok() {}
    }
    times.sort();
    println!(
        "append → second PgSubscription (NOTIFY wake + poll), {NOTIFY_SAMPLES} samples: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms | load {}",
        pct(&times, 0.5),
        pct(&times, 0.99),
        pct(&times, 1.0),
        load_average()
    );
}

/// Peak RSS of this process, from /proc.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[test]
#[ignore]
fn dashboard_cold_start_on_a_million_events() {
    let Some((mut tower, _op)) = tower_for_bench("pgbench_cold") else {
        return;
    };
    let events: u64 = std::env::var("CT_PG_BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(dir.path().join("log"));
    let t = Instant::now();
    let shipments = loggen::generate(&paths, events, 7).unwrap();
    println!(
        "generated {events} events / {shipments} shipments in {:.2?}",
        t.elapsed()
    );

    let (admin_url, admin_password) = tower.bare_url(tower.admin());
    println!("load average before migrate: {}", load_average());
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "peak RSS %M kB, %e s wall", BIN, "migrate", "--from"])
        .arg(&paths.dir)
        .args(["--to", &admin_url])
        .env("PGPASSWORD", &admin_password)
        .env_remove("CONTROL_TOWER_STORE")
        .output()
        .unwrap();
    let took = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "migrate: {stderr}");
    println!(
        "migrate of {events} events: {took:.2?} = {:.0} events/s ({}) | load {}",
        events as f64 / took.as_secs_f64(),
        stderr.lines().last().unwrap_or(""),
        load_average()
    );

    let viewer = tower.login("viewer");
    let (url, password) = tower.bare_url(&viewer);
    for run in 1..=3 {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "pg_bench::cold_start_child",
                "--nocapture",
            ])
            .env(COLD_URL_ENV, &url)
            .env("PGPASSWORD", &password)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().find(|l| l.starts_with("cold start:"));
        assert!(
            out.status.success() && line.is_some(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!("run {run}: {} | load {}", line.unwrap(), load_average());
    }
}

/// Run by `dashboard_cold_start_on_a_million_events` in a fresh process.
#[test]
#[ignore]
fn cold_start_child() {
    let Ok(url) = std::env::var(COLD_URL_ENV) else {
        return;
    };
    let who = Who {
        operator: "viewer".into(),
        named: None,
    };
    let started = Instant::now();
    let cold =
        control_tower::tui::measure_cold_start(&Location::Postgres(url), &who, 160, 45).unwrap();
    let total = started.elapsed();
    println!(
        "cold start: {} events / {} shipments; open {:.2?}, read {:.2?}, first full frame {:.2?}: {:.2?} to the first frame; peak RSS {:.0} MB",
        cold.events,
        cold.shipments,
        cold.open,
        cold.load,
        cold.first_frame,
        total,
        peak_rss_mb()
    );
}

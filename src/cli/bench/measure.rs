//! `control-tower bench`: one run, in a scratch directory, of the figures
//! BENCHMARKS.md records, each with its target and whether it was met: the
//! fsync floor, durable single appends (on an empty log and at the
//! millionth event), batched appends, and cold `audit` / `show` / `create` /
//! `advance` in fresh processes on a generated 1M-event log, with their peak
//! memory. Printing is the `bench` command's (`super`).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::loggen;
use crate::domain::payload::created_payload;
use crate::domain::{EventType, ShipmentId, lifecycle};
use crate::error::{Error, Result};
use crate::store::{AppendRequest, EventStore, JsonlStore, LogPaths};

const BIG_LOG_EVENTS: u64 = 1_000_000;
/// Overrides the big log's size (for a quick run or a test).
pub const EVENTS_ENV: &str = "CONTROL_TOWER_BENCH_EVENTS";
const SINGLE_APPENDS: usize = 400;
/// Requests per `append_batch` call: one lock, one catch-up, one sync.
const BATCH: usize = 10_000;
/// A durable append may cost at most this many times a bare write + fdatasync.
const FLOOR_RATIO: f64 = 1.3;

/// What a figure should be (BENCHMARKS.md's targets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// Shown for reference: no target.
    Reference,
    AtMost(f64),
    AtLeast(f64),
    Between(f64, f64),
}

impl Limit {
    /// `Some(true)` when met, `None` when there is no target.
    pub fn met_by(self, value: f64) -> Option<bool> {
        match self {
            Limit::Reference => None,
            Limit::AtMost(max) => Some(value <= max),
            Limit::AtLeast(min) => Some(value >= min),
            Limit::Between(min, max) => Some((min..=max).contains(&value)),
        }
    }

    fn words(self, unit: &str) -> String {
        match self {
            Limit::Reference => "-".into(),
            Limit::AtMost(max) => format!("<= {} {unit}", number(max)),
            Limit::AtLeast(min) => format!(">= {} {unit}", number(min)),
            Limit::Between(min, max) => format!("{}-{} {unit}", number(min), number(max)),
        }
    }
}

/// A figure as people read it: whole numbers from 100 up, else 2 decimals.
pub fn number(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    /// The target, in words (`-` when there is none).
    pub target: String,
    /// `ok`, `MISS`, or `-` when there is no target.
    pub verdict: &'static str,
}

pub(super) fn figure(
    name: impl Into<String>,
    value: f64,
    unit: &'static str,
    limit: Limit,
) -> Figure {
    Figure::new(name, value, unit, limit, limit.words(unit))
}

impl Figure {
    fn new(
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        limit: Limit,
        target: String,
    ) -> Figure {
        let verdict = match limit.met_by(value) {
            Some(true) => "ok",
            Some(false) => "MISS",
            None => "-",
        };
        Figure {
            name: name.into(),
            value,
            unit,
            target,
            verdict,
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e6
}

fn sorted(mut samples: Vec<Duration>) -> Vec<Duration> {
    samples.sort();
    samples
}

/// A new scratch directory inside `parent` (the data directory) when given,
/// else in the system's temporary directory; removed when dropped.
pub fn scratch_dir(parent: Option<&Path>) -> Result<tempfile::TempDir> {
    match parent {
        Some(dir) => tempfile::Builder::new()
            .prefix("bench-scratch-")
            .tempdir_in(dir)
            .map_err(|e| Error::io("create a scratch directory in", dir, e)),
        None => tempfile::Builder::new()
            .prefix("control-tower-bench-")
            .tempdir()
            .map_err(|e| Error::io("create a temporary directory in", std::env::temp_dir(), e)),
    }
}

/// Every measurement, in order, with a big log of `events` events (else
/// `EVENTS_ENV`, else a million); `progress` hears what is being measured.
pub fn all(
    tmp: &tempfile::TempDir,
    big_events: Option<u64>,
    progress: impl Fn(&str),
) -> Result<Vec<Figure>> {
    let mut figures = Vec::new();

    progress("raw write + fdatasync floor");
    let floor_p50 = floor_figures(tmp.path(), &mut figures)?;

    progress("single durable appends on an empty log");
    let empty = LogPaths::new(tmp.path().join("empty"));
    let mut store = JsonlStore::open_indexed(&empty, "bench")?;
    let first = sorted(single_appends(&mut store, SINGLE_APPENDS)?);
    push_append_figures(&mut figures, "empty log", &first, floor_p50);

    progress("batched appends");
    let batched = LogPaths::new(tmp.path().join("batched"));
    let (events, elapsed) = batched_appends(&batched, 25_000)?;
    figures.push(figure(
        format!("batched appends ({BATCH} per lock + sync)"),
        events as f64 / elapsed.as_secs_f64(),
        "events/s",
        Limit::AtLeast(250_000.0),
    ));

    progress("generating the big log");
    let big = LogPaths::new(tmp.path().join("big"));
    let big_events = big_events.unwrap_or_else(big_log_events);
    let shipments = big_log(&big, big_events, &mut figures)?;
    super::opening::figures(&big, big_events, &mut figures, &progress)?;
    cold_processes(&big, shipments, &mut figures, &progress)?;

    progress("single durable appends at the millionth event");
    let mut store = JsonlStore::open_indexed(&big, "bench")?;
    let at_million = sorted(single_appends(&mut store, SINGLE_APPENDS)?);
    push_append_figures(&mut figures, "after the big log", &at_million, floor_p50);
    Ok(figures)
}

/// The raw write + fdatasync floor in `dir`; returns its p50 (us).
fn floor_figures(dir: &Path, figures: &mut Vec<Figure>) -> Result<f64> {
    let floor = sorted(raw_floor(&dir.join("floor.jsonl"), SINGLE_APPENDS)?);
    let floor_p50 = percentile(&floor, 0.5);
    figures.push(figure(
        "raw floor: write + fdatasync of a 330-byte line, p50",
        floor_p50,
        "us",
        Limit::Reference,
    ));
    figures.push(figure(
        "raw floor: write + fdatasync of a 330-byte line, p99",
        percentile(&floor, 0.99),
        "us",
        Limit::Reference,
    ));
    Ok(floor_p50)
}

/// The big log's size when `--events` does not say: `EVENTS_ENV`, else a
/// million.
fn big_log_events() -> u64 {
    std::env::var(EVENTS_ENV)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(BIG_LOG_EVENTS)
}

/// Generates the big log of `big_events` events in `big`; returns its
/// number of shipments.
fn big_log(big: &LogPaths, big_events: u64, figures: &mut Vec<Figure>) -> Result<u64> {
    let started = Instant::now();
    let shipments = loggen::generate(big, big_events, 7)?;
    let size = std::fs::metadata(&big.events).map(|m| m.len()).unwrap_or(0);
    // The size target is for the standard 1M-event log only.
    let size_limit = if big_events == BIG_LOG_EVENTS {
        Limit::Between(200.0, 300.0)
    } else {
        Limit::Reference
    };
    figures.push(figure(
        format!("generated log: {big_events} events, {shipments} shipments, size"),
        size as f64 / 1e6,
        "MB",
        size_limit,
    ));
    figures.push(figure(
        "generating it (buffered, no sync)",
        started.elapsed().as_secs_f64(),
        "s",
        Limit::Reference,
    ));
    // Else the first append's fdatasync would write the whole log out and
    // be timed as that command's cost.
    let started = Instant::now();
    for path in [&big.events, &big.counter] {
        std::fs::File::open(path)
            .and_then(|file| file.sync_data())
            .map_err(|e| Error::io("sync", path, e))?;
    }
    figures.push(figure(
        "syncing it to disk",
        started.elapsed().as_secs_f64(),
        "s",
        Limit::Reference,
    ));
    Ok(shipments)
}

/// A command run in a fresh process on the big log: its name, its
/// arguments (`LAST`: the shipment the `create` before made) and its
/// (time, peak RSS) limits.
type ColdCommand = (&'static str, Vec<&'static str>, (Limit, Limit));

fn cold_commands() -> Vec<ColdCommand> {
    vec![
        (
            "export (a CSV row per event, to a file), fresh process",
            vec!["export", "--output", "EXPORT"],
            (Limit::AtMost(5.0), Limit::AtMost(64.0)),
        ),
        (
            "show ID, fresh process",
            vec!["show", "MIDDLE", "--json"],
            (Limit::AtMost(0.3), Limit::Reference),
        ),
        (
            "create, fresh process",
            vec![
                "create",
                "--source",
                "Pune",
                "--destination",
                "Goa",
                "--weight-kg",
                "2",
                "--delivery-type",
                "STANDARD",
            ],
            (Limit::Reference, Limit::Reference),
        ),
        (
            "advance ID (the new shipment), fresh process",
            vec![
                "advance",
                "LAST",
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
            ],
            (Limit::AtMost(0.3), Limit::Reference),
        ),
    ]
}

/// Cold `audit` / `show` / `create` / `advance` in fresh processes of this
/// binary on the big log: the best time of a few runs, and its peak RSS.
fn cold_processes(
    big: &LogPaths,
    shipments: u64,
    figures: &mut Vec<Figure>,
    progress: &impl Fn(&str),
) -> Result<()> {
    let on_big = OnBigLog::new(big)?;
    let middle = ShipmentId::new(shipments / 2)
        .ok_or(Error::IdsExhausted)?
        .to_string();
    let mut last_created = String::new();
    for (name, args, (time_limit, rss_limit)) in cold_commands() {
        progress(name);
        let args: Vec<String> = args
            .iter()
            .map(|&a| match a {
                "LAST" => last_created.clone(),
                "MIDDLE" => middle.clone(),
                "EXPORT" => big.dir.join("export.csv").to_string_lossy().to_string(),
                _ => a.to_string(),
            })
            .collect();
        let runs = if args[0] == "show" { 3 } else { 1 };
        let best = on_big.best_run(&args, runs)?;
        if args[0] == "create" {
            last_created = best.stdout.trim().to_string();
        }
        figures.push(figure(
            format!("{name}: time (best of {runs})"),
            best.elapsed.as_secs_f64(),
            "s",
            time_limit,
        ));
        figures.push(figure(
            format!("{name}: peak RSS"),
            best.max_rss_kb as f64 / 1024.0,
            "MB",
            rss_limit,
        ));
    }
    Ok(())
}

/// This binary, run in fresh processes on the big log.
pub(super) struct OnBigLog {
    exe: PathBuf,
    dir: String,
}

impl OnBigLog {
    pub(super) fn new(big: &LogPaths) -> Result<OnBigLog> {
        let exe = std::env::current_exe()
            .map_err(|e| Error::io("locate", "the control-tower binary", e))?;
        let dir = big.dir.to_string_lossy().to_string();
        Ok(OnBigLog { exe, dir })
    }

    /// The fastest of `runs` runs of `args` (see `best_run`).
    pub(super) fn best_run(&self, args: &[String], runs: usize) -> Result<ProcessRun> {
        best_run(&self.exe, &self.dir, args, runs)
    }
}

/// The fastest of `runs` runs (at least one); any failed run fails the bench.
fn best_run(exe: &Path, dir: &str, args: &[String], runs: usize) -> Result<ProcessRun> {
    let mut best: Option<ProcessRun> = None;
    for _ in 0..runs.max(1) {
        let run = run_process(exe, dir, args)?;
        if !run.success {
            return Err(Error::BenchFailed(format!(
                "bench: `{}` failed",
                args.join(" ")
            )));
        }
        if best.as_ref().is_none_or(|b| run.elapsed < b.elapsed) {
            best = Some(run);
        }
    }
    best.ok_or_else(|| Error::Internal("bench: no run was made".into()))
}

fn push_append_figures(figures: &mut Vec<Figure>, log: &str, samples: &[Duration], floor_p50: f64) {
    let p50 = percentile(samples, 0.5);
    let max_p50 = FLOOR_RATIO * floor_p50;
    figures.push(Figure::new(
        format!("store append, {log}, p50"),
        p50,
        "us",
        Limit::AtMost(max_p50),
        format!("<= {FLOOR_RATIO}x floor ({} us)", number(max_p50)),
    ));
    figures.push(figure(
        format!("store append, {log}, p99"),
        percentile(samples, 0.99),
        "us",
        Limit::Reference,
    ));
    figures.push(figure(
        format!("store append, {log}, p50 / floor p50"),
        p50 / floor_p50.max(1e-9),
        "x",
        Limit::AtMost(FLOOR_RATIO),
    ));
}

fn raw_floor(path: &Path, n: usize) -> Result<Vec<Duration>> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io("create", path, e))?;
    let line = format!("{}\n", "x".repeat(329));
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        file.write_all(line.as_bytes())
            .and_then(|_| file.sync_data())
            .map_err(|e| Error::io("write", path, e))?;
        samples.push(t.elapsed());
    }
    Ok(samples)
}

fn sample_create() -> AppendRequest {
    AppendRequest::create(created_payload(
        "Mumbai, Maharashtra",
        "Delhi, Delhi",
        12.5,
        "EXPRESS",
        Default::default(),
    ))
}

/// `n` appends, one at a time: creations and standard-flow advances.
fn single_appends(store: &mut impl EventStore, n: usize) -> Result<Vec<Duration>> {
    let mut samples = Vec::with_capacity(n);
    let mut current: Option<(ShipmentId, EventType, u32)> = None;
    for _ in 0..n {
        let request = match current {
            Some((id, state, seq)) => match lifecycle::standard_next(state) {
                Some(next) => {
                    let actor = lifecycle::permitted_actors(next)[0];
                    AppendRequest::advance(id, next, actor, Default::default()).expecting_seq(seq)
                }
                None => sample_create(),
            },
            None => sample_create(),
        };
        let t = Instant::now();
        let appended = store.append_request(&request)?;
        samples.push(t.elapsed());
        let e = appended.event;
        current = Some((e.shipment_id, e.event_type, e.event_seq));
    }
    Ok(samples)
}

/// Creates `shipments` shipments and walks each through the standard flow,
/// `BATCH` requests per batch. Returns (events, time).
fn batched_appends(paths: &LogPaths, shipments: usize) -> Result<(u64, Duration)> {
    let mut store = JsonlStore::open_indexed(paths, "bench")?;
    let started = Instant::now();
    let mut ids = Vec::with_capacity(shipments);
    let mut events = 0u64;
    for chunk in (0..shipments).collect::<Vec<_>>().chunks(BATCH) {
        let requests: Vec<AppendRequest> = chunk.iter().map(|_| sample_create()).collect();
        for result in store.append_batch(&requests)? {
            ids.push(result?.event.shipment_id);
            events += 1;
        }
    }
    for (step, &event) in lifecycle::STANDARD_FLOW.iter().enumerate().skip(1) {
        let actor = lifecycle::permitted_actors(event)[0];
        for chunk in ids.chunks(BATCH) {
            let requests: Vec<AppendRequest> = chunk
                .iter()
                .map(|&id| {
                    AppendRequest::advance(id, event, actor, Default::default())
                        .expecting_seq(step as u32)
                })
                .collect();
            for result in store.append_batch(&requests)? {
                result?;
                events += 1;
            }
        }
    }
    Ok((events, started.elapsed()))
}

pub(super) struct ProcessRun {
    pub elapsed: Duration,
    pub max_rss_kb: i64,
    pub success: bool,
    pub stdout: String,
}

/// Runs the binary once and measures wall time and peak RSS (wait4).
pub(super) fn run_process(exe: &Path, data_dir: &str, args: &[String]) -> Result<ProcessRun> {
    let started = Instant::now();
    let mut child = Command::new(exe)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--operator")
        .arg("bench")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io("run", exe, e))?;
    let mut stdout = String::new();
    let pid = child.id() as libc::pid_t;
    if let Some(mut out) = child.stdout.take() {
        use std::io::Read;
        let _ = out.read_to_string(&mut stdout);
    }
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    if waited != pid {
        return Err(Error::io("wait for", exe, std::io::Error::last_os_error()));
    }
    Ok(ProcessRun {
        elapsed,
        max_rss_kb: usage.ru_maxrss,
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        stdout,
    })
}

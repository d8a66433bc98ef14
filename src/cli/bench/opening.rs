//! The figures of opening a big tower (issue 12), each in a fresh process
//! of this binary on the generated log: `audit` (which always reads and
//! verifies everything) beside `openssl sha256` of the same file (one
//! SHA-256 pass: the floor), `list --state` and the dashboard's first full
//! frame, each without a projection snapshot and from one, with peak RSS.
//! Targets are the for 10M events, scaled with the log's size
//! (never below the 1M-event targets).

use std::path::Path;
use std::time::Instant;

use super::measure::{Figure, Limit, OnBigLog, ProcessRun, figure};
use crate::error::{Error, Result};
use crate::read::snapshot;
use crate::store::{Location, LogPaths};

/// A time or memory target: `per_million` for each million events, at
/// least `floor`.
fn scaled(events: u64, per_million: f64, floor: f64) -> Limit {
    Limit::AtMost((per_million * events as f64 / 1e6).max(floor))
}

pub fn figures(
    big: &LogPaths,
    events: u64,
    figures: &mut Vec<Figure>,
    progress: &impl Fn(&str),
) -> Result<()> {
    let on_big = OnBigLog::new(big)?;
    let run = |args: &[&str], runs: usize| {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        on_big.best_run(&args, runs)
    };
    let forget = || remove_snapshot(big);
    progress("openssl sha256 of the log (the floor of one hashing pass)");
    figures.extend(openssl_figure(&big.events));
    let mut push = |name: &str, run: &ProcessRun, time: Limit, rss: Limit| {
        figures.push(figure(
            format!("{name}: time"),
            run.elapsed.as_secs_f64(),
            "s",
            time,
        ));
        let rss_mb = run.max_rss_kb as f64 / 1024.0;
        figures.push(figure(format!("{name}: peak RSS"), rss_mb, "MB", rss));
    };
    progress("audit (reads and verifies everything)");
    let audit = run(&["audit", "--json"], 3)?;
    push(
        "audit, fresh process (best of 3)",
        &audit,
        scaled(events, 0.25, 1.0),
        scaled(events, 40.0, 200.0),
    );

    let list = ["list", "--state", "HOLD_FOR_REVIEW"];
    progress("list --state without a snapshot (it writes one)");
    forget()?;
    let replayed = run(&list, 1)?;
    push(
        "list --state HOLD_FOR_REVIEW, no snapshot (writes one)",
        &replayed,
        Limit::Reference,
        scaled(events, 40.0, 200.0),
    );
    progress("list --state from the snapshot");
    let fast = run(&list, 3)?;
    push(
        "list --state HOLD_FOR_REVIEW, from the snapshot (best of 3)",
        &fast,
        scaled(events, 0.1, 0.3),
        scaled(events, 40.0, 200.0),
    );

    progress("dashboard, first full frame, from the snapshot");
    let dashboard = run(&["cold-start"], 3)?;
    push(
        "dashboard to its first full 160x45 frame, from the snapshot (best of 3)",
        &dashboard,
        scaled(events, 0.1, 0.3),
        scaled(events, 30.0, 150.0),
    );
    progress("dashboard, first full frame, without a snapshot");
    forget()?;
    let dashboard = run(&["cold-start"], 1)?;
    push(
        "dashboard to its first full 160x45 frame, no snapshot",
        &dashboard,
        scaled(events, 0.5, 1.0),
        scaled(events, 30.0, 150.0),
    );
    // The figures after these (export, show, …) run with a snapshot, as
    // a tower does once it has been opened.
    run(&list, 1)?;
    Ok(())
}

fn remove_snapshot(big: &LogPaths) -> Result<()> {
    let Some(path) = snapshot::path_of(&Location::File(big.clone())) else {
        return Ok(());
    };
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io("remove the projection snapshot", &path, e))
        }
        _ => Ok(()),
    }
}

/// How long `openssl sha256 FILE` takes (none without openssl).
fn openssl_figure(path: &Path) -> Option<Figure> {
    let seconds = openssl_sha256(path)?;
    let name = "openssl sha256 of the event log (one core)";
    Some(figure(name, seconds, "s", Limit::Reference))
}

/// Seconds `openssl sha256 FILE` takes; `None` without openssl.
fn openssl_sha256(path: &Path) -> Option<f64> {
    let started = Instant::now();
    let run = run_process_plain("openssl", &["sha256".as_ref(), path.as_os_str()])?;
    run.then(|| started.elapsed().as_secs_f64())
}

fn run_process_plain(program: &str, args: &[&std::ffi::OsStr]) -> Option<bool> {
    let status = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    Some(status.success())
}

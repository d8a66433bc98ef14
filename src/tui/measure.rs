//! Measurements for `control-tower bench` and the TUI benchmark test:
//! frame time on a loaded log when a key is pressed (only the visible rows
//! are built, so it must not grow with the log), and the time from an
//! append by another writer to the row being on a drawn frame.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, AppOptions};
use super::views;
use crate::domain::payload::created_payload;
use crate::error::{Error, Result};
use crate::log::watch::LogWatcher;
use crate::store::{AppendRequest, EventStore, JsonlStore, LogPaths};

#[derive(Debug, Clone)]
pub struct FrameTimes {
    pub shipments: usize,
    pub events: u64,
    /// Reading the whole log into the projection.
    pub load: Duration,
    /// Row order, badge, history and the first full frame after the load.
    pub first_frame: Duration,
    /// Key handled + frame drawn, per key press.
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub presses: usize,
    /// The key whose press took longest (to find a slow path).
    pub slowest_key: String,
}

#[derive(Debug, Clone)]
pub struct LatencyStats {
    pub samples: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn terminal(width: u16, height: u16) -> Result<Terminal<TestBackend>> {
    Terminal::new(TestBackend::new(width, height))
        .map_err(|e| Error::Internal(format!("test backend: {e}")))
}

fn draw(terminal: &mut Terminal<TestBackend>, app: &App) -> Result<()> {
    terminal
        .draw(|f| views::draw(f, app, Utc::now()))
        .map(|_| ())
        .map_err(|e| Error::Internal(format!("draw: {e}")))
}

/// Loads the log at `paths`, then presses navigation keys `presses` times
/// on a `width` x `height` screen, timing each key + frame.
pub fn measure_frame_times(
    paths: &LogPaths,
    width: u16,
    height: u16,
    presses: usize,
) -> Result<FrameTimes> {
    let mut app = App::new(AppOptions {
        paths: paths.clone(),
        operator: "bench".into(),
        role: None,
    });
    let started = Instant::now();
    while app.load_step(u64::MAX)? {}
    let load = started.elapsed();
    let mut terminal = terminal(width, height)?;
    let started = Instant::now();
    app.finish_load();
    draw(&mut terminal, &app)?;
    let first_frame = started.elapsed();

    let keys = [
        KeyCode::Down,
        KeyCode::Char('j'),
        KeyCode::PageDown,
        KeyCode::Up,
        KeyCode::Char('G'),
        KeyCode::PageUp,
        KeyCode::Char('g'),
        KeyCode::Char('r'),
    ];
    let mut times = Vec::with_capacity(presses);
    let mut slowest = (Duration::ZERO, String::new());
    for i in 0..presses {
        let key = KeyEvent::new(keys[i % keys.len()], KeyModifiers::NONE);
        let t = Instant::now();
        app.handle_key(&key);
        draw(&mut terminal, &app)?;
        let took = t.elapsed();
        if took > slowest.0 {
            slowest = (took, format!("{:?} (press {i})", key.code));
        }
        times.push(took);
    }
    times.sort();
    Ok(FrameTimes {
        shipments: app.index().projection().total_shipments(),
        events: app.index().projection().total_events(),
        load,
        first_frame,
        p50: percentile(&times, 0.50),
        p99: percentile(&times, 0.99),
        max: times.last().copied().unwrap_or_default(),
        presses,
        slowest_key: slowest.1,
    })
}

/// In `dir` (a log of any size, or empty): a dashboard state tails the log
/// through the file watcher while a second store appends `samples`
/// shipments; each sample is the time from the append returning to a frame
/// drawn with the new row in the projection.
pub fn measure_append_to_screen(dir: &Path, samples: usize) -> Result<LatencyStats> {
    let paths = LogPaths::new(dir);
    paths.create_dir()?;
    let mut app = App::new(AppOptions {
        paths: paths.clone(),
        operator: "bench-viewer".into(),
        role: None,
    });
    while app.load_step(u64::MAX)? {}
    app.finish_load();
    let mut terminal = terminal(160, 45)?;
    draw(&mut terminal, &app)?;
    let (tx, rx) = mpsc::channel();
    let _watcher = LogWatcher::start(&paths, move || {
        let _ = tx.send(());
    });
    let mut writer = JsonlStore::open_indexed(&paths, "bench-writer")?;
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        while rx.try_recv().is_ok() {}
        let payload = created_payload(
            "Pune, Maharashtra",
            "Kochi, Kerala",
            1.0 + i as f64,
            "EXPRESS",
            Default::default(),
        );
        let appended = writer.append_request(&AppendRequest::create(payload))?;
        let appended_at = Instant::now();
        let id = appended.event.shipment_id;
        loop {
            // The watcher wakes us; the 1 s poll is the safety net.
            let _ = rx.recv_timeout(crate::log::watch::FALLBACK_POLL);
            app.refresh();
            if app.index().summary(id).is_some() {
                app.sync_history();
                draw(&mut terminal, &app)?;
                times.push(appended_at.elapsed());
                break;
            }
            if appended_at.elapsed() > Duration::from_secs(10) {
                return Err(Error::BenchFailed(format!(
                    "{id} never reached the dashboard"
                )));
            }
        }
    }
    times.sort();
    Ok(LatencyStats {
        samples,
        p50: percentile(&times, 0.50),
        p99: percentile(&times, 0.99),
        max: times.last().copied().unwrap_or_default(),
    })
}

/// A dashboard's cold start on a tower of any store.
#[derive(Debug, Clone)]
pub struct ColdStart {
    pub shipments: usize,
    pub events: u64,
    /// Opening the tower (connections, roles) until the first read.
    pub open: Duration,
    /// Reading the whole log into the projection.
    pub load: Duration,
    /// Row order, badge, history and the first full frame after the load.
    pub first_frame: Duration,
}

/// Opens the dashboard's `Tower` on `location` as the real one does (the
/// operator is the store's login when it names one), reads the whole log
/// and draws the first full frame at `width` x `height`.
pub fn measure_cold_start(
    location: &crate::store::Location,
    who: &crate::store::Who,
    width: u16,
    height: u16,
) -> Result<ColdStart> {
    let started = Instant::now();
    let tower = super::tower::Tower::open(location, who)?;
    let operator = tower.operator().unwrap_or(&who.operator).to_string();
    let mut app = App::on(tower, operator, None);
    let open = started.elapsed();
    let started = Instant::now();
    while app.load_step(u64::MAX)? {}
    let load = started.elapsed();
    let mut terminal = terminal(width, height)?;
    let started = Instant::now();
    app.finish_load();
    draw(&mut terminal, &app)?;
    Ok(ColdStart {
        shipments: app.index().projection().total_shipments(),
        events: app.index().projection().total_events(),
        open,
        load,
        first_frame: started.elapsed(),
    })
}

/// The search figures: building the records behind `/`, and each
/// keystroke of a query (key handled, rows filtered, frame drawn).
#[derive(Debug, Clone)]
pub struct SearchTimes {
    pub shipments: usize,
    pub events: u64,
    /// The records built on the worker, from the first key to ready.
    pub build: Duration,
    /// Bytes the records hold, and the process's RSS growth over the build.
    pub record_bytes: usize,
    pub rss_growth: u64,
    pub keystrokes: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// The rows the last query of `queries` showed.
    pub last_rows: usize,
}

/// Resident memory of this process (Linux), in bytes; 0 if unknown.
pub(crate) fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Loads the log at `paths`, opens `/`, waits for the search records,
/// then types each of `queries` one character at a time (clearing with
/// Esc in between), timing every keystroke with its frame at 160x45.
pub fn measure_search(paths: &LogPaths, queries: &[&str]) -> Result<SearchTimes> {
    let mut app = App::new(AppOptions {
        paths: paths.clone(),
        operator: "bench".into(),
        role: None,
    });
    while app.load_step(u64::MAX)? {}
    app.finish_load();
    let mut terminal = terminal(160, 45)?;
    let press = |app: &mut App, code: KeyCode| {
        app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    };
    let before = rss();
    let started = Instant::now();
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Char('x'));
    app.wait_for_jobs();
    let build = started.elapsed();
    let rss_growth = rss().saturating_sub(before);
    press(&mut app, KeyCode::Esc);
    let mut times = Vec::new();
    for query in queries {
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char('/'));
        for c in query.chars() {
            let t = Instant::now();
            press(&mut app, KeyCode::Char(c));
            draw(&mut terminal, &app)?;
            times.push(t.elapsed());
        }
    }
    times.sort();
    Ok(SearchTimes {
        shipments: app.index().projection().total_shipments(),
        events: app.index().projection().total_events(),
        build,
        record_bytes: app.table().search().map_or(0, |s| s.record_bytes()),
        rss_growth,
        keystrokes: times.len(),
        p50: percentile(&times, 0.50),
        p99: percentile(&times, 0.99),
        max: times.last().copied().unwrap_or_default(),
        last_rows: app.table().rows().len(),
    })
}

//! The live dashboard (ratatui + crossterm), split like gitui / bottom:
//!
//! - `components`: table, history, action bar (+ its reason prompt),
//!   form, jump prompt, audit, help and status line; each owns its state,
//!   its drawing and its keys, and answers a key with an `Action`.
//! - `app`: what they share (the log, `access`: operator and role, the
//!   integrity badge, the jobs) and the routing; `input`: keys and clicks
//!   to the component that has them; `live`: refresh and freeze;
//!   `actions`: the one write path (`Action::Append`, through the store,
//!   with the seq the operator saw); `rows`: the sorted, filtered row order.
//! - `keymap`: the one key table, for dispatch and for the help view.
//! - `event_loop`: terminal events + log watcher + tick into one channel.
//! - `views`: the layout, and the parts that own no state (header, state
//!   strip, loading gauge). `terminal`: raw mode in, always restored out.
//! - `jobs`: background work (re-verification, appends that may wait for
//!   the lock), reported back on the event loop's channel.
//! - `measure`: frame-time and append-to-screen figures for `bench`.

pub mod access;
pub mod acting;
pub mod actions;
pub mod app;
pub mod attention;
pub mod components;
pub mod event_loop;
pub mod input;
pub mod jobs;
pub mod keymap;
pub mod live;
pub mod measure;
pub mod measure_pulse;
pub mod measure_travel;
pub mod paint;
pub mod rows;
pub mod search;
pub mod terminal;
pub mod tower;
pub mod travel;
pub mod views;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};

pub use app::{App, AppOptions};
pub use measure::{
    ColdStart, FrameTimes, LatencyStats, SearchTimes, measure_append_to_screen, measure_cold_start,
    measure_frame_times, measure_search,
};

use crate::cli::demo;
use crate::cli::settings::{self, DirSource, Settings};
use crate::error::{Error, Result};
use crate::sim::{Simulation, SimulationConfig, seed_from_clock};
use crate::store::lock::DEFAULT_LOCK_TIMEOUT;
use crate::store::{Location, LogPaths, Who};
use event_loop::{Msg, Sources};
use tower::Tower;

/// `control-tower cold-start` (hidden, for `bench`): opens the tower as
/// the dashboard does (from its projection snapshot when one matches),
/// draws the first full 160x45 frame off screen, prints how long each step
/// took and exits. `bench` times the whole process and reads its peak RSS.
pub fn cold_start(settings: Settings) -> Result<ExitCode> {
    let location = settings.location()?;
    let cold = measure_cold_start(&location, &settings.who(), 160, 45)?;
    println!(
        "{} events, {} shipments: open {:.3} s, read {:.3} s, first frame {:.3} s",
        cold.events,
        cold.shipments,
        cold.open.as_secs_f64(),
        cold.load.as_secs_f64(),
        cold.first_frame.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Opens the dashboard (no command, or `demo` when `settings.demo` is set);
/// returns the exit code.
pub fn run(settings: Settings) -> Result<ExitCode> {
    let demo_rate = settings.demo.map(|demo| demo.rate);
    if let Some(rate) = demo_rate {
        settings::check_rate(rate)?;
    }
    let location = settings.location()?;
    let mut app = match &location {
        Location::File(_) => {
            // The directory is checked before the terminal, so that a
            // refusal (a real log under `demo`, a missing directory) is
            // never hidden.
            let dir = DashboardDir::choose(&settings)?;
            check_terminal()?;
            let paths = dir.prepare()?;
            App::new(AppOptions {
                paths,
                operator: settings.operator.clone(),
                role: settings.role,
            })
        }
        Location::Postgres(_) => {
            if settings.demo.is_some() {
                check_demo_database(&location)?;
            }
            check_terminal()?;
            let tower = Tower::open(&location, &settings.who())?;
            let operator = tower.operator().unwrap_or(&settings.operator).to_string();
            App::on(tower, operator, settings.role)
        }
    };
    app.demo = demo_rate.is_some();
    if app.demo {
        app.scale_levels_for_demo();
    }
    app.lock_timeout = Some(settings.lock_timeout);

    app.zone = settings.zone.clone();
    // Drawing happens on this thread: the theme is installed for it.
    views::theme::install(views::theme::Theme::resolve(
        settings.theme,
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("COLORFGBG").ok().as_deref(),
    ));
    let sources = Sources::start(&app.tower)?;
    let mut guard = terminal::TerminalGuard::enter().map_err(|source| Error::Terminal {
        doing: "set up",
        source,
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    let location = app.index().location().clone();
    let simulator = demo_rate.map(|rate| start_simulator(location, rate, stop.clone(), &sources));
    let result = event_loop::run(&mut guard, &mut app, &sources);
    stop.store(true, Ordering::SeqCst);
    app.shutdown();
    // A clean exit keeps the projection for the next opening (a reader
    // that may not write the cache goes on without).
    let _ = app.tower.index_mut().save_snapshot_if_due(true);
    drop(guard);
    if let Some(handle) = simulator {
        // It stops after its next event; at a slow --rate that may be far
        // off, so wait briefly and otherwise let the exit end it (a write
        // in flight is one write_all: it lands whole or not at all).
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
        while !handle.is_finished() && std::time::Instant::now() < deadline {
            thread::sleep(std::time::Duration::from_millis(20));
        }
        if handle.is_finished() {
            let _ = handle.join();
        }
    }
    result.map(|()| ExitCode::SUCCESS)
}

/// `demo --store`: the simulator appends to that database, so it must be
/// an empty one or one named for a demo, never a real tower by mistake.
fn check_demo_database(location: &Location) -> Result<()> {
    let label = location.describe();
    let name = label.rsplit('/').next().unwrap_or_default();
    if name.to_ascii_lowercase().contains("demo") {
        return Ok(());
    }
    let events = location.reader()?.head()?.count;
    if events == 0 {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "demo --store {label}: that database holds {events} events and its name does not say demo; the demo's simulator would append to a real tower. Use an empty database, or one whose name contains 'demo'"
    )))
}

fn check_terminal() -> Result<()> {
    if std::io::stdout().is_terminal() {
        Ok(())
    } else {
        Err(Error::NoTerminal)
    }
}

/// The dashboard's data directory: demo's own, or the tower's.
enum DashboardDir {
    Demo(demo::DemoDir),
    Tower(LogPaths, DirSource),
}

impl DashboardDir {
    /// Chooses and checks the directory without touching the disk.
    fn choose(settings: &Settings) -> Result<DashboardDir> {
        if settings.demo.is_some() {
            return demo::choose(settings).map(DashboardDir::Demo);
        }
        let paths = settings.paths.clone();
        if settings.source != DirSource::Default && !paths.dir.is_dir() {
            return Err(Error::DataDirMissing(paths.dir));
        }
        Ok(DashboardDir::Tower(paths, settings.source))
    }

    /// Creates what is created on first use.
    fn prepare(self) -> Result<LogPaths> {
        match self {
            DashboardDir::Demo(dir) => dir.prepare(),
            DashboardDir::Tower(paths, source) => {
                // A directory we may not create is still readable if it exists.
                if let Err(e) = settings::ensure_data_dir(&paths, source)
                    && !paths.dir.is_dir()
                {
                    return Err(e);
                }
                Ok(paths)
            }
        }
    }
}

/// The demo's traffic: its own store on the demo directory, stopped by
/// `stop` (checked after every event).
fn start_simulator(
    location: Location,
    rate: f64,
    stop: Arc<AtomicBool>,
    sources: &Sources,
) -> JoinHandle<()> {
    let tx = sources.tx.clone();
    thread::spawn(move || {
        // On a database the simulator acts as the login it connects with.
        let who = Who {
            operator: "simulator".into(),
            named: None,
        };
        let mut store = match crate::read::log::long_writer(&location, &who, DEFAULT_LOCK_TIMEOUT) {
            Ok(store) => store,
            Err(e) => {
                let _ = tx.send(Msg::Trouble(format!("demo simulator cannot start: {e}")));
                return;
            }
        };
        let mut simulation = Simulation::new(SimulationConfig {
            shipments: None,
            rate,
            seed: seed_from_clock(),
            in_flight: 12,
        });
        if let Err(e) = simulation.run(&mut *store, |_| !stop.load(Ordering::SeqCst)) {
            let _ = tx.send(Msg::Trouble(format!("demo simulator stopped: {e}")));
        }
    })
}

//! Pulse figures for the TUI benchmark (`tests/tui/bench.rs`): on a
//! loaded log, the first draw of the pulse view (`p` + frame, the figures
//! computed from scratch), the figures alone, and then the frames drawn
//! with the view open while a simulator appends at a given rate (each
//! sample: the refresh that reads what arrived + a frame).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, AppOptions};
use super::measure_travel::Spread;
use super::views;
use crate::domain::Timestamp;
use crate::domain::payload::created_payload;
use crate::domain::{Actor, EventType};
use crate::error::{Error, Result};
use crate::store::{AppendRequest, Location, LogPaths, Who};

#[derive(Debug, Clone, Default)]
pub struct PulseTimes {
    pub shipments: usize,
    pub events: u64,
    /// `p` + the first frame of the pulse.
    pub first_draw: Duration,
    /// After the writer: `!` + the first frame of the attention list
    /// (`attention` entries, under the demo's levels), and `m` + the first
    /// frame of SENDER_SUPERVISOR's queue.
    pub attention_first: Duration,
    pub attention: usize,
    pub queue_first: Duration,
    /// `read::pulse::figures` alone, on the loaded projection.
    pub figures: Duration,
    /// Refresh + frame with the pulse open, under the simulator.
    pub frames: Spread,
    /// Events the simulator appended meanwhile, and over how long.
    pub appended: u64,
    pub seconds: f64,
}

fn draw(terminal: &mut Terminal<TestBackend>, app: &App) -> Result<()> {
    terminal
        .draw(|f| views::draw(f, app, Utc::now()))
        .map(|_| ())
        .map_err(|e| Error::Internal(format!("draw: {e}")))
}

/// A key (`\x1b`: Esc) and the frame after it.
fn press(terminal: &mut Terminal<TestBackend>, app: &mut App, c: char) -> Result<Duration> {
    let started = Instant::now();
    let code = if c == '\x1b' {
        KeyCode::Esc
    } else {
        KeyCode::Char(c)
    };
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    draw(terminal, app)?;
    Ok(started.elapsed())
}

/// Loads `paths` into a 160x45 dashboard, opens the pulse, then draws a
/// frame every 16 ms for `seconds` while a simulator appends `rate`
/// events a second.
pub fn measure_pulse(paths: &LogPaths, seconds: u64, rate: f64) -> Result<PulseTimes> {
    let mut app = App::new(AppOptions {
        paths: paths.clone(),
        operator: "bench".into(),
        role: Some(crate::domain::Actor::SenderSupervisor),
    });
    while app.load_step(u64::MAX)? {}
    app.finish_load();
    let mut terminal = Terminal::new(TestBackend::new(160, 45))
        .map_err(|e| Error::Internal(format!("test backend: {e}")))?;
    draw(&mut terminal, &app)?;
    let started = Instant::now();
    let levels = app.levels().clone();
    crate::read::pulse::figures(app.projection(), &levels, Timestamp::now_millis());
    let figures = started.elapsed();
    let first_draw = press(&mut terminal, &mut app, 'p')?;

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, location) = (stop.clone(), app.index().location().clone());
        std::thread::spawn(move || write_at(&location, rate, &stop))
    };
    let mut times = Vec::new();
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(seconds) {
        let t = Instant::now();
        app.refresh();
        draw(&mut terminal, &app)?;
        let took = t.elapsed();
        times.push(took);
        std::thread::sleep(Duration::from_millis(16).saturating_sub(took));
    }
    stop.store(true, Ordering::SeqCst);
    let appended = writer
        .join()
        .map_err(|_| Error::Internal("the writer panicked".into()))??;
    app.refresh();
    // The lists, on what the writer left: ~10k approved shipments waiting
    // for a supervisor, stuck under the demo's levels (after 6 s).
    app.scale_levels_for_demo();
    press(&mut terminal, &mut app, '\x1b')?;
    let attention_first = press(&mut terminal, &mut app, '!')?;
    let attention = app.worklist.entries().len();
    press(&mut terminal, &mut app, '\x1b')?;
    let queue_first = press(&mut terminal, &mut app, 'm')?;
    Ok(PulseTimes {
        shipments: app.projection().total_shipments(),
        events: app.projection().total_events(),
        first_draw,
        attention_first,
        attention,
        queue_first,
        figures,
        frames: Spread::of(times),
        appended,
        seconds: began.elapsed().as_secs_f64(),
    })
}

/// Appends `rate` events a second until `stop`: every 20 ms a batch (one
/// lock and one sync: a sync per event would cap a disk at a few hundred
/// a second), new shipments and then their approvals, in turn.
fn write_at(location: &Location, rate: f64, stop: &AtomicBool) -> Result<u64> {
    let who = Who {
        operator: "writer".into(),
        named: None,
    };
    let mut store = crate::read::log::long_writer(location, &who, Duration::from_secs(10))?;
    let tick = Duration::from_millis(20);
    let per_tick = ((rate * tick.as_secs_f64()).round() as usize).max(1);
    let (mut appended, mut created) = (0u64, Vec::new());
    let mut next = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let batch: Vec<AppendRequest> = if created.is_empty() {
            (0..per_tick)
                .map(|_| {
                    let payload = created_payload(
                        "Pune, Maharashtra",
                        "Goa, Goa",
                        3.0,
                        "EXPRESS",
                        Default::default(),
                    );
                    AppendRequest::create(payload)
                })
                .collect()
        } else {
            std::mem::take(&mut created)
                .into_iter()
                .map(|id| {
                    AppendRequest::advance(
                        id,
                        EventType::ManagerApproved,
                        Actor::SenderManager,
                        Default::default(),
                    )
                })
                .collect()
        };
        let creating = batch
            .first()
            .is_some_and(|r| r.event.event_type == EventType::Created);
        for done in store.append_batch(&batch)?.into_iter().flatten() {
            appended += 1;
            if creating {
                created.push(done.event.shipment_id);
            }
        }
        next += tick;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    Ok(appended)
}

//! Time-travel figures for the TUI benchmark (`tests/tui/bench.rs`): on a
//! loaded log, the real `App` takes each time-travel key and draws a
//! frame; each sample is key + frame. Also the memory travel adds (the
//! past projection, the event map, the checkpoints).

use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, AppOptions};
use super::views;
use crate::error::{Error, Result};
use crate::store::LogPaths;

/// p50 / p99 / max of one kind of press.
#[derive(Debug, Clone, Default)]
pub struct Spread {
    pub samples: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Spread {
    pub fn of(mut times: Vec<Duration>) -> Spread {
        times.sort();
        let at = |p: f64| {
            let i = ((times.len() as f64 - 1.0) * p).round() as usize;
            times.get(i).copied().unwrap_or_default()
        };
        Spread {
            samples: times.len(),
            p50: at(0.5),
            p99: at(0.99),
            max: times.last().copied().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TravelTimes {
    pub events: u64,
    /// `t` + frame.
    pub enter: Duration,
    /// (key, figures) for Left, Right, `[`, `]`, `{`, `}`.
    pub keys: Vec<(&'static str, Spread)>,
    /// `:` event:N/2 from the latest event right after `t` (checkpoints
    /// still being taken), and again 3 s later.
    pub half_first: Duration,
    pub half_again: Duration,
    /// `:` to random events once checkpoints are kept.
    pub random_jumps: Spread,
    /// Resident memory before `t` and with travel at its fullest, MB.
    pub rss_before_mb: f64,
    /// Right after `t` (the past projection and the event map), and once
    /// the background checkpoints are taken.
    pub rss_entered_mb: f64,
    pub rss_built_mb: f64,
    pub rss_travelling_mb: f64,
    pub checkpoints: usize,
    /// Shipment summaries kept in them.
    pub checkpoint_summaries: usize,
}

fn rss_mb() -> f64 {
    super::measure::rss() as f64 / (1024.0 * 1024.0)
}

struct Bench {
    app: App,
    terminal: Terminal<TestBackend>,
}

impl Bench {
    fn press(&mut self, code: KeyCode) -> Result<Duration> {
        let t = Instant::now();
        self.app
            .handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
        let app = &self.app;
        self.terminal
            .draw(|f| views::draw(f, app, Utc::now()))
            .map_err(|e| Error::Internal(format!("draw: {e}")))?;
        Ok(t.elapsed())
    }

    /// A frame, no key.
    fn press_nothing(&mut self) -> Result<()> {
        let app = &self.app;
        self.terminal
            .draw(|f| views::draw(f, app, Utc::now()))
            .map_err(|e| Error::Internal(format!("draw: {e}")))?;
        Ok(())
    }

    /// `:` WHEN Enter; the time of the Enter (typing is not travel).
    fn go(&mut self, when: &str) -> Result<Duration> {
        self.press(KeyCode::Char(':'))?;
        for c in when.chars() {
            self.press(KeyCode::Char(c))?;
        }
        self.press(KeyCode::Enter)
    }

    fn at(&self) -> u64 {
        self.app.travelling().map_or(0, |t| t.at())
    }
}

/// Loads `paths`, enters time travel and times every travel key
/// (`presses` of each) on a `width` x `height` screen.
pub fn measure_time_travel(paths: &LogPaths, presses: usize) -> Result<TravelTimes> {
    let mut app = App::new(AppOptions {
        paths: paths.clone(),
        operator: "bench".into(),
        role: None,
    });
    while app.load_step(u64::MAX)? {}
    app.finish_load();
    let terminal = Terminal::new(TestBackend::new(160, 45))
        .map_err(|e| Error::Internal(format!("test backend: {e}")))?;
    let mut b = Bench { app, terminal };
    let mut out = TravelTimes {
        events: b.app.index().projection().total_events(),
        rss_before_mb: rss_mb(),
        ..TravelTimes::default()
    };
    // On a big log `t` maps the events on a worker: entering ends when
    // the map is there and the first past frame is drawn.
    out.enter = {
        let t = Instant::now();
        b.press(KeyCode::Char('t'))?;
        b.app.wait_for_jobs();
        b.press_nothing()?;
        t.elapsed()
    };
    out.rss_entered_mb = rss_mb();
    let latest = b.at();
    // At once, while the checkpoints are still being taken in the
    // background: replays from the nearest one there is.
    out.half_first = b.go(&format!("event:{}", latest / 2))?;
    b.go(&format!("event:{latest}"))?;
    std::thread::sleep(Duration::from_secs(3));
    out.rss_built_mb = rss_mb();
    let steps = |b: &mut Bench, code| -> Result<Spread> {
        let times = (0..presses)
            .map(|_| b.press(code))
            .collect::<Result<Vec<_>>>()?;
        Ok(Spread::of(times))
    };
    // Steps back from the end, then forward again.
    out.keys.push(("Left", steps(&mut b, KeyCode::Left)?));
    out.keys.push(("Right", steps(&mut b, KeyCode::Right)?));
    out.half_again = b.go(&format!("event:{}", latest / 2))?;
    // Steps in the middle of the log.
    out.keys
        .push(("Left (mid-log)", steps(&mut b, KeyCode::Left)?));
    out.keys
        .push(("Right (mid-log)", steps(&mut b, KeyCode::Right)?));
    // Hours and days, alternating so each press moves.
    for (back, forward, names) in [
        (KeyCode::Char('['), KeyCode::Char(']'), ("[", "]")),
        (KeyCode::Char('{'), KeyCode::Char('}'), ("{", "}")),
    ] {
        let (mut backs, mut forwards) = (Vec::new(), Vec::new());
        for _ in 0..presses / 4 {
            backs.push(b.press(back)?);
            forwards.push(b.press(forward)?);
        }
        out.keys.push((names.0, Spread::of(backs)));
        out.keys.push((names.1, Spread::of(forwards)));
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut jumps = Vec::new();
    for _ in 0..presses / 4 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        jumps.push(b.go(&format!("event:{}", seed % (latest + 1)))?);
    }
    out.random_jumps = Spread::of(jumps);
    out.checkpoints = b.app.travelling().map_or(0, |t| t.checkpoints().len());
    out.checkpoint_summaries = b
        .app
        .travelling()
        .map_or(0, |t| t.checkpoints().summaries());
    out.rss_travelling_mb = rss_mb();
    Ok(out)
}

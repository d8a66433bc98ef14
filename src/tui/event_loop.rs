//! The event loop. Three sources feed one channel: a thread forwarding
//! terminal events, the log watcher's callback, and a one-second tick (the
//! polling safety net, ages, highlight expiry). Everything waiting in the
//! channel is handled before one refresh and one redraw, so a burst of
//! appends costs one read of the new bytes and one frame.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

use super::app::App;
use super::terminal::{self, TerminalGuard};
use super::tower::Tower;
use super::views;
use crate::error::{Error, Result};
use crate::log::watch::FALLBACK_POLL;
use crate::store::Subscription;

/// How long a change waits for the rest of its burst (and for keys in
/// flight) before it is read: well inside the 100 ms append-to-screen goal.
const SETTLE: Duration = Duration::from_millis(12);

/// How often the status line is redrawn while an append is in flight.
const IN_FLIGHT_REDRAW: Duration = Duration::from_millis(250);

/// Bytes read between two frames of the loading gauge.
const LOAD_CHUNK: u64 = 16 << 20;

pub enum Msg {
    Input(Event),
    LogChanged,
    Tick,
    /// A background part failed (input reader, demo simulator).
    Trouble(String),
    /// A dashboard worker reports (re-verification, append).
    Job(super::jobs::Job),
}

/// The running sources; dropping this stops the threads.
pub struct Sources {
    pub rx: Receiver<Msg>,
    pub tx: Sender<Msg>,
    pending_change: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// The store's subscription, here for its wake-ups (the dashboard's
    /// projection reads through the store's own, see `read::Log`).
    _live: Box<dyn Subscription>,
    pub fallback: Option<String>,
}

impl Sources {
    pub fn start(tower: &Tower) -> Result<Sources> {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let pending_change = Arc::new(AtomicBool::new(false));

        let mut live = tower.subscribe()?;
        let fallback = {
            let tx = tx.clone();
            let pending = pending_change.clone();
            // One message per burst: later changes ride on the pending one.
            live.watch(Box::new(move || {
                if !pending.swap(true, Ordering::SeqCst) {
                    let _ = tx.send(Msg::LogChanged);
                }
            }))
        };
        let input = {
            let (tx, stop) = (tx.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match event::poll(Duration::from_millis(100)) {
                        Ok(false) => {}
                        Ok(true) => match event::read() {
                            Ok(ev) => {
                                if tx.send(Msg::Input(ev)).is_err() {
                                    return;
                                }
                            }
                            Err(e) => {
                                let _ =
                                    tx.send(Msg::Trouble(format!("cannot read the keyboard: {e}")));
                                return;
                            }
                        },
                        Err(e) => {
                            let _ = tx.send(Msg::Trouble(format!("cannot read the keyboard: {e}")));
                            return;
                        }
                    }
                }
            })
        };
        let tick = {
            let (tx, stop) = (tx.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    thread::sleep(FALLBACK_POLL);
                    if tx.send(Msg::Tick).is_err() {
                        return;
                    }
                }
            })
        };
        Ok(Sources {
            rx,
            tx,
            pending_change,
            stop,
            threads: vec![input, tick],
            _live: live,
            fallback,
        })
    }
}

impl Drop for Sources {
    fn drop(&mut self) {
        // Threads see `stop` and end; none is joined: the input thread may be
        // blocked in a read of a terminal that is gone, and joining it would
        // keep the process alive. They end with the process.
        self.stop.store(true, Ordering::SeqCst);
        self.threads.clear();
    }
}

fn is_quit_key(ev: &Event) -> bool {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            k.code == KeyCode::Char('q')
                || (k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL))
        }
        _ => false,
    }
}

fn io(source: std::io::Error) -> Error {
    Error::Terminal {
        doing: "draw on",
        source,
    }
}

/// Reads the log with a progress gauge; false if the user quit meanwhile.
fn load(guard: &mut TerminalGuard, app: &mut App, sources: &Sources) -> Result<bool> {
    let dir = crate::text::inert(&app.index().location().describe(), 50);
    let mut last_frame: Option<Instant> = None;
    loop {
        let more = app.load_step(LOAD_CHUNK)?;
        while let Ok(msg) = sources.rx.try_recv() {
            if matches!(&msg, Msg::Input(ev) if is_quit_key(ev)) || terminal::signalled() {
                return Ok(false);
            }
        }
        if !more {
            return Ok(true);
        }
        if last_frame.is_none_or(|t| t.elapsed() >= Duration::from_millis(40)) {
            let (read, total) = app.index().progress();
            guard
                .terminal
                .draw(|f| views::draw_loading(f, &dir, read, total))
                .map_err(io)?;
            last_frame = Some(Instant::now());
        }
    }
}

/// Ctrl-L: forget what the terminal is believed to show, so every cell is
/// written again (debris from a terminal that measured a glyph
/// differently is gone).
fn repaint_if_asked(guard: &mut TerminalGuard, app: &mut App) -> Result<()> {
    if std::mem::take(&mut app.repaint) {
        guard.terminal.clear().map_err(io)?;
    }
    Ok(())
}

/// Runs the dashboard until the user quits.
pub fn run(guard: &mut TerminalGuard, app: &mut App, sources: &Sources) -> Result<()> {
    app.watcher_fallback = sources.fallback.clone();
    app.attach(sources.tx.clone());
    if !load(guard, app, sources)? {
        return Ok(());
    }
    // A wake-up that came while loading was swallowed there and left the
    // flag set, which would hold back the next one until the tick: clear
    // it, then read what came meanwhile.
    sources.pending_change.store(false, Ordering::SeqCst);
    app.finish_load();
    app.refresh();
    loop {
        if app.quitting() || terminal::signalled() {
            return Ok(());
        }
        repaint_if_asked(guard, app)?;
        guard
            .terminal
            .draw(|f| views::draw(f, app, chrono::Utc::now()))
            .map_err(io)?;
        // While an append waits, redraw a few times a second so the
        // seconds it has waited count up.
        let first = if app.appending() {
            match sources.rx.recv_timeout(IN_FLIGHT_REDRAW) {
                Ok(msg) => msg,
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            }
        } else {
            match sources.rx.recv() {
                Ok(msg) => msg,
                Err(_) => return Ok(()),
            }
        };
        let (changed, tick) = (Cell::new(false), Cell::new(false));
        let handle = |msg: Msg, app: &mut App| match msg {
            Msg::Input(Event::Key(key)) => app.handle_key(&key),
            Msg::Input(Event::Mouse(mouse)) => app.handle_mouse(mouse),
            Msg::Input(_) => {} // resize: the redraw below handles it
            Msg::LogChanged => changed.set(true),
            Msg::Tick => tick.set(true),
            Msg::Trouble(text) => app.error(text),
            Msg::Job(job) => app.on_job(job),
        };
        for msg in std::iter::once(first).chain(sources.rx.try_iter()) {
            handle(msg, app);
            if app.quitting() {
                return Ok(());
            }
        }
        if changed.get() {
            // Let the rest of a burst, and keys already typed against the
            // screen the operator saw, arrive before the view changes.
            let deadline = Instant::now() + SETTLE;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                match sources.rx.recv_timeout(left) {
                    Ok(msg) => handle(msg, app),
                    Err(_) => break,
                }
                if app.quitting() {
                    return Ok(());
                }
            }
        }
        if changed.get() || tick.get() {
            // Cleared before reading, so a change during the read wakes us again.
            sources.pending_change.store(false, Ordering::SeqCst);
            app.refresh();
        }
        if tick.get() {
            app.settle_integrity();
            app.expire_highlights(Instant::now());
        }
        app.sync_history();
    }
}

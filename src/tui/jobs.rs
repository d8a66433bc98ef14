//! The dashboard's background work, so the event loop never blocks on the
//! disk or on another process:
//!
//! - re-reading and re-verifying the whole log (with the same `LogIndex`
//!   and verifier `verify` uses) after it changed other than by an append,
//!   or on Ctrl-V; progress shows in the header badge, and the fresh index
//!   replaces the dashboard's when it is done;
//! - the wait for the writers' lock, which another process may hold: a
//!   worker thread waits and hands the lock back; the append itself then
//!   runs on the event loop's thread, against the dashboard's own
//!   projection (`read::Log`). Esc cancels the wait; one append at a time.
//!
//! Workers report as `Msg::Job` on the event loop's channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::app::{App, Badge};
use super::event_loop::Msg;
use super::tower::Tower;
use super::views::{badge_text, thousands};
use crate::error::Result;
use crate::read::index::LogIndex;
use crate::read::prefix_check::{Checked, check_prefix};
use crate::store::jsonl::LockTicket;
use crate::store::lock::LockGuard;
use crate::store::{AppendRequest, Appended, EventStore};

/// Bytes a re-verification reads between two progress checks.
const VERIFY_CHUNK: u64 = 4 << 20;

/// How long `shutdown` waits for an append that already holds the lock.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(3);

/// What a worker reports.
pub enum Job {
    VerifyProgress {
        generation: u64,
        percent: u8,
    },
    Verified {
        generation: u64,
        result: std::result::Result<Box<LogIndex>, String>,
    },
    /// Time travel's map of the log's events, read on a worker.
    TravelProgress {
        generation: u64,
        percent: u8,
    },
    TravelMapped {
        generation: u64,
        result: std::result::Result<Box<crate::read::travel::events::EventMap>, String>,
    },
    /// The lines the dashboard's snapshot stood for, verified.
    PrefixChecked {
        generation: u64,
        result: std::result::Result<Box<Checked>, String>,
    },
    /// The writers' lock is ours (or the wait failed or was cancelled).
    Locked(Result<LockGuard>),
    /// The search records are being built (`tui::search`).
    SearchProgress {
        generation: u64,
        percent: u8,
    },
    SearchBuilt {
        generation: u64,
        result: std::result::Result<Box<crate::read::query::SearchIndex>, String>,
    },
    /// A database append came back, with the connection it went through
    /// (one answer per request; a batch is several).
    Stored {
        writer: Box<dyn EventStore>,
        result: Result<Vec<Result<Appended>>>,
    },
}

/// A re-verification under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifying {
    pub generation: u64,
    pub percent: u8,
    /// What changed the log (`None`: asked for with Ctrl-V).
    pub reason: Option<String>,
}

/// An append waiting for the writers' lock.
pub struct InFlight {
    pub started: Instant,
    requests: Vec<AppendRequest>,
    /// A batch on marked rows (its answer is a summary), not one key's.
    batch: bool,
    pub cancel: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// The channel workers report on, and the generation that tells a stale
/// re-verification to stop.
pub struct Jobs {
    tx: Sender<Msg>,
    /// Kept when no event loop is attached (tests pump it themselves).
    own_rx: Option<Receiver<Msg>>,
    generation: Arc<AtomicU64>,
    pub verifying: Option<Verifying>,
    pub in_flight: Option<InFlight>,
    /// Time travel being prepared on a big log (`tui::travel`): which
    /// request, and how far it got.
    pub(super) travel_generation: Arc<AtomicU64>,
    pub(super) preparing_travel: Option<(u64, u8)>,
    /// The projection snapshot being written (`tui::live`).
    pub(super) snapshot_write: Option<JoinHandle<()>>,
}

impl Default for Jobs {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel();
        Jobs {
            tx,
            own_rx: Some(rx),
            generation: Arc::new(AtomicU64::new(0)),
            verifying: None,
            in_flight: None,
            travel_generation: Arc::new(AtomicU64::new(0)),
            preparing_travel: None,
            snapshot_write: None,
        }
    }
}

impl Jobs {
    /// Where workers report.
    pub(super) fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }
}

/// A worker's progress callback: reports `message(generation, percent)`
/// on `tx` whenever the percent of `read` out of `total` changes, and
/// says whether the work is still wanted (no newer generation started).
pub(super) fn reporter(
    tx: &Sender<Msg>,
    generation: u64,
    current: Arc<AtomicU64>,
    message: fn(u64, u8) -> Job,
) -> impl FnMut(u64, u64) -> bool + use<> {
    let (tx, mut last) = (tx.clone(), 0u8);
    move |read, total| {
        let percent = (read.saturating_mul(100) / total.max(1)).min(99) as u8;
        if percent != last {
            last = percent;
            let _ = tx.send(Msg::Job(message(generation, percent)));
        }
        current.load(Ordering::SeqCst) == generation
    }
}

/// A worker's progress callback (`reporter`), boxed.
type Progress = Box<dyn FnMut(u64, u64) -> bool>;

/// The job a worker's answer comes back as.
type Done<T> = fn(u64, std::result::Result<Box<T>, String>) -> Job;

fn verify_progress(generation: u64, percent: u8) -> Job {
    Job::VerifyProgress {
        generation,
        percent,
    }
}

impl App {
    /// Workers report on the event loop's channel from now on.
    pub fn attach(&mut self, tx: Sender<Msg>) {
        self.jobs.tx = tx;
        self.jobs.own_rx = None;
    }

    /// Starts reading and verifying the whole log again on a worker
    /// thread; a re-verification already running is abandoned.
    pub fn start_verify(&mut self, reason: Option<String>) {
        let location = self.index().location().clone();
        self.spawn_verifying(reason, move |progress| {
            let loaded = LogIndex::load_in_steps(&location, VERIFY_CHUNK, progress);
            let done = |generation, result| Job::Verified { generation, result };
            (loaded, done)
        });
    }

    /// Verifies, on a worker thread, the lines before the snapshot the
    /// dashboard opened from (the badge says `verifying N%` meanwhile):
    /// a snapshot is never trusted for integrity.
    pub fn start_prefix_check(&mut self) {
        let Some(unverified) = self.index().unverified().cloned() else {
            return;
        };
        let location = self.index().location().clone();
        self.spawn_verifying(None, move |progress| {
            let checked = check_prefix(&location, &unverified, progress);
            let done = |generation, result| Job::PrefixChecked { generation, result };
            (checked, done)
        });
    }

    /// Runs `work` on a worker thread as the one verification under way
    /// (a newer one makes it stop): its progress shows in the badge, and
    /// its answer comes back as the job it names (`None`: it stopped).
    fn spawn_verifying<T: Send + 'static>(
        &mut self,
        reason: Option<String>,
        work: impl FnOnce(Progress) -> (Result<Option<T>>, Done<T>) + Send + 'static,
    ) {
        let generation = self.jobs.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let current = self.jobs.generation.clone();
        let tx = self.jobs.tx.clone();
        thread::spawn(move || {
            let progress = reporter(&tx, generation, current, verify_progress);
            let (outcome, done) = work(Box::new(progress));
            let result = match outcome {
                Ok(Some(value)) => Ok(Box::new(value)),
                Ok(None) => return, // superseded
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(Msg::Job(done(generation, result)));
        });
        self.jobs.verifying = Some(Verifying {
            generation,
            percent: 0,
            reason,
        });
        self.integrity.badge = Badge::Verifying(0);
    }

    /// The background check of the snapshot's lines came back.
    fn prefix_checked(&mut self, result: std::result::Result<Box<Checked>, String>) {
        self.jobs.verifying = None;
        let adopted = match result {
            Ok(checked) => self.tower.index_mut().adopt_check(*checked),
            Err(e) => Err(format!("cannot read the log to verify it: {e}")),
        };
        match adopted {
            Ok(()) => {
                self.recompute_integrity();
                let verdict = badge_text(&self.integrity.badge);
                self.info(format!("verified the whole log: {verdict}"));
            }
            Err(why) => self.start_verify(Some(why)),
        }
    }

    /// Ctrl-V: verify the whole log again.
    pub(super) fn reverify(&mut self) {
        if let Some(v) = &self.jobs.verifying {
            let percent = v.percent;
            self.info(format!("already verifying the log ({percent}%)"));
            return;
        }
        self.start_verify(None);
        self.info("reading and verifying the whole log again…");
    }

    /// A worker's report.
    pub fn on_job(&mut self, job: Job) {
        match job {
            Job::SearchProgress {
                generation,
                percent,
            } => self.search_progress(generation, percent),
            Job::SearchBuilt { generation, result } => self.search_built(generation, result),
            Job::VerifyProgress {
                generation,
                percent,
            } => {
                if let Some(v) = self.jobs.verifying.as_mut()
                    && v.generation == generation
                {
                    v.percent = percent;
                    self.integrity.badge = Badge::Verifying(percent);
                }
            }
            Job::Verified { generation, result } => {
                if self
                    .jobs
                    .verifying
                    .as_ref()
                    .is_some_and(|v| v.generation == generation)
                {
                    self.verified(result);
                }
            }
            Job::TravelProgress {
                generation,
                percent,
            } => self.travel_progress(generation, percent),
            Job::TravelMapped { generation, result } => self.travel_mapped(generation, result),
            Job::PrefixChecked { generation, result } => {
                if self
                    .jobs
                    .verifying
                    .as_ref()
                    .is_some_and(|v| v.generation == generation)
                {
                    self.prefix_checked(result);
                }
            }
            Job::Locked(guard) => {
                let Some(mut flight) = self.jobs.in_flight.take() else {
                    return; // nobody waits for it any more: dropped, released
                };
                if let Some(handle) = flight.handle.take() {
                    let _ = handle.join();
                }
                let Tower::File(log) = &mut self.tower else {
                    return;
                };
                let results =
                    guard.and_then(|guard| log.append_batch_holding(guard, &flight.requests));
                self.appended_all(&flight.requests, flight.batch, results);
            }
            Job::Stored { writer, result } => {
                let flight = self.jobs.in_flight.take();
                let (requests, batch) = match flight {
                    Some(mut flight) => {
                        if let Some(handle) = flight.handle.take() {
                            let _ = handle.join();
                        }
                        (flight.requests, flight.batch)
                    }
                    None => (Vec::new(), false),
                };
                self.tower.give_back(writer);
                self.appended_all(&requests, batch, result);
            }
        }
    }

    fn verified(&mut self, result: std::result::Result<Box<LogIndex>, String>) {
        let Some(verifying) = self.jobs.verifying.take() else {
            return;
        };
        let index = match result {
            Ok(index) => index,
            Err(e) => {
                self.integrity.badge = Badge::Unverified;
                self.error(format!(
                    "cannot read the log again to verify it: {e} (Ctrl-V to retry)"
                ));
                return;
            }
        };
        self.travel = None; // its event map was of the old reading
        if self.jobs.preparing_travel.take().is_some() {
            self.jobs.travel_generation.fetch_add(1, Ordering::SeqCst);
        }
        self.tower.replace_index(*index);
        self.search_reset();
        self.table.clear_highlights();
        self.history.clear();
        self.rebuild_rows();
        self.recompute_integrity();
        self.refresh();
        if self.jobs.verifying.is_some() {
            return; // it changed again meanwhile: a new round is under way
        }
        let verdict = badge_text(&self.integrity.badge);
        let projection = self.index().projection();
        let counts = format!(
            "{} events, {} shipments",
            thousands(projection.total_events()),
            thousands(projection.total_shipments() as u64)
        );
        match verifying.reason {
            Some(reason) => {
                self.status.set_banner(format!(
                    "LOG RELOADED FROM THE START, verified again: {verdict} ({counts}): {reason}. An append-only log only grows: check who changed it (A: audit, Esc: dismiss)"
                ));
                // The refusal of an append this change caused stays.
                if !self.status.take_kept() {
                    self.info(format!("log read again from the start: {verdict}"));
                }
            }
            None => self.info(format!(
                "verified the whole log again: {verdict} ({counts})"
            )),
        }
    }

    /// Waits for the writers' lock on a worker thread; `on_job` appends
    /// `request` once it is ours.
    pub(super) fn spawn_append(
        &mut self,
        ticket: LockTicket,
        requests: Vec<AppendRequest>,
        batch: bool,
    ) {
        let cancel = Arc::new(AtomicBool::new(false));
        let tx = self.jobs.tx.clone();
        // Esc sets `cancel`; a wait for the lock then gives up.
        let ticket = ticket.with_cancel(cancel.clone());
        let handle = thread::spawn(move || {
            let _ = tx.send(Msg::Job(Job::Locked(ticket.acquire())));
        });
        self.status.clear();
        self.jobs.in_flight = Some(InFlight {
            started: Instant::now(),
            requests,
            batch,
            cancel,
            handle: Some(handle),
        });
    }

    /// Appends `request` through a database connection on a worker thread
    /// (the connection comes back with the answer).
    pub(super) fn spawn_store_append(
        &mut self,
        mut writer: Box<dyn EventStore>,
        requests: Vec<AppendRequest>,
        batch: bool,
    ) {
        let tx = self.jobs.tx.clone();
        let sent = requests.clone();
        let handle = thread::spawn(move || {
            let result = writer.append_batch(&sent);
            let _ = tx.send(Msg::Job(Job::Stored { writer, result }));
        });
        self.status.clear();
        self.jobs.in_flight = Some(InFlight {
            started: Instant::now(),
            requests,
            batch,
            cancel: Arc::new(AtomicBool::new(false)),
            handle: Some(handle),
        });
    }

    /// Esc while an append waits: give up (the worker returns `Cancelled`).
    pub(super) fn cancel_append(&mut self) -> bool {
        match &self.jobs.in_flight {
            Some(flight) => {
                flight.cancel.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// What the status line says while an append is in flight.
    pub fn in_flight_text(&self) -> Option<String> {
        let flight = self.jobs.in_flight.as_ref()?;
        let waited = flight.started.elapsed();
        Some(if flight.cancel.load(Ordering::SeqCst) {
            "cancelling the append…".to_string()
        } else if waited < Duration::from_millis(200) {
            "appending…".to_string()
        } else {
            format!(
                "waiting for the log lock ({} s)… Esc cancels",
                waited.as_secs()
            )
        })
    }

    /// An append is on its worker thread.
    pub fn appending(&self) -> bool {
        self.jobs.in_flight.is_some()
    }

    /// A re-verification is under way.
    pub fn verifying(&self) -> Option<&Verifying> {
        self.jobs.verifying.as_ref()
    }

    /// Without an event loop (tests): handles worker reports until no
    /// append is in flight and no re-verification runs.
    pub fn wait_for_jobs(&mut self) {
        while self.appending()
            || self.jobs.verifying.is_some()
            || self.search_building()
            || self.jobs.preparing_travel.is_some()
        {
            let Some(rx) = self.jobs.own_rx.as_ref() else {
                return;
            };
            match rx.recv() {
                Ok(Msg::Job(job)) => self.on_job(job),
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }

    /// On quit: stop a re-verification, cancel a lock wait, and give an
    /// append that already holds the lock a moment to finish its write.
    pub fn shutdown(&mut self) {
        self.finish_snapshot_write();
        self.jobs.generation.fetch_add(1, Ordering::SeqCst);
        self.stop_search();
        let Some(mut flight) = self.jobs.in_flight.take() else {
            return;
        };
        flight.cancel.store(true, Ordering::SeqCst);
        let Some(handle) = flight.handle.take() else {
            return;
        };
        let deadline = Instant::now() + SHUTDOWN_WAIT;
        while !handle.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

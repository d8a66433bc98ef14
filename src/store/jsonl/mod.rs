//! `JsonlStore`: the file implementation of `EventStore`. Every write takes
//! the writers' lock (`.lock`, see `store::lock`), lets its `WriterState`
//! catch up on what others appended and prove that what it read is still
//! the log's prefix, validates, writes whole lines with one `write_all`,
//! syncs, and hands what it wrote to the state (no read-back).
//!
//! The state is `OneShot` for a CLI call, or the process's projection
//! (`read::LogIndex`) for the dashboard and the simulator: one model of the
//! log per process.

mod copy;
mod one_shot;
mod reading;
mod stage;
pub mod subscription;

pub use one_shot::OneShot;
pub use subscription::FileSubscription;

use std::fs::{self, File};
use std::io::Write;
use std::time::Duration;

use super::counter;
use super::lock::{LockGuard, LockWait, LogLock};
use super::policy::Policy;
use super::{AppendRequest, Appended, Target, WriterState};
use crate::domain::OperatorName;
use crate::error::{Error, Result};
use crate::log::files::{self, FileIdentity, LogPaths};
use stage::Staging;

pub use crate::domain::operator::MAX_OPERATOR_CHARS;

pub struct JsonlStore<S = OneShot> {
    paths: LogPaths,
    state: S,
    /// What writing needs; `Err` says why this process may only read.
    writer: std::result::Result<Writer, String>,
}

/// The open log, the lock and who writes.
struct Writer {
    file: File,
    lock: LogLock,
    lock_wait: LockWait,
    operator: String,
    /// The OS account this process runs as (the policy says whom it may
    /// act for).
    account: String,
    policy: Option<Policy>,
}

impl Writer {
    fn open(paths: &LogPaths, operator: &str) -> Result<Writer> {
        let operator = OperatorName::parse(operator).map_err(Error::Usage)?;
        paths.create_dir()?;
        let policy = Policy::load_for(paths)?;
        let file = files::open_for_append(&paths.events)?;
        let lock = LogLock::open(&paths.dir, &file)?;
        Ok(Writer {
            file,
            lock,
            lock_wait: LockWait::default(),
            operator: operator.to_string(),
            account: super::account::os_account(),
            policy,
        })
    }

    /// Whether the log we hold open is still the one at its path; if not,
    /// the one at the path is opened instead.
    fn follow_path(&mut self, paths: &LogPaths) -> Result<bool> {
        let held = self.file.metadata().map(|m| FileIdentity::of(&m));
        let at_path = fs::metadata(&paths.events).map(|m| FileIdentity::of(&m));
        if matches!((held, at_path), (Ok(a), Ok(b)) if a == b) {
            return Ok(true);
        }
        self.file = files::open_for_append(&paths.events)?;
        Ok(false)
    }
}

impl JsonlStore<OneShot> {
    /// For one-shot writers: cheap to open on a log of any size.
    pub fn open(paths: &LogPaths, operator: &str) -> Result<Self> {
        Self::open_with(paths, operator, OneShot::default())
    }

    /// For reading only (`read_shipment`, `read_all`, `subscribe`, `head`):
    /// never fails, and needs no write permission.
    pub fn reader(paths: &LogPaths) -> Self {
        JsonlStore {
            paths: paths.clone(),
            state: OneShot::default(),
            writer: Err("opened for reading only".into()),
        }
    }
}

impl<S: WriterState> JsonlStore<S> {
    /// A writer that decides on `state` (see `WriterState`).
    pub fn open_with(paths: &LogPaths, operator: &str, state: S) -> Result<Self> {
        Ok(JsonlStore {
            paths: paths.clone(),
            state,
            writer: Ok(Writer::open(paths, operator)?),
        })
    }

    /// Like `open_with`, but a log this process may not write is still
    /// read: appends then fail with the reason (`read_only` says it).
    pub fn open_or_read_only(paths: &LogPaths, operator: &str, state: S) -> Self {
        JsonlStore {
            paths: paths.clone(),
            state,
            writer: Writer::open(paths, operator).map_err(|e| e.to_string()),
        }
    }

    /// Why this store cannot write, if it cannot.
    pub fn read_only(&self) -> Option<&str> {
        self.writer.as_ref().err().map(String::as_str)
    }

    pub fn paths(&self) -> &LogPaths {
        &self.paths
    }

    pub fn state(&self) -> &S {
        &self.state
    }

    pub fn state_mut(&mut self) -> &mut S {
        &mut self.state
    }

    /// Swaps in a state built elsewhere (the dashboard's background reload).
    pub fn replace_state(&mut self, state: S) {
        self.state = state;
    }

    pub fn operator(&self) -> Option<&str> {
        self.writer.as_ref().ok().map(|w| w.operator.as_str())
    }

    pub fn policy(&self) -> Option<&Policy> {
        self.writer.as_ref().ok().and_then(|w| w.policy.as_ref())
    }

    fn writer_mut(&mut self) -> Result<&mut Writer> {
        self.writer
            .as_mut()
            .map_err(|why| Error::ReadOnly(why.clone()))
    }

    /// How long an append waits for the writers' lock (default 10 s).
    pub fn set_lock_timeout(&mut self, timeout: Duration) {
        if let Ok(writer) = self.writer.as_mut() {
            writer.lock_wait.timeout = timeout;
        }
    }

    /// What another thread needs to wait for the writers' lock on this
    /// store's behalf (the dashboard waits off its event loop, then appends
    /// with `append_batch_holding`).
    pub fn lock_ticket(&self) -> Result<LockTicket> {
        let writer = self
            .writer
            .as_ref()
            .map_err(|why| Error::ReadOnly(why.clone()))?;
        Ok(LockTicket {
            lock: writer.lock.try_clone()?,
            wait: writer.lock_wait.clone(),
        })
    }

    /// Appends holding `guard` (from `lock_ticket`).
    pub fn append_batch_holding(
        &mut self,
        guard: LockGuard,
        requests: &[AppendRequest],
    ) -> Result<Vec<Result<Appended>>> {
        self.with_lock(Some(guard), |store| store.append_locked(requests))
    }

    /// Runs `f` holding the writers' lock, on a log and a lock file that are
    /// the ones at their paths (either replaced under us is reopened first).
    fn with_lock<T>(
        &mut self,
        mut guard: Option<LockGuard>,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let paths = self.paths.clone();
        let writer = self.writer_mut()?;
        let _guard = loop {
            let held = match guard.take() {
                Some(held) => held,
                None => writer.lock.acquire(&writer.lock_wait)?,
            };
            if !writer.lock.is_at_path() {
                drop(held);
                writer.lock = LogLock::open(&paths.dir, &writer.file)?;
                continue;
            }
            if writer.follow_path(&paths)? {
                break held;
            }
        };
        f(self)
    }

    fn append_locked(&mut self, requests: &[AppendRequest]) -> Result<Vec<Result<Appended>>> {
        let writer = self
            .writer
            .as_mut()
            .map_err(|why| Error::ReadOnly(why.clone()))?;
        // The policy in force now, not when this writer opened (a dashboard
        // may run for days while the policy file is added or changed).
        writer.policy = Policy::load_for(&self.paths)?;
        let caught_up = self.state.catch_up(&writer.file, &self.paths)?;
        let creates = requests.iter().filter(|r| r.target == Target::New).count();
        let counter = if creates > 0 {
            Some(counter::last_counter(&self.paths.counter)?)
        } else {
            None
        };
        let mut staging = Staging::new(caught_up, counter, requests.len());
        let results: Vec<Result<Appended>> = requests
            .iter()
            .map(|request| staging.stage(request, writer, &self.paths, &mut self.state))
            .collect();
        if results.iter().all(|r| r.is_err()) {
            return Ok(results);
        }
        let output = staging.into_output();
        if let Err(e) = write_durably(writer, &self.paths, &output) {
            self.state.forget(); // what we staged may not have landed
            return Err(e);
        }
        self.state
            .written(&writer.file, &self.paths, &output.bytes, output.digests)?;
        Ok(results)
    }
}

/// Counter lines first (an ID is never handed out twice even if we die
/// between the two writes), then the events; each synced.
fn write_durably(writer: &mut Writer, paths: &LogPaths, output: &stage::Output) -> Result<()> {
    if !output.counter_lines.is_empty() {
        counter::append_durably(&paths.counter, &output.counter_lines)?;
    }
    let written = (&writer.file)
        .write_all(&output.bytes)
        .and_then(|_| writer.file.sync_data());
    if let Err(e) = written {
        // Leave no partial line behind: nobody else can have written after
        // us while we hold the lock.
        let _ = writer.file.set_len(output.start_len);
        return Err(Error::io("append to", &paths.events, e));
    }
    Ok(())
}

/// Waits for the writers' lock on another thread (see `lock_ticket`).
pub struct LockTicket {
    lock: LogLock,
    wait: LockWait,
}

impl LockTicket {
    /// Esc in the dashboard sets `cancel`: a wait then gives up with
    /// `Error::Cancelled`.
    pub fn with_cancel(mut self, cancel: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.wait.cancel = Some(cancel);
        self
    }

    pub fn acquire(&self) -> Result<LockGuard> {
        self.lock.acquire(&self.wait)
    }
}

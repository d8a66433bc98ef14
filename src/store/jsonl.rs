//! `JsonlStore`: the file implementation of `EventStore`. Every write takes
//! the writers' lock (`.lock`, see `lock`), proves that what it read is still
//! the log's prefix, catches up on what others appended (from its byte
//! offset), validates, writes whole lines with one `write_all`, and syncs
//! before it reports success.

use std::fs::{self, File};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::counter;
use super::lock::{LockWait, LogLock};
use super::policy::Policy;
use super::writer_view::{WriterSeed, WriterView};
use super::{AppendRequest, Appended, EventStore, Target};
use crate::domain::id::MAX_SHIPMENT_NUMBER;
use crate::domain::line::{GENESIS_HASH, LineError, NewLine, encode_counter_line, hash_hex};
use crate::domain::rules::{ShipmentHead, check_append};
use crate::domain::{Event, OperatorName, ShipmentId, Timestamp};
use crate::error::{Error, Result};
use crate::log::files::{self, FileIdentity, LogPaths};
use crate::log::lines::LineSplitter;
use crate::log::prefix::{self, PrefixProof};
use crate::log::scan::{self, TailInfo};

pub use crate::domain::operator::MAX_OPERATOR_CHARS;

pub struct JsonlStore {
    paths: LogPaths,
    file: File,
    operator: String,
    /// The OS account this process runs as (the policy says whom it may
    /// act for).
    account: String,
    policy: Option<Policy>,
    /// Index every shipment while catching up (long-running writers), or
    /// start at the tail and look shipments up on demand (one-shot calls).
    index_everything: bool,
    view: Option<WriterView>,
    lock: LogLock,
    lock_wait: LockWait,
    /// What the bytes just before our read offset hashed to when we last
    /// held the lock: proof that the log is still the prefix we read.
    proof: Option<PrefixProof>,
    /// The log at the path is another file than the one our view read.
    replaced: bool,
    /// The view came from a reader (`open_seeded`); its prefix is proven by
    /// the seed's last line on the first append.
    seeded: bool,
}

const REWRITTEN: &str = "the bytes already read were rewritten";

impl JsonlStore {
    /// For one-shot writers: cheap to open on a log of any size.
    pub fn open(paths: &LogPaths, operator: &str) -> Result<Self> {
        Self::open_with(paths, operator, false)
    }

    /// For long-running writers (simulator, dashboard, batches): reads the
    /// log once, then only what is appended.
    pub fn open_indexed(paths: &LogPaths, operator: &str) -> Result<Self> {
        Self::open_with(paths, operator, true)
    }

    /// For a process that has already read the log (the dashboard): the
    /// writer starts from `seed` and only reads what was appended since.
    pub fn open_seeded(paths: &LogPaths, operator: &str, seed: WriterSeed) -> Result<Self> {
        let mut store = Self::open_with(paths, operator, true)?;
        store.view = Some(WriterView::seeded(seed));
        store.seeded = true;
        Ok(store)
    }

    fn open_with(paths: &LogPaths, operator: &str, index_everything: bool) -> Result<Self> {
        let operator = OperatorName::parse(operator).map_err(Error::Usage)?;
        paths.create_dir()?;
        let policy = Policy::load_for(paths)?;
        let file = files::open_for_append(&paths.events)?;
        let lock = LogLock::open(&paths.dir, &file)?;
        Ok(JsonlStore {
            paths: paths.clone(),
            file,
            operator: operator.to_string(),
            account: crate::store::account::os_account(),
            policy,
            index_everything,
            view: None,
            lock,
            lock_wait: LockWait::default(),
            proof: None,
            replaced: false,
            seeded: false,
        })
    }

    /// How long an append waits for the writers' lock (default 10 s).
    pub fn set_lock_timeout(&mut self, timeout: Duration) {
        self.lock_wait.timeout = timeout;
    }

    /// A flag that, once set, makes an append waiting for the lock give up
    /// with `Error::Cancelled` (the dashboard's Esc).
    pub fn set_cancel(&mut self, cancel: Arc<AtomicBool>) {
        self.lock_wait.cancel = Some(cancel);
    }

    pub fn paths(&self) -> &LogPaths {
        &self.paths
    }

    pub fn operator(&self) -> &str {
        &self.operator
    }

    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// Runs `f` holding the writers' lock, on a log and a lock file that are
    /// the ones at their paths (either replaced under us is reopened first).
    fn with_lock<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let _guard = loop {
            let guard = self.lock.acquire(&self.lock_wait)?;
            if !self.lock.is_at_path() {
                drop(guard);
                self.lock = LogLock::open(&self.paths.dir, &self.file)?;
                continue;
            }
            let held = self.file.metadata().map(|m| FileIdentity::of(&m));
            let at_path = fs::metadata(&self.paths.events).map(|m| FileIdentity::of(&m));
            match (held, at_path) {
                (Ok(a), Ok(b)) if a == b => break guard,
                _ => {
                    drop(guard);
                    self.file = files::open_for_append(&self.paths.events)?;
                    self.replaced = self.view.is_some();
                }
            }
        };
        f(self)
    }

    /// Under the lock, before trusting a view kept from an earlier append:
    /// the bytes it was built from must still be the log's prefix. If not,
    /// the view is dropped (the next append reads the log afresh) and this
    /// append is refused: its caller decided on a log that no longer exists.
    fn prove_prefix(&mut self, identity: FileIdentity, len: u64) -> Result<()> {
        let Some(view) = self.view.as_ref() else {
            return Ok(());
        };
        let end = view.splitter.complete_offset();
        let last_hash = view.last_hash;
        let proven = if self.replaced || view.identity != identity {
            Err("the log file was replaced")
        } else if len < view.read_up_to() {
            Err("the log is shorter than what was read")
        } else if let Some(proof) = self.proof {
            (proof.end() == end && proof.holds(&self.file, &self.paths.events)?)
                .then_some(())
                .ok_or(REWRITTEN)
        } else if self.seeded {
            // A seeded view knows the hash of the last event line it read.
            match prefix::last_event_line_is(&self.file, &self.paths.events, end, last_hash)? {
                Some(true) => Ok(()),
                Some(false) => Err(REWRITTEN),
                // That line proves nothing: rebuild the view from the file
                // instead (slow, never wrong).
                None => {
                    self.view = None;
                    Ok(())
                }
            }
        } else {
            Ok(())
        };
        self.seeded = false;
        self.replaced = false;
        if let Err(detail) = proven {
            self.view = None;
            self.proof = None;
            return Err(Error::LogChanged {
                path: self.paths.events.clone(),
                detail: detail.to_string(),
            });
        }
        Ok(())
    }

    /// Records the proof for a view that has read the log up to `end`.
    fn record_proof(&mut self, end: u64) -> Result<()> {
        self.proof = PrefixProof::take(&self.file, &self.paths.events, end)?;
        Ok(())
    }

    /// Under the lock: read what others appended since our last read.
    /// Returns whether the file ends in a torn (unterminated) line.
    fn catch_up(&mut self) -> Result<bool> {
        let meta = self
            .file
            .metadata()
            .map_err(|e| Error::io("read", &self.paths.events, e))?;
        let len = meta.len();
        let identity = FileIdentity::of(&meta);
        self.prove_prefix(identity, len)?;
        if self.view.is_none() {
            self.view = Some(if self.index_everything {
                WriterView::full(identity)
            } else {
                let tail = scan::scan_tail(&self.file, &self.paths.events, len)?;
                WriterView::lazy(identity, tail)
            });
        }
        let Some(view) = self.view.as_mut() else {
            return Ok(false);
        };
        let from = view.read_up_to();
        let mut splitter = std::mem::take(&mut view.splitter);
        let read = files::read_range(
            &self.file,
            &self.paths.events,
            from,
            len,
            &mut splitter,
            |line| view.apply_line(&line),
        );
        view.splitter = splitter;
        read?;
        let torn = view.splitter.pending_bytes() > 0;
        if torn {
            // A whole event cut just before its `\n` is a well-formed line
            // once we end it: count it, or our line would repeat its seq and
            // break the chain. (A real fragment does not parse: ignored.)
            view.apply_pending();
        }
        let end = view.splitter.complete_offset();
        self.record_proof(end)?;
        Ok(torn)
    }

    fn append_locked(&mut self, requests: &[AppendRequest]) -> Result<Vec<Result<Appended>>> {
        // The policy in force now, not when this writer opened (a dashboard
        // may run for days while the policy file is added or changed).
        self.policy = Policy::load_for(&self.paths)?;
        let torn = self.catch_up()?;
        if torn {
            // Our `\n` ends the fragment. If only the `\n` had been lost (power
            // cut), it becomes a well-formed event every reader will see: the
            // chain and that shipment's seq must continue from it.
            if let Some(view) = self.view.as_mut() {
                view.apply_pending();
            }
        }
        let start_len = self
            .file
            .metadata()
            .map_err(|e| Error::io("read", &self.paths.events, e))?
            .len();
        let creates = requests.iter().filter(|r| r.target == Target::New).count();
        let mut next_counter = if creates > 0 {
            Some(counter::last_counter(&self.paths.counter)?)
        } else {
            None
        };

        let mut out: Vec<u8> = Vec::with_capacity(requests.len() * 320);
        if torn {
            out.push(b'\n'); // end the torn line: it stays visible as malformed
        }
        let mut counter_out = String::new();
        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            let offset = start_len + out.len() as u64;
            let result = self
                .stage(request, &mut next_counter, &mut counter_out)
                .map(|(event, line)| {
                    out.extend_from_slice(&line);
                    out.push(b'\n');
                    Appended { event, offset }
                });
            results.push(result);
        }
        if results.iter().all(|r| r.is_err()) {
            return Ok(results);
        }
        if let Err(e) = self.write_durably(&counter_out, &out, start_len) {
            self.view = None; // what we staged did not land: re-read next time
            return Err(e);
        }
        let end = start_len + out.len() as u64;
        if let Some(view) = self.view.as_mut() {
            view.splitter = LineSplitter::starting_at(end, 1);
        }
        self.record_proof(end)?;
        Ok(results)
    }

    /// Validates one request against the view and builds its line; the view
    /// is updated as if the line were written.
    fn stage(
        &mut self,
        request: &AppendRequest,
        next_counter: &mut Option<u64>,
        counter_out: &mut String,
    ) -> Result<(Event, Vec<u8>)> {
        if let Some(policy) = &self.policy {
            policy.check(&self.account, &self.operator, request.actor)?;
        }
        let view = self
            .view
            .as_mut()
            .ok_or_else(|| Error::Internal("no writer view".into()))?;
        let (id, head) = match request.target {
            Target::Existing(id) => {
                let head = view.head(&self.file, &self.paths.events, id)?.cloned();
                (Some(id), head)
            }
            Target::New => (None, None),
        };
        check_append(
            id,
            head.as_ref(),
            request.event_type,
            request.actor,
            &request.payload,
            request.expected_seq,
        )?;

        let timestamp = next_timestamp(view.last_timestamp)?;
        let (id, event_seq, new_counter) = match (id, &head) {
            (Some(id), Some(head)) => {
                let seq = head.seq.checked_add(1).ok_or(Error::SeqExhausted(id))?;
                (id, seq, None)
            }
            (Some(id), None) => (id, 1, None),
            (None, _) => {
                let counter = next_counter.unwrap_or(0);
                let last = view
                    .highest_id(&self.file, &self.paths.events, counter)?
                    .max(counter);
                let id = last
                    .checked_add(1)
                    .and_then(ShipmentId::new)
                    .filter(|id| id.number() <= MAX_SHIPMENT_NUMBER)
                    .ok_or(Error::IdsExhausted)?;
                (id, 1, Some(id.number()))
            }
        };
        let line = NewLine {
            shipment_id: id,
            event_seq,
            event_type: request.event_type,
            timestamp,
            actor: request.actor,
            payload: &request.payload,
            operator: &self.operator,
            prev_hash: hash_hex(&view.last_hash.unwrap_or(GENESIS_HASH)),
        };
        // What a reader would refuse is refused here, before anything is
        // written (the counter line included).
        let bytes = line.encode_checked().map_err(|e| match e {
            LineError::UnreadablePayload(reason) => {
                Error::InvalidPayload(format!("it could not be read back: {reason}"))
            }
            other => Error::LineNotReadable(other),
        })?;
        if let Some(number) = new_counter {
            counter_out.push_str(&encode_counter_line(number, &timestamp));
            *next_counter = Some(number);
        }
        let event = Event {
            shipment_id: id,
            event_seq,
            event_type: request.event_type,
            timestamp,
            actor: request.actor,
            payload: request.payload.clone(),
            operator: Some(self.operator.clone()),
            prev_hash: Some(line.prev_hash.clone()),
        };
        let head = ShipmentHead {
            state: request.event_type,
            seq: event_seq,
            actor: request.actor,
            operator: Some(self.operator.as_str().into()),
            at: timestamp,
        };
        view.note_event(&bytes, &head, id);
        Ok((event, bytes))
    }

    /// Counter lines first (an ID is never handed out twice even if we die
    /// between the two writes), then the events; each synced.
    fn write_durably(&mut self, counter_out: &str, out: &[u8], start_len: u64) -> Result<()> {
        if !counter_out.is_empty() {
            counter::append_durably(&self.paths.counter, counter_out)?;
        }
        let written = (&self.file)
            .write_all(out)
            .and_then(|_| self.file.sync_data());
        if let Err(e) = written {
            // Leave no partial line behind: nobody else can have written
            // after us while we hold the lock.
            let _ = self.file.set_len(start_len);
            return Err(Error::io("append to", &self.paths.events, e));
        }
        Ok(())
    }

    /// The tail of the log as a fresh writer would see it (for tests and tools).
    pub fn tail_info(&self) -> Result<TailInfo> {
        let len = self
            .file
            .metadata()
            .map_err(|e| Error::io("read", &self.paths.events, e))?
            .len();
        scan::scan_tail(&self.file, &self.paths.events, len)
    }
}

/// Now, unless the clock stepped back: then the previous line's time,
/// rounded up to the millisecond so it is never earlier. Refused when that
/// would be past the year 9999 (no reader accepts it).
fn next_timestamp(previous: Option<Timestamp>) -> Result<Timestamp> {
    Timestamp::next_written(previous, chrono::Utc::now()).ok_or_else(|| {
        Error::TimestampsExhausted {
            last: previous.map(|t| t.to_string()).unwrap_or_default(),
        }
    })
}

impl EventStore for JsonlStore {
    fn append(&mut self, request: &AppendRequest) -> Result<Appended> {
        let mut results = self.append_batch(std::slice::from_ref(request))?;
        results
            .pop()
            .unwrap_or_else(|| Err(Error::Internal("empty batch".into())))
    }

    fn append_batch(&mut self, requests: &[AppendRequest]) -> Result<Vec<Result<Appended>>> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        self.with_lock(|store| store.append_locked(requests))
    }

    fn shipment_events(&mut self, id: ShipmentId) -> Result<Vec<Event>> {
        read_shipment_events(&self.paths, id)
    }
}

/// Every event of `id`, read from the file by byte search.
pub fn read_shipment_events(paths: &LogPaths, id: ShipmentId) -> Result<Vec<Event>> {
    let Some(file) = paths.open_events_for_read()? else {
        return Ok(Vec::new());
    };
    let len = file
        .metadata()
        .map_err(|e| Error::io("read", &paths.events, e))?
        .len();
    let lines = scan::find_shipment_lines(&file, &paths.events, len, id)?;
    Ok(lines
        .iter()
        .filter_map(|l| l.record().map(|r| r.to_event()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payload::created_payload;
    use crate::domain::{Actor, EventType};
    use crate::read::index::LogIndex;

    fn create() -> AppendRequest {
        AppendRequest::create(created_payload(
            "Pune",
            "Goa",
            3.0,
            "STANDARD",
            Default::default(),
        ))
    }

    fn approve(id: ShipmentId, seq: u32) -> AppendRequest {
        AppendRequest::advance(
            id,
            EventType::ManagerApproved,
            Actor::SenderManager,
            Default::default(),
        )
        .expecting_seq(seq)
    }

    #[test]
    fn every_kind_of_writer_continues_the_same_chain() {
        let dir = tempfile::tempdir().unwrap();
        let paths = LogPaths::new(dir.path());
        let first = JsonlStore::open_indexed(&paths, "a")
            .unwrap()
            .append(&create())
            .unwrap()
            .event
            .shipment_id;
        // A one-shot writer starts from the tail.
        let second = JsonlStore::open(&paths, "b")
            .unwrap()
            .append(&create())
            .unwrap()
            .event
            .shipment_id;
        assert_eq!(second.number(), first.number() + 1);
        // A writer seeded by a reader's index only reads what came after.
        let index = LogIndex::load(&paths).unwrap();
        let mut seeded = JsonlStore::open_seeded(&paths, "c", index.writer_seed()).unwrap();
        JsonlStore::open(&paths, "d")
            .unwrap()
            .append(&approve(first, 1))
            .unwrap();
        let conflict = seeded.append(&approve(first, 1)).unwrap_err();
        assert!(
            matches!(conflict, Error::Conflict { current_seq: 2, .. }),
            "{conflict}"
        );
        let third = seeded.append(&create()).unwrap().event;
        assert_eq!(third.shipment_id.number(), second.number() + 1);
        seeded.append(&approve(second, 1)).unwrap();

        let report = LogIndex::load(&paths).unwrap().verify_report();
        assert!(report.valid, "{:?}", report.errors);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(report.total_events, 5);
    }

    #[test]
    fn a_refused_request_in_a_batch_leaves_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let paths = LogPaths::new(dir.path());
        let mut store = JsonlStore::open_indexed(&paths, "a").unwrap();
        let bad = AppendRequest::create(created_payload(
            "",
            "Goa",
            3.0,
            "STANDARD",
            Default::default(),
        ));
        let results = store.append_batch(&[create(), bad, create()]).unwrap();
        assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
        let ids: Vec<u64> = results
            .iter()
            .flatten()
            .map(|a| a.event.shipment_id.number())
            .collect();
        assert_eq!(ids, vec![1, 2]);
        assert!(LogIndex::load(&paths).unwrap().verify_report().valid);
    }

    #[test]
    fn clock_going_back_reuses_the_previous_timestamp() {
        let future = Timestamp::parse("2999-01-01T00:00:00.123456Z").unwrap();
        let next = next_timestamp(Some(future)).unwrap();
        assert!(next >= future);
        assert_eq!(next.to_string(), "2999-01-01T00:00:00.124Z");
    }
}

//! `JsonlStore`: the file implementation of `EventStore`. Every write takes
//! the writers' lock (`.lock`, see `lock`), proves that what it read is still
//! the log's prefix, catches up on what others appended (from its byte
//! offset), validates, writes whole lines with one `write_all`, and syncs
//! before it reports success.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::files::{self, FileIdentity, LogPaths};
use super::lines::{LineSplitter, MAX_LINE_BYTES};
use super::lock::{LockWait, LogLock};
use super::policy::Policy;
use super::scan::{self, TailInfo};
use super::writer_view::{WriterSeed, WriterView};
use super::{AppendRequest, Appended, EventStore, Target};
use crate::domain::id::MAX_SHIPMENT_NUMBER;
use crate::domain::line::{
    GENESIS_HASH, LineHash, NewLine, encode_counter_line, hash_hex, hash_line, parse_counter_line,
    parse_line,
};
use crate::domain::rules::{ShipmentHead, check_append};
use crate::domain::{Event, OperatorName, ShipmentId, Timestamp};
use crate::error::{Error, Result};

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

/// The hash of the `PROOF_WINDOW` bytes before `end`. The window ends with
/// the last line's `prev_hash`, which chains every line before it, so an
/// unchanged window proves an unchanged (chained) prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PrefixProof {
    end: u64,
    hash: LineHash,
}

const PROOF_WINDOW: u64 = 4096;

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
            account: crate::operator::os_account(),
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
            (proof.end == end && self.window_hash(end)? == Some(proof.hash))
                .then_some(())
                .ok_or("the bytes already read were rewritten")
        } else if self.seeded {
            self.last_line_matches(end, last_hash)?
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

    /// The hash of the `PROOF_WINDOW` bytes before `end` (`None` at 0).
    fn window_hash(&self, end: u64) -> Result<Option<LineHash>> {
        if end == 0 {
            return Ok(None);
        }
        let start = end.saturating_sub(PROOF_WINDOW);
        let mut window = vec![0u8; (end - start) as usize];
        match self.file.read_exact_at(&mut window, start) {
            Ok(()) => Ok(Some(hash_line(&window))),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(Error::io("read", &self.paths.events, e)),
        }
    }

    /// Records the proof for a view that has read the log up to `end`.
    fn record_proof(&mut self, end: u64) -> Result<()> {
        self.proof = self.window_hash(end)?.map(|hash| PrefixProof { end, hash });
        Ok(())
    }

    /// A seeded view knows the hash of the last event line before `end`:
    /// that line must still be there. A last line that is no event (a torn
    /// write someone ended) cannot prove anything: the view is rebuilt from
    /// the file instead, which is slow but never wrong.
    fn last_line_matches(
        &mut self,
        end: u64,
        hash: Option<LineHash>,
    ) -> Result<std::result::Result<(), &'static str>> {
        let line = match line_before(&self.file, &self.paths.events, end)? {
            None if end == 0 && hash.is_none() => return Ok(Ok(())),
            None => return Ok(Err("the lines already read were rewritten")),
            Some(line) => line,
        };
        if parse_line(&line).is_err() {
            self.view = None;
            return Ok(Ok(()));
        }
        Ok((Some(hash_line(&line)) == hash)
            .then_some(())
            .ok_or("the lines already read were rewritten"))
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
            |line| view.apply_line(line.bytes),
        );
        view.splitter = splitter;
        read?;
        let torn = view.splitter.pending_bytes() > 0;
        if torn {
            // A whole event cut just before its `\n` is a well-formed line
            // once we end it: count it, or our line would repeat its seq and
            // break the chain. (A real fragment does not parse: ignored.)
            let pending = view.splitter.pending().to_vec();
            view.apply_line(&pending);
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
                let fragment = view.splitter.pending().to_vec();
                view.apply_line(&fragment);
            }
        }
        let start_len = self
            .file
            .metadata()
            .map_err(|e| Error::io("read", &self.paths.events, e))?
            .len();
        let creates = requests.iter().filter(|r| r.target == Target::New).count();
        let mut next_counter = if creates > 0 {
            Some(self.last_counter()?)
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
            .ok_or_else(|| Error::Usage("internal: no writer view".into()))?;
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

        let timestamp = next_timestamp(view.last_timestamp);
        let id = match id {
            Some(id) => id,
            None => {
                let last = next_counter.unwrap_or(0).max(view.max_id);
                let id = ShipmentId::new(last + 1)
                    .filter(|id| id.number() <= MAX_SHIPMENT_NUMBER)
                    .ok_or(Error::IdsExhausted)?;
                counter_out.push_str(&encode_counter_line(id.number(), &timestamp));
                *next_counter = Some(id.number());
                id
            }
        };
        let event_seq = head.as_ref().map_or(1, |h| h.seq + 1);
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
        let bytes = line.encode();
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
            let mut counter = files::open_for_append(&self.paths.counter)?;
            let counter_len = counter
                .metadata()
                .map_err(|e| Error::io("read", &self.paths.counter, e))?
                .len();
            let mut bytes = Vec::with_capacity(counter_out.len() + 1);
            if ends_torn(&counter, &self.paths.counter)? {
                bytes.push(b'\n');
            }
            bytes.extend_from_slice(counter_out.as_bytes());
            let written = counter.write_all(&bytes).and_then(|_| counter.sync_data());
            if let Err(e) = written {
                // No partial counter line either (we hold the lock).
                let _ = counter.set_len(counter_len);
                return Err(Error::io("append to", &self.paths.counter, e));
            }
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

    /// The last counter in the counter log (0 if none). Lines are short, so
    /// the last 64 KiB almost always hold it; otherwise read the whole file.
    fn last_counter(&self) -> Result<u64> {
        let Some(file) = files::open_for_read(&self.paths.counter)? else {
            return Ok(0);
        };
        let path = &self.paths.counter;
        let len = file
            .metadata()
            .map_err(|e| Error::io("read", path, e))?
            .len();
        let tail_start = len.saturating_sub(64 * 1024);
        if let Some(counter) = last_counter_in(&file, path, tail_start, len)? {
            return Ok(counter);
        }
        if tail_start > 0 {
            return Ok(last_counter_in(&file, path, 0, len)?.unwrap_or(0));
        }
        Ok(0)
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

fn last_counter_in(file: &File, path: &std::path::Path, from: u64, to: u64) -> Result<Option<u64>> {
    let mut last = None;
    let mut splitter = LineSplitter::starting_at(from, 1);
    let mut first = true;
    files::read_range(file, path, from, to, &mut splitter, |line| {
        // A read that starts mid-file starts mid-line: skip that piece.
        if !(first && from > 0)
            && let Some(counter) = parse_counter_line(line.bytes)
        {
            last = Some(counter);
        }
        first = false;
    })?;
    Ok(last)
}

/// The complete line that ends just before `end` (which must follow its
/// `\n`), if it is at most `MAX_LINE_BYTES` long.
fn line_before(file: &File, path: &std::path::Path, end: u64) -> Result<Option<Vec<u8>>> {
    if end == 0 {
        return Ok(None);
    }
    let start = end.saturating_sub(MAX_LINE_BYTES as u64 + 2);
    let mut bytes = vec![0u8; (end - start) as usize];
    match file.read_exact_at(&mut bytes, start) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(Error::io("read", path, e)),
    }
    if bytes.pop() != Some(b'\n') {
        return Ok(None);
    }
    Ok(match memchr::memrchr(b'\n', &bytes) {
        Some(i) => Some(bytes[i + 1..].to_vec()),
        None if start == 0 => Some(bytes),
        None => None,
    })
}

fn ends_torn(file: &File, path: &std::path::Path) -> Result<bool> {
    let len = file
        .metadata()
        .map_err(|e| Error::io("read", path, e))?
        .len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)
        .map_err(|e| Error::io("read", path, e))?;
    Ok(last[0] != b'\n')
}

/// Now, unless the clock stepped back: then the previous line's time,
/// rounded up to the millisecond so it is never earlier.
fn next_timestamp(previous: Option<Timestamp>) -> Timestamp {
    let now = Timestamp::now_millis();
    match previous {
        Some(prev) if now < prev => {
            let truncated = Timestamp::from_instant_millis(prev.instant());
            if truncated < prev {
                Timestamp::from_instant_millis(prev.instant() + chrono::Duration::milliseconds(1))
            } else {
                truncated
            }
        }
        _ => now,
    }
}

impl EventStore for JsonlStore {
    fn append(&mut self, request: &AppendRequest) -> Result<Appended> {
        let mut results = self.append_batch(std::slice::from_ref(request))?;
        results
            .pop()
            .unwrap_or_else(|| Err(Error::Usage("internal: empty batch".into())))
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
    use crate::index::LogIndex;

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
        let next = next_timestamp(Some(future));
        assert!(next >= future);
        assert_eq!(next.to_string(), "2999-01-01T00:00:00.124Z");
    }
}

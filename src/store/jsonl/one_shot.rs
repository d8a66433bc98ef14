//! `OneShot`: what a short-lived writer (one CLI call) knows of the log. It
//! starts at the end of the file (the last hash, the last time, the highest
//! ID, read backwards) and finds the one shipment it acts on by byte search,
//! so an append costs the same on a log of any size. Between appends it
//! keeps a proof of what it read (`log::prefix`) and refuses to go on from
//! a log that was rewritten under it.

use std::fs::File;

use crate::domain::id::IdMap;
use crate::domain::line::{LineHash, LineRecord, hash_line};
use crate::domain::rules::ShipmentHead;
use crate::domain::{Name, ShipmentId, Timestamp};
use crate::error::{Error, Result};
use crate::log::digest::IndexedEvent;
use crate::log::files::{self, FileIdentity, LogPaths};
use crate::log::lines::{LineRef, LineSplitter};
use crate::log::prefix::PrefixProof;
use crate::log::scan;
use crate::store::{CaughtUp, TornEvent, WriterState};

#[derive(Default)]
pub struct OneShot {
    view: Option<TailView>,
    /// What the bytes just before the view's end hashed to when we last
    /// held the lock: proof that the log is still the prefix we read.
    proof: Option<PrefixProof>,
}

struct TailView {
    identity: FileIdentity,
    /// Lines before this offset were not read: heads of shipments whose
    /// lines all lie there are found by byte search.
    read_from: u64,
    splitter: LineSplitter,
    last_hash: Option<LineHash>,
    last_timestamp: Option<Timestamp>,
    max_id: u64,
    /// Whether `max_id` covers the whole log (false when the tail scan
    /// stopped at the newest creation).
    max_id_exact: bool,
    heads: IdMap<ShipmentHead>,
}

/// The head a line makes for its shipment.
pub fn record_head(record: &LineRecord<'_>) -> ShipmentHead {
    ShipmentHead {
        state: record.event_type,
        seq: record.event_seq,
        actor: record.actor,
        operator: record.operator.as_deref().map(Name::of),
        at: record.timestamp,
    }
}

impl TailView {
    fn read_up_to(&self) -> u64 {
        self.splitter.complete_offset() + self.splitter.pending_bytes()
    }

    fn apply_line(&mut self, line: &LineRef<'_>) {
        if let Ok(record) = line.record() {
            self.last_hash = Some(hash_line(line.bytes));
            self.last_timestamp = Some(record.timestamp);
            self.max_id = self.max_id.max(record.shipment_id.number());
            self.heads.insert(record.shipment_id, record_head(&record));
        }
    }

    /// The held-back fragment as the event it becomes once ended, if it is one.
    fn torn_event(&self) -> Option<TornEvent> {
        let line = self.splitter.terminate_pending()?;
        let record = line.record().ok()?;
        Some(TornEvent {
            id: record.shipment_id,
            head: record_head(&record),
            hash: hash_line(line.bytes),
        })
    }
}

impl OneShot {
    /// Under the lock, before trusting a view kept from an earlier append:
    /// the bytes it was built from must still be the log's prefix. If not,
    /// the view is dropped (the next append reads the log afresh) and this
    /// append is refused: its caller decided on a log that no longer exists.
    fn prove_prefix(
        &mut self,
        file: &File,
        paths: &LogPaths,
        identity: FileIdentity,
        len: u64,
    ) -> Result<()> {
        let Some(view) = self.view.as_ref() else {
            return Ok(());
        };
        let end = view.splitter.complete_offset();
        let detail = if view.identity != identity {
            Some("the log file was replaced")
        } else if len < view.read_up_to() {
            Some("the log is shorter than what was read")
        } else {
            match self.proof {
                Some(proof) if proof.end() != end || !proof.holds(file, &paths.events)? => {
                    Some("the bytes already read were rewritten")
                }
                _ => None,
            }
        };
        if let Some(detail) = detail {
            self.forget();
            return Err(Error::LogChanged {
                path: paths.events.clone(),
                detail: detail.to_string(),
            });
        }
        Ok(())
    }
}

impl WriterState for OneShot {
    fn catch_up(&mut self, file: &File, paths: &LogPaths) -> Result<CaughtUp> {
        let meta = file
            .metadata()
            .map_err(|e| Error::io("read", &paths.events, e))?;
        let (len, identity) = (meta.len(), FileIdentity::of(&meta));
        self.prove_prefix(file, paths, identity, len)?;
        let view = match self.view.take() {
            Some(view) => view,
            None => {
                let tail = scan::scan_tail(file, &paths.events, len)?;
                TailView {
                    identity,
                    read_from: tail.complete_len,
                    splitter: LineSplitter::starting_at(tail.complete_len, 1),
                    last_hash: tail.last_hash,
                    last_timestamp: tail.last_timestamp,
                    max_id: tail.max_id,
                    max_id_exact: tail.max_id_exact,
                    heads: IdMap::default(),
                }
            }
        };
        let view = self.view.insert(view);
        let from = view.read_up_to();
        let mut splitter = std::mem::take(&mut view.splitter);
        let read = files::read_range(file, &paths.events, from, len, &mut splitter, |line| {
            view.apply_line(&line)
        });
        view.splitter = splitter;
        read?;
        let torn = (view.splitter.pending_bytes() > 0).then(|| view.torn_event());
        let caught_up = CaughtUp {
            len,
            last_hash: view.last_hash,
            last_timestamp: view.last_timestamp,
            torn,
        };
        let end = view.splitter.complete_offset();
        self.proof = PrefixProof::take(file, &paths.events, end)?;
        Ok(caught_up)
    }

    /// Looks in the unread prefix for a shipment the tail did not show.
    fn head(
        &mut self,
        file: &File,
        paths: &LogPaths,
        id: ShipmentId,
    ) -> Result<Option<ShipmentHead>> {
        let Some(view) = self.view.as_mut() else {
            return Ok(None);
        };
        if !view.heads.contains_key(&id) && view.read_from > 0 {
            let last = scan::find_last_shipment_line(file, &paths.events, view.read_from, id)?;
            if let Some(head) = last.and_then(|l| l.record().map(|r| record_head(&r))) {
                view.heads.insert(id, head);
            }
        }
        Ok(view.heads.get(&id).cloned())
    }

    /// A counter behind what the tail shows (missing, emptied, restored
    /// from an old copy) means IDs were handed out without it, maybe out of
    /// order: then the whole log is read once for the true maximum.
    fn highest_id(&mut self, file: &File, paths: &LogPaths, counter: u64) -> Result<u64> {
        let Some(view) = self.view.as_mut() else {
            return Ok(counter);
        };
        if !view.max_id_exact && counter < view.max_id {
            let before = scan::max_shipment_id(file, &paths.events, view.read_from)?;
            view.max_id = view.max_id.max(before);
            view.max_id_exact = true;
        }
        Ok(view.max_id.max(counter))
    }

    fn written(
        &mut self,
        file: &File,
        paths: &LogPaths,
        bytes: &[u8],
        _: Vec<IndexedEvent>,
    ) -> Result<()> {
        let Some(view) = self.view.as_mut() else {
            return Ok(());
        };
        let mut splitter = std::mem::take(&mut view.splitter);
        splitter.feed(bytes, |line| view.apply_line(&line));
        view.splitter = splitter;
        let end = view.splitter.complete_offset();
        self.proof = PrefixProof::take(file, &paths.events, end)?;
        Ok(())
    }

    fn forget(&mut self) {
        self.view = None;
        self.proof = None;
    }
}

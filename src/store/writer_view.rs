//! What a writer knows of the log between appends: where it read up to, the
//! hash and time of the last line, the highest ID, and the head of every
//! shipment seen. Lazy views (one-shot CLI calls) start at the end of the
//! file and look older shipments up by byte search.

use std::fs::File;
use std::path::Path;

use crate::domain::id::IdMap;
use crate::domain::line::{LineHash, hash_line};
use crate::domain::rules::ShipmentHead;
use crate::domain::{ShipmentId, Timestamp};
use crate::error::Result;
use crate::log::files::FileIdentity;
use crate::log::lines::{LineRef, LineSplitter};
use crate::log::scan::{self, TailInfo};

pub(super) struct WriterView {
    pub identity: FileIdentity,
    /// Lines before this offset were not indexed: heads of shipments whose
    /// lines all lie there are found by `find_shipment_lines`.
    indexed_from: u64,
    pub splitter: LineSplitter,
    pub last_hash: Option<LineHash>,
    pub last_timestamp: Option<Timestamp>,
    pub max_id: u64,
    /// Whether `max_id` covers the whole log (false for a lazy view whose
    /// tail scan stopped at the newest creation).
    max_id_exact: bool,
    heads: IdMap<ShipmentHead>,
}

impl WriterView {
    /// A view that indexes the whole file as it catches up.
    pub fn full(identity: FileIdentity) -> Self {
        WriterView {
            identity,
            indexed_from: 0,
            splitter: LineSplitter::starting_at(0, 1),
            last_hash: None,
            last_timestamp: None,
            max_id: 0,
            max_id_exact: true,
            heads: IdMap::default(),
        }
    }

    /// A view that starts at the end of the file, from its tail.
    pub fn lazy(identity: FileIdentity, tail: TailInfo) -> Self {
        WriterView {
            identity,
            indexed_from: tail.complete_len,
            splitter: LineSplitter::starting_at(tail.complete_len, 1),
            last_hash: tail.last_hash,
            last_timestamp: tail.last_timestamp,
            max_id: tail.max_id,
            max_id_exact: tail.max_id_exact,
            heads: IdMap::default(),
        }
    }

    /// A view handed over by a reader that already read the log up to
    /// `seed.offset` (the dashboard's index), so the writer need not read it again.
    pub fn seeded(seed: WriterSeed) -> Self {
        let mut heads = IdMap::default();
        heads.extend(seed.heads);
        WriterView {
            identity: seed.identity,
            indexed_from: 0,
            splitter: LineSplitter::starting_at(seed.offset, 1),
            last_hash: seed.last_hash,
            last_timestamp: seed.last_timestamp,
            max_id: seed.max_id,
            max_id_exact: true,
            heads,
        }
    }

    /// The offset up to which the file has been read (pending bytes included).
    pub fn read_up_to(&self) -> u64 {
        self.splitter.complete_offset() + self.splitter.pending_bytes()
    }

    /// Applies one complete line read from the file.
    pub fn apply_line(&mut self, line: &LineRef<'_>) {
        if let Ok(record) = line.record() {
            self.note_event(line.bytes, &record_head(&record), record.shipment_id);
        }
    }

    /// Applies the held-back fragment as the line it becomes once a writer
    /// ends it with `\n` (a whole event that lost only its `\n` counts).
    pub fn apply_pending(&mut self) {
        let splitter = std::mem::take(&mut self.splitter);
        if let Some(line) = splitter.terminate_pending() {
            self.apply_line(&line);
        }
        self.splitter = splitter;
    }

    /// The highest shipment number in the log, given the counter log's last
    /// `counter`. A counter behind what the tail shows (missing, emptied,
    /// restored from an old copy) means IDs were handed out without it, maybe
    /// out of order: then the whole log is read once for the true maximum.
    pub fn highest_id(&mut self, file: &File, path: &Path, counter: u64) -> Result<u64> {
        if !self.max_id_exact && counter < self.max_id {
            let before = scan::max_shipment_id(file, path, self.indexed_from)?;
            self.max_id = self.max_id.max(before);
            self.max_id_exact = true;
        }
        Ok(self.max_id)
    }

    /// Records a well-formed line (read, or just written by us).
    pub fn note_event(&mut self, bytes: &[u8], head: &ShipmentHead, id: ShipmentId) {
        self.last_hash = Some(hash_line(bytes));
        self.last_timestamp = Some(head.at);
        self.max_id = self.max_id.max(id.number());
        self.heads.insert(id, head.clone());
    }

    /// The head of `id`, looking in the unindexed prefix if need be.
    pub fn head(
        &mut self,
        file: &File,
        path: &Path,
        id: ShipmentId,
    ) -> Result<Option<&ShipmentHead>> {
        if !self.heads.contains_key(&id) && self.indexed_from > 0 {
            let lines = scan::find_shipment_lines(file, path, self.indexed_from, id)?;
            if let Some(head) = lines
                .last()
                .and_then(|l| l.record().map(|r| record_head(&r)))
            {
                self.heads.insert(id, head);
            }
        }
        Ok(self.heads.get(&id))
    }
}

/// What a reader that has read the whole log up to `offset` knows, handed to
/// a writer (`JsonlStore::open_seeded`).
#[derive(Debug, Clone)]
pub struct WriterSeed {
    pub identity: FileIdentity,
    /// Offset just past the last complete line read.
    pub offset: u64,
    pub last_hash: Option<LineHash>,
    pub last_timestamp: Option<Timestamp>,
    pub max_id: u64,
    pub heads: Vec<(ShipmentId, ShipmentHead)>,
}

pub(super) fn record_head(record: &crate::domain::line::LineRecord<'_>) -> ShipmentHead {
    ShipmentHead {
        state: record.event_type,
        seq: record.event_seq,
        actor: record.actor,
        operator: record.operator.as_deref().map(Box::from),
        at: record.timestamp,
    }
}

//! Digesting lines for the readers: each line becomes an `IndexedLine` (a
//! compact, owned digest: the fields the projection and the verifier need,
//! plus the line's hash), and big reads are parsed on worker threads while
//! one thread applies the results in log order.

use std::sync::{Arc, mpsc};
use std::thread;

use crate::domain::details::{DetailsPatch, may_carry_details};
use crate::domain::line::{LineError, LineHash, LineRecord, hash_line};
use crate::domain::{Actor, EventType, ShipmentId, Timestamp};
use crate::log::lines::LineRef;
use crate::log::lines::LineSpan;

#[derive(Debug, Clone, PartialEq)]
pub struct IndexedEvent {
    pub shipment_id: ShipmentId,
    pub event_seq: u32,
    pub event_type: EventType,
    pub actor: Actor,
    pub timestamp: Timestamp,
    pub operator: Option<Arc<str>>,
    pub prev_hash: Option<LineHash>,
    /// SHA-256 of this line: the next line's expected `prev_hash`.
    pub hash: LineHash,
    /// The detail fields this event's payload sets (any event type may).
    pub details: Option<Box<DetailsPatch>>,
    pub span: LineSpan,
    pub line_no: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IndexedLine {
    Event(IndexedEvent),
    Malformed {
        line_no: u64,
        error: LineError,
        oversized: bool,
    },
}

/// Shares operator names between events: a log has few operators and many
/// events, so this saves an allocation per line.
#[derive(Debug, Default)]
pub struct OperatorNames(Vec<Arc<str>>);

impl OperatorNames {
    const MAX: usize = 64;

    fn share(&mut self, name: &str) -> Arc<str> {
        if let Some(known) = self.0.iter().find(|n| &***n == name) {
            return known.clone();
        }
        let shared: Arc<str> = Arc::from(name);
        if self.0.len() < Self::MAX {
            self.0.push(shared.clone());
        }
        shared
    }
}

/// Digests one complete line.
pub fn index_line(line: &LineRef<'_>, names: &mut OperatorNames) -> IndexedLine {
    match line.record() {
        Ok(record) => IndexedLine::Event(digest_record(&record, line, names)),
        Err(error) => IndexedLine::Malformed {
            line_no: line.line_no,
            error,
            oversized: line.oversized,
        },
    }
}

/// Digests a line already parsed (a writer parses every line it writes
/// back before writing it: that parse is reused).
pub fn digest_record(
    record: &LineRecord<'_>,
    line: &LineRef<'_>,
    names: &mut OperatorNames,
) -> IndexedEvent {
    // Parsed exactly as `show` parses payloads (property-tested in
    // tests/fast/model.rs), so every view merges the same values; most payloads
    // cannot name a detail and are not parsed at all.
    let details = may_carry_details(record.payload.get())
        .then(|| DetailsPatch::from_json(record.payload.get()))
        .filter(|patch| !patch.is_empty())
        .map(Box::new);
    IndexedEvent {
        shipment_id: record.shipment_id,
        event_seq: record.event_seq,
        event_type: record.event_type,
        actor: record.actor,
        timestamp: record.timestamp,
        operator: record.operator.as_deref().map(|name| names.share(name)),
        prev_hash: record.prev_hash,
        hash: hash_line(line.bytes),
        details,
        span: LineSpan {
            offset: line.offset,
            len: line.len.min(u64::from(u32::MAX)) as u32,
        },
        line_no: line.line_no,
    }
}

/// Bytes per batch handed to a worker.
const BATCH_BYTES: usize = 1 << 20;
const WORKERS: usize = 2;

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    /// (offset, line_no, start in data, end in data, len in file, oversized)
    lines: Vec<(u64, u64, usize, usize, u64, bool)>,
}

impl Batch {
    fn index(&self, names: &mut OperatorNames) -> Vec<IndexedLine> {
        self.lines
            .iter()
            .map(|&(offset, line_no, start, end, len, oversized)| {
                let line = LineRef {
                    offset,
                    line_no,
                    bytes: &self.data[start..end],
                    len,
                    oversized,
                };
                index_line(&line, names)
            })
            .collect()
    }
}

/// Runs `read` (which calls its argument for every line, in order) with the
/// lines parsed on worker threads; `apply` sees every digest in log order.
pub fn parallel<T>(
    read: impl FnOnce(&mut dyn FnMut(LineRef<'_>)) -> T,
    mut apply: impl FnMut(IndexedLine) + Send,
) -> T {
    thread::scope(|scope| {
        let mut to_workers = Vec::with_capacity(WORKERS);
        let mut from_workers = Vec::with_capacity(WORKERS);
        for _ in 0..WORKERS {
            let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(2);
            let (done_tx, done_rx) = mpsc::sync_channel::<Vec<IndexedLine>>(2);
            scope.spawn(move || {
                let mut names = OperatorNames::default();
                for batch in batch_rx {
                    if done_tx.send(batch.index(&mut names)).is_err() {
                        return;
                    }
                }
            });
            to_workers.push(batch_tx);
            from_workers.push(done_rx);
        }
        // Results come back in dispatch order: worker 0, 1, 0, 1, …
        scope.spawn(move || {
            for turn in 0.. {
                match from_workers[turn % WORKERS].recv() {
                    Ok(items) => items.into_iter().for_each(&mut apply),
                    Err(_) => return,
                }
            }
        });
        let mut batch = Batch::default();
        let mut turn = 0usize;
        let send = |batch: Batch, turn: &mut usize| {
            let _ = to_workers[*turn % WORKERS].send(batch);
            *turn += 1;
        };
        let output = read(&mut |line: LineRef<'_>| {
            let start = batch.data.len();
            batch.data.extend_from_slice(line.bytes);
            batch.lines.push((
                line.offset,
                line.line_no,
                start,
                batch.data.len(),
                line.len,
                line.oversized,
            ));
            if batch.data.len() >= BATCH_BYTES {
                send(std::mem::take(&mut batch), &mut turn);
            }
        });
        if !batch.lines.is_empty() {
            send(batch, &mut turn);
        }
        // Closing the queues lets the workers, then the applier, finish.
        drop(to_workers);
        output
    })
}

//! Digesting lines for the readers: each line becomes an `IndexedLine` (a
//! compact, owned digest: the fields the projection and the verifier need,
//! plus the line's hash), and big reads are parsed on worker threads while
//! one thread applies the results in log order.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use crate::domain::details::{DetailsPatch, may_carry_details};
use crate::domain::line::{LineError, LineHash, LineRecord, hash_line};
use crate::domain::{Actor, EventType, ShipmentId, Timestamp};
use crate::log::files::BlockSink;
use crate::log::lines::{LineBlock, LineRef, LineSpan};

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
    pub details: Option<DetailsPatch>,
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
#[inline] // so a caller that stores the digest builds it in place
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
#[inline]
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
        .filter(|patch| !patch.is_empty());
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

const WORKERS: usize = 2;
/// Blocks waiting for each worker, and digests waiting for the applier.
const QUEUE: usize = 2;

/// The reader's side of `parallel`: blocks go to the workers in turn, and
/// the buffers they hand back are read into again.
struct Dispatch {
    to_workers: Vec<SyncSender<LineBlock>>,
    turn: usize,
    buffers: Receiver<Vec<u8>>,
}

impl BlockSink for Dispatch {
    fn buffer(&mut self) -> Vec<u8> {
        self.buffers.try_recv().unwrap_or_default()
    }

    fn block(&mut self, block: LineBlock) {
        // A worker gone means the applier is gone: nothing left to do.
        let _ = self.to_workers[self.turn % WORKERS].send(block);
        self.turn += 1;
    }
}

/// Runs `read` (which hands its argument every block of lines, in order)
/// with the lines parsed and hashed on worker threads; `apply` sees every
/// digest in log order, on a thread of its own. Buffers and digest lists
/// go round (reader, worker, applier, back) instead of being allocated
/// per block.
pub fn parallel<T>(
    read: impl FnOnce(&mut dyn BlockSink) -> T,
    mut apply: impl FnMut(IndexedLine) + Send,
) -> T {
    thread::scope(|scope| {
        let (buffers_tx, buffers) = mpsc::channel::<Vec<u8>>();
        let mut to_workers = Vec::with_capacity(WORKERS);
        let mut from_workers = Vec::with_capacity(WORKERS);
        for _ in 0..WORKERS {
            let (block_tx, block_rx) = mpsc::sync_channel::<LineBlock>(QUEUE);
            let (done_tx, done_rx) = mpsc::sync_channel::<Vec<IndexedLine>>(QUEUE);
            let (spent_tx, spent_rx) = mpsc::channel::<Vec<IndexedLine>>();
            let buffers_tx = buffers_tx.clone();
            scope.spawn(move || {
                let mut names = OperatorNames::default();
                for block in block_rx {
                    let mut digests = spent_rx.try_recv().unwrap_or_default();
                    digests.reserve(block.line_count_hint());
                    block.lines(|line| digests.push(index_line(&line, &mut names)));
                    let _ = buffers_tx.send(block.data);
                    if done_tx.send(digests).is_err() {
                        return;
                    }
                }
            });
            to_workers.push(block_tx);
            from_workers.push((done_rx, spent_tx));
        }
        drop(buffers_tx);
        // Results come back in dispatch order: worker 0, 1, 0, 1, …
        scope.spawn(move || {
            for turn in 0.. {
                let (done, spent) = &from_workers[turn % WORKERS];
                let Ok(mut digests) = done.recv() else {
                    return;
                };
                digests.drain(..).for_each(&mut apply);
                let _ = spent.send(digests);
            }
        });
        let mut dispatch = Dispatch {
            to_workers,
            turn: 0,
            buffers,
        };
        let output = read(&mut dispatch);
        // Closing the queues lets the workers, then the applier, finish.
        drop(dispatch);
        output
    })
}

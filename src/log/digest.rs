//! Digesting lines for the readers: each line becomes an `IndexedLine` (a
//! compact, owned digest: the fields the projection and the verifier need,
//! plus the line's hash), and big reads are parsed on worker threads while
//! one thread applies the results in log order.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use crate::domain::details::{DetailsPatch, may_carry_details};
use crate::domain::line::{LineError, LineHash, LineRecord, hash_line, hash_pair};
use crate::domain::{Actor, EventType, Name, ShipmentId, Timestamp};
use crate::log::files::BlockSink;
use crate::log::lines::{LineBlock, LineRef, LineSpan};

#[derive(Debug, Clone, PartialEq)]
pub struct IndexedEvent {
    pub shipment_id: ShipmentId,
    pub event_seq: u32,
    pub event_type: EventType,
    pub actor: Actor,
    pub timestamp: Timestamp,
    pub operator: Option<Name>,
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

impl IndexedLine {
    fn set_line_no(&mut self, number: u64) {
        match self {
            IndexedLine::Event(event) => event.line_no = number,
            IndexedLine::Malformed { line_no, .. } => *line_no = number,
        }
    }
}

/// The `Name`s of the operators met so far: a log has few operators and
/// many events, so most lines find theirs here without the name table.
#[derive(Debug, Default)]
pub struct OperatorNames(Vec<Name>);

impl OperatorNames {
    const MAX: usize = 64;

    fn share(&mut self, text: &str) -> Name {
        if let Some(known) = self.0.iter().find(|n| n.as_str() == text) {
            return *known;
        }
        let name = Name::of(text);
        if self.0.len() < Self::MAX {
            self.0.push(name);
        }
        name
    }
}

/// Digests one complete line.
#[inline] // so a caller that stores the digest builds it in place
pub fn index_line(line: &LineRef<'_>, names: &mut OperatorNames) -> IndexedLine {
    match line.record() {
        Ok(record) => IndexedLine::Event(digest_record(&record, line, names)),
        Err(error) => malformed(line, error),
    }
}

fn malformed(line: &LineRef<'_>, error: LineError) -> IndexedLine {
    IndexedLine::Malformed {
        line_no: line.line_no,
        error,
        oversized: line.oversized,
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
    let mut event = digest_unhashed(record, line, names);
    event.hash = hash_line(line.bytes);
    event
}

/// `digest_record` but for the hash, which is left zero for the caller.
#[inline(always)] // one copy into each caller, which stores the digest at once
fn digest_unhashed(
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
        hash: [0; 32],
        details,
        span: LineSpan {
            offset: line.offset,
            len: line.len.min(u64::from(u32::MAX)) as u32,
        },
        line_no: line.line_no,
    }
}

/// Digests every line of `block` into `digests`, as `index_line` would.
/// Event lines are hashed two at a time (`hash_pair`): one waits for the
/// next.
fn digest_block(block: &LineBlock, names: &mut OperatorNames, digests: &mut Vec<IndexedLine>) {
    let mut waiting: Option<(usize, &[u8])> = None;
    block.lines(|line| {
        let record = match line.record() {
            Ok(record) => record,
            Err(error) => return digests.push(malformed(&line, error)),
        };
        digests.push(IndexedLine::Event(digest_unhashed(&record, &line, names)));
        let this = digests.len() - 1;
        match waiting.take() {
            None => waiting = Some((this, line.bytes)),
            Some((earlier, earlier_bytes)) => {
                let (first, second) = hash_pair(earlier_bytes, line.bytes);
                set_hash(&mut digests[earlier], first);
                set_hash(&mut digests[this], second);
            }
        }
    });
    if let Some((last, bytes)) = waiting {
        set_hash(&mut digests[last], hash_line(bytes));
    }
}

fn set_hash(digest: &mut IndexedLine, hash: LineHash) {
    if let IndexedLine::Event(event) = digest {
        event.hash = hash;
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
///
/// The reader need not number the lines (that is a pass over every byte):
/// the applier numbers them in order, from `first_line_no`. Returns what
/// `read` returned and how many lines went to `apply`.
pub fn parallel<T>(
    read: impl FnOnce(&mut dyn BlockSink) -> T,
    first_line_no: u64,
    mut apply: impl FnMut(&IndexedLine) + Send,
) -> (T, u64) {
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
                    digest_block(&block, &mut names, &mut digests);
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
        let applier = scope.spawn(move || {
            let mut next_line_no = first_line_no;
            for turn in 0.. {
                let (done, spent) = &from_workers[turn % WORKERS];
                let Ok(mut digests) = done.recv() else {
                    break;
                };
                for digest in digests.iter_mut() {
                    digest.set_line_no(next_line_no);
                    next_line_no += 1;
                    apply(digest);
                }
                digests.clear();
                let _ = spent.send(digests);
            }
            next_line_no - first_line_no
        });
        let mut dispatch = Dispatch {
            to_workers,
            turn: 0,
            buffers,
        };
        let output = read(&mut dispatch);
        // Closing the queues lets the workers, then the applier, finish.
        drop(dispatch);
        let lines = applier
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (output, lines)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::lines::LineSplitter;

    fn event_line(n: usize) -> String {
        format!(
            r#"{{"shipment_id":"SHP-{:010}","event_seq":1,"event_type":"CREATED","timestamp":"2026-10-31T04:36:15.479Z","actor":"SENDER","payload":{{"note":"{}"}},"operator":"ops","prev_hash":"{}"}}"#,
            n + 1,
            "x".repeat(n * 13 % 90),
            "0".repeat(64)
        )
    }

    /// Blocks of 0 to 7 lines, a malformed line anywhere or nowhere: the
    /// pairs hashed together give every line the digest it gets alone.
    #[test]
    fn a_block_digests_as_its_lines_one_by_one() {
        for count in 0..8 {
            for bad_at in 0..=count + 1 {
                let lines: Vec<String> = (0..count)
                    .map(|n| match n == bad_at {
                        true => "{not json".to_owned(),
                        false => event_line(n),
                    })
                    .collect();
                let data: Vec<u8> = lines
                    .iter()
                    .flat_map(|l| format!("{l}\n").into_bytes())
                    .collect();
                let mut alone = Vec::new();
                let mut names = OperatorNames::default();
                LineSplitter::starting_at(0, 1)
                    .feed(&data, |line| alone.push(index_line(&line, &mut names)));
                let block = LineSplitter::starting_at(0, 1).feed_block(data);
                let mut together = Vec::new();
                digest_block(&block, &mut names, &mut together);
                assert_eq!(together, alone, "{count} lines, malformed at {bad_at}");
                let events = alone.iter().filter(|d| matches!(d, IndexedLine::Event(_)));
                assert_eq!(events.count(), count - usize::from(bad_at < count));
            }
        }
    }
}

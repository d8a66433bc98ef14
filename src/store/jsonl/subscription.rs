//! `FileSubscription`: the file store's live reading, in one place. A
//! tailer on the event log and one on the counter log read forward from a
//! byte offset; the notify watcher (with its polling fallback) says when to
//! look again. Big reads are parsed on worker threads (`log::digest`).

use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use crate::error::Result;
use crate::log::digest::{self, IndexedEvent, IndexedLine, OperatorNames};
use crate::log::files::LogPaths;
use crate::log::lines::LineRef;
use crate::log::tail::{LogTailer, TailPoll};
use crate::log::watch::LogWatcher;
use crate::store::{Feed, Polled, Position, Recorded, Subscription};

/// Reads at least this big are parsed on worker threads.
const PARALLEL_FROM_BYTES: u64 = 8 << 20;

pub struct FileSubscription {
    paths: LogPaths,
    events: LogTailer,
    counter: LogTailer,
    names: OperatorNames,
    watcher: Option<LogWatcher>,
    /// Wake-ups for `wait`, when nobody else asked to be woken.
    woken: Option<Receiver<()>>,
}

impl FileSubscription {
    /// Reads the event log from `from` (a line start) and the counter log
    /// from its beginning.
    pub fn new(paths: &LogPaths, from: Position) -> Self {
        Self::resume(paths, (from.0, 1), (0, 1))
    }

    /// Reads the event log from `events` and the counter log from
    /// `counter`, each a (line start, its line number): a reader going on
    /// from a snapshot.
    pub fn resume(paths: &LogPaths, events: (u64, u64), counter: (u64, u64)) -> Self {
        FileSubscription {
            paths: paths.clone(),
            events: LogTailer::starting_at_line(&paths.events, events.0, events.1),
            counter: LogTailer::starting_at_line(&paths.counter, counter.0, counter.1),
            names: OperatorNames::default(),
            watcher: None,
            woken: None,
        }
    }

    fn poll_events(
        &mut self,
        max_bytes: u64,
        each: &mut (dyn FnMut(Feed<'_>) + Send),
    ) -> Result<TailPoll> {
        let (read, total) = self.progress();
        let events = &mut self.events;
        if total.saturating_sub(read).min(max_bytes) >= PARALLEL_FROM_BYTES {
            let first = events.next_line_no();
            let (polled, lines) = digest::parallel(
                |sink| events.poll_blocks_at_most(max_bytes, sink),
                first,
                |line| each(Feed::Line(line)),
            );
            // A log that shrank or was replaced is read afresh from line 1.
            if !matches!(polled, Ok(TailPoll::Reset { .. })) {
                events.numbered_elsewhere(first, lines);
            }
            polled
        } else {
            let names = &mut self.names;
            events.poll_at_most(max_bytes, |line| {
                each(Feed::Line(&digest::index_line(&line, names)))
            })
        }
    }

    fn poll_counter(&mut self, each: &mut (dyn FnMut(Feed<'_>) + Send)) -> Result<()> {
        // The counter line of a creation is written before its event, so
        // reading the counter log after the event log never misses one.
        let mut forward = |line: LineRef<'_>| {
            each(Feed::Counter {
                line_no: line.line_no,
                bytes: line.bytes,
            })
        };
        if let TailPoll::Reset { .. } = self.counter.poll(&mut forward)? {
            each(Feed::CountersReset);
            self.counter.poll(|line| {
                each(Feed::Counter {
                    line_no: line.line_no,
                    bytes: line.bytes,
                })
            })?;
        }
        Ok(())
    }
}

impl Subscription for FileSubscription {
    fn poll(&mut self, max_bytes: u64, each: &mut (dyn FnMut(Feed<'_>) + Send)) -> Result<Polled> {
        let mut polled = Polled::default();
        let poll = match self.poll_events(max_bytes, each)? {
            TailPoll::Reset { reason } => {
                // Everything handed out is void, the counter log's too.
                polled.reset = Some(reason);
                self.counter = LogTailer::new(&self.paths.counter);
                return Ok(polled);
            }
            read => read,
        };
        polled.more = matches!(poll, TailPoll::Read { more: true, .. });
        polled.modified = self.events.take_modified();
        self.poll_counter(each)?;
        Ok(polled)
    }

    fn poll_events(&mut self, each: &mut dyn FnMut(Recorded)) -> Result<Polled> {
        let poll = self.events.poll(|line| {
            if let Ok(record) = line.record() {
                each(Recorded {
                    position: Position(line.offset),
                    event: record.to_event(),
                });
            }
        })?;
        let mut polled = Polled {
            modified: self.events.take_modified(),
            ..Polled::default()
        };
        if let TailPoll::Reset { reason } = poll {
            polled.reset = Some(reason);
        }
        Ok(polled)
    }

    fn watch(&mut self, wake: Box<dyn Fn() + Send>) -> Option<String> {
        let watcher = LogWatcher::start(&self.paths, wake);
        let fallback = watcher.fallback_reason().map(str::to_owned);
        self.watcher = Some(watcher);
        fallback
    }

    fn wait(&mut self, timeout: Duration) {
        if self.woken.is_none() && self.watcher.is_none() {
            let (tx, rx) = mpsc::channel();
            self.watch(Box::new(move || {
                let _ = tx.send(());
            }));
            self.woken = Some(rx);
        }
        match &self.woken {
            Some(woken) => {
                if woken.recv_timeout(timeout).is_ok() {
                    while woken.try_recv().is_ok() {}
                }
            }
            None => std::thread::sleep(timeout),
        }
    }

    fn progress(&self) -> (u64, u64) {
        (
            self.events.offset() + self.events.pending_bytes(),
            self.events.file_len(),
        )
    }

    fn position(&self) -> Position {
        Position(self.events.offset())
    }

    fn torn_tail(&self) -> Option<(u64, u64)> {
        let pending = self.events.pending_bytes();
        (pending > 0).then(|| (self.events.next_line_no(), pending))
    }

    fn counter_at(&self) -> Option<(u64, u64)> {
        Some((self.counter.offset(), self.counter.next_line_no()))
    }

    fn torn_line(&self) -> Option<IndexedLine> {
        let mut names = OperatorNames::default();
        self.events
            .terminated_pending()
            .map(|line| digest::index_line(&line, &mut names))
    }

    fn written(
        &mut self,
        bytes: &[u8],
        digests: Vec<IndexedEvent>,
        each: &mut (dyn FnMut(Feed<'_>) + Send),
    ) -> Result<()> {
        let names = &mut self.names;
        let first = digests.first().map(|d| d.span.offset);
        let mut digests = digests.into_iter();
        self.events.written(bytes, |line| {
            // A torn line our leading `\n` ended was not staged: digest it.
            let staged = first
                .is_some_and(|first| line.offset >= first)
                .then(|| digests.next())
                .flatten();
            let item = match staged {
                Some(mut digest) => {
                    digest.line_no = line.line_no;
                    IndexedLine::Event(digest)
                }
                None => digest::index_line(&line, names),
            };
            each(Feed::Line(&item))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn event_line(n: usize) -> String {
        format!(
            r#"{{"shipment_id":"SHP-{n:010}","event_seq":1,"event_type":"CREATED","timestamp":"2026-10-31T04:36:15.479Z","actor":"SENDER","payload":{{"note":"{}"}},"operator":"ops","prev_hash":"{}"}}"#,
            "x".repeat(n % 97),
            "0".repeat(64)
        )
    }

    /// The line numbers every item of a poll carries, in order.
    fn numbers(subscription: &mut FileSubscription) -> Vec<u64> {
        let mut seen = Vec::new();
        let polled = subscription
            .poll(u64::MAX, &mut |item| {
                if let Feed::Line(line) = item {
                    seen.push(match line {
                        IndexedLine::Event(event) => event.line_no,
                        IndexedLine::Malformed { line_no, .. } => *line_no,
                    });
                }
            })
            .unwrap();
        assert_eq!(polled.reset, None);
        seen
    }

    /// A read big enough for the worker threads (which number nothing)
    /// numbers its lines as a line-by-line read does, malformed ones and a
    /// torn tail included, and the reads after it go on from there.
    #[test]
    fn lines_read_on_worker_threads_are_numbered_in_log_order() {
        let dir = tempfile::tempdir().unwrap();
        let paths = LogPaths::new(dir.path());
        let mut log = std::fs::File::create(&paths.events).unwrap();
        let big = 45_000; // ~12 MB: over PARALLEL_FROM_BYTES
        for n in 1..=big {
            let line = match n % 9_999 {
                0 => "{not an event".to_owned(),
                _ => event_line(n),
            };
            writeln!(log, "{line}").unwrap();
        }
        write!(log, "{}", &event_line(big + 1)[..50]).unwrap();
        log.sync_all().unwrap();
        assert!(std::fs::metadata(&paths.events).unwrap().len() >= PARALLEL_FROM_BYTES);
        let mut subscription = FileSubscription::new(&paths, Position::START);
        assert_eq!(
            numbers(&mut subscription),
            (1..=big as u64).collect::<Vec<_>>()
        );
        // The torn line ended, two more lines: read line by line.
        writeln!(log, "{}", &event_line(big + 1)[50..]).unwrap();
        writeln!(log, "{}\n{{not an event", event_line(big + 2)).unwrap();
        let next = big as u64 + 1;
        assert_eq!(numbers(&mut subscription), vec![next, next + 1, next + 2]);
    }
}

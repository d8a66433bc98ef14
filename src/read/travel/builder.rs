//! Checkpoints of the whole log, taken on a worker thread as soon as time
//! travel starts: the thread reads the log from the start (the same
//! subscription and parallel digest as a load) up to the moment travel
//! began, and hands over a checkpoint every `every` events. So the first
//! long jump does not replay from the start on the key press. Dropping the
//! `Builder` stops the thread at its next checkpoint.

use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread;

use super::checkpoint::Checkpoint;
use crate::log::digest::IndexedLine;
use crate::read::projection::Projection;
use crate::store::{Feed, Location, Position};

/// Bytes read per poll: how often the thread notices it is not wanted.
const CHUNK: u64 = 8 << 20;

pub struct Builder {
    checkpoints: Receiver<Checkpoint>,
}

impl Builder {
    /// Reads `location` up to `upto` events; `counts[pos]` is each
    /// shipment's event count in the projection travel started from (a
    /// shipment with fewer events at a checkpoint was in flight then).
    pub fn spawn(location: Location, upto: u64, every: u64, counts: Vec<u32>) -> Builder {
        let (tx, rx) = mpsc::channel();
        let every = every.max(1);
        let work = move || {
            let Ok(mut feed) = location.subscribe(Position::START) else {
                return;
            };
            let mut past = Projection::default();
            let mut stop = false;
            let live_count = |pos: usize| counts.get(pos).copied();
            while !stop {
                let polled = feed.poll(CHUNK, &mut |item| {
                    let Feed::Line(IndexedLine::Event(event)) = item else {
                        return;
                    };
                    if stop || past.total_events() >= upto {
                        stop = true;
                        return;
                    }
                    past.apply(event);
                    if past.total_events().is_multiple_of(every) {
                        stop = tx.send(Checkpoint::of(&past, live_count)).is_err();
                    }
                });
                match polled {
                    Ok(polled) if polled.reset.is_none() && polled.more => {}
                    _ => return,
                }
            }
        };
        // A builder that cannot start only means slower first jumps.
        let _ = thread::Builder::new()
            .name("travel-checkpoints".into())
            .spawn(work);
        Builder { checkpoints: rx }
    }

    /// The checkpoints taken since the last call; `None` once the thread
    /// is done and everything was handed over.
    pub fn take(&self) -> Option<Vec<Checkpoint>> {
        let mut out = Vec::new();
        loop {
            match self.checkpoints.try_recv() {
                Ok(c) => out.push(c),
                Err(TryRecvError::Empty) => return Some(out),
                Err(TryRecvError::Disconnected) if out.is_empty() => return None,
                Err(TryRecvError::Disconnected) => return Some(out),
            }
        }
    }
}

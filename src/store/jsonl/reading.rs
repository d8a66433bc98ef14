//! The file store's reads and its `EventStore` impl: one shipment by byte
//! search, the whole log from a byte offset, the head, and subscriptions.

use std::fs::File;

use super::{FileSubscription, JsonlStore};
use crate::domain::line::hash_line;
use crate::domain::{Event, ShipmentId};
use crate::error::{Error, Result};
use crate::log::files::{self, LogPaths};
use crate::log::lines::LineSplitter;
use crate::log::scan;
use crate::store::{
    AppendRequest, Appended, EventStore, Head, Position, Recorded, Subscription, WriterState,
};

impl<S: WriterState> EventStore for JsonlStore<S> {
    fn append_batch(&mut self, requests: &[AppendRequest]) -> Result<Vec<Result<Appended>>> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        self.with_lock(None, |store| store.append_locked(requests))
    }

    fn read_shipment(&mut self, id: ShipmentId) -> Result<Vec<Event>> {
        read_shipment(&self.paths, id)
    }

    fn read_all(
        &mut self,
        from: Position,
        each: &mut dyn FnMut(Recorded) -> Result<()>,
    ) -> Result<Position> {
        let Some((file, len)) = open(&self.paths)? else {
            return Ok(from);
        };
        let mut splitter = LineSplitter::starting_at(from.0, 1);
        let mut failed = None;
        files::read_range(
            &file,
            &self.paths.events,
            from.0,
            len,
            &mut splitter,
            |line| {
                if failed.is_some() {
                    return;
                }
                if let Ok(record) = line.record() {
                    let recorded = Recorded {
                        position: Position(line.offset),
                        event: record.to_event(),
                    };
                    failed = each(recorded).err();
                }
            },
        )?;
        match failed {
            Some(e) => Err(e),
            None => Ok(Position(splitter.complete_offset())),
        }
    }

    fn subscribe(&self, from: Position) -> Result<Box<dyn Subscription>> {
        Ok(Box::new(FileSubscription::new(&self.paths, from)))
    }

    fn head(&mut self) -> Result<Head> {
        let mut head = Head {
            count: 0,
            hash: None,
        };
        let Some((file, len)) = open(&self.paths)? else {
            return Ok(head);
        };
        let mut splitter = LineSplitter::starting_at(0, 1);
        files::read_range(&file, &self.paths.events, 0, len, &mut splitter, |line| {
            if line.record().is_ok() {
                head.count += 1;
                head.hash = Some(hash_line(line.bytes));
            }
        })?;
        Ok(head)
    }
}

fn open(paths: &LogPaths) -> Result<Option<(File, u64)>> {
    let Some(file) = paths.open_events_for_read()? else {
        return Ok(None);
    };
    let len = file
        .metadata()
        .map_err(|e| Error::io("read", &paths.events, e))?
        .len();
    Ok(Some((file, len)))
}

/// Every event of `id`, read from the file by byte search.
pub fn read_shipment(paths: &LogPaths, id: ShipmentId) -> Result<Vec<Event>> {
    let Some((file, len)) = open(paths)? else {
        return Ok(Vec::new());
    };
    let lines = scan::find_shipment_lines(&file, &paths.events, len, id)?;
    Ok(lines
        .iter()
        .filter_map(|l| l.record().map(|r| r.to_event()))
        .collect())
}

//! `Log`: the file store deciding on the process's own projection, for
//! processes that live long (the dashboard, the simulator, the bench): one
//! handle, one tailer, one projection, one model of the log.

use std::time::Duration;

use crate::error::Result;
use crate::log::files::LogPaths;
use crate::read::index::LogIndex;
use crate::store::{EventStore, JsonlStore, Location, Who};

pub type Log = JsonlStore<LogIndex>;

impl JsonlStore<LogIndex> {
    /// A long-running writer: reads the log once (on its first append, or
    /// by `state_mut().refresh()`), then only what is appended.
    pub fn open_indexed(paths: &LogPaths, operator: &str) -> Result<Log> {
        JsonlStore::open_with(paths, operator, LogIndex::new(paths))
    }

    /// The index this log keeps.
    pub fn index(&self) -> &LogIndex {
        self.state()
    }
}

/// A store for a process that appends for long (the simulator): on the file
/// store it decides on a projection it keeps up to date (a `Log`); a
/// database decides on its own tables.
pub fn long_writer(
    location: &Location,
    who: &Who,
    lock_timeout: Duration,
) -> Result<Box<dyn EventStore>> {
    match location {
        Location::File(paths) => {
            let mut log = Log::open_indexed(paths, &who.operator)?;
            log.set_lock_timeout(lock_timeout);
            Ok(Box::new(log))
        }
        Location::Postgres(_) => location.writer(who, lock_timeout),
    }
}

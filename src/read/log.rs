//! `Log`: the file store deciding on the process's own projection, for
//! processes that live long (the dashboard, the simulator, the bench): one
//! handle, one tailer, one projection, one model of the log.

use crate::error::Result;
use crate::log::files::LogPaths;
use crate::read::index::LogIndex;
use crate::store::JsonlStore;

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

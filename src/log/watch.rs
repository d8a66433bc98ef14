//! `LogWatcher`: wakes a reader when the log's directory reports a change
//! to one of the log files. Watching the directory (not the file) also sees
//! a log that is created, replaced or renamed. When the OS watcher cannot be
//! had (network file systems, exhausted inotify watches) callers poll; the
//! reason is kept so the dashboard can show it.

use std::path::PathBuf;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::log::files::LogPaths;

/// How often readers poll when there is no OS watcher, and as a safety net
/// when there is one.
pub const FALLBACK_POLL: Duration = Duration::from_secs(1);

pub struct LogWatcher {
    _watcher: Option<RecommendedWatcher>,
    fallback_reason: Option<String>,
}

impl LogWatcher {
    /// Calls `on_change` (from the watcher's thread) whenever the event log
    /// or the counter log changes. Never fails: without an OS watcher it
    /// records why and the caller relies on polling.
    pub fn start(paths: &LogPaths, on_change: impl Fn() + Send + 'static) -> Self {
        let watched: Vec<PathBuf> = vec![paths.events.clone(), paths.counter.clone()];
        let names: Vec<_> = watched
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_owned()))
            .collect();
        let handler = move |result: notify::Result<notify::Event>| {
            if let Ok(event) = result {
                // Opens, reads and closes are not changes: reacting to them
                // would make two readers wake each other up forever.
                if matches!(event.kind, notify::EventKind::Access(_)) {
                    return;
                }
                let relevant = event.paths.is_empty()
                    || event
                        .paths
                        .iter()
                        .any(|p| p.file_name().is_some_and(|n| names.iter().any(|w| w == n)));
                if relevant {
                    on_change();
                }
            }
        };
        let watcher = notify::recommended_watcher(handler).and_then(|mut w| {
            w.watch(&paths.dir, RecursiveMode::NonRecursive)?;
            Ok(w)
        });
        match watcher {
            Ok(w) => LogWatcher {
                _watcher: Some(w),
                fallback_reason: None,
            },
            Err(e) => LogWatcher {
                _watcher: None,
                fallback_reason: Some(format!(
                    "file watcher unavailable ({e}); polling every second"
                )),
            },
        }
    }

    /// Why the watcher fell back to polling, if it did.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }
}

//! `demo`'s directory: `data/demo` unless `--data-dir` is on demo's own
//! command line (`$CONTROL_TOWER_DATA_DIR` and `$CONTROL_TOWER_POLICY` name
//! the real tower and are ignored). Demo writes simulated traffic, which can
//! never be removed from a log, so it marks the directories it writes with
//! `.control-tower-demo` and refuses any other whose log holds events.
//! `--fresh` starts a marked directory over, keeping the previous logs once
//! as `*.before-fresh`.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use super::settings::Settings;
use crate::error::{Error, Result};
use crate::log::files;
use crate::store::LogPaths;

pub const DEMO_DATA_DIR: &str = "data/demo";
/// Marks a directory whose log holds only demo traffic.
pub const DEMO_MARKER: &str = ".control-tower-demo";
/// Suffix of the logs `--fresh` moved aside (one previous run is kept).
pub const BEFORE_FRESH: &str = ".before-fresh";

/// Demo's directory, checked but not yet touched.
#[derive(Debug)]
pub struct DemoDir {
    pub paths: LogPaths,
    fresh: bool,
    marked: bool,
}

/// Checks demo's directory (`settings.paths`, resolved by demo's rules);
/// refuses a real log. Changes nothing on disk (the caller may still fail,
/// e.g. without a terminal).
pub fn choose(settings: &Settings) -> Result<DemoDir> {
    let paths = settings.paths.clone();
    let refuse = |reason: String| Error::NotADemoDir {
        dir: paths.dir.clone(),
        reason,
    };
    if paths.dir.exists() && !paths.dir.is_dir() {
        return Err(refuse("it is not a directory".into()));
    }
    let marked = paths.dir.join(DEMO_MARKER).is_file();
    if !marked {
        let held = log_bytes(&paths.events) + log_bytes(&paths.counter);
        if held > 0 {
            return Err(refuse(format!(
                "its log holds {held} bytes demo did not write (no {DEMO_MARKER} marker there)"
            )));
        }
    }
    Ok(DemoDir {
        paths,
        fresh: settings.demo.is_some_and(|demo| demo.fresh),
        marked,
    })
}

fn log_bytes(path: &Path) -> u64 {
    fs::symlink_metadata(path).map_or(0, |m| m.len())
}

impl DemoDir {
    /// Creates and marks the directory, and with `--fresh` moves the old
    /// demo logs aside.
    pub fn prepare(self) -> Result<LogPaths> {
        let paths = self.paths;
        paths.create_dir()?;
        if self.fresh && self.marked {
            for log in [&paths.events, &paths.counter] {
                move_aside(log)?;
            }
        }
        let marker = paths.dir.join(DEMO_MARKER);
        let mut options = OpenOptions::new();
        options.append(true);
        let mut file = files::open_or_create_durably(&marker, &options)
            .map_err(|e| Error::io("mark the demo directory with", &marker, e))?;
        if !self.marked {
            let note = "This directory holds simulated traffic from `control-tower demo`.\n";
            file.write_all(note.as_bytes())
                .and_then(|()| file.sync_data())
                .map_err(|e| Error::io("write", &marker, e))?;
        }
        Ok(paths)
    }
}

/// Renames `log` to `log.before-fresh` (replacing an older one) and syncs
/// the directory; a missing log has nothing to move.
fn move_aside(log: &Path) -> Result<()> {
    if fs::symlink_metadata(log).is_err() {
        return Ok(());
    }
    let mut aside = log.as_os_str().to_owned();
    aside.push(BEFORE_FRESH);
    fs::rename(log, &aside)
        .and_then(|()| files::sync_dir_of(log))
        .map_err(|e| Error::io("move aside the old demo log", log, e))
}

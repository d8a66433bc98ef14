//! Projection snapshots on disk: a reader that opens a big log loads the
//! projection as it stood at some event line and reads only what follows
//! (`LogIndex::open_fast`), instead of replaying everything.
//!
//! - Where: `DATA_DIR/cache/projection.snapshot` (a database store has no
//!   data directory: `Location::cache_dir` is `None` there, so it always
//!   replays; the key is a position and the line's hash there too).
//! - Written atomically: a temp file beside it, synced, renamed over it,
//!   the directory synced. Two processes writing at once each rename a
//!   whole file; the last one wins.
//! - Keyed by the format version and the last event line it covers (where
//!   it is, its number, the hash of its bytes, the event count). On open
//!   that line must still be there with the same hash; anything else (a
//!   damaged file, another version, a log truncated or edited under it)
//!   ignores the snapshot with a one-line note and replays in full.
//! - Never trusted for integrity: the reader verifies the lines it stood
//!   for in the background (`read::prefix_check`), and a snapshot that
//!   does not make the same shipments as its lines is replaced by a full
//!   replay.

pub mod format;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use format::{FORMAT_VERSION, Key, Snapshot};

use crate::domain::line::hash_line;
use crate::error::{Error, Result};
use crate::log::files;
use crate::read::projection::Projection;
use crate::read::verify::ChainSeed;
use crate::store::Location;

pub const FILE_NAME: &str = "projection.snapshot";

/// A writer or dashboard writes a new snapshot when its projection is at
/// least this many events past the one on disk (and on a clean exit).
pub const EVERY_EVENTS: u64 = 1_000_000;

/// A log smaller than this is replayed, never snapshotted: it takes less
/// time than checking a snapshot would save.
pub const MIN_EVENTS: u64 = 10_000;

/// What opening found.
pub enum Found {
    Usable(Box<Snapshot>),
    /// No snapshot (or none possible for this store).
    Absent,
    /// One that may not be used, and why (one line, for a note).
    Ignored(String),
}

/// The snapshot file of `location`, if it can have one.
pub fn path_of(location: &Location) -> Option<PathBuf> {
    Some(location.cache_dir()?.join(FILE_NAME))
}

/// The snapshot of `location`, if there is one that still matches its log.
pub fn open(location: &Location) -> Found {
    let Some(path) = path_of(location) else {
        return Found::Absent;
    };
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::Absent,
        Err(e) => return ignored(&path, &format!("cannot be read: {e}")),
    };
    let decoded = format::decode(&bytes);
    drop(bytes); // as big as the shipments: not held beside them
    let snapshot = match decoded {
        Ok(snapshot) => snapshot,
        Err(why) => return ignored(&path, &why),
    };
    match matches_log(location, &snapshot.key) {
        Ok(()) => Found::Usable(Box::new(snapshot)),
        Err(why) => ignored(&path, &why),
    }
}

fn ignored(path: &Path, why: &str) -> Found {
    Found::Ignored(format!(
        "snapshot {} ignored ({why}): reading the whole log",
        path.display()
    ))
}

/// The line the key names is still there, with the same bytes.
fn matches_log(location: &Location, key: &Key) -> std::result::Result<(), String> {
    let changed = || {
        format!(
            "the log changed under it: line {} is not what it was",
            key.line_no
        )
    };
    let mut lines = location.lines().map_err(|e| e.to_string())?;
    let line = lines
        .read(&[key.span()])
        .ok()
        .and_then(|mut read| read.pop())
        .ok_or_else(|| format!("the log is shorter than it (line {} is gone)", key.line_no))?;
    if hash_line(&line) != key.line_hash {
        return Err(changed());
    }
    counter_log_reaches(location, key)
}

/// The counter log still ends a line where the snapshot's reading of it
/// stopped (the lines before are verified in the background).
fn counter_log_reaches(location: &Location, key: &Key) -> std::result::Result<(), String> {
    let (Some((offset, _)), Some(paths)) = (key.counter, location.paths()) else {
        return Ok(());
    };
    if offset == 0 {
        return Ok(());
    }
    let shorter = || "the counter log is shorter than it".to_string();
    let file = fs::File::open(&paths.counter).map_err(|_| shorter())?;
    let mut byte = [0u8];
    use std::os::unix::fs::FileExt;
    match file.read_exact_at(&mut byte, offset - 1) {
        Ok(()) if byte[0] == b'\n' => Ok(()),
        Ok(()) => Err("the counter log changed under it".into()),
        Err(_) => Err(shorter()),
    }
}

/// Writes the snapshot of `projection` at `key` for `location`,
/// atomically. A store without a cache directory writes nothing.
pub fn save(
    location: &Location,
    key: Key,
    chain: ChainSeed,
    projection: &Projection,
) -> Result<()> {
    match encode(location, key, chain, projection)? {
        Some(encoded) => encoded.write(),
        None => Ok(()),
    }
}

/// A snapshot encoded and not written yet: the write (a file of tens of
/// MB, synced) may then be done on another thread.
#[derive(Debug)]
pub struct Encoded {
    path: PathBuf,
    bytes: Vec<u8>,
}

/// `projection` encoded as the snapshot of `location` (`None` for a store
/// with no place for one).
pub fn encode(
    location: &Location,
    key: Key,
    chain: ChainSeed,
    projection: &Projection,
) -> Result<Option<Encoded>> {
    let Some(path) = path_of(location) else {
        return Ok(None);
    };
    let bytes = format::encode(key, chain, projection).map_err(Error::Internal)?;
    Ok(Some(Encoded { path, bytes }))
}

impl Encoded {
    /// Writes it in place of the snapshot there was, atomically.
    pub fn write(self) -> Result<()> {
        write_atomically(&self.path, &self.bytes)
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    files::create_dir_durably(dir).map_err(|e| Error::io("create the cache directory", dir, e))?;
    let temp = dir.join(format!(
        ".{FILE_NAME}.{}.{}.tmp",
        std::process::id(),
        unique()
    ));
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_data()?;
        fs::rename(&temp, path)?;
        files::sync_dir_of(path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.map_err(|e| Error::io("write the projection snapshot", path, e))
}

/// Different for every call in this process (two threads may save).
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

//! Where the log lives and low-level file work: creating directories and
//! files durably (their directory entry synced), reads of a range streamed
//! through a `LineSplitter`, the identity of a file (to notice replacement).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::lines::{LineBlock, LineRef, LineSplitter};
use crate::error::{Error, Result};

pub const EVENTS_FILE: &str = "shipments.jsonl";
pub const COUNTER_FILE: &str = "shipment_counter.jsonl";
pub const POLICY_FILE: &str = "policy.toml";

const READ_CHUNK: usize = 4 << 20;
/// Bytes per `read_blocks` chunk: big enough that a read is cheap, small
/// enough that the chunk is still in cache when it is parsed.
const BLOCK_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPaths {
    pub dir: PathBuf,
    pub events: PathBuf,
    pub counter: PathBuf,
    /// The role policy: `DIR/policy.toml` unless named elsewhere.
    pub policy: PathBuf,
    /// The policy was named (`--policy`, `$CONTROL_TOWER_POLICY`): then a
    /// missing file is an error, never "no policy".
    pub policy_named: bool,
}

impl LogPaths {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        LogPaths {
            events: dir.join(EVENTS_FILE),
            counter: dir.join(COUNTER_FILE),
            policy: dir.join(POLICY_FILE),
            policy_named: false,
            dir,
        }
    }

    /// The same directory with the policy at `policy` (named by the user).
    pub fn with_policy(mut self, policy: impl Into<PathBuf>) -> Self {
        self.policy = policy.into();
        self.policy_named = true;
        self
    }

    /// Creates the data directory (and its parents) if missing, durably.
    pub fn create_dir(&self) -> Result<()> {
        create_dir_durably(&self.dir)
            .map_err(|e| Error::io("create the data directory", &self.dir, e))
    }

    /// Opens the event log for reading, `None` if it does not exist yet.
    pub fn open_events_for_read(&self) -> Result<Option<File>> {
        open_for_read(&self.events)
    }
}

pub fn open_for_read(path: &Path) -> Result<Option<File>> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

pub fn open_for_append(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true);
    open_or_create_durably(path, &options).map_err(|e| Error::io("open for appending", path, e))
}

/// Opens `path` with `options`; if it does not exist, creates it (with the
/// same options plus `create_new`, so a mode set through `OpenOptionsExt`
/// applies) and syncs its directory so the new entry survives a power cut.
/// `options` must not ask for `create` itself, or creation goes unnoticed.
pub fn open_or_create_durably(path: &Path, options: &OpenOptions) -> io::Result<File> {
    match options.open(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    match options.clone().create_new(true).open(path) {
        Ok(file) => {
            sync_dir_of(path)?;
            Ok(file)
        }
        // Another process created it between our two opens: theirs to sync.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => options.open(path),
        Err(e) => Err(e),
    }
}

/// `mkdir -p` that syncs the parent of every directory it creates.
pub fn create_dir_durably(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_durably(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => sync_dir_of(dir),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Syncs the directory holding `path`, making a new entry in it durable.
pub fn sync_dir_of(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

/// Device and inode: a different pair means the file was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileIdentity {
    dev: u64,
    ino: u64,
}

impl FileIdentity {
    pub fn of(meta: &fs::Metadata) -> Self {
        FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// Streams bytes `[from, to)` of `file` through `splitter`.
pub fn read_range(
    file: &File,
    path: &Path,
    from: u64,
    to: u64,
    splitter: &mut LineSplitter,
    mut on_line: impl FnMut(LineRef<'_>),
) -> Result<()> {
    let mut buf = vec![0u8; READ_CHUNK.min((to.saturating_sub(from)) as usize).max(1)];
    let mut pos = from;
    while pos < to {
        let want = buf.len().min((to - pos) as usize);
        let n = file
            .read_at(&mut buf[..want], pos)
            .map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break; // the file shrank under us: the caller notices on its next stat
        }
        splitter.feed(&buf[..n], &mut on_line);
        pos += n as u64;
    }
    Ok(())
}

/// Where `read_blocks` gets buffers to read into and sends what it read.
pub trait BlockSink {
    /// A buffer to read into: one handed back by whoever took an earlier
    /// block, when there is one (fresh pages cost the kernel a zeroing).
    fn buffer(&mut self) -> Vec<u8>;
    fn block(&mut self, block: LineBlock);
}

/// Like `read_range`, but hands out whole chunks (`LineBlock`s) for other
/// threads to take apart, instead of line by line.
pub fn read_blocks(
    file: &File,
    path: &Path,
    from: u64,
    to: u64,
    splitter: &mut LineSplitter,
    sink: &mut dyn BlockSink,
) -> Result<()> {
    let mut pos = from;
    while pos < to {
        let mut buf = sink.buffer();
        // A reused buffer keeps its length: only a fresh one is filled.
        buf.resize(BLOCK_BYTES.min((to - pos) as usize), 0);
        let n = file
            .read_at(&mut buf, pos)
            .map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break; // the file shrank under us: the caller notices on its next stat
        }
        buf.truncate(n);
        sink.block(splitter.feed_block(buf));
        pos += n as u64;
    }
    Ok(())
}

/// Reads `len` bytes at `offset` (a line whose position the index recorded).
pub fn read_exact_at(file: &File, path: &Path, offset: u64, len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset)
        .map_err(|e| Error::io("read", path, e))?;
    Ok(buf)
}

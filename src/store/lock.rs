//! The writers' lock: an exclusive `flock` on `.lock` beside the log, taken
//! for every read-validate-append and waited for at most a timeout.
//!
//! Why a separate file: anyone who can open a file can `flock` it, and the
//! log is readable by people who may not write. The lock file is created
//! with only the write permissions of the log (a class that cannot write the
//! log cannot even open the lock), so a read-only user cannot stop writers.
//!
//! How it waits: a blocked `flock` cannot be timed out or cancelled, and the
//! dashboard must stay responsive (Esc cancels). Polling would leave the lock
//! idle between tries and let busy writers starve one-shot ones. So the
//! blocking `flock` runs on a helper thread, on an open file description of
//! its own, while the caller watches the clock and the cancel flag; a wait
//! given up on releases the lock as soon as it is granted, without touching
//! any later attempt's lock.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use fs2::FileExt;

use crate::error::{Error, Result};

pub const LOCK_FILE: &str = ".lock";

/// How long a writer waits for the lock unless told otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a waiting writer looks at its cancel flag.
const CANCEL_CHECK: Duration = Duration::from_millis(20);

/// How a writer waits: for how long, and what may cancel the wait.
#[derive(Debug, Clone)]
pub struct LockWait {
    pub timeout: Duration,
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for LockWait {
    fn default() -> Self {
        LockWait {
            timeout: DEFAULT_LOCK_TIMEOUT,
            cancel: None,
        }
    }
}

pub struct LogLock {
    path: PathBuf,
    file: File,
}

/// Held while alive; the lock is released on drop. It owns the open file
/// description that holds the lock.
pub struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = FileExt::unlock(&self.file);
    }
}

impl LogLock {
    /// Opens (creating if need be) the lock file in `dir`. `log` is the
    /// event log, already open: the lock file takes its write permissions.
    pub fn open(dir: &Path, log: &File) -> Result<LogLock> {
        let path = dir.join(LOCK_FILE);
        let log_meta = log
            .metadata()
            .map_err(|e| Error::io("read the permissions of the log in", dir, e))?;
        let mode = lock_mode(log_meta.mode());
        let file = match open_existing(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => create(&path, mode, log_meta.gid())?,
            Err(e) => return Err(Error::io("open the writers' lock", &path, e)),
        };
        Ok(LogLock { path, file })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The same lock file, for waiting on another thread.
    pub fn try_clone(&self) -> Result<LogLock> {
        let file = self
            .file
            .try_clone()
            .map_err(|e| Error::io("open the writers' lock", &self.path, e))?;
        Ok(LogLock {
            path: self.path.clone(),
            file,
        })
    }

    /// Takes the lock, waiting until `wait.timeout` has passed or
    /// `wait.cancel` is set.
    pub fn acquire(&self, wait: &LockWait) -> Result<LockGuard> {
        let file = open_existing(&self.path)
            .map_err(|e| Error::io("open the writers' lock", &self.path, e))?;
        match file.try_lock_exclusive() {
            Ok(()) => Ok(LockGuard { file }),
            Err(e) if e.raw_os_error() == fs2::lock_contended_error().raw_os_error() => {
                self.wait_for(file, wait)
            }
            Err(e) => Err(Error::io("lock", &self.path, e)),
        }
    }

    /// Blocks in `flock` on a helper thread (the kernel hands the lock over
    /// the moment it is free) while this thread watches the clock and the
    /// cancel flag.
    fn wait_for(&self, file: File, wait: &LockWait) -> Result<LockGuard> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("lock-wait".into())
            .spawn(move || {
                let locked = loop {
                    match file.lock_exclusive() {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other.map(|()| file),
                    }
                };
                // Nobody waiting any more: the file, and so the lock, is
                // dropped with the message.
                let _ = tx.send(locked);
            })
            .map_err(|e| Error::io("wait for the writers' lock", &self.path, e))?;
        let started = Instant::now();
        loop {
            let slice = wait
                .timeout
                .saturating_sub(started.elapsed())
                .min(CANCEL_CHECK);
            match rx.recv_timeout(slice) {
                Ok(Ok(file)) => return Ok(LockGuard { file }),
                Ok(Err(e)) => return Err(Error::io("lock", &self.path, e)),
                Err(RecvTimeoutError::Disconnected) => {
                    let gone = io::Error::other("the thread waiting for it ended");
                    return Err(Error::io("lock", &self.path, gone));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if wait
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::SeqCst))
            {
                return Err(Error::Cancelled);
            }
            let waited = started.elapsed();
            if waited >= wait.timeout {
                return Err(Error::LockTimeout {
                    lock: self.path.clone(),
                    holder: self.holder(),
                    waited,
                });
            }
        }
    }

    /// Whether the lock file we hold is still the one at its path (a lock
    /// file removed and made anew would let two writers in at once).
    pub fn is_at_path(&self) -> bool {
        let held = self.file.metadata().map(|m| (m.dev(), m.ino()));
        let at_path = std::fs::symlink_metadata(&self.path).map(|m| (m.dev(), m.ino()));
        matches!((held, at_path), (Ok(a), Ok(b)) if a == b)
    }

    /// The PID holding the lock, from `/proc/locks` (Linux), when known.
    fn holder(&self) -> Option<u32> {
        let ino = self.file.metadata().ok()?.ino();
        holder_in_proc_locks(&read_proc_locks()?, ino)
    }
}

/// For each class (owner, group, others): read and write if it may write
/// the log, nothing otherwise. Owner always keeps read and write.
fn lock_mode(log_mode: u32) -> u32 {
    let mut mode = 0o600;
    if log_mode & 0o020 != 0 {
        mode |= 0o060;
    }
    if log_mode & 0o002 != 0 {
        mode |= 0o006;
    }
    mode
}

fn open_existing(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

fn create(path: &Path, mode: u32, gid: u32) -> Result<File> {
    let file = match OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(file) => file,
        // Another writer created it first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return open_existing(path).map_err(|e| Error::io("open the writers' lock", path, e));
        }
        Err(e) => return Err(Error::io("create the writers' lock", path, e)),
    };
    // The umask may have taken bits away; the log's group keeps access.
    let _ = file.set_permissions(std::fs::Permissions::from_mode(mode));
    // SAFETY: fchown on a descriptor we own; uid -1 leaves the owner as is.
    // It fails harmlessly if we are not in the log's group.
    unsafe {
        libc::fchown(std::os::fd::AsRawFd::as_raw_fd(&file), u32::MAX, gid);
    }
    crate::log::files::sync_dir_of(path)
        .map_err(|e| Error::io("sync the directory of", path, e))?;
    Ok(file)
}

/// `/proc/locks` in one `read`: the kernel walks its lock list once per
/// call, so reading in small pieces while others lock and unlock can skip
/// rows (seen under parallel tests).
fn read_proc_locks() -> Option<String> {
    use std::io::Read;
    let mut file = File::open("/proc/locks").ok()?;
    let mut buf = vec![0u8; 1 << 20];
    let n = file.read(&mut buf).ok()?;
    buf.truncate(n);
    String::from_utf8(buf).ok()
}

/// `/proc/locks` rows look like
/// `1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF`; a waiter's row has
/// `->` after its number and is skipped.
fn holder_in_proc_locks(locks: &str, ino: u64) -> Option<u32> {
    let suffix = format!(":{ino}");
    locks.lines().find_map(|row| {
        let words: Vec<&str> = row.split_whitespace().collect();
        if words.get(1) == Some(&"->") || words.get(1) != Some(&"FLOCK") {
            return None;
        }
        let device_inode = words.get(5)?;
        if !device_inode.ends_with(&suffix) {
            return None;
        }
        words.get(4)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_mode_follows_who_may_write_the_log() {
        assert_eq!(lock_mode(0o644), 0o600);
        assert_eq!(lock_mode(0o664), 0o660);
        assert_eq!(lock_mode(0o640), 0o600);
        assert_eq!(lock_mode(0o666), 0o666);
    }

    #[test]
    fn holder_is_read_from_proc_locks_rows() {
        let rows = "1: FLOCK  ADVISORY  WRITE 4242 08:01:99 0 EOF\n\
                    1: -> FLOCK  ADVISORY  WRITE 777 08:01:99 0 EOF\n\
                    2: POSIX  ADVISORY  WRITE 55 08:01:12 0 EOF\n";
        assert_eq!(holder_in_proc_locks(rows, 99), Some(4242));
        assert_eq!(holder_in_proc_locks(rows, 12), None);
        assert_eq!(holder_in_proc_locks(rows, 9), None);
    }

    #[test]
    fn a_held_lock_times_out_naming_the_holder_and_cancel_stops_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let log = File::create(dir.path().join("shipments.jsonl")).unwrap();
        let first = LogLock::open(dir.path(), &log).unwrap();
        let second = LogLock::open(dir.path(), &log).unwrap();
        let _held = first.acquire(&LockWait::default()).unwrap();
        let wait = LockWait {
            timeout: Duration::from_millis(50),
            cancel: None,
        };
        match second.acquire(&wait) {
            Err(Error::LockTimeout { lock, holder, .. }) => {
                assert_eq!(lock, dir.path().join(LOCK_FILE));
                assert_eq!(holder, Some(std::process::id()));
            }
            other => panic!("expected a timeout, got {:?}", other.err()),
        }
        let cancel = Arc::new(AtomicBool::new(true));
        let wait = LockWait {
            timeout: Duration::from_secs(60),
            cancel: Some(cancel),
        };
        assert!(matches!(second.acquire(&wait), Err(Error::Cancelled)));
    }
}

//! `LogTailer`: reads a log forward from a byte offset, handing out complete
//! lines and holding back a partial last one. Notices a log that shrank, was
//! replaced or was rewritten in place, so the reader can start over instead
//! of showing a lie.
//!
//! In-place rewrites are caught cheaply: the tailer keeps a SHA-256 of the
//! last (up to) 4 KiB it has read and compares it on every poll. Those bytes
//! hold the last line's `prev_hash`, so a file whose end was swapped for
//! another chain (a `cp` over the log) differs there: everything read is
//! void (`Reset`). An edit further back that keeps the size shows only as an
//! mtime change without growth. That is no proof (a write that failed or was
//! killed after the kernel stamped the file looks the same), so it voids
//! nothing: seen on two polls in a row, it is reported (`take_modified`) for
//! the reader to verify the whole log in the background.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::log::files::{self, BlockSink, FileIdentity};
use crate::log::lines::{LineRef, LineSplitter};
use crate::log::prefix::window_digest;

pub struct LogTailer {
    path: PathBuf,
    file: Option<File>,
    identity: FileIdentity,
    splitter: LineSplitter,
    /// Size and mtime seen by the last poll.
    seen: Option<(u64, Option<SystemTime>)>,
    /// SHA-256 of the `PROOF_WINDOW` bytes before the read position.
    window: Option<[u8; 32]>,
    /// An mtime that changed without growth, waiting for a second look.
    suspect: Option<Option<SystemTime>>,
    /// A change without growth seen twice, not yet taken by the reader.
    modified: Option<String>,
}

/// What one poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailPoll {
    /// New bytes were read (possibly 0); `more` if the poll stopped at its limit.
    Read { bytes: u64, more: bool },
    /// The log shrank or was replaced: everything read so far is void. The
    /// next poll reads the new file from the start.
    Reset { reason: String },
}

impl LogTailer {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LogTailer {
            path: path.into(),
            file: None,
            identity: FileIdentity::default(),
            splitter: LineSplitter::starting_at(0, 1),
            seen: None,
            window: None,
            suspect: None,
            modified: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Offset just past the last complete line handed out.
    pub fn offset(&self) -> u64 {
        self.splitter.complete_offset()
    }

    /// Which file was read (device and inode).
    pub fn identity(&self) -> FileIdentity {
        self.identity
    }

    /// Bytes of an unterminated last line being held back.
    pub fn pending_bytes(&self) -> u64 {
        self.splitter.pending_bytes()
    }

    /// The line number the held-back fragment would have.
    pub fn next_line_no(&self) -> u64 {
        self.splitter.next_line_no()
    }

    pub fn pending(&self) -> &[u8] {
        self.splitter.pending()
    }

    /// Reads everything appended since the last poll.
    pub fn poll(&mut self, on_line: impl FnMut(LineRef<'_>)) -> Result<TailPoll> {
        self.poll_at_most(u64::MAX, on_line)
    }

    /// Like `poll`, but reads at most `max_bytes` (for progress display).
    pub fn poll_at_most(
        &mut self,
        max_bytes: u64,
        on_line: impl FnMut(LineRef<'_>),
    ) -> Result<TailPoll> {
        self.poll_with(max_bytes, |file, path, from, to, splitter| {
            files::read_range(file, path, from, to, splitter, on_line)
        })
    }

    /// Like `poll_at_most`, but hands out whole chunks of lines, not
    /// numbered (for a big read parsed on other threads, which numbers
    /// them in log order: see `log::digest::parallel`). Then
    /// `numbered_elsewhere` says how many lines were handed out.
    pub fn poll_blocks_at_most(
        &mut self,
        max_bytes: u64,
        sink: &mut dyn BlockSink,
    ) -> Result<TailPoll> {
        self.splitter.set_numbering(false);
        let polled = self.poll_with(max_bytes, |file, path, from, to, splitter| {
            files::read_blocks(file, path, from, to, splitter, sink)
        });
        self.splitter.set_numbering(true);
        polled
    }

    /// `poll_blocks_at_most` handed out `count` lines, the first of them
    /// line `first` (`next_line_no()` before it).
    pub fn numbered_elsewhere(&mut self, first: u64, count: u64) {
        self.splitter.set_next_line_no(first + count);
    }

    /// One poll, with `read` streaming bytes `[from, to)` through the splitter.
    fn poll_with(
        &mut self,
        max_bytes: u64,
        read: impl FnOnce(&File, &Path, u64, u64, &mut LineSplitter) -> Result<()>,
    ) -> Result<TailPoll> {
        if self.file.is_none() {
            match files::open_for_read(&self.path)? {
                None => {
                    return Ok(TailPoll::Read {
                        bytes: 0,
                        more: false,
                    });
                }
                Some(file) => {
                    self.identity = identity_of(&file, &self.path)?;
                    self.file = Some(file);
                }
            }
        }
        let Some(file) = self.file.as_ref() else {
            return Ok(TailPoll::Read {
                bytes: 0,
                more: false,
            });
        };
        let meta = file
            .metadata()
            .map_err(|e| Error::io("read", &self.path, e))?;
        let (len, mtime) = (meta.len(), meta.modified().ok());
        let read_up_to = self.offset() + self.pending_bytes();
        if let Some(reason) = self.changed(len, mtime, read_up_to)? {
            self.start_over();
            return Ok(TailPoll::Reset { reason });
        }
        let Some(file) = self.file.as_ref() else {
            return Ok(TailPoll::Read {
                bytes: 0,
                more: false,
            });
        };
        let to = len.min(read_up_to.saturating_add(max_bytes));
        read(file, &self.path, read_up_to, to, &mut self.splitter)?;
        if to > read_up_to || self.window.is_none() {
            self.window = window_digest(file, &self.path, self.offset() + self.pending_bytes())?;
        }
        if self.suspect.is_none() {
            self.seen = Some((len, mtime));
        }
        Ok(TailPoll::Read {
            bytes: to - read_up_to,
            more: to < len,
        })
    }

    /// Why everything read so far is void, if it is.
    fn changed(
        &mut self,
        len: u64,
        mtime: Option<SystemTime>,
        read_up_to: u64,
    ) -> Result<Option<String>> {
        let path = self.path.display();
        let replaced = match fs::metadata(&self.path) {
            Ok(meta) => FileIdentity::of(&meta) != self.identity,
            Err(_) => true,
        };
        if replaced {
            return Ok(Some(format!("{path} was replaced by another file")));
        }
        if len < read_up_to {
            return Ok(Some(format!(
                "{path} shrank from {read_up_to} to {len} bytes"
            )));
        }
        let Some((seen_len, seen_mtime)) = self.seen else {
            return Ok(None);
        };
        if read_up_to == 0 {
            return Ok(None);
        }
        // Checked on every poll (4 KiB): mtime is too coarse to show an
        // edit made in the same clock tick as the last append.
        let Some(file) = self.file.as_ref() else {
            return Ok(None);
        };
        if window_digest(file, &self.path, read_up_to)? != self.window {
            return Ok(Some(format!(
                "{path} was rewritten in place (bytes already read changed)"
            )));
        }
        if (seen_len, seen_mtime) == (len, mtime) || len != seen_len {
            self.suspect = None;
            return Ok(None);
        }
        // Same size, new mtime: an edit further back than the window, a
        // writer caught between updating mtime and size, or a write that
        // failed (disk full) or was killed after the kernel stamped the
        // file. Only a full verification can tell, so this voids nothing:
        // it is reported for the reader to verify in the background.
        if self.suspect == Some(mtime) {
            self.modified = Some(format!("{path} changed without growing"));
            self.seen = Some((len, mtime));
            self.suspect = None;
            return Ok(None);
        }
        // Look again at the next poll (`seen` stays as it was).
        self.suspect = Some(mtime);
        Ok(None)
    }

    fn start_over(&mut self) {
        self.file = None;
        self.splitter = LineSplitter::starting_at(0, 1);
        self.seen = None;
        self.window = None;
        self.suspect = None;
    }

    /// Whether the log changed without growing since this was last asked:
    /// maybe an edit further back than the checked window, maybe a failed
    /// write. Nothing read is void; a full verification tells which.
    pub fn take_modified(&mut self) -> Option<String> {
        self.modified.take()
    }

    /// Bytes this process appended exactly where this tailer has read up
    /// to, while it held the writers' lock: taken as read, without reading
    /// them back. A tailer that never opened the log leaves them for its
    /// next poll.
    pub fn written(&mut self, bytes: &[u8], on_line: impl FnMut(LineRef<'_>)) -> Result<()> {
        let Some(file) = self.file.as_ref() else {
            return Ok(());
        };
        self.splitter.feed(bytes, on_line);
        let meta = file
            .metadata()
            .map_err(|e| Error::io("read", &self.path, e))?;
        self.seen = Some((meta.len(), meta.modified().ok()));
        self.suspect = None;
        self.window = window_digest(file, &self.path, self.offset() + self.pending_bytes())?;
        Ok(())
    }

    /// Starts at `offset`, which must be a line start (a position handed
    /// out by this log); line numbers count from there.
    pub fn starting_at(path: impl Into<PathBuf>, offset: u64) -> Self {
        Self::starting_at_line(path, offset, 1)
    }

    /// Reads from `offset`, which is the start of line number `line_no`.
    pub fn starting_at_line(path: impl Into<PathBuf>, offset: u64, line_no: u64) -> Self {
        let mut tailer = Self::new(path);
        tailer.splitter = LineSplitter::starting_at(offset, line_no);
        tailer
    }

    /// The held-back fragment as the line it becomes once ended by `\n`.
    pub fn terminated_pending(&self) -> Option<LineRef<'_>> {
        self.splitter.terminate_pending()
    }

    /// Size of the file now (0 if absent), for progress.
    pub fn file_len(&self) -> u64 {
        fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
}

fn identity_of(file: &File, path: &Path) -> Result<FileIdentity> {
    file.metadata()
        .map(|m| FileIdentity::of(&m))
        .map_err(|e| Error::io("read", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::prefix::PROOF_WINDOW as WINDOW;
    use std::io::Write;
    use std::os::unix::fs::FileExt;

    fn lines(tailer: &mut LogTailer) -> (TailPoll, Vec<String>) {
        let mut seen = Vec::new();
        let poll = tailer
            .poll(|l| seen.push(String::from_utf8_lossy(l.bytes).into_owned()))
            .unwrap();
        (poll, seen)
    }

    fn append(path: &Path, text: &str) {
        let mut f = fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    /// Writes `text` over the start of the file, same inode, like `cp` onto it.
    fn overwrite(path: &Path, text: &str) {
        let f = fs::OpenOptions::new().write(true).open(path).unwrap();
        f.write_all_at(text.as_bytes(), 0).unwrap();
    }

    fn log(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn appends_are_read_and_nothing_else_is_reported() {
        let (_dir, path) = log("one\ntwo\n");
        let mut tailer = LogTailer::new(&path);
        assert_eq!(lines(&mut tailer).1, ["one", "two"]);
        append(&path, "three\n");
        let (poll, new) = lines(&mut tailer);
        assert!(matches!(poll, TailPoll::Read { .. }), "{poll:?}");
        assert_eq!(new, ["three"]);
        let (poll, new) = lines(&mut tailer);
        assert!(matches!(poll, TailPoll::Read { bytes: 0, .. }) && new.is_empty());
    }

    #[test]
    fn an_edit_of_read_bytes_is_a_rewrite_in_place() {
        let (_dir, path) = log("one\ntwo\n");
        let mut tailer = LogTailer::new(&path);
        lines(&mut tailer);
        overwrite(&path, "ONE");
        let (poll, _) = lines(&mut tailer);
        let TailPoll::Reset { reason } = poll else {
            panic!("{poll:?}")
        };
        assert!(reason.contains("rewritten in place"), "{reason}");
        assert_eq!(
            lines(&mut tailer).1,
            ["ONE", "two"],
            "read again from the start"
        );
    }

    #[test]
    fn another_file_copied_over_a_log_that_grows_is_a_rewrite() {
        let (_dir, path) = log("a1\na2\n");
        let mut tailer = LogTailer::new(&path);
        lines(&mut tailer);
        overwrite(&path, "b1\nb2\nb3\n");
        let (poll, _) = lines(&mut tailer);
        assert!(matches!(poll, TailPoll::Reset { .. }), "{poll:?}");
        assert_eq!(lines(&mut tailer).1, ["b1", "b2", "b3"]);
    }

    #[test]
    fn an_edit_outside_the_window_is_reported_for_verification_not_reset() {
        let body = format!("first\n{}\n", "x".repeat(3 * WINDOW as usize));
        let (_dir, path) = log(&body);
        let mut tailer = LogTailer::new(&path);
        lines(&mut tailer);
        overwrite(&path, "FIRST");
        let past = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_modified(past).unwrap();
        let (poll, _) = lines(&mut tailer);
        assert!(
            matches!(poll, TailPoll::Read { bytes: 0, .. }),
            "the first look may be a writer mid-append: {poll:?}"
        );
        assert_eq!(tailer.take_modified(), None);
        let (poll, _) = lines(&mut tailer);
        assert!(matches!(poll, TailPoll::Read { bytes: 0, .. }), "{poll:?}");
        let reason = tailer.take_modified().expect("reported on the second look");
        assert!(reason.contains("changed without growing"), "{reason}");
        assert_eq!(tailer.take_modified(), None, "reported once");
        // Appends go on being read as before.
        let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
        std::io::Write::write_all(&mut f, b"next\n").unwrap();
        assert_eq!(lines(&mut tailer).1, ["next"]);
    }
}

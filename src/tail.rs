//! `LogTailer`: reads a log forward from a byte offset, handing out complete
//! lines and holding back a partial last one. Notices a log that shrank or
//! was replaced, so the reader can start over instead of showing a lie.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::store::files::{self, FileIdentity};
use crate::store::lines::{LineRef, LineSplitter};

pub struct LogTailer {
    path: PathBuf,
    file: Option<File>,
    identity: FileIdentity,
    splitter: LineSplitter,
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
        let len = file
            .metadata()
            .map_err(|e| Error::io("read", &self.path, e))?
            .len();
        let read_up_to = self.offset() + self.pending_bytes();
        let replaced = match fs::metadata(&self.path) {
            Ok(meta) => FileIdentity::of(&meta) != self.identity,
            Err(_) => true,
        };
        if replaced || len < read_up_to {
            let reason = if replaced {
                format!("{} was replaced by another file", self.path.display())
            } else {
                format!(
                    "{} shrank from {read_up_to} to {len} bytes",
                    self.path.display()
                )
            };
            self.file = None;
            self.splitter = LineSplitter::starting_at(0, 1);
            return Ok(TailPoll::Reset { reason });
        }
        let to = len.min(read_up_to.saturating_add(max_bytes));
        files::read_range(
            file,
            &self.path,
            read_up_to,
            to,
            &mut self.splitter,
            on_line,
        )?;
        Ok(TailPoll::Read {
            bytes: to - read_up_to,
            more: to < len,
        })
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

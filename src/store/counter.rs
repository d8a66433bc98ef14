//! The ID counter log (`shipment_counter.jsonl`): its last counter, and
//! appending generated IDs to it. Only the store calls these, under the
//! writers' lock.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::domain::line::parse_counter_line;
use crate::error::{Error, Result};
use crate::log::files;
use crate::log::lines::LineSplitter;

/// The last counter in the counter log (0 if none). Lines are short, so the
/// last 64 KiB almost always hold it; otherwise read the whole file.
pub(super) fn last_counter(path: &Path) -> Result<u64> {
    let Some(file) = files::open_for_read(path)? else {
        return Ok(0);
    };
    let len = file
        .metadata()
        .map_err(|e| Error::io("read", path, e))?
        .len();
    let tail_start = len.saturating_sub(64 * 1024);
    if let Some(counter) = last_counter_in(&file, path, tail_start, len)? {
        return Ok(counter);
    }
    if tail_start > 0 {
        return Ok(last_counter_in(&file, path, 0, len)?.unwrap_or(0));
    }
    Ok(0)
}

/// Appends `lines` (whole counter lines) and syncs them; a torn last line
/// is ended first, and a failed write is cut back off.
pub(super) fn append_durably(path: &Path, lines: &str) -> Result<()> {
    let mut counter = files::open_for_append(path)?;
    let counter_len = counter
        .metadata()
        .map_err(|e| Error::io("read", path, e))?
        .len();
    let mut bytes = Vec::with_capacity(lines.len() + 1);
    if ends_torn(&counter, path)? {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(lines.as_bytes());
    let written = counter.write_all(&bytes).and_then(|_| counter.sync_data());
    if let Err(e) = written {
        // No partial counter line either (we hold the lock).
        let _ = counter.set_len(counter_len);
        return Err(Error::io("append to", path, e));
    }
    Ok(())
}

fn last_counter_in(file: &File, path: &Path, from: u64, to: u64) -> Result<Option<u64>> {
    let mut last = None;
    let mut splitter = LineSplitter::starting_at(from, 1);
    let mut first = true;
    files::read_range(file, path, from, to, &mut splitter, |line| {
        // A read that starts mid-file starts mid-line: skip that piece.
        if !(first && from > 0)
            && let Some(counter) = parse_counter_line(line.bytes)
        {
            last = Some(counter);
        }
        first = false;
    })?;
    Ok(last)
}

fn ends_torn(file: &File, path: &Path) -> Result<bool> {
    let len = file
        .metadata()
        .map_err(|e| Error::io("read", path, e))?
        .len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)
        .map_err(|e| Error::io("read", path, e))?;
    Ok(last[0] != b'\n')
}

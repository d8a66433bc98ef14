//! Fast reads that avoid parsing the whole log, for one-shot commands on big
//! logs: the tail (last hash, last timestamp, highest ID) read backwards, and
//! one shipment's lines found by byte search.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use memchr::memmem;

use super::lines::MAX_LINE_BYTES;
use crate::domain::line::{LineHash, LineRecord, hash_line, parse_line};
use crate::domain::{ShipmentId, Timestamp};
use crate::error::{Error, Result};

const BACK_CHUNK: u64 = 256 * 1024;
const SEARCH_CHUNK: usize = 4 << 20;

/// What a writer needs to know about the end of the log.
#[derive(Debug, Clone, Default)]
pub struct TailInfo {
    /// Hash of the last well-formed line; `None` when there is none.
    pub last_hash: Option<LineHash>,
    pub last_timestamp: Option<Timestamp>,
    /// Highest shipment number seen scanning back to the newest creation.
    pub max_id: u64,
    /// Offset just past the last `\n` (a torn fragment after it is excluded).
    pub complete_len: u64,
}

/// Reads `file` backwards from `len` until it has seen the last well-formed
/// line and the newest CREATED with seq 1 (IDs are handed out in order, so
/// that is the highest). A log with no creation is read whole.
pub fn scan_tail(file: &File, path: &Path, len: u64) -> Result<TailInfo> {
    let mut info = TailInfo::default();
    let mut end = len;
    let mut carry: Vec<u8> = Vec::new(); // the start of a line cut by a chunk edge
    let mut first_chunk = true;
    let mut found_creation = false;
    while end > 0 && !(found_creation && info.last_hash.is_some()) {
        let start = end.saturating_sub(BACK_CHUNK);
        let mut buf = vec![0u8; (end - start) as usize];
        file.read_exact_at(&mut buf, start)
            .map_err(|e| Error::io("read", path, e))?;
        buf.extend_from_slice(&carry);
        if first_chunk {
            // Exclude a torn (unterminated) fragment at the very end.
            let cut = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            info.complete_len = start + cut as u64;
            buf.truncate(cut);
            first_chunk = false;
        }
        // The first line of the chunk may be incomplete unless we are at 0.
        let first_full = if start == 0 {
            0
        } else {
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => {
                    carry = buf;
                    end = start;
                    continue;
                }
            }
        };
        for line in buf[first_full..].split(|&b| b == b'\n').rev() {
            // Over 1 MiB every reader (LineSplitter) treats a line as malformed.
            if line.is_empty() || line.len() > MAX_LINE_BYTES {
                continue;
            }
            if let Ok(record) = parse_line(line) {
                if info.last_hash.is_none() {
                    info.last_hash = Some(hash_line(line));
                    info.last_timestamp = Some(record.timestamp);
                }
                info.max_id = info.max_id.max(record.shipment_id.number());
                if record.event_seq == 1 {
                    found_creation = true;
                }
            }
            if found_creation && info.last_hash.is_some() {
                break;
            }
        }
        carry = buf[..first_full].to_vec();
        if let Some(b'\n') = carry.last() {
            carry.pop();
        }
        end = start;
    }
    Ok(info)
}

/// A line of one shipment, found by `find_shipment_lines`.
pub struct FoundLine {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

impl FoundLine {
    pub fn record(&self) -> Option<LineRecord<'_>> {
        parse_line(&self.bytes).ok()
    }
}

/// Every well-formed line of `id` in `[0, end)`, in file order, found by
/// searching whole chunks for the ID's bytes: only lines with a hit are
/// parsed (and kept only if the hit was their `shipment_id`).
pub fn find_shipment_lines(
    file: &File,
    path: &Path,
    end: u64,
    id: ShipmentId,
) -> Result<Vec<FoundLine>> {
    let needle = id.to_string();
    let finder = memmem::Finder::new(needle.as_bytes());
    let mut found = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(SEARCH_CHUNK + 4096);
    // `buf` holds whole lines starting at file offset `base`, then the
    // start of a line cut by the chunk edge.
    let mut base = 0u64;
    let mut pos = 0u64;
    while pos < end {
        let old = buf.len();
        let want = SEARCH_CHUNK.min((end - pos) as usize);
        buf.resize(old + want, 0);
        let n = file
            .read_at(&mut buf[old..], pos)
            .map_err(|e| Error::io("read", path, e))?;
        buf.truncate(old + n);
        if n == 0 {
            break;
        }
        pos += n as u64;
        // Only whole lines: an unterminated last line is held back, as every
        // reader does.
        let complete = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut next_line_start = 0;
        for hit in finder.find_iter(&buf[..complete]) {
            if hit < next_line_start {
                continue; // a second hit on a line already handled
            }
            let start = buf[..hit]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let stop = buf[hit..complete]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(complete, |i| hit + i);
            next_line_start = stop + 1;
            let line = &buf[start..stop];
            // Lines over the cap are malformed for every reader: skip them here too.
            if line.len() <= MAX_LINE_BYTES && parse_line(line).is_ok_and(|r| r.shipment_id == id) {
                found.push(FoundLine {
                    offset: base + start as u64,
                    bytes: line.to_vec(),
                });
            }
        }
        buf.drain(..complete);
        base += complete as u64;
        if buf.len() > MAX_LINE_BYTES * 2 {
            // A line this long is no event: skip what we hold of it.
            base += buf.len() as u64;
            buf.clear();
        }
    }
    Ok(found)
}

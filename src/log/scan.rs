//! Fast reads that avoid parsing the whole log, for one-shot commands on big
//! logs: the tail (last hash, last timestamp, highest ID) read backwards, and
//! one shipment's lines found by byte search. Both split lines with
//! `LineSplitter`, like every other reader, so they agree on what a line is
//! (an oversized line is one malformed line up to its `\n`); and both take
//! linear time and bounded memory whatever the length of a line.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use memchr::{memchr, memmem, memrchr};

use super::files;
use super::lines::{LineRef, LineSplitter, MAX_LINE_BYTES, Piece, RunCursor};
use crate::domain::line::{LineHash, LineRecord, hash_line, parse_line};
use crate::domain::{ShipmentId, Timestamp};
use crate::error::{Error, Result};

/// Window of the backwards read; a line longer than this is found by
/// searching further back for its start.
const BACK_CHUNK: u64 = 256 * 1024;
/// Read size when only looking for a `\n` (through a long line).
const SKIP_CHUNK: usize = 1 << 20;
const SEARCH_CHUNK: usize = 4 << 20;
/// A byte search over at least this much is split between two threads.
const PARALLEL_SEARCH_BYTES: u64 = 64 << 20;
/// How far back `find_last_shipment_line` looks, in turn, before it reads
/// the rest of the log.
const RECENT_TIERS: [u64; 2] = [4 << 20, 64 << 20];

/// What a writer needs to know about the end of the log.
#[derive(Debug, Clone, Default)]
pub struct TailInfo {
    /// Hash of the last well-formed line; `None` when there is none.
    pub last_hash: Option<LineHash>,
    pub last_timestamp: Option<Timestamp>,
    /// Highest shipment number seen scanning back to the newest creation.
    pub max_id: u64,
    /// Whether `max_id` is the highest in the whole log (the scan read it all).
    pub max_id_exact: bool,
    /// Offset just past the last `\n` (a torn fragment after it is excluded).
    pub complete_len: u64,
}

/// Reads `file` backwards from `len` until it has seen the last well-formed
/// line and the newest CREATED with seq 1 (IDs are handed out in order, so
/// that is usually the highest). A log with no creation is read whole.
pub fn scan_tail(file: &File, path: &Path, len: u64) -> Result<TailInfo> {
    let mut info = TailInfo {
        complete_len: line_start_before(file, path, len)?,
        ..TailInfo::default()
    };
    let mut found_creation = false;
    let mut end = info.complete_len;
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    'windows: while end > 0 {
        // `end` is just past a `\n`: read whole lines before it, newest first.
        let window_start = read_window(file, path, end, &mut buf)?;
        spans.clear();
        LineSplitter::unnumbered_at(window_start)
            .feed(&buf, |line| spans.push((line.offset, line.len)));
        for &(offset, line_len) in spans.iter().rev() {
            let at = (offset - window_start) as usize;
            let bytes = buf.get(at..at + line_len as usize).unwrap_or_default();
            let line = LineRef::whole(offset, 0, bytes);
            if let Ok(record) = line.record() {
                if info.last_hash.is_none() {
                    info.last_hash = Some(hash_line(line.bytes));
                    info.last_timestamp = Some(record.timestamp);
                }
                info.max_id = info.max_id.max(record.shipment_id.number());
                found_creation |= record.event_seq == 1;
            }
            if found_creation && info.last_hash.is_some() {
                break 'windows;
            }
        }
        end = window_start;
    }
    info.max_id_exact = end == 0;
    Ok(info)
}

/// Fills `buf` with whole lines ending at `end` (just past a `\n`) and
/// returns the offset of the first. A line longer than `BACK_CHUNK` comes
/// alone; one longer than `MAX_LINE_BYTES` is skipped unread (`buf` left
/// empty): it is malformed whatever it holds.
fn read_window(file: &File, path: &Path, end: u64, buf: &mut Vec<u8>) -> Result<u64> {
    let start = end.saturating_sub(BACK_CHUNK);
    read_into(file, path, start, end, buf)?;
    let last = buf.len().saturating_sub(1); // the `\n` before `end`
    if start == 0 {
        return Ok(0);
    }
    if let Some(i) = memchr(b'\n', &buf[..last]) {
        buf.drain(..=i);
        return Ok(start + i as u64 + 1);
    }
    // One line fills the window: find where it starts.
    let line_start = line_start_before(file, path, start)?;
    if end - 1 - line_start > MAX_LINE_BYTES as u64 {
        buf.clear();
    } else {
        read_into(file, path, line_start, end, buf)?;
    }
    Ok(line_start)
}

fn read_into(file: &File, path: &Path, from: u64, to: u64, buf: &mut Vec<u8>) -> Result<()> {
    buf.clear();
    buf.resize((to - from) as usize, 0);
    file.read_exact_at(buf, from)
        .map_err(|e| Error::io("read", path, e))
}

/// Offset just past the last `\n` before `pos` (0 if there is none),
/// searched backwards in bounded reads.
fn line_start_before(file: &File, path: &Path, pos: u64) -> Result<u64> {
    let mut buf = vec![0u8; SKIP_CHUNK];
    let mut end = pos;
    while end > 0 {
        let start = end.saturating_sub(SKIP_CHUNK as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.read_exact_at(chunk, start)
            .map_err(|e| Error::io("read", path, e))?;
        if let Some(i) = memrchr(b'\n', chunk) {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
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
/// searching whole runs of lines for the ID's bytes: only lines with a hit
/// are parsed (and kept only if the hit was their `shipment_id`).
pub fn find_shipment_lines(
    file: &File,
    path: &Path,
    end: u64,
    id: ShipmentId,
) -> Result<Vec<FoundLine>> {
    find_shipment_lines_in(file, path, 0..end, id)
}

/// `find_shipment_lines` in `range` (which starts at a line start). A big
/// range is searched in two halves at once: the search costs the kernel's
/// copy of every byte, and both cores can share that.
pub fn find_shipment_lines_in(
    file: &File,
    path: &Path,
    range: std::ops::Range<u64>,
    id: ShipmentId,
) -> Result<Vec<FoundLine>> {
    search_in_halves(file, path, range, id, PARALLEL_SEARCH_BYTES)
}

/// `find_shipment_lines_in`, in two halves when `range` spans `at_least`.
fn search_in_halves(
    file: &File,
    path: &Path,
    range: std::ops::Range<u64>,
    id: ShipmentId,
    at_least: u64,
) -> Result<Vec<FoundLine>> {
    let middle = if range.end.saturating_sub(range.start) >= at_least {
        line_start_after(
            file,
            path,
            range.start + (range.end - range.start) / 2,
            range.end,
        )?
    } else {
        None
    };
    let Some(middle) = middle else {
        return search_lines(file, path, range, id);
    };
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| search_lines(file, path, middle..range.end, id));
        let first = search_lines(file, path, range.start..middle, id);
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    let mut found = first?;
    found.extend(second?);
    Ok(found)
}

/// The start of the first line that begins after `from` and before `end`,
/// if one is found within `SKIP_CHUNK` bytes.
fn line_start_after(file: &File, path: &Path, from: u64, end: u64) -> Result<Option<u64>> {
    let mut window = vec![0u8; SKIP_CHUNK.min((end - from) as usize)];
    let n = file
        .read_at(&mut window, from)
        .map_err(|e| Error::io("read", path, e))?;
    Ok(memchr(b'\n', &window[..n])
        .map(|i| from + i as u64 + 1)
        .filter(|&start| start < end))
}

/// The last well-formed line of `id` in `[0, end)`: what a writer needs of
/// a shipment (its head). Operators mostly act on shipments that moved
/// lately, so the newest 4 MB is searched first, then the newest 64 MB,
/// and only then the rest of the log: on a big log an append to a recent
/// shipment no longer reads the whole file.
pub fn find_last_shipment_line(
    file: &File,
    path: &Path,
    end: u64,
    id: ShipmentId,
) -> Result<Option<FoundLine>> {
    find_last_in_tiers(file, path, end, id, &RECENT_TIERS)
}

/// `find_last_shipment_line`, looking back `tiers` bytes in turn.
fn find_last_in_tiers(
    file: &File,
    path: &Path,
    end: u64,
    id: ShipmentId,
    tiers: &[u64],
) -> Result<Option<FoundLine>> {
    let mut searched_from = end;
    for &back in tiers {
        if searched_from == 0 {
            return Ok(None);
        }
        let from = line_start_before(file, path, end.saturating_sub(back).min(searched_from))?;
        if let Some(last) = search_lines(file, path, from..searched_from, id)?.pop() {
            return Ok(Some(last));
        }
        searched_from = from;
    }
    Ok(find_shipment_lines_in(file, path, 0..searched_from, id)?.pop())
}

/// `find_shipment_lines_in` on one thread.
fn search_lines(
    file: &File,
    path: &Path,
    range: std::ops::Range<u64>,
    id: ShipmentId,
) -> Result<Vec<FoundLine>> {
    let needle = id.to_string();
    let finder = memmem::Finder::new(needle.as_bytes());
    let mut found = Vec::new();
    let mut keep = |line: LineRef<'_>| {
        if line.record().is_ok_and(|r| r.shipment_id == id) {
            found.push(FoundLine {
                offset: line.offset,
                bytes: line.bytes.to_vec(),
            });
        }
    };
    let mut splitter = LineSplitter::unnumbered_at(range.start);
    each_chunk(file, path, range, |chunk| {
        // An unterminated last line is held back, as every reader does.
        splitter.feed_runs(chunk, |piece| match piece {
            Piece::Line(line) => {
                if finder.find(line.bytes).is_some() {
                    keep(line);
                }
            }
            Piece::Run(run) => {
                let mut cursor = RunCursor::default();
                let mut next_line = 0;
                for hit in finder.find_iter(run.bytes) {
                    if hit < next_line {
                        continue; // a second hit on a line already handled
                    }
                    let (line, span) = run.line_at(hit, &mut cursor);
                    next_line = span.end + 1;
                    keep(line);
                }
            }
        });
    })?;
    Ok(found)
}

/// Reads `range` of `file` in chunks of up to `SEARCH_CHUNK` bytes, in
/// order, handing each to `each` (it stops early at the end of the file).
fn each_chunk(
    file: &File,
    path: &Path,
    range: std::ops::Range<u64>,
    mut each: impl FnMut(&[u8]),
) -> Result<()> {
    let span = range.end.saturating_sub(range.start);
    let mut buf = vec![0u8; SEARCH_CHUNK.min(span as usize).max(1)];
    let mut pos = range.start;
    while pos < range.end {
        let want = buf.len().min((range.end - pos) as usize);
        let n = file
            .read_at(&mut buf[..want], pos)
            .map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break;
        }
        pos += n as u64;
        each(&buf[..n]);
    }
    Ok(())
}

/// Every well-formed event line in `range` (which starts at a line
/// start), in file order, with its offset and shipment: one pass, for
/// reading many shipments' lines back at once.
pub fn each_line_in(
    file: &File,
    path: &Path,
    range: std::ops::Range<u64>,
    mut each: impl FnMut(u64, &[u8], ShipmentId),
) -> Result<()> {
    let mut splitter = LineSplitter::unnumbered_at(range.start);
    each_chunk(file, path, range, |chunk| {
        splitter.feed(chunk, |line| {
            if let Ok(record) = line.record() {
                each(line.offset, line.bytes, record.shipment_id);
            }
        });
    })
}

/// The highest shipment number of any event in `[0, end)`: a full read, for
/// when the counter log cannot be trusted.
pub fn max_shipment_id(file: &File, path: &Path, end: u64) -> Result<u64> {
    let mut max = 0;
    let mut splitter = LineSplitter::starting_at(0, 1);
    files::read_range(file, path, 0, end, &mut splitter, |line| {
        if let Ok(record) = line.record() {
            max = max.max(record.shipment_id.number());
        }
    })?;
    Ok(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::line::{NewLine, hash_hex};
    use crate::domain::{Actor, EventType};
    use std::io::Write;

    fn event(id: u64, seq: u32) -> Vec<u8> {
        event_padded(id, seq, 0)
    }

    fn event_padded(id: u64, seq: u32, pad: usize) -> Vec<u8> {
        let mut payload = serde_json::Map::new();
        if pad > 0 {
            payload.insert("pad".into(), "p".repeat(pad).into());
        }
        NewLine {
            shipment_id: ShipmentId::new(id).unwrap(),
            event_seq: seq,
            event_type: if seq == 1 {
                EventType::Created
            } else {
                EventType::ManagerApproved
            },
            timestamp: Timestamp::parse("2026-01-21T12:00:00.000Z").unwrap(),
            actor: Actor::Sender,
            payload: &payload,
            operator: "t",
            prev_hash: hash_hex(&[0; 32]),
        }
        .encode()
    }

    /// A repeatable stream of numbers below `n` (xorshift).
    fn xorshift(mut state: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        }
    }

    /// The tail as a forward reader sees it, newest line first.
    fn reference(bytes: &[u8]) -> (Option<LineHash>, u64, u64) {
        let mut lines = Vec::new();
        let mut splitter = LineSplitter::starting_at(0, 1);
        splitter.feed(bytes, |l| {
            lines.push(
                l.record()
                    .ok()
                    .map(|r| (hash_line(l.bytes), r.shipment_id.number(), r.event_seq)),
            )
        });
        let (mut last, mut max, mut creation) = (None, 0, false);
        for (hash, id, seq) in lines.iter().rev().flatten() {
            last = last.or(Some(*hash));
            max = max.max(*id);
            creation |= *seq == 1;
            if creation {
                break;
            }
        }
        (last, max, splitter.complete_offset())
    }

    #[test]
    fn a_search_in_two_halves_finds_what_one_pass_finds() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let id = ShipmentId::new(3).unwrap();
        for round in 0..60 {
            let mut bytes = Vec::new();
            for _ in 0..next(40) {
                match next(6) {
                    0 => bytes.extend(event_padded(3, 1 + next(4) as u32, next(3000) as usize)),
                    // An event padded past the line limit: no event.
                    1 => {
                        bytes.extend(event(3, 2));
                        bytes.resize(bytes.len() + MAX_LINE_BYTES, b' ');
                    }
                    _ => bytes.extend(event(1 + next(5), 1 + next(4) as u32)),
                }
                bytes.push(b'\n');
            }
            if next(2) == 0 {
                bytes.extend(event(3, 9)); // a torn last line: held back
            }
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&bytes).unwrap();
            let (path, end) = (Path::new("t"), bytes.len() as u64);
            let start = next(2) * memchr(b'\n', &bytes).map_or(0, |i| i as u64 + 1);
            let offsets = |found: Vec<FoundLine>| -> Vec<(u64, usize)> {
                found.iter().map(|l| (l.offset, l.bytes.len())).collect()
            };
            let whole = offsets(search_lines(&file, path, start..end, id).unwrap());
            let halves = offsets(search_in_halves(&file, path, start..end, id, 1).unwrap());
            assert_eq!(halves, whole, "round {round}");
        }
    }

    /// Wherever the shipment's last line lies (in the newest bytes, further
    /// back, nowhere, after a malformed line of its own), the search by
    /// tiers finds the line a whole search finds last.
    #[test]
    fn the_last_line_found_by_tiers_is_the_last_of_a_whole_search() {
        let mut next = xorshift(0x5851_f42d_4c95_7f2d);
        for round in 0..80 {
            let mut bytes = Vec::new();
            for _ in 0..next(300) {
                match next(20) {
                    0 => bytes.extend(event_padded(3, 1 + next(4) as u32, next(2000) as usize)),
                    1 => bytes.extend(b"{\"shipment_id\":\"SHP-0000000003\",torn"),
                    _ => bytes.extend(event_padded(
                        1 + next(9),
                        1 + next(4) as u32,
                        next(500) as usize,
                    )),
                }
                bytes.push(b'\n');
            }
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&bytes).unwrap();
            let path = Path::new("t");
            let end = line_start_before(&file, path, bytes.len() as u64).unwrap();
            for id in [3, 4, 10].map(|n| ShipmentId::new(n).unwrap()) {
                let whole = search_lines(&file, path, 0..end, id).unwrap().pop();
                let tiers = [next(5000), 1 + next(60_000)];
                let tiered = find_last_in_tiers(&file, path, end, id, &tiers).unwrap();
                let place = |l: Option<FoundLine>| l.map(|l| (l.offset, l.bytes));
                assert_eq!(
                    place(tiered),
                    place(whole),
                    "round {round}, {id}, {tiers:?}"
                );
            }
        }
    }

    #[test]
    fn the_tail_scan_agrees_with_a_forward_read() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let sizes = [
            0,
            5,
            1000,
            BACK_CHUNK as usize - 1,
            BACK_CHUNK as usize + 3,
            MAX_LINE_BYTES,
            MAX_LINE_BYTES + 1,
            3 << 20,
        ];
        for round in 0..40 {
            let mut bytes = Vec::new();
            for _ in 0..1 + next(6) {
                match next(5) {
                    0 | 1 => bytes.extend(event(1 + next(9), 1 + next(2) as u32)),
                    // A well-formed event longer than the backwards window.
                    4 => bytes.extend(event_padded(1 + next(9), 1 + next(2) as u32, 300_000)),
                    2 => {
                        // An event padded past the line limit: no event.
                        bytes.extend(event(50, 1));
                        bytes.resize(bytes.len() + MAX_LINE_BYTES, b' ');
                    }
                    _ => bytes.resize(bytes.len() + sizes[next(sizes.len() as u64) as usize], b'x'),
                }
                bytes.push(b'\n');
            }
            if next(3) == 0 {
                bytes.resize(bytes.len() + sizes[next(sizes.len() as u64) as usize], b'{');
            }
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&bytes).unwrap();
            let info = scan_tail(&file, Path::new("t"), bytes.len() as u64).unwrap();
            let (last, max, complete) = reference(&bytes);
            assert_eq!(info.last_hash, last, "round {round}");
            assert_eq!(info.complete_len, complete, "round {round}");
            assert!(info.max_id >= max, "round {round}");
            let whole = max_shipment_id(&file, Path::new("t"), complete).unwrap();
            assert!(info.max_id <= whole && (!info.max_id_exact || info.max_id == whole));
        }
    }
}

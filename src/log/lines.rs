//! Splitting a byte stream into lines, with their byte offsets and line
//! numbers, holding back a partial last line. Shared by the tailer, the
//! writer's catch-up, every full read, the byte search for one shipment and
//! the backwards tail scan, so they all agree on what a line is: the bytes
//! between two `\n`, and a line over `MAX_LINE_BYTES` is one malformed line
//! up to its `\n` (nothing inside it is an event).

use memchr::{memchr, memrchr};

use crate::domain::line::{LineError, LineRecord, parse_line};

/// A line longer than this is not kept whole in memory: its first bytes are
/// reported (as a malformed line) and the rest skipped up to its `\n`.
pub use crate::domain::line::MAX_LINE_BYTES;

/// One complete line (without its `\n`).
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    /// Byte offset of the line's first byte in the file.
    pub offset: u64,
    /// 1-based line number.
    pub line_no: u64,
    pub bytes: &'a [u8],
    /// Length in the file, without the `\n` (can exceed `bytes.len()` when oversized).
    pub len: u64,
    pub oversized: bool,
}

impl<'a> LineRef<'a> {
    /// A line whose bytes are all at hand: capped if it is over the limit.
    pub fn whole(offset: u64, line_no: u64, bytes: &'a [u8]) -> Self {
        let oversized = bytes.len() > MAX_LINE_BYTES;
        LineRef {
            offset,
            line_no,
            bytes: if oversized {
                &bytes[..MAX_LINE_BYTES]
            } else {
                bytes
            },
            len: bytes.len() as u64,
            oversized,
        }
    }

    /// The event this line holds, as every reader sees it: an oversized
    /// line is never one, even if its first bytes happen to parse.
    pub fn record(&self) -> Result<LineRecord<'a>, LineError> {
        if self.oversized {
            return Err(LineError::Oversized);
        }
        parse_line(self.bytes)
    }
}

/// Whole lines lying inside one chunk, handed out without being split (for
/// a byte search over many lines at once). Starts at a line start, ends just
/// past a `\n`.
#[derive(Debug, Clone, Copy)]
pub struct LineRun<'a> {
    /// File offset of `bytes[0]`.
    pub offset: u64,
    /// Line number of the first line (0 from an unnumbered splitter).
    pub line_no: u64,
    pub bytes: &'a [u8],
    numbered: bool,
}

impl<'a> LineRun<'a> {
    /// The line holding `bytes[at]`, with the byte range it spans in the run
    /// (its `\n` excluded). `cursor` carries the line count between calls
    /// with increasing `at`, so numbering a run's hits stays linear.
    pub fn line_at(
        &self,
        at: usize,
        cursor: &mut RunCursor,
    ) -> (LineRef<'a>, std::ops::Range<usize>) {
        let start = memrchr(b'\n', &self.bytes[..at]).map_or(0, |i| i + 1);
        let end = memchr(b'\n', &self.bytes[at..]).map_or(self.bytes.len(), |i| at + i);
        if self.numbered {
            if start < cursor.pos {
                *cursor = RunCursor::default();
            }
            cursor.lines += count_newlines(&self.bytes[cursor.pos..start]);
            cursor.pos = start;
        }
        let line_no = if self.numbered {
            self.line_no + cursor.lines
        } else {
            0
        };
        let line = LineRef::whole(self.offset + start as u64, line_no, &self.bytes[start..end]);
        (line, start..end)
    }
}

/// Where `LineRun::line_at` stopped counting lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct RunCursor {
    pos: usize,
    lines: u64,
}

/// memchr counts with the CPU's vector instructions (the plain loop is
/// only vectorised for the baseline SSE2, and then poorly).
fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// What `LineSplitter::feed_runs` hands out.
pub enum Piece<'a> {
    /// A line that began in an earlier chunk.
    Line(LineRef<'a>),
    Run(LineRun<'a>),
}

/// Where one event's line is in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSpan {
    pub offset: u64,
    pub len: u32,
}

/// A chunk of the stream handed out whole and owned, so another thread can
/// take its lines apart without a copy of each: the line carried over from
/// earlier chunks (if this chunk ended it), then the whole lines lying in
/// `data[run]`. Lines come out exactly as `LineSplitter::feed` gives them.
#[derive(Debug, Default)]
pub struct LineBlock {
    /// The chunk as read (its buffer goes back to the reader for reuse).
    pub data: Vec<u8>,
    pub carried: Option<CarriedLine>,
    /// Whole lines, each ending in `\n`.
    pub run: std::ops::Range<usize>,
    /// File offset of `data[run.start]`.
    pub offset: u64,
    /// Line number of the first line in `run` (0 from an unnumbered splitter).
    pub line_no: u64,
    numbered: bool,
}

/// A line that began in an earlier chunk, copied out of the splitter.
#[derive(Debug)]
pub struct CarriedLine {
    pub bytes: Vec<u8>,
    pub offset: u64,
    pub line_no: u64,
    pub len: u64,
    pub oversized: bool,
}

impl LineBlock {
    /// Every line of the block, in order.
    pub fn lines<'b>(&'b self, mut each: impl FnMut(LineRef<'b>)) {
        if let Some(c) = &self.carried {
            each(LineRef {
                offset: c.offset,
                line_no: c.line_no,
                bytes: &c.bytes,
                len: c.len,
                oversized: c.oversized,
            });
        }
        let mut rest = self.data.get(self.run.clone()).unwrap_or_default();
        let (mut offset, mut line_no) = (self.offset, self.line_no);
        while let Some(end) = memchr(b'\n', rest) {
            each(LineRef::whole(offset, line_no, &rest[..end]));
            offset += end as u64 + 1;
            line_no += u64::from(self.numbered);
            rest = &rest[end + 1..];
        }
    }

    /// How many lines `lines` hands out (to size what collects them).
    pub fn line_count_hint(&self) -> usize {
        self.run.len() / 128 + 1
    }
}

#[derive(Debug, Default, Clone)]
pub struct LineSplitter {
    pending: Vec<u8>,
    pending_len: u64,
    pending_offset: u64,
    next_line_no: u64,
    oversized: bool,
    /// Line numbers are not counted (all 0): a byte search over runs of
    /// lines then never has to look at every byte.
    unnumbered: bool,
}

impl LineSplitter {
    /// A splitter whose next byte is at `offset`, on line `line_no` (1-based).
    pub fn starting_at(offset: u64, line_no: u64) -> Self {
        LineSplitter {
            pending_offset: offset,
            next_line_no: line_no,
            ..Default::default()
        }
    }

    /// A splitter whose next byte is at `offset` and that numbers no line.
    pub fn unnumbered_at(offset: u64) -> Self {
        LineSplitter {
            pending_offset: offset,
            unnumbered: true,
            ..Default::default()
        }
    }

    /// Offset just past the last complete line.
    pub fn complete_offset(&self) -> u64 {
        self.pending_offset
    }

    /// Bytes of an unterminated line held back.
    pub fn pending_bytes(&self) -> u64 {
        self.pending_len
    }

    pub fn pending(&self) -> &[u8] {
        &self.pending
    }

    /// Line number the next complete line will get.
    pub fn next_line_no(&self) -> u64 {
        self.next_line_no
    }

    /// Stops or resumes numbering lines, for a reader that numbers them
    /// itself and then says where numbering goes on (`set_next_line_no`).
    pub fn set_numbering(&mut self, on: bool) {
        self.unnumbered = !on;
    }

    pub fn set_next_line_no(&mut self, line_no: u64) {
        self.next_line_no = line_no;
    }

    /// Feeds the next bytes of the stream; `on_line` gets every line they complete.
    pub fn feed(&mut self, chunk: &[u8], mut on_line: impl FnMut(LineRef<'_>)) {
        let Some(mut chunk) = self.finish_pending(chunk, &mut on_line) else {
            return;
        };
        while let Some(end) = memchr(b'\n', chunk) {
            on_line(LineRef::whole(
                self.pending_offset,
                self.next_line_no,
                &chunk[..end],
            ));
            self.advance(end as u64 + 1, 1);
            chunk = &chunk[end + 1..];
        }
        self.keep(chunk);
    }

    /// Like `feed`, but the whole lines lying inside `chunk` come as one
    /// `Piece::Run` instead of line by line (a byte search then looks at
    /// them all at once); a line carried over from earlier comes as a
    /// `Piece::Line`, exactly as `feed` would give it.
    pub fn feed_runs(&mut self, chunk: &[u8], mut on_piece: impl FnMut(Piece<'_>)) {
        let Some(chunk) = self.finish_pending(chunk, &mut |line| on_piece(Piece::Line(line)))
        else {
            return;
        };
        let whole = memrchr(b'\n', chunk).map_or(0, |i| i + 1);
        if whole > 0 {
            let run = &chunk[..whole];
            on_piece(Piece::Run(LineRun {
                offset: self.pending_offset,
                line_no: self.next_line_no,
                bytes: run,
                numbered: !self.unnumbered,
            }));
            let lines = if self.unnumbered {
                0
            } else {
                count_newlines(run)
            };
            self.advance(whole as u64, lines);
        }
        self.keep(&chunk[whole..]);
    }

    /// Like `feed_runs`, but takes the chunk and hands it back as a
    /// `LineBlock` (lines carried over from it are kept, as always).
    pub fn feed_block(&mut self, data: Vec<u8>) -> LineBlock {
        let base = self.pending_offset + self.pending_len;
        let mut block = LineBlock {
            numbered: !self.unnumbered,
            ..LineBlock::default()
        };
        self.feed_runs(&data, |piece| match piece {
            Piece::Line(line) => {
                block.carried = Some(CarriedLine {
                    bytes: line.bytes.to_vec(),
                    offset: line.offset,
                    line_no: line.line_no,
                    len: line.len,
                    oversized: line.oversized,
                })
            }
            Piece::Run(run) => {
                let start = (run.offset - base) as usize;
                block.run = start..start + run.bytes.len();
                block.offset = run.offset;
                block.line_no = run.line_no;
            }
        });
        block.data = data;
        block
    }

    /// Ends the line carried over from earlier chunks if `chunk` holds its
    /// `\n`; returns the rest of `chunk`, or `None` if it was all carried.
    fn finish_pending<'c>(
        &mut self,
        chunk: &'c [u8],
        on_line: &mut impl FnMut(LineRef<'_>),
    ) -> Option<&'c [u8]> {
        if self.pending_len == 0 && !self.oversized {
            return Some(chunk);
        }
        let Some(end) = memchr(b'\n', chunk) else {
            self.keep(chunk);
            return None;
        };
        self.keep(&chunk[..end]);
        on_line(LineRef {
            offset: self.pending_offset,
            line_no: self.next_line_no,
            bytes: &self.pending,
            len: self.pending_len,
            oversized: self.oversized,
        });
        self.advance(self.pending_len + 1, 1);
        self.pending.clear();
        self.pending_len = 0;
        self.oversized = false;
        Some(&chunk[end + 1..])
    }

    fn advance(&mut self, by: u64, lines: u64) {
        self.pending_offset += by;
        if !self.unnumbered {
            self.next_line_no += lines;
        }
    }

    fn keep(&mut self, bytes: &[u8]) {
        self.pending_len += bytes.len() as u64;
        let room = MAX_LINE_BYTES.saturating_sub(self.pending.len());
        self.pending
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        if bytes.len() > room {
            self.oversized = true;
        }
    }

    /// Treats the held-back fragment as ended (a writer just terminated it).
    pub fn terminate_pending(&self) -> Option<LineRef<'_>> {
        if self.pending_len == 0 {
            return None;
        }
        let line = LineRef {
            offset: self.pending_offset,
            line_no: self.next_line_no,
            bytes: &self.pending,
            len: self.pending_len,
            oversized: self.oversized,
        };
        Some(line)
    }

    /// After `terminate_pending`'s line was handled.
    pub fn drop_pending_as_terminated(&mut self) {
        if self.pending_len > 0 {
            self.advance(self.pending_len + 1, 1);
            self.pending.clear();
            self.pending_len = 0;
            self.oversized = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(chunks: &[&[u8]]) -> (Vec<(u64, u64, Vec<u8>)>, LineSplitter) {
        let mut s = LineSplitter::starting_at(0, 1);
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, |l| out.push((l.offset, l.line_no, l.bytes.to_vec())));
        }
        (out, s)
    }

    #[test]
    fn lines_split_across_chunks_keep_offsets() {
        let (lines, s) = collect(&[b"ab", b"c\nde\nf", b"g"]);
        assert_eq!(lines, vec![(0, 1, b"abc".to_vec()), (4, 2, b"de".to_vec())]);
        assert_eq!(s.complete_offset(), 7);
        assert_eq!(s.pending(), b"fg");
    }

    #[test]
    fn oversized_lines_are_capped_not_buffered() {
        let big = vec![b'x'; MAX_LINE_BYTES + 10];
        let mut s = LineSplitter::starting_at(0, 1);
        let mut seen = Vec::new();
        s.feed(&big, |_| unreachable!());
        s.feed(b"\nok\n", |l| {
            seen.push((l.bytes.len(), l.len, l.oversized))
        });
        assert_eq!(seen[0], (MAX_LINE_BYTES, MAX_LINE_BYTES as u64 + 10, true));
        assert_eq!(seen[1], (2, 2, false));
        assert_eq!(s.complete_offset(), MAX_LINE_BYTES as u64 + 10 + 1 + 3);
    }

    type Seen = (u64, u64, Vec<u8>, u64, bool);

    fn seen(l: &LineRef<'_>) -> Seen {
        (l.offset, l.line_no, l.bytes.to_vec(), l.len, l.oversized)
    }

    /// Every line `feed_runs` hands out, runs split with `line_at`.
    fn by_runs(bytes: &[u8], pieces: &[usize]) -> Vec<Seen> {
        by_runs_from(LineSplitter::starting_at(0, 1), bytes, pieces)
    }

    fn by_runs_from(mut s: LineSplitter, bytes: &[u8], pieces: &[usize]) -> Vec<Seen> {
        let mut out = Vec::new();
        let mut rest = bytes;
        let mut sizes = pieces.iter().cycle();
        while !rest.is_empty() {
            let n = (*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
            s.feed_runs(&rest[..n], |piece| match piece {
                Piece::Line(l) => out.push(seen(&l)),
                Piece::Run(run) => {
                    let mut cursor = RunCursor::default();
                    let mut at = 0;
                    while at < run.bytes.len() {
                        let (l, span) = run.line_at(at, &mut cursor);
                        out.push(seen(&l));
                        at = span.end + 1;
                    }
                }
            });
            rest = &rest[n..];
        }
        out
    }

    /// Every line `feed_block` hands out, from chunks cut as `pieces` say.
    fn by_blocks(mut s: LineSplitter, bytes: &[u8], pieces: &[usize]) -> Vec<Seen> {
        let mut out = Vec::new();
        let mut rest = bytes;
        let mut sizes = pieces.iter().cycle();
        while !rest.is_empty() {
            let n = (*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
            let block = s.feed_block(rest[..n].to_vec());
            block.lines(|l| out.push(seen(&l)));
            rest = &rest[n..];
        }
        out
    }

    fn by_lines(bytes: &[u8], pieces: &[usize]) -> Vec<Seen> {
        let mut s = LineSplitter::starting_at(0, 1);
        let mut out = Vec::new();
        let mut rest = bytes;
        let mut sizes = pieces.iter().cycle();
        while !rest.is_empty() {
            let n = (*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
            s.feed(&rest[..n], |l| out.push(seen(&l)));
            rest = &rest[n..];
        }
        out
    }

    #[test]
    fn runs_and_lines_agree_on_oversized_lines_across_chunk_edges() {
        let mut bytes = b"a\n\nbc\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 5));
        bytes.extend_from_slice(b"{\"inside\":1}\nd\n");
        bytes.extend(std::iter::repeat_n(b'y', MAX_LINE_BYTES));
        bytes.extend_from_slice(b"\ne\ntorn");
        for pieces in [vec![7], vec![1 << 20], vec![3, 1 << 19, 5], vec![4 << 20]] {
            let lines = by_lines(&bytes, &pieces);
            assert_eq!(by_runs(&bytes, &pieces), lines, "{pieces:?}");
            let blocks = by_blocks(LineSplitter::starting_at(0, 1), &bytes, &pieces);
            assert_eq!(blocks, lines, "{pieces:?}");
            let shape: Vec<(u64, bool)> = lines.iter().map(|l| (l.3, l.4)).collect();
            let big = MAX_LINE_BYTES as u64;
            assert_eq!(
                shape,
                [
                    (1, false),
                    (0, false),
                    (2, false),
                    (big + 5 + 12, true),
                    (1, false),
                    (big, false),
                    (1, false)
                ]
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn runs_and_lines_agree(
            bytes in proptest::collection::vec(proptest::prop_oneof![proptest::prelude::Just(b'\n'), proptest::prelude::any::<u8>()], 0..400),
            pieces in proptest::collection::vec(1usize..50, 1..8),
        ) {
            let lines = by_lines(&bytes, &pieces);
            proptest::prop_assert_eq!(&by_runs(&bytes, &pieces), &lines);
            proptest::prop_assert_eq!(&by_blocks(LineSplitter::starting_at(0, 1), &bytes, &pieces), &lines);
            let unnumbered: Vec<Seen> = lines.into_iter().map(|(o, _, b, l, x)| (o, 0, b, l, x)).collect();
            proptest::prop_assert_eq!(&by_runs_from(LineSplitter::unnumbered_at(0), &bytes, &pieces), &unnumbered);
            proptest::prop_assert_eq!(by_blocks(LineSplitter::unnumbered_at(0), &bytes, &pieces), unnumbered);
        }
    }
}

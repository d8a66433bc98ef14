//! Splitting a byte stream into lines, with their byte offsets and line
//! numbers, holding back a partial last line. Shared by the tailer, the
//! writer's catch-up and every full read, so they all agree on what a line is.

use memchr::memchr;

/// A line longer than this is not kept whole in memory: its first bytes are
/// reported (as a malformed line) and the rest skipped up to its `\n`.
pub const MAX_LINE_BYTES: usize = 1 << 20;

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

#[derive(Debug, Default, Clone)]
pub struct LineSplitter {
    pending: Vec<u8>,
    pending_len: u64,
    pending_offset: u64,
    next_line_no: u64,
    oversized: bool,
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

    pub fn feed(&mut self, mut chunk: &[u8], mut on_line: impl FnMut(LineRef<'_>)) {
        // Finish a line carried over from an earlier chunk.
        if self.pending_len > 0 || self.oversized {
            match memchr(b'\n', chunk) {
                None => {
                    self.keep(chunk);
                    return;
                }
                Some(end) => {
                    self.keep(&chunk[..end]);
                    let line = LineRef {
                        offset: self.pending_offset,
                        line_no: self.next_line_no,
                        bytes: &self.pending,
                        len: self.pending_len,
                        oversized: self.oversized,
                    };
                    on_line(line);
                    self.advance(self.pending_len + 1);
                    self.pending.clear();
                    self.pending_len = 0;
                    self.oversized = false;
                    chunk = &chunk[end + 1..];
                }
            }
        }
        while let Some(end) = memchr(b'\n', chunk) {
            let bytes = &chunk[..end];
            let oversized = bytes.len() > MAX_LINE_BYTES;
            on_line(LineRef {
                offset: self.pending_offset,
                line_no: self.next_line_no,
                bytes: if oversized {
                    &bytes[..MAX_LINE_BYTES]
                } else {
                    bytes
                },
                len: end as u64,
                oversized,
            });
            self.advance(end as u64 + 1);
            chunk = &chunk[end + 1..];
        }
        self.keep(chunk);
    }

    fn advance(&mut self, by: u64) {
        self.pending_offset += by;
        self.next_line_no += 1;
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
    pub fn terminate_pending(&mut self) -> Option<LineRef<'_>> {
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
            self.advance(self.pending_len + 1);
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
}

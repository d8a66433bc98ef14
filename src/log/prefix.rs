//! Proof that a log still begins with the bytes a reader or writer read.
//!
//! An append-only log only grows, so whatever was read must still be there.
//! Checking all of it on every append would cost a full read; instead the
//! last `PROOF_WINDOW` bytes before the read offset are hashed. That window
//! ends with the last line's `prev_hash`, which chains every line before it,
//! so an unchanged window proves an unchanged chained prefix. (An edit far
//! back in an unchained prefix, or in a chain nobody re-hashes, is `verify`'s
//! to find.) Used by long-running writers (`JsonlStore`) and the tailer.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::domain::line::{LineHash, MAX_LINE_BYTES, hash_line, parse_line};
use crate::error::{Error, Result};

/// How many bytes before the read offset are checked.
pub const PROOF_WINDOW: u64 = 4096;

/// The hash of the window before `end`, taken when the log was read up to there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixProof {
    end: u64,
    digest: LineHash,
}

impl PrefixProof {
    /// The proof of `file` as read up to `end` (`None` if it is shorter).
    pub fn take(file: &File, path: &Path, end: u64) -> Result<Option<PrefixProof>> {
        Ok(window_digest(file, path, end)?.map(|digest| PrefixProof { end, digest }))
    }

    /// Where the proven bytes end.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Whether `file` still holds the same bytes before `end`.
    pub fn holds(&self, file: &File, path: &Path) -> Result<bool> {
        Ok(window_digest(file, path, self.end)? == Some(self.digest))
    }
}

/// SHA-256 of the (up to) `PROOF_WINDOW` bytes before `end`; `None` when the
/// file is shorter than `end`.
pub fn window_digest(file: &File, path: &Path, end: u64) -> Result<Option<LineHash>> {
    let start = end.saturating_sub(PROOF_WINDOW);
    let mut window = vec![0u8; (end - start) as usize];
    match file.read_exact_at(&mut window, start) {
        Ok(()) => Ok(Some(hash_line(&window))),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// Whether the line ending just before `end` is the event line that hashed
/// to `hash` (what a reader that read up to `end` recorded as the chain's
/// head). `None`: that line is no event (a torn write someone ended), so it
/// proves nothing either way.
pub fn last_event_line_is(
    file: &File,
    path: &Path,
    end: u64,
    hash: Option<LineHash>,
) -> Result<Option<bool>> {
    if end == 0 {
        return Ok(Some(hash.is_none()));
    }
    let Some(line) = line_before(file, path, end)? else {
        return Ok(Some(false));
    };
    if parse_line(&line).is_err() {
        return Ok(None);
    }
    Ok(Some(Some(hash_line(&line)) == hash))
}

/// The complete line that ends just before `end` (which must follow its
/// `\n`), if it is at most `MAX_LINE_BYTES` long.
fn line_before(file: &File, path: &Path, end: u64) -> Result<Option<Vec<u8>>> {
    let start = end.saturating_sub(MAX_LINE_BYTES as u64 + 2);
    let mut bytes = vec![0u8; (end - start) as usize];
    match file.read_exact_at(&mut bytes, start) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(Error::io("read", path, e)),
    }
    if bytes.pop() != Some(b'\n') {
        return Ok(None);
    }
    Ok(match memchr::memrchr(b'\n', &bytes) {
        Some(i) => Some(bytes[i + 1..].to_vec()),
        None if start == 0 => Some(bytes),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;
    use std::io::Write;

    #[test]
    fn a_proof_holds_for_appends_and_fails_for_edits_before_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let proof = PrefixProof::take(&file, &path, 8).unwrap().unwrap();
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"three\n")
            .unwrap();
        assert!(
            proof.holds(&file, &path).unwrap(),
            "an append keeps the prefix"
        );
        file.write_all_at(b"T", 4).unwrap();
        assert!(!proof.holds(&file, &path).unwrap(), "an edit breaks it");
        file.write_all_at(b"t", 4).unwrap();
        assert!(proof.holds(&file, &path).unwrap());
        file.set_len(3).unwrap();
        assert!(!proof.holds(&file, &path).unwrap(), "so does a cut");
    }

    #[test]
    fn the_last_event_line_is_found_and_compared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "torn fragment\n").unwrap();
        let file = File::open(&path).unwrap();
        assert_eq!(
            last_event_line_is(&file, &path, 0, None).unwrap(),
            Some(true)
        );
        assert_eq!(last_event_line_is(&file, &path, 14, None).unwrap(), None);
        assert_eq!(
            last_event_line_is(&file, &path, 5, None).unwrap(),
            Some(false)
        );
    }
}

//! The file store as a source and a target of `migrate` (`store::copy`):
//! its event and counter lines read as they are, and exact lines appended
//! under the writers' lock, synced, the chain checked first.

use std::fs::File;

use super::counter;
use super::stage::Output;
use super::{JsonlStore, OneShot, write_durably};
use crate::domain::line::{LineHash, hash_line, parse_counter_line};
use crate::error::{Error, Result};
use crate::log::files;
use crate::log::lines::{LineRef, LineSplitter};
use crate::store::WriterState;
use crate::store::copy::{Extent, LineCopy, check_chain};

/// Event lines handed over at once.
const BATCH: usize = 1000;

impl LineCopy for JsonlStore<OneShot> {
    fn extent(&mut self) -> Result<Extent> {
        let mut extent = Extent::default();
        each_line(&self.paths.events, |line| {
            if line.record().is_ok() {
                extent.events += 1;
                extent.last_hash = Some(hash_line(line.bytes));
            }
            Ok(true)
        })?;
        each_line(&self.paths.counter, |line| {
            extent.counters += u64::from(parse_counter_line(line.bytes).is_some());
            Ok(true)
        })?;
        Ok(extent)
    }

    fn event_line_hash(&mut self, n: u64) -> Result<Option<LineHash>> {
        let (mut seen, mut hash) = (0u64, None);
        each_line(&self.paths.events, |line| {
            if line.record().is_ok() {
                seen += 1;
                if seen == n {
                    hash = Some(hash_line(line.bytes));
                    return Ok(false);
                }
            }
            Ok(true)
        })?;
        Ok(hash)
    }

    fn event_lines(
        &mut self,
        skip: u64,
        each: &mut dyn FnMut(Vec<Vec<u8>>) -> Result<()>,
    ) -> Result<()> {
        let (mut seen, mut batch) = (0u64, Vec::with_capacity(BATCH));
        each_line(&self.paths.events, |line| {
            if line.record().is_ok() {
                seen += 1;
                if seen > skip {
                    batch.push(line.bytes.to_vec());
                }
                if batch.len() == BATCH {
                    each(std::mem::take(&mut batch))?;
                }
            }
            Ok(true)
        })?;
        if !batch.is_empty() {
            each(batch)?;
        }
        Ok(())
    }

    fn counter_lines(&mut self, skip: u64) -> Result<Vec<Vec<u8>>> {
        let (mut seen, mut lines) = (0u64, Vec::new());
        each_line(&self.paths.counter, |line| {
            if parse_counter_line(line.bytes).is_some() {
                seen += 1;
                if seen > skip {
                    lines.push(line.bytes.to_vec());
                }
            }
            Ok(true)
        })?;
        Ok(lines)
    }

    fn import_events(&mut self, lines: &[Vec<u8>]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        self.with_lock(None, |store| {
            let writer = store
                .writer
                .as_mut()
                .map_err(|why| Error::ReadOnly(why.clone()))?;
            let caught_up = store.state.catch_up(&writer.file, &store.paths)?;
            check_chain(caught_up.last_hash, lines)?;
            let mut bytes = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
            if caught_up.torn.is_some() {
                bytes.push(b'\n'); // the torn line stays, ended, as malformed
            }
            for line in lines {
                bytes.extend_from_slice(line);
                bytes.push(b'\n');
            }
            let output = Output {
                counter_lines: String::new(),
                bytes,
                start_len: caught_up.len,
                digests: Vec::new(),
            };
            if let Err(e) = write_durably(writer, &store.paths, &output) {
                store.state.forget();
                return Err(e);
            }
            store
                .state
                .written(&writer.file, &store.paths, &output.bytes, Vec::new())
        })
    }

    fn import_counters(&mut self, lines: &[Vec<u8>]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for line in lines {
            text.push_str(&String::from_utf8_lossy(line));
            text.push('\n');
        }
        let paths = self.paths.clone();
        self.with_lock(None, |_| counter::append_durably(&paths.counter, &text))
    }
}

/// Every complete line of `path` (none if it is missing), until `each`
/// says stop.
fn each_line(
    path: &std::path::Path,
    mut each: impl FnMut(&LineRef<'_>) -> Result<bool>,
) -> Result<()> {
    let Some(file): Option<File> = files::open_for_read(path)? else {
        return Ok(());
    };
    let len = file
        .metadata()
        .map_err(|e| Error::io("read", path, e))?
        .len();
    let mut splitter = LineSplitter::starting_at(0, 1);
    let (mut failed, mut stopped) = (None, false);
    files::read_range(&file, path, 0, len, &mut splitter, |line| {
        if stopped || failed.is_some() {
            return;
        }
        match each(&line) {
            Ok(go_on) => stopped = !go_on,
            Err(e) => failed = Some(e),
        }
    })?;
    failed.map_or(Ok(()), Err)
}

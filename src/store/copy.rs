//! Moving a tower between stores byte for byte (`control-tower migrate`):
//! every event line and counter line of the source that the target does
//! not hold yet is appended to it, exactly as it was written, so the hash
//! chain and `audit` are the same on both sides. Resumable and idempotent:
//! the target's lines must be a prefix of the source's (proved by the hash
//! of its last event line), and only what follows is copied.

use crate::domain::line::{LineHash, hash_line};
use crate::error::{Error, Result};

/// How much of a tower a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extent {
    /// Well-formed event lines.
    pub events: u64,
    /// The hash of the last of them.
    pub last_hash: Option<LineHash>,
    /// Counter lines.
    pub counters: u64,
}

/// A store a tower can be copied out of and into.
pub trait LineCopy {
    fn extent(&mut self) -> Result<Extent>;

    /// The hash of the `n`th event line (1-based), if there are that many.
    fn event_line_hash(&mut self, n: u64) -> Result<Option<LineHash>>;

    /// The event lines after the first `skip`, in order, in batches.
    fn event_lines(
        &mut self,
        skip: u64,
        each: &mut dyn FnMut(Vec<Vec<u8>>) -> Result<()>,
    ) -> Result<()>;

    /// The counter lines after the first `skip`, in order.
    fn counter_lines(&mut self, skip: u64) -> Result<Vec<Vec<u8>>>;

    /// Appends these exact event lines; the first must continue the chain.
    fn import_events(&mut self, lines: &[Vec<u8>]) -> Result<()>;

    /// Appends these exact counter lines.
    fn import_counters(&mut self, lines: &[Vec<u8>]) -> Result<()>;
}

/// What a copy did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Copied {
    pub events: u64,
    pub counters: u64,
    /// Events the target held already.
    pub already: u64,
}

/// Copies what `to` lacks of `from`; `progress` hears (copied, to copy).
pub fn copy(
    from: &mut dyn LineCopy,
    to: &mut dyn LineCopy,
    mut progress: impl FnMut(u64, u64),
) -> Result<Copied> {
    let source = from.extent()?;
    let target = to.extent()?;
    if target.events > source.events {
        return Err(diverged(format!(
            "the target holds {} events, more than the source's {}",
            target.events, source.events
        )));
    }
    if target.events > 0 && from.event_line_hash(target.events)? != target.last_hash {
        return Err(diverged(format!(
            "its event {} is not the source's event {}",
            target.events, target.events
        )));
    }
    // The target's counter lines must be the source's first ones too.
    let counters = from.counter_lines(0)?;
    let held = to.counter_lines(0)?;
    if !counters.starts_with(&held) {
        return Err(diverged(format!(
            "its {} counter lines are not the source's first {}",
            held.len(),
            held.len()
        )));
    }
    // Counter lines first, as a writer does: an ID is never in an event
    // line before it is in the counter log.
    let counters = &counters[held.len()..];
    to.import_counters(counters)?;
    let to_copy = source.events - target.events;
    let mut copied = 0u64;
    from.event_lines(target.events, &mut |batch| {
        to.import_events(&batch)?;
        copied += batch.len() as u64;
        progress(copied, to_copy);
        Ok(())
    })?;
    Ok(Copied {
        events: copied,
        counters: counters.len() as u64,
        already: target.events,
    })
}

fn diverged(detail: String) -> Error {
    Error::Usage(format!(
        "the target is not a copy of the source so far ({detail}): nothing copied"
    ))
}

/// Checks that `lines` continue the chain after `last`; returns the hash
/// of the last of them. Lines without a `prev_hash` (older tools) pass.
pub fn check_chain(last: Option<LineHash>, lines: &[Vec<u8>]) -> Result<Option<LineHash>> {
    let mut last = last;
    for line in lines {
        let record = crate::domain::line::parse_line(line)
            .map_err(|e| Error::Usage(format!("a line to import is not an event: {e}")))?;
        if let Some(prev) = record.prev_hash
            && Some(prev) != last
            && !(last.is_none() && prev == crate::domain::line::GENESIS_HASH)
        {
            return Err(diverged(format!(
                "the line of {} seq {} does not continue the target's hash chain",
                record.shipment_id, record.event_seq
            )));
        }
        last = Some(hash_line(line));
    }
    Ok(last)
}

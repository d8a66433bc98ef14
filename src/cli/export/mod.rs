//! `control-tower export [--where Q] [--from WHEN] [--to WHEN] [--as-of WHEN]
//! [--format csv|jsonl] [--output FILE]`: full timelines for compliance,
//! one row per event, streamed from the store's `read_all` in bounded
//! memory (one event at a time). `--where` first reads the log into an
//! index, as `list --where` does, to find the matching shipments; only
//! their IDs are kept while the rows stream.

mod rows;
mod sink;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::output::warn;
use super::{Context, matching_at};
use crate::domain::{ShipmentId, Timestamp};
use crate::error::{Error, Result};
use crate::read::as_of::{AsOf, Cutoff, DayEdge};
use crate::read::query::Query;
use crate::store::{EventStore, Location, Position};
pub use sink::Format;
use sink::{Progress, Sink};

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Only the shipments matching the query Q (as `list --where`), e.g. 'vehicle:TRK-5916 -state:DELIVERED'
    #[arg(long = "where", value_name = "Q", allow_hyphen_values = true)]
    pub query: Option<String>,
    /// Only events at or after WHEN: event:N (the Nth event on), an RFC 3339 time, or a date (its start)
    #[arg(long, value_name = "WHEN", value_parser = parse_from)]
    pub from: Option<AsOf>,
    /// Only events up to WHEN: event:N (up to the Nth event), an RFC 3339 time, or a date (its end)
    #[arg(long, value_name = "WHEN")]
    pub to: Option<AsOf>,
    /// The log as it stood then: event:N, an RFC 3339 time, or a date (its end)
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<AsOf>,
    /// csv (RFC 4180, UTF-8, formula-like cells defused) or jsonl
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Write here (atomically: a temporary file, then a rename) instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn parse_from(text: &str) -> Result<AsOf> {
    AsOf::parse(text, DayEdge::Start)
}

/// Which events of the log an export keeps, by their number (1-based, in
/// log order) and time; both bounds included.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    from: Option<AsOf>,
    to: Option<AsOf>,
}

impl Window {
    fn admits(&self, number: u64, at: Timestamp) -> bool {
        let after_from = match self.from {
            None => true,
            Some(AsOf::Event(n)) => number >= n,
            Some(AsOf::Time(t)) => at >= t,
        };
        let before_to = match self.to {
            None => true,
            Some(AsOf::Event(n)) => number <= n,
            Some(AsOf::Time(t)) => at <= t,
        };
        after_from && before_to
    }
}

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<ExitCode> {
    if let Some(output) = &args.output {
        refuse_the_log_itself(&ctx.location, output)?;
    }
    let only = match &args.query {
        Some(text) => Some(matching(ctx, text, args.as_of)?),
        None => None,
    };
    let window = Window {
        from: args.from,
        to: args.to,
    };
    let mut store = ctx.reader()?;
    let mut progress = Progress::new(read_size(&ctx.location, store.as_mut())?);
    let mut sink = Sink::open(args.output.as_deref(), args.format)?;
    let mut cutoff = args.as_of.map(Cutoff::new);
    let mut number = 0u64;
    store.read_all(Position::START, &mut |recorded| {
        let event = &recorded.event;
        if let Some(cutoff) = cutoff.as_mut()
            && !cutoff.admits_at(event.timestamp)
        {
            return Ok(());
        }
        number += 1;
        let wanted = only
            .as_ref()
            .is_none_or(|ids| ids.contains(&event.shipment_id));
        if wanted && window.admits(number, event.timestamp) {
            sink.write(event)?;
        }
        progress.update(recorded.position.0, sink.rows);
        Ok(())
    })?;
    let rows = sink.rows;
    sink.finish()?;
    progress.finish(rows);
    if let Some(cutoff) = cutoff {
        warn(format_args!("{}", cutoff.moment()));
    }
    Ok(ExitCode::SUCCESS)
}

/// The shipments matching `text` as the log stood at `as_of`; a malformed
/// query fails before anything is read.
fn matching(ctx: &Context, text: &str, as_of: Option<AsOf>) -> Result<BTreeSet<ShipmentId>> {
    Query::parse(text)?;
    let (index, moment) = ctx.fast_index_at(as_of)?;
    matching_at(&index, moment.as_ref(), text)
}

/// How far the read goes, in the units of the store's positions: the
/// file's length in bytes, or a database's event count.
fn read_size(location: &Location, store: &mut dyn EventStore) -> Result<u64> {
    match location.paths() {
        Some(paths) => Ok(std::fs::metadata(&paths.events)
            .map(|m| m.len())
            .unwrap_or(0)),
        None => Ok(store.head()?.count),
    }
}

/// `--output` naming the event log or its counter would replace the
/// tower's history with its own export.
fn refuse_the_log_itself(location: &Location, output: &Path) -> Result<()> {
    let Some(paths) = location.paths() else {
        return Ok(());
    };
    let Ok(target) = output.canonicalize() else {
        return Ok(()); // a new file is no log
    };
    for log in [&paths.events, &paths.counter] {
        if log.canonicalize().is_ok_and(|log| log == target) {
            return Err(Error::Usage(format!(
                "--output {} is the tower's own log; name another file",
                output.display()
            )));
        }
    }
    Ok(())
}

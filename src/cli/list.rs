//! `control-tower list [--state S]`: shipments, newest activity first.

use std::process::ExitCode;

use clap::Args;

use super::output::{self, Out};
use super::{Context, parse_event_type};
use crate::domain::EventType;
use crate::error::Result;
use crate::read::as_of::AsOf;
use crate::read::index::LogIndex;

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only shipments whose current state is S, e.g. IN_TRANSIT
    #[arg(long, value_name = "S", value_parser = parse_event_type)]
    pub state: Option<EventType>,
    /// Print the reconstructed states (with their full histories) as a JSON array
    #[arg(long)]
    pub json: bool,
    /// The answer as the log stood then: event:N, an RFC 3339 time, or a date (its end)
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<AsOf>,
}

pub fn run(ctx: &Context, args: &ListArgs) -> Result<ExitCode> {
    let index = ctx.index_as_of(args.as_of, args.json)?;
    let mut out = Out::new();
    if args.json {
        print_states(&index, args.state, &mut out)?;
        out.finish()?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = index
        .projection()
        .newest_first(args.state)
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                s.state.to_string(),
                format!(
                    "{} -> {}",
                    output::cell(&s.details.source, 40),
                    output::cell(&s.details.destination, 40)
                ),
                s.details.weight_text(),
                output::cell(&s.details.delivery_type, 12),
                s.event_count.to_string(),
                s.last_updated.to_string(),
            ]
        })
        .collect();
    out.table(
        &[
            "ID",
            "STATE",
            "ROUTE",
            "KG",
            "TYPE",
            "EVENTS",
            "LAST UPDATED",
        ],
        &rows,
    )?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// The same pretty JSON array as serializing every state at once, written
/// one state at a time so memory stays that of one shipment (issue 7 item 15).
fn print_states(index: &LogIndex, state: Option<EventType>, out: &mut Out) -> Result<()> {
    let mut first = true;
    index.for_each_state(state, |s| {
        out.text(if first { "[\n" } else { ",\n" })?;
        first = false;
        let text = output::pretty_json(&s)?;
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.text("\n")?;
            }
            out.text("  ")?;
            out.text(line)?;
        }
        Ok(())
    })?;
    out.line(if first { "[]" } else { "\n]" })
}

//! `control-tower list [--state S] [--where Q]`: shipments, newest
//! activity first; `--where` takes the search language (`read::query`).

use std::process::ExitCode;

use clap::Args;

use super::output::{self, Out};
use super::{Context, matching_at, parse_event_type, say_moment};
use crate::domain::EventType;
use crate::error::Result;
use crate::read::as_of::AsOf;
use crate::read::index::LogIndex;
use crate::read::projection::ShipmentSummary;
use crate::read::query::Query;

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only shipments whose current state is S, e.g. IN_TRANSIT
    #[arg(long, value_name = "S", value_parser = parse_event_type)]
    pub state: Option<EventType>,
    /// Only shipments matching the query Q, e.g. 'vehicle:TRK-5916 -state:DELIVERED weight>500' (see README, "Search")
    #[arg(long = "where", value_name = "Q", allow_hyphen_values = true)]
    pub query: Option<String>,
    /// Print the reconstructed states (with their full histories) as a JSON array
    #[arg(long)]
    pub json: bool,
    /// The answer as the log stood then: event:N, an RFC 3339 time, or a date (its end)
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<AsOf>,
}

pub fn run(ctx: &Context, args: &ListArgs) -> Result<ExitCode> {
    // A malformed query fails before anything is read or printed.
    if let Some(text) = &args.query {
        Query::parse(text)?;
    }
    let (index, moment) = ctx.fast_index_at(args.as_of)?;
    let only = match &args.query {
        None => None,
        Some(text) => Some(matching_at(&index, moment.as_ref(), text)?),
    };
    if let Some(moment) = moment {
        say_moment(&moment, args.json)?;
    }
    let keep = |s: &ShipmentSummary| only.as_ref().is_none_or(|ids| ids.contains(&s.id));
    let mut out = Out::new();
    if args.json {
        print_states(&index, args.state, &keep, &mut out)?;
        out.finish()?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = index
        .projection()
        .newest_first(args.state)
        .into_iter()
        .filter(|s| keep(s))
        .map(|s| row(s, &ctx.zone))
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

fn row(s: &ShipmentSummary, zone: &crate::domain::Zone) -> Vec<String> {
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
        zone.date_time_ms(s.last_updated.instant()),
    ]
}

/// The same pretty JSON array as serializing every state at once, written
/// one state at a time so memory stays that of one shipment (issue 7 item 15).
fn print_states(
    index: &LogIndex,
    state: Option<EventType>,
    keep: &dyn Fn(&ShipmentSummary) -> bool,
    out: &mut Out,
) -> Result<()> {
    let mut first = true;
    index.for_each_state_where(state, keep, |s| {
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

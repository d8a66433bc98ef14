//! `control-tower show ID`: one shipment's state and history, found by
//! byte search so it is quick on a log of any size.

use std::process::ExitCode;

use clap::Args;

use super::output::{self, Out};
use super::{Context, parse_id};
use crate::domain::ShipmentId;
use crate::error::{Error, Result};
use crate::read::as_of::AsOf;
use crate::read::state::ShipmentState;

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The shipment: SHP-0000000042, or just its number (42)
    #[arg(value_parser = parse_id)]
    pub id: ShipmentId,
    /// Print the reconstructed state (with the full history) as JSON
    #[arg(long)]
    pub json: bool,
    /// The answer as the log stood then: event:N, an RFC 3339 time, or a date (its end)
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<AsOf>,
}

pub fn run(ctx: &Context, args: &ShowArgs) -> Result<ExitCode> {
    let events = match args.as_of {
        // The shipment's events among the first of the log, read back.
        Some(as_of) => match ctx.index_as_of(Some(as_of), args.json)?.history(args.id) {
            Err(Error::UnknownShipment(_)) => Vec::new(),
            other => other?,
        },
        None => ctx.reader()?.read_shipment(args.id)?,
    };
    let state = ShipmentState::from_events(events).ok_or(Error::UnknownShipment(args.id))?;
    let mut out = Out::new();
    if args.json {
        out.json(&state)?;
        return out.finish().map(|()| ExitCode::SUCCESS);
    }
    let details = state.details();
    out.line(format_args!(
        "{}  {}",
        state.shipment_id, state.current_state
    ))?;
    out.line(format_args!(
        "  {} -> {}  {} kg  {}",
        output::cell(&details.source, 60),
        output::cell(&details.destination, 60),
        details.weight_text(),
        output::cell(&details.delivery_type, 20)
    ))?;
    out.line(format_args!(
        "  created {}  last updated {}  {} events",
        ctx.zone.date_time_ms(state.created_at.instant()),
        ctx.zone.date_time_ms(state.last_updated.instant()),
        state.event_count
    ))?;
    out.line("")?;
    let rows: Vec<Vec<String>> = state
        .full_history
        .iter()
        .map(|e| {
            vec![
                e.event_seq.to_string(),
                ctx.zone.date_time_ms(e.timestamp.instant()),
                e.event_type.to_string(),
                e.actor.to_string(),
                output::cell(e.operator.as_deref().unwrap_or("-"), 24),
                output::cell(&serde_json::to_string(&e.payload).unwrap_or_default(), 100),
            ]
        })
        .collect();
    out.table(
        &["SEQ", "TIME", "EVENT", "ACTOR", "OPERATOR", "PAYLOAD"],
        &rows,
    )?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

//! `control-tower events [--shipment ID] [--follow]`: every valid event as
//! one JSON line; with `--follow`, keeps printing what any process appends.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::{Context, parse_id};
use crate::domain::ShipmentId;
use crate::error::Result;
use crate::log::watch::FALLBACK_POLL;
use crate::store::{EventStore, JsonlStore, Position};

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Only this shipment's events: SHP-0000000042, or just its number (42)
    #[arg(long, value_name = "ID", value_parser = parse_id)]
    pub shipment: Option<ShipmentId>,
    /// Keep streaming events as they are appended (Ctrl-C to stop)
    #[arg(long)]
    pub follow: bool,
}

pub fn run(ctx: &Context, args: &EventsArgs) -> Result<ExitCode> {
    let mut events = JsonlStore::reader(&ctx.paths).subscribe(Position::START)?;
    let stdout = std::io::stdout();
    loop {
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut write_error = None;
        let polled = events.poll_events(&mut |recorded| {
            let event = recorded.event;
            if write_error.is_some() || args.shipment.is_some_and(|id| id != event.shipment_id) {
                return;
            }
            if let Some(text) = super::output::json_line(&event)
                && let Err(e) = writeln!(out, "{text}")
            {
                write_error = Some(e);
            }
        })?;
        if let Some(reason) = polled.reset {
            super::output::warn(format_args!(
                "warning: {}; reading it again from the start",
                crate::text::inert(&reason, 300)
            ));
        }
        if let Some(e) = write_error.or_else(|| out.flush().err()) {
            return Err(super::output::write_error(e));
        }
        drop(out);
        if !args.follow {
            return Ok(ExitCode::SUCCESS);
        }
        events.wait(FALLBACK_POLL);
    }
}

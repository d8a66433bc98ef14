//! `control-tower events [--shipment ID] [--follow]`: every valid event as
//! one JSON line; with `--follow`, keeps printing what any process appends.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::{Context, parse_id};
use crate::domain::{Event, ShipmentId};
use crate::error::Result;
use crate::log::watch::FALLBACK_POLL;
use crate::store::Position;

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Only this shipment's events: SHP-0000000042, or just its number (42)
    #[arg(long, value_name = "ID", value_parser = parse_id)]
    pub shipment: Option<ShipmentId>,
    /// Keep streaming events as they are appended (Ctrl-C to stop)
    #[arg(long)]
    pub follow: bool,
}

/// Reads everything there is (`read_all`), then, with `--follow`,
/// subscribes from where that read ended, so no event is missed or repeated.
pub fn run(ctx: &Context, args: &EventsArgs) -> Result<ExitCode> {
    let mut store = ctx.reader()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let end = store.read_all(Position::START, &mut |recorded| {
        print(&mut out, args, &recorded.event)
    })?;
    out.flush().map_err(super::output::write_error)?;
    drop(out);
    if !args.follow {
        return Ok(ExitCode::SUCCESS);
    }
    let mut live = store.subscribe(end)?;
    loop {
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut failed = None;
        let polled = live.poll_events(&mut |recorded| {
            if failed.is_none() {
                failed = print(&mut out, args, &recorded.event).err();
            }
        })?;
        if let Some(reason) = polled.reset {
            super::output::warn(format_args!(
                "warning: {}; reading it again from the start",
                crate::text::inert(&reason, 300)
            ));
        }
        if let Some(e) = failed {
            return Err(e);
        }
        out.flush().map_err(super::output::write_error)?;
        drop(out);
        live.wait(FALLBACK_POLL);
    }
}

/// One event as a JSON line, if it is one `args` asks for.
fn print(out: &mut impl Write, args: &EventsArgs, event: &Event) -> Result<()> {
    if args.shipment.is_some_and(|id| id != event.shipment_id) {
        return Ok(());
    }
    match super::output::json_line(event) {
        Some(text) => writeln!(out, "{text}").map_err(super::output::write_error),
        None => Ok(()),
    }
}

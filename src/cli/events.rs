//! `control-tower events [--shipment ID] [--follow]`: every valid event as
//! one JSON line; with `--follow`, keeps printing what any process appends.

use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc;

use clap::Args;

use super::{Context, parse_id};
use crate::domain::ShipmentId;
use crate::error::Result;
use crate::log::tail::{LogTailer, TailPoll};
use crate::log::watch::{FALLBACK_POLL, LogWatcher};

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
    let mut tailer = LogTailer::new(&ctx.paths.events);
    let (wake, woken) = mpsc::channel();
    let _watcher = args.follow.then(|| {
        LogWatcher::start(&ctx.paths, move || {
            let _ = wake.send(());
        })
    });
    let stdout = std::io::stdout();
    loop {
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut write_error = None;
        let poll = tailer.poll(|line| {
            let Ok(record) = line.record() else {
                return;
            };
            if args.shipment.is_some_and(|id| id != record.shipment_id) {
                return;
            }
            if let Some(text) = super::output::json_line(&record.to_event())
                && let Err(e) = writeln!(out, "{text}")
            {
                write_error.get_or_insert(e);
            }
        })?;
        if let TailPoll::Reset { reason } = poll {
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
        if woken.recv_timeout(FALLBACK_POLL).is_ok() {
            while woken.try_recv().is_ok() {}
        }
    }
}

//! `control-tower simulate --shipments N [--rate R] [--seed S]`: drives
//! shipments through realistic lifecycles; prints each event once appended.

use std::process::ExitCode;

use clap::Args;

use super::Context;
use super::output::{self, Out};
use crate::error::Result;
use crate::sim::{Simulation, SimulationConfig};

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// How many shipments to create and drive to the end
    #[arg(long)]
    pub shipments: u64,
    /// Events per second (0: as fast as possible)
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Seed for a repeatable run
    #[arg(long)]
    pub seed: Option<u64>,
}

pub fn run(ctx: &Context, args: &SimulateArgs) -> Result<ExitCode> {
    super::settings::check_rate(args.rate)?;
    let mut store = crate::read::log::long_writer(&ctx.location, &ctx.who, ctx.lock_timeout)?;
    let config = SimulationConfig {
        shipments: Some(args.shipments),
        rate: args.rate,
        seed: args.seed.unwrap_or_else(crate::sim::seed_from_clock),
        ..SimulationConfig::default()
    };
    let mut sim = Simulation::new(config);
    let mut out = Out::new();
    let mut unprinted = None;
    let stats = sim.run(&mut *store, |appended| {
        let e = &appended.event;
        // Printed only after the append returned: a line here is durable.
        let printed = out
            .line(format_args!(
                "{} {} {} {}",
                e.shipment_id, e.event_seq, e.event_type, e.actor
            ))
            .and_then(|()| out.flush());
        match printed {
            Ok(()) => true,
            Err(error) => {
                unprinted = Some(output::not_printed(e, error));
                false
            }
        }
    })?;
    if let Some(error) = unprinted {
        return Err(error);
    }
    output::warn(format_args!(
        "simulated {} events on {} shipments ({} conflicts with other writers)",
        stats.events, stats.created, stats.conflicts
    ));
    Ok(ExitCode::SUCCESS)
}

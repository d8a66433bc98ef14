//! `control-tower show ID`: one shipment's state and history, found by
//! byte search so it is quick on a log of any size.

use clap::Args;

use super::{Context, output, parse_id};
use crate::domain::ShipmentId;
use crate::error::{Error, Result};
use crate::state::ShipmentState;
use crate::store::jsonl::read_shipment_events;

#[derive(Args, Debug)]
pub struct ShowArgs {
    #[arg(value_parser = parse_id)]
    pub id: ShipmentId,
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &ShowArgs) -> Result<i32> {
    let events = read_shipment_events(&ctx.paths, args.id)?;
    let state = ShipmentState::from_events(events).ok_or(Error::UnknownShipment(args.id))?;
    if args.json {
        output::print_json(&state)?;
        return Ok(0);
    }
    let p = &state.current_payload;
    let field = |k: &str| {
        p.get(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default()
    };
    println!("{}  {}", state.shipment_id, state.current_state);
    println!(
        "  {} -> {}  {} kg  {}",
        output::cell(&field("source"), 60),
        output::cell(&field("destination"), 60),
        output::cell(&field("weight_kg"), 20),
        output::cell(&field("delivery_type"), 20)
    );
    println!(
        "  created {}  last updated {}  {} events",
        state.created_at, state.last_updated, state.event_count
    );
    println!();
    let rows: Vec<Vec<String>> = state
        .full_history
        .iter()
        .map(|e| {
            vec![
                e.event_seq.to_string(),
                e.timestamp.to_string(),
                e.event_type.to_string(),
                e.actor.to_string(),
                output::cell(e.operator.as_deref().unwrap_or("-"), 24),
                output::cell(&serde_json::to_string(&e.payload).unwrap_or_default(), 100),
            ]
        })
        .collect();
    output::print_table(
        &["SEQ", "TIME", "EVENT", "ACTOR", "OPERATOR", "PAYLOAD"],
        &rows,
    );
    Ok(0)
}

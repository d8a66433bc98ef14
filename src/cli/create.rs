//! `control-tower create`: a new shipment; prints its ID.

use clap::Args;
use serde_json::Value;

use super::{Context, output, parse_set, payload_from_sets};
use crate::domain::payload::created_payload;
use crate::error::Result;
use crate::store::{AppendRequest, EventStore, JsonlStore};

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[arg(long)]
    pub source: String,
    #[arg(long)]
    pub destination: String,
    #[arg(long, allow_negative_numbers = true)]
    pub weight_kg: f64,
    /// STANDARD, EXPRESS or SAME_DAY
    #[arg(long)]
    pub delivery_type: String,
    /// Extra payload key (VALUE read as JSON when it parses, else text)
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, Value)>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &CreateArgs) -> Result<i32> {
    let payload = created_payload(
        &args.source,
        &args.destination,
        args.weight_kg,
        &args.delivery_type,
        payload_from_sets(&args.set),
    );
    let mut store = JsonlStore::open(&ctx.paths, &ctx.operator())?;
    store.set_lock_timeout(ctx.lock_timeout);
    let appended = store.append(&AppendRequest::create(payload))?;
    if args.json {
        output::print_json(&appended.event)?;
    } else {
        println!("{}", appended.event.shipment_id);
    }
    Ok(0)
}

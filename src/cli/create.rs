//! `control-tower create`: a new shipment; prints its ID.

use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use super::output::{self, Out};
use super::{Context, parse_set, payload_from_sets};
use crate::domain::payload::created_payload;
use crate::error::Result;
use crate::store::AppendRequest;

/// The payload keys `create` has its own flags for: `--set` may not repeat them.
const OWNED_KEYS: [(&str, &str); 4] = [
    ("source", "--source"),
    ("destination", "--destination"),
    ("weight_kg", "--weight-kg"),
    ("delivery_type", "--delivery-type"),
];

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Where the shipment starts, e.g. "Mumbai, Maharashtra" (1 to 200 characters)
    #[arg(long, value_name = "PLACE")]
    pub source: String,
    /// Where it goes, e.g. "Delhi, Delhi" (1 to 200 characters)
    #[arg(long, value_name = "PLACE")]
    pub destination: String,
    /// Weight in kilograms: more than 0, at most 100000
    #[arg(long, value_name = "KG", allow_negative_numbers = true)]
    pub weight_kg: f64,
    /// STANDARD, EXPRESS or SAME_DAY
    #[arg(long, value_name = "TYPE")]
    pub delivery_type: String,
    /// Extra payload key, once each (VALUE read as JSON when it parses, else
    /// text); not one of the fields above
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, Value)>,
    /// Print the whole new event as JSON instead of its ID
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &CreateArgs) -> Result<ExitCode> {
    let payload = created_payload(
        &args.source,
        &args.destination,
        args.weight_kg,
        &args.delivery_type,
        payload_from_sets(&args.set, &OWNED_KEYS)?,
    );
    let mut store = ctx.writer()?;
    let appended = store.append_request(&AppendRequest::create(payload))?;
    let event = &appended.event;
    let mut out = Out::new();
    let printed = if args.json {
        out.json(event)
    } else {
        out.line(event.shipment_id)
    };
    printed
        .and_then(|()| out.finish())
        .map_err(|e| output::not_printed(event, e))?;
    Ok(ExitCode::SUCCESS)
}

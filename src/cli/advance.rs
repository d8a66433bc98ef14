//! `control-tower advance ID EVENT_TYPE --actor ACTOR`: append one event.

use clap::Args;
use serde_json::Value;

use super::{
    Context, output, parse_actor, parse_event_type, parse_id, parse_set, payload_from_sets,
};
use crate::domain::{Actor, EventType, ShipmentId};
use crate::error::Result;
use crate::store::{AppendRequest, EventStore, JsonlStore};

#[derive(Args, Debug)]
pub struct AdvanceArgs {
    #[arg(value_parser = parse_id)]
    pub id: ShipmentId,
    /// Event type, by name (case-insensitive)
    #[arg(value_parser = parse_event_type)]
    pub event_type: EventType,
    #[arg(long, value_parser = parse_actor)]
    pub actor: Actor,
    /// Refuse (conflict) unless the shipment's last event_seq is N
    #[arg(long, value_name = "N")]
    pub expect_seq: Option<u32>,
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, Value)>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &AdvanceArgs) -> Result<i32> {
    let mut request = AppendRequest::advance(
        args.id,
        args.event_type,
        args.actor,
        payload_from_sets(&args.set),
    );
    request.expected_seq = args.expect_seq;
    let mut store = JsonlStore::open(&ctx.paths, &ctx.operator())?;
    store.set_lock_timeout(ctx.lock_timeout);
    let appended = store.append(&request)?;
    let e = &appended.event;
    if args.json {
        output::print_json(e)?;
    } else {
        println!(
            "{} seq {} {} by {} ({}) at {}",
            e.shipment_id,
            e.event_seq,
            e.event_type,
            e.actor,
            output::cell(e.operator.as_deref().unwrap_or(""), 64),
            e.timestamp
        );
    }
    Ok(0)
}

//! `control-tower advance ID EVENT_TYPE --actor ACTOR`: append one event.

use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use super::output::{self, Out};
use super::{Context, parse_actor, parse_event_type, parse_id, parse_set, payload_from_sets};
use crate::domain::{Actor, EventType, ShipmentId};
use crate::error::Result;
use crate::store::{ExpectedSeq, NewEvent, Target};

#[derive(Args, Debug)]
pub struct AdvanceArgs {
    /// The shipment: SHP-0000000042, or just its number (42)
    #[arg(value_parser = parse_id)]
    pub id: ShipmentId,
    /// The event to append, by name (case-insensitive), e.g. MANAGER_APPROVED
    #[arg(value_parser = parse_event_type)]
    pub event_type: EventType,
    /// The role acting, e.g. SENDER_MANAGER (it must be allowed to append the event)
    #[arg(long, value_parser = parse_actor)]
    pub actor: Actor,
    /// Why (required for HOLD_FOR_REVIEW, OVERRIDE_APPLIED and CANCELLED);
    /// the same as --set reason=TEXT
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Refuse (conflict) unless the shipment's last event_seq is N
    #[arg(long, value_name = "N")]
    pub expect_seq: Option<u32>,
    /// Payload key, once each (VALUE read as JSON when it parses, else text);
    /// source, destination, weight_kg and delivery_type must be valid values
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, Value)>,
    /// Print the new event as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &AdvanceArgs) -> Result<ExitCode> {
    let owned: &[(&str, &str)] = if args.reason.is_some() {
        &[("reason", "--reason")]
    } else {
        &[]
    };
    let mut payload = payload_from_sets(&args.set, owned)?;
    if let Some(reason) = &args.reason {
        payload.insert("reason".into(), Value::from(reason.trim()));
    }
    let expected = args
        .expect_seq
        .map_or(ExpectedSeq::Any, ExpectedSeq::Exactly);
    let event = NewEvent {
        event_type: args.event_type,
        actor: args.actor,
        payload,
    };
    let mut store = ctx.writer()?;
    let appended = store.append(Target::Existing(args.id), expected, event)?;
    let e = &appended.event;
    let mut out = Out::new();
    let printed = if args.json {
        out.json(e)
    } else {
        out.line(format_args!(
            "{} seq {} {} by {} ({}) at {}",
            e.shipment_id,
            e.event_seq,
            e.event_type,
            e.actor,
            output::cell(e.operator.as_deref().unwrap_or(""), 64),
            e.timestamp
        ))
    };
    printed
        .and_then(|()| out.finish())
        .map_err(|err| output::not_printed(e, err))?;
    Ok(ExitCode::SUCCESS)
}

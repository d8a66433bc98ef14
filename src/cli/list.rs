//! `control-tower list [--state S]`: shipments, newest activity first.

use clap::Args;

use super::{Context, output, parse_event_type};
use crate::domain::EventType;
use crate::error::Result;
use crate::index::LogIndex;

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only shipments whose current state is S
    #[arg(long, value_parser = parse_event_type)]
    pub state: Option<EventType>,
    /// Print the reconstructed states as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &ListArgs) -> Result<i32> {
    let index = LogIndex::load(&ctx.paths)?;
    if args.json {
        output::print_json(&index.states_in(args.state)?)?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = index
        .projection()
        .newest_first(args.state)
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                s.state.to_string(),
                format!(
                    "{} -> {}",
                    output::cell(&s.source, 40),
                    output::cell(&s.destination, 40)
                ),
                s.weight_kg.map(|w| format!("{w}")).unwrap_or_default(),
                output::cell(&s.delivery_type, 12),
                s.event_count.to_string(),
                s.last_updated.to_string(),
            ]
        })
        .collect();
    output::print_table(
        &[
            "ID",
            "STATE",
            "ROUTE",
            "KG",
            "TYPE",
            "EVENTS",
            "LAST UPDATED",
        ],
        &rows,
    );
    Ok(0)
}

//! `control-tower audit`: the seed's audit report.

use super::{Context, output};
use crate::error::Result;
use crate::index::LogIndex;

pub fn run(ctx: &Context, json: bool) -> Result<i32> {
    let report = LogIndex::load(&ctx.paths)?.audit_report();
    if json {
        output::print_json(&report)?;
        return Ok(0);
    }
    println!("Log:             {}", ctx.paths.events.display());
    println!(
        "Integrity:       {}{}",
        report.log_integrity,
        report.health.map(|h| format!(" ({h})")).unwrap_or_default()
    );
    println!("Events:          {}", report.total_events);
    println!("Shipments:       {}", report.total_shipments);
    println!(
        "First event:     {}",
        report
            .first_event_time
            .map(|t| t.to_string())
            .unwrap_or_else(|| "-".into())
    );
    println!(
        "Last event:      {}",
        report
            .last_event_time
            .map(|t| t.to_string())
            .unwrap_or_else(|| "-".into())
    );
    println!("Head hash:       {}", report.head_hash);
    let section = |title: &str, rows: Vec<(String, u64)>| {
        println!("\n{title}");
        for (name, n) in rows {
            println!("  {name:<24}{n:>10}");
        }
    };
    section(
        "Current states",
        report
            .current_state_distribution
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
    );
    section(
        "Event types",
        report
            .event_type_distribution
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
    );
    section(
        "Actors",
        report
            .actor_distribution
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
    );
    for (title, list) in [
        ("Errors", &report.integrity_errors),
        ("Warnings", &report.warnings),
    ] {
        if !list.is_empty() {
            println!("\n{title} ({})", list.len());
            for message in list {
                println!("  {}", output::cell(message, 300));
            }
        }
    }
    Ok(0)
}

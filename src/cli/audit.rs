//! `control-tower audit`: the seed's audit report.

use std::process::ExitCode;

use super::Context;
use super::output::{self, Out};
use crate::error::Result;

pub fn run(ctx: &Context, json: bool) -> Result<ExitCode> {
    let report = ctx.index()?.audit_report();
    let mut out = Out::new();
    if json {
        out.json(&report)?;
        out.finish()?;
        return Ok(ExitCode::SUCCESS);
    }
    let time =
        |t: Option<crate::domain::Timestamp>| t.map_or_else(|| "-".into(), |t| t.to_string());
    out.line(format_args!(
        "Log:             {}",
        output::cell(&ctx.location.log_name(), 300)
    ))?;
    out.line(format_args!(
        "Integrity:       {}{}",
        report.log_integrity,
        report.health.map(|h| format!(" ({h})")).unwrap_or_default()
    ))?;
    out.line(format_args!("Events:          {}", report.total_events))?;
    out.line(format_args!("Shipments:       {}", report.total_shipments))?;
    out.line(format_args!(
        "First event:     {}",
        time(report.first_event_time)
    ))?;
    out.line(format_args!(
        "Last event:      {}",
        time(report.last_event_time)
    ))?;
    out.line(format_args!("Head hash:       {}", report.head_hash))?;
    let mut section = |title: &str, rows: Vec<(String, u64)>| -> Result<()> {
        out.line(format_args!("\n{title}"))?;
        for (name, n) in rows {
            out.line(format_args!("  {name:<24}{n:>10}"))?;
        }
        Ok(())
    };
    section(
        "Current states",
        report
            .current_state_distribution
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
    )?;
    section(
        "Event types",
        report
            .event_type_distribution
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
    )?;
    section(
        "Actors",
        report
            .actor_distribution
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
    )?;
    for (title, list) in [
        ("Errors", &report.integrity_errors),
        ("Warnings", &report.warnings),
    ] {
        if !list.is_empty() {
            out.line(format_args!("\n{title} ({})", list.len()))?;
            for message in list {
                out.line(format_args!("  {}", output::cell(message, 300)))?;
            }
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

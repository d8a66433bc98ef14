//! `control-tower audit`: the seed's audit report, with the head (`N:HASH`,
//! see `read::heads`); `--record-head FILE` appends the head to FILE.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::Context;
use super::output::{self, Out};
use crate::error::{Error, Result};
use crate::read::as_of::AsOf;
use crate::read::audit::AuditReport;
use crate::read::heads::Head;

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Append the head (N:HASH, with when and where) to FILE, for `verify --heads FILE`
    #[arg(long, value_name = "FILE")]
    pub record_head: Option<PathBuf>,
    /// The answer as the log stood then: event:N, an RFC 3339 time, or a date (its end)
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<AsOf>,
}

pub fn run(ctx: &Context, args: &AuditArgs) -> Result<ExitCode> {
    let report = ctx.index_as_of(args.as_of, args.json)?.audit_report();
    let head = head_of(&report)?;
    if let Some(file) = &args.record_head {
        record(file, &head, ctx)?;
    }
    let mut out = Out::new();
    if args.json {
        out.json(&report)?;
        out.finish()?;
        return Ok(ExitCode::SUCCESS);
    }
    let time = |t| shown_time(ctx, t);
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
    out.line(format_args!("head: {head}"))?;
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

/// The report's head: its event count and the last event line's hash.
fn head_of(report: &AuditReport) -> Result<Head> {
    format!("{}:{}", report.total_events, report.head_hash).parse()
}

/// Appends `head` to `file` (created if need be), synced: one line, the
/// head first (what `verify --heads` reads), then when and where.
fn record(file: &PathBuf, head: &Head, ctx: &Context) -> Result<()> {
    let line = format!(
        "{head} recorded {} from {}\n",
        crate::domain::Timestamp::now_millis(),
        ctx.location.describe()
    );
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map_err(|e| Error::io("open", file, e))?;
    f.write_all(line.as_bytes())
        .and_then(|()| f.sync_data())
        .map_err(|e| Error::io("append to", file, e))
}

/// A time for people: in the zone asked for, named; `-` when none.
fn shown_time(ctx: &Context, t: Option<crate::domain::Timestamp>) -> String {
    t.map_or_else(|| "-".into(), |t| ctx.zone.date_time_ms(t.instant()))
}

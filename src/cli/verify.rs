//! `control-tower verify`: exit 0 when the log is intact, 1 when corrupted;
//! with `--expect-head N:HASH` or `--heads FILE`, also 1 when the log no
//! longer begins with a recorded history (see `read::heads`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::Context;
use super::output::{self, Out};
use crate::error::{Error, Result};
use crate::read::as_of::AsOf;
use crate::read::heads::{self, Head, HeadCheck};
use crate::read::verify::Severity;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Prove the log still begins with exactly this history: N:HASH, as `audit` prints it
    #[arg(long, value_name = "N:HASH")]
    pub expect_head: Vec<Head>,
    /// Prove every head recorded in FILE (one per line, as `audit --record-head` writes them)
    #[arg(long, value_name = "FILE")]
    pub heads: Option<PathBuf>,
    /// The answer as the log stood then: event:N, an RFC 3339 time, or a date (its end)
    #[arg(long, value_name = "WHEN")]
    pub as_of: Option<AsOf>,
}

pub fn run(ctx: &Context, args: &VerifyArgs) -> Result<ExitCode> {
    let mut expected = args.expect_head.clone();
    if let Some(file) = &args.heads {
        expected.extend(read_heads(file)?);
    }
    let checked = check_heads(ctx, &expected)?;
    let heads_hold = checked.iter().all(|(_, failure)| failure.is_none());
    let json = args.json;
    let report = ctx.index_as_of(args.as_of, args.json)?.verify_report();
    let mut out = Out::new();
    if json {
        out.json(&report)?;
    } else {
        out.line(format_args!(
            "{}: {} events in {}, head hash {}",
            report.log_integrity,
            report.total_events,
            output::cell(&ctx.location.log_name(), 300),
            report.head_hash
        ))?;
        for f in report.errors.iter().chain(&report.warnings) {
            let tag = if f.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            out.line(format_args!("{tag}: {}", output::cell(&f.message, 300)))?;
        }
        for (head, failure) in &checked {
            match failure {
                None => out.line(format_args!("head {head}: holds"))?,
                Some(why) => out.line(format_args!("head {head}: does not hold: {why}"))?,
            }
        }
        let listed = (report.errors.len() + report.warnings.len()) as u64;
        let total = report.error_count + report.warning_count;
        if total > listed {
            out.line(format_args!(
                "… and {} more finding(s) not listed",
                total - listed
            ))?;
        }
    }
    // The verdict is only worth its exit code if it was printed in full.
    out.finish()?;
    if report.valid && heads_hold {
        Ok(ExitCode::SUCCESS)
    } else if report.valid {
        Ok(ExitCode::FAILURE)
    } else {
        output::warn(format_args!(
            "the log is CORRUPTED: {} integrity error(s)",
            report.error_count
        ));
        Ok(ExitCode::FAILURE)
    }
}

/// The heads in `file`: the first word of every line that is not empty or
/// a comment (`#`).
fn read_heads(file: &PathBuf) -> Result<Vec<Head>> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io("read", file, e))?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap_or_default().parse())
        .collect()
}

/// Checks each head: why it does not hold, if it does not (also said on
/// stderr).
fn check_heads(ctx: &Context, heads: &[Head]) -> Result<Vec<(Head, Option<String>)>> {
    let mut checked = Vec::with_capacity(heads.len());
    for head in heads {
        let failure = match heads::check(&ctx.location, head)? {
            HeadCheck::Holds => None,
            HeadCheck::Shorter { events } => Some(format!(
                "the log holds {events} events, fewer than the head's {}",
                head.events
            )),
            HeadCheck::Differs { line, why } => Some(format!("line {line} differs: {why}")),
        };
        if let Some(why) = &failure {
            output::warn(format_args!(
                "head {head} does not hold: {why}; the log no longer begins with the history that head recorded"
            ));
        }
        checked.push((*head, failure));
    }
    Ok(checked)
}

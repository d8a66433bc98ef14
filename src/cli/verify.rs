//! `control-tower verify`: exit 0 when the log is intact, 1 when corrupted.

use std::process::ExitCode;

use super::Context;
use super::output::{self, Out};
use crate::error::Result;
use crate::read::verify::Severity;

pub fn run(ctx: &Context, json: bool) -> Result<ExitCode> {
    let report = ctx.index()?.verify_report();
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
    if report.valid {
        Ok(ExitCode::SUCCESS)
    } else {
        output::warn(format_args!(
            "the log is CORRUPTED: {} integrity error(s)",
            report.error_count
        ));
        Ok(ExitCode::FAILURE)
    }
}

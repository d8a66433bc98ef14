//! `control-tower verify`: exit 0 when the log is intact, 1 when corrupted.

use super::{Context, output};
use crate::error::Result;
use crate::index::LogIndex;
use crate::verify::Severity;

pub fn run(ctx: &Context, json: bool) -> Result<i32> {
    let report = LogIndex::load(&ctx.paths)?.verify_report();
    if json {
        output::print_json(&report)?;
    } else {
        println!(
            "{}: {} events in {}, head hash {}",
            report.log_integrity,
            report.total_events,
            ctx.paths.events.display(),
            report.head_hash
        );
        for f in report.errors.iter().chain(&report.warnings) {
            let tag = if f.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            println!("{tag}: {}", output::cell(&f.message, 300));
        }
        let listed = (report.errors.len() + report.warnings.len()) as u64;
        let total = report.error_count + report.warning_count;
        if total > listed {
            println!("… and {} more finding(s) not listed", total - listed);
        }
    }
    if report.valid {
        Ok(0)
    } else {
        eprintln!(
            "the log is CORRUPTED: {} integrity error(s)",
            report.error_count
        );
        Ok(1)
    }
}

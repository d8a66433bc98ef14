//! `control-tower bench`: runs the measurements in a scratch directory and
//! prints each figure beside its target with `ok` or `MISS`. Built only
//! with the cargo feature `bench` (on by default): `measure` takes the
//! figures, `loggen` writes the big generated log they are taken on.

pub mod loggen;
pub mod measure;
mod opening;

use std::path::Path;
use std::process::ExitCode;

use super::output::{self, Out};
use crate::error::Result;
use measure::Figure;

pub fn run(json: bool, events: Option<u64>, data_dir: Option<&Path>) -> Result<ExitCode> {
    let scratch = measure::scratch_dir(data_dir)?;
    let whose = if data_dir.is_some() {
        "inside --data-dir"
    } else {
        "temporary"
    };
    let place = format!(
        "scratch space: {} ({whose}; removed at the end)",
        output::cell(&scratch.path().display().to_string(), 300)
    );
    output::warn(format_args!("bench: {place}"));
    let figures = measure::all(&scratch, events, |step| {
        output::warn(format_args!("bench: {step}"))
    })?;
    let mut out = Out::new();
    if json {
        out.json(&figures)?;
    } else {
        out.line(&place)?;
        print_table(&mut out, &figures)?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn print_table(out: &mut Out, figures: &[Figure]) -> Result<()> {
    out.line(format_args!(
        "{:<64} {:>16}  {:<24} {}",
        "measurement", "value", "target", "met"
    ))?;
    for f in figures {
        let value = format!("{} {}", measure::number(f.value), f.unit);
        out.line(format_args!(
            "{:<64} {:>16}  {:<24} {}",
            f.name, value, f.target, f.verdict
        ))?;
    }
    let missed = figures.iter().filter(|f| f.verdict == "MISS").count();
    let checked = figures.iter().filter(|f| f.verdict != "-").count();
    out.line(format_args!(
        "{} of {checked} targets met{}",
        checked - missed,
        if missed > 0 {
            " (figures vary with load: see BENCHMARKS.md)"
        } else {
            ""
        }
    ))
}

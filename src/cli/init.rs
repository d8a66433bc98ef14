//! `control-tower init [DIR]`: creates a data directory and empty logs
//! (events and counter), durably. Every other command refuses a named
//! directory that does not exist, so a mistyped path never becomes a new,
//! empty tower.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::settings::{self, DirSource, Settings};
use crate::error::{Error, Result};
use crate::log::files;
use crate::store::LogPaths;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Directory to create [default: --data-dir, else $CONTROL_TOWER_DATA_DIR, else data/logs]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(settings: &Settings, args: &InitArgs) -> Result<ExitCode> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => settings.paths.dir.clone(),
    };
    let paths = LogPaths::new(dir);
    if paths.dir.exists() && !paths.dir.is_dir() {
        return Err(Error::Usage(format!(
            "{} exists and is not a directory; choose another path",
            paths.dir.display()
        )));
    }
    settings::ensure_data_dir(&paths, DirSource::Default)?;
    if let Ok(meta) = std::fs::metadata(&paths.events) {
        println!(
            "{} already holds a log ({} bytes in {}); nothing changed",
            paths.dir.display(),
            meta.len(),
            paths.events.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut options = OpenOptions::new();
    options.append(true);
    // The counter log too, so that an administrator can set both logs'
    // group and mode before anyone writes.
    for log in [&paths.events, &paths.counter] {
        files::open_or_create_durably(log, &options)
            .map_err(|e| Error::io("create the log", log, e))?;
    }
    println!(
        "initialised {}: empty logs {} and {}",
        paths.dir.display(),
        paths.events.display(),
        paths.counter.display()
    );
    Ok(ExitCode::SUCCESS)
}

//! `control-tower migrate --from A --to B`: copies a tower between stores
//! (a data directory, or a PostgreSQL database), byte for byte, streaming,
//! with progress on stderr. Resumable and idempotent: what the target
//! already holds (a prefix of the source, proved by its last line's hash)
//! is not copied again. Into PostgreSQL: the administrator only.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;

use super::output::{self, Out};
use super::settings::{Settings, check_store};
use crate::error::{Error, Result};
use crate::store::copy;
use crate::store::{Location, LogPaths};

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Where the tower is: a data directory, or postgresql://host/dbname
    #[arg(long, value_name = "DIR|URL")]
    pub from: String,
    /// Where it goes: an existing data directory (see init), or postgresql://host/dbname
    #[arg(long, value_name = "DIR|URL")]
    pub to: String,
}

/// How often progress is said.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

pub fn run(settings: &Settings, args: &MigrateArgs) -> Result<ExitCode> {
    let (from, to) = (location(&args.from)?, location(&args.to)?);
    if from == to {
        return Err(Error::Usage("--from and --to are the same store".into()));
    }
    let who = settings.who();
    let mut source = from.line_copy(&who, false)?;
    let mut target = to.line_copy(&who, true)?;
    let mut said = Instant::now();
    let copied = copy::copy(&mut *source, &mut *target, |done, total| {
        if said.elapsed() >= PROGRESS_EVERY {
            said = Instant::now();
            output::warn(format_args!("migrate: {done} of {total} events copied"));
        }
    })?;
    let mut out = Out::new();
    out.line(format_args!(
        "copied {} events and {} counter lines from {} to {} ({} were there already)",
        copied.events,
        copied.counters,
        from.describe(),
        to.describe(),
        copied.already
    ))?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// A data directory that exists, or a database.
fn location(text: &str) -> Result<Location> {
    if text.starts_with("postgresql://") || text.starts_with("postgres://") || text.contains('=') {
        check_store(text)?;
        return Ok(Location::Postgres(text.to_string()));
    }
    let dir = PathBuf::from(text);
    if !dir.is_dir() {
        return Err(Error::DataDirMissing(dir));
    }
    Ok(Location::File(LogPaths::new(dir)))
}

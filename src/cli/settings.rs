//! Settings every command shares, resolved once: the data directory
//! (`--data-dir`, else `$CONTROL_TOWER_DATA_DIR`, else `data/logs` under the
//! current directory), the role policy (`--policy`, else
//! `$CONTROL_TOWER_POLICY`, else `DATA_DIR/policy.toml`) and the operator
//! (`--operator` / `$CONTROL_TOWER_OPERATOR`, else the OS account).
//!
//! A data directory someone named must exist (a typo is an error, never a
//! new empty tower); only the default is created on first use.

use std::path::PathBuf;

use super::Cli;
use crate::error::{Error, Result};
use crate::store::LogPaths;

pub const DEFAULT_DATA_DIR: &str = "data/logs";
pub const DATA_DIR_ENV: &str = "CONTROL_TOWER_DATA_DIR";
pub const POLICY_ENV: &str = "CONTROL_TOWER_POLICY";

/// Where the data directory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirSource {
    /// `--data-dir` (or `init DIR`).
    Flag,
    /// `$CONTROL_TOWER_DATA_DIR`.
    Env,
    /// Nobody named one: `data/logs`, created on first use.
    Default,
}

/// A set, non-empty environment variable.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The data directory for every command but `demo`, and where it came from.
pub fn data_dir(cli: &Cli) -> (PathBuf, DirSource) {
    if let Some(dir) = &cli.data_dir {
        (dir.clone(), DirSource::Flag)
    } else if let Some(dir) = env_path(DATA_DIR_ENV) {
        (dir, DirSource::Env)
    } else {
        (PathBuf::from(DEFAULT_DATA_DIR), DirSource::Default)
    }
}

/// The log files in `dir`, with the policy the user named, if any. The
/// environment's policy belongs to the real tower: `demo` passes
/// `use_env = false`.
pub fn log_paths(cli: &Cli, dir: PathBuf, use_env: bool) -> LogPaths {
    let paths = LogPaths::new(dir);
    let named = cli
        .policy
        .clone()
        .or_else(|| use_env.then(|| env_path(POLICY_ENV)).flatten());
    match named {
        Some(policy) => paths.with_policy(policy),
        None => paths,
    }
}

/// The resolved log files for a command on the tower (not `demo`).
pub fn tower_paths(cli: &Cli) -> (LogPaths, DirSource) {
    let (dir, source) = data_dir(cli);
    (log_paths(cli, dir, true), source)
}

/// Makes sure the data directory is there: the default is created (and
/// synced) on first use; one that was named must exist already.
pub fn ensure_data_dir(paths: &LogPaths, source: DirSource) -> Result<()> {
    if paths.dir.is_dir() {
        return Ok(());
    }
    if paths.dir.exists() {
        return Err(Error::Usage(format!(
            "data directory {} is not a directory; check --data-dir / CONTROL_TOWER_DATA_DIR",
            paths.dir.display()
        )));
    }
    match source {
        DirSource::Default => paths.create_dir(),
        DirSource::Flag | DirSource::Env => Err(Error::DataDirMissing(paths.dir.clone())),
    }
}

/// Who is acting: the operator named on the command line or in the
/// environment, else this process's OS account (never `$USER`).
pub fn operator(cli: &Cli) -> String {
    cli.operator
        .clone()
        .unwrap_or_else(crate::store::account::os_account)
}

//! Settings every command and the dashboard share, resolved once (in
//! `main`, by `Settings::resolve`) and handed to `cli::run` or `tui::run`:
//! the data directory (`--data-dir`, else `$CONTROL_TOWER_DATA_DIR`, else
//! `data/logs` under the current directory), the role policy (`--policy`,
//! else `$CONTROL_TOWER_POLICY`, else `DATA_DIR/policy.toml`), the operator
//! (`--operator` / `$CONTROL_TOWER_OPERATOR`, else the OS account), the
//! lock timeout, the dashboard's starting role, and demo's own options.
//! `demo` has its own directory rules (see `demo`): the two environment
//! variables that name the real tower are ignored there.
//!
//! A data directory someone named must exist (a typo is an error, never a
//! new empty tower); only the default is created on first use.

use std::path::PathBuf;
use std::time::Duration;

use super::{Cli, Command, demo};
use crate::domain::{Actor, Zone};
use crate::error::{Error, Result};
use crate::store::{Location, LogPaths, Who};

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

/// The dashboard's palette as asked for (`--theme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeChoice {
    Dark,
    Light,
    /// Light when `COLORFGBG` names a light background (7 or 15).
    Auto,
}

/// Where and as whom to run: plain values, no argument parser in them.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The data directory and the role policy's path.
    pub paths: LogPaths,
    /// Where the data directory came from.
    pub source: DirSource,
    /// Who is acting, recorded in every event written.
    pub operator: String,
    /// The operator someone named (`--operator`, `$CONTROL_TOWER_OPERATOR`).
    pub named_operator: Option<String>,
    /// A database store's connection string (`--store`,
    /// `$CONTROL_TOWER_STORE`); `None`: the file store.
    pub store: Option<String>,
    /// Longest wait for the writers' lock.
    pub lock_timeout: Duration,
    /// The dashboard's starting role (`--role`; commands refuse it).
    pub role: Option<Actor>,
    /// `demo`'s options; `None` for the tower.
    pub demo: Option<DemoSettings>,
    /// The zone people read times in (`--utc`, `--tz`, else `TZ`).
    pub zone: Zone,
    /// The dashboard's palette (`--theme`; `NO_COLOR` is read by the dashboard).
    pub theme: ThemeChoice,
}

/// What `demo` adds: simulated traffic on its own directory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoSettings {
    /// Simulated events per second (checked by `check_rate`).
    pub rate: f64,
    /// Start from an empty demo log.
    pub fresh: bool,
}

impl Settings {
    /// The settings the command line and the environment give. Touches
    /// nothing on disk: the directory is checked (and the default created)
    /// by whoever uses it.
    pub fn resolve(cli: &Cli) -> Settings {
        let (paths, source, demo) = match &cli.command {
            Some(Command::Demo(args)) => {
                let (dir, source) = match args.data_dir.clone().or_else(|| cli.data_dir.clone()) {
                    Some(dir) => (dir, DirSource::Flag),
                    None => (PathBuf::from(demo::DEMO_DATA_DIR), DirSource::Default),
                };
                let demo = DemoSettings {
                    rate: args.rate,
                    fresh: args.fresh,
                };
                (log_paths(cli, dir, false), source, Some(demo))
            }
            _ => {
                let (dir, source) = data_dir(cli);
                (log_paths(cli, dir, true), source, None)
            }
        };
        Settings {
            paths,
            source,
            operator: cli
                .operator
                .clone()
                .unwrap_or_else(crate::store::account::os_account),
            named_operator: cli.operator.clone(),
            store: cli.store.clone().filter(|s| !s.trim().is_empty()),
            lock_timeout: cli.lock_timeout,
            role: cli.role,
            demo,
            zone: match (&cli.tz, cli.utc) {
                (_, true) => Zone::utc(),
                (Some(zone), false) => zone.clone(),
                (None, false) => Zone::system(),
            },
            theme: cli.theme,
        }
    }

    /// Where the tower's events live. A connection string that holds a
    /// password is refused: it would show in `ps` and in shell history.
    pub fn location(&self) -> Result<Location> {
        match &self.store {
            None => Ok(Location::File(self.paths.clone())),
            Some(url) => {
                check_store(url)?;
                Ok(Location::Postgres(url.clone()))
            }
        }
    }

    /// Who is acting.
    pub fn who(&self) -> Who {
        Who {
            operator: self.operator.clone(),
            named: self.named_operator.clone(),
        }
    }

    /// The data directory, when someone named one (flag or environment).
    pub fn named_dir(&self) -> Option<&std::path::Path> {
        match self.source {
            DirSource::Flag | DirSource::Env => Some(&self.paths.dir),
            DirSource::Default => None,
        }
    }
}

/// A database connection string as the tool takes it: one, and without
/// a password (it would show in `ps` and in shell history).
pub fn check_store(url: &str) -> Result<()> {
    if holds_password(url) {
        return Err(Error::Usage(
            "--store / CONTROL_TOWER_STORE must not hold a password: put it in PGPASSWORD or ~/.pgpass".into(),
        ));
    }
    if !(url.starts_with("postgresql://") || url.starts_with("postgres://") || url.contains('=')) {
        return Err(Error::Usage(format!(
            "--store {}: not a PostgreSQL connection string (postgresql://host/dbname or host=… dbname=…)",
            crate::text::inert(url, 200)
        )));
    }
    Ok(())
}

/// Whether a connection string carries a password (`user:secret@` in a
/// URL, or a `password` key or query parameter).
fn holds_password(url: &str) -> bool {
    let authority = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or(""));
    let in_userinfo = authority
        .and_then(|a| a.rsplit_once('@'))
        .is_some_and(|(userinfo, _)| userinfo.contains(':'));
    in_userinfo
        || url
            .split(|c: char| c.is_whitespace() || c == '?' || c == '&')
            .any(|kv| {
                kv.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("password=")
            })
}

/// Checks a simulator's `--rate` (events per second; 0: as fast as possible).
pub fn check_rate(rate: f64) -> Result<()> {
    if rate.is_finite() && rate >= 0.0 {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--rate must be 0 or more events per second, got {rate}"
        )))
    }
}

/// A set, non-empty environment variable.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The data directory for every command but `demo`, and where it came from.
fn data_dir(cli: &Cli) -> (PathBuf, DirSource) {
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
fn log_paths(cli: &Cli, dir: PathBuf, use_env: bool) -> LogPaths {
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

#[cfg(test)]
mod tests {
    use super::holds_password;

    #[test]
    fn passwords_in_connection_strings_are_found() {
        assert!(holds_password("postgresql://asha:secret@db/tower"));
        assert!(holds_password("postgresql://db/tower?password=x"));
        assert!(holds_password("host=db password=x dbname=tower"));
        assert!(!holds_password(
            "postgresql://asha@db:5432/tower?sslmode=require"
        ));
        assert!(!holds_password("host=db user=asha dbname=tower"));
    }
}

//! `control-tower policy apply FILE` and `policy show`: the role policy of
//! the PostgreSQL store, where the database enforces it (apply: the
//! administrator only). On the file store the policy is the file itself
//! (`DATA_DIR/policy.toml`, see the README): `show` prints what it grants.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::Context;
use super::output::Out;
use crate::domain::Actor;
use crate::error::{Error, Result};
use crate::store::Location;

#[derive(Args, Debug)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub action: PolicyAction,
}

#[derive(Subcommand, Debug)]
pub enum PolicyAction {
    /// Load a policy.toml into the database (its [operators] table: login = [roles])
    Apply {
        /// The policy file
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print which logins may act in which roles
    Show,
}

/// Logins and the roles each may act in.
type Grants = Vec<(String, Vec<Actor>)>;

/// The most a policy file may hold (as on the file store).
const MAX_POLICY_BYTES: u64 = 64 * 1024;

pub fn run(ctx: &Context, args: &PolicyArgs) -> Result<ExitCode> {
    let grants = match (&args.action, &ctx.location) {
        (PolicyAction::Apply { file }, Location::Postgres(url)) => {
            let text = read_policy(file)?;
            db::apply(url, &text)?
        }
        (PolicyAction::Show, Location::Postgres(url)) => db::show(url)?,
        (PolicyAction::Apply { .. }, Location::File(paths)) => {
            return Err(Error::Usage(format!(
                "on the file store the policy is the file {} itself; policy apply is for the PostgreSQL store",
                paths.policy.display()
            )));
        }
        (PolicyAction::Show, Location::File(paths)) => match file_grants(paths)? {
            Some(grants) => grants,
            None => {
                let mut out = Out::new();
                out.line(format_args!(
                    "no policy file at {}: every operator may act in every role",
                    super::output::cell(&paths.policy.display().to_string(), 300)
                ))?;
                out.finish()?;
                return Ok(ExitCode::SUCCESS);
            }
        },
    };
    let mut out = Out::new();
    if grants.is_empty() {
        out.line("no grants: every login may only read")?;
    }
    for (login, roles) in &grants {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        out.line(format_args!(
            "{} = {}",
            super::output::cell(login, 64),
            roles.join(", ")
        ))?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn read_policy(file: &PathBuf) -> Result<String> {
    let meta = std::fs::metadata(file).map_err(|e| Error::io("read", file, e))?;
    if meta.len() > MAX_POLICY_BYTES {
        return Err(Error::Usage(format!(
            "{} is over 64 KiB: not a policy file",
            file.display()
        )));
    }
    std::fs::read_to_string(file).map_err(|e| Error::io("read", file, e))
}

/// What the file store's policy grants; `None` when there is no policy
/// (every role is open then).
fn file_grants(paths: &crate::store::LogPaths) -> Result<Option<Grants>> {
    Ok(crate::store::policy::Policy::load_for(paths)?.map(|p| p.grants()))
}

#[cfg(feature = "postgres")]
mod db {
    use super::{Grants, Result};
    use crate::store::postgres::PgStore;

    pub fn apply(url: &str, text: &str) -> Result<Grants> {
        let mut store = PgStore::connect(url, None)?;
        store.apply_policy(text)?;
        store.policy()
    }

    pub fn show(url: &str) -> Result<Grants> {
        PgStore::connect(url, None)?.policy()
    }
}

#[cfg(not(feature = "postgres"))]
mod db {
    use super::{Error, Grants, Result};

    fn not_built() -> Error {
        Error::Usage("this build has no PostgreSQL store (cargo feature `postgres`)".into())
    }

    pub fn apply(_: &str, _: &str) -> Result<Grants> {
        Err(not_built())
    }

    pub fn show(_: &str) -> Result<Grants> {
        Err(not_built())
    }
}

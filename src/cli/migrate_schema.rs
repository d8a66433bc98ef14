//! `control-tower migrate-schema`: installs or upgrades the PostgreSQL
//! store's schema (the administrator's login; operators are refused and
//! nothing changes). The file store has no schema.

use std::process::ExitCode;

use super::Context;
use super::output::Out;
use crate::error::{Error, Result};
use crate::store::Location;

pub fn run(ctx: &Context) -> Result<ExitCode> {
    let Location::Postgres(url) = &ctx.location else {
        return Err(Error::Usage(
            "migrate-schema is for the PostgreSQL store (--store postgresql://…); the file store has no schema".into(),
        ));
    };
    let version = migrate(url)?;
    let mut out = Out::new();
    out.line(format_args!(
        "schema of {} is at version {version}",
        ctx.location.describe()
    ))?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "postgres")]
fn migrate(url: &str) -> Result<u32> {
    crate::store::postgres::PgStore::migrate_schema(url)
}

#[cfg(not(feature = "postgres"))]
fn migrate(_: &str) -> Result<u32> {
    Err(Error::Usage(
        "this build has no PostgreSQL store (cargo feature `postgres`)".into(),
    ))
}

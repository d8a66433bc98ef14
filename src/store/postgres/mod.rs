//! `PgStore`: the PostgreSQL implementation of `EventStore`. One `events`
//! table holds the same canonical lines and hash chain as the file log, at
//! a gapless global position in commit order; the database itself enforces
//! append-only, identity (`session_user` is the operator), the role policy
//! (`tower_roles`), transitions, permissions, expected seq and `prev_hash`.
//!
//! - `connect`: connection strings, passwords, TLS;
//! - `password`: `PGPASSWORD` and `~/.pgpass`;
//! - `schema` / `schema_sql`: versioned migrations and their SQL;
//! - `append`: one append, in one transaction;
//! - `reading`: reads and the `EventStore` impl;
//! - `roles`: the role policy in the database (`policy apply` / `show`);
//! - `subscription`: live reading (LISTEN/NOTIFY, reconnects);
//! - `copy` / `import_sql`: `migrate` out of and into the database.
//!
//! Positions: the event in row `position` p (1-based) is handed out at
//! `Position(p - 1)`, and reading from `Position(n)` starts at row n + 1,
//! so a `Position` means "how far you have read", as in the file store.

mod append;
pub mod connect;
mod copy;
mod import_sql;
mod password;
mod reading;
mod roles;
pub mod schema;
mod schema_sql;
pub mod subscription;

use std::path::PathBuf;

use postgres::Client;

pub use connect::ConnTarget;
pub use roles::PolicyApplied;
pub use schema::CURRENT_VERSION;
pub use subscription::PgSubscription;

use crate::error::{Error, Result};

pub struct PgStore {
    target: ConnTarget,
    client: Client,
    /// The database login: the operator of every event this store appends.
    login: String,
    /// The current append has sent its COMMIT (a lost connection may then
    /// have committed it: never tried again).
    commit_sent: bool,
}

impl PgStore {
    /// Connects to `url` (a libpq URL or `key=value` string; the password
    /// from the string, `PGPASSWORD` or `~/.pgpass`), installing or
    /// upgrading the schema when this login may. `operator` (from
    /// `--operator`) must be the login itself, if given.
    pub fn connect(url: &str, operator: Option<&str>) -> Result<PgStore> {
        let target = ConnTarget::parse(url)?;
        let mut client = target.connect()?;
        let login = session_user(&mut client, &target)?;
        if let Some(operator) = operator
            && operator.trim() != login
        {
            return Err(Error::Usage(format!(
                "on the PostgreSQL store the operator is the database login, '{login}': --operator / CONTROL_TOWER_OPERATOR '{}' cannot be used; drop it, or connect as that login",
                operator.trim()
            )));
        }
        ensure_schema(&mut client, &target)?;
        Ok(PgStore {
            target,
            client,
            login,
            commit_sent: false,
        })
    }

    /// Installs or upgrades the schema (`control-tower migrate-schema`);
    /// returns the version installed. Only a login that may (the schema's
    /// owner, or with CREATE on a database without it) succeeds.
    pub fn migrate_schema(url: &str) -> Result<u32> {
        let target = ConnTarget::parse(url)?;
        let mut client = target.connect()?;
        if !schema::may_migrate(&mut client, &target)? {
            return Err(Error::NotAdministrator {
                doing: "install or upgrade the schema".into(),
                login: session_user(&mut client, &target)?,
            });
        }
        schema::migrate(&mut client, &target)
    }

    /// `host/dbname`, for the dashboard's header.
    pub fn describe(&self) -> String {
        self.target.describe().to_string()
    }

    /// The database login (the operator of what this store appends).
    pub fn login(&self) -> &str {
        &self.login
    }

    /// Where this store connects (for another connection, e.g. a tool's).
    pub fn target(&self) -> &ConnTarget {
        &self.target
    }

    /// Reconnects if the connection was lost (a server restart, a network
    /// cut); a failure says so, and nothing is written.
    fn ensure_connected(&mut self) -> Result<()> {
        if self.client.is_closed() {
            self.client = self.target.connect()?;
        }
        Ok(())
    }

    fn error(&self, doing: &str, e: &postgres::Error) -> Error {
        self.target.error(doing, e)
    }
}

/// The login of a connection.
fn session_user(client: &mut Client, target: &ConnTarget) -> Result<String> {
    client
        .query_one("SELECT session_user::text", &[])
        .map(|row| row.get(0))
        .map_err(|e| target.error("ask the database who we are", &e))
}

/// Makes sure the schema is there at the version this program knows:
/// installs or upgrades it when this login may, refuses otherwise.
fn ensure_schema(client: &mut Client, target: &ConnTarget) -> Result<()> {
    match schema::installed_version(client, target)? {
        Some(v) if v == CURRENT_VERSION => Ok(()),
        Some(v) if v > CURRENT_VERSION => Err(Error::SchemaNewer {
            store: target.describe().to_string(),
            found: v,
            known: CURRENT_VERSION,
        }),
        _ if schema::may_migrate(client, target)? => schema::migrate(client, target).map(|_| ()),
        _ => Err(Error::SchemaMissing(target.describe().to_string())),
    }
}

/// What the role policy is called in messages (`PolicyDenied.policy`).
fn roles_table(store: &str) -> PathBuf {
    PathBuf::from(format!("the tower_roles table of {store}"))
}

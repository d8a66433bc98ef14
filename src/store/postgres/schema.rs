//! The tower's schema in the database, versioned: `tower.ct_schema_version`
//! records each migration (version, applied_at, applied_by). Migrations run
//! in one transaction each, under an advisory lock, so two processes that
//! start on a fresh database install it once. Migration 1 creates the
//! tables and fills `transitions` and `permissions` from the Rust tables
//! (`domain::lifecycle`: one source of truth); the append function and the
//! triggers are in `schema_sql`. Migration 2 adds the administrator's
//! import functions (`import_sql`, for `migrate`).

use postgres::{Client, Transaction};

use super::connect::ConnTarget;
use super::{import_sql, schema_sql};
use crate::domain::{Actor, EventType, lifecycle};
use crate::error::{Error, Result};

/// The schema every table lives in.
pub const SCHEMA: &str = "tower";

/// The version this program installs and expects.
pub const CURRENT_VERSION: u32 = 2;

/// Held while migrating (a different key from the appenders' lock).
const MIGRATION_LOCK: i64 = 0x4354_5f4d_4947; // "CT_MIG"

/// The installed version: `None` when the schema is not there at all.
pub fn installed_version(client: &mut Client, target: &ConnTarget) -> Result<Option<u32>> {
    read_version(client).map_err(|e| target.error("read the schema version", &e))
}

/// `None` when there is no version table. (Two statements: a table named
/// in a query must exist when the query is planned.)
fn read_version<C: postgres::GenericClient>(
    client: &mut C,
) -> Result<Option<u32>, postgres::Error> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('tower.ct_schema_version') IS NOT NULL",
            &[],
        )?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let version: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM tower.ct_schema_version",
            &[],
        )?
        .get(0);
    Ok(Some(version.max(0) as u32))
}

/// Whether this login may install or upgrade the schema: the schema's
/// owner, or (no schema yet) a login with CREATE on the database.
pub fn may_migrate(client: &mut Client, target: &ConnTarget) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT CASE WHEN n.oid IS NULL \
                THEN has_database_privilege(current_database(), 'CREATE') \
                ELSE pg_has_role(session_user, n.nspowner, 'USAGE') END \
             FROM (SELECT 1) AS one LEFT JOIN pg_namespace n ON n.nspname = 'tower'",
            &[],
        )
        .map_err(|e| target.error("check who may install the schema", &e))?;
    Ok(row.get(0))
}

/// Runs every pending migration; returns the version now installed.
pub fn migrate(client: &mut Client, target: &ConnTarget) -> Result<u32> {
    let err = |doing: &str, e: postgres::Error| target.error(doing, &e);
    let mut tx = client
        .transaction()
        .map_err(|e| err("begin the schema migration", e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|e| err("lock the schema for migration", e))?;
    let version = read_version(&mut tx)
        .map_err(|e| err("read the schema version", e))?
        .unwrap_or(0);
    if version > CURRENT_VERSION {
        return Err(Error::SchemaNewer {
            store: target.describe().to_string(),
            found: version,
            known: CURRENT_VERSION,
        });
    }
    for next in version + 1..=CURRENT_VERSION {
        apply(&mut tx, next).map_err(|e| err(&format!("apply schema migration {next}"), e))?;
        tx.execute(
            "INSERT INTO tower.ct_schema_version (version) VALUES ($1)",
            &[&(next as i32)],
        )
        .map_err(|e| err("record the schema version", e))?;
    }
    tx.commit()
        .map_err(|e| err("commit the schema migration", e))?;
    Ok(CURRENT_VERSION)
}

fn apply(tx: &mut Transaction<'_>, version: u32) -> Result<(), postgres::Error> {
    match version {
        1 => migration_1(tx),
        2 => tx.batch_execute(&import_sql::import_functions()),
        _ => Ok(()),
    }
}

/// The tables, the rule tables filled from `domain::lifecycle`, the
/// append function, the triggers and the grants.
fn migration_1(tx: &mut Transaction<'_>) -> Result<(), postgres::Error> {
    let encoding: String = tx.query_one("SHOW server_encoding", &[])?.get(0);
    if encoding != "UTF8" {
        // The chain hashes the line's UTF-8 bytes, as the database stores them.
        tx.batch_execute(
            "DO $$ BEGIN RAISE EXCEPTION 'the database must use UTF8 encoding'; END $$",
        )?;
    }
    tx.batch_execute(&schema_sql::tables(&actor_list()))?;
    fill_rule_tables(tx)?;
    tx.batch_execute(&schema_sql::functions())?;
    tx.batch_execute(schema_sql::GRANTS)
}

/// `'SENDER', 'SENDER_MANAGER', …` for a CHECK constraint.
fn actor_list() -> String {
    Actor::ALL
        .iter()
        .map(|a| format!("'{}'", a.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `transitions` and `permissions`, row by row from the Rust tables.
fn fill_rule_tables(tx: &mut Transaction<'_>) -> Result<(), postgres::Error> {
    let insert =
        tx.prepare("INSERT INTO tower.transitions (from_state, to_state) VALUES ($1, $2)")?;
    let states = std::iter::once(None).chain(EventType::ALL.iter().copied().map(Some));
    for from in states {
        for &to in lifecycle::allowed_next(from) {
            tx.execute(&insert, &[&from.map(EventType::as_str), &to.as_str()])?;
        }
    }
    let insert = tx.prepare("INSERT INTO tower.permissions (event_type, actor) VALUES ($1, $2)")?;
    for &event in EventType::ALL {
        for &actor in lifecycle::permitted_actors(event) {
            tx.execute(&insert, &[&event.as_str(), &actor.as_str()])?;
        }
    }
    Ok(())
}

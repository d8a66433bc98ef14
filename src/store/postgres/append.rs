//! One append, in one transaction: take the appenders' advisory lock (held
//! until COMMIT, so commit order is position order), read the log's last
//! line and the shipment's head, check the login's roles and the rules in
//! Rust (for the same errors as the file store), take a new ID from the
//! sequence for a new shipment, build the canonical line (operator = the
//! login), and hand it to `tower.append_event`, which checks everything
//! again: the database is the last line. A batch is a loop of these, one
//! transaction each.

use std::sync::Arc;

use postgres::{IsolationLevel, Transaction};

use super::schema_sql::{APPEND_LOCK, REFUSED};
use super::{PgStore, roles_table};
use crate::domain::id::MAX_SHIPMENT_NUMBER;
use crate::domain::line::{GENESIS_HASH, LineError, NewLine, hash_hex, hash_line};
use crate::domain::rules::ShipmentHead;
use crate::domain::{Actor, Event, EventType, ShipmentId, Timestamp};
use crate::error::{Error, Result};
use crate::store::decide::{Placement, decide};
use crate::store::{AppendRequest, Appended, ExpectedSeq, Position, Target};

/// The log's end as an append continues it.
struct End {
    hash: Option<[u8; 32]>,
    timestamp: Option<Timestamp>,
}

impl PgStore {
    /// Appends one request in its own transaction.
    pub(super) fn append_one(&mut self, request: &AppendRequest) -> Result<Appended> {
        self.ensure_connected()?;
        let login = self.login.clone();
        let store = self.target.describe().to_string();
        let err = |doing: &str, e: postgres::Error| append_error(&store, doing, e);
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .map_err(|e| err("begin an append", e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])
            .map_err(|e| err("take the appenders' lock", e))?;
        check_role(&mut tx, &login, &store, request.event.actor)?;
        let end = read_end(&mut tx).map_err(|e| err("read the log's last event", e))?;
        let (id, seq) = place(&mut tx, &store, request)?;
        let timestamp =
            Timestamp::next_written(end.timestamp, chrono::Utc::now()).ok_or_else(|| {
                Error::TimestampsExhausted {
                    last: end.timestamp.map(|t| t.to_string()).unwrap_or_default(),
                }
            })?;
        let event = Event {
            shipment_id: id,
            event_seq: seq,
            event_type: request.event.event_type,
            timestamp,
            actor: request.event.actor,
            payload: request.event.payload.clone(),
            operator: Some(login.clone()),
            prev_hash: Some(hash_hex(&end.hash.unwrap_or(GENESIS_HASH))),
        };
        let line = encode(&event, &login)?;
        let expected: i64 = match request.expected {
            ExpectedSeq::Any => -1,
            ExpectedSeq::NoShipment => 0,
            ExpectedSeq::Exactly(seq) => i64::from(seq),
        };
        let row = tx
            .query_one("SELECT tower.append_event($1, $2)", &[&expected, &line])
            .map_err(|e| err("append", e))?;
        let position: i64 = row.get(0);
        tx.commit().map_err(|e| err("commit the append", e))?;
        Ok(Appended {
            event,
            seq,
            position: Position(position.max(1) as u64 - 1),
        })
    }
}

/// The login must hold `role` in `tower_roles` (the file store's policy
/// check, with the same error).
fn check_role(tx: &mut Transaction<'_>, login: &str, store: &str, role: Actor) -> Result<()> {
    let rows = tx
        .query(
            "SELECT role FROM tower.tower_roles WHERE login = session_user ORDER BY role",
            &[],
        )
        .map_err(|e| append_error(store, "read the login's roles", e))?;
    let allowed: Vec<Actor> = rows
        .iter()
        .filter_map(|row| Actor::from_log_name(row.get::<_, &str>(0)))
        .collect();
    if allowed.contains(&role) {
        return Ok(());
    }
    Err(Error::PolicyDenied {
        operator: login.to_string(),
        role,
        policy: roles_table(store),
        allowed,
    })
}

fn read_end(tx: &mut Transaction<'_>) -> Result<End, postgres::Error> {
    let row = tx.query_opt(
        "SELECT line, ts FROM tower.events ORDER BY position DESC LIMIT 1",
        &[],
    )?;
    Ok(match row {
        None => End {
            hash: None,
            timestamp: None,
        },
        Some(row) => End {
            hash: Some(hash_line(row.get::<_, &str>(0).as_bytes())),
            timestamp: Timestamp::parse(row.get::<_, &str>(1)),
        },
    })
}

/// The rules' verdict, then the ID and seq of the event.
fn place(
    tx: &mut Transaction<'_>,
    store: &str,
    request: &AppendRequest,
) -> Result<(ShipmentId, u32)> {
    let err = |doing: &str, e: postgres::Error| append_error(store, doing, e);
    let head = match request.target {
        Target::Existing(id) => {
            read_head(tx, id).map_err(|e| err("read the shipment's last event", e))?
        }
        Target::New => None,
    };
    match decide(request, head.as_ref())? {
        Placement::Next { id, seq } => Ok((id, seq)),
        Placement::New => {
            let row = tx
                .query_one("SELECT tower.next_shipment_id()", &[])
                .map_err(|e| err("take a new shipment ID", e))?;
            let number: i64 = row.get(0);
            let id = u64::try_from(number)
                .ok()
                .filter(|&n| n <= MAX_SHIPMENT_NUMBER)
                .and_then(ShipmentId::new)
                .ok_or(Error::IdsExhausted)?;
            Ok((id, 1))
        }
    }
}

/// The last event of `id`, as the rules need it.
pub(super) fn read_head(
    tx: &mut Transaction<'_>,
    id: ShipmentId,
) -> Result<Option<ShipmentHead>, postgres::Error> {
    let row = tx.query_opt(
        "SELECT event_seq, event_type, actor, operator, ts FROM tower.events \
         WHERE shipment_id = $1 ORDER BY event_seq DESC LIMIT 1",
        &[&id.to_string()],
    )?;
    Ok(row.and_then(|row| {
        Some(ShipmentHead {
            seq: u32::try_from(row.get::<_, i32>(0)).ok()?,
            state: EventType::from_log_name(row.get::<_, &str>(1))?,
            actor: Actor::from_log_name(row.get::<_, &str>(2))?,
            operator: row.get::<_, Option<&str>>(3).map(Arc::from),
            at: Timestamp::parse(row.get::<_, &str>(4))?,
        })
    }))
}

/// The canonical line, proven to read back as `event`.
fn encode(event: &Event, operator: &str) -> Result<String> {
    let line = NewLine {
        shipment_id: event.shipment_id,
        event_seq: event.event_seq,
        event_type: event.event_type,
        timestamp: event.timestamp,
        actor: event.actor,
        payload: &event.payload,
        operator,
        prev_hash: event.prev_hash.clone().unwrap_or_default(),
    };
    let bytes = line.encode_checked().map_err(|e| match e {
        LineError::UnreadablePayload(reason) => {
            Error::InvalidPayload(format!("it could not be read back: {reason}"))
        }
        other => Error::LineNotReadable(other),
    })?;
    String::from_utf8(bytes).map_err(|_| Error::Internal("an encoded line is not UTF-8".into()))
}

/// The append function's own refusals are `StoreRefused` (exit 1);
/// anything else is a database failure (exit 2).
fn append_error(store: &str, doing: &str, e: postgres::Error) -> Error {
    if let Some(db) = e.as_db_error()
        && (db.code().code() == REFUSED
            || db.code() == &postgres::error::SqlState::UNIQUE_VIOLATION)
    {
        return Error::StoreRefused(db.message().to_string());
    }
    if let Some(db) = e.as_db_error()
        && db.code() == &postgres::error::SqlState::UNTRANSLATABLE_CHARACTER
    {
        return Error::InvalidPayload(format!("the database cannot store it: {}", db.message()));
    }
    let mut error = super::connect::db_error(store, doing, &e);
    if let Error::Database { message, .. } = &mut error {
        message.push_str(if doing.starts_with("commit") {
            "; the append may or may not have been committed: look at the shipment before trying again"
        } else {
            "; nothing appended"
        });
    }
    error
}

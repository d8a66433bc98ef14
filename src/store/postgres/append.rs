//! One append, in one transaction and two round trips:
//!
//! 1. one simple-query message: `BEGIN`; take the appenders' advisory lock
//!    (held until COMMIT, so commit order is position order); then, each
//!    statement in a snapshot taken after the lock is granted, the login's
//!    roles with the log's last line, and the shipment's head (an advance)
//!    or a new ID from the sequence (a create whose actor the login holds;
//!    a create is checked against the rules before, so a refused one
//!    takes no ID);
//! 2. after the checks in Rust (for the same errors as the file store) and
//!    the canonical line (operator = the login): `tower.append_event` and
//!    `COMMIT` in one message. The function checks everything again: the
//!    database is the last line.
//!
//! Any failure before COMMIT rolls back. A batch is a loop of these, one
//! transaction each. Values are sent as SQL literals (simple-query messages
//! take no parameters), escaped by `postgres_protocol`.

use crate::domain::Name;

use postgres::SimpleQueryMessage;
use postgres_protocol::escape::escape_literal;

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

/// What the first round trip read, under the lock.
struct Start {
    /// The roles `tower_roles` grants the login.
    roles: Vec<Actor>,
    end: End,
    /// An advance: the shipment's last event, if it has one.
    head: Option<ShipmentHead>,
    /// A create: the ID `tower.next_shipment_id()` handed out (`None`
    /// when the login does not hold the create's role).
    new_id: Option<i64>,
}

impl PgStore {
    /// Appends one request in its own transaction.
    pub(super) fn append_one(&mut self, request: &AppendRequest) -> Result<Appended> {
        self.ensure_connected()?;
        let mut result = self.append_in_transaction(request);
        if result.is_err() && self.client.is_closed() && !self.commit_sent {
            // The connection was found dead at the first round trip (the
            // server restarted, the network was cut): nothing reached the
            // log, so one fresh connection gets one more try.
            if self.ensure_connected().is_ok() {
                result = self.append_in_transaction(request);
            }
        }
        if result.is_err() && !self.client.is_closed() {
            // Nothing was committed: COMMIT is sent only with the append
            // function, and runs only if the function succeeded. Outside
            // a transaction ROLLBACK is a warning, not an error.
            let _ = self.client.batch_execute("ROLLBACK");
        }
        result
    }

    fn append_in_transaction(&mut self, request: &AppendRequest) -> Result<Appended> {
        self.commit_sent = false;
        let login = self.login.clone();
        let store = self.target.describe().to_string();
        let err = |doing: &str, e: postgres::Error| append_error(&store, doing, e);
        // A create's verdict needs no state: known before its ID is taken,
        // given after the role check, as on the file store.
        let create_verdict = (request.target == Target::New).then(|| decide(request, None));
        let take_id = matches!(create_verdict, Some(Ok(_)));
        let messages = self
            .client
            .simple_query(&start_sql(request, take_id))
            .map_err(|e| {
                err(
                    "begin an append (the appenders' lock, the log's last event, the shipment)",
                    e,
                )
            })?;
        let start = read_start(&messages, request.target)?;
        check_role(&start.roles, &login, &store, request.event.actor)?;
        if let Some(verdict) = create_verdict {
            verdict?;
        }
        let end = start.end;
        let (id, seq) = place(request, start.head, start.new_id)?;
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
        let position = self.append_and_commit(expected, &line, &store)?;
        Ok(Appended {
            event,
            seq,
            position: Position(position.max(1) as u64 - 1),
        })
    }
}

impl PgStore {
    /// The second round trip: `tower.append_event` and COMMIT in one
    /// message; the event's row position.
    fn append_and_commit(&mut self, expected: i64, line: &str, store: &str) -> Result<i64> {
        let sql = format!(
            "SELECT tower.append_event(({expected})::bigint, {}::text); COMMIT",
            escape_literal(line)
        );
        self.commit_sent = true;
        let messages = self.client.simple_query(&sql).map_err(|e| {
            // The database's own error: the function or COMMIT refused, so
            // nothing was committed. Anything else (the connection) leaves
            // the COMMIT's fate unknown.
            let doing = if e.as_db_error().is_some() {
                "append"
            } else {
                "commit the append"
            };
            append_error(store, doing, e)
        })?;
        rows_of(&messages, 0)
            .first()
            .and_then(|row| row.get(0)?.parse::<i64>().ok())
            .ok_or_else(|| {
                Error::Internal(format!(
                    "the append to {store} was committed, but its position did not come back"
                ))
            })
    }
}

/// The first round trip's SQL (see the module's comment). The ID and the
/// role are escaped literals; the lock key is a constant. A create takes
/// an ID only when `take_id` (the rules allow it).
fn start_sql(request: &AppendRequest, take_id: bool) -> String {
    let last = match request.target {
        Target::Existing(id) => format!(
            "SELECT event_seq, event_type, actor, operator, ts FROM tower.events \
             WHERE shipment_id = {} ORDER BY event_seq DESC LIMIT 1",
            escape_literal(&id.to_string())
        ),
        Target::New if !take_id => "SELECT NULL::bigint".into(),
        Target::New => format!(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM tower.tower_roles \
             WHERE login = session_user AND role = {}) THEN tower.next_shipment_id() END",
            escape_literal(request.event.actor.as_str())
        ),
    };
    format!(
        "BEGIN ISOLATION LEVEL READ COMMITTED; \
         SELECT pg_advisory_xact_lock({APPEND_LOCK}); \
         SELECT (SELECT string_agg(role, ',' ORDER BY role) FROM tower.tower_roles \
                 WHERE login = session_user), e.line, e.ts \
         FROM (SELECT 1) AS one LEFT JOIN LATERAL \
              (SELECT line, ts FROM tower.events ORDER BY position DESC LIMIT 1) AS e ON true; \
         {last}"
    )
}

/// The rows of statement `n` (0-based) of a simple-query answer.
fn rows_of(messages: &[SimpleQueryMessage], n: usize) -> Vec<&postgres::SimpleQueryRow> {
    let mut statement = 0;
    let mut rows = Vec::new();
    for message in messages {
        match message {
            SimpleQueryMessage::Row(row) if statement == n => rows.push(row),
            SimpleQueryMessage::CommandComplete(_) => statement += 1,
            _ => {}
        }
    }
    rows
}

/// Statements: 0 BEGIN, 1 the lock, 2 roles + the log's end, 3 the head
/// or the new ID.
fn read_start(messages: &[SimpleQueryMessage], target: Target) -> Result<Start> {
    let missing = || Error::Internal("an append's first reads came back incomplete".into());
    let roles_and_end = rows_of(messages, 2);
    let row = roles_and_end.first().ok_or_else(missing)?;
    let roles = row
        .get(0)
        .unwrap_or("")
        .split(',')
        .filter_map(Actor::from_log_name)
        .collect();
    let end = match row.get(1) {
        None => End {
            hash: None,
            timestamp: None,
        },
        Some(line) => End {
            hash: Some(hash_line(line.as_bytes())),
            timestamp: row.get(2).and_then(Timestamp::parse),
        },
    };
    let last = rows_of(messages, 3);
    let (head, new_id) = match target {
        Target::Existing(_) => (last.first().and_then(|row| head_of(row)), None),
        Target::New => {
            let row = last.first().ok_or_else(missing)?;
            (None, row.get(0).and_then(|n| n.parse().ok()))
        }
    };
    Ok(Start {
        roles,
        end,
        head,
        new_id,
    })
}

/// The last event of a shipment, as the rules need it.
fn head_of(row: &postgres::SimpleQueryRow) -> Option<ShipmentHead> {
    Some(ShipmentHead {
        seq: row.get(0)?.parse().ok()?,
        state: EventType::from_log_name(row.get(1)?)?,
        actor: Actor::from_log_name(row.get(2)?)?,
        operator: row.get(3).map(Name::of),
        at: Timestamp::parse(row.get(4)?)?,
    })
}

/// The login must hold `role` in `tower_roles` (the file store's policy
/// check, with the same error).
fn check_role(allowed: &[Actor], login: &str, store: &str, role: Actor) -> Result<()> {
    if allowed.contains(&role) {
        return Ok(());
    }
    Err(Error::PolicyDenied {
        operator: login.to_string(),
        role,
        policy: roles_table(store),
        allowed: allowed.to_vec(),
    })
}

/// The rules' verdict (a create's was given before its ID was taken),
/// then the ID and seq of the event.
fn place(
    request: &AppendRequest,
    head: Option<ShipmentHead>,
    new_id: Option<i64>,
) -> Result<(ShipmentId, u32)> {
    if request.target == Target::New {
        let id = new_id
            .and_then(|n| u64::try_from(n).ok())
            .filter(|&n| n <= MAX_SHIPMENT_NUMBER)
            .and_then(ShipmentId::new)
            .ok_or(Error::IdsExhausted)?;
        return Ok((id, 1));
    }
    match decide(request, head.as_ref())? {
        Placement::Next { id, seq } => Ok((id, seq)),
        Placement::New => Err(Error::Internal(
            "an existing shipment's append decided as a new shipment".into(),
        )),
    }
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

//! Every failure the tower reports, in words a control-room operator
//! understands, and the exit code each one ends the process with.
//!
//! The variants are grouped by what a caller does about them: a refusal by
//! the rules (change the request), a conflict (look again), the policy,
//! a shipment not found, a log that changed, the writers' lock, I/O,
//! the user's own mistake (usage), and a broken invariant (internal).
//! `Error::exit_code` is the one place that maps them to exit codes.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::domain::rules::Refusal;
use crate::domain::{Actor, EventType, ShipmentId, Timestamp, lifecycle};
use crate::text::inert;

/// How many characters of a quoted text (a value, a name, a path) a message
/// shows. Every such text goes through `inert`: it may come from the log or
/// another process, and must not reach the terminal raw (issue 7 item 18).
const QUOTE_CHARS: usize = 300;
const NAME_CHARS: usize = 64;
const MESSAGE_CHARS: usize = 2000;

/// Exit code of a request the rules refused (payload, transition, role,
/// conflict, policy): the request must change, the tower is fine.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code of a usage mistake or a failure of the machine (I/O, lock,
/// terminal, a broken invariant): the request itself may be fine.
pub const EXIT_FAILED: u8 = 2;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // ---- Refused by the rules: the request must change (exit 1). ----
    /// The lifecycle table does not allow `event` after `state`.
    #[error("{}", transition_refused(*.id, *.state, *.actor, *.event))]
    TransitionNotAllowed {
        id: ShipmentId,
        state: EventType,
        actor: Actor,
        event: EventType,
    },
    /// The role table does not let `actor` append `event`.
    #[error("{}", role_refused(*.id, *.actor, *.event))]
    RoleNotPermitted {
        id: Option<ShipmentId>,
        actor: Actor,
        event: EventType,
    },
    #[error("invalid payload: {}; nothing appended", inert(.0, MESSAGE_CHARS))]
    InvalidPayload(String),
    /// Issue 7 item 9: the shipment's last `event_seq` is the highest a line can hold.
    #[error(
        "{0} is at event_seq {max}, the highest a line can hold: no event can follow; nothing appended",
        max = u32::MAX
    )]
    SeqExhausted(ShipmentId),
    /// Issue 7 item 8: the next event would have to be stamped past the year
    /// 9999 (the last line, `last`, is at its very end), which no reader accepts.
    #[error("{}", timestamps_exhausted(.last))]
    TimestampsExhausted { last: String },
    /// Every ten-digit ID has been used.
    #[error("every shipment ID up to SHP-9999999999 is taken")]
    IdsExhausted,
    /// Issue 7 item 8: the line built for the event would not read back as it.
    #[error(
        "the event would be written as a line that readers cannot read back ({0}); nothing appended"
    )]
    LineNotReadable(crate::domain::line::LineError),

    // ---- Conflict: the shipment moved on since the caller looked (exit 1). ----
    /// Optimistic concurrency: `expected_seq` is no longer the head.
    #[error(
        "{id} moved to {state} by {by} at {at}; nothing appended (you saw seq {expected_seq}, it is now at seq {current_seq})",
        by = by_whom(*.actor, .operator.as_deref())
    )]
    Conflict {
        id: ShipmentId,
        expected_seq: u32,
        current_seq: u32,
        state: EventType,
        actor: Actor,
        operator: Option<String>,
        at: Timestamp,
    },

    // ---- Policy: who may act as what. ----
    /// The role policy (`policy.toml`) does not let this operator act so (exit 1).
    #[error("{}", policy_denied(.operator, *.role, .policy, .allowed))]
    PolicyDenied {
        operator: String,
        role: Actor,
        policy: PathBuf,
        allowed: Vec<Actor>,
    },
    /// Issue 7 item 17: this OS account may not record events as that
    /// operator (the policy's `[shared_accounts]` does not list them) (exit 1).
    #[error(
        "account '{account}' may not act for operator '{operator}': {policy} lists no such shared account; drop --operator / CONTROL_TOWER_OPERATOR, or ask for '{account}' to be added under [shared_accounts]",
        account = inert(.account, NAME_CHARS),
        operator = inert(.operator, NAME_CHARS),
        policy = shown(.policy)
    )]
    ActingForDenied {
        account: String,
        operator: String,
        policy: PathBuf,
    },
    /// Issue 7 item 16/17: the role policy cannot be trusted or read
    /// (not a regular file, too big, writable by others); writes refused (exit 2).
    #[error(
        "the role policy {} {}; nothing is written until it is fixed (reading still works)",
        shown(.path),
        inert(.reason, MESSAGE_CHARS)
    )]
    PolicyUnusable { path: PathBuf, reason: String },
    /// The policy file does not parse, or names a role that does not exist
    /// (exit 2).
    #[error("{}", whole(format_args!("{}: {}; fix the policy file", .path.display(), .reason)))]
    PolicyInvalid { path: PathBuf, reason: String },

    // ---- Not found (exit 1). ----
    #[error("{0} does not exist: no event in the log names it")]
    UnknownShipment(ShipmentId),

    // ---- The log changed underneath. ----
    /// The log is no longer the prefix this writer had read (rewritten in
    /// place): the writer reloaded it and appended nothing (exit 1).
    #[error(
        "{} changed under this writer ({detail}): it was re-read from the start and nothing was appended; check the shipment and try again",
        shown(.path)
    )]
    LogChanged { path: PathBuf, detail: String },
    /// A line the reader had indexed no longer holds an event (exit 2).
    #[error(
        "{}",
        whole(format_args!(
            "{} changed under the reader (offset {} no longer holds an event); reload",
            .path.display(),
            .offset
        ))
    )]
    ChangedUnderReader { path: PathBuf, offset: u64 },

    /// This process may only read the log: why it cannot write (exit 2).
    #[error("{0}")]
    ReadOnly(String),

    // ---- The writers' lock (exit 2). ----
    /// Another writer held the lock for longer than the writer may wait.
    #[error(
        "gave up after {:.1} s waiting for the writers' lock {}{}; nothing appended: try again, or raise --lock-timeout",
        .waited.as_secs_f64(),
        shown(.lock),
        held_by(*.holder)
    )]
    LockTimeout {
        lock: PathBuf,
        holder: Option<u32>,
        waited: Duration,
    },
    /// The person waiting for the lock gave up (Esc in the dashboard).
    #[error("cancelled while waiting for the log lock; nothing appended")]
    Cancelled,

    // ---- I/O: files and the terminal (exit 2). ----
    /// A file could not be read or written.
    #[error("cannot {doing} {}: {source}{}", shown(.path), io_hint(.source))]
    Io {
        doing: String,
        path: PathBuf,
        source: io::Error,
    },
    /// Issue 7 item 7: the event is durably in the log, but its result could
    /// not be printed (a retry would append it twice).
    #[error(
        "appended {id} seq {seq}, but could not print the result: {source}; it is in the log, so do not run the command again (`control-tower show {id}` shows it)"
    )]
    AppendedNotPrinted {
        id: ShipmentId,
        seq: u32,
        source: io::Error,
    },
    /// The dashboard could not set up or draw on the terminal; `doing` is
    /// "set up" or "draw on".
    #[error("{}", whole(format_args!("cannot {} the terminal: {}", .doing, .source)))]
    Terminal {
        doing: &'static str,
        source: io::Error,
    },
    /// The dashboard was asked for where there is no terminal to draw on
    /// (stdout is a pipe or a file).
    #[error(
        "the dashboard needs a terminal, and stdout is not one; use the commands instead (e.g. `control-tower list`, `control-tower audit`)"
    )]
    NoTerminal,

    // ---- Usage: the user's own mistake (exit 2). ----
    /// A mistake in what was asked (bad value, bad option).
    #[error("{}", inert(.0, MESSAGE_CHARS))]
    Usage(String),
    /// Issue 7 item 2: a named data directory does not exist.
    #[error(
        "data directory {dir} does not exist; check --data-dir / CONTROL_TOWER_DATA_DIR, or create it with `control-tower init {dir}`",
        dir = shown(.0)
    )]
    DataDirMissing(PathBuf),
    /// Issue 7 item 1: `demo` would write fake traffic into a real log.
    #[error(
        "demo will not run on {}: {}; demo writes simulated traffic, so it only uses its own directory (run `control-tower demo` for data/demo, or give --data-dir an empty directory)",
        shown(.dir),
        inert(.reason, MESSAGE_CHARS)
    )]
    NotADemoDir { dir: PathBuf, reason: String },

    // ---- The PostgreSQL store. ----
    /// The database itself refused an append (its own checks: expected
    /// seq, chain, transition, permission, role, operator); nothing appended.
    #[error("{}", whole(format_args!("the database refused the append: {}; nothing appended", .0)))]
    StoreRefused(String),
    /// Only the tower's administrator (the schema's owner) may do this.
    #[error("{}", whole(format_args!("only the tower's administrator may {}; login '{}' is not it, and nothing changed", .doing, .login)))]
    NotAdministrator { doing: String, login: String },
    /// The schema is missing or older than this program, and this login
    /// may not install it.
    #[error("{}", whole(format_args!("{}: the schema is not installed or is older: ask the administrator to run `control-tower migrate-schema`", .0)))]
    SchemaMissing(String),
    /// The schema is newer than this program knows.
    #[error("{}", whole(format_args!("{}: the schema is at version {}, newer than this control-tower knows ({}); upgrade control-tower", .store, .found, .known)))]
    SchemaNewer {
        store: String,
        found: u32,
        known: u32,
    },
    /// Talking to the database failed (connection, server, query).
    #[error("{}", whole(format_args!("cannot {} on {}: {}", .doing, .store, .message)))]
    Database {
        doing: String,
        store: String,
        message: String,
    },

    // ---- Internal (exit 2). ----
    /// An invariant of this program does not hold: a bug, not the user's
    /// mistake nor the machine's.
    #[error("{}", whole(format_args!("internal: {}", .0)))]
    Internal(String),
    /// A request to the store that contradicts itself (a new shipment
    /// whose event is not CREATED, or that expects earlier events): the
    /// calling program's mistake, not the operator's.
    #[error("{}", inert(.0, MESSAGE_CHARS))]
    MalformedRequest(String),
    /// `bench` could not take a measurement (a run failed or timed out).
    #[error("{}", inert(.0, MESSAGE_CHARS))]
    BenchFailed(String),
}

impl Error {
    pub fn io(doing: impl Into<String>, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            doing: doing.into(),
            path: path.into(),
            source,
        }
    }

    /// The one place exit codes are decided: `EXIT_REFUSED` (1) when the
    /// rules refused the request, `EXIT_FAILED` (2) for usage, I/O, the
    /// lock and internal failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::TransitionNotAllowed { .. }
            | Error::RoleNotPermitted { .. }
            | Error::InvalidPayload(_)
            | Error::SeqExhausted(_)
            | Error::TimestampsExhausted { .. }
            | Error::IdsExhausted
            | Error::LineNotReadable(_)
            | Error::Conflict { .. }
            | Error::PolicyDenied { .. }
            | Error::ActingForDenied { .. }
            | Error::UnknownShipment(_)
            | Error::LogChanged { .. }
            | Error::StoreRefused(_)
            | Error::NotAdministrator { .. } => EXIT_REFUSED,
            Error::PolicyUnusable { .. }
            | Error::PolicyInvalid { .. }
            | Error::ChangedUnderReader { .. }
            | Error::ReadOnly(_)
            | Error::LockTimeout { .. }
            | Error::Cancelled
            | Error::Io { .. }
            | Error::AppendedNotPrinted { .. }
            | Error::Terminal { .. }
            | Error::NoTerminal
            | Error::Usage(_)
            | Error::DataDirMissing(_)
            | Error::NotADemoDir { .. }
            | Error::Internal(_)
            | Error::MalformedRequest(_)
            | Error::BenchFailed(_)
            | Error::SchemaMissing(_)
            | Error::SchemaNewer { .. }
            | Error::Database { .. } => EXIT_FAILED,
        }
    }
}

/// The rules' refusals keep the variants (and so the messages and exit
/// codes) they always had here; a malformed request for a new shipment is
/// the calling program's mistake.
impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Error {
        match refusal {
            Refusal::TransitionNotAllowed {
                id,
                state,
                actor,
                event,
            } => Error::TransitionNotAllowed {
                id,
                state,
                actor,
                event,
            },
            Refusal::RoleNotPermitted { id, actor, event } => {
                Error::RoleNotPermitted { id, actor, event }
            }
            Refusal::InvalidPayload(reason) => Error::InvalidPayload(reason),
            Refusal::Conflict {
                id,
                expected_seq,
                head,
            } => Error::Conflict {
                id,
                expected_seq,
                current_seq: head.seq,
                state: head.state,
                actor: head.actor,
                operator: head.operator.as_deref().map(String::from),
                at: head.at,
            },
            Refusal::UnknownShipment(id) => Error::UnknownShipment(id),
            Refusal::NotCreated(_) | Refusal::NewShipmentSeq => {
                Error::MalformedRequest(refusal.to_string())
            }
        }
    }
}

impl From<&Error> for ExitCode {
    fn from(error: &Error) -> ExitCode {
        ExitCode::from(error.exit_code())
    }
}

/// A path as a message shows it: inert, since a directory name can hold
/// anything (and may come from another process's files).
fn shown(path: &Path) -> String {
    inert(&path.display().to_string(), QUOTE_CHARS)
}

/// A whole message made inert at once (for messages that quote what they
/// were given without a cap of their own).
fn whole(message: fmt::Arguments<'_>) -> String {
    inert(&message.to_string(), MESSAGE_CHARS)
}

fn names<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn transition_refused(id: ShipmentId, state: EventType, actor: Actor, event: EventType) -> String {
    let allowed = lifecycle::allowed_next(Some(state));
    if allowed.is_empty() {
        format!(
            "{id} is {state}; {actor} cannot append {event} ({state} is final: nothing may follow)"
        )
    } else {
        format!(
            "{id} is {state}; {actor} cannot append {event} (allowed next: {})",
            names(allowed)
        )
    }
}

fn role_refused(id: Option<ShipmentId>, actor: Actor, event: EventType) -> String {
    let whom = names(lifecycle::permitted_actors(event));
    match id {
        Some(id) => format!("{actor} may not append {event} to {id} (only {whom} may)"),
        None => format!("{actor} may not append {event} (only {whom} may)"),
    }
}

fn by_whom(actor: Actor, operator: Option<&str>) -> String {
    match operator {
        Some(op) => format!("{actor} ({})", inert(op, NAME_CHARS)),
        None => actor.to_string(),
    }
}

fn policy_denied(operator: &str, role: Actor, policy: &Path, allowed: &[Actor]) -> String {
    let operator = inert(operator, NAME_CHARS);
    let policy = shown(policy);
    if allowed.is_empty() {
        format!(
            "operator '{operator}' may not act as {role}: {policy} gives '{operator}' read-only access"
        )
    } else {
        format!(
            "operator '{operator}' may not act as {role}: {policy} allows only {}",
            names(allowed)
        )
    }
}

fn timestamps_exhausted(last: &str) -> String {
    if last.is_empty() {
        "the system clock is past the year 9999, which no reader accepts; nothing appended (set the clock right)".into()
    } else {
        format!(
            "the log's last event is stamped {}; a new event may not be stamped earlier, and no time after the year 9999 can be written or read; nothing appended (check the system clock, and run `control-tower verify`)",
            inert(last, QUOTE_CHARS)
        )
    }
}

fn held_by(holder: Option<u32>) -> String {
    match holder {
        Some(pid) => format!(" (held by PID {pid})"),
        None => " (held by another process)".into(),
    }
}

/// What to do about a file error, when the error says.
fn io_hint(source: &io::Error) -> &'static str {
    match source.kind() {
        io::ErrorKind::PermissionDenied => {
            " (check the file's owner and permissions, or use --data-dir)"
        }
        io::ErrorKind::NotFound => " (check --data-dir)",
        _ if source.raw_os_error() == Some(libc::EFBIG) => {
            " (the file-size limit was reached: see `ulimit -f`)"
        }
        _ if source.raw_os_error() == Some(libc::ENOSPC) => " (the disk is full)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other() -> io::Error {
        io::Error::other("gone")
    }

    #[test]
    fn refusals_exit_1_and_failures_exit_2() {
        let id: ShipmentId = "SHP-0000000042".parse().unwrap();
        let path = PathBuf::from("/tmp/x");
        for refused in [
            Error::UnknownShipment(id),
            Error::InvalidPayload("bad".into()),
            Error::SeqExhausted(id),
            Error::IdsExhausted,
            Error::LogChanged {
                path: path.clone(),
                detail: "d".into(),
            },
        ] {
            assert_eq!(refused.exit_code(), 1, "{refused}");
        }
        for failed in [
            Error::Usage("u".into()),
            Error::Internal("i".into()),
            Error::BenchFailed("b".into()),
            Error::NoTerminal,
            Error::MalformedRequest("m".into()),
            Error::Cancelled,
            Error::io("read", &path, other()),
            Error::Terminal {
                doing: "set up",
                source: other(),
            },
            Error::PolicyInvalid {
                path: path.clone(),
                reason: "r".into(),
            },
            Error::ChangedUnderReader {
                path: path.clone(),
                offset: 7,
            },
            Error::DataDirMissing(path.clone()),
        ] {
            assert_eq!(failed.exit_code(), 2, "{failed}");
        }
    }

    /// The variants that replaced `Usage` at sites that were not the user's
    /// mistake read exactly as those sites' messages did.
    #[test]
    fn former_usage_messages_read_as_before() {
        let path = PathBuf::from("/data/events\u{1b}[2J.jsonl");
        let before = |text: String| Error::Usage(text).to_string();
        assert_eq!(
            Error::PolicyInvalid {
                path: path.clone(),
                reason: "line 2".into()
            }
            .to_string(),
            before(format!("{}: line 2; fix the policy file", path.display()))
        );
        assert_eq!(
            Error::ChangedUnderReader {
                path: path.clone(),
                offset: 99
            }
            .to_string(),
            before(format!(
                "{} changed under the reader (offset 99 no longer holds an event); reload",
                path.display()
            ))
        );
        assert_eq!(
            Error::Terminal {
                doing: "draw on",
                source: other()
            }
            .to_string(),
            "cannot draw on the terminal: gone"
        );
        assert_eq!(
            Error::NoTerminal.to_string(),
            before("the dashboard needs a terminal, and stdout is not one; use the commands instead (e.g. `control-tower list`, `control-tower audit`)".into())
        );
        for refusal in [
            Refusal::NotCreated(EventType::Delivered),
            Refusal::NewShipmentSeq,
        ] {
            let error = Error::from(refusal.clone());
            assert!(matches!(error, Error::MalformedRequest(_)), "{error:?}");
            assert_eq!(error.to_string(), before(refusal.to_string()));
        }
        assert_eq!(
            Error::Internal("empty batch".into()).to_string(),
            "internal: empty batch"
        );
        assert!(
            !Error::Internal("\u{1b}[2J".into())
                .to_string()
                .contains('\u{1b}')
        );
    }
}

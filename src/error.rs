//! Every failure the tower reports, in words a control-room operator
//! understands, and the exit code the CLI maps it to.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::domain::{Actor, EventType, ShipmentId, Timestamp, lifecycle};
use crate::text::inert;

/// How many characters of a quoted text (a value, a name, a path) a message
/// shows. Every such text goes through `inert`: it may come from the log or
/// another process, and must not reach the terminal raw (issue 7 item 18).
const QUOTE_CHARS: usize = 300;
const NAME_CHARS: usize = 64;
const MESSAGE_CHARS: usize = 2000;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug)]
pub enum Error {
    /// The lifecycle table does not allow `event` after `state`.
    TransitionNotAllowed {
        id: ShipmentId,
        state: EventType,
        actor: Actor,
        event: EventType,
    },
    /// The role table does not let `actor` append `event`.
    RoleNotPermitted {
        id: Option<ShipmentId>,
        actor: Actor,
        event: EventType,
    },
    /// The shipment moved on since the caller looked (optimistic concurrency).
    Conflict {
        id: ShipmentId,
        expected_seq: u32,
        current_seq: u32,
        state: EventType,
        actor: Actor,
        operator: Option<String>,
        at: Timestamp,
    },
    UnknownShipment(ShipmentId),
    InvalidPayload(String),
    /// The role policy (`policy.toml`) does not let this operator act so.
    PolicyDenied {
        operator: String,
        role: Actor,
        policy: PathBuf,
        allowed: Vec<Actor>,
    },
    /// A mistake in what was asked (bad value, bad option).
    Usage(String),
    /// A file could not be read or written.
    Io {
        doing: String,
        path: PathBuf,
        source: io::Error,
    },
    /// Every ten-digit ID has been used.
    IdsExhausted,
    /// Issue 7 item 7: the event is durably in the log, but its result could
    /// not be printed (a retry would append it twice).
    AppendedNotPrinted {
        id: ShipmentId,
        seq: u32,
        source: io::Error,
    },
}

impl Error {
    pub fn io(doing: impl Into<String>, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            doing: doing.into(),
            path: path.into(),
            source,
        }
    }

    /// 1: refused by the rules; 2: usage or I/O.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Io { .. } | Error::AppendedNotPrinted { .. } => 2,
            _ => 1,
        }
    }
}

fn names<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TransitionNotAllowed {
                id,
                state,
                actor,
                event,
            } => {
                let allowed = lifecycle::allowed_next(Some(*state));
                if allowed.is_empty() {
                    write!(
                        f,
                        "{id} is {state}; {actor} cannot append {event} ({state} is final: nothing may follow)"
                    )
                } else {
                    write!(
                        f,
                        "{id} is {state}; {actor} cannot append {event} (allowed next: {})",
                        names(allowed)
                    )
                }
            }
            Error::RoleNotPermitted { id, actor, event } => {
                let whom = lifecycle::permitted_actors(*event);
                match id {
                    Some(id) => write!(
                        f,
                        "{actor} may not append {event} to {id} (only {} may)",
                        names(whom)
                    ),
                    None => write!(
                        f,
                        "{actor} may not append {event} (only {} may)",
                        names(whom)
                    ),
                }
            }
            Error::Conflict {
                id,
                expected_seq,
                current_seq,
                state,
                actor,
                operator,
                at,
            } => {
                let by = match operator {
                    Some(op) => format!("{actor} ({})", inert(op, NAME_CHARS)),
                    None => actor.to_string(),
                };
                write!(
                    f,
                    "{id} moved to {state} by {by} at {at}; nothing appended (you saw seq {expected_seq}, it is now at seq {current_seq})"
                )
            }
            Error::UnknownShipment(id) => {
                write!(f, "{id} does not exist: no event in the log names it")
            }
            Error::InvalidPayload(reason) => {
                write!(
                    f,
                    "invalid payload: {}; nothing appended",
                    inert(reason, MESSAGE_CHARS)
                )
            }
            Error::PolicyDenied {
                operator,
                role,
                policy,
                allowed,
            } => {
                let operator = inert(operator, NAME_CHARS);
                let policy = inert(&policy.display().to_string(), QUOTE_CHARS);
                if allowed.is_empty() {
                    write!(
                        f,
                        "operator '{operator}' may not act as {role}: {policy} gives '{operator}' read-only access"
                    )
                } else {
                    write!(
                        f,
                        "operator '{operator}' may not act as {role}: {policy} allows only {}",
                        names(allowed)
                    )
                }
            }
            Error::Usage(message) => f.write_str(&inert(message, MESSAGE_CHARS)),
            Error::Io {
                doing,
                path,
                source,
            } => {
                write!(
                    f,
                    "cannot {doing} {}: {source}",
                    inert(&path.display().to_string(), QUOTE_CHARS)
                )?;
                match source.kind() {
                    io::ErrorKind::PermissionDenied => {
                        f.write_str(" (check the file's owner and permissions, or use --data-dir)")
                    }
                    io::ErrorKind::NotFound => f.write_str(" (check --data-dir)"),
                    _ if source.raw_os_error() == Some(libc::EFBIG) => {
                        f.write_str(" (the file-size limit was reached: see `ulimit -f`)")
                    }
                    _ if source.raw_os_error() == Some(libc::ENOSPC) => {
                        f.write_str(" (the disk is full)")
                    }
                    _ => Ok(()),
                }
            }
            Error::IdsExhausted => f.write_str("every shipment ID up to SHP-9999999999 is taken"),
            Error::AppendedNotPrinted { id, seq, source } => write!(
                f,
                "appended {id} seq {seq}, but could not print the result: {source}; it is in the log, so do not run the command again (`control-tower show {id}` shows it)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::AppendedNotPrinted { source, .. } => Some(source),
            _ => None,
        }
    }
}

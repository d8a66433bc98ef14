//! Every failure the tower reports, in words a control-room operator
//! understands, and the exit code the CLI maps it to.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::domain::{Actor, EventType, ShipmentId, Timestamp, lifecycle};

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
    /// Issue 7 item 9: the shipment's last `event_seq` is the highest a line can hold.
    SeqExhausted(ShipmentId),
    /// Issue 7 item 8: the next event would have to be stamped past the year
    /// 9999 (the last line, `last`, is at its very end), which no reader accepts.
    TimestampsExhausted {
        last: String,
    },
    /// Issue 7 item 8: the line built for the event would not read back as it.
    LineNotReadable(crate::domain::line::LineError),
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
            Error::Usage(_) | Error::Io { .. } => 2,
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
                    Some(op) => format!("{actor} ({op})"),
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
                write!(f, "invalid payload: {reason}; nothing appended")
            }
            Error::PolicyDenied {
                operator,
                role,
                policy,
                allowed,
            } => {
                if allowed.is_empty() {
                    write!(
                        f,
                        "operator '{operator}' may not act as {role}: {} gives '{operator}' read-only access",
                        policy.display()
                    )
                } else {
                    write!(
                        f,
                        "operator '{operator}' may not act as {role}: {} allows only {}",
                        policy.display(),
                        names(allowed)
                    )
                }
            }
            Error::Usage(message) => f.write_str(message),
            Error::Io {
                doing,
                path,
                source,
            } => {
                write!(f, "cannot {doing} {}: {source}", path.display())?;
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
            Error::SeqExhausted(id) => write!(
                f,
                "{id} is at event_seq {}, the highest a line can hold: no event can follow; nothing appended",
                u32::MAX
            ),
            Error::TimestampsExhausted { last } if last.is_empty() => f.write_str(
                "the system clock is past the year 9999, which no reader accepts; nothing appended (set the clock right)",
            ),
            Error::TimestampsExhausted { last } => write!(
                f,
                "the log's last event is stamped {last}; a new event may not be stamped earlier, and no time after the year 9999 can be written or read; nothing appended (check the system clock, and run `control-tower verify`)"
            ),
            Error::LineNotReadable(reason) => write!(
                f,
                "the event would be written as a line that readers cannot read back ({reason}); nothing appended"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

//! Every failure the tower reports, in words a control-room operator
//! understands, and the exit code the CLI maps it to.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

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
    // Issue 7, locks: the writers' lock and a log that changed underneath.
    /// Another writer held the lock for longer than the writer may wait.
    LockTimeout {
        lock: PathBuf,
        holder: Option<u32>,
        waited: Duration,
    },
    /// The person waiting for the lock gave up (Esc in the dashboard).
    Cancelled,
    /// The log is no longer the prefix this writer had read (rewritten in
    /// place): the writer reloaded it and appended nothing.
    LogChanged {
        path: PathBuf,
        detail: String,
    },
    /// Issue 7 item 16/17: the role policy cannot be trusted or read
    /// (not a regular file, too big, writable by others); writes refused.
    PolicyUnusable {
        path: PathBuf,
        reason: String,
    },
    /// Issue 7 item 17: this OS account may not record events as that
    /// operator (the policy's `[shared_accounts]` does not list them).
    ActingForDenied {
        account: String,
        operator: String,
        policy: PathBuf,
    },
    /// Issue 7 item 2: a named data directory does not exist.
    DataDirMissing(PathBuf),
    /// Issue 7 item 1: `demo` would write fake traffic into a real log.
    NotADemoDir {
        dir: PathBuf,
        reason: String,
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
            Error::Usage(_)
            | Error::Io { .. }
            | Error::LockTimeout { .. }
            | Error::Cancelled
            | Error::PolicyUnusable { .. }
            | Error::DataDirMissing(_)
            | Error::NotADemoDir { .. } => 2,
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
            Error::LockTimeout {
                lock,
                holder,
                waited,
            } => {
                write!(
                    f,
                    "gave up after {:.1} s waiting for the writers' lock {}",
                    waited.as_secs_f64(),
                    lock.display()
                )?;
                match holder {
                    Some(pid) => write!(f, " (held by PID {pid})")?,
                    None => f.write_str(" (held by another process)")?,
                }
                f.write_str("; nothing appended: try again, or raise --lock-timeout")
            }
            Error::Cancelled => {
                f.write_str("cancelled while waiting for the log lock; nothing appended")
            }
            Error::LogChanged { path, detail } => write!(
                f,
                "{} changed under this writer ({detail}): it was re-read from the start and nothing was appended; check the shipment and try again",
                path.display()
            ),
            Error::PolicyUnusable { path, reason } => write!(
                f,
                "the role policy {} {reason}; nothing is written until it is fixed (reading still works)",
                path.display()
            ),
            Error::ActingForDenied {
                account,
                operator,
                policy,
            } => write!(
                f,
                "account '{account}' may not act for operator '{operator}': {} lists no such shared account; drop --operator / CONTROL_TOWER_OPERATOR, or ask for '{account}' to be added under [shared_accounts]",
                policy.display()
            ),
            Error::DataDirMissing(dir) => write!(
                f,
                "data directory {} does not exist; check --data-dir / CONTROL_TOWER_DATA_DIR, or create it with `control-tower init {}`",
                dir.display(),
                dir.display()
            ),
            Error::NotADemoDir { dir, reason } => write!(
                f,
                "demo will not run on {}: {reason}; demo writes simulated traffic, so it only uses its own directory (run `control-tower demo` for data/demo, or give --data-dir an empty directory)",
                dir.display()
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

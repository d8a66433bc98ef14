//! `Location`: where a tower's events live (a data directory, or a
//! PostgreSQL database), and what a reader needs from it whichever it is:
//! a subscription from a position, and a way to read lines back by where
//! the projection recorded them.

use std::fs::File;
use std::time::Duration;

use super::copy::LineCopy;
use super::{EventStore, JsonlStore, Position, Subscription};
use crate::error::{Error, Result};
use crate::log::files::{self, LogPaths};
use crate::log::lines::LineSpan;

/// Where a tower's events live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The JSONL file log in a data directory.
    File(LogPaths),
    /// A PostgreSQL database: a libpq URL or key=value string (never with
    /// its password, which comes from `PGPASSWORD` or `~/.pgpass`).
    Postgres(String),
}

/// Who is acting: the name recorded by the file store, and whether
/// someone named it (`--operator`, `$CONTROL_TOWER_OPERATOR`) or it is the
/// OS account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub operator: String,
    pub named: Option<String>,
}

/// Reads event lines back by where a projection recorded them (the file:
/// byte offsets; a database: positions).
pub trait LineSource: Send {
    /// The lines at `spans`, in order; an error when one is no longer there
    /// (the log changed under the reader).
    fn read(&mut self, spans: &[LineSpan]) -> Result<Vec<Vec<u8>>>;
}

impl Location {
    /// What the header and messages call it: the directory, or host/database.
    pub fn describe(&self) -> String {
        match self {
            Location::File(paths) => paths.dir.display().to_string(),
            Location::Postgres(url) => postgres_label(url),
        }
    }

    /// What reports name as the log: the event file, or host/database.
    pub fn log_name(&self) -> String {
        match self {
            Location::File(paths) => paths.events.display().to_string(),
            Location::Postgres(url) => postgres_label(url),
        }
    }

    /// The data directory, for the file store.
    pub fn paths(&self) -> Option<&LogPaths> {
        match self {
            Location::File(paths) => Some(paths),
            Location::Postgres(_) => None,
        }
    }

    /// A store for one command's writes: cheap to open on a log of any
    /// size. `who` says who is acting (the file store records them; a
    /// database records its login, and refuses a different name given).
    pub fn writer(&self, who: &Who, lock_timeout: Duration) -> Result<Box<dyn EventStore>> {
        match self {
            Location::File(paths) => {
                let mut store = JsonlStore::open(paths, &who.operator)?;
                store.set_lock_timeout(lock_timeout);
                Ok(Box::new(store))
            }
            Location::Postgres(url) => postgres::store(url, who.named.as_deref()),
        }
    }

    /// A store for reading only.
    pub fn reader(&self) -> Result<Box<dyn EventStore>> {
        match self {
            Location::File(paths) => Ok(Box::new(JsonlStore::reader(paths))),
            Location::Postgres(url) => postgres::store(url, None),
        }
    }

    /// The store as a source (`write` false) or a target of `migrate`.
    pub fn line_copy(&self, who: &Who, write: bool) -> Result<Box<dyn LineCopy>> {
        match self {
            Location::File(paths) if write => Ok(Box::new(JsonlStore::open(paths, &who.operator)?)),
            Location::File(paths) => Ok(Box::new(JsonlStore::reader(paths))),
            Location::Postgres(url) => postgres::line_copy(url),
        }
    }

    /// Events as they are committed, from `from` on.
    pub fn subscribe(&self, from: Position) -> Result<Box<dyn Subscription>> {
        match self {
            Location::File(paths) => super::EventStore::subscribe(&JsonlStore::reader(paths), from),
            Location::Postgres(url) => postgres::subscribe(url, from),
        }
    }

    /// Reads lines back by where they were recorded.
    pub fn lines(&self) -> Result<Box<dyn LineSource>> {
        match self {
            Location::File(paths) => Ok(Box::new(FileLines {
                paths: paths.clone(),
                file: None,
            })),
            Location::Postgres(url) => postgres::lines(url),
        }
    }
}

/// `host/dbname` of a connection string, without user or password.
fn postgres_label(url: &str) -> String {
    let field = |key: &str| {
        url.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=').map(str::to_owned))
    };
    if let Some(rest) = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
    {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        let rest = rest.split('?').next().unwrap_or(rest);
        return rest.to_string();
    }
    let host = field("host").unwrap_or_else(|| "localhost".into());
    let host = match field("port") {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    format!("{host}/{}", field("dbname").unwrap_or_default())
}

/// The file, opened on first use and kept: a reader that starts over
/// (the log was replaced) makes a new source.
struct FileLines {
    paths: LogPaths,
    file: Option<File>,
}

/// The longest run of adjacent lines read at once.
const RUN_BYTES: u64 = 4 << 20;

impl LineSource for FileLines {
    fn read(&mut self, spans: &[LineSpan]) -> Result<Vec<Vec<u8>>> {
        let path = &self.paths.events;
        if self.file.is_none() {
            self.file = files::open_for_read(path)?;
        }
        let Some(file) = self.file.as_ref() else {
            return Err(Error::ChangedUnderReader {
                path: path.clone(),
                offset: spans.first().map_or(0, |s| s.offset),
            });
        };
        // Lines that follow each other in the file (a replay reads runs
        // of them) are read with one call per run of up to 4 MiB.
        let mut out = Vec::with_capacity(spans.len());
        let mut rest = spans;
        while let Some(first) = rest.first() {
            let mut end = first.offset + u64::from(first.len);
            let mut run = 1;
            while let Some(next) = rest.get(run) {
                if next.offset != end + 1 || end - first.offset > RUN_BYTES {
                    break;
                }
                end = next.offset + u64::from(next.len);
                run += 1;
            }
            let bytes =
                files::read_exact_at(file, path, first.offset, (end - first.offset) as usize)?;
            for span in &rest[..run] {
                let start = (span.offset - first.offset) as usize;
                out.push(bytes[start..start + span.len as usize].to_vec());
            }
            rest = &rest[run..];
        }
        Ok(out)
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::{LineSource, Position, Result, Subscription};
    use crate::log::lines::LineSpan;
    use crate::store::EventStore;
    use crate::store::postgres::PgStore;

    pub fn store(url: &str, operator: Option<&str>) -> Result<Box<dyn EventStore>> {
        Ok(Box::new(PgStore::connect(url, operator)?))
    }

    pub fn line_copy(url: &str) -> Result<Box<dyn crate::store::copy::LineCopy>> {
        Ok(Box::new(PgStore::connect(url, None)?))
    }

    pub fn subscribe(url: &str, from: Position) -> Result<Box<dyn Subscription>> {
        PgStore::connect(url, None)?.subscribe(from)
    }

    pub fn lines(url: &str) -> Result<Box<dyn LineSource>> {
        Ok(Box::new(PgLines(PgStore::connect(url, None)?)))
    }

    struct PgLines(PgStore);

    impl LineSource for PgLines {
        fn read(&mut self, spans: &[LineSpan]) -> Result<Vec<Vec<u8>>> {
            // A span's offset is the position handed out (row - 1), as read_lines takes it.
            let positions: Vec<u64> = spans.iter().map(|s| s.offset).collect();
            let rows = self.0.read_lines(&positions)?;
            Ok(rows
                .into_iter()
                .map(|(_, line)| line.into_bytes())
                .collect())
        }
    }
}

#[cfg(not(feature = "postgres"))]
mod postgres {
    use super::{LineSource, Position, Result, Subscription};
    use crate::error::Error;
    use crate::store::EventStore;

    pub fn store(_: &str, _: Option<&str>) -> Result<Box<dyn EventStore>> {
        Err(not_built())
    }

    pub fn line_copy(_: &str) -> Result<Box<dyn crate::store::copy::LineCopy>> {
        Err(not_built())
    }

    fn not_built() -> Error {
        Error::Usage("this build has no PostgreSQL store (cargo feature `postgres`)".into())
    }

    pub fn subscribe(_: &str, _: Position) -> Result<Box<dyn Subscription>> {
        Err(not_built())
    }

    pub fn lines(_: &str) -> Result<Box<dyn LineSource>> {
        Err(not_built())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_labels_hide_user_and_password() {
        assert_eq!(
            postgres_label("postgresql://asha:secret@db.hub-3:5433/tower?sslmode=require"),
            "db.hub-3:5433/tower"
        );
        assert_eq!(
            postgres_label("host=10.0.0.2 dbname=tower user=asha"),
            "10.0.0.2/tower"
        );
        assert_eq!(
            postgres_label("host=10.0.0.2 port=5433 dbname=tower"),
            "10.0.0.2:5433/tower"
        );
    }
}

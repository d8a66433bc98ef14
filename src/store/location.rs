//! `Location`: where a tower's events live (a data directory, or a
//! PostgreSQL database), and what a reader needs from it whichever it is:
//! a subscription from a position, and a way to read lines back by where
//! the projection recorded them.

use std::fs::File;
use std::time::Duration;

use super::copy::LineCopy;
use super::{EventStore, JsonlStore, Position, Subscription};
use crate::domain::ShipmentId;
use crate::error::{Error, Result};
use crate::log::files::{self, LogPaths};
use crate::log::lines::LineSpan;
use crate::log::scan;

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

    /// Every line of one shipment, in order, with where each is: found
    /// between its first and last line (a byte search on the file, an
    /// indexed query on a database). An error when they are not all
    /// there as recorded (the log changed under the reader).
    fn shipment(&mut self, lines: ShipmentLines) -> Result<ShipmentRead>;

    /// `shipment` for each of `many`, in order (a store may read them
    /// together: the file does when one pass over their lines reads fewer
    /// bytes than one search each).
    fn shipments(&mut self, many: &[ShipmentLines]) -> Result<Vec<ShipmentRead>> {
        many.iter().map(|&lines| self.shipment(lines)).collect()
    }
}

/// One shipment's lines as read back: where each is, and its bytes.
pub type ShipmentRead = Vec<(LineSpan, Vec<u8>)>;

/// Where one shipment's lines are: from the start of its first line to
/// the end of its last, `count` of them (what a projection keeps instead
/// of every line's place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShipmentLines {
    pub id: ShipmentId,
    pub first: u64,
    pub last: LineSpan,
    pub count: u32,
}

impl ShipmentLines {
    /// The lines found are exactly the ones recorded: as many, the last
    /// where it was.
    pub fn check(&self, found: &[(LineSpan, Vec<u8>)], path: &str) -> Result<()> {
        let last = found.last().map(|(span, _)| *span);
        if found.len() == self.count as usize && last == Some(self.last) {
            return Ok(());
        }
        Err(Error::ChangedUnderReader {
            path: path.into(),
            offset: self.first,
        })
    }
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

    /// Events from `from`, which is where line number `line_no` starts,
    /// and counters from `counter` (offset and line number) where the
    /// store keeps them in a file: a reader going on from a snapshot. A
    /// database numbers lines by position, so it needs neither.
    pub fn resume(
        &self,
        from: Position,
        line_no: u64,
        counter: Option<(u64, u64)>,
    ) -> Result<Box<dyn Subscription>> {
        match self {
            Location::File(paths) => Ok(Box::new(crate::store::jsonl::FileSubscription::resume(
                paths,
                (from.0, line_no),
                counter.unwrap_or((0, 1)),
            ))),
            Location::Postgres(_) => self.subscribe(from),
        }
    }

    /// Where reading goes on after the line at `span`: past its `\n` in
    /// the file, the next position in a database.
    pub fn after(&self, span: LineSpan) -> u64 {
        match self {
            Location::File(_) => span.offset + u64::from(span.len) + 1,
            Location::Postgres(_) => span.offset + 1,
        }
    }

    /// Where readers may keep files that only save time (projection
    /// snapshots): `DATA_DIR/cache`. A database store has none yet.
    pub fn cache_dir(&self) -> Option<std::path::PathBuf> {
        match self {
            Location::File(paths) => Some(paths.dir.join("cache")),
            Location::Postgres(_) => None,
        }
    }

    /// Every well-formed event line, in order, in batches: a reader's
    /// one pass over the whole log (`each` may stop it with an error).
    pub fn event_lines(&self, each: &mut dyn FnMut(Vec<Vec<u8>>) -> Result<()>) -> Result<()> {
        let reader = Who {
            operator: String::new(),
            named: None,
        };
        self.line_copy(&reader, false)?.event_lines(0, each)
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

    fn shipment(&mut self, lines: ShipmentLines) -> Result<ShipmentRead> {
        let path = &self.paths.events;
        if self.file.is_none() {
            self.file = files::open_for_read(path)?;
        }
        let found = match self.file.as_ref() {
            Some(file) => {
                let end = lines.last.offset + u64::from(lines.last.len) + 1;
                scan::find_shipment_lines_in(file, path, lines.first..end, lines.id)?
            }
            None => Vec::new(),
        };
        let found: ShipmentRead = found
            .into_iter()
            .map(|line| {
                let span = LineSpan {
                    offset: line.offset,
                    len: line.bytes.len() as u32,
                };
                (span, line.bytes)
            })
            .collect();
        lines.check(&found, &path.display().to_string())?;
        Ok(found)
    }

    fn shipments(&mut self, many: &[ShipmentLines]) -> Result<Vec<ShipmentRead>> {
        let end = |l: &ShipmentLines| l.last.offset + u64::from(l.last.len) + 1;
        let start = many.iter().map(|l| l.first).min().unwrap_or(0);
        let stop = many.iter().map(end).max().unwrap_or(0);
        let each: u64 = many.iter().map(|l| end(l) - l.first).sum();
        if many.len() < 2 || stop - start >= each {
            return many.iter().map(|&lines| self.shipment(lines)).collect();
        }
        let path = self.paths.events.clone();
        if self.file.is_none() {
            self.file = files::open_for_read(&path)?;
        }
        let Some(file) = self.file.as_ref() else {
            return Err(Error::ChangedUnderReader {
                path,
                offset: start,
            });
        };
        let slot: std::collections::HashMap<ShipmentId, usize> =
            many.iter().enumerate().map(|(i, l)| (l.id, i)).collect();
        let mut found: Vec<ShipmentRead> = vec![Vec::new(); many.len()];
        scan::each_line_in(file, &path, start..stop, |offset, bytes, id| {
            if let Some(&i) = slot.get(&id) {
                let span = LineSpan {
                    offset,
                    len: bytes.len() as u32,
                };
                found[i].push((span, bytes.to_vec()));
            }
        })?;
        let label = path.display().to_string();
        for (lines, found) in many.iter().zip(&found) {
            lines.check(found, &label)?;
        }
        Ok(found)
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::{LineSource, Position, Result, ShipmentLines, ShipmentRead, Subscription};
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
        fn shipment(&mut self, lines: ShipmentLines) -> Result<ShipmentRead> {
            let rows = self
                .0
                .read_shipment_lines(lines.id, lines.first, lines.last.offset)?;
            let found: ShipmentRead = rows
                .into_iter()
                .map(|(position, line)| {
                    let span = LineSpan {
                        offset: position,
                        len: line.len() as u32,
                    };
                    (span, line.into_bytes())
                })
                .collect();
            lines.check(&found, &self.0.describe())?;
            Ok(found)
        }

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

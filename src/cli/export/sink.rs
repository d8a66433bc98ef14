//! Where an export goes and how far it got: standard output, or `--output
//! FILE` written atomically (a temporary file beside it, synced, then
//! renamed over it, so a reader never sees half an export and a failed
//! export leaves the old file as it was); and the progress shown on
//! standard error once an export takes a while.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tempfile::NamedTempFile;

use super::rows::{COLUMNS, Row, defuse};
use crate::cli::output::{warn, write_error};
use crate::domain::Event;
use crate::error::{Error, Result};
use crate::text::{escape_json_unsafe, inert, thousands};

/// The export's encodings.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// RFC 4180 CSV, UTF-8, a header row, formula-like cells defused
    #[default]
    Csv,
    /// One JSON object per line, with the same columns
    Jsonl,
}

enum Target {
    Stdout,
    /// The temporary file and the path it becomes.
    File(PathBuf),
}

/// The encoder on the way out.
enum Encoder {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Jsonl(Box<dyn Write>),
}

/// The rows' destination, encoding them as `format` says.
pub struct Sink {
    target: Target,
    /// Standard output is a terminal: nothing from the log reaches it raw.
    terminal: bool,
    encoder: Encoder,
    temp: Option<tempfile::TempPath>,
    pub rows: u64,
}

impl Sink {
    pub fn open(output: Option<&Path>, format: Format) -> Result<Sink> {
        let (target, writer, temp): (Target, Box<dyn Write>, _) = match output {
            None => (
                Target::Stdout,
                Box::new(BufWriter::with_capacity(1 << 16, io::stdout())),
                None,
            ),
            Some(path) => {
                let file = temp_beside(path)?;
                let (file, temp) = file.into_parts();
                (
                    Target::File(path.to_path_buf()),
                    Box::new(BufWriter::with_capacity(1 << 16, file)) as Box<dyn Write>,
                    Some(temp),
                )
            }
        };
        let terminal = matches!(target, Target::Stdout) && io::stdout().is_terminal();
        let encoder = match format {
            Format::Csv => Encoder::Csv(Box::new(
                csv::WriterBuilder::new()
                    .has_headers(false)
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(writer),
            )),
            Format::Jsonl => Encoder::Jsonl(writer),
        };
        let mut sink = Sink {
            target,
            terminal,
            encoder,
            temp,
            rows: 0,
        };
        if format == Format::Csv {
            sink.record(COLUMNS.map(String::from))?;
        }
        Ok(sink)
    }

    /// One event, as one row.
    pub fn write(&mut self, event: &Event) -> Result<()> {
        let row = Row::of(event);
        self.rows += 1;
        let written = match &mut self.encoder {
            Encoder::Csv(_) => return self.record(row.cells().map(defuse)),
            // Escaped characters stay the same characters inside JSON strings.
            Encoder::Jsonl(out) => writeln!(out, "{}", escape_json_unsafe(&row.json().to_string())),
        };
        written.map_err(|e| self.write_error(e))
    }

    fn record(&mut self, cells: [String; 11]) -> Result<()> {
        let terminal = self.terminal;
        let cells = cells.map(|cell| match terminal {
            true => inert(&cell, usize::MAX),
            false => cell,
        });
        let written = match &mut self.encoder {
            Encoder::Csv(csv) => csv.write_record(&cells).map_err(io::Error::from),
            Encoder::Jsonl(_) => Ok(()),
        };
        written.map_err(|e| self.write_error(e))
    }

    /// Everything flushed and, for `--output`, synced and renamed into place.
    pub fn finish(mut self) -> Result<()> {
        let flushed = match &mut self.encoder {
            Encoder::Csv(csv) => csv.flush(),
            Encoder::Jsonl(out) => out.flush(),
        };
        flushed.map_err(|e| self.write_error(e))?;
        let Target::File(path) = &self.target else {
            return Ok(());
        };
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        File::open(&temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io("sync the export", &temp, e))?;
        temp.persist(path)
            .map_err(|e| Error::io("rename the export to", path, e.error))?;
        sync_dir(path);
        Ok(())
    }

    fn write_error(&self, e: io::Error) -> Error {
        match &self.target {
            Target::Stdout => write_error(e),
            Target::File(path) => Error::io("write the export", path, e),
        }
    }
}

/// A new temporary file in the directory `path` will be in.
fn temp_beside(path: &Path) -> Result<NamedTempFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "--output {} is a directory; name the file to write",
            path.display()
        )));
    }
    // Readable as any new file would be (the umask decides), not 0600.
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o666);
    tempfile::Builder::new()
        .permissions(mode)
        .prefix(".export-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io("create the export beside", path, e))
}

/// The rename is durable once the directory entry is on disk too; a
/// failure here only weakens that, so it is not an error.
fn sync_dir(path: &Path) {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Ok(dir) = File::open(dir.unwrap_or(Path::new("."))) {
        let _ = dir.sync_all();
    }
}

/// Progress on standard error, shown only once an export has taken a
/// second: a bar on a terminal, a plain line every 10% otherwise.
pub struct Progress {
    /// Where the read ends (bytes of the file, or rows of the table).
    total: u64,
    started: Instant,
    bar: Option<ProgressBar>,
    terminal: bool,
    /// The next plain line is due at this percentage.
    next_percent: u64,
}

const QUIET_FOR: Duration = Duration::from_secs(1);

impl Progress {
    pub fn new(total: u64) -> Progress {
        Progress {
            total,
            started: Instant::now(),
            bar: None,
            terminal: io::stderr().is_terminal(),
            next_percent: 10,
        }
    }

    /// The read has reached `done` of `total`; `rows` rows written so far.
    pub fn update(&mut self, done: u64, rows: u64) {
        if self.total == 0 || self.started.elapsed() < QUIET_FOR {
            return;
        }
        let done = done.min(self.total);
        if self.terminal {
            let bar = self.bar.get_or_insert_with(|| bar(self.total));
            bar.set_position(done);
            bar.set_message(format!("{} rows", thousands(rows)));
            return;
        }
        let percent = done * 100 / self.total;
        if percent >= self.next_percent {
            self.next_percent = (percent / 10 + 1) * 10;
            warn(format_args!(
                "export: {percent}% read, {} rows written",
                thousands(rows)
            ));
        }
    }

    /// The last word, if progress was shown at all.
    pub fn finish(&mut self, rows: u64) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.started.elapsed() >= QUIET_FOR {
            warn(format_args!("export: done, {} rows", thousands(rows)));
        }
    }
}

fn bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("export {bar:40} {percent:>3}% {msg} ({elapsed}, ~{eta} left)")
    {
        bar.set_style(style);
    }
    bar
}

//! What the commands print, and how: every write to standard output returns
//! an error instead of panicking (a full disk or a closed pipe must never
//! turn into exit 101 after an event was made durable), JSON and tables
//! whose cells are made inert (nothing from the log reaches the terminal
//! raw), and warnings on standard error that cannot fail the command.

use std::fmt::Display;
use std::io::{self, BufWriter, Stdout, Write};

use serde::Serialize;

use crate::domain::Event;
use crate::error::{Error, Result};
use crate::text::{escape_json_unsafe, inert};

/// Buffered standard output. Call `finish` to learn whether everything
/// reached it; dropping it without `finish` flushes and ignores errors.
pub struct Out {
    inner: BufWriter<Stdout>,
}

/// A failed write to standard output, as the operator reads it.
pub fn write_error(source: io::Error) -> Error {
    Error::io("write to", "standard output", source)
}

/// After a durable append: a failed print must say the event is in the log,
/// so that nobody repeats the command and appends it twice.
pub fn not_printed(event: &Event, error: Error) -> Error {
    let source = match error {
        Error::Io { source, .. } => source,
        other => io::Error::other(other.to_string()),
    };
    Error::AppendedNotPrinted {
        id: event.shipment_id,
        seq: event.event_seq,
        source,
    }
}

impl Out {
    pub fn new() -> Out {
        Out {
            inner: BufWriter::with_capacity(64 * 1024, io::stdout()),
        }
    }

    /// One line of text (written as given: callers make log text inert).
    pub fn line(&mut self, text: impl Display) -> Result<()> {
        writeln!(self.inner, "{text}").map_err(write_error)
    }

    /// Text without a line end.
    pub fn text(&mut self, text: &str) -> Result<()> {
        self.inner.write_all(text.as_bytes()).map_err(write_error)
    }

    /// Pretty JSON in which no control or bidi character stands raw.
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let text = pretty_json(value)?;
        self.line(text)
    }

    /// Rows as left-aligned columns (cells already inert).
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (i, c) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        for cells in std::iter::once(&header).chain(rows) {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{:<w$}", c, w = widths.get(i).copied().unwrap_or(0)))
                .collect();
            self.line(parts.join("  ").trim_end())?;
        }
        Ok(())
    }

    /// Pushes what is buffered to standard output now.
    pub fn flush(&mut self) -> Result<()> {
        self.inner.flush().map_err(write_error)
    }

    /// Flushes; the error if anything did not reach standard output.
    pub fn finish(mut self) -> Result<()> {
        self.flush()
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

/// Pretty JSON text in which no control or bidi character stands raw.
pub fn pretty_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Internal(format!("cannot encode JSON: {e}")))?;
    Ok(escape_json_unsafe(&text))
}

/// One-line JSON in which no control or bidi character stands raw.
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    serde_json::to_string(value)
        .ok()
        .map(|text| escape_json_unsafe(&text))
}

/// A cell: inert and capped at `width` characters.
pub fn cell(text: &str, width: usize) -> String {
    inert(text, width)
}

/// A line on standard error. A warning that cannot be written is dropped:
/// it must not fail (or panic) a command whose work is done.
pub fn warn(text: impl Display) {
    let _ = writeln!(io::stderr(), "{text}");
}

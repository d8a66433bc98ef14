//! Printing helpers shared by the commands: JSON and plain tables whose
//! cells are made inert (nothing from the log reaches the terminal raw).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::text::{escape_json_unsafe, inert};

/// Pretty JSON in which no control or bidi character stands raw.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
    println!("{}", escape_json_unsafe(&text));
    Ok(())
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

/// Prints rows as left-aligned columns.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:<w$}", c, w = widths.get(i).copied().unwrap_or(0)))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

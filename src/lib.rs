//! Control Tower: an event-sourced shipment tracker. One append-only JSONL log
//! is the single source of truth; every state is replayed from it.
//!
//! Data flows one way: command → rules (`domain`) → `store` → the files
//! (`log`) → the store's subscription (tailer) → projection (`read`) →
//! views (`tui`, `cli`). The simulator (`sim`) drives the store like any
//! other writer. The format and guarantees are written down in
//! `docs/FORMAT.md`.
//!
//! Cargo features: `cli` (clap) builds the command line, `tui` (ratatui,
//! crossterm; implies `cli`) the dashboard, `bench` (tempfile; implies
//! `cli`) the `bench` command and the log generator. All are on by default;
//! `domain`, `log`, `store`, `read` and `sim` build without any of them
//! (`cargo check --lib --no-default-features`).

pub mod domain;
pub mod log;
pub mod read;
pub mod sim;
pub mod store;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "tui")]
pub mod tui;

pub mod error;
pub mod text;

pub use error::{Error, Result};
pub use read::log::Log;

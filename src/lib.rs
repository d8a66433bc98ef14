//! Control Tower: an event-sourced shipment tracker. One append-only JSONL log
//! is the single source of truth; every state is replayed from it.
//!
//! Data flows one way: command → rules (`domain`) → `store` → the files
//! (`log`) → tailer (`log::tail`) → projection (`read`) → views (`tui`,
//! `cli`). The simulator (`sim`) drives the store like any other writer.
//! The format and guarantees are written down in `docs/FORMAT.md`.

pub mod domain;
pub mod log;
pub mod read;
pub mod sim;
pub mod store;

pub mod cli;
pub mod tui;

pub mod bench;
pub mod error;
pub mod operator;
pub mod text;

pub use error::{Error, Result};
pub use read::log::Log;

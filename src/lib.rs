//! Control Tower: an event-sourced shipment tracker. One append-only JSONL log
//! is the single source of truth; every state is replayed from it.
//!
//! Data flows one way: command → rules (`domain`) → `store` → log → `tail` →
//! `projection` → views (`tui`, `cli`).

pub mod domain;
pub mod error;

pub use error::{Error, Result};
pub mod audit;
pub mod bench;
pub mod cli;
pub mod index;
pub mod operator;
pub mod projection;
pub mod replay;
pub mod simulate;
pub mod state;
pub mod store;
pub mod tail;
pub mod text;
pub mod tui;
pub mod verify;
pub mod watch;

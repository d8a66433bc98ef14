//! The one support module of the integration tests, shared by every test
//! binary (`tests/fast`, `tests/processes`, `tests/tui`):
//! - `binary`: the real binary run against a temporary data directory;
//! - `lifecycle`: the lifecycle tables of docs/FORMAT.md ("the lifecycle"),
//!   written out by hand and independently of `src/`, so a change to the
//!   core's tables is caught — the only model of the lifecycle in the tests;
//! - `logs`: the log read back independently of the crate, and a tailing
//!   projection compared with a fresh replay;
//! - `pg`: a fresh database and logins on a real PostgreSQL server
//!   (`CT_PG_ADMIN_URL`), for the PostgreSQL store's tests;
//! - `towers`: the store conformance harness (one test body, every store).

// Each test binary uses only part of it.
#![allow(dead_code, unused_imports)]

mod binary;
mod lifecycle;
mod logs;
#[cfg(feature = "postgres")]
mod pg;
mod towers;

pub use binary::*;
pub use lifecycle::*;
pub use logs::*;
#[cfg(feature = "postgres")]
pub use pg::*;
pub use towers::*;

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
//! - `towers`: the store conformance harness (one test body, every store);
//! - `netns`: many sites for real: a server and two sites in network
//!   namespaces of their own (root only);
//! - `panes`: dashboards in a private tmux server, read once settled;
//! - `search_cases`: the search language's hand-made log and known answers;
//! - `timed`: logs with chosen timestamps (pulse figures, late and stuck).

// Each test binary uses only part of it.
#![allow(dead_code, unused_imports)]

mod binary;
mod lifecycle;
mod logs;
mod netns;
mod panes;
#[cfg(feature = "postgres")]
mod pg;
mod search_cases;
mod timed;
mod towers;

pub use binary::*;
pub use lifecycle::*;
pub use logs::*;
pub use netns::{SERVER_IP, Sites, sites};
pub use panes::*;
#[cfg(feature = "postgres")]
pub use pg::*;
pub use search_cases::*;
pub use timed::*;
pub use towers::*;

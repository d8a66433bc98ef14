//! The fast tests: the library and the CLI on small logs, one process at a
//! time (seconds in all). One test binary, so one link.

#[path = "../support/mod.rs"]
mod support;

mod as_of;
mod cli;
mod export;
mod fixtures;
mod heads;
mod inert_output;
mod io_failures;
mod lifecycle;
mod limits;
mod local_time;
mod model;
mod payload;
mod policy;
mod pulse;
mod recovery;
mod search;
mod snapshot;
mod store;
mod travel;
mod verify;

//! The dashboard: insta snapshots of the screens, end-to-end runs in tmux,
//! and the speed figures on a 1M-event log (ignored by default).

#[path = "../support/mod.rs"]
mod support;

mod act;
mod attention;
mod bench;
mod screens;
mod scripts;
mod search;
mod snapshot;
mod terminals;
mod tmux;
mod tmux_attention;

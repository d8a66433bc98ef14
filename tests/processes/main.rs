//! The slower tests that race, kill or follow real processes: concurrent
//! writers, SIGKILL and power-loss survival, the soak, `events --follow`,
//! hostile input (with the time-boxed fuzz, ignored by default) and the
//! bench smoke run; the PostgreSQL store against a real server, and many
//! sites on it in network namespaces (`multisite`, root only).

#[path = "../support/mod.rs"]
mod support;

mod bench_smoke;
mod concurrency;
mod conformance;
mod crash;
mod follow;
mod hostile;
#[cfg(feature = "postgres")]
mod multisite;
#[cfg(all(feature = "postgres", feature = "tui", feature = "bench"))]
mod pg_bench;
#[cfg(feature = "postgres")]
mod postgres;
mod power_loss;
mod soak;

//! The read side: lines turned into per-shipment digests (`replay`), the
//! compact projection of every shipment (`projection`), the integrity checks
//! (`verify`), the live index that ties them to a tailer (`index`), and the
//! seed's reports (`audit`, `state`). Nothing here writes.

pub mod audit;
pub mod index;
pub mod log;

pub use log::Log;
pub mod projection;
pub mod state;
pub mod verify;

//! The read side: the compact projection of every shipment
//! (`projection`), the integrity checks (`verify`), the live index that
//! reads them through the store's subscription (`index`), the store
//! deciding on that index for long-running processes (`log`), and the
//! seed's reports (`audit`, `state`), and the search language (`query`).
//! Nothing here writes but through the store.

pub mod as_of;
pub mod audit;
pub mod counters;
pub mod heads;
pub mod id_index;
pub mod index;
pub mod log;
pub mod prefix_check;
pub mod projection;
pub mod pulse;
pub mod query;
pub mod resume;
pub mod snapshot;
pub mod state;
pub mod travel;
pub mod verify;

pub use log::Log;

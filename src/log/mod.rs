//! The log as files: where they live and how they are opened (`files`), the
//! one line splitter every reader shares (`lines`), fast reads of a big log
//! (`scan`: its tail, one shipment's lines), proof that it still holds what
//! was read (`prefix`), reading forward as it grows
//! (`tail`) and noticing that it did (`watch`). No rules, no projection.

pub mod digest;
pub mod files;
pub mod lines;
pub mod prefix;
pub mod scan;
pub mod tail;
pub mod watch;

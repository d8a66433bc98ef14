//! The dashboard.

use crate::cli::Cli;
use crate::error::{Error, Result};

pub fn run(_cli: Cli) -> Result<i32> {
    Err(Error::Usage("the dashboard is not built yet".into()))
}

//! `control-tower bench`: measurements on a temporary directory.

use crate::error::{Error, Result};

pub fn run(_json: bool) -> Result<i32> {
    Err(Error::Usage("bench: being written".into()))
}

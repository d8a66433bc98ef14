//! Service levels: how long each delivery type may take from CREATED to
//! DELIVERED, and how long a shipment may sit without an event before it
//! is stuck. Built-in defaults, overridden by `tower.toml` in the data
//! directory:
//!
//! ```toml
//! stuck_after = "6h"          # no event for this long in a non-final state
//! [delivered_within]          # from CREATED, per delivery type
//! SAME_DAY = "12h"
//! EXPRESS = "48h"
//! STANDARD = "5d"
//! ```
//!
//! Durations are a whole number and a unit: `s`, `m`, `h` or `d`. A
//! malformed file is a usage error naming the file and the line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

pub const FILE_NAME: &str = "tower.toml";

const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceLevels {
    /// Delivery type → milliseconds from CREATED to DELIVERED.
    pub delivered_within_ms: BTreeMap<String, i64>,
    /// Milliseconds without an event after which a shipment is stuck.
    pub stuck_after_ms: i64,
}

impl Default for ServiceLevels {
    fn default() -> Self {
        let within = [("SAME_DAY", 12), ("EXPRESS", 48), ("STANDARD", 120)];
        ServiceLevels {
            delivered_within_ms: within
                .iter()
                .map(|(k, h)| (k.to_string(), h * HOUR_MS))
                .collect(),
            stuck_after_ms: 6 * HOUR_MS,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TowerFile {
    stuck_after: Option<toml::Spanned<String>>,
    #[serde(default)]
    delivered_within: BTreeMap<String, toml::Spanned<String>>,
}

impl ServiceLevels {
    /// The limit for `delivery_type` (`None`: a type with no service level).
    pub fn limit_ms(&self, delivery_type: &str) -> Option<i64> {
        self.delivered_within_ms.get(delivery_type).copied()
    }

    /// Every limit divided by `by` (the demo runs hours as seconds).
    pub fn scaled_down(mut self, by: i64) -> ServiceLevels {
        let by = by.max(1);
        for ms in self.delivered_within_ms.values_mut() {
            *ms = (*ms / by).max(1000);
        }
        self.stuck_after_ms = (self.stuck_after_ms / by).max(1000);
        self
    }

    /// The levels for the data directory `dir`: its `tower.toml` if there
    /// is one, else the defaults.
    pub fn load(dir: &Path) -> Result<ServiceLevels> {
        let path = dir.join(FILE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => ServiceLevels::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ServiceLevels::default()),
            Err(e) => Err(Error::io("read", &path, e)),
        }
    }

    /// `text`, the contents of `path`, read over the defaults.
    pub fn parse(text: &str, path: &Path) -> Result<ServiceLevels> {
        let bad = |at: Option<std::ops::Range<usize>>, why: String| {
            let line = at.map_or(1, |r| line_of(text, r.start));
            Error::Usage(format!(
                "{}:{line}: {why}; fix it or remove the file for the defaults",
                path.display()
            ))
        };
        let file: TowerFile = toml::from_str(text).map_err(|e| {
            let why = e.message().trim().to_string();
            bad(e.span(), why)
        })?;
        let mut levels = ServiceLevels::default();
        let read = |value: &toml::Spanned<String>| {
            duration_ms(value.get_ref()).ok_or_else(|| {
                bad(
                    Some(value.span()),
                    format!(
                        "{:?} is not a duration: write a whole number and s, m, h or d (\"48h\")",
                        value.get_ref()
                    ),
                )
            })
        };
        if let Some(stuck) = &file.stuck_after {
            levels.stuck_after_ms = read(stuck)?;
        }
        for (kind, value) in &file.delivered_within {
            levels
                .delivered_within_ms
                .insert(kind.clone(), read(value)?);
        }
        Ok(levels)
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// `"90m"`, `"12h"`, `"2d"`, `"30s"` in milliseconds (positive).
pub fn duration_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let n: i64 = text[..text.len() - unit.len_utf8()].trim().parse().ok()?;
    let ms = match unit {
        's' => 1000,
        'm' => 60_000,
        'h' => HOUR_MS,
        'd' => 24 * HOUR_MS,
        _ => return None,
    };
    n.checked_mul(ms).filter(|&v| v > 0)
}

/// A duration as an operator reads it, in hours up to 99 h (service
/// levels are written in hours): `30s`, `45m`, `3h12m`, `25h`, `4d12h`.
pub fn duration_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m) = (s / 3600, s / 60 % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, m) => format!("{m}m"),
        (h, 0) if h < 100 => format!("{h}h"),
        (h, m) if h < 100 => format!("{h}h{m:02}m"),
        (h, _) if h % 24 == 0 => format!("{}d", h / 24),
        (h, _) => format!("{}d{}h", h / 24, h % 24),
    }
}

//! `ShipmentId`: `SHP-` followed by exactly ten digits.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest number that fits the ten-digit format.
pub const MAX_SHIPMENT_NUMBER: u64 = 9_999_999_999;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShipmentId(u64);

impl ShipmentId {
    /// `None` for 0 or a number that does not fit ten digits.
    pub fn new(number: u64) -> Option<Self> {
        (1..=MAX_SHIPMENT_NUMBER)
            .contains(&number)
            .then_some(ShipmentId(number))
    }

    pub fn number(self) -> u64 {
        self.0
    }

    /// What an operator types: the ID (`SHP-0000000042`, `shp-…`) or just
    /// its number (`42`), blanks around it ignored. `SHP-42` is neither.
    pub fn parse_lenient(text: &str) -> Option<ShipmentId> {
        let text = text.trim();
        if let Ok(id) = text.parse::<ShipmentId>() {
            return Some(id);
        }
        let digits = text;
        if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().and_then(ShipmentId::new)
    }
}

impl fmt::Display for ShipmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SHP-{:010}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a shipment ID (expected SHP- followed by 10 digits, e.g. SHP-0000000042)")]
pub struct BadShipmentId(pub String);

impl FromStr for ShipmentId {
    type Err = BadShipmentId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadShipmentId(s.chars().take(40).collect());
        let digits = s
            .strip_prefix("SHP-")
            .or_else(|| s.strip_prefix("shp-"))
            .ok_or_else(bad)?;
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        digits
            .parse::<u64>()
            .ok()
            .and_then(ShipmentId::new)
            .ok_or_else(bad)
    }
}

impl Serialize for ShipmentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ShipmentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A multiplicative hasher for IDs: they are already well spread numbers.
/// Maps keyed by shipment (`IdMap`) are on every hot path of the read side
/// and the writer.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub type IdMap<V> = HashMap<ShipmentId, V, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_round_trip() {
        let id: ShipmentId = "SHP-0000000042".parse().unwrap();
        assert_eq!(id.number(), 42);
        assert_eq!(id.to_string(), "SHP-0000000042");
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "SHP-42",
            "SHP-00000000042",
            "XYZ-0000000042",
            "SHP-000000004a",
            "SHP-0000000000",
        ] {
            assert!(
                bad.parse::<ShipmentId>().is_err(),
                "{bad} should be rejected"
            );
        }
    }
}

//! A shipment's current payload and its details (the four CREATED fields:
//! source, destination, weight, delivery type) as every view shows them.
//!
//! There is one rule, used by every view (`show`, `list`, the dashboard's
//! rows and history, the audit, the reconstructed states): payloads merge in
//! order and a later key wins, whatever the event type (a reroute, a
//! re-weigh). `merge` applies it to whole payloads; `Details::apply` applies
//! the same rule to the compact summary the projection keeps, and
//! `DetailsPatch` is what one payload contributes to it.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::domain::Name;
use crate::domain::line::plain_entries;

/// The payload keys the views show as a shipment's details.
pub const DETAIL_KEYS: [&str; 4] = ["source", "destination", "weight_kg", "delivery_type"];

/// Merges a later payload into the current one: every key it carries wins.
pub fn merge(current: &mut Map<String, Value>, later: &Map<String, Value>) {
    for (key, value) in later {
        current.insert(key.clone(), value.clone());
    }
}

/// The current payload of a shipment whose payloads are `payloads`, in order.
pub fn merged<'a>(
    payloads: impl IntoIterator<Item = &'a Map<String, Value>>,
) -> Map<String, Value> {
    let mut current = Map::new();
    for payload in payloads {
        merge(&mut current, payload);
    }
    current
}

/// What the views show of a shipment's current payload.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Details {
    pub source: Name,
    pub destination: Name,
    /// `None` when the current value is not a number (logs of other tools).
    pub weight_kg: Option<f64>,
    pub delivery_type: Name,
}

impl Details {
    /// The details of a current payload (as `merged` computes it).
    pub fn of(current_payload: &Map<String, Value>) -> Details {
        let mut details = Details::default();
        details.apply(DetailsPatch::from_map(current_payload));
        details
    }

    /// `merge` for the compact form: every field the patch carries wins.
    pub fn apply(&mut self, patch: DetailsPatch) {
        let DetailsPatch {
            source,
            destination,
            weight_kg,
            delivery_type,
        } = patch;
        self.source = source.unwrap_or(self.source);
        self.destination = destination.unwrap_or(self.destination);
        self.weight_kg = weight_kg.unwrap_or(self.weight_kg);
        self.delivery_type = delivery_type.unwrap_or(self.delivery_type);
    }

    /// The weight as `list`, `show` and the dashboard print it (`7`, `12.5`).
    pub fn weight_text(&self) -> String {
        self.weight_kg.map(|w| format!("{w}")).unwrap_or_default()
    }
}

/// The detail fields one payload carries (`Some` when the key is present).
/// Names are interned where the payload is read (a reader's worker
/// thread), so applying a patch is a copy.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DetailsPatch {
    pub source: Option<Name>,
    pub destination: Option<Name>,
    pub weight_kg: Option<Option<f64>>,
    pub delivery_type: Option<Name>,
}

impl DetailsPatch {
    pub fn from_map(payload: &Map<String, Value>) -> DetailsPatch {
        let mut patch = DetailsPatch::default();
        for (key, name) in [
            (DetailKey::Source, "source"),
            (DetailKey::Destination, "destination"),
            (DetailKey::Weight, "weight_kg"),
            (DetailKey::DeliveryType, "delivery_type"),
        ] {
            if let Some(value) = payload.get(name) {
                patch.set(key, value);
            }
        }
        patch
    }

    pub fn is_empty(&self) -> bool {
        *self == DetailsPatch::default()
    }

    /// The patch of a payload's JSON text: the same as `from_map` of that
    /// text parsed as a `Map` (every value is parsed as a `Value`, so the
    /// same texts fail, and then the patch is empty), without building the
    /// map. A reader runs this for every line that `may_carry_details`.
    pub fn from_json(payload_json: &str) -> DetailsPatch {
        Self::from_plain_json(payload_json)
            .unwrap_or_else(|| serde_json::from_str(payload_json).unwrap_or_default())
    }

    /// `from_json` without serde, for the plain payloads nearly every log
    /// holds (`line::plain_entries`): a string or `null` value is its own
    /// text, a weight goes through serde_json's own number parser. `None`
    /// for anything else, which serde then decides.
    fn from_plain_json(payload_json: &str) -> Option<DetailsPatch> {
        let mut patch = DetailsPatch::default();
        let mut plain = true;
        plain_entries(payload_json, |key, raw| {
            let text = || match raw.as_bytes() {
                [b'"', .., b'"'] => Some(Name::of(&raw[1..raw.len() - 1])),
                b"null" => Some(Name::default()),
                _ => None,
            };
            match key {
                "source" => patch.source = text().or_else(|| plain_off(&mut plain)),
                "destination" => patch.destination = text().or_else(|| plain_off(&mut plain)),
                "delivery_type" => patch.delivery_type = text().or_else(|| plain_off(&mut plain)),
                "weight_kg" => patch.weight_kg = Some(number_of(raw)),
                _ => {}
            }
        })?;
        plain.then_some(patch)
    }

    fn set(&mut self, key: DetailKey, value: &Value) {
        match key {
            DetailKey::Source => self.source = Some(text_of(value)),
            DetailKey::Destination => self.destination = Some(text_of(value)),
            DetailKey::Weight => self.weight_kg = Some(value.as_f64()),
            DetailKey::DeliveryType => self.delivery_type = Some(text_of(value)),
            DetailKey::Other => {}
        }
    }
}

/// Marks a patch as not plain (a place given as a number or an object:
/// serde's text of it is the one to keep).
fn plain_off(plain: &mut bool) -> Option<Name> {
    *plain = false;
    None
}

/// The weight a raw JSON value gives, as `Value::as_f64` of it would.
fn number_of(raw: &str) -> Option<f64> {
    match raw.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => serde_json::from_str(raw).ok(),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum DetailKey {
    Source,
    Destination,
    Weight,
    DeliveryType,
    Other,
}

impl<'de> Deserialize<'de> for DetailKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = DetailKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a payload key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<DetailKey, E> {
                Ok(match key {
                    "source" => DetailKey::Source,
                    "destination" => DetailKey::Destination,
                    "weight_kg" => DetailKey::Weight,
                    "delivery_type" => DetailKey::DeliveryType,
                    _ => DetailKey::Other,
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for DetailsPatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PatchVisitor;
        impl<'de> Visitor<'de> for PatchVisitor {
            type Value = DetailsPatch;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a payload object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DetailsPatch, A::Error> {
                let mut patch = DetailsPatch::default();
                // Later keys win, as in a `Map`; every value is parsed.
                while let Some(key) = map.next_key::<DetailKey>()? {
                    let value: Value = map.next_value()?;
                    patch.set(key, &value);
                }
                Ok(patch)
            }
        }
        deserializer.deserialize_map(PatchVisitor)
    }
}

/// False when the payload's JSON text cannot carry a detail key: then its
/// patch is empty whether or not the text parses, and a reader may skip
/// parsing it. A key spelled with escapes (`"sourc\u0065"`) contains a
/// backslash, so any backslash means "maybe".
/// (One pass over the quotes: this runs for every line of every load.)
pub fn may_carry_details(payload_json: &str) -> bool {
    let bytes = payload_json.as_bytes();
    let names_a_key = |key: &str, rest: &[u8]| {
        rest.starts_with(key.as_bytes()) && rest.get(key.len()) == Some(&b'"')
    };
    memchr::memchr(b'\\', bytes).is_some()
        || memchr::memchr_iter(b'"', bytes).any(|at| {
            let rest = &bytes[at + 1..];
            // The first letter rules out most texts at once.
            match rest.first() {
                Some(b's') => names_a_key("source", rest),
                Some(b'd') => {
                    names_a_key("destination", rest) || names_a_key("delivery_type", rest)
                }
                Some(b'w') => names_a_key("weight_kg", rest),
                _ => false,
            }
        })
}

/// A place or delivery type as text: a string as it is, anything else as
/// its JSON text (logs of other tools), `null` as nothing.
fn text_of(value: &Value) -> Name {
    match value {
        Value::String(s) => Name::of(s),
        Value::Null => Name::default(),
        other => Name::of(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_later_payload_wins_in_both_forms() {
        let payloads = [
            map(
                json!({"source": "Pune", "destination": "Goa", "weight_kg": 5.0, "delivery_type": "EXPRESS"}),
            ),
            map(json!({"weight_kg": 7, "note": "re-weighed"})),
            map(json!({"destination": "Delhi"})),
        ];
        let current = merged(&payloads);
        let mut compact = Details::default();
        for p in &payloads {
            compact.apply(DetailsPatch::from_map(p));
        }
        assert_eq!(compact, Details::of(&current));
        assert_eq!(compact.weight_text(), "7");
        assert_eq!(&*compact.destination, "Delhi");
        assert_eq!(current["note"], "re-weighed");
    }

    #[test]
    fn a_non_number_weight_clears_the_weight() {
        let mut d = Details::of(&map(json!({"weight_kg": 5})));
        d.apply(DetailsPatch::from_map(&map(json!({"weight_kg": "heavy"}))));
        assert_eq!(d.weight_kg, None);
    }

    #[test]
    fn from_json_is_from_map_of_the_parsed_payload() {
        let deep = format!(
            r#"{{"weight_kg": 5, "note": {}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        for text in [
            r#"{"weight_kg": 5, "weight_kg": "x", "source": 42}"#,
            r#"{"weight\u005fkg": 7, "destination": null}"#,
            r#"{"weight_kg": 5, "note": 1e400}"#,
            r#"{"delivery_type": "EXPRESS", "note": {"a": [1, 2]}}"#,
            r#"{"source": "A"} trailing"#,
            "[]",
            deep.as_str(),
        ] {
            let map: Map<String, Value> = serde_json::from_str(text).unwrap_or_default();
            assert_eq!(
                DetailsPatch::from_json(text),
                DetailsPatch::from_map(&map),
                "{text}"
            );
        }
    }

    fn a_value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z ,]{0,12}".prop_map(|t| format!("\"{t}\"")),
            Just("null".to_string()),
            Just("true".to_string()),
            (-1.0e6f64..1.0e6).prop_map(|w| format!("{w}")),
            any::<i64>().prop_map(|n| n.to_string()),
            Just("-0".to_string()),
            Just("1e3".to_string()),
            Just("\"a\\\"b\"".to_string()),
            Just("{\"x\": [1, \"y\"]}".to_string()),
            Just("[]".to_string()),
        ]
    }

    proptest! {
        /// The plain fast path and serde agree on every payload.
        #[test]
        fn from_json_agrees_with_the_parsed_map(
            entries in proptest::collection::vec(
                (prop::sample::select(vec!["source", "destination", "weight_kg", "delivery_type", "note"]), a_value()),
                0..7,
            ),
            spaced in any::<bool>(),
        ) {
            let sep = if spaced { ", " } else { "," };
            let body: Vec<String> = entries.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let text = format!("{{{}}}", body.join(sep));
            let map: Map<String, Value> = serde_json::from_str(&text).unwrap_or_default();
            prop_assert_eq!(DetailsPatch::from_json(&text), DetailsPatch::from_map(&map), "{}", text);
        }
    }

    #[test]
    fn only_payloads_that_may_name_a_detail_need_parsing() {
        assert!(!may_carry_details(r#"{"approval_type":"manual"}"#));
        assert!(may_carry_details(r#"{"weight_kg":1}"#));
        assert!(may_carry_details(r#"{"sourc\u0065":"x"}"#));
        for key in DETAIL_KEYS {
            assert!(may_carry_details(&format!(r#"{{"note":"a","{key}":1}}"#)));
            assert!(!may_carry_details(&format!(
                r#"{{"{key}s":1,"my_{key}":2}}"#
            )));
        }
    }
}

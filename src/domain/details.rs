//! A shipment's current payload and its details (the four CREATED fields:
//! source, destination, weight, delivery type) as every view shows them.
//!
//! There is one rule, used by every view (`show`, `list`, the dashboard's
//! rows and history, the audit, the reconstructed states): payloads merge in
//! order and a later key wins, whatever the event type (a reroute, a
//! re-weigh). `merge` applies it to whole payloads; `Details::apply` applies
//! the same rule to the compact summary the projection keeps, and
//! `DetailsPatch` is what one payload contributes to it.

use serde_json::{Map, Value};

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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    pub source: Box<str>,
    pub destination: Box<str>,
    /// `None` when the current value is not a number (logs of other tools).
    pub weight_kg: Option<f64>,
    pub delivery_type: Box<str>,
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
        if let Some(source) = source {
            self.source = source;
        }
        if let Some(destination) = destination {
            self.destination = destination;
        }
        if let Some(weight_kg) = weight_kg {
            self.weight_kg = weight_kg;
        }
        if let Some(delivery_type) = delivery_type {
            self.delivery_type = delivery_type;
        }
    }

    /// The weight as `list`, `show` and the dashboard print it (`7`, `12.5`).
    pub fn weight_text(&self) -> String {
        self.weight_kg.map(|w| format!("{w}")).unwrap_or_default()
    }
}

/// The detail fields one payload carries (`Some` when the key is present).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailsPatch {
    pub source: Option<Box<str>>,
    pub destination: Option<Box<str>>,
    pub weight_kg: Option<Option<f64>>,
    pub delivery_type: Option<Box<str>>,
}

impl DetailsPatch {
    pub fn from_map(payload: &Map<String, Value>) -> DetailsPatch {
        DetailsPatch {
            source: payload.get("source").map(text_of),
            destination: payload.get("destination").map(text_of),
            weight_kg: payload.get("weight_kg").map(Value::as_f64),
            delivery_type: payload.get("delivery_type").map(text_of),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == DetailsPatch::default()
    }
}

/// False when the payload's JSON text cannot carry a detail key: then its
/// patch is empty whether or not the text parses, and a reader may skip
/// parsing it. A key spelled with escapes (`"sourc\u0065"`) contains a
/// backslash, so any backslash means "maybe".
pub fn may_carry_details(payload_json: &str) -> bool {
    let bytes = payload_json.as_bytes();
    memchr::memchr(b'\\', bytes).is_some()
        || DETAIL_KEYS
            .iter()
            .any(|key| memchr::memmem::find(bytes, key.as_bytes()).is_some())
}

/// A place or delivery type as text: a string as it is, anything else as
/// its JSON text (logs of other tools), `null` as nothing.
fn text_of(value: &Value) -> Box<str> {
    match value {
        Value::String(s) => s.as_str().into(),
        Value::Null => "".into(),
        other => other.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn only_payloads_that_may_name_a_detail_need_parsing() {
        assert!(!may_carry_details(r#"{"approval_type":"manual"}"#));
        assert!(may_carry_details(r#"{"weight_kg":1}"#));
        assert!(may_carry_details(r#"{"sourc\u0065":"x"}"#));
    }
}

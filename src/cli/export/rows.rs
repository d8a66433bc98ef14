//! One export row per event, and its two encodings: a CSV record safe to
//! open in a spreadsheet, and a JSON line with the same columns.
//!
//! The columns are the event's own: shipment, seq, time (UTC), event,
//! actor, operator, then the four CREATED fields (source, destination,
//! weight_kg, delivery_type) as the event's payload carries them (filled
//! on CREATED, and on a later event only when it changed one), and the
//! rest of its payload as one JSON object.

use serde_json::{Map, Value};

use crate::domain::Event;
use crate::domain::details::DETAIL_KEYS;

/// The header, in column order.
pub const COLUMNS: [&str; 11] = [
    "shipment",
    "seq",
    "time",
    "event",
    "actor",
    "operator",
    "source",
    "destination",
    "weight_kg",
    "delivery_type",
    "payload",
];

/// An event split into the export's columns.
pub struct Row<'a> {
    event: &'a Event,
    /// The CREATED fields, in `DETAIL_KEYS` order, where the payload has them.
    details: [Option<&'a Value>; 4],
    /// The payload without the CREATED fields.
    rest: Map<String, Value>,
}

impl<'a> Row<'a> {
    pub fn of(event: &'a Event) -> Row<'a> {
        let details = DETAIL_KEYS.map(|key| event.payload.get(key));
        let rest = event
            .payload
            .iter()
            .filter(|(key, _)| !DETAIL_KEYS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Row {
            event,
            details,
            rest,
        }
    }

    /// The cells as text, in `COLUMNS` order, before any escaping.
    pub fn cells(&self) -> [String; 11] {
        let e = self.event;
        let [source, destination, weight, delivery_type] = self.details.map(value_text);
        [
            e.shipment_id.to_string(),
            e.event_seq.to_string(),
            e.timestamp.to_string(),
            e.event_type.to_string(),
            e.actor.to_string(),
            e.operator.clone().unwrap_or_default(),
            source,
            destination,
            weight,
            delivery_type,
            Value::Object(self.rest.clone()).to_string(),
        ]
    }

    /// The row as one JSON object with the same columns, values as the
    /// log has them (a weight stays a number, a missing field is null).
    pub fn json(&self) -> Value {
        let e = self.event;
        let mut object = Map::new();
        object.insert("shipment".into(), e.shipment_id.to_string().into());
        object.insert("seq".into(), e.event_seq.into());
        object.insert("time".into(), e.timestamp.to_string().into());
        object.insert("event".into(), e.event_type.as_str().into());
        object.insert("actor".into(), e.actor.as_str().into());
        object.insert(
            "operator".into(),
            e.operator.clone().map_or(Value::Null, Value::from),
        );
        for (key, value) in DETAIL_KEYS.iter().zip(self.details) {
            object.insert((*key).into(), value.cloned().unwrap_or(Value::Null));
        }
        object.insert("payload".into(), Value::Object(self.rest.clone()));
        Value::Object(object)
    }
}

/// A payload value as a cell: text as it is, anything else as JSON.
fn value_text(value: Option<&Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// A cell a spreadsheet would run as a formula (it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading `'`, which makes
/// it text (the OWASP advice for CSV injection). Everything else is
/// unchanged; quoting is the CSV writer's.
pub fn defuse(cell: String) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, EventType, ShipmentId, Timestamp};
    use serde_json::json;

    fn event(payload: Value) -> Event {
        Event {
            shipment_id: ShipmentId::new(42).unwrap(),
            event_seq: 1,
            event_type: EventType::Created,
            timestamp: Timestamp::parse("2026-01-21T12:05:03.120Z").unwrap(),
            actor: Actor::Sender,
            payload: payload.as_object().cloned().unwrap(),
            operator: Some("asha".into()),
            prev_hash: None,
        }
    }

    #[test]
    fn created_fields_get_columns_and_the_rest_stays_json() {
        let e = event(json!({"source": "Pune", "destination": "Goa",
            "weight_kg": 12.5, "delivery_type": "EXPRESS", "priority": "high"}));
        let cells = Row::of(&e).cells();
        assert_eq!(
            cells,
            [
                "SHP-0000000042",
                "1",
                "2026-01-21T12:05:03.120Z",
                "CREATED",
                "SENDER",
                "asha",
                "Pune",
                "Goa",
                "12.5",
                "EXPRESS",
                r#"{"priority":"high"}"#
            ]
        );
        let json = Row::of(&e).json();
        assert_eq!(json["weight_kg"], json!(12.5));
        assert_eq!(json["payload"], json!({"priority": "high"}));
    }

    #[test]
    fn formula_cells_are_defused_and_others_are_not() {
        for cell in ["=1+1", "+91", "-5", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(defuse(cell.into()), format!("'{cell}"));
        }
        for cell in ["Pune", "12.5", "", "{\"a\":1}", "a=b"] {
            assert_eq!(defuse(cell.into()), cell);
        }
    }
}

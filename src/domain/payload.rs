//! Payload rules checked on every write (docs/FORMAT.md, "Payload rules"). Reading is
//! lenient: logs from other tools may carry anything in a payload object.

use serde_json::{Map, Value};

use super::EventType;
use super::details::DETAIL_KEYS;

pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;
pub const MAX_PLACE_CHARS: usize = 200;
pub const MAX_WEIGHT_KG: f64 = 100_000.0;
pub const MAX_KEY_CHARS: usize = 64;
pub const DELIVERY_TYPES: [&str; 3] = ["STANDARD", "EXPRESS", "SAME_DAY"];

/// The events that must say why they happened.
pub const NEEDS_REASON: [EventType; 3] = [
    EventType::HoldForReview,
    EventType::OverrideApplied,
    EventType::Cancelled,
];

/// Checks a payload about to be appended (never a payload already in the
/// log: old logs stay readable and valid). `is_new_shipment` is true for the
/// CREATED that opens a shipment: then every CREATED field is required. Any
/// other event (a resubmission, a reroute, a re-weigh) may carry a CREATED
/// field only with a value that passes the same rule.
pub fn validate(
    event: EventType,
    is_new_shipment: bool,
    payload: &Map<String, Value>,
) -> Result<(), String> {
    let size = serde_json::to_vec(payload)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "payload is {size} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes (16 KiB)"
        ));
    }
    for key in payload.keys() {
        if key.trim().is_empty()
            || key.chars().count() > MAX_KEY_CHARS
            || key.chars().any(char::is_control)
        {
            return Err(format!(
                "payload key {key:?} must be 1 to {MAX_KEY_CHARS} printable characters"
            ));
        }
    }
    let required = event == EventType::Created && is_new_shipment;
    for field in DETAIL_KEYS {
        match payload.get(field) {
            None if required => return Err(format!("{field} is required")),
            None => {}
            Some(value) => check_detail(field, value)?,
        }
    }
    check_reason(event, payload)
}

/// One CREATED field, by the creation rule.
fn check_detail(field: &str, value: &Value) -> Result<(), String> {
    match field {
        "weight_kg" => check_weight(value),
        "delivery_type" => check_delivery_type(value),
        _ => check_place(field, value),
    }
}

/// HOLD_FOR_REVIEW, OVERRIDE_APPLIED and CANCELLED say why, in `reason`.
fn check_reason(event: EventType, payload: &Map<String, Value>) -> Result<(), String> {
    if !NEEDS_REASON.contains(&event) {
        return Ok(());
    }
    match payload.get("reason") {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(()),
        Some(Value::String(_)) => Err(format!(
            "{event} needs a reason, and the one given is blank: say why (--reason TEXT)"
        )),
        Some(other) => Err(format!(
            "{event} needs a reason as text, got {other}: say why (--reason TEXT)"
        )),
        None => Err(format!("{event} needs a reason: say why (--reason TEXT)")),
    }
}

fn check_place(field: &str, value: &Value) -> Result<(), String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{field} must be text, got {value}"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("{field} must not be blank"));
    }
    if trimmed.chars().count() > MAX_PLACE_CHARS {
        return Err(format!(
            "{field} is longer than {MAX_PLACE_CHARS} characters"
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(())
}

/// Also used by the new-shipment form and the CLI to check a typed weight.
pub fn check_weight(value: &Value) -> Result<(), String> {
    let weight = value
        .as_f64()
        .ok_or_else(|| {
        format!(
            "weight_kg must be a finite number of kilograms, more than 0 and at most {MAX_WEIGHT_KG} kg, got {value}"
        )
    })?;
    if !weight.is_finite() || weight <= 0.0 || weight > MAX_WEIGHT_KG {
        return Err(format!(
            "weight_kg must be more than 0 and at most {MAX_WEIGHT_KG} kg, got {weight}"
        ));
    }
    Ok(())
}

pub fn check_delivery_type(value: &Value) -> Result<(), String> {
    match value.as_str() {
        Some(t) if DELIVERY_TYPES.contains(&t) => Ok(()),
        _ => Err(format!(
            "delivery_type must be one of {}, got {value}",
            DELIVERY_TYPES.join(", ")
        )),
    }
}

/// The CREATED payload from its four fields plus extra keys.
pub fn created_payload(
    source: &str,
    destination: &str,
    weight_kg: f64,
    delivery_type: &str,
    extra: Map<String, Value>,
) -> Map<String, Value> {
    let mut payload = Map::new();
    payload.insert("source".into(), Value::from(source.trim()));
    payload.insert("destination".into(), Value::from(destination.trim()));
    // NaN and infinities have no JSON form; keep them visible to `validate`.
    let weight = serde_json::Number::from_f64(weight_kg)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(weight_kg.to_string()));
    payload.insert("weight_kg".into(), weight);
    payload.insert(
        "delivery_type".into(),
        Value::from(delivery_type.trim().to_ascii_uppercase()),
    );
    payload.extend(extra);
    payload
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn created(weight: Value) -> Map<String, Value> {
        json!({"source": "Mumbai", "destination": "Delhi", "weight_kg": weight, "delivery_type": "EXPRESS"})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn weight_must_be_finite_positive_and_bounded() {
        assert!(validate(EventType::Created, true, &created(json!(5.0))).is_ok());
        for bad in [
            json!(0),
            json!(-1),
            json!(100000.5),
            json!("5"),
            json!(null),
        ] {
            assert!(
                validate(EventType::Created, true, &created(bad.clone())).is_err(),
                "{bad}"
            );
        }
        let nan = created_payload("a", "b", f64::NAN, "EXPRESS", Map::new());
        assert!(validate(EventType::Created, true, &nan).is_err());
    }

    #[test]
    fn resubmission_checks_only_present_fields() {
        assert!(validate(EventType::Created, false, &Map::new()).is_ok());
        assert!(validate(EventType::Created, true, &Map::new()).is_err());
    }

    #[test]
    fn a_later_event_may_change_a_detail_only_to_a_valid_value() {
        let one = |k: &str, v: Value| json!({ k: v }).as_object().cloned().unwrap();
        let approve = EventType::ManagerApproved;
        assert!(validate(approve, false, &one("weight_kg", json!(-3))).is_err());
        assert!(validate(approve, false, &one("weight_kg", json!(7))).is_ok());
        assert!(validate(approve, false, &one("source", json!(" "))).is_err());
        assert!(validate(approve, false, &one("delivery_type", json!("BY_SEA"))).is_err());
        assert!(validate(approve, false, &one("note", json!(-3))).is_ok());
    }

    #[test]
    fn hold_override_and_cancel_need_a_reason() {
        let reason = |v: Value| json!({ "reason": v }).as_object().cloned().unwrap();
        for event in NEEDS_REASON {
            assert!(validate(event, false, &Map::new()).is_err(), "{event}");
            assert!(validate(event, false, &reason(json!("  "))).is_err());
            assert!(validate(event, false, &reason(json!(1))).is_err());
            assert!(validate(event, false, &reason(json!("damaged"))).is_ok());
        }
        assert!(validate(EventType::ManagerApproved, false, &Map::new()).is_ok());
    }

    #[test]
    fn payload_size_is_capped() {
        let mut big = Map::new();
        big.insert("note".into(), Value::from("x".repeat(MAX_PAYLOAD_BYTES)));
        big.insert("reason".into(), Value::from("too big"));
        let err = validate(EventType::HoldForReview, false, &big).unwrap_err();
        assert!(err.contains("16 KiB"), "{err}");
    }
}

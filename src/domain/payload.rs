//! Payload rules checked on every write (DESIGN.md sections 1-2). Reading is
//! lenient: logs from other tools may carry anything in a payload object.

use serde_json::{Map, Value};

use super::EventType;

pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;
pub const MAX_PLACE_CHARS: usize = 200;
pub const MAX_WEIGHT_KG: f64 = 100_000.0;
pub const MAX_KEY_CHARS: usize = 64;
pub const DELIVERY_TYPES: [&str; 3] = ["STANDARD", "EXPRESS", "SAME_DAY"];

/// Checks a payload about to be appended. `is_new_shipment` is true for the
/// CREATED that opens a shipment: then every CREATED field is required; a
/// resubmission (CREATED after seq 1) only has the fields it carries checked.
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
    if event != EventType::Created {
        return Ok(());
    }
    for field in ["source", "destination"] {
        match payload.get(field) {
            None if is_new_shipment => return Err(format!("{field} is required")),
            None => {}
            Some(value) => check_place(field, value)?,
        }
    }
    match payload.get("weight_kg") {
        None if is_new_shipment => return Err("weight_kg is required".into()),
        None => {}
        Some(value) => check_weight(value)?,
    }
    match payload.get("delivery_type") {
        None if is_new_shipment => return Err("delivery_type is required".into()),
        None => {}
        Some(value) => check_delivery_type(value)?,
    }
    Ok(())
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
    fn payload_size_is_capped() {
        let mut big = Map::new();
        big.insert("note".into(), Value::from("x".repeat(MAX_PAYLOAD_BYTES)));
        let err = validate(EventType::HoldForReview, false, &big).unwrap_err();
        assert!(err.contains("16 KiB"), "{err}");
    }
}

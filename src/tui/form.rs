//! The new-shipment form's state and field-by-field validation. The rules
//! are the core's (`domain::payload`), applied to one field at a time so
//! the operator learns what is wrong where they typed it.

use serde_json::{Map, Value};

use crate::domain::EventType;
use crate::domain::payload::{self, DELIVERY_TYPES};

pub const LABELS: [&str; 4] = ["Source", "Destination", "Weight (kg)", "Delivery type"];
pub const HINTS: [&str; 4] = [
    "city, state (e.g. Mumbai, Maharashtra)",
    "city, state (e.g. Delhi, Delhi)",
    "more than 0, at most 100000",
    "STANDARD, EXPRESS or SAME_DAY (Left/Right to pick)",
];
const MAX_INPUT_CHARS: usize = 240;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewShipmentForm {
    pub fields: [String; 4],
    pub errors: [Option<String>; 4],
    pub focus: usize,
}

impl NewShipmentForm {
    pub fn new() -> Self {
        NewShipmentForm {
            fields: [
                String::new(),
                String::new(),
                String::new(),
                "STANDARD".to_string(),
            ],
            ..Self::default()
        }
    }

    pub fn insert(&mut self, c: char) {
        let field = &mut self.fields[self.focus];
        if field.chars().count() < MAX_INPUT_CHARS {
            field.push(c);
        }
        self.errors[self.focus] = None;
    }

    pub fn backspace(&mut self) {
        self.fields[self.focus].pop();
        self.errors[self.focus] = None;
    }

    pub fn is_last(&self) -> bool {
        self.focus == LABELS.len() - 1
    }

    pub fn next_field(&mut self) {
        self.focus = (self.focus + 1).min(LABELS.len() - 1);
    }

    pub fn prev_field(&mut self) {
        self.focus = self.focus.saturating_sub(1);
    }

    /// Left/Right on the delivery type steps through the allowed values.
    pub fn cycle_delivery(&mut self, forward: bool) {
        if self.focus != 3 {
            return;
        }
        let current = self.fields[3].trim().to_ascii_uppercase();
        let n = DELIVERY_TYPES.len();
        let next = match DELIVERY_TYPES.iter().position(|&t| t == current) {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => 0,
        };
        self.fields[3] = DELIVERY_TYPES[next].to_string();
        self.errors[3] = None;
    }

    /// Enter on a field: on to the next one only if this one is valid.
    pub fn next_if_valid(&mut self) {
        if self.check_focused() {
            self.next_field();
        }
    }

    /// Checks the focused field, recording (and returning) its error.
    pub fn check_focused(&mut self) -> bool {
        let i = self.focus;
        self.errors[i] = check_field(i, &self.fields[i]).err();
        self.errors[i].is_none()
    }

    /// Checks every field; on failure focuses the first bad one.
    pub fn payload(&mut self) -> Option<Map<String, Value>> {
        for i in 0..LABELS.len() {
            self.errors[i] = check_field(i, &self.fields[i]).err();
        }
        if let Some(bad) = self.errors.iter().position(Option::is_some) {
            self.focus = bad;
            return None;
        }
        let weight = parse_weight(&self.fields[2]).ok()?;
        Some(payload::created_payload(
            &self.fields[0],
            &self.fields[1],
            weight,
            &self.fields[3],
            Map::new(),
        ))
    }
}

fn parse_weight(text: &str) -> Result<f64, String> {
    text.trim().parse::<f64>().map_err(|_| {
        format!(
            "weight_kg must be a number of kilograms, got '{}'",
            text.trim()
        )
    })
}

/// One field against the core's payload rules.
fn check_field(index: usize, text: &str) -> Result<(), String> {
    match index {
        0 | 1 => {
            let key = if index == 0 { "source" } else { "destination" };
            let mut one = Map::new();
            one.insert(key.to_string(), Value::from(text.trim()));
            // A resubmission checks only the fields it carries: exactly
            // the one-field check we want.
            payload::validate(EventType::Created, false, &one)
        }
        2 => {
            let weight = parse_weight(text)?;
            let value = serde_json::Number::from_f64(weight)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(text.trim().to_string()));
            payload::check_weight(&value)
        }
        _ => payload::check_delivery_type(&Value::from(text.trim().to_ascii_uppercase())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_use_the_core_rules() {
        assert!(check_field(0, "  ").is_err());
        assert!(check_field(0, "Mumbai").is_ok());
        assert!(check_field(2, "abc").is_err());
        assert!(check_field(2, "0").is_err());
        assert!(check_field(2, "NaN").is_err());
        assert!(check_field(2, "100001").is_err());
        assert!(check_field(2, "12.5").is_ok());
        assert!(check_field(3, "express").is_ok());
        assert!(check_field(3, "FAST").is_err());
    }

    #[test]
    fn payload_focuses_the_first_bad_field() {
        let mut form = NewShipmentForm::new();
        form.fields[0] = "Pune".into();
        form.fields[2] = "-1".into();
        assert!(form.payload().is_none());
        assert_eq!(form.focus, 1);
        form.fields[1] = "Goa".into();
        form.fields[2] = "3".into();
        let p = form.payload().unwrap();
        assert_eq!(p["delivery_type"], "STANDARD");
    }
}

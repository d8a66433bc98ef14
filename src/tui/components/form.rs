//! The new-shipment form: its state, its keys, its drawing, and
//! field-by-field validation. The rules are the core's
//! (`domain::payload`), applied to one field at a time so the operator
//! learns what is wrong where they typed it. Drawn: four fields, the
//! focused one marked, each field's error under it, and a warning when
//! the current role is not SENDER.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use serde_json::{Map, Value};

use super::Action;
use crate::domain::payload::{self, DELIVERY_TYPES};
use crate::domain::{Actor, EventType};
use crate::store::AppendRequest;
use crate::text::inert;
use crate::tui::keymap::Command;
use crate::tui::views::{centered, theme};

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

/// The form, while open.
#[derive(Debug, Clone, Default)]
pub struct Form {
    form: Option<NewShipmentForm>,
}

impl Form {
    pub fn open(&mut self) {
        self.form = Some(NewShipmentForm::new());
    }

    pub fn is_open(&self) -> bool {
        self.form.is_some()
    }

    /// The open form, to fill it in directly (tests).
    pub fn get_mut(&mut self) -> Option<&mut NewShipmentForm> {
        self.form.as_mut()
    }

    pub fn type_char(&mut self, c: char) {
        if let Some(form) = self.form.as_mut() {
            form.insert(c);
        }
    }

    /// `role`: the role acting now; only a SENDER creates.
    pub fn command(&mut self, command: Command, role: Option<Actor>) -> Option<Action> {
        let form = self.form.as_mut()?;
        match command {
            Command::Escape => {
                self.form = None;
                return Some(Action::Info("no shipment created".into()));
            }
            Command::Backspace => form.backspace(),
            Command::NextField => {
                form.check_focused();
                form.next_field();
            }
            Command::PrevField => form.prev_field(),
            Command::CycleLeft => form.cycle_delivery(false),
            Command::CycleRight => form.cycle_delivery(true),
            Command::Submit if !form.is_last() => form.next_if_valid(),
            Command::Submit => {
                if role != Some(Actor::Sender) {
                    let role = role.map_or("read-only", |r| r.as_str());
                    return Some(Action::Error(format!(
                        "new shipments are created by SENDER; you are acting as {role} (press r to change role)"
                    )));
                }
                if let Some(payload) = form.payload() {
                    self.form = None;
                    return Some(Action::Append(AppendRequest::create(payload)));
                }
            }
            _ => {}
        }
        None
    }

    pub fn draw(&self, frame: &mut Frame, body: Rect, role: Option<Actor>) {
        if let Some(form) = &self.form {
            draw(frame, body, role, form);
        }
    }
}

fn draw(frame: &mut Frame, body: Rect, role: Option<Actor>, form: &NewShipmentForm) {
    let area = centered(body, 76, 16);
    frame.render_widget(Clear, area);
    let mut lines = Vec::new();
    if role != Some(Actor::Sender) {
        let role = role.map_or("read-only", |r| r.as_str());
        lines.push(Line::styled(
            format!("Shipments are created as SENDER; you are acting as {role} (r: change role)."),
            theme::error(),
        ));
    } else {
        lines.push(Line::styled("Created as SENDER.", theme::dim()));
    }
    for (i, label) in LABELS.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "▶ " } else { "  " };
        let value = inert(&form.fields[i], 60);
        let value_style = if focused {
            theme::warn().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::raw(marker),
            Span::styled(format!("{label:<14}"), theme::title()),
            Span::styled(
                format!("{value}{}", if focused { "_" } else { "" }),
                value_style,
            ),
        ]));
        match &form.errors[i] {
            Some(err) => lines.push(Line::styled(
                format!("    ✗ {}", inert(err, 90)),
                theme::error(),
            )),
            None => lines.push(Line::styled(format!("    {}", HINTS[i]), theme::dim())),
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Enter: check field / create on the last · Tab/Up/Down: move · Esc: close",
        theme::dim(),
    ));
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(" New shipment ", theme::title()))
                .border_style(theme::accent()),
        ),
        area,
    );
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

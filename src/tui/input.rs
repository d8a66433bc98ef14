//! What keys do: each key press goes through the keymap to a command,
//! and the command is applied to the `App` according to its mode. Mouse
//! clicks are in `event_loop`; writes are in `actions`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Focus, Mode};
use super::keymap::{self, Command, Input};
use super::rows::RowFilter;
use crate::domain::{EventType, ShipmentId};

impl App {
    pub fn handle_key(&mut self, key: &KeyEvent) {
        // No binding uses Alt: an Alt-key is Esc typed just before a key
        // (terminals and tmux send both as one sequence), so treat it so.
        if key.modifiers.contains(KeyModifiers::ALT) && matches!(key.code, KeyCode::Char(_)) {
            let mut plain = *key;
            plain.modifiers.remove(KeyModifiers::ALT);
            self.handle_key(&KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
            self.handle_key(&plain);
            return;
        }
        let Some(input) = keymap::dispatch(self.context(), key) else {
            return;
        };
        match input {
            Input::Text(c) => self.type_char(c),
            Input::Command(command) => self.run(command, key),
        }
        self.sync_history();
    }

    fn type_char(&mut self, c: char) {
        match &mut self.mode {
            Mode::Filter => {
                self.filter.text.push(c);
                self.rebuild_rows();
            }
            Mode::Jump(text) => text.push(c),
            Mode::Reason(p) if p.reason.chars().count() < 500 => p.reason.push(c),
            Mode::Form(form) => form.insert(c),
            _ => {}
        }
    }

    fn run(&mut self, command: Command, key: &KeyEvent) {
        if command == Command::Quit {
            self.quit = true;
            return;
        }
        match self.mode.clone() {
            Mode::Normal => self.run_normal(command, key),
            Mode::Filter => self.run_filter(command),
            Mode::Jump(text) => self.run_jump(command, text),
            Mode::Reason(_) => self.run_reason(command),
            Mode::Form(_) => self.run_form(command),
            Mode::Help { scroll } => match command {
                Command::Up => {
                    self.mode = Mode::Help {
                        scroll: scroll.saturating_sub(1),
                    }
                }
                Command::Down => self.mode = Mode::Help { scroll: scroll + 1 },
                _ => self.mode = Mode::Normal,
            },
            Mode::Audit { cursor } => self.run_audit(command, cursor),
        }
    }

    fn run_normal(&mut self, command: Command, key: &KeyEvent) {
        let page = self.page.get().max(1) as isize;
        match command {
            Command::Up => self.move_by(-1),
            Command::Down => self.move_by(1),
            Command::PageUp => self.move_by(-page),
            Command::PageDown => self.move_by(page),
            Command::Top if self.focus == Focus::History => self.history_scroll = 0,
            Command::Bottom if self.focus == Focus::History => self.history_scroll = usize::MAX / 2,
            Command::Top => self.select_row(0),
            Command::Bottom => self.select_row(self.rows.len().saturating_sub(1)),
            Command::ToggleFocus => {
                self.focus = match self.focus {
                    Focus::Table => Focus::History,
                    Focus::History => Focus::Table,
                }
            }
            Command::NextRole => self.step_role(1),
            Command::PrevRole => self.step_role(-1),
            Command::Primary => self.primary_action(),
            Command::Hold => self.start_reason(EventType::HoldForReview),
            Command::Override => self.start_reason(EventType::OverrideApplied),
            Command::Cancel => self.start_reason(EventType::Cancelled),
            Command::NewShipment => self.open_form(),
            Command::Filter => self.mode = Mode::Filter,
            Command::Jump => self.mode = Mode::Jump(String::new()),
            Command::NextSort => {
                self.sort.column = self.sort.column.next();
                self.sort.reverse = false;
                self.rebuild_rows();
            }
            Command::ReverseSort => {
                self.sort.reverse = !self.sort.reverse;
                self.rebuild_rows();
            }
            Command::Freeze => self.toggle_freeze(),
            Command::StateFilter => {
                if let KeyCode::Char(c) = key.code {
                    self.set_state_filter(c);
                }
            }
            Command::Audit => {
                self.settle_integrity();
                self.mode = Mode::Audit { cursor: 0 };
            }
            Command::Help => self.mode = Mode::Help { scroll: 0 },
            Command::Reverify => self.reverify(),
            Command::Escape => {
                // Esc first gives up an append waiting for the lock.
                if self.cancel_append() {
                    return;
                }
                // The reload banner stays until acknowledged.
                if self.banner.take().is_some() {
                    return;
                }
                if self.focus == Focus::History {
                    self.focus = Focus::Table;
                } else if !self.filter.is_empty() {
                    self.filter = RowFilter::default();
                    self.rebuild_rows();
                    self.info("filter cleared");
                }
            }
            _ => {}
        }
    }

    fn step_role(&mut self, delta: isize) {
        if self.roles.is_empty() {
            self.error(self.read_only_reason());
            return;
        }
        let n = self.roles.len() as isize;
        self.role_index = (self.role_index as isize + delta).rem_euclid(n) as usize;
        if let Some(role) = self.role() {
            self.info(format!("acting as {role}"));
        }
    }

    /// Why nothing can be appended, in the operator's words.
    pub fn read_only_reason(&self) -> String {
        if let Some(reason) = &self.read_only {
            return reason.clone();
        }
        match &self.policy {
            Some(p) if self.roles.is_empty() => format!(
                "read-only: {} gives operator '{}' no role",
                p.path.display(),
                self.operator
            ),
            _ => "read-only".into(),
        }
    }

    fn run_filter(&mut self, command: Command) {
        match command {
            Command::Submit => self.mode = Mode::Normal,
            Command::Escape => {
                self.mode = Mode::Normal;
                self.filter.text.clear();
                self.rebuild_rows();
            }
            Command::Backspace => {
                self.filter.text.pop();
                self.rebuild_rows();
            }
            _ => {}
        }
    }

    fn run_jump(&mut self, command: Command, text: String) {
        match command {
            Command::Submit => {
                self.mode = Mode::Normal;
                match parse_jump(&text) {
                    Some(id) => self.jump_to(id),
                    None => self.error(format!(
                        "'{}' is not a shipment ID (SHP- and 10 digits, or just the number)",
                        crate::text::inert(&text, 40)
                    )),
                }
            }
            Command::Escape => self.mode = Mode::Normal,
            Command::Backspace => {
                let mut text = text;
                text.pop();
                self.mode = Mode::Jump(text);
            }
            _ => {}
        }
    }

    fn run_audit(&mut self, command: Command, cursor: usize) {
        let findings = self.verify.errors.len() + self.verify.warnings.len();
        match command {
            Command::Up => {
                self.mode = Mode::Audit {
                    cursor: cursor.saturating_sub(1),
                }
            }
            Command::Down => {
                self.mode = Mode::Audit {
                    cursor: (cursor + 1).min(findings.saturating_sub(1)),
                }
            }
            Command::Submit => {
                let finding = self
                    .verify
                    .errors
                    .iter()
                    .chain(&self.verify.warnings)
                    .nth(cursor);
                match finding.map(|f| (f.shipment_id, f.line)) {
                    Some((Some(id), _)) => {
                        self.mode = Mode::Normal;
                        self.jump_to(id);
                    }
                    Some((None, line)) => self.error(match line {
                        Some(l) => format!("line {l} names no shipment (see the line in the log)"),
                        None => "this finding names no shipment".to_string(),
                    }),
                    None => {}
                }
            }
            _ => self.mode = Mode::Normal,
        }
    }
}

/// `SHP-0000000042`, `shp-0000000042` or just `42` (as the command line
/// reads IDs), and here also the short `SHP-42`.
pub fn parse_jump(text: &str) -> Option<ShipmentId> {
    let text = text.trim();
    let digits = text
        .strip_prefix("SHP-")
        .or_else(|| text.strip_prefix("shp-"))
        .unwrap_or(text);
    ShipmentId::parse_lenient(text).or_else(|| ShipmentId::parse_lenient(digits))
}

//! Routing: each key press goes through the keymap to a command, and the
//! command to the component that has the keys (an open prompt, form or
//! view; in the normal view the focused pane first, then the table). What
//! a component asks for comes back as an `Action`, applied in `apply`, the
//! one place where an append starts. Keys no component owns (quit, role,
//! freeze, the views, Esc's first duties, the marks) are the `App`'s own.
//! Only `q` on the main screen quits: inside any view, prompt or form a
//! `q` the keymap binds to quit closes it instead (Ctrl-C always quits).

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};

use super::app::{App, Mode};
use super::components::{Action, Focus, Handled};
use super::keymap::{self, Command, Input};
use super::travel::shown;
use crate::domain::ShipmentId;

impl App {
    pub fn handle_key(&mut self, key: &KeyEvent) {
        self.handle_key_at(key, Instant::now());
    }

    /// A key pressed at `at` (tests give the moment, to check the repeat
    /// guard without waiting).
    pub fn handle_key_at(&mut self, key: &KeyEvent, at: Instant) {
        // No binding uses Alt: an Alt-key is Esc typed just before a key
        // (terminals and tmux send both as one sequence), so treat it so.
        if key.modifiers.contains(KeyModifiers::ALT) && matches!(key.code, KeyCode::Char(_)) {
            let mut plain = *key;
            plain.modifiers.remove(KeyModifiers::ALT);
            self.handle_key_at(&KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE), at);
            self.handle_key_at(&plain, at);
            return;
        }
        let Some(input) = keymap::dispatch(self.context(), key) else {
            return;
        };
        self.key_at = at;
        // An error stays until the next key: this one.
        self.status.key_pressed();
        match input {
            Input::Text(c) => self.type_char(c),
            Input::Command(command) => self.run(command, key),
        }
        self.sync_history();
    }

    fn type_char(&mut self, c: char) {
        match self.mode() {
            Mode::Filter => {
                self.table.type_char(shown(&self.tower, &self.travel), c);
                self.ensure_search();
            }
            Mode::Jump => self.jump.type_char(c),
            Mode::Reason => self.reason.type_char(c),
            Mode::Form => {
                let action = self.form.type_char(c);
                self.apply(action);
            }
            Mode::Batch => self.batch.type_char(c),
            _ => {}
        }
    }

    fn run(&mut self, command: Command, key: &KeyEvent) {
        if command == Command::Quit {
            let ctrl_c = key.modifiers.contains(KeyModifiers::CONTROL);
            if ctrl_c || self.mode() == Mode::Normal {
                self.quit = true;
                return;
            }
            return self.run(Command::Escape, key);
        }
        if command == Command::Repaint {
            self.repaint = true;
            return;
        }
        let projection = shown(&self.tower, &self.travel);
        let action = match self.mode() {
            Mode::Normal => return self.run_normal(command, key),
            Mode::Filter => {
                self.table.filter_command(command, projection);
                self.ensure_search();
                // Kept while malformed: the rows are the last good query's.
                self.table
                    .filter_error()
                    .filter(|_| command == Command::Submit)
                    .map(|e| Action::Error(format!("{e}; showing the last query that read")))
            }
            Mode::Jump => self.jump.command(command),
            Mode::Reason => {
                let acting = self.acting_role();
                self.reason.command(command, acting)
            }
            Mode::Form if self.form.offer().is_some() => return self.answer_offer(command),
            Mode::Form => self.form.command(command, self.access.role()),
            Mode::Batch => self.batch.command(command),
            Mode::Help => {
                self.help.command(command);
                None
            }
            Mode::Audit => self.audit.command(command, &self.integrity.verify),
            Mode::Pulse => self.pulse.command(command),
            // One binding each for the action keys and the list keys:
            // the key picks which.
            Mode::List => match (command, key.code) {
                (Command::Primary, KeyCode::Char(c)) => {
                    let command = match c {
                        'h' => Command::Hold,
                        'o' => Command::Override,
                        'x' => Command::Cancel,
                        _ => Command::Primary,
                    };
                    return self.act_on_list(command);
                }
                (Command::Attention, KeyCode::Char('m')) => self.worklist.command(Command::MyQueue),
                _ => self.worklist.command(command),
            },
        };
        self.apply(action);
    }

    /// The normal view: the App's own keys, then the focused pane's, then
    /// the table's.
    fn run_normal(&mut self, command: Command, key: &KeyEvent) {
        match command {
            // Esc first gives up an append waiting for the lock, then
            // dismisses the reload banner (it stays until acknowledged).
            Command::Escape if self.cancel_append() || self.status.dismiss_banner() => {}
            Command::Escape if self.table.clear_marks() => self.info("marks cleared"),
            Command::ToggleMark => {
                let projection = shown(&self.tower, &self.travel);
                self.table.toggle_mark(projection);
            }
            Command::MarkAll => {
                let projection = shown(&self.tower, &self.travel);
                let n = self.table.mark_all(projection);
                self.info(format!(
                    "{n} marked: a/h/o/x act on them all (asking first), Esc clears"
                ));
            }
            Command::ToggleFocus => {
                self.focus = match self.focus {
                    Focus::Table => Focus::History,
                    Focus::History => Focus::Table,
                }
            }
            Command::NextRole => self.step_role(1),
            Command::PrevRole => self.step_role(-1),
            Command::Primary | Command::Hold | Command::Override | Command::Cancel => {
                self.act(command)
            }
            Command::NewShipment => {
                let acting = self.acting_role();
                let selected = self.selected_summary();
                let action = self.action_bar.command(command, acting, selected);
                self.apply(action);
            }
            Command::Jump => self.jump.open(),
            Command::TimeTravel => self.toggle_travel(),
            Command::TravelStep => {
                if let Some(step) = super::travel::Step::of(key) {
                    self.travel_step(step);
                }
            }
            Command::TravelTo => self.jump.open_moment(),
            Command::Freeze => self.toggle_freeze(),
            Command::Audit => {
                self.settle_integrity();
                self.audit.open();
            }
            Command::Help => self.help.open(),
            Command::Pulse => self.pulse.open(),
            Command::Attention => self.open_list(super::components::worklist::ListKind::Attention),
            Command::MyQueue => self.open_list(super::components::worklist::ListKind::Queue),
            Command::Reverify => self.reverify(),
            Command::ToggleUtc => {
                let on = self.history.toggle_utc();
                self.info(if on {
                    "history: UTC shown beside local times (z hides it)"
                } else {
                    "history: local times only (z shows UTC too)"
                });
            }
            _ => {
                let page = self.table.page();
                if self.focus == Focus::History
                    && let Handled::Yes(action) = self.history.command(command, page)
                {
                    return self.apply(action);
                }
                let projection = shown(&self.tower, &self.travel);
                let action = self.table.command(command, key, projection);
                self.apply(action);
            }
        }
    }

    fn step_role(&mut self, delta: isize) {
        match self.access.step_role(delta) {
            Ok(text) => self.info(text),
            Err(why) => self.error(why),
        }
    }

    /// Clicks and the wheel, in the normal view: the table's.
    pub fn handle_mouse(&mut self, mouse: MouseEvent) {
        if self.mode() != Mode::Normal {
            return;
        }
        self.table.mouse(mouse, shown(&self.tower, &self.travel));
        self.sync_history();
    }

    /// Selects `id`, clearing the filter if it hides the shipment.
    pub(super) fn jump_to(&mut self, id: ShipmentId) {
        let said = self.table.jump_to(shown(&self.tower, &self.travel), id);
        self.apply(said);
    }
}

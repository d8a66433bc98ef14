//! What the action keys do: the role's primary action (`a`), hold /
//! override / cancel with a reason and a `y`, the new-shipment form. Every
//! write goes through the store with the `event_seq` the operator saw, so a
//! shipment that moved meanwhile is a conflict in the status line, never a
//! silent double step. The append itself runs on a worker thread
//! (`jobs`), so a lock held elsewhere never freezes the dashboard. Also the
//! pure "what may this role do here" answer the action bar draws.

use serde_json::{Map, Value};

use super::app::{App, Mode, ReasonPrompt};
use super::form::NewShipmentForm;
use super::keymap::Command;
use crate::domain::rules;
use crate::domain::{Actor, EventType, ShipmentId};
use crate::error::{Error, Result as StoreResult};
use crate::store::{AppendRequest, Appended};

/// One entry of the action bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOption {
    pub key: char,
    pub label: String,
    /// `Err(why)` when this role may not do it now.
    pub available: Result<EventType, String>,
}

/// May `role` append `event` to a shipment in `state`? `Err` says why not,
/// in the words of the rules' one explanation (`rules::explain`).
pub fn check_action(role: Actor, state: EventType, event: EventType) -> Result<EventType, String> {
    rules::explain(role, state, event)
        .map(|()| event)
        .map_err(|why| why.to_string())
}

/// The `a` action of `role` on a shipment in `state`.
pub fn primary_option(role: Actor, state: EventType) -> Result<EventType, String> {
    rules::primary(role, state).map_err(|why| why.to_string())
}

/// The action bar's entries for `role` on a shipment in `state`.
pub fn action_options(role: Actor, state: EventType) -> Vec<ActionOption> {
    let primary = primary_option(role, state);
    let label = match &primary {
        Ok(e) => e.as_str().to_string(),
        Err(_) => "advance".to_string(),
    };
    vec![
        ActionOption {
            key: 'a',
            label,
            available: primary,
        },
        ActionOption {
            key: 'h',
            label: "hold".into(),
            available: check_action(role, state, EventType::HoldForReview),
        },
        ActionOption {
            key: 'o',
            label: "override".into(),
            available: check_action(role, state, EventType::OverrideApplied),
        },
        ActionOption {
            key: 'x',
            label: "cancel".into(),
            available: check_action(role, state, EventType::Cancelled),
        },
    ]
}

impl App {
    /// The role, or the reason this dashboard cannot write.
    fn acting_role(&mut self) -> Option<Actor> {
        if self.appending() {
            self.error("an append is already in progress");
            return None;
        }
        if self.index().is_void() {
            let text = match self.verifying() {
                Some(v) => format!(
                    "the log changed in place and is being read again ({}%); act when it is done",
                    v.percent
                ),
                None => "the log changed in place and could not be read again; V to retry".into(),
            };
            self.error(text);
            return None;
        }
        if self.read_only.is_some() {
            let why = self.read_only_reason();
            self.error(why);
            return None;
        }
        match self.role() {
            Some(role) => Some(role),
            None => {
                let why = self.read_only_reason();
                self.error(why);
                None
            }
        }
    }

    /// The selected shipment as the operator sees it: (id, state, seq).
    fn seen(&mut self) -> Option<(ShipmentId, EventType, u32)> {
        match self.selected_summary() {
            Some(s) => Some((s.id, s.state, s.seq)),
            None => {
                self.error("no shipment selected");
                None
            }
        }
    }

    pub(super) fn primary_action(&mut self) {
        let Some(role) = self.acting_role() else {
            return;
        };
        let Some((id, state, seq)) = self.seen() else {
            return;
        };
        match primary_option(role, state) {
            Ok(event) => {
                let request =
                    AppendRequest::advance(id, event, role, Map::new()).expecting_seq(seq);
                self.append(request);
            }
            Err(why) => self.error(format!("{id}: {role} cannot advance it ({why})")),
        }
    }

    pub(super) fn start_reason(&mut self, event: EventType) {
        let Some(role) = self.acting_role() else {
            return;
        };
        let Some((id, state, seq)) = self.seen() else {
            return;
        };
        if let Err(why) = check_action(role, state, event) {
            self.error(format!("{id}: {role} cannot append {event} ({why})"));
            return;
        }
        self.mode = Mode::Reason(ReasonPrompt {
            event,
            id,
            seq,
            state,
            reason: String::new(),
            confirming: false,
        });
    }

    pub(super) fn run_reason(&mut self, command: Command) {
        let Mode::Reason(mut prompt) = self.mode.clone() else {
            return;
        };
        match command {
            Command::Escape => {
                self.mode = Mode::Normal;
                self.info(format!("{} not appended", prompt.event));
            }
            Command::Backspace => {
                prompt.reason.pop();
                self.mode = Mode::Reason(prompt);
            }
            Command::Submit if !prompt.confirming => {
                if prompt.reason.trim().is_empty() {
                    self.error("a reason is required (Esc to give up)");
                } else {
                    prompt.confirming = true;
                    self.mode = Mode::Reason(prompt);
                }
            }
            Command::Confirm if prompt.confirming => {
                self.mode = Mode::Normal;
                let Some(role) = self.acting_role() else {
                    return;
                };
                let mut payload = Map::new();
                payload.insert("reason".into(), Value::from(prompt.reason.trim()));
                let request = AppendRequest::advance(prompt.id, prompt.event, role, payload)
                    .expecting_seq(prompt.seq);
                self.append(request);
            }
            _ => {}
        }
    }

    pub(super) fn open_form(&mut self) {
        if self.acting_role().is_none() {
            return;
        }
        self.mode = Mode::Form(NewShipmentForm::new());
    }

    pub(super) fn run_form(&mut self, command: Command) {
        let Mode::Form(mut form) = self.mode.clone() else {
            return;
        };
        match command {
            Command::Escape => {
                self.mode = Mode::Normal;
                self.info("no shipment created");
                return;
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
                if self.role() != Some(Actor::Sender) {
                    let role = self.role().map_or("read-only", |r| r.as_str());
                    self.error(format!(
                        "new shipments are created by SENDER; you are acting as {role} (press r to change role)"
                    ));
                } else if let Some(payload) = form.payload() {
                    self.mode = Mode::Normal;
                    self.append(AppendRequest::create(payload));
                    return;
                }
            }
            _ => {}
        }
        self.mode = Mode::Form(form);
    }

    /// The one write path: waits for the lock on a worker thread, then
    /// appends through the store (`jobs`); `appended` takes the result.
    fn append(&mut self, request: AppendRequest) {
        if self.appending() {
            self.error("an append is already in progress");
            return;
        }
        if let Some(timeout) = self.lock_timeout {
            self.log.set_lock_timeout(timeout);
        }
        match self.log.lock_ticket() {
            Ok(ticket) => self.spawn_append(ticket, request),
            Err(e) => self.error(e.to_string()),
        }
    }

    /// The store's answer. The event is already in the projection (the
    /// store applied what it wrote); the refresh reports it, with whatever
    /// others appended before it, for the highlight.
    pub(super) fn appended(&mut self, result: StoreResult<Appended>) {
        match result {
            Ok(appended) => {
                let e = &appended.event;
                let text = format!(
                    "appended {} to {} as {} (seq {})",
                    e.event_type, e.shipment_id, e.actor, e.event_seq
                );
                let id = e.shipment_id;
                let created = e.event_seq == 1;
                self.refresh();
                if created {
                    self.jump_to(id);
                }
                self.info(text);
            }
            // Esc: the operator knows; not an error.
            Err(e @ Error::Cancelled) => self.info(e.to_string()),
            Err(e @ Error::LogChanged { .. }) => {
                // The log is not what this dashboard showed: read it again
                // (the banner says what changed), keep the refusal in view.
                self.error(e.to_string());
                self.refresh();
                self.jobs.keep_status = self.verifying().is_some();
            }
            Err(e) => self.error(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_explain_refusals() {
        let opts = action_options(Actor::Warehouse, EventType::Created);
        assert!(
            opts[0]
                .available
                .as_ref()
                .unwrap_err()
                .contains("wrong role")
        );
        assert!(opts[3].available.is_ok());
        let opts = action_options(Actor::SenderManager, EventType::WarehouseIntake);
        assert!(
            opts[3]
                .available
                .as_ref()
                .unwrap_err()
                .contains("wrong state")
        );
        let opts = action_options(Actor::Customer, EventType::Delivered);
        assert!(opts.iter().all(|o| o.available.is_err()));
    }
}

//! Acting without acting blind: what the action keys do beyond the one
//! shipment's append in `actions.rs`. A repeat of the same action key
//! within `REPEAT_GUARD` on a different shipment is ignored (the operator
//! has not seen the new selection); with marked rows the key opens the
//! batch question instead (`components::batch`), and the store's answers
//! become its summary; the new-shipment form opens with its role offer.

use std::time::Duration;

use super::app::App;
use super::components::batch::Marked;
use super::components::form::Offer;
use super::keymap::Command;
use crate::domain::{Actor, EventType};
use crate::error::{Error, Result};
use crate::store::{AppendRequest, Appended};

/// A second press of the same action key this soon after the first, on
/// another shipment, is taken for a double press and ignored.
pub const REPEAT_GUARD: Duration = Duration::from_millis(400);

impl App {
    /// `a`, `h`, `o` or `x` in the normal view.
    pub(super) fn act(&mut self, command: Command) {
        if !self.table.marks().is_empty() {
            return self.open_batch(command);
        }
        let selected = self.selected();
        if let (Some(id), Some((last, last_id, at))) = (selected, self.last_press)
            && last == command
            && last_id != id
            && self.key_at.saturating_duration_since(at) < REPEAT_GUARD
        {
            // Held or double-pressed: wait until the presses stop.
            self.last_press = Some((command, last_id, self.key_at));
            self.error(format!(
                "second press ignored: it came within 0.4 s of the one for {last_id}, and the selection is now {id}; look, then press again"
            ));
            return;
        }
        if let Some(id) = selected {
            self.last_press = Some((command, id, self.key_at));
        }
        let acting = self.acting_role();
        let selected = self.selected_summary();
        let action = self.action_bar.command(command, acting, selected);
        self.apply(action);
    }

    /// The batch question for the marked rows.
    fn open_batch(&mut self, command: Command) {
        let role = match self.acting_role() {
            Ok(role) => role,
            Err(why) => return self.error(why),
        };
        let event = match command {
            Command::Hold => Some(EventType::HoldForReview),
            Command::Override => Some(EventType::OverrideApplied),
            Command::Cancel => Some(EventType::Cancelled),
            _ => None,
        };
        // What the operator saw when marking: a shipment moved since is
        // a conflict at the store, not a step decided on its new state.
        let items = self
            .table
            .marks()
            .iter()
            .map(|(&id, &(seq, state))| Marked { id, seq, state })
            .collect();
        self.batch.open(event, role, items);
    }

    /// The store's answers to what `append_requests` sent.
    pub(super) fn appended_all(
        &mut self,
        requests: &[AppendRequest],
        batch: bool,
        results: Result<Vec<Result<Appended>>>,
    ) {
        if !batch {
            let result = results.and_then(|mut all| {
                all.pop().unwrap_or_else(|| {
                    Err(Error::Internal(
                        "an append of one event returned no result".into(),
                    ))
                })
            });
            return self.appended(result);
        }
        match results {
            Ok(results) => {
                self.refresh();
                self.batch.finished(requests, results);
                self.table.clear_marks();
                if let Some(summary) = self.batch.summary() {
                    let line = summary.line();
                    self.info(line);
                }
            }
            Err(e @ Error::Cancelled) => self.info(e.to_string()),
            Err(e) => self.error(format!("{e}; the marks stay")),
        }
    }

    /// `n`: the form (its draft if there is one), offering SENDER first
    /// when acting as another role.
    pub(super) fn open_form(&mut self) {
        let sender = if self.access.roles().contains(&Actor::Sender) {
            Ok(())
        } else {
            Err(format!(
                "the role policy does not give operator '{}' the SENDER role",
                self.access.operator()
            ))
        };
        self.form.open(self.role(), sender);
    }

    /// The answer to the form's role offer: `y` switches; anything else
    /// closes the form (its draft kept).
    pub(super) fn answer_offer(&mut self, command: Command) {
        let switch = matches!(self.form.offer(), Some(Offer::Switch(_)));
        if command == Command::Confirm && switch {
            match self.access.switch_to(Actor::Sender) {
                Ok(text) => {
                    self.form.offer_done(true);
                    self.info(text);
                }
                Err(why) => {
                    self.form.offer_done(false);
                    self.error(why);
                }
            }
        } else {
            self.form.offer_done(false);
            self.info("no shipment created; the draft is kept (n reopens it)");
        }
    }
}

impl App {
    /// The last batch's summary line, while its list is open.
    pub fn batch_summary_line(&self) -> Option<String> {
        self.batch.summary().map(|s| s.line())
    }
}

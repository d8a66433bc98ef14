//! The pure "what may this role do here" answer the action bar draws and
//! decides with, and the write path every component's `Action::Append`
//! ends in: whether this dashboard may act now (`acting_role`), the append
//! (`append`, reached only from `App::apply`) and its answer (`appended`).
//! Every write goes through the store with the `event_seq` the operator
//! saw, so a shipment that moved meanwhile is a conflict in the status
//! line, never a silent double step. The append itself waits for the lock
//! on a worker thread (`jobs`), so a lock held elsewhere never freezes the
//! dashboard.

use super::app::App;
use super::components::Action;
use super::tower::Tower;
use crate::domain::rules;
use crate::domain::{Actor, EventType};
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
    /// The role that may append now, or why none may (an append in
    /// flight, a log being read again, a read-only dashboard).
    pub(super) fn acting_role(&self) -> Result<Actor, String> {
        if self.travel.is_some() {
            return Err(super::travel::PAST_WHY.into());
        }
        if self.appending() {
            return Err("an append is already in progress".into());
        }
        if self.index().is_void() {
            return Err(match self.verifying() {
                Some(v) => format!(
                    "the log changed in place and is being read again ({}%); act when it is done",
                    v.percent
                ),
                None => {
                    "the log changed in place and could not be read again; Ctrl-V to retry".into()
                }
            });
        }
        if self.index().unverified().is_some() {
            // Decisions are made on the projection: not on a snapshot's
            // until its lines are verified (seconds on a big tower).
            let percent = self.verifying().map_or(0, |v| v.percent);
            return Err(format!(
                "opened from a snapshot: verifying the log ({percent}%); act when it is done"
            ));
        }
        if self.access.read_only().is_some() {
            return Err(self.access.read_only_reason());
        }
        self.role().ok_or_else(|| self.access.read_only_reason())
    }

    /// Does what a component asked for. `Action::Append` is the one write
    /// path: every append any component decides on starts here.
    pub(super) fn apply(&mut self, action: Option<Action>) {
        let Some(action) = action else { return };
        match action {
            Action::Append(request) => self.append(request),
            Action::AppendBatch(requests) => self.append_requests(requests, true),
            Action::JumpTo(id) => self.jump_to(id),
            Action::Focus(focus) => self.focus = focus,
            Action::AskReason(prompt) => self.reason.open(prompt),
            Action::OpenForm => self.open_form(),
            Action::Info(text) => self.info(text),
            Action::Error(text) => self.error(text),
            Action::TravelTo(as_of) => self.travel_to(as_of),
        }
    }

    /// One key's append. The shipment acted on stays selected and in view
    /// until the cursor moves (`Table::set_acted`).
    fn append(&mut self, request: AppendRequest) {
        if let crate::store::Target::Existing(id) = request.target
            && !self.appending()
            && self.travel.is_none()
        {
            let projection = self.tower.index().projection();
            self.table.set_acted(projection, id);
        }
        self.append_requests(vec![request], false);
    }

    /// The one write path: waits for the lock on a worker thread, then
    /// appends through the store (`jobs`); `appended_all` takes the
    /// answers. `batch`: marked rows, answered with a summary.
    pub(super) fn append_requests(&mut self, requests: Vec<AppendRequest>, batch: bool) {
        if self.travel.is_some() {
            self.error(super::travel::PAST_WHY);
            return;
        }
        if self.appending() {
            self.error("an append is already in progress");
            return;
        }
        let timeout = self.lock_timeout;
        match &mut self.tower {
            Tower::File(log) => {
                if let Some(timeout) = timeout {
                    log.set_lock_timeout(timeout);
                }
                match log.lock_ticket() {
                    Ok(ticket) => self.spawn_append(ticket, requests, batch),
                    Err(e) => self.error(e.to_string()),
                }
            }
            Tower::Database(_) => match self.tower.take_writer() {
                Some(writer) => self.spawn_store_append(writer, requests, batch),
                None => {
                    let why = self.access.read_only_reason();
                    self.error(why);
                }
            },
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
                let verifying = self.verifying().is_some();
                self.status.keep_until_reread(verifying);
            }
            // A database out of reach: the connection was never made.
            Err(e) if matches!(&e, Error::Database { doing, .. } if doing == "connect") => {
                self.error(format!(
                    "{e}; nothing appended, try again once the header shows LIVE"
                ));
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

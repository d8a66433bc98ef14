//! Time travel in the dashboard (`t`): the App's side of `read::travel`.
//! While travelling, every view reads the past projection through one
//! accessor (`shown`), a banner says which moment it is, and nothing can
//! be appended; the live index keeps being refreshed underneath, so
//! leaving (`t`/Esc) shows whatever arrived meanwhile.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::app::App;
use super::tower::Tower;
use super::views::theme;
use crate::read::as_of::AsOf;
use crate::read::projection::Projection;
use crate::read::travel::Travel;
use crate::text::thousands;

/// How far a time-travel key moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    EventBack,
    EventForward,
    HourBack,
    HourForward,
    DayBack,
    DayForward,
}

impl Step {
    /// The step a time-travel key asks for.
    pub fn of(key: &KeyEvent) -> Option<Step> {
        Some(match key.code {
            KeyCode::Left => Step::EventBack,
            KeyCode::Right => Step::EventForward,
            KeyCode::Char('[') => Step::HourBack,
            KeyCode::Char(']') => Step::HourForward,
            KeyCode::Char('{') => Step::DayBack,
            KeyCode::Char('}') => Step::DayForward,
            _ => return None,
        })
    }
}

/// Why the action keys do nothing while travelling.
pub const PAST_WHY: &str =
    "time travel: nothing can be appended in the past — t or Esc returns to live";

/// The projection the views show: the past one while travelling, else
/// the live one. (A free function so callers can borrow other fields.)
pub fn shown<'a>(tower: &'a Tower, travel: &'a Option<Travel>) -> &'a Projection {
    match travel {
        Some(travel) => travel.projection(),
        None => tower.index().projection(),
    }
}

impl App {
    /// The projection every view reads (see `shown`).
    pub fn projection(&self) -> &Projection {
        shown(&self.tower, &self.travel)
    }

    pub fn travelling(&self) -> Option<&Travel> {
        self.travel.as_ref()
    }

    /// `t`: into time travel at the latest event, or back to live.
    pub(super) fn toggle_travel(&mut self) {
        if self.travel.is_some() {
            return self.leave_travel(None);
        }
        match Travel::enter(self.tower.index()).map(Travel::build_checkpoints) {
            Ok(travel) => {
                self.travel = Some(travel);
                self.table.clear_highlights();
                self.info("time travel: Left/Right one event, [ ] one hour, { } one day, : a time");
            }
            Err(e) => self.error(format!("cannot travel in time: {e}")),
        }
    }

    /// Back to live (`why`: said when it was not asked for).
    pub(super) fn leave_travel(&mut self, why: Option<String>) {
        if self.travel.take().is_none() {
            return;
        }
        self.table.keep_now(None);
        self.rebuild_rows();
        self.history.clear();
        match why {
            Some(why) => self.error(why),
            None => self.info("back to live"),
        }
    }

    /// A step of `Left`/`Right`, `[`/`]` or `{`/`}`.
    pub(super) fn travel_step(&mut self, step: Step) {
        let hour = chrono::TimeDelta::hours(1);
        let day = chrono::TimeDelta::days(1);
        self.travel_with(|travel, live| match step {
            Step::EventBack => travel.step(live, -1),
            Step::EventForward => travel.step(live, 1),
            Step::HourBack => travel.shift(live, -hour),
            Step::HourForward => travel.shift(live, hour),
            Step::DayBack => travel.shift(live, -day),
            Step::DayForward => travel.shift(live, day),
        });
    }

    /// `:` then Enter: to the moment typed.
    pub(super) fn travel_to(&mut self, as_of: AsOf) {
        self.travel_with(|travel, live| travel.go_as_of(live, as_of));
    }

    fn travel_with(
        &mut self,
        go: impl FnOnce(&mut Travel, &Projection) -> crate::error::Result<()>,
    ) {
        let Some(travel) = self.travel.as_mut() else {
            return;
        };
        let live = self.tower.index().projection();
        if let Err(e) = travel.catch_up(live).and_then(|()| go(travel, live)) {
            return self.leave_travel(Some(format!("time travel stopped: {e}")));
        }
        // `age` and `idle` in a query count to the moment viewed.
        self.table.keep_now(travel.moment().at);
        // A step touches one shipment: its row moves; a jump rebuilds.
        match travel.take_touched() {
            Some(touched) => self.table.travelled(travel.projection(), &touched),
            None => self.rebuild_rows(),
        }
    }

    /// After a live refresh: the latest reachable moment grows.
    pub(super) fn travel_catch_up(&mut self) {
        let Some(travel) = self.travel.as_mut() else {
            return;
        };
        if let Err(e) = travel.catch_up(self.tower.index().projection()) {
            self.leave_travel(Some(format!("time travel stopped: {e}")));
        }
    }

    /// The banner across the screen (`width` columns) while travelling.
    pub fn travel_banner(&self, width: u16) -> Option<Line<'static>> {
        let moment = self.travel.as_ref()?.moment();
        let when = match moment.at {
            Some(at) => at.to_string().replacen('T', " ", 1),
            None => "the beginning (before the first event)".into(),
        };
        let core = format!(
            " AS OF {when} · event {} of {} ",
            thousands(moment.events),
            thousands(moment.total)
        );
        let full = format!("{core}· TIME TRAVEL, read-only · t/Esc: live ");
        let text = if full.chars().count() <= usize::from(width) {
            full
        } else {
            core
        };
        // Reversed and bold: unmistakable in every theme, colour or not.
        let style = theme::caution_badge().add_modifier(Modifier::BOLD);
        Some(Line::from(Span::styled(text, style)))
    }
}

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
use crate::read::travel::events::EventMap;
use std::sync::atomic::Ordering;

use super::event_loop::Msg;
use super::jobs::Job;

/// A log this big is mapped for time travel on a worker thread (about
/// 0.5 s per million events); smaller ones at once, on the key.
const PREPARE_FROM_BYTES: u64 = 128 << 20;
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

    /// `t`: into time travel at the latest event, or back to live (or,
    /// while it is being prepared, not).
    pub(super) fn toggle_travel(&mut self) {
        if self.travel.is_some() {
            return self.leave_travel(None);
        }
        if self.jobs.preparing_travel.take().is_some() {
            self.jobs.travel_generation.fetch_add(1, Ordering::SeqCst);
            return self.info("time travel cancelled");
        }
        if self.index().progress().0 >= PREPARE_FROM_BYTES {
            return self.prepare_travel();
        }
        let entered = Travel::enter(self.tower.index());
        self.entered(entered);
    }

    fn entered(&mut self, travel: crate::error::Result<Travel>) {
        match travel.map(Travel::build_checkpoints) {
            Ok(travel) => {
                self.travel = Some(travel);
                self.table.clear_highlights();
                self.info("time travel: Left/Right one event, [ ] one hour, { } one day, : a time");
            }
            Err(e) => self.error(format!("cannot travel in time: {e}")),
        }
    }

    /// On a big log: maps its events on a worker thread (the dashboard
    /// stays live meanwhile, the status line says how far it got), then
    /// enters (`travel_mapped`).
    fn prepare_travel(&mut self) {
        let generation = self.jobs.travel_generation.fetch_add(1, Ordering::SeqCst) + 1;
        let current = self.jobs.travel_generation.clone();
        let tx = self.jobs.sender();
        let index = self.index();
        let (location, ids) = (
            index.location().clone(),
            index.projection().id_index().clone(),
        );
        let upto = index.projection().total_events();
        std::thread::spawn(move || {
            let progress =
                super::jobs::reporter(&tx, generation, current, |generation, percent| {
                    Job::TravelProgress {
                        generation,
                        percent,
                    }
                });
            let mapped =
                EventMap::new(&location).and_then(|map| map.read_ahead(&ids, upto, progress));
            let result = match mapped {
                Ok(Some(map)) => Ok(Box::new(map)),
                Ok(None) => return, // cancelled
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(Msg::Job(Job::TravelMapped { generation, result }));
        });
        self.jobs.preparing_travel = Some((generation, 0));
        self.info("preparing time travel: reading the log once… (t: cancel)");
    }

    pub(super) fn travel_progress(&mut self, generation: u64, percent: u8) {
        if let Some((g, p)) = self.jobs.preparing_travel.as_mut()
            && *g == generation
        {
            *p = percent;
            self.info(format!("preparing time travel: {percent}% (t: cancel)"));
        }
    }

    pub(super) fn travel_mapped(
        &mut self,
        generation: u64,
        result: std::result::Result<Box<EventMap>, String>,
    ) {
        if self
            .jobs
            .preparing_travel
            .is_none_or(|(g, _)| g != generation)
        {
            return;
        }
        self.jobs.preparing_travel = None;
        let entered = match result {
            Ok(map) => Travel::enter_with(self.tower.index(), *map),
            Err(e) => return self.error(format!("cannot travel in time: {e}")),
        };
        self.entered(entered);
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

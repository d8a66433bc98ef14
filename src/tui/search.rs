//! The search records behind `/` (`read::query::SearchIndex`): built on a
//! worker thread the first time a query is typed (every event's line is
//! read back once, through the store's own `LineSource`), with progress in
//! the status line; kept current as lines arrive by re-reading only the
//! touched shipments; built again when the log was read again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use super::app::App;
use super::event_loop::Msg;
use super::jobs::Job;
use crate::domain::ShipmentId;
use crate::read::query::SearchIndex;
use crate::read::query::index::ids_of;

/// A build under way, and what arrived meanwhile.
#[derive(Debug, Default)]
pub struct Searching {
    /// Tells a stale build to stop; bumped when the log is read again.
    generation: Arc<AtomicU64>,
    /// The build under way (its generation) and how far it got.
    pub building: Option<(u64, u8)>,
    /// Shipments touched since the build took its snapshot.
    pending: Vec<ShipmentId>,
}

impl App {
    /// Starts building the search records if the query needs them.
    pub(super) fn ensure_search(&mut self) {
        if !self.table.needs_search() || self.searching.building.is_some() {
            return;
        }
        let generation = self.searching.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let current = self.searching.generation.clone();
        let projection = self.tower.index().projection();
        let (ids, events) = (ids_of(projection), projection.total_events());
        let location = self.tower.index().location().clone();
        let tx = self.jobs.sender();
        self.searching.building = Some((generation, 0));
        self.searching.pending.clear();
        thread::spawn(move || {
            let mut progress =
                super::jobs::reporter(&tx, generation, current, |generation, percent| {
                    Job::SearchProgress {
                        generation,
                        percent,
                    }
                });
            let built = SearchIndex::build_from(&location, &ids, events, &mut progress);
            let result = match built {
                Ok(Some(search)) => Ok(Box::new(search)),
                Ok(None) => return, // superseded
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(Msg::Job(Job::SearchBuilt { generation, result }));
        });
    }

    pub(super) fn search_progress(&mut self, generation: u64, percent: u8) {
        if let Some((g, p)) = self.searching.building.as_mut()
            && *g == generation
        {
            *p = percent;
        }
    }

    pub(super) fn search_built(
        &mut self,
        generation: u64,
        result: std::result::Result<Box<SearchIndex>, String>,
    ) {
        if self.searching.building.map(|(g, _)| g) != Some(generation) {
            return;
        }
        self.searching.building = None;
        let pending = std::mem::take(&mut self.searching.pending);
        let mut search = match result {
            Ok(search) => *search,
            Err(e) => return self.error(format!("cannot index the log for search: {e}")),
        };
        let index = self.tower.index();
        if let Err(e) = search.update(index, &pending) {
            return self.error(format!("cannot index the log for search: {e}"));
        }
        self.table.set_search(index.projection(), Some(search));
    }

    /// New events for `touched`: their records are read again (or kept
    /// for a build under way to take in when it is done).
    pub(super) fn search_touched(&mut self, touched: &[ShipmentId]) {
        if self.searching.building.is_some() {
            self.searching.pending.extend_from_slice(touched);
            return;
        }
        let index = self.tower.index();
        let Some(search) = self.table.search_mut() else {
            return;
        };
        if let Err(e) = search.update(index, touched) {
            self.error(format!("cannot index new events for search: {e}"));
        }
    }

    /// The log was read again: the records are void; a query builds them again.
    pub(super) fn search_reset(&mut self) {
        self.searching.generation.fetch_add(1, Ordering::SeqCst);
        self.searching.building = None;
        self.searching.pending.clear();
        let projection = self.tower.index().projection();
        self.table.set_search(projection, None);
        self.ensure_search();
    }

    /// What the status line says about the search while `/` is typed: the
    /// build's progress, or what is wrong with the query.
    pub fn search_note(&self) -> Option<String> {
        if let Some(error) = self.table.filter_error() {
            return Some(error.to_string());
        }
        self.searching
            .building
            .map(|(_, p)| format!("indexing every event for search… {p}%"))
    }

    /// Stops a build under way (on quit).
    pub(super) fn stop_search(&mut self) {
        self.searching.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// A build is under way.
    pub fn search_building(&self) -> bool {
        self.searching.building.is_some()
    }
}

impl App {
    /// The moment `age` and `idle` count to (`None`: the clock). Time
    /// travel sets the moment viewed; tests set a fixed one.
    pub fn set_search_now(&mut self, now: Option<crate::domain::Timestamp>) {
        let projection = self.tower.index().projection();
        self.table.set_now(projection, now);
    }
}

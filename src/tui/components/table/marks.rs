//! The table's two kinds of remembered rows: the shipment just acted on
//! (kept in view and selected until the cursor moves, so a second key
//! press never lands on a row that slid under the cursor), and the rows
//! marked for a batch action (Space, `V`), each with the seq and state it
//! showed when marked: what the operator decided on, so its append expects
//! that seq (a shipment moved since is a conflict).

use super::Table;
use crate::domain::{EventType, ShipmentId};
use crate::read::projection::Projection;

impl Table {
    /// An action was taken on `id`: it stays selected and in view, even
    /// if the filter stops matching it, until the cursor moves.
    pub fn set_acted(&mut self, projection: &Projection, id: ShipmentId) {
        self.acted = Some(id);
        self.selected = Some(id);
        self.reselect(projection);
    }

    /// The shipment just acted on, while it is kept.
    pub fn acted(&self) -> Option<ShipmentId> {
        self.acted
    }

    /// The cursor moved: the row acted on goes back to obeying the filter.
    pub(super) fn release_acted(&mut self, projection: &Projection) {
        let Some(id) = self.acted.take() else {
            return;
        };
        if self.selected != Some(id) || !self.filter.is_empty() {
            self.rebuild(projection);
        }
    }

    /// Space: marks or unmarks the selected row, then moves down.
    pub fn toggle_mark(&mut self, projection: &Projection) {
        let Some(id) = self.selected else { return };
        if self.marks.remove(&id).is_none()
            && let Some(s) = projection
                .position(id)
                .and_then(|p| projection.shipments().get(p))
        {
            self.marks.insert(id, (s.seq, s.state));
        }
        let next = self.cursor + 1;
        if next < self.rows.len() {
            self.select_row(projection, next);
        } else {
            self.release_acted(projection);
        }
    }

    /// `V`: marks every row in the current view; how many are marked.
    pub fn mark_all(&mut self, projection: &Projection) -> usize {
        let shipments = projection.shipments();
        for row in 0..self.rows.len() {
            if let Some(s) = self.rows.get(row).and_then(|p| shipments.get(p)) {
                self.marks.entry(s.id).or_insert((s.seq, s.state));
            }
        }
        self.marks.len()
    }

    /// Esc: true if there were marks to clear.
    pub fn clear_marks(&mut self) -> bool {
        let had = !self.marks.is_empty();
        self.marks.clear();
        had
    }

    /// The marked shipments, by ID, with the seq and state each showed
    /// when marked.
    pub fn marks(&self) -> &std::collections::BTreeMap<ShipmentId, (u32, EventType)> {
        &self.marks
    }

    pub fn is_marked(&self, id: ShipmentId) -> bool {
        self.marks.contains_key(&id)
    }
}

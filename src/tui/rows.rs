//! `RowOrder`: which shipments the table shows and in what order, as a
//! compact `Vec<u32>` of positions in `Projection::shipments()`. Rebuilt
//! (filter + sort) only when the filter or sort changes; a refresh moves
//! just the touched shipments, so a busy log never re-sorts 125k rows on
//! every event.

use std::cmp::Ordering;

use crate::domain::{EventType, ShipmentId, Timestamp};
use crate::read::projection::{Projection, ShipmentSummary};
use crate::read::query::index::Record;
use crate::read::query::{self, Matcher, Query, SearchIndex};

/// Above this many touched shipments one full rebuild is cheaper than
/// moving each of them (every move is a `Vec` insert).
const INCREMENTAL_LIMIT: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// Newest activity first: the default, like a control room's feed.
    Activity,
    Id,
    State,
    Route,
    Weight,
    DeliveryType,
    Events,
}

impl SortColumn {
    pub const ALL: [SortColumn; 7] = [
        SortColumn::Activity,
        SortColumn::Id,
        SortColumn::State,
        SortColumn::Route,
        SortColumn::Weight,
        SortColumn::DeliveryType,
        SortColumn::Events,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Activity => "activity",
            SortColumn::Id => "id",
            SortColumn::State => "state",
            SortColumn::Route => "route",
            SortColumn::Weight => "weight",
            SortColumn::DeliveryType => "type",
            SortColumn::Events => "events",
        }
    }

    pub fn next(self) -> SortColumn {
        let i = Self::ALL.iter().position(|&c| c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// The natural order of the column; `Activity` is newest first.
    fn compare(self, a: &ShipmentSummary, b: &ShipmentSummary) -> Ordering {
        match self {
            SortColumn::Activity => b.last_event_no.cmp(&a.last_event_no),
            SortColumn::Id => a.id.cmp(&b.id),
            SortColumn::State => state_rank(a.state).cmp(&state_rank(b.state)),
            SortColumn::Route => a
                .details
                .source
                .cmp(&b.details.source)
                .then_with(|| a.details.destination.cmp(&b.details.destination)),
            SortColumn::Weight => a
                .details
                .weight_kg
                .unwrap_or(f64::NEG_INFINITY)
                .total_cmp(&b.details.weight_kg.unwrap_or(f64::NEG_INFINITY)),
            SortColumn::DeliveryType => a.details.delivery_type.cmp(&b.details.delivery_type),
            SortColumn::Events => a.event_count.cmp(&b.event_count),
        }
    }
}

fn state_rank(state: EventType) -> usize {
    EventType::ALL.iter().position(|&e| e == state).unwrap_or(0)
}

/// What the table is narrowed to: a state key, and the search query
/// (the language of `read::query`) as typed and as last understood.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowFilter {
    /// The query as typed.
    pub text: String,
    pub state: Option<EventType>,
    /// Only shipments not DELIVERED or CANCELLED (`u`).
    pub unfinished: bool,
    /// The last query that parsed: what the rows show while the text
    /// typed since is malformed.
    pub query: Query,
    /// What is wrong with `text`, if anything.
    pub error: Option<String>,
}

impl RowFilter {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.state.is_none() && !self.unfinished
    }

    /// Reads `text` again; a malformed text keeps the last good query.
    /// Comparisons on payload keys are checked once `search` is built.
    pub fn set_text(&mut self, text: String, search: Option<&SearchIndex>) {
        self.text = text;
        let parsed = match search {
            Some(search) => query::prepare(&self.text, search),
            None => Query::parse(&self.text),
        };
        match parsed {
            Ok(q) => {
                self.query = q;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }
}

/// A filter ready to test rows: the query's matcher, the records it
/// reads, and the state key.
pub struct RowTest<'a> {
    matcher: Matcher,
    search: Option<&'a SearchIndex>,
    state: Option<EventType>,
    unfinished: bool,
    /// The record of every shipment while none are built.
    empty: Record,
    /// A row shown whatever the filter says (the shipment just acted on,
    /// until the cursor moves).
    keep: Option<usize>,
}

impl<'a> RowTest<'a> {
    pub fn new(filter: &RowFilter, search: Option<&'a SearchIndex>, now: Timestamp) -> Self {
        RowTest {
            matcher: Matcher::new(&filter.query, now),
            search,
            state: filter.state,
            unfinished: filter.unfinished,
            empty: Record::default(),
            keep: None,
        }
    }

    /// Shows projection position `keep` even when the filter hides it.
    pub fn keeping(mut self, keep: Option<usize>) -> Self {
        self.keep = keep;
        self
    }

    fn matches(&self, position: usize, s: &ShipmentSummary) -> bool {
        if self.keep == Some(position) {
            return true;
        }
        if self.state.is_some_and(|st| st != s.state)
            || self.unfinished && crate::domain::lifecycle::is_terminal(s.state)
        {
            return false;
        }
        if self.matcher.is_empty() {
            return true;
        }
        let record = self
            .search
            .map_or(&self.empty, |search| search.record(position));
        self.matcher.matches(s, record)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortSpec {
    pub column: SortColumn,
    pub reverse: bool,
}

impl Default for SortSpec {
    fn default() -> Self {
        SortSpec {
            column: SortColumn::Activity,
            reverse: false,
        }
    }
}

impl SortSpec {
    /// A total order: ties broken by position so rows never jitter.
    fn compare(&self, shipments: &[ShipmentSummary], a: u32, b: u32) -> Ordering {
        let (sa, sb) = (&shipments[a as usize], &shipments[b as usize]);
        let natural = self.column.compare(sa, sb).then_with(|| a.cmp(&b));
        if self.reverse {
            natural.reverse()
        } else {
            natural
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RowOrder {
    rows: Vec<u32>,
}

impl RowOrder {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Position in `Projection::shipments()` of table row `row`.
    pub fn get(&self, row: usize) -> Option<usize> {
        self.rows.get(row).map(|&p| p as usize)
    }

    /// Table row showing projection position `position`, if shown.
    pub fn row_of(&self, position: usize) -> Option<usize> {
        self.rows.iter().position(|&p| p as usize == position)
    }

    /// The rows in `range` (clamped): all a view ever needs to look at.
    pub fn window(&self, start: usize, len: usize) -> &[u32] {
        let start = start.min(self.rows.len());
        let end = start.saturating_add(len).min(self.rows.len());
        &self.rows[start..end]
    }

    /// Filters and sorts every shipment from scratch.
    pub fn rebuild(&mut self, projection: &Projection, filter: &RowTest<'_>, sort: SortSpec) {
        let shipments = projection.shipments();
        self.rows.clear();
        self.rows.extend(
            shipments
                .iter()
                .enumerate()
                .filter(|(i, s)| filter.matches(*i, s))
                .map(|(i, _)| i as u32),
        );
        if sort.column == SortColumn::Activity {
            // The hot path (default sort, a million rows): keys gathered
            // once, in order, then sorted beside the rows (no lookup into
            // the summaries while sorting).
            let mut keyed: Vec<(u64, u32)> = self
                .rows
                .iter()
                .map(|&p| (shipments[p as usize].last_event_no, p))
                .collect();
            if sort.reverse {
                keyed.sort_unstable();
            } else {
                keyed.sort_unstable_by(|a, b| b.cmp(a));
            }
            self.rows.clear();
            self.rows.extend(keyed.into_iter().map(|(_, p)| p));
        } else {
            self.rows
                .sort_unstable_by(|&a, &b| sort.compare(shipments, a, b));
        }
    }

    /// Drops the rows of shipments the projection no longer has (time
    /// travel went back before they were created).
    pub fn forget_beyond(&mut self, shipments: usize) {
        self.rows.retain(|&p| (p as usize) < shipments);
    }

    /// Moves the shipments that got new events (or are new) to where the
    /// sort puts them now, adding or dropping them as the filter says.
    pub fn apply_touched(
        &mut self,
        projection: &Projection,
        touched: &[ShipmentId],
        filter: &RowTest<'_>,
        sort: SortSpec,
    ) {
        let mut positions: Vec<u32> = touched
            .iter()
            .filter_map(|&id| projection.position(id))
            .map(|p| p as u32)
            .collect();
        positions.sort_unstable();
        positions.dedup();
        if positions.is_empty() {
            return;
        }
        if positions.len() > INCREMENTAL_LIMIT {
            self.rebuild(projection, filter, sort);
            return;
        }
        self.rows.retain(|p| positions.binary_search(p).is_err());
        let shipments = projection.shipments();
        for p in positions {
            if !filter.matches(p as usize, &shipments[p as usize]) {
                continue;
            }
            let at = self
                .rows
                .partition_point(|&q| sort.compare(shipments, q, p) == Ordering::Less);
            self.rows.insert(at, p);
        }
    }
}

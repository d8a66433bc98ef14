//! The one search language of the dashboard's `/`, `list --where` and
//! `export --where`: `parse` reads the text into a `Query`, `index` keeps
//! each shipment's searchable record (what the projection does not keep),
//! `matcher` evaluates a query against a shipment and says where it
//! matched a shown text. The language is described in README's CLI section.

pub mod index;
pub mod matcher;
pub mod parse;

use std::collections::BTreeSet;

pub use index::SearchIndex;
pub use matcher::{Matcher, Spot, highlights};
pub use parse::{Query, QueryError};

use crate::domain::{ShipmentId, Timestamp};
use crate::error::Result;
use crate::read::index::LogIndex;

/// Parses `text` and checks it against the payload keys `search` knows:
/// the query ready to match, or what is wrong with it.
pub fn prepare(text: &str, search: &SearchIndex) -> std::result::Result<Query, QueryError> {
    let query = Query::parse(text)?;
    query.check_keys(|key| search.has_key(key))?;
    Ok(query)
}

/// The shipments of `index` (as loaded: live or `load_as_of`) that match
/// `text`, with `now` the moment `age` and `idle` count to. Reads every
/// shipment's lines back once to index them.
pub fn matching(index: &LogIndex, text: &str, now: Timestamp) -> Result<BTreeSet<ShipmentId>> {
    let search = SearchIndex::build(index)?;
    let query = prepare(text, &search)?;
    Ok(matching_in(index, &search, &query, now))
}

/// `matching` with an index already built.
pub fn matching_in(
    index: &LogIndex,
    search: &SearchIndex,
    query: &Query,
    now: Timestamp,
) -> BTreeSet<ShipmentId> {
    let matcher = Matcher::new(query, now);
    index
        .projection()
        .shipments()
        .iter()
        .enumerate()
        .filter(|(i, s)| matcher.matches(s, search.record(*i)))
        .map(|(_, s)| s.id)
        .collect()
}

//! The PostgreSQL store's reads and its `EventStore` impl: one shipment,
//! the whole log from a position (streamed), lines by position, the head,
//! and subscriptions. Every event is read back from its canonical line,
//! exactly as the file store reads its lines.

use super::{PgStore, PgSubscription};
use crate::domain::line::{hash_line, parse_line};
use crate::domain::{Event, ShipmentId};
use crate::error::{Error, Result};
use crate::store::{AppendRequest, Appended, EventStore, Head, Position, Recorded, Subscription};

impl PgStore {
    /// The lines at `positions` (the `Position` values events are handed
    /// out at, i.e. row position - 1, as the projection keeps them), in
    /// position order, each with the position it was asked for. Positions
    /// that hold no row are left out.
    pub fn read_lines(&mut self, positions: &[u64]) -> Result<Vec<(u64, String)>> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        self.ensure_connected()?;
        let rows: Vec<i64> = positions
            .iter()
            .filter_map(|&p| i64::try_from(p).ok()?.checked_add(1))
            .collect();
        let found = self
            .client
            .query(
                "SELECT position, line FROM tower.events WHERE position = ANY($1) ORDER BY position",
                &[&rows],
            )
            .map_err(|e| self.error("read events by position", &e))?;
        Ok(found
            .iter()
            .map(|row| (row.get::<_, i64>(0) as u64 - 1, row.get::<_, String>(1)))
            .collect())
    }
}

impl PgStore {
    /// The lines of `id` at positions `first ..= last` (as handed out:
    /// row position - 1), in position order, each with its position.
    pub fn read_shipment_lines(
        &mut self,
        id: ShipmentId,
        first: u64,
        last: u64,
    ) -> Result<Vec<(u64, String)>> {
        self.ensure_connected()?;
        let row = |p: u64| i64::try_from(p).unwrap_or(i64::MAX).saturating_add(1);
        let found = self
            .client
            .query(
                "SELECT position, line FROM tower.events WHERE shipment_id = $1 AND position BETWEEN $2 AND $3 ORDER BY position",
                &[&id.to_string(), &row(first), &row(last)],
            )
            .map_err(|e| self.error("read a shipment's lines", &e))?;
        Ok(found
            .iter()
            .map(|row| (row.get::<_, i64>(0) as u64 - 1, row.get::<_, String>(1)))
            .collect())
    }
}

impl EventStore for PgStore {
    /// Each request in its own transaction (the lock, the checks, the
    /// insert, the commit): a refused one gets its error, the others go on.
    fn append_batch(&mut self, requests: &[AppendRequest]) -> Result<Vec<Result<Appended>>> {
        Ok(requests.iter().map(|r| self.append_one(r)).collect())
    }

    fn read_shipment(&mut self, id: ShipmentId) -> Result<Vec<Event>> {
        self.ensure_connected()?;
        let rows = self
            .client
            .query(
                "SELECT line FROM tower.events WHERE shipment_id = $1 ORDER BY event_seq",
                &[&id.to_string()],
            )
            .map_err(|e| self.error("read a shipment", &e))?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                parse_line(row.get::<_, &str>(0).as_bytes())
                    .ok()
                    .map(|r| r.to_event())
            })
            .collect())
    }

    fn read_all(
        &mut self,
        from: Position,
        each: &mut dyn FnMut(Recorded) -> Result<()>,
    ) -> Result<Position> {
        self.ensure_connected()?;
        let after = i64::try_from(from.0).unwrap_or(i64::MAX);
        let store = self.target.describe().to_string();
        let err = |e: postgres::Error| super::connect::db_error(&store, "read the log", &e);
        let mut rows = self
            .client
            .query_raw(
                "SELECT position, line FROM tower.events WHERE position > $1 ORDER BY position",
                [after],
            )
            .map_err(err)?;
        let mut last = from;
        while let Some(row) =
            postgres::fallible_iterator::FallibleIterator::next(&mut rows).map_err(err)?
        {
            let position = row.get::<_, i64>(0) as u64;
            last = Position(position);
            if let Ok(record) = parse_line(row.get::<_, &str>(1).as_bytes()) {
                each(Recorded {
                    position: Position(position - 1),
                    event: record.to_event(),
                })?;
            }
        }
        Ok(last)
    }

    fn subscribe(&self, from: Position) -> Result<Box<dyn Subscription>> {
        Ok(Box::new(PgSubscription::new(self.target.clone(), from)?))
    }

    /// The count is the last position (positions have no gaps).
    fn head(&mut self) -> Result<Head> {
        self.ensure_connected()?;
        let row = self
            .client
            .query_opt(
                "SELECT position, line FROM tower.events ORDER BY position DESC LIMIT 1",
                &[],
            )
            .map_err(|e| self.error("read the log's head", &e))?;
        Ok(match row {
            None => Head {
                count: 0,
                hash: None,
            },
            Some(row) => Head {
                count: u64::try_from(row.get::<_, i64>(0))
                    .map_err(|_| Error::Internal("a negative position".into()))?,
                hash: Some(hash_line(row.get::<_, &str>(1).as_bytes())),
            },
        })
    }
}

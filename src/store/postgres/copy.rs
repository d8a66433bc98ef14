//! The PostgreSQL store as a source and a target of `migrate`
//! (`store::copy`): its lines read in position order, and exact lines
//! imported through the administrator's import functions (migration 2),
//! which keep the original operators and check the chain.

use super::PgStore;
use crate::domain::line::{LineHash, hash_line};
use crate::error::{Error, Result};
use crate::store::copy::{Extent, LineCopy, check_chain};

/// Event lines read or imported per round trip.
const BATCH: i64 = 1000;

impl PgStore {
    fn lines_text(lines: &[Vec<u8>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    fn import(&mut self, function: &str, lines: &[Vec<u8>]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        // The database refuses anyone else too; this says it in words.
        if !self.is_admin()? {
            return Err(Error::NotAdministrator {
                doing: "import a tower (migrate): it keeps the original operators".into(),
                login: self.login.clone(),
            });
        }
        let source = format!("migrate, by {}", self.login);
        let sql = format!("SELECT tower.{function}($1, $2)");
        let text = Self::lines_text(lines);
        self.client
            .query_one(&sql, &[&source, &text])
            .map(|_| ())
            .map_err(|e| self.error("import lines", &e))
    }
}

impl LineCopy for PgStore {
    fn extent(&mut self) -> Result<Extent> {
        self.ensure_connected()?;
        let row = self
            .client
            .query_one(
                "SELECT (SELECT count(*) FROM tower.events), \
                        (SELECT line FROM tower.events ORDER BY position DESC LIMIT 1), \
                        (SELECT count(*) FROM tower.shipment_counter)",
                &[],
            )
            .map_err(|e| self.error("measure the tower", &e))?;
        let last: Option<String> = row.get(1);
        Ok(Extent {
            events: row.get::<_, i64>(0) as u64,
            last_hash: last.map(|l| hash_line(l.as_bytes())),
            counters: row.get::<_, i64>(2) as u64,
        })
    }

    fn event_line_hash(&mut self, n: u64) -> Result<Option<LineHash>> {
        self.ensure_connected()?;
        let row = self
            .client
            .query_opt(
                "SELECT line FROM tower.events WHERE position = $1",
                &[&(n as i64)],
            )
            .map_err(|e| self.error("read an event line", &e))?;
        Ok(row.map(|r| hash_line(r.get::<_, String>(0).as_bytes())))
    }

    fn event_lines(
        &mut self,
        skip: u64,
        each: &mut dyn FnMut(Vec<Vec<u8>>) -> Result<()>,
    ) -> Result<()> {
        let mut after = skip as i64;
        loop {
            self.ensure_connected()?;
            let rows = self
                .client
                .query(
                    "SELECT position, line FROM tower.events WHERE position > $1 \
                     ORDER BY position LIMIT $2",
                    &[&after, &BATCH],
                )
                .map_err(|e| self.error("read event lines", &e))?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.get(0);
            each(
                rows.iter()
                    .map(|r| r.get::<_, String>(1).into_bytes())
                    .collect(),
            )?;
        }
    }

    fn counter_lines(&mut self, skip: u64) -> Result<Vec<Vec<u8>>> {
        self.ensure_connected()?;
        let rows = self
            .client
            .query(
                "SELECT line FROM tower.shipment_counter ORDER BY seq OFFSET $1",
                &[&(skip as i64)],
            )
            .map_err(|e| self.error("read counter lines", &e))?;
        Ok(rows
            .iter()
            .map(|r| r.get::<_, String>(0).into_bytes())
            .collect())
    }

    fn import_events(&mut self, lines: &[Vec<u8>]) -> Result<()> {
        // Checked here too, for a message before the database's own check.
        let last = self.extent()?.last_hash;
        check_chain(last, lines)?;
        self.import("import_events", lines)
    }

    fn import_counters(&mut self, lines: &[Vec<u8>]) -> Result<()> {
        self.import("import_counters", lines)
    }
}

//! `PgSubscription`: live reading of the PostgreSQL store, on a connection
//! of its own. `poll` hands out every row after the last position, in
//! position order, as the file store hands out lines (`span.offset` =
//! position - 1, `line_no` = position), then the new counter rows; one
//! poll reads in one snapshot. `watch` LISTENs on `ct_events` on a thread
//! and connection of its own (a slow poll as fallback). A lost connection
//! is reopened with backoff on later polls, which resume after the last
//! position: no event is missed or handed out twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use postgres::{Client, IsolationLevel, Transaction};

use super::connect::ConnTarget;
use super::schema_sql::CHANNEL;
use crate::domain::line::parse_line;
use crate::error::Result;
use crate::log::digest::{self, IndexedEvent, IndexedLine, OperatorNames};
use crate::log::lines::LineRef;
use crate::store::{Feed, Polled, Position, Recorded, Subscription};

/// Rows fetched per query.
const BATCH_ROWS: i64 = 5000;
/// Reconnect delays: doubling from the first to the last.
const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(5);
/// Without a notification, the watcher still wakes this often.
const SLOW_POLL: Duration = Duration::from_secs(5);
/// How often the watcher looks at its stop flag.
const TICK: Duration = Duration::from_millis(250);

pub struct PgSubscription {
    target: ConnTarget,
    client: Option<Client>,
    /// The last row position handed out (0: none).
    last: u64,
    /// The last counter row (its `seq`) handed out.
    last_counter: i64,
    /// The highest position the last poll saw.
    max_seen: u64,
    names: OperatorNames,
    /// Why the connection is down, and when to try again.
    lost: Option<String>,
    retry_at: Instant,
    delay: Duration,
    stop: Arc<AtomicBool>,
    watching: bool,
    woken: Option<Receiver<()>>,
}

impl PgSubscription {
    /// Reads rows after `from` (`Position(n)`: from row n + 1 on) and every
    /// counter row.
    pub fn new(target: ConnTarget, from: Position) -> Result<Self> {
        let client = target.connect()?;
        Ok(PgSubscription {
            target,
            client: Some(client),
            last: from.0,
            last_counter: 0,
            max_seen: from.0,
            names: OperatorNames::default(),
            lost: None,
            retry_at: Instant::now(),
            delay: FIRST_DELAY,
            stop: Arc::new(AtomicBool::new(false)),
            watching: false,
            woken: None,
        })
    }

    /// A connection, reopened if it was lost and the backoff allows;
    /// `Err(why)` while there is none.
    fn connection(&mut self) -> std::result::Result<&mut Client, String> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
            self.lost
                .get_or_insert_with(|| "the connection closed".into());
        }
        if self.client.is_none() {
            let why = self.lost.clone().unwrap_or_default();
            if Instant::now() < self.retry_at {
                return Err(why);
            }
            match self.target.connect() {
                Ok(client) => {
                    self.client = Some(client);
                    self.lost = None;
                    self.delay = FIRST_DELAY;
                }
                Err(e) => return Err(self.lose(e.to_string())),
            }
        }
        self.client.as_mut().ok_or_else(String::new)
    }

    /// Notes a lost connection; returns the message polls report.
    fn lose(&mut self, why: String) -> String {
        self.client = None;
        self.retry_at = Instant::now() + self.delay;
        self.delay = (self.delay * 2).min(MAX_DELAY);
        let message = format!("{}: {why}; reconnecting", self.target.describe());
        self.lost = Some(why);
        message
    }

    fn reconnecting(&mut self, why: String) -> Polled {
        Polled {
            reconnecting: Some(format!("{}: {why}; reconnecting", self.target.describe())),
            ..Polled::default()
        }
    }

    /// A failed read: a lost connection becomes `reconnecting`, anything
    /// else is an error.
    fn failed(&mut self, e: postgres::Error, doing: &str) -> Result<Polled> {
        let closed = self.client.as_ref().is_none_or(Client::is_closed);
        let lost_code = e
            .as_db_error()
            .map(|db| db.code().code())
            .is_some_and(|code| code.starts_with("57") || code.starts_with("08"));
        if closed || lost_code || e.as_db_error().is_none() {
            let why = super::connect::db_error(self.target.describe(), doing, &e).to_string();
            self.lose(why.clone());
            return Ok(self.reconnecting(why));
        }
        Err(self.target.error(doing, &e))
    }

    fn read(
        &mut self,
        max_bytes: u64,
        each: &mut (dyn FnMut(Feed<'_>) + Send),
    ) -> Result<Polled, postgres::Error> {
        let (mut last, mut last_counter) = (self.last, self.last_counter);
        let names = &mut self.names;
        let Some(client) = self.client.as_mut() else {
            return Ok(Polled::default());
        };
        let mut tx = snapshot(client)?;
        let mut polled = Polled::default();
        let max = max_position(&mut tx)?;
        if max < last {
            polled.reset = Some(format!(
                "the log holds {max} events, fewer than the {last} read: it was replaced; reading it again from the start"
            ));
            (self.last, self.last_counter, self.max_seen) = (0, 0, 0);
            return Ok(polled);
        }
        let mut bytes = 0u64;
        let result = read_rows(&mut tx, &mut last, |position, line| {
            bytes += line.len() as u64 + 1;
            let line = LineRef::whole(position - 1, position, line.as_bytes());
            each(Feed::Line(&digest::index_line(&line, names)));
            bytes < max_bytes
        });
        self.last = last;
        polled.more = result? && last < max;
        let result = read_counters(&mut tx, &mut last_counter, last, |seq, line| {
            each(Feed::Counter {
                line_no: seq,
                bytes: line.as_bytes(),
            })
        });
        self.last_counter = last_counter;
        result?;
        self.max_seen = max;
        tx.commit()?;
        Ok(polled)
    }

    fn read_events(&mut self, each: &mut dyn FnMut(Recorded)) -> Result<(), postgres::Error> {
        let mut last = self.last;
        let Some(client) = self.client.as_mut() else {
            return Ok(());
        };
        let mut tx = snapshot(client)?;
        let max = max_position(&mut tx)?;
        let result = read_rows(&mut tx, &mut last, |position, line| {
            if let Ok(record) = parse_line(line.as_bytes()) {
                each(Recorded {
                    position: Position(position - 1),
                    event: record.to_event(),
                });
            }
            true
        });
        self.last = last;
        result?;
        self.max_seen = max;
        tx.commit()
    }
}

impl Drop for PgSubscription {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One poll's consistent view: the events and counters of one snapshot.
fn snapshot(client: &mut Client) -> Result<Transaction<'_>, postgres::Error> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
}

fn max_position(tx: &mut Transaction<'_>) -> Result<u64, postgres::Error> {
    let max: i64 = tx
        .query_one("SELECT coalesce(max(position), 0) FROM tower.events", &[])?
        .get(0);
    Ok(max.max(0) as u64)
}

/// Hands out rows after `*last` in position order, advancing `*last` row
/// by row, until `each` says stop or none are left. `Ok(true)`: stopped by
/// `each` (more may be there).
fn read_rows(
    tx: &mut Transaction<'_>,
    last: &mut u64,
    mut each: impl FnMut(u64, &str) -> bool,
) -> Result<bool, postgres::Error> {
    loop {
        let after = i64::try_from(*last).unwrap_or(i64::MAX);
        let rows = tx.query(
            "SELECT position, line FROM tower.events WHERE position > $1 ORDER BY position LIMIT $2",
            &[&after, &BATCH_ROWS],
        )?;
        for row in &rows {
            let position = row.get::<_, i64>(0) as u64;
            *last = position;
            if !each(position, row.get::<_, &str>(1)) {
                return Ok(true);
            }
        }
        if (rows.len() as i64) < BATCH_ROWS {
            return Ok(false);
        }
    }
}

/// Counter rows after `*last_counter` whose event is read (`upto`).
fn read_counters(
    tx: &mut Transaction<'_>,
    last_counter: &mut i64,
    upto: u64,
    mut each: impl FnMut(u64, &str),
) -> Result<(), postgres::Error> {
    let rows = tx.query(
        "SELECT seq, position, line FROM tower.shipment_counter WHERE seq > $1 ORDER BY seq",
        &[&*last_counter],
    )?;
    for row in &rows {
        let position: Option<i64> = row.get(1);
        if position.is_some_and(|p| p as u64 > upto) {
            break;
        }
        let seq: i64 = row.get(0);
        *last_counter = seq;
        each(seq as u64, row.get::<_, &str>(2));
    }
    Ok(())
}

impl Subscription for PgSubscription {
    fn poll(&mut self, max_bytes: u64, each: &mut (dyn FnMut(Feed<'_>) + Send)) -> Result<Polled> {
        if let Err(why) = self.connection() {
            return Ok(self.reconnecting(why));
        }
        match self.read(max_bytes.max(1), each) {
            Ok(polled) => Ok(polled),
            Err(e) => self.failed(e, "read new events"),
        }
    }

    fn poll_events(&mut self, each: &mut dyn FnMut(Recorded)) -> Result<Polled> {
        if let Err(why) = self.connection() {
            return Ok(self.reconnecting(why));
        }
        match self.read_events(each) {
            Ok(()) => Ok(Polled::default()),
            Err(e) => self.failed(e, "read new events"),
        }
    }

    fn watch(&mut self, wake: Box<dyn Fn() + Send>) -> Option<String> {
        let target = self.target.clone();
        let stop = self.stop.clone();
        self.watching = true;
        let spawned = thread::Builder::new()
            .name("ct-pg-listen".into())
            .spawn(move || listen(&target, &*wake, &stop));
        spawned
            .err()
            .map(|e| format!("cannot start the LISTEN thread ({e}): polling instead"))
    }

    fn wait(&mut self, timeout: Duration) {
        if self.woken.is_none() && !self.watching {
            let (tx, rx) = mpsc::channel();
            self.watch(Box::new(move || {
                let _ = tx.send(());
            }));
            self.woken = Some(rx);
        }
        match &self.woken {
            Some(woken) => {
                if woken.recv_timeout(timeout).is_ok() {
                    while woken.try_recv().is_ok() {}
                }
            }
            None => thread::sleep(timeout),
        }
    }

    fn progress(&self) -> (u64, u64) {
        (self.last, self.max_seen.max(self.last))
    }

    fn position(&self) -> Position {
        Position(self.last)
    }

    fn torn_tail(&self) -> Option<(u64, u64)> {
        None
    }

    fn torn_line(&self) -> Option<IndexedLine> {
        None
    }

    /// Rows arrive by `poll`: nothing to do.
    fn written(
        &mut self,
        _bytes: &[u8],
        _digests: Vec<IndexedEvent>,
        _each: &mut (dyn FnMut(Feed<'_>) + Send),
    ) -> Result<()> {
        Ok(())
    }
}

/// The watcher thread: LISTEN, wake on every notification (and every
/// `SLOW_POLL` anyway); reconnect with backoff, waking once connected so
/// the reader catches up. Ends when `stop` is set.
fn listen(target: &ConnTarget, wake: &dyn Fn(), stop: &AtomicBool) {
    let mut delay = FIRST_DELAY;
    while !stop.load(Ordering::Relaxed) {
        let client = target.connect().and_then(|mut c| {
            match c.batch_execute(&format!("LISTEN {CHANNEL}")) {
                Ok(()) => Ok(c),
                Err(e) => Err(target.error("listen", &e)),
            }
        });
        match client {
            Ok(mut client) => {
                delay = FIRST_DELAY;
                wake();
                listen_on(&mut client, wake, stop);
            }
            Err(_) => {
                sleep_unless_stopped(delay, stop);
                delay = (delay * 2).min(MAX_DELAY);
            }
        }
        // Woken after a lost connection too: the poll reports it.
        wake();
    }
}

/// Until the connection fails or `stop` is set.
fn listen_on(client: &mut Client, wake: &dyn Fn(), stop: &AtomicBool) {
    use postgres::fallible_iterator::FallibleIterator;
    let mut last_wake = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let next = client.notifications().timeout_iter(TICK).next();
        match next {
            Ok(Some(_)) => {
                last_wake = Instant::now();
                wake();
            }
            Ok(None) if last_wake.elapsed() >= SLOW_POLL => {
                last_wake = Instant::now();
                wake();
            }
            Ok(None) => {
                if client.is_closed() {
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let until = Instant::now() + total;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        thread::sleep(TICK.min(until.saturating_duration_since(Instant::now())));
    }
}

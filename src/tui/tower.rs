//! `Tower`: the store the dashboard works on, and its projection.
//!
//! - On the file store, one `read::Log`: the store deciding on the
//!   dashboard's own projection. Appends wait for the writers' lock on a
//!   worker thread and then run on the event loop (`jobs`).
//! - On a database, the projection reads through the database's
//!   subscription, and appends go through a connection of their own on a
//!   worker thread; the event comes back through the subscription, like
//!   any other site's. The database checks everything again.

use crate::domain::Actor;
use crate::error::Result;
use crate::read::Log;
use crate::read::index::LogIndex;
use crate::store::{EventStore, Location, Subscription, Who};

pub enum Tower {
    File(Box<Log>),
    Database(Box<Database>),
}

pub struct Database {
    index: LogIndex,
    /// The connection appends go through; away on a worker thread while
    /// one is in flight. `Err`: why this dashboard may only read.
    writer: std::result::Result<Option<Box<dyn EventStore>>, String>,
    /// The roles the database grants this login.
    roles: Vec<Actor>,
    /// The database login: the operator of what this dashboard appends.
    login: Option<String>,
}

/// Who may do what, as the store says.
pub enum Grants {
    /// The file store: the policy file (none: every role).
    PolicyFile(Result<Option<crate::store::policy::Policy>>),
    /// A database: the roles it grants this login.
    Granted(Vec<Actor>),
}

impl Tower {
    /// The dashboard's tower; a store it may not write is still read.
    pub fn open(location: &Location, who: &Who) -> Result<Tower> {
        match location {
            Location::File(paths) => Ok(Tower::File(Box::new(Log::open_or_read_only(
                paths,
                &who.operator,
                LogIndex::prepare(location)?.0,
            )))),
            Location::Postgres(url) => {
                database::open(location, url, who).map(|db| Tower::Database(Box::new(db)))
            }
        }
    }

    pub fn index(&self) -> &LogIndex {
        match self {
            Tower::File(log) => log.index(),
            Tower::Database(db) => &db.index,
        }
    }

    pub fn index_mut(&mut self) -> &mut LogIndex {
        match self {
            Tower::File(log) => log.state_mut(),
            Tower::Database(db) => &mut db.index,
        }
    }

    /// Swaps in a projection read again on a worker thread.
    pub fn replace_index(&mut self, index: LogIndex) {
        match self {
            Tower::File(log) => log.replace_state(index),
            Tower::Database(db) => db.index = index,
        }
    }

    /// Why this dashboard may not write, if it may not.
    pub fn read_only(&self) -> Option<String> {
        match self {
            Tower::File(log) => log.read_only().map(str::to_owned),
            Tower::Database(db) => db.writer.as_ref().err().cloned(),
        }
    }

    /// Who may do what.
    pub fn grants(&self) -> Grants {
        match self {
            Tower::File(log) => {
                Grants::PolicyFile(crate::store::policy::Policy::load_for(log.paths()))
            }
            Tower::Database(db) => Grants::Granted(db.roles.clone()),
        }
    }

    /// Who the store says is acting, when it decides (a database: its
    /// login); `None`: whoever the settings name.
    pub fn operator(&self) -> Option<&str> {
        match self {
            Tower::Database(db) => db.login.as_deref(),
            Tower::File(_) => None,
        }
    }

    /// Wake-ups when anything is committed from where the projection is.
    pub fn subscribe(&self) -> Result<Box<dyn Subscription>> {
        let index = self.index();
        index.location().subscribe(index.position())
    }

    /// The database connection for one append (taken until `give_back`).
    pub fn take_writer(&mut self) -> Option<Box<dyn EventStore>> {
        match self {
            Tower::Database(db) => db.writer.as_mut().ok().and_then(Option::take),
            Tower::File(_) => None,
        }
    }

    pub fn give_back(&mut self, writer: Box<dyn EventStore>) {
        if let Tower::Database(db) = self
            && let Ok(slot) = db.writer.as_mut()
        {
            *slot = Some(writer);
        }
    }
}

#[cfg(feature = "postgres")]
mod database {
    use super::{Database, LogIndex, Result, Who};
    use crate::store::Location;
    use crate::store::postgres::PgStore;

    pub fn open(location: &Location, url: &str, who: &Who) -> Result<Database> {
        let index = LogIndex::open(location)?;
        let (writer, roles, login) = match PgStore::connect(url, who.named.as_deref()) {
            Ok(mut store) => {
                let login = store.login().to_string();
                let roles = store
                    .policy()?
                    .into_iter()
                    .find(|(name, _)| *name == login)
                    .map(|(_, roles)| roles)
                    .unwrap_or_default();
                (Ok(Some(Box::new(store) as _)), roles, Some(login))
            }
            Err(e) => (Err(format!("read-only: {e}")), Vec::new(), None),
        };
        Ok(Database {
            index,
            writer,
            roles,
            login,
        })
    }
}

#[cfg(not(feature = "postgres"))]
mod database {
    use super::{Database, Result, Who};
    use crate::error::Error;
    use crate::store::Location;

    pub fn open(_: &Location, _: &str, _: &Who) -> Result<Database> {
        Err(Error::Usage(
            "this build has no PostgreSQL store (cargo feature `postgres`)".into(),
        ))
    }
}

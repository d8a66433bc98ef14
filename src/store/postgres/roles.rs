//! The role policy in the database: `tower_roles` maps database logins to
//! tower roles. `apply_policy` (the administrator only) replaces it from a
//! policy.toml's `[operators]` table in one transaction; `policy` reads it.
//! `[shared_accounts]` has no meaning here (the login is the operator).

use std::path::Path;

use super::PgStore;
use crate::domain::Actor;
use crate::error::{Error, Result};
use crate::store::policy::Policy;

/// What `apply_policy` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyApplied {
    /// Logins listed (read-only ones included).
    pub logins: usize,
    /// (login, role) rows written.
    pub roles: usize,
    /// Listed logins the database has no role for (yet).
    pub unknown_logins: Vec<String>,
    /// The file had a `[shared_accounts]` table, which this store ignores.
    pub ignored_shared_accounts: bool,
}

impl PgStore {
    /// Whether this login is the tower's administrator (the schema's owner,
    /// or a member of it).
    pub fn is_admin(&mut self) -> Result<bool> {
        self.ensure_connected()?;
        self.client
            .query_one(
                "SELECT pg_has_role(session_user, nspowner, 'USAGE') FROM pg_namespace WHERE nspname = 'tower'",
                &[],
            )
            .map(|row| row.get(0))
            .map_err(|e| self.error("check who administers the tower", &e))
    }

    /// Replaces `tower_roles` with the `[operators]` of `policy_toml_text`,
    /// in one transaction. Operators are refused, and nothing changes.
    pub fn apply_policy(&mut self, policy_toml_text: &str) -> Result<PolicyApplied> {
        let policy = Policy::parse(Path::new("policy.toml"), policy_toml_text)?;
        if !self.is_admin()? {
            return Err(Error::NotAdministrator {
                doing: "apply a role policy".into(),
                login: self.login.clone(),
            });
        }
        let store = self.target.describe().to_string();
        let err = |doing: &str, e: postgres::Error| super::connect::db_error(&store, doing, &e);
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| err("begin applying the policy", e))?;
        tx.execute("LOCK TABLE tower.tower_roles IN EXCLUSIVE MODE", &[])
            .and_then(|_| tx.execute("DELETE FROM tower.tower_roles", &[]))
            .map_err(|e| err("clear the role policy", e))?;
        let insert = tx
            .prepare("INSERT INTO tower.tower_roles (login, role) VALUES ($1, $2)")
            .map_err(|e| err("apply the role policy", e))?;
        let mut applied = PolicyApplied {
            logins: 0,
            roles: 0,
            unknown_logins: Vec::new(),
            ignored_shared_accounts: policy.has_shared_accounts(),
        };
        for (login, roles) in policy.operators() {
            applied.logins += 1;
            let mut roles = roles.to_vec();
            roles.sort();
            roles.dedup();
            for role in roles {
                tx.execute(&insert, &[&login, &role.as_str()])
                    .map_err(|e| err("apply the role policy", e))?;
                applied.roles += 1;
            }
            let known = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
                    &[&login],
                )
                .map_err(|e| err("look up a login", e))?;
            if !known.get::<_, bool>(0) {
                applied.unknown_logins.push(login.to_string());
            }
        }
        tx.commit().map_err(|e| err("commit the role policy", e))?;
        Ok(applied)
    }

    /// Every login with roles, and its roles, in login order.
    pub fn policy(&mut self) -> Result<Vec<(String, Vec<Actor>)>> {
        self.ensure_connected()?;
        let rows = self
            .client
            .query(
                "SELECT login, role FROM tower.tower_roles ORDER BY login, role",
                &[],
            )
            .map_err(|e| self.error("read the role policy", &e))?;
        let mut out: Vec<(String, Vec<Actor>)> = Vec::new();
        for row in rows {
            let login: String = row.get(0);
            let Some(role) = Actor::from_log_name(row.get::<_, &str>(1)) else {
                continue;
            };
            match out.last_mut() {
                Some((last, roles)) if *last == login => roles.push(role),
                _ => out.push((login, vec![role])),
            }
        }
        Ok(out)
    }
}

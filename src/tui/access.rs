//! Who is at the dashboard and what they may do: the operator, the role
//! policy, the roles this operator may take and the one acting now, or
//! why this dashboard may only read. Shared: the header, the action bar,
//! the form and the write path all read it.

use super::tower::Grants;
use crate::domain::Actor;
use crate::store::policy::Policy;

#[derive(Debug, Clone)]
pub struct Access {
    /// Why this dashboard cannot write, when it cannot.
    read_only: Option<String>,
    operator: String,
    policy: Option<Policy>,
    /// Roles this operator may take (every role without a policy).
    roles: Vec<Actor>,
    role_index: usize,
    /// The roles are what a database grants this login (`tower_roles`).
    from_database: bool,
}

impl Access {
    /// `read_only`: why the log cannot be written, if it cannot;
    /// `policy`: the role policy as loaded. The second value is the error
    /// to show when `role` is not one this operator may take.
    pub fn new(
        operator: String,
        role: Option<Actor>,
        mut read_only: Option<String>,
        grants: Grants,
    ) -> (Access, Option<String>) {
        let from_database = matches!(grants, Grants::Granted(_));
        let (policy, granted) = match grants {
            Grants::PolicyFile(Ok(policy)) => (policy, None),
            Grants::PolicyFile(Err(e)) => {
                read_only.get_or_insert_with(|| format!("read-only: {e}"));
                (None, None)
            }
            Grants::Granted(roles) => (None, Some(roles)),
        };
        let roles: Vec<Actor> = match (&policy, granted) {
            // What the database grants this login.
            (_, Some(roles)) => roles,
            // Only what this account may do as that operator: the core
            // refuses the rest anyway, so offering it would only mislead.
            (Some(p), None) => p
                .roles_for(&crate::store::account::os_account(), &operator)
                .to_vec(),
            (None, None) => Actor::ALL.to_vec(),
        };
        let mut refused = None;
        let role_index = match role {
            Some(r) => roles.iter().position(|&x| x == r).unwrap_or_else(|| {
                refused = Some(format!(
                    "the role policy does not let {operator} act as {r}"
                ));
                0
            }),
            None => roles.iter().position(|&x| x == Actor::Sender).unwrap_or(0),
        };
        let access = Access {
            read_only,
            operator,
            policy,
            roles,
            role_index,
            from_database,
        };
        (access, refused)
    }

    /// The role acting now; `None` when the operator may only read.
    pub fn role(&self) -> Option<Actor> {
        self.roles.get(self.role_index).copied()
    }

    pub fn roles(&self) -> &[Actor] {
        &self.roles
    }

    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// Why the log may not be written, if it may not.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// `r`/`R`: the next or previous role; the status line's answer.
    pub fn step_role(&mut self, delta: isize) -> Result<String, String> {
        if self.roles.is_empty() {
            return Err(self.read_only_reason());
        }
        let n = self.roles.len() as isize;
        self.role_index = (self.role_index as isize + delta).rem_euclid(n) as usize;
        match self.role() {
            Some(role) => Ok(format!("acting as {role}")),
            None => Err(self.read_only_reason()),
        }
    }

    /// Acts as `role` if the policy gives this operator that role; the
    /// status line's answer either way.
    pub fn switch_to(&mut self, role: Actor) -> Result<String, String> {
        match self.roles.iter().position(|&r| r == role) {
            Some(i) if self.read_only.is_none() => {
                self.role_index = i;
                Ok(format!("acting as {role}"))
            }
            Some(_) => Err(self.read_only_reason()),
            None => Err(format!(
                "the role policy does not give operator '{}' the {role} role",
                self.operator
            )),
        }
    }

    /// Why nothing can be appended, in the operator's words.
    pub fn read_only_reason(&self) -> String {
        if let Some(reason) = &self.read_only {
            return reason.clone();
        }
        if self.from_database && self.roles.is_empty() {
            return format!(
                "read-only: the database's tower_roles gives login '{}' no role",
                self.operator
            );
        }
        match &self.policy {
            Some(p) if self.roles.is_empty() => format!(
                "read-only: {} gives operator '{}' no role",
                p.path.display(),
                self.operator
            ),
            _ => "read-only".into(),
        }
    }

    /// What the role policy allows this operator, in a few words.
    pub fn policy_text(&self) -> String {
        let roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        if self.from_database {
            return if roles.is_empty() {
                format!("tower_roles: {} read-only", self.operator)
            } else {
                format!(
                    "tower_roles: {} may act as {}",
                    self.operator,
                    roles.join(", ")
                )
            };
        }
        match &self.policy {
            None => "no policy.toml: every role open".into(),
            Some(_) if self.roles.is_empty() => {
                format!("policy.toml: {} read-only", self.operator)
            }
            Some(_) => {
                format!(
                    "policy.toml: {} may act as {}",
                    self.operator,
                    roles.join(", ")
                )
            }
        }
    }
}

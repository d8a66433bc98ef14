//! The optional role policy (`policy.toml` in the data directory): which
//! operators may act as which roles. Absent file: every role is open.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::Actor;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub path: PathBuf,
    operators: BTreeMap<String, Vec<Actor>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    operators: BTreeMap<String, Vec<String>>,
}

impl Policy {
    /// `Ok(None)` when there is no policy file.
    pub fn load(path: &Path) -> Result<Option<Policy>> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("read the role policy", path, e)),
        };
        Self::parse(path, &text).map(Some)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Policy> {
        let bad =
            |why: String| Error::Usage(format!("{}: {why}; fix the policy file", path.display()));
        let file: PolicyFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut operators = BTreeMap::new();
        for (name, roles) in file.operators {
            let roles = roles
                .iter()
                .map(|r| {
                    r.parse::<Actor>()
                        .map_err(|e| bad(format!("operator '{name}': {e}")))
                })
                .collect::<Result<Vec<_>>>()?;
            operators.insert(name, roles);
        }
        Ok(Policy {
            path: path.to_path_buf(),
            operators,
        })
    }

    /// Roles `operator` may act as; empty means read-only.
    pub fn roles_of(&self, operator: &str) -> &[Actor] {
        self.operators.get(operator).map_or(&[], Vec::as_slice)
    }

    pub fn check(&self, operator: &str, role: Actor) -> Result<()> {
        let allowed = self.roles_of(operator);
        if allowed.contains(&role) {
            Ok(())
        } else {
            Err(Error::PolicyDenied {
                operator: operator.to_string(),
                role,
                policy: self.path.clone(),
                allowed: allowed.to_vec(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[operators]
asha = ["SENDER_MANAGER", "SENDER_SUPERVISOR"]
ravi = ["WAREHOUSE"]
meera = []   # auditor: read-only
"#;

    #[test]
    fn grants_only_listed_roles() {
        let p = Policy::parse(Path::new("policy.toml"), EXAMPLE).unwrap();
        assert!(p.check("asha", Actor::SenderSupervisor).is_ok());
        assert!(p.check("ravi", Actor::SenderManager).is_err());
        let denied = p.check("meera", Actor::Sender).unwrap_err().to_string();
        assert!(
            denied.contains("meera")
                && denied.contains("read-only")
                && denied.contains("policy.toml"),
            "{denied}"
        );
        assert!(p.check("stranger", Actor::Sender).is_err());
    }

    #[test]
    fn rejects_unknown_roles() {
        let err = Policy::parse(Path::new("p.toml"), "[operators]\nx = [\"PILOT\"]").unwrap_err();
        assert!(err.to_string().contains("PILOT"));
    }
}

//! The optional role policy: which operators may act in which roles, and
//! which OS accounts may act for whom. Found at `--policy`, else
//! `$CONTROL_TOWER_POLICY`, else `DATA_DIR/policy.toml` (resolved into
//! `LogPaths::policy`). Absent (at the default place only): every role is
//! open. Present, it must be a regular file of at most 64 KiB that nobody
//! but its owner and root can write, in a directory under the same rule
//! (like sshd's StrictModes); otherwise writes are refused, reads go on.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::Actor;
use crate::error::{Error, Result};
use crate::log::files::LogPaths;

/// Largest policy file read; anything bigger is not a policy.
pub const MAX_POLICY_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub path: PathBuf,
    operators: BTreeMap<String, Vec<Actor>>,
    /// OS account -> the people who may act through it.
    shared_accounts: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    operators: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    shared_accounts: BTreeMap<String, Vec<String>>,
}

impl Policy {
    /// The policy `paths` names. `Ok(None)` when there is none at the
    /// default place; a policy named by the user must exist.
    pub fn load_for(paths: &LogPaths) -> Result<Option<Policy>> {
        match Self::load(&paths.policy)? {
            None if paths.policy_named => Err(unusable(
                &paths.policy,
                "does not exist (check --policy or CONTROL_TOWER_POLICY)".into(),
            )),
            found => Ok(found),
        }
    }

    /// `Ok(None)` when there is no file at `path`.
    pub fn load(path: &Path) -> Result<Option<Policy>> {
        let Some(text) = read_policy_text(path)? else {
            return Ok(None);
        };
        Self::parse(path, &text).map(Some)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Policy> {
        let bad = |reason: String| Error::PolicyInvalid {
            path: path.to_path_buf(),
            reason,
        };
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
            shared_accounts: file.shared_accounts,
        })
    }

    /// Every operator the policy lists, with their roles (read-only ones
    /// with none), in name order.
    pub fn operators(&self) -> impl Iterator<Item = (&str, &[Actor])> {
        self.operators
            .iter()
            .map(|(name, roles)| (name.as_str(), roles.as_slice()))
    }

    /// Whether the policy has a `[shared_accounts]` table with entries.
    pub fn has_shared_accounts(&self) -> bool {
        !self.shared_accounts.is_empty()
    }

    /// Roles `operator` may act as; empty means read-only.
    pub fn roles_of(&self, operator: &str) -> &[Actor] {
        self.operators.get(operator).map_or(&[], Vec::as_slice)
    }

    /// Every operator the policy names, with the roles it grants.
    pub fn grants(&self) -> Vec<(String, Vec<Actor>)> {
        self.operators
            .iter()
            .map(|(name, roles)| (name.clone(), roles.clone()))
            .collect()
    }

    /// Whether OS account `account` may record events as `operator`: its
    /// own name always, another only through `[shared_accounts]`.
    pub fn may_act_for(&self, account: &str, operator: &str) -> bool {
        account == operator
            || self
                .shared_accounts
                .get(account)
                .is_some_and(|people| people.iter().any(|p| p == operator))
    }

    /// Roles `operator` may act as when typed in on `account`: none when
    /// the account may not act for them.
    pub fn roles_for(&self, account: &str, operator: &str) -> &[Actor] {
        if self.may_act_for(account, operator) {
            self.roles_of(operator)
        } else {
            &[]
        }
    }

    pub fn check(&self, account: &str, operator: &str, role: Actor) -> Result<()> {
        if !self.may_act_for(account, operator) {
            return Err(Error::ActingForDenied {
                account: account.to_string(),
                operator: operator.to_string(),
                policy: self.path.clone(),
            });
        }
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

fn unusable(path: &Path, reason: String) -> Error {
    Error::PolicyUnusable {
        path: path.to_path_buf(),
        reason,
    }
}

/// The policy's text, `None` if there is no file. Opened without blocking
/// (a FIFO must not hang us), checked on the opened descriptor (what we
/// read is what we checked), and never read past the limit (a link to
/// `/dev/zero` must not fill memory).
fn read_policy_text(path: &Path) -> Result<Option<String>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read the role policy", path, e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| Error::io("read the role policy", path, e))?;
    if !meta.file_type().is_file() {
        return Err(unusable(
            path,
            format!("is not a regular file (it is {})", kind_of(&meta)),
        ));
    }
    if meta.len() > MAX_POLICY_BYTES {
        return Err(too_big(path));
    }
    check_strict_modes(path, &meta)?;
    read_capped(file, path).map(Some)
}

fn too_big(path: &Path) -> Error {
    unusable(
        path,
        format!("is larger than {} KiB", MAX_POLICY_BYTES / 1024),
    )
}

fn read_capped(file: File, path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read the role policy", path, e))?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(too_big(path));
    }
    String::from_utf8(bytes).map_err(|_| unusable(path, "is not UTF-8 text".into()))
}

const GROUP_OR_OTHER_WRITE: u32 = 0o022;

/// Nobody but the file's owner and root may be able to change the policy:
/// not the file (no group/other write), not the directory that holds its
/// name nor the one that holds the real file (owned by root or the file's
/// owner, no group/other write), or someone could write or swap it.
fn check_strict_modes(path: &Path, meta: &fs::Metadata) -> Result<()> {
    if meta.mode() & GROUP_OR_OTHER_WRITE != 0 {
        return Err(unusable(
            path,
            format!(
                "can be written by others than its owner and root (mode {:04o}); run `chmod go-w {}`",
                meta.mode() & 0o7777,
                path.display()
            ),
        ));
    }
    let mut dirs = vec![parent_of(path)];
    if let Ok(real) = fs::canonicalize(path) {
        let real_dir = parent_of(&real);
        if fs::canonicalize(&dirs[0]).ok() != Some(real_dir.clone()) {
            dirs.push(real_dir);
        }
    }
    for dir in dirs {
        check_dir(path, &dir, meta.uid())?;
    }
    Ok(())
}

fn check_dir(path: &Path, dir: &Path, file_owner: u32) -> Result<()> {
    let dir_meta = fs::metadata(dir).map_err(|e| Error::io("check the directory of", path, e))?;
    let owner = dir_meta.uid();
    if owner != 0 && owner != file_owner {
        return Err(unusable(
            path,
            format!(
                "sits in {}, owned by uid {owner}, who is neither root nor the policy's owner; keep the policy in a directory only root can change, e.g. /etc/control-tower/, and pass --policy",
                dir.display()
            ),
        ));
    }
    if dir_meta.mode() & GROUP_OR_OTHER_WRITE != 0 {
        return Err(unusable(
            path,
            format!(
                "sits in {} (mode {:04o}), where others than its owner and root can replace it; keep the policy in a directory only root can change, e.g. /etc/control-tower/, and pass --policy",
                dir.display(),
                dir_meta.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn kind_of(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
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
        assert!(p.check("asha", "asha", Actor::SenderSupervisor).is_ok());
        assert!(p.check("ravi", "ravi", Actor::SenderManager).is_err());
        let denied = p
            .check("meera", "meera", Actor::Sender)
            .unwrap_err()
            .to_string();
        assert!(
            denied.contains("meera")
                && denied.contains("read-only")
                && denied.contains("policy.toml"),
            "{denied}"
        );
        assert!(p.check("stranger", "stranger", Actor::Sender).is_err());
    }

    #[test]
    fn an_account_acts_for_others_only_through_shared_accounts() {
        let text = format!("{EXAMPLE}\n[shared_accounts]\ntower = [\"asha\", \"ravi\"]\n");
        let p = Policy::parse(Path::new("policy.toml"), &text).unwrap();
        assert!(p.check("tower", "asha", Actor::SenderManager).is_ok());
        assert!(p.check("tower", "ravi", Actor::Warehouse).is_ok());
        let err = p.check("tower", "meera", Actor::Sender).unwrap_err();
        assert!(matches!(err, Error::ActingForDenied { .. }), "{err}");
        let err = p.check("ravi", "asha", Actor::SenderManager).unwrap_err();
        assert!(err.to_string().contains("'ravi'"), "{err}");
        assert_eq!(err.exit_code(), 1);
        assert!(p.roles_for("ravi", "asha").is_empty());
        assert_eq!(p.roles_for("tower", "ravi"), &[Actor::Warehouse]);
    }

    #[test]
    fn rejects_unknown_roles() {
        let err = Policy::parse(Path::new("p.toml"), "[operators]\nx = [\"PILOT\"]").unwrap_err();
        assert!(err.to_string().contains("PILOT"));
    }
}

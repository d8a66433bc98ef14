//! The store conformance harness: one test body, run against every store.
//! `towers(test)` gives a fresh tower on the file store and, when a
//! PostgreSQL server is there (`CT_PG_ADMIN_URL`; required under `CI`), a
//! fresh database. Each hands out the real binary for an operator: on the
//! file store `--data-dir DIR --operator NAME`; on PostgreSQL `--store URL`
//! as a login of that name (the password in `PGPASSWORD`), which is then
//! the operator the database records.

use std::process::{Command, Stdio};

use super::binary::{BIN, Env, Run, run};

pub enum Tower {
    File(Env),
    #[cfg(feature = "postgres")]
    Postgres(super::pg::PgTower),
}

/// Every store this test runs on.
pub fn towers(test: &str) -> Vec<Tower> {
    let mut towers = vec![Tower::File(Env::new())];
    #[cfg(feature = "postgres")]
    if let Some(pg) = super::pg::pg_tower(test) {
        towers.push(Tower::Postgres(pg));
    }
    #[cfg(not(feature = "postgres"))]
    let _ = test;
    towers
}

impl Tower {
    pub fn name(&self) -> &'static str {
        match self {
            Tower::File(_) => "file",
            #[cfg(feature = "postgres")]
            Tower::Postgres(_) => "postgresql",
        }
    }

    /// Makes `people` operators with `roles` (a policy file on the file
    /// store, logins and `policy apply` on PostgreSQL); returns the names
    /// each is recorded as.
    pub fn grant(&mut self, people: &[(&str, &[&str])]) -> Vec<String> {
        let mut policy = String::from("[operators]\n");
        let mut names = Vec::new();
        for (person, roles) in people {
            let name = self.operator(person);
            let roles: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
            policy.push_str(&format!("{name} = [{}]\n", roles.join(", ")));
            names.push(name);
        }
        match self {
            Tower::File(env) => {
                use std::os::unix::fs::PermissionsExt;
                // The tests' one OS account acts for every person.
                let people: Vec<&str> = names.iter().map(String::as_str).collect();
                policy.push_str(&super::binary::shared_account_for(&people));
                let path = env.dir.join("policy.toml");
                std::fs::write(&path, policy).unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
            #[cfg(feature = "postgres")]
            Tower::Postgres(pg) => {
                let file = tempfile::NamedTempFile::new().unwrap();
                std::fs::write(file.path(), policy).unwrap();
                let admin = pg.admin().to_string();
                let r = run(self
                    .command_as_login(&admin)
                    .args(["policy", "apply"])
                    .arg(file.path()));
                assert_eq!(r.code, 0, "policy apply: {}", r.stderr);
            }
        }
        names
    }

    /// The name `person` is recorded as (on PostgreSQL, a login made for
    /// this tower on first use).
    pub fn operator(&mut self, person: &str) -> String {
        match self {
            Tower::File(_) => person.to_string(),
            #[cfg(feature = "postgres")]
            Tower::Postgres(pg) => {
                let prefix = format!("{}_", pg.db);
                let login = format!("{prefix}{person}");
                if !pg_logins(pg).contains(&login) {
                    pg.login(person);
                }
                login
            }
        }
    }

    /// The binary as `operator` (a name `operator` returned).
    pub fn command(&self, operator: &str) -> Command {
        match self {
            Tower::File(env) => {
                let mut c = Command::new(BIN);
                c.arg("--data-dir")
                    .arg(&env.dir)
                    .args(["--operator", operator]);
                clean(c)
            }
            #[cfg(feature = "postgres")]
            Tower::Postgres(_) => self.command_as_login(operator),
        }
    }

    #[cfg(feature = "postgres")]
    fn command_as_login(&self, login: &str) -> Command {
        let Tower::Postgres(pg) = self else {
            unreachable!("only the PostgreSQL tower has logins")
        };
        let (url, password) = pg.cli_store(login);
        let mut c = Command::new(BIN);
        c.args(["--store", &url]).env("PGPASSWORD", password);
        clean(c)
    }

    pub fn run(&self, operator: &str, args: &[&str]) -> Run {
        run(self.command(operator).args(args))
    }
}

/// No inherited tower settings.
fn clean(mut c: Command) -> Command {
    c.env_remove("CONTROL_TOWER_DATA_DIR")
        .env_remove("CONTROL_TOWER_OPERATOR")
        .env_remove("CONTROL_TOWER_STORE")
        .env_remove("CONTROL_TOWER_POLICY")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    c
}

#[cfg(feature = "postgres")]
fn pg_logins(pg: &super::pg::PgTower) -> Vec<String> {
    pg.logins().to_vec()
}

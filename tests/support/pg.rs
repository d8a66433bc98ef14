//! A real PostgreSQL server for the tests: `CT_PG_ADMIN_URL` names an
//! administrator login (CREATEROLE, CREATEDB), e.g. from
//! `scripts/pg-cluster.sh start DIR`. Each test makes its own database and
//! its own logins (with passwords), so tests run in parallel without
//! touching each other; both are dropped when the `PgTower` is. Without the
//! variable the tests skip with a note, except under `CI`, where they fail.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use postgres::config::Host;
use postgres::{Client, Config, NoTls};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh database on the test server, and logins made for it.
pub struct PgTower {
    host: String,
    port: u16,
    admin: String,
    admin_password: String,
    pub db: String,
    logins: Vec<String>,
}

/// The test server's administrator, or `None` (skip) when there is none.
pub fn pg_tower(test: &str) -> Option<PgTower> {
    let Ok(url) = std::env::var("CT_PG_ADMIN_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but CT_PG_ADMIN_URL is not: the PostgreSQL tests must run in CI");
        }
        eprintln!(
            "note: skipping {test}: CT_PG_ADMIN_URL is not set (see README, PostgreSQL store)"
        );
        return None;
    };
    let config: Config = url.parse().expect("CT_PG_ADMIN_URL is a libpq URL");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let admin_password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .or_else(|| std::env::var("PGPASSWORD").ok())
        .unwrap_or_default();
    let db = format!(
        "ct_{}_{}_{}",
        test.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect::<String>(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
    .to_lowercase();
    let tower = PgTower {
        host,
        port: config.get_ports().first().copied().unwrap_or(5432),
        admin: config.get_user().unwrap_or("postgres").to_string(),
        admin_password,
        db,
        logins: Vec::new(),
    };
    let mut client = tower.admin_client("postgres");
    client
        .batch_execute(&format!("CREATE DATABASE {}", tower.db))
        .expect("the administrator may create a database");
    Some(tower)
}

impl PgTower {
    fn url_for(&self, user: &str, password: &str, db: &str) -> String {
        format!(
            "postgresql://{user}:{password}@{}:{}/{db}?sslmode=disable",
            self.host, self.port
        )
    }

    /// What the command line takes for `login`: a URL without the password
    /// (the CLI refuses one), and the password for `PGPASSWORD`.
    pub fn cli_store(&self, login: &str) -> (String, String) {
        let password = if login == self.admin {
            self.admin_password.clone()
        } else {
            password_of(login)
        };
        let url = format!(
            "postgresql://{login}@{}:{}/{}",
            self.host, self.port, self.db
        );
        (url, password)
    }

    /// The administrator's URL for this tower's database.
    pub fn admin_url(&self) -> String {
        self.url_for(&self.admin, &self.admin_password, &self.db)
    }

    /// A URL for `login` (made by `login`) on this database; `sslmode=prefer`
    /// (the TLS connector, falling back to plain text on this server).
    pub fn url_of(&self, login: &str) -> String {
        self.url_for(login, &password_of(login), &self.db)
            .replace("sslmode=disable", "sslmode=prefer")
    }

    /// A URL for `login` without its password (the CLI refuses one in
    /// `--store`: pass `password(login)` in PGPASSWORD).
    pub fn url_without_password(&self, login: &str) -> String {
        format!(
            "postgresql://{login}@{}:{}/{}?sslmode=disable",
            self.host, self.port, self.db
        )
    }

    /// The password of `login` (made by `login`).
    pub fn password(&self, login: &str) -> String {
        password_of(login)
    }

    /// host:port/database, as the dashboard's header names this tower.
    pub fn describe(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.db)
    }

    fn admin_client(&self, db: &str) -> Client {
        self.url_for(&self.admin, &self.admin_password, db)
            .parse::<Config>()
            .unwrap()
            .connect(NoTls)
            .expect("connect as the test administrator")
    }

    /// A new login with a password; its name is unique to this tower.
    pub fn login(&mut self, name: &str) -> String {
        let login = format!("{}_{name}", self.db);
        let mut client = self.admin_client(&self.db);
        client
            .batch_execute(&format!(
                "CREATE ROLE {login} LOGIN PASSWORD '{}'",
                password_of(&login)
            ))
            .expect("the administrator may create a login");
        self.logins.push(login.clone());
        login
    }

    /// Runs `sql` through a real `psql` as `login` (the password through
    /// PGPASSWORD, never on the command line).
    pub fn psql(&self, login: &str, sql: &str) -> Output {
        let password = if login == self.admin {
            self.admin_password.clone()
        } else {
            password_of(login)
        };
        Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", &self.host])
            .args(["-p", &self.port.to_string(), "-U", login, "-d", &self.db])
            .args(["-c", sql])
            .env("PGPASSWORD", password)
            .env_remove("PGSERVICE")
            .output()
            .expect("psql runs")
    }

    pub fn admin(&self) -> &str {
        &self.admin
    }

    /// The logins made for this tower so far.
    pub fn logins(&self) -> &[String] {
        &self.logins
    }

    /// A URL for `login` without its password (`sslmode=disable`), and the
    /// password (for `PGPASSWORD`: the CLI refuses a password inside the URL).
    pub fn bare_url(&self, login: &str) -> (String, String) {
        let (url, password) = self.cli_store(login);
        (format!("{url}?sslmode=disable"), password)
    }
}

/// Test logins' passwords follow from their names.
fn password_of(login: &str) -> String {
    format!("pw-{login}-secret")
}

impl Drop for PgTower {
    fn drop(&mut self) {
        let mut client = self.admin_client("postgres");
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db));
        for login in &self.logins {
            let _ = client.batch_execute(&format!("DROP ROLE IF EXISTS {login}"));
        }
    }
}

//! Many sites on one machine: three network namespaces per test (a server
//! and sites A and B, names unique to the run), joined by veth pairs to a
//! bridge in the server's namespace (10.77.0.0/24: the server .1, A .2,
//! B .3), with a PostgreSQL 15 cluster of its own listening inside the
//! server's namespace on 10.77.0.1 (initdb as the `postgres` user into a
//! temporary directory, scram-sha-256). The tower database `tower` is owned
//! by the administrator `ct_admin`, who installs the schema and applies the
//! policy through the real binary. Needs root and `ip netns`; without them
//! the test skips, saying so, except under `CI`, where it fails. The guard
//! stops the server, kills whatever still runs in the namespaces and
//! deletes them, even when the test fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use tempfile::TempDir;

use super::binary::BIN;

pub const SERVER_IP: &str = "10.77.0.1";
pub const PORT: u16 = 5432;
pub const DB: &str = "tower";
pub const ADMIN: &str = "ct_admin";

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct Sites {
    pub server: String,
    pub a: String,
    pub b: String,
    /// Namespaces made so far (the guard deletes them).
    made: Vec<String>,
    dir: TempDir,
    bindir: PathBuf,
}

/// Test logins' passwords follow from their names.
pub fn password(login: &str) -> String {
    format!("pw-{login}-secret")
}

fn skip(test: &str, why: &str) -> Option<Sites> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: {why}, and under CI the multi-site tests must run (as root, with ip netns)"
    );
    eprintln!("note: skipping {test}: {why}");
    None
}

fn sh(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"))
}

fn must(program: &str, args: &[&str]) -> String {
    let out = sh(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pg_bindir() -> Option<PathBuf> {
    let configured = Command::new("pg_config").arg("--bindir").output().ok();
    let mut dirs: Vec<PathBuf> = configured
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .into_iter()
        .collect();
    let mut installed: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .collect()
        })
        .unwrap_or_default();
    installed.sort();
    dirs.extend(installed.into_iter().rev());
    dirs.into_iter().find(|d| d.join("initdb").is_file())
}

/// Three fresh namespaces with a server in one, or `None` (skip).
pub fn sites(test: &str) -> Option<Sites> {
    let root = sh("id", &["-u"]);
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        return skip(test, "not root: network namespaces need root");
    }
    let Some(bindir) = pg_bindir() else {
        return skip(test, "no PostgreSQL server binaries (initdb)");
    };
    let tag = format!(
        "ct{}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut sites = Sites {
        server: format!("{tag}srv"),
        a: format!("{tag}a"),
        b: format!("{tag}b"),
        made: Vec::new(),
        dir,
        bindir,
    };
    for ns in [sites.server.clone(), sites.a.clone(), sites.b.clone()] {
        let out = sh("ip", &["netns", "add", &ns]);
        if !out.status.success() {
            let why = format!(
                "`ip netns add` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return skip(test, &why);
        }
        sites.made.push(ns.clone());
        must("ip", &["-n", &ns, "link", "set", "lo", "up"]);
    }
    sites.wire();
    sites.init_cluster();
    sites.start_server();
    sites.make_tower();
    Some(sites)
}

impl Sites {
    /// The bridge in the server's namespace and a veth pair per site.
    fn wire(&self) {
        let srv = self.server.as_str();
        must("ip", &["-n", srv, "link", "add", "br0", "type", "bridge"]);
        must("ip", &["-n", srv, "link", "set", "br0", "up"]);
        let cidr = format!("{SERVER_IP}/24");
        must("ip", &["-n", srv, "addr", "add", &cidr, "dev", "br0"]);
        for (ns, port, ip) in [
            (&self.a, "pa", "10.77.0.2/24"),
            (&self.b, "pb", "10.77.0.3/24"),
        ] {
            must(
                "ip",
                &[
                    "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port,
                    "netns", srv,
                ],
            );
            must("ip", &["-n", srv, "link", "set", port, "master", "br0"]);
            must("ip", &["-n", srv, "link", "set", port, "up"]);
            must("ip", &["-n", ns, "addr", "add", ip, "dev", "eth0"]);
            must("ip", &["-n", ns, "link", "set", "eth0", "up"]);
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn tool(&self, name: &str) -> String {
        self.bindir.join(name).display().to_string()
    }

    /// initdb as `postgres`; listens on the server's address only.
    fn init_cluster(&self) {
        let dir = self.dir.path().display().to_string();
        must("chown", &["postgres:", &dir]);
        let pwfile = self.dir.path().join("superuser.pw");
        std::fs::write(&pwfile, format!("{}\n", password("postgres"))).unwrap();
        let pwfile = pwfile.display().to_string();
        must("chown", &["postgres:", &pwfile]);
        let data = self.data().display().to_string();
        must(
            "runuser",
            &[
                "-u",
                "postgres",
                "--",
                &self.tool("initdb"),
                "-D",
                &data,
                "-A",
                "scram-sha-256",
                &format!("--pwfile={pwfile}"),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        let conf = format!(
            "listen_addresses = '{SERVER_IP}'\nport = {PORT}\nunix_socket_directories = '{dir}'\nmax_connections = 100\n"
        );
        let path = self.data().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&conf);
        std::fs::write(&path, text).unwrap();
        let hba = "local all all scram-sha-256\nhost all all 10.77.0.0/24 scram-sha-256\n";
        std::fs::write(self.data().join("pg_hba.conf"), hba).unwrap();
    }

    /// Starts the server inside the server's namespace (waits until ready).
    pub fn start_server(&self) {
        let data = self.data().display().to_string();
        let log = self.dir.path().join("server.log").display().to_string();
        let pg_ctl = self.tool("pg_ctl");
        let args = [
            "netns",
            "exec",
            &self.server,
            "runuser",
            "-u",
            "postgres",
            "--",
            &pg_ctl,
            "-D",
            &data,
            "-l",
            &log,
            "-w",
            "-t",
            "60",
            "start",
        ];
        let out = sh("ip", &args);
        assert!(
            out.status.success(),
            "pg_ctl start: {}; server log:\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server (`-m fast`: sessions are ended, as in a restart).
    pub fn stop_server(&self) {
        self.pg_ctl_stop("fast");
    }

    fn pg_ctl_stop(&self, mode: &str) -> Output {
        let data = self.data().display().to_string();
        let pg_ctl = self.tool("pg_ctl");
        sh(
            "runuser",
            &[
                "-u", "postgres", "--", &pg_ctl, "-D", &data, "-m", mode, "-w", "stop",
            ],
        )
    }

    /// Runs `sql` as the superuser over the cluster's Unix socket; the
    /// rows, unaligned (`-At`).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"])
            .arg("-h")
            .arg(self.dir.path())
            .args([
                "-p",
                &PORT.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
                "-c",
                sql,
            ])
            .env("PGPASSWORD", password("postgres"))
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The administrator, the database, the schema (installed by the real
    /// binary, as the administrator, from the server's namespace).
    fn make_tower(&self) {
        self.psql(
            "postgres",
            &format!(
                "CREATE ROLE {ADMIN} LOGIN CREATEROLE PASSWORD '{}'",
                password(ADMIN)
            ),
        );
        self.psql("postgres", &format!("CREATE DATABASE {DB} OWNER {ADMIN}"));
        let out = self.ct(&self.server, ADMIN, &["migrate-schema"]).output();
        let out = out.expect("control-tower runs");
        assert!(
            out.status.success(),
            "migrate-schema: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A new login (a site's operator).
    pub fn login(&self, name: &str) {
        self.psql(
            DB,
            &format!("CREATE ROLE {name} LOGIN PASSWORD '{}'", password(name)),
        );
    }

    /// `policy apply` as the administrator: `operators` is the TOML table's
    /// body (`login = ["ROLE", …]` lines).
    pub fn apply_policy(&self, operators: &str) {
        let path = self.dir.path().join("policy.toml");
        std::fs::write(&path, format!("[operators]\n{operators}")).unwrap();
        let path = path.display().to_string();
        let out = self
            .ct(&self.server, ADMIN, &["policy", "apply", &path])
            .output()
            .expect("control-tower runs");
        assert!(
            out.status.success(),
            "policy apply: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The store as `login` sees it (no password: that is in PGPASSWORD).
    pub fn url(&self, login: &str) -> String {
        format!("postgresql://{login}@{SERVER_IP}:{PORT}/{DB}?sslmode=disable")
    }

    /// The real binary in namespace `ns`, on the tower as `login`.
    pub fn ct(&self, ns: &str, login: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, BIN, "--store", &self.url(login)])
            .args(args)
            .env("PGPASSWORD", password(login))
            .env_remove("CONTROL_TOWER_DATA_DIR")
            .env_remove("CONTROL_TOWER_OPERATOR")
            .env_remove("CONTROL_TOWER_STORE")
            .env_remove("CONTROL_TOWER_POLICY")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        c
    }

    /// A shell command line running the dashboard in `ns` as `login`.
    pub fn dashboard(&self, ns: &str, login: &str, extra: &str) -> String {
        format!(
            "ip netns exec {ns} env -u CONTROL_TOWER_OPERATOR -u CONTROL_TOWER_STORE PGPASSWORD='{}' '{BIN}' --store '{}' {extra}",
            password(login),
            self.url(login)
        )
    }

    /// host:port/database, as the tool names this tower.
    pub fn describe(&self) -> String {
        format!("{SERVER_IP}:{PORT}/{DB}")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Sites {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = self.pg_ctl_stop("immediate");
        }
        for ns in &self.made {
            let pids = sh("ip", &["netns", "pids", ns]);
            for pid in String::from_utf8_lossy(&pids.stdout).split_whitespace() {
                let _ = sh("kill", &["-9", pid]);
            }
            let _ = sh("ip", &["netns", "del", ns]);
        }
    }
}

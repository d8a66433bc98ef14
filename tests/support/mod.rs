//! Shared helpers for the integration tests: a temporary data directory, the
//! real binary run against it, and the lifecycle tables of DESIGN.md written
//! out independently of `src/` (so a change to the core's tables is caught).

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_control-tower");

pub const EVENTS: [&str; 11] = [
    "CREATED",
    "MANAGER_APPROVED",
    "SUPERVISOR_APPROVED",
    "IN_TRANSIT",
    "RECEIVER_ACKNOWLEDGED",
    "WAREHOUSE_INTAKE",
    "OUT_FOR_DELIVERY",
    "DELIVERED",
    "OVERRIDE_APPLIED",
    "HOLD_FOR_REVIEW",
    "CANCELLED",
];

pub const ACTORS: [&str; 8] = [
    "SENDER",
    "SENDER_MANAGER",
    "SENDER_SUPERVISOR",
    "SYSTEM",
    "CARRIER",
    "RECEIVER",
    "WAREHOUSE",
    "CUSTOMER",
];

/// The standard flow after CREATED, with the actor the seed's demo uses.
pub const STANDARD_STEPS: [(&str, &str); 7] = [
    ("MANAGER_APPROVED", "SENDER_MANAGER"),
    ("SUPERVISOR_APPROVED", "SENDER_SUPERVISOR"),
    ("IN_TRANSIT", "SYSTEM"),
    ("RECEIVER_ACKNOWLEDGED", "RECEIVER"),
    ("WAREHOUSE_INTAKE", "WAREHOUSE"),
    ("OUT_FOR_DELIVERY", "WAREHOUSE"),
    ("DELIVERED", "CUSTOMER"),
];

/// DESIGN.md section 2, "Allowed next events", copied by hand.
pub fn allowed_next(state: &str) -> &'static [&'static str] {
    match state {
        "CREATED" => &[
            "MANAGER_APPROVED",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "MANAGER_APPROVED" => &[
            "SUPERVISOR_APPROVED",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "SUPERVISOR_APPROVED" => &[
            "IN_TRANSIT",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "IN_TRANSIT" => &[
            "RECEIVER_ACKNOWLEDGED",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "RECEIVER_ACKNOWLEDGED" => &["WAREHOUSE_INTAKE", "OVERRIDE_APPLIED", "HOLD_FOR_REVIEW"],
        "WAREHOUSE_INTAKE" => &["OUT_FOR_DELIVERY", "OVERRIDE_APPLIED", "HOLD_FOR_REVIEW"],
        "OUT_FOR_DELIVERY" => &[
            "DELIVERED",
            "OVERRIDE_APPLIED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
        ],
        "OVERRIDE_APPLIED" => &[
            "MANAGER_APPROVED",
            "HOLD_FOR_REVIEW",
            "CANCELLED",
            "CREATED",
        ],
        "HOLD_FOR_REVIEW" => &[
            "MANAGER_APPROVED",
            "OVERRIDE_APPLIED",
            "CANCELLED",
            "CREATED",
        ],
        "DELIVERED" | "CANCELLED" => &[],
        other => panic!("not a state: {other}"),
    }
}

/// DESIGN.md section 2, "Who may append which event", copied by hand.
pub fn permitted_actors(event: &str) -> &'static [&'static str] {
    match event {
        "CREATED" => &["SENDER"],
        "MANAGER_APPROVED" | "OVERRIDE_APPLIED" => &["SENDER_MANAGER"],
        "SUPERVISOR_APPROVED" => &["SENDER_SUPERVISOR"],
        "HOLD_FOR_REVIEW" => &["SENDER_MANAGER", "SENDER_SUPERVISOR"],
        "IN_TRANSIT" => &["SYSTEM", "CARRIER"],
        "RECEIVER_ACKNOWLEDGED" => &["RECEIVER"],
        "WAREHOUSE_INTAKE" | "OUT_FOR_DELIVERY" => &["WAREHOUSE"],
        "DELIVERED" => &["CUSTOMER"],
        "CANCELLED" => &ACTORS,
        other => panic!("not an event: {other}"),
    }
}

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: Output) -> Run {
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
            "the binary panicked: {}",
            run.stderr
        );
        run
    }

    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success, got {self:?}");
        self
    }

    /// Refused by the rules: exit 1, a message on stderr.
    pub fn refused(self) -> Run {
        assert_eq!(self.code, 1, "expected exit 1 (refused), got {self:?}");
        assert!(
            !self.stderr.trim().is_empty(),
            "a refusal must say why on stderr"
        );
        self
    }

    /// Usage or I/O error: exit 2, a message on stderr.
    pub fn usage(self) -> Run {
        assert_eq!(self.code, 2, "expected exit 2 (usage/I-O), got {self:?}");
        assert!(!self.stderr.trim().is_empty());
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }
}

/// A data directory in a fresh temporary directory, and the binary run on it.
pub struct Env {
    pub tmp: TempDir,
    pub dir: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("logs");
        // A tower made with `init`: named data directories must exist.
        fs::create_dir(&dir).expect("create the data directory");
        Env { tmp, dir }
    }

    pub fn events_path(&self) -> PathBuf {
        self.dir.join("shipments.jsonl")
    }

    pub fn counter_path(&self) -> PathBuf {
        self.dir.join("shipment_counter.jsonl")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_as("tester", args)
    }

    pub fn command_as(&self, operator: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir")
            .arg(&self.dir)
            .arg("--operator")
            .arg(operator)
            .args(args)
            .env_remove("CONTROL_TOWER_DATA_DIR")
            .env_remove("CONTROL_TOWER_OPERATOR")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from_output(self.command(args).output().expect("run the binary"))
    }

    /// `create` with a valid payload; returns the new ID.
    pub fn create(&self) -> String {
        self.create_with(&[])
    }

    pub fn create_with(&self, extra: &[&str]) -> String {
        let mut args = vec![
            "create",
            "--source",
            "Mumbai, Maharashtra",
            "--destination",
            "Delhi, Delhi",
            "--weight-kg",
            "5",
            "--delivery-type",
            "EXPRESS",
        ];
        args.extend_from_slice(extra);
        let run = self.run(&args).ok();
        let id = run.stdout.trim().to_string();
        assert!(is_shipment_id(&id), "create printed {id:?}");
        id
    }

    pub fn advance(&self, id: &str, event: &str, actor: &str) -> Run {
        self.run(&["advance", id, event, "--actor", actor])
    }

    pub fn show(&self, id: &str) -> Value {
        self.run(&["show", id, "--json"]).ok().json()
    }

    pub fn verify(&self) -> (i32, Value) {
        let run = self.run(&["verify", "--json"]);
        assert!(run.code == 0 || run.code == 1, "{run:?}");
        let json = run.json();
        (run.code, json)
    }

    pub fn assert_verifies(&self) -> Value {
        let (code, report) = self.verify();
        assert_eq!(code, 0, "verify failed: {report:#}");
        assert_eq!(report["log_integrity"], "VALID");
        report
    }

    pub fn log_bytes(&self) -> Vec<u8> {
        fs::read(self.events_path()).unwrap_or_default()
    }

    pub fn counter_bytes(&self) -> Vec<u8> {
        fs::read(self.counter_path()).unwrap_or_default()
    }

    /// The log's lines (without `\n`); a trailing unterminated piece included.
    pub fn lines(&self) -> Vec<String> {
        let text = String::from_utf8(self.log_bytes()).expect("utf-8 log");
        text.split_terminator('\n').map(str::to_owned).collect()
    }

    pub fn events(&self) -> Vec<Value> {
        self.lines()
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v.is_object())
            .collect()
    }

    pub fn append_raw(&self, bytes: &[u8]) {
        let mut f = fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.events_path())
            .expect("open log");
        f.write_all(bytes).expect("append");
    }

    pub fn paths(&self) -> control_tower::store::LogPaths {
        control_tower::store::LogPaths::new(&self.dir)
    }
}

pub fn is_shipment_id(s: &str) -> bool {
    s.len() == 14 && s.starts_with("SHP-") && s[4..].bytes().all(|b| b.is_ascii_digit())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let hash: [u8; 32] = Sha256::digest(bytes).into();
    hex::encode(hash)
}

/// Asserts that a refused command left both logs byte for byte as they were.
pub fn assert_unchanged(env: &Env, before: &(Vec<u8>, Vec<u8>), what: &str) {
    assert!(
        env.log_bytes() == before.0,
        "{what}: the event log changed after a refusal"
    );
    assert!(
        env.counter_bytes() == before.1,
        "{what}: the counter log changed after a refusal"
    );
}

pub fn snapshot(env: &Env) -> (Vec<u8>, Vec<u8>) {
    (env.log_bytes(), env.counter_bytes())
}

/// Polls `cond` every few milliseconds until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The standard path (after CREATED) to `state`, plus other ways to reach
/// states, as `(event, actor)` steps.
pub fn path_to(state: &str) -> Vec<(&'static str, &'static str)> {
    match state {
        "CREATED" => vec![],
        "OVERRIDE_APPLIED" => vec![("OVERRIDE_APPLIED", "SENDER_MANAGER")],
        "HOLD_FOR_REVIEW" => vec![("HOLD_FOR_REVIEW", "SENDER_SUPERVISOR")],
        "CANCELLED" => vec![("CANCELLED", "SENDER")],
        _ => {
            let n = STANDARD_STEPS
                .iter()
                .position(|(e, _)| *e == state)
                .unwrap_or_else(|| panic!("no path to {state}"));
            STANDARD_STEPS[..=n].to_vec()
        }
    }
}

/// How many other processes have `path` open (from `/proc/*/fd`).
pub fn processes_with_open(path: &Path) -> usize {
    let Ok(target) = fs::canonicalize(path) else {
        return 0;
    };
    let me = std::process::id().to_string();
    let Ok(procs) = fs::read_dir("/proc") else {
        return 0;
    };
    procs
        .flatten()
        .filter(|p| {
            let name = p.file_name();
            let name = name.to_string_lossy();
            name.chars().all(|c| c.is_ascii_digit()) && name != me
        })
        .filter(|p| {
            fs::read_dir(p.path().join("fd")).is_ok_and(|fds| {
                fds.flatten()
                    .any(|fd| fs::read_link(fd.path()).is_ok_and(|l| l == target))
            })
        })
        .count()
}

/// A `[shared_accounts]` table letting the account the tests run as act
/// for `people` (the operator is the real account, never `$USER`).
pub fn shared_account_for(people: &[&str]) -> String {
    let account = control_tower::operator::os_account();
    let people: Vec<String> = people.iter().map(|p| format!("{p:?}")).collect();
    format!(
        "\n[shared_accounts]\n{account:?} = [{}]\n",
        people.join(", ")
    )
}

//! The real binary run against a data directory: a command builder with no
//! inherited settings, the outcome of one run, and `Env`, a data directory
//! in a fresh temporary directory with the commands the tests use most.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::lifecycle::needs_reason;

pub const BIN: &str = env!("CARGO_BIN_EXE_control-tower");

/// A valid `create` with the smallest payload, for tests about something else.
pub const CREATE_ARGS: [&str; 9] = [
    "create",
    "--source",
    "A",
    "--destination",
    "B",
    "--weight-kg",
    "1",
    "--delivery-type",
    "STANDARD",
];

/// The binary on `dir`, as operator `tester`, with no inherited settings.
pub fn ct(dir: &Path) -> Command {
    ct_as(dir, "tester")
}

/// The binary on `dir` as `operator`, with no inherited settings.
pub fn ct_as(dir: &Path, operator: &str) -> Command {
    // A tower made with `init`: named data directories must exist.
    let _ = fs::create_dir_all(dir);
    let mut c = Command::new(BIN);
    c.arg("--data-dir")
        .arg(dir)
        .arg("--operator")
        .arg(operator)
        .env_remove("CONTROL_TOWER_DATA_DIR")
        .env_remove("CONTROL_TOWER_OPERATOR")
        .env_remove("CONTROL_TOWER_STORE")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    c
}

/// Runs `cmd` to the end.
pub fn run(cmd: &mut Command) -> Run {
    Run::from_output(cmd.output().expect("spawn control-tower"))
}

/// Creates a shipment through the CLI and returns its ID.
pub fn create(dir: &Path) -> String {
    let r = run(ct(dir).args([
        "create",
        "--source",
        "Mumbai, Maharashtra",
        "--destination",
        "Delhi, Delhi",
        "--weight-kg",
        "5",
        "--delivery-type",
        "EXPRESS",
    ]));
    assert_eq!(r.code, 0, "create failed: {}", r.stderr);
    r.stdout.trim().to_string()
}

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    /// The exit code; -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub raw_stdout: Vec<u8>,
}

impl Run {
    pub fn from_output(output: Output) -> Run {
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            raw_stdout: output.stdout,
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
        let mut cmd = ct_as(&self.dir, operator);
        cmd.args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run(&mut self.command(args))
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

    /// `advance`, with a reason for the events that need one.
    pub fn advance(&self, id: &str, event: &str, actor: &str) -> Run {
        let mut args = vec!["advance", id, event, "--actor", actor];
        if needs_reason(event) {
            args.extend(["--reason", "given by the test"]);
        }
        self.run(&args)
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
    let account = control_tower::store::account::os_account();
    let people: Vec<String> = people.iter().map(|p| format!("{p:?}")).collect();
    format!(
        "\n[shared_accounts]\n{account:?} = [{}]\n",
        people.join(", ")
    )
}

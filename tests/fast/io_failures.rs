//! Writes that the system refuses: the file-size limit (`ulimit -f`, EFBIG;
//! SIGXFSZ must not kill the process) and a log the user may not write.
//! Each gives a clear error and exit 2, leaves no partial line behind, and
//! reading still works.

use crate::support;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::support::{BIN, ct, run};
use control_tower::store::{AppendRequest, EventStore, JsonlStore, LogPaths};
use serde_json::{Map, Value, json};

fn created(pad: usize) -> Map<String, Value> {
    json!({"source": "Jaipur, Rajasthan", "destination": "Bhopal, Madhya Pradesh", "weight_kg": 3.0, "delivery_type": "STANDARD", "pad": "x".repeat(pad)})
        .as_object()
        .cloned()
        .unwrap()
}

/// The binary under `ulimit -f blocks` (1024-byte blocks in bash).
fn ct_limited(blocks: u64, dir: &Path, args: &[&str]) -> support::Run {
    let mut script =
        format!("ulimit -f {blocks}; exec \"$0\" --data-dir \"$1\" --operator limited");
    for i in 0..args.len() {
        script.push_str(&format!(" \"${{{}}}\"", i + 2));
    }
    run(Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(BIN)
        .arg(dir)
        .args(args))
}

fn size(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

/// Pads the event log with one creation so that it ends `room` bytes below
/// a 1024-byte boundary; returns the ID of that creation and the block count.
fn fill_to_room(paths: &LogPaths, room: u64) -> (String, u64) {
    let mut store = JsonlStore::open(paths, "filler").unwrap();
    store
        .append_request(&AppendRequest::create(created(0)))
        .unwrap();
    let base = size(&paths.events);
    store
        .append_request(&AppendRequest::create(created(0)))
        .unwrap();
    let line = size(&paths.events) - base;
    let now = size(&paths.events);
    let blocks = (now + line + room) / 1024 + 1;
    let target = blocks * 1024 - room;
    let pad = (target - now - line) as usize;
    let last = store
        .append_request(&AppendRequest::create(created(pad)))
        .unwrap();
    assert_eq!(size(&paths.events), target);
    (last.event.shipment_id.to_string(), blocks)
}

#[test]
fn file_size_limit_fails_cleanly_and_reading_still_works() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    // 100 bytes of room: an event line (~330 bytes) is written in part,
    // then the kernel says EFBIG.
    let (id, blocks) = fill_to_room(&paths, 100);
    let events_before = fs::read(&paths.events).unwrap();
    let counter_before = fs::read(&paths.counter).unwrap();

    let r = ct_limited(
        blocks,
        &paths.dir,
        &[
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ],
    );
    assert_eq!(r.code, 2, "not exit 2 (killed by SIGXFSZ?): {}", r.stderr);
    assert!(
        r.stderr.contains("file-size limit") && r.stderr.contains("shipments.jsonl"),
        "unclear error: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(
        fs::read(&paths.events).unwrap(),
        events_before,
        "partial line left"
    );
    assert_eq!(fs::read(&paths.counter).unwrap(), counter_before);

    // A creation: its counter line fits (the counter log is small), its event does not.
    let r = ct_limited(
        blocks,
        &paths.dir,
        &[
            "create",
            "--source",
            "A",
            "--destination",
            "B",
            "--weight-kg",
            "1",
            "--delivery-type",
            "EXPRESS",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("file-size limit"), "{}", r.stderr);
    assert_eq!(
        fs::read(&paths.events).unwrap(),
        events_before,
        "partial line left"
    );

    // Reading works under the same limit.
    let show = ct_limited(blocks, &paths.dir, &["show", &id]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(show.stdout.contains(&id));
    let verify = ct_limited(blocks, &paths.dir, &["verify"]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    assert!(verify.stdout.starts_with("VALID"), "{}", verify.stdout);

    // Without the limit, the same append goes through and the log is intact.
    let r = run(ct(&paths.dir).args([
        "advance",
        &id,
        "MANAGER_APPROVED",
        "--actor",
        "SENDER_MANAGER",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let verify = run(ct(&paths.dir).args(["verify"]));
    assert_eq!(verify.code, 0, "{}", verify.stdout);
}

#[test]
fn file_size_limit_on_the_counter_log_leaves_no_partial_line() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    let mut store = JsonlStore::open(&paths, "filler").unwrap();
    store
        .append_request(&AppendRequest::create(created(0)))
        .unwrap();
    // Grow the counter log (repeating its one valid line) to 30 bytes under
    // 2 KiB, while the event log stays small.
    let line = fs::read(&paths.counter).unwrap();
    let mut counter = Vec::new();
    while counter.len() + line.len() <= 2048 - 30 {
        counter.extend_from_slice(&line);
    }
    counter.extend(std::iter::repeat_n(b' ', 2048 - 30 - counter.len() - 1));
    counter.push(b'\n');
    fs::write(&paths.counter, &counter).unwrap();
    let events_before = fs::read(&paths.events).unwrap();

    let r = ct_limited(
        2,
        &paths.dir,
        &[
            "create",
            "--source",
            "A",
            "--destination",
            "B",
            "--weight-kg",
            "1",
            "--delivery-type",
            "EXPRESS",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("file-size limit") && r.stderr.contains("shipment_counter.jsonl"),
        "{}",
        r.stderr
    );
    assert!(
        fs::read(&paths.counter).unwrap() == counter,
        "partial counter line left behind"
    );
    assert_eq!(fs::read(&paths.events).unwrap(), events_before);
}

/// Runs as `nobody` when that works here (CI runs as root, which ignores
/// file permissions); `None` with the reason otherwise.
fn nobody_available() -> Result<(), String> {
    if unsafe { libc::geteuid() } != 0 {
        return Err("not root: cannot switch to nobody".into());
    }
    match Command::new("runuser")
        .args(["-u", "nobody", "--", BIN, "--version"])
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "runuser -u nobody failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("runuser unavailable: {e}")),
    }
}

fn as_nobody(dir: &Path, args: &[&str]) -> support::Run {
    run(Command::new("runuser")
        .args([
            "-u",
            "nobody",
            "--",
            BIN,
            "--operator",
            "nobody",
            "--data-dir",
        ])
        .arg(dir)
        .args(args)
        .env_remove("CONTROL_TOWER_DATA_DIR")
        .env_remove("CONTROL_TOWER_OPERATOR"))
}

#[test]
fn unwritable_log_refuses_appends_and_still_reads() {
    if let Err(why) = nobody_available() {
        println!("SKIPPED unwritable_log_refuses_appends_and_still_reads: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let id = support::create(&dir);
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    for f in fs::read_dir(&dir).unwrap() {
        fs::set_permissions(f.unwrap().path(), fs::Permissions::from_mode(0o644)).unwrap();
    }
    let paths = LogPaths::new(&dir);
    let events_before = fs::read(&paths.events).unwrap();
    let counter_before = fs::read(&paths.counter).unwrap();

    for args in [
        vec![
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ],
        vec![
            "create",
            "--source",
            "A",
            "--destination",
            "B",
            "--weight-kg",
            "1",
            "--delivery-type",
            "EXPRESS",
        ],
        vec!["simulate", "--shipments", "1"],
    ] {
        let r = as_nobody(&dir, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("ermission denied") && r.stderr.contains("shipments.jsonl"),
            "{args:?}: unclear error: {}",
            r.stderr
        );
        assert_eq!(fs::read(&paths.events).unwrap(), events_before);
        assert_eq!(fs::read(&paths.counter).unwrap(), counter_before);
    }
    for args in [
        vec!["show", &id],
        vec!["list"],
        vec!["verify"],
        vec!["audit", "--json"],
        vec!["events"],
    ] {
        let r = as_nobody(&dir, &args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    }
    assert!(as_nobody(&dir, &["show", &id]).stdout.contains("CREATED"));
}

/// Which of `entries` (paths as the binary names them) were created without
/// their directory being fsynced afterwards, as seen in an strace log.
fn unsynced_entries(trace: &str, entries: &[&str]) -> Vec<String> {
    let lines: Vec<&str> = trace.lines().collect();
    let mut missing = Vec::new();
    for entry in entries {
        let parent = match Path::new(entry).parent() {
            Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
            _ => ".".to_string(),
        };
        let quoted = format!("\"{entry}\"");
        let Some(made) = lines.iter().position(|l| {
            l.contains(&quoted)
                && (l.contains("mkdir") || l.contains("O_CREAT"))
                && !l.contains("= -1")
        }) else {
            missing.push(format!("{entry} (never created)"));
            continue;
        };
        let opened_parent = format!("openat(AT_FDCWD, \"{parent}\",");
        let synced = lines[made..].iter().enumerate().any(|(i, l)| {
            l.contains(&opened_parent)
                && l.rsplit("= ")
                    .next()
                    .and_then(|fd| fd.trim().parse::<i32>().ok())
                    .is_some_and(|fd| {
                        lines[made + i..]
                            .iter()
                            .any(|s| s.contains(&format!("fsync({fd})")))
                    })
        });
        if !synced {
            missing.push(entry.to_string());
        }
    }
    missing
}

/// Issue 7 item 19: a new data directory (and each new parent) and each new
/// log file is durable: its directory is fsynced after the entry is made,
/// by `create` on the default directory and by `init`. Seen with strace;
/// skipped (with the reason) where strace is missing.
#[test]
fn new_directories_and_log_files_have_their_directory_synced() {
    if Command::new("strace").arg("-V").output().is_err() {
        println!("SKIPPED new_directories_and_log_files_have_their_directory_synced: no strace");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let traced = |args: &[&str]| {
        let trace = tmp.path().join("trace.txt");
        let out = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=mkdir,mkdirat,openat,fsync", "-o"])
            .arg(&trace)
            .arg(BIN)
            .args(args)
            .current_dir(tmp.path())
            .env_remove("CONTROL_TOWER_DATA_DIR")
            .env_remove("CONTROL_TOWER_POLICY")
            .output()
            .unwrap();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(fs::read_to_string(&trace).unwrap())
    };
    let trace = match traced(&[
        "--operator",
        "t",
        "create",
        "--source",
        "A",
        "--destination",
        "B",
        "--weight-kg",
        "1",
        "--delivery-type",
        "EXPRESS",
    ]) {
        Ok(trace) => trace,
        Err(e) if e.contains("ptrace") || e.contains("PTRACE") => {
            println!("SKIPPED new_directories_and_log_files_have_their_directory_synced: {e}");
            return;
        }
        Err(e) => panic!("create under strace failed: {e}"),
    };
    let missing = unsynced_entries(
        &trace,
        &[
            "data",
            "data/logs",
            "data/logs/shipments.jsonl",
            "data/logs/shipment_counter.jsonl",
        ],
    );
    assert!(missing.is_empty(), "not synced: {missing:?}\n{trace}");
    let trace = traced(&["init", "new/tower"]).unwrap();
    let missing = unsynced_entries(
        &trace,
        &[
            "new",
            "new/tower",
            "new/tower/shipments.jsonl",
            "new/tower/shipment_counter.jsonl",
        ],
    );
    assert!(missing.is_empty(), "not synced: {missing:?}\n{trace}");
    assert_eq!(run(ct(&tmp.path().join("data/logs")).arg("verify")).code, 0);
}

/// The binary on `dir` with standard output on `/dev/full` (every write
/// fails with ENOSPC), and optionally standard error too.
fn ct_to_dev_full(dir: &Path, args: &[&str], stderr_too: bool) -> support::Run {
    let full = || {
        fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let mut cmd = ct(dir);
    cmd.args(args).stdout(full());
    if stderr_too {
        cmd.stderr(full());
    }
    run(&mut cmd)
}

/// Issue 7 item 7: an append is durable before its result is printed, so a
/// print that fails must say so (exit 2, "appended …") instead of panicking
/// (exit 101) into a retry that would append the event twice. Read-only
/// commands fail cleanly with exit 2 too.
#[test]
fn output_errors_after_an_append_say_it_is_in_the_log_and_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let id = support::create(&dir);
    let events = |dir: &Path| support::read_log_independently(&dir.join("shipments.jsonl")).0;
    let create = [
        "create",
        "--source",
        "Pune",
        "--destination",
        "Goa",
        "--weight-kg",
        "2",
        "--delivery-type",
        "STANDARD",
    ];
    for json in [false, true] {
        let mut args = create.to_vec();
        if json {
            args.push("--json");
        }
        let before = events(&dir).len();
        let r = ct_to_dev_full(&dir, &args, false);
        assert_eq!(r.code, 2, "create json={json}: {}", r.stderr);
        let all = events(&dir);
        assert_eq!(all.len(), before + 1, "the event is in the log");
        let new = all.last().unwrap();
        let wanted = format!(
            "error: appended {} seq 1, but could not print the result: ",
            new.id
        );
        assert!(r.stderr.starts_with(&wanted), "{}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    let r = ct_to_dev_full(
        &dir,
        &[
            "advance",
            &id,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ],
        false,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "error: appended {id} seq 2, but could not print the result: "
        )),
        "{}",
        r.stderr
    );
    let r = ct_to_dev_full(
        &dir,
        &["simulate", "--shipments", "2", "--seed", "7"],
        false,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("but could not print the result"),
        "{}",
        r.stderr
    );
    // Nothing to say where stderr is gone too, but the exit code says it.
    let r = ct_to_dev_full(&dir, &create, true);
    assert_eq!(r.code, 2, "stdout and stderr on /dev/full");

    for args in [
        vec!["verify"],
        vec!["verify", "--json"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["events"],
        vec!["show", &id],
        vec!["show", &id, "--json"],
        vec!["audit"],
        vec!["audit", "--json"],
    ] {
        for stderr_too in [false, true] {
            let r = ct_to_dev_full(&dir, &args, stderr_too);
            assert_eq!(r.code, 2, "{args:?} stderr_too={stderr_too}: {}", r.stderr);
            if !stderr_too {
                assert!(
                    r.stderr.contains("cannot write to standard output"),
                    "{args:?}: {}",
                    r.stderr
                );
            }
        }
    }
    let r = run(ct(&dir).arg("verify"));
    assert_eq!(r.code, 0, "{}", r.stdout);
}

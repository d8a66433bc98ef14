//! Role policy (`policy.toml` in the data directory), enforced in the core
//! for every write: a refusal exits 1 and names the operator, the role and
//! the policy file; an operator not listed, or listed with no roles, may
//! only read; reading works for everyone; the simulator is refused too; a
//! broken policy file refuses writes (fails closed); with no file every
//! role is open.

use crate::support;
use std::fs;
use std::path::Path;

use std::os::unix::fs::PermissionsExt;

use crate::support::{ct, ct_as, run, shared_account_for};
use control_tower::error::Error;
use control_tower::store::{AppendRequest, EventStore, JsonlStore, LogPaths};

const EXAMPLE: &str = r#"[operators]
asha = ["SENDER_MANAGER", "SENDER_SUPERVISOR"]
ravi = ["WAREHOUSE"]
meera = []   # auditor: read-only
"#;

/// The example, with the account the tests run as allowed to act for
/// everyone the tests name.
fn example() -> String {
    EXAMPLE.to_string() + &shared_account_for(&["asha", "ravi", "meera", "stranger"])
}

fn log_bytes(dir: &Path) -> Vec<u8> {
    fs::read(dir.join("shipments.jsonl")).unwrap_or_default()
}

/// Two shipments created while no policy exists (no one in the example
/// may act as SENDER), then the example policy put in place.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let a = support::create(&dir);
    let b = support::create(&dir);
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(dir.join("policy.toml"), example()).unwrap();
    (tmp, dir, a, b)
}

fn refused(dir: &Path, operator: &str, args: &[&str], role: &str, words: &[&str]) {
    let before = log_bytes(dir);
    let r = run(ct_as(dir, operator).args(args));
    assert_eq!(r.code, 1, "{operator} {args:?}: {}{}", r.stdout, r.stderr);
    let policy = dir.join("policy.toml");
    for w in [
        format!("operator '{operator}'"),
        format!("may not act as {role}"),
        policy.display().to_string(),
    ]
    .iter()
    .map(String::as_str)
    .chain(words.iter().copied())
    {
        assert!(
            r.stderr.contains(w),
            "{operator} {args:?}: {w:?} not in {:?}",
            r.stderr
        );
    }
    assert_eq!(log_bytes(dir), before, "{operator} {args:?} appended");
}

#[test]
fn listed_roles_are_granted_and_others_refused_by_name() {
    let (_tmp, dir, a, b) = setup();
    // asha may approve as manager and supervisor.
    for (event, role) in [
        ("MANAGER_APPROVED", "SENDER_MANAGER"),
        ("SUPERVISOR_APPROVED", "SENDER_SUPERVISOR"),
    ] {
        let r = run(ct_as(&dir, "asha").args(["advance", &a, event, "--actor", role]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("(asha)"), "{}", r.stdout);
    }
    // ... but not as a carrier, even for an allowed transition.
    refused(
        &dir,
        "asha",
        &["advance", &a, "IN_TRANSIT", "--actor", "CARRIER"],
        "CARRIER",
        &["allows only SENDER_MANAGER, SENDER_SUPERVISOR"],
    );
    // ravi is a warehouse hand only.
    refused(
        &dir,
        "ravi",
        &[
            "advance",
            &b,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ],
        "SENDER_MANAGER",
        &["allows only WAREHOUSE"],
    );
    refused(
        &dir,
        "ravi",
        &["advance", &b, "CANCELLED", "--actor", "SENDER"],
        "SENDER",
        &[],
    );
    // The policy is checked before the lifecycle: a wrong role is refused
    // as such even where the transition would be refused anyway.
    refused(
        &dir,
        "ravi",
        &["advance", &b, "DELIVERED", "--actor", "CUSTOMER"],
        "CUSTOMER",
        &[],
    );
    let r =
        run(ct_as(&dir, "ravi").args(["advance", &b, "WAREHOUSE_INTAKE", "--actor", "WAREHOUSE"]));
    assert_eq!(r.code, 1, "the lifecycle still applies: {}", r.stderr);
    assert!(r.stderr.contains("allowed next"), "{}", r.stderr);
}

#[test]
fn auditors_and_strangers_may_only_read() {
    let (_tmp, dir, a, _b) = setup();
    for who in ["meera", "stranger"] {
        refused(
            &dir,
            who,
            &[
                "advance",
                &a,
                "MANAGER_APPROVED",
                "--actor",
                "SENDER_MANAGER",
            ],
            "SENDER_MANAGER",
            &["read-only"],
        );
        refused(
            &dir,
            who,
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
            "SENDER",
            &["read-only"],
        );
        // The simulator writes through the same core and is refused at once.
        refused(
            &dir,
            who,
            &["simulate", "--shipments", "3", "--seed", "1"],
            "SENDER",
            &["read-only"],
        );
        for args in [
            vec!["show", a.as_str()],
            vec!["list"],
            vec!["audit"],
            vec!["verify"],
            vec!["events"],
            vec!["list", "--json"],
        ] {
            let r = run(ct_as(&dir, who).args(&args));
            assert_eq!(r.code, 0, "{who} {args:?}: {}", r.stderr);
        }
    }
    // A permitted operator's simulator is refused on its first creation too
    // (nobody in the example may act as SENDER).
    refused(
        &dir,
        "asha",
        &["simulate", "--shipments", "3"],
        "SENDER",
        &[],
    );
}

#[test]
fn the_core_enforces_it_for_library_writers() {
    let (_tmp, dir, a, _b) = setup();
    let paths = LogPaths::new(&dir);
    let mut store = JsonlStore::open_indexed(&paths, "meera").unwrap();
    let err = store
        .append_request(&AppendRequest::advance(
            a.parse().unwrap(),
            control_tower::domain::EventType::Cancelled,
            control_tower::domain::Actor::SenderManager,
            Default::default(),
        ))
        .unwrap_err();
    assert!(matches!(err, Error::PolicyDenied { .. }), "{err}");
    assert_eq!(err.exit_code(), 1);
}

#[test]
fn a_broken_policy_refuses_writes_and_names_the_file() {
    let (_tmp, dir, a, _b) = setup();
    for broken in [
        "[operators]\nasha = [\"PILOT\"]\n",
        "[operators\nasha = 1",
        "[operators]\nasha = \"SENDER\"\n",
        "[staff]\nasha = []\n",
    ] {
        fs::write(
            dir.join("policy.toml"),
            broken.to_string() + &shared_account_for(&["asha"]),
        )
        .unwrap();
        let before = log_bytes(&dir);
        let r = run(ct_as(&dir, "asha").args([
            "advance",
            &a,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ]));
        assert_eq!(r.code, 2, "{broken:?}: {}", r.stderr);
        assert!(r.stderr.contains("policy.toml"), "{}", r.stderr);
        assert_eq!(log_bytes(&dir), before);
        let r = run(ct_as(&dir, "asha").args(["show", &a]));
        assert_eq!(r.code, 0, "reading does not need the policy: {}", r.stderr);
    }
}

#[test]
fn without_a_policy_every_role_is_open() {
    let (_tmp, dir, a, _b) = setup();
    fs::remove_file(dir.join("policy.toml")).unwrap();
    for (event, role) in [
        ("MANAGER_APPROVED", "SENDER_MANAGER"),
        ("SUPERVISOR_APPROVED", "SENDER_SUPERVISOR"),
        ("IN_TRANSIT", "CARRIER"),
        ("RECEIVER_ACKNOWLEDGED", "RECEIVER"),
        ("WAREHOUSE_INTAKE", "WAREHOUSE"),
        ("OUT_FOR_DELIVERY", "WAREHOUSE"),
        ("DELIVERED", "CUSTOMER"),
    ] {
        let r = run(ct_as(&dir, "stranger").args(["advance", &a, event, "--actor", role]));
        assert_eq!(r.code, 0, "{event}: {}", r.stderr);
    }
    let r = run(ct_as(&dir, "meera").args(["simulate", "--shipments", "2", "--seed", "3"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A long-running writer (dashboard, simulator) opened before the policy
/// file appeared, or before it changed, obeys the policy in force at each
/// write.
#[test]
fn a_policy_put_in_place_later_binds_open_writers() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = LogPaths::new(tmp.path().join("logs"));
    let mut store = JsonlStore::open_indexed(&paths, "meera").unwrap();
    let create = AppendRequest::create(
        serde_json::json!({"source": "A", "destination": "B", "weight_kg": 1.0, "delivery_type": "EXPRESS"})
            .as_object()
            .cloned()
            .unwrap(),
    );
    store.append_request(&create).unwrap();
    fs::write(&paths.policy, example()).unwrap();
    let err = store.append_request(&create).unwrap_err();
    assert!(matches!(err, Error::PolicyDenied { .. }), "{err}");
    fs::write(
        &paths.policy,
        "[operators]\nmeera = [\"SENDER\"]\n".to_string() + &shared_account_for(&["meera"]),
    )
    .unwrap();
    store.append_request(&create).unwrap();
    fs::remove_file(&paths.policy).unwrap();
    store.append_request(&create).unwrap();
}

const CREATE: [&str; 9] = [
    "create",
    "--source",
    "A",
    "--destination",
    "B",
    "--weight-kg",
    "1",
    "--delivery-type",
    "EXPRESS",
];

/// The binary on `dir` with no operator, policy or `$USER` help.
fn bare(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(support::BIN);
    c.arg("--data-dir")
        .arg(dir)
        .env_remove("CONTROL_TOWER_DATA_DIR")
        .env_remove("CONTROL_TOWER_OPERATOR")
        .env_remove("CONTROL_TOWER_POLICY")
        .stdin(std::process::Stdio::null());
    c
}

fn account() -> String {
    control_tower::store::account::os_account()
}

/// The operator recorded in the log's last line.
fn last_operator(dir: &Path) -> String {
    let text = String::from_utf8(log_bytes(dir)).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    last["operator"].as_str().unwrap().to_string()
}

/// A fresh data directory (0755) holding `policy` (0644).
fn tower_with_policy(policy: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(dir.join("policy.toml"), policy).unwrap();
    fs::set_permissions(dir.join("policy.toml"), fs::Permissions::from_mode(0o644)).unwrap();
    (tmp, dir)
}

/// Issue 7 item 17: the operator is the account of the real user ID;
/// `$USER` and `$LOGNAME` change nothing.
#[test]
fn the_operator_is_the_real_account_never_user() {
    let me = account();
    if me == "sam" {
        println!("SKIPPED the_operator_is_the_real_account_never_user: running as sam");
        return;
    }
    let (_tmp, dir) = tower_with_policy("[operators]\nsam = [\"SENDER\"]\n");
    let r = run(bare(&dir)
        .env("USER", "sam")
        .env("LOGNAME", "sam")
        .args(CREATE));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!("operator '{me}'")),
        "{}",
        r.stderr
    );
    assert!(log_bytes(&dir).is_empty());
    // Without a policy the account is recorded, not $USER.
    fs::remove_file(dir.join("policy.toml")).unwrap();
    let r = run(bare(&dir)
        .env("USER", "sam")
        .env("LOGNAME", "sam")
        .args(CREATE));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(last_operator(&dir), me);
    assert_eq!(run(ct(&dir).arg("verify")).code, 0);
}

/// Issue 7 item 17: with a policy, `--operator` / CONTROL_TOWER_OPERATOR
/// may name someone else only when `[shared_accounts]` lets this account
/// act for them; its own name is always fine.
#[test]
fn naming_another_operator_needs_a_shared_account() {
    let me = account();
    let policy = format!("[operators]\nasha = [\"SENDER\"]\n{me:?} = [\"SENDER\"]\n");
    let (_tmp, dir) = tower_with_policy(&policy);
    let as_flag = run(bare(&dir).args(["--operator", "asha"]).args(CREATE));
    let as_env = run(bare(&dir)
        .env("CONTROL_TOWER_OPERATOR", "asha")
        .args(CREATE));
    for r in [as_flag, as_env] {
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        for w in [
            format!("account '{me}'"),
            "operator 'asha'".to_string(),
            "shared_accounts".to_string(),
            "policy.toml".to_string(),
        ] {
            assert!(r.stderr.contains(&w), "{w:?} not in {}", r.stderr);
        }
    }
    assert!(log_bytes(&dir).is_empty(), "a refused operator appended");
    // Its own name needs no sharing.
    let r = run(bare(&dir).args(["--operator", &me]).args(CREATE));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Shared: the workstation account may act for asha, and asha is recorded.
    fs::write(
        dir.join("policy.toml"),
        policy + &shared_account_for(&["asha"]),
    )
    .unwrap();
    let r = run(bare(&dir).args(["--operator", "asha"]).args(CREATE));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(last_operator(&dir), "asha");
    assert_eq!(run(ct(&dir).arg("verify")).code, 0);
}

/// Issue 7 item 17: the policy is `--policy`, else CONTROL_TOWER_POLICY,
/// else DATA_DIR/policy.toml; a named policy that is missing refuses writes.
#[test]
fn the_policy_is_found_at_the_flag_then_the_environment_then_the_data_dir() {
    let open = "[operators]\nasha = [\"SENDER\"]\n".to_string() + &shared_account_for(&["asha"]);
    let closed = "[operators]\n".to_string() + &shared_account_for(&["asha"]);
    let (tmp, dir) = tower_with_policy(&open);
    let etc = tmp.path().join("etc");
    fs::create_dir(&etc).unwrap();
    fs::set_permissions(&etc, fs::Permissions::from_mode(0o755)).unwrap();
    let strict = etc.join("policy.toml");
    fs::write(&strict, &closed).unwrap();
    let lax = etc.join("open.toml");
    fs::write(&lax, &open).unwrap();
    let asha = || {
        let mut c = bare(&dir);
        c.args(["--operator", "asha"]);
        c
    };
    // The data directory's policy when nothing is named.
    assert_eq!(run(asha().args(CREATE)).code, 0);
    // The flag.
    let r = run(asha().arg("--policy").arg(&strict).args(CREATE));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&strict.display().to_string()),
        "{}",
        r.stderr
    );
    // The environment.
    let r = run(asha().env("CONTROL_TOWER_POLICY", &strict).args(CREATE));
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The flag wins over the environment.
    let r = run(asha()
        .env("CONTROL_TOWER_POLICY", &strict)
        .arg("--policy")
        .arg(&lax)
        .args(CREATE));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A named policy that does not exist is not "no policy".
    let before = log_bytes(&dir);
    let missing = etc.join("polcy.toml");
    let r = run(asha().arg("--policy").arg(&missing).args(CREATE));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&missing.display().to_string()) && r.stderr.contains("does not exist"),
        "{}",
        r.stderr
    );
    assert_eq!(log_bytes(&dir), before);
    let r = run(asha().arg("--policy").arg(&missing).arg("list"));
    assert_eq!(r.code, 0, "reads go on: {}", r.stderr);
    assert_eq!(run(ct(&dir).arg("verify")).code, 0);
}

/// Issue 7 item 17 (StrictModes): writes are refused, exit 2 and saying
/// why, when anyone but the owner and root could change the policy: the
/// file or its directory group/other-writable (the README's old `2770
/// root:ct` data directory), a directory owned by someone else, a link
/// into a directory anyone can write. Reads go on.
#[test]
fn a_policy_others_can_write_refuses_writes_but_not_reads() {
    let open = "[operators]\nasha = [\"SENDER\"]\n".to_string() + &shared_account_for(&["asha"]);
    let (tmp, dir) = tower_with_policy(&open);
    let policy = dir.join("policy.toml");
    let create = || run(bare(&dir).args(["--operator", "asha"]).args(CREATE));
    assert_eq!(create().code, 0);
    let mode = |path: &Path, mode: u32| {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap()
    };
    let refused = |what: &str, words: &[&str]| {
        let before = log_bytes(&dir);
        let r = create();
        assert_eq!(r.code, 2, "{what}: {}{}", r.stdout, r.stderr);
        for w in words.iter().chain(&["policy.toml"]) {
            assert!(r.stderr.contains(w), "{what}: {w:?} not in {}", r.stderr);
        }
        assert_eq!(log_bytes(&dir), before, "{what}: appended");
        let r = run(bare(&dir).args(["--operator", "asha", "list"]));
        assert_eq!(r.code, 0, "{what}: reads go on: {}", r.stderr);
    };
    for m in [0o664, 0o646, 0o666] {
        mode(&policy, m);
        refused(&format!("file {m:o}"), &["chmod go-w"]);
    }
    mode(&policy, 0o644);
    for m in [0o775, 0o2770, 0o757, 0o1777] {
        mode(&dir, m);
        refused(&format!("directory {m:o}"), &[&dir.display().to_string()]);
    }
    mode(&dir, 0o755);
    assert_eq!(create().code, 0);
    // A link to a policy in a directory anyone can write.
    let shared = tmp.path().join("shared");
    fs::create_dir(&shared).unwrap();
    mode(&shared, 0o777);
    fs::write(shared.join("p.toml"), &open).unwrap();
    mode(&shared.join("p.toml"), 0o644);
    fs::remove_file(&policy).unwrap();
    std::os::unix::fs::symlink(shared.join("p.toml"), &policy).unwrap();
    refused("link into a world-writable directory", &["shared"]);
    fs::remove_file(&policy).unwrap();
    fs::write(&policy, &open).unwrap();
    // A directory owned by someone who is neither root nor the policy's owner.
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&dir, Some(4242), None).unwrap();
        refused("directory owned by uid 4242", &["uid 4242"]);
        std::os::unix::fs::chown(&dir, Some(0), None).unwrap();
    }
    assert_eq!(create().code, 0);
    assert_eq!(run(ct(&dir).arg("verify")).code, 0);
}

/// Issue 7 item 16: a policy that is not a regular file of at most 64 KiB
/// (a FIFO, a directory, a huge file) refuses writes at once, saying why,
/// without hanging or reading it all; reads go on.
#[test]
fn a_policy_that_is_not_a_small_regular_file_refuses_writes_without_hanging() {
    let (_tmp, dir) = tower_with_policy("");
    let policy = dir.join("policy.toml");
    let check = |what: &str, why: &str| {
        let mut child = bare(&dir)
            .args(["--operator", "asha"])
            .args(CREATE)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A liveness guard, not a timing assertion: a hang fails the test
        // instead of hanging the suite.
        let mut waited = 0;
        while child.try_wait().unwrap().is_none() && waited < 600 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            waited += 1;
        }
        if child.try_wait().unwrap().is_none() {
            let _ = child.kill();
            panic!("{what}: create hung");
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains(why) && stderr.contains("policy.toml"),
            "{what}: {stderr}"
        );
        assert!(log_bytes(&dir).is_empty(), "{what}: appended");
        let r = run(bare(&dir).args(["--operator", "asha", "verify"]));
        assert_eq!(r.code, 0, "{what}: reads go on: {}", r.stderr);
    };
    fs::remove_file(&policy).unwrap();
    let c_path = std::ffi::CString::new(policy.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    check("a FIFO", "not a regular file");
    fs::remove_file(&policy).unwrap();
    fs::create_dir(&policy).unwrap();
    check("a directory", "not a regular file");
    fs::remove_dir(&policy).unwrap();
    let mut big = "[operators]\nasha = [\"SENDER\"]\n".to_string() + &shared_account_for(&["asha"]);
    while big.len() <= 64 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    fs::write(&policy, &big).unwrap();
    check("over 64 KiB", "larger than 64 KiB");
    // At the limit it is read.
    let mut fits =
        "[operators]\nasha = [\"SENDER\"]\n".to_string() + &shared_account_for(&["asha"]);
    fits.push_str(&"#".repeat(64 * 1024 - 1 - fits.len()));
    fits.push('\n');
    fs::write(&policy, &fits).unwrap();
    let r = run(bare(&dir).args(["--operator", "asha"]).args(CREATE));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Issue 7 item 18: operator names follow the character rules of places:
/// no control characters and no invisible formatting (bidi overrides).
#[test]
fn operator_names_with_hidden_characters_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    fs::create_dir(&dir).unwrap();
    for name in [
        "\u{202e}evil",
        "a\u{200b}b",
        "x\u{1b}]0;TITLE\u{7}",
        "\u{2067}asha",
    ] {
        let r = run(bare(&dir).args(["--operator", name]).args(CREATE));
        assert_eq!(r.code, 2, "{name:?}: {}", r.stderr);
        assert!(r.stderr.contains("operator name"), "{name:?}: {}", r.stderr);
        assert!(
            !r.stderr.contains(name),
            "the name is echoed raw: {}",
            r.stderr
        );
        let r = run(bare(&dir).env("CONTROL_TOWER_OPERATOR", name).args(CREATE));
        assert_eq!(r.code, 2, "{name:?} from the environment");
    }
    assert!(log_bytes(&dir).is_empty());
}

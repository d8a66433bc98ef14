//! Role policy (`policy.toml` in the data directory), enforced in the core
//! for every write: a refusal exits 1 and names the operator, the role and
//! the policy file; an operator not listed, or listed with no roles, may
//! only read; reading works for everyone; the simulator is refused too; a
//! broken policy file refuses writes (fails closed); with no file every
//! role is open.

mod common;

use std::fs;
use std::path::Path;

use common::{ct_as, run};
use control_tower::error::Error;
use control_tower::store::{AppendRequest, EventStore, JsonlStore, LogPaths};

const EXAMPLE: &str = r#"[operators]
asha = ["SENDER_MANAGER", "SENDER_SUPERVISOR"]
ravi = ["WAREHOUSE"]
meera = []   # auditor: read-only
"#;

fn log_bytes(dir: &Path) -> Vec<u8> {
    fs::read(dir.join("shipments.jsonl")).unwrap_or_default()
}

/// Two shipments created while no policy exists (no one in the example
/// may act as SENDER), then the example policy put in place.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let a = common::create(&dir);
    let b = common::create(&dir);
    fs::write(dir.join("policy.toml"), EXAMPLE).unwrap();
    (tmp, dir, a, b)
}

fn refused(dir: &Path, operator: &str, args: &[&str], role: &str, words: &[&str]) {
    let before = log_bytes(dir);
    let r = run(ct_as(dir, operator).args(args));
    assert_eq!(
        r.code,
        Some(1),
        "{operator} {args:?}: {}{}",
        r.stdout,
        r.stderr
    );
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
        assert_eq!(r.code, Some(0), "{}", r.stderr);
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
    assert_eq!(r.code, Some(1), "the lifecycle still applies: {}", r.stderr);
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
            assert_eq!(r.code, Some(0), "{who} {args:?}: {}", r.stderr);
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
        .append(&AppendRequest::advance(
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
        fs::write(dir.join("policy.toml"), broken).unwrap();
        let before = log_bytes(&dir);
        let r = run(ct_as(&dir, "asha").args([
            "advance",
            &a,
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ]));
        assert_eq!(r.code, Some(2), "{broken:?}: {}", r.stderr);
        assert!(r.stderr.contains("policy.toml"), "{}", r.stderr);
        assert_eq!(log_bytes(&dir), before);
        let r = run(ct_as(&dir, "asha").args(["show", &a]));
        assert_eq!(
            r.code,
            Some(0),
            "reading does not need the policy: {}",
            r.stderr
        );
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
        assert_eq!(r.code, Some(0), "{event}: {}", r.stderr);
    }
    let r = run(ct_as(&dir, "meera").args(["simulate", "--shipments", "2", "--seed", "3"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
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
    store.append(&create).unwrap();
    fs::write(&paths.policy, EXAMPLE).unwrap();
    let err = store.append(&create).unwrap_err();
    assert!(matches!(err, Error::PolicyDenied { .. }), "{err}");
    fs::write(&paths.policy, "[operators]\nmeera = [\"SENDER\"]\n").unwrap();
    store.append(&create).unwrap();
    fs::remove_file(&paths.policy).unwrap();
    store.append(&create).unwrap();
}

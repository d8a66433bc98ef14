//! The PostgreSQL store against a real server (`CT_PG_ADMIN_URL`; each test
//! has a database and logins of its own): appends, conflicts, IDs, the
//! rules with the file store's errors, the chain as the file store would
//! write it, the database's own enforcement through `psql`, commit order =
//! position order under 8 writers, LISTEN/NOTIFY, reconnects, the schema
//! and the role policy.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use control_tower::domain::{Actor, EventType, ShipmentId};
use control_tower::error::Error;
use control_tower::log::digest::IndexedLine;
use control_tower::read::index::LogIndex;
use control_tower::store::postgres::PgStore;
use control_tower::store::{AppendRequest, EventStore, ExpectedSeq, Feed, Position};
use serde_json::{Map, Value, json};

use crate::support::*;

const ALL_ROLES: &str = r#"["SENDER", "SENDER_MANAGER", "SENDER_SUPERVISOR", "SYSTEM", "CARRIER", "RECEIVER", "WAREHOUSE", "CUSTOMER"]"#;

fn created() -> Map<String, Value> {
    json!({"source": "Pune", "destination": "Nagpur", "weight_kg": 12.5, "delivery_type": "STANDARD"})
        .as_object()
        .cloned()
        .unwrap()
}

fn with_reason() -> Map<String, Value> {
    json!({"reason": "checked"}).as_object().cloned().unwrap()
}

fn step(id: ShipmentId, event: EventType, actor: Actor) -> AppendRequest {
    AppendRequest::advance(id, event, actor, Map::new())
}

/// A tower with its schema installed, one operator `op` holding every role
/// and one `reader` holding none; returns (tower, admin store, op login).
fn tower_with_operator(test: &str) -> Option<(PgTower, PgStore, String)> {
    let mut tower = pg_tower(test)?;
    let op = tower.login("op");
    tower.login("reader");
    let mut admin = PgStore::connect(&tower.admin_url(), None).expect("admin connects");
    admin
        .apply_policy(&format!("[operators]\n{op} = {ALL_ROLES}\n"))
        .expect("admin applies the policy");
    Some((tower, admin, op))
}

#[test]
fn appends_conflicts_ids_and_rules_match_the_file_store() {
    let Some((tower, _admin, op)) = tower_with_operator("appends") else {
        return;
    };
    let mut store = PgStore::connect(&tower.url_of(&op), Some(&op)).unwrap();
    let first = store
        .append_request(&AppendRequest::create(created()))
        .unwrap();
    assert_eq!(first.event.shipment_id.to_string(), "SHP-0000000001");
    assert_eq!((first.seq, first.position), (1, Position(0)));
    assert_eq!(first.event.operator.as_deref(), Some(op.as_str()));
    let id = first.event.shipment_id;
    let second = store
        .append_request(&AppendRequest::create(created()))
        .unwrap();
    assert_eq!(second.event.shipment_id.to_string(), "SHP-0000000002");
    assert_eq!(second.position, Position(1));

    // Expected seq: Exactly, NoShipment, Any.
    let stale = step(id, EventType::ManagerApproved, Actor::SenderManager).expecting_seq(3);
    assert!(matches!(
        store.append_request(&stale),
        Err(Error::Conflict { current_seq: 1, .. })
    ));
    let mut none = step(id, EventType::ManagerApproved, Actor::SenderManager);
    none.expected = ExpectedSeq::NoShipment;
    assert!(matches!(
        store.append_request(&none),
        Err(Error::Conflict { .. })
    ));
    let ok = step(id, EventType::ManagerApproved, Actor::SenderManager).expecting_seq(1);
    assert_eq!(store.append_request(&ok).unwrap().seq, 2);
    let any = step(id, EventType::SupervisorApproved, Actor::SenderSupervisor);
    assert_eq!(store.append_request(&any).unwrap().seq, 3);

    // The rules refuse with the file store's variants.
    let wrong_state = step(id, EventType::Delivered, Actor::Customer);
    assert!(matches!(
        store.append_request(&wrong_state),
        Err(Error::TransitionNotAllowed { .. })
    ));
    let wrong_role = step(id, EventType::InTransit, Actor::Warehouse);
    assert!(matches!(
        store.append_request(&wrong_role),
        Err(Error::RoleNotPermitted { .. })
    ));
    let no_reason = step(id, EventType::HoldForReview, Actor::SenderManager);
    assert!(matches!(
        store.append_request(&no_reason),
        Err(Error::InvalidPayload(_))
    ));
    let ghost = step(
        ShipmentId::new(99).unwrap(),
        EventType::Cancelled,
        Actor::Sender,
    );
    assert!(matches!(
        store.append_request(&ghost),
        Err(Error::UnknownShipment(_))
    ));
    let hold = AppendRequest::advance(
        id,
        EventType::HoldForReview,
        Actor::SenderSupervisor,
        with_reason(),
    );
    assert_eq!(store.append_request(&hold).unwrap().seq, 4);

    // A refused batch member does not stop the others.
    let batch = [
        step(id, EventType::Delivered, Actor::Customer),
        AppendRequest::create(created()),
    ];
    let results = store.append_batch(&batch).unwrap();
    assert!(results[0].is_err());
    assert_eq!(
        results[1].as_ref().unwrap().event.shipment_id.to_string(),
        "SHP-0000000003"
    );

    // Reads.
    let history = store.read_shipment(id).unwrap();
    assert_eq!(
        history.iter().map(|e| e.event_seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let mut seen = Vec::new();
    let end = store
        .read_all(Position(1), &mut |r| {
            seen.push(r.position.0);
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, [1, 2, 3, 4, 5]);
    assert_eq!(end, Position(6));
    let head = store.head().unwrap();
    assert_eq!(head.count, 6);
    let lines = store.read_lines(&[0, 5, 77]).unwrap();
    assert_eq!(lines.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [0, 5]);
    assert_chain_verifies(&mut store, &tower);
}

/// The rows' lines, written out as the file store's two files, verify.
fn assert_chain_verifies(store: &mut PgStore, tower: &PgTower) {
    let dir = tempfile::tempdir().unwrap();
    let count = store.head().unwrap().count;
    let positions: Vec<u64> = (0..count).collect();
    let mut events = String::new();
    for (_, line) in store.read_lines(&positions).unwrap() {
        events.push_str(&line);
        events.push('\n');
    }
    let out = tower.psql(
        tower.admin(),
        "COPY (SELECT line FROM tower.shipment_counter ORDER BY seq) TO STDOUT",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.path().join("shipments.jsonl"), events).unwrap();
    std::fs::write(dir.path().join("shipment_counter.jsonl"), &out.stdout).unwrap();
    let paths = control_tower::store::LogPaths::new(dir.path());
    let index = LogIndex::load(&paths).unwrap();
    let report = index.verify_report();
    assert!(report.valid && report.warnings.is_empty(), "{report:?}");
    let file_head = control_tower::store::JsonlStore::reader(&paths)
        .head()
        .unwrap();
    assert_eq!(
        file_head,
        store.head().unwrap(),
        "the same head as the file store's"
    );
}

#[test]
fn the_policy_and_the_login_decide_who_acts() {
    let Some((tower, mut admin, op)) = tower_with_operator("policy") else {
        return;
    };
    let reader_login = format!("{}_reader", tower.db);
    // --operator must be the login.
    let other = PgStore::connect(&tower.url_of(&op), Some("somebody-else"));
    assert!(matches!(other, Err(Error::Usage(_))));
    // A login without roles is refused with the file store's policy error.
    let mut reader = PgStore::connect(&tower.url_of(&reader_login), None).unwrap();
    assert!(matches!(
        reader.append_request(&AppendRequest::create(created())),
        Err(Error::PolicyDenied { .. })
    ));
    assert_eq!(reader.head().unwrap().count, 0, "nothing appended");
    // Operators may not apply policies or migrate; the administrator may.
    let policy =
        format!("[operators]\n{reader_login} = [\"SENDER\"]\n{op} = [\"WAREHOUSE\", \"SENDER\"]\n");
    assert!(matches!(
        reader.apply_policy(&policy),
        Err(Error::NotAdministrator { .. })
    ));
    assert!(matches!(
        PgStore::migrate_schema(&tower.url_of(&op)),
        Err(Error::NotAdministrator { .. })
    ));
    assert_eq!(
        PgStore::migrate_schema(&tower.admin_url()).unwrap(),
        control_tower::store::postgres::CURRENT_VERSION
    );
    let applied = admin.apply_policy(&policy).unwrap();
    assert_eq!((applied.logins, applied.roles), (2, 3));
    let shown = admin.policy().unwrap();
    assert_eq!(
        shown[0],
        (op.clone(), vec![Actor::Sender, Actor::Warehouse])
    );
    assert_eq!(shown[1], (reader_login.clone(), vec![Actor::Sender]));
    let created = reader
        .append_request(&AppendRequest::create(created()))
        .unwrap();
    assert_eq!(
        created.event.operator.as_deref(),
        Some(reader_login.as_str())
    );
    let described = admin.describe();
    assert!(
        described.starts_with("127.0.0.1:") && described.ends_with(&format!("/{}", tower.db)),
        "{described}"
    );
}

#[test]
fn an_operator_cannot_install_the_schema() {
    let Some(mut tower) = pg_tower("noschema") else {
        return;
    };
    let op = tower.login("op");
    let refused = PgStore::connect(&tower.url_of(&op), None);
    let Err(e @ Error::SchemaMissing(_)) = refused else {
        panic!("expected SchemaMissing, got {:?}", refused.err());
    };
    assert!(e.to_string().contains("migrate-schema"), "{e}");
}

#[test]
fn the_database_enforces_append_only_identity_and_roles_through_psql() {
    let Some((tower, mut admin, op)) = tower_with_operator("psql") else {
        return;
    };
    let reader = format!("{}_reader", tower.db);
    let mut store = PgStore::connect(&tower.url_of(&op), None).unwrap();
    let id = store
        .append_request(&AppendRequest::create(created()))
        .unwrap()
        .event
        .shipment_id;
    let refused = |login: &str, sql: &str, why: &str| {
        let out = tower.psql(login, sql);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{login}: {sql} was allowed");
        assert!(stderr.contains(why), "{login}: {sql}: {stderr}");
    };
    let owner = tower.admin().to_string();
    for login in [owner.as_str(), op.as_str()] {
        refused(login, "UPDATE tower.events SET actor = 'CUSTOMER'", "");
        refused(login, "DELETE FROM tower.events", "");
        refused(login, "TRUNCATE tower.events CASCADE", "");
    }
    refused(
        &owner,
        "UPDATE tower.events SET actor = 'CUSTOMER'",
        "append-only",
    );
    refused(
        &owner,
        "DELETE FROM tower.events WHERE false",
        "append-only",
    );
    refused(&owner, "TRUNCATE tower.events CASCADE", "append-only");
    refused(&owner, "DELETE FROM tower.shipment_counter", "append-only");
    // A direct INSERT bypassing the function.
    let line = store.read_lines(&[0]).unwrap().remove(0).1;
    refused(
        &op,
        &format!(
            "INSERT INTO tower.events (position, shipment_id, event_seq, event_type, ts, actor, operator, payload, line) VALUES (2, 'SHP-0000000001', 2, 'CANCELLED', 'x', 'SENDER', 'x', '{{}}', '{}')",
            line.replace('\'', "''")
        ),
        "permission denied",
    );
    // Build a correct next line, then call the function as others / forged.
    let head_hash = hex::encode(store.head().unwrap().hash.unwrap());
    let next = |operator: &str| {
        format!(
            r#"{{"shipment_id":"{id}","event_seq":2,"event_type":"CANCELLED","timestamp":"2030-01-01T00:00:00.000Z","actor":"SENDER","payload":{{"reason":"x"}},"operator":"{operator}","prev_hash":"{head_hash}"}}"#
        )
    };
    let call = |line: String| format!("SELECT tower.append_event(1, '{line}')");
    refused(&reader, &call(next(&reader)), "does not hold the role");
    refused(&op, &call(next("asha")), "operator is the database login");
    refused(
        &op,
        &call(next(&op).replace("\"event_seq\":2", "\"event_seq\":3")),
        "next event is seq 2",
    );
    refused(
        &op,
        &call(next(&op).replace(&head_hash, &"0".repeat(64))),
        "prev_hash",
    );
    refused(
        &op,
        &call(
            next(&op)
                .replace("\"CANCELLED\"", "\"DELIVERED\"")
                .replace("\"SENDER\"", "\"CUSTOMER\""),
        ),
        "",
    );
    refused(
        &op,
        &call(
            next(&op)
                .replace("SHP-0000000001", "SHP-0000000077")
                .replace("\"event_seq\":2", "\"event_seq\":1")
                .replace("CANCELLED", "CREATED"),
        ),
        "",
    );
    refused(
        &op,
        "SELECT nextval('tower.shipment_ids')",
        "permission denied",
    );
    // The function itself accepts a correct line from the right login.
    let out = tower.psql(&op, &call(next(&op)));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(store.read_shipment(id).unwrap().len(), 2);
    assert_eq!(admin.head().unwrap().count, 2);
    assert_chain_verifies(&mut store, &tower);
}

#[test]
fn commit_order_is_position_order_under_eight_writers() {
    let Some((tower, _admin, op)) = tower_with_operator("order") else {
        return;
    };
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let url = tower.url_of(&op);
    let store = PgStore::connect(&url, None).unwrap();
    let mut sub = store.subscribe(Position::START).unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (url, done) = (url.clone(), done.clone());
            std::thread::spawn(move || {
                let mut store = PgStore::connect(&url, None).unwrap();
                for _ in 0..EACH {
                    let created = store
                        .append_request(&AppendRequest::create(created()))
                        .unwrap();
                    let id = created.event.shipment_id;
                    store
                        .append_request(
                            &step(id, EventType::ManagerApproved, Actor::SenderManager)
                                .expecting_seq(1),
                        )
                        .unwrap();
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
        })
        .collect();
    let total = (WRITERS * EACH * 2) as u64;
    let mut seen: Vec<u64> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while (seen.len() as u64) < total && Instant::now() < deadline {
        let polled = sub
            .poll(64 * 1024, &mut |feed| {
                if let Feed::Line(IndexedLine::Event(e)) = feed {
                    seen.push(e.line_no);
                }
            })
            .unwrap();
        assert!(
            polled.reset.is_none() && polled.reconnecting.is_none(),
            "{polled:?}"
        );
        if seen.len() as u64 == total {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    for writer in writers {
        writer.join().unwrap();
    }
    assert_eq!(
        seen,
        (1..=total).collect::<Vec<_>>(),
        "every position once, in order"
    );
    assert_eq!(sub.position(), Position(total));
}

#[test]
fn notify_wakes_a_subscription_within_a_second() {
    let Some((tower, _admin, op)) = tower_with_operator("notify") else {
        return;
    };
    let mut store = PgStore::connect(&tower.url_of(&op), None).unwrap();
    let mut sub = store.subscribe(Position::START).unwrap();
    let (tx, rx) = mpsc::channel();
    assert_eq!(
        sub.watch(Box::new(move || {
            let _ = tx.send(Instant::now());
        })),
        None
    );
    // The watcher wakes once when it is listening; let it settle.
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the watcher starts");
    std::thread::sleep(Duration::from_millis(200));
    while rx.try_recv().is_ok() {}
    let writer_url = tower.url_of(&op);
    let appended_at = std::thread::spawn(move || {
        let mut writer = PgStore::connect(&writer_url, None).unwrap();
        writer
            .append_request(&AppendRequest::create(created()))
            .unwrap();
        Instant::now()
    })
    .join()
    .unwrap();
    let woken = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("woken by NOTIFY");
    assert!(woken.saturating_duration_since(appended_at) < Duration::from_secs(1));
    let mut lines = 0;
    sub.poll(u64::MAX, &mut |feed| {
        if let Feed::Line(_) = feed {
            lines += 1;
        }
    })
    .unwrap();
    assert_eq!(lines, 1);
    assert!(Instant::now().duration_since(appended_at) < Duration::from_secs(1));
    drop(store.head());
}

#[test]
fn a_subscription_reconnects_and_misses_nothing() {
    let Some((tower, _admin, _op)) = tower_with_operator("reconnect") else {
        return;
    };
    // The administrator also appends here (it may: give it a role), and
    // may end its own sessions.
    let mut admin = PgStore::connect(&tower.admin_url(), None).unwrap();
    admin
        .apply_policy(&format!("[operators]\n{} = {ALL_ROLES}\n", tower.admin()))
        .unwrap();
    let victim_url = format!("{}&application_name=ct_victim", tower.admin_url());
    let victim = PgStore::connect(&victim_url, None).unwrap();
    let mut sub = victim.subscribe(Position::START).unwrap();
    let mut seen = Vec::new();
    let poll = |sub: &mut Box<dyn control_tower::store::Subscription>, seen: &mut Vec<u64>| {
        sub.poll(u64::MAX, &mut |feed| {
            if let Feed::Line(IndexedLine::Event(e)) = feed {
                seen.push(e.line_no);
            }
        })
        .unwrap()
    };
    for _ in 0..3 {
        admin
            .append_request(&AppendRequest::create(created()))
            .unwrap();
    }
    poll(&mut sub, &mut seen);
    let out = tower.psql(
        tower.admin(),
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ct_victim'",
    );
    assert!(out.status.success());
    for _ in 0..3 {
        admin
            .append_request(&AppendRequest::create(created()))
            .unwrap();
    }
    let first = poll(&mut sub, &mut seen);
    assert!(first.reconnecting.is_some(), "{first:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.len() < 6 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        poll(&mut sub, &mut seen);
    }
    assert_eq!(seen, [1, 2, 3, 4, 5, 6]);
}

/// TLS for real: the test cluster's certificate is signed by a throwaway CA
/// (`CT_PG_CA`). `verify-full` with that CA connects, and the session is
/// encrypted (the server says so); with another CA it is refused.
#[test]
fn tls_verify_full_checks_the_server_and_encrypts() {
    let Some(mut tower) = pg_tower("tls_verify_full") else {
        return;
    };
    let Ok(ca) = std::env::var("CT_PG_CA") else {
        assert!(std::env::var_os("CI").is_none(), "CI: CT_PG_CA must be set");
        eprintln!("note: skipping: CT_PG_CA is not set (scripts/pg-cluster.sh sets it)");
        return;
    };
    PgStore::connect(&tower.admin_url(), None).unwrap(); // installs the schema
    let login = tower.login("tls");
    let (url, password) = tower.cli_store(&login);
    let cli = |url: &str, args: &[&str]| {
        let mut c = std::process::Command::new(BIN);
        c.args(["--store", url])
            .args(args)
            .env("PGPASSWORD", &password)
            .env_remove("CONTROL_TOWER_STORE")
            .stdin(std::process::Stdio::null());
        c
    };
    let verified = format!("{url}?sslmode=verify-full&sslrootcert={ca}");
    let r = run(&mut cli(&verified, &["list"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&mut cli(&format!("{url}?sslmode=require"), &["list"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The session is encrypted: a follower stays connected while we ask
    // (as the same login: only it, or a superuser, sees its sessions' TLS;
    // psql's own session does not use TLS: sslmode comes from the URL).
    let mut follower = cli(&verified, &["events", "--follow"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let sql = format!(
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.usename = '{login}' AND s.ssl AND a.pid <> pg_backend_pid()"
    );
    let encrypted = wait_until(Duration::from_secs(10), || {
        let out = tower.psql(&login, &sql);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.trim().parse::<u32>().ok())
            .is_some_and(|n| n >= 1)
    });
    let _ = follower.kill();
    let _ = follower.wait();
    assert!(encrypted, "no encrypted session for {login}");
    // Another CA: the server is not trusted, nothing is done.
    let other = tempfile::tempdir().unwrap();
    let other_ca = other.path().join("ca.crt");
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=someone else"])
        .arg("-keyout")
        .arg(other.path().join("ca.key"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .unwrap();
    assert!(made.status.success());
    let wrong = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        other_ca.display()
    );
    let r = run(&mut cli(&wrong, &["list"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// `demo --store` runs a simulator on that database: a database holding a
/// tower whose name does not say demo is refused before anything starts.
#[test]
fn demo_refuses_a_database_that_holds_a_real_tower() {
    let Some((tower, _admin, op)) = tower_with_operator("guard_real_tower") else {
        return;
    };
    let mut store = PgStore::connect(&tower.url_of(&op), Some(&op)).unwrap();
    store
        .append_request(&AppendRequest::create(created()))
        .unwrap();
    let (url, password) = tower.cli_store(&op);
    let r = run(std::process::Command::new(BIN)
        .args(["demo", "--store", &url])
        .env("PGPASSWORD", password)
        .stdin(std::process::Stdio::null()));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("does not say demo"), "{}", r.stderr);
    assert_eq!(store.head().unwrap().count, 1, "nothing appended");
}

/// `migrate` into PostgreSQL and back: the administrator's alone, byte for
/// byte (original operators kept), recorded in tower.imports, resumable;
/// `audit --json` is the same on both sides; new IDs continue after the
/// imported ones.
#[test]
fn migrate_round_trips_a_tower_byte_for_byte() {
    let Some((tower, _admin, op)) = tower_with_operator("migrate_round_trip") else {
        return;
    };
    let files = Env::new();
    for _ in 0..3 {
        let id = files.create();
        files
            .advance(&id, "MANAGER_APPROVED", "SENDER_MANAGER")
            .ok();
    }
    let cli = |login: &str, args: &[&str]| {
        let (url, password) = tower.cli_store(login);
        let mut c = std::process::Command::new(BIN);
        c.args(args)
            .env("PGPASSWORD", password)
            .env_remove("CONTROL_TOWER_STORE")
            .stdin(std::process::Stdio::null());
        (c, url)
    };
    let dir = files.dir.to_str().unwrap().to_string();
    // An operator may not import (it would write other people's names).
    let (mut c, url) = cli(&op, &[]);
    let r = run(c.args(["migrate", "--from", &dir, "--to", &url]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("administrator"), "{}", r.stderr);
    let (mut c, admin_url) = cli(tower.admin(), &[]);
    let r = run(c.args(["migrate", "--from", &dir, "--to", &admin_url]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("copied 6 events and 3 counter lines"),
        "{}",
        r.stdout
    );
    let (mut c, _) = cli(tower.admin(), &[]);
    let r = run(c.args(["migrate", "--from", &dir, "--to", &admin_url]));
    assert!(r.stdout.contains("copied 0 events"), "{}", r.stdout);
    let (mut c, _) = cli(&op, &[]);
    let db_audit = run(c.args(["--store", &url, "audit", "--json"])).json();
    assert_eq!(db_audit, files.run(&["audit", "--json"]).ok().json());
    let imports = tower.psql(tower.admin(), "SELECT events, counters FROM tower.imports");
    assert!(
        String::from_utf8_lossy(&imports.stdout).contains(" 6 "),
        "{imports:?}"
    );
    // Back into a new directory: the same bytes.
    let back = Env::new();
    let (mut c, _) = cli(&op, &[]);
    let r = run(c.args([
        "migrate",
        "--from",
        &url,
        "--to",
        back.dir.to_str().unwrap(),
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(back.log_bytes(), files.log_bytes());
    assert_eq!(back.counter_bytes(), files.counter_bytes());
    // The database's next ID follows the imported ones.
    let (mut c, _) = cli(&op, &[]);
    let r = run(c.args([
        "--store",
        &url,
        "create",
        "--source",
        "A",
        "--destination",
        "B",
        "--weight-kg",
        "1",
        "--delivery-type",
        "EXPRESS",
    ]));
    assert_eq!(r.stdout.trim(), "SHP-0000000004", "{}", r.stderr);
}

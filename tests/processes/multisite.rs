//! Many sites, for real: the server and two sites in network namespaces of
//! their own (`support::netns`, root only), each site with the real
//! release binary's dashboard in tmux and CLI writers. An append at one
//! site shows on the other's dashboard within a second (measured and
//! printed); a server restart shows RECONNECTING on both dashboards, a
//! write meanwhile fails and leaves nothing, both recover, and the log is
//! complete and in order. Also the dashboard on a PostgreSQL store without
//! namespaces (`CT_PG_ADMIN_URL`): its header, `a`, another's `create`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use control_tower::store::postgres::PgStore;

use crate::support::*;

/// Setting up, restarting, recovering: generous.
const SETUP: Duration = Duration::from_secs(60);
/// An acknowledged append at one site is on the other's screen by then.
const PROPAGATION: Duration = Duration::from_secs(1);

const ALL_ROLES: &str = r#"["SENDER", "SENDER_MANAGER", "SENDER_SUPERVISOR", "SYSTEM", "CARRIER", "RECEIVER", "WAREHOUSE", "CUSTOMER"]"#;

/// `create` at a site; returns the new ID once it is acknowledged.
fn create_at(sites: &Sites, ns: &str, login: &str) -> String {
    let out = sites.ct(ns, login, &CREATE_ARGS).output().unwrap();
    assert!(
        out.status.success(),
        "create at {ns}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Appends at `from` and times the ID's arrival on `watcher`'s dashboard:
/// (from the append's acknowledgement, from the start of the `create`).
fn measured_create(
    sites: &Sites,
    panes: &Panes,
    (ns, login): (&str, &str),
    watcher: &str,
) -> (String, Duration, Duration) {
    let started = Instant::now();
    let id = create_at(sites, ns, login);
    let acked = Instant::now();
    let Some(latency) = panes.time_until(watcher, &id, acked, PROPAGATION) else {
        panic!(
            "{id}, appended at {ns}, is not on {watcher}'s dashboard within {PROPAGATION:?}:\n{}",
            panes.screen(watcher)
        );
    };
    (id, latency, latency + (acked - started))
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn report(what: &str, latencies: Vec<Duration>) {
    let ms: Vec<String> = latencies
        .iter()
        .map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
        .collect();
    let mut sorted = latencies;
    sorted.sort();
    println!(
        "multisite: {what}: p50 {:?}, max {:?} (ms, in order: {})",
        percentile(&sorted, 50),
        sorted[sorted.len() - 1],
        ms.join(" ")
    );
}

fn both_show(panes: &Panes, what: &str, pred: impl Fn(&str) -> bool + Copy) {
    for site in ["a", "b"] {
        panes.wait_for(site, what, SETUP, pred);
    }
}

#[test]
fn two_sites_see_each_other_live_and_survive_a_server_restart() {
    let Some(sites) = sites("multisite") else {
        return;
    };
    let Some(panes) = Panes::new("multisite") else {
        return;
    };
    sites.login("site_a");
    sites.login("site_b");
    sites.apply_policy(&format!("site_a = {ALL_ROLES}\nsite_b = {ALL_ROLES}\n"));
    let (a, b) = (sites.a.as_str(), sites.b.as_str());
    let store = sites.describe();
    for (session, ns, login) in [("a", a, "site_a"), ("b", b, "site_b")] {
        panes.start(
            session,
            &sites.dashboard(ns, login, "--role SENDER_MANAGER"),
        );
        let grants = format!("tower_roles: {login} may act as");
        panes.wait_for(session, "the empty tower, live", SETUP, |s| {
            s.contains(" LIVE ") && s.contains(&store) && s.contains(&grants)
        });
    }

    // Live: each append shows at the other site within a second.
    let mut acked = Vec::new();
    let (mut a_to_b, mut b_to_a, mut whole) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..8 {
        let (from, watcher) = if i % 4 == 3 {
            ((b, "site_b"), "a")
        } else {
            ((a, "site_a"), "b")
        };
        let (id, latency, from_start) = measured_create(&sites, &panes, from, watcher);
        let sample = if watcher == "b" {
            &mut a_to_b
        } else {
            &mut b_to_a
        };
        sample.push(latency);
        whole.push(from_start);
        acked.push(id);
    }
    report("acknowledged append at A -> row on B's dashboard", a_to_b);
    report("acknowledged append at B -> row on A's dashboard", b_to_a);
    report("start of `create` -> row on the other dashboard", whole);
    let last = acked.last().unwrap().clone();
    both_show(&panes, "every append", |s| s.contains(&last));

    restart_mid_run(&sites, &panes, &mut acked);
    log_is_complete_and_in_order(&sites, &panes, &acked);
}

/// Stops the server: both dashboards show RECONNECTING, writes fail and
/// leave nothing; starts it again: both recover and show what is appended
/// after the restart.
fn restart_mid_run(sites: &Sites, panes: &Panes, acked: &mut Vec<String>) {
    let (a, b) = (sites.a.as_str(), sites.b.as_str());
    sites.stop_server();
    both_show(panes, "RECONNECTING", |s| s.contains("RECONNECTING"));
    let screen = panes.screen("b");
    assert!(screen.contains("appends fail until it is back"), "{screen}");

    // A write meanwhile fails clearly, from the CLI (exit 2) and from the
    // dashboard (the status line), and appends nothing.
    let out = sites.ct(a, "site_a", &CREATE_ARGS).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "create while down: {stderr}");
    assert!(
        stderr.contains("cannot connect") && stderr.contains(SERVER_IP),
        "{stderr}"
    );
    println!(
        "multisite: create while the server is down: {}",
        stderr.trim()
    );
    panes.keys("a", &["a"]);
    let screen = panes.wait_text("a", "nothing appended", SETUP);
    let status = screen.lines().last().unwrap_or_default().trim().to_string();
    println!("multisite: `a` while the server is down: {status}");

    let down = Instant::now();
    sites.start_server();
    both_show(panes, "LIVE again", |s| {
        s.contains(" LIVE ") && !s.contains("RECONNECTING")
    });
    println!(
        "multisite: both dashboards LIVE again {:?} after the server started",
        down.elapsed()
    );
    for (ns, login) in [(a, "site_a"), (b, "site_b")] {
        let id = create_at(sites, ns, login);
        both_show(panes, "an append after the restart", |s| s.contains(&id));
        acked.push(id);
    }
}

/// `verify` passes; `events` holds every acknowledged ID exactly once, in
/// the order acknowledged, and nothing else; positions are 1..N; both
/// dashboards count N.
fn log_is_complete_and_in_order(sites: &Sites, panes: &Panes, acked: &[String]) {
    let n = acked.len();
    let verify = sites.ct(&sites.b, "site_b", &["verify"]).output().unwrap();
    assert!(
        verify.status.success(),
        "verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let out = sites.ct(&sites.a, "site_a", &["events"]).output().unwrap();
    assert!(out.status.success());
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("events prints JSON lines"))
        .collect();
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["shipment_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, acked, "every acknowledged ID once, in order");
    assert!(events.iter().all(|e| e["event_type"] == "CREATED"));
    let positions = sites.psql(
        "tower",
        "SELECT string_agg(position::text, ',' ORDER BY position) FROM tower.events",
    );
    let expected: Vec<String> = (1..=n).map(|p| p.to_string()).collect();
    assert_eq!(positions.trim(), expected.join(","));
    let counts = format!("{n} events · {n} shipments");
    both_show(panes, &counts, |s| s.contains(&counts));
}

/// The binary on a PostgreSQL store as `login` (its password in PGPASSWORD).
fn ct_pg(tower: &PgTower, login: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["--store", &tower.url_without_password(login)])
        .args(args)
        .env("PGPASSWORD", tower.password(login))
        .env_remove("CONTROL_TOWER_OPERATOR")
        .env_remove("CONTROL_TOWER_STORE")
        .stdin(Stdio::null());
    c
}

#[test]
fn the_dashboard_on_postgres_names_its_store_and_grants_appends_and_sees_others() {
    let Some(mut tower) = pg_tower("pgdashboard") else {
        return;
    };
    let Some(panes) = Panes::new("pgdashboard") else {
        return;
    };
    let op = tower.login("op");
    let other = tower.login("other");
    let mut admin = PgStore::connect(&tower.admin_url(), None).expect("admin connects");
    admin
        .apply_policy(&format!(
            "[operators]\n{op} = [\"SENDER\", \"SENDER_MANAGER\"]\n{other} = {ALL_ROLES}\n"
        ))
        .expect("admin applies the policy");
    let first = ct_pg(&tower, &other, &CREATE_ARGS).output().unwrap();
    assert!(first.status.success());
    let first = String::from_utf8_lossy(&first.stdout).trim().to_string();
    let command = format!(
        "env PGPASSWORD='{}' '{BIN}' --store '{}' --role SENDER_MANAGER",
        tower.password(&op),
        tower.url_without_password(&op)
    );
    panes.start("d", &command);
    let grants = format!("tower_roles: {op} may act as SENDER, SENDER_MANAGER");
    let screen = panes.wait_for("d", "the header", SETUP, |s| {
        s.contains(&first) && s.contains(&grants)
    });
    assert!(screen.contains(&tower.describe()), "{screen}");
    assert!(screen.contains(&format!("operator {op}")), "{screen}");

    // `a`: the role's next step, appended as the login.
    panes.keys("d", &["a"]);
    panes.wait_text(
        "d",
        &format!("appended MANAGER_APPROVED to {first} as SENDER_MANAGER (seq 2)"),
        SETUP,
    );
    let out = ct_pg(&tower, &other, &["events"]).output().unwrap();
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["operator"], op.as_str());
    assert_eq!(events[1]["event_type"], "MANAGER_APPROVED");

    // Another process's create shows.
    let second = ct_pg(&tower, &other, &CREATE_ARGS).output().unwrap();
    let second = String::from_utf8_lossy(&second.stdout).trim().to_string();
    assert!(second.starts_with("SHP-"), "{second}");
    panes.wait_text("d", &second, SETUP);
}

/// A batch approve on the PostgreSQL store: marked rows appended on a
/// worker through the database's one append function, each expecting the
/// seq it showed when marked; the one another login moved first is
/// reported conflicted, the others land.
#[test]
fn a_batch_on_postgres_reports_the_shipment_another_login_moved() {
    let Some(mut tower) = pg_tower("pgbatch") else {
        return;
    };
    let Some(panes) = Panes::new("pgbatch") else {
        return;
    };
    let op = tower.login("op");
    let other = tower.login("other");
    let mut admin = PgStore::connect(&tower.admin_url(), None).expect("admin connects");
    admin
        .apply_policy(&format!(
            "[operators]\n{op} = [\"SENDER_MANAGER\"]\n{other} = {ALL_ROLES}\n"
        ))
        .expect("admin applies the policy");
    let ids: Vec<String> = (0..3)
        .map(|_| {
            let out = ct_pg(&tower, &other, &CREATE_ARGS).output().unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        })
        .collect();
    let command = format!(
        "env PGPASSWORD='{}' '{BIN}' --store '{}'",
        tower.password(&op),
        tower.url_without_password(&op)
    );
    panes.start("d", &command);
    panes.wait_text("d", &ids[2], SETUP);
    panes.keys("d", &["V"]);
    panes.wait_text("d", "3 marked", SETUP);
    let moved = ct_pg(
        &tower,
        &other,
        &[
            "advance",
            &ids[1],
            "MANAGER_APPROVED",
            "--actor",
            "SENDER_MANAGER",
        ],
    )
    .output()
    .unwrap();
    assert!(moved.status.success());
    panes.keys("d", &["a"]);
    panes.wait_text("d", "approve 3 shipments as SENDER_MANAGER? y/n", SETUP);
    panes.keys("d", &["y"]);
    let screen = panes.wait_text(
        "d",
        "approve 3 shipments: 2 landed, 1 conflicted, 0 refused",
        SETUP,
    );
    assert!(
        screen
            .lines()
            .any(|l| l.contains(&ids[1]) && l.contains("conflicted")),
        "{screen}"
    );
    let out = ct_pg(&tower, &other, &["events"]).output().unwrap();
    let approvals = String::from_utf8_lossy(&out.stdout)
        .matches("MANAGER_APPROVED")
        .count();
    assert_eq!(approvals, 3, "two from the batch, one from the other login");
}

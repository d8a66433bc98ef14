//! Heads (`N:HASH`): `audit` prints and records them, `verify --expect-head`
//! and `--heads FILE` prove the log still begins with that history. Caught:
//! an edited line, a deleted line, two swapped lines, a log truncated and
//! appended to again; passed: the untouched log, grown since.

use std::fs;

use crate::support::*;

/// A tower of `n` events; returns its head as `audit` prints it.
fn tower_with_head(env: &Env, shipments: usize) -> String {
    for _ in 0..shipments {
        let id = env.create();
        env.advance(&id, "MANAGER_APPROVED", "SENDER_MANAGER").ok();
    }
    let audit = env.run(&["audit"]).ok().stdout;
    audit
        .lines()
        .find_map(|l| l.strip_prefix("head: "))
        .expect("audit prints the head")
        .to_string()
}

fn expect_head(env: &Env, head: &str) -> Run {
    env.run(&["verify", "--expect-head", head])
}

#[test]
fn the_head_holds_on_the_untouched_log_grown_since() {
    let env = Env::new();
    let head = tower_with_head(&env, 3);
    assert!(head.starts_with("6:"), "{head}");
    assert_eq!(expect_head(&env, &head).ok().code, 0);
    env.create();
    let r = expect_head(&env, &head).ok();
    assert!(
        r.stdout.contains(&format!("head {head}: holds")),
        "{}",
        r.stdout
    );
}

/// Rewrites the log's lines with `change`, keeping it a valid file.
fn rewrite(env: &Env, change: impl FnOnce(&mut Vec<String>)) {
    let mut lines = env.lines();
    change(&mut lines);
    fs::write(env.events_path(), lines.join("\n") + "\n").unwrap();
}

#[test]
fn edited_deleted_swapped_or_cut_and_regrown_history_fails_the_head() {
    type Change = fn(&mut Vec<String>);
    let cases: [(&str, Change); 3] = [
        ("edited", |l| {
            l[1] = l[1].replace("SENDER_MANAGER", "SENDER")
        }),
        ("deleted", |l| {
            l.remove(2);
        }),
        ("swapped", |l| l.swap(2, 3)),
    ];
    for (what, change) in cases {
        let env = Env::new();
        let head = tower_with_head(&env, 3);
        rewrite(&env, change);
        let r = expect_head(&env, &head);
        assert_eq!(r.code, 1, "{what}: {}", r.stderr);
        assert!(r.stderr.contains("does not hold"), "{what}: {}", r.stderr);
        assert!(
            r.stderr.contains("line "),
            "{what}: names the line: {}",
            r.stderr
        );
    }
    // Cut after event 4, then appended to again by the tool itself: the
    // chain is whole, but it is another history.
    let env = Env::new();
    let head = tower_with_head(&env, 3);
    rewrite(&env, |l| l.truncate(4));
    env.create();
    env.create();
    let r = expect_head(&env, &head);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("line 6 differs"), "{}", r.stderr);
    // Shorter than the head.
    rewrite(&env, |l| l.truncate(2));
    let r = expect_head(&env, &head);
    assert!(r.stderr.contains("fewer than the head's 6"), "{}", r.stderr);
}

#[test]
fn heads_are_recorded_in_a_file_and_checked_from_it() {
    let env = Env::new();
    let file = env.tmp.path().join("heads.txt");
    tower_with_head(&env, 1);
    env.run(&["audit", "--record-head", file.to_str().unwrap()])
        .ok();
    env.create();
    env.run(&["audit", "--record-head", file.to_str().unwrap()])
        .ok();
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.lines().all(|l| l.contains(" recorded ")), "{text}");
    let r = env.run(&["verify", "--heads", file.to_str().unwrap()]).ok();
    assert_eq!(r.stdout.matches(": holds").count(), 2, "{}", r.stdout);
    rewrite(&env, |l| l[0] = l[0].replace("Mumbai", "Mumbai "));
    let r = env.run(&["verify", "--heads", file.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.matches("does not hold").count(), 2, "{}", r.stderr);
    // A malformed head is a usage error, naming what was expected.
    let r = env.run(&["verify", "--expect-head", "12:nothex"]).usage();
    assert!(r.stderr.contains("N:HASH"), "{}", r.stderr);
}

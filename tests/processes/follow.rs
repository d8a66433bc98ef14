//! `events --follow`: a running process streams events that other processes
//! append, only whole and valid ones, and survives the log being replaced.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::Value;

const PATIENCE: Duration = Duration::from_secs(15);

/// A follower process, killed when dropped; its stdout and stderr lines
/// arrive on channels.
struct Follower {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
}

impl Follower {
    fn start(env: &Env, extra: &[&str]) -> Follower {
        let mut args = vec!["events", "--follow"];
        args.extend_from_slice(extra);
        let mut child = env
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = pipe_lines(child.stdout.take().unwrap());
        let err = pipe_lines(child.stderr.take().unwrap());
        Follower { child, out, err }
    }

    /// The next stdout line, as JSON; panics after `PATIENCE`.
    fn next_event(&self) -> Value {
        let line = self
            .out
            .recv_timeout(PATIENCE)
            .expect("the follower printed nothing in time");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not an event ({e}): {line}"))
    }

    /// Asserts nothing more is printed for a short while.
    fn assert_quiet(&self, wait: Duration) {
        if let Ok(line) = self.out.recv_timeout(wait) {
            panic!("unexpected output: {line}");
        }
    }

    fn stderr_line_containing(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.err.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!("no stderr line containing {needle:?}"),
            }
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pipe_lines(pipe: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn follow_streams_what_other_processes_append() {
    let env = Env::new();
    let a = env.create();
    let follower = Follower::start(&env, &[]);
    let only_a = Follower::start(&env, &["--shipment", &a]);
    // What is already there comes first.
    assert_eq!(follower.next_event()["shipment_id"], a.as_str());
    assert_eq!(only_a.next_event()["event_type"], "CREATED");

    // Another process appends.
    env.advance(&a, "MANAGER_APPROVED", "SENDER_MANAGER").ok();
    let e = follower.next_event();
    assert_eq!(e["event_type"], "MANAGER_APPROVED");
    assert_eq!(e["event_seq"], 2);
    assert_eq!(&e, env.events().last().unwrap(), "printed as written");
    assert_eq!(only_a.next_event()["event_type"], "MANAGER_APPROVED");

    let b = env.create();
    assert_eq!(follower.next_event()["shipment_id"], b.as_str());

    // A line written in two pieces is printed once, whole.
    let line1 = env.lines()[0].clone();
    let mut v: serde_json::Map<String, Value> = serde_json::from_str(&env.lines()[2]).unwrap();
    v.insert("event_seq".into(), 2.into());
    v.insert("event_type".into(), "HOLD_FOR_REVIEW".into());
    v.insert("actor".into(), "SENDER_SUPERVISOR".into());
    v.insert(
        "prev_hash".into(),
        sha256_hex(env.lines()[2].as_bytes()).into(),
    );
    let whole = serde_json::to_string(&v).unwrap();
    let (head, tail) = whole.split_at(whole.len() / 2);
    env.append_raw(head.as_bytes());
    follower.assert_quiet(Duration::from_millis(300));
    env.append_raw(format!("{tail}\n").as_bytes());
    let e = follower.next_event();
    assert_eq!(e["event_type"], "HOLD_FOR_REVIEW");
    assert_eq!(e["shipment_id"], b.as_str());

    // Malformed lines are not printed; the next event is.
    env.append_raw(b"not an event\n");
    env.advance(&a, "SUPERVISOR_APPROVED", "SENDER_SUPERVISOR")
        .ok();
    assert_eq!(follower.next_event()["event_type"], "SUPERVISOR_APPROVED");
    assert_eq!(only_a.next_event()["event_type"], "SUPERVISOR_APPROVED");
    only_a.assert_quiet(Duration::from_millis(50));

    // The log is replaced: the follower says so and reads the new one.
    let replacement = env.tmp.path().join("replacement.jsonl");
    std::fs::write(&replacement, format!("{line1}\n")).unwrap();
    std::fs::rename(&replacement, env.events_path()).unwrap();
    let warning = follower.stderr_line_containing("replaced");
    assert!(warning.contains("shipments.jsonl"), "{warning}");
    let e = follower.next_event();
    assert_eq!(e["shipment_id"], a.as_str());
    assert_eq!(e["event_seq"], 1);
    env.advance(&a, "CANCELLED", "SYSTEM").ok();
    assert_eq!(follower.next_event()["event_type"], "CANCELLED");
}

#[test]
fn follow_waits_for_a_log_that_does_not_exist_yet() {
    let env = Env::new();
    let follower = Follower::start(&env, &[]);
    follower.assert_quiet(Duration::from_millis(100));
    assert!(
        !env.events_path().exists(),
        "following must not create the log"
    );
    let id = env.create();
    let e = follower.next_event();
    assert_eq!(e["shipment_id"], id.as_str());
    assert_eq!(e["operator"], "tester");
}

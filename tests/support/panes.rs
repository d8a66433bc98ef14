//! Dashboards in tmux for the process tests: a private tmux server (`-L`)
//! of 160x45 sessions, driven with `send-keys` and read with
//! `capture-pane -p`; a screen counts once it is settled (the same capture
//! twice, a moment apart). The server dies with the guard, even when the
//! test fails. The one tmux driver of the tests (tests/tui/tmux.rs wraps it).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

pub struct Panes {
    socket: String,
}

/// True when tmux runs here.
pub fn tmux_installed() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Panes {
    /// A private tmux server, or `None` (skip, saying so) without tmux;
    /// under CI a missing tmux fails.
    pub fn new(test: &str) -> Option<Panes> {
        if !tmux_installed() {
            assert!(
                std::env::var_os("CI").is_none(),
                "tmux is not installed, and under CI the end-to-end tests must run"
            );
            eprintln!("note: skipping {test}: tmux is not installed (apt-get install tmux)");
            return None;
        }
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        Some(Panes {
            socket: format!("ct-{test}-{}-{n}", std::process::id()),
        })
    }

    /// Runs a tmux command on this server; its stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .env("TERM", "xterm-256color")
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A 160x45 session running `command` (a shell command line); the pane
    /// stays after the program exits, to read what it left.
    pub fn start(&self, session: &str, command: &str) {
        self.run(&[
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "45",
            "-s",
            session,
            command,
        ]);
        self.run(&["set-option", "-t", session, "remain-on-exit", "on"]);
    }

    pub fn keys(&self, session: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", session];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Literal text (no key-name lookup).
    pub fn text(&self, session: &str, text: &str) {
        self.run(&["send-keys", "-t", session, "-l", text]);
    }

    pub fn screen(&self, session: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", session])
    }

    /// Polls until `pred` holds on a settled screen; panics with the
    /// screen after `timeout`.
    pub fn wait_for(
        &self,
        session: &str,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        let mut last = String::new();
        loop {
            let screen = self.screen(session);
            if screen == last && pred(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what} in {session}; screen:\n{screen}");
            }
            last = screen;
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    pub fn wait_text(&self, session: &str, text: &str, timeout: Duration) -> String {
        self.wait_for(session, text, timeout, |s| s.contains(text))
    }

    /// How long from `since` until `text` is first on the screen (captured
    /// every 10 ms, not waiting for it to settle: for measuring); `None`
    /// after `limit`.
    pub fn time_until(
        &self,
        session: &str,
        text: &str,
        since: Instant,
        limit: Duration,
    ) -> Option<Duration> {
        while since.elapsed() <= limit {
            if self.screen(session).contains(text) {
                return Some(since.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Panes {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

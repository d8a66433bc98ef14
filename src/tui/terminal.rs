//! Owning the terminal: raw mode, alternate screen, mouse capture, hidden
//! cursor, and putting all of it back on every way out (normal quit, error
//! return, panic, SIGTERM/SIGHUP/SIGINT). Ctrl-C in raw mode is a key, not
//! a signal, and the event loop quits on it.

use std::io::{self, Stdout, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;

pub type Tty = Terminal<super::paint::Painter<Stdout>>;

/// Set while the terminal is ours: restore exactly once.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Set by the signal handler; the event loop's tick sees it and quits.
static SIGNALLED: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

pub fn signalled() -> bool {
    SIGNALLED.load(Ordering::SeqCst) || terminal_lost()
}

/// The parent process when the dashboard started (0 until recorded).
static START_PARENT: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// True when the terminal went away without a SIGHUP reaching us (e.g. the
/// tmux server or terminal emulator was killed): the parent that started us
/// is gone, or the terminal no longer answers. Without this check a
/// dashboard would outlive its screen and spin on a dead input.
fn terminal_lost() -> bool {
    // SAFETY: getppid and tcgetattr on our own stdin have no preconditions;
    // termios is plain data.
    unsafe {
        let start = START_PARENT.load(Ordering::SeqCst);
        if start != 0 && libc::getppid() != start {
            return true;
        }
        let mut termios: libc::termios = std::mem::zeroed();
        ACTIVE.load(Ordering::SeqCst) && libc::tcgetattr(libc::STDIN_FILENO, &mut termios) != 0
    }
}

extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    SIGNALLED.store(true, Ordering::SeqCst);
}

/// Puts the terminal back as it was; safe to call more than once.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, Show);
    }
}

/// The terminal, restored when dropped.
pub struct TerminalGuard {
    pub terminal: Tty,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
            // SAFETY: installing a handler that only stores to an atomic.
            unsafe {
                let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                libc::signal(libc::SIGTERM, handler);
                libc::signal(libc::SIGHUP, handler);
                libc::signal(libc::SIGINT, handler);
            }
        });
        enable_raw_mode()?;
        // SAFETY: getppid has no preconditions.
        START_PARENT.store(unsafe { libc::getppid() }, Ordering::SeqCst);
        ACTIVE.store(true, Ordering::SeqCst);
        let setup = execute!(stdout(), EnterAlternateScreen, EnableMouseCapture, Hide)
            .and_then(|_| Terminal::new(super::paint::Painter::new(stdout())));
        match setup {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

//! The `control-tower` binary: parse the arguments, resolve one settings
//! value from them and the environment, hand it to the command line or the
//! dashboard, map errors to exit codes. No logic lives here.

use std::io::Write;
use std::process::ExitCode;

use control_tower::cli::{self, Cli, Command, Settings};

fn main() -> ExitCode {
    // SAFETY: setting signal dispositions at start-up, before any thread.
    unsafe {
        // A file-size limit must fail the write (EFBIG), not kill us.
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        // `control-tower events | head` ends quietly, like any Unix tool.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let settings = Settings::resolve(&cli);
    let result = match cli.command {
        None | Some(Command::Demo(_)) => control_tower::tui::run(settings),
        Some(Command::ColdStart) => control_tower::tui::cold_start(settings),
        Some(command) => cli::run(settings, command),
    };
    result.unwrap_or_else(|error| {
        // Nothing more can be said if stderr is gone: exit with the code.
        let _ = writeln!(std::io::stderr(), "error: {error}");
        ExitCode::from(&error)
    })
}

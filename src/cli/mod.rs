//! The command line: argument parsing and dispatch. Each command lives in
//! its own file and returns `Result<ExitCode>`; errors print once, in `main`.

mod advance;
mod audit;
#[cfg(feature = "bench")]
pub mod bench;
mod create;
pub mod demo;
mod events;
mod export;
mod init;
mod list;
mod migrate;
mod migrate_schema;
mod output;
mod policy;
pub mod settings;
mod show;
mod simulate;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value};

use crate::domain::{Actor, EventType, ShipmentId};
use crate::error::{Error, Result};
use crate::read::as_of::{AsOf, Moment};
use crate::read::index::LogIndex;
use crate::read::resume::Opened;
use crate::store::{EventStore, Location, Who};

pub use demo::DEMO_DATA_DIR;
pub use settings::{DEFAULT_DATA_DIR, Settings};

#[derive(Parser, Debug)]
#[command(
    name = "control-tower",
    version,
    about = "Event-sourced shipment tracker and live control-tower dashboard"
)]
pub struct Cli {
    /// Directory holding shipments.jsonl and shipment_counter.jsonl; must exist (see `init`) [default: data/logs under the current directory, created on first use] [env: CONTROL_TOWER_DATA_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Who is acting, recorded in every event written; with a role policy, only names this account may act for [default: the OS account]
    #[arg(
        long,
        global = true,
        env = "CONTROL_TOWER_OPERATOR",
        value_name = "NAME"
    )]
    pub operator: Option<String>,

    /// Longest wait, in seconds, for the writers' lock (DIR/.lock) before a write gives up (exit 2)
    #[arg(long, global = true, value_name = "SECONDS", default_value = "10", value_parser = parse_lock_timeout)]
    pub lock_timeout: Duration,

    /// The store: a PostgreSQL database (postgresql://host/db or a key=value string; the password from PGPASSWORD or ~/.pgpass, never here) [default: the files in the data directory]
    #[arg(
        long,
        global = true,
        env = "CONTROL_TOWER_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub store: Option<String>,

    /// The role policy file [default: DATA_DIR/policy.toml] [env: CONTROL_TOWER_POLICY]
    #[arg(long, global = true, value_name = "PATH")]
    pub policy: Option<PathBuf>,

    /// Show times in this IANA time zone, e.g. Asia/Kolkata (JSON, exports and the log stay UTC) [default: TZ, else the system's zone]
    #[arg(long, global = true, value_name = "ZONE", value_parser = parse_zone)]
    pub tz: Option<crate::domain::Zone>,

    /// Show times in UTC
    #[arg(long, global = true, conflicts_with = "tz")]
    pub utc: bool,

    /// The dashboard's colours: dark, light, or auto (light when COLORFGBG names a light background); NO_COLOR turns colour off
    #[arg(long, global = true, value_name = "THEME", default_value = "auto", value_parser = parse_theme)]
    pub theme: settings::ThemeChoice,

    /// Starting role in the dashboard (with no command), e.g. WAREHOUSE
    #[arg(long, value_name = "ROLE", value_parser = parse_actor)]
    pub role: Option<Actor>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a shipment; prints its new ID
    Create(create::CreateArgs),
    /// Append the next event to a shipment
    Advance(advance::AdvanceArgs),
    /// Show a shipment's state and full history
    Show(show::ShowArgs),
    /// List shipments, newest activity first
    List(list::ListArgs),
    /// Print events as JSON lines (--follow to keep streaming)
    Events(events::EventsArgs),
    /// Full timelines for compliance, one row per event (CSV or JSON lines)
    Export(export::ExportArgs),
    /// Tower-wide figures, the integrity verdict and the head (N:HASH)
    Audit(audit::AuditArgs),
    /// Check the whole log (and recorded heads); exit 1 if it is corrupted or a head does not hold
    Verify(verify::VerifyArgs),
    /// Drive shipments through realistic lifecycles
    Simulate(simulate::SimulateArgs),
    /// Measure append latency, throughput, load time and memory against their targets
    ///
    /// Each figure is printed beside its target with ok or MISS.
    ///
    /// Scratch space: a new directory inside --data-dir when one is given (the
    /// flag or CONTROL_TOWER_DATA_DIR), else a new directory in the system's
    /// temporary directory ($TMPDIR, else /tmp). The logs already there are never
    /// touched; the scratch directory (about 300 MB at its largest) is removed
    /// at the end. Its path is printed first.
    #[cfg(feature = "bench")]
    Bench(BenchArgs),
    /// Open the dashboard on data/demo with simulated live traffic
    Demo(DemoArgs),
    /// Create a data directory and its empty logs
    Init(init::InitArgs),
    /// Install or upgrade the PostgreSQL store's schema (its administrator only)
    MigrateSchema,
    /// Copy a tower between stores (data directory, PostgreSQL), byte for byte; resumable
    Migrate(migrate::MigrateArgs),
    /// The PostgreSQL store's role policy: apply a policy.toml (administrator only), or show it
    Policy(policy::PolicyArgs),
    /// (for `bench`) open the dashboard's tower, draw its first full frame
    /// off screen, and exit
    #[command(hide = true)]
    ColdStart,
}

#[derive(Args, Debug)]
pub struct JsonFlag {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Simulated events per second
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Start from an empty demo log (the old one is kept as shipments.jsonl.before-fresh)
    #[arg(long)]
    pub fresh: bool,
    /// Demo's own directory, never a real log [default: data/demo] (CONTROL_TOWER_DATA_DIR is ignored)
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Starting role in the dashboard, e.g. WAREHOUSE
    #[arg(long, value_name = "ROLE", value_parser = parse_actor)]
    pub role: Option<Actor>,
}

/// `bench`: where it works is said in its help and its output.
#[cfg(feature = "bench")]
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Print the figures as JSON
    #[arg(long)]
    pub json: bool,
    /// Events in the generated big log the figures are taken on (default
    /// 1,000,000, or $CONTROL_TOWER_BENCH_EVENTS)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub events: Option<u64>,
}

/// `--tz`: an IANA zone name.
pub fn parse_zone(s: &str) -> std::result::Result<crate::domain::Zone, String> {
    crate::domain::Zone::named(s)
}

/// `--theme`: dark, light or auto.
pub fn parse_theme(s: &str) -> std::result::Result<settings::ThemeChoice, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "dark" => Ok(settings::ThemeChoice::Dark),
        "light" => Ok(settings::ThemeChoice::Light),
        "auto" => Ok(settings::ThemeChoice::Auto),
        _ => Err(format!("unknown theme {s:?}: dark, light or auto")),
    }
}

pub fn parse_lock_timeout(s: &str) -> std::result::Result<Duration, String> {
    let seconds: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("'{s}': give 0 to 86400 seconds"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

pub fn parse_actor(s: &str) -> std::result::Result<Actor, String> {
    s.parse()
}

pub fn parse_event_type(s: &str) -> std::result::Result<EventType, String> {
    s.parse()
}

/// `SHP-0000000042`, or just the number (`42`), like the dashboard's `:`.
pub fn parse_id(s: &str) -> std::result::Result<ShipmentId, String> {
    ShipmentId::parse_lenient(s).ok_or_else(|| {
        format!(
            "'{}' is not a shipment ID (expected SHP- followed by 10 digits, e.g. SHP-0000000042, or just the number, 42)",
            crate::text::inert(s, 40)
        )
    })
}

/// `KEY=VALUE`; VALUE is JSON when it parses as JSON, else a string.
pub fn parse_set(s: &str) -> std::result::Result<(String, Value), String> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not KEY=VALUE"))?;
    if key.trim().is_empty() {
        return Err(format!("'{s}' has an empty key"));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    Ok((key.trim().to_string(), value))
}

/// The payload from `--set` pairs. A key may be given once, and not at all
/// when it has its own flag (`owned`: key and flag), so that no value is
/// silently overridden by another.
pub fn payload_from_sets(
    sets: &[(String, Value)],
    owned: &[(&str, &str)],
) -> Result<Map<String, Value>> {
    let mut payload = Map::new();
    for (key, value) in sets {
        if let Some((_, flag)) = owned.iter().find(|(k, _)| k == key) {
            return Err(Error::Usage(format!(
                "--set {key}=… repeats {flag}: give {key} once, with {flag}"
            )));
        }
        if payload.insert(key.clone(), value.clone()).is_some() {
            return Err(Error::Usage(format!(
                "--set {key}=… is given more than once: give each key once"
            )));
        }
    }
    Ok(payload)
}

/// What every command needs: where the log is and who is acting.
pub struct Context {
    pub location: Location,
    pub who: Who,
    pub lock_timeout: Duration,
    /// The zone human output shows times in (JSON stays UTC).
    pub zone: crate::domain::Zone,
}

impl Context {
    /// A store for this command's writes.
    pub fn writer(&self) -> Result<Box<dyn EventStore>> {
        self.location.writer(&self.who, self.lock_timeout)
    }

    /// A store for reading only.
    pub fn reader(&self) -> Result<Box<dyn EventStore>> {
        self.location.reader()
    }

    /// The whole log read and verified.
    pub fn index(&self) -> Result<LogIndex> {
        LogIndex::load_at(&self.location)
    }

    /// The whole log, read from its projection snapshot when one matches
    /// (for answers that do not vouch for integrity: `list`, `export`).
    /// A snapshot that cannot be used is said in one line on stderr; after
    /// a full replay, or when the log is far past it, a new one is written
    /// (a reader that may not write it goes on without).
    pub fn fast_index(&self) -> Result<LogIndex> {
        let (mut index, opened) = LogIndex::open_fast(&self.location)?;
        if let Opened::Replayed(Some(note)) = &opened {
            output::warn(format_args!("{note}"));
        }
        let replayed = matches!(opened, Opened::Replayed(_));
        let _ = index.save_snapshot_if_due(replayed);
        Ok(index)
    }

    /// The log read and verified as it stood at `as_of` (all of it when
    /// `None`); where it stopped is said first: on stdout before a human
    /// answer, on stderr beside a JSON one.
    pub fn index_as_of(&self, as_of: Option<AsOf>, json: bool) -> Result<LogIndex> {
        let (index, moment) = self.index_at(as_of)?;
        if let Some(moment) = moment {
            say_moment(&moment, json)?;
        }
        Ok(index)
    }
}

impl Context {
    /// `index_at`, from the projection snapshot when `as_of` is `None`
    /// (`fast_index`).
    pub fn fast_index_at(&self, as_of: Option<AsOf>) -> Result<(LogIndex, Option<Moment>)> {
        match as_of {
            None => Ok((self.fast_index()?, None)),
            Some(_) => self.index_at(as_of),
        }
    }

    /// The index as the log stood at `as_of` (the whole log if `None`),
    /// and where it stopped; nothing printed yet.
    pub fn index_at(&self, as_of: Option<AsOf>) -> Result<(LogIndex, Option<Moment>)> {
        match as_of {
            None => Ok((self.index()?, None)),
            Some(as_of) => {
                let (index, moment) = LogIndex::load_as_of(&self.location, as_of)?;
                Ok((index, Some(moment)))
            }
        }
    }
}

/// The shipments of `index` that match the search `text`; `age` and
/// `idle` count to the moment viewed: the last event of an `--as-of`
/// answer, else the clock.
pub fn matching_at(
    index: &LogIndex,
    moment: Option<&Moment>,
    text: &str,
) -> Result<std::collections::BTreeSet<ShipmentId>> {
    let now = moment
        .and_then(|m| m.at)
        .unwrap_or_else(crate::domain::Timestamp::now_millis);
    crate::read::query::matching(index, text, now)
}

/// Says which event an `--as-of` answer ends at: on stdout before a
/// table, on stderr before JSON (which must stay one document).
pub fn say_moment(moment: &Moment, json: bool) -> Result<()> {
    if json {
        output::warn(format_args!("{moment}"));
    } else {
        let mut out = output::Out::new();
        out.line(format_args!("{moment}"))?;
        out.flush()?;
    }
    Ok(())
}

/// The context of a command on the tower: on the file store, its data
/// directory checked (the default created on first use).
fn tower(settings: &Settings) -> Result<Context> {
    let location = settings.location()?;
    if let Location::File(paths) = &location {
        settings::ensure_data_dir(paths, settings.source)?;
    }
    Ok(Context {
        location,
        who: settings.who(),
        lock_timeout: settings.lock_timeout,
        zone: settings.zone.clone(),
    })
}

impl Cli {
    /// The command line, with `demo --role R` read as the dashboard's `--role R`;
    /// or, when there is nothing to run (help, version, a mistake in the
    /// arguments), the exit code once that has been printed.
    pub fn parse_args() -> std::result::Result<Cli, ExitCode> {
        let mut cli = Cli::try_parse().map_err(print_clap)?;
        if let Some(Command::Demo(demo)) = &cli.command
            && demo.role.is_some()
        {
            cli.role = demo.role;
        }
        Ok(cli)
    }
}

/// Help and version as clap prints them; a mistake in the arguments on
/// stderr with every line inert (it quotes what was typed, which may hold
/// terminal escapes), and exit 2.
fn print_clap(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        // Nothing more can be said if stdout is gone.
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let text = error.render().to_string();
    let lines: Vec<String> = text
        .lines()
        .map(|line| crate::text::inert(line, 2000))
        .collect();
    output::warn(lines.join("\n"));
    ExitCode::from(crate::error::EXIT_FAILED)
}

/// Runs a CLI command (not the dashboard) with the settings `main`
/// resolved; returns the exit code.
pub fn run(settings: Settings, command: Command) -> Result<ExitCode> {
    if settings.role.is_some() {
        return Err(Error::Usage(
            "--role chooses the dashboard's starting role; commands take --actor instead".into(),
        ));
    }
    let settings = &settings;
    match &command {
        Command::Create(args) => create::run(&tower(settings)?, args),
        Command::Advance(args) => advance::run(&tower(settings)?, args),
        Command::Show(args) => show::run(&tower(settings)?, args),
        Command::List(args) => list::run(&tower(settings)?, args),
        Command::Events(args) => events::run(&tower(settings)?, args),
        Command::Export(args) => export::run(&tower(settings)?, args),
        Command::Audit(args) => audit::run(&tower(settings)?, args),
        Command::Verify(args) => verify::run(&tower(settings)?, args),
        Command::Simulate(args) => simulate::run(&tower(settings)?, args),
        // The scratch directory goes inside a data directory someone named,
        // else in the temporary directory.
        #[cfg(feature = "bench")]
        Command::Bench(args) => bench::run(args.json, args.events, settings.named_dir()),
        Command::Init(args) => init::run(settings, args),
        Command::MigrateSchema => migrate_schema::run(&tower(settings)?),
        Command::Migrate(args) => migrate::run(settings, args),
        Command::Policy(args) => policy::run(&tower(settings)?, args),
        Command::Demo(_) | Command::ColdStart => {
            Err(Error::Internal("the dashboard runs these".into()))
        }
    }
}

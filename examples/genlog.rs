//! Writes a large valid log for manual benchmarking:
//! `cargo run --release --example genlog -- DIR [EVENTS]`.

use control_tower::cli::bench::loggen;
use control_tower::store::LogPaths;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: genlog DIR [EVENTS]");
        std::process::exit(2);
    };
    let events = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    match loggen::generate(&LogPaths::new(dir), events, 7) {
        Ok(shipments) => println!("{events} events, {shipments} shipments"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

//! Times SHA-256 of log-sized lines one at a time (`hash_line`) and two at
//! a time (`hash_pair`), for BENCHMARKS.md:
//! `cargo run --release --example hashspeed -- [LINES] [BYTES]`.
//!
//! The lines lie side by side in one 1 MB buffer, hashed over and over, as
//! a full read hashes the block it has just read (still in the cache).

use std::hint::black_box;
use std::time::{Duration, Instant};

use control_tower::domain::line::{hash_line, hash_pair};

const BUFFER: usize = 1 << 20;

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000_000);
    let bytes: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(280);
    let per_buffer = (BUFFER / bytes.max(1)).max(2) & !1;
    let buffer: Vec<u8> = (0..per_buffer * bytes).map(|i| (i * 7 + 3) as u8).collect();
    let lines: Vec<&[u8]> = buffer.chunks_exact(bytes.max(1)).collect();
    let passes = count.div_ceil(per_buffer);
    for round in 1..=3 {
        let one = timed(|| {
            for _ in 0..passes {
                for line in &lines {
                    black_box(hash_line(black_box(line)));
                }
            }
        });
        let two = timed(|| {
            for _ in 0..passes {
                for pair in lines.chunks_exact(2) {
                    black_box(hash_pair(black_box(pair[0]), black_box(pair[1])));
                }
            }
        });
        let per_line = |d: Duration| d.as_nanos() as f64 / (passes * per_buffer) as f64;
        println!(
            "round {round}: {} lines of {bytes} bytes: one at a time {:.1} ns a line, two at a time {:.1} ns a line ({:.2}x)",
            passes * per_buffer,
            per_line(one),
            per_line(two),
            one.as_secs_f64() / two.as_secs_f64()
        );
    }
}

fn timed(work: impl FnOnce()) -> Duration {
    let start = Instant::now();
    work();
    start.elapsed()
}

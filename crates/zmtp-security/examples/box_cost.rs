//! The cost of one CURVE box (XSalsa20-Poly1305 seal, then open, in place) at a given text
//! length, alone: the primitive under every CURVE MESSAGE, without the connection around it.
//!
//! `cargo run --release -p zmtp-security --example box_cost -- 65 1041 65537`
//! prints nanoseconds per seal+open for each length (wall clock, median of 5 rounds). Under
//! callgrind, count the instructions of the two functions alone:
//! `valgrind --tool=callgrind --toggle-collect='*BenchBox*seal*' --toggle-collect='*BenchBox*open*' \
//!   target/release/examples/box_cost --count 1000 65`
//! and divide the total by the count (the two functions' inclusive cost). (A 64 B message is a 65-byte text: its flags byte, then
//! the body; 1 KiB is 1,025 bytes, 64 KiB 65,537.)

use std::hint::black_box;
use std::time::Instant;

use zmtp_security::curve::BenchBox;

fn main() {
    let mut count: Option<u64> = None;
    let mut lens = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--count" {
            count = args.next().and_then(|c| c.parse().ok());
        } else if let Ok(len) = a.parse::<usize>() {
            lens.push(len);
        }
    }
    if lens.is_empty() {
        lens = vec![65, 1025, 65_537];
    }
    let key = BenchBox::new(&[0x42u8; 32]);
    for len in lens {
        let mut buf = vec![0xA5u8; 16 + len];
        // About 0.2 s a round whatever the length, unless a count is given.
        let n = count.unwrap_or_else(|| (200_000_000 / (len as u64 * 4 + 2_000)).max(10));
        let mut rounds = Vec::new();
        let mut nonce = 1u64;
        for _ in 0..if count.is_some() { 1 } else { 5 } {
            let start = Instant::now();
            for _ in 0..n {
                assert!(key.seal(nonce, black_box(&mut buf)), "seals");
                assert!(key.open(nonce, black_box(&mut buf)), "opens");
                nonce += 1;
            }
            rounds.push(start.elapsed().as_nanos() as f64 / n as f64);
        }
        rounds.sort_by(f64::total_cmp);
        println!(
            "text {len:>6} B: {:>10.0} ns per seal+open (median of {}, {n} each)",
            rounds[rounds.len() / 2],
            rounds.len()
        );
    }
}

//! The zmtp fuzz targets' bodies, in a library so that the targets in `fuzz_targets/` stay
//! one-liners and `tests/regressions.rs` can replay saved inputs with `cargo test` (no libFuzzer
//! needed).
//!
//! Each function takes the raw fuzzer input, runs the code under test on it, and panics when a
//! property does not hold. Inputs that do not parse are not failures: only panics, aborts and
//! runaway memory are.

pub mod commands;
pub mod connection;
pub mod frames;
pub mod greeting;
pub mod legacy;
pub mod mechanisms;
pub mod pair;
pub mod pgm;
pub mod socket_input;
pub mod subscriptions;
pub mod zap;

pub use commands::command_parse;
pub use connection::{connection, Side};
pub use frames::frame_decoder;
pub use greeting::greeting_decoder;
pub use legacy::legacy_decoder;
#[cfg(feature = "gssapi")]
pub use mechanisms::gssapi_server;
pub use mechanisms::{curve_server, plain_server, z85_decode, z85_round_trip};
pub use pair::{connection_pair, curve_client, plain_client};
pub use pgm::{pgm_packet, pgm_receiver};
pub use socket_input::{endpoint_parse, option_set};
pub use subscriptions::subscription_trie;
pub use zap::zap_reply;

/// Chunk sizes drawn from one seed byte, for splitting an input into reads: a small
/// xorshift generator, so that a single fuzzer byte yields a varied but reproducible pattern.
#[derive(Debug, Clone)]
pub struct ChunkSizes {
    state: u32,
}

impl ChunkSizes {
    /// The pattern for `seed`.
    pub fn new(seed: u8) -> ChunkSizes {
        ChunkSizes {
            state: 0x9E37_79B9 ^ u32::from(seed).wrapping_mul(0x0101_0101) | 1,
        }
    }

    /// The next chunk size, 1 to 64 bytes, now and then up to 2 KiB.
    pub fn next_size(&mut self) -> usize {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        let small = 1 + (x & 0x3F) as usize;
        if x >> 29 == 0 {
            small * 32
        } else {
            small
        }
    }
}

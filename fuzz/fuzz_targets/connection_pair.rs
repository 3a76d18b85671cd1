//! A real client and server (NULL, PLAIN or CURVE) whose bytes are corrupted both ways. See `zmtp_fuzz::connection_pair`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::connection_pair(data));

//! The peer's greeting alone, whole and in pieces. See `zmtp_fuzz::greeting_decoder`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::greeting_decoder(data));

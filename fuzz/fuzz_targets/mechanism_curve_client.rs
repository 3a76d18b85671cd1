//! A CURVE client fed a real server's replies, corrupted. See `zmtp_fuzz::curve_client`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::curve_client(data));

//! A PLAIN client fed fuzzed server bytes. See `zmtp_fuzz::plain_client`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::plain_client(data));

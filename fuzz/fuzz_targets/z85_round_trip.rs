//! Z85 encoding of arbitrary bytes, decoded back. See `zmtp_fuzz::z85_round_trip`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::z85_round_trip(data));

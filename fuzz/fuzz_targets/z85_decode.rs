//! Z85 decoding of arbitrary text. See `zmtp_fuzz::z85_decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::z85_decode(data));

//! Arbitrary values on arbitrary socket options, then every read-back and per-type check. See
//! `zmtp_fuzz::option_set`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::option_set(data));

//! A hostile client against the curve server mechanism. See `zmtp_fuzz::curve_server`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::curve_server(data));

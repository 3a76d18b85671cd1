//! A hostile client against the plain server mechanism. See `zmtp_fuzz::plain_server`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::plain_server(data));

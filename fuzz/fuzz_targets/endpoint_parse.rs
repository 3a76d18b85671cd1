//! Endpoint parsing of arbitrary text, with the print/parse round trip. See
//! `zmtp_fuzz::endpoint_parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::endpoint_parse(data));

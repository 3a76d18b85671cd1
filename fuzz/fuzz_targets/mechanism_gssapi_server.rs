//! A hostile client against the GSSAPI server mechanism (needs `scripts/kdc.sh`'s realm). See
//! `zmtp_fuzz::gssapi_server`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::gssapi_server(data));

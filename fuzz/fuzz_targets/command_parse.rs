//! `Command::parse` and `Metadata::parse` over arbitrary bytes, and their re-encoding round
//! trips. See `zmtp_fuzz::command_parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::command_parse(data));

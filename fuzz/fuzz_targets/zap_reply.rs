//! ZAP handler replies and requests as fuzzed frames. See `zmtp_fuzz::zap_reply`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::zap_reply(data));

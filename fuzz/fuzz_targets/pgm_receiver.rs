//! The PGM receiver state machine driven by arbitrary packets and clock steps. See
//! `zmtp_fuzz::pgm_receiver`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::pgm_receiver(data));

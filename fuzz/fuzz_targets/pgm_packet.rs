//! PGM packets, raw IPv4 datagrams and libzmq APDUs from arbitrary bytes, with their round
//! trips. See `zmtp_fuzz::pgm_packet`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::pgm_packet(data));

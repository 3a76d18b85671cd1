//! The accepting side (ROUTER, PULL, XPUB, REP; `ZMQ_MAXMSGSIZE` set) of a NULL connection, fed
//! arbitrary peer bytes. See `zmtp_fuzz::connection` for the input layout.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::connection(data, zmtp_fuzz::Side::Accepting));

//! `V1Decoder` (ZMTP 1.0 framing) over arbitrary bytes, whole and in pieces, with and without a
//! size limit, and the `SendBuffer::put_frame_v1` round trip. See `zmtp_fuzz::legacy_decoder`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::legacy_decoder(data));

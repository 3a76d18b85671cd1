//! `FrameDecoder` over arbitrary bytes, whole and in pieces, with and without a size limit, and
//! the `SendBuffer` round trip. See `zmtp_fuzz::frame_decoder`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::frame_decoder(data));

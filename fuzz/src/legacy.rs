//! `legacy_decoder`: ZMTP 1.0 frames (RFC 13) from arbitrary bytes, whole and in pieces, with
//! and without a size limit, and the encode/decode round trip through
//! `SendBuffer::put_frame_v1`. (ZMTP 2.0 frames use the 3.x decoder, which `frame_decoder`
//! covers; the 2.0 and 1.0 exchanges as a whole run in the connection targets.)

use bytes::{Buf, BytesMut};
use zmtp_codec::legacy::{v1_header_len, V1Decoder};
use zmtp_codec::{Frame, FrameError, SendBuffer};

use crate::ChunkSizes;

/// Header length of the long ZMTP 1.0 form: `FF`, 8 bytes, flags.
const V1_LONG_HEADER: u64 = 10;

/// Input layout: `[mode, chunk seed, wire bytes...]`. An odd mode sets a size limit of
/// `(mode >> 1) * 8` bytes (0 to 1016).
pub fn legacy_decoder(data: &[u8]) {
    let [mode, seed, wire @ ..] = data else {
        return;
    };
    let limit = (mode & 1 == 1).then(|| u64::from(mode >> 1) * 8);

    let unlimited = decode_whole(wire, None);
    let limited = decode_whole(wire, limit);

    // A limit only ever stops decoding earlier, never changes a frame.
    assert!(limited.frames.len() <= unlimited.frames.len());
    assert_eq!(limited.frames[..], unlimited.frames[..limited.frames.len()]);
    match &limited.error {
        Some(FrameError::TooLarge { size, max }) => {
            assert_eq!(Some(*max), limit);
            assert!(size > max);
        }
        Some(e) => assert_eq!(unlimited.error.as_ref(), Some(e)),
        None => {
            assert_eq!(limited.frames.len(), unlimited.frames.len());
            assert_eq!(limited.left, unlimited.left);
            assert_eq!(limited.error, unlimited.error);
        }
    }
    for f in &limited.frames {
        assert!(!f.command, "ZMTP 1.0 has no commands");
        if let Some(max) = limit {
            assert!(f.body.len() as u64 <= max);
        }
    }

    // Fed in pieces, the decoder yields the same frames and stops at the same error.
    let pieces = decode_in_pieces(wire, limit, ChunkSizes::new(*seed));
    assert_eq!(pieces.frames, limited.frames);
    assert_eq!(pieces.error, limited.error);
    if limited.error.is_none() {
        assert_eq!(pieces.left, limited.left);
    }

    // Re-encoded in libzmq's length forms, the frames decode to themselves.
    for (decoded, limit) in [(&limited, limit), (&unlimited, None)] {
        let encoded = encode(&decoded.frames);
        let again = decode_whole(&encoded, limit);
        assert_eq!(again.error, None);
        assert!(again.left.is_empty(), "re-encoding left stray bytes");
        assert_eq!(again.frames, decoded.frames);
    }
}

struct Decoded {
    frames: Vec<Frame>,
    error: Option<FrameError>,
    left: Vec<u8>,
}

/// Decodes everything in one buffer; also checks that bodies are views into that buffer.
fn decode_whole(wire: &[u8], limit: Option<u64>) -> Decoded {
    let mut buf = BytesMut::from(wire);
    let start = buf.as_ptr() as usize;
    let end = start + buf.len();
    let mut decoder = V1Decoder::new(limit);
    let mut frames = Vec::new();
    let error = loop {
        match decoder.decode(&mut buf) {
            Ok(Some(f)) => {
                if !f.body.is_empty() {
                    let p = f.body.as_ptr() as usize;
                    assert!(
                        p >= start && p + f.body.len() <= end,
                        "frame body was copied out of the read buffer"
                    );
                }
                frames.push(f);
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    Decoded {
        frames,
        error,
        left: buf.to_vec(),
    }
}

fn decode_in_pieces(wire: &[u8], limit: Option<u64>, mut sizes: ChunkSizes) -> Decoded {
    let mut buf = BytesMut::new();
    let mut decoder = V1Decoder::new(limit);
    let mut frames = Vec::new();
    let mut rest = wire;
    let error = 'feed: loop {
        let n = sizes.next_size().min(rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => {
                    assert_eq!(buf.len(), before, "an incomplete frame consumed bytes");
                    let needed = decoder.bytes_needed();
                    if needed != 0 {
                        assert!(needed > buf.len(), "bytes_needed {needed} already buffered");
                        if let Some(max) = limit {
                            assert!(
                                needed as u64 <= max + V1_LONG_HEADER,
                                "bytes_needed above the limit"
                            );
                        }
                    }
                    break;
                }
                Err(e) => break 'feed Some(e),
            }
        }
        if rest.is_empty() {
            break None;
        }
    };
    Decoded {
        frames,
        error,
        left: buf.to_vec(),
    }
}

fn encode(frames: &[Frame]) -> Vec<u8> {
    let mut out = SendBuffer::new();
    for f in frames {
        out.put_frame_v1(f.more, &f.body);
    }
    let expected: usize = frames
        .iter()
        .map(|f| v1_header_len(f.body.len()) + f.body.len())
        .sum();
    assert_eq!(out.len(), expected);
    let bytes = out.copy_to_bytes(out.remaining());
    assert_eq!(bytes.len(), expected);
    bytes.to_vec()
}

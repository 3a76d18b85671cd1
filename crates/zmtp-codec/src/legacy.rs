//! Framing of the legacy protocols libzmq 4.x still serves: ZMTP 1.0 (RFC 13) and 2.0 (RFC 15).
//!
//! - ZMTP 1.0: `length flags body`. The length counts the flags byte and the body; it is one
//!   byte when below 255, else `FF` and 8 bytes (network order). Flags bit 0 is MORE; libzmq
//!   ignores the other bits, and so does this.
//! - ZMTP 2.0: `flags size body`, the 3.x layout ([`crate::frame`]) without commands: MORE is
//!   bit 0, LONG bit 1 (an 8-byte size), and the size counts the body only.
//!
//! Both exchange an identity frame first (our `ZMQ_ROUTING_ID`, possibly empty), then
//! messages; neither has commands, security or heartbeats. [`crate::connection`] runs the
//! exchange; this module only reads and writes the frames.

use bytes::{Buf, BytesMut};

use crate::error::FrameError;
use crate::frame::Frame;

/// ZMTP 1.0 flag bit: more frames of this message follow.
pub const V1_FLAG_MORE: u8 = 0x01;
/// ZMTP 1.0 length byte announcing an 8-byte length.
pub const V1_LONG_LENGTH: u8 = 0xFF;
/// Largest body a one-byte ZMTP 1.0 length describes: 253, since the length counts the flags
/// byte and 255 is the escape (libzmq's v1 encoder switches to the long form at 254).
pub const V1_MAX_SHORT_BODY: usize = V1_LONG_LENGTH as usize - 2;

/// Decodes ZMTP 1.0 frames from a read buffer.
///
/// Like [`crate::FrameDecoder`], the length is checked against `ZMQ_MAXMSGSIZE` as soon as the
/// header is complete, before any byte of the body is waited for, and bodies share the read
/// buffer's memory.
#[derive(Debug, Clone, Default)]
pub struct V1Decoder {
    max_size: Option<u64>,
    needed: usize,
}

impl V1Decoder {
    /// A decoder refusing bodies larger than `max_size` bytes (`None`: no limit).
    pub fn new(max_size: Option<u64>) -> V1Decoder {
        V1Decoder {
            max_size,
            needed: 0,
        }
    }

    /// How many bytes the buffer must hold to complete the frame under way (0 when unknown).
    pub fn bytes_needed(&self) -> usize {
        self.needed
    }

    /// Takes one complete frame off the front of `buf`, or returns `None` (consuming nothing)
    /// if the buffer does not hold one yet. The frame's `command` is always false.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        let Some((flags, header_len, size)) = parse_v1_header(buf)? else {
            self.needed = 0;
            return Ok(None);
        };
        if let Some(max) = self.max_size {
            if size > max {
                return Err(FrameError::TooLarge { size, max });
            }
        }
        let total = usize::try_from(size)
            .ok()
            .and_then(|s| s.checked_add(header_len))
            .ok_or(FrameError::SizeOverflow { size })?;
        if buf.len() < total {
            self.needed = total;
            return Ok(None);
        }
        self.needed = 0;
        buf.advance(header_len);
        let body = buf.split_to(total - header_len).freeze();
        Ok(Some(Frame {
            more: flags & V1_FLAG_MORE != 0,
            command: false,
            body,
        }))
    }
}

/// Parses `length flags` at the front of `buf`: `(flags, header length, body size)`.
fn parse_v1_header(buf: &[u8]) -> Result<Option<(u8, usize, u64)>, FrameError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first == 0 {
        return Err(FrameError::V1ZeroLength);
    }
    if first != V1_LONG_LENGTH {
        return Ok(buf.get(1).map(|&flags| (flags, 2, u64::from(first) - 1)));
    }
    let Some(header) = buf.get(1..10) else {
        return Ok(None);
    };
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&header[..8]);
    let length = u64::from_be_bytes(raw);
    if length == 0 {
        return Err(FrameError::V1ZeroLength);
    }
    if length > i64::MAX as u64 {
        return Err(FrameError::SizeOverflow { size: length });
    }
    Ok(Some((header[8], 10, length - 1)))
}

/// Writes a ZMTP 1.0 frame header for a body of `len` bytes, in libzmq's forms: a one-byte
/// length up to [`V1_MAX_SHORT_BODY`] bytes, `FF` and 8 bytes above.
pub fn put_v1_header(dst: &mut BytesMut, more: bool, len: usize) {
    let flags = if more { V1_FLAG_MORE } else { 0 };
    if len <= V1_MAX_SHORT_BODY {
        // At most V1_MAX_SHORT_BODY (254) here, so the length byte (body + flags) fits.
        #[allow(clippy::cast_possible_truncation)]
        let short = len as u8 + 1;
        dst.extend_from_slice(&[short, flags]);
    } else {
        let mut header = [0u8; 10];
        header[0] = V1_LONG_LENGTH;
        header[1..9].copy_from_slice(&(len as u64 + 1).to_be_bytes());
        header[9] = flags;
        dst.extend_from_slice(&header);
    }
}

/// The length of a ZMTP 1.0 frame header for a body of `len` bytes.
pub const fn v1_header_len(len: usize) -> usize {
    if len <= V1_MAX_SHORT_BODY {
        2
    } else {
        10
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn decode_all(bytes: &[u8], max: Option<u64>) -> Result<Vec<Frame>, FrameError> {
        let mut buf = BytesMut::from(bytes);
        let mut d = V1Decoder::new(max);
        let mut out = Vec::new();
        while let Some(f) = d.decode(&mut buf)? {
            out.push(f);
        }
        assert!(buf.is_empty(), "trailing bytes: {buf:?}");
        Ok(out)
    }

    fn frame(more: bool, body: &'static [u8]) -> Frame {
        Frame {
            more,
            command: false,
            body: Bytes::from_static(body),
        }
    }

    #[test]
    fn reads_rfc13_short_and_long_frames() {
        // RFC 13: `04 01 "abc"` (MORE, length 1 + 3), `01 00` (an empty final frame), then the
        // long form `FF 00..00 03 00 "xy"` (length 3 in 8 bytes, flags 0).
        let mut wire = vec![0x04, 0x01, b'a', b'b', b'c', 0x01, 0x00];
        wire.extend_from_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 3, 0x00, b'x', b'y']);
        assert_eq!(
            decode_all(&wire, None).expect("valid"),
            vec![frame(true, b"abc"), frame(false, b""), frame(false, b"xy")]
        );
    }

    #[test]
    fn ignores_reserved_flag_bits_like_libzmq() {
        // libzmq's own signature read as a 1.0 identity header has flags 0x7F.
        assert_eq!(
            decode_all(&[0x02, 0x7E, b'z'], None).expect("lenient"),
            vec![frame(false, b"z")]
        );
        assert_eq!(
            decode_all(&[0x02, 0x7F, b'z'], None).expect("lenient"),
            vec![frame(true, b"z")]
        );
    }

    #[test]
    fn zero_lengths_are_refused() {
        assert_eq!(decode_all(&[0x00], None), Err(FrameError::V1ZeroLength));
        assert_eq!(
            decode_all(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x00], None),
            Err(FrameError::V1ZeroLength)
        );
    }

    #[test]
    fn size_limit_is_checked_on_the_header_alone() {
        let mut d = V1Decoder::new(Some(10));
        let mut buf = BytesMut::from(&[12u8, 0x00][..]);
        assert_eq!(
            d.decode(&mut buf),
            Err(FrameError::TooLarge { size: 11, max: 10 })
        );
        let mut buf = BytesMut::from(&[0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x00][..]);
        assert_eq!(
            d.decode(&mut buf),
            Err(FrameError::TooLarge {
                size: (1 << 62) - 1,
                max: 10
            })
        );
        let mut buf = BytesMut::from(&[0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x00][..]);
        assert_eq!(
            V1Decoder::new(None).decode(&mut buf),
            Err(FrameError::SizeOverflow {
                size: (1 << 63) + 1
            })
        );
        let mut exact = BytesMut::from(&[11u8, 0x00][..]);
        exact.extend_from_slice(&[7; 10]);
        assert!(d.decode(&mut exact).expect("at the limit").is_some());
    }

    #[test]
    fn incomplete_frames_consume_nothing() {
        let mut d = V1Decoder::new(None);
        for partial in [
            &[][..],
            &[0x05],
            &[0xFF, 0, 0, 0, 0, 0, 0, 0, 9],
            &[0x05, 0x00, 1, 2],
        ] {
            let mut buf = BytesMut::from(partial);
            assert_eq!(d.decode(&mut buf), Ok(None));
            assert_eq!(&buf[..], partial);
        }
        assert_eq!(d.bytes_needed(), 6);
    }

    #[test]
    fn writes_libzmq_length_forms() {
        let mut b = BytesMut::new();
        put_v1_header(&mut b, true, 0);
        assert_eq!(&b[..], &[0x01, 0x01]);
        b.clear();
        put_v1_header(&mut b, false, 253);
        assert_eq!(&b[..], &[0xFE, 0x00]);
        b.clear();
        put_v1_header(&mut b, true, 254);
        assert_eq!(&b[..], &[0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x01]);
        assert_eq!(v1_header_len(253), 2);
        assert_eq!(v1_header_len(254), 10);
    }

    #[test]
    fn written_frames_read_back() {
        for len in [0usize, 1, 253, 254, 255, 70_000] {
            let body = Bytes::from(vec![0xA5; len]);
            let mut wire = BytesMut::new();
            put_v1_header(&mut wire, len % 2 == 0, len);
            wire.extend_from_slice(&body);
            let f = V1Decoder::new(None)
                .decode(&mut wire)
                .expect("valid")
                .expect("complete");
            assert_eq!((f.more, f.body), (len % 2 == 0, body));
        }
    }
}

//! ZMTP 3.x framing: `flags size body`, with the MORE, LONG and COMMAND flags.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::FrameError;

/// Flag bit: more frames of this message follow.
pub const FLAG_MORE: u8 = 0x01;
/// Flag bit: the size field is 8 bytes.
pub const FLAG_LONG: u8 = 0x02;
/// Flag bit: the frame is a command.
pub const FLAG_COMMAND: u8 = 0x04;

/// Largest body that fits a short (one-byte) size field. libzmq uses the long form only above it.
pub const MAX_SHORT_SIZE: usize = 255;

/// One frame as read from the wire (the LONG flag is a detail of the encoding and not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// More frames of the same message follow.
    pub more: bool,
    /// The frame is a command, not message data.
    pub command: bool,
    /// The body, sharing the read buffer's memory (no copy).
    pub body: Bytes,
}

/// Decodes frames from a read buffer.
///
/// The size field is checked against the limit (`ZMQ_MAXMSGSIZE`) as soon as it is complete,
/// before the body is waited for, so a peer cannot make us buffer an oversized frame. Bodies are
/// split off the buffer with [`BytesMut::split_to`], so they share its memory; reuse the buffer
/// for the next read and it grows only when a body outlives it.
#[derive(Debug, Clone, Default)]
pub struct FrameDecoder {
    max_size: Option<u64>,
    needed: usize,
}

impl FrameDecoder {
    /// A decoder refusing frames larger than `max_size` bytes (`None`: no limit, libzmq's -1).
    pub fn new(max_size: Option<u64>) -> FrameDecoder {
        FrameDecoder {
            max_size,
            needed: 0,
        }
    }

    /// The frame size limit in force.
    pub fn max_size(&self) -> Option<u64> {
        self.max_size
    }

    /// How many bytes the buffer must hold to complete the frame under way (0 when unknown),
    /// a hint for sizing the next read. Bounded by the size limit, since larger sizes are refused.
    pub fn bytes_needed(&self) -> usize {
        self.needed
    }

    /// Takes one complete frame off the front of `buf`, or returns `None` (consuming nothing)
    /// if the buffer does not hold one yet.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        let Some((flags, header_len, size)) = parse_header(buf)? else {
            self.needed = 0;
            return Ok(None);
        };
        if let Some(max) = self.max_size {
            if size > max {
                return Err(FrameError::TooLarge { size, max });
            }
        }
        if flags & FLAG_COMMAND != 0 && flags & FLAG_MORE != 0 {
            return Err(FrameError::CommandWithMore { flags });
        }
        // `size` fits in 63 bits (checked in parse_header); on 64-bit targets it fits usize.
        let total = usize::try_from(size)
            .ok()
            .and_then(|s| s.checked_add(header_len))
            .ok_or(FrameError::SizeOverflow { size })?;
        if buf.len() < total {
            self.needed = total;
            return Ok(None);
        }
        self.needed = 0;
        // Header and body split off together, then the header skipped on the frozen view:
        // advancing a `Bytes` is a pointer bump, advancing the `BytesMut` a costlier update.
        let mut body = buf.split_to(total).freeze();
        body.advance(header_len);
        Ok(Some(Frame {
            more: flags & FLAG_MORE != 0,
            command: flags & FLAG_COMMAND != 0,
            body,
        }))
    }
}

/// Parses `flags size` at the front of `buf`: `(flags, header length, body size)`.
fn parse_header(buf: &[u8]) -> Result<Option<(u8, usize, u64)>, FrameError> {
    let Some(&flags) = buf.first() else {
        return Ok(None);
    };
    if flags & FLAG_LONG == 0 {
        return Ok(buf.get(1).map(|&size| (flags, 2, u64::from(size))));
    }
    let Some(size_bytes) = buf.get(1..9) else {
        return Ok(None);
    };
    let mut raw = [0u8; 8];
    raw.copy_from_slice(size_bytes);
    let size = u64::from_be_bytes(raw);
    if size > i64::MAX as u64 {
        return Err(FrameError::SizeOverflow { size });
    }
    Ok(Some((flags, 9, size)))
}

/// Writes a frame header for a body of `len` bytes: short form up to 255 bytes, long above, as
/// libzmq does. `flags` holds MORE and/or COMMAND.
pub fn put_header(dst: &mut BytesMut, flags: u8, len: usize) {
    if len <= MAX_SHORT_SIZE {
        // At most MAX_SHORT_SIZE (255) here.
        #[allow(clippy::cast_possible_truncation)]
        let short = len as u8;
        dst.extend_from_slice(&[flags, short]);
    } else {
        let mut header = [0u8; 9];
        header[0] = flags | FLAG_LONG;
        header[1..].copy_from_slice(&(len as u64).to_be_bytes());
        dst.extend_from_slice(&header);
    }
}

/// The length of a frame header for a body of `len` bytes.
pub const fn header_len(len: usize) -> usize {
    if len <= MAX_SHORT_SIZE {
        2
    } else {
        9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], max: Option<u64>) -> Result<Vec<Frame>, FrameError> {
        let mut buf = BytesMut::from(bytes);
        let mut d = FrameDecoder::new(max);
        let mut out = Vec::new();
        while let Some(f) = d.decode(&mut buf)? {
            out.push(f);
        }
        Ok(out)
    }

    #[test]
    fn short_long_empty_and_flags() {
        let mut wire = vec![0x01, 0x03, b'a', b'b', b'c', 0x00, 0x00];
        wire.extend_from_slice(&[0x06, 0, 0, 0, 0, 0, 0, 0, 0x05]);
        wire.extend_from_slice(b"\x04PING");
        let frames = decode_all(&wire, None).expect("valid");
        assert_eq!(frames.len(), 3);
        assert_eq!(
            frames[0],
            Frame {
                more: true,
                command: false,
                body: Bytes::from_static(b"abc")
            }
        );
        assert_eq!(
            frames[1],
            Frame {
                more: false,
                command: false,
                body: Bytes::new()
            }
        );
        assert_eq!(
            frames[2],
            Frame {
                more: false,
                command: true,
                body: Bytes::from_static(b"\x04PING")
            }
        );
    }

    #[test]
    fn long_size_for_small_body_is_accepted() {
        let wire = [0x02, 0, 0, 0, 0, 0, 0, 0, 1, b'x'];
        let frames = decode_all(&wire, None).expect("libzmq's decoder accepts it too");
        assert_eq!(frames[0].body, Bytes::from_static(b"x"));
    }

    #[test]
    fn incomplete_frames_consume_nothing() {
        let mut d = FrameDecoder::new(None);
        for partial in [&[][..], &[0x00], &[0x02, 0, 0, 0], &[0x00, 0x05, 1, 2]] {
            let mut buf = BytesMut::from(partial);
            assert_eq!(d.decode(&mut buf), Ok(None));
            assert_eq!(&buf[..], partial);
        }
        let mut buf = BytesMut::from(&[0x00, 0x05, 1, 2][..]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        assert_eq!(d.bytes_needed(), 7);
    }

    #[test]
    fn size_limit_is_checked_on_the_header_alone() {
        let mut d = FrameDecoder::new(Some(100));
        let mut buf = BytesMut::from(&[0x00, 101][..]);
        assert_eq!(
            d.decode(&mut buf),
            Err(FrameError::TooLarge {
                size: 101,
                max: 100
            })
        );
        let mut buf = BytesMut::from(&[0x02, 0x40, 0, 0, 0, 0, 0, 0, 0][..]);
        assert_eq!(
            d.decode(&mut buf),
            Err(FrameError::TooLarge {
                size: 1 << 62,
                max: 100
            })
        );
        let mut buf = BytesMut::from(&[0x02, 0x80, 0, 0, 0, 0, 0, 0, 0][..]);
        assert_eq!(
            FrameDecoder::new(None).decode(&mut buf),
            Err(FrameError::SizeOverflow { size: 1 << 63 })
        );
        let mut exact = BytesMut::from(&[0x00, 100][..]);
        exact.extend_from_slice(&[7; 100]);
        assert!(d.decode(&mut exact).expect("at the limit").is_some());
    }

    #[test]
    fn command_with_more_is_refused() {
        assert_eq!(
            decode_all(&[0x05, 0x00], None),
            Err(FrameError::CommandWithMore { flags: 0x05 })
        );
    }

    #[test]
    fn reserved_flag_bits_are_ignored_like_libzmq() {
        let frames = decode_all(&[0xF0, 0x01, b'z'], None).expect("lenient");
        assert!(!frames[0].more && !frames[0].command);
    }

    #[test]
    fn bodies_share_the_read_buffer() {
        let mut buf = BytesMut::with_capacity(4096);
        buf.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 0, 4, 0]);
        buf.extend_from_slice(&[9u8; 1024]);
        let base = buf.as_ptr() as usize;
        let frame = FrameDecoder::new(None)
            .decode(&mut buf)
            .expect("ok")
            .expect("frame");
        assert_eq!(
            frame.body.as_ptr() as usize,
            base + 9,
            "body is a view, not a copy"
        );
    }

    #[test]
    fn headers_use_libzmq_size_forms() {
        let mut b = BytesMut::new();
        put_header(&mut b, FLAG_MORE, 255);
        assert_eq!(&b[..], &[0x01, 0xFF]);
        b.clear();
        put_header(&mut b, FLAG_COMMAND, 256);
        assert_eq!(&b[..], &[0x06, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(header_len(255), 2);
        assert_eq!(header_len(256), 9);
    }
}

//! libzmq's framing of ØMQ messages inside PGM data (its `pgm_sender` and `pgm_receiver`).
//!
//! Each APDU libzmq sends (one ODATA, never above the maximum TSDU, so never fragmented) is:
//!
//! ```text
//! | offset (u16, big-endian) | frames in ZMTP 1.0 framing, the first possibly the tail of a
//!                              frame begun in an earlier APDU, the last possibly cut short |
//! ```
//!
//! The frames are libzmq's v1 encoding: a length byte counting the flags byte and the body
//! (`0xff` followed by a 64-bit length when that count is 255 or more), a flags byte (bit 0:
//! MORE), the body. The offset says where, after the two offset bytes, the first frame that
//! begins a new message (not a continuation of a multipart one) starts, or `0xffff` when
//! none starts in this APDU; a receiver that joins mid-stream, or that lost data, skips to it
//! and decodes from there.
//!
//! libzmq fills each APDU as full as it can, so frames straddle APDUs. It sets the offset at
//! the first point, after finishing any frame left from the previous APDU, where the last
//! frame loaded had no MORE flag: when that happens with nothing more queued, the offset is
//! the end of the data (a late joiner then starts with the next APDU). [`ApduEncoder`]
//! reproduces this exactly.

use std::collections::VecDeque;

use bytes::{BufMut, Bytes, BytesMut};

/// Offset value meaning "no message starts in this APDU".
pub const NO_OFFSET: u16 = 0xffff;

/// One frame of a message: its body and whether more frames of the same message follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The frame's body.
    pub data: Bytes,
    /// The MORE flag.
    pub more: bool,
}

/// The v1 header of a frame of `len` body bytes with the MORE flag `more`.
fn v1_header(len: usize, more: bool) -> ([u8; 10], usize) {
    let size = len as u64 + 1;
    let mut h = [0u8; 10];
    if size < 255 {
        h[0] = u8::try_from(size).unwrap_or(u8::MAX);
        h[1] = u8::from(more);
        (h, 2)
    } else {
        h[0] = 0xff;
        h[1..9].copy_from_slice(&size.to_be_bytes());
        h[9] = u8::from(more);
        (h, 10)
    }
}

/// Cuts queued messages into APDUs as libzmq's `pgm_sender` does.
#[derive(Debug)]
pub struct ApduEncoder {
    apdu_size: usize,
    queue: VecDeque<Frame>,
    queued_bytes: usize,
    /// The frame being written: its header and body, and how much of both is out.
    current: Option<(Vec<u8>, Bytes, usize)>,
    /// The MORE flag of the last frame loaded (libzmq's `more_flag`).
    more_flag: bool,
}

impl ApduEncoder {
    /// An encoder making APDUs of at most `apdu_size` bytes (the maximum TSDU), taken
    /// between 3 and 65,535 (a TSDU's length is 16 bits, and so is the offset).
    pub fn new(apdu_size: usize) -> Self {
        ApduEncoder {
            apdu_size: apdu_size.clamp(3, usize::from(u16::MAX)),
            queue: VecDeque::new(),
            queued_bytes: 0,
            current: None,
            more_flag: false,
        }
    }

    /// Queues a message (its frames, MORE set on all but the last). An empty slice queues
    /// nothing.
    pub fn push_message(&mut self, parts: &[Bytes]) {
        let n = parts.len();
        for (i, p) in parts.iter().enumerate() {
            self.queued_bytes += p.len() + 10;
            self.queue.push_back(Frame {
                data: p.clone(),
                more: i + 1 < n,
            });
        }
    }

    /// Queues one frame.
    pub fn push_frame(&mut self, frame: Frame) {
        self.queued_bytes += frame.data.len() + 10;
        self.queue.push_back(frame);
    }

    /// Bytes queued and not yet cut into APDUs (bodies plus at most 10 bytes of header each).
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes
            + self
                .current
                .as_ref()
                .map_or(0, |(h, b, done)| h.len() + b.len() - done)
    }

    /// Nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty() && self.current.is_none()
    }

    /// Writes as much of the current frame as fits in `room`; returns the bytes written.
    fn write_current(&mut self, out: &mut BytesMut, room: usize) -> usize {
        let Some((head, body, done)) = self.current.as_mut() else {
            return 0;
        };
        let total = head.len() + body.len();
        let n = (total - *done).min(room);
        let mut written = 0;
        while written < n {
            let at = *done + written;
            if at < head.len() {
                let k = (head.len() - at).min(n - written);
                out.put_slice(&head[at..at + k]);
                written += k;
            } else {
                let b = at - head.len();
                let k = (body.len() - b).min(n - written);
                out.put_slice(&body[b..b + k]);
                written += k;
            }
        }
        *done += n;
        if *done == total {
            self.current = None;
        }
        n
    }

    /// The next APDU, or `None` when nothing is queued.
    pub fn next_apdu(&mut self) -> Option<Bytes> {
        let cap = self.apdu_size - 2;
        let mut out = BytesMut::with_capacity(self.apdu_size.min(2 + self.queued_bytes() + 2));
        out.put_u16(NO_OFFSET);
        let mut offset = NO_OFFSET;
        let mut bytes = self.write_current(&mut out, cap);
        while bytes < cap {
            if !self.more_flag && offset == NO_OFFSET {
                // Within the APDU, whose capacity is a u16.
                offset = u16::try_from(bytes).unwrap_or(NO_OFFSET);
            }
            let Some(frame) = self.queue.pop_front() else {
                break;
            };
            self.queued_bytes -= frame.data.len() + 10;
            self.more_flag = frame.more;
            let (h, hl) = v1_header(frame.data.len(), frame.more);
            self.current = Some((h[..hl].to_vec(), frame.data, 0));
            bytes += self.write_current(&mut out, cap - bytes);
        }
        if bytes == 0 {
            return None;
        }
        out[0..2].copy_from_slice(&offset.to_be_bytes());
        Some(out.freeze())
    }
}

/// Why an APDU was not (fully) decoded. After any of these the decoder is no longer joined:
/// it waits for an APDU with an offset, as libzmq's receiver does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// Fewer than two bytes: no offset (libzmq asserts on this).
    #[error("APDU shorter than its offset field")]
    NoOffset,
    /// The offset points past the APDU's end (libzmq asserts on this).
    #[error("offset {offset} beyond the {len} bytes of the APDU")]
    OffsetOutOfRange {
        /// The offset.
        offset: u16,
        /// The data bytes after the offset field.
        len: usize,
    },
    /// A frame length of zero (it must count the flags byte).
    #[error("frame length of zero")]
    ZeroLength,
    /// A frame longer than the limit (`ZMQ_MAXMSGSIZE`).
    #[error("frame of {0} bytes above the size limit")]
    TooLarge(u64),
}

/// What the decoder is reading.
#[derive(Debug)]
enum Stage {
    /// The length byte, or the eight bytes after `0xff` (collected in `head`).
    Length,
    /// The flags byte of a frame of `size - 1` body bytes.
    Flags(u64),
    /// The body: `remaining` bytes still to come.
    Body { remaining: u64, more: bool },
}

/// Decodes libzmq's APDUs of one source into messages: joins at the first APDU with an
/// offset, then decodes frames across APDUs. Give it the APDUs in order; on loss call
/// [`ApduDecoder::reset`] (as libzmq drops its decoder and rejoins).
///
/// Only whole messages come out: the frames of a message cut by loss or an error are
/// dropped. Memory grows only with bytes actually fed, and is capped by `max_frame`.
#[derive(Debug)]
pub struct ApduDecoder {
    max_frame: Option<u64>,
    joined: bool,
    stage: Stage,
    head: Vec<u8>,
    body: BytesMut,
    parts: Vec<Bytes>,
}

impl ApduDecoder {
    /// A decoder refusing frames above `max_frame` bytes (`ZMQ_MAXMSGSIZE`, `None` for no
    /// limit).
    pub fn new(max_frame: Option<u64>) -> Self {
        ApduDecoder {
            max_frame,
            joined: false,
            stage: Stage::Length,
            head: Vec::new(),
            body: BytesMut::new(),
            parts: Vec::new(),
        }
    }

    /// Whether the decoder found a message start since it was made or reset.
    pub fn is_joined(&self) -> bool {
        self.joined
    }

    /// Forgets everything partial and waits for the next APDU with an offset.
    pub fn reset(&mut self) {
        self.joined = false;
        self.stage = Stage::Length;
        self.head.clear();
        self.body = BytesMut::new();
        self.parts.clear();
    }

    /// Decodes one APDU, appending whole messages to `out`. On error the decoder resets and
    /// the rest of the APDU is dropped (messages completed before the error stay in `out`).
    pub fn feed(&mut self, apdu: &[u8], out: &mut Vec<Vec<Bytes>>) -> Result<(), FramingError> {
        if apdu.len() < 2 {
            self.reset();
            return Err(FramingError::NoOffset);
        }
        let offset = u16::from_be_bytes([apdu[0], apdu[1]]);
        let mut data = &apdu[2..];
        if !self.joined {
            if offset == NO_OFFSET {
                return Ok(());
            }
            if usize::from(offset) > data.len() {
                return Err(FramingError::OffsetOutOfRange {
                    offset,
                    len: data.len(),
                });
            }
            data = &data[usize::from(offset)..];
            self.joined = true;
        }
        let r = self.decode(data, out);
        if r.is_err() {
            self.reset();
        }
        r
    }

    fn decode(&mut self, mut data: &[u8], out: &mut Vec<Vec<Bytes>>) -> Result<(), FramingError> {
        while !data.is_empty() {
            match self.stage {
                Stage::Length => {
                    if self.head.is_empty() && data[0] != 0xff {
                        let size = u64::from(data[0]);
                        data = &data[1..];
                        self.sized(size)?;
                    } else {
                        let want = 9 - self.head.len();
                        let k = want.min(data.len());
                        self.head.extend_from_slice(&data[..k]);
                        data = &data[k..];
                        if self.head.len() == 9 {
                            let mut b = [0u8; 8];
                            b.copy_from_slice(&self.head[1..9]);
                            self.head.clear();
                            self.sized(u64::from_be_bytes(b))?;
                        }
                    }
                }
                Stage::Flags(size) => {
                    let more = data[0] & 1 != 0;
                    data = &data[1..];
                    self.stage = Stage::Body {
                        remaining: size - 1,
                        more,
                    };
                    self.body = BytesMut::new();
                    if size == 1 {
                        self.finish_frame(more, out);
                    }
                }
                Stage::Body { remaining, more } => {
                    let k = usize::try_from(remaining).map_or(data.len(), |r| r.min(data.len()));
                    self.body.extend_from_slice(&data[..k]);
                    data = &data[k..];
                    let left = remaining - k as u64;
                    if left == 0 {
                        self.finish_frame(more, out);
                    } else {
                        self.stage = Stage::Body {
                            remaining: left,
                            more,
                        };
                    }
                }
            }
        }
        Ok(())
    }

    fn sized(&mut self, size: u64) -> Result<(), FramingError> {
        if size == 0 {
            return Err(FramingError::ZeroLength);
        }
        if let Some(max) = self.max_frame {
            if size - 1 > max {
                return Err(FramingError::TooLarge(size - 1));
            }
        }
        self.stage = Stage::Flags(size);
        Ok(())
    }

    fn finish_frame(&mut self, more: bool, out: &mut Vec<Vec<Bytes>>) {
        let body = std::mem::take(&mut self.body).freeze();
        self.parts.push(body);
        self.stage = Stage::Length;
        if !more {
            out.push(std::mem::take(&mut self.parts));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn b(s: &[u8]) -> Bytes {
        Bytes::copy_from_slice(s)
    }

    #[test]
    fn v1_headers() {
        assert_eq!(&v1_header(5, false).0[..2], &[6, 0]);
        assert_eq!(&v1_header(9, true).0[..2], &[10, 1]);
        assert_eq!(&v1_header(253, false).0[..2], &[254, 0]);
        let (h, n) = v1_header(254, false);
        assert_eq!(&h[..n], &[0xff, 0, 0, 0, 0, 0, 0, 0, 255, 0]);
    }

    #[test]
    fn one_message_per_apdu_has_offset_zero() {
        let mut e = ApduEncoder::new(100);
        e.push_message(&[b(b"hello")]);
        assert_eq!(&e.next_apdu().unwrap()[..], b"\x00\x00\x06\x00hello");
        assert!(e.next_apdu().is_none());
    }

    #[test]
    fn decoder_skips_apdus_without_a_start_until_joined() {
        let mut d = ApduDecoder::new(None);
        let mut out = Vec::new();
        d.feed(b"\xff\xffxyz", &mut out).unwrap();
        assert!(out.is_empty() && !d.is_joined());
        d.feed(b"\x00\x02yz\x02\x00a", &mut out).unwrap();
        assert_eq!(out, vec![vec![b(b"a")]]);
    }
}

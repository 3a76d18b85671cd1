//! [`SendBuffer`]: everything a connection has to transmit, batched for as few writes as possible.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::command::Command;
use crate::frame::{header_len, put_header, FLAG_COMMAND, FLAG_MORE};
use crate::legacy::{put_v1_header, v1_header_len};
use crate::message::Message;

/// Bodies at least this large are not copied: they are queued as their own chunk, by reference,
/// and go out in a vectored write beside the headers.
pub const ZERO_COPY_THRESHOLD: usize = 8 * 1024;

/// Encoded bytes waiting to be written, as a [`Buf`].
///
/// Frames are encoded back to back into one growing buffer, so any number of small messages go
/// out in one `write`. A body of [`ZERO_COPY_THRESHOLD`] bytes or more is not copied: the bytes
/// encoded so far are frozen into a chunk, the body is queued as the next chunk (a reference
/// count, not a copy), and encoding continues in the buffer. [`Buf::chunks_vectored`] hands all
/// chunks to a vectored write.
#[derive(Debug, Default)]
pub struct SendBuffer {
    chunks: VecDeque<Bytes>,
    chunked_len: usize,
    tail: BytesMut,
}

impl SendBuffer {
    /// An empty buffer.
    pub fn new() -> SendBuffer {
        SendBuffer::default()
    }

    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.chunked_len + self.tail.len()
    }

    /// Whether nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends raw bytes (greeting stages).
    pub fn put_raw(&mut self, bytes: &[u8]) {
        self.tail.extend_from_slice(bytes);
    }

    /// Appends bytes as they are, with no framing (a raw peer's data): by reference when they
    /// are [`ZERO_COPY_THRESHOLD`] bytes or more, copied otherwise.
    pub fn put_bytes(&mut self, bytes: &Bytes) {
        if bytes.len() >= ZERO_COPY_THRESHOLD {
            self.push_chunk(bytes.clone());
        } else {
            self.tail.extend_from_slice(bytes);
        }
    }

    /// Encodes one frame. `more` and `command` set the flags.
    pub fn put_frame(&mut self, more: bool, command: bool, body: &Bytes) {
        let flags = if more { FLAG_MORE } else { 0 } | if command { FLAG_COMMAND } else { 0 };
        if body.len() >= ZERO_COPY_THRESHOLD {
            put_header(&mut self.tail, flags, body.len());
            self.push_chunk(body.clone());
        } else {
            self.tail.reserve(header_len(body.len()) + body.len());
            put_header(&mut self.tail, flags, body.len());
            self.tail.put_slice(body);
        }
    }

    /// Encodes every frame of a message, MORE on all but the last.
    pub fn put_message(&mut self, msg: &Message) {
        if let [only] = msg.frames() {
            // The common case: one frame, no MORE flag, no loop.
            self.put_frame(false, false, only);
            return;
        }
        let last = msg.len().saturating_sub(1);
        for (i, frame) in msg.iter().enumerate() {
            self.put_frame(i < last, false, frame);
        }
    }

    /// Encodes one frame in ZMTP 1.0 framing (`length flags body`), for a legacy peer.
    pub fn put_frame_v1(&mut self, more: bool, body: &Bytes) {
        if body.len() >= ZERO_COPY_THRESHOLD {
            put_v1_header(&mut self.tail, more, body.len());
            self.push_chunk(body.clone());
        } else {
            self.tail.reserve(v1_header_len(body.len()) + body.len());
            put_v1_header(&mut self.tail, more, body.len());
            self.tail.put_slice(body);
        }
    }

    /// Encodes every frame of a message in ZMTP 1.0 framing, MORE on all but the last.
    pub fn put_message_v1(&mut self, msg: &Message) {
        let last = msg.len().saturating_sub(1);
        for (i, frame) in msg.iter().enumerate() {
            self.put_frame_v1(i < last, frame);
        }
    }

    /// Encodes a command frame.
    pub fn put_command(&mut self, cmd: &Command) {
        let len = cmd.body_len();
        self.tail.reserve(header_len(len) + len);
        put_header(&mut self.tail, FLAG_COMMAND, len);
        cmd.encode_body(&mut self.tail);
    }

    /// The buffer frames are encoded into, for mechanisms that write whole frames themselves
    /// (CURVE and GSSAPI seal each frame into a MESSAGE command here, with no extra copy).
    pub fn tail_mut(&mut self) -> &mut BytesMut {
        &mut self.tail
    }

    fn push_chunk(&mut self, body: Bytes) {
        if !self.tail.is_empty() {
            let head = self.tail.split().freeze();
            self.chunked_len += head.len();
            self.chunks.push_back(head);
        }
        self.chunked_len += body.len();
        self.chunks.push_back(body);
    }
}

impl Buf for SendBuffer {
    fn remaining(&self) -> usize {
        self.len()
    }

    fn chunk(&self) -> &[u8] {
        match self.chunks.front() {
            Some(c) => c,
            None => &self.tail,
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for chunk in &self.chunks {
            if n == dst.len() {
                return n;
            }
            dst[n] = IoSlice::new(chunk);
            n += 1;
        }
        if n < dst.len() && !self.tail.is_empty() {
            dst[n] = IoSlice::new(&self.tail);
            n += 1;
        }
        n
    }

    fn advance(&mut self, mut cnt: usize) {
        while cnt > 0 {
            let Some(front) = self.chunks.front_mut() else {
                self.tail.advance(cnt);
                if self.tail.is_empty() {
                    self.tail.clear();
                }
                return;
            };
            let step = cnt.min(front.len());
            front.advance(step);
            self.chunked_len -= step;
            cnt -= step;
            if front.is_empty() {
                self.chunks.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(buf: &mut SendBuffer) -> Vec<u8> {
        let mut out = Vec::new();
        while buf.has_remaining() {
            let c = buf.chunk();
            let n = c.len().min(7); // odd step sizes exercise partial advances
            out.extend_from_slice(&c[..n]);
            buf.advance(n);
        }
        out
    }

    #[test]
    fn batches_small_frames_into_one_chunk() {
        let mut b = SendBuffer::new();
        for _ in 0..100 {
            b.put_message(&Message::from(["ab", "c"]));
        }
        let mut slices = [IoSlice::new(&[]); 8];
        assert_eq!(b.chunks_vectored(&mut slices), 1);
        assert_eq!(b.len(), 100 * 7);
        let bytes = drain(&mut b);
        assert_eq!(&bytes[..7], b"\x01\x02ab\x00\x01c");
        assert!(b.is_empty());
    }

    #[test]
    fn large_bodies_are_referenced_not_copied() {
        let body = Bytes::from(vec![5u8; 64 * 1024]);
        let mut b = SendBuffer::new();
        b.put_message(&Message::from(["hdr"]));
        b.put_frame(false, false, &body);
        b.put_message(&Message::from(["after"]));
        let mut slices = [IoSlice::new(&[]); 8];
        let n = b.chunks_vectored(&mut slices);
        assert_eq!(n, 3);
        assert_eq!(
            slices[1].as_ptr(),
            body.as_ptr(),
            "the 64 KiB body is the caller's memory"
        );
        assert_eq!(b.len(), 5 + 9 + 65536 + 7);
        let bytes = drain(&mut b);
        assert_eq!(&bytes[..5], b"\x00\x03hdr");
        assert_eq!(&bytes[5..14], &[0x02, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(&bytes[bytes.len() - 7..], b"\x00\x05after");
    }

    #[test]
    fn vectored_respects_the_slice_count() {
        let body = Bytes::from(vec![1u8; ZERO_COPY_THRESHOLD]);
        let mut b = SendBuffer::new();
        for _ in 0..4 {
            b.put_frame(false, false, &body);
        }
        let mut two = [IoSlice::new(&[]); 2];
        assert_eq!(b.chunks_vectored(&mut two), 2);
        let mut many = [IoSlice::new(&[]); 16];
        assert_eq!(b.chunks_vectored(&mut many), 8);
    }

    #[test]
    fn v1_frames_use_rfc13_lengths() {
        let mut b = SendBuffer::new();
        b.put_message_v1(&Message::from(["ab", "c"]));
        assert_eq!(drain(&mut b), b"\x03\x01ab\x02\x00c");
        let body = Bytes::from(vec![5u8; ZERO_COPY_THRESHOLD]);
        b.put_frame_v1(false, &body);
        let mut slices = [IoSlice::new(&[]); 4];
        assert_eq!(b.chunks_vectored(&mut slices), 2);
        assert_eq!(
            slices[1].as_ptr(),
            body.as_ptr(),
            "large bodies by reference"
        );
        let bytes = drain(&mut b);
        let mut header = vec![0xFF];
        header.extend_from_slice(&(ZERO_COPY_THRESHOLD as u64 + 1).to_be_bytes());
        header.push(0x00);
        assert_eq!(&bytes[..10], &header[..]);
        assert_eq!(bytes.len(), 10 + ZERO_COPY_THRESHOLD);
    }

    #[test]
    fn commands_use_the_command_flag() {
        let mut b = SendBuffer::new();
        b.put_command(&Command::Ping {
            ttl: 0,
            context: Bytes::new(),
        });
        assert_eq!(drain(&mut b), b"\x04\x07\x04PING\x00\x00");
    }
}

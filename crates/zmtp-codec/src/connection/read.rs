//! Reading: the receive buffer a driver reads into, and the frames decoded from it, handed to
//! the stage the connection is in.

use super::{Connection, Job, LegacyPeer, State, MAX_READ, READ_CHUNK};
use crate::error::{ConnectionError, FrameError};
use crate::frame::Frame;
use crate::greeting::LegacyVersion;
use crate::mechanism::RecordLayer;
use crate::message::Message;
use bytes::{Buf, Bytes, BytesMut};
use std::time::Instant;

impl Connection {
    /// The read buffer, with free space for the next read: [`INITIAL_READ_CHUNK`](super::INITIAL_READ_CHUNK) bytes until a
    /// read fills it, then [`READ_CHUNK`], more when a large frame is under way. Read
    /// transport bytes into it, then call [`Connection::handle_input`].
    ///
    /// A frame larger than [`READ_CHUNK`] that is under way holds at most its own size in the
    /// buffer, plus the buffer it started in: the buffer grows towards the frame's size
    /// (geometrically, so that its bytes are copied a bounded number of times, and in place
    /// where the allocator can), never past it, and is not grown again once the rest of the
    /// frame fits.
    pub fn recv_buf(&mut self) -> &mut BytesMut {
        let needed = if self.legacy == Some(LegacyVersion::V1) {
            self.v1_decoder.bytes_needed()
        } else {
            self.decoder.bytes_needed()
        };
        let len = self.recv.len();
        let free = self.recv.capacity() - len;
        let rest = needed.saturating_sub(len);
        let want = rest.clamp(self.read_chunk, MAX_READ);
        if needed > self.read_chunk {
            // A long frame under way: the buffer holds its start. Once the rest fits, the next
            // read completes it where it is (making room now would copy the whole frame for
            // its last bytes).
            if rest > free && free < want / 2 {
                self.grow_for_frame(needed, want);
            }
        } else if free < want / 2 {
            self.make_room(want);
        }
        &mut self.recv
    }

    /// Gives up the read buffer, for a driver whose read would block, when the connection holds
    /// nothing in it (no partial frame) and has not carried traffic (no read has filled its
    /// [`INITIAL_READ_CHUNK`](super::INITIAL_READ_CHUNK) buffer): so an idle connection holds
    /// no read buffer. The spare buffers go too. Returns the buffer, empty but possibly still
    /// shared with messages read into it, for the driver to hand to this connection or
    /// another ([`Connection::install_recv_buf`]) once it has room again; without one, the next
    /// [`Connection::recv_buf`] makes one. A connection that carries traffic keeps its buffers,
    /// so that its reads allocate nothing.
    pub fn release_recv_buf(&mut self) -> Option<BytesMut> {
        if !self.recv.is_empty() || self.recv.capacity() == 0 || self.read_chunk >= READ_CHUNK {
            return None;
        }
        self.spare_recv = Default::default();
        Some(std::mem::take(&mut self.recv))
    }

    /// Whether the connection has room to read into without making a buffer: false after
    /// [`Connection::release_recv_buf`], until [`Connection::recv_buf`] or
    /// [`Connection::install_recv_buf`]. A driver then reads into space of its own (the next
    /// read of an idle connection is usually small) and hands the bytes over with
    /// [`Connection::feed`], after [`Connection::install_recv_buf`] or [`Connection::recv_buf`].
    pub fn holds_recv_buf(&self) -> bool {
        self.recv.capacity() != 0
    }

    /// Gives the connection `buf` (emptied) to read into, in place of the one it gave up with
    /// [`Connection::release_recv_buf`]. Does nothing while it holds one.
    pub fn install_recv_buf(&mut self, mut buf: BytesMut) {
        if self.recv.capacity() == 0 && self.recv.is_empty() {
            buf.clear();
            self.recv = buf;
        }
    }

    /// Makes room for the rest of a long frame whose start is the whole content of the buffer:
    /// at least `want` bytes more, or as many as arrived (doubling), but never more than the
    /// frame's `needed` bytes in all. A spare buffer that large and free again takes the
    /// partial frame (the buffer becomes a spare); otherwise the buffer grows, in place when
    /// nothing decoded from it is alive (`realloc`, which moves a large block without copying
    /// it), else into a buffer of the frame's own (the old one is left to the messages read into
    /// it, and not kept: it holds the frame's first bytes). Either way no other copy of the
    /// frame's bytes is held.
    pub(super) fn grow_for_frame(&mut self, needed: usize, want: usize) {
        let len = self.recv.len();
        let target = needed.min(len + want.max(len));
        if std::mem::take(&mut self.read_chunk_grew) {
            self.spare_recv = Default::default();
        }
        if let Some(i) = self
            .spare_recv
            .iter_mut()
            .position(|b| b.try_reclaim(target))
        {
            let mut next = std::mem::take(&mut self.spare_recv[i]);
            next.extend_from_slice(&self.recv);
            let mut old = std::mem::replace(&mut self.recv, next);
            old.clear();
            self.spare_recv[i] = old;
            return;
        }
        // Moves the bytes to the front of the allocation if the buffer is the only user of it,
        // copies them out otherwise.
        let mut grown = Vec::from(std::mem::take(&mut self.recv));
        grown.reserve_exact(target - grown.len());
        // Back to a `BytesMut` through a `Bytes`: neither step copies a unique buffer.
        self.recv = BytesMut::from(Bytes::from(grown));
    }

    /// Makes at least `want / 2` bytes of free space for the next read (`want` when it has to
    /// allocate), without allocating when it can: in the buffer itself once every body decoded
    /// from it has been dropped, else in a spare buffer in that state (the partial frame moves
    /// along), else in a fresh buffer, the old one kept as a spare. When the read size has just
    /// grown, a fresh buffer of the new size, and the smaller ones go.
    pub(super) fn make_room(&mut self, want: usize) {
        let need = want / 2;
        if self.recv.capacity() == 0 && self.recv.is_empty() {
            // No buffer (released, or never made): a fresh one of the read size.
            if std::mem::take(&mut self.read_chunk_grew) {
                self.spare_recv = Default::default();
            }
            self.recv = BytesMut::with_capacity(want);
            return;
        }
        let grew = std::mem::take(&mut self.read_chunk_grew);
        if grew {
            // Buffers of the smaller size are of no more use.
            self.spare_recv = Default::default();
        } else if self.recv.try_reclaim(need) {
            return;
        }
        let partial = self.recv.len();
        // A whole spare when it is large enough (asking for less would reclaim only that much of
        // it, and the next read would retire it again).
        let ask = want.max(partial + need);
        let reusable = self.spare_recv.iter_mut().position(|b| b.try_reclaim(ask));
        let mut next = match reusable {
            Some(i) => std::mem::take(&mut self.spare_recv[i]),
            None => BytesMut::with_capacity((partial + want).max(self.read_chunk)),
        };
        next.extend_from_slice(&self.recv);
        let mut old = std::mem::replace(&mut self.recv, next);
        if grew {
            return;
        }
        old.clear();
        // Keep the old buffer in an empty slot, else in place of the smallest spare.
        let slot = self
            .spare_recv
            .iter()
            .enumerate()
            .min_by_key(|(_, b)| (b.capacity() != 0, b.capacity()))
            .map(|(i, _)| i);
        if let Some(i) = slot {
            self.spare_recv[i] = old;
        }
    }

    /// Appends `data` to the read buffer and processes it (for tests and fuzzing, and for
    /// drivers that read an idle connection into space of their own, see
    /// [`Connection::holds_recv_buf`]; otherwise drivers read into [`Connection::recv_buf`] to
    /// avoid the copy).
    pub fn feed(&mut self, now: Instant, data: &[u8]) {
        if !self.holds_recv_buf() {
            self.make_room(self.read_chunk);
        }
        self.recv.extend_from_slice(data);
        self.handle_input(now);
    }

    /// Processes everything in the read buffer: greeting stages, handshake commands, frames.
    pub fn handle_input(&mut self, now: Instant) {
        if !self.recv.is_empty()
            && self.recv.len() == self.recv.capacity()
            && self.read_chunk < READ_CHUNK
        {
            // The read filled the buffer: traffic, so offer full-size reads from now on.
            self.read_chunk = READ_CHUNK;
            self.read_chunk_grew = true;
        }
        match &mut self.state {
            State::Closed { .. } => {
                self.recv.clear();
                return;
            }
            State::Active(a) if self.recv.len() > self.unprocessed => {
                // New traffic proves the peer alive (libzmq cancels both timers on inbound data).
                a.ping_timeout = None;
                a.ttl_deadline = None;
            }
            _ => {}
        }
        if let Err(e) = self.process(now) {
            self.close(e);
        }
        self.unprocessed = self.recv.len();
    }

    /// The peer closed its end of the transport (a read returned 0 bytes). Ends the connection
    /// with [`ConnectionError::PeerClosed`]; a partial message in the buffer is discarded.
    pub fn handle_eof(&mut self) {
        if !self.is_closed() {
            let during_handshake = !self.is_ready();
            self.close(ConnectionError::PeerClosed { during_handshake });
        }
    }

    pub(super) fn process(&mut self, now: Instant) -> Result<(), ConnectionError> {
        if matches!(self.state, State::Greeting(_)) {
            self.process_greeting(now)?;
        }
        if let State::LegacySocketType(version) = self.state {
            let Some(&raw) = self.recv.first() else {
                return Ok(());
            };
            self.recv.advance(1);
            // Our identity frame, in the peer's framing.
            let identity = Message::single(self.config.routing_id.clone());
            self.put_message(&identity);
            self.state = State::LegacyIdentity(LegacyPeer {
                version,
                socket_type: Some(raw),
            });
        }
        loop {
            match &self.state {
                State::Active(a) => {
                    let sealed = matches!(a.record, RecordLayer::Sealed(_));
                    return self.active_frames(now, sealed);
                }
                // Frames wait in the buffer until the ZAP verdict, or the output of the
                // mechanism's blocking job, is in.
                State::Handshake(h) if h.zap_pending || !matches!(h.job, Job::None) => {
                    return Ok(());
                }
                State::Handshake(_) => {
                    let Some(frame) = self.next_frame()? else {
                        return Ok(());
                    };
                    self.handshake_frame(frame, now)?;
                }
                &State::LegacyIdentity(peer) => {
                    let Some(frame) = self.next_frame()? else {
                        return Ok(());
                    };
                    self.legacy_identity(peer, frame);
                }
                State::Greeting(_) | State::LegacySocketType(_) | State::Closed { .. } => {
                    return Ok(());
                }
            }
        }
    }

    /// Every whole frame in the buffer, once ready (`sealed`: the record layer opens each).
    /// Nothing a frame does leaves this stage but an error, which ends the loop: the state is
    /// looked at once a read, not once a frame.
    fn active_frames(&mut self, now: Instant, sealed: bool) -> Result<(), ConnectionError> {
        if self.legacy.is_some() {
            while let Some(frame) = self.next_frame()? {
                self.message_frame(frame)?;
            }
            return Ok(());
        }
        // ZMTP 3.x framing: the decoder directly (not through `next_frame`, whose call here was
        // not inlined and cost about 6 instructions a message).
        while let Some(frame) = self.decoder.decode(&mut self.recv)? {
            let frame = if sealed {
                self.open_frame(frame)?
            } else {
                frame
            };
            self.active_frame(frame, now)?;
        }
        Ok(())
    }

    /// The next frame in the peer's framing, if the buffer holds a whole one.
    #[inline]
    pub(super) fn next_frame(&mut self) -> Result<Option<Frame>, ConnectionError> {
        match self.legacy {
            None => Ok(self.decoder.decode(&mut self.recv)?),
            Some(LegacyVersion::V1) => Ok(self.v1_decoder.decode(&mut self.recv)?),
            Some(LegacyVersion::V2) => match self.decoder.decode(&mut self.recv)? {
                Some(frame) if frame.command => Err(FrameError::CommandInZmtp2.into()),
                other => Ok(other),
            },
        }
    }
}

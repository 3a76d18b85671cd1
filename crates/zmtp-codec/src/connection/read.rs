//! Reading: the receive buffer a driver reads into, and the frames decoded from it, handed to
//! the stage the connection is in.

use super::{
    Connection, Job, LegacyPeer, State, INITIAL_READ_CHUNK, LONG_READ_BUFFERS, MAX_READ,
    READ_CHUNK, SPARE_READ_BUFFERS,
};
use crate::error::{ConnectionError, FrameError};
use crate::frame::Frame;
use crate::greeting::LegacyVersion;
use crate::mechanism::RecordLayer;
use crate::message::Message;
use bytes::{Buf, Bytes, BytesMut};
use std::time::Instant;

impl Connection {
    /// The read buffer, with free space for the next read: [`INITIAL_READ_CHUNK`] bytes until a
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
        } else if free < want / 2 && !(self.recv_long && rest <= free) {
            // (A long frame's buffer reads the next frame's header into the room it left for
            // it: a long frame moves on to a buffer of its own with those bytes only.)
            self.make_room(want);
        }
        &mut self.recv
    }

    /// Gives up the read buffer, for a driver whose read would block, when the connection holds
    /// nothing in it (no partial frame) and has not carried traffic (no read has filled its
    /// [`INITIAL_READ_CHUNK`] buffer): so an idle connection holds
    /// no read buffer. The spare buffers go too. Returns the buffer, empty but possibly still
    /// shared with messages read into it, for the driver to hand to this connection or
    /// another ([`Connection::install_recv_buf`]) once it has room again; without one, the next
    /// [`Connection::recv_buf`] makes one. A connection that carries traffic keeps its buffers,
    /// so that its reads allocate nothing.
    pub fn release_recv_buf(&mut self) -> Option<BytesMut> {
        if !self.recv.is_empty() || self.recv.capacity() == 0 || self.read_chunk >= READ_CHUNK {
            return None;
        }
        self.spare_recv = Vec::new();
        self.long_recv = Vec::new();
        self.recv_long = false;
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
            let old = std::mem::replace(&mut self.recv, buf);
            // A long frame's buffer that the frame ended exactly is kept for the next ones.
            if self.recv_long {
                self.keep(old);
            }
            self.recv_long = false;
        }
    }

    /// Makes room for the rest of a long frame whose start is the whole content of the buffer:
    /// at least `want` bytes more, or as many as arrived (doubling), but never more than the
    /// frame's `needed` bytes in all, and then [`INITIAL_READ_CHUNK`] more for the start of
    /// the next frame (so that the next frame starts in this buffer, and moves on with only
    /// those few bytes if it is long too). A kept long frame's buffer free
    /// again takes the partial frame. Otherwise a buffer already grown for this frame (nothing
    /// decoded from it yet) grows in place (`realloc`, which moves a large block without
    /// copying it), and one the frame started in, which earlier messages may still use, is kept
    /// while the frame gets a buffer of its own. Either way the frame's bytes are held once,
    /// and a buffer that only this frame used is never kept beside its grown copy.
    pub(super) fn grow_for_frame(&mut self, needed: usize, want: usize) {
        let len = self.recv.len();
        let target = match len + want.max(len) {
            grown if grown >= needed => needed + INITIAL_READ_CHUNK,
            grown => grown,
        };
        if std::mem::take(&mut self.read_chunk_grew) {
            self.spare_recv.clear();
        }
        // The same frame's bytes have not moved since its buffer was last grown.
        let own = self.recv_long && self.recv.as_ptr() as usize == self.grown_at;
        if let Some(i) = self
            .long_recv
            .iter_mut()
            .position(|b| b.try_reclaim(target))
        {
            let mut next = self.long_recv.remove(i);
            next.extend_from_slice(&self.recv);
            let old = std::mem::replace(&mut self.recv, next);
            if !own {
                self.keep(old);
            }
        } else if own {
            // Moves the bytes to the front of the allocation, then grows it in place.
            let mut grown = Vec::from(std::mem::take(&mut self.recv));
            grown.reserve_exact(target - grown.len());
            // Back to a `BytesMut` through a `Bytes`: neither step copies a unique buffer.
            self.recv = BytesMut::from(Bytes::from(grown));
        } else {
            let mut next = BytesMut::with_capacity(target);
            next.extend_from_slice(&self.recv);
            let old = std::mem::replace(&mut self.recv, next);
            self.keep(old);
        }
        self.recv_long = true;
        self.grown_at = self.recv.as_ptr() as usize;
    }

    /// Makes at least `want / 2` bytes of free space for the next read (`want` when it has to
    /// allocate), without allocating when it can: in the buffer itself once every body decoded
    /// from it has been dropped, else in a spare buffer in that state (the partial frame moves
    /// along), else in a fresh buffer, the old one kept as a spare. When the read size has just
    /// grown, a fresh buffer of the new size, and the smaller ones go.
    pub(super) fn make_room(&mut self, want: usize) {
        let need = want / 2;
        let grew = std::mem::take(&mut self.read_chunk_grew);
        if grew {
            // Buffers of the smaller size are of no more use.
            self.spare_recv.clear();
        }
        if self.recv.capacity() == 0 && self.recv.is_empty() {
            // No buffer (released, never made, or a long frame's that it ended exactly): a
            // fresh one of the read size.
            let old = std::mem::replace(&mut self.recv, BytesMut::with_capacity(want));
            if self.recv_long {
                self.keep(old);
            }
            self.recv_long = false;
            return;
        }
        if !grew && self.recv.try_reclaim(need) {
            return;
        }
        let partial = self.recv.len();
        // A whole spare when it is large enough (asking for less would reclaim only that much of
        // it, and the next read would retire it again).
        let ask = want.max(partial + need);
        let reusable = self.spare_recv.iter_mut().position(|b| b.try_reclaim(ask));
        let mut next = match reusable {
            Some(i) => self.spare_recv.swap_remove(i),
            None => BytesMut::with_capacity((partial + want).max(self.read_chunk)),
        };
        next.extend_from_slice(&self.recv);
        let old = std::mem::replace(&mut self.recv, next);
        if !grew || self.recv_long {
            self.keep(old);
        }
        self.recv_long = false;
    }

    /// Keeps `old` (emptied), the buffer `recv` was until now, for reuse: a long frame's among
    /// the long ones (the oldest going when there are [`LONG_READ_BUFFERS`]), another in an
    /// empty place among the spares, else in place of the smallest. A buffer that goes is
    /// left to the messages read into it, or freed. Keeping never allocates once the places
    /// are made.
    fn keep(&mut self, mut old: BytesMut) {
        old.clear();
        if self.recv_long {
            if self.long_recv.len() == LONG_READ_BUFFERS {
                self.long_recv.remove(0);
            }
            if self.long_recv.capacity() == 0 {
                self.long_recv.reserve_exact(LONG_READ_BUFFERS);
            }
            self.long_recv.push(old);
        } else if self.spare_recv.len() < SPARE_READ_BUFFERS {
            if self.spare_recv.capacity() == 0 {
                self.spare_recv.reserve_exact(SPARE_READ_BUFFERS);
            }
            self.spare_recv.push(old);
        } else if let Some(smallest) = self.spare_recv.iter_mut().min_by_key(|b| b.capacity()) {
            *smallest = old;
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

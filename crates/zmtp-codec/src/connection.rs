//! The sans-IO connection state machine: greeting, security handshake, then messages with
//! heartbeats.
//!
//! It does no I/O and reads no clock. A driver owns the transport and calls, in a loop:
//! - [`Connection::recv_buf`] to read bytes into, then [`Connection::handle_input`];
//! - [`Connection::handle_timeout`] when the deadline from [`Connection::poll_timeout`] passes;
//! - [`Connection::send`] (and [`Connection::subscribe`] / [`Connection::cancel`]) to queue;
//! - [`Connection::transmit`] for the bytes to write (a [`bytes::Buf`]; advance it by what
//!   was written);
//! - [`Connection::poll_event`] for what happened: handshake done, messages, subscriptions, a
//!   ZAP request, the end of the connection;
//! - [`Connection::poll_blocking`] for work the mechanism will not do inline because it may
//!   block (only GSSAPI hands any out): run the [`BlockingJob`] where blocking is allowed, off
//!   any thread that serves other connections, and hand its output back with
//!   [`Connection::handle_blocking_done`]. The handshake waits for it; the handshake deadline
//!   still runs.
//!
//! After [`Event::Closed`], the connection does nothing more: the driver writes what is left to
//! transmit (an ERROR command, when the handshake sent one) and closes the transport.
//!
//! Legacy peers (ZMTP 1.0 and 2.0, told apart by their first bytes) are served as libzmq 4.x
//! serves them: no mechanism, an identity frame each way first, then messages in their framing
//! ([`crate::legacy`]), subscriptions as messages, no heartbeats. They are refused with
//! [`ConnectionError::LegacyPeerRefused`] when a mechanism other than NULL or a ZAP domain is
//! in force, since they could otherwise bypass it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};

use crate::command::{legacy_subscription, Command, RawCommand};
use crate::error::{ConnectionError, FrameError, MechanismError, SendError};
use crate::frame::{Frame, FrameDecoder};
use crate::greeting::{
    Greeting, GreetingDecoder, GreetingStage, GreetingWriter, LegacyVersion, MechanismName,
    SIGNATURE_LEN,
};
use crate::legacy::V1Decoder;
use crate::mechanism::{BlockingJob, BlockingOutput, HandshakeContext, Mechanism};
use crate::message::Message;
use crate::metadata::{Metadata, IDENTITY, SOCKET_TYPE, USER_ID};
use crate::send_buffer::SendBuffer;
use crate::socket_type::SocketType;
use crate::zap::{ZapReply, ZapRequest};

/// The least free space offered to each read once the connection carries traffic (from the
/// first read that fills the [`INITIAL_READ_CHUNK`] buffer).
pub const READ_CHUNK: usize = 64 * 1024;

/// Initial capacity of the read buffer (libzmq's `in_batch_size`): an idle connection, which
/// reads little more than its handshake, keeps no more than this.
pub const INITIAL_READ_CHUNK: usize = 8 * 1024;

/// The most free space a read is offered while a frame larger than that is under way: the read
/// buffer grows towards such a frame's size by at least this much at a time (more once what
/// arrived is larger: it doubles), never by the size the peer announced.
const MAX_READ: usize = 16 * READ_CHUNK;

/// What each frame of a multipart message after the first counts against `ZMQ_MAXMSGSIZE`
/// besides its body: what a frame costs in memory while its message is assembled. A frame is a
/// [`Bytes`] handle of 32 bytes in the message's frame vector, which grows by doubling, so up to
/// 64 bytes of vector per frame (its 2- to 9-byte header stays in the read buffer its body
/// shares, and is not counted, as libzmq counts no header); 64 bytes is also the size of
/// libzmq's `zmq_msg_t`. Without it, a message of empty frames would count 0 bytes however many
/// it has. The first frame's is not counted, so that a one-frame message is bounded exactly as
/// libzmq bounds it (`ZMQ_MAXMSGSIZE` bytes of body).
pub const FRAME_OVERHEAD: u64 = 64;

/// Bytes waiting to be written above which a PING is not answered (see the PING handling in
/// `active_frame`).
pub const PONG_BACKLOG: usize = 64 * 1024;

/// Read buffers kept for reuse beside the one in use. Decoded bodies share the buffer they were
/// read into, so a buffer is free again only once the application has dropped every message
/// read into it; while some are still queued, the next read goes to a spare one instead of a
/// fresh allocation.
const SPARE_READ_BUFFERS: usize = 3;

/// Settings of one connection, taken from the socket's options when it connects or accepts.
#[derive(Debug, Clone)]
pub struct Config {
    /// Our socket type, announced as `Socket-Type` and checked against the peer's.
    pub socket_type: SocketType,
    /// `ZMQ_ROUTING_ID`: sent as `Identity` by REQ, DEALER and ROUTER sockets (at most 255 bytes).
    pub routing_id: Bytes,
    /// `ZMQ_METADATA`: extra `X-` properties added to READY / INITIATE.
    pub metadata: Metadata,
    /// `ZMQ_MAXMSGSIZE`: largest message accepted (`None` = no limit, libzmq's -1). Each frame
    /// is checked on its size field, as libzmq does; unlike libzmq, a multipart message is
    /// bounded as a whole as well: its bodies plus [`FRAME_OVERHEAD`] bytes for each frame
    /// after the first (see [`FrameError::MessageTooLarge`]).
    pub max_msg_size: Option<u64>,
    /// `ZMQ_HANDSHAKE_IVL`: the whole greeting and handshake must finish within it (`None` = no
    /// limit, libzmq's 0). Default 30 s.
    pub handshake_ivl: Option<Duration>,
    /// `ZMQ_HEARTBEAT_IVL`: send a PING this often once the handshake is done (`None` = never).
    /// PINGs go only to ZMTP 3.1 peers; 3.0 has no PING command.
    pub heartbeat_ivl: Option<Duration>,
    /// `ZMQ_HEARTBEAT_TIMEOUT`: close if nothing arrives this long after a PING (`None` = the
    /// heartbeat interval, libzmq's default -1; zero = no timeout, as libzmq's explicit 0: PINGs
    /// go out, and a peer that never answers them is kept).
    pub heartbeat_timeout: Option<Duration>,
    /// `ZMQ_HEARTBEAT_TTL`: asks the peer to close if it hears nothing from us this long; sent in
    /// PINGs in deciseconds (truncated, as libzmq), at most 6553.5 s.
    pub heartbeat_ttl: Duration,
    /// `ZMQ_ZAP_DOMAIN`: the domain a server-side mechanism puts in its ZAP requests.
    pub zap_domain: Bytes,
    /// The peer's address as text, for ZAP requests (its IP for tcp, empty otherwise).
    pub peer_address: Bytes,
}

impl Config {
    /// libzmq's defaults for a socket of type `socket_type`.
    pub fn new(socket_type: SocketType) -> Config {
        Config {
            socket_type,
            routing_id: Bytes::new(),
            metadata: Metadata::new(),
            max_msg_size: None,
            handshake_ivl: Some(Duration::from_secs(30)),
            heartbeat_ivl: None,
            heartbeat_timeout: None,
            heartbeat_ttl: Duration::ZERO,
            zap_domain: Bytes::new(),
            peer_address: Bytes::new(),
        }
    }

    /// The properties we announce: `Socket-Type`, `Identity` where libzmq sends it, then the
    /// `ZMQ_METADATA` ones.
    fn local_metadata(&self) -> Metadata {
        let mut md = Metadata::new();
        let _ = md.insert(
            SOCKET_TYPE,
            Bytes::from_static(self.socket_type.as_str().as_bytes()),
        );
        if self.socket_type.sends_identity() {
            let _ = md.insert(IDENTITY, self.routing_id.clone());
        }
        for (name, value) in self.metadata.iter() {
            let _ = md.insert(String::from_utf8_lossy(name), value.clone());
        }
        md
    }
}

/// What the peer turned out to be, once the handshake is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's greeting (version, mechanism). For a legacy peer, which sends no 3.x
    /// greeting, major 1 or 2, minor 0 and `NULL`; see `legacy`.
    pub greeting: Greeting,
    /// The peer's socket type: always known for ZMTP 3.x peers (the handshake requires it).
    /// A ZMTP 2.0 peer announces it in a greeting byte (`None` if that byte names no type);
    /// a ZMTP 1.0 peer announces none. libzmq does not check a legacy peer's type against
    /// ours, and neither does this.
    pub socket_type: Option<SocketType>,
    /// Every property the peer sent, plus `User-Id` and the properties a ZAP handler attached.
    /// For a legacy peer: `Identity` (its identity frame) and `Socket-Type` when known.
    pub metadata: Metadata,
    /// `Some` when the peer speaks ZMTP 1.0 or 2.0 rather than 3.x.
    pub legacy: Option<LegacyVersion>,
}

impl PeerInfo {
    /// The routing id the peer asked for (`Identity`), if it sent a non-empty one.
    pub fn identity(&self) -> Option<&Bytes> {
        self.metadata.identity().filter(|id| !id.is_empty())
    }
}

/// Something the driver must act on or pass up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake finished: messages may flow both ways.
    Ready(PeerInfo),
    /// A whole message arrived.
    Message(Message),
    /// A ZMTP 3.1 SUBSCRIBE command arrived (the 3.0 form arrives as a message; see
    /// [`legacy_subscription`]).
    Subscribe(Bytes),
    /// A ZMTP 3.1 CANCEL command arrived.
    Cancel(Bytes),
    /// The mechanism needs a ZAP verdict; answer with [`Connection::handle_zap_reply`].
    ZapRequest(Box<ZapRequest>),
    /// The connection ended. Nothing follows.
    Closed(ConnectionError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    /// A versioned legacy peer: its socket type byte (the 12th greeting byte) is awaited.
    LegacySocketType,
    /// A legacy peer: its identity frame is awaited.
    LegacyIdentity,
    Handshake,
    Active,
    Closed,
}

/// One ZMTP connection, from the first greeting byte to the close.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    mechanism: Box<dyn Mechanism>,
    local_metadata: Metadata,
    zap_template: ZapRequest,
    state: State,
    greeting_out: GreetingWriter,
    greeting_in: GreetingDecoder,
    peer_greeting: Option<Greeting>,
    decoder: FrameDecoder,
    /// The legacy protocol the peer speaks, once detected.
    legacy: Option<LegacyVersion>,
    /// The legacy peer's socket type byte (versioned peers only).
    legacy_socket_type: Option<u8>,
    /// Frames of a ZMTP 1.0 peer (2.0 peers use `decoder`, the layout being 3.x's).
    v1_decoder: V1Decoder,
    recv: BytesMut,
    /// The free space offered to the next read: [`INITIAL_READ_CHUNK`] until a read fills the
    /// buffer, then [`READ_CHUNK`].
    read_chunk: usize,
    /// `read_chunk` grew: the next read gets a buffer of the new size rather than the small one
    /// reclaimed.
    read_chunk_grew: bool,
    /// Read buffers used before, reused once nothing decoded from them is alive (empty when
    /// never needed).
    spare_recv: [BytesMut; SPARE_READ_BUFFERS],
    send: SendBuffer,
    events: VecDeque<Event>,
    partial: Message,
    /// What `partial` counts against `ZMQ_MAXMSGSIZE`: its bodies' bytes plus
    /// [`FRAME_OVERHEAD`] for each frame after the first (kept only with a limit set).
    partial_size: u64,
    /// Bytes left in `recv` after the last processing (a partial frame); more means new input.
    unprocessed: usize,
    encrypted: bool,
    zap_pending: bool,
    /// The mechanism's blocking job, until the driver takes it.
    blocking: Option<BlockingJob>,
    /// A blocking job is out: frames wait in the buffer until its output is in.
    blocking_pending: bool,
    handshake_deadline: Option<Instant>,
    next_ping: Option<Instant>,
    ping_timeout: Option<Instant>,
    ttl_deadline: Option<Instant>,
}

impl Connection {
    /// A new connection that starts its greeting at `now`.
    pub fn new(config: Config, mechanism: Box<dyn Mechanism>, now: Instant) -> Connection {
        let greeting_out = GreetingWriter::new(mechanism.name(), config.routing_id.len());
        let mut send = SendBuffer::new();
        send.put_raw(greeting_out.signature());
        let zap_template = ZapRequest {
            domain: config.zap_domain.clone(),
            address: config.peer_address.clone(),
            routing_id: config.routing_id.clone(),
            mechanism: mechanism.name(),
            credentials: Vec::new(),
        };
        Connection {
            local_metadata: config.local_metadata(),
            handshake_deadline: config.handshake_ivl.map(|d| now + d),
            decoder: FrameDecoder::new(config.max_msg_size),
            legacy: None,
            legacy_socket_type: None,
            v1_decoder: V1Decoder::new(config.max_msg_size),
            config,
            mechanism,
            zap_template,
            state: State::Greeting,
            greeting_out,
            greeting_in: GreetingDecoder::new(),
            peer_greeting: None,
            recv: BytesMut::with_capacity(INITIAL_READ_CHUNK),
            read_chunk: INITIAL_READ_CHUNK,
            read_chunk_grew: false,
            spare_recv: Default::default(),
            send,
            events: VecDeque::new(),
            partial: Message::new(),
            partial_size: 0,
            unprocessed: 0,
            encrypted: false,
            zap_pending: false,
            blocking: None,
            blocking_pending: false,
            next_ping: None,
            ping_timeout: None,
            ttl_deadline: None,
        }
    }

    /// The settings this connection runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The peer's greeting, once read.
    pub fn peer_greeting(&self) -> Option<&Greeting> {
        self.peer_greeting.as_ref()
    }

    /// The legacy protocol the peer speaks (ZMTP 1.0 or 2.0), once its greeting said so;
    /// `None` for ZMTP 3.x peers and before the greeting is read.
    pub fn legacy(&self) -> Option<LegacyVersion> {
        self.legacy
    }

    /// Whether the handshake is done and messages can be sent.
    pub fn is_ready(&self) -> bool {
        self.state == State::Active
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

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
        } else if free < want / 2 {
            self.make_room(want);
        }
        &mut self.recv
    }

    /// Makes room for the rest of a long frame whose start is the whole content of the buffer:
    /// at least `want` bytes more, or as many as arrived (doubling), but never more than the
    /// frame's `needed` bytes in all. A spare buffer that large and free again takes the
    /// partial frame (the buffer becomes a spare); otherwise the buffer grows, in place when
    /// nothing decoded from it is alive (`realloc`, which moves a large block without copying
    /// it), else into a buffer of the frame's own (the old one is left to the messages read into
    /// it, and not kept: it holds the frame's first bytes). Either way no other copy of the
    /// frame's bytes is held.
    fn grow_for_frame(&mut self, needed: usize, want: usize) {
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
    fn make_room(&mut self, want: usize) {
        let need = want / 2;
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

    /// Appends `data` to the read buffer and processes it (a convenience for tests and
    /// fuzzing; drivers read into [`Connection::recv_buf`] to avoid the copy).
    pub fn feed(&mut self, now: Instant, data: &[u8]) {
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
        if self.state == State::Closed {
            self.recv.clear();
            return;
        }
        if self.recv.len() > self.unprocessed {
            // New traffic proves the peer alive (libzmq cancels both timers on inbound data).
            self.ping_timeout = None;
            self.ttl_deadline = None;
        }
        if let Err(e) = self.process(now) {
            self.close(e);
        }
        self.unprocessed = self.recv.len();
    }

    /// The peer closed its end of the transport (a read returned 0 bytes). Ends the connection
    /// with [`ConnectionError::PeerClosed`]; a partial message in the buffer is discarded.
    pub fn handle_eof(&mut self) {
        if self.state != State::Closed {
            let during_handshake = self.state != State::Active;
            self.close(ConnectionError::PeerClosed { during_handshake });
        }
    }

    fn process(&mut self, now: Instant) -> Result<(), ConnectionError> {
        if self.state == State::Greeting {
            self.process_greeting(now)?;
            if self.state == State::Greeting {
                return Ok(());
            }
        }
        if self.state == State::LegacySocketType {
            let Some(&raw) = self.recv.first() else {
                return Ok(());
            };
            self.recv.advance(1);
            self.legacy_socket_type = Some(raw);
            // Our identity frame, in the peer's framing.
            let identity = Message::single(self.config.routing_id.clone());
            self.put_message(&identity);
            self.state = State::LegacyIdentity;
        }
        while self.state != State::Closed {
            if self.zap_pending || self.blocking_pending {
                // Frames wait in the buffer until the ZAP verdict, or the output of the
                // mechanism's blocking job, is in.
                return Ok(());
            }
            let Some(frame) = self.next_frame()? else {
                return Ok(());
            };
            match self.state {
                State::Handshake => self.handshake_frame(frame, now)?,
                State::Active if self.legacy.is_some() => self.message_frame(frame)?,
                State::Active => self.active_frame(frame, now)?,
                State::LegacyIdentity => self.legacy_identity(frame),
                State::Greeting | State::LegacySocketType | State::Closed => unreachable_state(),
            }
        }
        Ok(())
    }

    /// The next frame in the peer's framing, if the buffer holds a whole one.
    fn next_frame(&mut self) -> Result<Option<Frame>, ConnectionError> {
        match self.legacy {
            None => Ok(self.decoder.decode(&mut self.recv)?),
            Some(LegacyVersion::V1) => Ok(self.v1_decoder.decode(&mut self.recv)?),
            Some(LegacyVersion::V2) => match self.decoder.decode(&mut self.recv)? {
                Some(frame) if frame.command => Err(FrameError::CommandInZmtp2.into()),
                other => Ok(other),
            },
        }
    }

    /// A ZMTP 1.0 or 2.0 peer was detected after `bytes_read` greeting bytes: refuse it if
    /// security is in force (libzmq's `zap_enabled`), else start the identity exchange as
    /// libzmq does.
    fn start_legacy(&mut self, version: LegacyVersion) -> Result<(), ConnectionError> {
        if self.mechanism.name() != MechanismName::NULL || !self.config.zap_domain.is_empty() {
            return Err(ConnectionError::LegacyPeerRefused(version));
        }
        self.legacy = Some(version);
        if self.greeting_in.bytes_read().len() > SIGNATURE_LEN {
            // A versioned peer (revision 0 or 1) sent its signature and revision, and has had
            // ours and our major version: libzmq answers with its socket type byte, as ZMTP 2.0
            // expects, and reads the peer's.
            self.send.put_raw(&[self.config.socket_type.as_raw()]);
            self.state = State::LegacySocketType;
        } else {
            // An unversioned 1.0 peer read our signature as the header of our identity frame
            // (its padding holds the identity length + 1, its last byte is the flags): only
            // the body is left to send. The bytes it sent so far start its identity frame.
            self.send.put_raw(&self.config.routing_id);
            let mut recv = BytesMut::with_capacity(READ_CHUNK.max(SIGNATURE_LEN + self.recv.len()));
            recv.extend_from_slice(self.greeting_in.bytes_read());
            recv.extend_from_slice(&self.recv);
            self.recv = recv;
            self.state = State::LegacyIdentity;
        }
        Ok(())
    }

    /// A legacy peer's first frame: its identity (its MORE flag ignored, as libzmq does, whose
    /// own signature reads as a 1.0 identity header with flags 0x7F). The connection is ready.
    fn legacy_identity(&mut self, frame: Frame) {
        let Some(version) = self.legacy else {
            unreachable_state()
        };
        let socket_type = self.legacy_socket_type.and_then(SocketType::from_raw);
        let mut metadata = Metadata::new();
        if let Some(t) = socket_type {
            let _ = metadata.insert(SOCKET_TYPE, Bytes::from_static(t.as_str().as_bytes()));
        }
        // Values up to 2^31 - 1 bytes are accepted; ZMQ_MAXMSGSIZE bounds the frame anyway.
        let _ = metadata.insert(IDENTITY, frame.body);
        let greeting = Greeting {
            major: match version {
                LegacyVersion::V1 => 1,
                LegacyVersion::V2 => 2,
            },
            minor: 0,
            mechanism: MechanismName::NULL,
            as_server: false,
        };
        self.peer_greeting = Some(greeting);
        self.state = State::Active;
        self.handshake_deadline = None;
        self.events.push_back(Event::Ready(PeerInfo {
            greeting,
            socket_type,
            metadata,
            legacy: Some(version),
        }));
        let unversioned = self.legacy_socket_type.is_none();
        if unversioned && matches!(self.config.socket_type, SocketType::Pub | SocketType::XPub) {
            // libzmq's phantom subscription: a 1.0 SUB sends no subscriptions (it filters
            // itself), so a publisher subscribes it to everything on its behalf.
            self.events.push_back(Event::Subscribe(Bytes::new()));
        }
    }

    fn process_greeting(&mut self, now: Instant) -> Result<(), ConnectionError> {
        loop {
            let mut input: &[u8] = &self.recv;
            let before = input.len();
            let stage = self.greeting_in.decode(&mut input)?;
            let used = before - input.len();
            let _ = self.recv.split_to(used);
            match stage {
                GreetingStage::NeedMore => return Ok(()),
                GreetingStage::Signature => self.send.put_raw(self.greeting_out.major()),
                GreetingStage::Major(_) => self.send.put_raw(self.greeting_out.rest()),
                GreetingStage::Legacy(version) => return self.start_legacy(version),
                GreetingStage::Complete(greeting) => {
                    let local = self.mechanism.name();
                    if greeting.mechanism != local {
                        return Err(ConnectionError::MechanismMismatch {
                            local,
                            peer: greeting.mechanism,
                        });
                    }
                    self.peer_greeting = Some(greeting);
                    self.state = State::Handshake;
                    return self.with_mechanism(now, |m, cx| m.start(cx));
                }
            }
        }
    }

    fn handshake_frame(&mut self, frame: Frame, now: Instant) -> Result<(), ConnectionError> {
        if !frame.command {
            return Err(ConnectionError::MessageBeforeReady);
        }
        let command = if frame.body.is_empty() && self.mechanism.accepts_empty_command() {
            RawCommand {
                name: Bytes::new(),
                data: Bytes::new(),
            }
        } else {
            RawCommand::parse(frame.body)?
        };
        self.with_mechanism(now, |m, cx| m.handle_command(cx, command))
    }

    /// Runs one mechanism step with a context borrowing the connection's parts, then records
    /// what it asked for (completion, a ZAP request).
    fn with_mechanism(
        &mut self,
        now: Instant,
        step: impl FnOnce(&mut dyn Mechanism, &mut HandshakeContext<'_>) -> Result<(), MechanismError>,
    ) -> Result<(), ConnectionError> {
        let Some(peer_greeting) = self.peer_greeting.as_ref() else {
            unreachable_state()
        };
        let mut completed = None;
        let mut zap_request = None;
        let mut blocking = None;
        let mut cx = HandshakeContext {
            socket_type: self.config.socket_type,
            local_metadata: &self.local_metadata,
            peer_greeting,
            out: &mut self.send,
            completed: &mut completed,
            zap_request: &mut zap_request,
            zap_template: &self.zap_template,
            blocking: &mut blocking,
        };
        step(self.mechanism.as_mut(), &mut cx)?;
        if let Some(job) = blocking {
            self.blocking_pending = true;
            self.blocking = Some(job);
        }
        if let Some(request) = zap_request {
            self.zap_pending = true;
            self.events.push_back(Event::ZapRequest(Box::new(request)));
        }
        if let Some(metadata) = completed {
            self.finish_handshake(now, *peer_greeting, metadata)?;
        }
        Ok(())
    }

    fn finish_handshake(
        &mut self,
        now: Instant,
        greeting: Greeting,
        metadata: Metadata,
    ) -> Result<(), ConnectionError> {
        let socket_type = match metadata.socket_type() {
            Some(Ok(t)) => t,
            // Mechanisms check the peer's metadata before completing; this guards a mechanism
            // that forgot to.
            _ => return Err(MechanismError::MissingSocketType.into()),
        };
        self.state = State::Active;
        self.encrypted = self.mechanism.encrypts();
        self.handshake_deadline = None;
        self.next_ping = self.heartbeat_interval().map(|ivl| now + ivl);
        self.events.push_back(Event::Ready(PeerInfo {
            greeting,
            socket_type: Some(socket_type),
            metadata,
            legacy: None,
        }));
        Ok(())
    }

    /// The PING interval, if heartbeats apply to this peer (ZMTP 3.1 or later).
    fn heartbeat_interval(&self) -> Option<Duration> {
        let v31 = self.peer_greeting.is_some_and(|g| g.is_v31());
        self.config.heartbeat_ivl.filter(|_| v31)
    }

    fn active_frame(&mut self, frame: Frame, now: Instant) -> Result<(), ConnectionError> {
        let frame = if self.encrypted {
            // libzmq (4.3 and master) sends CURVE's and GSSAPI's MESSAGE commands in ordinary
            // frames without the COMMAND flag, and reads either kind: every frame after the
            // handshake is a sealed command, whatever its flags say. So do we.
            let command = RawCommand::parse(frame.body)?;
            self.mechanism.open(command)?
        } else {
            frame
        };
        if !frame.command {
            return self.message_frame(frame).map_err(Into::into);
        }
        match Command::parse(frame.body)? {
            Command::Ping { ttl, context } => {
                // A peer that sends PINGs and does not read what we send would have PONGs pile
                // up without limit; while more than PONG_BACKLOG bytes wait to be written, its
                // PING goes unanswered (that backlog, once read, proves us alive as well as a
                // PONG would). libzmq likewise keeps at most one PONG pending.
                if self.send.len() < PONG_BACKLOG {
                    self.queue_command(&Command::Pong { context })?;
                }
                if ttl > 0 && self.ttl_deadline.is_none() {
                    self.ttl_deadline = Some(now + Duration::from_millis(u64::from(ttl) * 100));
                }
            }
            Command::Subscribe(topic) => self.events.push_back(Event::Subscribe(topic)),
            Command::Cancel(topic) => self.events.push_back(Event::Cancel(topic)),
            // PONG only proves liveness, which any traffic does. Other commands (including a late
            // ERROR or READY) have no meaning after the handshake; libzmq ignores them too.
            Command::Pong { .. }
            | Command::Ready(_)
            | Command::Error { .. }
            | Command::Other(_) => {}
        }
        Ok(())
    }

    /// A message frame: a message of its own, or part of the one being assembled, which must
    /// stay within `ZMQ_MAXMSGSIZE` (its bodies plus [`FRAME_OVERHEAD`] for each frame after
    /// the first).
    fn message_frame(&mut self, frame: Frame) -> Result<(), FrameError> {
        if !frame.more && self.partial.is_empty() {
            // The common case, a one-frame message, skips the assembly buffer (and the size
            // check: the decoder checked the frame).
            self.events
                .push_back(Event::Message(Message::single(frame.body)));
            return Ok(());
        }
        if let Some(max) = self.config.max_msg_size {
            let overhead = if self.partial.is_empty() {
                0
            } else {
                FRAME_OVERHEAD
            };
            let size = self
                .partial_size
                .saturating_add(frame.body.len() as u64)
                .saturating_add(overhead);
            if size > max {
                return Err(FrameError::MessageTooLarge {
                    frames: self.partial.len() as u64 + 1,
                    size,
                    max,
                });
            }
            self.partial_size = size;
        }
        self.partial.push_back(frame.body);
        if !frame.more {
            let msg = std::mem::take(&mut self.partial);
            self.partial_size = 0;
            self.events.push_back(Event::Message(msg));
        }
        Ok(())
    }

    /// Encodes a message in the peer's framing (unencrypted connections).
    fn put_message(&mut self, msg: &Message) {
        if self.legacy == Some(LegacyVersion::V1) {
            self.send.put_message_v1(msg);
        } else {
            self.send.put_message(msg);
        }
    }

    /// Passes the ZAP handler's answer to the mechanism.
    pub fn handle_zap_reply(&mut self, now: Instant, reply: ZapReply) {
        if self.state != State::Handshake || !self.zap_pending {
            if self.state != State::Closed {
                self.close(MechanismError::UnexpectedZapReply.into());
            }
            return;
        }
        self.zap_pending = false;
        if let Err(e) = self.with_mechanism(now, |m, cx| m.handle_zap_reply(cx, reply)) {
            self.close(e);
            return;
        }
        // Frames that arrived while the verdict was pending.
        self.handle_input(now);
    }

    /// The mechanism's blocking job, once, when it has handed one out (only GSSAPI does, for
    /// its GSS-API calls). Run it where blocking is allowed ([`BlockingJob::run`] in
    /// `tokio::task::spawn_blocking` or a thread of its own, never on a thread that serves other
    /// connections) and pass what it returns to [`Connection::handle_blocking_done`]; until
    /// then the handshake waits, and incoming frames stay in the read buffer. Check after
    /// every [`Connection::handle_input`] and [`Connection::handle_zap_reply`].
    pub fn poll_blocking(&mut self) -> Option<BlockingJob> {
        self.blocking.take()
    }

    /// Whether a blocking job is out (handed out, or waiting in [`Connection::poll_blocking`])
    /// and the handshake waits for its output.
    pub fn is_blocking_pending(&self) -> bool {
        self.blocking_pending
    }

    /// Passes the output of the job from [`Connection::poll_blocking`] to the mechanism, then
    /// processes the frames that arrived meanwhile. Ignored once the connection has closed (the
    /// handshake deadline may have run out while the job ran); closes the connection with
    /// [`MechanismError::UnexpectedBlockingOutput`] if no job was out.
    pub fn handle_blocking_done(&mut self, now: Instant, output: BlockingOutput) {
        if self.state == State::Closed {
            return;
        }
        if self.state != State::Handshake || !self.blocking_pending || self.blocking.is_some() {
            self.close(MechanismError::UnexpectedBlockingOutput.into());
            return;
        }
        self.blocking_pending = false;
        if let Err(e) = self.with_mechanism(now, |m, cx| m.handle_blocking_done(cx, output)) {
            self.close(e);
            return;
        }
        // Frames that arrived while the job ran.
        self.handle_input(now);
    }

    /// Acts on every deadline that has passed by `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        if self.handshake_deadline.is_some_and(|d| d <= now) {
            self.close(ConnectionError::HandshakeTimeout);
            return;
        }
        if self.ping_timeout.is_some_and(|d| d <= now) {
            self.close(ConnectionError::HeartbeatTimeout);
            return;
        }
        if self.ttl_deadline.is_some_and(|d| d <= now) {
            self.close(ConnectionError::TtlExpired);
            return;
        }
        if self.next_ping.is_some_and(|d| d <= now) {
            let Some(ivl) = self.heartbeat_interval() else {
                self.next_ping = None;
                return;
            };
            let ttl =
                (self.config.heartbeat_ttl.as_millis() / 100).min(u128::from(u16::MAX)) as u16;
            if let Err(e) = self.queue_command(&Command::Ping {
                ttl,
                context: Bytes::new(),
            }) {
                self.close(e);
                return;
            }
            self.next_ping = Some(now + ivl);
            let timeout = self.config.heartbeat_timeout.unwrap_or(ivl);
            if self.ping_timeout.is_none() && !timeout.is_zero() {
                self.ping_timeout = Some(now + timeout);
            }
        }
    }

    /// The earliest deadline at which [`Connection::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        [
            self.handshake_deadline,
            self.ping_timeout,
            self.ttl_deadline,
            self.next_ping,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next event, left in place: a driver that delivers messages only while its socket
    /// has room leaves the rest here (and reads no more until they are taken).
    pub fn peek_event(&self) -> Option<&Event> {
        self.events.front()
    }

    /// Bytes to write to the transport. Advance it by what was written; the rest stays queued.
    pub fn transmit(&mut self) -> &mut SendBuffer {
        &mut self.send
    }

    /// Whether bytes are waiting in [`Connection::transmit`].
    pub fn wants_to_transmit(&self) -> bool {
        !self.send.is_empty()
    }

    /// Queues a message for the peer: all its frames or, on error, none.
    pub fn send(&mut self, msg: &Message) -> Result<(), SendError> {
        self.check_sendable()?;
        if msg.is_empty() {
            return Err(SendError::EmptyMessage);
        }
        if !self.encrypted {
            self.put_message(msg);
            return Ok(());
        }
        let last = msg.len() - 1;
        let mark = self.send.tail_mut().len();
        for (i, frame) in msg.iter().enumerate() {
            if let Err(e) = self
                .mechanism
                .seal(i < last, false, frame, self.send.tail_mut())
            {
                // All frames or none: drop what this message had sealed so far.
                self.send.tail_mut().truncate(mark);
                self.close(e.into());
                return Err(SendError::Closed);
            }
        }
        Ok(())
    }

    /// Sends a subscription in the form the peer understands: a SUBSCRIBE command to a ZMTP 3.1
    /// peer, a `01`-prefixed message to a 3.0, 2.0 or 1.0 peer.
    pub fn subscribe(&mut self, topic: &[u8]) -> Result<(), SendError> {
        self.send_subscription(true, topic)
    }

    /// Sends a cancellation: CANCEL to a ZMTP 3.1 peer, a `00`-prefixed message to a 3.0 peer.
    pub fn cancel(&mut self, topic: &[u8]) -> Result<(), SendError> {
        self.send_subscription(false, topic)
    }

    fn send_subscription(&mut self, subscribe: bool, topic: &[u8]) -> Result<(), SendError> {
        self.check_sendable()?;
        let v31 = self.peer_greeting.is_some_and(|g| g.is_v31());
        if v31 {
            let topic = Bytes::copy_from_slice(topic);
            let cmd = if subscribe {
                Command::Subscribe(topic)
            } else {
                Command::Cancel(topic)
            };
            return self.queue_command(&cmd).map_err(|_| SendError::Closed);
        }
        let body = if subscribe {
            legacy_subscription::subscribe(topic)
        } else {
            legacy_subscription::cancel(topic)
        };
        self.send(&Message::single(body))
    }

    fn check_sendable(&self) -> Result<(), SendError> {
        match self.state {
            State::Active => Ok(()),
            State::Closed => Err(SendError::Closed),
            State::Greeting
            | State::LegacySocketType
            | State::LegacyIdentity
            | State::Handshake => Err(SendError::NotReady),
        }
    }

    /// Queues a command after the handshake, sealed if the mechanism encrypts.
    fn queue_command(&mut self, cmd: &Command) -> Result<(), ConnectionError> {
        if !self.encrypted {
            self.send.put_command(cmd);
            return Ok(());
        }
        let mut body = BytesMut::with_capacity(cmd.body_len());
        cmd.encode_body(&mut body);
        self.mechanism
            .seal(false, true, &body, self.send.tail_mut())
            .map_err(Into::into)
    }

    /// Ends the connection locally. What was queued stays in [`Connection::transmit`].
    pub fn close_locally(&mut self) {
        if self.state != State::Closed {
            self.close(ConnectionError::Closed);
        }
    }

    /// Ends the connection with `reason`, for failures found outside the state machine (a
    /// malformed ZAP reply, a ZAP handler that is required but missing).
    pub fn abort(&mut self, reason: ConnectionError) {
        if self.state != State::Closed {
            self.close(reason);
        }
    }

    fn close(&mut self, reason: ConnectionError) {
        self.state = State::Closed;
        self.partial = Message::new();
        self.partial_size = 0;
        self.recv.clear();
        self.spare_recv = Default::default();
        self.zap_pending = false;
        self.blocking = None;
        self.blocking_pending = false;
        self.events.push_back(Event::Closed(reason));
    }
}

#[cold]
fn unreachable_state() -> ! {
    // Every caller is reached only in states where the invariant holds (a handshake step runs
    // after the greeting was stored; frames are decoded only in Handshake and Active).
    panic!("zmtp connection state invariant broken")
}

/// The `User-Id` and ZAP metadata a handler attached, merged into the peer's properties. For
/// mechanisms completing after a ZAP verdict.
pub fn merge_zap_metadata(peer: &mut Metadata, reply: &ZapReply) {
    if !reply.user_id.is_empty() {
        let _ = peer.insert(USER_ID, reply.user_id.clone());
    }
    for (name, value) in reply.metadata.iter() {
        let _ = peer.insert(String::from_utf8_lossy(name), value.clone());
    }
}

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
//!
//! The connection's code is split by stage: `read` (the receive buffer and the frames decoded
//! from it), `handshake` (greeting, mechanism, ZAP, blocking jobs, legacy peers' identities),
//! `active` (messages, commands and heartbeats once ready, and the deadlines) and `send` (what
//! is queued for the transport). This file holds the state and what every stage shares.

mod active;
use active::heartbeat_interval;
mod handshake;
mod read;
mod send;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::error::ConnectionError;
use crate::frame::FrameDecoder;
use crate::greeting::{Greeting, GreetingDecoder, GreetingWriter, LegacyVersion};
use crate::legacy::V1Decoder;
use crate::mechanism::{BlockingJob, Mechanism, RecordLayer};
use crate::message::Message;
use crate::metadata::{Metadata, IDENTITY, SOCKET_TYPE, USER_ID};
use crate::send_buffer::SendBuffer;
use crate::socket_type::SocketType;
use crate::zap::{ZapReply, ZapRequest};

/// The least free space offered to each read once the connection carries traffic (from the
/// first read that fills the [`INITIAL_READ_CHUNK`] buffer).
pub const READ_CHUNK: usize = 64 * 1024;

/// Initial capacity of the read buffer: a connection that reads little more than its
/// handshake reads into no more than this, and gives it up while idle
/// ([`Connection::release_recv_buf`]). The handshake's frames fit (the greeting, READY, CURVE's
/// HELLO and INITIATE); a read that fills it moves the connection to [`READ_CHUNK`] reads.
/// libzmq reads 8 KiB at a time (`in_batch_size`); 2 KiB here, because the buffer of every
/// connection counts (10,000 idle DEALERs on a ROUTER: 12.0 -> 7.0 KiB resident a connection,
/// with the smaller connection future; 3.8 KiB once idle connections hold no buffer and no
/// handshake-only state).
pub const INITIAL_READ_CHUNK: usize = 2 * 1024;

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

/// Long frames' buffers kept for reuse, at most: a stream of long messages (1 MiB, say) then
/// reads each into a buffer that a dropped one left, rather than into a fresh allocation (which
/// glibc gave back to the system when freed and took again page by page: 48 page faults a 1 MiB
/// message).
const LONG_READ_BUFFERS: usize = 4;

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
    /// after the first (see [`FrameError::MessageTooLarge`](crate::error::FrameError::MessageTooLarge)).
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
    /// [`legacy_subscription`](crate::command::legacy_subscription)).
    Subscribe(Bytes),
    /// A ZMTP 3.1 CANCEL command arrived.
    Cancel(Bytes),
    /// The mechanism needs a ZAP verdict; answer with [`Connection::handle_zap_reply`].
    ZapRequest(Box<ZapRequest>),
    /// The connection ended. Nothing follows.
    Closed(ConnectionError),
}

impl Event {
    /// What kind of event this is.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Ready(_) => EventKind::Ready,
            Event::Message(_) => EventKind::Message,
            Event::Subscribe(_) => EventKind::Subscribe,
            Event::Cancel(_) => EventKind::Cancel,
            Event::ZapRequest(_) => EventKind::ZapRequest,
            Event::Closed(_) => EventKind::Closed,
        }
    }
}

/// The kind of an [`Event`], without its content: what [`Connection::peek_kind`] tells of the
/// next event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// [`Event::Ready`].
    Ready,
    /// [`Event::Message`].
    Message,
    /// [`Event::Subscribe`].
    Subscribe,
    /// [`Event::Cancel`].
    Cancel,
    /// [`Event::ZapRequest`].
    ZapRequest,
    /// [`Event::Closed`].
    Closed,
}

impl EventKind {
    /// Whether the event is for the socket's pipe (a message, a subscription or a cancel)
    /// rather than for the engine.
    pub fn is_item(self) -> bool {
        matches!(
            self,
            EventKind::Message | EventKind::Subscribe | EventKind::Cancel
        )
    }
}

/// Where the connection is, with what that stage alone needs: the mechanism lives only until the
/// handshake completes, the record layer it hands over only from then on.
#[derive(Debug)]
enum State {
    /// Greetings under way.
    Greeting(Box<Greetings>),
    /// A versioned legacy peer: its socket type byte (the 12th greeting byte) is awaited.
    LegacySocketType(LegacyVersion),
    /// A legacy peer: its identity frame is awaited.
    LegacyIdentity(LegacyPeer),
    /// The security handshake under way.
    Handshake(Box<Handshake>),
    /// Ready: messages flow.
    Active(Active),
    /// Ended; nothing more happens.
    Closed {
        /// The peer's greeting, if it was read before the end.
        peer_greeting: Option<Greeting>,
    },
}

/// The greeting stage: our greeting going out in libzmq's three parts, the peer's coming in,
/// and the mechanism that starts once both are done.
#[derive(Debug)]
struct Greetings {
    mechanism: Box<dyn Mechanism>,
    greeting_out: GreetingWriter,
    greeting_in: GreetingDecoder,
}

/// A legacy peer (ZMTP 1.0 or 2.0) whose identity frame is awaited.
#[derive(Debug, Clone, Copy)]
struct LegacyPeer {
    version: LegacyVersion,
    /// Its socket type byte (versioned peers only).
    socket_type: Option<u8>,
}

/// The security handshake: the mechanism, and what it waits for.
#[derive(Debug)]
struct Handshake {
    mechanism: Box<dyn Mechanism>,
    peer_greeting: Greeting,
    /// A ZAP request is out: frames wait in the buffer until the verdict is in.
    zap_pending: bool,
    /// The mechanism's blocking job, if it handed one out.
    job: Job,
}

/// Where the mechanism's blocking job is.
#[derive(Debug)]
enum Job {
    /// None handed out.
    None,
    /// Handed out, waiting for the driver to take it ([`Connection::poll_blocking`]).
    Handed(BlockingJob),
    /// Taken by the driver: frames wait in the buffer until its output is in.
    Running,
}

/// Messages flow: the peer as the handshake found it, the record layer its mechanism handed
/// over, and the heartbeat deadlines.
#[derive(Debug)]
struct Active {
    peer_greeting: Greeting,
    record: RecordLayer,
    /// When the next PING goes out.
    next_ping: Option<Instant>,
    /// When the peer is given up for not answering a PING.
    ping_timeout: Option<Instant>,
    /// When the peer's PING TTL runs out.
    ttl_deadline: Option<Instant>,
}

/// What a connection's handshake needs of its own side, dropped once it is done.
#[derive(Debug)]
struct Local {
    /// The properties we announce.
    metadata: Metadata,
    /// The ZAP request's fields that do not depend on the mechanism's step.
    zap_template: ZapRequest,
}

/// One ZMTP connection, from the first greeting byte to the close.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    /// What only the handshake uses (`None` once it is done, so that an idle connection does
    /// not keep it).
    local: Option<Box<Local>>,
    state: State,
    decoder: FrameDecoder,
    /// The legacy protocol the peer speaks, once detected (the framing in force from then on;
    /// `None`: ZMTP 3.x framing).
    legacy: Option<LegacyVersion>,
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
    /// never needed; at most [`SPARE_READ_BUFFERS`]).
    spare_recv: Vec<BytesMut>,
    /// Long frames' buffers used before, oldest first, likewise (at most
    /// [`LONG_READ_BUFFERS`]).
    long_recv: Vec<BytesMut>,
    /// `recv` was made for a long frame (it goes to `long_recv` when replaced).
    recv_long: bool,
    /// Where the long frame under way started when `recv` was last grown for it: the same
    /// address means the same frame, in a buffer of its own (see `grow_for_frame`).
    grown_at: usize,
    send: SendBuffer,
    /// Messages that come before every queued event (the usual case: no event is queued),
    /// kept apart so that a driver can hand them to its socket's pipe in one move
    /// ([`Connection::take_messages`]). A message that arrives while an event is queued goes
    /// behind it, into `events`.
    messages: VecDeque<Message>,
    events: VecDeque<Event>,
    partial: Message,
    /// What `partial` counts against `ZMQ_MAXMSGSIZE`: its bodies' bytes plus
    /// [`FRAME_OVERHEAD`] for each frame after the first (kept only with a limit set).
    partial_size: u64,
    /// Bytes left in `recv` after the last processing (a partial frame); more means new input.
    unprocessed: usize,
    /// The whole greeting and handshake must be done by then (`ZMQ_HANDSHAKE_IVL`); `None`
    /// once ready, or without a limit.
    handshake_deadline: Option<Instant>,
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
            local: Some(Box::new(Local {
                metadata: config.local_metadata(),
                zap_template,
            })),
            handshake_deadline: config.handshake_ivl.map(|d| now + d),
            decoder: FrameDecoder::new(config.max_msg_size),
            legacy: None,
            v1_decoder: V1Decoder::new(config.max_msg_size),
            config,
            state: State::Greeting(Box::new(Greetings {
                mechanism,
                greeting_out,
                greeting_in: GreetingDecoder::new(),
            })),
            // Made by the first `recv_buf` (a driver may read the greeting elsewhere and hand
            // over a buffer, see `install_recv_buf`).
            recv: BytesMut::new(),
            read_chunk: INITIAL_READ_CHUNK,
            read_chunk_grew: false,
            spare_recv: Vec::new(),
            long_recv: Vec::new(),
            recv_long: false,
            grown_at: 0,
            send,
            messages: VecDeque::new(),
            events: VecDeque::new(),
            partial: Message::new(),
            partial_size: 0,
            unprocessed: 0,
        }
    }

    /// The settings this connection runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The peer's greeting, once read.
    pub fn peer_greeting(&self) -> Option<&Greeting> {
        match &self.state {
            State::Handshake(h) => Some(&h.peer_greeting),
            State::Active(a) => Some(&a.peer_greeting),
            State::Closed { peer_greeting } => peer_greeting.as_ref(),
            State::Greeting(_) | State::LegacySocketType(_) | State::LegacyIdentity(_) => None,
        }
    }

    /// The legacy protocol the peer speaks (ZMTP 1.0 or 2.0), once its greeting said so;
    /// `None` for ZMTP 3.x peers and before the greeting is read.
    pub fn legacy(&self) -> Option<LegacyVersion> {
        self.legacy
    }

    /// Whether the handshake is done and messages can be sent.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Active(_))
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed { .. })
    }

    /// The next event, if any.
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        match self.messages.pop_front() {
            Some(msg) => Some(Event::Message(msg)),
            None => self.events.pop_front(),
        }
    }

    /// The kind of the next event, which stays in place: a driver that delivers messages only
    /// while its socket has room leaves the rest here (and reads no more until they are
    /// taken).
    #[inline]
    pub fn peek_kind(&self) -> Option<EventKind> {
        if self.messages.is_empty() {
            self.events.front().map(Event::kind)
        } else {
            Some(EventKind::Message)
        }
    }

    /// Moves up to `max` of the next events, as long as they are messages, to the back of
    /// `into` (a socket's inbound queue), in order; how many. When `into` is empty and takes
    /// them all, the two queues trade places: one move for the whole batch, not one a message.
    /// Messages behind another event are left for [`Connection::poll_event`].
    #[inline]
    pub fn take_messages(&mut self, into: &mut VecDeque<Message>, max: usize) -> usize {
        let n = self.messages.len().min(max);
        if n == self.messages.len() && into.is_empty() {
            std::mem::swap(&mut self.messages, into);
        } else {
            into.extend(self.messages.drain(..n));
        }
        n
    }

    /// Queues a whole message behind what is queued.
    #[inline]
    pub(super) fn push_message(&mut self, msg: Message) {
        if self.events.is_empty() {
            self.messages.push_back(msg);
        } else {
            self.events.push_back(Event::Message(msg));
        }
    }

    /// Ends the connection locally. What was queued stays in [`Connection::transmit`].
    pub fn close_locally(&mut self) {
        if !self.is_closed() {
            self.close(ConnectionError::Closed);
        }
    }

    /// Ends the connection with `reason`, for failures found outside the state machine (a
    /// malformed ZAP reply, a ZAP handler that is required but missing).
    pub fn abort(&mut self, reason: ConnectionError) {
        if !self.is_closed() {
            self.close(reason);
        }
    }

    /// Ends the connection: the mechanism or record layer goes (and with it any blocking job
    /// not yet taken, and the heartbeat deadlines), the peer's greeting stays for
    /// [`Connection::peer_greeting`].
    #[cold]
    #[inline(never)]
    fn close(&mut self, reason: ConnectionError) {
        let peer_greeting = self.peer_greeting().copied();
        self.state = State::Closed { peer_greeting };
        self.local = None;
        self.partial = Message::new();
        self.partial_size = 0;
        self.recv.clear();
        self.spare_recv = Vec::new();
        self.long_recv = Vec::new();
        self.events.push_back(Event::Closed(reason));
    }
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

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Every idle connection holds its `Connection` for its whole life (inside its driver's
    /// heap block), so what only the handshake needs is boxed and dropped once it is done
    /// (`Local`, the mechanism's stages): 864 bytes before `Local` was, 704 after; 664 once
    /// the spare read buffers were a vector rather than three inline places; 696 with the
    /// queue of messages apart from the other events (`messages`, for the driver's one-move
    /// hand-over).
    #[test]
    fn a_connection_is_small() {
        let size = std::mem::size_of::<Connection>();
        eprintln!(
            "Connection {size} B: config {} state {} decoder {} v1 {} send {} events {} partial {}",
            std::mem::size_of::<Config>(),
            std::mem::size_of::<State>(),
            std::mem::size_of::<FrameDecoder>(),
            std::mem::size_of::<V1Decoder>(),
            std::mem::size_of::<SendBuffer>(),
            std::mem::size_of::<VecDeque<Event>>(),
            std::mem::size_of::<Message>(),
        );
        assert!(size <= 696, "a Connection takes {size} bytes");
    }
}

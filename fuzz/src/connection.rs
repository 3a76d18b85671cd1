//! `connection_server` / `connection_client`: a [`Connection`] with the NULL mechanism driven by
//! fuzzed peer bytes, read in fuzzed pieces, with a synthetic clock and application sends in
//! between.
//!
//! Input layout: `[mode, p0, p1, p2, p3, peer bytes...]`.
//! - `mode` bit 0 clear: the peer bytes are preceded by a valid ZMTP 3.x NULL greeting, so the
//!   fuzzer starts past the greeting; bit 1 clear as well: and by a READY command (bit 6 set: from
//!   an incompatible socket type). Bits 2-3 pick the socket types, bit 4 makes that greeting say
//!   ZMTP 3.0, bit 5 turns heartbeats on, bit 7 sets a routing id.
//! - `p0..p3`, used in turn for each read: bits 0-5 the read size (1-64 bytes, times 32 with
//!   bit 5), bit 6 advances the clock and calls `handle_timeout`, bit 7 makes the application
//!   send something (a message, a multipart message, a 9000-byte zero-copy body, a subscription).
//!
//! At the end the peer hangs up (`handle_eof`) or we close (`close_locally`).
//!
//! After every step, every event is polled and every byte to transmit is taken and checked: the
//! connection must only ever write a valid greeting, then READY, then well-formed frames, with
//! exactly the messages the application sent, in order. When the fuzzed bytes make the peer a
//! legacy one (ZMTP 1.0 or 2.0, no valid prefix), the greeting expected is libzmq's for it
//! (signature, then the socket type byte and our identity frame, or only the identity body for
//! an unversioned 1.0 peer), and the frames are read in that peer's framing.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use zmtp_codec::frame::{put_header, FLAG_COMMAND};
use zmtp_codec::greeting::{GreetingWriter, GREETING_LEN, SIGNATURE_LEN};
use zmtp_codec::legacy::V1Decoder;
use zmtp_codec::{
    Command, Config, Connection, ConnectionError, Event, Frame, FrameDecoder, LegacyVersion,
    MechanismError, MechanismName, Message, Metadata, SendBuffer, SendError, SocketType,
};
use zmtp_security::Null;

/// Which end of a connection the fuzzed connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The accepting side (ROUTER, PULL, XPUB, REP), with a frame size limit.
    Accepting,
    /// The connecting side (DEALER, PUSH, SUB, REQ), without one.
    Connecting,
}

/// `ZMQ_MAXMSGSIZE` of the accepting side; the connecting side has no limit.
pub const ACCEPTING_MAX_MSG_SIZE: u64 = 1000;

/// Our socket type and a compatible peer's, picked by mode bits 2-3.
const ACCEPTING_TYPES: [(SocketType, SocketType); 4] = [
    (SocketType::Router, SocketType::Dealer),
    (SocketType::Pull, SocketType::Push),
    (SocketType::XPub, SocketType::Sub),
    (SocketType::Rep, SocketType::Req),
];
const CONNECTING_TYPES: [(SocketType, SocketType); 4] = [
    (SocketType::Dealer, SocketType::Router),
    (SocketType::Push, SocketType::Pull),
    (SocketType::Sub, SocketType::XPub),
    (SocketType::Req, SocketType::Rep),
];

const HEADER_LEN: usize = 5;
/// Step sizes for taking bytes out of the send buffer, after a first step of 7 bytes (odd ones
/// exercise partial advances inside chunks).
const TAKE_STEPS: [usize; 4] = [1021, 4093, 65536, usize::MAX];

/// Runs one fuzz input through a connection on `side`.
pub fn connection(data: &[u8], side: Side) {
    if data.len() < HEADER_LEN {
        return;
    }
    let mode = data[0];
    let pattern = [data[1], data[2], data[3], data[4]];
    let types = match side {
        Side::Accepting => ACCEPTING_TYPES,
        Side::Connecting => CONNECTING_TYPES,
    };
    let (ours, peer) = types[usize::from(mode >> 2) & 3];

    let mut config = Config::new(ours);
    if side == Side::Accepting {
        config.max_msg_size = Some(ACCEPTING_MAX_MSG_SIZE);
    }
    if mode & 0x80 != 0 {
        config.routing_id = Bytes::from_static(b"fuzz-routing-id");
    }
    if mode & 0x20 != 0 {
        config.heartbeat_ivl = Some(Duration::from_secs(1));
        config.heartbeat_timeout = Some(Duration::from_millis(2500));
        config.heartbeat_ttl = Duration::from_secs(5);
    }

    // The peer's bytes: an optional valid prefix, then the fuzzer's.
    let mut wire = Vec::with_capacity(GREETING_LEN + 64 + data.len());
    let mut prefix = Prefix::None;
    if mode & 0x01 == 0 {
        let mut greeting = *GreetingWriter::new(MechanismName::NULL, 0).as_bytes();
        if mode & 0x10 != 0 {
            greeting[11] = 0; // ZMTP 3.0
        }
        wire.extend_from_slice(&greeting);
        prefix = Prefix::Greeting;
        if mode & 0x02 == 0 {
            let incompatible = mode & 0x40 != 0;
            let announced = if incompatible { SocketType::Pair } else { peer };
            wire.extend_from_slice(&ready_frame(announced));
            prefix = if incompatible {
                Prefix::IncompatibleReady
            } else {
                Prefix::Ready
            };
        }
    }
    let prefix_len = wire.len();
    wire.extend_from_slice(&data[HEADER_LEN..]);
    // libzmq's rule (and the greeting decoder's): an unversioned ZMTP 1.0 peer starts with a
    // byte other than FF, or has bit 0 of its 10th byte clear.
    let unversioned = wire.first().is_some_and(|&b| b != 0xFF)
        || wire.get(SIGNATURE_LEN - 1).is_some_and(|&b| b & 0x01 == 0);

    let base = Instant::now();
    let mut elapsed = Duration::ZERO;
    let mut h = Harness {
        conn: Connection::new(config.clone(), Box::new(Null::new()), base),
        seen: Seen::default(),
        out: OutputCheck::new(&config, unversioned),
        config,
        takes: 0,
    };
    h.drain();

    let mut fed = 0;
    let mut step = 0usize;
    while fed < wire.len() {
        let p = pattern[step % pattern.len()];
        step += 1;
        let mut len = 1 + usize::from(p & 0x1F);
        if p & 0x20 != 0 {
            len *= 32;
        }
        let end = (fed + len).min(wire.len());
        let now = base + elapsed;
        if step.is_multiple_of(2) {
            h.conn.feed(now, &wire[fed..end]);
        } else {
            // The driver's path: read into recv_buf, then handle_input.
            let buf = h.conn.recv_buf();
            assert!(buf.capacity() - buf.len() >= wire[fed..end].len().min(32 * 1024));
            buf.extend_from_slice(&wire[fed..end]);
            h.conn.handle_input(now);
        }
        fed = end;
        h.drain();

        if p & 0x40 != 0 {
            elapsed += Duration::from_millis(100 * (1 + u64::from(p & 0x1F)));
            h.conn.handle_timeout(base + elapsed);
            h.drain();
        }
        if p & 0x80 != 0 {
            h.app_sends(step);
            h.drain();
        }
        if fed >= prefix_len {
            h.check_prefix_outcome(prefix);
        }
    }

    // Let the clock run to every deadline the connection asks for: each call must move the
    // deadline on (or close), or a driver would spin.
    for _ in 0..6 {
        let Some(deadline) = h.conn.poll_timeout() else {
            break;
        };
        let now = deadline.max(base + elapsed);
        elapsed = now - base;
        h.conn.handle_timeout(now);
        h.drain();
        if let Some(next) = h.conn.poll_timeout() {
            assert!(
                next > now,
                "handle_timeout({now:?}) left a deadline at or before it"
            );
        }
    }

    // The end: the peer hangs up, or we close.
    if (pattern[0] ^ pattern[1]) & 1 == 1 {
        let was_ready = h.conn.is_ready();
        let was_closed = h.conn.is_closed();
        h.conn.handle_eof();
        h.drain();
        if !was_closed {
            assert_eq!(
                h.seen.closed,
                Some(ConnectionError::PeerClosed {
                    during_handshake: !was_ready
                })
            );
        }
    } else {
        h.conn.close_locally();
        h.drain();
    }
    assert!(h.conn.is_closed());
    assert!(h.seen.closed.is_some());
    assert!(h.conn.poll_timeout().is_none());
    assert_eq!(
        h.conn.send(&Message::single(Bytes::from_static(b"late"))),
        Err(SendError::Closed)
    );
    // After the close nothing more happens, whatever arrives.
    h.conn.feed(base + elapsed, &wire[..wire.len().min(16)]);
    h.conn
        .handle_timeout(base + elapsed + Duration::from_secs(3600));
    assert!(h.conn.poll_event().is_none(), "an event after Closed");
    assert!(!h.conn.wants_to_transmit(), "bytes queued after Closed");
}

/// What the valid prefix promised, if there was one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    None,
    Greeting,
    Ready,
    IncompatibleReady,
}

/// A READY command frame announcing `socket_type`, as a peer would send it.
pub(crate) fn ready_frame(socket_type: SocketType) -> Vec<u8> {
    let mut md = Metadata::new();
    md.insert("Socket-Type", socket_type.as_str())
        .expect("valid name");
    if socket_type.sends_identity() {
        md.insert("Identity", Bytes::new()).expect("valid name");
    }
    let cmd = Command::Ready(md);
    let mut frame = BytesMut::new();
    put_header(&mut frame, FLAG_COMMAND, cmd.body_len());
    cmd.encode_body(&mut frame);
    frame.to_vec()
}

struct Harness {
    conn: Connection,
    config: Config,
    seen: Seen,
    out: OutputCheck,
    takes: usize,
}

/// What the events said so far.
#[derive(Debug, Default)]
struct Seen {
    ready: bool,
    closed: Option<ConnectionError>,
}

impl Harness {
    /// Polls every event and takes every byte to transmit, checking both.
    fn drain(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            self.on_event(event);
        }
        assert_eq!(self.conn.is_closed(), self.seen.closed.is_some());
        assert_eq!(
            self.conn.is_ready(),
            self.seen.ready && self.seen.closed.is_none()
        );
        if self.seen.closed.is_some() {
            assert!(self.conn.poll_timeout().is_none());
        }
        self.take_transmit();
    }

    fn on_event(&mut self, event: Event) {
        assert!(
            self.seen.closed.is_none(),
            "event {event:?} after Closed({:?})",
            self.seen.closed
        );
        match event {
            Event::Ready(info) => {
                assert!(!self.seen.ready, "a second Ready");
                assert_eq!(info.legacy, self.conn.legacy());
                // A ZMTP 3.x peer's type is known and fits ours; a legacy peer's is not
                // checked (as in libzmq), and a 1.0 peer announces none.
                match (&info.legacy, info.socket_type) {
                    (None, Some(peer)) => {
                        assert!(self.config.socket_type.is_compatible_with(peer))
                    }
                    (None, None) => panic!("a ZMTP 3.x peer without a socket type"),
                    (Some(_), _) => {}
                }
                assert_eq!(Some(&info.greeting), self.conn.peer_greeting());
                self.seen.ready = true;
            }
            Event::Message(msg) => {
                assert!(self.seen.ready, "a message before Ready");
                assert!(!msg.is_empty(), "an empty message");
                if let Some(max) = self.config.max_msg_size {
                    for frame in msg.iter() {
                        assert!(frame.len() as u64 <= max, "a frame above ZMQ_MAXMSGSIZE");
                    }
                    // The whole message too: its bodies and FRAME_OVERHEAD per further frame.
                    let counted = msg.byte_len() as u64
                        + zmtp_codec::connection::FRAME_OVERHEAD * (msg.len() as u64 - 1);
                    assert!(counted <= max, "a message above ZMQ_MAXMSGSIZE");
                }
            }
            Event::Subscribe(_) | Event::Cancel(_) => {
                // libzmq acts on these commands whatever minor version the peer announced.
                assert!(self.seen.ready, "a subscription before Ready");
            }
            Event::ZapRequest(req) => panic!("NULL without a ZAP domain asked ZAP: {req:?}"),
            Event::Closed(reason) => self.seen.closed = Some(reason),
        }
    }

    /// Takes all bytes out of the send buffer, checking that `chunks_vectored` and
    /// `chunk`/`advance` agree, and hands them to the output check.
    fn take_transmit(&mut self) {
        let step = TAKE_STEPS[self.takes % TAKE_STEPS.len()];
        self.takes += 1;
        let peer_v31 = self.conn.peer_greeting().is_some_and(|g| g.is_v31());
        let legacy = self.conn.legacy();
        let buf = self.conn.transmit();
        let total = buf.remaining();
        let mut slices = [IoSlice::new(&[]); 16];
        let n = buf.chunks_vectored(&mut slices);
        let mut vectored = Vec::with_capacity(total);
        for slice in &slices[..n] {
            vectored.extend_from_slice(slice);
        }
        if n < slices.len() {
            assert_eq!(vectored.len(), total, "chunks_vectored left bytes out");
        }
        assert!(
            slices[..n].iter().all(|s| !s.is_empty()),
            "an empty IoSlice"
        );
        let mut taken = Vec::with_capacity(total);
        let mut first = true;
        while buf.has_remaining() {
            let chunk = buf.chunk();
            assert!(!chunk.is_empty(), "Buf::chunk empty while bytes remain");
            let k = chunk.len().min(if first { 7 } else { step });
            first = false;
            taken.extend_from_slice(&chunk[..k]);
            buf.advance(k);
        }
        assert_eq!(taken.len(), total);
        assert_eq!(&taken[..vectored.len()], &vectored[..]);
        assert!(!self.conn.wants_to_transmit());
        self.out.absorb(&taken, peer_v31, legacy);
    }

    /// The application's turn: send something if the connection is ready, check it is refused
    /// otherwise.
    fn app_sends(&mut self, step: usize) {
        let probe = Message::single(Bytes::from_static(b"x"));
        if !self.conn.is_ready() {
            let expected = if self.conn.is_closed() {
                SendError::Closed
            } else {
                SendError::NotReady
            };
            assert_eq!(self.conn.send(&probe), Err(expected.clone()));
            assert_eq!(self.conn.subscribe(b"t"), Err(expected));
            return;
        }
        assert_eq!(
            self.conn.send(&Message::new()),
            Err(SendError::EmptyMessage)
        );
        let v31 = self.conn.peer_greeting().is_some_and(|g| g.is_v31());
        let subscriber = matches!(self.config.socket_type, SocketType::Sub | SocketType::XSub);
        let (result, expected) = match (step / 4) % 4 {
            0 => (self.conn.send(&probe), Expected::Message(probe)),
            1 => {
                let mut msg = Message::new();
                msg.push_back(Bytes::from_static(b"routing-id"));
                msg.push_back(Bytes::new());
                static MEDIUM: [u8; 300] = [0xA5; 300];
                msg.push_back(Bytes::from_static(&MEDIUM));
                (self.conn.send(&msg), Expected::Message(msg))
            }
            2 => {
                // Above ZERO_COPY_THRESHOLD: queued by reference, written from its own slice.
                static LARGE: [u8; 9000] = [0x5A; 9000];
                let msg = Message::single(Bytes::from_static(&LARGE));
                (self.conn.send(&msg), Expected::Message(msg))
            }
            _ if subscriber && step.is_multiple_of(2) => {
                let result = self.conn.subscribe(b"weather.");
                let expected = if v31 {
                    Expected::Subscribe(Bytes::from_static(b"weather."))
                } else {
                    Expected::Message(Message::single(Bytes::from_static(b"\x01weather.")))
                };
                (result, expected)
            }
            _ if subscriber => {
                let result = self.conn.cancel(b"");
                let expected = if v31 {
                    Expected::Cancel(Bytes::new())
                } else {
                    Expected::Message(Message::single(Bytes::from_static(b"\x00")))
                };
                (result, expected)
            }
            _ => {
                let msg = Message::single(Bytes::new());
                (self.conn.send(&msg), Expected::Message(msg))
            }
        };
        assert_eq!(result, Ok(()));
        self.out.expected.push_back(expected);
    }

    /// Once the whole valid prefix is in, the handshake must have gone the way it promised
    /// (unless the clock ran past the handshake deadline first).
    fn check_prefix_outcome(&self, prefix: Prefix) {
        if matches!(self.seen.closed, Some(ConnectionError::HandshakeTimeout)) {
            return;
        }
        match prefix {
            Prefix::None => {}
            Prefix::Greeting => {
                assert!(
                    self.seen.ready || self.seen.closed.is_some() || self.out.greeting_done(),
                    "a valid greeting did not get ours out"
                );
                assert!(
                    !matches!(
                        self.seen.closed,
                        Some(ConnectionError::Greeting(_))
                            | Some(ConnectionError::LegacyPeerRefused(_))
                            | Some(ConnectionError::MechanismMismatch { .. })
                    ),
                    "a valid greeting refused: {:?}",
                    self.seen.closed
                );
            }
            Prefix::Ready => {
                assert!(
                    self.seen.ready,
                    "a valid greeting and READY did not complete the handshake: {:?}",
                    self.seen.closed
                );
            }
            Prefix::IncompatibleReady => {
                assert!(!self.seen.ready);
                assert!(
                    matches!(
                        self.seen.closed,
                        Some(ConnectionError::Mechanism(
                            MechanismError::IncompatibleSocketType { .. }
                        ))
                    ),
                    "an incompatible peer was not refused: {:?}",
                    self.seen.closed
                );
                assert!(self.out.error_sent, "no ERROR told the peer why");
            }
        }
    }
}

/// What the application queued, in order, to be found in the output.
#[derive(Debug, PartialEq)]
enum Expected {
    Message(Message),
    Subscribe(Bytes),
    Cancel(Bytes),
}

/// Decodes everything the connection writes, as its peer would, and checks it.
struct OutputCheck {
    /// The greeting expected: the 3.x one, replaced by the legacy one once the peer is known
    /// to be legacy.
    greeting: Vec<u8>,
    greeting_len: usize,
    rest: BytesMut,
    decoder: FrameDecoder,
    /// Set once the connection serves a legacy peer.
    legacy: Option<LegacyVersion>,
    /// Whether a legacy peer would be an unversioned ZMTP 1.0 one.
    unversioned: bool,
    v1_decoder: V1Decoder,
    socket_type: SocketType,
    routing_id: Bytes,
    frames: usize,
    partial: Message,
    expected: VecDeque<Expected>,
    error_sent: bool,
}

impl OutputCheck {
    fn new(config: &Config, unversioned: bool) -> OutputCheck {
        OutputCheck {
            greeting: GreetingWriter::new(MechanismName::NULL, config.routing_id.len())
                .as_bytes()
                .to_vec(),
            greeting_len: 0,
            rest: BytesMut::new(),
            decoder: FrameDecoder::new(None),
            legacy: None,
            unversioned,
            v1_decoder: V1Decoder::new(None),
            socket_type: config.socket_type,
            routing_id: config.routing_id.clone(),
            frames: 0,
            partial: Message::new(),
            expected: VecDeque::new(),
            error_sent: false,
        }
    }

    fn greeting_done(&self) -> bool {
        self.greeting_len == GREETING_LEN
    }

    /// The peer turned out to be legacy: what libzmq sends it instead of the rest of a 3.x
    /// greeting. Only the signature (and, to a versioned peer, the major version) can have
    /// gone out before.
    fn switch_to_legacy(&mut self, version: LegacyVersion) {
        self.legacy = Some(version);
        let mut expected = self.greeting[..SIGNATURE_LEN].to_vec();
        if self.unversioned {
            assert_eq!(version, LegacyVersion::V1);
            assert!(
                self.greeting_len <= SIGNATURE_LEN,
                "a major version to a 1.0 peer"
            );
            expected.extend_from_slice(&self.routing_id);
        } else {
            assert!(
                self.greeting_len <= SIGNATURE_LEN + 1,
                "3.x greeting bytes to a legacy peer"
            );
            expected.extend_from_slice(&[3, self.socket_type.as_raw()]);
            let mut frame = SendBuffer::new();
            let identity = Message::single(self.routing_id.clone());
            match version {
                LegacyVersion::V1 => frame.put_message_v1(&identity),
                LegacyVersion::V2 => frame.put_message(&identity),
            }
            expected.extend_from_slice(&frame.copy_to_bytes(frame.remaining()));
        }
        self.greeting = expected;
    }

    fn absorb(&mut self, mut bytes: &[u8], peer_v31: bool, legacy: Option<LegacyVersion>) {
        if let Some(version) = legacy {
            if self.legacy.is_none() {
                self.switch_to_legacy(version);
            }
        }
        if self.greeting_len < self.greeting.len() {
            let k = (self.greeting.len() - self.greeting_len).min(bytes.len());
            assert_eq!(
                &bytes[..k],
                &self.greeting[self.greeting_len..self.greeting_len + k],
                "our greeting bytes differ from libzmq's layout"
            );
            self.greeting_len += k;
            bytes = &bytes[k..];
        }
        if bytes.is_empty() {
            return;
        }
        self.rest.extend_from_slice(bytes);
        loop {
            let decoded = match self.legacy {
                Some(LegacyVersion::V1) => self.v1_decoder.decode(&mut self.rest),
                _ => self.decoder.decode(&mut self.rest),
            };
            let Some(frame) = decoded.expect("the connection wrote an invalid frame header") else {
                break;
            };
            self.on_frame(frame, peer_v31);
        }
    }

    fn on_frame(&mut self, frame: Frame, peer_v31: bool) {
        assert!(!self.error_sent, "a frame after our ERROR");
        self.frames += 1;
        if self.legacy.is_some() {
            // No READY and no commands: identities were exchanged in the greeting.
            assert!(!frame.command, "a command to a legacy peer");
        } else if self.frames == 1 {
            assert!(frame.command, "the first frame is not a command");
            let Ok(Command::Ready(md)) = Command::parse(frame.body.clone()) else {
                panic!("the first frame is not READY: {frame:?}");
            };
            assert_eq!(md.socket_type(), Some(Ok(self.socket_type)));
            if self.socket_type.sends_identity() {
                assert_eq!(md.identity(), Some(&self.routing_id));
            } else {
                assert_eq!(md.identity(), None);
            }
            return;
        }
        if !frame.command {
            self.partial.push_back(frame.body);
            if !frame.more {
                let msg = std::mem::take(&mut self.partial);
                let want = self.expected.pop_front();
                assert_eq!(want, Some(Expected::Message(msg)), "wrote another message");
            }
            return;
        }
        assert!(
            self.partial.is_empty(),
            "a command inside a multipart message"
        );
        match Command::parse(frame.body).expect("the connection wrote a malformed command") {
            Command::Ping { .. } => assert!(peer_v31, "PING sent to a ZMTP 3.0 peer"),
            // A PING is answered whatever version the peer announced, as libzmq does.
            Command::Pong { .. } => {}
            Command::Error { .. } => self.error_sent = true,
            Command::Subscribe(topic) => {
                assert_eq!(self.expected.pop_front(), Some(Expected::Subscribe(topic)));
            }
            Command::Cancel(topic) => {
                assert_eq!(self.expected.pop_front(), Some(Expected::Cancel(topic)));
            }
            other => panic!("the connection wrote an unexpected command: {other:?}"),
        }
    }
}

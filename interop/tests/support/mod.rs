//! Helpers shared by the integration tests:
//! - [`Driver`]: a minimal async driver for the sans-IO [`Connection`] over a Tokio
//!   [`TcpStream`], with optional logs of the raw bytes in both directions;
//! - [`Traffic`]: deterministic multipart messages (sizes and contents from a xorshift
//!   generator), so that a sender and a receiver on different threads agree on every byte
//!   without sharing anything but a seed;
//! - [`Monitor`]: a libzmq socket monitor read through a PAIR socket, with bounded waits;
//! - small libzmq conveniences (endpoint parsing, event names).
//!
//! Every wait here has an upper bound and fails with a message saying what was awaited.
// Each test file uses a part of this module.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use tokio::io::Interest;
use tokio::net::TcpStream;
use zmtp::codec::{Config, Connection, ConnectionError, Event, Message, PeerInfo, SocketType};
use zmtp::security::Null;

/// Length of a ZMTP 3.x greeting.
pub(crate) const GREETING_LEN: usize = 64;

/// A new connection with the NULL mechanism and libzmq's default options for `socket_type`.
pub(crate) fn null_connection(socket_type: SocketType) -> Connection {
    Connection::new(
        Config::new(socket_type),
        Box::new(Null::new()),
        Instant::now(),
    )
}

// ------------------------------------------------------------------------------------------------
// The driver
// ------------------------------------------------------------------------------------------------

/// Why [`Driver::run_until`] stopped before its condition held.
#[derive(Debug)]
pub(crate) enum DriveError {
    /// The condition did not hold within the time limit.
    TimedOut {
        /// What was awaited.
        what: String,
        /// The limit.
        after: Duration,
    },
    /// Reading or writing the stream failed.
    Io {
        /// What was awaited.
        what: String,
        /// The error.
        error: io::Error,
    },
    /// The peer closed the stream (and nothing is left to write).
    PeerClosed {
        /// What was awaited.
        what: String,
    },
    /// The connection ended (and everything it had to transmit was written).
    Closed {
        /// What was awaited.
        what: String,
        /// Why it ended.
        reason: ConnectionError,
    },
}

impl fmt::Display for DriveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriveError::TimedOut { what, after } => {
                write!(f, "timed out after {after:?} waiting for {what}")
            }
            DriveError::Io { what, error } => write!(f, "I/O error waiting for {what}: {error}"),
            DriveError::PeerClosed { what } => {
                write!(f, "the peer closed the connection while waiting for {what}")
            }
            DriveError::Closed { what, reason } => {
                write!(
                    f,
                    "the connection ended while waiting for {what}: {reason:?}"
                )
            }
        }
    }
}

impl std::error::Error for DriveError {}

/// Runs a [`Connection`] over a [`TcpStream`]: reads into [`Connection::recv_buf`] and calls
/// [`Connection::handle_input`], writes [`Connection::transmit`] with vectored writes, calls
/// [`Connection::handle_timeout`] at [`Connection::poll_timeout`], runs the mechanism's
/// blocking jobs ([`Connection::poll_blocking`], GSSAPI's) on the blocking pool, and collects
/// the events in [`Driver::events`] for the test to take.
#[derive(Debug)]
pub(crate) struct Driver {
    /// The state machine under test.
    pub(crate) conn: Connection,
    /// The transport.
    pub(crate) stream: TcpStream,
    /// Events polled from the connection and not yet taken by the test.
    pub(crate) events: VecDeque<Event>,
    /// Every byte written to the stream, when recording (see [`Driver::record_bytes`]). When a
    /// write fails after the connection ended, what was left is appended too, so this is always
    /// "everything the connection handed over for transmission".
    pub(crate) transmitted: Option<Vec<u8>>,
    /// Every byte read from the stream, when recording.
    pub(crate) received: Option<Vec<u8>>,
    hold_after_greeting: bool,
    written: usize,
    peer_closed: bool,
    closed: Option<ConnectionError>,
}

impl Driver {
    /// A driver for `conn` over `stream`.
    pub(crate) fn new(conn: Connection, stream: TcpStream) -> Driver {
        Driver {
            conn,
            stream,
            events: VecDeque::new(),
            transmitted: None,
            received: None,
            hold_after_greeting: false,
            written: 0,
            peer_closed: false,
            closed: None,
        }
    }

    /// Keeps a copy of every byte written and read (for tests that inspect the wire).
    pub(crate) fn record_bytes(mut self) -> Driver {
        self.transmitted = Some(Vec::new());
        self.received = Some(Vec::new());
        self
    }

    /// Writes nothing past our 64-byte greeting until the connection is ready or closed, so that
    /// the peer sees our handshake commands only after we have seen its own. NULL lets either
    /// side speak first; this pins down an order the test needs (see its comment).
    pub(crate) fn hold_after_greeting(mut self) -> Driver {
        self.hold_after_greeting = true;
        self
    }

    /// Whether the peer closed its side of the stream.
    pub(crate) fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// Runs the handshake and returns what the peer is; the [`Event::Ready`] is taken from
    /// [`Driver::events`], anything after it stays there.
    pub(crate) async fn handshake(&mut self, limit: Duration) -> Result<PeerInfo, DriveError> {
        self.run_until("the handshake to finish", limit, |d| {
            d.events.iter().any(|e| matches!(e, Event::Ready(_)))
        })
        .await?;
        let at = self
            .events
            .iter()
            .position(|e| matches!(e, Event::Ready(_)))
            .expect("the loop above stops only once a Ready event is in");
        let before: Vec<Event> = self.events.drain(..at).collect();
        assert!(before.is_empty(), "events before Ready: {before:?}");
        match self.events.pop_front() {
            Some(Event::Ready(peer)) => Ok(peer),
            other => unreachable!("checked above: {other:?}"),
        }
    }

    /// Writes everything the connection has to transmit.
    pub(crate) async fn flush(&mut self, limit: Duration) -> Result<(), DriveError> {
        self.run_until("everything queued to be written", limit, |d| {
            !d.conn.wants_to_transmit()
        })
        .await
    }

    /// Drives the connection until `done` returns true, checking it after every step (a read
    /// and its processing, a write, or a timer), and first before any I/O. `done` may queue
    /// messages, take events, or look at the byte logs. Fails if `limit` passes first, if the
    /// connection ends, or if the peer closes the stream.
    pub(crate) async fn run_until(
        &mut self,
        what: &str,
        limit: Duration,
        mut done: impl FnMut(&mut Driver) -> bool,
    ) -> Result<(), DriveError> {
        let deadline = Instant::now() + limit;
        loop {
            while let Some(job) = self.conn.poll_blocking() {
                let output = tokio::task::spawn_blocking(move || job.run())
                    .await
                    .expect("the mechanism's blocking job ran");
                self.conn.handle_blocking_done(Instant::now(), output);
            }
            self.collect_events();
            if done(self) {
                return Ok(());
            }
            let want_write = self.may_write();
            if let Some(reason) = &self.closed {
                if !want_write {
                    return Err(DriveError::Closed {
                        what: what.to_owned(),
                        reason: reason.clone(),
                    });
                }
            }
            let want_read = !self.peer_closed && !self.conn.is_closed();
            if !want_read && !want_write {
                return Err(DriveError::PeerClosed {
                    what: what.to_owned(),
                });
            }
            if Instant::now() >= deadline {
                return Err(DriveError::TimedOut {
                    what: what.to_owned(),
                    after: limit,
                });
            }
            let interest = match (want_read, want_write) {
                (true, true) => Interest::READABLE.add(Interest::WRITABLE),
                (true, false) => Interest::READABLE,
                _ => Interest::WRITABLE,
            };
            let wake = self
                .conn
                .poll_timeout()
                .map_or(deadline, |t| t.min(deadline));
            tokio::select! {
                ready = self.stream.ready(interest) => {
                    let ready = ready.map_err(|error| DriveError::Io { what: what.to_owned(), error })?;
                    if want_read && (ready.is_readable() || ready.is_read_closed()) {
                        self.read().map_err(|error| DriveError::Io { what: what.to_owned(), error })?;
                    }
                    if want_write && (ready.is_writable() || ready.is_write_closed()) {
                        self.write().map_err(|error| DriveError::Io { what: what.to_owned(), error })?;
                    }
                }
                () = tokio::time::sleep_until(wake.into()) => {
                    self.conn.handle_timeout(Instant::now());
                }
            }
        }
    }

    fn collect_events(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            if let Event::Closed(reason) = &event {
                self.closed = Some(reason.clone());
            }
            self.events.push_back(event);
        }
    }

    /// How many more bytes may be written now.
    fn write_allowance(&self) -> usize {
        let holding = self.hold_after_greeting && !self.conn.is_ready() && !self.conn.is_closed();
        if holding {
            GREETING_LEN.saturating_sub(self.written)
        } else {
            usize::MAX
        }
    }

    fn may_write(&self) -> bool {
        self.conn.wants_to_transmit() && self.write_allowance() > 0
    }

    fn read(&mut self) -> io::Result<()> {
        let buf = self.conn.recv_buf();
        let before = buf.len();
        match self.stream.try_read_buf(buf) {
            Ok(0) => {
                self.peer_closed = true;
                Ok(())
            }
            Ok(_) => {
                if let Some(log) = &mut self.received {
                    log.extend_from_slice(&self.conn.recv_buf()[before..]);
                }
                self.conn.handle_input(Instant::now());
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn write(&mut self) -> io::Result<()> {
        let allowance = self.write_allowance();
        let tx = self.conn.transmit();
        let mut slices = [IoSlice::new(&[]); 64];
        let count = tx.chunks_vectored(&mut slices);
        let result = if allowance == usize::MAX {
            self.stream.try_write_vectored(&slices[..count])
        } else {
            let chunk = tx.chunk();
            self.stream.try_write(&chunk[..chunk.len().min(allowance)])
        };
        match result {
            Ok(n) => {
                if let Some(log) = &mut self.transmitted {
                    let mut left = n;
                    for slice in &slices[..count] {
                        let take = left.min(slice.len());
                        log.extend_from_slice(&slice[..take]);
                        left -= take;
                    }
                }
                tx.advance(n);
                self.written += n;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => {
                if self.closed.is_some() {
                    // The peer may hang up on a connection we are closing anyway; keep what the
                    // connection handed over so the test can still check it.
                    if let Some(log) = &mut self.transmitted {
                        while tx.has_remaining() {
                            let chunk = tx.chunk();
                            log.extend_from_slice(chunk);
                            let n = chunk.len();
                            tx.advance(n);
                        }
                    } else {
                        tx.advance(tx.remaining());
                    }
                    return Ok(());
                }
                Err(e)
            }
        }
    }
}

/// How many times `needle` occurs in `haystack` (overlaps counted).
pub(crate) fn count_occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || haystack.len() < needle.len() {
        return 0;
    }
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

// ------------------------------------------------------------------------------------------------
// Deterministic traffic
// ------------------------------------------------------------------------------------------------

/// A xorshift64 generator (Marsaglia's 13/7/17 triple): small, fast, deterministic.
#[derive(Debug, Clone)]
pub(crate) struct XorShift64(u64);

impl XorShift64 {
    /// A generator whose state is derived from `seed` (any value, zero included).
    pub(crate) fn new(seed: u64) -> XorShift64 {
        // One splitmix64 step spreads nearby seeds apart and never yields a zero state for the
        // seeds used here; guard anyway, since zero is xorshift's fixed point.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        XorShift64(if z == 0 { 1 } else { z })
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n` > 0; the slight modulo bias does not matter here).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// One frame of a generated message: its length and the seed of its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameSpec {
    /// Body length in bytes.
    pub(crate) len: usize,
    /// Seed of the body's bytes (see [`fill_frame`]).
    pub(crate) seed: u64,
}

/// One MiB, the largest frames [`Traffic`] makes.
pub(crate) const MIB: usize = 1 << 20;

/// Deterministic multipart messages of mixed sizes. Two `Traffic`s made from the same seed yield
/// the same messages, so a receiver checks every byte against its own copy of the generator.
///
/// Frame sizes: about 12 % empty, 30 % 1-64 B, 8 % on the boundaries that change the encoding
/// (255 / 256: short and long size fields; [`ZERO_COPY`] - 1 / [`ZERO_COPY`]: copied and
/// referenced bodies), 40 % 65 B - 4 KiB, 10 % from 8 KiB to 40 KiB (zero-copy path); and every
/// 1000th message (index 500 mod 1000) carries an extra frame of exactly 1 MiB. Messages have 1
/// to 4 frames (5 with the 1 MiB one).
///
/// [`Traffic::light`] makes smaller messages from the same generator, for tests that run many
/// cases of 10,000 messages each way.
#[derive(Debug, Clone)]
pub(crate) struct Traffic {
    rng: XorShift64,
    index: u64,
    light: bool,
}

/// The size from which the codec's send buffer references bodies instead of copying them.
pub(crate) const ZERO_COPY: usize = zmtp::codec::send_buffer::ZERO_COPY_THRESHOLD;

impl Traffic {
    /// A generator of messages seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Traffic {
        Traffic {
            rng: XorShift64::new(seed),
            index: 0,
            light: false,
        }
    }

    /// A generator of small messages seeded with `seed` (about 400 bytes a message on average):
    /// 1 to 3 frames each, about 15 % empty, 55 % 1-32 B, 14 % of 255 / 256 B (short and long
    /// size fields), 15 % 33 B - 1 KiB, 1 % of [`ZERO_COPY`] - 1 / [`ZERO_COPY`] B; message
    /// 5,000 carries an extra frame of exactly 1 MiB.
    pub(crate) fn light(seed: u64) -> Traffic {
        Traffic {
            light: true,
            ..Traffic::new(seed)
        }
    }

    fn light_frame_len(&mut self) -> usize {
        match self.rng.below(100) {
            0..=14 => 0,
            15..=69 => 1 + self.rng.below(32),
            70..=83 => [255, 256][self.rng.below(2)],
            84..=98 => 33 + self.rng.below(1024 - 32),
            _ => [ZERO_COPY - 1, ZERO_COPY][self.rng.below(2)],
        }
    }

    fn frame_len(&mut self) -> usize {
        if self.light {
            return self.light_frame_len();
        }
        let boundaries = [255, 256, ZERO_COPY - 1, ZERO_COPY];
        match self.rng.below(100) {
            0..=11 => 0,
            12..=41 => 1 + self.rng.below(64),
            42..=49 => boundaries[self.rng.below(boundaries.len())],
            50..=89 => 65 + self.rng.below(4 * 1024 - 64),
            _ => ZERO_COPY + self.rng.below(32 * 1024 + 1),
        }
    }

    /// The frames of the next message.
    pub(crate) fn next_spec(&mut self) -> Vec<FrameSpec> {
        let count = 1 + self.rng.below(if self.light { 3 } else { 4 });
        let mut frames = Vec::with_capacity(count + 1);
        for _ in 0..count {
            let len = self.frame_len();
            frames.push(FrameSpec {
                len,
                seed: self.rng.next_u64(),
            });
        }
        let big = if self.light {
            self.index == 5_000
        } else {
            self.index % 1000 == 500
        };
        if big {
            let at = self.rng.below(frames.len() + 1);
            let seed = self.rng.next_u64();
            frames.insert(at, FrameSpec { len: MIB, seed });
        }
        self.index += 1;
        frames
    }

    /// The next message, built.
    pub(crate) fn next_message(&mut self) -> Message {
        self.next_spec().iter().map(frame_bytes).collect()
    }
}

/// Fills `out` with the body of `spec` (replacing what was there): the little-endian words of a
/// xorshift64 stream seeded with the frame's seed, cut to its length.
pub(crate) fn fill_frame(spec: &FrameSpec, out: &mut Vec<u8>) {
    out.clear();
    out.resize(spec.len, 0);
    let mut rng = XorShift64::new(spec.seed);
    let mut words = out.chunks_exact_mut(8);
    for word in &mut words {
        word.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    let rest = words.into_remainder();
    if !rest.is_empty() {
        let last = rng.next_u64().to_le_bytes();
        rest.copy_from_slice(&last[..rest.len()]);
    }
}

/// The body of `spec` as [`Bytes`].
pub(crate) fn frame_bytes(spec: &FrameSpec) -> Bytes {
    let mut out = Vec::new();
    fill_frame(spec, &mut out);
    Bytes::from(out)
}

/// Checks a received message against its spec. `scratch` is reused between calls.
pub(crate) fn check_message(
    index: usize,
    spec: &[FrameSpec],
    msg: &Message,
    scratch: &mut Vec<u8>,
) -> Result<(), String> {
    if msg.len() != spec.len() {
        return Err(format!(
            "message {index}: {} frames received, {} expected (sizes received {:?}, expected {:?})",
            msg.len(),
            spec.len(),
            msg.iter().map(Bytes::len).collect::<Vec<_>>(),
            spec.iter().map(|f| f.len).collect::<Vec<_>>(),
        ));
    }
    for (j, (frame, spec)) in msg.iter().zip(spec).enumerate() {
        check_frame(index, j, spec, frame, scratch)?;
    }
    Ok(())
}

/// Checks one received frame body against its spec.
pub(crate) fn check_frame(
    index: usize,
    frame_index: usize,
    spec: &FrameSpec,
    body: &[u8],
    scratch: &mut Vec<u8>,
) -> Result<(), String> {
    fill_frame(spec, scratch);
    if body == &scratch[..] {
        return Ok(());
    }
    let first_diff = body
        .iter()
        .zip(scratch.iter())
        .position(|(a, b)| a != b)
        .unwrap_or(body.len().min(scratch.len()));
    Err(format!(
        "message {index} frame {frame_index}: {} bytes received, {} expected, first difference \
         at byte {first_diff}",
        body.len(),
        spec.len
    ))
}

// ------------------------------------------------------------------------------------------------
// libzmq
// ------------------------------------------------------------------------------------------------

/// A libzmq monitor event: its number (`ZMQ_EVENT_*`) and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MonitorEvent {
    /// `ZMQ_EVENT_*`.
    pub(crate) event: u16,
    /// The event's value (an fd, an errno, a protocol error code, ...).
    pub(crate) value: u32,
}

impl fmt::Display for MonitorEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:#x})", event_name(self.event), self.value)
    }
}

/// `ZMQ_EVENT_CONNECTED`.
pub(crate) const EVENT_CONNECTED: u16 = zmq::SocketEvent::CONNECTED as u16;
/// `ZMQ_EVENT_ACCEPTED`.
pub(crate) const EVENT_ACCEPTED: u16 = zmq::SocketEvent::ACCEPTED as u16;
/// `ZMQ_EVENT_DISCONNECTED`.
pub(crate) const EVENT_DISCONNECTED: u16 = zmq::SocketEvent::DISCONNECTED as u16;
/// `ZMQ_EVENT_HANDSHAKE_SUCCEEDED` (0x1000 in libzmq 4.3).
pub(crate) const EVENT_HANDSHAKE_SUCCEEDED: u16 = zmq::SocketEvent::HANDSHAKE_SUCCEEDED as u16;
const _: () = assert!(EVENT_HANDSHAKE_SUCCEEDED == 0x1000, "libzmq 4.3's value");
/// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`.
pub(crate) const EVENT_HANDSHAKE_FAILED_NO_DETAIL: u16 =
    zmq::SocketEvent::HANDSHAKE_FAILED_NO_DETAIL as u16;
/// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`.
pub(crate) const EVENT_HANDSHAKE_FAILED_PROTOCOL: u16 =
    zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL as u16;
/// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`.
pub(crate) const EVENT_HANDSHAKE_FAILED_AUTH: u16 = zmq::SocketEvent::HANDSHAKE_FAILED_AUTH as u16;

/// Whether `event` is one of the three handshake failures.
pub(crate) fn is_handshake_failure(event: u16) -> bool {
    matches!(
        event,
        EVENT_HANDSHAKE_FAILED_NO_DETAIL
            | EVENT_HANDSHAKE_FAILED_PROTOCOL
            | EVENT_HANDSHAKE_FAILED_AUTH
    )
}

/// libzmq's name for a monitor event number.
pub(crate) fn event_name(event: u16) -> &'static str {
    use zmq::SocketEvent as E;
    const NAMES: [(E, &str); 15] = [
        (E::CONNECTED, "CONNECTED"),
        (E::CONNECT_DELAYED, "CONNECT_DELAYED"),
        (E::CONNECT_RETRIED, "CONNECT_RETRIED"),
        (E::LISTENING, "LISTENING"),
        (E::BIND_FAILED, "BIND_FAILED"),
        (E::ACCEPTED, "ACCEPTED"),
        (E::ACCEPT_FAILED, "ACCEPT_FAILED"),
        (E::CLOSED, "CLOSED"),
        (E::CLOSE_FAILED, "CLOSE_FAILED"),
        (E::DISCONNECTED, "DISCONNECTED"),
        (E::MONITOR_STOPPED, "MONITOR_STOPPED"),
        (E::HANDSHAKE_FAILED_NO_DETAIL, "HANDSHAKE_FAILED_NO_DETAIL"),
        (E::HANDSHAKE_SUCCEEDED, "HANDSHAKE_SUCCEEDED"),
        (E::HANDSHAKE_FAILED_PROTOCOL, "HANDSHAKE_FAILED_PROTOCOL"),
        (E::HANDSHAKE_FAILED_AUTH, "HANDSHAKE_FAILED_AUTH"),
    ];
    NAMES
        .iter()
        .find(|(e, _)| *e as u16 == event)
        .map_or("UNKNOWN", |(_, name)| name)
}

/// A libzmq socket monitor (`zmq_socket_monitor` on every event), read through a PAIR socket.
pub(crate) struct Monitor {
    pair: zmq::Socket,
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor").finish_non_exhaustive()
    }
}

impl Monitor {
    /// Starts monitoring `socket`; `name` must be unique within `ctx`.
    pub(crate) fn new(ctx: &zmq::Context, socket: &zmq::Socket, name: &str) -> Monitor {
        let endpoint = format!("inproc://monitor-{name}");
        socket
            .monitor(&endpoint, zmq::SocketEvent::ALL as i32)
            .expect("zmq_socket_monitor");
        let pair = ctx.socket(zmq::PAIR).expect("monitor PAIR socket");
        pair.set_linger(0).expect("ZMQ_LINGER on the monitor PAIR");
        pair.connect(&endpoint).expect("connect the monitor PAIR");
        Monitor { pair }
    }

    /// The next event, if one comes within `timeout`.
    pub(crate) fn next(&self, timeout: Duration) -> Option<MonitorEvent> {
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        self.pair
            .set_rcvtimeo(ms)
            .expect("ZMQ_RCVTIMEO on the monitor PAIR");
        let frames = match self.pair.recv_multipart(0) {
            Ok(frames) => frames,
            Err(zmq::Error::EAGAIN) => return None,
            Err(e) => panic!("reading the libzmq monitor: {e}"),
        };
        let head = frames.first().expect("a monitor message has two frames");
        assert_eq!(head.len(), 6, "monitor event frame: u16 event + u32 value");
        Some(MonitorEvent {
            event: u16::from_ne_bytes([head[0], head[1]]),
            value: u32::from_ne_bytes([head[2], head[3], head[4], head[5]]),
        })
    }

    /// Every event already reported, without waiting for more.
    pub(crate) fn drain(&self) -> Vec<MonitorEvent> {
        let mut events = Vec::new();
        while let Some(e) = self.next(Duration::ZERO) {
            events.push(e);
        }
        events
    }

    /// Reads events until one satisfies `stop` (included in the result), or panics after
    /// `limit` with the events seen so far.
    pub(crate) fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        mut stop: impl FnMut(&MonitorEvent) -> bool,
    ) -> Vec<MonitorEvent> {
        let deadline = Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(event) = self.next(left.max(Duration::from_millis(1))) else {
                if Instant::now() >= deadline {
                    panic!(
                        "libzmq monitor: no {what} within {limit:?}; events seen: {}",
                        format_events(&seen)
                    );
                }
                continue;
            };
            seen.push(event);
            if stop(&event) {
                return seen;
            }
        }
    }
}

/// Monitor events as text, for assertion messages.
pub(crate) fn format_events(events: &[MonitorEvent]) -> String {
    let names: Vec<String> = events.iter().map(ToString::to_string).collect();
    format!("[{}]", names.join(", "))
}

/// The TCP address a libzmq socket bound to (`ZMQ_LAST_ENDPOINT`, `tcp://127.0.0.1:port`).
pub(crate) fn bound_address(socket: &zmq::Socket) -> SocketAddr {
    let endpoint = socket
        .get_last_endpoint()
        .expect("ZMQ_LAST_ENDPOINT")
        .expect("ZMQ_LAST_ENDPOINT is text");
    endpoint
        .strip_prefix("tcp://")
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("unexpected ZMQ_LAST_ENDPOINT {endpoint:?}"))
}

/// Milliseconds for a libzmq time option.
pub(crate) fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).expect("duration fits a libzmq option")
}

// ------------------------------------------------------------------------------------------------
// Security: a libzmq ZAP handler, and bulk traffic both ways
// ------------------------------------------------------------------------------------------------

/// One request a [`LibzmqZapHandler`] answered: mechanism and credential frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeenZapRequest {
    /// The domain frame.
    pub(crate) domain: Vec<u8>,
    /// The mechanism frame (`PLAIN`, `CURVE`, ...).
    pub(crate) mechanism: Vec<u8>,
    /// The credential frames.
    pub(crate) credentials: Vec<Vec<u8>>,
}

/// libzmq's way of authenticating: a REP socket bound at `inproc://zeromq.zap.01` in the server's
/// context, on its own thread, answering each request with the status and user id `policy`
/// returns. Stops (and returns what it saw) on [`LibzmqZapHandler::stop`].
pub(crate) struct LibzmqZapHandler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<Vec<SeenZapRequest>>>,
}

impl fmt::Debug for LibzmqZapHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LibzmqZapHandler").finish_non_exhaustive()
    }
}

impl LibzmqZapHandler {
    /// Binds the handler in `ctx` (before any server socket of `ctx` handshakes) and serves.
    pub(crate) fn start(
        ctx: &zmq::Context,
        policy: impl Fn(&SeenZapRequest) -> (u16, Vec<u8>) + Send + 'static,
    ) -> LibzmqZapHandler {
        let rep = ctx.socket(zmq::REP).expect("ZAP REP socket");
        rep.set_linger(0).expect("ZMQ_LINGER");
        rep.set_rcvtimeo(20).expect("ZMQ_RCVTIMEO");
        rep.bind("inproc://zeromq.zap.01")
            .expect("bind the ZAP handler");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
                let frames = match rep.recv_multipart(0) {
                    Ok(frames) => frames,
                    Err(zmq::Error::EAGAIN) => continue,
                    Err(e) => panic!("ZAP handler: {e}"),
                };
                assert!(frames.len() >= 6, "a ZAP request has 6+ frames: {frames:?}");
                assert_eq!(frames[0], b"1.0", "ZAP version");
                let request = SeenZapRequest {
                    domain: frames[2].clone(),
                    mechanism: frames[5].clone(),
                    credentials: frames[6..].to_vec(),
                };
                let (status, user_id) = policy(&request);
                let status = status.to_string();
                let reply: [&[u8]; 6] = [
                    b"1.0",
                    &frames[1],
                    status.as_bytes(),
                    b"status text",
                    &user_id,
                    b"",
                ];
                rep.send_multipart(reply, 0).expect("ZAP reply");
                seen.push(request);
            }
            seen
        });
        LibzmqZapHandler {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the handler and returns the requests it answered.
    pub(crate) fn stop(mut self) -> Vec<SeenZapRequest> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(seen)) => seen,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Vec::new(),
        }
    }
}

impl Drop for LibzmqZapHandler {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Sends `count` messages of `traffic` through the driver, keeping at most a few MiB queued,
/// and waits until all are written.
pub(crate) async fn send_traffic(
    d: &mut Driver,
    traffic: &mut Traffic,
    count: usize,
    limit: Duration,
) -> Result<(), DriveError> {
    const HIGH: usize = 4 << 20;
    const LOW: usize = 1 << 20;
    let mut sent = 0;
    while sent < count {
        while sent < count && d.conn.transmit().len() < HIGH {
            d.conn
                .send(&traffic.next_message())
                .expect("queue a message on a ready connection");
            sent += 1;
        }
        let last = sent == count;
        d.run_until("the peer to take the queued messages", limit, |d| {
            let queued = d.conn.transmit().len();
            if last {
                queued == 0
            } else {
                queued < LOW
            }
        })
        .await?;
    }
    Ok(())
}

/// Receives `count` messages through the driver and checks each against `traffic`; other events
/// fail the test.
pub(crate) async fn recv_traffic(
    d: &mut Driver,
    traffic: &mut Traffic,
    count: usize,
    limit: Duration,
) -> Result<(), DriveError> {
    let mut scratch = Vec::new();
    let mut received = 0;
    while received < count {
        let before = received;
        d.run_until("the next message", limit, |d| {
            while let Some(event) = d.events.pop_front() {
                match event {
                    Event::Message(msg) => {
                        let spec = traffic.next_spec();
                        if let Err(e) = check_message(received, &spec, &msg, &mut scratch) {
                            panic!("a wrong message arrived: {e}");
                        }
                        received += 1;
                    }
                    other => panic!("unexpected event {other:?}"),
                }
            }
            received > before
        })
        .await?;
    }
    Ok(())
}

/// libzmq side of a bulk exchange: receives `count` messages (after a routing id frame when
/// `routed`, whose value is returned) and checks them against `traffic`.
pub(crate) fn libzmq_recv_traffic(
    socket: &zmq::Socket,
    traffic: &mut Traffic,
    count: usize,
    routed: bool,
) -> Option<Vec<u8>> {
    let mut scratch = Vec::new();
    let mut routing_id = None;
    for i in 0..count {
        let mut frames = socket
            .recv_multipart(0)
            .unwrap_or_else(|e| panic!("libzmq: message {i}: recv failed ({e})"));
        if routed {
            routing_id = Some(frames.remove(0));
        }
        let spec = traffic.next_spec();
        assert_eq!(frames.len(), spec.len(), "libzmq: message {i}: frame count");
        for (j, (frame, f)) in frames.iter().zip(&spec).enumerate() {
            if let Err(e) = check_frame(i, j, f, frame, &mut scratch) {
                panic!("libzmq received a wrong frame: {e}");
            }
        }
    }
    routing_id
}

/// libzmq side of a bulk exchange: sends `count` messages of `traffic`, each after `routing_id`
/// when given (a ROUTER addressing its peer).
pub(crate) fn libzmq_send_traffic(
    socket: &zmq::Socket,
    traffic: &mut Traffic,
    count: usize,
    routing_id: Option<&[u8]>,
) {
    let mut body = Vec::new();
    for i in 0..count {
        let spec = traffic.next_spec();
        if let Some(id) = routing_id {
            socket
                .send(id, zmq::SNDMORE)
                .unwrap_or_else(|e| panic!("libzmq: message {i}: routing id: {e}"));
        }
        for (j, f) in spec.iter().enumerate() {
            fill_frame(f, &mut body);
            let flags = if j + 1 < spec.len() { zmq::SNDMORE } else { 0 };
            socket
                .send(&body[..], flags)
                .unwrap_or_else(|e| panic!("libzmq: message {i} frame {j}: send failed ({e})"));
        }
    }
}

//! Connections in memory with a virtual clock, for the tests of this crate and of the mechanisms
//! (feature `testing`; not part of the stable API).
//!
//! A [`Pair`] holds two [`Connection`]s and the time they live in: bytes move between them when
//! the test says so ([`Pair::pump`]), and time moves only when it says so ([`Pair::advance`]),
//! stopping at each deadline a connection asked for, as a driver would. Nothing sleeps, so a test
//! of a 30 s handshake timeout or an hour of heartbeats runs in microseconds and asserts exact
//! instants. quinn's `Pair` is the model.
//!
//! The free functions are what a test of one connection against hand-written bytes needs: the
//! connection's output and events, and a raw peer's greeting, commands and frames.

use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};

use crate::greeting::GreetingWriter;
use crate::{
    Command, Connection, ConnectionError, Event, MechanismName, Message, Metadata, SendBuffer,
    SocketType,
};

/// Everything the connection wants to transmit, taken out.
pub fn take_transmit(c: &mut Connection) -> Vec<u8> {
    let buf = c.transmit();
    buf.copy_to_bytes(buf.remaining()).to_vec()
}

/// Every pending event, taken out.
pub fn events(c: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// The messages among `evs`.
pub fn messages(evs: Vec<Event>) -> Vec<Message> {
    evs.into_iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// The reason the connection closed, if it did (takes its pending events).
pub fn closed_reason(c: &mut Connection) -> Option<ConnectionError> {
    events(c).into_iter().find_map(|e| match e {
        Event::Closed(r) => Some(r),
        _ => None,
    })
}

/// A raw peer's 64-byte greeting with a chosen minor version and mechanism.
pub fn raw_greeting(minor: u8, mechanism: MechanismName) -> Vec<u8> {
    let mut g = GreetingWriter::new(mechanism, 0).as_bytes().to_vec();
    g[11] = minor;
    g
}

/// A command frame as raw bytes.
pub fn raw_command(cmd: &Command) -> Vec<u8> {
    let mut b = SendBuffer::new();
    b.put_command(cmd);
    b.copy_to_bytes(b.remaining()).to_vec()
}

/// A READY command frame announcing `socket_type`.
pub fn raw_ready(socket_type: SocketType) -> Vec<u8> {
    let mut md = Metadata::new();
    let inserted = md.insert("Socket-Type", socket_type.as_str());
    assert!(inserted.is_ok(), "a socket type's name is a property value");
    raw_command(&Command::Ready(md))
}

/// One data frame in 3.x framing, in libzmq's size forms.
pub fn data_frame(more: bool, body: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    crate::frame::put_header(&mut out, u8::from(more), body.len());
    out.extend_from_slice(body);
    out.to_vec()
}

/// Runs the blocking job the connection handed out, if any, here and now (what a driver does on
/// a thread where blocking is allowed), and hands its output back. Whether there was one.
pub fn run_blocking(c: &mut Connection, now: Instant) -> bool {
    match c.poll_blocking() {
        Some(job) => {
            c.handle_blocking_done(now, job.run());
            true
        }
        None => false,
    }
}

/// Runs blocking jobs on both sides until neither has one.
pub fn run_blocking_both(a: &mut Connection, b: &mut Connection, now: Instant) {
    while run_blocking(a, now) | run_blocking(b, now) {}
}

/// Moves bytes both ways until neither side has anything to send, running the blocking jobs
/// the mechanisms hand out (GSSAPI's) as they come. ZAP requests are left for the test to
/// answer (they stop the exchange until answered).
pub fn pump(a: &mut Connection, b: &mut Connection, now: Instant) {
    let mut pair = Link::default();
    pair.pump(a, b, now);
}

/// Which directions of a [`Pair`] carry bytes, how many they carried, and (once asked) the
/// bytes themselves.
#[derive(Debug, Clone)]
struct Link {
    a_to_b: bool,
    b_to_a: bool,
    carried_a_to_b: u64,
    carried_b_to_a: u64,
    /// What each direction carried, A to B then B to A, when recording.
    log: Option<(Vec<u8>, Vec<u8>)>,
}

impl Default for Link {
    fn default() -> Link {
        Link {
            a_to_b: true,
            b_to_a: true,
            carried_a_to_b: 0,
            carried_b_to_a: 0,
            log: None,
        }
    }
}

impl Link {
    fn pump(&mut self, a: &mut Connection, b: &mut Connection, now: Instant) {
        loop {
            run_blocking_both(a, b, now);
            let ab = take_transmit(a);
            let ba = take_transmit(b);
            if ab.is_empty() && ba.is_empty() {
                return;
            }
            if self.a_to_b && !ab.is_empty() {
                self.carried_a_to_b += ab.len() as u64;
                if let Some((log, _)) = &mut self.log {
                    log.extend_from_slice(&ab);
                }
                b.feed(now, &ab);
            }
            if self.b_to_a && !ba.is_empty() {
                self.carried_b_to_a += ba.len() as u64;
                if let Some((_, log)) = &mut self.log {
                    log.extend_from_slice(&ba);
                }
                a.feed(now, &ba);
            }
        }
    }
}

/// Which end of a [`Pair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The first connection ([`Pair::a`]).
    A,
    /// The second connection ([`Pair::b`]).
    B,
}

/// Two connections joined in memory, and their clock.
#[derive(Debug)]
pub struct Pair {
    /// One end (usually the client).
    pub a: Connection,
    /// The other end.
    pub b: Connection,
    now: Instant,
    link: Link,
}

impl Pair {
    /// Joins `a` and `b`, both made at `now` (the clock starts there).
    pub fn new(a: Connection, b: Connection, now: Instant) -> Pair {
        Pair {
            a,
            b,
            now,
            link: Link::default(),
        }
    }

    /// The virtual time now.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Moves bytes both ways until neither side has anything to send (what a cut direction
    /// carries is dropped), running blocking jobs as they come.
    pub fn pump(&mut self) {
        self.link.pump(&mut self.a, &mut self.b, self.now);
    }

    /// Stops (`false`) or restores (`true`) the bytes `from` sends: a peer that went silent, or
    /// a network that drops one way.
    pub fn carry_from(&mut self, from: Side, carry: bool) {
        match from {
            Side::A => self.link.a_to_b = carry,
            Side::B => self.link.b_to_a = carry,
        }
    }

    /// The bytes `from` sent that reached the other side so far.
    pub fn carried_from(&self, from: Side) -> u64 {
        match from {
            Side::A => self.link.carried_a_to_b,
            Side::B => self.link.carried_b_to_a,
        }
    }

    /// Keeps every byte carried from now on, for [`Pair::recorded`] (a test that pins what
    /// goes on the wire).
    pub fn record(&mut self) {
        self.link.log.get_or_insert_with(Default::default);
    }

    /// The bytes `from` sent that reached the other side since [`Pair::record`] (empty if never
    /// asked).
    pub fn recorded(&self, from: Side) -> &[u8] {
        match (&self.link.log, from) {
            (Some((log, _)), Side::A) | (Some((_, log)), Side::B) => log,
            (None, _) => &[],
        }
    }

    /// The earlier of the two connections' deadlines.
    pub fn next_timeout(&self) -> Option<Instant> {
        match (self.a.poll_timeout(), self.b.poll_timeout()) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        }
    }

    /// Moves the clock to the next deadline if it comes within `limit` of now: the connection
    /// (or both) whose deadline it is handles it, then bytes move. The instant reached, or
    /// `None` (the clock then stays) when no deadline comes that soon.
    pub fn step(&mut self, limit: Duration) -> Option<Instant> {
        let at = self.next_timeout().filter(|&t| t <= self.now + limit)?;
        self.now = self.now.max(at);
        for c in [&mut self.a, &mut self.b] {
            if let Some(due) = c.poll_timeout().filter(|&t| t <= self.now) {
                c.handle_timeout(self.now);
                // A deadline handled must move on (or go): otherwise time could never pass.
                assert!(
                    c.poll_timeout() != Some(due),
                    "a connection asked again for the deadline it just handled"
                );
            }
        }
        self.pump();
        Some(self.now)
    }

    /// Moves the clock forward by `by`, stopping at every deadline on the way as a driver would
    /// ([`Pair::step`]), and pumping at each.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while self.step(end.saturating_duration_since(self.now)).is_some() {}
        self.now = end;
        self.pump();
    }

    /// The events of one side, taken out.
    pub fn events(&mut self, side: Side) -> Vec<Event> {
        match side {
            Side::A => events(&mut self.a),
            Side::B => events(&mut self.b),
        }
    }
}

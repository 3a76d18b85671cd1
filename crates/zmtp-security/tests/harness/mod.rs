//! In-memory connection pairs for mechanism tests: byte shuttling, event collection, raw peers.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use bytes::Buf;
use zmtp_codec::{
    greeting::GreetingWriter, Command, Connection, ConnectionError, Event, MechanismName, Message,
    Metadata, SendBuffer, SocketType,
};

/// Everything the connection wants to transmit, taken out.
pub fn take_transmit(c: &mut Connection) -> Vec<u8> {
    let buf = c.transmit();
    buf.copy_to_bytes(buf.remaining()).to_vec()
}

/// Every pending event.
pub fn events(c: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
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
    loop {
        run_blocking_both(a, b, now);
        let ab = take_transmit(a);
        let ba = take_transmit(b);
        if ab.is_empty() && ba.is_empty() {
            return;
        }
        if !ab.is_empty() {
            b.feed(now, &ab);
        }
        if !ba.is_empty() {
            a.feed(now, &ba);
        }
    }
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

/// The reason the connection closed, if it did (consumes the events).
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
    md.insert("Socket-Type", socket_type.as_str())
        .expect("valid");
    raw_command(&Command::Ready(md))
}

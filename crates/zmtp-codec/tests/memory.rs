//! What a connection holds while a peer sends a message that never ends, or a long frame that is
//! not finished: the live heap of the test's thread, counted by a global allocator, while the
//! connection reads the way a driver does (into [`Connection::recv_buf`], as much as a read
//! gives).
//!
//! - A multipart message that never ends, of 1 KiB frames or of empty frames: with
//!   `ZMQ_MAXMSGSIZE` set, the connection is closed at the frame that takes the message over
//!   the limit (its bodies plus `FRAME_OVERHEAD` per frame after the first), and what it held
//!   meanwhile stays within the limit plus a few read buffers. Without a limit (libzmq's
//!   default) it holds at least what was sent, as libzmq does.
//! - A long frame under way holds at most its size plus the buffer it started in, midway and
//!   when its last byte arrives; one claiming a huge size holds at most about twice what
//!   arrived.
//! - A stream of long frames reuses the buffers of the messages the application dropped.
//!
//! Each test counts only its own thread's allocations, so the tests may run in parallel.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

use zmtp_codec::connection::{FRAME_OVERHEAD, INITIAL_READ_CHUNK, READ_CHUNK};
use zmtp_codec::{Config, Connection, ConnectionError, FrameError, SocketType};

mod support;
use support::*;

thread_local! {
    /// Allocations (and growths) of at least [`LARGE`] bytes this thread made.
    static LARGE_ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    /// Bytes this thread allocated and has not freed.
    static LIVE: Cell<i64> = const { Cell::new(0) };
    /// The most `LIVE` has been since the last `reset_peak`.
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn grew(by: i64) {
    // A thread being torn down has no thread-local any more (and is not measured).
    let _ = LIVE.try_with(|live| {
        let now = live.get() + by;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

/// What counts as a large allocation: a long frame's buffer.
const LARGE: usize = 256 * 1024;

fn allocated(size: usize) {
    if size >= LARGE {
        let _ = LARGE_ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

/// The system allocator, counting each thread's live bytes and their peak, and its large
/// allocations.
struct Counting;

// SAFETY: every call is forwarded to the system allocator unchanged; counting touches only
// const-initialised thread-locals (which do not allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as i64);
        allocated(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as i64);
        allocated(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size as i64 - layout.size() as i64);
        if new_size > layout.size() {
            allocated(new_size);
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        grew(-(layout.size() as i64));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> i64 {
    LIVE.with(Cell::get)
}

fn reset_peak() {
    PEAK.with(|peak| peak.set(live()));
}

fn peak() -> i64 {
    PEAK.with(Cell::get)
}

/// A PULL connection that has finished its handshake with a raw PUSH peer.
fn ready_pull(max_msg_size: Option<u64>, now: Instant) -> Connection {
    let mut cfg = Config::new(SocketType::Pull);
    cfg.max_msg_size = max_msg_size;
    ready_with_raw_peer(cfg, now)
}

/// Reads `data` as a driver does: each read fills the free space [`Connection::recv_buf`]
/// offers, up to `max_read` bytes (what the transport had), then is processed. Stops once the
/// connection is closed; how many bytes were read.
fn read_all(c: &mut Connection, now: Instant, data: &[u8], max_read: usize) -> usize {
    let mut read = 0;
    while read < data.len() && !c.is_closed() {
        let buf = c.recv_buf();
        let n = (buf.capacity() - buf.len())
            .min(data.len() - read)
            .min(max_read);
        buf.extend_from_slice(&data[read..read + n]);
        read += n;
        c.handle_input(now);
    }
    read
}

/// `count` frames with `body`, each with the MORE flag: a message that does not end.
fn endless(count: usize, body: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x01, body.len() as u8];
    frame.extend_from_slice(body);
    frame.repeat(count)
}

/// How many frames of `body_len` bytes a message may have within `max`: its bodies plus
/// FRAME_OVERHEAD per frame after the first.
fn frames_within(max: u64, body_len: u64) -> u64 {
    (max + FRAME_OVERHEAD) / (body_len + FRAME_OVERHEAD)
}

/// A message that never ends reaches the limit at an exact frame, and what the connection
/// held on the way stays within the limit plus the read buffers its frames share.
fn endless_message_is_refused_at_the_limit(body_len: usize, max: u64) {
    let now = Instant::now();
    let body = vec![0x5a; body_len];
    let allowed = frames_within(max, body_len as u64);
    let wire = endless(allowed as usize + 1000, &body);
    let frame_len = 2 + body_len;
    let base = live();
    reset_peak();
    let mut c = ready_pull(Some(max), now);

    // Every frame within the limit is taken (nothing delivered: the message is not over).
    let within = allowed as usize * frame_len;
    assert_eq!(read_all(&mut c, now, &wire[..within], READ_CHUNK), within);
    assert!(!c.is_closed());
    assert_eq!(events(&mut c), []);
    // The next frame takes it over: refused, naming the limit.
    let refused = allowed + 1;
    let read = read_all(&mut c, now, &wire[within..], READ_CHUNK);
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Frame(FrameError::MessageTooLarge {
            frames: refused,
            size: refused * body_len as u64 + allowed * FRAME_OVERHEAD,
            max,
        }))
    );
    assert!(
        read <= READ_CHUNK,
        "refused at the first read holding the frame: {read} bytes read after the limit"
    );
    let held = peak() - base;
    // The partial message: its frame vector and the read buffers its bodies share (their wire
    // bytes, fewer than counted against the limit), the free part of the buffer being read
    // into, and the handshake's buffer, now a spare: within two read buffers of the limit.
    let bound = max as i64 + 2 * READ_CHUNK as i64;
    println!(
        "endless message of {body_len}-byte frames, ZMQ_MAXMSGSIZE {max}: refused at frame \
         {refused}; held at most {held} bytes (bound {bound})"
    );
    assert!(
        held <= bound,
        "{held} bytes held for a message refused at {max}"
    );
    drop(c);
}

#[test]
fn an_endless_message_of_small_frames_is_refused_at_the_limit() {
    endless_message_is_refused_at_the_limit(255, 1 << 20);
}

#[test]
fn an_endless_message_of_empty_frames_is_refused_at_the_limit() {
    // Empty frames count FRAME_OVERHEAD each: 1,025 fit in 64 KiB (the first counts nothing).
    assert_eq!(frames_within(64 * 1024, 0), 1025);
    endless_message_is_refused_at_the_limit(0, 64 * 1024);
}

/// Without `ZMQ_MAXMSGSIZE` (libzmq's default, and libzmq's behaviour with it), a message that
/// does not end is held whole: the connection holds at least the bytes it was sent.
#[test]
fn without_a_limit_an_endless_message_is_held_as_libzmq_holds_it() {
    let now = Instant::now();
    for body_len in [255, 0] {
        let wire = endless(16 * 1024, &vec![1; body_len]);
        let base = live();
        let mut c = ready_pull(None, now);
        assert_eq!(read_all(&mut c, now, &wire, READ_CHUNK), wire.len());
        assert!(!c.is_closed());
        let held = live() - base;
        println!(
            "no limit: {} bytes of {body_len}-byte frames sent, {held} bytes held",
            wire.len()
        );
        assert!(held >= wire.len() as i64);
    }
}

/// A long frame under way holds at most its own size plus the buffer it started in: midway,
/// one byte before its end, and complete (then it is the message's body, not a copy).
#[test]
fn a_long_frame_under_way_holds_its_size_and_no_more() {
    let now = Instant::now();
    for size in [1usize << 20, 4 << 20] {
        for max_read in [1000, READ_CHUNK, 1 << 20] {
            let mut wire = vec![0x02];
            wire.extend_from_slice(&(size as u64).to_be_bytes());
            wire.extend((0..size).map(|i| i as u8));
            let base = live();
            reset_peak();
            let mut c = ready_pull(None, now);
            let bound = (size + 9 + READ_CHUNK) as i64;
            read_all(&mut c, now, &wire[..wire.len() / 2], max_read);
            let midway = peak() - base;
            read_all(&mut c, now, &wire[wire.len() / 2..wire.len() - 1], max_read);
            let before_last = peak() - base;
            assert_eq!(events(&mut c), []);
            read_all(&mut c, now, &wire[wire.len() - 1..], max_read);
            let complete = peak() - base;
            let msgs = messages(events(&mut c));
            assert_eq!(msgs.len(), 1);
            assert!(msgs[0].frames()[0]
                .iter()
                .enumerate()
                .all(|(i, &b)| b == i as u8));
            println!(
                "a {size}-byte frame, reads of {max_read}: held {midway} midway, \
                 {before_last} one byte before its end, {complete} complete (bound {bound})"
            );
            assert!(
                complete <= bound,
                "a {size}-byte frame read {max_read} bytes at a time held up to {complete} bytes"
            );
        }
    }
}

/// Long frames read while the application still holds the last few of their messages: once
/// there are as many buffers as it holds, each next frame is read into one that a dropped
/// message left, not into a fresh allocation of its size (which glibc gave back to the system
/// when freed, and took again page by page: 48 page faults a 1 MiB message).
#[test]
fn long_frames_reuse_the_buffers_their_dropped_messages_left() {
    const HELD: usize = 4;
    let now = Instant::now();
    let size = 1 << 20;
    let mut frame = vec![0x02];
    frame.extend_from_slice(&(size as u64).to_be_bytes());
    frame.resize(9 + size, 0x5a);
    let mut c = ready_pull(None, now);
    let mut held = std::collections::VecDeque::new();
    let mut per_frame = Vec::new();
    for _ in 0..24 {
        let before = LARGE_ALLOCATIONS.with(Cell::get);
        read_all(&mut c, now, &frame, READ_CHUNK);
        let msgs = messages(events(&mut c));
        assert_eq!(msgs.len(), 1);
        held.extend(msgs);
        while held.len() > HELD {
            held.pop_front();
        }
        per_frame.push(LARGE_ALLOCATIONS.with(Cell::get) - before);
    }
    println!("large allocations, frame by frame: {per_frame:?}");
    assert_eq!(
        per_frame[2 * HELD..].iter().sum::<u64>(),
        0,
        "frames read into fresh buffers once the held messages' buffers were made: {per_frame:?}"
    );
}

/// A frame claiming far more than is sent (legal without `ZMQ_MAXMSGSIZE`) holds about what
/// arrived, never what it claims: at most twice that, plus the largest read.
#[test]
fn a_frame_claiming_a_huge_size_holds_what_arrived() {
    let now = Instant::now();
    let sent = 3 << 20;
    let mut wire = vec![0x02];
    wire.extend_from_slice(&(1u64 << 62).to_be_bytes());
    wire.resize(9 + sent, 0x33);
    let base = live();
    reset_peak();
    let mut c = ready_pull(None, now);
    assert_eq!(read_all(&mut c, now, &wire, READ_CHUNK), wire.len());
    assert!(!c.is_closed());
    let held = peak() - base;
    let bound = (2 * wire.len() + 16 * READ_CHUNK) as i64;
    println!("2^62 bytes claimed, {sent} sent: held {held} bytes (bound {bound})");
    assert!(
        held <= bound,
        "{held} bytes held after {sent} bytes of a frame"
    );
    assert_eq!(events(&mut c), []);
}

/// Reads `data` into the connection's own buffer as a driver does (one read, into
/// [`Connection::recv_buf`]), then processes it.
fn read_once(c: &mut Connection, now: Instant, data: &[u8]) {
    c.recv_buf().extend_from_slice(data);
    c.handle_input(now);
}

/// An idle connection holds no read buffer (issue 16: 10,000 idle DEALERs on a ROUTER). A
/// ROUTER connection reads, each in a read of its own as a driver does, a DEALER's greeting,
/// its READY (with an `Identity`) and one message; the message is taken and dropped, the
/// peer's properties kept (as the socket keeps them for the connection's life). Where the
/// driver's next read would block, the connection gives its read buffer up: it holds none
/// after, and the buffer it gave up is shared with nothing, not even the properties (they were
/// copied out of it), so it is whole again for another read. A busy connection (one whose read
/// filled its buffer) keeps its buffer.
#[test]
fn an_idle_connection_gives_up_its_read_buffer() {
    let now = Instant::now();
    let mut c = Connection::new(Config::new(SocketType::Router), Box::new(ReadyOnly), now);
    read_once(
        &mut c,
        now,
        &raw_greeting(1, zmtp_codec::MechanismName::NULL),
    );
    let mut props = zmtp_codec::Metadata::new();
    props.insert("Socket-Type", "DEALER").expect("valid");
    props.insert("Identity", "peer-1").expect("valid");
    read_once(
        &mut c,
        now,
        &raw_command(&zmtp_codec::Command::Ready(props)),
    );
    read_once(&mut c, now, &data_frame(false, b"hello"));
    let mut peer = None;
    let mut received = Vec::new();
    for event in events(&mut c) {
        match event {
            zmtp_codec::Event::Ready(info) => peer = Some(info),
            zmtp_codec::Event::Message(m) => received.push(m),
            other => panic!("unexpected {other:?}"),
        }
    }
    let peer = peer.expect("the handshake is done");
    assert_eq!(peer.identity().map(|id| &id[..]), Some(&b"peer-1"[..]));
    assert_eq!(received.len(), 1, "the message arrived");
    drop(received);

    assert!(c.holds_recv_buf());
    let mut released = c
        .release_recv_buf()
        .expect("an idle connection gives its buffer up");
    assert!(!c.holds_recv_buf(), "the connection holds no read buffer");
    assert!(
        released.try_reclaim(INITIAL_READ_CHUNK),
        "the buffer given up is shared with nothing (the peer's properties were copied out)"
    );
    // Handed back, it is read into again.
    c.install_recv_buf(released);
    assert!(c.holds_recv_buf());
    read_once(&mut c, now, &data_frame(false, b"again"));
    assert_eq!(messages(events(&mut c)).len(), 1);
    drop(peer);

    // A read that fills the buffer is traffic: the buffer is kept from then on.
    let mut busy = ready_pull(None, now);
    let space = {
        let buf = busy.recv_buf();
        buf.capacity() - buf.len()
    };
    // A long frame's header is 9 bytes.
    let frame = data_frame(false, &vec![7u8; space - 9]);
    assert_eq!(frame.len(), space);
    read_once(&mut busy, now, &frame);
    assert_eq!(messages(events(&mut busy)).len(), 1);
    // The next read is offered a buffer of the full read size; it would block.
    assert!(busy.recv_buf().capacity() >= READ_CHUNK);
    assert!(
        busy.release_recv_buf().is_none(),
        "a busy connection keeps its buffer"
    );
    assert!(busy.holds_recv_buf());
}

//! Codec throughput, single-threaded and with no I/O: frames decoded by `FrameDecoder`, frames
//! encoded by `SendBuffer`, and messages decoded by a whole `Connection` after a NULL handshake.
//!
//! Every measurement works on a batch of frames, as a connection does with one large read or one
//! large write: about 1 MiB of frames per batch (at least 8 frames, at most 16384). Refilling the
//! read buffer (the copy a socket read would make) happens outside the timed region; decoding,
//! handing each body out, and dropping it are inside.
//!
//! Before measuring, `zero_copy` asserts that 64 KiB and larger bodies are never copied, on both
//! paths (the same properties as the codec's unit tests `frame::tests::bodies_share_the_read_buffer`
//! and `send_buffer::tests::large_bodies_are_referenced_not_copied`, here at the sizes measured and
//! through the whole `Connection` too).
//!
//! Run: `cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3`; the figures are in
//! `benches/README.md`.

use std::hint::black_box;
use std::io::IoSlice;
use std::ops::Range;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zmtp::codec::{Config, Connection, Event, FrameDecoder, Message, SendBuffer, SocketType};
use zmtp::security::Null;

/// Body sizes measured: 1 B, 64 B, 1 KiB, 64 KiB, 1 MiB.
const SIZES: [usize; 5] = [1, 64, 1024, 64 * 1024, 1024 * 1024];

/// Bytes of frames per batch (one "read" or one "write").
const BATCH_BYTES: usize = 1024 * 1024;

fn label(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{}MiB", s >> 20),
        s if s >= 1 << 10 => format!("{}KiB", s >> 10),
        s => format!("{s}B"),
    }
}

/// Frames per batch for bodies of `size` bytes.
fn batch_len(size: usize) -> usize {
    (BATCH_BYTES / (size + 2)).clamp(8, 16384)
}

fn throughput(frames: usize, size: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: frames as u64,
        bytes: (frames * size) as u64,
    }
}

fn body(size: usize) -> Bytes {
    Bytes::from((0..size).map(|i| i as u8).collect::<Vec<u8>>())
}

/// `frames` one-frame messages of `size` bytes, as they travel on the wire.
fn wire(size: usize, frames: usize) -> Vec<u8> {
    let body = body(size);
    let mut out = SendBuffer::new();
    for _ in 0..frames {
        out.put_frame(false, false, &body);
    }
    take_all(&mut out)
}

fn take_all(buf: &mut impl Buf) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(buf.remaining());
    while buf.has_remaining() {
        let chunk = buf.chunk();
        bytes.extend_from_slice(chunk);
        let n = chunk.len();
        buf.advance(n);
    }
    bytes
}

fn contains(range: &Range<usize>, body: &Bytes) -> bool {
    let p = body.as_ptr() as usize;
    range.start <= p && p + body.len() <= range.end
}

/// A PULL (accepting) and a PUSH (connecting) connection, NULL handshake done.
fn handshaken_pair(now: Instant) -> (Connection, Connection) {
    let mut pull = Connection::new(Config::new(SocketType::Pull), Box::new(Null::new()), now);
    let mut push = Connection::new(Config::new(SocketType::Push), Box::new(Null::new()), now);
    for _ in 0..8 {
        let to_push = take_all(pull.transmit());
        push.feed(now, &to_push);
        let to_pull = take_all(push.transmit());
        pull.feed(now, &to_pull);
    }
    for conn in [&mut pull, &mut push] {
        match conn.poll_event() {
            Some(Event::Ready(_)) => {}
            other => panic!("handshake did not complete: {other:?}"),
        }
        assert!(conn.is_ready());
    }
    (pull, push)
}

/// Large bodies are views, never copies: in the read buffer after decoding (alone and through
/// a `Connection`), and the caller's own memory in the vectored write.
fn zero_copy(_: &mut Criterion) {
    for size in [64 * 1024, 1024 * 1024] {
        // FrameDecoder: the body is a view of the read buffer.
        let mut buf = BytesMut::from(&wire(size, 2)[..]);
        let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
        let mut decoder = FrameDecoder::new(None);
        for _ in 0..2 {
            let frame = decoder
                .decode(&mut buf)
                .expect("valid")
                .expect("a whole frame");
            assert_eq!(frame.body.len(), size);
            assert!(
                contains(&range, &frame.body),
                "{size} B body copied by FrameDecoder"
            );
        }

        // SendBuffer: the vectored write hands out the caller's body pointer.
        let body = body(size);
        let mut out = SendBuffer::new();
        out.put_frame(false, false, &body);
        let mut slices = [IoSlice::new(&[]); 4];
        let n = out.chunks_vectored(&mut slices);
        assert_eq!(n, 2, "header chunk + body chunk");
        assert_eq!(
            slices[1].as_ptr(),
            body.as_ptr(),
            "{size} B body copied by SendBuffer"
        );
        assert_eq!(slices[1].len(), size);

        // Connection: the message frame is a view of the connection's read buffer.
        let now = Instant::now();
        let (mut pull, mut push) = handshaken_pair(now);
        push.send(&Message::single(body.clone())).expect("ready");
        let bytes = take_all(push.transmit());
        let recv = pull.recv_buf();
        recv.extend_from_slice(&bytes);
        let range = recv.as_ptr() as usize..recv.as_ptr() as usize + recv.len();
        pull.handle_input(now);
        match pull.poll_event() {
            Some(Event::Message(msg)) => {
                let frame = msg.first().expect("one frame");
                assert_eq!(frame, &body);
                assert!(
                    contains(&range, frame),
                    "{size} B body copied by Connection"
                );
            }
            other => panic!("expected a message, got {other:?}"),
        }
    }
    println!(
        "zero-copy: 64 KiB and 1 MiB bodies are views in FrameDecoder, SendBuffer and Connection"
    );
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for size in SIZES {
        let frames = batch_len(size);
        let wire = wire(size, frames);
        group.throughput(throughput(frames, size));
        group.bench_with_input(
            BenchmarkId::new("FrameDecoder", label(size)),
            &wire,
            |b, wire| {
                let mut buf = BytesMut::with_capacity(wire.len());
                let mut decoder = FrameDecoder::new(None);
                b.iter_custom(|iters| {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        // The read, not timed: the buffer is reused, as a connection does.
                        buf.extend_from_slice(wire);
                        let start = Instant::now();
                        let mut n = 0;
                        while let Some(frame) = decoder.decode(&mut buf).expect("valid") {
                            black_box(&frame.body);
                            n += 1;
                        }
                        timed += start.elapsed();
                        assert_eq!(n, frames);
                    }
                    timed
                });
            },
        );
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in SIZES {
        let frames = batch_len(size);
        let body = body(size);
        group.throughput(throughput(frames, size));
        group.bench_with_input(
            BenchmarkId::new("SendBuffer", label(size)),
            &body,
            |b, body| {
                let mut out = SendBuffer::new();
                b.iter(|| {
                    for _ in 0..frames {
                        out.put_frame(false, false, body);
                    }
                    // The write: every chunk handed out, then advanced past.
                    while out.has_remaining() {
                        let n = black_box(out.chunk()).len();
                        out.advance(n);
                    }
                });
            },
        );
    }
    group.finish();
}

fn connection(c: &mut Criterion) {
    let mut group = c.benchmark_group("connection");
    for size in SIZES {
        let frames = batch_len(size);
        let now = Instant::now();
        let (mut pull, mut push) = handshaken_pair(now);
        let msg = Message::single(body(size));
        for _ in 0..frames {
            push.send(&msg).expect("ready");
        }
        let wire = take_all(push.transmit());
        group.throughput(throughput(frames, size));
        group.bench_with_input(
            BenchmarkId::new("NULL active", label(size)),
            &wire,
            |b, wire| {
                b.iter_custom(|iters| {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        // The read, not timed: into the connection's own buffer.
                        pull.recv_buf().extend_from_slice(wire);
                        let start = Instant::now();
                        pull.handle_input(now);
                        let mut n = 0;
                        while let Some(event) = pull.poll_event() {
                            match event {
                                Event::Message(msg) => {
                                    black_box(&msg);
                                    n += 1;
                                }
                                other => panic!("unexpected event {other:?}"),
                            }
                        }
                        timed += start.elapsed();
                        assert_eq!(n, frames);
                    }
                    timed
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, zero_copy, decode, encode, connection);
criterion_main!(benches);

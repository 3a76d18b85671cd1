//! CURVE's cost per message: sealing (encrypt into the send buffer) and opening (decode, decrypt,
//! deliver), beside the unencrypted encode of the same messages and the NULL receive path, at
//! 64 B, 1 KiB and 64 KiB. Everything runs through the real sans-IO `Connection`, in memory,
//! after a real CURVE handshake.
//!
//! `cargo bench --bench curve -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::Instant;

use bytes::{Buf, Bytes};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use zmtp::codec::{Config, Connection, Event, Mechanism, Message, SendBuffer, SocketType};
use zmtp::security::{CurveClient, CurveKeyPair, CurveServer, Null};

const SIZES: [(usize, &str); 3] = [(64, "64B"), (1024, "1KiB"), (64 * 1024, "64KiB")];

fn take(c: &mut Connection) -> Bytes {
    let t = c.transmit();
    t.copy_to_bytes(t.remaining())
}

fn discard(c: &mut Connection) {
    let t = c.transmit();
    let n = t.remaining();
    t.advance(n);
}

/// A PUSH client and a PULL server, handshake done, events drained.
fn pair(curve: bool) -> (Connection, Connection) {
    let now = Instant::now();
    let (cm, sm): (Box<dyn Mechanism>, Box<dyn Mechanism>) = if curve {
        let server = CurveKeyPair::generate();
        (
            Box::new(CurveClient::new(CurveKeyPair::generate(), *server.public())),
            Box::new(CurveServer::new(server)),
        )
    } else {
        (Box::new(Null::new()), Box::new(Null::new()))
    };
    let mut c = Connection::new(Config::new(SocketType::Push), cm, now);
    let mut s = Connection::new(Config::new(SocketType::Pull), sm, now);
    loop {
        let cs = take(&mut c);
        let sc = take(&mut s);
        if cs.is_empty() && sc.is_empty() {
            break;
        }
        s.feed(now, &cs);
        c.feed(now, &sc);
    }
    assert!(c.is_ready() && s.is_ready(), "handshake");
    while c.poll_event().is_some() {}
    while s.poll_event().is_some() {}
    (c, s)
}

fn message(size: usize) -> Message {
    Message::single(Bytes::from(vec![0xA5u8; size]))
}

fn bench(cr: &mut Criterion) {
    for (size, name) in SIZES {
        let msg = message(size);
        let mut group = cr.benchmark_group(format!("curve/{name}"));
        group.throughput(Throughput::Bytes(size as u64));

        // The unencrypted baseline: one frame encoded into a send buffer.
        let mut buf = SendBuffer::new();
        group.bench_function("plain_encode", |b| {
            b.iter(|| {
                buf.put_message(black_box(&msg));
                let n = buf.remaining();
                buf.advance(n);
            })
        });

        // Seal: Connection::send with CURVE writes one MESSAGE, encrypted in place.
        let (mut c, _s) = pair(true);
        group.bench_function("seal", |b| {
            b.iter(|| {
                c.send(black_box(&msg)).expect("ready");
                discard(&mut c);
            })
        });

        // Open: decode the frame, check the nonce, decrypt, deliver the message. Each sealed
        // frame can be opened once (nonces must increase), so the client seals a fresh one for
        // each iteration, outside the timing.
        let (mut c, mut s) = pair(true);
        let now = Instant::now();
        group.bench_function("open", |b| {
            b.iter_batched(
                || {
                    c.send(&msg).expect("ready");
                    take(&mut c)
                },
                |wire| {
                    s.feed(now, &wire);
                    match s.poll_event() {
                        Some(Event::Message(m)) => black_box(m),
                        other => panic!("expected a message, got {other:?}"),
                    }
                },
                BatchSize::SmallInput,
            )
        });

        // The NULL receive path for comparison: decode and deliver, no decryption.
        let (mut c, mut s) = pair(false);
        group.bench_function("null_recv", |b| {
            b.iter_batched(
                || {
                    c.send(&msg).expect("ready");
                    take(&mut c)
                },
                |wire| {
                    s.feed(now, &wire);
                    match s.poll_event() {
                        Some(Event::Message(m)) => black_box(m),
                        other => panic!("expected a message, got {other:?}"),
                    }
                },
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

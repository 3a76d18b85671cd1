//! PUB fan-out throughput over tcp loopback: one publisher, 1 or 10 subscribers (each on its own
//! thread), zmtp beside libzmq in the same run. Each side has its own context (libzmq: one I/O
//! thread per context; zmtp: the context's I/O thread, the application on a current-thread
//! runtime). HWMs are unbounded on both sides so no message is dropped and every subscriber
//! receives all of them; the publisher starts once every subscriber has received a warm-up
//! message (so no subscription is still on its way). The rate is messages published per second,
//! from the first data message sent to the last one received by the slowest subscriber.
//!
//! `cargo bench -p zmtp-interop --bench pub_sub` (64 B, 1 and 10 subscribers), or
//! `cargo bench -p zmtp-interop --bench pub_sub -- SIZE COUNT SUBSCRIBERS` for one case.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use zmtp::{Context, Message, Pub, SocketOptions, Sub};

const TOPIC: &[u8] = b"bench";
const WARMUP: &[u8] = b"bench.warmup";
const END: &[u8] = b"bench.end";

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn zmtp_run(size: usize, count: usize, subscribers: usize) -> Duration {
    let unbounded = || SocketOptions::new().sndhwm(0).rcvhwm(0);
    let pub_ctx = Context::new().expect("context");
    let sub_ctx = Context::new().expect("context");
    let rt = current_thread();
    let publisher = Pub::with_options_in(&pub_ctx, unbounded()).expect("pub");
    let endpoint = rt
        .block_on(publisher.bind("tcp://127.0.0.1:*"))
        .expect("bind");
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<Instant>();
    let threads: Vec<_> = (0..subscribers)
        .map(|_| {
            let (endpoint, ctx) = (endpoint.clone(), sub_ctx.clone());
            let (ready_tx, done_tx) = (ready_tx.clone(), done_tx.clone());
            std::thread::spawn(move || {
                current_thread().block_on(async move {
                    let sub = Sub::with_options_in(&ctx, unbounded()).expect("sub");
                    sub.connect(&endpoint).await.expect("connect");
                    sub.subscribe(TOPIC).expect("subscribe");
                    loop {
                        let msg = sub.recv().await.expect("warm-up");
                        if msg.frames()[0] == WARMUP {
                            break;
                        }
                    }
                    ready_tx.send(()).expect("ready");
                    loop {
                        let msg = sub.recv().await.expect("recv");
                        if msg.frames()[0] == END {
                            break;
                        }
                    }
                    done_tx.send(Instant::now()).expect("done");
                })
            })
        })
        .collect();
    rt.block_on(async {
        let mut ready = 0;
        while ready < subscribers {
            publisher
                .send(Message::single(WARMUP))
                .await
                .expect("warm-up");
            tokio::time::sleep(Duration::from_millis(5)).await;
            while ready_rx.try_recv().is_ok() {
                ready += 1;
            }
        }
    });
    // Warm-ups still in flight are read before the data by every subscriber.
    let mut body = vec![0x5a; size];
    body[..TOPIC.len()].copy_from_slice(TOPIC);
    let body = bytes::Bytes::from(body);
    let start = Instant::now();
    rt.block_on(async {
        for _ in 0..count {
            publisher
                .send(Message::single(body.clone()))
                .await
                .expect("send");
        }
        publisher.send(Message::single(END)).await.expect("end");
    });
    let mut last = start;
    for _ in 0..subscribers {
        last = last.max(done_rx.recv().expect("a subscriber reports"));
    }
    for t in threads {
        t.join().expect("subscriber thread");
    }
    last - start
}

fn libzmq_run(size: usize, count: usize, subscribers: usize) -> Duration {
    let pub_ctx = zmq::Context::new();
    let sub_ctx = zmq::Context::new();
    let publisher = pub_ctx.socket(zmq::PUB).expect("PUB");
    publisher.set_sndhwm(0).expect("sndhwm");
    publisher.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = publisher
        .get_last_endpoint()
        .expect("endpoint")
        .expect("utf-8");
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<Instant>();
    let threads: Vec<_> = (0..subscribers)
        .map(|_| {
            let sub = sub_ctx.socket(zmq::SUB).expect("SUB");
            let (endpoint, ready_tx, done_tx) =
                (endpoint.clone(), ready_tx.clone(), done_tx.clone());
            std::thread::spawn(move || {
                sub.set_rcvhwm(0).expect("rcvhwm");
                sub.connect(&endpoint).expect("connect");
                sub.set_subscribe(TOPIC).expect("subscribe");
                let mut msg = zmq::Message::new();
                loop {
                    sub.recv(&mut msg, 0).expect("warm-up");
                    if &msg[..] == WARMUP {
                        break;
                    }
                }
                ready_tx.send(()).expect("ready");
                loop {
                    sub.recv(&mut msg, 0).expect("recv");
                    if &msg[..] == END {
                        break;
                    }
                }
                done_tx.send(Instant::now()).expect("done");
            })
        })
        .collect();
    let mut ready = 0;
    while ready < subscribers {
        publisher.send(WARMUP, 0).expect("warm-up");
        std::thread::sleep(Duration::from_millis(5));
        while ready_rx.try_recv().is_ok() {
            ready += 1;
        }
    }
    let mut body = vec![0x5a; size];
    body[..TOPIC.len()].copy_from_slice(TOPIC);
    let start = Instant::now();
    for _ in 0..count {
        publisher.send(&body[..], 0).expect("send");
    }
    publisher.send(END, 0).expect("end");
    let mut last = start;
    for _ in 0..subscribers {
        last = last.max(done_rx.recv().expect("a subscriber reports"));
    }
    for t in threads {
        t.join().expect("subscriber thread");
    }
    last - start
}

fn report(name: &str, size: usize, count: usize, subscribers: usize, elapsed: Duration) -> f64 {
    let rate = count as f64 / elapsed.as_secs_f64();
    println!(
        "| {name} | {size} B | {subscribers} | {count} | {:.2} M msg/s | {:.2} M deliveries/s |",
        rate / 1e6,
        rate * subscribers as f64 / 1e6
    );
    rate
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it:
    // then one small round checks that it works, without the timing runs.
    if !std::env::args().any(|a| a == "--bench") {
        zmtp_run(64, 1000, 2);
        libzmq_run(64, 1000, 2);
        println!("pub_sub: smoke run passed (use cargo bench for figures)");
        return;
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.parse().expect("SIZE COUNT SUBSCRIBERS are numbers"))
        .collect();
    let cases = match args[..] {
        [size, count, subscribers] => vec![(size, count, subscribers)],
        _ => vec![(64, 1_000_000, 1), (64, 200_000, 10)],
    };
    println!("| implementation | size | subscribers | messages | published | delivered |");
    println!("|---|---|---|---|---|---|");
    for (size, count, subscribers) in cases {
        let mut zmtp = Vec::new();
        let mut libzmq = Vec::new();
        for _ in 0..3 {
            let d = zmtp_run(size, count, subscribers);
            zmtp.push(report("zmtp", size, count, subscribers, d));
            let d = libzmq_run(size, count, subscribers);
            libzmq.push(report("libzmq", size, count, subscribers, d));
        }
        zmtp.sort_by(f64::total_cmp);
        libzmq.sort_by(f64::total_cmp);
        println!(
            "| median ratio zmtp/libzmq | {size} B | {subscribers} | | {:.2}x | |",
            zmtp[1] / libzmq[1]
        );
    }
}

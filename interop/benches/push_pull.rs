//! A first PUSH→PULL throughput comparison over tcp loopback: zmtp against libzmq (the `zmq`
//! crate on the system's libzmq), in one process, sender and receiver on their own threads, each
//! with a context of its own (libzmq: one I/O thread per context). zmtp runs twice: with a
//! context per side whose connections run on its own I/O thread (the default, as libzmq), and
//! with contexts that run the connections on the caller's current-thread runtime
//! (`Context::on_caller_runtime`). The full two-process suite comes with the performance work;
//! this is the quick look.
//!
//! `cargo bench -p zmtp-interop --bench push_pull` (sizes 64 B and 64 KiB), or
//! `cargo bench -p zmtp-interop --bench push_pull -- SIZE COUNT` for one case.

use std::time::{Duration, Instant};

use zmtp::socket::{Context, Pull, Push};

/// Where zmtp's connections run.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Each side's context runs them on its own I/O thread.
    IoThread,
    /// On the runtime of the side's application thread.
    Caller,
}

fn context(mode: Mode) -> Context {
    match mode {
        Mode::IoThread => Context::new().expect("context"),
        Mode::Caller => Context::on_caller_runtime(),
    }
}

fn zmtp_run(mode: Mode, size: usize, count: usize) -> Duration {
    let (ep_tx, ep_rx) = std::sync::mpsc::channel::<String>();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<Duration>();
    let receiver = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let pull = Pull::new_in(&context(mode)).expect("pull");
            let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
            ep_tx.send(ep).expect("send endpoint");
            let first = pull.recv().await.expect("first");
            assert_eq!(first.byte_len(), size);
            let start = Instant::now();
            for _ in 1..count {
                let msg = pull.recv().await.expect("recv");
                debug_assert_eq!(msg.byte_len(), size);
            }
            let _ = done_tx.send(start.elapsed());
        })
    });
    let ep = ep_rx.recv().expect("endpoint");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let elapsed = rt.block_on(async move {
        let push = Push::new_in(&context(mode)).expect("push");
        push.connect(&ep).await.expect("connect");
        let body = bytes::Bytes::from(vec![0x5a; size]);
        for _ in 0..count {
            push.send(body.clone()).await.expect("send");
        }
        // The connection task writes the rest while this runtime runs: wait for the receiver.
        let elapsed = done_rx.await.expect("the receiver reports");
        drop(push);
        elapsed
    });
    receiver.join().expect("receiver");
    drop(rt);
    elapsed
}

fn libzmq_run(size: usize, count: usize) -> Duration {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL).expect("PULL");
    pull.bind("tcp://127.0.0.1:*").expect("bind");
    let ep = pull.get_last_endpoint().expect("endpoint").expect("utf-8");
    let ctx2 = zmq::Context::new();
    let sender = std::thread::spawn(move || {
        let push = ctx2.socket(zmq::PUSH).expect("PUSH");
        push.connect(&ep).expect("connect");
        let body = vec![0x5a; size];
        for _ in 0..count {
            push.send(&body[..], 0).expect("send");
        }
        drop(push);
    });
    let mut msg = zmq::Message::new();
    pull.recv(&mut msg, 0).expect("first");
    let start = Instant::now();
    for _ in 1..count {
        pull.recv(&mut msg, 0).expect("recv");
    }
    let elapsed = start.elapsed();
    sender.join().expect("sender");
    elapsed
}

fn report(name: &str, size: usize, count: usize, elapsed: Duration) -> f64 {
    let rate = (count - 1) as f64 / elapsed.as_secs_f64();
    println!(
        "| {name} | {size} B | {count} | {:.2} M msg/s | {:.1} MB/s |",
        rate / 1e6,
        rate * size as f64 / 1e6
    );
    rate
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it:
    // then one small round checks that it works, without the timing runs.
    if !std::env::args().any(|a| a == "--bench") {
        zmtp_run(Mode::IoThread, 64, 1000);
        zmtp_run(Mode::Caller, 64, 1000);
        libzmq_run(64, 1000);
        println!("push_pull: smoke run passed (use cargo bench for figures)");
        return;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let cases: Vec<(usize, usize)> = match (args.first(), args.get(1)) {
        (Some(size), Some(count)) => vec![(
            size.parse().expect("SIZE is a number"),
            count.parse().expect("COUNT is a number"),
        )],
        _ => vec![(64, 2_000_000), (65536, 50_000)],
    };
    println!("| implementation | size | messages | throughput | bandwidth |");
    println!("|---|---|---|---|---|");
    for (size, count) in cases {
        let mut io_thread = Vec::new();
        let mut caller = Vec::new();
        let mut libzmq = Vec::new();
        for _ in 0..3 {
            let d = zmtp_run(Mode::IoThread, size, count);
            io_thread.push(report("zmtp (I/O thread)", size, count, d));
            let d = zmtp_run(Mode::Caller, size, count);
            caller.push(report("zmtp (caller's runtime)", size, count, d));
            libzmq.push(report("libzmq", size, count, libzmq_run(size, count)));
        }
        for v in [&mut io_thread, &mut caller, &mut libzmq] {
            v.sort_by(f64::total_cmp);
        }
        println!(
            "| median ratio zmtp (I/O thread)/libzmq | {size} B | | {:.2}x | |",
            io_thread[1] / libzmq[1]
        );
        println!(
            "| median ratio zmtp (caller's runtime)/libzmq | {size} B | | {:.2}x | |",
            caller[1] / libzmq[1]
        );
    }
}

//! Faults (issue 9, item 3): peers that die, come back, or are dropped half way.
//!
//! - a peer process SIGKILLed in the middle of a multipart message, as raw ZMTP bytes (the
//!   first frames of a message written, then the kill) and as a real zmtp PUSH sending 3 MiB
//!   messages: whole messages are delivered, nothing partial ever is, the socket keeps working;
//! - a PAIR whose raw peer sends two messages and half of a third, then disconnects: the two
//!   are delivered (read only after the cut), nothing of the third is, and the PAIR takes a new
//!   peer and exchanges with it both ways;
//! - a peer process killed and restarted on the same port: our PUSH reconnects and the stream
//!   resumes. What is delivered is exactly what `docs/delivery.md` says: in order, nothing twice,
//!   and one contiguous run of messages lost at the cut (those already taken from our pipe into
//!   the dead connection's write buffer or the kernel's buffers, or received by the dead peer
//!   and not yet handled); everything still in our pipe goes to the new peer;
//! - `ZMQ_LINGER`: a closed socket delivers everything queued to live peers over ipc and inproc
//!   (counted; tcp is in `context_linger.rs`);
//! - dropping sockets and their futures at every await point (send, recv, bind, connect, a
//!   handshake under way, a REQ awaiting its reply, a closed socket lingering): no task, socket
//!   or heap memory is left behind, checked over many rounds.
//!
//! The child processes are this test binary run again with `ZMTP_FAULTS_CHILD` set (see
//! [`child_process`]); they report on stdout lines starting with `CHILD `.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use tokio::io::AsyncWriteExt;
use zmtp_socket::{
    Context, Dealer, Error, Message, MonitorEvent, Pair, Pull, Push, Rep, Req, Router,
    SocketOptions,
};

use common::heap;
use common::raw::{frame, greeting_and_ready};
use common::within;

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

const ROLE: &str = "ZMTP_FAULTS_CHILD";
const ADDR: &str = "ZMTP_FAULTS_ADDR";

// ---------------------------------------------------------------------------------------------
// Child processes.

/// The entry point of the child processes: does nothing unless `ZMTP_FAULTS_CHILD` names a
/// role (so in a normal run it passes at once).
#[test]
fn child_process() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let addr = std::env::var(ADDR).expect("ZMTP_FAULTS_ADDR");
    match role.as_str() {
        "partial" => child_partial(&addr),
        "multipart" => child_multipart(&addr),
        "pull" => child_pull(&addr),
        other => panic!("unknown child role {other}"),
    }
}

/// Writes a whole message and the first two frames of another as raw ZMTP, then waits to be
/// killed.
fn child_partial(ep: &str) {
    let addr = ep.strip_prefix("tcp://").expect("tcp");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let mut bytes = greeting_and_ready("PUSH");
    bytes.extend_from_slice(&frame(0, b"whole"));
    bytes.extend_from_slice(&frame(0x01, b"part-1"));
    bytes.extend_from_slice(&frame(0x01, b"part-2"));
    stream.write_all(&bytes).expect("write");
    stream.flush().expect("flush");
    println!("CHILD sent");
    loop {
        std::thread::park();
    }
}

/// One message of [`child_multipart`]: three 1 MiB frames, each starting with the number.
fn big_message(n: u64) -> Message {
    (0..3u8)
        .map(|f| {
            let mut body = vec![f; 1 << 20];
            body[..8].copy_from_slice(&n.to_be_bytes());
            body
        })
        .collect()
}

/// A zmtp PUSH sending 3 MiB messages as fast as it can, until killed.
fn child_multipart(ep: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let push = Push::with_options(SocketOptions::new().sndhwm(4)).expect("push");
        push.connect(ep).await.expect("connect");
        for n in 0u64.. {
            push.send(big_message(n)).await.expect("send");
            if n == 0 {
                println!("CHILD sending");
            }
        }
    });
}

/// A zmtp PULL bound at `ep` (retrying while the port is still held), printing each number it
/// receives.
fn child_pull(ep: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let pull = Pull::with_options(SocketOptions::new().rcvhwm(100)).expect("pull");
        loop {
            match pull.bind(ep).await {
                Ok(_) => break,
                Err(Error::Io { .. }) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(e) => panic!("bind {ep}: {e}"),
            }
        }
        println!("CHILD bound");
        loop {
            let msg = pull.recv().await.expect("recv");
            let n = u64::from_be_bytes(msg.frames()[0][..8].try_into().expect("8 bytes"));
            println!("CHILD got {n}");
        }
    });
}

/// A child process running one role, and the lines it reports.
struct Child {
    process: std::process::Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
}

impl Child {
    fn spawn(role: &str, ep: &str) -> Child {
        let exe = std::env::current_exe().expect("this test binary");
        let mut process = Command::new(exe)
            .args([
                "child_process",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ROLE, role)
            .env(ADDR, ep)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run this test binary as a child");
        let stdout = process.stdout.take().expect("piped stdout");
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may print "test child_process ... " first, on the same line.
                if let Some(at) = line.find("CHILD ") {
                    if tx.send(line[at + 6..].to_owned()).is_err() {
                        break;
                    }
                }
            }
        });
        Child { process, lines }
    }

    /// The next line the child reports.
    async fn line(&mut self, what: &str) -> String {
        within(what, self.lines.recv())
            .await
            .unwrap_or_else(|| panic!("{what}: the child ended (its stderr is above)"))
    }

    /// SIGKILL, and wait for the process to be gone; then every line it printed.
    async fn kill(mut self) -> Vec<String> {
        self.process.kill().expect("SIGKILL the child");
        self.process.wait().expect("reap the child");
        let mut rest = Vec::new();
        while let Some(line) = within("the child's last lines", self.lines.recv()).await {
            rest.push(line);
        }
        rest
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Waits for the monitor to report a disconnect.
async fn disconnected(monitor: &mut zmtp_socket::Monitor) {
    within("the dead peer's disconnect", async {
        loop {
            match monitor.next().await.expect("monitor open") {
                MonitorEvent::Disconnected { .. } => return,
                _ => continue,
            }
        }
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Killed mid-multipart.

/// A raw peer writes a whole message and the first two frames of another, then is SIGKILLed:
/// the whole one arrives, the partial one never does, and the PULL serves the next peer.
#[tokio::test]
async fn a_raw_peer_killed_mid_multipart_delivers_nothing_partial() {
    let pull = Pull::new();
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut child = Child::spawn("partial", &ep);
    assert_eq!(child.line("the child's bytes written").await, "sent");
    assert_eq!(
        within("the whole message", pull.recv())
            .await
            .expect("recv"),
        Message::from(["whole"])
    );
    child.kill().await;
    disconnected(&mut monitor).await;
    assert!(
        matches!(pull.try_recv(), Err(Error::WouldBlock)),
        "nothing of the partial message was delivered"
    );
    let push = Push::new();
    push.connect(&ep).await.expect("connect");
    push.send("next").await.expect("send");
    assert_eq!(
        within("the next peer's message", pull.recv())
            .await
            .expect("recv"),
        Message::from(["next"])
    );
}

/// A PAIR's raw peer sends a message, a two-frame message, and half of a third (its first
/// frame, then a frame header announcing 100 bytes and 10 of them), then disconnects. The PAIR
/// loses nothing it had received (both whole messages are read after the cut), delivers nothing
/// of the third, and takes a new peer, with which it exchanges both ways.
#[tokio::test]
async fn a_pair_whose_peer_is_cut_mid_message_keeps_what_came_and_takes_a_new_peer() {
    let pair = Pair::new();
    let mut monitor = pair.monitor();
    let ep = pair.bind("tcp://127.0.0.1:*").await.expect("bind");
    let addr = ep.strip_prefix("tcp://").expect("tcp");
    let mut raw = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut bytes = greeting_and_ready("PAIR");
    bytes.extend_from_slice(&frame(0, b"first"));
    bytes.extend_from_slice(&frame(0x01, b"second-a"));
    bytes.extend_from_slice(&frame(0, b"second-b"));
    bytes.extend_from_slice(&frame(0x01, b"third-a"));
    let mut cut = frame(0, &[b'x'; 100]);
    cut.truncate(2 + 10);
    bytes.extend_from_slice(&cut);
    raw.write_all(&bytes).await.expect("write");
    raw.shutdown().await.expect("shutdown");
    drop(raw);
    disconnected(&mut monitor).await;

    assert_eq!(
        within("the first message", pair.recv())
            .await
            .expect("recv"),
        Message::from(["first"])
    );
    assert_eq!(
        within("the second message", pair.recv())
            .await
            .expect("recv"),
        Message::from(["second-a", "second-b"])
    );
    assert!(
        matches!(pair.try_recv(), Err(Error::WouldBlock)),
        "nothing of the message cut in half was delivered"
    );

    let next = Pair::new();
    next.connect(&ep).await.expect("connect");
    next.send("from the new peer").await.expect("send");
    assert_eq!(
        within("the new peer's message", pair.recv())
            .await
            .expect("recv"),
        Message::from(["from the new peer"])
    );
    pair.send("to the new peer").await.expect("send");
    assert_eq!(
        within("the reply at the new peer", next.recv())
            .await
            .expect("recv"),
        Message::from(["to the new peer"])
    );
}

/// A zmtp PUSH in another process sends 3 MiB three-frame messages and is SIGKILLed while it
/// does (most likely in the middle of one: each takes many writes): every message delivered is
/// whole and byte-exact, in order, and nothing comes after the disconnect.
#[tokio::test]
async fn a_zmtp_peer_killed_while_sending_big_multiparts_delivers_only_whole_ones() {
    let pull = Pull::with_options(SocketOptions::new().rcvhwm(4)).expect("pull");
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut child = Child::spawn("multipart", &ep);
    assert_eq!(child.line("the child sending").await, "sending");
    let check = |msg: &Message, n: u64| {
        assert_eq!(msg, &big_message(n), "message {n} whole and byte-exact");
    };
    for n in 0..3 {
        check(
            &within("a big message", pull.recv()).await.expect("recv"),
            n,
        );
    }
    child.kill().await;
    // Whatever was complete before the kill still comes, in order; then the disconnect.
    let mut n = 3;
    let mut done = false;
    within("the rest, then the disconnect", async {
        while !done {
            tokio::select! {
                msg = pull.recv() => {
                    check(&msg.expect("recv"), n);
                    n += 1;
                }
                event = monitor.next() => {
                    done = matches!(event.expect("monitor open"), MonitorEvent::Disconnected { .. });
                }
            }
        }
    })
    .await;
    while let Ok(msg) = pull.try_recv() {
        check(&msg, n);
        n += 1;
    }
    println!("{n} whole messages delivered before the kill; nothing partial");
}

// ---------------------------------------------------------------------------------------------
// Killed and restarted.

/// Our PUSH sends numbers to a PULL in another process, which is killed after 2,000 and
/// started again on the same port; our PUSH reconnects by itself and the numbers resume. The
/// two runs together received each number at most once, each in order, and the numbers lost
/// are one contiguous run at the cut; everything after the run arrives.
#[tokio::test]
async fn a_peer_killed_and_restarted_gets_the_stream_back_with_one_gap() {
    let ep = common::unbound_endpoint("tcp");
    let push = Push::with_options(
        SocketOptions::new()
            .reconnect_ivl(Some(Duration::from_millis(20)))
            .sndhwm(1000),
    )
    .expect("push");
    push.connect(&ep).await.expect("connect");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let sender = tokio::spawn(async move {
        let mut n = 0u64;
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            push.send(n.to_be_bytes().to_vec()).await.expect("send");
            n += 1;
        }
        n
    });

    let numbers = |lines: &[String]| -> Vec<u64> {
        lines
            .iter()
            .filter_map(|l| l.strip_prefix("got "))
            .map(|n| n.parse().expect("a number"))
            .collect()
    };
    let run = |want: usize| {
        let ep = ep.clone();
        async move {
            let mut child = Child::spawn("pull", &ep);
            let mut lines = Vec::new();
            while numbers(&lines).len() < want {
                lines.push(child.line("the child's numbers").await);
            }
            (child, lines)
        }
    };
    let (first, mut lines) = run(2_000).await;
    lines.extend(first.kill().await);
    let a = numbers(&lines);
    let (second, mut lines) = run(2_000).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = within("the sender to stop", sender).await.expect("sender");
    lines.extend(second.kill().await);
    let b = numbers(&lines);

    assert!(
        a.iter().copied().eq(0..a.len() as u64),
        "the first run got 0, 1, 2, ... in order"
    );
    let (&a_last, &b_first) = (a.last().expect("some"), b.first().expect("some"));
    assert!(
        b.windows(2).all(|w| w[1] == w[0] + 1),
        "the second run got a contiguous, ordered run"
    );
    assert!(b_first > a_last, "nothing was delivered twice");
    let lost = b_first - a_last - 1;
    println!(
        "kill and restart: sent {sent}; first run 0..={a_last}, second {b_first}..={}; lost at \
         the cut: {lost} (in the dead connection's buffers or the dead peer's queue)",
        b.last().expect("some")
    );
}

// ---------------------------------------------------------------------------------------------
// ZMQ_LINGER

/// A DEALER queues 20,000 messages to a ROUTER that is not reading yet and is dropped: over
/// ipc and inproc every one arrives, counted and in order.
#[tokio::test]
async fn linger_delivers_everything_queued_to_a_live_peer() {
    for ep in ["ipc://*", "inproc://faults-linger"] {
        const N: u32 = 20_000;
        let router = Router::with_options(SocketOptions::new().rcvhwm(10)).expect("router");
        let bound = router.bind(ep).await.expect("bind");
        let dealer =
            Dealer::with_options(SocketOptions::new().sndhwm(0).identity("d")).expect("dealer");
        dealer.connect(&bound).await.expect("connect");
        for i in 0..N {
            dealer.send(i.to_be_bytes().to_vec()).await.expect("queued");
        }
        drop(dealer);
        for i in 0..N {
            let msg = within("a lingering message", router.recv())
                .await
                .expect("recv");
            assert_eq!(
                &msg.frames()[1][..],
                &i.to_be_bytes(),
                "{ep}: message {i} of {N}"
            );
        }
        assert!(matches!(router.try_recv(), Err(Error::WouldBlock)));
    }
}

// ---------------------------------------------------------------------------------------------
// Dropped at every await point.

/// One round of every drop: sockets and their futures dropped while pending, in a context of
/// its own, whose tasks must all end.
async fn drop_everything_once(round: u32) {
    let ctx = Context::new().expect("context");
    let opts = || SocketOptions::new().linger(Some(Duration::ZERO));

    // recv pending on a bound PULL; bind and connect futures dropped after one poll.
    let pull = Pull::with_options_in(&ctx, opts()).expect("pull");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    assert!(pull.recv().now_or_never().is_none(), "nothing to receive");
    let other = Pull::with_options_in(&ctx, opts()).expect("pull");
    let _ = other.bind("tcp://127.0.0.1:*").now_or_never();
    let _ = other.bind("ipc://*").now_or_never();
    let push = Push::with_options_in(&ctx, opts().sndhwm(1)).expect("push");
    let _ = push.connect(&ep).now_or_never();
    // send pending: a PUSH with no peer at all.
    let lonely = Push::with_options_in(&ctx, opts()).expect("push");
    assert!(
        lonely.send("x").now_or_never().is_none(),
        "no peer to send to"
    );
    // A REQ awaiting a reply its REP never sends; a select dropping the losing recv.
    let rep = Rep::with_options_in(&ctx, opts()).expect("rep");
    let rep_ep = rep.bind("inproc://faults-drop").await.expect("bind");
    let req = Req::with_options_in(&ctx, opts()).expect("req");
    req.connect(&rep_ep).await.expect("connect");
    req.send("question").await.expect("send");
    let _ = within("the question", rep.recv()).await.expect("recv");
    assert!(req.recv().now_or_never().is_none(), "no answer yet");
    tokio::select! {
        biased;
        () = std::future::ready(()) => {}
        _ = req.recv() => panic!("no answer was sent"),
    }
    // A handshake under way: a listener that accepts and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let silent_ep = format!("tcp://{}", silent.local_addr().expect("addr"));
    let dealer = Dealer::with_options_in(&ctx, opts()).expect("dealer");
    dealer.connect(&silent_ep).await.expect("connect");
    let (held, _) = within("the dealer's connection", silent.accept())
        .await
        .expect("accept");
    // A closed socket lingering on a peer that does not read, with messages queued (for a
    // short ZMQ_LINGER: it keeps reconnecting for that long while it holds messages).
    let stuck = Push::with_options_in(
        &ctx,
        SocketOptions::new()
            .sndhwm(0)
            .linger(Some(Duration::from_millis(100))),
    )
    .expect("push");
    stuck.connect(&silent_ep).await.expect("connect");
    let (held2, _) = within("the stuck push's connection", silent.accept())
        .await
        .expect("accept");
    for _ in 0..100 {
        stuck.send(vec![0u8; 1024]).await.expect("queued");
    }
    assert!(ctx.live_tasks() > 0);

    drop((pull, other, push, lonely, rep, req, dealer, stuck));
    drop((held, held2, silent));
    within(
        &format!("round {round}: every task of the context ended"),
        async {
            ctx.term().await;
        },
    )
    .await;
    assert_eq!(ctx.live_tasks(), 0);
}

/// Every drop above, 200 rounds: the context's tasks all end each round, and the process's
/// sockets and live heap are back at their baseline at the end (a leak of a few bytes per
/// round would show: 200 rounds against a slack of 1 MiB is 5 KiB a round).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_at_every_await_point_leaks_no_task_socket_or_memory() {
    let _alone = heap::exclusive().await;
    // A first round sets up what lives for the process (runtime and allocator internals).
    drop_everything_once(0).await;
    let sockets = heap::open_sockets();
    let base = heap::live();
    const ROUNDS: u32 = 200;
    for round in 1..=ROUNDS {
        drop_everything_once(round).await;
    }
    common::eventually("the sockets closed", || heap::open_sockets() <= sockets).await;
    let mut now = 0;
    within("the heap back at its baseline", async {
        loop {
            now = heap::live();
            if now <= base + (1 << 20) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    println!(
        "{ROUNDS} rounds of drops: heap {} KiB from the baseline, {} sockets",
        (now as isize - base as isize) / 1024,
        heap::open_sockets()
    );
}

//! `ZMQ_SOCKS_PROXY` through a real SOCKS5 proxy, microsocks (Debian's `microsocks`, which
//! `scripts/setup.sh` installs), to libzmq 4.3.4 peers (the `zmq` crate). Each test starts its
//! own microsocks on a free loopback port and stops it when done:
//!
//! - our DEALER, REQ, PUSH and SUB connect through it to a libzmq ROUTER, REP, PULL and PUB, and
//!   messages flow both ways (for SUB: its subscription one way, the publications the other);
//! - a connect by host name (`tcp://localhost:PORT`) reaches microsocks as the name: its log
//!   says it connected to `localhost:PORT`, not to an address resolved here;
//! - with microsocks not yet running, the connecter retries, and gets through once it runs;
//! - a target refused behind microsocks (nothing listening there yet) fails each attempt
//!   (CLOSED, CONNECT_RETRIED, never CONNECTED) until libzmq binds it, then messages flow;
//! - CURVE through the proxy: our CURVE client to a libzmq CURVE server, libzmq-made keys.
//!
//! A missing microsocks fails the test with the command that installs it; nothing is skipped.
//! Every wait is bounded and says what it waited for.

mod support;

use std::fs::File;
use std::net::TcpStream as StdTcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use support::millis;
use zmtp::security::{CurvePublicKey, CurveSecretKey};
use zmtp::socket::monitor::{EVENT_CLOSED, EVENT_CONNECTED, EVENT_CONNECT_RETRIED};
use zmtp::{Dealer, Monitor, Push, Req, SocketOptions, Sub};

/// The longest any single step may take.
const STALL: Duration = Duration::from_secs(30);
/// Messages each way in the message-flow tests.
const ROUNDS: usize = 100;

/// A microsocks process on a loopback port, killed on drop; its log (stderr) kept in a file.
struct Microsocks {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Microsocks {
    /// microsocks on a free port (another port if the one picked is taken meanwhile).
    fn start() -> Microsocks {
        let mut last = String::new();
        for _ in 0..5 {
            match Microsocks::start_on(free_port()) {
                Ok(proxy) => return proxy,
                Err(e) => last = e,
            }
        }
        panic!("microsocks did not start: {last}");
    }

    /// microsocks on `port`, once that port accepts connections.
    fn start_on(port: u16) -> Result<Microsocks, String> {
        let log =
            std::env::temp_dir().join(format!("zmtp-microsocks-{}-{port}.log", std::process::id()));
        let stderr = File::create(&log).expect("a log file in the temporary directory");
        let child = Command::new("microsocks")
            .args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run microsocks ({e}): install microsocks: apt-get install microsocks \
                     (scripts/setup.sh does)"
                )
            });
        let mut proxy = Microsocks { child, port, log };
        let deadline = Instant::now() + STALL;
        loop {
            if let Ok(Some(status)) = proxy.child.try_wait() {
                return Err(format!("microsocks on port {port} exited: {status}"));
            }
            if StdTcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(proxy);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "microsocks on port {port}: not accepting within {STALL:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The value of `ZMQ_SOCKS_PROXY` for it.
    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Microsocks {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// microsocks connected to `host:port` for us (it logs each target as the request named it,
/// before it answers, so before any message could flow).
fn assert_through(proxy: &Microsocks, host: &str, port: u16) {
    let log = proxy.log();
    assert!(
        log.contains(&format!("connected to {host}:{port}\n")),
        "microsocks did not connect to {host}:{port}; its log: {log:?}"
    );
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    probe.local_addr().expect("address").port()
}

fn through(proxy: &str) -> SocketOptions {
    SocketOptions::new()
        .socks_proxy(proxy)
        .reconnect_ivl(Some(Duration::from_millis(20)))
        .linger(Some(Duration::ZERO))
}

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(STALL, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {STALL:?}"))
}

/// A libzmq peer of `kind` bound at `bind` (and at `[::1]` on the same port too when
/// `ipv6_loopback` and the host has it), which reports its port, then serves `ROUNDS` messages:
/// a ROUTER or REP answers each with `re:` and the same payload, a PULL collects them. `setup`
/// sets options before the bind. Returns the payloads received.
fn libzmq_peer(
    kind: zmq::SocketType,
    bind: String,
    ipv6_loopback: bool,
    setup: impl FnOnce(&zmq::Socket) + Send + 'static,
) -> (u16, tokio::task::JoinHandle<Vec<Vec<u8>>>) {
    let (port_tx, port_rx) = mpsc::channel();
    let task = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let socket = ctx.socket(kind).expect("libzmq socket");
        socket.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        socket.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        socket.set_linger(0).expect("ZMQ_LINGER");
        setup(&socket);
        socket.bind(&bind).expect("libzmq bind");
        let port = support::bound_address(&socket).port();
        if ipv6_loopback {
            socket.set_ipv6(true).expect("ZMQ_IPV6");
            // Only where the host resolves and routes ::1; the IPv4 bind is the one relied on.
            let _ = socket.bind(&format!("tcp://[::1]:{port}"));
        }
        port_tx.send(port).expect("the test waits");
        let mut seen = Vec::new();
        for n in 0..ROUNDS {
            let mut frames = socket.recv_multipart(0).unwrap_or_else(|e| {
                panic!("libzmq {kind:?}: message {n} not within {STALL:?} ({e})")
            });
            let payload = frames.pop().expect("a frame");
            if kind != zmq::PULL {
                let mut reply = b"re:".to_vec();
                reply.extend_from_slice(&payload);
                frames.push(reply);
                socket.send_multipart(frames, 0).expect("libzmq reply");
            }
            seen.push(payload);
        }
        seen
    });
    let port = port_rx
        .recv_timeout(STALL)
        .expect("the libzmq peer reports its port");
    (port, task)
}

fn payload(n: usize) -> Vec<u8> {
    format!("message {n}").into_bytes()
}

fn expected() -> Vec<Vec<u8>> {
    (0..ROUNDS).map(payload).collect()
}

/// `ROUNDS` messages from our DEALER, each answered by the libzmq peer.
async fn dealer_rounds(dealer: &mut Dealer) {
    for n in 0..ROUNDS {
        within("send", dealer.send(payload(n))).await.expect("send");
        let reply = within("the reply through the proxy", dealer.recv())
            .await
            .expect("recv");
        let mut want = b"re:".to_vec();
        want.extend_from_slice(&payload(n));
        assert_eq!(reply.frames().last().map(|f| f.to_vec()), Some(want));
    }
}

#[tokio::test]
async fn our_dealer_through_microsocks_to_a_libzmq_router() {
    let proxy = Microsocks::start();
    let (port, peer) = libzmq_peer(zmq::ROUTER, "tcp://127.0.0.1:*".into(), false, |_| {});
    let mut dealer = Dealer::with_options(through(&proxy.address())).expect("options");
    dealer
        .connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .expect("connect");
    dealer_rounds(&mut dealer).await;
    assert_eq!(peer.await.expect("libzmq ROUTER"), expected());
    assert_through(&proxy, "127.0.0.1", port);
}

#[tokio::test]
async fn our_req_through_microsocks_to_a_libzmq_rep() {
    let proxy = Microsocks::start();
    let (port, peer) = libzmq_peer(zmq::REP, "tcp://127.0.0.1:*".into(), false, |_| {});
    let req = Req::with_options(through(&proxy.address())).expect("options");
    req.connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .expect("connect");
    for n in 0..ROUNDS {
        within("send", req.send(payload(n))).await.expect("send");
        let reply = within("the reply", req.recv()).await.expect("recv");
        let mut want = b"re:".to_vec();
        want.extend_from_slice(&payload(n));
        assert_eq!(reply.frames().last().map(|f| f.to_vec()), Some(want));
    }
    assert_eq!(peer.await.expect("libzmq REP"), expected());
    assert_through(&proxy, "127.0.0.1", port);
}

#[tokio::test]
async fn our_push_through_microsocks_to_a_libzmq_pull() {
    let proxy = Microsocks::start();
    let (port, peer) = libzmq_peer(zmq::PULL, "tcp://127.0.0.1:*".into(), false, |_| {});
    let push = Push::with_options(through(&proxy.address())).expect("options");
    push.connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .expect("connect");
    for n in 0..ROUNDS {
        within("send", push.send(payload(n))).await.expect("send");
    }
    assert_eq!(
        within("the libzmq PULL", peer).await.expect("libzmq PULL"),
        expected()
    );
    assert_through(&proxy, "127.0.0.1", port);
}

#[tokio::test]
async fn our_sub_through_microsocks_to_a_libzmq_pub() {
    let proxy = Microsocks::start();
    let (port_tx, port_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    // The publisher repeats its messages until the test has what it needs: the subscription
    // travels through the proxy one way, the publications the other.
    let publisher = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let publ = ctx.socket(zmq::PUB).expect("PUB");
        publ.set_linger(0).expect("ZMQ_LINGER");
        publ.bind("tcp://127.0.0.1:*").expect("bind");
        port_tx
            .send(support::bound_address(&publ).port())
            .expect("the test waits");
        let deadline = Instant::now() + STALL;
        while stop_rx.try_recv().is_err() && Instant::now() < deadline {
            publ.send("other topic", 0).expect("publish");
            publ.send("news: through the proxy", 0).expect("publish");
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let port = port_rx.recv_timeout(STALL).expect("the PUB's port");
    let mut sub = Sub::with_options(through(&proxy.address())).expect("options");
    sub.subscribe("news").expect("subscribe");
    sub.connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .expect("connect");
    for _ in 0..3 {
        let got = within("a publication through the proxy", sub.next())
            .await
            .expect("open")
            .expect("recv");
        assert_eq!(got.frames()[0].as_ref(), b"news: through the proxy");
    }
    stop_tx.send(()).expect("publisher running");
    publisher.await.expect("libzmq PUB");
    assert_through(&proxy, "127.0.0.1", port);
}

#[tokio::test]
async fn a_host_name_reaches_microsocks_unresolved() {
    let proxy = Microsocks::start();
    let (port, peer) = libzmq_peer(zmq::ROUTER, "tcp://127.0.0.1:*".into(), true, |_| {});
    let mut dealer = Dealer::with_options(through(&proxy.address())).expect("options");
    dealer
        .connect(&format!("tcp://localhost:{port}"))
        .await
        .expect("connect");
    dealer_rounds(&mut dealer).await;
    assert_eq!(peer.await.expect("libzmq ROUTER"), expected());
    // microsocks logs the target as the request named it: a name stays a name.
    assert_through(&proxy, "localhost", port);
}

/// Events until `count` of `code` were seen; none may be `never`.
async fn until_nth(monitor: &mut Monitor, code: u16, count: usize, never: u16) {
    let mut seen = 0;
    while seen < count {
        let event = within(
            &format!("event {code:#x} number {}", seen + 1),
            monitor.next(),
        )
        .await
        .expect("the monitor is open");
        assert_ne!(event.code(), never, "{event} before the way was open");
        if event.code() == code {
            seen += 1;
        }
    }
}

#[tokio::test]
async fn our_dealer_gets_through_once_microsocks_runs() {
    let proxy_port = free_port();
    let (port, peer) = libzmq_peer(zmq::ROUTER, "tcp://127.0.0.1:*".into(), false, |_| {});
    let mut dealer =
        Dealer::with_options(through(&format!("127.0.0.1:{proxy_port}"))).expect("options");
    let mut monitor = dealer.monitor();
    dealer
        .connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .expect("connect");
    // With no proxy there, attempts fail and are retried.
    until_nth(&mut monitor, EVENT_CONNECT_RETRIED, 2, EVENT_CONNECTED).await;
    let proxy = Microsocks::start_on(proxy_port)
        .unwrap_or_else(|e| panic!("microsocks on the port the socket uses: {e}"));
    dealer_rounds(&mut dealer).await;
    assert_eq!(peer.await.expect("libzmq ROUTER"), expected());
    assert_through(&proxy, "127.0.0.1", port);
}

#[tokio::test]
async fn a_target_refused_behind_microsocks_is_retried_until_it_listens() {
    let proxy = Microsocks::start();
    let target = free_port();
    let mut dealer = Dealer::with_options(through(&proxy.address())).expect("options");
    let mut monitor = dealer.monitor();
    dealer
        .connect(&format!("tcp://127.0.0.1:{target}"))
        .await
        .expect("connect");
    // microsocks reaches the proxy but answers "refused": each attempt closes, the next is
    // scheduled, no connection is reported.
    until_nth(&mut monitor, EVENT_CLOSED, 2, EVENT_CONNECTED).await;
    until_nth(&mut monitor, EVENT_CONNECT_RETRIED, 1, EVENT_CONNECTED).await;

    let (port, peer) = libzmq_peer(
        zmq::ROUTER,
        format!("tcp://127.0.0.1:{target}"),
        false,
        |_| {},
    );
    assert_eq!(port, target);
    dealer_rounds(&mut dealer).await;
    assert_eq!(peer.await.expect("libzmq ROUTER"), expected());
    assert_through(&proxy, "127.0.0.1", target);
}

#[tokio::test]
async fn curve_through_microsocks_to_a_libzmq_curve_server() {
    let proxy = Microsocks::start();
    let server = zmq::CurveKeyPair::new().expect("libzmq makes a key pair");
    let server_public = CurvePublicKey::from_bytes(server.public_key);
    let server_secret = server.secret_key;
    let (port, peer) = libzmq_peer(zmq::ROUTER, "tcp://127.0.0.1:*".into(), false, move |s| {
        s.set_curve_server(true).expect("ZMQ_CURVE_SERVER");
        s.set_curve_secretkey(&server_secret)
            .expect("ZMQ_CURVE_SECRETKEY");
    });
    let client = zmq::CurveKeyPair::new().expect("libzmq makes a key pair");
    let options = through(&proxy.address())
        .curve_server_key(server_public)
        .curve_public_key(CurvePublicKey::from_bytes(client.public_key))
        .curve_secret_key(CurveSecretKey::from_bytes(client.secret_key));
    let mut dealer = Dealer::with_options(options).expect("options");
    dealer
        .connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .expect("connect");
    dealer_rounds(&mut dealer).await;
    assert_eq!(peer.await.expect("libzmq CURVE ROUTER"), expected());
    assert_through(&proxy, "127.0.0.1", port);
}

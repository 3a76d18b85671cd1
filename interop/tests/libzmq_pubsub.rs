//! Publish-subscribe against libzmq 4.3.4, over `tcp://` and `ipc://`, with NULL and CURVE (the
//! binding side is the CURVE server, with a ZAP handler: ours when our socket binds, a libzmq one
//! at `inproc://zeromq.zap.01` when libzmq's does; keys are made for each test). One test per
//! case, named `<case>::<tcp|ipc>::<null|curve>` (with `we_bind` / `they_bind` where either side
//! may bind):
//!
//! - `our_pub_to_libzmq_subs`: our PUB binds, four libzmq SUBs connect with the prefixes `""`,
//!   `"a"`, `"ab"` and `"b"`; 2,000 multipart messages on topics that match some, all or none of
//!   them; each SUB gets exactly the messages its prefix matches, byte-exact and in order;
//! - `libzmq_pub_to_our_subs`: the reverse, libzmq's PUB to four of our SUBs, either side
//!   binding;
//! - `libzmq_xpub_sees_our_sub`: libzmq's XPUB (`ZMQ_XPUB_VERBOSE`) receives our SUB's
//!   subscriptions and cancels as `[1, prefix]` / `[0, prefix]` messages, exactly the sequence
//!   counted subscriptions produce, then publishes to it;
//! - `our_xpub_sees_libzmq_sub_and_xsub`: our XPUB receives the subscriptions and cancels of a
//!   libzmq SUB and a libzmq XSUB (new prefixes and last cancels only, an XSUB's own message, the
//!   cancels of a departing XSUB), and publishes to both;
//! - `raw_zmtp30::<tcp|ipc>`: test doubles speaking ZMTP 3.0 (minor version 0, NULL) by hand
//!   over a Tokio `TcpStream` / `UnixStream` (zmtp-codec's `Connection` always announces 3.1):
//!   a SUB double subscribing to our PUB with the 3.0 message form (`0x01` + prefix as a data
//!   frame) gets what it asked for, and cancels with `0x00`; our SUB facing a PUB double sends
//!   its subscriptions and cancels in that form, not as SUBSCRIBE / CANCEL commands.
//!
//! Our sockets run on a current-thread Tokio runtime (their connections on the context's I/O
//! thread); libzmq's are driven from the same thread with blocking calls bounded by
//! `ZMQ_RCVTIMEO`. A subscriber is known to be subscribed when a probe published on its prefix
//! reaches it (the publisher repeats the probe until then). libzmq attaches a connection that
//! one of its bound sockets accepted (and a bound SUB sends its subscriptions) only when the
//! application next calls into that socket, so while waiting on our side for what a bound
//! libzmq socket should send, the test nudges it (`ZMQ_EVENTS`). Every wait is bounded and fails
//! saying what it awaited.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use support::{frame_bytes, millis, LibzmqZapHandler, SeenZapRequest, Traffic, XorShift64};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use zmtp::codec::{ZapReply, ZapRequest};
use zmtp::security::CurveKeyPair;
use zmtp::socket::{Message, Pub, SocketOptions, Sub, XPub};

/// The longest any single step may take.
const STALL: Duration = Duration::from_secs(30);
/// The longest a whole case may take.
const CASE_LIMIT: Duration = Duration::from_secs(120);
/// How long one round of probing waits for the probes to arrive before publishing them again.
const PROBE_ROUND: Duration = Duration::from_millis(20);
/// Data messages of a fan-out case.
const MESSAGES: usize = 2_000;
/// The prefixes of the four subscribers of a fan-out case.
const PREFIXES: [&[u8]; 4] = [b"", b"a", b"ab", b"b"];
/// The topics of the data messages: matched by every prefix above, by several, by one, by only
/// the empty one (`""`, `"c"`, `"xyz"`, `"A"`).
const TOPICS: [&[u8]; 9] = [b"", b"a", b"ab", b"abc", b"b", b"ba", b"c", b"xyz", b"A"];
/// A probe's topic is a subscriber's prefix then this (no data topic contains 0xFE).
const PROBE: &[u8] = b"\xfeprobe";
/// A subscriber's end marker is its prefix then this (no data topic contains 0xFF).
const END: &[u8] = b"\xffend";

// ------------------------------------------------------------------------------------------------
// The cases
// ------------------------------------------------------------------------------------------------

macro_rules! cases {
    ($( $case:ident $(($bind:ident))?; )+) => {
        $(
            mod $case {
                cases!(@binding $case $($bind)?);
            }
        )+
    };
    (@binding $case:ident either) => {
        mod we_bind {
            cases!(@transports $case, true);
        }
        mod they_bind {
            cases!(@transports $case, false);
        }
    };
    (@binding $case:ident) => {
        cases!(@transports $case, true);
    };
    (@transports $case:ident, $we_bind:expr) => {
        mod tcp {
            cases!(@mechanisms $case, Tcp, $we_bind);
        }
        mod ipc {
            cases!(@mechanisms $case, Ipc, $we_bind);
        }
    };
    (@mechanisms $case:ident, $transport:ident, $we_bind:expr) => {
        #[test]
        fn null() {
            crate::run(
                concat!(module_path!(), "::null"),
                crate::$case(crate::Setup::new(
                    concat!(module_path!(), "::null"),
                    crate::Transport::$transport,
                    false,
                    $we_bind,
                )),
            );
        }
        #[test]
        fn curve() {
            crate::run(
                concat!(module_path!(), "::curve"),
                crate::$case(crate::Setup::new(
                    concat!(module_path!(), "::curve"),
                    crate::Transport::$transport,
                    true,
                    $we_bind,
                )),
            );
        }
    };
}

cases! {
    our_pub_to_libzmq_subs;
    libzmq_pub_to_our_subs(either);
    libzmq_xpub_sees_our_sub(either);
    our_xpub_sees_libzmq_sub_and_xsub(either);
}

macro_rules! raw_cases {
    ($( $transport:ident: $variant:ident; )+) => {
        mod raw_zmtp30 {
            $(
                mod $transport {
                    #[test]
                    fn sub_double_subscribes_to_our_pub() {
                        let name = concat!(module_path!(), "::sub_double_subscribes_to_our_pub");
                        crate::run(
                            name,
                            crate::raw_sub_to_our_pub(name, crate::Transport::$variant),
                        );
                    }

                    #[test]
                    fn our_sub_subscribes_to_pub_double() {
                        let name = concat!(module_path!(), "::our_sub_subscribes_to_pub_double");
                        crate::run(
                            name,
                            crate::our_sub_to_raw_pub(name, crate::Transport::$variant),
                        );
                    }
                }
            )+
        }
    };
}

raw_cases! {
    tcp: Tcp;
    ipc: Ipc;
}

/// Runs a case on a current-thread runtime, within [`CASE_LIMIT`].
fn run(name: &str, case: impl std::future::Future<Output = ()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    runtime.block_on(async {
        if tokio::time::timeout(CASE_LIMIT, case).await.is_err() {
            panic!("{name}: not finished within {CASE_LIMIT:?}");
        }
    });
}

// ------------------------------------------------------------------------------------------------
// Transports and security
// ------------------------------------------------------------------------------------------------

/// The transport of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Tcp,
    Ipc,
}

/// The key pairs of a CURVE case (every client uses the same one).
#[derive(Debug, Clone)]
struct Keys {
    server: CurveKeyPair,
    client: CurveKeyPair,
}

/// What a case runs with.
#[derive(Debug)]
struct Setup {
    name: &'static str,
    transport: Transport,
    keys: Option<Keys>,
    /// Whether our socket(s) bind (and are the CURVE servers) or libzmq's.
    we_bind: bool,
    /// What our ZAP handler saw (when our socket is a CURVE server).
    our_zap: Arc<Mutex<Vec<ZapRequest>>>,
}

impl Setup {
    fn new(name: &'static str, transport: Transport, curve: bool, we_bind: bool) -> Setup {
        Setup {
            name,
            transport,
            keys: curve.then(|| Keys {
                server: CurveKeyPair::generate(),
                client: CurveKeyPair::generate(),
            }),
            we_bind,
            our_zap: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The endpoint our socket binds.
    fn our_bind_endpoint(&self) -> &'static str {
        match self.transport {
            Transport::Tcp => "tcp://127.0.0.1:*",
            Transport::Ipc => "ipc://*",
        }
    }

    /// A fresh endpoint for a libzmq socket to bind (read the real one back with
    /// [`last_endpoint`]).
    fn libzmq_bind_endpoint(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        match self.transport {
            Transport::Tcp => "tcp://127.0.0.1:*".to_owned(),
            Transport::Ipc => {
                let n = N.fetch_add(1, Ordering::Relaxed);
                let path = std::env::temp_dir().join(format!(
                    "zmtp-libzmq-pubsub-{}-{n}.sock",
                    std::process::id()
                ));
                format!("ipc://{}", path.display())
            }
        }
    }

    /// Our socket's options: the CURVE server's when `server`, the client's otherwise; no
    /// high-water mark (the fan-out cases check every message, none may be dropped).
    fn our_options(&self, server: bool) -> SocketOptions {
        let options = match (&self.keys, server) {
            (None, _) => SocketOptions::new(),
            (Some(keys), true) => SocketOptions::new()
                .curve_server(true)
                .curve_secret_key(keys.server.secret().clone()),
            (Some(keys), false) => SocketOptions::new()
                .curve_server_key(*keys.server.public())
                .curve_public_key(*keys.client.public())
                .curve_secret_key(keys.client.secret().clone()),
        };
        options.sndhwm(0).rcvhwm(0)
    }

    /// Our ZAP handler (for a CURVE server): accepts the clients' key, logs every request.
    fn our_zap_handler(
        &self,
    ) -> impl Fn(ZapRequest) -> std::future::Ready<ZapReply> + Send + Sync + 'static {
        let expected = self.expected_credentials();
        let log = self.our_zap.clone();
        move |request: ZapRequest| {
            let ok = request
                .credentials
                .iter()
                .map(|c| c.to_vec())
                .eq(expected.iter().cloned());
            log.lock().expect("ZAP log").push(request);
            std::future::ready(if ok {
                ZapReply::accept("pubsub")
            } else {
                ZapReply::refuse("unexpected credentials")
            })
        }
    }

    /// The credentials a ZAP handler sees from a CURVE client: its public key.
    fn expected_credentials(&self) -> Vec<Vec<u8>> {
        self.keys
            .as_ref()
            .map(|k| vec![k.client.public().as_bytes().to_vec()])
            .unwrap_or_default()
    }

    /// A libzmq ZAP handler in `ctx`, when libzmq's sockets are the CURVE servers.
    fn libzmq_zap(&self, ctx: &zmq::Context) -> Option<LibzmqZapHandler> {
        if self.keys.is_none() || self.we_bind {
            return None;
        }
        let expected = self.expected_credentials();
        Some(LibzmqZapHandler::start(ctx, move |request| {
            if request.credentials == expected {
                (200, b"pubsub".to_vec())
            } else {
                (400, Vec::new())
            }
        }))
    }

    /// Sets a libzmq socket's security: the CURVE server's when `server`, the client's otherwise.
    fn libzmq_security(&self, s: &zmq::Socket, server: bool) {
        let Some(keys) = &self.keys else { return };
        if server {
            s.set_curve_server(true).expect("ZMQ_CURVE_SERVER");
            s.set_curve_secretkey(keys.server.secret().as_bytes())
                .expect("ZMQ_CURVE_SECRETKEY");
        } else {
            s.set_curve_serverkey(keys.server.public().as_bytes())
                .expect("ZMQ_CURVE_SERVERKEY");
            s.set_curve_publickey(keys.client.public().as_bytes())
                .expect("ZMQ_CURVE_PUBLICKEY");
            s.set_curve_secretkey(keys.client.secret().as_bytes())
                .expect("ZMQ_CURVE_SECRETKEY");
        }
    }

    /// A libzmq socket of `kind` with bounded waits, no high-water marks, the case's security
    /// (the server's unless our side binds).
    fn libzmq_socket(&self, ctx: &zmq::Context, kind: zmq::SocketType, what: &str) -> zmq::Socket {
        let s = ctx
            .socket(kind)
            .unwrap_or_else(|e| panic!("{}: libzmq's {what}: {e}", self.name));
        s.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        s.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        s.set_linger(0).expect("ZMQ_LINGER");
        s.set_sndhwm(0).expect("ZMQ_SNDHWM");
        s.set_rcvhwm(0).expect("ZMQ_RCVHWM");
        self.libzmq_security(&s, !self.we_bind);
        s
    }

    /// Binds a libzmq socket at a fresh endpoint; returns the endpoint to connect to.
    fn libzmq_bind(&self, s: &zmq::Socket, what: &str) -> String {
        let endpoint = self.libzmq_bind_endpoint();
        s.bind(&endpoint)
            .unwrap_or_else(|e| panic!("{}: libzmq's {what}: bind {endpoint}: {e}", self.name));
        last_endpoint(s)
    }

    /// Checks the ZAP requests of the case: `clients` of them, CURVE, the clients' key, seen by
    /// ours when we bind, by libzmq's (`theirs`) otherwise.
    fn check_zap(&self, clients: usize, theirs: Option<LibzmqZapHandler>) {
        if self.keys.is_none() {
            assert!(theirs.is_none(), "no libzmq ZAP handler over NULL");
            return;
        }
        let seen: Vec<SeenZapRequest> = match theirs {
            Some(handler) => handler.stop(),
            None => self
                .our_zap
                .lock()
                .expect("ZAP log")
                .iter()
                .map(|r| SeenZapRequest {
                    domain: r.domain.to_vec(),
                    mechanism: r.mechanism.as_bytes().to_vec(),
                    credentials: r.credentials.iter().map(|c| c.to_vec()).collect(),
                })
                .collect(),
        };
        let side = if self.we_bind { "our" } else { "libzmq's" };
        assert_eq!(
            seen.len(),
            clients,
            "{}: {side} ZAP handler answers one request per client: {seen:?}",
            self.name
        );
        for request in &seen {
            assert_eq!(request.mechanism, b"CURVE", "{}", self.name);
            assert_eq!(
                request.credentials,
                self.expected_credentials(),
                "{}: the credentials {side} ZAP handler saw",
                self.name
            );
        }
    }
}

/// `ZMQ_LAST_ENDPOINT` of a libzmq socket.
fn last_endpoint(s: &zmq::Socket) -> String {
    s.get_last_endpoint()
        .expect("ZMQ_LAST_ENDPOINT")
        .expect("ZMQ_LAST_ENDPOINT is text")
}

/// FNV-1a of the case's name: each case its own traffic.
fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

// ------------------------------------------------------------------------------------------------
// Messages
// ------------------------------------------------------------------------------------------------

/// A message as frames of bytes (what libzmq's `recv_multipart` returns).
type Frames = Vec<Vec<u8>>;

fn frames_of(msg: &Message) -> Frames {
    msg.iter().map(|f| f.to_vec()).collect()
}

fn message_of(frames: &Frames) -> Message {
    frames.iter().map(|f| Bytes::copy_from_slice(f)).collect()
}

fn concat(a: &[u8], b: &[u8]) -> Vec<u8> {
    [a, b].concat()
}

/// The probe of a subscriber with `prefix`.
fn probe_of(prefix: &[u8]) -> Frames {
    vec![concat(prefix, PROBE)]
}

/// The end marker of a subscriber with `prefix`.
fn end_of(prefix: &[u8]) -> Frames {
    vec![concat(prefix, END)]
}

fn is_probe(frames: &Frames) -> bool {
    frames.len() == 1 && frames[0].ends_with(PROBE)
}

/// What a case publishes: `count` messages whose first frame is a topic of `topics` and the rest
/// come from [`Traffic::light`], then `ends` (end markers).
fn publication(seed: u64, count: usize, topics: &[&[u8]], ends: &[Frames]) -> Vec<Frames> {
    let mut rng = XorShift64::new(seed);
    let mut traffic = Traffic::light(seed ^ 0x7091_C5EE_D5A1_0001);
    let mut all: Vec<Frames> = (0..count)
        .map(|_| {
            let mut frames = vec![topics[rng.below(topics.len())].to_vec()];
            frames.extend(traffic.next_spec().iter().map(|f| frame_bytes(f).to_vec()));
            frames
        })
        .collect();
    all.extend(ends.iter().cloned());
    all
}

/// What a subscriber to `prefixes` receives of `published`: the matching messages, up to and
/// including its end marker `end`.
fn expected_for(published: &[Frames], prefixes: &[&[u8]], end: &Frames) -> Vec<Frames> {
    let mut out = Vec::new();
    for msg in published {
        if prefixes.iter().any(|p| msg[0].starts_with(p)) {
            out.push(msg.clone());
        }
        if msg == end {
            return out;
        }
    }
    panic!("the end marker {end:?} is published");
}

/// Compares what a subscriber received with what it should have, naming the first difference.
fn check_received(who: &str, got: &[Frames], expected: &[Frames]) {
    if let Some(i) = got.iter().zip(expected).position(|(g, e)| g != e) {
        let sizes = |m: &Frames| m.iter().map(Vec::len).collect::<Vec<_>>();
        panic!(
            "{who}: message {i} differs: topic {:?} (frame sizes {:?}), expected topic {:?} \
             (frame sizes {:?}); {} received, {} expected",
            String::from_utf8_lossy(&got[i][0]),
            sizes(&got[i]),
            String::from_utf8_lossy(&expected[i][0]),
            sizes(&expected[i]),
            got.len(),
            expected.len(),
        );
    }
    assert_eq!(
        got.len(),
        expected.len(),
        "{who}: as many messages as expected"
    );
}

/// Waits at most [`STALL`] for one step of our socket; `what` says which.
async fn within<T>(
    what: impl FnOnce() -> String,
    step: impl std::future::Future<Output = zmtp::socket::Result<T>>,
) -> T {
    match tokio::time::timeout(STALL, step).await {
        Err(_) => panic!("{}: nothing within {STALL:?}", what()),
        Ok(Err(e)) => panic!("{}: {e}", what()),
        Ok(Ok(v)) => v,
    }
}

/// libzmq: receives one multipart message within the socket's `ZMQ_RCVTIMEO` ([`STALL`]).
fn libzmq_recv(s: &zmq::Socket, what: &dyn Fn() -> String) -> Frames {
    match s.recv_multipart(0) {
        Ok(frames) => frames,
        Err(zmq::Error::EAGAIN) => panic!("{}: nothing within {STALL:?}", what()),
        Err(e) => panic!("{}: {e}", what()),
    }
}

/// libzmq: sends one multipart message.
fn libzmq_send(s: &zmq::Socket, frames: &Frames, what: &dyn Fn() -> String) {
    s.send_multipart(frames, 0)
        .unwrap_or_else(|e| panic!("{}: {e}", what()));
}

/// libzmq: receives until `end`, skipping probes; fails as soon as more arrive than `expected`.
fn libzmq_collect(s: &zmq::Socket, end: &Frames, expected: &[Frames], who: &str) -> Vec<Frames> {
    let mut got = Vec::new();
    loop {
        let msg = libzmq_recv(s, &|| {
            format!(
                "{who}: message {} of {} (up to its end marker)",
                got.len(),
                expected.len()
            )
        });
        if is_probe(&msg) {
            continue;
        }
        let done = &msg == end;
        got.push(msg);
        if done {
            return got;
        }
        if got.len() >= expected.len() {
            check_received(who, &got, expected);
            panic!("{who}: more messages than expected before the end marker");
        }
    }
}

/// Ours: receives until `end`, skipping probes; fails as soon as more arrive than `expected`.
async fn our_collect(sub: &mut Sub, end: &Frames, expected: &[Frames], who: &str) -> Vec<Frames> {
    let mut got = Vec::new();
    loop {
        let msg = frames_of(
            &within(
                || {
                    format!(
                        "{who}: message {} of {} (up to its end marker)",
                        got.len(),
                        expected.len()
                    )
                },
                sub.recv(),
            )
            .await,
        );
        if is_probe(&msg) {
            continue;
        }
        let done = &msg == end;
        got.push(msg);
        if done {
            return got;
        }
        if got.len() >= expected.len() {
            check_received(who, &got, expected);
            panic!("{who}: more messages than expected before the end marker");
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Probing: publish a probe per subscriber until each has received its own
// ------------------------------------------------------------------------------------------------

/// Our PUB probes libzmq's SUBs (`subs[i]` subscribed to `prefixes[i]`).
async fn probe_libzmq_subs(
    publisher: &mut Pub,
    subs: &[zmq::Socket],
    prefixes: &[&[u8]],
    who: &str,
) {
    let deadline = Instant::now() + STALL;
    let mut pending: Vec<usize> = (0..subs.len()).collect();
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{who}: the probes of libzmq's SUBs {:?} within {STALL:?}",
            pending
                .iter()
                .map(|&i| String::from_utf8_lossy(prefixes[i]))
                .collect::<Vec<_>>()
        );
        for &i in &pending {
            let probe = message_of(&probe_of(prefixes[i]));
            within(
                || format!("{who}: publishing a probe"),
                publisher.send(probe),
            )
            .await;
        }
        {
            let mut items: Vec<zmq::PollItem<'_>> = pending
                .iter()
                .map(|&i| subs[i].as_poll_item(zmq::POLLIN))
                .collect();
            zmq::poll(&mut items, i64::from(millis(PROBE_ROUND))).expect("zmq_poll");
        }
        pending.retain(|&i| !libzmq_drain_probes(&subs[i], &probe_of(prefixes[i]), who));
    }
}

/// libzmq: takes every message already received, all probes; whether `own` was among them.
fn libzmq_drain_probes(s: &zmq::Socket, own: &Frames, who: &str) -> bool {
    let mut seen = false;
    loop {
        match s.recv_multipart(zmq::DONTWAIT) {
            Ok(msg) => {
                assert!(
                    is_probe(&msg),
                    "{who}: only probes before the data: {msg:?}"
                );
                seen |= &msg == own;
            }
            Err(zmq::Error::EAGAIN) => return seen,
            Err(e) => panic!("{who}: libzmq recv: {e}"),
        }
    }
}

/// libzmq's PUB probes our SUBs (`subs[i]` subscribed to `prefixes[i]`).
async fn probe_our_subs(publisher: &zmq::Socket, subs: &mut [Sub], prefixes: &[&[u8]], who: &str) {
    let deadline = Instant::now() + STALL;
    let mut pending: Vec<usize> = (0..subs.len()).collect();
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{who}: the probes of our SUBs {:?} within {STALL:?}",
            pending
                .iter()
                .map(|&i| String::from_utf8_lossy(prefixes[i]))
                .collect::<Vec<_>>()
        );
        for &i in &pending {
            libzmq_send(publisher, &probe_of(prefixes[i]), &|| {
                format!("{who}: libzmq publishing a probe")
            });
        }
        let round = tokio::time::Instant::now() + PROBE_ROUND;
        let mut still = Vec::new();
        for &i in &pending {
            if !our_probe_arrived(&mut subs[i], &probe_of(prefixes[i]), round, who).await {
                still.push(i);
            }
        }
        pending = still;
    }
}

/// Ours: takes probes until `own` arrives (true) or `until` passes (false).
async fn our_probe_arrived(
    sub: &mut Sub,
    own: &Frames,
    until: tokio::time::Instant,
    who: &str,
) -> bool {
    loop {
        match tokio::time::timeout_at(until, sub.recv()).await {
            Err(_) => return false,
            Ok(Ok(msg)) => {
                let msg = frames_of(&msg);
                assert!(
                    is_probe(&msg),
                    "{who}: only probes before the data: {msg:?}"
                );
                if &msg == own {
                    return true;
                }
            }
            Ok(Err(e)) => panic!("{who}: our SUB: {e}"),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Fan-out
// ------------------------------------------------------------------------------------------------

async fn our_pub_to_libzmq_subs(setup: Setup) {
    let name = setup.name;
    let mut publisher =
        Pub::with_options(setup.our_options(true)).expect("our PUB takes the options");
    if setup.keys.is_some() {
        publisher.set_zap_handler(setup.our_zap_handler());
    }
    let endpoint = within(
        || format!("{name}: our bind"),
        publisher.bind(setup.our_bind_endpoint()),
    )
    .await;
    let ctx = zmq::Context::new();
    let subs: Vec<zmq::Socket> = PREFIXES
        .iter()
        .map(|prefix| {
            let s = setup.libzmq_socket(&ctx, zmq::SUB, "SUB");
            s.set_subscribe(prefix).expect("ZMQ_SUBSCRIBE");
            s.connect(&endpoint)
                .unwrap_or_else(|e| panic!("{name}: libzmq's SUB: connect {endpoint}: {e}"));
            s
        })
        .collect();
    probe_libzmq_subs(&mut publisher, &subs, &PREFIXES, name).await;

    let ends: Vec<Frames> = PREFIXES.iter().map(|p| end_of(p)).collect();
    let published = publication(seed_of(name), MESSAGES, &TOPICS, &ends);
    for (i, msg) in published.iter().enumerate() {
        within(
            || format!("{name}: our PUB sending message {i}"),
            publisher.send(message_of(msg)),
        )
        .await;
    }
    for (s, prefix) in subs.iter().zip(PREFIXES) {
        let who = format!(
            "{name}: libzmq's SUB to {:?}",
            String::from_utf8_lossy(prefix)
        );
        let end = end_of(prefix);
        let expected = expected_for(&published, &[prefix], &end);
        let got = libzmq_collect(s, &end, &expected, &who);
        check_received(&who, &got, &expected);
    }
    drop(subs);
    drop(ctx);
    setup.check_zap(PREFIXES.len(), None);
}

async fn libzmq_pub_to_our_subs(setup: Setup) {
    let name = setup.name;
    let ctx = zmq::Context::new();
    let zap = setup.libzmq_zap(&ctx);
    let publisher = setup.libzmq_socket(&ctx, zmq::PUB, "PUB");
    let mut subs: Vec<Sub> = Vec::new();
    let their_endpoint = (!setup.we_bind).then(|| setup.libzmq_bind(&publisher, "PUB"));
    for prefix in PREFIXES {
        let sub =
            Sub::with_options(setup.our_options(setup.we_bind)).expect("our SUB takes the options");
        sub.subscribe(prefix).expect("subscribe");
        match &their_endpoint {
            Some(endpoint) => {
                within(|| format!("{name}: our connect"), sub.connect(endpoint)).await;
            }
            None => {
                if setup.keys.is_some() {
                    sub.set_zap_handler(setup.our_zap_handler());
                }
                let endpoint = within(
                    || format!("{name}: our bind"),
                    sub.bind(setup.our_bind_endpoint()),
                )
                .await;
                publisher
                    .connect(&endpoint)
                    .unwrap_or_else(|e| panic!("{name}: libzmq's PUB: connect {endpoint}: {e}"));
            }
        }
        subs.push(sub);
    }
    probe_our_subs(&publisher, &mut subs, &PREFIXES, name).await;

    let ends: Vec<Frames> = PREFIXES.iter().map(|p| end_of(p)).collect();
    let published = publication(seed_of(name), MESSAGES, &TOPICS, &ends);
    for (i, msg) in published.iter().enumerate() {
        libzmq_send(&publisher, msg, &|| {
            format!("{name}: libzmq's PUB sending message {i}")
        });
    }
    for (sub, prefix) in subs.iter_mut().zip(PREFIXES) {
        let who = format!("{name}: our SUB to {:?}", String::from_utf8_lossy(prefix));
        let end = end_of(prefix);
        let expected = expected_for(&published, &[prefix], &end);
        let got = our_collect(sub, &end, &expected, &who).await;
        check_received(&who, &got, &expected);
    }
    drop(subs);
    setup.check_zap(PREFIXES.len(), zap);
    drop(publisher);
    drop(ctx);
}

// ------------------------------------------------------------------------------------------------
// XPUB
// ------------------------------------------------------------------------------------------------

/// libzmq: the next message passed up by an XPUB must be `expected`.
fn libzmq_expect(s: &zmq::Socket, expected: &[u8], what: &str) {
    let got = libzmq_recv(s, &|| format!("{what}: {expected:?}"));
    assert_eq!(got, vec![expected.to_vec()], "{what}");
}

/// Ours: the next message passed up by our XPUB must be `expected`. While waiting, `nudge`
/// libzmq's sockets: libzmq attaches a connection accepted by a bound socket (and a bound SUB
/// sends its subscriptions on it) only when the application next calls into that socket, so a
/// test that only waits on our side would wait for ever.
async fn our_expect(xpub: &mut XPub, expected: &[u8], what: &str, nudge: &[&zmq::Socket]) {
    let deadline = tokio::time::Instant::now() + STALL;
    loop {
        let round = (tokio::time::Instant::now() + PROBE_ROUND).min(deadline);
        match tokio::time::timeout_at(round, xpub.recv()).await {
            Ok(Ok(got)) => {
                assert_eq!(frames_of(&got), vec![expected.to_vec()], "{what}");
                return;
            }
            Ok(Err(e)) => panic!("{what}: {expected:?}: {e}"),
            Err(_) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{what}: {expected:?}: nothing within {STALL:?}"
                );
                for s in nudge {
                    s.get_events().expect("ZMQ_EVENTS");
                }
            }
        }
    }
}

async fn libzmq_xpub_sees_our_sub(setup: Setup) {
    let name = setup.name;
    let ctx = zmq::Context::new();
    let zap = setup.libzmq_zap(&ctx);
    let xpub = setup.libzmq_socket(&ctx, zmq::XPUB, "XPUB");
    // Every subscription passed up (not only new prefixes), so a duplicate our SUB sent shows.
    xpub.set_xpub_verbose(true).expect("ZMQ_XPUB_VERBOSE");
    let mut sub =
        Sub::with_options(setup.our_options(setup.we_bind)).expect("our SUB takes the options");
    if setup.we_bind {
        if setup.keys.is_some() {
            sub.set_zap_handler(setup.our_zap_handler());
        }
        let endpoint = within(
            || format!("{name}: our bind"),
            sub.bind(setup.our_bind_endpoint()),
        )
        .await;
        xpub.connect(&endpoint)
            .unwrap_or_else(|e| panic!("{name}: libzmq's XPUB: connect {endpoint}: {e}"));
    } else {
        let endpoint = setup.libzmq_bind(&xpub, "XPUB");
        within(|| format!("{name}: our connect"), sub.connect(&endpoint)).await;
    }
    let what = format!("{name}: libzmq's XPUB receives our SUB's");
    sub.subscribe("a").expect("subscribe");
    libzmq_expect(&xpub, b"\x01a", &what);
    // Counted: the second "a" goes up (every subscribe does), its cancel only with the last one.
    sub.subscribe("ab").expect("subscribe");
    sub.subscribe("").expect("subscribe");
    sub.subscribe("a").expect("subscribe");
    sub.unsubscribe("ab").expect("unsubscribe");
    sub.unsubscribe("a").expect("unsubscribe");
    sub.unsubscribe("a").expect("unsubscribe");
    for expected in [&b"\x01ab"[..], b"\x01", b"\x01a", b"\x00ab", b"\x00a"] {
        libzmq_expect(&xpub, expected, &what);
    }

    // Our SUB holds "" now: it gets everything libzmq's XPUB publishes.
    let end = end_of(b"");
    let published = publication(
        seed_of(name),
        MESSAGES / 4,
        &TOPICS,
        std::slice::from_ref(&end),
    );
    for (i, msg) in published.iter().enumerate() {
        libzmq_send(&xpub, msg, &|| {
            format!("{name}: libzmq's XPUB sending message {i}")
        });
    }
    let who = format!("{name}: our SUB to \"\"");
    let got = our_collect(&mut sub, &end, &published, &who).await;
    check_received(&who, &got, &published);

    sub.unsubscribe("").expect("unsubscribe");
    libzmq_expect(&xpub, b"\x00", &what);
    match xpub.recv_multipart(zmq::DONTWAIT) {
        Err(zmq::Error::EAGAIN) => {}
        other => panic!("{what}: nothing more, got {other:?}"),
    }
    drop(sub);
    setup.check_zap(1, zap);
    drop(xpub);
    drop(ctx);
}

async fn our_xpub_sees_libzmq_sub_and_xsub(setup: Setup) {
    let name = setup.name;
    let ctx = zmq::Context::new();
    let zap = setup.libzmq_zap(&ctx);
    let mut xpub =
        XPub::with_options(setup.our_options(setup.we_bind)).expect("our XPUB takes the options");
    let our_endpoint = if setup.we_bind {
        if setup.keys.is_some() {
            xpub.set_zap_handler(setup.our_zap_handler());
        }
        Some(
            within(
                || format!("{name}: our bind"),
                xpub.bind(setup.our_bind_endpoint()),
            )
            .await,
        )
    } else {
        None
    };
    let what = format!("{name}: our XPUB receives");

    // libzmq's SUB: both its prefixes are new.
    let sub = setup.libzmq_socket(&ctx, zmq::SUB, "SUB");
    match &our_endpoint {
        Some(endpoint) => sub
            .connect(endpoint)
            .unwrap_or_else(|e| panic!("{name}: libzmq's SUB: connect {endpoint}: {e}")),
        None => {
            let endpoint = setup.libzmq_bind(&sub, "SUB");
            within(|| format!("{name}: our connect"), xpub.connect(&endpoint)).await;
        }
    }
    sub.set_subscribe(b"x").expect("ZMQ_SUBSCRIBE");
    sub.set_subscribe(b"xy").expect("ZMQ_SUBSCRIBE");
    our_expect(&mut xpub, b"\x01x", &what, &[&sub]).await;
    our_expect(&mut xpub, b"\x01xy", &what, &[&sub]).await;

    // libzmq's XSUB: "x" is not news (the SUB holds it), "q" and "r" are.
    let xsub = setup.libzmq_socket(&ctx, zmq::XSUB, "XSUB");
    match &our_endpoint {
        Some(endpoint) => xsub
            .connect(endpoint)
            .unwrap_or_else(|e| panic!("{name}: libzmq's XSUB: connect {endpoint}: {e}")),
        None => {
            let endpoint = setup.libzmq_bind(&xsub, "XSUB");
            within(|| format!("{name}: our connect"), xpub.connect(&endpoint)).await;
        }
    }
    for prefix in [&b"\x01q"[..], b"\x01x", b"\x01r"] {
        libzmq_send(&xsub, &vec![prefix.to_vec()], &|| {
            format!("{name}: libzmq's XSUB subscribing")
        });
    }
    our_expect(&mut xpub, b"\x01q", &what, &[&sub, &xsub]).await;
    our_expect(&mut xpub, b"\x01r", &what, &[&sub, &xsub]).await;
    // An XSUB's own message goes up too (libzmq 4.2+).
    let upstream: Frames = vec![b"hello".to_vec(), b"from libzmq's XSUB".to_vec()];
    libzmq_send(&xsub, &upstream, &|| {
        format!("{name}: libzmq's XSUB sending")
    });
    let got = within(|| format!("{what} the XSUB's message"), xpub.recv()).await;
    assert_eq!(frames_of(&got), upstream, "{what} the XSUB's message");

    // Publishing: each gets what its subscriptions match, up to its end marker.
    let topics: [&[u8]; 8] = [b"x1", b"xy1", b"q1", b"r1", b"z1", b"", b"xz", b"y"];
    let (sub_end, xsub_end) = (end_of(b"xy"), end_of(b"q"));
    let published = publication(
        seed_of(name),
        MESSAGES / 4,
        &topics,
        &[xsub_end.clone(), sub_end.clone()],
    );
    for (i, msg) in published.iter().enumerate() {
        within(
            || format!("{name}: our XPUB sending message {i}"),
            xpub.send(message_of(msg)),
        )
        .await;
    }
    let who = format!("{name}: libzmq's SUB to x, xy");
    let expected = expected_for(&published, &[b"x", b"xy"], &sub_end);
    let got = libzmq_collect(&sub, &sub_end, &expected, &who);
    check_received(&who, &got, &expected);
    let who = format!("{name}: libzmq's XSUB to q, x, r");
    let expected = expected_for(&published, &[b"q", b"x", b"r"], &xsub_end);
    let got = libzmq_collect(&xsub, &xsub_end, &expected, &who);
    check_received(&who, &got, &expected);

    // Cancels: only the last holder's goes up.
    sub.set_unsubscribe(b"xy").expect("ZMQ_UNSUBSCRIBE");
    our_expect(&mut xpub, b"\x00xy", &what, &[&sub, &xsub]).await;
    sub.set_unsubscribe(b"x").expect("ZMQ_UNSUBSCRIBE");
    sub.set_subscribe(b"m").expect("ZMQ_SUBSCRIBE");
    // The SUB's cancel of "x" came before this, and was not news: the XSUB still holds "x".
    our_expect(&mut xpub, b"\x01m", &what, &[&sub, &xsub]).await;
    libzmq_send(&xsub, &vec![b"\x00x".to_vec()], &|| {
        format!("{name}: libzmq's XSUB cancelling")
    });
    our_expect(&mut xpub, b"\x00x", &what, &[&sub, &xsub]).await;

    // The XSUB leaves: the prefixes only it held are cancelled.
    drop(xsub);
    let mut cancels = Vec::new();
    for _ in 0..2 {
        let got = within(
            || format!("{what} the departed XSUB's cancels (got {cancels:?})"),
            xpub.recv(),
        )
        .await;
        cancels.push(frames_of(&got));
    }
    cancels.sort();
    assert_eq!(
        cancels,
        vec![vec![b"\x00q".to_vec()], vec![b"\x00r".to_vec()]],
        "{what} the departed XSUB's cancels"
    );
    match xpub.try_recv() {
        Err(zmtp::socket::Error::WouldBlock) => {}
        other => panic!("{what}: nothing more, got {other:?}"),
    }
    drop(sub);
    drop(xpub);
    setup.check_zap(2, zap);
    drop(ctx);
}

// ------------------------------------------------------------------------------------------------
// ZMTP 3.0 test doubles
// ------------------------------------------------------------------------------------------------

/// A ZMTP 3.0 greeting (minor version 0) with the NULL mechanism, as-server 0.
fn greeting_30() -> [u8; 64] {
    let mut g = [0u8; 64];
    g[0] = 0xFF;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = 0;
    g[12..16].copy_from_slice(b"NULL");
    g
}

/// One frame on the wire: flags (MORE 0x01, LONG 0x02, COMMAND 0x04), size, body.
fn frame(more: bool, command: bool, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 9);
    let flags = u8::from(more) | if command { 0x04 } else { 0 };
    match u8::try_from(body.len()) {
        Ok(size) => {
            out.push(flags);
            out.push(size);
        }
        Err(_) => {
            out.push(flags | 0x02);
            out.extend_from_slice(&(body.len() as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(body);
    out
}

/// The NULL READY command announcing `socket_type`.
fn ready(socket_type: &str) -> Vec<u8> {
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    body.extend_from_slice(socket_type.as_bytes());
    frame(false, true, &body)
}

/// A message as data frames.
fn message_frames(frames: &Frames) -> Vec<u8> {
    let last = frames.len() - 1;
    frames
        .iter()
        .enumerate()
        .flat_map(|(i, f)| frame(i < last, false, f))
        .collect()
}

/// A frame read from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawFrame {
    more: bool,
    command: bool,
    body: Vec<u8>,
}

/// A byte stream of a test double (tcp or ipc).
trait RawStream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> RawStream for S {}

/// A ZMTP 3.0 peer written by hand over a Tokio `TcpStream` or `UnixStream`.
struct RawPeer {
    stream: Box<dyn RawStream>,
    buf: BytesMut,
    who: &'static str,
}

impl RawPeer {
    fn new(stream: impl RawStream + 'static, who: &'static str) -> RawPeer {
        RawPeer {
            stream: Box::new(stream),
            buf: BytesMut::new(),
            who,
        }
    }

    async fn write(&mut self, bytes: &[u8], what: &str) {
        match tokio::time::timeout(STALL, self.stream.write_all(bytes)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{}: writing {what}: {e}", self.who),
            Err(_) => panic!("{}: writing {what}: not within {STALL:?}", self.who),
        }
    }

    /// Reads more bytes into the buffer, until `deadline`; false when it passed. (A single
    /// `read_buf` loses nothing when its future is dropped.)
    async fn fill(&mut self, deadline: tokio::time::Instant, what: &str) -> bool {
        match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
            Err(_) => false,
            Ok(Ok(0)) => panic!(
                "{}: the peer closed the connection awaiting {what}",
                self.who
            ),
            Ok(Ok(_)) => true,
            Ok(Err(e)) => panic!("{}: reading {what}: {e}", self.who),
        }
    }

    /// The first `n` bytes, within [`STALL`].
    async fn take(&mut self, n: usize, what: &str) -> Bytes {
        let deadline = tokio::time::Instant::now() + STALL;
        while self.buf.len() < n {
            assert!(
                self.fill(deadline, what).await,
                "{}: {what} within {STALL:?}",
                self.who
            );
        }
        self.buf.split_to(n).freeze()
    }

    /// Parses one frame at `at` in the buffer: the frame and the offset after it.
    fn parse_frame(&self, at: usize) -> Option<(RawFrame, usize)> {
        let b = &self.buf[at..];
        let flags = *b.first()?;
        let (size, head) = if flags & 0x02 != 0 {
            let bytes: [u8; 8] = b.get(1..9)?.try_into().ok()?;
            (usize::try_from(u64::from_be_bytes(bytes)).ok()?, 9)
        } else {
            (usize::from(*b.get(1)?), 2)
        };
        let body = b.get(head..head + size)?.to_vec();
        Some((
            RawFrame {
                more: flags & 0x01 != 0,
                command: flags & 0x04 != 0,
                body,
            },
            at + head + size,
        ))
    }

    /// The next frame, within [`STALL`].
    async fn next_frame(&mut self, what: &str) -> RawFrame {
        let deadline = tokio::time::Instant::now() + STALL;
        loop {
            if let Some((frame, end)) = self.parse_frame(0) {
                self.buf.advance(end);
                return frame;
            }
            assert!(
                self.fill(deadline, what).await,
                "{}: {what} within {STALL:?}",
                self.who
            );
        }
    }

    /// The next whole message (data frames only), or `None` if none is complete by `deadline`.
    async fn next_message_by(
        &mut self,
        deadline: tokio::time::Instant,
        what: &str,
    ) -> Option<Frames> {
        loop {
            let mut at = 0;
            let mut frames = Vec::new();
            while let Some((frame, end)) = self.parse_frame(at) {
                assert!(
                    !frame.command,
                    "{}: a command where {what}: {frame:?}",
                    self.who
                );
                at = end;
                frames.push(frame.body);
                if !frame.more {
                    self.buf.advance(at);
                    return Some(frames);
                }
            }
            if !self.fill(deadline, what).await {
                return None;
            }
        }
    }

    /// The next whole message, within [`STALL`].
    async fn next_message(&mut self, what: &str) -> Frames {
        let deadline = tokio::time::Instant::now() + STALL;
        match self.next_message_by(deadline, what).await {
            Some(msg) => msg,
            None => panic!("{}: {what} within {STALL:?}", self.who),
        }
    }

    /// Greets as ZMTP 3.0 with NULL and READY as `ours`; checks the peer's greeting (ZMTP 3,
    /// NULL) and READY (`theirs`). Returns the peer's minor version.
    async fn handshake(&mut self, ours: &str, theirs: &str) -> u8 {
        let mut hello = greeting_30().to_vec();
        hello.extend_from_slice(&ready(ours));
        self.write(&hello, "the greeting and READY").await;
        let greeting = self.take(64, "the peer's greeting").await;
        assert_eq!(greeting[0], 0xFF, "{}: greeting signature", self.who);
        assert_eq!(greeting[9], 0x7F, "{}: greeting signature", self.who);
        assert_eq!(greeting[10], 3, "{}: ZMTP major version", self.who);
        assert_eq!(
            &greeting[12..32],
            &greeting_30()[12..32],
            "{}: NULL",
            self.who
        );
        let ready = self.next_frame("the peer's READY").await;
        assert!(ready.command, "{}: READY is a command", self.who);
        let expected_type = [
            &[11][..],
            b"Socket-Type",
            &(theirs.len() as u32).to_be_bytes(),
            theirs.as_bytes(),
        ]
        .concat();
        assert!(
            ready.body.starts_with(b"\x05READY")
                && ready.body[6..]
                    .windows(expected_type.len())
                    .any(|w| w == &expected_type[..]),
            "{}: READY with Socket-Type {theirs}: {:?}",
            self.who,
            String::from_utf8_lossy(&ready.body)
        );
        greeting[11]
    }
}

/// Connects a test double to our socket bound at `endpoint` (`tcp://host:port` or
/// `ipc://path`).
async fn connect_raw(endpoint: &str, who: &'static str) -> RawPeer {
    let connecting = async {
        if let Some(address) = endpoint.strip_prefix("tcp://") {
            TcpStream::connect(address)
                .await
                .map(|s| RawPeer::new(s, who))
        } else if let Some(path) = endpoint.strip_prefix("ipc://") {
            UnixStream::connect(path)
                .await
                .map(|s| RawPeer::new(s, who))
        } else {
            panic!("{who}: a tcp or ipc endpoint: {endpoint}")
        }
    };
    tokio::time::timeout(STALL, connecting)
        .await
        .unwrap_or_else(|_| panic!("{who}: connect to {endpoint} within {STALL:?}"))
        .unwrap_or_else(|e| panic!("{who}: connect to {endpoint}: {e}"))
}

/// A listening test double: a tcp or ipc listener and the endpoint our socket connects to.
enum RawListener {
    Tcp(TcpListener),
    Ipc(UnixListener, std::path::PathBuf),
}

impl RawListener {
    async fn bind(transport: Transport, who: &'static str) -> (RawListener, String) {
        match transport {
            Transport::Tcp => {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .await
                    .unwrap_or_else(|e| panic!("{who}: listen: {e}"));
                let address = listener.local_addr().expect("the listener's address");
                (RawListener::Tcp(listener), format!("tcp://{address}"))
            }
            Transport::Ipc => {
                static N: AtomicU32 = AtomicU32::new(0);
                let path = std::env::temp_dir().join(format!(
                    "zmtp-raw-pubsub-{}-{}.sock",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                let _ = std::fs::remove_file(&path);
                let listener =
                    UnixListener::bind(&path).unwrap_or_else(|e| panic!("{who}: listen: {e}"));
                let endpoint = format!("ipc://{}", path.display());
                (RawListener::Ipc(listener, path), endpoint)
            }
        }
    }

    async fn accept(&self, who: &'static str) -> RawPeer {
        let accepting = async {
            match self {
                RawListener::Tcp(l) => l.accept().await.map(|(s, _)| RawPeer::new(s, who)),
                RawListener::Ipc(l, _) => l.accept().await.map(|(s, _)| RawPeer::new(s, who)),
            }
        };
        tokio::time::timeout(STALL, accepting)
            .await
            .unwrap_or_else(|_| panic!("{who}: our socket connects within {STALL:?}"))
            .unwrap_or_else(|e| panic!("{who}: accept: {e}"))
    }
}

impl Drop for RawListener {
    fn drop(&mut self) {
        if let RawListener::Ipc(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Our PUB probes the raw SUB double on `prefix` until it gets the probe.
async fn probe_raw_sub(publisher: &mut Pub, raw: &mut RawPeer, prefix: &[u8]) {
    let probe = probe_of(prefix);
    let deadline = Instant::now() + STALL;
    loop {
        assert!(
            Instant::now() < deadline,
            "{}: our PUB's probe on {:?} within {STALL:?}",
            raw.who,
            String::from_utf8_lossy(prefix)
        );
        within(
            || format!("{}: publishing a probe", raw.who),
            publisher.send(message_of(&probe)),
        )
        .await;
        let round = tokio::time::Instant::now() + PROBE_ROUND;
        while let Some(msg) = raw.next_message_by(round, "a probe").await {
            assert!(
                is_probe(&msg),
                "{}: only probes before the data: {msg:?}",
                raw.who
            );
            if msg == probe {
                return;
            }
        }
    }
}

/// The raw SUB double's messages up to `end`, probes skipped.
async fn raw_collect(raw: &mut RawPeer, end: &Frames) -> Vec<Frames> {
    let mut got = Vec::new();
    loop {
        let msg = raw
            .next_message(&format!("message {} (up to {end:?})", got.len()))
            .await;
        if is_probe(&msg) {
            continue;
        }
        let done = &msg == end;
        got.push(msg);
        if done {
            return got;
        }
    }
}

async fn raw_sub_to_our_pub(who: &'static str, transport: Transport) {
    let mut publisher = Pub::new();
    let bind_at = match transport {
        Transport::Tcp => "tcp://127.0.0.1:*",
        Transport::Ipc => "ipc://*",
    };
    let endpoint = within(|| format!("{who}: our bind"), publisher.bind(bind_at)).await;
    let mut raw = connect_raw(&endpoint, who).await;
    let minor = raw.handshake("SUB", "PUB").await;
    assert_eq!(minor, 1, "{who}: our PUB announces ZMTP 3.1");
    // The 3.0 form: a data frame of 0x01 and the prefix.
    raw.write(&frame(false, false, b"\x01news."), "the subscription")
        .await;
    probe_raw_sub(&mut publisher, &mut raw, b"news.").await;

    let topics: [&[u8]; 4] = [b"news.paris", b"sport", b"news.", b"new"];
    let end = end_of(b"news.");
    let published = publication(seed_of(who), 200, &topics, std::slice::from_ref(&end));
    for (i, msg) in published.iter().enumerate() {
        within(
            || format!("{who}: our PUB sending message {i}"),
            publisher.send(message_of(msg)),
        )
        .await;
    }
    let expected = expected_for(&published, &[b"news."], &end);
    let got = raw_collect(&mut raw, &end).await;
    check_received(who, &got, &expected);

    // Cancel in the 3.0 form, then a new subscription: once the new one's probe arrives, the
    // cancel (sent before it) is in.
    raw.write(&frame(false, false, b"\x00news."), "the cancel")
        .await;
    raw.write(&frame(false, false, b"\x01other."), "the subscription")
        .await;
    probe_raw_sub(&mut publisher, &mut raw, b"other.").await;
    let late: Frames = vec![b"news.late".to_vec(), b"body".to_vec()];
    let end = end_of(b"other.");
    for msg in [&late, &end] {
        within(
            || format!("{who}: our PUB sending"),
            publisher.send(message_of(msg)),
        )
        .await;
    }
    let got = raw_collect(&mut raw, &end).await;
    check_received(&format!("{who}: after the cancel"), &got, &[end]);
}

async fn our_sub_to_raw_pub(who: &'static str, transport: Transport) {
    let (listener, endpoint) = RawListener::bind(transport, who).await;
    let mut sub = Sub::new();
    sub.subscribe("news.").expect("subscribe");
    within(|| format!("{who}: our connect"), sub.connect(&endpoint)).await;
    let mut raw = listener.accept(who).await;
    let minor = raw.handshake("PUB", "SUB").await;
    assert_eq!(minor, 1, "{who}: our SUB announces ZMTP 3.1");

    let expect_data_frame = |frame: RawFrame, body: &[u8], what: &str| {
        assert_eq!(
            frame,
            RawFrame {
                more: false,
                command: false,
                body: body.to_vec()
            },
            "{who}: {what} as a 3.0 data frame (not a SUBSCRIBE / CANCEL command)"
        );
    };
    let first = raw.next_frame("the subscription").await;
    expect_data_frame(
        first,
        b"\x01news.",
        "the subscription made before connecting",
    );
    sub.subscribe("weather.").expect("subscribe");
    let second = raw.next_frame("the second subscription").await;
    expect_data_frame(
        second,
        b"\x01weather.",
        "a subscription made once connected",
    );
    sub.unsubscribe("news.").expect("unsubscribe");
    let third = raw.next_frame("the cancel").await;
    expect_data_frame(third, b"\x00news.", "the cancel");

    // A PUB double filters nothing: our SUB keeps only what its subscriptions match.
    let published: Vec<Frames> = vec![
        vec![b"news.1".to_vec(), b"cancelled".to_vec()],
        vec![b"sport.1".to_vec(), b"never subscribed".to_vec()],
        vec![b"weather.1".to_vec(), b"kept".to_vec(), Vec::new()],
        vec![b"weather".to_vec(), b"no dot".to_vec()],
        end_of(b"weather."),
    ];
    let bytes: Vec<u8> = published.iter().flat_map(message_frames).collect();
    raw.write(&bytes, "the messages").await;
    let end = end_of(b"weather.");
    let expected = expected_for(&published, &[b"weather."], &end);
    let got = our_collect(&mut sub, &end, &expected, who).await;
    check_received(who, &got, &expected);
}

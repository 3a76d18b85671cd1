//! CURVE against the real libzmq (4.3.4 through the `zmq` crate), both roles: 1,000 multipart
//! messages byte-exact each way over DEALER <-> ROUTER, keys made by either side used by the
//! other, and ZAP on each side: libzmq's own handler (a REP at `inproc://zeromq.zap.01`) when
//! libzmq is the server, the test answering our connection's ZAP requests when we are. Refused
//! clients end with status 400 and nothing delivered.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use zmtp::codec::{
    Config, Connection, ConnectionError, Event, MechanismError, MechanismName, Message, SocketType,
    ZapReply,
};
use zmtp::security::z85;
use zmtp::security::{CurveClient, CurveKeyPair, CurvePublicKey, CurveSecretKey, CurveServer};

use support::{
    bound_address, format_events, is_handshake_failure, libzmq_recv_traffic, libzmq_send_traffic,
    millis, recv_traffic, send_traffic, DriveError, Driver, LibzmqZapHandler, Monitor,
    MonitorEvent, SeenZapRequest, Traffic, EVENT_HANDSHAKE_FAILED_AUTH, EVENT_HANDSHAKE_SUCCEEDED,
};

/// The longest any one step may wait without progress (a connect, one message, a monitor
/// event): generous, so that a loaded 2-core machine slows the test without failing it, and
/// still a bound, so that a stuck peer fails the test instead of hanging it.
const STALL: Duration = Duration::from_secs(120);
/// The longest a thread may take to finish its remaining work once the traffic is through.
const WIND_DOWN: Duration = Duration::from_secs(300);
const MESSAGES: usize = 1_000;
const TO_SERVER: u64 = 0xC0_5E;
const TO_CLIENT: u64 = 0xC0_C1;

async fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let stream = tokio::time::timeout(STALL, TcpStream::connect(addr))
        .await
        .expect("connect in time")
        .expect("connect to libzmq");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    stream
}

fn curve_client(keys: CurveKeyPair, server: CurvePublicKey) -> Connection {
    Connection::new(
        Config::new(SocketType::Dealer),
        Box::new(CurveClient::new(keys, server)),
        Instant::now(),
    )
}

/// What the libzmq server thread reports.
struct LibzmqServerOutcome {
    zap_requests: Vec<SeenZapRequest>,
    user_id: Option<String>,
    events: Vec<MonitorEvent>,
}

/// A libzmq CURVE server (ROUTER) with libzmq-made keys and libzmq's ZAP handler, which accepts
/// only `allowed`. It reports its address and public key (as Z85, the way users pass keys
/// around), then, when it accepts, checks 1,000 messages, answers with 1,000 of its own, and
/// holds on until our last message.
fn libzmq_curve_server(
    addr_tx: oneshot::Sender<(std::net::SocketAddr, String)>,
    allowed: [u8; 32],
    expect_accept: bool,
) -> tokio::task::JoinHandle<LibzmqServerOutcome> {
    tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let zap = LibzmqZapHandler::start(&ctx, move |req| {
            if req.mechanism == b"CURVE" && req.credentials == [allowed.to_vec()] {
                (200, b"curve-user".to_vec())
            } else {
                (400, Vec::new())
            }
        });
        let keys = zmq::CurveKeyPair::new().expect("libzmq makes a key pair");
        let router = ctx.socket(zmq::ROUTER).expect("ROUTER socket");
        router.set_curve_server(true).expect("ZMQ_CURVE_SERVER");
        router
            .set_curve_secretkey(&keys.secret_key)
            .expect("ZMQ_CURVE_SECRETKEY");
        router.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        router.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        router.set_linger(0).expect("ZMQ_LINGER");
        let monitor = Monitor::new(&ctx, &router, "curve-server");
        router.bind("tcp://127.0.0.1:*").expect("bind");
        let public = zmq::z85_encode(&keys.public_key).expect("32 bytes encode");
        addr_tx
            .send((bound_address(&router), public))
            .expect("test waits");
        let events = monitor.wait_for("the handshake's outcome", STALL, |e| {
            e.event == EVENT_HANDSHAKE_SUCCEEDED || is_handshake_failure(e.event)
        });
        if !expect_accept {
            let mut msg = zmq::Message::new();
            assert_eq!(
                router.recv(&mut msg, zmq::DONTWAIT),
                Err(zmq::Error::EAGAIN),
                "nothing from a refused client"
            );
            return LibzmqServerOutcome {
                zap_requests: zap.stop(),
                user_id: None,
                events,
            };
        }
        let mut id = zmq::Message::new();
        let mut hello = zmq::Message::new();
        router.recv(&mut id, 0).expect("routing id");
        router.recv(&mut hello, 0).expect("the first message");
        assert_eq!(&hello[..], b"hello");
        let user_id = hello.gets("User-Id").map(str::to_owned);
        let routing_id = libzmq_recv_traffic(&router, &mut Traffic::new(TO_SERVER), MESSAGES, true)
            .expect("a routing id");
        assert_eq!(&routing_id[..], &id[..]);
        libzmq_send_traffic(
            &router,
            &mut Traffic::new(TO_CLIENT),
            MESSAGES,
            Some(&routing_id),
        );
        let mut end = zmq::Message::new();
        let _ = router.recv(&mut end, 0);
        LibzmqServerOutcome {
            zap_requests: zap.stop(),
            user_id,
            events,
        }
    })
}

async fn server_address(
    addr_rx: oneshot::Receiver<(std::net::SocketAddr, String)>,
) -> (std::net::SocketAddr, CurvePublicKey) {
    let (addr, public) = tokio::time::timeout(STALL, addr_rx)
        .await
        .expect("address in time")
        .expect("sent");
    (
        addr,
        CurvePublicKey::from_z85(&public).expect("libzmq's Z85 key parses"),
    )
}

#[tokio::test]
async fn codec_curve_client_to_libzmq_curve_server() {
    let ours = CurveKeyPair::generate();
    let (addr_tx, addr_rx) = oneshot::channel();
    let server = libzmq_curve_server(addr_tx, *ours.public().as_bytes(), true);
    let (addr, server_key) = server_address(addr_rx).await;
    let mut d = Driver::new(curve_client(ours.clone(), server_key), connect(addr).await);
    let peer = d
        .handshake(STALL)
        .await
        .expect("CURVE handshake with libzmq");
    assert_eq!(peer.socket_type, Some(SocketType::Router));
    assert_eq!(peer.greeting.mechanism, MechanismName::CURVE);
    d.conn.send(&Message::from(["hello"])).expect("ready");
    send_traffic(&mut d, &mut Traffic::new(TO_SERVER), MESSAGES, STALL)
        .await
        .expect("libzmq takes our messages");
    recv_traffic(&mut d, &mut Traffic::new(TO_CLIENT), MESSAGES, STALL)
        .await
        .expect("libzmq's messages reach us");
    d.conn.send(&Message::from(["bye"])).expect("ready");
    d.flush(STALL).await.expect("flush");
    let outcome = tokio::time::timeout(WIND_DOWN, server)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    assert_eq!(
        outcome.events.last().map(|e| e.event),
        Some(EVENT_HANDSHAKE_SUCCEEDED),
        "{}",
        format_events(&outcome.events)
    );
    assert_eq!(outcome.user_id.as_deref(), Some("curve-user"));
    assert_eq!(outcome.zap_requests.len(), 1);
    assert_eq!(outcome.zap_requests[0].mechanism, b"CURVE");
    assert_eq!(
        outcome.zap_requests[0].credentials,
        vec![ours.public().as_bytes().to_vec()],
        "libzmq's ZAP handler sees our long-term public key"
    );
}

#[tokio::test]
async fn codec_curve_client_refused_by_libzmq_zap() {
    let ours = CurveKeyPair::generate();
    let other = CurveKeyPair::generate();
    let (addr_tx, addr_rx) = oneshot::channel();
    let server = libzmq_curve_server(addr_tx, *other.public().as_bytes(), false);
    let (addr, server_key) = server_address(addr_rx).await;
    let mut d = Driver::new(curve_client(ours, server_key), connect(addr).await);
    let err = d
        .handshake(STALL)
        .await
        .expect_err("libzmq's handler refuses our key");
    match err {
        DriveError::Closed { reason, .. } => assert_eq!(
            reason,
            ConnectionError::Mechanism(MechanismError::PeerError {
                reason: "400".into()
            })
        ),
        other => panic!("expected an ERROR 400 from libzmq, got {other}"),
    }
    assert!(!d.events.iter().any(|e| matches!(e, Event::Message(_))));
    let outcome = tokio::time::timeout(WIND_DOWN, server)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    let last = outcome.events.last().expect("an outcome");
    assert_eq!(
        (last.event, last.value),
        (EVENT_HANDSHAKE_FAILED_AUTH, 400),
        "{}",
        format_events(&outcome.events)
    );
    assert_eq!(outcome.zap_requests.len(), 1);
}

#[tokio::test]
async fn codec_client_with_the_wrong_server_key_gets_nowhere() {
    let ours = CurveKeyPair::generate();
    let (addr_tx, addr_rx) = oneshot::channel();
    let server = libzmq_curve_server(addr_tx, *ours.public().as_bytes(), false);
    let (addr, _real_key) = server_address(addr_rx).await;
    let impostor = CurveKeyPair::generate();
    let mut d = Driver::new(curve_client(ours, *impostor.public()), connect(addr).await);
    let err = d
        .handshake(STALL)
        .await
        .expect_err("libzmq cannot open our HELLO");
    assert!(
        matches!(err, DriveError::PeerClosed { .. }),
        "libzmq closes without a word: {err}"
    );
    let outcome = tokio::time::timeout(WIND_DOWN, server)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    let last = outcome.events.last().expect("an outcome");
    assert!(
        is_handshake_failure(last.event) && last.event != EVENT_HANDSHAKE_FAILED_AUTH,
        "a protocol failure (cryptographic): {}",
        format_events(&outcome.events)
    );
    assert!(outcome.zap_requests.is_empty(), "no ZAP for a bad HELLO");
}

/// Accepts one connection with our CURVE server; when `zap` is given, answers the ZAP request
/// with it after checking that the credential is `expect_key`.
async fn codec_curve_server(
    listener: &TcpListener,
    keys: CurveKeyPair,
    zap: Option<(ZapReply, [u8; 32])>,
) -> Driver {
    let (stream, peer_addr) = tokio::time::timeout(STALL, listener.accept())
        .await
        .expect("libzmq connects in time")
        .expect("accept");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let mut cfg = Config::new(SocketType::Router);
    cfg.peer_address = Bytes::from(peer_addr.ip().to_string());
    let mechanism = CurveServer::new(keys).with_zap(zap.is_some());
    let conn = Connection::new(cfg, Box::new(mechanism), Instant::now());
    let mut d = Driver::new(conn, stream).record_bytes();
    if let Some((reply, expect_key)) = zap {
        let mut reply = Some(reply);
        d.run_until("the ZAP request", STALL, |d| {
            let Some(Event::ZapRequest(req)) = d.events.pop_front() else {
                return false;
            };
            assert_eq!(req.mechanism, MechanismName::CURVE);
            assert_eq!(req.address, &b"127.0.0.1"[..]);
            assert_eq!(req.credentials, vec![Bytes::copy_from_slice(&expect_key)]);
            let reply = reply.take().expect("one request");
            d.conn.handle_zap_reply(Instant::now(), reply);
            true
        })
        .await
        .expect("our CURVE server gets a ZAP request");
    }
    d
}

/// A libzmq CURVE client (DEALER) with the given keys, all passed as Z85 text (40 characters).
/// When its handshake succeeds it sends 1,000 messages and checks 1,000 back.
fn libzmq_curve_client(
    addr: std::net::SocketAddr,
    server_public: String,
    client_public: String,
    client_secret: String,
    done_rx: std::sync::mpsc::Receiver<()>,
) -> tokio::task::JoinHandle<Vec<MonitorEvent>> {
    tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let dealer = ctx.socket(zmq::DEALER).expect("DEALER socket");
        dealer
            .set_curve_serverkey(server_public.as_bytes())
            .expect("ZMQ_CURVE_SERVERKEY");
        dealer
            .set_curve_publickey(client_public.as_bytes())
            .expect("ZMQ_CURVE_PUBLICKEY");
        dealer
            .set_curve_secretkey(client_secret.as_bytes())
            .expect("ZMQ_CURVE_SECRETKEY");
        dealer.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        dealer.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        dealer.set_linger(0).expect("ZMQ_LINGER");
        let monitor = Monitor::new(&ctx, &dealer, "curve-client");
        dealer.connect(&format!("tcp://{addr}")).expect("connect");
        let events = monitor.wait_for("the handshake's outcome", STALL, |e| {
            e.event == EVENT_HANDSHAKE_SUCCEEDED || is_handshake_failure(e.event)
        });
        if events
            .last()
            .is_some_and(|e| e.event == EVENT_HANDSHAKE_SUCCEEDED)
        {
            libzmq_send_traffic(&dealer, &mut Traffic::new(TO_SERVER), MESSAGES, None);
            libzmq_recv_traffic(&dealer, &mut Traffic::new(TO_CLIENT), MESSAGES, false);
        } else {
            let mut msg = zmq::Message::new();
            assert_eq!(
                dealer.recv(&mut msg, zmq::DONTWAIT),
                Err(zmq::Error::EAGAIN)
            );
        }
        done_rx
            .recv_timeout(WIND_DOWN)
            .expect("the test ends the client");
        events
    })
}

fn z85_text(bytes: &[u8; 32]) -> String {
    zmq::z85_encode(bytes).expect("32 bytes encode")
}

async fn run_accepted_libzmq_client(zap: bool) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server_keys = CurveKeyPair::generate();
    // The client's keys are libzmq's, handed over as Z85 text.
    let client_keys = zmq::CurveKeyPair::new().expect("libzmq makes a key pair");
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let client = libzmq_curve_client(
        listener.local_addr().expect("addr"),
        server_keys.public().to_z85(),
        z85_text(&client_keys.public_key),
        z85_text(&client_keys.secret_key),
        done_rx,
    );
    let verdict = zap.then(|| (ZapReply::accept("curve-user"), client_keys.public_key));
    let mut d = codec_curve_server(&listener, server_keys, verdict).await;
    let peer = d
        .handshake(STALL)
        .await
        .expect("CURVE handshake with libzmq");
    assert_eq!(peer.socket_type, Some(SocketType::Dealer));
    assert_eq!(
        peer.metadata.get("User-Id"),
        zap.then(|| Bytes::from_static(b"curve-user")).as_ref()
    );
    recv_traffic(&mut d, &mut Traffic::new(TO_SERVER), MESSAGES, STALL)
        .await
        .expect("libzmq's messages reach us");
    send_traffic(&mut d, &mut Traffic::new(TO_CLIENT), MESSAGES, STALL)
        .await
        .expect("libzmq takes our messages");
    done_tx.send(()).expect("client waits");
    let events = tokio::time::timeout(WIND_DOWN, client)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    assert_eq!(
        events.last().map(|e| e.event),
        Some(EVENT_HANDSHAKE_SUCCEEDED)
    );
}

#[tokio::test]
async fn libzmq_curve_client_to_codec_curve_server() {
    // No ZAP handler: every client with a valid vouch is accepted, as libzmq does.
    run_accepted_libzmq_client(false).await;
}

#[tokio::test]
async fn libzmq_curve_client_accepted_by_codec_zap() {
    run_accepted_libzmq_client(true).await;
}

#[tokio::test]
async fn libzmq_curve_client_refused_by_codec_zap() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server_keys = CurveKeyPair::generate();
    let client_keys = CurveKeyPair::generate();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let client = libzmq_curve_client(
        listener.local_addr().expect("addr"),
        server_keys.public().to_z85(),
        client_keys.public().to_z85(),
        client_keys.secret().to_z85().to_string(),
        done_rx,
    );
    let verdict = (
        ZapReply::refuse("unknown key"),
        *client_keys.public().as_bytes(),
    );
    let mut d = codec_curve_server(&listener, server_keys, Some(verdict)).await;
    let err = d.handshake(STALL).await.expect_err("we refuse");
    match err {
        DriveError::Closed { reason, .. } => assert_eq!(
            reason,
            ConnectionError::Mechanism(MechanismError::Refused {
                status: 400,
                text: "unknown key".into()
            })
        ),
        other => panic!("expected our refusal, got {other}"),
    }
    let sent = d.transmitted.as_ref().expect("recorded");
    assert!(
        sent.ends_with(b"\x04\x0a\x05ERROR\x03400"),
        "ERROR 400 goes out last"
    );
    assert!(!d.events.iter().any(|e| matches!(e, Event::Message(_))));
    done_tx.send(()).expect("client waits");
    let events = tokio::time::timeout(WIND_DOWN, client)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    let last = events.last().expect("an outcome");
    assert_eq!(
        (last.event, last.value),
        (EVENT_HANDSHAKE_FAILED_AUTH, 400),
        "libzmq's CURVE client reads our ERROR 400: {}",
        format_events(&events)
    );
}

#[test]
fn keys_and_z85_agree_with_libzmq() {
    for _ in 0..20 {
        // libzmq's pairs, checked with ours (zmq_curve_keypair vs public_key()).
        let theirs = zmq::CurveKeyPair::new().expect("libzmq makes a key pair");
        let secret = CurveSecretKey::from_bytes(theirs.secret_key);
        assert_eq!(secret.public_key().as_bytes(), &theirs.public_key);
        let text = zmq::z85_encode(&theirs.secret_key).expect("encode");
        assert_eq!(*secret.to_z85(), text);
        assert_eq!(
            CurveSecretKey::from_z85(&text)
                .expect("parses")
                .public_key(),
            secret.public_key()
        );
        // Ours, read by libzmq.
        let ours = CurveKeyPair::generate();
        let decoded = zmq::z85_decode(&ours.public().to_z85()).expect("libzmq decodes ours");
        assert_eq!(&decoded[..], ours.public().as_bytes());
        let decoded = zmq::z85_decode(&ours.secret().to_z85()).expect("libzmq decodes ours");
        assert_eq!(&decoded[..], ours.secret().as_bytes());
    }
    // Arbitrary data both ways.
    let mut data = Vec::new();
    for i in 0..64u32 {
        data.extend_from_slice(&i.wrapping_mul(0x9E37_79B9).to_be_bytes());
        let theirs = zmq::z85_encode(&data).expect("encode");
        assert_eq!(z85::encode(&data).expect("whole groups"), theirs);
        assert_eq!(z85::decode(&theirs).expect("decodes"), data);
    }
    // (What libzmq refuses cannot be checked here: the zmq crate's z85_decode ignores
    // zmq_z85_decode's result. the tests of zmtp-security port libzmq's test_base85 instead.)
}

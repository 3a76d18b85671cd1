//! PLAIN against the real libzmq, both roles, with a ZAP handler on each side: libzmq's own (a
//! REP at `inproc://zeromq.zap.01` in the server's context) when libzmq is the server, and the
//! test answering our connection's ZAP requests when we are. Accepted credentials carry 1,000
//! multipart messages byte-exact each way; refused ones end with status 400 and nothing delivered.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use zmtp::codec::{
    Config, Connection, ConnectionError, Event, MechanismError, MechanismName, Message, SocketType,
    ZapReply,
};
use zmtp::security::{PlainClient, PlainCredentials, PlainServer};

use support::{
    bound_address, format_events, is_handshake_failure, libzmq_recv_traffic, libzmq_send_traffic,
    millis, recv_traffic, send_traffic, Driver, LibzmqZapHandler, Monitor, SeenZapRequest, Traffic,
    EVENT_HANDSHAKE_FAILED_AUTH, EVENT_HANDSHAKE_FAILED_PROTOCOL, EVENT_HANDSHAKE_SUCCEEDED,
};

const STALL: Duration = Duration::from_secs(30);
const MESSAGES: usize = 1_000;
const TO_SERVER: u64 = 0x5E5;
const TO_CLIENT: u64 = 0xC11E;

fn policy(request: &SeenZapRequest) -> (u16, Vec<u8>) {
    if request.credentials == [b"admin".to_vec(), b"secret".to_vec()] {
        (200, b"admin-user".to_vec())
    } else {
        (400, Vec::new())
    }
}

fn plain_client(user: &str, pass: &str) -> Connection {
    let creds = PlainCredentials::new(user, pass).expect("valid credentials");
    Connection::new(
        Config::new(SocketType::Dealer),
        Box::new(PlainClient::new(creds)),
        Instant::now(),
    )
}

async fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let stream = tokio::time::timeout(STALL, TcpStream::connect(addr))
        .await
        .expect("connect in time")
        .expect("connect to libzmq");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    stream
}

/// Starts a libzmq PLAIN server (ROUTER) with its ZAP handler. It reports its address, then one
/// greeting message's `User-Id` property, then checks and answers the bulk traffic, and returns
/// what the ZAP handler saw and whether any message arrived after a refusal.
fn libzmq_plain_server(
    addr_tx: oneshot::Sender<std::net::SocketAddr>,
    expect_accept: bool,
) -> tokio::task::JoinHandle<(Vec<SeenZapRequest>, Option<String>)> {
    tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let zap = LibzmqZapHandler::start(&ctx, policy);
        let router = ctx.socket(zmq::ROUTER).expect("ROUTER socket");
        router.set_plain_server(true).expect("ZMQ_PLAIN_SERVER");
        router.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        router.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        router.set_linger(0).expect("ZMQ_LINGER");
        let monitor = Monitor::new(&ctx, &router, "plain-server");
        router.bind("tcp://127.0.0.1:*").expect("bind");
        addr_tx.send(bound_address(&router)).expect("test waits");
        if !expect_accept {
            let events = monitor.wait_for("the refusal", STALL, |e| {
                e.event == EVENT_HANDSHAKE_FAILED_AUTH || e.event == EVENT_HANDSHAKE_SUCCEEDED
            });
            let last = events.last().expect("wait_for returns the event");
            assert_eq!(last.event, EVENT_HANDSHAKE_FAILED_AUTH, "libzmq refused");
            assert_eq!(last.value, 400, "with ZAP status 400");
            let mut msg = zmq::Message::new();
            assert_eq!(
                router.recv(&mut msg, zmq::DONTWAIT),
                Err(zmq::Error::EAGAIN)
            );
            return (zap.stop(), None);
        }
        let mut id = zmq::Message::new();
        let mut hello = zmq::Message::new();
        router
            .recv(&mut id, 0)
            .expect("routing id of the first message");
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
        // Hold the socket until our side has read everything (it says so by closing).
        let mut end = zmq::Message::new();
        let _ = router.recv(&mut end, 0);
        (zap.stop(), user_id)
    })
}

#[tokio::test]
async fn codec_plain_client_to_libzmq_plain_server() {
    let (addr_tx, addr_rx) = oneshot::channel();
    let server = libzmq_plain_server(addr_tx, true);
    let addr = tokio::time::timeout(STALL, addr_rx)
        .await
        .expect("address")
        .expect("sent");
    let mut d = Driver::new(plain_client("admin", "secret"), connect(addr).await);
    let peer = d
        .handshake(STALL)
        .await
        .expect("PLAIN handshake with libzmq");
    assert_eq!(peer.socket_type, Some(SocketType::Router));
    d.conn.send(&Message::from(["hello"])).expect("ready");
    send_traffic(&mut d, &mut Traffic::new(TO_SERVER), MESSAGES, STALL)
        .await
        .expect("libzmq takes our messages");
    recv_traffic(&mut d, &mut Traffic::new(TO_CLIENT), MESSAGES, STALL)
        .await
        .expect("libzmq's messages reach us");
    // One last message releases the libzmq thread.
    d.conn.send(&Message::from(["bye"])).expect("ready");
    d.flush(STALL).await.expect("flush");
    let (seen, user_id) = tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    assert_eq!(
        user_id.as_deref(),
        Some("admin-user"),
        "ZAP's user id reaches libzmq's messages"
    );
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].mechanism, b"PLAIN");
    assert_eq!(
        seen[0].credentials,
        vec![b"admin".to_vec(), b"secret".to_vec()]
    );
}

#[tokio::test]
async fn codec_plain_client_refused_by_libzmq() {
    let (addr_tx, addr_rx) = oneshot::channel();
    let server = libzmq_plain_server(addr_tx, false);
    let addr = tokio::time::timeout(STALL, addr_rx)
        .await
        .expect("address")
        .expect("sent");
    let mut d = Driver::new(plain_client("admin", "wrong"), connect(addr).await);
    let err = d
        .handshake(STALL)
        .await
        .expect_err("libzmq refuses the password");
    match err {
        support::DriveError::Closed { reason, .. } => assert_eq!(
            reason,
            ConnectionError::Mechanism(MechanismError::PeerError {
                reason: "400".into()
            })
        ),
        other => panic!("expected an ERROR 400 from libzmq, got {other}"),
    }
    let (seen, _) = tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].credentials,
        vec![b"admin".to_vec(), b"wrong".to_vec()]
    );
}

/// Accepts one connection and runs our PLAIN server until its ZAP request, which is answered
/// with `verdict` after checking the credentials it carries.
async fn codec_plain_server(
    listener: &TcpListener,
    verdict: ZapReply,
    expect: (&str, &str),
) -> Driver {
    let (stream, peer_addr) = tokio::time::timeout(STALL, listener.accept())
        .await
        .expect("libzmq connects in time")
        .expect("accept");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let mut cfg = Config::new(SocketType::Router);
    cfg.peer_address = Bytes::from(peer_addr.ip().to_string());
    let conn = Connection::new(cfg, Box::new(PlainServer::new()), Instant::now());
    let mut d = Driver::new(conn, stream).record_bytes();
    let mut verdict = Some(verdict);
    d.run_until("the ZAP request", STALL, |d| {
        let Some(Event::ZapRequest(req)) = d.events.pop_front() else {
            return false;
        };
        assert_eq!(req.mechanism, MechanismName::PLAIN);
        assert_eq!(req.address, &b"127.0.0.1"[..]);
        assert_eq!(
            req.credentials,
            vec![
                Bytes::from(expect.0.to_owned()),
                Bytes::from(expect.1.to_owned())
            ]
        );
        let reply = verdict.take().expect("one request");
        d.conn.handle_zap_reply(Instant::now(), reply);
        true
    })
    .await
    .expect("our PLAIN server gets a ZAP request");
    d
}

fn libzmq_plain_client(
    addr: std::net::SocketAddr,
    user: &'static str,
    pass: &'static str,
    done_rx: std::sync::mpsc::Receiver<()>,
) -> tokio::task::JoinHandle<Vec<support::MonitorEvent>> {
    tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let dealer = ctx.socket(zmq::DEALER).expect("DEALER socket");
        dealer
            .set_plain_username(Some(user))
            .expect("ZMQ_PLAIN_USERNAME");
        dealer
            .set_plain_password(Some(pass))
            .expect("ZMQ_PLAIN_PASSWORD");
        dealer.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        dealer.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        dealer.set_linger(0).expect("ZMQ_LINGER");
        let monitor = Monitor::new(&ctx, &dealer, "plain-client");
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
            .recv_timeout(Duration::from_secs(60))
            .expect("the test ends the client");
        events
    })
}

#[tokio::test]
async fn libzmq_plain_client_to_codec_plain_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let client = libzmq_plain_client(
        listener.local_addr().expect("addr"),
        "admin",
        "secret",
        done_rx,
    );
    let mut d = codec_plain_server(
        &listener,
        ZapReply::accept("admin-user"),
        ("admin", "secret"),
    )
    .await;
    let peer = d
        .handshake(STALL)
        .await
        .expect("PLAIN handshake with libzmq");
    assert_eq!(peer.socket_type, Some(SocketType::Dealer));
    assert_eq!(
        peer.metadata.get("User-Id"),
        Some(&Bytes::from_static(b"admin-user"))
    );
    recv_traffic(&mut d, &mut Traffic::new(TO_SERVER), MESSAGES, STALL)
        .await
        .expect("libzmq's messages reach us");
    send_traffic(&mut d, &mut Traffic::new(TO_CLIENT), MESSAGES, STALL)
        .await
        .expect("libzmq takes our messages");
    done_tx.send(()).expect("client waits");
    let events = tokio::time::timeout(Duration::from_secs(60), client)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    assert_eq!(
        events.last().map(|e| e.event),
        Some(EVENT_HANDSHAKE_SUCCEEDED)
    );
}

#[tokio::test]
async fn libzmq_plain_client_refused_by_codec_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let client = libzmq_plain_client(
        listener.local_addr().expect("addr"),
        "admin",
        "guess",
        done_rx,
    );
    let mut d = codec_plain_server(&listener, ZapReply::refuse("no"), ("admin", "guess")).await;
    let err = d.handshake(STALL).await.expect_err("we refuse");
    match err {
        support::DriveError::Closed { reason, .. } => assert_eq!(
            reason,
            ConnectionError::Mechanism(MechanismError::Refused {
                status: 400,
                text: "no".into()
            })
        ),
        other => panic!("expected our refusal, got {other}"),
    }
    let sent = d.transmitted.as_ref().expect("recorded");
    assert!(
        sent.ends_with(b"\x04\x0a\x05ERROR\x03400"),
        "ERROR 400 goes out last"
    );
    done_tx.send(()).expect("client waits");
    let events = tokio::time::timeout(Duration::from_secs(60), client)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    // libzmq 4.3's PLAIN client cannot read a well-formed ERROR: its prefix constant
    // "\x05ERROR" compiles to 5E "RROR" (the hex escape swallows the E), so it takes our ERROR
    // for an unknown command and reports a protocol failure instead of an authentication failure.
    // Either way it is refused, and the test above checked that nothing crossed.
    let last = events.last().expect("an outcome");
    assert_eq!(
        (last.event, last.value),
        (EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x1000_0001),
        "libzmq reports ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND: {}",
        format_events(&events)
    );
    assert!(!events.iter().any(|e| e.event == EVENT_HANDSHAKE_SUCCEEDED));
}

//! GSSAPI against the real libzmq 4.3.4, both roles, encrypted and plaintext, over the
//! throwaway Kerberos realm of `scripts/kdc.sh` (required: without it these tests fail with a
//! message saying how to start it).
//!
//! Set-up, as libzmq users write it: the server's principal is `zmq@localhost` (host-based); the
//! client's is `client@REALM` with `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE` = 2 (a Kerberos principal
//! name) and service principal `zmq@localhost`. Accepted handshakes carry 1,000 multipart
//! messages byte-exact each way (DEALER to ROUTER); a service principal whose key the server
//! does not hold is refused. Both the sans-IO codec (driven by hand) and our sockets
//! (`zmtp::Dealer` / `zmtp::Router` with the GSSAPI options, a Rust ZAP handler on our server)
//! face libzmq's sockets.
#![cfg(feature = "gssapi")]

mod support;

use std::net::SocketAddr;
use std::os::raw::{c_int, c_void};
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use zmtp::codec::{
    Config, Connection, ConnectionError, Event, FrameDecoder, MechanismError, MechanismName,
    Message, RawCommand, SocketType, ZapReply,
};
use zmtp::security::gssapi::{GssapiClient, GssapiOptions, GssapiServer, NameType};

use support::{
    bound_address, format_events, is_handshake_failure, libzmq_recv_traffic, libzmq_send_traffic,
    millis, recv_traffic, send_traffic, DriveError, Driver, LibzmqZapHandler, Monitor,
    SeenZapRequest, Traffic, EVENT_DISCONNECTED, EVENT_HANDSHAKE_SUCCEEDED,
};

const STALL: Duration = Duration::from_secs(30);
const MESSAGES: usize = 1_000;
const TO_SERVER: u64 = 0x655A;
const TO_CLIENT: u64 = 0xC0FFEE;

/// The service principal, host-based.
const SERVICE: &str = "zmq@localhost";
/// A service the KDC knows but whose key is not in the keytab.
const UNKEYED_SERVICE: &str = "unkeyed@localhost";

/// `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE` (libzmq 4.3); the `zmq` crate 0.9 has no setter for it.
const ZMQ_GSSAPI_PRINCIPAL_NAMETYPE: c_int = 90;
/// `ZMQ_GSSAPI_NT_KRB5_PRINCIPAL`.
const ZMQ_GSSAPI_NT_KRB5_PRINCIPAL: c_int = 2;

extern "C" {
    /// libzmq's `zmq_setsockopt` (linked through the `zmq` crate).
    fn zmq_setsockopt(
        socket: *mut c_void,
        option: c_int,
        optval: *const c_void,
        optvallen: usize,
    ) -> c_int;
}

/// Sets an int option the `zmq` crate does not wrap.
fn set_int_option(socket: &mut zmq::Socket, option: c_int, value: c_int) {
    // SAFETY: `as_mut_ptr` is the live libzmq socket owned by `socket`, borrowed mutably for the
    // call; `optval` points to a c_int on the stack and `optvallen` is its size, which is what
    // libzmq reads for int options.
    let rc = unsafe {
        zmq_setsockopt(
            socket.as_mut_ptr(),
            option,
            (&value as *const c_int).cast(),
            std::mem::size_of::<c_int>(),
        )
    };
    assert_eq!(rc, 0, "zmq_setsockopt({option}, {value}) failed");
}

const HOW_TO: &str = "the GSSAPI tests need the throwaway Kerberos realm of scripts/kdc.sh: run \
                      `eval \"$(bash scripts/kdc.sh start)\"` in the shell that runs cargo test \
                      (scripts/test.sh does this for you)";

/// The realm's name, after checking the environment of `scripts/kdc.sh start` and its KDC.
fn realm() -> String {
    let var =
        |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set; {HOW_TO}"));
    for name in ["KRB5_CONFIG", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME"] {
        let value = var(name);
        let path = value.strip_prefix("FILE:").unwrap_or(&value);
        assert!(
            Path::new(path).exists(),
            "{name}={value} does not exist (a stopped KDC?); {HOW_TO}"
        );
    }
    assert!(
        var("KRB5CCNAME").starts_with("DIR:"),
        "KRB5CCNAME must be a DIR: collection; {HOW_TO}"
    );
    let pid = var("ZMTP_TEST_KDC_PID");
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the KDC (pid {pid}) is not running; {HOW_TO}"
    );
    var("ZMTP_TEST_KRB5_REALM")
}

fn client_principal() -> String {
    format!("client@{}", realm())
}

/// The names of the first `n` frames after the greeting (`""` for an empty command frame).
fn first_command_names(bytes: &[u8], n: usize) -> Vec<String> {
    let mut buf = BytesMut::from(&bytes[64..]);
    let mut decoder = FrameDecoder::new(None);
    let mut names = Vec::new();
    while names.len() < n {
        let Some(frame) = decoder.decode(&mut buf).expect("valid frames") else {
            break;
        };
        assert!(frame.command, "a handshake frame is a command");
        names.push(if frame.body.is_empty() {
            String::new()
        } else {
            RawCommand::parse(frame.body)
                .expect("a command")
                .name_lossy()
        });
    }
    names
}

async fn connect(addr: SocketAddr) -> TcpStream {
    let stream = tokio::time::timeout(STALL, TcpStream::connect(addr))
        .await
        .expect("connect in time")
        .expect("connect to libzmq");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    stream
}

fn our_client(service: &str, plaintext: bool) -> Connection {
    let options = GssapiOptions::client(service, NameType::HostBased)
        .with_principal(client_principal(), NameType::KrbPrincipal)
        .with_plaintext(plaintext);
    let mechanism = GssapiClient::new(options).expect("valid options");
    Connection::new(
        Config::new(SocketType::Dealer),
        Box::new(mechanism),
        Instant::now(),
    )
}

/// What the libzmq server thread saw.
#[derive(Debug)]
struct ServerReport {
    /// The `User-Id` property of the first message (set from ZAP).
    user_id: Option<String>,
    /// The requests its ZAP handler answered.
    zap: Vec<SeenZapRequest>,
    /// Its monitor's events up to the handshake's outcome.
    events: Vec<support::MonitorEvent>,
}

/// A libzmq GSSAPI server (ROUTER, principal `zmq@localhost`) with a ZAP handler accepting
/// `client@REALM` (user id: the principal). It reports its address and waits for the
/// handshake's outcome; unless it failed, it checks the first message ("hello") and the bulk
/// traffic, answers with its own, and holds on until our last message.
///
/// `handshake_ivl` sets its `ZMQ_HANDSHAKE_IVL` (libzmq's default is 30 s).
fn libzmq_server(
    addr_tx: oneshot::Sender<SocketAddr>,
    plaintext: bool,
    handshake_ivl: Option<Duration>,
) -> tokio::task::JoinHandle<ServerReport> {
    let principal = client_principal();
    tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let zap = LibzmqZapHandler::start(&ctx, move |req| {
            if req.credentials == [principal.as_bytes().to_vec()] {
                (200, principal.as_bytes().to_vec())
            } else {
                (400, Vec::new())
            }
        });
        let router = ctx.socket(zmq::ROUTER).expect("ROUTER socket");
        router.set_gssapi_server(true).expect("ZMQ_GSSAPI_SERVER");
        router
            .set_gssapi_principal(SERVICE)
            .expect("ZMQ_GSSAPI_PRINCIPAL");
        router
            .set_gssapi_plaintext(plaintext)
            .expect("ZMQ_GSSAPI_PLAINTEXT");
        router.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        router.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        router.set_linger(0).expect("ZMQ_LINGER");
        if let Some(ivl) = handshake_ivl {
            router
                .set_handshake_ivl(millis(ivl))
                .expect("ZMQ_HANDSHAKE_IVL");
        }
        let monitor = Monitor::new(&ctx, &router, "gssapi-server");
        router.bind("tcp://127.0.0.1:*").expect("bind");
        addr_tx.send(bound_address(&router)).expect("test waits");
        let events = monitor.wait_for("the handshake's outcome", STALL, |e| {
            e.event == EVENT_HANDSHAKE_SUCCEEDED
                || is_handshake_failure(e.event)
                || e.event == EVENT_DISCONNECTED
        });
        let succeeded = events
            .last()
            .is_some_and(|e| e.event == EVENT_HANDSHAKE_SUCCEEDED);
        if !succeeded {
            let mut msg = zmq::Message::new();
            assert_eq!(
                router.recv(&mut msg, zmq::DONTWAIT),
                Err(zmq::Error::EAGAIN),
                "nothing arrives over a refused handshake"
            );
            return ServerReport {
                user_id: None,
                zap: zap.stop(),
                events,
            };
        }
        let mut id = zmq::Message::new();
        let mut hello = zmq::Message::new();
        router
            .recv(&mut id, 0)
            .expect("libzmq: routing id of the first message");
        router
            .recv(&mut hello, 0)
            .expect("libzmq: the first message");
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
        // Hold the socket until our side has read everything (it says so with one last message).
        let mut end = zmq::Message::new();
        let _ = router.recv(&mut end, 0);
        ServerReport {
            user_id,
            zap: zap.stop(),
            events,
        }
    })
}

async fn our_client_to_libzmq_server(plaintext: bool) {
    let (addr_tx, addr_rx) = oneshot::channel();
    let server = libzmq_server(addr_tx, plaintext, None);
    let addr = tokio::time::timeout(STALL, addr_rx)
        .await
        .expect("address in time")
        .expect("address sent");
    let mut d = Driver::new(our_client(SERVICE, plaintext), connect(addr).await).record_bytes();
    let peer = d
        .handshake(STALL)
        .await
        .expect("GSSAPI handshake with libzmq");
    assert_eq!(peer.socket_type, Some(SocketType::Router));
    let ready = if plaintext { "READY" } else { "MESSAGE" };
    let received = d.received.take().expect("recorded");
    assert_eq!(first_command_names(&received, 2), ["INITIATE", ready]);
    d.conn.send(&Message::from(["hello"])).expect("ready");
    d.flush(STALL).await.expect("hello written");
    let transmitted = d.transmitted.take().expect("recorded");
    assert_eq!(
        first_command_names(&transmitted, 3),
        ["INITIATE", "", ready],
        "libzmq's server took our empty command frame as the client's last step"
    );
    let hello_in_clear = transmitted.windows(5).any(|w| w == b"hello");
    assert_eq!(
        hello_in_clear, plaintext,
        "messages are wrapped unless plaintext"
    );
    d.received = None;

    send_traffic(&mut d, &mut Traffic::new(TO_SERVER), MESSAGES, STALL)
        .await
        .expect("libzmq takes our messages");
    recv_traffic(&mut d, &mut Traffic::new(TO_CLIENT), MESSAGES, STALL)
        .await
        .expect("libzmq's messages reach us");
    d.conn.send(&Message::from(["bye"])).expect("ready");
    d.flush(STALL).await.expect("bye written");
    let report = tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    assert_eq!(report.zap.len(), 1, "one ZAP request: {:?}", report.zap);
    assert_eq!(report.zap[0].mechanism, b"GSSAPI");
    assert_eq!(
        report.zap[0].credentials,
        vec![client_principal().into_bytes()],
        "libzmq names our principal to its ZAP handler"
    );
    assert_eq!(report.user_id, Some(client_principal()));
}

#[tokio::test]
async fn codec_gssapi_client_to_libzmq_server_encrypted() {
    our_client_to_libzmq_server(false).await;
}

#[tokio::test]
async fn codec_gssapi_client_to_libzmq_server_plaintext() {
    our_client_to_libzmq_server(true).await;
}

/// A libzmq GSSAPI client (DEALER, principal `client@REALM` as a Kerberos principal name) to
/// `service`. Once the handshake succeeds it sends and checks the bulk traffic; either way it
/// returns its monitor events when the test says it is done.
fn libzmq_client(
    addr: SocketAddr,
    service: &'static str,
    plaintext: bool,
    done_rx: std::sync::mpsc::Receiver<()>,
) -> tokio::task::JoinHandle<Vec<support::MonitorEvent>> {
    let principal = client_principal();
    tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let mut dealer = ctx.socket(zmq::DEALER).expect("DEALER socket");
        dealer
            .set_gssapi_principal(&principal)
            .expect("ZMQ_GSSAPI_PRINCIPAL");
        set_int_option(
            &mut dealer,
            ZMQ_GSSAPI_PRINCIPAL_NAMETYPE,
            ZMQ_GSSAPI_NT_KRB5_PRINCIPAL,
        );
        dealer
            .set_gssapi_service_principal(service)
            .expect("ZMQ_GSSAPI_SERVICE_PRINCIPAL");
        dealer
            .set_gssapi_plaintext(plaintext)
            .expect("ZMQ_GSSAPI_PLAINTEXT");
        dealer.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        dealer.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        dealer.set_linger(0).expect("ZMQ_LINGER");
        // One attempt: a refused handshake is not retried while the test looks.
        dealer.set_reconnect_ivl(-1).expect("ZMQ_RECONNECT_IVL");
        let monitor = Monitor::new(&ctx, &dealer, "gssapi-client");
        dealer.connect(&format!("tcp://{addr}")).expect("connect");
        let events = monitor.wait_for("the handshake's outcome", STALL, |e| {
            e.event == EVENT_HANDSHAKE_SUCCEEDED
                || is_handshake_failure(e.event)
                || e.event == EVENT_DISCONNECTED
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
                Err(zmq::Error::EAGAIN),
                "nothing arrives over a refused handshake"
            );
        }
        done_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the test ends the client");
        events
    })
}

/// Accepts one connection for our GSSAPI server (ROUTER, principal `zmq@localhost`), which
/// consults ZAP (answered here: 200 with the principal as user id) unless `plaintext`.
async fn accept_our_server(listener: &TcpListener, plaintext: bool) -> Driver {
    let (stream, peer_addr) = tokio::time::timeout(STALL, listener.accept())
        .await
        .expect("libzmq connects in time")
        .expect("accept");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let options = GssapiOptions::server()
        .with_principal(SERVICE, NameType::HostBased)
        .with_plaintext(plaintext);
    let mechanism = if plaintext {
        GssapiServer::new(options)
    } else {
        GssapiServer::with_zap(options)
    }
    .expect("valid options");
    let mut cfg = Config::new(SocketType::Router);
    cfg.peer_address = Bytes::from(peer_addr.ip().to_string());
    Driver::new(
        Connection::new(cfg, Box::new(mechanism), Instant::now()),
        stream,
    )
    .record_bytes()
}

async fn libzmq_client_to_our_server(plaintext: bool) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let client = libzmq_client(
        listener.local_addr().expect("address"),
        SERVICE,
        plaintext,
        done_rx,
    );
    let mut d = accept_our_server(&listener, plaintext).await;
    if !plaintext {
        d.run_until("the ZAP request", STALL, |d| {
            let Some(Event::ZapRequest(req)) = d.events.pop_front() else {
                return false;
            };
            assert_eq!(req.mechanism, MechanismName::GSSAPI);
            assert_eq!(req.address, &b"127.0.0.1"[..]);
            assert_eq!(req.credentials, vec![Bytes::from(client_principal())]);
            let user_id = req.credentials[0].clone();
            d.conn
                .handle_zap_reply(Instant::now(), ZapReply::accept(user_id));
            true
        })
        .await
        .expect("our GSSAPI server asks ZAP about libzmq's principal");
    }
    let peer = d
        .handshake(STALL)
        .await
        .expect("GSSAPI handshake with libzmq");
    assert_eq!(peer.socket_type, Some(SocketType::Dealer));
    if !plaintext {
        assert_eq!(
            peer.metadata.get("User-Id"),
            Some(&Bytes::from(client_principal()))
        );
    }
    let ready = if plaintext { "READY" } else { "MESSAGE" };
    let received = d.received.take().expect("recorded");
    assert_eq!(
        first_command_names(&received, 3),
        ["INITIATE", "", ready],
        "libzmq's client sends an empty command frame for its token-less last step"
    );
    let transmitted = d.transmitted.take().expect("recorded");
    assert_eq!(first_command_names(&transmitted, 2), ["INITIATE", ready]);

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
        Some(EVENT_HANDSHAKE_SUCCEEDED),
        "{}",
        format_events(&events)
    );
}

#[tokio::test]
async fn libzmq_gssapi_client_to_codec_server_encrypted() {
    libzmq_client_to_our_server(false).await;
}

#[tokio::test]
async fn libzmq_gssapi_client_to_codec_server_plaintext() {
    libzmq_client_to_our_server(true).await;
}

/// libzmq 4.3.4's GSSAPI server does not close a connection whose context it fails to accept:
/// its failed step yields no command, and the handshake stalls until `ZMQ_HANDSHAKE_IVL` ends
/// it. Set to 1 s here, so the refusal shows as libzmq closing the connection soon after.
#[tokio::test]
async fn codec_client_with_a_wrong_service_principal_is_refused_by_libzmq() {
    const LIBZMQ_HANDSHAKE_IVL: Duration = Duration::from_secs(1);
    let (addr_tx, addr_rx) = oneshot::channel();
    let server = libzmq_server(addr_tx, false, Some(LIBZMQ_HANDSHAKE_IVL));
    let addr = tokio::time::timeout(STALL, addr_rx)
        .await
        .expect("address in time")
        .expect("address sent");
    let mut d = Driver::new(our_client(UNKEYED_SERVICE, false), connect(addr).await);
    let started = Instant::now();
    let err = d
        .handshake(STALL)
        .await
        .expect_err("libzmq cannot accept a ticket for a service it holds no key for");
    assert!(
        matches!(err, DriveError::PeerClosed { .. } | DriveError::Io { .. }),
        "libzmq closes the connection: {err}"
    );
    assert!(
        started.elapsed() < LIBZMQ_HANDSHAKE_IVL + Duration::from_secs(5),
        "closed by libzmq's handshake timer, after {:?}",
        started.elapsed()
    );
    assert!(!d.conn.is_ready());
    assert!(d.events.is_empty(), "no event: {:?}", d.events);
    let report = tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    assert!(
        !report
            .events
            .iter()
            .any(|e| e.event == EVENT_HANDSHAKE_SUCCEEDED),
        "{}",
        format_events(&report.events)
    );
    assert!(report.zap.is_empty(), "no ZAP request without a context");
}

#[tokio::test]
async fn libzmq_client_with_a_wrong_service_principal_is_refused_by_codec_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let client = libzmq_client(
        listener.local_addr().expect("address"),
        UNKEYED_SERVICE,
        false,
        done_rx,
    );
    let mut d = accept_our_server(&listener, false).await;
    let err = d
        .handshake(STALL)
        .await
        .expect_err("we hold no key for that service");
    match err {
        DriveError::Closed {
            reason: ConnectionError::Mechanism(MechanismError::Gssapi(text)),
            ..
        } => assert!(
            text.starts_with("accepting the security context")
                && text.contains("unkeyed/localhost"),
            "{text}"
        ),
        other => panic!("expected a GSS-API refusal, got {other}"),
    }
    drop(d);
    done_tx.send(()).expect("client waits");
    let events = tokio::time::timeout(Duration::from_secs(60), client)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    assert!(
        !events.iter().any(|e| e.event == EVENT_HANDSHAKE_SUCCEEDED),
        "{}",
        format_events(&events)
    );
}

// ------------------------------------------------------------------------------------------------
// Our sockets (zmtp::Dealer / zmtp::Router with the GSSAPI options) against libzmq's
// ------------------------------------------------------------------------------------------------

/// Our DEALER's GSSAPI client options, as a libzmq user sets them.
fn socket_client_options(plaintext: bool) -> zmtp::SocketOptions {
    zmtp::SocketOptions::new()
        .gssapi_service_principal(SERVICE)
        .gssapi_principal(client_principal())
        .gssapi_principal_nametype(NameType::KrbPrincipal)
        .gssapi_plaintext(plaintext)
}

/// Receives `count` messages of `traffic` on our socket, each checked byte for byte (a ROUTER's
/// routing-id frame first, when `routed`); returns the routing id seen.
async fn socket_recv_traffic(
    recv: &mut (impl futures::Stream<Item = zmtp::Result<Message>> + Unpin),
    traffic: &mut Traffic,
    count: usize,
    routed: bool,
) -> Option<Bytes> {
    use futures::StreamExt;
    let mut scratch = Vec::new();
    let mut rid = None;
    for i in 0..count {
        let mut msg = tokio::time::timeout(STALL, recv.next())
            .await
            .unwrap_or_else(|_| panic!("message {i} of {count} within {STALL:?}"))
            .expect("socket open")
            .expect("message");
        if routed {
            rid = msg.pop_front();
        }
        support::check_message(i, &traffic.next_spec(), &msg, &mut scratch)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    rid
}

async fn socket_dealer_to_libzmq_router(plaintext: bool) {
    let (addr_tx, addr_rx) = oneshot::channel();
    let server = libzmq_server(addr_tx, plaintext, None);
    let addr = tokio::time::timeout(STALL, addr_rx)
        .await
        .expect("address in time")
        .expect("address sent");
    let mut dealer = zmtp::Dealer::with_options(socket_client_options(plaintext))
        .expect("GSSAPI client options");
    dealer
        .connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    dealer.send("hello").await.expect("hello");
    let mut to_server = Traffic::new(TO_SERVER);
    for _ in 0..MESSAGES {
        dealer.send(to_server.next_message()).await.expect("send");
    }
    socket_recv_traffic(&mut dealer, &mut Traffic::new(TO_CLIENT), MESSAGES, false).await;
    dealer.send("end").await.expect("end");
    let report = tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    let principal = client_principal();
    if plaintext {
        assert!(report.zap.len() <= 1);
    } else {
        assert_eq!(report.user_id.as_deref(), Some(principal.as_str()));
        assert_eq!(report.zap.len(), 1, "one ZAP request");
    }
}

#[tokio::test]
async fn socket_gssapi_dealer_to_libzmq_router_encrypted() {
    socket_dealer_to_libzmq_router(false).await;
}

#[tokio::test]
async fn socket_gssapi_dealer_to_libzmq_router_plaintext() {
    socket_dealer_to_libzmq_router(true).await;
}

async fn libzmq_dealer_to_socket_router(plaintext: bool) {
    let principal = client_principal();
    let mut router = zmtp::Router::with_options(
        zmtp::SocketOptions::new()
            .gssapi_server(true)
            .gssapi_principal(SERVICE)
            .gssapi_plaintext(plaintext),
    )
    .expect("GSSAPI server options");
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let expected = principal.clone();
    router.set_zap_handler(move |req: zmtp::codec::ZapRequest| {
        let seen = seen_tx.clone();
        let ok = req.credentials == [Bytes::from(expected.clone())];
        let user = expected.clone();
        async move {
            let _ = seen.send(req);
            if ok {
                ZapReply::accept(user)
            } else {
                ZapReply::refuse("unknown principal")
            }
        }
    });
    let endpoint = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let addr: SocketAddr = endpoint
        .trim_start_matches("tcp://")
        .parse()
        .expect("a socket address");
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let client = libzmq_client(addr, SERVICE, plaintext, done_rx);
    let rid = socket_recv_traffic(&mut router, &mut Traffic::new(TO_SERVER), MESSAGES, true)
        .await
        .expect("a routing id");
    let mut to_client = Traffic::new(TO_CLIENT);
    for _ in 0..MESSAGES {
        let mut msg = to_client.next_message();
        msg.push_front(rid.clone());
        router.send(msg).await.expect("send");
    }
    if !plaintext {
        let req = seen_rx.try_recv().expect("our server asked ZAP");
        assert_eq!(req.mechanism, MechanismName::GSSAPI);
        assert_eq!(req.credentials, vec![Bytes::from(principal)]);
    }
    // The client reads this only after it has checked every message of ours (buffered).
    done_tx.send(()).expect("client waits");
    let events = tokio::time::timeout(Duration::from_secs(60), client)
        .await
        .expect("libzmq thread ends")
        .expect("libzmq thread succeeds");
    assert_eq!(
        events.last().map(|e| e.event),
        Some(EVENT_HANDSHAKE_SUCCEEDED),
        "{}",
        format_events(&events)
    );
}

#[tokio::test]
async fn libzmq_gssapi_dealer_to_socket_router_encrypted() {
    libzmq_dealer_to_socket_router(false).await;
}

#[tokio::test]
async fn libzmq_gssapi_dealer_to_socket_router_plaintext() {
    libzmq_dealer_to_socket_router(true).await;
}

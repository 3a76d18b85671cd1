//! Socket monitors after libzmq's test_monitor: the events a bound and a connecting socket
//! report over tcp and ipc (listening, accepted, connect delayed / connected, handshake
//! succeeded, disconnected when the peer goes, closed on unbind and close, connect retried
//! after the server goes, monitor stopped at the end), handshake failures (a ZAP handler
//! refusing PLAIN credentials: AUTH 400 on both sides; a greeting that is not ZMTP and a
//! mechanism mismatch: PROTOCOL with libzmq's code), BIND_FAILED, inproc (nothing but
//! MONITOR_STOPPED, as libzmq reports nothing for inproc), several monitors, and `monitor_to`
//! (libzmq's two-frame form read through one of our PAIR sockets).
//!
//! Every wait is bounded (`common::LIMIT`) and names what it waited for; no test sleeps to let
//! something happen, and none bounds how long anything takes.

mod common;

use std::time::Duration;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use zmtp_codec::{ZapReply, ZapRequest};
use zmtp_socket::monitor::{
    EVENT_ACCEPTED, EVENT_ALL, EVENT_CLOSED, EVENT_CONNECTED, EVENT_CONNECT_DELAYED,
    EVENT_CONNECT_RETRIED, EVENT_DISCONNECTED, EVENT_HANDSHAKE_SUCCEEDED, EVENT_MONITOR_STOPPED,
    PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
};
use zmtp_socket::{Dealer, Monitor, MonitorEvent, Pair, Pull, Push, SocketOptions};

use common::within;

/// The transports with a listener and a handshake.
const STREAMS: [&str; 2] = ["tcp", "ipc"];

/// The next event, within the limit.
async fn next(monitor: &mut Monitor, what: &str) -> MonitorEvent {
    within(what, monitor.next())
        .await
        .unwrap_or_else(|| panic!("{what}: the monitor ended"))
}

/// The next event, which must be `expected`.
async fn expect(monitor: &mut Monitor, expected: MonitorEvent) {
    let got = next(monitor, &format!("waiting for {expected}")).await;
    assert_eq!(got, expected, "expected {expected}, got {got}");
}

/// The events up to the first of code `code` (returned last), within the limit.
async fn until(monitor: &mut Monitor, code: u16) -> Vec<MonitorEvent> {
    let mut seen = Vec::new();
    loop {
        let event = next(
            monitor,
            &format!("waiting for event {code:#x} after {seen:?}"),
        )
        .await;
        let done = event.code() == code;
        seen.push(event);
        if done {
            return seen;
        }
    }
}

/// The monitor's last event is MONITOR_STOPPED, then it ends.
async fn expect_stopped(monitor: &mut Monitor) {
    expect(monitor, MonitorEvent::MonitorStopped).await;
    assert_eq!(
        within("the end of the monitor", monitor.next()).await,
        None,
        "nothing after MONITOR_STOPPED"
    );
}

fn ep(endpoint: &str) -> String {
    endpoint.to_owned()
}

/// What a connecting socket reports up to its handshake: CONNECT_DELAYED first over tcp (a
/// connect in progress), not over ipc (a Unix-domain connect completes at once).
async fn expect_connected(monitor: &mut Monitor, transport: &str, endpoint: &str) {
    if transport == "tcp" {
        expect(
            monitor,
            MonitorEvent::ConnectDelayed {
                endpoint: ep(endpoint),
            },
        )
        .await;
    }
    expect(
        monitor,
        MonitorEvent::Connected {
            endpoint: ep(endpoint),
        },
    )
    .await;
    expect(
        monitor,
        MonitorEvent::HandshakeSucceeded {
            endpoint: ep(endpoint),
        },
    )
    .await;
}

async fn bound_server(transport: &str) -> (Dealer, Monitor, String) {
    let server = Dealer::new();
    let mut monitor = server.monitor();
    let endpoint = server
        .bind(&common::bind_endpoint(transport))
        .await
        .expect("bind");
    expect(
        &mut monitor,
        MonitorEvent::Listening {
            endpoint: ep(&endpoint),
        },
    )
    .await;
    (server, monitor, endpoint)
}

/// A server and a client through their lives, as libzmq's test_monitor follows them: the
/// server's LISTENING, ACCEPTED, HANDSHAKE_SUCCEEDED, DISCONNECTED when the client closes,
/// CLOSED on unbind, MONITOR_STOPPED on close; the client's (CONNECT_DELAYED,) CONNECTED,
/// HANDSHAKE_SUCCEEDED, and only MONITOR_STOPPED when it closes itself.
#[tokio::test]
async fn server_and_client_lifecycle() {
    for transport in STREAMS {
        let (server, mut server_mon, endpoint) = bound_server(transport).await;
        // A second monitor sees the same events from its creation on.
        let mut second = server.monitor();

        let client = Dealer::new();
        let mut client_mon = client.monitor();
        client.connect(&endpoint).await.expect("connect");
        expect_connected(&mut client_mon, transport, &endpoint).await;

        // The bound side names the connection by its local address: here the bound endpoint.
        for monitor in [&mut server_mon, &mut second] {
            expect(
                monitor,
                MonitorEvent::Accepted {
                    endpoint: ep(&endpoint),
                },
            )
            .await;
            expect(
                monitor,
                MonitorEvent::HandshakeSucceeded {
                    endpoint: ep(&endpoint),
                },
            )
            .await;
        }
        drop(second);

        client.send("ping").await.expect("send");
        let got = within("the message", server.recv()).await.expect("recv");
        assert_eq!(got, zmtp_socket::Message::from("ping"));

        // The client closes: it reports only the end of its monitor; the server sees it go.
        drop(client);
        expect_stopped(&mut client_mon).await;
        expect(
            &mut server_mon,
            MonitorEvent::Disconnected {
                endpoint: ep(&endpoint),
            },
        )
        .await;

        server.unbind(&endpoint).expect("unbind");
        expect(
            &mut server_mon,
            MonitorEvent::Closed {
                endpoint: ep(&endpoint),
            },
        )
        .await;
        drop(server);
        expect_stopped(&mut server_mon).await;
    }
}

/// The server goes while a client is connected: the server reports CLOSED and
/// MONITOR_STOPPED (no DISCONNECTED for connections it ends itself); the client DISCONNECTED,
/// then CONNECT_RETRIED with the reconnect interval, then failed attempts (CLOSED) each
/// followed by another CONNECT_RETRIED; a server bound again at the endpoint gets it back.
#[tokio::test]
async fn client_retries_after_the_server_goes() {
    let ivl = Duration::from_millis(20);
    for transport in STREAMS {
        let endpoint = common::unbound_endpoint(transport);
        let server = Dealer::new();
        let mut server_mon = server.monitor();
        server.bind(&endpoint).await.expect("bind");
        expect(
            &mut server_mon,
            MonitorEvent::Listening {
                endpoint: ep(&endpoint),
            },
        )
        .await;

        let client =
            Dealer::with_options(SocketOptions::new().reconnect_ivl(Some(ivl))).expect("options");
        let mut client_mon = client.monitor();
        client.connect(&endpoint).await.expect("connect");
        expect_connected(&mut client_mon, transport, &endpoint).await;
        until(&mut server_mon, EVENT_HANDSHAKE_SUCCEEDED).await;

        drop(server);
        expect(
            &mut server_mon,
            MonitorEvent::Closed {
                endpoint: ep(&endpoint),
            },
        )
        .await;
        expect_stopped(&mut server_mon).await;

        expect(
            &mut client_mon,
            MonitorEvent::Disconnected {
                endpoint: ep(&endpoint),
            },
        )
        .await;
        let retried = next(&mut client_mon, "CONNECT_RETRIED").await;
        match &retried {
            MonitorEvent::ConnectRetried {
                endpoint: e,
                interval,
            } => {
                assert_eq!(e, &endpoint);
                assert!(
                    *interval >= ivl,
                    "{interval:?} is at least ZMQ_RECONNECT_IVL"
                );
                assert_eq!(retried.value(), interval.as_millis() as u32);
            }
            other => panic!("expected CONNECT_RETRIED, got {other}"),
        }
        // Attempts to a vanished server: each a CLOSED (over tcp after CONNECT_DELAYED), then
        // another CONNECT_RETRIED.
        let attempt = until(&mut client_mon, EVENT_CONNECT_RETRIED).await;
        let codes: Vec<u16> = attempt.iter().map(MonitorEvent::code).collect();
        let expected = if transport == "tcp" {
            vec![EVENT_CONNECT_DELAYED, EVENT_CLOSED, EVENT_CONNECT_RETRIED]
        } else {
            vec![EVENT_CLOSED, EVENT_CONNECT_RETRIED]
        };
        assert_eq!(codes, expected, "{transport}: {attempt:?}");
        assert!(attempt.iter().all(|e| e.endpoint() == endpoint));

        // Bound again: the client connects and completes a handshake.
        let server = Dealer::new();
        server.bind(&endpoint).await.expect("bind again");
        let events = until(&mut client_mon, EVENT_HANDSHAKE_SUCCEEDED).await;
        assert!(
            events.iter().any(|e| e.code() == EVENT_CONNECTED),
            "{events:?}"
        );
        drop(client);
        expect_stopped(&mut client_mon).await;
    }
}

/// A PLAIN server whose ZAP handler refuses the client: HANDSHAKE_FAILED_AUTH with status 400
/// then DISCONNECTED on both sides (the client reads the status from the server's ERROR).
#[tokio::test]
async fn zap_refusal_is_handshake_failed_auth() {
    for transport in STREAMS {
        let server = Pull::with_options(SocketOptions::new().plain_server(true)).expect("options");
        server.set_zap_handler(|_: ZapRequest| async { ZapReply::refuse("no entry") });
        let mut server_mon = server.monitor();
        let endpoint = server
            .bind(&common::bind_endpoint(transport))
            .await
            .expect("bind");

        let client = Push::with_options(
            SocketOptions::new()
                .plain_username("admin")
                .plain_password("wrong")
                .reconnect_ivl(None),
        )
        .expect("options");
        let mut client_mon = client.monitor();
        client.connect(&endpoint).await.expect("connect");

        let server_events = until(&mut server_mon, EVENT_DISCONNECTED).await;
        assert_eq!(
            server_events,
            vec![
                MonitorEvent::Listening {
                    endpoint: ep(&endpoint)
                },
                MonitorEvent::Accepted {
                    endpoint: ep(&endpoint)
                },
                MonitorEvent::HandshakeFailedAuth {
                    endpoint: ep(&endpoint),
                    status: 400,
                    text: "no entry".into(),
                },
                MonitorEvent::Disconnected {
                    endpoint: ep(&endpoint)
                },
            ],
            "{transport}"
        );
        assert_eq!(server_events[2].value(), 400);

        let client_events = until(&mut client_mon, EVENT_DISCONNECTED).await;
        let tail = &client_events[client_events.len() - 3..];
        assert_eq!(
            tail,
            [
                MonitorEvent::Connected {
                    endpoint: ep(&endpoint)
                },
                MonitorEvent::HandshakeFailedAuth {
                    endpoint: ep(&endpoint),
                    status: 400,
                    text: "400".into(),
                },
                MonitorEvent::Disconnected {
                    endpoint: ep(&endpoint)
                },
            ],
            "{transport}: {client_events:?}"
        );
        drop(client);
        // ZMQ_RECONNECT_IVL -1: no CONNECT_RETRIED, the monitor just stops.
        expect_stopped(&mut client_mon).await;
    }
}

/// A peer whose greeting is not ZMTP: HANDSHAKE_FAILED_PROTOCOL with
/// ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED, then DISCONNECTED.
#[tokio::test]
async fn garbage_greeting_is_handshake_failed_protocol() {
    // 0xFF, 8 bytes, then a signature end byte no ZMTP version allows.
    const GARBAGE: &[u8] = b"\xff\0\0\0\0\0\0\0\x01\x02 this is not ZMTP";
    for transport in STREAMS {
        let (_server, mut monitor, endpoint) = bound_server(transport).await;
        let address = endpoint.split_once("://").expect("scheme").1.to_owned();
        let peer: Box<dyn std::any::Any + Send> = if transport == "tcp" {
            let mut stream = tokio::net::TcpStream::connect(address)
                .await
                .expect("tcp connect");
            stream.write_all(GARBAGE).await.expect("write");
            Box::new(stream)
        } else {
            let mut stream = tokio::net::UnixStream::connect(address)
                .await
                .expect("ipc connect");
            stream.write_all(GARBAGE).await.expect("write");
            Box::new(stream)
        };
        let events = until(&mut monitor, EVENT_DISCONNECTED).await;
        assert_eq!(
            events,
            vec![
                MonitorEvent::Accepted {
                    endpoint: ep(&endpoint)
                },
                MonitorEvent::HandshakeFailedProtocol {
                    endpoint: ep(&endpoint),
                    code: PROTOCOL_ERROR_ZMTP_UNSPECIFIED
                },
                MonitorEvent::Disconnected {
                    endpoint: ep(&endpoint)
                },
            ],
            "{transport}"
        );
        assert_eq!(events[1].value(), 0x1000_0000);
        drop(peer);
    }
}

/// A NULL client and a PLAIN server: both report HANDSHAKE_FAILED_PROTOCOL with
/// ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH.
#[tokio::test]
async fn mechanism_mismatch_is_handshake_failed_protocol() {
    for transport in STREAMS {
        let server = Pull::with_options(SocketOptions::new().plain_server(true)).expect("options");
        server.set_zap_handler(|_: ZapRequest| async { ZapReply::accept("anyone") });
        let mut server_mon = server.monitor();
        let endpoint = server
            .bind(&common::bind_endpoint(transport))
            .await
            .expect("bind");
        let client = Push::with_options(SocketOptions::new().reconnect_ivl(None)).expect("options");
        let mut client_mon = client.monitor();
        client.connect(&endpoint).await.expect("connect");

        let mismatch = MonitorEvent::HandshakeFailedProtocol {
            endpoint: ep(&endpoint),
            code: PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
        };
        for (side, monitor) in [("server", &mut server_mon), ("client", &mut client_mon)] {
            let events = until(monitor, EVENT_DISCONNECTED).await;
            let n = events.len();
            assert_eq!(events[n - 2], mismatch, "{transport} {side}: {events:?}");
        }
    }
}

/// A bind that fails reports BIND_FAILED with the endpoint as given and the OS's errno:
/// EADDRINUSE for a tcp port taken, ENOENT for an ipc path in no directory.
#[tokio::test]
async fn bind_failed() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("address").port();
    let missing = std::env::temp_dir()
        .join(format!("zmtp-no-such-dir-{}", std::process::id()))
        .join("socket");
    let cases = [
        (
            format!("tcp://127.0.0.1:{port}"),
            std::io::ErrorKind::AddrInUse,
        ),
        (
            format!("ipc://{}", missing.display()),
            std::io::ErrorKind::NotFound,
        ),
    ];
    for (endpoint, kind) in cases {
        let socket = Dealer::new();
        let mut monitor = socket.monitor();
        socket.bind(&endpoint).await.expect_err("the bind fails");
        match next(&mut monitor, "BIND_FAILED").await {
            MonitorEvent::BindFailed { endpoint: e, errno } => {
                assert_eq!(e, endpoint);
                assert_eq!(std::io::Error::from_raw_os_error(errno).kind(), kind);
            }
            other => panic!("expected BIND_FAILED, got {other}"),
        }
        drop(socket);
        expect_stopped(&mut monitor).await;
    }
}

/// inproc: libzmq reports no events for inproc binds, connects or links; only the end of the
/// monitor.
#[tokio::test]
async fn inproc_reports_nothing_but_the_end() {
    let server = Pair::new();
    let client = Pair::new();
    let mut server_mon = server.monitor();
    let mut client_mon = client.monitor();
    let endpoint = server
        .bind(&common::bind_endpoint("inproc"))
        .await
        .expect("bind");
    client.connect(&endpoint).await.expect("connect");
    client.send("over inproc").await.expect("send");
    within("the message", server.recv()).await.expect("recv");
    server.unbind(&endpoint).expect("unbind");
    drop(client);
    drop(server);
    expect_stopped(&mut client_mon).await;
    expect_stopped(&mut server_mon).await;
}

/// `monitor_to`: a PAIR bound at an inproc endpoint sends libzmq's two frames per event (the
/// event number and value in the machine's byte order, then the endpoint), for the events of
/// the mask; one of our PAIRs reads them.
#[tokio::test]
async fn monitor_to_sends_libzmq_frames() {
    let name = format!("inproc://monitor-{}", std::process::id());
    let server = Dealer::new();
    server
        .monitor_to(&name, EVENT_ALL)
        .await
        .expect("monitor_to");
    let reader = Pair::new_in(server.context()).expect("reader");
    reader.connect(&name).await.expect("connect the reader");

    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let client = Dealer::new();
    client.connect(&endpoint).await.expect("connect");

    let mut read = Vec::new();
    while read.last().map(MonitorEvent::code) != Some(EVENT_HANDSHAKE_SUCCEEDED) {
        let msg = within("a monitor message", reader.recv())
            .await
            .expect("recv");
        let frames = msg.frames();
        assert_eq!(frames.len(), 2, "two frames");
        assert_eq!(frames[0].len(), 6, "16-bit event, 32-bit value");
        let event = MonitorEvent::from_message(&msg).expect("an event of libzmq's set");
        assert_eq!(&frames[1][..], event.endpoint().as_bytes());
        if cfg!(target_endian = "little") {
            let code = event.code().to_le_bytes();
            let value = event.value().to_le_bytes();
            assert_eq!(&frames[0][..2], &code, "little-endian as libzmq on x86");
            assert_eq!(&frames[0][2..], &value);
        }
        read.push(event);
    }
    assert_eq!(
        read,
        vec![
            MonitorEvent::Listening {
                endpoint: ep(&endpoint)
            },
            MonitorEvent::Accepted {
                endpoint: ep(&endpoint)
            },
            MonitorEvent::HandshakeSucceeded {
                endpoint: ep(&endpoint)
            },
        ]
    );

    // The client goes, then the server closes: DISCONNECTED if the server saw the client go
    // first (as in libzmq's test), then CLOSED for its listener and MONITOR_STOPPED, last.
    drop(client);
    drop(server);
    let mut rest = Vec::new();
    while rest.last() != Some(&MonitorEvent::MonitorStopped) {
        let msg = within("the last monitor messages", reader.recv())
            .await
            .expect("recv");
        rest.push(MonitorEvent::from_message(&msg).expect("an event"));
    }
    if rest[0].code() == EVENT_DISCONNECTED {
        rest.remove(0);
    }
    assert_eq!(
        rest,
        vec![
            MonitorEvent::Closed {
                endpoint: ep(&endpoint)
            },
            MonitorEvent::MonitorStopped
        ]
    );
}

/// `monitor_to` with a mask sends only those events; a second call replaces the first, whose
/// PAIR ends with MONITOR_STOPPED.
#[tokio::test]
async fn monitor_to_masks_and_replaces() {
    let first = format!("inproc://monitor-mask-{}-a", std::process::id());
    let second = format!("inproc://monitor-mask-{}-b", std::process::id());
    let server = Dealer::new();
    server
        .monitor_to(&first, EVENT_ACCEPTED | EVENT_MONITOR_STOPPED)
        .await
        .expect("monitor_to");
    let reader = Pair::new_in(server.context()).expect("reader");
    reader.connect(&first).await.expect("connect the reader");
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let client = Dealer::new();
    client.connect(&endpoint).await.expect("connect");
    let msg = within("ACCEPTED", reader.recv()).await.expect("recv");
    assert_eq!(
        MonitorEvent::from_message(&msg),
        Some(MonitorEvent::Accepted {
            endpoint: ep(&endpoint)
        }),
        "LISTENING is not in the mask"
    );

    server
        .monitor_to(&second, EVENT_ALL)
        .await
        .expect("a second monitor_to");
    let msg = within("MONITOR_STOPPED", reader.recv())
        .await
        .expect("recv");
    assert_eq!(
        MonitorEvent::from_message(&msg),
        Some(MonitorEvent::MonitorStopped),
        "HANDSHAKE_SUCCEEDED is not in the mask either"
    );
    assert!(server
        .monitor_to("tcp://127.0.0.1:*", EVENT_ALL)
        .await
        .is_err());
}

/// Events come with the value libzmq documents for them.
#[test]
fn codes_and_values() {
    let e = |endpoint: &str| endpoint.to_owned();
    assert_eq!(
        MonitorEvent::Connected { endpoint: e("x") }.code(),
        EVENT_CONNECTED
    );
    assert_eq!(MonitorEvent::Connected { endpoint: e("x") }.value(), 0);
    assert_eq!(
        MonitorEvent::ConnectRetried {
            endpoint: e("x"),
            interval: Duration::from_millis(250)
        }
        .value(),
        250
    );
    assert_eq!(MonitorEvent::MonitorStopped.endpoint(), "");
    assert_eq!(
        MonitorEvent::HandshakeFailedAuth {
            endpoint: e("x"),
            status: 500,
            text: String::new(),
        }
        .to_string(),
        "HANDSHAKE_FAILED_AUTH x (500)"
    );
    assert_eq!(
        MonitorEvent::HandshakeFailedAuth {
            endpoint: e("x"),
            status: 400,
            text: "no such user".into(),
        }
        .to_string(),
        "HANDSHAKE_FAILED_AUTH x (400 \"no such user\")"
    );
}

//! `ZMQ_SOCKS_PROXY` against a small SOCKS5 relay written here, which records every request
//! byte for byte and can be told to refuse or to stay silent: a host name reaches the proxy
//! unresolved (ATYP 3) and an address as an address (ATYP 1), and messages flow both ways
//! through it; a refusing proxy fails each attempt (CLOSED, CONNECT_RETRIED, never CONNECTED)
//! and the connecter gets through once the proxy relays; a silent proxy is given up at
//! `ZMQ_CONNECT_TIMEOUT` and retried; a proxy address naming no proxy is refused by `connect`.
//! (The tests against a real proxy, microsocks, and libzmq peers are the root package's
//! `interop/tests/libzmq_socks.rs`.)
//!
//! Every wait is bounded (`common::LIMIT`) and names what it waited for.
#![cfg(feature = "socks")]

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zmtp_socket::monitor::{EVENT_CLOSED, EVENT_CONNECTED, EVENT_CONNECT_RETRIED};
use zmtp_socket::{Dealer, Error, Monitor, OptionError, OptionName, Router, SocketOptions};

use common::{eventually, msg, text, within};

/// What the relay does with a CONNECT request.
const RELAY: u8 = 0;
/// Answers "connection refused" (reply 0x05).
const REFUSE: u8 = 1;
/// Accepts the TCP connection and never answers.
const SILENT: u8 = 2;

/// A SOCKS5 proxy (no authentication, CONNECT only) on a loopback port.
struct Relay {
    address: SocketAddr,
    /// Every CONNECT request received, as bytes (from the version byte to the port).
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
    /// How many TCP connections it accepted.
    accepted: Arc<AtomicU8>,
    mode: Arc<AtomicU8>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Relay {
    async fn start(mode: u8) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let address = listener.local_addr().expect("relay address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicU8::new(0));
        let mode = Arc::new(AtomicU8::new(mode));
        let task = tokio::spawn({
            let (requests, accepted, mode) = (requests.clone(), accepted.clone(), mode.clone());
            async move {
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        return;
                    };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    let (requests, mode) = (requests.clone(), mode.clone());
                    tokio::spawn(async move {
                        // A client that misbehaves only ends its own session.
                        let _ = serve(client, &requests, &mode).await;
                    });
                }
            }
        });
        Relay {
            address,
            requests,
            accepted,
            mode,
            task,
        }
    }

    fn requests(&self) -> Vec<Vec<u8>> {
        self.requests.lock().clone()
    }
}

/// One client session: method selection, the request (recorded), then the reply the mode says
/// and, when relaying, the bytes both ways.
async fn serve(
    mut client: TcpStream,
    requests: &Mutex<Vec<Vec<u8>>>,
    mode: &AtomicU8,
) -> std::io::Result<()> {
    if mode.load(Ordering::SeqCst) == SILENT {
        let mut sink = Vec::new();
        client.read_to_end(&mut sink).await?;
        return Ok(());
    }
    let mut head = [0; 2];
    client.read_exact(&mut head).await?;
    let mut methods = vec![0; usize::from(head[1])];
    client.read_exact(&mut methods).await?;
    assert_eq!(head[0], 5, "SOCKS version 5");
    assert_eq!(methods, [0], "only 'no authentication' is offered");
    client.write_all(&[5, 0]).await?;

    let mut request = vec![0; 4];
    client.read_exact(&mut request).await?;
    let host = match request[3] {
        1 => {
            let mut ip = [0; 4];
            client.read_exact(&mut ip).await?;
            request.extend_from_slice(&ip);
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0; 1];
            client.read_exact(&mut len).await?;
            let mut name = vec![0; usize::from(len[0])];
            client.read_exact(&mut name).await?;
            request.push(len[0]);
            request.extend_from_slice(&name);
            String::from_utf8(name).expect("a UTF-8 name")
        }
        other => panic!("address type {other} not expected here"),
    };
    let mut port = [0; 2];
    client.read_exact(&mut port).await?;
    request.extend_from_slice(&port);
    requests.lock().push(request);

    let target = match mode.load(Ordering::SeqCst) {
        RELAY => TcpStream::connect((host.as_str(), u16::from_be_bytes(port)))
            .await
            .ok(),
        _ => None,
    };
    let Some(mut target) = target else {
        client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    };
    client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut target).await?;
    Ok(())
}

fn through(relay: &Relay) -> SocketOptions {
    SocketOptions::new()
        .socks_proxy(relay.address.to_string())
        .reconnect_ivl(Some(Duration::from_millis(20)))
}

/// One message each way between a DEALER and a ROUTER.
async fn ping_pong(dealer: &mut Dealer, router: &mut Router) {
    within("send", dealer.send(msg(&["ping"])))
        .await
        .expect("send");
    let got = within("the ping at the ROUTER", router.recv())
        .await
        .expect("recv");
    assert_eq!(text(&got)[1..], ["ping"]);
    let reply = vec![got.frames()[0].clone(), bytes::Bytes::from_static(b"pong")];
    within("send back", router.send(zmtp_socket::Message::from(reply)))
        .await
        .expect("send back");
    let got = within("the pong at the DEALER", dealer.recv())
        .await
        .expect("recv");
    assert_eq!(text(&got), ["pong"]);
}

fn port_of(endpoint: &str) -> u16 {
    endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port")
}

#[tokio::test]
async fn a_host_name_reaches_the_proxy_unresolved_and_messages_flow() {
    let relay = Relay::start(RELAY).await;
    let mut router = Router::new();
    let bound = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let port = port_of(&bound);
    let mut dealer = Dealer::with_options(through(&relay)).expect("options");
    dealer
        .connect(&format!("tcp://localhost:{port}"))
        .await
        .expect("connect");
    ping_pong(&mut dealer, &mut router).await;

    let mut expected = vec![5, 1, 0, 3, 9];
    expected.extend_from_slice(b"localhost");
    expected.extend_from_slice(&port.to_be_bytes());
    assert_eq!(
        relay.requests(),
        [expected],
        "CONNECT with ATYP 3: the name, not an address resolved here"
    );
}

#[tokio::test]
async fn an_address_goes_to_the_proxy_as_an_address() {
    let relay = Relay::start(RELAY).await;
    let mut router = Router::new();
    let bound = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut dealer = Dealer::with_options(through(&relay)).expect("options");
    dealer.connect(&bound).await.expect("connect");
    ping_pong(&mut dealer, &mut router).await;
    let mut expected = vec![5, 1, 0, 1, 127, 0, 0, 1];
    expected.extend_from_slice(&port_of(&bound).to_be_bytes());
    assert_eq!(relay.requests(), [expected], "CONNECT with ATYP 1");
}

/// Events up to and including `count` of code `code`; fails if one of `never` shows.
async fn until_nth(monitor: &mut Monitor, code: u16, count: usize, never: u16) {
    let mut seen = 0;
    while seen < count {
        let event = within(
            &format!("event {code:#x} number {}", seen + 1),
            monitor.next(),
        )
        .await
        .expect("the monitor is open");
        assert_ne!(event.code(), never, "{event} while the proxy refuses");
        if event.code() == code {
            seen += 1;
        }
    }
}

#[tokio::test]
async fn a_refusing_proxy_fails_each_attempt_until_it_relays() {
    let relay = Relay::start(REFUSE).await;
    let mut router = Router::new();
    let bound = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut dealer = Dealer::with_options(through(&relay)).expect("options");
    let mut monitor = dealer.monitor();
    dealer.connect(&bound).await.expect("connect");
    // Each refused attempt closes its socket and schedules the next, as a failed connect does;
    // no connection is reported while the proxy refuses.
    until_nth(&mut monitor, EVENT_CLOSED, 2, EVENT_CONNECTED).await;
    until_nth(&mut monitor, EVENT_CONNECT_RETRIED, 1, EVENT_CONNECTED).await;
    assert!(relay.requests().len() >= 2, "each attempt asked the proxy");

    relay.mode.store(RELAY, Ordering::SeqCst);
    ping_pong(&mut dealer, &mut router).await;
}

#[tokio::test]
async fn a_silent_proxy_is_given_up_at_the_connect_timeout_and_retried() {
    let relay = Relay::start(SILENT).await;
    let mut router = Router::new();
    let bound = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let options = through(&relay).connect_timeout(Some(Duration::from_millis(50)));
    let mut dealer = Dealer::with_options(options).expect("options");
    let mut monitor = dealer.monitor();
    dealer.connect(&bound).await.expect("connect");
    until_nth(&mut monitor, EVENT_CONNECT_RETRIED, 2, EVENT_CONNECTED).await;
    eventually("a second connection to the proxy", || {
        relay.accepted.load(Ordering::SeqCst) >= 2
    })
    .await;

    relay.mode.store(RELAY, Ordering::SeqCst);
    ping_pong(&mut dealer, &mut router).await;
}

#[tokio::test]
async fn a_proxy_address_naming_no_proxy_is_refused_by_connect() {
    for bad in ["127.0.0.1", "127.0.0.1:0", "*:1080", "[::1:1080"] {
        let dealer_options = SocketOptions::new().socks_proxy(bad);
        let dealer = Dealer::with_options(dealer_options).expect("any text is accepted");
        match dealer.connect("tcp://127.0.0.1:5555").await {
            Err(Error::Option(OptionError::Invalid { option, reason })) => {
                assert_eq!(option, OptionName::SocksProxy);
                assert!(reason.contains(bad), "{reason}");
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    // ipc and inproc connects do not use the proxy.
    let dealer =
        Dealer::with_options(SocketOptions::new().socks_proxy("nowhere")).expect("options");
    dealer
        .connect("inproc://no-proxy-here")
        .await
        .expect("inproc");
}

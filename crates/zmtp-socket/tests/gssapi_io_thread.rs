//! A GSSAPI handshake waiting on a slow KDC does not stall the other connections of its I/O
//! thread: the mechanism's GSS-API calls run as blocking jobs on Tokio's blocking pool, not
//! inside the connection task.
//!
//! One context with one I/O thread runs both a NULL PUSH/PULL pair and a GSSAPI DEALER/ROUTER
//! pair over tcp. The GSSAPI client reaches the KDC of `scripts/kdc.sh` (required: the test
//! fails, never skips, without it) through a relay in this test, named in a krb5.conf of the
//! test's own, with a ticket cache of its own that starts empty, so the client must ask the
//! KDC. The relay passes the client's first request on and holds the KDC's reply. While it is
//! held, the test sends NULL messages and waits until all of them have arrived; only then does
//! it release the reply, and the relay reports whether the client was still waiting for it.
//! The GSSAPI handshake then completes and a message crosses.
//!
//! Were the GSS-API call made on the I/O thread, that thread would sit in the KDC exchange: no
//! NULL message could move until krb5 gave up on the relay (closing the connection), and the
//! test fails, either because the messages did not arrive within the bounded wait or because
//! the relay saw the client give up before the release.
//!
//! This file holds one test on purpose: it points `KRB5_CONFIG` and `KRB5CCNAME` of the whole
//! process at its own files before any GSS-API call.
#![cfg(feature = "gssapi")]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use tokio::sync::oneshot;
use zmtp_security::gssapi::NameType;
use zmtp_socket::{Context, Dealer, Message, Pull, Push, Router, SocketOptions};

/// NULL messages that must arrive while the KDC's reply is held.
const NULL_MESSAGES: usize = 200;
/// How long any one wait may take before the test fails (a guard against a hang, generous for
/// a shared machine; nothing passes by waiting it out).
const LIMIT: Duration = Duration::from_secs(60);

const HOW_TO: &str = "the GSSAPI tests need the throwaway Kerberos realm of scripts/kdc.sh: run \
                      `eval \"$(bash scripts/kdc.sh start)\"` in the shell that runs cargo test \
                      (scripts/test.sh does this for you)";

/// The service principal of `scripts/kdc.sh`, host-based.
const SERVICE: &str = "zmq@localhost";

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set; {HOW_TO}"))
}

/// The KDC's address in `krb5.conf` (its `kdc = 127.0.0.1:PORT` line), and the text.
fn kdc_of(config: &Path) -> (SocketAddr, String) {
    let text = std::fs::read_to_string(config)
        .unwrap_or_else(|e| panic!("{}: {e}; {HOW_TO}", config.display()));
    let addr = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("kdc = "))
        .unwrap_or_else(|| panic!("no `kdc = ` line in {}", config.display()))
        .parse()
        .expect("the KDC address of kdc.sh is IP:PORT");
    (addr, text)
}

/// Points this process's Kerberos at the relay on `relay_port` (a krb5.conf of its own) and at
/// an empty ticket cache, both in a fresh directory. Returns the directory.
fn use_relay(kdc_text: &str, kdc: SocketAddr, relay_port: u16) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zmtp-gssapi-io-thread-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("ccdir")).expect("a temporary directory");
    let relayed = kdc_text.replace(
        &format!("kdc = {kdc}"),
        &format!("kdc = 127.0.0.1:{relay_port}"),
    );
    assert_ne!(relayed, kdc_text, "the KDC line was replaced");
    let config = dir.join("krb5.conf");
    std::fs::write(&config, relayed).expect("write krb5.conf");
    // Before any GSS-API call, with no other thread of this test binary running (one test).
    std::env::set_var("KRB5_CONFIG", &config);
    std::env::set_var("KRB5CCNAME", format!("DIR:{}", dir.join("ccdir").display()));
    dir
}

/// One Kerberos message over TCP: a 4-byte big-endian length, then the message.
fn read_krb_frame(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut header = [0u8; 4];
    stream.read_exact(&mut header)?;
    let len = u32::from_be_bytes(header) as usize;
    // A KDC message is small; refuse anything absurd rather than allocate it.
    if len > 1 << 20 {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            "frame too long",
        ));
    }
    let mut frame = header.to_vec();
    frame.resize(4 + len, 0);
    stream.read_exact(&mut frame[4..])?;
    Ok(frame)
}

/// Whether the peer of `stream` still has it open: nothing to read yet, no end of stream.
fn still_waiting(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).expect("nonblocking");
    let waiting = match stream.peek(&mut [0u8; 1]) {
        Err(e) => e.kind() == ErrorKind::WouldBlock,
        Ok(0) => false,
        Ok(_) => true,
    };
    stream.set_nonblocking(false).expect("blocking");
    waiting
}

/// Request and reply, in turn, until either side closes.
fn pass_through(mut client: TcpStream, mut kdc: TcpStream) {
    while let Ok(request) = read_krb_frame(&mut client) {
        if kdc.write_all(&request).is_err() {
            return;
        }
        let Ok(reply) = read_krb_frame(&mut kdc) else {
            return;
        };
        if client.write_all(&reply).is_err() {
            return;
        }
    }
}

/// The relay's handles: it says when it holds the first reply, waits for the release, and
/// reports whether the client was still waiting for the reply then.
struct Relay {
    port: u16,
    holding: oneshot::Receiver<()>,
    release: mpsc::Sender<()>,
    client_waited: oneshot::Receiver<bool>,
}

/// A TCP relay to `kdc` on 127.0.0.1 that holds the reply to the first request until released,
/// and passes every later exchange straight through. Its threads end with the process.
fn start_relay(kdc: SocketAddr) -> Relay {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
    let port = listener.local_addr().expect("address").port();
    let (holding_tx, holding) = oneshot::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let (waited_tx, client_waited) = oneshot::channel();
    thread::spawn(move || {
        let mut first = Some((holding_tx, release_rx, waited_tx));
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(upstream) = TcpStream::connect(kdc) else {
                continue;
            };
            match first.take() {
                Some((holding_tx, release_rx, waited_tx)) => {
                    thread::spawn(move || {
                        let (mut client, mut upstream) = (client, upstream);
                        let request = read_krb_frame(&mut client).expect("the client's request");
                        upstream.write_all(&request).expect("to the KDC");
                        let reply = read_krb_frame(&mut upstream).expect("the KDC's reply");
                        let _ = holding_tx.send(());
                        // Held until the test has seen its NULL messages.
                        let _ = release_rx.recv();
                        let waited = still_waiting(&client);
                        let _ = client.write_all(&reply);
                        let _ = waited_tx.send(waited);
                        pass_through(client, upstream);
                    });
                }
                None => {
                    thread::spawn(move || pass_through(client, upstream));
                }
            }
        }
    });
    Relay {
        port,
        holding,
        release,
        client_waited,
    }
}

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {LIMIT:?}"))
}

#[test]
fn null_traffic_flows_while_a_gssapi_handshake_waits_on_the_kdc() {
    let realm = var("ZMTP_TEST_KRB5_REALM");
    var("KRB5_KTNAME");
    var("KRB5_CLIENT_KTNAME");
    let (kdc, kdc_text) = kdc_of(Path::new(&var("KRB5_CONFIG")));
    let relay = start_relay(kdc);
    let dir = use_relay(&kdc_text, kdc, relay.port);

    // The test's own tasks run here, on this thread; the connections on the context's one I/O
    // thread, zmtp-io-0.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let ctx = Context::with_io_threads(1).expect("context");

        // NULL, up and proven before the GSSAPI handshake starts.
        let pull = Pull::new_in(&ctx).expect("pull");
        let null_ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
        let push = Push::new_in(&ctx).expect("push");
        push.connect(&null_ep).await.expect("connect");
        push.send(Message::from(["warm-up"])).await.expect("send");
        within("the warm-up message", pull.recv())
            .await
            .expect("recv");

        // GSSAPI: the client needs a ticket, so its first context step asks the KDC.
        let router = Router::with_options_in(
            &ctx,
            SocketOptions::new()
                .gssapi_server(true)
                .gssapi_principal(SERVICE),
        )
        .expect("router");
        let gssapi_ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
        let dealer = Dealer::with_options_in(
            &ctx,
            SocketOptions::new()
                .gssapi_service_principal(SERVICE)
                .gssapi_principal(format!("client@{realm}"))
                .gssapi_principal_nametype(NameType::KrbPrincipal),
        )
        .expect("dealer");
        dealer.connect(&gssapi_ep).await.expect("connect");
        // The message is queued until the handshake is done.
        dealer
            .send(Message::from(["over GSSAPI"]))
            .await
            .expect("queue");

        within("the client's first KDC request at the relay", relay.holding)
            .await
            .expect("the relay holds the KDC's reply");

        // The KDC's reply is held: the GSSAPI handshake cannot finish. NULL must keep moving.
        let sender = tokio::spawn(async move {
            for i in 0..NULL_MESSAGES {
                push.send(Message::from([format!("null {i}")]))
                    .await
                    .expect("send");
            }
            push
        });
        let mut received = 0;
        while received < NULL_MESSAGES {
            let msg = within(
                &format!("NULL message {received} while the KDC reply is held"),
                pull.recv(),
            )
            .await
            .expect("recv");
            assert_eq!(msg, Message::from([format!("null {received}")]));
            received += 1;
        }
        let _push = sender.await.expect("the sender");

        relay.release.send(()).expect("release the KDC reply");
        let client_waited = within("the relay's report", relay.client_waited)
            .await
            .expect("the relay reports");
        assert!(
            client_waited,
            "the GSSAPI client gave up on the KDC before {NULL_MESSAGES} NULL messages got \
             through: its GSS-API call blocked the I/O thread"
        );

        // Released: the handshake completes and the queued message crosses.
        let msg = within("the GSSAPI message", router.recv())
            .await
            .expect("recv");
        assert_eq!(msg.len(), 2, "routing id and body: {msg:?}");
        assert_eq!(msg.get(1).map(|b| &b[..]), Some(&b"over GSSAPI"[..]));
        drop((dealer, router, pull));
        ctx.term().await;
    });
    let _ = std::fs::remove_dir_all(dir);
}

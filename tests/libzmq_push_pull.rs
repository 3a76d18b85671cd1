//! Our PUSH and PULL sockets against libzmq 4.3.4's, both directions, either side binding, with
//! NULL, PLAIN and CURVE: every message byte-exact and in order.

mod support;

use std::time::Duration;

use support::{bound_address, libzmq_recv_traffic, libzmq_send_traffic, millis, Traffic};
use tokio::sync::oneshot;
use zmtp::codec::{ZapReply, ZapRequest};
use zmtp::security::CurveKeyPair;
use zmtp::socket::{Pull, Push, SocketOptions};

const STALL: Duration = Duration::from_secs(30);
const NULL_MESSAGES: usize = 10_000;
const SECURE_MESSAGES: usize = 2_000;

/// How both ends secure the connection.
#[derive(Debug, Clone)]
enum Security {
    Null,
    Plain,
    Curve {
        server: CurveKeyPair,
        client: CurveKeyPair,
    },
}

impl Security {
    fn curve() -> Security {
        Security::Curve {
            server: CurveKeyPair::generate(),
            client: CurveKeyPair::generate(),
        }
    }

    /// Options for our socket; `server` says which side of the mechanism it is.
    fn ours(&self, server: bool) -> SocketOptions {
        match (self, server) {
            (Security::Null, _) => SocketOptions::new(),
            (Security::Plain, true) => SocketOptions::new().plain_server(true),
            (Security::Plain, false) => SocketOptions::new()
                .plain_username("admin")
                .plain_password("secret"),
            (Security::Curve { server, .. }, true) => SocketOptions::new()
                .curve_server(true)
                .curve_secret_key(server.secret().clone()),
            (Security::Curve { server, client }, false) => SocketOptions::new()
                .curve_server_key(*server.public())
                .curve_secret_key(client.secret().clone()),
        }
    }

    /// Applies the same to a libzmq socket (and starts libzmq's ZAP handler for a PLAIN server).
    fn libzmq(
        &self,
        ctx: &zmq::Context,
        socket: &zmq::Socket,
        server: bool,
    ) -> Option<support::LibzmqZapHandler> {
        match (self, server) {
            (Security::Null, _) => None,
            (Security::Plain, true) => {
                socket.set_plain_server(true).expect("ZMQ_PLAIN_SERVER");
                Some(support::LibzmqZapHandler::start(ctx, |req| {
                    if req.credentials == [b"admin".to_vec(), b"secret".to_vec()] {
                        (200, b"admin".to_vec())
                    } else {
                        (400, Vec::new())
                    }
                }))
            }
            (Security::Plain, false) => {
                socket
                    .set_plain_username(Some("admin"))
                    .expect("ZMQ_PLAIN_USERNAME");
                socket
                    .set_plain_password(Some("secret"))
                    .expect("ZMQ_PLAIN_PASSWORD");
                None
            }
            (Security::Curve { server, .. }, true) => {
                socket.set_curve_server(true).expect("ZMQ_CURVE_SERVER");
                socket
                    .set_curve_secretkey(server.secret().as_bytes())
                    .expect("ZMQ_CURVE_SECRETKEY");
                None
            }
            (Security::Curve { server, client }, false) => {
                socket
                    .set_curve_serverkey(server.public().as_bytes())
                    .expect("ZMQ_CURVE_SERVERKEY");
                socket
                    .set_curve_publickey(client.public().as_bytes())
                    .expect("ZMQ_CURVE_PUBLICKEY");
                socket
                    .set_curve_secretkey(client.secret().as_bytes())
                    .expect("ZMQ_CURVE_SECRETKEY");
                None
            }
        }
    }

    fn messages(&self) -> usize {
        match self {
            Security::Null => NULL_MESSAGES,
            _ => SECURE_MESSAGES,
        }
    }
}

/// Our ZAP handler: PLAIN needs admin/secret; CURVE clients are accepted (their key is checked by
/// the handshake itself).
fn accept_admin(req: ZapRequest) -> std::future::Ready<ZapReply> {
    let plain_ok = req.credentials == [&b"admin"[..], &b"secret"[..]];
    let curve = req.mechanism == zmtp::codec::MechanismName::CURVE && req.credentials.len() == 1;
    std::future::ready(if plain_ok || curve {
        ZapReply::accept("admin")
    } else {
        ZapReply::refuse("no")
    })
}

async fn join<T>(what: &str, handle: tokio::task::JoinHandle<T>) -> T {
    match tokio::time::timeout(Duration::from_secs(120), handle).await {
        Err(_) => panic!("{what} did not finish in time"),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("{what} failed: {e}"),
        Ok(Ok(v)) => v,
    }
}

/// libzmq PUSH sends, our PULL receives. `we_bind` chooses who binds; the binding side is the
/// mechanism's server.
async fn libzmq_push_to_our_pull(security: Security, we_bind: bool, seed: u64) {
    let count = security.messages();
    let mut pull = Pull::with_options(security.ours(we_bind)).expect("options");
    pull.set_zap_handler(accept_admin);
    let (addr_tx, addr_rx) = oneshot::channel::<String>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let our_endpoint = if we_bind {
        Some(pull.bind("tcp://127.0.0.1:*").await.expect("bind"))
    } else {
        None
    };
    let sec = security.clone();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let push = ctx.socket(zmq::PUSH).expect("PUSH");
        let _zap = sec.libzmq(&ctx, &push, !we_bind);
        push.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        push.set_linger(0).expect("ZMQ_LINGER");
        match our_endpoint {
            Some(ep) => push.connect(&ep).expect("connect"),
            None => {
                push.bind("tcp://127.0.0.1:*").expect("bind");
                addr_tx
                    .send(format!("tcp://{}", bound_address(&push)))
                    .expect("test waits");
            }
        }
        libzmq_send_traffic(&push, &mut Traffic::new(seed), count, None);
        done_rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the test finishes");
    });
    if !we_bind {
        let ep = tokio::time::timeout(STALL, addr_rx)
            .await
            .expect("address")
            .expect("sent");
        pull.connect(&ep).await.expect("connect");
    }
    let mut traffic = Traffic::new(seed);
    let mut scratch = Vec::new();
    for i in 0..count {
        let msg = tokio::time::timeout(STALL, pull.recv())
            .await
            .unwrap_or_else(|_| panic!("message {i} of {count} did not come within {STALL:?}"))
            .expect("message");
        let spec = traffic.next_spec();
        if let Err(e) = support::check_message(i, &spec, &msg, &mut scratch) {
            panic!("our PULL got a wrong message: {e}");
        }
    }
    done_tx.send(()).expect("libzmq waits");
    join("the libzmq PUSH", libzmq).await;
}

/// Our PUSH sends, libzmq PULL receives.
async fn our_push_to_libzmq_pull(security: Security, we_bind: bool, seed: u64) {
    let count = security.messages();
    let mut push = Push::with_options(security.ours(we_bind)).expect("options");
    push.set_zap_handler(accept_admin);
    let (addr_tx, addr_rx) = oneshot::channel::<String>();
    let our_endpoint = if we_bind {
        Some(push.bind("tcp://127.0.0.1:*").await.expect("bind"))
    } else {
        None
    };
    let sec = security.clone();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).expect("PULL");
        let _zap = sec.libzmq(&ctx, &pull, !we_bind);
        pull.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        pull.set_linger(0).expect("ZMQ_LINGER");
        match our_endpoint {
            Some(ep) => pull.connect(&ep).expect("connect"),
            None => {
                pull.bind("tcp://127.0.0.1:*").expect("bind");
                addr_tx
                    .send(format!("tcp://{}", bound_address(&pull)))
                    .expect("test waits");
            }
        }
        libzmq_recv_traffic(&pull, &mut Traffic::new(seed), count, false);
        let mut extra = zmq::Message::new();
        assert_eq!(
            pull.recv(&mut extra, zmq::DONTWAIT),
            Err(zmq::Error::EAGAIN)
        );
    });
    if !we_bind {
        let ep = tokio::time::timeout(STALL, addr_rx)
            .await
            .expect("address")
            .expect("sent");
        push.connect(&ep).await.expect("connect");
    }
    let mut traffic = Traffic::new(seed);
    let sending = async {
        for _ in 0..count {
            push.send(traffic.next_message()).await.expect("send");
        }
    };
    tokio::time::timeout(Duration::from_secs(120), sending)
        .await
        .expect("every message queued");
    // Our socket stays (and its connection runs) until libzmq has everything.
    join("the libzmq PULL", libzmq).await;
}

#[tokio::test]
async fn null_libzmq_push_to_our_bound_pull() {
    libzmq_push_to_our_pull(Security::Null, true, 1).await;
}

#[tokio::test]
async fn null_libzmq_push_bound_to_our_pull() {
    libzmq_push_to_our_pull(Security::Null, false, 2).await;
}

#[tokio::test]
async fn null_our_bound_push_to_libzmq_pull() {
    our_push_to_libzmq_pull(Security::Null, true, 3).await;
}

#[tokio::test]
async fn null_our_push_to_libzmq_bound_pull() {
    our_push_to_libzmq_pull(Security::Null, false, 4).await;
}

#[tokio::test]
async fn plain_both_roles() {
    libzmq_push_to_our_pull(Security::Plain, true, 5).await;
    libzmq_push_to_our_pull(Security::Plain, false, 6).await;
    our_push_to_libzmq_pull(Security::Plain, true, 7).await;
    our_push_to_libzmq_pull(Security::Plain, false, 8).await;
}

#[tokio::test]
async fn curve_both_roles() {
    libzmq_push_to_our_pull(Security::curve(), true, 9).await;
    libzmq_push_to_our_pull(Security::curve(), false, 10).await;
    our_push_to_libzmq_pull(Security::curve(), true, 11).await;
    our_push_to_libzmq_pull(Security::curve(), false, 12).await;
}

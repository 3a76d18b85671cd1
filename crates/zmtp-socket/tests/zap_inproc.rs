//! libzmq's way of authenticating: a REP (or ROUTER) socket bound at `inproc://zeromq.zap.01`
//! in the server socket's context answers the ZAP requests of PLAIN, CURVE and NULL (with a ZAP
//! domain) handshakes; a Rust handler on the socket takes precedence; a malformed reply or a
//! handler that went away fails the handshake; the handler belongs to its context only.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use zmtp_codec::{Message, ZapReply};
use zmtp_security::zap::{decode_request, encode_reply, ZAP_ENDPOINT};
#[cfg(feature = "curve")]
use zmtp_security::CurveKeyPair;
use zmtp_socket::{Context, Error, Pull, Push, Rep, Router, SocketOptions};

const LIMIT: Duration = Duration::from_secs(30);

/// What the handler saw: mechanism, address, credentials.
type Seen = (String, Bytes, Vec<Bytes>);

/// A REP handler bound in `ctx` that accepts the requests `accept` approves (user id "user")
/// and refuses the others with 400; each request is reported on the channel.
async fn rep_handler(
    ctx: &Context,
    accept: impl Fn(&[Bytes]) -> bool + Send + 'static,
) -> mpsc::UnboundedReceiver<Seen> {
    let rep = Rep::new_in(ctx).expect("rep");
    rep.bind(ZAP_ENDPOINT).await.expect("bind the ZAP endpoint");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(msg) = rep.recv().await {
            let (id, req) = decode_request(&msg).expect("a ZAP 1.0 request");
            let reply = if accept(&req.credentials) {
                ZapReply::accept("user")
            } else {
                ZapReply::refuse("not on the list")
            };
            let _ = tx.send((
                req.mechanism.to_string(),
                req.address.clone(),
                req.credentials.clone(),
            ));
            if rep.send(encode_reply(&id, &reply)).await.is_err() {
                break;
            }
        }
    });
    rx
}

async fn next_seen(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("the handler is asked within the limit")
        .expect("handler running")
}

async fn recv(pull: &mut Pull) -> Message {
    tokio::time::timeout(LIMIT, pull.recv())
        .await
        .expect("a message within the limit")
        .expect("message")
}

fn plain_client(ctx: &Context, user: &str, password: &str) -> Push {
    Push::with_options_in(
        ctx,
        SocketOptions::new()
            .plain_username(user)
            .plain_password(password),
    )
    .expect("plain client")
}

#[tokio::test]
async fn plain_authenticated_by_a_rep_at_zeromq_zap_01() {
    let ctx = Context::new().expect("context");
    let mut seen = rep_handler(&ctx, |creds| creds == [&b"admin"[..], &b"secret"[..]]).await;
    let mut pull =
        Pull::with_options_in(&ctx, SocketOptions::new().plain_server(true)).expect("server");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");

    // Refused: the handshake never completes, so the message can never be delivered (and the
    // refused client does not try again, as libzmq's: `reconnect_counts.rs` counts that).
    let bad = plain_client(&ctx, "admin", "guess");
    bad.connect(&ep).await.expect("connect");
    // Queued if the handshake is still under way; once refused, the socket has no peer for it.
    let _ = bad.try_send("must not arrive");
    let (mechanism, address, creds) = next_seen(&mut seen).await;
    assert_eq!(mechanism, "PLAIN");
    assert_eq!(address, "127.0.0.1");
    assert_eq!(creds, [&b"admin"[..], &b"guess"[..]]);
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
    drop(bad);

    let good = plain_client(&ctx, "admin", "secret");
    good.connect(&ep).await.expect("connect");
    good.send(Message::from(["hello", "zap"]))
        .await
        .expect("send");
    assert_eq!(recv(&mut pull).await, Message::from(["hello", "zap"]));
}

#[cfg(feature = "curve")]
#[tokio::test]
async fn curve_client_key_checked_by_the_inproc_handler() {
    let ctx = Context::new().expect("context");
    let server = CurveKeyPair::generate();
    let client = CurveKeyPair::generate();
    let allowed = Bytes::copy_from_slice(client.public().as_bytes());
    let mut seen = rep_handler(&ctx, move |creds| creds == [allowed.clone()]).await;
    let mut pull = Pull::with_options_in(
        &ctx,
        SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(server.secret().clone()),
    )
    .expect("server");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::with_options_in(
        &ctx,
        SocketOptions::new()
            .curve_server_key(*server.public())
            .curve_public_key(*client.public())
            .curve_secret_key(client.secret().clone()),
    )
    .expect("client");
    push.connect(&ep).await.expect("connect");
    push.send("sealed").await.expect("send");
    assert_eq!(recv(&mut pull).await, Message::single("sealed"));
    let (mechanism, _, creds) = next_seen(&mut seen).await;
    assert_eq!(mechanism, "CURVE");
    assert_eq!(&creds[0][..], client.public().as_bytes());
}

/// NULL asks ZAP only with a ZAP domain, as in libzmq; a ROUTER handler sees the routing id,
/// then the empty delimiter, then the request.
#[tokio::test]
async fn null_with_a_domain_asks_a_router_handler() {
    let ctx = Context::new().expect("context");
    let router = Router::new_in(&ctx).expect("router");
    router.bind(ZAP_ENDPOINT).await.expect("bind");
    let mut pull =
        Pull::with_options_in(&ctx, SocketOptions::new().zap_domain("global")).expect("server");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::new_in(&ctx).expect("client");
    push.connect(&ep).await.expect("connect");
    push.send("null").await.expect("send");

    let request = tokio::time::timeout(LIMIT, router.recv())
        .await
        .expect("a request within the limit")
        .expect("request");
    let mut frames = request.into_iter();
    let rid = frames.next().expect("routing id");
    assert_eq!(frames.next().expect("delimiter"), Bytes::new());
    let (id, req) = decode_request(&frames.collect()).expect("request");
    assert_eq!(req.mechanism.to_string(), "NULL");
    assert_eq!(&req.domain[..], b"global");
    let mut reply = Message::from([rid, Bytes::new()]);
    reply.extend(encode_reply(&id, &ZapReply::accept("anonymous")));
    router.send(reply).await.expect("reply");
    assert_eq!(recv(&mut pull).await, Message::single("null"));
}

/// A Rust handler on the socket is asked instead of the inproc one.
#[tokio::test]
async fn a_rust_handler_takes_precedence() {
    let ctx = Context::new().expect("context");
    let mut inproc_seen = rep_handler(&ctx, |_| false).await;
    let mut pull =
        Pull::with_options_in(&ctx, SocketOptions::new().plain_server(true)).expect("server");
    pull.set_zap_handler(|_req| async { ZapReply::accept("rust") });
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = plain_client(&ctx, "any", "thing");
    push.connect(&ep).await.expect("connect");
    push.send("via rust").await.expect("send");
    assert_eq!(recv(&mut pull).await, Message::single("via rust"));
    assert!(
        inproc_seen.try_recv().is_err(),
        "the inproc handler was not asked"
    );
}

/// A reply with the wrong version fails the handshake (no message gets through), and the
/// client, retrying, asks again.
#[tokio::test]
async fn a_malformed_reply_fails_the_handshake() {
    let ctx = Context::new().expect("context");
    let rep = Rep::new_in(&ctx).expect("rep");
    rep.bind(ZAP_ENDPOINT).await.expect("bind");
    let pull =
        Pull::with_options_in(&ctx, SocketOptions::new().plain_server(true)).expect("server");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = plain_client(&ctx, "admin", "secret");
    push.connect(&ep).await.expect("connect");
    push.send("must not arrive").await.expect("queued");
    for _ in 0..2 {
        let msg = tokio::time::timeout(LIMIT, rep.recv())
            .await
            .expect("a request within the limit")
            .expect("request");
        let (id, _) = decode_request(&msg).expect("request");
        let mut reply = encode_reply(&id, &ZapReply::accept("admin")).into_vec();
        reply[0] = Bytes::from_static(b"2.0");
        rep.send(Message::from(reply)).await.expect("reply");
    }
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

/// The handler serves its own context: a refusing handler in one context, and a NULL server
/// with a ZAP domain in another, which has no handler and so accepts its client (libzmq's rule
/// without `ZMQ_ZAP_ENFORCE_DOMAIN`). Had the refusing handler been asked, nothing would arrive.
#[tokio::test]
async fn the_handler_belongs_to_its_context() {
    let with_handler = Context::new().expect("context");
    let mut seen = rep_handler(&with_handler, |_| false).await;
    let other = Context::new().expect("other");
    let mut pull =
        Pull::with_options_in(&other, SocketOptions::new().zap_domain("d")).expect("server");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::new_in(&other).expect("client");
    push.connect(&ep).await.expect("connect");
    push.send("not asked").await.expect("send");
    assert_eq!(recv(&mut pull).await, Message::single("not asked"));
    assert!(
        seen.try_recv().is_err(),
        "the other context's handler was not asked"
    );
}

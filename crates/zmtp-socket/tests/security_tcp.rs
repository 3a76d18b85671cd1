//! PUSH/PULL over tcp with PLAIN and CURVE, options set the libzmq way, a Rust ZAP handler.

use std::time::Duration;

use tokio::sync::mpsc;
use zmtp_codec::{ZapReply, ZapRequest};
#[cfg(feature = "curve")]
use zmtp_security::CurveKeyPair;
use zmtp_socket::{Message, OptionName, Pull, Push, SocketOptions};

const LIMIT: Duration = Duration::from_secs(30);

async fn recv(pull: &mut Pull) -> Message {
    tokio::time::timeout(LIMIT, pull.recv())
        .await
        .expect("a message within the limit")
        .expect("message")
}

#[tokio::test]
async fn plain_with_a_rust_zap_handler() {
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<ZapRequest>();
    let mut pull = Pull::with_options(SocketOptions::new().plain_server(true)).expect("options");
    pull.set_zap_handler(move |req: ZapRequest| {
        let seen = seen_tx.clone();
        async move {
            let ok = req.credentials == [&b"admin"[..], &b"secret"[..]];
            let _ = seen.send(req);
            if ok {
                ZapReply::accept("admin")
            } else {
                ZapReply::refuse("bad password")
            }
        }
    });
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");

    // A client with the wrong password: the handler refuses it.
    let bad = Push::with_options(
        SocketOptions::new()
            .plain_username("admin")
            .plain_password("guess"),
    )
    .expect("options");
    bad.connect(&ep).await.expect("connect");
    // Queued if the handshake is still under way; refused, the socket has no peer for it (a
    // send that waited would wait for ever).
    let _ = bad.try_send("must not arrive");
    let req = tokio::time::timeout(LIMIT, seen_rx.recv())
        .await
        .expect("the handler is asked")
        .expect("request");
    assert_eq!(req.credentials[1], &b"guess"[..]);

    // A client with the right one gets through; the refused one's message never does.
    let good = Push::new();
    good.set_option(OptionName::PlainUsername, "admin")
        .expect("username");
    good.set_option(OptionName::PlainPassword, "secret")
        .expect("password");
    good.connect(&ep).await.expect("connect");
    good.send(Message::from(["hello", "plain"]))
        .await
        .expect("send");
    assert_eq!(recv(&mut pull).await, Message::from(["hello", "plain"]));
    assert!(pull.try_recv().is_err(), "nothing from the refused client");
}

#[cfg(feature = "curve")]
/// A CURVE public key that is not the secret key's is refused when the socket binds or
/// connects, naming both options, for a server and for a client alike.
#[tokio::test]
async fn a_curve_public_key_that_is_not_the_secret_keys_is_refused() {
    use zmtp_socket::options::OptionError;
    use zmtp_socket::Error;
    let ours = CurveKeyPair::generate();
    let other = CurveKeyPair::generate();
    let is_conflict = |e: &Error| {
        matches!(
            e,
            Error::Option(OptionError::Conflict {
                option: OptionName::CurvePublicKey,
                other: OptionName::CurveSecretKey,
                reason: "the public key is not the secret key's",
            })
        )
    };
    let server = Pull::with_options(
        SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(ours.secret().clone())
            .curve_public_key(*other.public()),
    )
    .expect("options are checked together when used");
    let refused = server
        .bind("tcp://127.0.0.1:*")
        .await
        .expect_err("a mismatched server key pair");
    assert!(is_conflict(&refused), "{refused:?}");

    let client = Push::with_options(
        SocketOptions::new()
            .curve_server_key(*other.public())
            .curve_public_key(*other.public())
            .curve_secret_key(ours.secret().clone()),
    )
    .expect("options");
    let refused = client
        .connect("tcp://127.0.0.1:9")
        .await
        .expect_err("a mismatched client key pair");
    assert!(is_conflict(&refused), "{refused:?}");

    // The matching pair is taken.
    let client = Push::with_options(
        SocketOptions::new()
            .curve_server_key(*other.public())
            .curve_public_key(*ours.public())
            .curve_secret_key(ours.secret().clone()),
    )
    .expect("options");
    client
        .connect("tcp://127.0.0.1:9")
        .await
        .expect("a matching key pair");
}

#[cfg(feature = "curve")]
#[tokio::test]
async fn curve_between_our_sockets() {
    let server = CurveKeyPair::generate();
    let client = CurveKeyPair::generate();
    let mut pull = Pull::with_options(
        SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(server.secret().clone()),
    )
    .expect("server options");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::with_options(
        SocketOptions::new()
            .curve_server_key(*server.public())
            .curve_public_key(*client.public())
            .curve_secret_key(client.secret().clone()),
    )
    .expect("client options");
    push.connect(&ep).await.expect("connect");
    for i in 0..100u32 {
        push.send(Message::from([i.to_be_bytes().to_vec(), vec![1; 9000]]))
            .await
            .expect("send");
    }
    for i in 0..100u32 {
        let msg = recv(&mut pull).await;
        assert_eq!(&msg.frames()[0][..], &i.to_be_bytes());
        assert_eq!(msg.frames()[1].len(), 9000);
    }
}

#[tokio::test]
async fn invalid_options_are_refused_naming_the_option() {
    let err = Push::with_options(SocketOptions::new().sndhwm(-1)).expect_err("negative HWM");
    assert!(err.to_string().contains("ZMQ_SNDHWM"), "{err}");
    let push = Push::new();
    let err = push
        .set_option(OptionName::Linger, -2)
        .expect_err("linger below -1");
    assert!(err.to_string().contains("ZMQ_LINGER"), "{err}");
    let err = push
        .set_option(OptionName::Subscribe, "x")
        .expect_err("SUBSCRIBE is for SUB");
    assert!(err.to_string().contains("ZMQ_SUBSCRIBE"), "{err}");
}

/// The typed security setters: a CURVE server and client configured in one call each.
#[cfg(feature = "curve")]
#[tokio::test]
async fn curve_with_the_typed_security_setters() {
    let server = CurveKeyPair::generate();
    let mut pull = Pull::with_options(SocketOptions::new().with_curve_server(server.clone()))
        .expect("server options");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::with_options(
        SocketOptions::new().with_curve_client(CurveKeyPair::generate(), *server.public()),
    )
    .expect("client options");
    push.connect(&ep).await.expect("connect");
    push.send("typed").await.expect("send");
    assert_eq!(&recv(&mut pull).await.frames()[0][..], b"typed");
}

/// An incomplete configuration is refused when the socket is made once the typed setters are
/// used; made the libzmq way only, the same configuration is refused at bind, as before.
#[cfg(feature = "curve")]
#[tokio::test]
async fn an_incomplete_security_configuration_fails_at_build_with_typed_setters() {
    // Typed PLAIN client, then libzmq's ZMQ_CURVE_SERVER = 1 (last setter wins): a CURVE server
    // without ZMQ_CURVE_SECRETKEY.
    let err = Pull::with_options(
        SocketOptions::new()
            .with_plain_client("admin", "secret")
            .curve_server(true),
    )
    .expect_err("no secret key");
    assert!(err.to_string().contains("ZMQ_CURVE_SECRETKEY"), "{err}");
    // The libzmq way: the socket is made, its bind fails.
    let pull = Pull::with_options(SocketOptions::new().curve_server(true)).expect("made");
    let err = pull
        .bind("tcp://127.0.0.1:*")
        .await
        .expect_err("no secret key at bind");
    assert!(err.to_string().contains("ZMQ_CURVE_SECRETKEY"), "{err}");
}

//! The rows of the security options: CURVE, PLAIN, GSSAPI and `ZMQ_ZAP_DOMAIN`.

use super::*;

#[cfg(feature = "curve")]
/// A CURVE server and client, and whether a message gets through.
pub(super) async fn curve_pair(server_key_for_client: Option<CurveKeyPair>) -> bool {
    let server_keys = CurveKeyPair::generate();
    let client_keys = CurveKeyPair::generate();
    let pull = Pull::with_options(
        SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(server_keys.secret().clone())
            .curve_public_key(*server_keys.public()),
    )
    .expect("pull");
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let server_key = server_key_for_client
        .map(|k| *k.public())
        .unwrap_or_else(|| *server_keys.public());
    let push = Push::with_options(
        SocketOptions::new()
            .curve_server_key(server_key)
            .curve_public_key(*client_keys.public())
            .curve_secret_key(client_keys.secret().clone()),
    )
    .expect("push");
    push.connect(&ep).await.expect("connect");
    push.send("secret").await.expect("send");
    let ok = event(&mut monitor, "the handshake's outcome", |e| match e {
        MonitorEvent::HandshakeSucceeded { .. } => Some(true),
        MonitorEvent::HandshakeFailedNoDetail { .. }
        | MonitorEvent::HandshakeFailedProtocol { .. }
        | MonitorEvent::HandshakeFailedAuth { .. } => Some(false),
        _ => None,
    })
    .await;
    if ok {
        let m = within("the message", pull.recv()).await.expect("recv");
        assert_eq!(text(&m), ["secret"]);
    }
    ok
}

#[cfg(feature = "curve")]
#[tokio::test]
pub(super) async fn zmq_curve_publickey() {
    contract_live(N::CurvePublicKey).await;
    assert!(
        curve_pair(None).await,
        "matching keys: the handshake succeeds"
    );
}

#[cfg(feature = "curve")]
#[tokio::test]
pub(super) async fn zmq_curve_secretkey() {
    contract_live(N::CurveSecretKey).await;
    assert!(curve_pair(None).await);
}

#[cfg(feature = "curve")]
#[tokio::test]
pub(super) async fn zmq_curve_server() {
    contract_live(N::CurveServer).await;
    assert!(curve_pair(None).await);
    let pull = Pull::with_options(SocketOptions::new().curve_server(true)).expect("pull");
    assert_eq!(
        pull.options().mechanism(),
        MechanismKind::Curve,
        "CURVE_SERVER selects CURVE"
    );
}

#[cfg(feature = "curve")]
#[tokio::test]
pub(super) async fn zmq_curve_serverkey() {
    contract_live(N::CurveServerKey).await;
    assert!(
        !curve_pair(Some(CurveKeyPair::generate())).await,
        "a client with the wrong server key never completes the handshake"
    );
}

#[tokio::test]
pub(super) async fn zmq_gssapi_plaintext() {
    contract_live(N::GssapiPlaintext).await;
}

#[tokio::test]
pub(super) async fn zmq_gssapi_principal() {
    contract_live(N::GssapiPrincipal).await;
}

#[tokio::test]
pub(super) async fn zmq_gssapi_server() {
    contract_live(N::GssapiServer).await;
}

#[tokio::test]
pub(super) async fn zmq_gssapi_service_principal() {
    contract_live(N::GssapiServicePrincipal).await;
}

/// A PLAIN server and a client with this password: whether a message gets through, and what
/// the server's ZAP handler saw.
pub(super) async fn plain_pair(password: &str) -> (bool, Vec<ZapRequest>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let pull = Pull::with_options(SocketOptions::new().plain_server(true)).expect("pull");
    pull.set_zap_handler(move |req: ZapRequest| {
        let ok = req.credentials.get(1).is_some_and(|p| p == "right");
        record.lock().expect("lock").push(req);
        std::future::ready(if ok {
            ZapReply::accept("admin")
        } else {
            ZapReply::refuse("wrong password")
        })
    });
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::with_options(
        SocketOptions::new()
            .plain_username("admin")
            .plain_password(password),
    )
    .expect("push");
    push.connect(&ep).await.expect("connect");
    let ok = event(&mut monitor, "the handshake's outcome", |e| match e {
        MonitorEvent::HandshakeSucceeded { .. } => Some(true),
        MonitorEvent::HandshakeFailedAuth { .. } => Some(false),
        _ => None,
    })
    .await;
    // Sent once the outcome is known: a refused client has no peer to send to (as in libzmq,
    // it does not reconnect), and a send would wait for ever.
    if ok {
        push.send("m").await.expect("send");
        within("the message", pull.recv()).await.expect("recv");
    }
    let seen = seen.lock().expect("lock").clone();
    (ok, seen)
}

#[tokio::test]
pub(super) async fn zmq_plain_password() {
    contract_live(N::PlainPassword).await;
    let (ok, seen) = plain_pair("right").await;
    assert!(ok);
    assert_eq!(seen[0].credentials[1], "right");
    let (ok, _) = plain_pair("wrong").await;
    assert!(!ok, "a wrong password is refused");
}

#[tokio::test]
pub(super) async fn zmq_plain_server() {
    contract_live(N::PlainServer).await;
    let (ok, seen) = plain_pair("right").await;
    assert!(ok);
    assert_eq!(seen[0].mechanism.to_string(), "PLAIN");
}

#[tokio::test]
pub(super) async fn zmq_plain_username() {
    contract_live(N::PlainUsername).await;
    let (_, seen) = plain_pair("right").await;
    assert_eq!(seen[0].credentials[0], "admin");
}

#[tokio::test]
pub(super) async fn zmq_zap_domain() {
    contract_live(N::ZapDomain).await;
    let (handler, seen) = zap_recorder();
    let mut router =
        Router::with_options(SocketOptions::new().zap_domain("the-domain")).expect("router");
    router.set_zap_handler(handler);
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut dealer = Dealer::new();
    dealer.connect(&ep).await.expect("connect");
    round_trip(&mut router, &mut dealer, "x").await;
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 1, "NULL asks ZAP once a domain is set");
    assert_eq!(seen[0].domain, "the-domain");
}

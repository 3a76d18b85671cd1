//! The `zmtp` binary against the real libzmq (the `zmq` crate, Debian's libzmq 4.3): libzmq
//! PUSH to our PULL, our REQ to libzmq's REP, libzmq's DEALER to our ROUTER and back, libzmq's
//! XPUB to our SUB, and CURVE with keys from `zmtp keygen` in both roles.

mod common;

use common::{keygen, Zmtp, LIMIT};

/// Milliseconds of [`LIMIT`], for libzmq's timeouts.
fn limit_ms() -> i32 {
    i32::try_from(LIMIT.as_millis()).expect("fits")
}

/// A libzmq socket with bounded sends and receives and no linger.
fn libzmq_socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let socket = ctx.socket(kind).expect("libzmq socket");
    socket.set_rcvtimeo(limit_ms()).expect("RCVTIMEO");
    socket.set_sndtimeo(limit_ms()).expect("SNDTIMEO");
    socket.set_linger(0).expect("LINGER");
    socket
}

/// Binds a libzmq socket to a free loopback port; the endpoint bound.
fn libzmq_bind(socket: &zmq::Socket) -> String {
    socket.bind("tcp://127.0.0.1:*").expect("libzmq bind");
    socket
        .get_last_endpoint()
        .expect("ZMQ_LAST_ENDPOINT")
        .expect("UTF-8 endpoint")
}

fn z85(key: &str) -> Vec<u8> {
    zmq::z85_decode(key).expect("a Z85 key")
}

#[test]
fn libzmq_push_to_zmtp_pull() {
    let mut pull = Zmtp::start(&["pull", "--bind", "tcp://127.0.0.1:*", "--count", "4"]);
    let endpoint = pull.bound();
    let ctx = zmq::Context::new();
    let push = libzmq_socket(&ctx, zmq::PUSH);
    push.connect(&endpoint).expect("libzmq connect");
    push.send("first line", 0).expect("send");
    push.send_multipart(["two", "frames"], 0).expect("send");
    push.send(&b"\xff\x00binary"[..], 0).expect("send");
    push.send("", 0).expect("send");
    assert_eq!(
        pull.stdout_lines(4),
        ["first line", "two\tframes", "0xff0062696e617279", ""]
    );
    pull.wait_success();
}

#[test]
fn zmtp_push_to_libzmq_pull() {
    let ctx = zmq::Context::new();
    let pull = libzmq_socket(&ctx, zmq::PULL);
    let endpoint = libzmq_bind(&pull);
    let mut push = Zmtp::start(&["push", "--connect", &endpoint, "--frames", ","]);
    push.write(b"alpha\nb,c\n");
    push.close_stdin();
    assert_eq!(pull.recv_multipart(0).expect("recv"), [b"alpha".to_vec()]);
    assert_eq!(
        pull.recv_multipart(0).expect("recv"),
        [b"b".to_vec(), b"c".to_vec()]
    );
    push.wait_success();
}

/// A libzmq REP answering `n` requests with `reply:` and the request, on a thread.
fn libzmq_rep_thread(rep: zmq::Socket, n: usize) -> std::thread::JoinHandle<Vec<Vec<Vec<u8>>>> {
    std::thread::spawn(move || {
        let mut requests = Vec::new();
        for _ in 0..n {
            let request = rep.recv_multipart(0).expect("libzmq REP recv");
            let mut reply = vec![b"reply:".to_vec()];
            reply.extend(request.iter().cloned());
            rep.send_multipart(reply, 0).expect("libzmq REP send");
            requests.push(request);
        }
        requests
    })
}

#[test]
fn zmtp_req_to_libzmq_rep() {
    let ctx = zmq::Context::new();
    let rep = libzmq_socket(&ctx, zmq::REP);
    let endpoint = libzmq_bind(&rep);
    let server = libzmq_rep_thread(rep, 3);
    let mut req = Zmtp::start(&["req", "--connect", &endpoint]);
    req.write(b"one\ntwo\nthree\n");
    assert_eq!(
        req.stdout_lines(3),
        ["reply:\tone", "reply:\ttwo", "reply:\tthree"]
    );
    req.wait_success();
    let requests = server.join().expect("libzmq REP thread");
    assert_eq!(
        requests,
        [[b"one".to_vec()], [b"two".to_vec()], [b"three".to_vec()]]
    );
}

#[test]
fn libzmq_req_to_zmtp_rep() {
    let mut rep = Zmtp::start(&["rep", "--bind", "tcp://127.0.0.1:*", "--count", "1"]);
    let endpoint = rep.bound();
    let ctx = zmq::Context::new();
    let req = libzmq_socket(&ctx, zmq::REQ);
    req.connect(&endpoint).expect("connect");
    req.send_multipart(["echo", "me"], 0).expect("send");
    assert_eq!(
        req.recv_multipart(0).expect("recv"),
        [b"echo".to_vec(), b"me".to_vec()]
    );
    assert_eq!(rep.stdout_line(), "echo\tme");
    rep.wait_success();
}

#[test]
fn libzmq_dealer_to_zmtp_router_and_back() {
    // Without --count: the ROUTER receives one message, then must still be there to reply.
    let mut router = Zmtp::start(&["router", "--bind", "tcp://127.0.0.1:*"]);
    let endpoint = router.bound();
    let ctx = zmq::Context::new();
    let dealer = libzmq_socket(&ctx, zmq::DEALER);
    dealer.set_identity(b"\x01worker").expect("identity");
    dealer.connect(&endpoint).expect("connect");
    dealer.send("job done", 0).expect("send");
    assert_eq!(router.stdout_line(), "0x01776f726b6572\tjob done");
    router.write(b"0x01776f726b6572 next job\n");
    assert_eq!(
        dealer.recv_multipart(0).expect("recv"),
        [b"next job".to_vec()]
    );
}

#[test]
fn libzmq_xpub_to_zmtp_sub() {
    let ctx = zmq::Context::new();
    let xpub = libzmq_socket(&ctx, zmq::XPUB);
    let endpoint = libzmq_bind(&xpub);
    let mut sub = Zmtp::start(&[
        "sub",
        "--connect",
        &endpoint,
        "--subscribe",
        "weather.",
        "--count",
        "2",
    ]);
    // The subscription has arrived: what is published now is delivered.
    assert_eq!(xpub.recv_bytes(0).expect("subscription"), b"\x01weather.");
    for topic in ["weather.paris 21C", "sport.football 2-1", "weather.oslo 4C"] {
        xpub.send(topic, 0).expect("publish");
    }
    assert_eq!(
        sub.stdout_lines(2),
        ["weather.paris 21C", "weather.oslo 4C"]
    );
    sub.wait_success();
}

#[test]
fn curve_zmtp_req_to_libzmq_server_with_keygen_keys() {
    let (server_public, server_secret) = keygen();
    let (client_public, client_secret) = keygen();
    let ctx = zmq::Context::new();
    let rep = libzmq_socket(&ctx, zmq::REP);
    rep.set_curve_server(true).expect("CURVE_SERVER");
    rep.set_curve_secretkey(&z85(&server_secret))
        .expect("CURVE_SECRETKEY");
    let endpoint = libzmq_bind(&rep);
    let server = libzmq_rep_thread(rep, 1);

    let mut req = Zmtp::start(&[
        "req",
        "--connect",
        &endpoint,
        "--curve-serverkey",
        &server_public,
        "--curve-secret",
        &client_secret,
        "--curve-public",
        &client_public,
    ]);
    req.write(b"over curve\n");
    assert_eq!(req.stdout_line(), "reply:\tover curve");
    req.wait_success();
    assert_eq!(
        server.join().expect("libzmq REP thread"),
        [[b"over curve".to_vec()]]
    );

    // A fresh client key pair (no --curve-secret) works too.
    let rep = libzmq_socket(&ctx, zmq::REP);
    rep.set_curve_server(true).expect("CURVE_SERVER");
    rep.set_curve_secretkey(&z85(&server_secret))
        .expect("CURVE_SECRETKEY");
    let endpoint = libzmq_bind(&rep);
    let server = libzmq_rep_thread(rep, 1);
    let mut req = Zmtp::start(&[
        "req",
        "--connect",
        &endpoint,
        "--curve-serverkey",
        &server_public,
    ]);
    req.write(b"anonymous\n");
    assert_eq!(req.stdout_line(), "reply:\tanonymous");
    req.wait_success();
    server.join().expect("libzmq REP thread");
}

#[test]
fn curve_libzmq_client_to_zmtp_server_with_keygen_keys() {
    let (server_public, server_secret) = keygen();
    let (client_public, client_secret) = keygen();
    let mut pull = Zmtp::start(&[
        "pull",
        "--bind",
        "tcp://127.0.0.1:*",
        "--curve-server",
        "--curve-secret",
        &server_secret,
        "--curve-accept",
        &client_public,
        "--count",
        "1",
    ]);
    let endpoint = pull.bound();
    let ctx = zmq::Context::new();
    let push = libzmq_socket(&ctx, zmq::PUSH);
    push.set_curve_serverkey(&z85(&server_public))
        .expect("CURVE_SERVERKEY");
    push.set_curve_publickey(&z85(&client_public))
        .expect("CURVE_PUBLICKEY");
    push.set_curve_secretkey(&z85(&client_secret))
        .expect("CURVE_SECRETKEY");
    push.connect(&endpoint).expect("connect");
    push.send("from libzmq, encrypted", 0).expect("send");
    assert_eq!(pull.stdout_line(), "from libzmq, encrypted");
    let accepted = pull.stderr_after("accepted CURVE client ");
    assert!(accepted.starts_with(&client_public), "{accepted}");
    pull.wait_success();
}

#[test]
fn plain_libzmq_client_to_zmtp_server() {
    let mut pull = Zmtp::start(&[
        "pull",
        "--bind",
        "tcp://127.0.0.1:*",
        "--plain-server",
        "--plain-accept",
        "admin:hunter2",
        "--count",
        "1",
    ]);
    let endpoint = pull.bound();
    let ctx = zmq::Context::new();
    let wrong = libzmq_socket(&ctx, zmq::PUSH);
    wrong.set_plain_username(Some("admin")).expect("username");
    wrong.set_plain_password(Some("guess")).expect("password");
    wrong.connect(&endpoint).expect("connect");
    wrong.send("should not arrive", zmq::DONTWAIT).ok();
    pull.stderr_after("refused PLAIN user \"admin\"");
    drop(wrong);

    let right = libzmq_socket(&ctx, zmq::PUSH);
    right.set_plain_username(Some("admin")).expect("username");
    right.set_plain_password(Some("hunter2")).expect("password");
    right.connect(&endpoint).expect("connect");
    right.send("authenticated", 0).expect("send");
    assert_eq!(pull.stdout_line(), "authenticated");
    pull.wait_success();
}

#[test]
fn plain_zmtp_client_to_libzmq_server() {
    let ctx = zmq::Context::new();
    // libzmq's PLAIN server asks a ZAP handler: a REP at inproc://zeromq.zap.01.
    let zap = ctx.socket(zmq::REP).expect("ZAP socket");
    zap.set_rcvtimeo(limit_ms()).expect("RCVTIMEO");
    zap.set_linger(0).expect("LINGER");
    zap.bind("inproc://zeromq.zap.01").expect("ZAP bind");
    let pull = libzmq_socket(&ctx, zmq::PULL);
    pull.set_plain_server(true).expect("PLAIN_SERVER");
    let endpoint = libzmq_bind(&pull);
    let mut push = Zmtp::start(&[
        "push",
        "--connect",
        &endpoint,
        "--plain-user",
        "bob",
        "--plain-password",
        "pw",
    ]);
    push.write(b"plain text\n");
    push.close_stdin();
    let request = zap.recv_multipart(0).expect("ZAP request");
    assert_eq!(request[5], b"PLAIN");
    assert_eq!(request[6..], [b"bob".to_vec(), b"pw".to_vec()]);
    zap.send_multipart(
        [&b"1.0"[..], &request[1][..], b"200", b"OK", b"bob", b""],
        0,
    )
    .expect("ZAP reply");
    assert_eq!(pull.recv_bytes(0).expect("recv"), b"plain text");
    push.wait_success();
}

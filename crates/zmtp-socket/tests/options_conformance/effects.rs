//! Helpers the rows' tests observe effects with.

use super::*;

// ---------------------------------------------------------------------------------------------
// Helpers for the effects

pub(super) async fn round_trip(server: &mut Router, client: &mut Dealer, body: &str) {
    client.send(body.to_owned()).await.expect("send");
    let m = within("the request", server.recv()).await.expect("recv");
    assert_eq!(m.frames()[1], body.as_bytes());
    server.send(m).await.expect("reply");
    let back = within("the reply", client.recv()).await.expect("reply");
    assert_eq!(back.frames()[0], body.as_bytes());
}

/// A ROUTER and a DEALER with these options, connected over `transport`, one round trip done.
pub(super) async fn connected(
    server: SocketOptions,
    client: SocketOptions,
    transport: &str,
) -> (Router, Dealer, String) {
    let mut router = Router::with_options(server).expect("router");
    let ep = router.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut dealer = Dealer::with_options(client).expect("dealer");
    dealer.connect(&ep).await.expect("connect");
    round_trip(&mut router, &mut dealer, "hello").await;
    (router, dealer, ep)
}

/// The next monitor event that `pick` selects.
pub(super) async fn event<T>(
    monitor: &mut zmtp_socket::Monitor,
    what: &str,
    mut pick: impl FnMut(&MonitorEvent) -> Option<T>,
) -> T {
    within(what, async {
        loop {
            let e = monitor.next().await.expect("monitor open");
            if let Some(t) = pick(&e) {
                return t;
            }
        }
    })
    .await
}

/// The process's sockets, each descriptor duplicated (so they stay valid whatever the
/// connections do meanwhile).
pub(super) fn process_sockets() -> Vec<Socket> {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|fd| {
            // SAFETY: the descriptor is only borrowed for the duplication, which either fails
            // (closed meanwhile) or gives a descriptor of our own; a number reused meanwhile
            // only yields a socket whose addresses do not match.
            let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
            borrowed.try_clone_to_owned().ok().map(Socket::from)
        })
        .collect()
}

/// A socket's (local, peer) addresses, for a connected inet socket.
pub(super) fn addresses(s: &Socket) -> Option<(SocketAddr, SocketAddr)> {
    Some((
        s.local_addr().ok()?.as_socket()?,
        s.peer_addr().ok()?.as_socket()?,
    ))
}

/// Both kernel sockets of the tcp connection made in this process to `server`: (accepted,
/// connecting), found by their addresses among the process's descriptors.
pub(super) fn kernel_sockets(server: SocketAddr) -> (Socket, Socket) {
    let sockets = process_sockets();
    let client = sockets
        .iter()
        .filter_map(addresses)
        .find(|(_, peer)| *peer == server)
        .map(|(local, _)| local)
        .expect("the connecting socket");
    let mut accepted = None;
    let mut connecting = None;
    for s in sockets {
        match addresses(&s) {
            Some(pair) if pair == (server, client) => accepted = Some(s),
            Some(pair) if pair == (client, server) => connecting = Some(s),
            _ => {}
        }
    }
    (
        accepted.expect("the accepted socket"),
        connecting.expect("the connecting socket"),
    )
}

/// The kernel sockets of a tcp ROUTER–DEALER connection where both sides have `options`.
pub(super) async fn tuned_tcp(options: SocketOptions) -> (Socket, Socket, Router, Dealer) {
    let (router, dealer, ep) = connected(options.clone(), options, "tcp").await;
    let server: SocketAddr = ep.trim_start_matches("tcp://").parse().expect("address");
    let (accepted, connecting) = kernel_sockets(server);
    (accepted, connecting, router, dealer)
}

/// Binding and connecting a transport libzmq has and this crate does not yet fail clearly.
pub(super) async fn unsupported_transport_is_refused(endpoint: &str, options: SocketOptions) {
    let dealer = Dealer::with_options(options).expect("dealer");
    for result in [
        dealer.bind(endpoint).await.map(|_| ()),
        dealer.connect(endpoint).await,
    ] {
        match result {
            Err(Error::Endpoint(e)) => {
                assert!(
                    matches!(e.kind, EndpointErrorKind::UnsupportedTransport(_)),
                    "{e}"
                );
                assert!(e.to_string().contains("not supported yet"), "{e}");
            }
            other => panic!("{endpoint}: {other:?}"),
        }
    }
}

/// A raw TCP peer's bytes until the connection ends (or `LIMIT`).
pub(super) async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    within("the connection to end", async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    all
}

/// The greeting and READY of a NULL `socket_type` peer, as raw bytes.
pub(super) fn null_greeting_and_ready(socket_type: &'static str) -> Vec<u8> {
    use bytes::Buf;
    use zmtp_codec::greeting::GreetingWriter;
    use zmtp_codec::{Command, MechanismName, Metadata, SendBuffer};
    let mut md = Metadata::new();
    md.insert("Socket-Type", socket_type).expect("valid");
    let mut out = SendBuffer::new();
    out.put_raw(GreetingWriter::new(MechanismName::NULL, 0).as_bytes());
    out.put_command(&Command::Ready(md));
    let bytes = out.copy_to_bytes(out.remaining());
    bytes.to_vec()
}

pub(super) fn zap_recorder() -> (
    impl Fn(ZapRequest) -> std::future::Ready<ZapReply> + Send + Sync,
    std::sync::Arc<std::sync::Mutex<Vec<ZapRequest>>>,
) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    (
        move |req: ZapRequest| {
            record.lock().expect("lock").push(req);
            std::future::ready(ZapReply::accept("user"))
        },
        seen,
    )
}

/// Sends numbered messages with `try_send` until sending keeps failing once the runtime ran out
/// of other work (on [`Context::on_caller_runtime`] the links are tasks of the test's own
/// runtime, so what then fits is decided by the queues alone). Returns how many went; `cap`
/// stops a queue that never fills.
pub(super) async fn fill(send: impl Fn(Message) -> Result<(), Error>, cap: u32) -> u32 {
    let mut sent = 0u32;
    let mut idle = 0;
    while idle < 200 && sent < cap {
        match send(Message::from([sent.to_string()])) {
            Ok(()) => {
                sent += 1;
                idle = 0;
            }
            Err(Error::WouldBlock) => {
                idle += 1;
                tokio::task::yield_now().await;
            }
            Err(e) => panic!("send failed: {e}"),
        }
    }
    sent
}

/// How many messages a PUSH with `sndhwm` queues over inproc to a PULL with `rcvhwm` before
/// sending would block (the PULL binds first); the PULL then reads them all, in order.
pub(super) async fn inproc_hwm_count(sndhwm: i32, rcvhwm: i32) -> u32 {
    let ctx = Context::on_caller_runtime();
    let ep = bind_endpoint("inproc");
    let pull = Pull::with_options_in(&ctx, SocketOptions::new().rcvhwm(rcvhwm)).expect("pull");
    pull.bind(&ep).await.expect("bind");
    let push = Push::with_options_in(&ctx, SocketOptions::new().sndhwm(sndhwm)).expect("push");
    push.connect(&ep).await.expect("connect");
    let sent = fill(|m| push.try_send(m), 10_000).await;
    for i in 0..sent {
        let m = within("a queued message", pull.recv()).await.expect("recv");
        assert_eq!(text(&m), [i.to_string()], "in order");
    }
    sent
}

/// A SOCKS5 proxy for one connection (no authentication, CONNECT): whatever host the client
/// asks for, it connects to `target` and relays both ways. Answers the host and port asked
/// for (a host name arrives as a name, ATYP 3).
#[cfg(feature = "socks")]
pub(super) async fn socks5_relay(
    target: SocketAddr,
) -> (SocketAddr, tokio::task::JoinHandle<(String, u16)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let address = listener.local_addr().expect("the proxy's address");
    let task = tokio::spawn(async move {
        let (mut client, _) = listener.accept().await.expect("a client");
        // Greeting: version 5, the methods; we pick "no authentication".
        let mut head = [0u8; 2];
        client.read_exact(&mut head).await.expect("greeting");
        assert_eq!(head[0], 5, "SOCKS version 5");
        let mut methods = vec![0u8; usize::from(head[1])];
        client.read_exact(&mut methods).await.expect("methods");
        assert!(methods.contains(&0), "no authentication offered");
        client.write_all(&[5, 0]).await.expect("method chosen");
        // Request: version, CONNECT, reserved, ATYP 3 (domain name), length, name, port.
        let mut request = [0u8; 5];
        client.read_exact(&mut request).await.expect("request");
        assert_eq!(&request[..4], &[5, 1, 0, 3], "CONNECT to a host name");
        let mut name = vec![0u8; usize::from(request[4])];
        client.read_exact(&mut name).await.expect("host name");
        let mut port = [0u8; 2];
        client.read_exact(&mut port).await.expect("port");
        let mut upstream = tokio::net::TcpStream::connect(target)
            .await
            .expect("the target");
        client
            .write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
            .await
            .expect("granted");
        let asked = (
            String::from_utf8(name).expect("a text host name"),
            u16::from_be_bytes(port),
        );
        tokio::spawn(async move {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        });
        asked
    });
    (address, task)
}

/// An XPUB with `options` bound over inproc and `n` SUBs connected to it.
pub(super) async fn xpub_and_subs(options: SocketOptions, n: usize) -> (XPub, Vec<Sub>) {
    let xpub = XPub::with_options(options).expect("xpub");
    let ep = xpub.bind(&bind_endpoint("inproc")).await.expect("bind");
    let mut subs = Vec::new();
    for _ in 0..n {
        let sub = Sub::new();
        sub.connect(&ep).await.expect("connect");
        subs.push(sub);
    }
    (xpub, subs)
}

/// The next subscription message an XPUB passes up, as "+prefix" or "-prefix".
pub(super) async fn next_subscription(xpub: &XPub) -> String {
    let m = within("a subscription message", xpub.recv())
        .await
        .expect("recv");
    let body = &m.frames()[0];
    let sign = match body.first() {
        Some(1) => '+',
        Some(0) => '-',
        other => panic!("not a subscription message: {other:?}"),
    };
    format!("{sign}{}", String::from_utf8_lossy(&body[1..]))
}

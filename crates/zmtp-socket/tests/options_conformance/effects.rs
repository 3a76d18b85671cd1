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

//! The rows of the transport options: tcp tuning, `ZMQ_IPV6`/`ZMQ_IPV4ONLY`, `ZMQ_USE_FD`,
//! `ZMQ_SOCKS_PROXY`, the accept filters and the VMCI rows.

use super::*;

#[tokio::test]
pub(super) async fn zmq_backlog() {
    contract_live(N::Backlog).await;
    let router = Router::with_options(SocketOptions::new().backlog(37)).expect("router");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let port = ep.rsplit(':').next().expect("port");
    // The kernel shows a listener's backlog as its Send-Q (`ss -lt`).
    let out = std::process::Command::new("ss")
        .args(["-Hltn", &format!("sport = :{port}")])
        .output()
        .expect("ss (iproute2; apt-get install iproute2)");
    let listing = String::from_utf8_lossy(&out.stdout);
    let send_q: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(send_q, ["37"], "ss -lt: {listing}");
    // ipc listeners too, as libzmq's.
    let router = Router::with_options(SocketOptions::new().backlog(38)).expect("router");
    let ep = router.bind("ipc://*").await.expect("bind");
    let path = ep.trim_start_matches("ipc://");
    let out = std::process::Command::new("ss")
        .args(["-Hlxn"])
        .output()
        .expect("ss (iproute2; apt-get install iproute2)");
    let listing = String::from_utf8_lossy(&out.stdout);
    let send_q: Vec<&str> = listing
        .lines()
        .filter(|l| l.split_whitespace().any(|w| w == path))
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(send_q, ["38"], "ss -lx: {listing}");
}

#[tokio::test]
pub(super) async fn zmq_ipv6() {
    contract_live(N::Ipv6).await;
    let mut router = Router::with_options(SocketOptions::new().ipv6(true)).expect("router");
    let ep = router.bind("tcp://*:*").await.expect("bind");
    let port = ep.rsplit(':').next().expect("port");
    for host in ["127.0.0.1", "[::1]"] {
        let mut dealer = Dealer::with_options(SocketOptions::new().ipv6(true)).expect("dealer");
        dealer
            .connect(&format!("tcp://{host}:{port}"))
            .await
            .expect("connect");
        round_trip(&mut router, &mut dealer, host).await;
    }
    // Without it, `*` is IPv4 only and an IPv6 address is refused.
    let v4 = Router::new();
    let ep = v4.bind("tcp://*:*").await.expect("bind");
    assert!(ep.starts_with("tcp://0.0.0.0:"), "{ep}");
    assert!(v4.bind("tcp://[::1]:*").await.is_err());
}

#[tokio::test]
pub(super) async fn zmq_use_fd() {
    contract_live(N::UseFd).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = listener.local_addr().expect("addr");
    let pull =
        Pull::with_options(SocketOptions::new().use_fd(Some(listener.as_raw_fd()))).expect("pull");
    // The endpoint is only a name: the socket listens where the descriptor does.
    pull.bind("tcp://127.0.0.1:1").await.expect("bind");
    let push = Push::new();
    push.connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    push.send("via the fd").await.expect("send");
    let m = within("the message", pull.recv()).await.expect("recv");
    assert_eq!(text(&m), ["via the fd"]);
}

#[tokio::test]
pub(super) async fn zmq_rcvbuf() {
    contract_live(N::RcvBuf).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().rcvbuf(Some(64 * 1024))).await;
    // Linux doubles what is asked (bookkeeping overhead).
    for s in [&accepted, &connecting] {
        assert_eq!(s.recv_buffer_size().expect("SO_RCVBUF"), 128 * 1024);
    }
}

#[tokio::test]
pub(super) async fn zmq_sndbuf() {
    contract_live(N::SndBuf).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().sndbuf(Some(64 * 1024))).await;
    for s in [&accepted, &connecting] {
        assert_eq!(s.send_buffer_size().expect("SO_SNDBUF"), 128 * 1024);
    }
}

#[cfg(feature = "socks")]
#[tokio::test]
pub(super) async fn zmq_socks_proxy() {
    contract_live(N::SocksProxy).await;
    // The host name exists only for the proxy, which relays to the ROUTER: messages flow only
    // if the connection went through it.
    let mut router = Router::new();
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let target: SocketAddr = ep.trim_start_matches("tcp://").parse().expect("address");
    let (proxy, relay) = socks5_relay(target).await;
    let mut dealer =
        Dealer::with_options(SocketOptions::new().socks_proxy(proxy.to_string())).expect("dealer");
    dealer
        .connect("tcp://only-through-the-proxy.invalid:5555")
        .await
        .expect("connect");
    round_trip(&mut router, &mut dealer, "through").await;
    let asked = within("the proxy's request", relay).await.expect("relay");
    assert_eq!(asked, ("only-through-the-proxy.invalid".to_owned(), 5555));
}

#[tokio::test]
pub(super) async fn zmq_tcp_keepalive() {
    contract_live(N::TcpKeepalive).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().tcp_keepalive(Some(true))).await;
    for s in [&accepted, &connecting] {
        assert!(s.keepalive().expect("SO_KEEPALIVE"));
    }
}

#[tokio::test]
pub(super) async fn zmq_tcp_keepalive_cnt() {
    contract_live(N::TcpKeepaliveCnt).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(
        SocketOptions::new()
            .tcp_keepalive(Some(true))
            .tcp_keepalive_cnt(Some(7)),
    )
    .await;
    for s in [&accepted, &connecting] {
        assert_eq!(s.tcp_keepalive_retries().expect("TCP_KEEPCNT"), 7);
    }
}

#[tokio::test]
pub(super) async fn zmq_tcp_keepalive_idle() {
    contract_live(N::TcpKeepaliveIdle).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(
        SocketOptions::new()
            .tcp_keepalive(Some(true))
            .tcp_keepalive_idle(Some(77)),
    )
    .await;
    for s in [&accepted, &connecting] {
        assert_eq!(
            s.tcp_keepalive_time().expect("TCP_KEEPIDLE"),
            Duration::from_secs(77)
        );
    }
}

#[tokio::test]
pub(super) async fn zmq_tcp_keepalive_intvl() {
    contract_live(N::TcpKeepaliveIntvl).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(
        SocketOptions::new()
            .tcp_keepalive(Some(true))
            .tcp_keepalive_intvl(Some(9)),
    )
    .await;
    for s in [&accepted, &connecting] {
        assert_eq!(
            s.tcp_keepalive_interval().expect("TCP_KEEPINTVL"),
            Duration::from_secs(9)
        );
    }
}

#[tokio::test]
pub(super) async fn zmq_tcp_maxrt() {
    contract_live(N::TcpMaxRt).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().tcp_maxrt(Some(Duration::from_millis(4321)))).await;
    for s in [&accepted, &connecting] {
        assert_eq!(
            s.tcp_user_timeout().expect("TCP_USER_TIMEOUT"),
            Some(Duration::from_millis(4321))
        );
    }
}

#[tokio::test]
pub(super) async fn zmq_tos() {
    contract_live(N::Tos).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(SocketOptions::new().tos(0x28)).await;
    for s in [&accepted, &connecting] {
        assert_eq!(s.tos_v4().expect("IP_TOS"), 0x28);
    }
}

/// Whether a raw tcp client of a ROUTER with this accept filter gets the greeting.
pub(super) async fn admitted_over_tcp(filter: &str) -> bool {
    let router =
        Router::with_options(SocketOptions::new().tcp_accept_filter(filter)).expect("router");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut client = tokio::net::TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .expect("connect");
    let mut first = [0u8; 1];
    matches!(
        within("the first byte or the end", client.read(&mut first)).await,
        Ok(1)
    )
}

#[tokio::test]
pub(super) async fn zmq_tcp_accept_filter() {
    contract_live(N::TcpAcceptFilter).await;
    assert!(admitted_over_tcp("127.0.0.0/8").await);
    assert!(
        !admitted_over_tcp("10.0.0.0/8").await,
        "closed before any byte"
    );
}

/// Whether an ipc client of a ROUTER with these options gets the greeting.
pub(super) async fn admitted_over_ipc(options: SocketOptions) -> bool {
    let router = Router::with_options(options).expect("router");
    let ep = router.bind("ipc://*").await.expect("bind");
    let mut client = tokio::net::UnixStream::connect(ep.trim_start_matches("ipc://"))
        .await
        .expect("connect");
    let mut first = [0u8; 1];
    matches!(
        within("the first byte or the end", client.read(&mut first)).await,
        Ok(1)
    )
}

#[tokio::test]
pub(super) async fn zmq_ipc_filter_gid() {
    contract_live(N::IpcFilterGid).await;
    let gid = std::fs::metadata("/proc/self").map_or(0, |m| {
        use std::os::unix::fs::MetadataExt;
        m.gid()
    });
    assert!(admitted_over_ipc(SocketOptions::new().ipc_filter_gid(gid)).await);
    assert!(
        !admitted_over_ipc(SocketOptions::new().ipc_filter_gid(gid.wrapping_add(4242))).await,
        "another group is closed before any byte"
    );
}

#[tokio::test]
pub(super) async fn zmq_ipc_filter_pid() {
    contract_live(N::IpcFilterPid).await;
    let pid = i32::try_from(std::process::id()).expect("a pid");
    assert!(admitted_over_ipc(SocketOptions::new().ipc_filter_pid(pid)).await);
    assert!(
        !admitted_over_ipc(SocketOptions::new().ipc_filter_pid(pid + 1)).await,
        "a peer of another process is closed before any byte"
    );
}

#[tokio::test]
pub(super) async fn zmq_ipc_filter_uid() {
    contract_live(N::IpcFilterUid).await;
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    });
    assert!(admitted_over_ipc(SocketOptions::new().ipc_filter_uid(uid)).await);
    assert!(
        !admitted_over_ipc(SocketOptions::new().ipc_filter_uid(uid.wrapping_add(4242))).await,
        "another user is closed before any byte"
    );
}

#[tokio::test]
pub(super) async fn zmq_ipv4only() {
    contract_live(N::Ipv4Only).await;
    let mut router = Router::with_options(SocketOptions::new().ipv4only(false)).expect("router");
    assert!(router.options().get_ipv6(), "IPV4ONLY 0 is IPV6 1");
    let ep = router.bind("tcp://*:*").await.expect("bind");
    let port = ep.rsplit(':').next().expect("port");
    let mut dealer = Dealer::with_options(SocketOptions::new().ipv6(true)).expect("dealer");
    dealer
        .connect(&format!("tcp://[::1]:{port}"))
        .await
        .expect("connect");
    round_trip(&mut router, &mut dealer, "v6").await;
}

#[tokio::test]
pub(super) async fn zmq_vmci_buffer_size() {
    contract_live(N::VmciBufferSize).await;
    unsupported_transport_is_refused(
        "vmci://1:5555",
        SocketOptions::new().vmci_buffer_size(1 << 20),
    )
    .await;
}

#[tokio::test]
pub(super) async fn zmq_vmci_buffer_min_size() {
    contract_live(N::VmciBufferMinSize).await;
    unsupported_transport_is_refused("vmci://1:5555", SocketOptions::new()).await;
}

#[tokio::test]
pub(super) async fn zmq_vmci_buffer_max_size() {
    contract_live(N::VmciBufferMaxSize).await;
    unsupported_transport_is_refused("vmci://1:5555", SocketOptions::new()).await;
}

#[tokio::test]
pub(super) async fn zmq_vmci_connect_timeout() {
    contract_live(N::VmciConnectTimeout).await;
    unsupported_transport_is_refused("vmci://1:5555", SocketOptions::new()).await;
}

//! `tcp://`: a listener whose accepted connections each run the connection engine, and a
//! connecter per connected endpoint that connects and reconnects (both loops are shared with
//! `ipc://`, in [`super::listener`] and [`super::connecter`]).

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use socket2::SockRef;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::connecter::{self, with_timeout};
use super::listener::{self, Accept};
use super::socks::{self, SocksProxy};
use crate::context::{IoIndex, Shared};
use crate::core::{Core, PipeId};
use crate::endpoint::{TcpEndpoint, TcpHost};
use crate::engine::ConnectionSettings;
use crate::transport::tcp_tuning::TcpTuning;

/// Resolves a bind address (`*` is every IPv4 interface, libzmq's default with `ZMQ_IPV6` off;
/// a name is an interface's first, as `tcp://eth0:5555`, before it is a host name) and binds it, registering the listener with the runtime of `context` (where its accept loop
/// will run).
pub(crate) async fn bind(
    endpoint: &TcpEndpoint,
    tuning: &TcpTuning,
    use_fd: Option<i32>,
    context: &Shared,
    io: IoIndex,
) -> io::Result<TcpListener> {
    if let Some(fd) = use_fd {
        let listener = std::net::TcpListener::from(super::use_fd::adopt_listener(fd, false)?);
        return context.enter(io, || TcpListener::from_std(listener));
    }
    let addr = match &endpoint.host {
        // With ZMQ_IPV6, `*` is the IPv6 wildcard in dual stack (IPv4 too), as in libzmq.
        TcpHost::Any if tuning.ipv6 => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), endpoint.port),
        TcpHost::Any => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), endpoint.port),
        // An IPv6 address needs ZMQ_IPV6, as libzmq (which fails the bind with ENODEV).
        TcpHost::Ip(ip) if ip.is_ipv6() && !tuning.ipv6 => {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "an IPv6 address needs ZMQ_IPV6 (ENODEV)",
            ))
        }
        TcpHost::Ip(ip) => SocketAddr::new(*ip, endpoint.port),
        TcpHost::Name(name) => match interface_address(name, endpoint.port, tuning.ipv6) {
            Some(addr) => addr,
            None => resolve(name, endpoint.port, tuning.ipv6).await?,
        },
    };
    let listener = tuning.listen(addr)?;
    context.enter(io, || TcpListener::from_std(listener))
}

/// The address of the network interface named `name` (`lo`, `eth0`) with `port`, as libzmq's
/// bind finds it: the interface's first IPv4 address, or its first IPv6 one with `ZMQ_IPV6`
/// (libzmq then looks for IPv6 only). `None` when no interface of that name has one (or the
/// system cannot list them): the name is then resolved as a host name, as libzmq does.
pub(crate) fn interface_address(name: &str, port: u16, ipv6: bool) -> Option<SocketAddr> {
    let interfaces = nix::ifaddrs::getifaddrs().ok()?;
    interfaces
        .filter(|i| i.interface_name == name)
        .find_map(|i| {
            let address = i.address?;
            if ipv6 {
                let v6 = address.as_sockaddr_in6()?;
                let at = SocketAddrV6::new(v6.ip(), port, v6.flowinfo(), v6.scope_id());
                Some(SocketAddr::V6(at))
            } else {
                Some(SocketAddr::new(address.as_sockaddr_in()?.ip().into(), port))
            }
        })
}

/// The first address of `host` (IPv4 ones only unless `ipv6`, as libzmq resolves with
/// `ZMQ_IPV6` off).
async fn resolve(host: &str, port: u16, ipv6: bool) -> io::Result<SocketAddr> {
    tokio::net::lookup_host((host, port))
        .await?
        .find(|a| ipv6 || a.is_ipv4())
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address")))
}

impl Accept for TcpListener {
    type Stream = TcpStream;
    type Std = std::net::TcpStream;

    fn into_std(stream: TcpStream) -> io::Result<std::net::TcpStream> {
        stream.into_std()
    }

    fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, Bytes)>> {
        TcpListener::poll_accept(self, cx)
            .map_ok(|(stream, peer)| (stream, Bytes::from(peer.ip().to_string())))
    }

    fn peer_label(stream: &TcpStream) -> Option<String> {
        stream.peer_addr().ok().map(|peer| peer.to_string())
    }

    fn admit(stream: &TcpStream, settings: &ConnectionSettings) -> bool {
        let filters = &settings.accept_filters.tcp;
        if filters.is_empty() {
            return true;
        }
        stream.peer_addr().is_ok_and(|peer| {
            // An IPv4 client of a dual-stack listener shows as ::ffff:a.b.c.d.
            let ip = match peer.ip() {
                std::net::IpAddr::V6(v6) => v6
                    .to_ipv4_mapped()
                    .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
                v4 => v4,
            };
            filters.iter().any(|f| f.matches(ip))
        })
    }

    fn tune(stream: &TcpStream, settings: &ConnectionSettings) -> io::Result<()> {
        let v6 = stream.local_addr()?.is_ipv6();
        settings.tcp.apply_to_connection(SockRef::from(stream), v6)
    }

    fn local_endpoint(stream: &TcpStream) -> Option<String> {
        let local = stream.local_addr().ok()?;
        let endpoint = TcpEndpoint {
            host: TcpHost::Ip(local.ip()),
            port: local.port(),
        };
        Some(crate::endpoint::Endpoint::Tcp(endpoint).to_string())
    }
}

/// Accepts connections until unbind or close; each runs in its own task.
pub(crate) fn spawn_listener(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    listener: TcpListener,
    endpoint: String,
    unbound: CancellationToken,
) -> JoinHandle<()> {
    listener::spawn_listener(core, settings, listener, endpoint, unbound)
}

/// Connects (through the SOCKS5 `proxy` of `ZMQ_SOCKS_PROXY` when there is one), runs the
/// connection, and reconnects until the socket closes or `disconnect` says so.
pub(crate) fn spawn_connecter(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: TcpEndpoint,
    proxy: Option<SocksProxy>,
    pipe: PipeId,
    disconnect: Arc<connecter::Disconnect>,
) -> JoinHandle<()> {
    let timeout = settings.connect_timeout;
    let handshake_ivl = settings.config.handshake_ivl;
    let tuning = settings.tcp.clone();
    let label = crate::endpoint::Endpoint::Tcp(endpoint.clone());
    connecter::spawn_connecter(core, settings, label, pipe, true, disconnect, move || {
        let endpoint = endpoint.clone();
        let tuning = tuning.clone();
        let proxy = proxy.clone();
        async move {
            let stream = match &proxy {
                None => connect(&endpoint, &tuning, timeout).await?,
                Some(proxy) => {
                    connect_through(proxy, &endpoint, &tuning, timeout, handshake_ivl).await?
                }
            };
            let address = Bytes::from(
                stream
                    .peer_addr()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_default(),
            );
            Ok((stream, address))
        }
    })
}

/// One tuned connection to `endpoint`, its connect bounded by `ZMQ_CONNECT_TIMEOUT`.
pub(crate) async fn connect(
    endpoint: &TcpEndpoint,
    tuning: &TcpTuning,
    timeout: Option<Duration>,
) -> io::Result<TcpStream> {
    let addr = match &endpoint.host {
        TcpHost::Ip(ip) => SocketAddr::new(*ip, endpoint.port),
        TcpHost::Name(name) => resolve(name, endpoint.port, tuning.ipv6).await?,
        TcpHost::Any => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot connect to * (a wildcard is for bind)",
            ))
        }
    };
    with_timeout(timeout, tuning.connecting_socket(addr)?.connect(addr)).await
}

/// One tuned connection to the proxy, then its SOCKS5 CONNECT to `endpoint` (see
/// [`super::socks`]): `ZMQ_CONNECT_TIMEOUT` bounds both; without it, `ZMQ_HANDSHAKE_IVL`
/// bounds the SOCKS exchange.
async fn connect_through(
    proxy: &SocksProxy,
    endpoint: &TcpEndpoint,
    tuning: &TcpTuning,
    timeout: Option<Duration>,
    handshake_ivl: Option<Duration>,
) -> io::Result<TcpStream> {
    let exchange_limit = if timeout.is_some() {
        None
    } else {
        handshake_ivl
    };
    with_timeout(timeout, async {
        let stream = connect(&proxy.address, tuning, None).await?;
        socks::handshake(stream, proxy, endpoint, exchange_limit).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use zmtp_codec::SocketType;

    use super::*;

    /// An accepted tcp connection's task is named with the peer's port as well as its address
    /// (`ROUTER from 127.0.0.1:53122`), so that tokio-console tells apart the connections of
    /// clients on one host.
    #[tokio::test]
    async fn an_accepted_connections_task_name_carries_the_peers_port() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let client = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .expect("connect");
        let (accepted, address) = poll_fn(|cx| Accept::poll_accept(&listener, cx))
            .await
            .expect("accept");
        let endpoint = format!("tcp://127.0.0.1:{port}");
        let name = listener::accepted_task_name::<TcpListener>(
            &endpoint,
            SocketType::Router,
            &accepted,
            &String::from_utf8_lossy(&address),
        );
        let client_port = client.local_addr().expect("client address").port();
        assert_eq!(
            name,
            format!("zmtp::conn {endpoint} ROUTER from 127.0.0.1:{client_port}")
        );
    }
}

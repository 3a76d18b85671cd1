//! `tcp://`: a listener whose accepted connections each run the connection engine, and a
//! connecter per connected endpoint that connects and reconnects (both loops are shared with
//! `ipc://`, in [`super::listener`] and [`super::connecter`]).

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::connecter::{self, with_timeout};
use super::listener::{self, Accept};
use crate::context::Shared;
use crate::core::{Core, PipeId};
use crate::endpoint::{TcpEndpoint, TcpHost};
use crate::engine::ConnectionSettings;

/// Resolves a bind address (`*` is every IPv4 interface, libzmq's default with `ZMQ_IPV6` off)
/// and binds it, registering the listener with the runtime of `context` (where its accept loop
/// will run).
pub(crate) async fn bind(endpoint: &TcpEndpoint, context: &Shared) -> io::Result<TcpListener> {
    let addr = match &endpoint.host {
        TcpHost::Any => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), endpoint.port),
        TcpHost::Ip(ip) => SocketAddr::new(*ip, endpoint.port),
        TcpHost::Name(name) => resolve(name, endpoint.port).await?,
    };
    // std's bind sets SO_REUSEADDR on Unix, as Tokio's and libzmq's do.
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    context.enter(|| TcpListener::from_std(listener))
}

async fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    tokio::net::lookup_host((host, port))
        .await?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address")))
}

impl Accept for TcpListener {
    type Stream = TcpStream;

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, Bytes)>> {
        TcpListener::poll_accept(self, cx).map_ok(|(stream, peer)| {
            let _ = stream.set_nodelay(true);
            (stream, Bytes::from(peer.ip().to_string()))
        })
    }
}

/// Accepts connections until unbind or close; each runs in its own task.
pub(crate) fn spawn_listener(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    listener: TcpListener,
    unbound: CancellationToken,
) -> JoinHandle<()> {
    listener::spawn_listener(core, settings, listener, unbound)
}

/// Connects, runs the connection, and reconnects until the socket closes.
pub(crate) fn spawn_connecter(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: TcpEndpoint,
    pipe: PipeId,
) -> JoinHandle<()> {
    let timeout = settings.connect_timeout;
    let label = endpoint.clone();
    connecter::spawn_connecter(core, settings, label, pipe, move || {
        let endpoint = endpoint.clone();
        async move {
            let stream = connect(&endpoint, timeout).await?;
            let _ = stream.set_nodelay(true);
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

async fn connect(endpoint: &TcpEndpoint, timeout: Option<Duration>) -> io::Result<TcpStream> {
    let addr = match &endpoint.host {
        TcpHost::Ip(ip) => SocketAddr::new(*ip, endpoint.port),
        TcpHost::Name(name) => resolve(name, endpoint.port).await?,
        TcpHost::Any => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot connect to * (a wildcard is for bind)",
            ))
        }
    };
    with_timeout(timeout, TcpStream::connect(addr)).await
}

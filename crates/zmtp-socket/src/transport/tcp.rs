//! `tcp://`: a listener task that accepts connections and starts one engine task each, and a
//! connecter task per connected endpoint that connects, runs the engine, and reconnects with
//! exponential backoff (`ZMQ_RECONNECT_IVL` up to `ZMQ_RECONNECT_IVL_MAX`) until the socket
//! disconnects or closes.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tracing::debug;

use crate::core::{Core, PipeId};
use crate::endpoint::{TcpEndpoint, TcpHost};
use crate::engine::driver::PipeSlot;
use crate::engine::{run_connection, ConnectionSettings};

/// Resolves a bind address: `*` is every IPv4 interface (libzmq's default with `ZMQ_IPV6` off).
pub(crate) async fn bind(endpoint: &TcpEndpoint) -> io::Result<TcpListener> {
    let addr = match &endpoint.host {
        TcpHost::Any => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), endpoint.port),
        TcpHost::Ip(ip) => SocketAddr::new(*ip, endpoint.port),
        TcpHost::Name(name) => resolve(name, endpoint.port).await?,
    };
    TcpListener::bind(addr).await
}

async fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    tokio::net::lookup_host((host, port))
        .await?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address")))
}

/// Accepts connections for ever; each runs in its own task.
pub(crate) fn spawn_listener(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    listener: TcpListener,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    debug!(error = %e, "accept failed");
                    // Out of file descriptors and the like: back off a little, as libzmq does.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if core.closed().is_some() {
                return;
            }
            let _ = stream.set_nodelay(true);
            let core = core.clone();
            let settings = settings.clone();
            tokio::spawn(async move {
                let address = Bytes::from(peer.ip().to_string());
                let (pipe, _, exit) =
                    run_connection(core.clone(), settings, PipeSlot::OnReady, stream, address)
                        .await;
                debug!(%peer, %exit, "connection ended");
                if let Some(id) = pipe {
                    core.detach(id, false);
                }
            });
        }
    })
}

/// Connects, runs the connection, and reconnects until the socket closes.
pub(crate) fn spawn_connecter(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: TcpEndpoint,
    pipe: PipeId,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let base = settings.reconnect_ivl;
        let mut backoff = base;
        loop {
            if core.closed().is_some() {
                break;
            }
            match connect(&endpoint, settings.connect_timeout).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    let address = Bytes::from(
                        stream
                            .peer_addr()
                            .map(|a| a.ip().to_string())
                            .unwrap_or_default(),
                    );
                    let (_, peer, exit) = run_connection(
                        core.clone(),
                        settings.clone(),
                        PipeSlot::Existing(pipe),
                        stream,
                        address,
                    )
                    .await;
                    debug!(%endpoint, %exit, "connection ended");
                    core.detach(pipe, true);
                    if peer.is_some() {
                        // A connection that got through its handshake resets the backoff.
                        backoff = base;
                    }
                }
                Err(e) => debug!(%endpoint, error = %e, "connect failed"),
            }
            if core.closed().is_some() {
                break;
            }
            let Some(ivl) = backoff else { break };
            tokio::time::sleep(jitter(ivl)).await;
            backoff = Some(next_backoff(ivl, settings.reconnect_ivl_max));
        }
        core.remove_pipe(pipe);
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
    match timeout {
        Some(t) => tokio::time::timeout(t, TcpStream::connect(addr))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "ZMQ_CONNECT_TIMEOUT"))?,
        None => TcpStream::connect(addr).await,
    }
}

/// libzmq doubles the interval after each failed attempt up to `ZMQ_RECONNECT_IVL_MAX` (0: no
/// growth).
fn next_backoff(ivl: Duration, max: Duration) -> Duration {
    if max <= ivl {
        ivl
    } else {
        (ivl * 2).min(max)
    }
}

/// Up to 10 % more, so that many sockets losing one peer do not all come back at once.
fn jitter(ivl: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    ivl + ivl.mul_f64(f64::from(nanos % 1000) / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let ms = Duration::from_millis;
        assert_eq!(next_backoff(ms(100), Duration::ZERO), ms(100));
        assert_eq!(next_backoff(ms(100), ms(1000)), ms(200));
        assert_eq!(next_backoff(ms(800), ms(1000)), ms(1000));
        assert_eq!(next_backoff(ms(1000), ms(1000)), ms(1000));
        assert_eq!(
            next_backoff(ms(100), ms(50)),
            ms(100),
            "a max below the ivl is ignored"
        );
        let j = jitter(ms(100));
        assert!(j >= ms(100) && j <= ms(110));
    }
}

//! The reconnect loop shared by the stream transports (`tcp://`, `ipc://`): connect, run the
//! connection over the stream, and after a failure or a loss try again with exponential backoff
//! (`ZMQ_RECONNECT_IVL` up to `ZMQ_RECONNECT_IVL_MAX`) until the socket disconnects or closes.
//! The transport only says how to open one stream.
//!
//! As libzmq's session does, it gives up for good when a connection ends on a protocol error
//! (the peer refused the handshake with an ERROR command, a mechanism mismatch, a malformed
//! frame): the pipe goes with what was queued on it. After `disconnect` it keeps connecting
//! only to write out what was queued before, for `ZMQ_LINGER`.

use std::fmt::Display;
use std::future::Future;
use std::io;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, Instrument};

use crate::core::{Core, PipeId};
use crate::engine::driver::{self, PipeSlot};
use crate::engine::{trace, ConnectionSettings};
use crate::monitor::MonitorEvent;

/// What `disconnect` tells a connecter: its endpoint is disconnected, and until when what was
/// queued before may still go out (`ZMQ_LINGER` at the disconnect).
#[derive(Debug, Default)]
pub(crate) struct Disconnect {
    requested: CancellationToken,
    /// Set before `requested` is cancelled. `None`: for ever (`ZMQ_LINGER` -1).
    linger_until: OnceLock<Option<Instant>>,
}

impl Disconnect {
    /// The endpoint is disconnected; what is queued may go until `linger_until`.
    pub(crate) fn request(&self, linger_until: Option<Instant>) {
        let _ = self.linger_until.set(linger_until);
        self.requested.cancel();
    }

    /// Whether the endpoint was disconnected.
    fn is_requested(&self) -> bool {
        self.requested.is_cancelled()
    }

    /// When a disconnected endpoint's linger runs out (`None`: not disconnected, or never).
    fn deadline(&self) -> Option<Instant> {
        self.linger_until.get().copied().flatten()
    }

    /// Resolves once the endpoint is disconnected and its linger has run out.
    async fn expired(&self) {
        self.requested.cancelled().await;
        match self.linger_until.get().copied() {
            Some(Some(until)) => tokio::time::sleep_until(until.into()).await,
            _ => std::future::pending().await,
        }
    }
}

/// Starts the task that keeps `pipe` connected to `endpoint`. `connect` opens one stream and
/// says the peer address a ZAP handler sees for it; `delayed`: an attempt takes a while (tcp),
/// which monitors hear of (`ZMQ_EVENT_CONNECT_DELAYED`). `disconnect` ends it: at once when
/// nothing is queued, else once that is written or its linger runs out.
pub(crate) fn spawn_connecter<C, F, S>(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: impl Display + Send + 'static,
    pipe: PipeId,
    delayed: bool,
    disconnect: Arc<Disconnect>,
    connect: C,
) -> JoinHandle<()>
where
    C: Fn() -> F + Send + 'static,
    F: Future<Output = io::Result<(S, Bytes)>> + Send,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let context = settings.context.clone();
    let endpoint = endpoint.to_string();
    let task_name = format!("zmtp::conn {endpoint} {}", settings.config.socket_type);
    let io = settings.any_io_thread();
    let tracked = core.clone();
    context.spawn(
        io,
        &task_name,
        tracked.track(async move {
            // Whatever it is doing, a disconnected connecter stops when its linger runs out.
            let remove = tokio::select! {
                remove = keep_connected(&core, &settings, &endpoint, pipe, delayed, &disconnect, connect) => remove,
                () = disconnect.expired() => {
                    debug!(%endpoint, "disconnected: ZMQ_LINGER ran out");
                    true
                }
            };
            if remove {
                core.remove_pipe(pipe);
            }
        }),
    )
}

/// The loop of [`spawn_connecter`]: returns `true` when the pipe should go (the socket closed
/// or the endpoint was disconnected, and nothing is left to write; `ZMQ_RECONNECT_IVL` -1 after
/// a loss), `false` when the connection's end ended the pipe itself (a protocol error, a
/// STREAM peer closed by the application): it goes once what it received is read.
async fn keep_connected<C, F, S>(
    core: &Arc<Core>,
    settings: &Arc<ConnectionSettings>,
    endpoint: &str,
    pipe: PipeId,
    delayed: bool,
    disconnect: &Disconnect,
    connect: C,
) -> bool
where
    C: Fn() -> F + Send + 'static,
    F: Future<Output = io::Result<(S, Bytes)>> + Send,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let endpoint = endpoint.to_owned();
    let gate = settings.context.handshake_gates.gate(&endpoint);
    let base = settings.reconnect_ivl;
    let mut backoff = base;
    loop {
        if lingered_out(core, pipe, disconnect) {
            break;
        }
        if delayed {
            (settings.monitors).emit(|| MonitorEvent::ConnectDelayed {
                endpoint: endpoint.clone(),
            });
        }
        // A place at the endpoint's gate first (see `handshake_gate`), held until the
        // handshake is done or the attempt fails.
        let Some(permit) = unless_let_go(core, pipe, disconnect, gate.enter()).await else {
            return true;
        };
        let Some(attempt) = unless_let_go(core, pipe, disconnect, connect()).await else {
            return true;
        };
        match attempt {
            Ok((stream, address)) => {
                let peer = String::from_utf8_lossy(&address).into_owned();
                let span = trace::connection_span(settings, &endpoint, &peer);
                span.in_scope(|| debug!("connected"));
                (settings.monitors).emit(|| MonitorEvent::Connected {
                    endpoint: endpoint.clone(),
                });
                let ends = driver::Ends {
                    core: core.clone(),
                    settings: settings.clone(),
                    slot: PipeSlot::Existing(pipe),
                    unbound: None,
                    endpoint: &endpoint,
                    permit,
                };
                let (_, ready, exit) = driver::run(ends, stream, address)
                    .instrument(span.clone())
                    .await;
                span.in_scope(|| trace::connection_ended(&exit, ready));
                (settings.monitors).connection_ended(&endpoint, &exit, ready);
                if driver::closed_by_application(settings, &exit) {
                    // A STREAM peer the application closed is not remade; the pipe goes
                    // once what was read from it is.
                    core.detach(pipe, false);
                    return false;
                }
                if exit.is_protocol_error() {
                    // libzmq 4.3's session ends on a protocol error and is not remade:
                    // a refused client does not knock again. What was queued goes; what
                    // was received stays readable.
                    debug!(%endpoint, reason = %exit, "protocol error: no reconnect");
                    core.detach(pipe, false);
                    return false;
                }
                core.detach(pipe, true);
                if ready {
                    // A connection that got through its handshake resets the backoff.
                    backoff = base;
                }
            }
            Err(e) => {
                drop(permit);
                debug!(%endpoint, error = %e, "connect failed");
                // libzmq closes the attempt's OS socket, and says so.
                (settings.monitors).emit(|| MonitorEvent::Closed {
                    endpoint: endpoint.clone(),
                });
            }
        }
        if lingered_out(core, pipe, disconnect) {
            break;
        }
        let Some(ivl) = backoff else {
            debug!(%endpoint, "no reconnect (ZMQ_RECONNECT_IVL is -1)");
            break;
        };
        let delay = jitter(ivl);
        debug!(%endpoint, ?delay, "reconnect scheduled");
        (settings.monitors).emit(|| MonitorEvent::ConnectRetried {
            endpoint: endpoint.clone(),
            interval: delay,
        });
        // A closed socket's connecter retries only until its ZMQ_LINGER runs out (a
        // disconnected one's ends then, see `spawn_connecter`).
        let wake_at = tokio::time::Instant::now() + delay;
        let wake_at = match core.closed().flatten() {
            Some(linger_until) => wake_at.min(linger_until.into()),
            None => wake_at,
        };
        let slept = tokio::time::sleep_until(wake_at);
        if unless_let_go(core, pipe, disconnect, slept).await.is_none() {
            return true;
        }
        backoff = Some(next_backoff(ivl, settings.reconnect_ivl_max));
    }
    true
}

/// `fut`'s output, unless the endpoint is disconnected meanwhile with nothing left to write:
/// then `None` at once (a connect attempt or a reconnect delay is not waited out for nothing).
async fn unless_let_go<T>(
    core: &Core,
    pipe: PipeId,
    disconnect: &Disconnect,
    fut: impl Future<Output = T>,
) -> Option<T> {
    tokio::pin!(fut);
    loop {
        tokio::select! {
            out = &mut fut => return Some(out),
            () = disconnect.requested.cancelled(), if !disconnect.is_requested() => {
                if lingered_out(core, pipe, disconnect) {
                    return None;
                }
            }
        }
    }
}

/// Whether the connecter is done: the socket is closed (or the endpoint disconnected) and
/// either nothing is left to deliver or its `ZMQ_LINGER` has run out. Until then a closed
/// socket keeps (re)connecting, so that messages sent just before the close, while the
/// connection was still being made, go out (as libzmq's session lingers for them).
fn lingered_out(core: &Core, pipe: PipeId, disconnect: &Disconnect) -> bool {
    if disconnect.is_requested() {
        return disconnect.deadline().is_some_and(|t| Instant::now() >= t)
            || core.outbound_empty(pipe);
    }
    match core.closed() {
        None => false,
        Some(linger_until) => {
            linger_until.is_some_and(|t| std::time::Instant::now() >= t)
                || core.outbound_empty(pipe)
        }
    }
}

/// Bounds one connection attempt by `ZMQ_CONNECT_TIMEOUT` (`None`: the OS's own limit).
pub(crate) async fn with_timeout<T>(
    timeout: Option<Duration>,
    attempt: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match timeout {
        Some(t) => tokio::time::timeout(t, attempt)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "ZMQ_CONNECT_TIMEOUT"))?,
        None => attempt.await,
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

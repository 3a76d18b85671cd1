//! The reconnect loop shared by the stream transports (`tcp://`, `ipc://`): connect, run the
//! connection over the stream, and after a failure or a loss try again with exponential backoff
//! (`ZMQ_RECONNECT_IVL` up to `ZMQ_RECONNECT_IVL_MAX`) until the socket disconnects or closes.
//! The transport only says how to open one stream.

use std::fmt::Display;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;
use tracing::{debug, Instrument};

use crate::core::{Core, PipeId};
use crate::engine::driver::{self, PipeSlot};
use crate::engine::{trace, ConnectionSettings};
use crate::monitor::MonitorEvent;

/// Starts the task that keeps `pipe` connected to `endpoint`. `connect` opens one stream and
/// says the peer address a ZAP handler sees for it; `delayed`: an attempt takes a while (tcp),
/// which monitors hear of (`ZMQ_EVENT_CONNECT_DELAYED`).
pub(crate) fn spawn_connecter<C, F, S>(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: impl Display + Send + 'static,
    pipe: PipeId,
    delayed: bool,
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
            let base = settings.reconnect_ivl;
            let mut backoff = base;
            loop {
                if lingered_out(&core, pipe) {
                    break;
                }
                if delayed {
                    (settings.monitors).emit(|| MonitorEvent::ConnectDelayed {
                        endpoint: endpoint.clone(),
                    });
                }
                match connect().await {
                    Ok((stream, address)) => {
                        let peer = String::from_utf8_lossy(&address).into_owned();
                        let span = trace::connection_span(&settings, &endpoint, &peer);
                        span.in_scope(|| debug!("connected"));
                        (settings.monitors).emit(|| MonitorEvent::Connected {
                            endpoint: endpoint.clone(),
                        });
                        let (_, ready, exit) = driver::run(
                            core.clone(),
                            settings.clone(),
                            PipeSlot::Existing(pipe),
                            stream,
                            address,
                            None,
                            &endpoint,
                        )
                        .instrument(span.clone())
                        .await;
                        span.in_scope(|| trace::connection_ended(&exit, ready));
                        (settings.monitors).connection_ended(&endpoint, &exit, ready);
                        if driver::closed_by_application(&settings, &exit) {
                            // A STREAM peer the application closed is not remade; the pipe goes
                            // once what was read from it is.
                            core.detach(pipe, false);
                            return;
                        }
                        core.detach(pipe, true);
                        if ready {
                            // A connection that got through its handshake resets the backoff.
                            backoff = base;
                        }
                    }
                    Err(e) => {
                        debug!(%endpoint, error = %e, "connect failed");
                        // libzmq closes the attempt's OS socket, and says so.
                        (settings.monitors).emit(|| MonitorEvent::Closed {
                            endpoint: endpoint.clone(),
                        });
                    }
                }
                if lingered_out(&core, pipe) {
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
                // A closed socket's connecter retries only until its ZMQ_LINGER runs out.
                let wake_at = tokio::time::Instant::now() + delay;
                let wake_at = match core.closed().flatten() {
                    Some(linger_until) => wake_at.min(linger_until.into()),
                    None => wake_at,
                };
                tokio::time::sleep_until(wake_at).await;
                backoff = Some(next_backoff(ivl, settings.reconnect_ivl_max));
            }
            core.remove_pipe(pipe);
        }),
    )
}

/// Whether the connecter is done: the socket is closed and either nothing is left to deliver
/// or its `ZMQ_LINGER` has run out. Until then a closed socket keeps (re)connecting, so that
/// messages sent just before the close, while the connection was still being made, go out (as
/// libzmq's session lingers for them).
fn lingered_out(core: &Core, pipe: PipeId) -> bool {
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

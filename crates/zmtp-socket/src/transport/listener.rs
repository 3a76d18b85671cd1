//! The accept loop shared by the stream transports: each accepted stream runs the connection
//! engine in its own task, with a pipe made when its handshake completes (at once for the raw
//! connections of a STREAM socket).

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, Instrument};

use crate::core::Core;
use crate::engine::driver::{self, PipeSlot};
use crate::engine::{trace, ConnectionSettings};
use crate::monitor::MonitorEvent;

/// A listening socket of some transport.
pub(crate) trait Accept: Send + Sync + 'static {
    /// The accepted streams.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// An accepted stream detached from the reactor, to move it to another I/O thread.
    type Std: Send + 'static;

    /// Detaches an accepted stream from the reactor of the thread that accepted it.
    fn into_std(stream: Self::Stream) -> io::Result<Self::Std>;

    /// Registers a detached stream with the reactor of the current thread's runtime.
    fn from_std(stream: Self::Std) -> io::Result<Self::Stream>;

    /// The next connection, with the peer address a ZAP handler sees for it.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Self::Stream, Bytes)>>;

    /// Applies the socket's transport options to an accepted stream (tcp: buffers, TOS,
    /// keepalive, `ZMQ_TCP_MAXRT`).
    fn tune(_stream: &Self::Stream, _settings: &ConnectionSettings) -> io::Result<()> {
        Ok(())
    }

    /// The local end of an accepted stream as an endpoint (`tcp://127.0.0.1:5555`), which
    /// libzmq's monitor events of the connection name; `None`: the listener's endpoint.
    fn local_endpoint(_stream: &Self::Stream) -> Option<String> {
        None
    }

    /// The peer as the accepted connection's task name shows it: for tcp its address *and
    /// port* (`127.0.0.1:53122`), which tells apart the connections of one host; `None`: the
    /// address a ZAP handler sees (an ipc peer's is empty).
    fn peer_label(_stream: &Self::Stream) -> Option<String> {
        None
    }

    /// Whether the socket's accept filters let this peer in (`ZMQ_TCP_ACCEPT_FILTER`,
    /// `ZMQ_IPC_FILTER_*`). A refused peer is closed before any ZMTP byte is sent.
    fn admit(_stream: &Self::Stream, _settings: &ConnectionSettings) -> bool {
        true
    }
}

/// The name of an accepted connection's task (for tokio-console, with `--cfg tokio_unstable`):
/// `zmtp::conn tcp://127.0.0.1:5555 ROUTER from 127.0.0.1:53122`, the peer with its port where
/// the transport has one ([`Accept::peer_label`]), else `address`.
pub(crate) fn accepted_task_name<L: Accept>(
    endpoint: &str,
    socket_type: zmtp_codec::SocketType,
    stream: &L::Stream,
    address: &str,
) -> String {
    let peer = L::peer_label(stream).unwrap_or_else(|| address.to_owned());
    format!("zmtp::conn {endpoint} {socket_type} from {peer}")
}

/// Accepts connections until the task is aborted (unbind, close); each runs in its own task,
/// on the I/O thread `ZMQ_AFFINITY` and the threads' loads choose for it (moved there from the
/// listener's thread when that is another). Cancelling `unbound` (unbind, not close) ends the
/// connections accepted here too, as libzmq does; on close they flush for `ZMQ_LINGER` instead.
pub(crate) fn spawn_listener<L: Accept>(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    listener: L,
    endpoint: String,
    unbound: CancellationToken,
) -> JoinHandle<()> {
    let context = settings.context.clone();
    let span = trace::listener_span(&settings, &endpoint);
    span.in_scope(|| info!("listening"));
    (settings.monitors).emit(|| MonitorEvent::Listening {
        endpoint: endpoint.clone(),
    });
    let task_name = format!("zmtp::listen {endpoint} {}", settings.config.socket_type);
    let listener_io = settings.any_io_thread();
    let tracked = core.clone();
    context.spawn(
        listener_io,
        &task_name,
        tracked.track(async move {
            loop {
                // A closed socket stops listening (also when its context is terminated while a
                // handle is still alive).
                let accepted = tokio::select! {
                    biased;
                    () = core.closing() => return,
                    accepted = std::future::poll_fn(|cx| listener.poll_accept(cx)) => accepted,
                };
                let (stream, address) =
                    match accepted {
                        Ok(accepted) => accepted,
                        Err(e) => {
                            info!(error = %e, "accept failed");
                            settings.monitors.emit(|| MonitorEvent::AcceptFailed {
                                endpoint: endpoint.clone(),
                                errno: e.raw_os_error().unwrap_or(0),
                            });
                            // Out of file descriptors and the like: back off a little, as libzmq does.
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                if core.closed().is_some() {
                    return;
                }
                if !L::admit(&stream, &settings) {
                    let peer = String::from_utf8_lossy(&address);
                    debug!(%peer, "refused by the socket's accept filters");
                    drop(stream);
                    continue;
                }
                if let Err(e) = L::tune(&stream, &settings) {
                    debug!(error = %e, "an accepted connection refused the socket's options");
                }
                let tracked_by = core.clone();
                let core = core.clone();
                let settings = settings.clone();
                let unbound = unbound.clone();
                let peer = String::from_utf8_lossy(&address).into_owned();
                let span = trace::connection_span(&settings, &endpoint, &peer);
                span.in_scope(|| debug!("accepted"));
                settings.monitors.emit(|| MonitorEvent::Accepted {
                    endpoint: endpoint.clone(),
                });
                let local = L::local_endpoint(&stream).unwrap_or_else(|| endpoint.clone());
                let monitors = settings.monitors.clone();
                let context = settings.context.clone();
                let task_name = accepted_task_name::<L>(
                    &endpoint,
                    settings.config.socket_type,
                    &stream,
                    &peer,
                );
                let io = context
                    .choose_io_thread(settings.affinity)
                    .unwrap_or(listener_io);
                let stream = if io == listener_io {
                    Homed::Here(stream)
                } else {
                    match L::into_std(stream) {
                        Ok(detached) => Homed::Moved(detached),
                        Err(e) => {
                            debug!(error = %e, "an accepted connection could not move to its I/O thread");
                            continue;
                        }
                    }
                };
                let connection = async move {
                    let stream = match stream {
                        Homed::Here(stream) => stream,
                        Homed::Moved(detached) => match L::from_std(detached) {
                            Ok(stream) => stream,
                            Err(e) => {
                                debug!(error = %e, "an accepted connection could not join its I/O thread");
                                return;
                            }
                        },
                    };
                    let ends = driver::Ends {
                        core: core.clone(),
                        settings,
                        slot: PipeSlot::OnReady,
                        unbound: Some(unbound),
                        endpoint: &local,
                        permit: None,
                    };
                    let (pipe, ready, exit) = driver::run(ends, stream, address).await;
                    trace::connection_ended(&exit, ready);
                    monitors.connection_ended(&local, &exit, ready);
                    if let Some(id) = pipe {
                        core.detach(id, false);
                    }
                };
                let tracked = tracked_by.track(connection.instrument(span));
                context.spawn(io, &task_name, tracked);
            }
        }
        .instrument(span)),
    )
}

/// An accepted stream on the listener's I/O thread, or detached to move to another one.
enum Homed<S, D> {
    Here(S),
    Moved(D),
}

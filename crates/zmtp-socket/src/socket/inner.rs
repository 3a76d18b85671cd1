//! What every handle of one socket shares: its core, its options, the settings new connections
//! take, its endpoints and monitors. The socket closes (with `ZMQ_LINGER`) when the last handle
//! is dropped, or at [`Socket::close`](super::Socket::close).

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use zmtp_codec::SocketType;
use zmtp_security::zap::ZapHandler;

use crate::context::Context;
use crate::core::{Core, PipeId};
use crate::endpoint::{
    Endpoint, EndpointError, EndpointErrorKind, IpcEndpoint, TcpEndpoint, TcpHost,
};
use crate::engine::ConnectionSettings;
use crate::error::{Error, Result};
use crate::monitor::{Monitor, MonitorEvent, Monitors, EVENT_ALL};
use crate::options::{OptionName, OptionValue, SocketOptions};
use crate::transport::connecter::Disconnect;
use crate::transport::socks::SocksProxy;
use crate::transport::{inproc, ipc, pgm, tcp, udp, ws, Binding};

#[derive(Debug)]
enum Attachment {
    /// A tcp accept loop, and the token that ends its connections on unbind.
    Listener(JoinHandle<()>, CancellationToken),
    /// A bound ipc or inproc endpoint: dropping it stops listening and frees the address.
    Bound(Binding),
    /// A connected endpoint's task and pipe; for tcp and ipc, how to tell its connecter of a
    /// disconnect (inproc's link ends at once).
    Connecter(JoinHandle<()>, PipeId, Option<Arc<Disconnect>>),
}

/// One socket, shared by its handles.
pub(crate) struct Inner {
    pub(crate) core: Arc<Core>,
    context: Context,
    socket_type: SocketType,
    options: Mutex<SocketOptions>,
    zap_handler: Mutex<Option<Arc<dyn ZapHandler>>>,
    endpoints: Mutex<Vec<(String, Attachment)>>,
    last_endpoint: Mutex<Option<String>>,
    /// The socket's monitors (`monitor`, `monitor_to`).
    monitors: Arc<Monitors>,
    /// Cancelled when the socket closes or `monitor_to` is called again: the task sending the
    /// events of `monitor_to` finishes then.
    monitor_to: Mutex<Option<CancellationToken>>,
    /// [`Inner::shut`] ran.
    shut: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("socket_type", &self.socket_type)
            .field("options", &*self.options.lock())
            .field("zap_handler", &self.zap_handler.lock().is_some())
            .field("endpoints", &*self.endpoints.lock())
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// A socket of `context` with `options`, checked as libzmq would check them for this
    /// socket type, doing what `pattern` does.
    pub(crate) fn new(
        context: &Context,
        socket_type: SocketType,
        pattern: Box<dyn crate::core::pattern::Pattern>,
        options: SocketOptions,
    ) -> Result<Self> {
        context.shared.check_live()?;
        let mut options = options.build_for(socket_type)?;
        let core = Core::new(pattern, &options);
        // Subscriptions given at creation are the pattern's from the start, and stored there
        // only.
        for prefix in options.take_subscriptions() {
            core.subscribe(true, &prefix)?;
        }
        context.shared.register(&core, options.get_linger());
        Ok(Inner {
            core,
            context: context.clone(),
            socket_type,
            options: Mutex::new(options),
            zap_handler: Mutex::new(None),
            endpoints: Mutex::new(Vec::new()),
            last_endpoint: Mutex::new(None),
            monitors: Arc::default(),
            monitor_to: Mutex::new(None),
            shut: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The context the socket belongs to.
    pub(crate) fn context(&self) -> &Context {
        &self.context
    }

    /// The socket type.
    pub(crate) fn socket_type(&self) -> SocketType {
        self.socket_type
    }

    /// The options as they are now (a copy).
    pub(crate) fn options(&self) -> SocketOptions {
        self.options.lock().clone()
    }

    /// `ZMQ_SNDTIMEO` now.
    pub(crate) fn sndtimeo(&self) -> Option<Duration> {
        self.options.lock().get_sndtimeo()
    }

    /// `ZMQ_RCVTIMEO` now.
    pub(crate) fn rcvtimeo(&self) -> Option<Duration> {
        self.options.lock().get_rcvtimeo()
    }

    /// Sets an option on the live socket (`zmq_setsockopt`): it applies to connections made
    /// from now on, or at once for the options libzmq applies at once (the pattern and the
    /// pipes take the options as they are after each change).
    pub(crate) fn set_option(&self, name: OptionName, value: OptionValue) -> Result<()> {
        let prefix = match (&value, name) {
            (OptionValue::Bytes(b), OptionName::Subscribe | OptionName::Unsubscribe) => b.clone(),
            (OptionValue::Str(s), OptionName::Subscribe | OptionName::Unsubscribe) => {
                bytes::Bytes::copy_from_slice(s.as_bytes())
            }
            _ => bytes::Bytes::new(),
        };
        if matches!(name, OptionName::Subscribe | OptionName::Unsubscribe) {
            // Checked as the other options are, but stored by the pattern only.
            let mut scratch = self.options.lock().clone();
            scratch.set_for(self.socket_type, name, value)?;
            return self.subscription(name == OptionName::Subscribe, &prefix);
        }
        let mut options = self.options.lock();
        options.set_for(self.socket_type, name, value)?;
        if name == OptionName::Linger {
            (self.context.shared).set_linger(&self.core, options.get_linger());
        }
        self.core.configure(&options);
        Ok(())
    }

    /// `ZMQ_SUBSCRIBE` / `ZMQ_UNSUBSCRIBE`: a SUB's (or XSUB's) own subscriptions, an
    /// XPUB_MANUAL's application of the last subscription received.
    pub(crate) fn subscription(&self, subscribe: bool, prefix: &[u8]) -> Result<()> {
        self.core.subscribe(subscribe, prefix)
    }

    pub(crate) fn set_zap_handler(&self, handler: Arc<dyn ZapHandler>) {
        *self.zap_handler.lock() = Some(handler);
    }

    /// What connections made now run with.
    fn settings(&self) -> Result<Arc<ConnectionSettings>> {
        self.context.shared.check_live()?;
        Ok(Arc::new(ConnectionSettings::from_options(
            &self.options.lock(),
            self.socket_type,
            &self.core,
            self.zap_handler.lock().clone(),
            self.context.shared.clone(),
            self.monitors.clone(),
        )?))
    }

    /// A new monitor of every event (see [`crate::monitor`]).
    pub(crate) fn monitor(&self) -> Monitor {
        self.monitors.register(EVENT_ALL)
    }

    /// `zmq_socket_monitor`: a PAIR socket bound at the `inproc://` `endpoint` in the socket's
    /// context sends the events of `mask` in libzmq's two-frame form. A later call replaces
    /// the earlier one's PAIR (which sends `MONITOR_STOPPED` if its mask has it, and closes).
    pub(crate) async fn monitor_to(&self, endpoint: &str, mask: u16) -> Result<()> {
        if !endpoint.starts_with("inproc://") {
            return Err(Error::InvalidArgument(
                "a monitor endpoint is inproc:// (EPROTONOSUPPORT)",
            ));
        }
        let mut options = SocketOptions::new();
        options.set_linger(Some(MONITOR_LINGER))?;
        let pair = crate::socket::Pair::with_options_in(&self.context, options)?;
        pair.bind(endpoint).await?;
        let stop = CancellationToken::new();
        if let Some(previous) = self.monitor_to.lock().replace(stop.clone()) {
            previous.cancel();
        }
        let monitor = self.monitors.register(mask);
        // Not a tracked connection task: `Context::term` need not wait for it (it ends when
        // this socket closes).
        self.context.shared.enter(0, || {
            tokio::spawn(forward_events(monitor, pair, mask, stop))
        });
        Ok(())
    }

    /// Binds, and returns the endpoint actually bound (the port the OS chose for `*` or `0`),
    /// as libzmq's `ZMQ_LAST_ENDPOINT` gives it.
    pub(crate) async fn bind(&self, endpoint: &str) -> Result<String> {
        let bound = match self.bind_endpoint(endpoint).await {
            Ok(bound) => bound,
            Err(e) => {
                // libzmq reports the failures of a listener (not of inproc names).
                if let Error::Io { source, .. } = &e {
                    if !endpoint.starts_with("inproc://") {
                        self.monitors.emit(|| MonitorEvent::BindFailed {
                            endpoint: endpoint.to_owned(),
                            errno: source.raw_os_error().unwrap_or(0),
                        });
                    }
                }
                return Err(e);
            }
        };
        *self.last_endpoint.lock() = Some(bound.clone());
        Ok(bound)
    }

    /// Connects (in the background: the connection is made, and remade, by its own task).
    pub(crate) async fn connect(&self, endpoint: &str) -> Result<()> {
        self.connect_returning_pipe(endpoint).map(drop)
    }

    /// Connects as [`Inner::connect`] does, answering the routing id the pattern gave the
    /// connect's pipe (a PEER's: `zmq_connect_peer`), if it gave one.
    pub(crate) fn connect_named(&self, endpoint: &str) -> Result<Option<bytes::Bytes>> {
        let pipe = self.connect_returning_pipe(endpoint)?;
        Ok(self.core.routing_id(pipe))
    }

    fn connect_returning_pipe(&self, endpoint: &str) -> Result<PipeId> {
        let pipe = self.connect_endpoint(endpoint)?;
        tracing::debug!(socket = self.socket_type.as_str(), endpoint, "connecting");
        *self.last_endpoint.lock() = Some(endpoint.to_owned());
        Ok(pipe)
    }

    /// `ZMQ_LAST_ENDPOINT`: the endpoint of the last successful bind (as bound, with the port
    /// the OS chose) or connect.
    pub(crate) fn last_endpoint(&self) -> Option<String> {
        self.last_endpoint.lock().clone()
    }

    /// Records what a bind or connect made, unless the socket closed meanwhile: then it is
    /// undone at once (dropped, or aborted), as a close would have.
    fn attach(&self, endpoint: String, attachment: Attachment) {
        if self.core.closed().is_some() {
            if let Attachment::Listener(task, _) = &attachment {
                task.abort();
            }
            return;
        }
        self.endpoints.lock().push((endpoint, attachment));
    }

    async fn bind_endpoint(&self, endpoint: &str) -> Result<String> {
        if let Some(rest) = endpoint.strip_prefix("udp://") {
            return self.bind_udp(endpoint, rest).await;
        }
        // libzmq: bind is connect for the multicast transports.
        if let Some((scheme, rest)) = pgm_scheme(endpoint) {
            self.connect_pgm(endpoint, scheme, rest)?;
            return Ok(endpoint.to_owned());
        }
        let parsed: Endpoint = endpoint.parse()?;
        self.check_stream_transport(&parsed)?;
        let settings = self.settings()?;
        match parsed {
            Endpoint::Tcp(tcp_ep) => {
                let io = settings.io_thread()?;
                let listener = tcp::bind(
                    &tcp_ep,
                    &settings.tcp,
                    settings.use_fd,
                    &settings.context,
                    io,
                )
                .await
                .map_err(|e| Error::io("bind", endpoint, e))?;
                let local = listener
                    .local_addr()
                    .map_err(|e| Error::io("bind", endpoint, e))?;
                let bound = Endpoint::Tcp(TcpEndpoint {
                    host: TcpHost::Ip(local.ip()),
                    port: local.port(),
                })
                .to_string();
                let unbound = CancellationToken::new();
                let task = tcp::spawn_listener(
                    self.core.clone(),
                    settings,
                    listener,
                    bound.clone(),
                    unbound.clone(),
                );
                self.attach(bound.clone(), Attachment::Listener(task, unbound));
                Ok(bound)
            }
            Endpoint::Ipc(ipc_ep) => {
                settings.io_thread()?;
                let (listening, bound) = ipc::bind(self.core.clone(), settings, &ipc_ep)
                    .map_err(|e| Error::io("bind", endpoint, e))?;
                self.attach(bound.clone(), Attachment::Bound(Binding::Ipc(listening)));
                Ok(bound)
            }
            Endpoint::Ws(ws_ep) => {
                let io = settings.io_thread()?;
                let listener = tcp::bind(
                    &ws::tcp_part(&ws_ep),
                    &settings.tcp,
                    settings.use_fd,
                    &settings.context,
                    io,
                )
                .await
                .map_err(|e| Error::io("bind", endpoint, e))?;
                let listener = ws::WsListener::new(listener, &settings);
                let local = listener
                    .local_addr()
                    .map_err(|e| Error::io("bind", endpoint, e))?;
                let bound = ws::bound_endpoint(local, &ws_ep.path);
                let unbound = CancellationToken::new();
                let task = ws::spawn_listener(
                    self.core.clone(),
                    settings,
                    listener,
                    bound.clone(),
                    unbound.clone(),
                );
                self.attach(bound.clone(), Attachment::Listener(task, unbound));
                Ok(bound)
            }
            Endpoint::Inproc(name) => {
                let registration = inproc::bind(self.core.clone(), settings, &name)
                    .map_err(|e| Error::io("bind", endpoint, e))?;
                self.attach(
                    endpoint.to_owned(),
                    Attachment::Bound(Binding::Inproc(registration)),
                );
                Ok(endpoint.to_owned())
            }
        }
    }

    /// `udp://`: a DISH binds (receives), as libzmq's DISH does.
    async fn bind_udp(&self, endpoint: &str, rest: &str) -> Result<String> {
        if self.socket_type != SocketType::Dish {
            return Err(Error::InvalidArgument(
                "udp:// is bound by a DISH and connected by a RADIO (libzmq: ENOCOMPATPROTO)",
            ));
        }
        let ep = udp::parse(endpoint, rest)?;
        let settings = self.settings()?;
        let (bound, task) = udp::bind(self.core.clone(), settings, endpoint, &ep).await?;
        self.attach(
            bound.clone(),
            Attachment::Listener(task, CancellationToken::new()),
        );
        Ok(bound)
    }

    /// `udp://`: a RADIO connects (sends).
    fn connect_udp(&self, endpoint: &str, rest: &str) -> Result<PipeId> {
        if self.socket_type != SocketType::Radio {
            return Err(Error::InvalidArgument(
                "udp:// is connected by a RADIO and bound by a DISH (libzmq: ENOCOMPATPROTO)",
            ));
        }
        let ep = udp::parse(endpoint, rest)?;
        let settings = self.settings()?;
        let hops = u32::try_from(self.options.lock().get_multicast_hops()).unwrap_or(1);
        let pipe = self.core.add_pipe(false);
        let task = udp::connect(self.core.clone(), settings, endpoint, ep, pipe, hops);
        self.attach(endpoint.to_owned(), Attachment::Connecter(task, pipe, None));
        Ok(pipe)
    }

    /// `epgm://` and `pgm://`: a PUB or XPUB sends, a SUB or XSUB receives
    /// (`transport::pgm`). The socket is opened here, so that what stops it (no `CAP_NET_RAW`
    /// for `pgm://`, no such interface) fails the connect.
    fn connect_pgm(&self, endpoint: &str, scheme: pgm::Scheme, rest: &str) -> Result<PipeId> {
        let sender = match self.socket_type {
            SocketType::Pub | SocketType::XPub => true,
            SocketType::Sub | SocketType::XSub => false,
            _ => {
                return Err(Error::InvalidArgument(
                    "pgm:// and epgm:// are for PUB, XPUB, SUB and XSUB sockets (libzmq: ENOCOMPATPROTO)",
                ))
            }
        };
        let ep = pgm::parse(scheme, rest)?;
        let settings = self.settings()?;
        let params = pgm::PgmParams::from_options(&self.options.lock());
        let socket = pgm::open(&ep, &params).map_err(|e| Error::io("connect", endpoint, e))?;
        let pipe = self.core.add_pipe(false);
        let task = pgm::spawn(
            self.core.clone(),
            settings,
            endpoint,
            ep,
            params,
            socket,
            pipe,
            sender,
        );
        self.attach(endpoint.to_owned(), Attachment::Connecter(task, pipe, None));
        Ok(pipe)
    }

    fn connect_endpoint(&self, endpoint: &str) -> Result<PipeId> {
        if let Some(rest) = endpoint.strip_prefix("udp://") {
            return self.connect_udp(endpoint, rest);
        }
        if let Some((scheme, rest)) = pgm_scheme(endpoint) {
            return self.connect_pgm(endpoint, scheme, rest);
        }
        let parsed: Endpoint = endpoint.parse()?;
        self.check_stream_transport(&parsed)?;
        match parsed {
            Endpoint::Tcp(tcp_ep) => {
                if tcp_ep.host == TcpHost::Any || tcp_ep.port == 0 {
                    return Err(Error::Endpoint(crate::endpoint::EndpointError {
                        endpoint: endpoint.to_owned(),
                        kind: crate::endpoint::EndpointErrorKind::BadPort(
                            "a wildcard host or port is for bind, not connect".into(),
                        ),
                    }));
                }
                // ZMQ_SOCKS_PROXY, read at connect time as libzmq reads it.
                let socks = self.options.lock().get_socks_proxy().map(str::to_owned);
                let proxy = match socks.as_deref() {
                    Some(address) => {
                        let proxy = SocksProxy::parse(address)?;
                        proxy.check_target(&tcp_ep)?;
                        Some(proxy)
                    }
                    None => None,
                };
                self.spawn_connecter(endpoint, |core, settings, pipe, disconnect| {
                    tcp::spawn_connecter(core, settings, tcp_ep, proxy, pipe, disconnect)
                })
            }
            Endpoint::Ipc(IpcEndpoint::Any) => Err(Error::Endpoint(EndpointError {
                endpoint: endpoint.to_owned(),
                kind: EndpointErrorKind::WildcardConnect,
            })),
            Endpoint::Ipc(ipc_ep) => {
                self.spawn_connecter(endpoint, |core, settings, pipe, disconnect| {
                    ipc::spawn_connecter(core, settings, ipc_ep, pipe, disconnect)
                })
            }
            Endpoint::Ws(ws_ep) => {
                if ws_ep.host == TcpHost::Any || ws_ep.port == 0 {
                    return Err(Error::Endpoint(crate::endpoint::EndpointError {
                        endpoint: endpoint.to_owned(),
                        kind: crate::endpoint::EndpointErrorKind::BadPort(
                            "a wildcard host or port is for bind, not connect".into(),
                        ),
                    }));
                }
                self.spawn_connecter(endpoint, |core, settings, pipe, disconnect| {
                    ws::spawn_connecter(core, settings, ws_ep, pipe, disconnect)
                })
            }
            Endpoint::Inproc(name) => {
                let settings = self.settings()?;
                let pipe = self.connect_pipe(&settings);
                match inproc::connect(self.core.clone(), settings, &name, pipe) {
                    Ok(task) => {
                        self.attach(endpoint.to_owned(), Attachment::Connecter(task, pipe, None));
                        Ok(pipe)
                    }
                    Err(e) => {
                        self.core.remove_pipe(pipe);
                        Err(e)
                    }
                }
            }
        }
    }

    /// A socket that speaks raw bytes to its peers (STREAM) needs a byte stream: `inproc://`,
    /// which links two sockets' pipes with no bytes in between, is refused, and so is `ws://`,
    /// which carries ZMTP frames.
    fn check_stream_transport(&self, endpoint: &Endpoint) -> Result<()> {
        if matches!(endpoint, Endpoint::Inproc(_))
            && self.core.raw().is_some_and(|raw| raw.inproc_refused)
        {
            return Err(Error::InvalidArgument(
                "a STREAM socket speaks raw bytes over tcp:// or ipc://, not inproc://",
            ));
        }
        // ws:// carries ZMTP frames (ZWS 2.0), not a raw byte stream.
        if matches!(endpoint, Endpoint::Ws(_)) && self.core.raw().is_some() {
            return Err(Error::InvalidArgument(
                "a STREAM socket (or ROUTER_RAW) speaks raw bytes over tcp:// or ipc://, not ws://",
            ));
        }
        Ok(())
    }

    /// The pipe for a connect: it takes `ZMQ_CONNECT_RID` (once) as its routing id on a ROUTER,
    /// REP or STREAM, so the peer can be addressed before the connection exists.
    /// Starts the reconnecting task of a stream transport (tcp, ipc, ws) for `endpoint`, on a
    /// pipe of its own: `spawn` gets the socket, its settings, the pipe and the endpoint's
    /// disconnect switch.
    fn spawn_connecter(
        &self,
        endpoint: &str,
        spawn: impl FnOnce(
            Arc<Core>,
            Arc<ConnectionSettings>,
            PipeId,
            Arc<Disconnect>,
        ) -> tokio::task::JoinHandle<()>,
    ) -> Result<PipeId> {
        let settings = self.settings()?;
        settings.io_thread()?;
        let pipe = self.connect_pipe(&settings);
        let disconnect = Arc::new(Disconnect::default());
        let task = spawn(self.core.clone(), settings, pipe, disconnect.clone());
        self.attach(
            endpoint.to_owned(),
            Attachment::Connecter(task, pipe, Some(disconnect)),
        );
        Ok(pipe)
    }

    fn connect_pipe(&self, settings: &ConnectionSettings) -> PipeId {
        let pipe = self.core.add_pipe(!settings.immediate);
        // Patterns that route by id take it (ROUTER, REP, STREAM); the others ignore it.
        let connect_rid = self.options.lock().take_connect_rid();
        match connect_rid {
            Some(rid) => self.core.set_connect_rid(pipe, rid),
            None => self.core.connecting(pipe),
        }
        pipe
    }

    /// Stops listening on a bound endpoint; the tcp and ipc connections accepted through it end
    /// (libzmq's `zmq_unbind`).
    pub(crate) fn unbind(&self, endpoint: &str) -> Result<()> {
        let (bound, attachment) = {
            let mut endpoints = self.endpoints.lock();
            let at = endpoints
                .iter()
                .position(|(e, a)| {
                    e == endpoint && matches!(a, Attachment::Listener(..) | Attachment::Bound(_))
                })
                .ok_or_else(|| Error::NotFound(endpoint.to_owned()))?;
            endpoints.remove(at)
        };
        if listens(&attachment) {
            self.monitors
                .emit(|| MonitorEvent::Closed { endpoint: bound });
        }
        match attachment {
            Attachment::Listener(task, unbound) => {
                task.abort();
                unbound.cancel();
            }
            Attachment::Bound(binding) => binding.release(),
            Attachment::Connecter(..) => {}
        }
        Ok(())
    }

    /// `zmq_disconnect`: the socket stops sending to and reading from a connected endpoint at
    /// once. Over tcp and ipc, what was queued for it before still goes out (connecting or
    /// reconnecting to do so) until `ZMQ_LINGER` runs out, as libzmq's session lingers; with
    /// `ZMQ_LINGER` 0 it is dropped. Over inproc the link ends at once (what was sent is in the
    /// peer's queue already).
    pub(crate) fn disconnect(&self, endpoint: &str) -> Result<()> {
        let removed = {
            let mut endpoints = self.endpoints.lock();
            let at = endpoints
                .iter()
                .position(|(e, a)| e == endpoint && matches!(a, Attachment::Connecter(..)))
                .ok_or_else(|| Error::NotFound(endpoint.to_owned()))?;
            endpoints.remove(at)
        };
        if let (_, Attachment::Connecter(task, pipe, disconnect)) = removed {
            let linger = self.options.lock().get_linger();
            match disconnect {
                Some(disconnect) if linger != Some(Duration::ZERO) => {
                    self.core.disconnect(pipe);
                    disconnect.request(linger.map(|linger| Instant::now() + linger));
                }
                _ => {
                    task.abort();
                    self.core.remove_pipe(pipe);
                }
            }
        }
        Ok(())
    }
}

/// How long the PAIR of `monitor_to` may take to pass on its last events once the socket it
/// reports on is closed.
const MONITOR_LINGER: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether the attachment is a tcp or ipc listener (monitors hear of its close; inproc names
/// report nothing, as in libzmq).
fn listens(attachment: &Attachment) -> bool {
    matches!(
        attachment,
        Attachment::Listener(..) | Attachment::Bound(Binding::Ipc(_))
    )
}

/// The task of `monitor_to`: sends each event of `monitor` on `pair` in libzmq's form,
/// waiting for a peer (and for room) while the monitored socket is open, without waiting once
/// `stop` is cancelled; ends after `MONITOR_STOPPED`.
async fn forward_events(
    mut monitor: Monitor,
    pair: crate::socket::Pair,
    mask: u16,
    stop: CancellationToken,
) {
    use futures::StreamExt;
    loop {
        let event = tokio::select! {
            event = monitor.next() => event,
            () = stop.cancelled() => break,
        };
        let Some(event) = event else { return };
        let msg = event.to_message();
        tokio::select! {
            sent = pair.send(msg.clone()) => if sent.is_err() { return },
            () = stop.cancelled() => {
                let _ = pair.try_send(msg);
                break;
            }
        }
    }
    // Stopped (socket closed, or replaced): pass on what is queued without waiting, ending
    // with MONITOR_STOPPED (the socket's, or one of our own when replaced).
    let mut stopped = false;
    while let Some(event) = monitor.try_recv() {
        stopped |= event == MonitorEvent::MonitorStopped;
        let _ = pair.try_send(event.to_message());
    }
    if !stopped && mask & crate::monitor::EVENT_MONITOR_STOPPED != 0 {
        let _ = pair.try_send(MonitorEvent::MonitorStopped.to_message());
    }
}

impl Inner {
    /// Closes the socket: listeners stop at once; connections flush what is queued for up to
    /// `ZMQ_LINGER`; sends and receives on every handle fail with
    /// [`Error::Closed`]. A second call changes nothing.
    pub(crate) fn shut(&self) {
        if self.shut.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let endpoints = std::mem::take(&mut *self.endpoints.lock());
        for (endpoint, attachment) in endpoints {
            if listens(&attachment) {
                self.monitors.emit(|| MonitorEvent::Closed {
                    endpoint: endpoint.clone(),
                });
            }
            if let Attachment::Listener(task, _) = &attachment {
                task.abort();
            }
        }
        self.monitors.stop();
        if let Some(stop) = self.monitor_to.lock().take() {
            stop.cancel();
        }
        // Closed already when its context was terminated: the first close's linger stands.
        let linger = self.options.lock().get_linger();
        self.core
            .close(linger.map(|linger| Instant::now() + linger));
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shut();
    }
}

/// `epgm://...` or `pgm://...`: the scheme and what follows it.
fn pgm_scheme(endpoint: &str) -> Option<(pgm::Scheme, &str)> {
    if let Some(rest) = endpoint.strip_prefix("epgm://") {
        Some((pgm::Scheme::Epgm, rest))
    } else {
        endpoint
            .strip_prefix("pgm://")
            .map(|rest| (pgm::Scheme::Pgm, rest))
    }
}

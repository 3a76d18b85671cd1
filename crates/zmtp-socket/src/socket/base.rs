//! What every socket has: its core, the settings new connections take, and its endpoints.

use std::sync::Arc;
use std::time::Instant;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use zmtp_codec::SocketType;
use zmtp_security::zap::ZapHandler;

use crate::context::Context;
use crate::core::pubsub::PublisherOptions;
use crate::core::{Core, PipeId};
use crate::endpoint::{
    Endpoint, EndpointError, EndpointErrorKind, IpcEndpoint, TcpEndpoint, TcpHost,
};
use crate::engine::ConnectionSettings;
use crate::error::{Error, Result};
use crate::monitor::{Monitor, MonitorEvent, Monitors, EVENT_ALL};
use crate::options::{OptionName, OptionValue, SocketOptions};
use crate::transport::socks::SocksProxy;
use crate::transport::{inproc, ipc, tcp, Binding};

#[derive(Debug)]
enum Attachment {
    /// A tcp accept loop, and the token that ends its connections on unbind.
    Listener(JoinHandle<()>, CancellationToken),
    /// A bound ipc or inproc endpoint: dropping it stops listening and frees the address.
    Bound(Binding),
    Connecter(JoinHandle<()>, PipeId),
}

/// The part of a socket common to every type.
pub(crate) struct SocketBase {
    pub(crate) core: Arc<Core>,
    context: Context,
    socket_type: SocketType,
    options: SocketOptions,
    zap_handler: Option<Arc<dyn ZapHandler>>,
    endpoints: Vec<(String, Attachment)>,
    last_endpoint: Option<String>,
    /// The socket's monitors (`monitor`, `monitor_to`).
    monitors: Arc<Monitors>,
    /// Cancelled when the socket closes or `monitor_to` is called again: the task sending the
    /// events of `monitor_to` finishes then.
    monitor_to: Option<CancellationToken>,
}

impl std::fmt::Debug for SocketBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketBase")
            .field("socket_type", &self.socket_type)
            .field("options", &self.options)
            .field("zap_handler", &self.zap_handler.is_some())
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl SocketBase {
    /// A socket of `context` with `options`, checked as libzmq would check them for this
    /// socket type.
    pub(crate) fn new(
        context: &Context,
        socket_type: SocketType,
        options: SocketOptions,
    ) -> Result<Self> {
        context.shared.check_live()?;
        let options = options.build_for(socket_type)?;
        let core = Core::new(socket_type == SocketType::Pair);
        match socket_type {
            SocketType::Pub | SocketType::XPub => {
                core.make_publisher(publisher_options(socket_type, &options));
            }
            SocketType::Sub | SocketType::XSub => {
                core.make_subscriber(socket_type == SocketType::Sub);
                if socket_type == SocketType::Sub {
                    // Given at creation, INVERT_MATCHING applies as it does set later.
                    core.set_subscriber_invert(options.get_invert_matching());
                    for prefix in options.get_subscriptions() {
                        core.subscriber_update(true, prefix)?;
                    }
                }
            }
            _ => {}
        }
        context.shared.register(&core, options.get_linger());
        apply_live_options(&core, &options);
        Ok(SocketBase {
            core,
            context: context.clone(),
            socket_type,
            options,
            zap_handler: None,
            endpoints: Vec::new(),
            last_endpoint: None,
            monitors: Arc::default(),
            monitor_to: None,
        })
    }

    /// The context the socket belongs to.
    pub(crate) fn context(&self) -> &Context {
        &self.context
    }

    pub(crate) fn options(&self) -> &SocketOptions {
        &self.options
    }

    /// Sets an option on the live socket (`zmq_setsockopt`): it applies to connections made
    /// from now on, or at once for the options libzmq applies at once.
    pub(crate) fn set_option(&mut self, name: OptionName, value: OptionValue) -> Result<()> {
        let prefix = match (&value, name) {
            (OptionValue::Bytes(b), OptionName::Subscribe | OptionName::Unsubscribe) => b.clone(),
            (OptionValue::Str(s), OptionName::Subscribe | OptionName::Unsubscribe) => {
                bytes::Bytes::copy_from_slice(s.as_bytes())
            }
            _ => bytes::Bytes::new(),
        };
        self.options.set_for(self.socket_type, name, value)?;
        match name {
            OptionName::Linger => {
                (self.context.shared).set_linger(&self.core, self.options.get_linger());
            }
            OptionName::SndHwm
            | OptionName::RcvHwm
            | OptionName::Conflate
            | OptionName::RouterHandover
            | OptionName::ProbeRouter => apply_live_options(&self.core, &self.options),
            OptionName::XpubVerbose
            | OptionName::XpubVerboser
            | OptionName::XpubManual
            | OptionName::XpubNodrop
            | OptionName::XpubWelcomeMsg
            | OptionName::InvertMatching => {
                if matches!(self.socket_type, SocketType::Pub | SocketType::XPub) {
                    let options = publisher_options(self.socket_type, &self.options);
                    self.core.set_publisher_options(options);
                } else if self.socket_type == SocketType::Sub {
                    self.core
                        .set_subscriber_invert(self.options.get_invert_matching());
                }
            }
            OptionName::Subscribe | OptionName::Unsubscribe => {
                self.subscription(name == OptionName::Subscribe, &prefix)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// `ZMQ_SUBSCRIBE` / `ZMQ_UNSUBSCRIBE`: a SUB's own subscriptions, an XPUB_MANUAL's
    /// subscriptions for the peer it last heard one from.
    pub(crate) fn subscription(&self, subscribe: bool, prefix: &[u8]) -> Result<()> {
        match self.socket_type {
            SocketType::Pub | SocketType::XPub => {
                self.core.manual_subscription(subscribe, prefix);
                Ok(())
            }
            _ => self.core.subscriber_update(subscribe, prefix),
        }
    }

    pub(crate) fn set_zap_handler(&mut self, handler: Arc<dyn ZapHandler>) {
        self.zap_handler = Some(handler);
    }

    /// What connections made now run with.
    fn settings(&self) -> Result<Arc<ConnectionSettings>> {
        self.context.shared.check_live()?;
        Ok(Arc::new(ConnectionSettings::from_options(
            &self.options,
            self.socket_type,
            self.zap_handler.clone(),
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
    pub(crate) async fn monitor_to(&mut self, endpoint: &str, mask: u16) -> Result<()> {
        if !endpoint.starts_with("inproc://") {
            return Err(Error::InvalidArgument(
                "a monitor endpoint is inproc:// (EPROTONOSUPPORT)",
            ));
        }
        let mut options = SocketOptions::new();
        options.set_linger(Some(MONITOR_LINGER))?;
        let mut pair = crate::socket::Pair::with_options_in(&self.context, options)?;
        pair.bind(endpoint).await?;
        if let Some(previous) = self.monitor_to.take() {
            previous.cancel();
        }
        let stop = CancellationToken::new();
        self.monitor_to = Some(stop.clone());
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
    pub(crate) async fn bind(&mut self, endpoint: &str) -> Result<String> {
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
        self.last_endpoint = Some(bound.clone());
        Ok(bound)
    }

    /// Connects (in the background: the connection is made, and remade, by its own task).
    pub(crate) async fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.connect_endpoint(endpoint).await?;
        tracing::debug!(socket = self.socket_type.as_str(), endpoint, "connecting");
        self.last_endpoint = Some(endpoint.to_owned());
        Ok(())
    }

    /// `ZMQ_LAST_ENDPOINT`: the endpoint of the last successful bind (as bound, with the port
    /// the OS chose) or connect.
    pub(crate) fn last_endpoint(&self) -> Option<&str> {
        self.last_endpoint.as_deref()
    }

    async fn bind_endpoint(&mut self, endpoint: &str) -> Result<String> {
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
                self.endpoints
                    .push((bound.clone(), Attachment::Listener(task, unbound)));
                Ok(bound)
            }
            Endpoint::Ipc(ipc_ep) => {
                settings.io_thread()?;
                let (listening, bound) = ipc::bind(self.core.clone(), settings, &ipc_ep)
                    .map_err(|e| Error::io("bind", endpoint, e))?;
                self.endpoints
                    .push((bound.clone(), Attachment::Bound(Binding::Ipc(listening))));
                Ok(bound)
            }
            Endpoint::Inproc(name) => {
                let registration = inproc::bind(self.core.clone(), settings, &name)
                    .map_err(|e| Error::io("bind", endpoint, e))?;
                self.endpoints.push((
                    endpoint.to_owned(),
                    Attachment::Bound(Binding::Inproc(registration)),
                ));
                Ok(endpoint.to_owned())
            }
        }
    }

    async fn connect_endpoint(&mut self, endpoint: &str) -> Result<()> {
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
                let proxy = match self.options.get_socks_proxy() {
                    Some(address) => {
                        let proxy = SocksProxy::parse(address)?;
                        proxy.check_target(&tcp_ep)?;
                        Some(proxy)
                    }
                    None => None,
                };
                let settings = self.settings()?;
                settings.io_thread()?;
                let pipe = self.connect_pipe(&settings);
                let task = tcp::spawn_connecter(self.core.clone(), settings, tcp_ep, proxy, pipe);
                self.endpoints
                    .push((endpoint.to_owned(), Attachment::Connecter(task, pipe)));
                Ok(())
            }
            Endpoint::Ipc(IpcEndpoint::Any) => Err(Error::Endpoint(EndpointError {
                endpoint: endpoint.to_owned(),
                kind: EndpointErrorKind::WildcardConnect,
            })),
            Endpoint::Ipc(ipc_ep) => {
                let settings = self.settings()?;
                settings.io_thread()?;
                let pipe = self.connect_pipe(&settings);
                let task = ipc::spawn_connecter(self.core.clone(), settings, ipc_ep, pipe);
                self.endpoints
                    .push((endpoint.to_owned(), Attachment::Connecter(task, pipe)));
                Ok(())
            }
            Endpoint::Inproc(name) => {
                let settings = self.settings()?;
                let pipe = self.connect_pipe(&settings);
                match inproc::connect(self.core.clone(), settings, &name, pipe) {
                    Ok(task) => {
                        self.endpoints
                            .push((endpoint.to_owned(), Attachment::Connecter(task, pipe)));
                        Ok(())
                    }
                    Err(e) => {
                        self.core.remove_pipe(pipe);
                        Err(e)
                    }
                }
            }
        }
    }

    /// A STREAM socket speaks raw bytes to peers over a byte stream: `inproc://`, which links
    /// two sockets' pipes with no bytes in between, is refused.
    fn check_stream_transport(&self, endpoint: &Endpoint) -> Result<()> {
        if self.socket_type == SocketType::Stream && matches!(endpoint, Endpoint::Inproc(_)) {
            return Err(Error::InvalidArgument(
                "a STREAM socket speaks raw bytes over tcp:// or ipc://, not inproc://",
            ));
        }
        Ok(())
    }

    /// The pipe for a connect: it takes `ZMQ_CONNECT_RID` (once) as its routing id on a ROUTER,
    /// REP or STREAM, so the peer can be addressed before the connection exists.
    fn connect_pipe(&mut self, settings: &ConnectionSettings) -> PipeId {
        let (sndhwm, rcvhwm) = self.core.hwm();
        let pipe = self.core.add_pipe(sndhwm, rcvhwm, !settings.immediate);
        if matches!(
            self.socket_type,
            SocketType::Router | SocketType::Rep | SocketType::Stream
        ) {
            if let Some(rid) = self.options.take_connect_rid() {
                self.core.set_connect_rid(pipe, rid);
            }
        }
        pipe
    }

    /// Stops listening on a bound endpoint; the tcp and ipc connections accepted through it end
    /// (libzmq's `zmq_unbind`).
    pub(crate) fn unbind(&mut self, endpoint: &str) -> Result<()> {
        let at = self
            .endpoints
            .iter()
            .position(|(e, a)| {
                e == endpoint && matches!(a, Attachment::Listener(..) | Attachment::Bound(_))
            })
            .ok_or_else(|| Error::NotFound(endpoint.to_owned()))?;
        let (bound, attachment) = self.endpoints.remove(at);
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

    /// Drops a connected endpoint: its connection and its queued messages.
    pub(crate) fn disconnect(&mut self, endpoint: &str) -> Result<()> {
        let at = self
            .endpoints
            .iter()
            .position(|(e, a)| e == endpoint && matches!(a, Attachment::Connecter(..)))
            .ok_or_else(|| Error::NotFound(endpoint.to_owned()))?;
        if let (_, Attachment::Connecter(task, pipe)) = self.endpoints.remove(at) {
            task.abort();
            self.core.remove_pipe(pipe);
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
    mut pair: crate::socket::Pair,
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

/// What a PUB or XPUB's fan-out consults, from its options as they are now.
fn publisher_options(socket_type: SocketType, options: &SocketOptions) -> PublisherOptions {
    PublisherOptions {
        xpub: socket_type == SocketType::XPub,
        verbose: options.get_xpub_verbose() || options.get_xpub_verboser(),
        verboser: options.get_xpub_verboser(),
        manual: options.get_xpub_manual(),
        nodrop: options.get_xpub_nodrop(),
        invert: options.get_invert_matching(),
        welcome: options.get_xpub_welcome_msg().cloned(),
    }
}

/// Gives the core the options it consults itself, as they are now: the high-water marks (which
/// reach existing pipes, as in libzmq 4.2+) and the routing flags read when a peer attaches.
fn apply_live_options(core: &Core, options: &SocketOptions) {
    let hwm = |v: i32| usize::try_from(v).unwrap_or(0);
    core.set_hwm(hwm(options.get_sndhwm()), hwm(options.get_rcvhwm()));
    core.set_routing_options(options.get_router_handover(), options.get_probe_router());
    core.set_conflate(options.get_conflate());
}

impl Drop for SocketBase {
    fn drop(&mut self) {
        // Listeners stop at once; connections flush what is queued for up to ZMQ_LINGER.
        for (endpoint, attachment) in &self.endpoints {
            if listens(attachment) {
                self.monitors.emit(|| MonitorEvent::Closed {
                    endpoint: endpoint.clone(),
                });
            }
            if let Attachment::Listener(task, _) = attachment {
                task.abort();
            }
        }
        self.monitors.stop();
        if let Some(stop) = self.monitor_to.take() {
            stop.cancel();
        }
        self.core.close(
            self.options
                .get_linger()
                .map(|linger| Instant::now() + linger),
        );
    }
}

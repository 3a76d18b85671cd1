//! What a connection takes from its socket's options at bind or connect time (libzmq applies
//! most options to connections made after they change).

use std::sync::Arc;
use std::time::Duration;

use zmtp_codec::{Config, Mechanism, SocketType};
use zmtp_security::zap::ZapHandler;
use zmtp_security::{CurveClient, CurveServer, Null, PlainClient, PlainServer};

use crate::context::Shared;
use crate::core::PeerAttach;
use crate::engine::zap::ZapRoute;
use crate::options::{OptionError, OptionName, Security, SocketOptions};

/// A snapshot of the options a connection runs with.
#[derive(Clone)]
pub(crate) struct ConnectionSettings {
    /// Codec settings: socket type, routing id, size limit, handshake and heartbeat timers.
    pub(crate) config: Config,
    pub(crate) security: Security,
    pub(crate) zap_handler: Option<Arc<dyn ZapHandler>>,
    /// `ZMQ_SNDHWM` and `ZMQ_RCVHWM` in messages (0: unbounded).
    pub(crate) sndhwm: usize,
    pub(crate) rcvhwm: usize,
    /// `ZMQ_IMMEDIATE`.
    pub(crate) immediate: bool,
    /// `ZMQ_RECONNECT_IVL` (`None`: never reconnect, libzmq's -1) and `ZMQ_RECONNECT_IVL_MAX`
    /// (zero: no backoff growth).
    pub(crate) reconnect_ivl: Option<Duration>,
    pub(crate) reconnect_ivl_max: Duration,
    /// `ZMQ_CONNECT_TIMEOUT` (`None`: the OS's).
    pub(crate) connect_timeout: Option<Duration>,
    /// `ZMQ_PROBE_ROUTER` and `ZMQ_ROUTER_HANDOVER`, for attaching the pipe.
    pub(crate) probe_router: bool,
    pub(crate) router_handover: bool,
    /// Where the connection's tasks run, and the inproc namespace.
    pub(crate) context: Arc<Shared>,
}

impl std::fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("config", &self.config)
            .field("security", &self.security)
            .field("zap_handler", &self.zap_handler.is_some())
            .field("sndhwm", &self.sndhwm)
            .field("rcvhwm", &self.rcvhwm)
            .field("immediate", &self.immediate)
            .field("reconnect_ivl", &self.reconnect_ivl)
            .field("reconnect_ivl_max", &self.reconnect_ivl_max)
            .field("connect_timeout", &self.connect_timeout)
            .field("probe_router", &self.probe_router)
            .field("router_handover", &self.router_handover)
            .finish_non_exhaustive()
    }
}

impl ConnectionSettings {
    /// The settings new connections of a `socket_type` socket take from `options`.
    pub(crate) fn from_options(
        options: &SocketOptions,
        socket_type: SocketType,
        zap_handler: Option<Arc<dyn ZapHandler>>,
        context: Arc<Shared>,
    ) -> Result<ConnectionSettings, OptionError> {
        let security = options.security()?;
        if matches!(security, Security::Gssapi(_)) {
            return Err(OptionError::Invalid {
                option: OptionName::GssapiServer,
                reason: "GSSAPI sockets are not available yet (the mechanism is, in zmtp-security)"
                    .into(),
            });
        }
        let hwm = |v: i32| usize::try_from(v).unwrap_or(0);
        Ok(ConnectionSettings {
            config: options.connection_config(socket_type),
            security,
            zap_handler,
            sndhwm: hwm(options.get_sndhwm()),
            rcvhwm: hwm(options.get_rcvhwm()),
            immediate: options.get_immediate(),
            reconnect_ivl: options.get_reconnect_ivl(),
            reconnect_ivl_max: options.get_reconnect_ivl_max().unwrap_or_default(),
            connect_timeout: options.get_connect_timeout(),
            probe_router: options.get_probe_router(),
            router_handover: options.get_router_handover(),
            context,
        })
    }

    /// How a pipe whose peer has `identity` joins the socket (routing id, probe).
    pub(crate) fn peer_attach(&self, identity: Option<&bytes::Bytes>) -> PeerAttach {
        let routing = matches!(
            self.config.socket_type,
            SocketType::Router | SocketType::Rep
        );
        PeerAttach {
            routing,
            identity: identity.cloned(),
            handover: self.router_handover,
            probe: self.probe_router,
        }
    }

    /// Who answers ZAP requests for a connection starting now (see [`ZapRoute::find`]).
    pub(crate) fn zap_route(&self) -> Option<ZapRoute> {
        ZapRoute::find(self.zap_handler.as_ref(), &self.context)
    }

    /// A fresh mechanism for one connection. ZAP is asked when a handler exists (`zap`: NULL
    /// only with a ZAP domain too), as libzmq decides.
    pub(crate) fn mechanism(&self, zap: bool) -> Box<dyn Mechanism> {
        match &self.security {
            Security::Null if zap && !self.config.zap_domain.is_empty() => {
                Box::new(Null::with_zap())
            }
            Security::PlainClient(creds) => Box::new(PlainClient::new(creds.clone())),
            Security::PlainServer => Box::new(PlainServer::new()),
            Security::CurveClient { keys, server } => {
                Box::new(CurveClient::new(keys.clone(), *server))
            }
            Security::CurveServer(keys) => Box::new(CurveServer::new(keys.clone()).with_zap(zap)),
            // Refused in `from_options`; NULL is the only other choice.
            Security::Null | Security::Gssapi(_) => Box::new(Null::new()),
        }
    }
}

//! What a connection takes from its socket's options at bind or connect time (libzmq applies
//! most options to connections made after they change).

use std::sync::Arc;
use std::time::Duration;

use zmtp_codec::{Config, Mechanism};
use zmtp_security::zap::ZapHandler;
use zmtp_security::{
    CurveClient, CurveKeyPair, CurvePublicKey, CurveServer, Null, PlainClient, PlainCredentials,
    PlainServer,
};

/// The security mechanism a connection runs, and its side.
// The PLAIN and CURVE choices are made from the socket options (ZMQ_PLAIN_*, ZMQ_CURVE_*), which
// the options module wires in next; until then only NULL is constructed.
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub(crate) enum MechanismChoice {
    /// NULL; asks ZAP when the socket has a ZAP domain and a handler exists.
    Null,
    /// PLAIN client (`ZMQ_PLAIN_USERNAME` / `ZMQ_PLAIN_PASSWORD`).
    PlainClient(PlainCredentials),
    /// PLAIN server (`ZMQ_PLAIN_SERVER`).
    PlainServer,
    /// CURVE client (`ZMQ_CURVE_SERVERKEY` and the client's key pair).
    CurveClient {
        keys: CurveKeyPair,
        server: CurvePublicKey,
    },
    /// CURVE server (`ZMQ_CURVE_SERVER` and the server's key pair).
    CurveServer(CurveKeyPair),
}

impl MechanismChoice {
    /// A fresh mechanism for one connection. `zap` says whether a ZAP handler is there to ask.
    pub(crate) fn build(&self, zap: bool, has_domain: bool) -> Box<dyn Mechanism> {
        match self {
            MechanismChoice::Null if zap && has_domain => Box::new(Null::with_zap()),
            MechanismChoice::Null => Box::new(Null::new()),
            MechanismChoice::PlainClient(creds) => Box::new(PlainClient::new(creds.clone())),
            MechanismChoice::PlainServer => Box::new(PlainServer::new()),
            MechanismChoice::CurveClient { keys, server } => {
                Box::new(CurveClient::new(keys.clone(), *server))
            }
            MechanismChoice::CurveServer(keys) => {
                Box::new(CurveServer::new(keys.clone()).with_zap(zap))
            }
        }
    }
}

/// A snapshot of the options a connection runs with.
#[derive(Clone)]
pub(crate) struct ConnectionSettings {
    /// Codec settings: socket type, routing id, size limit, handshake and heartbeat timers.
    pub(crate) config: Config,
    pub(crate) mechanism: MechanismChoice,
    pub(crate) zap_handler: Option<Arc<dyn ZapHandler>>,
    /// `ZMQ_SNDHWM` and `ZMQ_RCVHWM` in messages (0: unbounded).
    pub(crate) sndhwm: usize,
    pub(crate) rcvhwm: usize,
    /// `ZMQ_IMMEDIATE`.
    pub(crate) immediate: bool,
    /// `ZMQ_RECONNECT_IVL` (`None`: never reconnect, libzmq's -1) and `ZMQ_RECONNECT_IVL_MAX`.
    pub(crate) reconnect_ivl: Option<Duration>,
    pub(crate) reconnect_ivl_max: Duration,
    /// `ZMQ_CONNECT_TIMEOUT` (`None`: the OS's).
    pub(crate) connect_timeout: Option<Duration>,
}

impl std::fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("config", &self.config)
            .field("mechanism", &self.mechanism)
            .field("zap_handler", &self.zap_handler.is_some())
            .field("sndhwm", &self.sndhwm)
            .field("rcvhwm", &self.rcvhwm)
            .field("immediate", &self.immediate)
            .field("reconnect_ivl", &self.reconnect_ivl)
            .field("reconnect_ivl_max", &self.reconnect_ivl_max)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl ConnectionSettings {
    /// libzmq's defaults for a socket of `config`'s type, with NULL security.
    pub(crate) fn new(config: Config) -> ConnectionSettings {
        ConnectionSettings {
            config,
            mechanism: MechanismChoice::Null,
            zap_handler: None,
            sndhwm: 1000,
            rcvhwm: 1000,
            immediate: false,
            reconnect_ivl: Some(Duration::from_millis(100)),
            reconnect_ivl_max: Duration::ZERO,
            connect_timeout: None,
        }
    }

    /// The mechanism for one new connection.
    pub(crate) fn mechanism(&self) -> Box<dyn Mechanism> {
        self.mechanism.build(
            self.zap_handler.is_some(),
            !self.config.zap_domain.is_empty(),
        )
    }
}

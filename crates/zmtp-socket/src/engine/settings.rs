//! What a connection takes from its socket's options at bind or connect time (libzmq applies
//! most options to connections made after they change).

use std::sync::Arc;
use std::time::Duration;

use zmtp_codec::{Config, Mechanism, SocketType};
use zmtp_security::zap::ZapHandler;
use zmtp_security::{CurveClient, CurveServer, Null, PlainClient, PlainServer};

use crate::context::{IoIndex, Shared};
use crate::core::Core;
use crate::engine::zap::ZapRoute;
use crate::monitor::Monitors;
use crate::options::{OptionError, OptionName, Security, SocketOptions};
use crate::transport::tcp_tuning::TcpTuning;

/// Who a listener lets in: peers of an address in one of `tcp` (empty: anyone); ipc peers whose
/// user, group or process id is listed (all empty: anyone).
#[derive(Clone, Debug, Default)]
pub(crate) struct AcceptFilters {
    pub(crate) tcp: Vec<crate::options::TcpAcceptFilter>,
    pub(crate) uids: std::collections::BTreeSet<u32>,
    pub(crate) gids: std::collections::BTreeSet<u32>,
    pub(crate) pids: std::collections::BTreeSet<i32>,
}

/// A snapshot of the options a connection runs with.
#[derive(Clone)]
pub(crate) struct ConnectionSettings {
    /// Codec settings: socket type, routing id, size limit, handshake and heartbeat timers.
    pub(crate) config: Config,
    pub(crate) security: Security,
    pub(crate) zap_handler: Option<Arc<dyn ZapHandler>>,
    /// `ZMQ_IMMEDIATE`.
    pub(crate) immediate: bool,
    /// `ZMQ_RECONNECT_IVL` (`None`: never reconnect, libzmq's -1) and `ZMQ_RECONNECT_IVL_MAX`
    /// (zero: no backoff growth).
    pub(crate) reconnect_ivl: Option<Duration>,
    pub(crate) reconnect_ivl_max: Duration,
    /// `ZMQ_CONNECT_TIMEOUT` (`None`: the OS's).
    pub(crate) connect_timeout: Option<Duration>,
    /// The TCP options, for the OS sockets of tcp endpoints.
    pub(crate) tcp: TcpTuning,
    /// `ZMQ_USE_FD`: bind on this listening descriptor (duplicated) instead of a new socket.
    pub(crate) use_fd: Option<i32>,
    /// `ZMQ_TCP_ACCEPT_FILTER` and `ZMQ_IPC_FILTER_*`: who a listener lets in.
    pub(crate) accept_filters: AcceptFilters,
    /// Where the connection's tasks run, and the inproc namespace.
    pub(crate) context: Arc<Shared>,
    /// `ZMQ_AFFINITY`: which of the context's I/O threads may run the connections.
    pub(crate) affinity: u64,
    /// The I/O thread chosen for the listener or reconnect loop when the bind or connect was
    /// made (`None`: `affinity` names none of the context's threads).
    pub(crate) io_thread: Option<IoIndex>,
    /// The socket's monitors, told of lifecycle events (never per message).
    pub(crate) monitors: Arc<Monitors>,
    /// Raw bytes instead of ZMTP on tcp and ipc connections: a STREAM socket, or a ROUTER with
    /// `ZMQ_ROUTER_RAW` (see [`super::raw`]).
    pub(crate) raw: bool,
    /// `ZMQ_STREAM_NOTIFY`: a raw connection's start and end reach the application as an empty
    /// message (always on for `ZMQ_ROUTER_RAW`, which has no such option).
    pub(crate) raw_notify: bool,
    /// A sender may write to an idle connection, and a receiver read it, from its own task
    /// (the pattern's [`inline_io`](crate::core::pattern::Pattern::inline_io)).
    pub(crate) inline_io: bool,
}

impl std::fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("config", &self.config)
            .field("security", &self.security)
            .field("zap_handler", &self.zap_handler.is_some())
            .field("immediate", &self.immediate)
            .field("reconnect_ivl", &self.reconnect_ivl)
            .field("reconnect_ivl_max", &self.reconnect_ivl_max)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl ConnectionSettings {
    /// The settings new connections of a `socket_type` socket take from `options`.
    pub(crate) fn from_options(
        options: &SocketOptions,
        socket_type: SocketType,
        core: &Core,
        zap_handler: Option<Arc<dyn ZapHandler>>,
        context: Arc<Shared>,
        monitors: Arc<Monitors>,
    ) -> Result<ConnectionSettings, OptionError> {
        let security = options.security()?;
        if let Security::Gssapi(gssapi) = &security {
            if !cfg!(feature = "gssapi") {
                return Err(OptionError::Invalid {
                    option: OptionName::GssapiServer,
                    reason: "zmtp was built without its `gssapi` feature".into(),
                });
            }
            gssapi.validate().map_err(|e| OptionError::Invalid {
                option: OptionName::GssapiPrincipal,
                reason: e.to_string(),
            })?;
        }
        let raw = core.raw();
        Ok(ConnectionSettings {
            config: options.connection_config(socket_type),
            security,
            zap_handler,
            immediate: options.get_immediate(),
            reconnect_ivl: options.get_reconnect_ivl(),
            reconnect_ivl_max: options.get_reconnect_ivl_max().unwrap_or_default(),
            connect_timeout: options.get_connect_timeout(),
            tcp: TcpTuning::from_options(options),
            use_fd: options.get_use_fd(),
            accept_filters: AcceptFilters {
                tcp: options.get_tcp_accept_filters().to_vec(),
                uids: options.get_ipc_filter_uids().clone(),
                gids: options.get_ipc_filter_gids().clone(),
                pids: options.get_ipc_filter_pids().clone(),
            },
            io_thread: context.choose_io_thread(options.get_affinity()),
            affinity: options.get_affinity(),
            context,
            monitors,
            raw: raw.is_some(),
            raw_notify: raw.is_some_and(|raw| raw.notify),
            inline_io: core.inline_io(),
        })
    }

    /// Who answers ZAP requests for a connection starting now (see [`ZapRoute::find`]).
    /// The I/O thread of a tcp or ipc listener or reconnect loop, or libzmq's `EMTHREAD` when
    /// `ZMQ_AFFINITY` names none of the context's threads.
    pub(crate) fn io_thread(&self) -> crate::error::Result<IoIndex> {
        self.io_thread.ok_or(crate::error::Error::NoIoThread {
            affinity: self.affinity,
            io_threads: self.context.io_threads(),
        })
    }

    /// Any I/O thread, for the tasks libzmq runs without one (inproc links, monitors): the
    /// chosen one, else the least loaded of all.
    pub(crate) fn any_io_thread(&self) -> IoIndex {
        self.io_thread
            .or_else(|| self.context.choose_io_thread(0))
            .unwrap_or(0)
    }

    pub(crate) fn zap_route(&self) -> Option<ZapRoute> {
        ZapRoute::find(self.zap_handler.as_ref(), &self.context)
    }

    /// A fresh mechanism for one connection. ZAP is asked when a handler exists (`zap`: NULL
    /// only with a ZAP domain too), as libzmq decides.
    /// Fails only for options `from_options` refuses (checked there), so never in practice.
    pub(crate) fn mechanism(&self, zap: bool) -> Result<Box<dyn Mechanism>, String> {
        Ok(match &self.security {
            Security::Null if zap && !self.config.zap_domain.is_empty() => {
                Box::new(Null::with_zap())
            }
            Security::PlainClient(creds) => Box::new(PlainClient::new(creds.clone())),
            Security::PlainServer => Box::new(PlainServer::new()),
            Security::CurveClient { keys, server } => {
                Box::new(CurveClient::new(keys.clone(), *server))
            }
            Security::CurveServer(keys) => Box::new(CurveServer::new(keys.clone()).with_zap(zap)),
            // Validated in `from_options`, so the mechanism is made. Its GSS-API calls block
            // (a KDC round trip at most): they run on the context's I/O thread, not on the
            // application's runtime.
            #[cfg(feature = "gssapi")]
            Security::Gssapi(options) => zmtp_security::gssapi::mechanism(options, zap)
                .map_err(|e| format!("GSSAPI options: {e}"))?,
            // Refused in `from_options` without the feature; NULL is the only other choice.
            #[cfg(not(feature = "gssapi"))]
            Security::Gssapi(_) => Box::new(Null::new()),
            Security::Null => Box::new(Null::new()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;
    use crate::core::test_support::core_with;

    /// Debug shows what a connection will run with, and whether a ZAP handler is installed (not
    /// the handler: a closure has nothing to show).
    #[test]
    fn debug_shows_the_settings_and_whether_a_handler_is_set() {
        let ctx = Context::on_caller_runtime();
        let options = SocketOptions::new().immediate(true);
        let core = core_with(SocketType::Dealer, options.clone());
        let handler: Arc<dyn ZapHandler> =
            Arc::new(|_: zmtp_codec::ZapRequest| async { zmtp_codec::ZapReply::accept("alice") });
        let settings = ConnectionSettings::from_options(
            &options
                .build_for(SocketType::Dealer)
                .expect("valid options"),
            SocketType::Dealer,
            &core,
            Some(handler),
            ctx.shared.clone(),
            Arc::new(Monitors::default()),
        )
        .expect("settings");
        let shown = format!("{settings:?}");
        assert!(shown.starts_with("ConnectionSettings {"), "{shown}");
        assert!(shown.contains("security: Null"), "{shown}");
        assert!(shown.contains("zap_handler: true"), "{shown}");
        assert!(shown.contains("immediate: true"), "{shown}");
    }
}

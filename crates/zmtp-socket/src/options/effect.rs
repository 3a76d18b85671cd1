//! When a changed option takes effect on a live socket, in libzmq.
//!
//! libzmq lets every option of the table be set at any time; none is refused because the socket
//! is bound or connected. What differs is when the new value is used. libzmq copies the socket's
//! options into each listener when `zmq_bind` is called and into each session when
//! `zmq_connect` is called; the connections those make or accept later, reconnections
//! included, run with that copy. So most options reach only binds and connects made after the
//! change ([`OptionEffect::NextBindOrConnect`]), as the man page says of the security options.
//! The few the socket itself consults act at once.

use super::name::OptionName;

/// When a change of an option takes effect (libzmq 4.2 and 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionEffect {
    /// The socket consults it on every operation, or applies it to its existing connections
    /// when it changes: timeouts, linger, subscriptions, the routing modes of ROUTER, REQ and
    /// XPUB, and the high-water marks (libzmq resizes existing pipes since 4.2).
    Immediate,
    /// Read by the socket each time a connection is attached (made, accepted or re-made): the
    /// connections already attached are not affected (`ZMQ_PROBE_ROUTER`,
    /// `ZMQ_XPUB_WELCOME_MSG`).
    NextConnection,
    /// Copied when `bind` or `connect` is called: endpoints set up before the change, and every
    /// connection they make or accept later (reconnections too), keep the old value.
    NextBindOrConnect,
    /// Used by the next `connect` only, then forgotten (`ZMQ_CONNECT_RID`).
    NextConnectOnly,
}

impl OptionName {
    /// When a change of this option takes effect on a live socket, as libzmq does it.
    pub const fn effect(self) -> OptionEffect {
        use OptionName::*;
        match self {
            SndHwm | RcvHwm | SndTimeo | RcvTimeo | Linger | Subscribe | Unsubscribe
            | RouterMandatory | RouterHandover | ReqCorrelate | ReqRelaxed | XpubVerbose
            | XpubVerboser | XpubManual | XpubNodrop | InvertMatching => OptionEffect::Immediate,
            ProbeRouter | XpubWelcomeMsg => OptionEffect::NextConnection,
            ConnectRid => OptionEffect::NextConnectOnly,
            // Copied into listeners and sessions: everything about the transport, the
            // handshake, security, ZAP, heartbeats, reconnection, and also ZMQ_CONFLATE and
            // ZMQ_IMMEDIATE (pipes are made per session), ZMQ_ROUTER_RAW and
            // ZMQ_STREAM_NOTIFY (read by the engine from its copy), ZMQ_IDENTITY (sent in each
            // handshake from the session's copy).
            Affinity
            | Backlog
            | Conflate
            | ConnectTimeout
            | CurvePublicKey
            | CurveSecretKey
            | CurveServer
            | CurveServerKey
            | GssapiPlaintext
            | GssapiPrincipal
            | GssapiServer
            | GssapiServicePrincipal
            | HandshakeIvl
            | HeartbeatIvl
            | HeartbeatTimeout
            | HeartbeatTtl
            | Identity
            | Immediate
            | Ipv6
            | MaxMsgSize
            | MulticastHops
            | MulticastMaxTpdu
            | PlainPassword
            | PlainServer
            | PlainUsername
            | UseFd
            | Rate
            | RcvBuf
            | ReconnectIvl
            | ReconnectIvlMax
            | RecoveryIvl
            | RouterRaw
            | SndBuf
            | SocksProxy
            | StreamNotify
            | TcpKeepalive
            | TcpKeepaliveCnt
            | TcpKeepaliveIdle
            | TcpKeepaliveIntvl
            | TcpMaxRt
            | Tos
            | ZapDomain
            | TcpAcceptFilter
            | IpcFilterGid
            | IpcFilterPid
            | IpcFilterUid
            | Ipv4Only
            | VmciBufferSize
            | VmciBufferMinSize
            | VmciBufferMaxSize
            | VmciConnectTimeout
            | GssapiPrincipalNametype
            | GssapiServicePrincipalNametype => OptionEffect::NextBindOrConnect,
        }
    }

    /// Whether libzmq lets the option change on a live (bound or connected) socket: always.
    /// See [`OptionName::effect`] for when the change is used.
    pub const fn settable_when_live(self) -> bool {
        true
    }

    /// Whether sockets of this crate act on the option today. The TCP options (`ZMQ_SNDBUF`,
    /// `ZMQ_RCVBUF`, `ZMQ_TOS`, keepalive, `ZMQ_TCP_MAXRT`, `ZMQ_IPV6` / `ZMQ_IPV4ONLY`) act
    /// on tcp endpoints, as in libzmq (which leaves ipc sockets alone), `ZMQ_BACKLOG` on tcp
    /// and ipc listeners; `ZMQ_AFFINITY` picks the I/O thread; the accept filters
    /// (`ZMQ_TCP_ACCEPT_FILTER`, `ZMQ_IPC_FILTER_*`) on tcp and ipc listeners, as does
    /// `ZMQ_USE_FD`; STREAM's `ZMQ_STREAM_NOTIFY` and ROUTER's `ZMQ_ROUTER_RAW` on tcp and ipc
    /// connections; `ZMQ_SOCKS_PROXY` on tcp connects (through a SOCKS5 proxy); the multicast
    /// options (`ZMQ_RATE`, `ZMQ_RECOVERY_IVL`, `ZMQ_MULTICAST_HOPS`, `ZMQ_MULTICAST_MAXTPDU`)
    /// on `pgm://` and `epgm://` endpoints. The VMCI options are accepted, validated and read
    /// back as libzmq does, but change nothing: `vmci://` is refused (no vsock loopback to run
    /// it on, no libzmq with VMCI to test it against).
    pub const fn in_effect(self) -> bool {
        use OptionName::*;
        !matches!(
            self,
            VmciBufferSize | VmciBufferMinSize | VmciBufferMaxSize | VmciConnectTimeout
        )
    }

    /// Whether a change reaches the socket's existing connections
    /// ([`OptionEffect::Immediate`]), rather than only later ones.
    pub const fn affects_existing_connections(self) -> bool {
        matches!(self.effect(), OptionEffect::Immediate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediate_ones() {
        let immediate: Vec<_> = OptionName::every()
            .filter(|o| o.affects_existing_connections())
            .collect();
        assert_eq!(immediate.len(), 16);
        for o in [
            OptionName::Subscribe,
            OptionName::SndTimeo,
            OptionName::Linger,
            OptionName::RouterMandatory,
            OptionName::XpubNodrop,
        ] {
            assert!(immediate.contains(&o), "{o}");
        }
        assert_eq!(
            OptionName::ConnectRid.effect(),
            OptionEffect::NextConnectOnly
        );
        assert_eq!(
            OptionName::CurveServer.effect(),
            OptionEffect::NextBindOrConnect
        );
        assert!(OptionName::ALL.iter().all(|o| o.settable_when_live()));
    }

    #[test]
    fn what_takes_effect_today() {
        let idle: Vec<_> = OptionName::every().filter(|o| !o.in_effect()).collect();
        assert_eq!(idle.len(), 4, "only the VMCI rows: {idle:?}");
        for o in [
            OptionName::SndHwm,
            OptionName::Linger,
            OptionName::CurveServer,
            OptionName::Subscribe,
            OptionName::XpubNodrop,
            OptionName::Conflate,
            OptionName::HeartbeatIvl,
            OptionName::TcpMaxRt,
            OptionName::Ipv6,
            OptionName::StreamNotify,
            OptionName::RouterRaw,
            OptionName::Affinity,
            OptionName::SocksProxy,
            OptionName::Rate,
            OptionName::RecoveryIvl,
            OptionName::MulticastHops,
            OptionName::MulticastMaxTpdu,
        ] {
            assert!(o.in_effect(), "{o}");
        }
    }
}

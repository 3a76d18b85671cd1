//! The option names: one [`OptionName`] per row of `spec/options.tsv` (the table of libzmq
//! 4.2.2's `zmq_setsockopt` man page), with libzmq's names and numeric constants (`zmq.h` of
//! libzmq 4.3, which keeps every 4.2 value).

use std::fmt;

macro_rules! option_names {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $zmq:literal; )*) => {
        /// A socket option of libzmq's `zmq_setsockopt`: the 70 rows of the 4.2.2 table
        /// ([`OptionName::ALL`]) and the two GSSAPI name-type options libzmq 4.3 made stable
        /// ([`OptionName::BEYOND_TABLE`]).
        ///
        /// Each variant's first line quotes the man page's title for the option; the numbers
        /// are libzmq's constants.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OptionName {
            $( $(#[$doc])* $variant, )*
        }

        impl OptionName {
            /// libzmq's name for the option, as in the table (`"ZMQ_SNDHWM"`).
            pub const fn zmq_name(self) -> &'static str {
                match self { $( OptionName::$variant => $zmq, )* }
            }

            /// libzmq's numeric constant for the option (`ZMQ_SNDHWM` = 23).
            pub const fn zmq_id(self) -> i32 {
                match self { $( OptionName::$variant => $id, )* }
            }
        }
    };
}

option_names! {
    /// `ZMQ_AFFINITY` (4): "Set I/O thread affinity". `uint64_t` bitmap, default 0.
    Affinity = 4, "ZMQ_AFFINITY";
    /// `ZMQ_BACKLOG` (19): "Set maximum length of the queue of outstanding connections".
    /// Connections, default 100.
    Backlog = 19, "ZMQ_BACKLOG";
    /// `ZMQ_CONNECT_RID` (61; `ZMQ_CONNECT_ROUTING_ID` in libzmq 4.3): "Assign the next outbound
    /// connection id". Binary, default NULL. ROUTER and STREAM.
    ConnectRid = 61, "ZMQ_CONNECT_RID";
    /// `ZMQ_CONFLATE` (54): "Keep only last message". Boolean, default 0.
    Conflate = 54, "ZMQ_CONFLATE";
    /// `ZMQ_CONNECT_TIMEOUT` (79): "Set connect() timeout". Milliseconds, default 0 (disabled).
    ConnectTimeout = 79, "ZMQ_CONNECT_TIMEOUT";
    /// `ZMQ_CURVE_PUBLICKEY` (48): "Sets the socket's long term public key". 32 bytes or Z85,
    /// default NULL.
    CurvePublicKey = 48, "ZMQ_CURVE_PUBLICKEY";
    /// `ZMQ_CURVE_SECRETKEY` (49): "Sets the socket's long term secret key". 32 bytes or Z85,
    /// default NULL.
    CurveSecretKey = 49, "ZMQ_CURVE_SECRETKEY";
    /// `ZMQ_CURVE_SERVER` (47): "Defines whether the socket will act as server for CURVE
    /// security". 0 or 1, default 0.
    CurveServer = 47, "ZMQ_CURVE_SERVER";
    /// `ZMQ_CURVE_SERVERKEY` (50): "Sets the socket's long term server key". 32 bytes or Z85,
    /// default NULL.
    CurveServerKey = 50, "ZMQ_CURVE_SERVERKEY";
    /// `ZMQ_GSSAPI_PLAINTEXT` (65): "Defines whether communications on the socket will be
    /// encrypted" (1: plaintext). 0 or 1, default 0.
    GssapiPlaintext = 65, "ZMQ_GSSAPI_PLAINTEXT";
    /// `ZMQ_GSSAPI_PRINCIPAL` (63): "Set name of GSSAPI principal". String, default not set.
    GssapiPrincipal = 63, "ZMQ_GSSAPI_PRINCIPAL";
    /// `ZMQ_GSSAPI_SERVER` (62): "Defines whether the socket will act as server for GSSAPI
    /// security". 0 or 1, default 0.
    GssapiServer = 62, "ZMQ_GSSAPI_SERVER";
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL` (64): "Set name of GSSAPI service principal". String,
    /// default not set.
    GssapiServicePrincipal = 64, "ZMQ_GSSAPI_SERVICE_PRINCIPAL";
    /// `ZMQ_HANDSHAKE_IVL` (66): "Set maximum handshake interval". Milliseconds, default 30000
    /// (0: no limit).
    HandshakeIvl = 66, "ZMQ_HANDSHAKE_IVL";
    /// `ZMQ_HEARTBEAT_IVL` (75): "Set interval between sending ZMTP heartbeats". Milliseconds,
    /// default 0 (none).
    HeartbeatIvl = 75, "ZMQ_HEARTBEAT_IVL";
    /// `ZMQ_HEARTBEAT_TIMEOUT` (77): "Set timeout for ZMTP heartbeats". Milliseconds; the
    /// table's default is 0, libzmq's (and this crate's) -1, the heartbeat interval; 0 turns the
    /// timeout off.
    HeartbeatTimeout = 77, "ZMQ_HEARTBEAT_TIMEOUT";
    /// `ZMQ_HEARTBEAT_TTL` (76): "Set the TTL value for ZMTP heartbeats". Milliseconds, kept in
    /// whole deciseconds, default 0.
    HeartbeatTtl = 76, "ZMQ_HEARTBEAT_TTL";
    /// `ZMQ_IDENTITY` (5; `ZMQ_ROUTING_ID` in libzmq 4.3): "Set socket identity". Binary, 1 to
    /// 255 bytes of any values, default NULL.
    Identity = 5, "ZMQ_IDENTITY";
    /// `ZMQ_IMMEDIATE` (39): "Queue messages only to completed connections". Boolean, default 0.
    Immediate = 39, "ZMQ_IMMEDIATE";
    /// `ZMQ_INVERT_MATCHING` (74): "Invert message filtering". 0 or 1, default 0.
    InvertMatching = 74, "ZMQ_INVERT_MATCHING";
    /// `ZMQ_IPV6` (42): "Enable IPv6 on socket". Boolean, default 0.
    Ipv6 = 42, "ZMQ_IPV6";
    /// `ZMQ_LINGER` (17): "Set linger period for socket shutdown". Milliseconds, default 30000
    /// (-1: infinite).
    Linger = 17, "ZMQ_LINGER";
    /// `ZMQ_MAXMSGSIZE` (22): "Maximum acceptable inbound message size". `int64_t` bytes,
    /// default -1 (no limit).
    MaxMsgSize = 22, "ZMQ_MAXMSGSIZE";
    /// `ZMQ_MULTICAST_HOPS` (25): "Maximum network hops for multicast packets". Default 1.
    MulticastHops = 25, "ZMQ_MULTICAST_HOPS";
    /// `ZMQ_MULTICAST_MAXTPDU` (84): "Maximum transport data unit size for multicast packets".
    /// Bytes, default 1500.
    MulticastMaxTpdu = 84, "ZMQ_MULTICAST_MAXTPDU";
    /// `ZMQ_PLAIN_PASSWORD` (46): "Set PLAIN security password". String, default not set.
    PlainPassword = 46, "ZMQ_PLAIN_PASSWORD";
    /// `ZMQ_PLAIN_SERVER` (44): "Defines whether the socket will act as server for PLAIN
    /// security". 0 or 1, default 0.
    PlainServer = 44, "ZMQ_PLAIN_SERVER";
    /// `ZMQ_PLAIN_USERNAME` (45): "Set PLAIN security username". String, default not set.
    PlainUsername = 45, "ZMQ_PLAIN_USERNAME";
    /// `ZMQ_USE_FD` (89): "Set the pre-allocated socket file descriptor". Default -1.
    UseFd = 89, "ZMQ_USE_FD";
    /// `ZMQ_PROBE_ROUTER` (51): "bootstrap connections to ROUTER sockets". 0 or 1, default 0.
    ProbeRouter = 51, "ZMQ_PROBE_ROUTER";
    /// `ZMQ_RATE` (8): "Set multicast data rate". Kilobits per second, default 100.
    Rate = 8, "ZMQ_RATE";
    /// `ZMQ_RCVBUF` (12): "Set kernel receive buffer size". Bytes, default -1 (the OS's).
    RcvBuf = 12, "ZMQ_RCVBUF";
    /// `ZMQ_RCVHWM` (24): "Set high water mark for inbound messages". Messages, default 1000.
    RcvHwm = 24, "ZMQ_RCVHWM";
    /// `ZMQ_RCVTIMEO` (27): "Maximum time before a recv operation returns with EAGAIN".
    /// Milliseconds, default -1 (infinite).
    RcvTimeo = 27, "ZMQ_RCVTIMEO";
    /// `ZMQ_RECONNECT_IVL` (18): "Set reconnection interval". Milliseconds, default 100 (-1: no
    /// reconnection).
    ReconnectIvl = 18, "ZMQ_RECONNECT_IVL";
    /// `ZMQ_RECONNECT_IVL_MAX` (21): "Set maximum reconnection interval". Milliseconds, default 0
    /// (only use `ZMQ_RECONNECT_IVL`).
    ReconnectIvlMax = 21, "ZMQ_RECONNECT_IVL_MAX";
    /// `ZMQ_RECOVERY_IVL` (9): "Set multicast recovery interval". Milliseconds, default 10000.
    RecoveryIvl = 9, "ZMQ_RECOVERY_IVL";
    /// `ZMQ_REQ_CORRELATE` (52): "match replies with requests". 0 or 1, default 0. REQ.
    ReqCorrelate = 52, "ZMQ_REQ_CORRELATE";
    /// `ZMQ_REQ_RELAXED` (53): "relax strict alternation between request and reply". 0 or 1,
    /// default 0. REQ.
    ReqRelaxed = 53, "ZMQ_REQ_RELAXED";
    /// `ZMQ_ROUTER_HANDOVER` (56): "handle duplicate client identities on ROUTER sockets". 0 or
    /// 1, default 0.
    RouterHandover = 56, "ZMQ_ROUTER_HANDOVER";
    /// `ZMQ_ROUTER_MANDATORY` (33): "accept only routable messages on ROUTER sockets". 0 or 1,
    /// default 0.
    RouterMandatory = 33, "ZMQ_ROUTER_MANDATORY";
    /// `ZMQ_ROUTER_RAW` (41): "switch ROUTER socket to raw mode". 0 or 1, default 0.
    RouterRaw = 41, "ZMQ_ROUTER_RAW";
    /// `ZMQ_SNDBUF` (11): "Set kernel transmit buffer size". Bytes, default -1 (the OS's).
    SndBuf = 11, "ZMQ_SNDBUF";
    /// `ZMQ_SNDHWM` (23): "Set high water mark for outbound messages". Messages, default 1000.
    SndHwm = 23, "ZMQ_SNDHWM";
    /// `ZMQ_SNDTIMEO` (28): "Maximum time before a send operation returns with EAGAIN".
    /// Milliseconds, default -1 (infinite).
    SndTimeo = 28, "ZMQ_SNDTIMEO";
    /// `ZMQ_SOCKS_PROXY` (68): "Set SOCKS5 proxy address". String, default not set.
    SocksProxy = 68, "ZMQ_SOCKS_PROXY";
    /// `ZMQ_STREAM_NOTIFY` (73): "send connect and disconnect notifications". 0 or 1, default 1.
    StreamNotify = 73, "ZMQ_STREAM_NOTIFY";
    /// `ZMQ_SUBSCRIBE` (6): "Establish message filter". Binary prefix. SUB.
    Subscribe = 6, "ZMQ_SUBSCRIBE";
    /// `ZMQ_TCP_KEEPALIVE` (34): "Override SO_KEEPALIVE socket option". -1, 0 or 1, default -1.
    TcpKeepalive = 34, "ZMQ_TCP_KEEPALIVE";
    /// `ZMQ_TCP_KEEPALIVE_CNT` (35): "Override TCP_KEEPCNT socket option". -1 or > 0, default -1.
    TcpKeepaliveCnt = 35, "ZMQ_TCP_KEEPALIVE_CNT";
    /// `ZMQ_TCP_KEEPALIVE_IDLE` (36): "Override TCP_KEEPIDLE (or TCP_KEEPALIVE on some OS)
    /// socket option". -1 or > 0 (seconds), default -1.
    TcpKeepaliveIdle = 36, "ZMQ_TCP_KEEPALIVE_IDLE";
    /// `ZMQ_TCP_KEEPALIVE_INTVL` (37): "Override TCP_KEEPINTVL socket option". -1 or > 0
    /// (seconds), default -1.
    TcpKeepaliveIntvl = 37, "ZMQ_TCP_KEEPALIVE_INTVL";
    /// `ZMQ_TCP_MAXRT` (80): "Set TCP Maximum Retransmit Timeout". Milliseconds, default 0 (the
    /// OS's).
    TcpMaxRt = 80, "ZMQ_TCP_MAXRT";
    /// `ZMQ_TOS` (57): "Set the Type-of-Service on socket". Default 0.
    Tos = 57, "ZMQ_TOS";
    /// `ZMQ_UNSUBSCRIBE` (7): "Remove message filter". Binary prefix. SUB.
    Unsubscribe = 7, "ZMQ_UNSUBSCRIBE";
    /// `ZMQ_XPUB_VERBOSE` (40): "pass subscribe messages on XPUB socket". 0 or 1, default 0.
    XpubVerbose = 40, "ZMQ_XPUB_VERBOSE";
    /// `ZMQ_XPUB_VERBOSER` (78): "pass subscribe and unsubscribe messages on XPUB socket". 0 or
    /// 1, default 0.
    XpubVerboser = 78, "ZMQ_XPUB_VERBOSER";
    /// `ZMQ_XPUB_MANUAL` (71): "change the subscription handling to manual". 0 or 1, default 0.
    XpubManual = 71, "ZMQ_XPUB_MANUAL";
    /// `ZMQ_XPUB_NODROP` (69): "do not silently drop messages if SENDHWM is reached". 0 or 1,
    /// default 0.
    XpubNodrop = 69, "ZMQ_XPUB_NODROP";
    /// `ZMQ_XPUB_WELCOME_MSG` (72): "set welcome message that will be received by subscriber
    /// when connecting". Binary, default NULL.
    XpubWelcomeMsg = 72, "ZMQ_XPUB_WELCOME_MSG";
    /// `ZMQ_ZAP_DOMAIN` (55): "Set RFC 27 authentication domain". String, default not set.
    ZapDomain = 55, "ZMQ_ZAP_DOMAIN";
    /// `ZMQ_TCP_ACCEPT_FILTER` (38): "Assign filters to allow new TCP connections". Binary data
    /// holding a CIDR string, default no filters.
    TcpAcceptFilter = 38, "ZMQ_TCP_ACCEPT_FILTER";
    /// `ZMQ_IPC_FILTER_GID` (60): "Assign group ID filters to allow new IPC connections".
    /// `gid_t`, default no filters.
    IpcFilterGid = 60, "ZMQ_IPC_FILTER_GID";
    /// `ZMQ_IPC_FILTER_PID` (58): "Assign process ID filters to allow new IPC connections".
    /// `pid_t`, default no filters.
    IpcFilterPid = 58, "ZMQ_IPC_FILTER_PID";
    /// `ZMQ_IPC_FILTER_UID` (59): "Assign user ID filters to allow new IPC connections".
    /// `uid_t`, default no filters.
    IpcFilterUid = 59, "ZMQ_IPC_FILTER_UID";
    /// `ZMQ_IPV4ONLY` (31): "Use IPv4-only on socket" (deprecated for `ZMQ_IPV6`). Boolean,
    /// default 1.
    Ipv4Only = 31, "ZMQ_IPV4ONLY";
    /// `ZMQ_VMCI_BUFFER_SIZE` (85): "Set buffer size of the VMCI socket". `uint64_t` bytes,
    /// default 65546.
    VmciBufferSize = 85, "ZMQ_VMCI_BUFFER_SIZE";
    /// `ZMQ_VMCI_BUFFER_MIN_SIZE` (86): "Set min buffer size of the VMCI socket". `uint64_t`
    /// bytes, default 128.
    VmciBufferMinSize = 86, "ZMQ_VMCI_BUFFER_MIN_SIZE";
    /// `ZMQ_VMCI_BUFFER_MAX_SIZE` (87): "Set max buffer size of the VMCI socket". `uint64_t`
    /// bytes, default 262144.
    VmciBufferMaxSize = 87, "ZMQ_VMCI_BUFFER_MAX_SIZE";
    /// `ZMQ_VMCI_CONNECT_TIMEOUT` (88): "Set connection timeout of the VMCI socket".
    /// Milliseconds, default -1.
    VmciConnectTimeout = 88, "ZMQ_VMCI_CONNECT_TIMEOUT";
    /// `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE` (90), not in the 4.2.2 table (draft there, stable in
    /// libzmq 4.3): how `ZMQ_GSSAPI_PRINCIPAL` is read. 0 host-based, 1 user name, 2 Kerberos
    /// principal; default 0.
    GssapiPrincipalNametype = 90, "ZMQ_GSSAPI_PRINCIPAL_NAMETYPE";
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE` (91), not in the 4.2.2 table (draft there, stable
    /// in libzmq 4.3): how `ZMQ_GSSAPI_SERVICE_PRINCIPAL` is read; default 0.
    GssapiServicePrincipalNametype = 91, "ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE";
}

/// Other names libzmq gives the same constants: the 4.3 names of the renamed options and
/// the deprecated aliases `zmq.h` still defines.
const ALIASES: [(&str, OptionName); 5] = [
    ("ZMQ_ROUTING_ID", OptionName::Identity),
    ("ZMQ_CONNECT_ROUTING_ID", OptionName::ConnectRid),
    ("ZMQ_DELAY_ATTACH_ON_CONNECT", OptionName::Immediate),
    ("ZMQ_FAIL_UNROUTABLE", OptionName::RouterMandatory),
    ("ZMQ_ROUTER_BEHAVIOR", OptionName::RouterMandatory),
];

impl OptionName {
    /// The 70 rows of `spec/options.tsv`, in the table's order.
    pub const ALL: [OptionName; 70] = [
        OptionName::Affinity,
        OptionName::Backlog,
        OptionName::ConnectRid,
        OptionName::Conflate,
        OptionName::ConnectTimeout,
        OptionName::CurvePublicKey,
        OptionName::CurveSecretKey,
        OptionName::CurveServer,
        OptionName::CurveServerKey,
        OptionName::GssapiPlaintext,
        OptionName::GssapiPrincipal,
        OptionName::GssapiServer,
        OptionName::GssapiServicePrincipal,
        OptionName::HandshakeIvl,
        OptionName::HeartbeatIvl,
        OptionName::HeartbeatTimeout,
        OptionName::HeartbeatTtl,
        OptionName::Identity,
        OptionName::Immediate,
        OptionName::InvertMatching,
        OptionName::Ipv6,
        OptionName::Linger,
        OptionName::MaxMsgSize,
        OptionName::MulticastHops,
        OptionName::MulticastMaxTpdu,
        OptionName::PlainPassword,
        OptionName::PlainServer,
        OptionName::PlainUsername,
        OptionName::UseFd,
        OptionName::ProbeRouter,
        OptionName::Rate,
        OptionName::RcvBuf,
        OptionName::RcvHwm,
        OptionName::RcvTimeo,
        OptionName::ReconnectIvl,
        OptionName::ReconnectIvlMax,
        OptionName::RecoveryIvl,
        OptionName::ReqCorrelate,
        OptionName::ReqRelaxed,
        OptionName::RouterHandover,
        OptionName::RouterMandatory,
        OptionName::RouterRaw,
        OptionName::SndBuf,
        OptionName::SndHwm,
        OptionName::SndTimeo,
        OptionName::SocksProxy,
        OptionName::StreamNotify,
        OptionName::Subscribe,
        OptionName::TcpKeepalive,
        OptionName::TcpKeepaliveCnt,
        OptionName::TcpKeepaliveIdle,
        OptionName::TcpKeepaliveIntvl,
        OptionName::TcpMaxRt,
        OptionName::Tos,
        OptionName::Unsubscribe,
        OptionName::XpubVerbose,
        OptionName::XpubVerboser,
        OptionName::XpubManual,
        OptionName::XpubNodrop,
        OptionName::XpubWelcomeMsg,
        OptionName::ZapDomain,
        OptionName::TcpAcceptFilter,
        OptionName::IpcFilterGid,
        OptionName::IpcFilterPid,
        OptionName::IpcFilterUid,
        OptionName::Ipv4Only,
        OptionName::VmciBufferSize,
        OptionName::VmciBufferMinSize,
        OptionName::VmciBufferMaxSize,
        OptionName::VmciConnectTimeout,
    ];

    /// Options this crate takes that the 4.2.2 table does not list: the GSSAPI name types,
    /// which the GSSAPI mechanism needs to talk to libzmq's (its client names itself with a
    /// Kerberos principal name, type 2).
    pub const BEYOND_TABLE: [OptionName; 2] = [
        OptionName::GssapiPrincipalNametype,
        OptionName::GssapiServicePrincipalNametype,
    ];

    /// Every option: [`OptionName::ALL`] then [`OptionName::BEYOND_TABLE`].
    pub fn every() -> impl Iterator<Item = OptionName> {
        OptionName::ALL.into_iter().chain(OptionName::BEYOND_TABLE)
    }

    /// The option libzmq calls `name` (`"ZMQ_SNDHWM"`), including libzmq 4.3's names
    /// (`ZMQ_ROUTING_ID`, `ZMQ_CONNECT_ROUTING_ID`) and the deprecated aliases of `zmq.h`.
    /// Exact and case-sensitive, like the C identifiers.
    pub fn from_zmq_name(name: &str) -> Option<OptionName> {
        OptionName::every()
            .find(|option| option.zmq_name() == name)
            .or_else(|| {
                ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == name)
                    .map(|(_, option)| *option)
            })
    }

    /// The option with libzmq's numeric constant `id`, if this crate knows it. Read-only
    /// constants (`ZMQ_TYPE`, `ZMQ_RCVMORE`, `ZMQ_MECHANISM`, ...) and options outside the
    /// table give `None`.
    pub fn from_zmq_id(id: i32) -> Option<OptionName> {
        OptionName::every().find(|option| option.zmq_id() == id)
    }

    /// Whether the option is one of the 70 rows of the 4.2.2 table.
    pub fn in_table(self) -> bool {
        !OptionName::BEYOND_TABLE.contains(&self)
    }
}

impl fmt::Display for OptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zmq_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_ids_are_unique_and_round_trip() {
        let mut names = HashSet::new();
        let mut ids = HashSet::new();
        for option in OptionName::every() {
            assert!(names.insert(option.zmq_name()), "{option} twice");
            assert!(ids.insert(option.zmq_id()), "{} twice", option.zmq_id());
            assert_eq!(OptionName::from_zmq_name(option.zmq_name()), Some(option));
            assert_eq!(OptionName::from_zmq_id(option.zmq_id()), Some(option));
            assert_eq!(option.to_string(), option.zmq_name());
        }
        assert_eq!(names.len(), 72);
        assert!(OptionName::ALL.iter().all(|o| o.in_table()));
        assert!(OptionName::BEYOND_TABLE.iter().all(|o| !o.in_table()));
    }

    #[test]
    fn ids_match_zmq_h() {
        // Spot checks against libzmq 4.3.4's include/zmq.h.
        for (option, id) in [
            (OptionName::Affinity, 4),
            (OptionName::Identity, 5),
            (OptionName::Subscribe, 6),
            (OptionName::Unsubscribe, 7),
            (OptionName::Linger, 17),
            (OptionName::SndHwm, 23),
            (OptionName::Ipv4Only, 31),
            (OptionName::RouterMandatory, 33),
            (OptionName::TcpAcceptFilter, 38),
            (OptionName::CurveServerKey, 50),
            (OptionName::IpcFilterPid, 58),
            (OptionName::IpcFilterUid, 59),
            (OptionName::IpcFilterGid, 60),
            (OptionName::ConnectRid, 61),
            (OptionName::XpubNodrop, 69),
            (OptionName::HeartbeatTtl, 76),
            (OptionName::HeartbeatTimeout, 77),
            (OptionName::MulticastMaxTpdu, 84),
            (OptionName::UseFd, 89),
            (OptionName::GssapiServicePrincipalNametype, 91),
        ] {
            assert_eq!(option.zmq_id(), id, "{option}");
        }
    }

    #[test]
    fn aliases_and_unknowns() {
        assert_eq!(
            OptionName::from_zmq_name("ZMQ_ROUTING_ID"),
            Some(OptionName::Identity)
        );
        assert_eq!(
            OptionName::from_zmq_name("ZMQ_CONNECT_ROUTING_ID"),
            Some(OptionName::ConnectRid)
        );
        assert_eq!(
            OptionName::from_zmq_name("ZMQ_DELAY_ATTACH_ON_CONNECT"),
            Some(OptionName::Immediate)
        );
        assert_eq!(OptionName::from_zmq_name("zmq_sndhwm"), None);
        assert_eq!(OptionName::from_zmq_name("ZMQ_TYPE"), None);
        // ZMQ_TYPE (16), ZMQ_MECHANISM (43): read-only; 10, 20, 26 were never assigned.
        for id in [0, 10, 16, 20, 26, 43, 92, -1] {
            assert_eq!(OptionName::from_zmq_id(id), None, "{id}");
        }
    }
}

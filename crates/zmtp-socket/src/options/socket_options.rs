//! [`SocketOptions`]: one field per row of the table, libzmq's defaults, and the dynamic
//! libzmq-style API ([`SocketOptions::set`], [`SocketOptions::get`]).

use std::collections::BTreeSet;
use std::fmt;

use bytes::Bytes;
use zeroize::Zeroizing;
use zmtp_codec::SocketType;
use zmtp_security::{CurvePublicKey, CurveSecretKey, NameType};

use super::error::OptionError;
use super::filter::TcpAcceptFilter;
use super::name::OptionName;
use super::security::MechanismKind;
use super::validate::{self as v, MAX_HEARTBEAT_TTL_MS, MAX_SHORT_STRING};
use super::value::OptionValue;

/// The socket options of libzmq's `zmq_setsockopt` table, with the table's defaults.
///
/// Three ways in:
/// - the dynamic API of libzmq: [`set`](SocketOptions::set) and [`get`](SocketOptions::get)
///   with an [`OptionName`] and an [`OptionValue`] in libzmq's raw representation (an `int` of
///   milliseconds with -1 for infinite, a `uint64_t`, binary data, ...), checked as libzmq checks
///   it; [`set_for`](SocketOptions::set_for) also refuses what a socket type refuses;
/// - typed setters for a live socket (`set_sndhwm`, `set_linger`, ...), checked at once;
/// - a builder (`SocketOptions::new().sndhwm(10_000).linger(None)`), whose first invalid value is
///   kept and reported by [`build`](SocketOptions::build) or
///   [`build_for`](SocketOptions::build_for);
///
/// and typed getters (`get_sndhwm`, `get_linger`, ...) out, named like the `zmq` crate's.
///
/// The security mechanism is chosen by the order of the settings, as in libzmq (setting
/// `ZMQ_PLAIN_USERNAME` makes a PLAIN client, `ZMQ_CURVE_SERVER` = 1 a CURVE server, ...): see
/// [`mechanism`](SocketOptions::mechanism) and [`security`](SocketOptions::security).
///
/// The fields are private so every value goes through the checks; each has its getter and its
/// row in the dynamic API.
#[derive(Clone)]
pub struct SocketOptions {
    /// `ZMQ_AFFINITY`: I/O thread bitmap (`uint64_t`), default 0 (no affinity).
    pub(super) affinity: u64,
    /// `ZMQ_BACKLOG`: pending connections of a listener, default 100.
    pub(super) backlog: i32,
    /// `ZMQ_CONNECT_RID`: the routing id for the next connect's peer, binary, default NULL
    /// (empty); used once.
    pub(super) connect_rid: Bytes,
    /// `ZMQ_CONFLATE`: keep only the last message, boolean, default 0.
    pub(super) conflate: bool,
    /// `ZMQ_CONNECT_TIMEOUT`: milliseconds, default 0 (disabled).
    pub(super) connect_timeout: i32,
    /// `ZMQ_CURVE_PUBLICKEY`: our long-term public key (32 bytes), default NULL.
    pub(super) curve_public_key: Option<CurvePublicKey>,
    /// `ZMQ_CURVE_SECRETKEY`: our long-term secret key (32 bytes), default NULL.
    pub(super) curve_secret_key: Option<CurveSecretKey>,
    /// `ZMQ_CURVE_SERVERKEY`: the server's long-term public key (32 bytes), default NULL.
    pub(super) curve_server_key: Option<CurvePublicKey>,
    /// `ZMQ_GSSAPI_PLAINTEXT`: boolean, default 0 (messages encrypted).
    pub(super) gssapi_plaintext: bool,
    /// `ZMQ_GSSAPI_PRINCIPAL`: string, default not set (empty).
    pub(super) gssapi_principal: String,
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL`: string, default not set (empty).
    pub(super) gssapi_service_principal: String,
    /// `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE` (beyond the table): default host-based (0).
    pub(super) gssapi_principal_nametype: NameType,
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE` (beyond the table): default host-based (0).
    pub(super) gssapi_service_principal_nametype: NameType,
    /// `ZMQ_HANDSHAKE_IVL`: milliseconds, default 30000 (0: no limit).
    pub(super) handshake_ivl: i32,
    /// `ZMQ_HEARTBEAT_IVL`: milliseconds, default 0 (no PINGs).
    pub(super) heartbeat_ivl: i32,
    /// `ZMQ_HEARTBEAT_TIMEOUT`: milliseconds, default -1 as in libzmq (the heartbeat
    /// interval); 0: no timeout (see [`SocketOptions::get_heartbeat_timeout`]).
    pub(super) heartbeat_timeout: i32,
    /// `ZMQ_HEARTBEAT_TTL`: milliseconds in whole deciseconds (what is set, rounded down, as
    /// libzmq keeps it), default 0 (none); sent in deciseconds.
    pub(super) heartbeat_ttl: i32,
    /// `ZMQ_IDENTITY`: our routing id, 1 to 255 bytes of any values, default NULL (empty).
    pub(super) identity: Bytes,
    /// `ZMQ_IMMEDIATE`: queue only to completed connections, boolean, default 0.
    pub(super) immediate: bool,
    /// `ZMQ_INVERT_MATCHING`: boolean, default 0.
    pub(super) invert_matching: bool,
    /// `ZMQ_IPV6` (and the inverse of `ZMQ_IPV4ONLY`, which libzmq keeps in the same
    /// variable): boolean, default 0 (so `ZMQ_IPV4ONLY` defaults to 1).
    pub(super) ipv6: bool,
    /// `ZMQ_LINGER`: milliseconds, default 30000 (-1: infinite).
    pub(super) linger: i32,
    /// `ZMQ_MAXMSGSIZE`: bytes (`int64_t`), default -1 (no limit).
    pub(super) maxmsgsize: i64,
    /// `ZMQ_MULTICAST_HOPS`: network hops, default 1.
    pub(super) multicast_hops: i32,
    /// `ZMQ_MULTICAST_MAXTPDU`: bytes, default 1500.
    pub(super) multicast_maxtpdu: i32,
    /// `ZMQ_PLAIN_PASSWORD`: string, default not set (empty); wiped on drop, not shown by
    /// `Debug`.
    pub(super) plain_password: Password,
    /// `ZMQ_PLAIN_USERNAME`: string, default not set (empty).
    pub(super) plain_username: String,
    /// `ZMQ_USE_FD`: a listening file descriptor to use, default -1 (none).
    pub(super) use_fd: i32,
    /// `ZMQ_PROBE_ROUTER`: boolean, default 0.
    pub(super) probe_router: bool,
    /// `ZMQ_RATE`: kilobits per second, default 100.
    pub(super) rate: i32,
    /// `ZMQ_RCVBUF`: bytes, default -1 (the OS's).
    pub(super) rcvbuf: i32,
    /// `ZMQ_RCVHWM`: messages, default 1000 (0: no limit).
    pub(super) rcvhwm: i32,
    /// `ZMQ_RCVTIMEO`: milliseconds, default -1 (infinite).
    pub(super) rcvtimeo: i32,
    /// `ZMQ_RECONNECT_IVL`: milliseconds, default 100 (-1: no reconnection).
    pub(super) reconnect_ivl: i32,
    /// `ZMQ_RECONNECT_IVL_MAX`: milliseconds, default 0 (only use `ZMQ_RECONNECT_IVL`).
    pub(super) reconnect_ivl_max: i32,
    /// `ZMQ_RECOVERY_IVL`: milliseconds, default 10000.
    pub(super) recovery_ivl: i32,
    /// `ZMQ_REQ_CORRELATE`: boolean, default 0.
    pub(super) req_correlate: bool,
    /// `ZMQ_REQ_RELAXED`: boolean, default 0.
    pub(super) req_relaxed: bool,
    /// `ZMQ_ROUTER_HANDOVER`: boolean, default 0.
    pub(super) router_handover: bool,
    /// `ZMQ_ROUTER_MANDATORY`: boolean, default 0.
    pub(super) router_mandatory: bool,
    /// `ZMQ_ROUTER_RAW`: boolean, default 0.
    pub(super) router_raw: bool,
    /// `ZMQ_SNDBUF`: bytes, default -1 (the OS's).
    pub(super) sndbuf: i32,
    /// `ZMQ_SNDHWM`: messages, default 1000 (0: no limit).
    pub(super) sndhwm: i32,
    /// `ZMQ_SNDTIMEO`: milliseconds, default -1 (infinite).
    pub(super) sndtimeo: i32,
    /// `ZMQ_SOCKS_PROXY`: `host:port` of a SOCKS5 proxy, default not set (empty).
    pub(super) socks_proxy: String,
    /// `ZMQ_STREAM_NOTIFY`: boolean, default 1.
    pub(super) stream_notify: bool,
    /// `ZMQ_SUBSCRIBE` and `ZMQ_UNSUBSCRIBE`: the subscriptions in force, in order, with
    /// repeats (each UNSUBSCRIBE removes one instance), default none.
    pub(super) subscriptions: Vec<Bytes>,
    /// `ZMQ_TCP_KEEPALIVE`: -1 (the OS's), 0 or 1, default -1.
    pub(super) tcp_keepalive: i32,
    /// `ZMQ_TCP_KEEPALIVE_CNT`: -1 (the OS's) or > 0, default -1.
    pub(super) tcp_keepalive_cnt: i32,
    /// `ZMQ_TCP_KEEPALIVE_IDLE`: seconds, -1 (the OS's) or > 0, default -1.
    pub(super) tcp_keepalive_idle: i32,
    /// `ZMQ_TCP_KEEPALIVE_INTVL`: seconds, -1 (the OS's) or > 0, default -1.
    pub(super) tcp_keepalive_intvl: i32,
    /// `ZMQ_TCP_MAXRT`: milliseconds, default 0 (the OS's).
    pub(super) tcp_maxrt: i32,
    /// `ZMQ_TOS`: the IP header's type-of-service byte, default 0.
    pub(super) tos: i32,
    /// `ZMQ_XPUB_VERBOSE` (libzmq's "verbose subscriptions"): boolean, default 0.
    pub(super) xpub_verbose: bool,
    /// `ZMQ_XPUB_VERBOSER` (libzmq's "verbose unsubscriptions"): boolean, default 0.
    pub(super) xpub_verboser: bool,
    /// `ZMQ_XPUB_MANUAL`: boolean, default 0.
    pub(super) xpub_manual: bool,
    /// `ZMQ_XPUB_NODROP`: boolean, default 0.
    pub(super) xpub_nodrop: bool,
    /// `ZMQ_XPUB_WELCOME_MSG`: binary, default NULL (empty: none).
    pub(super) xpub_welcome_msg: Bytes,
    /// `ZMQ_ZAP_DOMAIN`: string of at most 255 bytes, default not set (empty).
    pub(super) zap_domain: String,
    /// `ZMQ_TCP_ACCEPT_FILTER`: the filters, in order, default none (allow from all).
    pub(super) tcp_accept_filters: Vec<TcpAcceptFilter>,
    /// `ZMQ_IPC_FILTER_GID`: group ids, default none (allow from all).
    pub(super) ipc_filter_gids: BTreeSet<u32>,
    /// `ZMQ_IPC_FILTER_PID`: process ids, default none (allow from all).
    pub(super) ipc_filter_pids: BTreeSet<i32>,
    /// `ZMQ_IPC_FILTER_UID`: user ids, default none (allow from all).
    pub(super) ipc_filter_uids: BTreeSet<u32>,
    /// `ZMQ_VMCI_BUFFER_SIZE`: bytes (`uint64_t`), default 65546.
    pub(super) vmci_buffer_size: u64,
    /// `ZMQ_VMCI_BUFFER_MIN_SIZE`: bytes (`uint64_t`), default 128.
    pub(super) vmci_buffer_min_size: u64,
    /// `ZMQ_VMCI_BUFFER_MAX_SIZE`: bytes (`uint64_t`), default 262144.
    pub(super) vmci_buffer_max_size: u64,
    /// `ZMQ_VMCI_CONNECT_TIMEOUT`: milliseconds, default -1 (none).
    pub(super) vmci_connect_timeout: i32,
    /// The mechanism the settings so far select (libzmq's `mechanism`): `ZMQ_PLAIN_SERVER`,
    /// `ZMQ_CURVE_SERVER` and `ZMQ_GSSAPI_SERVER` read as "this mechanism and the server side".
    pub(super) mechanism: MechanismKind,
    /// libzmq's `as_server`: the server side of [`SocketOptions::mechanism`].
    pub(super) as_server: bool,
    /// Whether a typed security setter ([`SocketOptions::set_security`] and the `with_*`
    /// builders) was used: then [`SocketOptions::build`] also checks that the mechanism the
    /// settings select has what it needs ([`SocketOptions::security`]).
    pub(super) security_checked_at_build: bool,
    /// The builder's first invalid value, reported by [`SocketOptions::build`].
    pub(super) deferred: Option<OptionError>,
}

/// `ZMQ_PLAIN_PASSWORD`, wiped from memory on drop and redacted from `Debug`.
#[derive(Clone, Default)]
pub(super) struct Password(pub(super) Zeroizing<String>);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<not set>"
        } else {
            "<redacted>"
        })
    }
}

impl Default for SocketOptions {
    /// The table's defaults.
    fn default() -> SocketOptions {
        SocketOptions {
            affinity: 0,
            backlog: 100,
            connect_rid: Bytes::new(),
            conflate: false,
            connect_timeout: 0,
            curve_public_key: None,
            curve_secret_key: None,
            curve_server_key: None,
            gssapi_plaintext: false,
            gssapi_principal: String::new(),
            gssapi_service_principal: String::new(),
            gssapi_principal_nametype: NameType::HostBased,
            gssapi_service_principal_nametype: NameType::HostBased,
            handshake_ivl: 30_000,
            heartbeat_ivl: 0,
            heartbeat_timeout: -1,
            heartbeat_ttl: 0,
            identity: Bytes::new(),
            immediate: false,
            invert_matching: false,
            ipv6: false,
            linger: 30_000,
            maxmsgsize: -1,
            multicast_hops: 1,
            multicast_maxtpdu: 1500,
            plain_password: Password::default(),
            plain_username: String::new(),
            use_fd: -1,
            probe_router: false,
            rate: 100,
            rcvbuf: -1,
            rcvhwm: 1000,
            rcvtimeo: -1,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            recovery_ivl: 10_000,
            req_correlate: false,
            req_relaxed: false,
            router_handover: false,
            router_mandatory: false,
            router_raw: false,
            sndbuf: -1,
            sndhwm: 1000,
            sndtimeo: -1,
            socks_proxy: String::new(),
            stream_notify: true,
            subscriptions: Vec::new(),
            tcp_keepalive: -1,
            tcp_keepalive_cnt: -1,
            tcp_keepalive_idle: -1,
            tcp_keepalive_intvl: -1,
            tcp_maxrt: 0,
            tos: 0,
            xpub_verbose: false,
            xpub_verboser: false,
            xpub_manual: false,
            xpub_nodrop: false,
            xpub_welcome_msg: Bytes::new(),
            zap_domain: String::new(),
            tcp_accept_filters: Vec::new(),
            ipc_filter_gids: BTreeSet::new(),
            ipc_filter_pids: BTreeSet::new(),
            ipc_filter_uids: BTreeSet::new(),
            vmci_buffer_size: 65_546,
            vmci_buffer_min_size: 128,
            vmci_buffer_max_size: 262_144,
            vmci_connect_timeout: -1,
            mechanism: MechanismKind::Null,
            as_server: false,
            security_checked_at_build: false,
            deferred: None,
        }
    }
}

impl fmt::Debug for SocketOptions {
    /// Lists the options that differ from the table's defaults (the password redacted, the
    /// secret key shown by its public half), then the mechanism.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let defaults = SocketOptions::default();
        let mut s = f.debug_struct("SocketOptions");
        for option in OptionName::every() {
            if option == OptionName::Unsubscribe {
                continue; // the same list as ZMQ_SUBSCRIBE
            }
            match option {
                OptionName::PlainPassword => {
                    if !self.plain_password.0.is_empty() {
                        s.field(option.zmq_name(), &self.plain_password);
                    }
                }
                OptionName::CurveSecretKey => {
                    if let Some(key) = &self.curve_secret_key {
                        s.field(option.zmq_name(), key);
                    }
                }
                _ => {
                    let value = self.get(option);
                    if value != defaults.get(option) {
                        s.field(option.zmq_name(), &value);
                    }
                }
            }
        }
        s.field("mechanism", &self.mechanism)
            .field("as_server", &self.as_server);
        if let Some(e) = &self.deferred {
            s.field("deferred_error", e);
        }
        s.finish()
    }
}

impl OptionName {
    /// The option's default, as [`SocketOptions::get`] reads it on fresh options.
    pub fn default_value(self) -> OptionValue {
        SocketOptions::default().get(self)
    }
}

impl SocketOptions {
    /// Options with the table's defaults.
    pub fn new() -> SocketOptions {
        SocketOptions::default()
    }

    /// Sets an option as libzmq's `zmq_setsockopt` does, with its checks, on options not tied
    /// to a socket type (see [`SocketOptions::set_for`] for those).
    ///
    /// The value is libzmq's raw representation ([`OptionName::kind`]); a wrong type or a value
    /// libzmq refuses gives an error naming the option and what it allows. The mechanism
    /// options change the selected mechanism as in libzmq ([`SocketOptions::mechanism`]). Empty
    /// binary data or an empty string plays libzmq's `(NULL, 0)`: it clears the accept filters
    /// and unsets the PLAIN credentials.
    ///
    /// Where this differs from libzmq:
    /// - `ZMQ_CONNECT_RID` may not start with a zero byte and is at most 255 bytes, as its man
    ///   page asks (libzmq takes both); `ZMQ_IDENTITY` takes 1 to 255 bytes of any values, a
    ///   leading zero byte included, as libzmq and its man page do;
    /// - `ZMQ_MAXMSGSIZE` and `ZMQ_VMCI_CONNECT_TIMEOUT` must be -1 or more (libzmq takes any
    ///   value; below -1 means the same as -1);
    /// - `ZMQ_TCP_KEEPALIVE_CNT`/`_IDLE`/`_INTVL` must be -1 or more than 0, as the table says
    ///   (libzmq also takes 0, which the OS then refuses);
    /// - `ZMQ_HEARTBEAT_TTL` is 0 to 6553599 ms, libzmq 4.3's range (4.2.2 stopped at 655399;
    ///   both took -99 to -1 as 0); it is kept, and reads back, in whole deciseconds, as in
    ///   libzmq (2550 reads 2500);
    /// - strings must be UTF-8 and may hold no NUL but a trailing one;
    /// - `ZMQ_TCP_ACCEPT_FILTER` takes addresses, not host names;
    /// - an empty `ZMQ_PLAIN_USERNAME` or `ZMQ_PLAIN_PASSWORD` also forgets the old value;
    /// - the CURVE and GSSAPI options are taken whatever this build supports (libzmq refuses
    ///   them when built without libsodium or GSS-API); running the mechanism is the socket
    ///   layer's business.
    pub fn set(
        &mut self,
        name: OptionName,
        value: impl Into<OptionValue>,
    ) -> Result<(), OptionError> {
        use OptionName::*;
        let value = value.into();
        let value = &value;
        // No proxy (empty) is what every build can do.
        if !(name == SocksProxy && value.as_bytes().is_some_and(<[u8]>::is_empty)) {
            require_feature(name)?;
        }
        match name {
            SndHwm => self.sndhwm = v::int_at_least(name, value, 0, ">= 0")?,
            RcvHwm => self.rcvhwm = v::int_at_least(name, value, 0, ">= 0")?,
            Affinity => self.affinity = v::uint64(name, value)?,
            Identity => self.identity = v::routing_id(name, value)?,
            Rate => self.rate = v::int_at_least(name, value, 1, "> 0")?,
            RecoveryIvl => self.recovery_ivl = v::int_at_least(name, value, 0, ">= 0 ms")?,
            SndBuf => {
                self.sndbuf = v::int_at_least(name, value, -1, "-1 (the OS's default) or >= 0")?
            }
            RcvBuf => {
                self.rcvbuf = v::int_at_least(name, value, -1, "-1 (the OS's default) or >= 0")?
            }
            Tos => self.tos = v::int_at_least(name, value, 0, ">= 0")?,
            Linger => self.linger = v::int_at_least(name, value, -1, "-1 (infinite) or >= 0 ms")?,
            ConnectTimeout => {
                self.connect_timeout = v::int_at_least(name, value, 0, ">= 0 ms (0: disabled)")?
            }
            TcpMaxRt => self.tcp_maxrt = v::int_at_least(name, value, 0, ">= 0 ms (0: the OS's)")?,
            ReconnectIvl => {
                self.reconnect_ivl =
                    v::int_at_least(name, value, -1, "-1 (no reconnection) or >= 0 ms")?
            }
            ReconnectIvlMax => {
                self.reconnect_ivl_max = v::int_at_least(name, value, 0, ">= 0 ms (0: none)")?
            }
            Backlog => self.backlog = v::int_at_least(name, value, 0, ">= 0")?,
            MaxMsgSize => {
                let size = v::int64(name, value)?;
                if size < -1 {
                    return Err(OptionError::OutOfRange {
                        option: name,
                        allowed: "-1 (no limit) or >= 0 bytes",
                        got: size.into(),
                    });
                }
                self.maxmsgsize = size;
            }
            MulticastHops => self.multicast_hops = v::int_at_least(name, value, 1, "> 0")?,
            MulticastMaxTpdu => {
                self.multicast_maxtpdu = v::int_at_least(name, value, 1, "> 0 bytes")?
            }
            RcvTimeo => {
                self.rcvtimeo = v::int_at_least(name, value, -1, "-1 (infinite) or >= 0 ms")?
            }
            SndTimeo => {
                self.sndtimeo = v::int_at_least(name, value, -1, "-1 (infinite) or >= 0 ms")?
            }
            Ipv4Only => self.ipv6 = !v::bool_strict(name, value)?,
            Ipv6 => self.ipv6 = v::bool_strict(name, value)?,
            SocksProxy => self.socks_proxy = v::text(name, value)?,
            TcpKeepalive => {
                self.tcp_keepalive = v::int_in(name, value, -1, 1, "-1 (the OS's), 0 or 1")?
            }
            TcpKeepaliveCnt => self.tcp_keepalive_cnt = v::minus_one_or_positive(name, value)?,
            TcpKeepaliveIdle => self.tcp_keepalive_idle = v::minus_one_or_positive(name, value)?,
            TcpKeepaliveIntvl => self.tcp_keepalive_intvl = v::minus_one_or_positive(name, value)?,
            Immediate => self.immediate = v::bool_strict(name, value)?,
            TcpAcceptFilter => {
                let text = v::text_len(name, value, true, MAX_SHORT_STRING, "at most 255 bytes")?;
                if text.is_empty() {
                    self.tcp_accept_filters.clear();
                } else {
                    let filter = super::filter::TcpAcceptFilter::parse(&text)?;
                    if filter.address().is_ipv6() && !self.ipv6 {
                        return Err(OptionError::Invalid {
                            option: name,
                            reason: format!(
                                "{text:?} is an IPv6 filter and ZMQ_IPV6 is off (libzmq reads \
                                 filters with the socket's ZMQ_IPV6: set it first)"
                            ),
                        });
                    }
                    self.tcp_accept_filters.push(filter);
                }
            }
            IpcFilterGid => {
                if v::is_null(value) {
                    self.ipc_filter_gids.clear();
                } else {
                    self.ipc_filter_gids.insert(v::uint32(name, value)?);
                }
            }
            IpcFilterUid => {
                if v::is_null(value) {
                    self.ipc_filter_uids.clear();
                } else {
                    self.ipc_filter_uids.insert(v::uint32(name, value)?);
                }
            }
            IpcFilterPid => {
                if v::is_null(value) {
                    self.ipc_filter_pids.clear();
                } else {
                    self.ipc_filter_pids.insert(v::int(name, value)?);
                }
            }
            PlainServer => {
                let server = v::bool_strict(name, value)?;
                self.select(server, server.then_some(MechanismKind::Plain));
            }
            PlainUsername | PlainPassword => {
                let text = v::text_len(name, value, true, MAX_SHORT_STRING, "at most 255 bytes")?;
                if text.is_empty() {
                    // libzmq's (NULL, 0): back to NULL. libzmq keeps the old string readable;
                    // here it is gone too.
                    self.mechanism = MechanismKind::Null;
                } else {
                    self.select(false, Some(MechanismKind::Plain));
                }
                if name == PlainUsername {
                    self.plain_username = text;
                } else {
                    self.plain_password = Password(Zeroizing::new(text));
                }
            }
            ZapDomain => {
                self.zap_domain =
                    v::text_len(name, value, true, MAX_SHORT_STRING, "at most 255 bytes")?
            }
            CurveServer => {
                let server = v::bool_strict(name, value)?;
                self.select(server, server.then_some(MechanismKind::Curve));
            }
            CurvePublicKey => {
                let key = parse_public(name, value)?;
                self.set_curve_public_key_typed(key);
            }
            CurveSecretKey => {
                let key = zmtp_security::CurveSecretKey::parse(key_bytes(name, value)?)
                    .map_err(|e| v::bad_key(name, value, Some(e)))?;
                self.set_curve_secret_key_typed(key);
            }
            CurveServerKey => {
                let key = parse_public(name, value)?;
                self.set_curve_server_key_typed(key);
            }
            Conflate => self.conflate = v::bool_strict(name, value)?,
            GssapiServer => {
                let server = v::bool_strict(name, value)?;
                self.select(server, Some(MechanismKind::Gssapi));
            }
            GssapiPrincipal => {
                self.gssapi_principal =
                    v::text_len(name, value, false, MAX_SHORT_STRING, "1 to 255 bytes")?;
                self.mechanism = MechanismKind::Gssapi;
            }
            GssapiServicePrincipal => {
                self.gssapi_service_principal =
                    v::text_len(name, value, false, MAX_SHORT_STRING, "1 to 255 bytes")?;
                self.select(false, Some(MechanismKind::Gssapi));
            }
            GssapiPlaintext => self.gssapi_plaintext = v::bool_strict(name, value)?,
            GssapiPrincipalNametype => self.gssapi_principal_nametype = name_type(name, value)?,
            GssapiServicePrincipalNametype => {
                self.gssapi_service_principal_nametype = name_type(name, value)?
            }
            HandshakeIvl => {
                self.handshake_ivl = v::int_at_least(name, value, 0, ">= 0 ms (0: no limit)")?
            }
            InvertMatching => self.invert_matching = v::bool_any(name, value)?,
            HeartbeatIvl => {
                self.heartbeat_ivl = v::int_at_least(name, value, 0, ">= 0 ms (0: none)")?
            }
            HeartbeatTimeout => {
                self.heartbeat_timeout = v::int_at_least(name, value, 0, ">= 0 ms (0: none)")?
            }
            HeartbeatTtl => {
                let ms = v::int_in(
                    name,
                    value,
                    0,
                    MAX_HEARTBEAT_TTL_MS,
                    "0 to 6553599 ms (sent in deciseconds in a u16)",
                )?;
                // Whole deciseconds, as libzmq keeps it (and reads it back).
                self.heartbeat_ttl = ms - ms % 100;
            }
            VmciBufferSize => self.vmci_buffer_size = v::uint64(name, value)?,
            VmciBufferMinSize => self.vmci_buffer_min_size = v::uint64(name, value)?,
            VmciBufferMaxSize => self.vmci_buffer_max_size = v::uint64(name, value)?,
            VmciConnectTimeout => {
                self.vmci_connect_timeout =
                    v::int_at_least(name, value, -1, "-1 (none) or >= 0 ms")?
            }
            UseFd => {
                self.use_fd =
                    v::int_at_least(name, value, -1, "-1 (none) or a file descriptor >= 0")?
            }
            // The socket types' own options (libzmq's xsetsockopt).
            ConnectRid => self.connect_rid = v::connect_rid(name, value)?,
            RouterRaw => self.router_raw = v::bool_non_negative(name, value)?,
            RouterMandatory => self.router_mandatory = v::bool_non_negative(name, value)?,
            RouterHandover => self.router_handover = v::bool_non_negative(name, value)?,
            ProbeRouter => self.probe_router = v::bool_non_negative(name, value)?,
            ReqCorrelate => self.req_correlate = v::bool_non_negative(name, value)?,
            ReqRelaxed => self.req_relaxed = v::bool_non_negative(name, value)?,
            XpubVerbose => {
                // libzmq: VERBOSE sets "verbose subscriptions" and clears "verbose
                // unsubscriptions"; VERBOSER sets both.
                self.xpub_verbose = v::bool_non_negative(name, value)?;
                self.xpub_verboser = false;
            }
            XpubVerboser => {
                let on = v::bool_non_negative(name, value)?;
                self.xpub_verbose = on;
                self.xpub_verboser = on;
            }
            XpubManual => self.xpub_manual = v::bool_non_negative(name, value)?,
            XpubNodrop => self.xpub_nodrop = v::bool_non_negative(name, value)?,
            XpubWelcomeMsg => self.xpub_welcome_msg = v::binary(name, value)?,
            StreamNotify => self.stream_notify = v::bool_strict(name, value)?,
            Subscribe => self.subscriptions.push(v::binary(name, value)?),
            Unsubscribe => {
                let prefix = v::binary(name, value)?;
                if let Some(i) = self.subscriptions.iter().position(|s| *s == prefix) {
                    self.subscriptions.remove(i);
                }
            }
        }
        Ok(())
    }

    /// Sets an option on a socket of type `socket_type`, as libzmq does: an option the type
    /// does not take ([`OptionName::accepted_by`]) is refused with
    /// [`OptionError::NotForSocketType`] before its value is looked at, and `ZMQ_SUBSCRIBE` /
    /// `ZMQ_UNSUBSCRIBE` on XPUB or PUB need `ZMQ_XPUB_MANUAL` on.
    pub fn set_for(
        &mut self,
        socket_type: SocketType,
        name: OptionName,
        value: impl Into<OptionValue>,
    ) -> Result<(), OptionError> {
        self.check_accepted(socket_type, name)?;
        self.set(name, value)
    }

    /// Sets an option named by libzmq's numeric constant (`zmq_setsockopt`'s `option_name`).
    pub fn set_by_id(&mut self, id: i32, value: impl Into<OptionValue>) -> Result<(), OptionError> {
        let name =
            OptionName::from_zmq_id(id).ok_or_else(|| OptionError::Unknown(id.to_string()))?;
        self.set(name, value)
    }

    /// Reads an option as libzmq's `zmq_getsockopt` does, in libzmq's representation: `Int`
    /// for `int` options (booleans 0 or 1), `Int64`, `Uint64`, `Bytes` for binary ones (empty
    /// when NULL), `Str` for strings (empty when not set). CURVE keys come back as their 32
    /// bytes (empty when not set), as libzmq gives them into a 32-byte buffer. The server
    /// flags read as libzmq reads them: `ZMQ_CURVE_SERVER` is 1 only while CURVE is the
    /// mechanism and the server side is selected.
    ///
    /// Options libzmq cannot read back give their state here: `ZMQ_SUBSCRIBE` and
    /// `ZMQ_UNSUBSCRIBE` the subscriptions in force, the filters their lists (an accept filter
    /// as the bytes of its text, `address/prefix`), and `ZMQ_CONNECT_RID` the id waiting for
    /// the next connect.
    pub fn get(&self, name: OptionName) -> OptionValue {
        use OptionName::*;
        use OptionValue as V;
        let key = |k: Option<&zmtp_security::CurvePublicKey>| {
            V::Bytes(k.map_or_else(Bytes::new, |k| Bytes::copy_from_slice(k.as_bytes())))
        };
        match name {
            Affinity => V::Uint64(self.affinity),
            Backlog => V::Int(self.backlog),
            ConnectRid => V::Bytes(self.connect_rid.clone()),
            Conflate => V::from(self.conflate),
            ConnectTimeout => V::Int(self.connect_timeout),
            CurvePublicKey => key(self.curve_public_key.as_ref()),
            CurveSecretKey => V::Bytes(
                self.curve_secret_key
                    .as_ref()
                    .map_or_else(Bytes::new, |k| Bytes::copy_from_slice(k.as_bytes())),
            ),
            CurveServer => V::from(self.is_server_of(MechanismKind::Curve)),
            CurveServerKey => key(self.curve_server_key.as_ref()),
            GssapiPlaintext => V::from(self.gssapi_plaintext),
            GssapiPrincipal => V::Str(self.gssapi_principal.clone()),
            GssapiServer => V::from(self.is_server_of(MechanismKind::Gssapi)),
            GssapiServicePrincipal => V::Str(self.gssapi_service_principal.clone()),
            GssapiPrincipalNametype => V::Int(self.gssapi_principal_nametype.as_raw()),
            GssapiServicePrincipalNametype => {
                V::Int(self.gssapi_service_principal_nametype.as_raw())
            }
            HandshakeIvl => V::Int(self.handshake_ivl),
            HeartbeatIvl => V::Int(self.heartbeat_ivl),
            HeartbeatTimeout => V::Int(self.heartbeat_timeout),
            HeartbeatTtl => V::Int(self.heartbeat_ttl),
            Identity => V::Bytes(self.identity.clone()),
            Immediate => V::from(self.immediate),
            InvertMatching => V::from(self.invert_matching),
            Ipv6 => V::from(self.ipv6),
            Ipv4Only => V::from(!self.ipv6),
            Linger => V::Int(self.linger),
            MaxMsgSize => V::Int64(self.maxmsgsize),
            MulticastHops => V::Int(self.multicast_hops),
            MulticastMaxTpdu => V::Int(self.multicast_maxtpdu),
            PlainPassword => V::Str(self.plain_password.0.as_str().to_owned()),
            PlainServer => V::from(self.is_server_of(MechanismKind::Plain)),
            PlainUsername => V::Str(self.plain_username.clone()),
            UseFd => V::Int(self.use_fd),
            ProbeRouter => V::from(self.probe_router),
            Rate => V::Int(self.rate),
            RcvBuf => V::Int(self.rcvbuf),
            RcvHwm => V::Int(self.rcvhwm),
            RcvTimeo => V::Int(self.rcvtimeo),
            ReconnectIvl => V::Int(self.reconnect_ivl),
            ReconnectIvlMax => V::Int(self.reconnect_ivl_max),
            RecoveryIvl => V::Int(self.recovery_ivl),
            ReqCorrelate => V::from(self.req_correlate),
            ReqRelaxed => V::from(self.req_relaxed),
            RouterHandover => V::from(self.router_handover),
            RouterMandatory => V::from(self.router_mandatory),
            RouterRaw => V::from(self.router_raw),
            SndBuf => V::Int(self.sndbuf),
            SndHwm => V::Int(self.sndhwm),
            SndTimeo => V::Int(self.sndtimeo),
            SocksProxy => V::Str(self.socks_proxy.clone()),
            StreamNotify => V::from(self.stream_notify),
            Subscribe | Unsubscribe => {
                V::List(self.subscriptions.iter().cloned().map(V::Bytes).collect())
            }
            TcpKeepalive => V::Int(self.tcp_keepalive),
            TcpKeepaliveCnt => V::Int(self.tcp_keepalive_cnt),
            TcpKeepaliveIdle => V::Int(self.tcp_keepalive_idle),
            TcpKeepaliveIntvl => V::Int(self.tcp_keepalive_intvl),
            TcpMaxRt => V::Int(self.tcp_maxrt),
            Tos => V::Int(self.tos),
            XpubVerbose => V::from(self.xpub_verbose),
            XpubVerboser => V::from(self.xpub_verboser),
            XpubManual => V::from(self.xpub_manual),
            XpubNodrop => V::from(self.xpub_nodrop),
            XpubWelcomeMsg => V::Bytes(self.xpub_welcome_msg.clone()),
            ZapDomain => V::Str(self.zap_domain.clone()),
            TcpAcceptFilter => V::List(
                self.tcp_accept_filters
                    .iter()
                    .map(|f| V::Bytes(Bytes::from(f.to_string())))
                    .collect(),
            ),
            IpcFilterGid => V::List(self.ipc_filter_gids.iter().map(|g| V::Uint32(*g)).collect()),
            IpcFilterPid => V::List(self.ipc_filter_pids.iter().map(|p| V::Int(*p)).collect()),
            IpcFilterUid => V::List(self.ipc_filter_uids.iter().map(|u| V::Uint32(*u)).collect()),
            VmciBufferSize => V::Uint64(self.vmci_buffer_size),
            VmciBufferMinSize => V::Uint64(self.vmci_buffer_min_size),
            VmciBufferMaxSize => V::Uint64(self.vmci_buffer_max_size),
            VmciConnectTimeout => V::Int(self.vmci_connect_timeout),
        }
    }

    /// The error for `name` on `socket_type`, if libzmq refuses it there.
    fn check_accepted(&self, socket_type: SocketType, name: OptionName) -> Result<(), OptionError> {
        let subscription_without_manual =
            matches!(name, OptionName::Subscribe | OptionName::Unsubscribe)
                && matches!(socket_type, SocketType::XPub | SocketType::Pub)
                && !self.xpub_manual;
        if !name.accepted_by(socket_type) || subscription_without_manual {
            return Err(OptionError::NotForSocketType {
                option: name,
                socket_type,
                accepted_by: name.accepted_by_text(),
            });
        }
        Ok(())
    }

    /// Checks that a socket of `socket_type` takes every option set here: each option that
    /// differs from its default must be [accepted](OptionName::accepted_by) by the type (a
    /// `ZMQ_SUBSCRIBE` on PUB options is an error, a `ZMQ_CONFLATE` on ROUTER options is not,
    /// as in libzmq).
    pub fn check_socket_type(&self, socket_type: SocketType) -> Result<(), OptionError> {
        let defaults = SocketOptions::default();
        for name in OptionName::every() {
            if self.get(name) != defaults.get(name) {
                self.check_accepted(socket_type, name)?;
            }
        }
        Ok(())
    }

    /// The first invalid value given to a builder method, if any; then, once a typed security
    /// setter was used ([`SocketOptions::set_security`]), what [`SocketOptions::security`]
    /// finds missing.
    pub fn validate(&self) -> Result<(), OptionError> {
        match &self.deferred {
            Some(e) => Err(e.clone()),
            None => self.check_security_at_build(),
        }
    }

    /// Ends a builder chain: the options, or the first invalid value given (its error names
    /// the option). Once a typed security setter was used ([`SocketOptions::set_security`],
    /// [`SocketOptions::with_curve_server`], ...), an incomplete security configuration (what
    /// [`SocketOptions::security`] refuses) is an error here too, not at bind or connect.
    pub fn build(mut self) -> Result<SocketOptions, OptionError> {
        match self.deferred.take() {
            Some(e) => Err(e),
            None => {
                self.check_security_at_build()?;
                Ok(self)
            }
        }
    }

    /// [`SocketOptions::security`]'s error, if a typed security setter asked for the check.
    fn check_security_at_build(&self) -> Result<(), OptionError> {
        if self.security_checked_at_build {
            self.security()?;
        }
        Ok(())
    }

    /// [`build`](SocketOptions::build), then
    /// [`check_socket_type`](SocketOptions::check_socket_type) for a socket of `socket_type`.
    pub fn build_for(self, socket_type: SocketType) -> Result<SocketOptions, OptionError> {
        let options = self.build()?;
        options.check_socket_type(socket_type)?;
        Ok(options)
    }

    /// Keeps the first error of a builder chain.
    pub(super) fn defer(&mut self, result: Result<(), OptionError>) {
        if let Err(e) = result {
            self.deferred.get_or_insert(e);
        }
    }

    /// libzmq's `as_server && mechanism == kind`.
    pub(super) fn is_server_of(&self, kind: MechanismKind) -> bool {
        self.as_server && self.mechanism == kind
    }

    /// Records a mechanism setting: the side, and the mechanism (`None`: NULL).
    pub(super) fn select(&mut self, as_server: bool, mechanism: Option<MechanismKind>) {
        self.as_server = as_server;
        self.mechanism = mechanism.unwrap_or(MechanismKind::Null);
    }

    /// `ZMQ_CURVE_PUBLICKEY`: selects CURVE, keeps the side. Callers check
    /// [`require_feature`] first.
    pub(super) fn set_curve_public_key_typed(&mut self, key: CurvePublicKey) {
        self.curve_public_key = Some(key);
        self.mechanism = MechanismKind::Curve;
    }

    /// `ZMQ_CURVE_SECRETKEY`: selects CURVE, keeps the side.
    pub(super) fn set_curve_secret_key_typed(&mut self, key: CurveSecretKey) {
        self.curve_secret_key = Some(key);
        self.mechanism = MechanismKind::Curve;
    }

    /// `ZMQ_CURVE_SERVERKEY`: selects the CURVE client.
    pub(super) fn set_curve_server_key_typed(&mut self, key: CurvePublicKey) {
        self.curve_server_key = Some(key);
        self.select(false, Some(MechanismKind::Curve));
    }
}

/// Refuses setting `name` when it needs a cargo feature of zmtp this build lacks: the CURVE
/// options without `curve`, `ZMQ_SOCKS_PROXY` without `socks`.
pub(super) fn require_feature(name: OptionName) -> Result<(), OptionError> {
    use OptionName::*;
    let feature = match name {
        CurveServer | CurvePublicKey | CurveSecretKey | CurveServerKey
            if !cfg!(feature = "curve") =>
        {
            "curve"
        }
        SocksProxy if !cfg!(feature = "socks") => "socks",
        _ => return Ok(()),
    };
    Err(OptionError::FeatureDisabled {
        option: name,
        feature,
    })
}

/// The bytes of a CURVE key option value.
fn key_bytes(name: OptionName, value: &OptionValue) -> Result<&[u8], OptionError> {
    value
        .as_bytes()
        .ok_or_else(|| v::bad_key(name, value, None))
}

fn parse_public(name: OptionName, value: &OptionValue) -> Result<CurvePublicKey, OptionError> {
    CurvePublicKey::parse(key_bytes(name, value)?).map_err(|e| v::bad_key(name, value, Some(e)))
}

fn name_type(name: OptionName, value: &OptionValue) -> Result<NameType, OptionError> {
    let raw = v::int(name, value)?;
    NameType::from_raw(raw).ok_or(OptionError::OutOfRange {
        option: name,
        allowed: "0 (host-based), 1 (user name) or 2 (Kerberos principal)",
        got: raw.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_changes_and_hides_secrets() -> Result<(), OptionError> {
        let options = SocketOptions::new()
            .sndhwm(7)
            .plain_username("admin")
            .plain_password("hunter2")
            .build()?;
        let text = format!("{options:?}");
        assert!(text.contains("ZMQ_SNDHWM: Int(7)"), "{text}");
        assert!(text.contains("admin"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
        assert!(
            !text.contains("ZMQ_RCVHWM"),
            "defaults are left out: {text}"
        );

        #[cfg(feature = "curve")]
        {
            let secret = zmtp_security::CurveSecretKey::from_bytes([0x42; 32]);
            let options = SocketOptions::new()
                .curve_secret_key(secret.clone())
                .build()?;
            let text = format!("{options:?}");
            assert!(!text.contains(&*secret.to_z85()), "{text}");
            assert!(text.contains(&secret.public_key().to_z85()), "{text}");
        }
        Ok(())
    }

    #[test]
    fn options_move_between_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<SocketOptions>();
        send_sync::<OptionError>();
    }

    #[test]
    fn set_by_id_and_unknown_ids() -> Result<(), OptionError> {
        let mut options = SocketOptions::new();
        options.set_by_id(23, 5)?;
        assert_eq!(options.get_sndhwm(), 5);
        assert_eq!(
            options.set_by_id(13, 1),
            Err(OptionError::Unknown("13".into()))
        );
        Ok(())
    }
}

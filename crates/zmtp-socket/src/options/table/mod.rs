//! The option table: one row per socket option, from which everything else about the option is
//! generated.
//!
//! A row gives, once: the [`OptionName`] variant with its doc (the man page's title), libzmq's
//! numeric constant and name, the C type of its value ([`ValueKind`]), when a change takes effect
//! ([`OptionEffect`]), whether sockets act on it yet, the socket types the 4.2 table lists
//! ([`OptionName::applies_to`]) and those libzmq accepts ([`OptionName::accepted_by`], with their
//! description; all when left out), the builder method with the typed setter it calls and the typed getter, the
//! field the value is stored in (with its Rust type and default; rows sharing a field name it
//! once: the server flags share libzmq's `mechanism`, `ZMQ_IPV4ONLY` is `ZMQ_IPV6` inverted), the
//! [`Codec`] that checks it and converts it to and from libzmq's encoding, the setter's doc, and
//! optionally a method run after each change (`then`: the security options select their
//! mechanism, the XPUB verbosity flags move together, an IPv6 accept filter needs `ZMQ_IPV6`).
//! From these the field, its default, the dynamic `set`/`get` arms, the builder method, the
//! getter and the typed setter (`gen`; `custom` when written by hand in `accessors.rs`) are
//! generated.
//!
//! Rows are in the order of `options.tsv` (the 70 rows of the 4.2.2 table), then the options
//! beyond it.
//!
//! Adding an option: one row here (and a line in `options.tsv` if it is in libzmq's table), plus
//! the code that uses it.

use std::collections::BTreeSet;
use std::convert::identity;
use std::time::Duration;

use bytes::Bytes;
use zmtp_codec::SocketType;
use zmtp_security::{CurvePublicKey, CurveSecretKey, NameType};

use super::codec::{
    int, uid, AcceptFilters, Binary, Bool, Codec, Ids, IntAtLeast, Key, MaxMsgSize, Millis, Ms,
    NameTypes, OrMinusOne, Password, Secret, ServerFlag, Subscription, Text, TriState, Uint64,
};
use super::effect::OptionEffect;
use super::error::OptionError;
use super::filter::TcpAcceptFilter;
use super::security::{MechanismKind, Selected};
use super::socket_options::SocketOptions;
use super::value::{OptionValue, ValueKind};

/// How many rows of the table are libzmq 4.2.2's (`options.tsv`); the rest are beyond it.
const IN_TABLE: usize = 70;

/// The codec of the CURVE public keys.
const PUBLIC_KEY: Key<CurvePublicKey> = Key(|b| CurvePublicKey::parse(b), CurvePublicKey::as_bytes);

/// A stored value as the getter gives it.
fn copied<T: Copy>(value: &T) -> T {
    *value
}

/// The macros the rows below expand through.
#[macro_use]
mod generate;

options_table! {
    /// `ZMQ_AFFINITY` (4): "Set I/O thread affinity". `uint64_t` bitmap, default 0.
    Affinity = 4, "ZMQ_AFFINITY": Uint64, NextBindOrConnect, live, applies(all),
        affinity(u64) => set_affinity / get_affinity -> u64 [copied],
        affinity: u64 = 0, Uint64, gen
        "which of the context's I/O threads serve the connections of later binds and connects (bit \
         `i`: thread `zmtp-io-<i>`; 0, the default: any, the least loaded). See \
         [`Context`](crate::Context) for the I/O threads; a tcp or ipc bind or connect whose mask \
         names none fails with [`Error::NoIoThread`](crate::Error::NoIoThread). Default 0.";
    /// `ZMQ_BACKLOG` (19): "Set maximum length of the queue of outstanding connections".
    /// Connections, default 100.
    Backlog = 19, "ZMQ_BACKLOG": Int, NextBindOrConnect, live, applies(all),
        backlog(i32) => set_backlog / get_backlog -> i32 [copied],
        backlog: i32 = 100, IntAtLeast(0, ">= 0"), gen
        "the listen queue length for connection-oriented transports. Must be >= 0. Default 100.";
    /// `ZMQ_CONNECT_RID` (61; `ZMQ_CONNECT_ROUTING_ID` in libzmq 4.3): "Assign the next outbound
    /// connection id". Binary, default NULL. ROUTER and STREAM.
    ConnectRid = 61, "ZMQ_CONNECT_RID": Binary, NextConnectOnly, live, applies([Router, Stream])
        accepted([Router, Rep, Stream] "ROUTER, REP (a ROUTER in libzmq) and STREAM"),
        connect_rid(impl Into<Bytes>) => set_connect_rid
            / get_connect_rid -> Option<&Bytes> [Option::as_ref],
        connect_rid: Option<Bytes> = None, Binary::ConnectRid, gen
        "the routing id the peer of the next `connect` gets, so a ROUTER or STREAM can send to it \
         at once. 1 to 255 bytes, not starting with a zero byte; used once \
         ([`SocketOptions::take_connect_rid`]).";
    /// `ZMQ_CONFLATE` (54): "Keep only last message". Boolean, default 0.
    Conflate = 54, "ZMQ_CONFLATE": Int, NextBindOrConnect, live,
        applies([Pull, Push, Sub, Pub, Dealer]),
        conflate(bool) => set_conflate / get_conflate -> bool [copied],
        conflate: bool = false, Bool::Strict, gen
        "keep only the last message in each queue (single-part messages only). libzmq applies it \
         to PULL, PUSH, SUB, PUB and DEALER and stores it on the others. Default off.";
    /// `ZMQ_CONNECT_TIMEOUT` (79): "Set connect() timeout". Milliseconds, default 0 (disabled).
    ConnectTimeout = 79, "ZMQ_CONNECT_TIMEOUT": Int, NextBindOrConnect, live, applies(all),
        connect_timeout(Option<Duration>) => set_connect_timeout
            / get_connect_timeout -> Option<Duration> [copied],
        connect_timeout: Option<Duration> = None, Millis::or_zero(">= 0 ms (0: disabled)"), gen
        "give up a TCP connect after this long (`None` or zero: the OS's timeout). Default none.";
    /// `ZMQ_CURVE_PUBLICKEY` (48): "Sets the socket's long term public key". 32 bytes or Z85,
    /// default NULL.
    CurvePublicKey = 48, "ZMQ_CURVE_PUBLICKEY": CurveKey, NextBindOrConnect, live, applies(all),
        curve_public_key(CurvePublicKey) => set_curve_public_key
            / get_curve_public_key -> Option<&CurvePublicKey> [Option::as_ref],
        curve_public_key: Option<CurvePublicKey> = None, PUBLIC_KEY, gen
        "our long-term public key (a client needs it; it must be the secret key's). Selects \
         CURVE. Through [`SocketOptions::set`] it also takes 32 bytes or Z85 text.",
            then after_curve_key;
    /// `ZMQ_CURVE_SECRETKEY` (49): "Sets the socket's long term secret key". 32 bytes or Z85,
    /// default NULL.
    CurveSecretKey = 49, "ZMQ_CURVE_SECRETKEY": CurveKey, NextBindOrConnect, live, applies(all),
        curve_secret_key(CurveSecretKey) => set_curve_secret_key
            / get_curve_secret_key -> Option<&CurveSecretKey> [Option::as_ref],
        curve_secret_key: Option<CurveSecretKey> = None,
            Key(|b| CurveSecretKey::parse(b), CurveSecretKey::as_bytes), custom
        "our long-term secret key (client and server need it). Selects CURVE.",
            then after_curve_key;
    /// `ZMQ_CURVE_SERVER` (47): "Defines whether the socket will act as server for CURVE
    /// security". 0 or 1, default 0.
    CurveServer = 47, "ZMQ_CURVE_SERVER": Int, NextBindOrConnect, live, applies(all),
        curve_server(bool) => set_curve_server
            / get_curve_server -> bool [|s: &Selected| s.is_server_of(MechanismKind::Curve)],
        mechanism: Selected = Selected::default(), ServerFlag(MechanismKind::Curve), gen
        "on selects the CURVE server (which needs `ZMQ_CURVE_SECRETKEY`), off selects NULL. \
         Reads on while CURVE is selected, server side. Default off.";
    /// `ZMQ_CURVE_SERVERKEY` (50): "Sets the socket's long term server key". 32 bytes or Z85,
    /// default NULL.
    CurveServerKey = 50, "ZMQ_CURVE_SERVERKEY": CurveKey, NextBindOrConnect, live, applies(all),
        curve_server_key(CurvePublicKey) => set_curve_server_key
            / get_curve_server_key -> Option<&CurvePublicKey> [Option::as_ref],
        curve_server_key: Option<CurvePublicKey> = None, PUBLIC_KEY, gen
        "the server's long-term public key. Selects the CURVE client.",
            then after_curve_server_key;
    /// `ZMQ_GSSAPI_PLAINTEXT` (65): "Defines whether communications on the socket will be
    /// encrypted" (1: plaintext). 0 or 1, default 0.
    GssapiPlaintext = 65, "ZMQ_GSSAPI_PLAINTEXT": Int, NextBindOrConnect, live, applies(all),
        gssapi_plaintext(bool) => set_gssapi_plaintext / get_gssapi_plaintext -> bool [copied],
        gssapi_plaintext: bool = false, Bool::Strict, gen
        "authenticate only and send messages unwrapped (both sides must agree). Default off.";
    /// `ZMQ_GSSAPI_PRINCIPAL` (63): "Set name of GSSAPI principal". String, default not set.
    GssapiPrincipal = 63, "ZMQ_GSSAPI_PRINCIPAL": Text, NextBindOrConnect, live, applies(all),
        gssapi_principal(impl Into<String>) => set_gssapi_principal
            / get_gssapi_principal -> Option<&str> [Option::as_deref],
        gssapi_principal: Option<String> = None, Text::NonEmptyShort, gen
        "(1 to 255 bytes): our own principal. Selects GSSAPI. Default not set (the library's \
         default credentials).", then after_gssapi_principal;
    /// `ZMQ_GSSAPI_SERVER` (62): "Defines whether the socket will act as server for GSSAPI
    /// security". 0 or 1, default 0.
    GssapiServer = 62, "ZMQ_GSSAPI_SERVER": Int, NextBindOrConnect, live, applies(all),
        gssapi_server(bool) => set_gssapi_server
            / get_gssapi_server -> bool [|s: &Selected| s.is_server_of(MechanismKind::Gssapi)],
        mechanism, ServerFlag(MechanismKind::Gssapi), gen
        "selects GSSAPI, server side if on, client side if off. Reads on while GSSAPI is \
         selected, server side. Default off.";
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL` (64): "Set name of GSSAPI service principal". String,
    /// default not set.
    GssapiServicePrincipal = 64, "ZMQ_GSSAPI_SERVICE_PRINCIPAL": Text, NextBindOrConnect, live,
        applies(all),
        gssapi_service_principal(impl Into<String>) => set_gssapi_service_principal
            / get_gssapi_service_principal -> Option<&str> [Option::as_deref],
        gssapi_service_principal: Option<String> = None, Text::NonEmptyShort, gen
        "(1 to 255 bytes): the server's principal. Selects the GSSAPI client. Default not set.",
            then after_gssapi_service_principal;
    /// `ZMQ_HANDSHAKE_IVL` (66): "Set maximum handshake interval". Milliseconds, default 30000
    /// (0: no limit).
    HandshakeIvl = 66, "ZMQ_HANDSHAKE_IVL": Int, NextBindOrConnect, live, applies(all_but [Stream]),
        handshake_ivl(Option<Duration>) => set_handshake_ivl
            / get_handshake_ivl -> Option<Duration> [copied],
        handshake_ivl: Option<Duration> = Some(Duration::from_secs(30)),
            Millis::or_zero(">= 0 ms (0: no limit)"), gen
        "the greeting and security handshake must finish within it (`None` or zero: no limit, \
         libzmq's 0). Default 30 s.";
    /// `ZMQ_HEARTBEAT_IVL` (75): "Set interval between sending ZMTP heartbeats". Milliseconds,
    /// default 0 (none).
    HeartbeatIvl = 75, "ZMQ_HEARTBEAT_IVL": Int, NextBindOrConnect, live, applies(all),
        heartbeat_ivl(Option<Duration>) => set_heartbeat_ivl
            / get_heartbeat_ivl -> Option<Duration> [copied],
        heartbeat_ivl: Option<Duration> = None, Millis::or_zero(">= 0 ms (0: none)"), gen
        "send a PING this often (`None` or zero: never). Default never.";
    /// `ZMQ_HEARTBEAT_TIMEOUT` (77): "Set timeout for ZMTP heartbeats". Milliseconds; the
    /// table's default is 0, libzmq's (and this crate's) -1, the heartbeat interval; 0 turns the
    /// timeout off.
    HeartbeatTimeout = 77, "ZMQ_HEARTBEAT_TIMEOUT": Int, NextBindOrConnect, live, applies(all),
        heartbeat_timeout(Option<Duration>) => set_heartbeat_timeout
            / get_heartbeat_timeout -> Option<Duration> [copied],
        heartbeat_timeout: Option<Duration> = None, Millis::HEARTBEAT_TIMEOUT, custom
        "close the connection if nothing arrives this long after a PING (`None`: the heartbeat \
         interval, the default; zero: no timeout, PINGs go out and a peer that answers none is \
         kept).  As in libzmq 4.2 and 4.3, whose default is -1 (the interval) and reads back so, \
         and whose explicit 0 turns the timeout off; the table's default of 0 is not libzmq's. \
         Through [`SocketOptions::set`], -1 is refused as libzmq refuses it; `None` here restores \
         it.";
    /// `ZMQ_HEARTBEAT_TTL` (76): "Set the TTL value for ZMTP heartbeats". Milliseconds, kept in
    /// whole deciseconds, default 0.
    HeartbeatTtl = 76, "ZMQ_HEARTBEAT_TTL": Int, NextBindOrConnect, live, applies(all),
        heartbeat_ttl(Option<Duration>) => set_heartbeat_ttl
            / get_heartbeat_ttl -> Option<Duration> [copied],
        heartbeat_ttl: Option<Duration> = None, Millis::HEARTBEAT_TTL, gen
        "asks the peer to close the connection if it hears nothing from us this long (`None` or \
         zero: no limit). Kept, read back and sent in PINGs in whole deciseconds (rounded down, as \
         libzmq: 2550 ms reads 2500 ms, under 100 ms is none); at most 6553.599 s. Default none.";
    /// `ZMQ_IDENTITY` (5; `ZMQ_ROUTING_ID` in libzmq 4.3): "Set socket identity". Binary, 1 to
    /// 255 bytes of any values, default NULL.
    Identity = 5, "ZMQ_IDENTITY": Binary, NextBindOrConnect, live,
        applies([Req, Rep, Router, Dealer]),
        identity(impl Into<Bytes>) => set_identity
            / get_identity -> Option<&Bytes> [Option::as_ref],
        identity: Option<Bytes> = None, Binary::RoutingId, gen
        "the id a REQ, DEALER or ROUTER announces to a ROUTER peer. 1 to 255 bytes of any values \
         (a leading zero byte included, as in libzmq). Default none.";
    /// `ZMQ_IMMEDIATE` (39): "Queue messages only to completed connections". Boolean, default 0.
    Immediate = 39, "ZMQ_IMMEDIATE": Int, NextBindOrConnect, live, applies(all),
        immediate(bool) => set_immediate / get_immediate -> bool [copied],
        immediate: bool = false, Bool::Strict, gen
        "queue messages only to connections whose handshake is done. Default off.";
    /// `ZMQ_INVERT_MATCHING` (74): "Invert message filtering". 0 or 1, default 0.
    InvertMatching = 74, "ZMQ_INVERT_MATCHING": Int, Immediate, live, applies([Pub, XPub, Sub]),
        invert_matching(bool) => set_invert_matching / get_invert_matching -> bool [copied],
        invert_matching: bool = false, Bool::Any, gen
        "a PUB or XPUB sends to peers not subscribed to a message's prefix, a SUB receives \
         messages matching none of its subscriptions. libzmq takes any `int` (non-zero is on). \
         Default off.";
    /// `ZMQ_IPV6` (42): "Enable IPv6 on socket". Boolean, default 0.
    Ipv6 = 42, "ZMQ_IPV6": Int, NextBindOrConnect, live, applies(all),
        ipv6(bool) => set_ipv6 / get_ipv6 -> bool [copied],
        ipv6: bool = false, Bool::Strict, gen
        "resolve and accept IPv6 as well as IPv4 (off: IPv4 only). Default off.";
    /// `ZMQ_LINGER` (17): "Set linger period for socket shutdown". Milliseconds, default 30000
    /// (-1: infinite).
    Linger = 17, "ZMQ_LINGER": Int, Immediate, live, applies(all),
        linger(Option<Duration>) => set_linger / get_linger -> Option<Duration> [copied],
        linger: Option<Duration> = Some(Duration::from_secs(30)),
            Millis::or_minus_one("-1 (infinite) or >= 0 ms"), gen
        "how long unsent messages are kept after close or disconnect (`None`: until sent, libzmq's \
         -1; zero: dropped at once). Default 30 s.";
    /// `ZMQ_MAXMSGSIZE` (22): "Maximum acceptable inbound message size". `int64_t` bytes,
    /// default -1 (no limit).
    MaxMsgSize = 22, "ZMQ_MAXMSGSIZE": Int64, NextBindOrConnect, live, applies(all),
        maxmsgsize(Option<u64>) => set_maxmsgsize / get_maxmsgsize -> Option<u64> [copied],
        maxmsgsize: Option<u64> = None, MaxMsgSize, gen
        "a peer sending a larger message is disconnected (`None`: no limit, libzmq's -1). At most \
         `i64::MAX`. Default no limit.";
    /// `ZMQ_MULTICAST_HOPS` (25): "Maximum network hops for multicast packets". Default 1.
    MulticastHops = 25, "ZMQ_MULTICAST_HOPS": Int, NextBindOrConnect, live, applies(all),
        multicast_hops(i32) => set_multicast_hops / get_multicast_hops -> i32 [copied],
        multicast_hops: i32 = 1, IntAtLeast(1, "> 0"), gen
        "the TTL of multicast packets. Must be > 0. Default 1 (the local network).";
    /// `ZMQ_MULTICAST_MAXTPDU` (84): "Maximum transport data unit size for multicast packets".
    /// Bytes, default 1500.
    MulticastMaxTpdu = 84, "ZMQ_MULTICAST_MAXTPDU": Int, NextBindOrConnect, live, applies(all),
        multicast_maxtpdu(i32) => set_multicast_maxtpdu / get_multicast_maxtpdu -> i32 [copied],
        multicast_maxtpdu: i32 = 1500, IntAtLeast(1, "> 0 bytes"), gen
        "the largest multicast packet, in bytes. Must be > 0. Default 1500.";
    /// `ZMQ_PLAIN_PASSWORD` (46): "Set PLAIN security password". String, default not set.
    PlainPassword = 46, "ZMQ_PLAIN_PASSWORD": Text, NextBindOrConnect, live, applies(all),
        plain_password(impl Into<String>) => set_plain_password
            / get_plain_password -> Option<&str> [Password::as_option],
        plain_password: Password = Password::default(), Secret, gen
        "(at most 255 bytes): selects the PLAIN client. Empty selects NULL and forgets the \
         password. Default not set.", then after_plain_password;
    /// `ZMQ_PLAIN_SERVER` (44): "Defines whether the socket will act as server for PLAIN
    /// security". 0 or 1, default 0.
    PlainServer = 44, "ZMQ_PLAIN_SERVER": Int, NextBindOrConnect, live, applies(all),
        plain_server(bool) => set_plain_server
            / get_plain_server -> bool [|s: &Selected| s.is_server_of(MechanismKind::Plain)],
        mechanism, ServerFlag(MechanismKind::Plain), gen
        "on selects the PLAIN server, off selects NULL. Reads on while PLAIN is selected, server \
         side. Default off.";
    /// `ZMQ_PLAIN_USERNAME` (45): "Set PLAIN security username". String, default not set.
    PlainUsername = 45, "ZMQ_PLAIN_USERNAME": Text, NextBindOrConnect, live, applies(all),
        plain_username(impl Into<String>) => set_plain_username
            / get_plain_username -> Option<&str> [Option::as_deref],
        plain_username: Option<String> = None, Text::Short,
            gen
        "(at most 255 bytes): selects the PLAIN client. Empty selects NULL and forgets the name \
         (libzmq's `(NULL, 0)`). Default not set.", then after_plain_username;
    /// `ZMQ_USE_FD` (89): "Set the pre-allocated socket file descriptor". Default -1.
    UseFd = 89, "ZMQ_USE_FD": Int, NextBindOrConnect, live, applies(all),
        use_fd(Option<i32>) => set_use_fd / get_use_fd -> Option<i32> [copied],
        use_fd: Option<i32> = None, OrMinusOne(0, "-1 (none) or a file descriptor >= 0"), gen
        "bind by taking over this listening file descriptor (already bound and listening) instead \
         of opening one (`None`: open one, libzmq's -1). Default none.";
    /// `ZMQ_PROBE_ROUTER` (51): "bootstrap connections to ROUTER sockets". 0 or 1, default 0.
    ProbeRouter = 51, "ZMQ_PROBE_ROUTER": Int, NextConnection, live, applies([Router, Dealer, Req])
        accepted([Router, Rep, Dealer, Req] "ROUTER, REP, DEALER and REQ"),
        probe_router(bool) => set_probe_router / get_probe_router -> bool [copied],
        probe_router: bool = false, Bool::NonNegative, gen
        "send an empty message on each new connection, so a ROUTER peer learns of it (ROUTER, \
         DEALER, REQ). Default off.";
    /// `ZMQ_RATE` (8): "Set multicast data rate". Kilobits per second, default 100.
    Rate = 8, "ZMQ_RATE": Int, NextBindOrConnect, live, applies(all),
        rate(i32) => set_rate / get_rate -> i32 [copied],
        rate: i32 = 100, IntAtLeast(1, "> 0"), gen
        "the multicast data rate in kilobits per second. Must be > 0. Default 100.";
    /// `ZMQ_RCVBUF` (12): "Set kernel receive buffer size". Bytes, default -1 (the OS's).
    RcvBuf = 12, "ZMQ_RCVBUF": Int, NextBindOrConnect, live, applies(all),
        rcvbuf(Option<i32>) => set_rcvbuf / get_rcvbuf -> Option<i32> [copied],
        rcvbuf: Option<i32> = None, OrMinusOne(0, "-1 (the OS's default) or >= 0"), gen
        "the kernel's receive buffer, in bytes (`None`: the OS's default, libzmq's -1). Default \
         the OS's.";
    /// `ZMQ_RCVHWM` (24): "Set high water mark for inbound messages". Messages, default 1000.
    RcvHwm = 24, "ZMQ_RCVHWM": Int, Immediate, live, applies(all),
        rcvhwm(i32) => set_rcvhwm / get_rcvhwm -> i32 [copied],
        rcvhwm: i32 = 1000, IntAtLeast(0, ">= 0"), gen
        "at most this many incoming messages queued per peer (0: no limit). Must be >= 0. Default \
         1000.";
    /// `ZMQ_RCVTIMEO` (27): "Maximum time before a recv operation returns with EAGAIN".
    /// Milliseconds, default -1 (infinite).
    RcvTimeo = 27, "ZMQ_RCVTIMEO": Int, Immediate, live, applies(all),
        rcvtimeo(Option<Duration>) => set_rcvtimeo / get_rcvtimeo -> Option<Duration> [copied],
        rcvtimeo: Option<Duration> = None, Millis::or_minus_one("-1 (infinite) or >= 0 ms"), gen
        "how long a receive waits for a message (`None`: forever, libzmq's -1; zero: not at all). \
         Default forever.";
    /// `ZMQ_RECONNECT_IVL` (18): "Set reconnection interval". Milliseconds, default 100 (-1: no
    /// reconnection).
    ReconnectIvl = 18, "ZMQ_RECONNECT_IVL": Int, NextBindOrConnect, live, applies(all),
        reconnect_ivl(Option<Duration>) => set_reconnect_ivl
            / get_reconnect_ivl -> Option<Duration> [copied],
        reconnect_ivl: Option<Duration> = Some(Duration::from_millis(100)),
            Millis::or_minus_one("-1 (no reconnection) or >= 0 ms"), gen
        "wait this long before reconnecting (`None`: never reconnect, libzmq 4.3's -1). Default \
         100 ms.";
    /// `ZMQ_RECONNECT_IVL_MAX` (21): "Set maximum reconnection interval". Milliseconds, default 0
    /// (only use `ZMQ_RECONNECT_IVL`).
    ReconnectIvlMax = 21, "ZMQ_RECONNECT_IVL_MAX": Int, NextBindOrConnect, live, applies(all),
        reconnect_ivl_max(Option<Duration>) => set_reconnect_ivl_max
            / get_reconnect_ivl_max -> Option<Duration> [copied],
        reconnect_ivl_max: Option<Duration> = None, Millis::or_zero(">= 0 ms (0: none)"), gen
        "double the reconnection interval after each attempt up to this (`None` or zero: always \
         `ZMQ_RECONNECT_IVL`; values below it are ignored by libzmq). Default none.";
    /// `ZMQ_RECOVERY_IVL` (9): "Set multicast recovery interval". Milliseconds, default 10000.
    RecoveryIvl = 9, "ZMQ_RECOVERY_IVL": Int, NextBindOrConnect, live, applies(all),
        recovery_ivl(Duration) => set_recovery_ivl / get_recovery_ivl -> Duration [copied],
        recovery_ivl: Duration = Duration::from_secs(10), Ms(">= 0 ms"), gen
        "how long a multicast receiver may be away before data is lost. Default 10 s.";
    /// `ZMQ_REQ_CORRELATE` (52): "match replies with requests". 0 or 1, default 0. REQ.
    ReqCorrelate = 52, "ZMQ_REQ_CORRELATE": Int, Immediate, live, applies([Req])
        accepted([Req] "REQ"),
        req_correlate(bool) => set_req_correlate / get_req_correlate -> bool [copied],
        req_correlate: bool = false, Bool::NonNegative, gen
        "a REQ prefixes requests with a request id and drops replies without the matching one. \
         Default off.";
    /// `ZMQ_REQ_RELAXED` (53): "relax strict alternation between request and reply". 0 or 1,
    /// default 0. REQ.
    ReqRelaxed = 53, "ZMQ_REQ_RELAXED": Int, Immediate, live, applies([Req]) accepted([Req] "REQ"),
        req_relaxed(bool) => set_req_relaxed / get_req_relaxed -> bool [copied],
        req_relaxed: bool = false, Bool::NonNegative, gen
        "a REQ may send a new request before the reply to the last (use with `ZMQ_REQ_CORRELATE`). \
         Default off.";
    /// `ZMQ_ROUTER_HANDOVER` (56): "handle duplicate client identities on ROUTER sockets". 0 or
    /// 1, default 0.
    RouterHandover = 56, "ZMQ_ROUTER_HANDOVER": Int, Immediate, live, applies([Router])
        accepted([Router, Rep] "ROUTER and REP (a ROUTER in libzmq)"),
        router_handover(bool) => set_router_handover / get_router_handover -> bool [copied],
        router_handover: bool = false, Bool::NonNegative, gen
        "a peer connecting with a routing id already in use takes it over (off: it is refused). \
         Default off.";
    /// `ZMQ_ROUTER_MANDATORY` (33): "accept only routable messages on ROUTER sockets". 0 or 1,
    /// default 0.
    RouterMandatory = 33, "ZMQ_ROUTER_MANDATORY": Int, Immediate, live, applies([Router])
        accepted([Router, Rep] "ROUTER and REP (a ROUTER in libzmq)"),
        router_mandatory(bool) => set_router_mandatory / get_router_mandatory -> bool [copied],
        router_mandatory: bool = false, Bool::NonNegative, gen
        "a ROUTER reports a message it cannot route (`EHOSTUNREACH`) instead of dropping it. \
         Default off.";
    /// `ZMQ_ROUTER_RAW` (41): "switch ROUTER socket to raw mode". 0 or 1, default 0.
    RouterRaw = 41, "ZMQ_ROUTER_RAW": Int, NextBindOrConnect, live, applies([Router])
        accepted([Router, Rep] "ROUTER and REP (a ROUTER in libzmq)"),
        router_raw(bool) => set_router_raw / get_router_raw -> bool [copied],
        router_raw: bool = false, Bool::NonNegative, gen
        "(deprecated for STREAM): the ROUTER speaks raw TCP, no ZMTP. Default off.";
    /// `ZMQ_SNDBUF` (11): "Set kernel transmit buffer size". Bytes, default -1 (the OS's).
    SndBuf = 11, "ZMQ_SNDBUF": Int, NextBindOrConnect, live, applies(all),
        sndbuf(Option<i32>) => set_sndbuf / get_sndbuf -> Option<i32> [copied],
        sndbuf: Option<i32> = None, OrMinusOne(0, "-1 (the OS's default) or >= 0"), gen
        "the kernel's send buffer, in bytes (`None`: the OS's default, libzmq's -1). Default the \
         OS's.";
    /// `ZMQ_SNDHWM` (23): "Set high water mark for outbound messages". Messages, default 1000.
    SndHwm = 23, "ZMQ_SNDHWM": Int, Immediate, live, applies(all),
        sndhwm(i32) => set_sndhwm / get_sndhwm -> i32 [copied],
        sndhwm: i32 = 1000, IntAtLeast(0, ">= 0"), gen
        "at most this many outgoing messages queued per peer (0: no limit). Must be >= 0. Default \
         1000.";
    /// `ZMQ_SNDTIMEO` (28): "Maximum time before a send operation returns with EAGAIN".
    /// Milliseconds, default -1 (infinite).
    SndTimeo = 28, "ZMQ_SNDTIMEO": Int, Immediate, live, applies(all),
        sndtimeo(Option<Duration>) => set_sndtimeo / get_sndtimeo -> Option<Duration> [copied],
        sndtimeo: Option<Duration> = None, Millis::or_minus_one("-1 (infinite) or >= 0 ms"), gen
        "how long a send waits for room (`None`: forever, libzmq's -1; zero: not at all). Default \
         forever.";
    /// `ZMQ_SOCKS_PROXY` (68): "Set SOCKS5 proxy address". String, default not set.
    SocksProxy = 68, "ZMQ_SOCKS_PROXY": Text, NextBindOrConnect, live, applies(all),
        socks_proxy(impl Into<String>) => set_socks_proxy
            / get_socks_proxy -> Option<&str> [Option::as_deref],
        socks_proxy: Option<String> = None, Text::Any, gen
        "later `tcp://` connects go through the SOCKS5 proxy at `host:port` (IPv6 in brackets; no \
         default port), with no authentication, as in libzmq; the target's host name goes to the \
         proxy unresolved. Empty: no proxy. Default none. Any text is accepted here; `connect` \
         refuses an address that names no proxy.";
    /// `ZMQ_STREAM_NOTIFY` (73): "send connect and disconnect notifications". 0 or 1, default 1.
    StreamNotify = 73, "ZMQ_STREAM_NOTIFY": Int, NextBindOrConnect, live, applies([Stream])
        accepted([Stream] "STREAM"),
        stream_notify(bool) => set_stream_notify / get_stream_notify -> bool [copied],
        stream_notify: bool = true, Bool::Strict, gen
        "a STREAM delivers an empty message when a peer connects or disconnects. Default on.";
    /// `ZMQ_SUBSCRIBE` (6): "Establish message filter". Binary prefix. SUB.
    Subscribe = 6, "ZMQ_SUBSCRIBE": Binary, Immediate, live, applies([Sub])
        accepted([Sub, XPub, Pub] "SUB, and XPUB or PUB with ZMQ_XPUB_MANUAL on"),
        subscribe(impl Into<Bytes>) => set_subscribe
            / get_subscriptions -> &[Bytes] [Vec::as_slice],
        subscriptions: Vec<Bytes> = Vec::new(), Subscription(true), gen
        "adds a subscription to messages starting with the prefix (empty: all messages). \
         Subscribing twice needs two unsubscriptions. On options given to a socket they are the \
         socket's from then on: a live socket's subscriptions are kept by its pattern alone (a \
         SUB's `subscribe` does not list them in [`SocketOptions::get_subscriptions`]).";
    /// `ZMQ_TCP_KEEPALIVE` (34): "Override SO_KEEPALIVE socket option". -1, 0 or 1, default -1.
    TcpKeepalive = 34, "ZMQ_TCP_KEEPALIVE": Int, NextBindOrConnect, live, applies(all),
        tcp_keepalive(Option<bool>) => set_tcp_keepalive
            / get_tcp_keepalive -> Option<bool> [copied],
        tcp_keepalive: Option<bool> = None, TriState, gen
        "`SO_KEEPALIVE` on or off (`None`: the OS's default, libzmq's -1). Default the OS's.";
    /// `ZMQ_TCP_KEEPALIVE_CNT` (35): "Override TCP_KEEPCNT socket option". -1 or > 0, default -1.
    TcpKeepaliveCnt = 35, "ZMQ_TCP_KEEPALIVE_CNT": Int, NextBindOrConnect, live, applies(all),
        tcp_keepalive_cnt(Option<i32>) => set_tcp_keepalive_cnt
            / get_tcp_keepalive_cnt -> Option<i32> [copied],
        tcp_keepalive_cnt: Option<i32> = None, OrMinusOne(1, "-1 (the OS's default) or > 0"), gen
        "`TCP_KEEPCNT`, probes before the connection is dropped (`None`: the OS's default). Must \
         be > 0. Default the OS's.";
    /// `ZMQ_TCP_KEEPALIVE_IDLE` (36): "Override TCP_KEEPIDLE (or TCP_KEEPALIVE on some OS)
    /// socket option". -1 or > 0 (seconds), default -1.
    TcpKeepaliveIdle = 36, "ZMQ_TCP_KEEPALIVE_IDLE": Int, NextBindOrConnect, live, applies(all),
        tcp_keepalive_idle(Option<i32>) => set_tcp_keepalive_idle
            / get_tcp_keepalive_idle -> Option<i32> [copied],
        tcp_keepalive_idle: Option<i32> = None, OrMinusOne(1, "-1 (the OS's default) or > 0"), gen
        "`TCP_KEEPIDLE`, idle seconds before the first probe (`None`: the OS's default). Must be > \
         0. Default the OS's.";
    /// `ZMQ_TCP_KEEPALIVE_INTVL` (37): "Override TCP_KEEPINTVL socket option". -1 or > 0
    /// (seconds), default -1.
    TcpKeepaliveIntvl = 37, "ZMQ_TCP_KEEPALIVE_INTVL": Int, NextBindOrConnect, live, applies(all),
        tcp_keepalive_intvl(Option<i32>) => set_tcp_keepalive_intvl
            / get_tcp_keepalive_intvl -> Option<i32> [copied],
        tcp_keepalive_intvl: Option<i32> = None, OrMinusOne(1, "-1 (the OS's default) or > 0"), gen
        "`TCP_KEEPINTVL`, seconds between probes (`None`: the OS's default). Must be > 0. Default \
         the OS's.";
    /// `ZMQ_TCP_MAXRT` (80): "Set TCP Maximum Retransmit Timeout". Milliseconds, default 0 (the
    /// OS's).
    TcpMaxRt = 80, "ZMQ_TCP_MAXRT": Int, NextBindOrConnect, live, applies(all),
        tcp_maxrt(Option<Duration>) => set_tcp_maxrt / get_tcp_maxrt -> Option<Duration> [copied],
        tcp_maxrt: Option<Duration> = None, Millis::or_zero(">= 0 ms (0: the OS's)"), gen
        "`TCP_USER_TIMEOUT`, how long unacknowledged data may wait before the connection is \
         dropped (`None` or zero: the OS's default). Default the OS's.";
    /// `ZMQ_TOS` (57): "Set the Type-of-Service on socket". Default 0.
    Tos = 57, "ZMQ_TOS": Int, NextBindOrConnect, live, applies(all),
        tos(i32) => set_tos / get_tos -> i32 [copied],
        tos: i32 = 0, IntAtLeast(0, ">= 0"), gen
        "the IP type-of-service byte of outgoing packets. Must be >= 0 (the table's unit says \"> \
         0\", but its own default is 0, as libzmq's). Default 0.";
    /// `ZMQ_UNSUBSCRIBE` (7): "Remove message filter". Binary prefix. SUB.
    Unsubscribe = 7, "ZMQ_UNSUBSCRIBE": Binary, Immediate, live, applies([Sub])
        accepted([Sub, XPub, Pub] "SUB, and XPUB or PUB with ZMQ_XPUB_MANUAL on"),
        unsubscribe(impl Into<Bytes>) => set_unsubscribe,
        subscriptions, Subscription(false), gen
        "removes one instance of the subscription to the prefix (nothing if there is none, as \
         libzmq).";
    /// `ZMQ_XPUB_VERBOSE` (40): "pass subscribe messages on XPUB socket". 0 or 1, default 0.
    XpubVerbose = 40, "ZMQ_XPUB_VERBOSE": Int, Immediate, live, applies([XPub])
        accepted([XPub, Pub] "XPUB and PUB (an XPUB in libzmq)"),
        xpub_verbose(bool) => set_xpub_verbose / get_xpub_verbose -> bool [copied],
        xpub_verbose: bool = false, Bool::NonNegative, gen
        "an XPUB passes every subscription up, repeats included. As in libzmq, this turns \
         `ZMQ_XPUB_VERBOSER` off. Default off.", then after_xpub_verbose;
    /// `ZMQ_XPUB_VERBOSER` (78): "pass subscribe and unsubscribe messages on XPUB socket". 0 or
    /// 1, default 0.
    XpubVerboser = 78, "ZMQ_XPUB_VERBOSER": Int, Immediate, live, applies([XPub])
        accepted([XPub, Pub] "XPUB and PUB (an XPUB in libzmq)"),
        xpub_verboser(bool) => set_xpub_verboser / get_xpub_verboser -> bool [copied],
        xpub_verboser: bool = false, Bool::NonNegative, gen
        "an XPUB passes every subscription and unsubscription up. As in libzmq, this sets \
         `ZMQ_XPUB_VERBOSE` to the same value. Default off.", then after_xpub_verboser;
    /// `ZMQ_XPUB_MANUAL` (71): "change the subscription handling to manual". 0 or 1, default 0.
    XpubManual = 71, "ZMQ_XPUB_MANUAL": Int, Immediate, live, applies([XPub])
        accepted([XPub, Pub] "XPUB and PUB (an XPUB in libzmq)"),
        xpub_manual(bool) => set_xpub_manual / get_xpub_manual -> bool [copied],
        xpub_manual: bool = false, Bool::NonNegative, gen
        "an XPUB does not subscribe its peers itself; the application does, with `ZMQ_SUBSCRIBE` \
         on the XPUB. Default off.";
    /// `ZMQ_XPUB_NODROP` (69): "do not silently drop messages if SENDHWM is reached". 0 or 1,
    /// default 0.
    XpubNodrop = 69, "ZMQ_XPUB_NODROP": Int, Immediate, live, applies([XPub, Pub])
        accepted([XPub, Pub, Radio] "XPUB, PUB (an XPUB in libzmq) and RADIO"),
        xpub_nodrop(bool) => set_xpub_nodrop / get_xpub_nodrop -> bool [copied],
        xpub_nodrop: bool = false, Bool::NonNegative, gen
        "an XPUB or PUB whose peer is at its high-water mark blocks (or says `EAGAIN`) instead of \
         dropping. Default off.";
    /// `ZMQ_XPUB_WELCOME_MSG` (72): "set welcome message that will be received by subscriber
    /// when connecting". Binary, default NULL.
    XpubWelcomeMsg = 72, "ZMQ_XPUB_WELCOME_MSG": Binary, NextConnection, live, applies([XPub])
        accepted([XPub, Pub] "XPUB and PUB (an XPUB in libzmq)"),
        xpub_welcome_msg(impl Into<Bytes>) => set_xpub_welcome_msg
            / get_xpub_welcome_msg -> Option<&Bytes> [Option::as_ref],
        xpub_welcome_msg: Option<Bytes> = None, Binary::Any, gen
        "a message an XPUB sends each new subscriber (empty: none). Default none.";
    /// `ZMQ_ZAP_DOMAIN` (55): "Set RFC 27 authentication domain". String, default not set.
    ZapDomain = 55, "ZMQ_ZAP_DOMAIN": Text, NextBindOrConnect, live, applies(all),
        zap_domain(impl Into<String>) => set_zap_domain
            / get_zap_domain -> Option<&str> [Option::as_deref],
        zap_domain: Option<String> = None, Text::Short, gen
        "the domain put in ZAP requests (at most 255 bytes; empty: not set). With NULL security a \
         server asks ZAP only when this is set. Default not set.";
    /// `ZMQ_TCP_ACCEPT_FILTER` (38): "Assign filters to allow new TCP connections". Binary data
    /// holding a CIDR string, default no filters.
    TcpAcceptFilter = 38, "ZMQ_TCP_ACCEPT_FILTER": Binary, NextBindOrConnect, live, applies(all),
        tcp_accept_filter(&str) => set_tcp_accept_filter
            / get_tcp_accept_filters -> &[TcpAcceptFilter] [Vec::as_slice],
        tcp_accept_filters: Vec<TcpAcceptFilter> = Vec::new(), AcceptFilters, gen
        "(deprecated in libzmq for ZAP) adds a filter: once there is one, a listener accepts only \
         peers matching some filter. `address[/prefix]` (see [`TcpAcceptFilter`]); an IPv6 one \
         needs `ZMQ_IPV6` set first, as in libzmq. An empty string clears the filters, as \
         libzmq's `(NULL, 0)`. Read back in the order added (empty: accept all).",
            check check_accept_filter;
    /// `ZMQ_IPC_FILTER_GID` (60): "Assign group ID filters to allow new IPC connections".
    /// `gid_t`, default no filters.
    IpcFilterGid = 60, "ZMQ_IPC_FILTER_GID": Uint32, NextBindOrConnect, live, applies(all),
        ipc_filter_gid(u32) => set_ipc_filter_gid
            / get_ipc_filter_gids -> &BTreeSet<u32> [identity],
        ipc_filter_gids: BTreeSet<u32> = BTreeSet::new(), Ids(uid), gen
        "adds a group id (deprecated in libzmq for ZAP); see `ZMQ_IPC_FILTER_UID`.";
    /// `ZMQ_IPC_FILTER_PID` (58): "Assign process ID filters to allow new IPC connections".
    /// `pid_t`, default no filters.
    IpcFilterPid = 58, "ZMQ_IPC_FILTER_PID": Int, NextBindOrConnect, live, applies(all),
        ipc_filter_pid(i32) => set_ipc_filter_pid
            / get_ipc_filter_pids -> &BTreeSet<i32> [identity],
        ipc_filter_pids: BTreeSet<i32> = BTreeSet::new(), Ids(int), gen
        "adds a process id (deprecated in libzmq for ZAP; Linux only there); see \
         `ZMQ_IPC_FILTER_UID`.";
    /// `ZMQ_IPC_FILTER_UID` (59): "Assign user ID filters to allow new IPC connections".
    /// `uid_t`, default no filters.
    IpcFilterUid = 59, "ZMQ_IPC_FILTER_UID": Uint32, NextBindOrConnect, live, applies(all),
        ipc_filter_uid(u32) => set_ipc_filter_uid
            / get_ipc_filter_uids -> &BTreeSet<u32> [identity],
        ipc_filter_uids: BTreeSet<u32> = BTreeSet::new(), Ids(uid), gen
        "adds a user id (deprecated in libzmq for ZAP): once any IPC filter is set, an IPC \
         listener accepts only peers whose credentials match one. Empty data clears them.";
    /// `ZMQ_IPV4ONLY` (31): "Use IPv4-only on socket" (deprecated for `ZMQ_IPV6`). Boolean,
    /// default 1.
    Ipv4Only = 31, "ZMQ_IPV4ONLY": Int, NextBindOrConnect, live, applies(all),
        ipv4only(bool) => set_ipv4only / get_ipv4only -> bool [|v: &bool| !v],
        ipv6, Bool::Inverted, gen
        "(deprecated; the opposite of `ZMQ_IPV6`, kept as it). Default on.";
    /// `ZMQ_VMCI_BUFFER_SIZE` (85): "Set buffer size of the VMCI socket". `uint64_t` bytes,
    /// default 65546.
    VmciBufferSize = 85, "ZMQ_VMCI_BUFFER_SIZE": Uint64, NextBindOrConnect, idle, applies(all),
        vmci_buffer_size(u64) => set_vmci_buffer_size / get_vmci_buffer_size -> u64 [copied],
        vmci_buffer_size: u64 = 65_546, Uint64, gen
        "in bytes. Default 65546 (the table's figure).";
    /// `ZMQ_VMCI_BUFFER_MIN_SIZE` (86): "Set min buffer size of the VMCI socket". `uint64_t`
    /// bytes, default 128.
    VmciBufferMinSize = 86, "ZMQ_VMCI_BUFFER_MIN_SIZE": Uint64, NextBindOrConnect, idle,
        applies(all),
        vmci_buffer_min_size(u64) => set_vmci_buffer_min_size
            / get_vmci_buffer_min_size -> u64 [copied],
        vmci_buffer_min_size: u64 = 128, Uint64, gen
        "in bytes. Default 128.";
    /// `ZMQ_VMCI_BUFFER_MAX_SIZE` (87): "Set max buffer size of the VMCI socket". `uint64_t`
    /// bytes, default 262144.
    VmciBufferMaxSize = 87, "ZMQ_VMCI_BUFFER_MAX_SIZE": Uint64, NextBindOrConnect, idle,
        applies(all),
        vmci_buffer_max_size(u64) => set_vmci_buffer_max_size
            / get_vmci_buffer_max_size -> u64 [copied],
        vmci_buffer_max_size: u64 = 262_144, Uint64, gen
        "in bytes. Default 262144.";
    /// `ZMQ_VMCI_CONNECT_TIMEOUT` (88): "Set connection timeout of the VMCI socket".
    /// Milliseconds, default -1.
    VmciConnectTimeout = 88, "ZMQ_VMCI_CONNECT_TIMEOUT": Int, NextBindOrConnect, idle, applies(all),
        vmci_connect_timeout(Option<Duration>) => set_vmci_connect_timeout
            / get_vmci_connect_timeout -> Option<Duration> [copied],
        vmci_connect_timeout: Option<Duration> = None,
            Millis::or_minus_one("-1 (none) or >= 0 ms"), gen
        "(`None`: none, libzmq's -1). Default none.";
    /// `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE` (90), not in the 4.2.2 table (draft there, stable in
    /// libzmq 4.3): how `ZMQ_GSSAPI_PRINCIPAL` is read. 0 host-based, 1 user name, 2 Kerberos
    /// principal; default 0.
    GssapiPrincipalNametype = 90, "ZMQ_GSSAPI_PRINCIPAL_NAMETYPE": Int, NextBindOrConnect, live,
        applies(all),
        gssapi_principal_nametype(NameType) => set_gssapi_principal_nametype
            / get_gssapi_principal_nametype -> NameType [copied],
        gssapi_principal_nametype: NameType = NameType::HostBased, NameTypes, gen
        "(beyond the 4.2.2 table): how `ZMQ_GSSAPI_PRINCIPAL` is read. Default host-based.";
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE` (91), not in the 4.2.2 table (draft there, stable
    /// in libzmq 4.3): how `ZMQ_GSSAPI_SERVICE_PRINCIPAL` is read; default 0.
    GssapiServicePrincipalNametype = 91, "ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE": Int,
        NextBindOrConnect, live,
        applies(all),
        gssapi_service_principal_nametype(NameType) => set_gssapi_service_principal_nametype
            / get_gssapi_service_principal_nametype -> NameType [copied],
        gssapi_service_principal_nametype: NameType = NameType::HostBased, NameTypes, gen
        "(beyond the 4.2.2 table): how `ZMQ_GSSAPI_SERVICE_PRINCIPAL` is read. Default host-based.";
}

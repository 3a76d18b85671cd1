//! Values for every option: a valid one (and what reading it back gives), the values of the
//! right type libzmq refuses, and a value of the wrong type. Shared by `options_table.rs` and
//! `options_conformance.rs`.

use bytes::Bytes;
use zmtp_socket::options::{OptionName, OptionValue, ValueKind};

/// A valid, non-default value for each option, and what `get` then reads.
pub(crate) fn valid_value(option: OptionName) -> (OptionValue, OptionValue) {
    use OptionName as N;
    use OptionValue as V;
    let same = |v: V| (v.clone(), v);
    let bytes = |b: &'static [u8]| V::Bytes(Bytes::from_static(b));
    let list = |v: V| V::List(vec![v]);
    match option {
        N::Affinity => same(V::Uint64(3)),
        N::Backlog => same(V::Int(50)),
        N::ConnectRid => same(bytes(b"peer-1")),
        N::Conflate => same(V::Int(1)),
        N::ConnectTimeout => same(V::Int(250)),
        // Keys: 40 Z85 characters in, the 32 bytes out (Z85 of 32 zero bytes).
        N::CurvePublicKey | N::CurveSecretKey | N::CurveServerKey => {
            (V::Str("0".repeat(40)), V::Bytes(Bytes::from(vec![0u8; 32])))
        }
        N::CurveServer => same(V::Int(1)),
        N::GssapiPlaintext => same(V::Int(1)),
        N::GssapiPrincipal => same(V::Str("client@EXAMPLE.COM".into())),
        N::GssapiServer => same(V::Int(1)),
        N::GssapiServicePrincipal => same(V::Str("zmq@localhost".into())),
        N::GssapiPrincipalNametype | N::GssapiServicePrincipalNametype => same(V::Int(2)),
        N::HandshakeIvl => same(V::Int(0)),
        N::HeartbeatIvl => same(V::Int(1000)),
        N::HeartbeatTimeout => same(V::Int(3000)),
        // Kept in whole deciseconds, as libzmq keeps it: 6553599 reads 6553500.
        N::HeartbeatTtl => (V::Int(6_553_599), V::Int(6_553_500)),
        N::Identity => same(bytes(b"client-1")),
        N::Immediate => same(V::Int(1)),
        N::InvertMatching => same(V::Int(1)),
        N::Ipv6 => same(V::Int(1)),
        N::Linger => same(V::Int(-1)),
        N::MaxMsgSize => same(V::Int64(1 << 20)),
        N::MulticastHops => same(V::Int(5)),
        N::MulticastMaxTpdu => same(V::Int(9000)),
        N::PlainPassword => same(V::Str("secret".into())),
        N::PlainServer => same(V::Int(1)),
        N::PlainUsername => same(V::Str("admin".into())),
        N::UseFd => same(V::Int(3)),
        N::ProbeRouter => same(V::Int(1)),
        N::Rate => same(V::Int(1000)),
        N::RcvBuf => same(V::Int(65_536)),
        N::RcvHwm => same(V::Int(0)),
        N::RcvTimeo => same(V::Int(0)),
        N::ReconnectIvl => same(V::Int(-1)),
        N::ReconnectIvlMax => same(V::Int(5000)),
        N::RecoveryIvl => same(V::Int(0)),
        N::ReqCorrelate | N::ReqRelaxed => same(V::Int(1)),
        N::RouterHandover | N::RouterMandatory | N::RouterRaw => same(V::Int(1)),
        N::SndBuf => same(V::Int(131_072)),
        N::SndHwm => same(V::Int(5)),
        N::SndTimeo => same(V::Int(10)),
        N::SocksProxy => same(V::Str("127.0.0.1:1080".into())),
        N::StreamNotify => same(V::Int(0)),
        N::Subscribe => (bytes(b"weather."), list(bytes(b"weather."))),
        // On fresh options there is nothing to remove: the list stays empty.
        N::Unsubscribe => (bytes(b"weather."), V::List(Vec::new())),
        N::TcpKeepalive => same(V::Int(0)),
        N::TcpKeepaliveCnt => same(V::Int(3)),
        N::TcpKeepaliveIdle => same(V::Int(60)),
        N::TcpKeepaliveIntvl => same(V::Int(5)),
        N::TcpMaxRt => same(V::Int(1000)),
        N::Tos => same(V::Int(0x10)),
        N::XpubVerbose | N::XpubVerboser | N::XpubManual | N::XpubNodrop => same(V::Int(1)),
        N::XpubWelcomeMsg => same(bytes(b"welcome")),
        N::ZapDomain => same(V::Str("global".into())),
        N::TcpAcceptFilter => (V::Str("10.0.0.0/8".into()), list(bytes(b"10.0.0.0/8"))),
        N::IpcFilterGid => (V::Uint32(1000), list(V::Uint32(1000))),
        N::IpcFilterPid => (V::Int(42), list(V::Int(42))),
        N::IpcFilterUid => (V::Uint32(0), list(V::Uint32(0))),
        N::Ipv4Only => same(V::Int(0)),
        N::VmciBufferSize => same(V::Uint64(1 << 20)),
        N::VmciBufferMinSize => same(V::Uint64(64)),
        N::VmciBufferMaxSize => same(V::Uint64(1 << 22)),
        N::VmciConnectTimeout => same(V::Int(100)),
    }
}

/// Values of the right type that libzmq refuses (`EINVAL`), per option, and some this crate
/// refuses beyond libzmq (marked). Options with none are listed in
/// `OPTIONS_WITHOUT_INVALID_VALUES`.
pub(crate) fn invalid_values(option: OptionName) -> Vec<OptionValue> {
    use OptionName as N;
    use OptionValue as V;
    let long = |n: usize| V::Bytes(Bytes::from(vec![b'x'; n]));
    let ints = |v: &[i32]| v.iter().map(|i| V::Int(*i)).collect::<Vec<_>>();
    match option {
        N::Backlog
        | N::ConnectTimeout
        | N::HandshakeIvl
        | N::HeartbeatIvl
        | N::HeartbeatTimeout
        | N::ReconnectIvlMax
        | N::RecoveryIvl
        | N::TcpMaxRt
        | N::Tos
        | N::SndHwm
        | N::RcvHwm => ints(&[-1, i32::MIN]),
        N::Linger
        | N::RcvTimeo
        | N::SndTimeo
        | N::ReconnectIvl
        | N::SndBuf
        | N::RcvBuf
        | N::UseFd => ints(&[-2, i32::MIN]),
        // Beyond libzmq, which takes any int here.
        N::VmciConnectTimeout => ints(&[-2]),
        N::Rate | N::MulticastHops | N::MulticastMaxTpdu => ints(&[0, -1]),
        N::HeartbeatTtl => ints(&[-100, 6_553_600, i32::MAX]),
        N::TcpKeepalive => ints(&[2, -2]),
        // libzmq also takes 0 (which the OS then refuses); the table says -1 or > 0.
        N::TcpKeepaliveCnt | N::TcpKeepaliveIdle | N::TcpKeepaliveIntvl => ints(&[-2, 0]),
        N::Conflate
        | N::CurveServer
        | N::GssapiPlaintext
        | N::GssapiServer
        | N::Immediate
        | N::Ipv6
        | N::Ipv4Only
        | N::PlainServer
        | N::StreamNotify => ints(&[2, -1]),
        N::RouterRaw
        | N::RouterMandatory
        | N::RouterHandover
        | N::ProbeRouter
        | N::ReqCorrelate
        | N::ReqRelaxed
        | N::XpubVerbose
        | N::XpubVerboser
        | N::XpubManual
        | N::XpubNodrop => ints(&[-1]),
        N::GssapiPrincipalNametype | N::GssapiServicePrincipalNametype => ints(&[3, -1]),
        // Beyond libzmq (which takes any int64_t; below -1 it means no limit too).
        N::MaxMsgSize => vec![V::Int64(-2), V::Int64(i64::MIN)],
        // Any values, a leading zero byte included, as libzmq and the man page.
        N::Identity => vec![V::Bytes(Bytes::new()), long(256)],
        // The man page asks for no leading zero byte; refused beyond libzmq, which takes it
        // (and any length).
        N::ConnectRid => vec![
            V::Bytes(Bytes::new()),
            long(256),
            V::Bytes(Bytes::from_static(b"\0abc")),
        ],
        N::CurvePublicKey | N::CurveSecretKey | N::CurveServerKey => vec![
            long(31),
            long(33),
            V::Bytes(Bytes::new()),
            // 40 characters, not all Z85.
            V::Str(format!("{}~", "0".repeat(39))),
            // 41 bytes that do not end in NUL.
            long(41),
        ],
        N::PlainUsername | N::PlainPassword | N::ZapDomain => vec![long(256)],
        N::GssapiPrincipal | N::GssapiServicePrincipal => {
            vec![V::Bytes(Bytes::new()), long(256)]
        }
        N::TcpAcceptFilter => vec![
            V::Str("10.0.0.0/33".into()),
            V::Str("10.0.0.0/".into()),
            V::Str("not-an-address".into()),
            // IPv6 with ZMQ_IPV6 off, as libzmq.
            V::Str("::1".into()),
            long(256),
        ],
        N::IpcFilterGid | N::IpcFilterUid => ints(&[-1]),
        N::Affinity
        | N::VmciBufferSize
        | N::VmciBufferMinSize
        | N::VmciBufferMaxSize
        | N::InvertMatching
        | N::Subscribe
        | N::Unsubscribe
        | N::XpubWelcomeMsg
        | N::SocksProxy
        | N::IpcFilterPid => Vec::new(),
    }
}

/// The options for which libzmq refuses no value of the right type:
/// - `ZMQ_AFFINITY` and the VMCI buffer sizes take any `uint64_t`;
/// - `ZMQ_INVERT_MATCHING` takes any `int` (non-zero is on);
/// - `ZMQ_SUBSCRIBE`, `ZMQ_UNSUBSCRIBE` and `ZMQ_XPUB_WELCOME_MSG` take any binary data,
///   empty included (subscribe to everything; no welcome message);
/// - `ZMQ_SOCKS_PROXY` takes any string (empty: no proxy);
/// - `ZMQ_IPC_FILTER_PID` takes any `pid_t`.
///
/// For these only a value of the wrong type is refused (libzmq: a wrong `option_len`).
pub(crate) const OPTIONS_WITHOUT_INVALID_VALUES: [OptionName; 10] = [
    OptionName::Affinity,
    OptionName::VmciBufferSize,
    OptionName::VmciBufferMinSize,
    OptionName::VmciBufferMaxSize,
    OptionName::InvertMatching,
    OptionName::Subscribe,
    OptionName::Unsubscribe,
    OptionName::XpubWelcomeMsg,
    OptionName::SocksProxy,
    OptionName::IpcFilterPid,
];

/// A value of the wrong type for the option.
pub(crate) fn wrong_type(option: OptionName) -> OptionValue {
    match option.kind() {
        ValueKind::Int | ValueKind::Int64 | ValueKind::Uint64 | ValueKind::Uint32 => {
            OptionValue::Str("1".into())
        }
        ValueKind::Binary | ValueKind::Text | ValueKind::CurveKey => OptionValue::Int(1),
    }
}

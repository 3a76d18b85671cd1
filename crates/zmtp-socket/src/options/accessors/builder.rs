//! The builder methods: `SocketOptions::new().sndhwm(10_000).linger(None).build()?`. Each calls
//! its `set_*` setter and keeps the first error for [`SocketOptions::build`], so a chain reads
//! straight and still reports the first invalid value, naming the option.

use std::time::Duration;

use bytes::Bytes;
use zmtp_security::{CurvePublicKey, CurveSecretKey, NameType};

use super::super::socket_options::SocketOptions;

macro_rules! builders {
    ($( $builder:ident($ty:ty) => $setter:ident, $zmq:literal; )*) => {
        impl SocketOptions {
            $(
                #[doc = concat!(
                    "Builder: sets `", $zmq, "` as [`SocketOptions::", stringify!($setter),
                    "`] does. An invalid value is kept and reported by ",
                    "[`SocketOptions::build`], naming the option."
                )]
                #[must_use = "a builder method returns the options"]
                pub fn $builder(mut self, value: $ty) -> SocketOptions {
                    let result = self.$setter(value);
                    self.defer(result);
                    self
                }
            )*
        }
    };
}

builders! {
    sndhwm(i32) => set_sndhwm, "ZMQ_SNDHWM";
    rcvhwm(i32) => set_rcvhwm, "ZMQ_RCVHWM";
    sndtimeo(Option<Duration>) => set_sndtimeo, "ZMQ_SNDTIMEO";
    rcvtimeo(Option<Duration>) => set_rcvtimeo, "ZMQ_RCVTIMEO";
    linger(Option<Duration>) => set_linger, "ZMQ_LINGER";
    immediate(bool) => set_immediate, "ZMQ_IMMEDIATE";
    conflate(bool) => set_conflate, "ZMQ_CONFLATE";
    maxmsgsize(Option<u64>) => set_maxmsgsize, "ZMQ_MAXMSGSIZE";
    affinity(u64) => set_affinity, "ZMQ_AFFINITY";
    identity(impl Into<Bytes>) => set_identity, "ZMQ_IDENTITY";
    handshake_ivl(Option<Duration>) => set_handshake_ivl, "ZMQ_HANDSHAKE_IVL";
    heartbeat_ivl(Option<Duration>) => set_heartbeat_ivl, "ZMQ_HEARTBEAT_IVL";
    heartbeat_timeout(Option<Duration>) => set_heartbeat_timeout, "ZMQ_HEARTBEAT_TIMEOUT";
    heartbeat_ttl(Option<Duration>) => set_heartbeat_ttl, "ZMQ_HEARTBEAT_TTL";
    reconnect_ivl(Option<Duration>) => set_reconnect_ivl, "ZMQ_RECONNECT_IVL";
    reconnect_ivl_max(Option<Duration>) => set_reconnect_ivl_max, "ZMQ_RECONNECT_IVL_MAX";
    connect_timeout(Option<Duration>) => set_connect_timeout, "ZMQ_CONNECT_TIMEOUT";
    backlog(i32) => set_backlog, "ZMQ_BACKLOG";
    use_fd(Option<i32>) => set_use_fd, "ZMQ_USE_FD";
    ipv6(bool) => set_ipv6, "ZMQ_IPV6";
    ipv4only(bool) => set_ipv4only, "ZMQ_IPV4ONLY";
    sndbuf(Option<i32>) => set_sndbuf, "ZMQ_SNDBUF";
    rcvbuf(Option<i32>) => set_rcvbuf, "ZMQ_RCVBUF";
    tos(i32) => set_tos, "ZMQ_TOS";
    tcp_keepalive(Option<bool>) => set_tcp_keepalive, "ZMQ_TCP_KEEPALIVE";
    tcp_keepalive_cnt(Option<i32>) => set_tcp_keepalive_cnt, "ZMQ_TCP_KEEPALIVE_CNT";
    tcp_keepalive_idle(Option<i32>) => set_tcp_keepalive_idle, "ZMQ_TCP_KEEPALIVE_IDLE";
    tcp_keepalive_intvl(Option<i32>) => set_tcp_keepalive_intvl, "ZMQ_TCP_KEEPALIVE_INTVL";
    tcp_maxrt(Option<Duration>) => set_tcp_maxrt, "ZMQ_TCP_MAXRT";
    socks_proxy(impl Into<String>) => set_socks_proxy, "ZMQ_SOCKS_PROXY";
    tcp_accept_filter(&str) => set_tcp_accept_filter, "ZMQ_TCP_ACCEPT_FILTER";
    ipc_filter_uid(u32) => set_ipc_filter_uid, "ZMQ_IPC_FILTER_UID";
    ipc_filter_gid(u32) => set_ipc_filter_gid, "ZMQ_IPC_FILTER_GID";
    ipc_filter_pid(i32) => set_ipc_filter_pid, "ZMQ_IPC_FILTER_PID";
    rate(i32) => set_rate, "ZMQ_RATE";
    recovery_ivl(Duration) => set_recovery_ivl, "ZMQ_RECOVERY_IVL";
    multicast_hops(i32) => set_multicast_hops, "ZMQ_MULTICAST_HOPS";
    multicast_maxtpdu(i32) => set_multicast_maxtpdu, "ZMQ_MULTICAST_MAXTPDU";
    vmci_buffer_size(u64) => set_vmci_buffer_size, "ZMQ_VMCI_BUFFER_SIZE";
    vmci_buffer_min_size(u64) => set_vmci_buffer_min_size, "ZMQ_VMCI_BUFFER_MIN_SIZE";
    vmci_buffer_max_size(u64) => set_vmci_buffer_max_size, "ZMQ_VMCI_BUFFER_MAX_SIZE";
    vmci_connect_timeout(Option<Duration>) => set_vmci_connect_timeout, "ZMQ_VMCI_CONNECT_TIMEOUT";
    zap_domain(impl Into<String>) => set_zap_domain, "ZMQ_ZAP_DOMAIN";
    plain_server(bool) => set_plain_server, "ZMQ_PLAIN_SERVER";
    plain_username(impl Into<String>) => set_plain_username, "ZMQ_PLAIN_USERNAME";
    plain_password(impl Into<String>) => set_plain_password, "ZMQ_PLAIN_PASSWORD";
    curve_server(bool) => set_curve_server, "ZMQ_CURVE_SERVER";
    curve_public_key(CurvePublicKey) => set_curve_public_key, "ZMQ_CURVE_PUBLICKEY";
    curve_secret_key(CurveSecretKey) => set_curve_secret_key, "ZMQ_CURVE_SECRETKEY";
    curve_server_key(CurvePublicKey) => set_curve_server_key, "ZMQ_CURVE_SERVERKEY";
    gssapi_server(bool) => set_gssapi_server, "ZMQ_GSSAPI_SERVER";
    gssapi_principal(impl Into<String>) => set_gssapi_principal, "ZMQ_GSSAPI_PRINCIPAL";
    gssapi_service_principal(impl Into<String>) => set_gssapi_service_principal,
        "ZMQ_GSSAPI_SERVICE_PRINCIPAL";
    gssapi_plaintext(bool) => set_gssapi_plaintext, "ZMQ_GSSAPI_PLAINTEXT";
    gssapi_principal_nametype(NameType) => set_gssapi_principal_nametype,
        "ZMQ_GSSAPI_PRINCIPAL_NAMETYPE";
    gssapi_service_principal_nametype(NameType) => set_gssapi_service_principal_nametype,
        "ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE";
    connect_rid(impl Into<Bytes>) => set_connect_rid, "ZMQ_CONNECT_RID";
    router_mandatory(bool) => set_router_mandatory, "ZMQ_ROUTER_MANDATORY";
    router_handover(bool) => set_router_handover, "ZMQ_ROUTER_HANDOVER";
    router_raw(bool) => set_router_raw, "ZMQ_ROUTER_RAW";
    probe_router(bool) => set_probe_router, "ZMQ_PROBE_ROUTER";
    stream_notify(bool) => set_stream_notify, "ZMQ_STREAM_NOTIFY";
    req_correlate(bool) => set_req_correlate, "ZMQ_REQ_CORRELATE";
    req_relaxed(bool) => set_req_relaxed, "ZMQ_REQ_RELAXED";
    xpub_verbose(bool) => set_xpub_verbose, "ZMQ_XPUB_VERBOSE";
    xpub_verboser(bool) => set_xpub_verboser, "ZMQ_XPUB_VERBOSER";
    xpub_manual(bool) => set_xpub_manual, "ZMQ_XPUB_MANUAL";
    xpub_nodrop(bool) => set_xpub_nodrop, "ZMQ_XPUB_NODROP";
    xpub_welcome_msg(impl Into<Bytes>) => set_xpub_welcome_msg, "ZMQ_XPUB_WELCOME_MSG";
    invert_matching(bool) => set_invert_matching, "ZMQ_INVERT_MATCHING";
    subscribe(impl Into<Bytes>) => set_subscribe, "ZMQ_SUBSCRIBE";
    unsubscribe(impl Into<Bytes>) => set_unsubscribe, "ZMQ_UNSUBSCRIBE";
}

#[cfg(test)]
mod tests {
    use super::super::super::{OptionError, OptionName};
    use super::*;

    #[test]
    fn chains_and_reports_the_first_error() {
        let options = SocketOptions::new()
            .sndhwm(10_000)
            .linger(Some(Duration::from_secs(1)))
            .subscribe("weather.")
            .build();
        let options = options.expect("valid options");
        assert_eq!(options.get_sndhwm(), 10_000);
        assert_eq!(options.get_linger(), Some(Duration::from_secs(1)));
        assert_eq!(
            options.get_subscriptions(),
            [Bytes::from_static(b"weather.")]
        );

        let chain = SocketOptions::new()
            .sndhwm(-5)
            .rcvhwm(-7)
            .identity(&b""[..])
            .linger(None);
        assert_eq!(
            chain.validate().map_err(|e| e.to_string()),
            Err("ZMQ_SNDHWM must be >= 0, got -5".to_string())
        );
        // The rest of the chain still applies; the invalid values do not.
        assert_eq!(chain.get_linger(), None);
        assert_eq!(chain.get_rcvhwm(), 1000);
        assert_eq!(
            chain.build().map(|_| ()),
            Err(OptionError::OutOfRange {
                option: OptionName::SndHwm,
                allowed: ">= 0",
                got: -5
            })
        );
        let chain = SocketOptions::new()
            .heartbeat_ttl(Some(Duration::from_secs(7000)))
            .sndhwm(1);
        assert!(matches!(
            chain.build(),
            Err(OptionError::OutOfRange {
                option: OptionName::HeartbeatTtl,
                ..
            })
        ));
        let chain = SocketOptions::new().linger(Some(Duration::from_secs(3_000_000)));
        assert!(matches!(
            chain.build(),
            Err(OptionError::OutOfRange {
                option: OptionName::Linger,
                ..
            })
        ));
        let chain = SocketOptions::new().tcp_accept_filter("10.0.0.0/99");
        assert!(matches!(
            chain.build(),
            Err(OptionError::Invalid {
                option: OptionName::TcpAcceptFilter,
                ..
            })
        ));
    }
}

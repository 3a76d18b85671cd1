//! The table's rows: what each option does and where its effect is observed.

use super::*;

// ---------------------------------------------------------------------------------------------
// The rows

/// Where a row's effect is observed: in this file (the row's own test), or by named tests of
/// other test files of the workspace (`file`, test functions).
#[derive(Clone, Copy)]
pub(super) enum Observed {
    Here,
    In(&'static str, &'static [&'static str]),
}

/// One row of the table: the option, what it does in this crate, and where that is observed.
pub(super) struct Row {
    pub(super) option: OptionName,
    pub(super) does: &'static str,
    pub(super) observed: Observed,
}

pub(super) const fn here(option: OptionName, does: &'static str) -> Row {
    Row {
        option,
        does,
        observed: Observed::Here,
    }
}

pub(super) const fn elsewhere(
    option: OptionName,
    does: &'static str,
    file: &'static str,
    tests: &'static [&'static str],
) -> Row {
    Row {
        option,
        does,
        observed: Observed::In(file, tests),
    }
}

/// Every row of the table, in its order.
pub(super) const ROWS: [Row; 70] = [
    here(N::Affinity, "Picks which of the context's I/O threads run the connections of later binds and connects (least loaded among the mask's; `Error::NoIoThread` when it names none)."),
    here(N::Backlog, "The `listen(2)` backlog of tcp and ipc listeners."),
    elsewhere(N::ConnectRid, "Names the peer of the next `connect` on a ROUTER or STREAM socket.", "req_rep_router_tcp.rs", &["connect_rid_names_the_peer_before_the_connection_router_to_router"]),
    elsewhere(N::Conflate, "Keeps only the newest message in each pipe (DEALER, PULL, PUSH, PUB, SUB; the other types take it and ignore it, as libzmq does).", "conflate.rs", &["a_conflating_pull_keeps_the_newest_message", "a_conflating_sub_keeps_the_newest_message", "pair_and_router_ignore_conflate"]),
    here(N::ConnectTimeout, "Gives up a tcp connect attempt after this long, then retries after `ZMQ_RECONNECT_IVL`."),
    here(N::CurvePublicKey, "This socket's CURVE long-term public key."),
    here(N::CurveSecretKey, "This socket's CURVE long-term secret key."),
    here(N::CurveServer, "Makes the socket the CURVE server of its handshakes."),
    here(N::CurveServerKey, "The server's public key a CURVE client checks; setting it makes the socket a CURVE client."),
    elsewhere(N::GssapiPlaintext, "GSSAPI without wrapping messages (authentication only).", "../../../interop/tests/libzmq_gssapi.rs", &["socket_gssapi_dealer_to_libzmq_router_plaintext", "libzmq_gssapi_dealer_to_socket_router_plaintext"]),
    elsewhere(N::GssapiPrincipal, "The principal whose credentials the socket uses; makes it a GSSAPI client (or names a server's own).", "../../../interop/tests/libzmq_gssapi.rs", &["socket_gssapi_dealer_to_libzmq_router_encrypted"]),
    elsewhere(N::GssapiServer, "Makes the socket the GSSAPI server of its handshakes.", "../../../interop/tests/libzmq_gssapi.rs", &["libzmq_gssapi_dealer_to_socket_router_encrypted"]),
    elsewhere(N::GssapiServicePrincipal, "The service principal a GSSAPI client asks for.", "../../../interop/tests/libzmq_gssapi.rs", &["socket_gssapi_dealer_to_libzmq_router_encrypted", "codec_client_with_a_wrong_service_principal_is_refused_by_libzmq"]),
    here(N::HandshakeIvl, "Closes a connection whose ZMTP handshake takes longer."),
    here(N::HeartbeatIvl, "Sends a PING after this long without traffic."),
    here(N::HeartbeatTimeout, "Closes the connection when nothing arrives this long after a PING; -1 (libzmq's default) is the heartbeat interval, 0 turns the timeout off."),
    here(N::HeartbeatTtl, "The TTL our PINGs ask the peer to apply; kept, read back and sent in whole deciseconds, as in libzmq."),
    here(N::Identity, "The routing id sent in the handshake, 1 to 255 bytes of any values (a leading zero byte too); a ROUTER peer addresses us by it."),
    here(N::Immediate, "Queues messages only to completed connections."),
    elsewhere(N::InvertMatching, "PUB/XPUB send to non-matching subscribers; SUB/XSUB receive what does not match.", "pubsub_spec.rs", &["pub_invert_matching", "sub_invert_matching_from_options"]),
    here(N::Ipv6, "tcp binds and connects use IPv6 too (a `*` bind is dual-stack)."),
    elsewhere(N::Linger, "How long a closed socket, or a disconnected endpoint (tcp, ipc), keeps delivering what was queued.", "context_linger.rs", &["linger_delivers_after_the_sending_runtime_is_gone", "linger_zero_discards_what_is_queued", "term_waits_for_linger_then_returns"]),
    elsewhere(N::MaxMsgSize, "Closes a connection whose peer sends a larger message: a frame is refused on its size field, as in libzmq; unlike libzmq, a multipart message is bounded as a whole too, counting its bodies plus 64 bytes per frame after the first (a one-frame message of the limit passes, as in libzmq).", "hostile_peers.rs", &["a_frame_over_maxmsgsize_is_refused_before_its_body", "an_endless_multipart_message_over_maxmsgsize_is_dropped_with_the_heap_bounded"]),
    here(N::MulticastHops, "Stored for `pgm://` / `epgm://`, which are refused as not supported yet."),
    here(N::MulticastMaxTpdu, "Stored for `pgm://` / `epgm://`, which are refused as not supported yet."),
    here(N::PlainPassword, "The PLAIN client's password."),
    here(N::PlainServer, "Makes the socket the PLAIN server of its handshakes."),
    here(N::PlainUsername, "The PLAIN client's user name; setting it makes the socket a PLAIN client."),
    here(N::UseFd, "Binds on a listening descriptor the application made (tcp and ipc)."),
    here(N::ProbeRouter, "Sends an empty message to each new ROUTER peer."),
    here(N::Rate, "Stored for `pgm://` / `epgm://`, which are refused as not supported yet."),
    here(N::RcvBuf, "`SO_RCVBUF` of tcp connections."),
    elsewhere(N::RcvHwm, "Bounds each pipe's incoming queue.", "options_spec.rs", &["hwm_defaults_are_a_thousand_each_way", "hwm_finite_counts_bind_first_and_connect_first", "hwm_infinite_when_either_side_is_zero"]),
    here(N::RcvTimeo, "How long `recv` waits before `Error::Timeout` (0: `Error::WouldBlock` at once)."),
    here(N::ReconnectIvl, "How long after a failed or lost connection it is tried again (-1: never); a handshake the peer refused (a protocol error) is not retried, as in libzmq."),
    here(N::ReconnectIvlMax, "Doubles the reconnect interval after each failure up to this."),
    here(N::RecoveryIvl, "Stored for `pgm://` / `epgm://`, which are refused as not supported yet."),
    elsewhere(N::ReqCorrelate, "REQ matches replies to requests by a request id.", "req_rep_router_tcp.rs", &["req_correlate_and_relaxed_drop_the_reply_to_an_abandoned_request"]),
    elsewhere(N::ReqRelaxed, "REQ may send a new request before the reply to the last one.", "req_rep_router_tcp.rs", &["req_relaxed_resends_to_the_next_peer_and_strict_refuses", "req_correlate_and_relaxed_drop_the_reply_to_an_abandoned_request"]),
    elsewhere(N::RouterHandover, "A new ROUTER peer with a taken routing id takes it over.", "req_rep_router_tcp.rs", &["router_handover_gives_the_id_to_the_newcomer", "router_without_handover_keeps_the_first_peer_with_an_id"]),
    here(N::RouterMandatory, "ROUTER refuses a message to an unknown peer (`Error::HostUnreachable`) instead of dropping it."),
    elsewhere(N::RouterRaw, "ROUTER speaks raw bytes to non-ZMTP peers, as STREAM.", "stream_socket.rs", &["a_router_with_router_raw_speaks_raw_bytes"]),
    here(N::SndBuf, "`SO_SNDBUF` of tcp connections."),
    elsewhere(N::SndHwm, "Bounds each pipe's outgoing queue.", "options_spec.rs", &["hwm_finite_counts_bind_first_and_connect_first", "hwm_connect_first_queues_sndhwm_before_the_bind"]),
    here(N::SndTimeo, "How long `send` waits for room before `Error::Timeout` (0: `Error::WouldBlock` at once)."),
    elsewhere(N::SocksProxy, "tcp connects go through this SOCKS5 proxy (`host:port`, no authentication); host names reach it unresolved; a refusal fails the attempt, retried after `ZMQ_RECONNECT_IVL`.", "socks_proxy.rs", &["a_host_name_reaches_the_proxy_unresolved_and_messages_flow", "a_refusing_proxy_fails_each_attempt_until_it_relays", "a_silent_proxy_is_given_up_at_the_connect_timeout_and_retried"]),
    elsewhere(N::StreamNotify, "STREAM passes connects and disconnects up as empty messages.", "stream_socket.rs", &["as_a_client_of_an_http_server_with_notifications_and_a_reconnect", "without_stream_notify_there_are_no_empty_messages"]),
    here(N::Subscribe, "Adds a SUB prefix filter (sent to publishers)."),
    here(N::TcpKeepalive, "`SO_KEEPALIVE` of tcp connections."),
    here(N::TcpKeepaliveCnt, "`TCP_KEEPCNT` of tcp connections."),
    here(N::TcpKeepaliveIdle, "`TCP_KEEPIDLE` of tcp connections."),
    here(N::TcpKeepaliveIntvl, "`TCP_KEEPINTVL` of tcp connections."),
    here(N::TcpMaxRt, "`TCP_USER_TIMEOUT` of tcp connections."),
    here(N::Tos, "`IP_TOS` (`IPV6_TCLASS`) of tcp connections, accepted ones included."),
    here(N::Unsubscribe, "Removes one SUB prefix filter (sent to publishers)."),
    elsewhere(N::XpubVerbose, "XPUB passes up every subscription, duplicates included.", "pubsub_spec.rs", &["xpub_verbose_one_subscriber", "xpub_verbose_two_subscribers"]),
    elsewhere(N::XpubVerboser, "XPUB passes up every subscription and unsubscription.", "pubsub_spec.rs", &["xpub_verboser_two_subscribers"]),
    elsewhere(N::XpubManual, "XPUB subscriptions are set by the application, not by the subscribers' messages.", "pubsub_spec.rs", &["xpub_manual", "xpub_manual_two_subscribers", "xpub_manual_proxy_unsubscribe_on_disconnect"]),
    elsewhere(N::XpubNodrop, "XPUB blocks (or `WouldBlock`s) at a full subscriber instead of dropping.", "pubsub_spec.rs", &["xpub_nodrop"]),
    here(N::XpubWelcomeMsg, "XPUB sends this message to each new subscriber."),
    here(N::ZapDomain, "The ZAP domain of the socket's handshakes (NULL asks ZAP only with one)."),
    here(N::TcpAcceptFilter, "tcp listeners close peers outside these CIDR ranges before any ZMTP byte."),
    here(N::IpcFilterGid, "ipc listeners admit peers of these group ids (`SO_PEERCRED`)."),
    elsewhere(N::IpcFilterPid, "ipc listeners admit peers of these process ids (`SO_PEERCRED`).", "accept_filters.rs", &["ipc_peers_are_admitted_by_uid_gid_or_pid"]),
    elsewhere(N::IpcFilterUid, "ipc listeners admit peers of these user ids (`SO_PEERCRED`).", "accept_filters.rs", &["ipc_peers_are_admitted_by_uid_gid_or_pid"]),
    here(N::Ipv4Only, "The inverse of `ZMQ_IPV6` (deprecated)."),
    here(N::VmciBufferSize, "Stored for `vmci://`, which is refused as not supported yet."),
    here(N::VmciBufferMinSize, "Stored for `vmci://`, which is refused as not supported yet."),
    here(N::VmciBufferMaxSize, "Stored for `vmci://`, which is refused as not supported yet."),
    here(N::VmciConnectTimeout, "Stored for `vmci://`, which is refused as not supported yet."),
];

/// The sources of the test files rows name, to check the named tests exist.
pub(super) const SOURCES: [(&str, &str); 11] = [
    ("options_conformance.rs", include_str!("main.rs")),
    (
        "req_rep_router_tcp.rs",
        include_str!("../req_rep_router_tcp.rs"),
    ),
    ("pubsub_spec.rs", include_str!("../pubsub_spec.rs")),
    ("context_linger.rs", include_str!("../context_linger.rs")),
    ("options_spec.rs", include_str!("../options_spec.rs")),
    ("stream_socket.rs", include_str!("../stream_socket.rs")),
    ("accept_filters.rs", include_str!("../accept_filters.rs")),
    ("socks_proxy.rs", include_str!("../socks_proxy.rs")),
    (
        "../../../interop/tests/libzmq_gssapi.rs",
        include_str!("../../../../interop/tests/libzmq_gssapi.rs"),
    ),
    ("conflate.rs", include_str!("../conflate.rs")),
    ("hostile_peers.rs", include_str!("../hostile_peers.rs")),
];

pub(super) fn source(file: &str) -> &'static str {
    SOURCES
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("{file} is not in SOURCES"))
}

pub(super) fn test_name(option: OptionName) -> String {
    option.zmq_name().to_ascii_lowercase()
}

#[test]
pub(super) fn the_rows_are_the_table_and_each_has_its_test() {
    let table: Vec<&str> = OPTIONS_TABLE
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next())
        .collect();
    let rows: Vec<&str> = ROWS.iter().map(|r| r.option.zmq_name()).collect();
    assert_eq!(rows, table, "ROWS follows the table, row for row");
    let own = source("options_conformance.rs");
    for row in &ROWS {
        let name = test_name(row.option);
        assert!(
            own.contains(&format!("async fn {name}()")),
            "the row {} has its test {name}",
            row.option
        );
        if let Observed::In(file, tests) = row.observed {
            for test in tests {
                assert!(
                    source(file).contains(&format!("fn {test}(")),
                    "{}: {file} has the test {test}",
                    row.option
                );
            }
        }
    }
}

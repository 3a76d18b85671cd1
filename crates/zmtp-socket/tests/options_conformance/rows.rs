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
    here(N::ConnectRid, "Names the peer of the next `connect` on a ROUTER or STREAM socket."),
    here(N::Conflate, "Keeps only the newest message in each pipe (DEALER, PULL, PUSH, PUB, SUB; the other types take it and ignore it, as libzmq does)."),
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
    here(N::InvertMatching, "PUB/XPUB send to non-matching subscribers; SUB/XSUB receive what does not match."),
    here(N::Ipv6, "tcp binds and connects use IPv6 too (a `*` bind is dual-stack)."),
    here(N::Linger, "How long a closed socket, or a disconnected endpoint (tcp, ipc), keeps delivering what was queued."),
    elsewhere(N::MaxMsgSize, "Closes a connection whose peer sends a larger message: a frame is refused on its size field, as in libzmq; unlike libzmq, a multipart message is bounded as a whole too, counting its bodies plus 64 bytes per frame after the first (a one-frame message of the limit passes, as in libzmq).", "hostile_peers.rs", &["a_frame_over_maxmsgsize_is_refused_before_its_body", "an_endless_multipart_message_over_maxmsgsize_is_dropped_with_the_heap_bounded"]),
    elsewhere(N::MulticastHops, "The TTL (`IP_MULTICAST_TTL`) of the `pgm://` / `epgm://` socket's multicast packets, read back from the kernel; a RADIO's `udp://` socket to a multicast group takes it too (`transport/udp.rs`, the test of the same name).", "../../../crates/zmtp-socket/src/transport/pgm/tests.rs", &["multicast_hops_is_the_ttl_the_kernel_reports"]),
    elsewhere(N::MulticastMaxTpdu, "The largest IP packet of `pgm://` / `epgm://`: messages are cut into APDUs that fit it (also observed on the wire against libzmq: `interop/tests/libzmq_pgm.rs`).", "../../../crates/zmtp-socket/src/transport/pgm/tests.rs", &["maxtpdu_bounds_every_packet_the_source_sends"]),
    here(N::PlainPassword, "The PLAIN client's password."),
    here(N::PlainServer, "Makes the socket the PLAIN server of its handshakes."),
    here(N::PlainUsername, "The PLAIN client's user name; setting it makes the socket a PLAIN client."),
    here(N::UseFd, "Binds on a listening descriptor the application made (tcp and ipc)."),
    here(N::ProbeRouter, "Sends an empty message to each new ROUTER peer."),
    elsewhere(N::Rate, "The `pgm://` / `epgm://` data rate: a PUB's ODATA leaves at it (OpenPGM's token bucket, headers counted); with `ZMQ_RECOVERY_IVL` it sizes the windows.", "../../../crates/zmtp-socket/src/transport/pgm/tests.rs", &["rate_is_the_bytes_per_second_of_a_long_burst"]),
    here(N::RcvBuf, "`SO_RCVBUF` of tcp connections."),
    here(N::RcvHwm, "Bounds each pipe's incoming queue."),
    here(N::RcvTimeo, "How long `recv` waits before `Error::Timeout` (0: `Error::WouldBlock` at once)."),
    here(N::ReconnectIvl, "How long after a failed or lost connection it is tried again (-1: never); a handshake the peer refused (a protocol error) is not retried, as in libzmq."),
    here(N::ReconnectIvlMax, "Doubles the reconnect interval after each failure up to this."),
    elsewhere(N::RecoveryIvl, "How long `pgm://` / `epgm://` data stays repairable: the source's and receiver's windows hold this long at `ZMQ_RATE`; a receiver away for longer loses what it missed.", "../../../crates/zmtp-socket/src/transport/pgm/tests.rs", &["recovery_ivl_is_the_window_a_receiver_may_be_away"]),
    here(N::ReqCorrelate, "REQ matches replies to requests by a request id."),
    here(N::ReqRelaxed, "REQ may send a new request before the reply to the last one."),
    here(N::RouterHandover, "A new ROUTER peer with a taken routing id takes it over."),
    here(N::RouterMandatory, "ROUTER refuses a message to an unknown peer (`Error::HostUnreachable`) instead of dropping it."),
    here(N::RouterRaw, "ROUTER speaks raw bytes to non-ZMTP peers, as STREAM."),
    here(N::SndBuf, "`SO_SNDBUF` of tcp connections."),
    here(N::SndHwm, "Bounds each pipe's outgoing queue."),
    here(N::SndTimeo, "How long `send` waits for room before `Error::Timeout` (0: `Error::WouldBlock` at once)."),
    here(N::SocksProxy, "tcp connects go through this SOCKS5 proxy (`host:port`, no authentication); host names reach it unresolved; a refusal fails the attempt, retried after `ZMQ_RECONNECT_IVL`."),
    here(N::StreamNotify, "STREAM passes connects and disconnects up as empty messages."),
    here(N::Subscribe, "Adds a SUB prefix filter (sent to publishers)."),
    here(N::TcpKeepalive, "`SO_KEEPALIVE` of tcp connections."),
    here(N::TcpKeepaliveCnt, "`TCP_KEEPCNT` of tcp connections."),
    here(N::TcpKeepaliveIdle, "`TCP_KEEPIDLE` of tcp connections."),
    here(N::TcpKeepaliveIntvl, "`TCP_KEEPINTVL` of tcp connections."),
    here(N::TcpMaxRt, "`TCP_USER_TIMEOUT` of tcp connections."),
    here(N::Tos, "`IP_TOS` (`IPV6_TCLASS`) of tcp connections, accepted ones included."),
    here(N::Unsubscribe, "Removes one SUB prefix filter (sent to publishers)."),
    here(N::XpubVerbose, "XPUB passes up every subscription, duplicates included."),
    here(N::XpubVerboser, "XPUB passes up every subscription and unsubscription."),
    here(N::XpubManual, "XPUB subscriptions are set by the application, not by the subscribers' messages."),
    here(N::XpubNodrop, "XPUB blocks (or `WouldBlock`s) at a full subscriber instead of dropping."),
    here(N::XpubWelcomeMsg, "XPUB sends this message to each new subscriber."),
    here(N::ZapDomain, "The ZAP domain of the socket's handshakes (NULL asks ZAP only with one)."),
    here(N::TcpAcceptFilter, "tcp listeners close peers outside these CIDR ranges before any ZMTP byte."),
    here(N::IpcFilterGid, "ipc listeners admit peers of these group ids (`SO_PEERCRED`)."),
    here(N::IpcFilterPid, "ipc listeners admit peers of these process ids (`SO_PEERCRED`)."),
    here(N::IpcFilterUid, "ipc listeners admit peers of these user ids (`SO_PEERCRED`)."),
    here(N::Ipv4Only, "The inverse of `ZMQ_IPV6` (deprecated)."),
    here(N::VmciBufferSize, "Stored for `vmci://`, which is refused as not supported: there is no vsock loopback on the machines this is tested on, and no libzmq built with VMCI to test against."),
    here(N::VmciBufferMinSize, "Stored for `vmci://`, which is refused as not supported: there is no vsock loopback on the machines this is tested on, and no libzmq built with VMCI to test against."),
    here(N::VmciBufferMaxSize, "Stored for `vmci://`, which is refused as not supported: there is no vsock loopback on the machines this is tested on, and no libzmq built with VMCI to test against."),
    here(N::VmciConnectTimeout, "Stored for `vmci://`, which is refused as not supported: there is no vsock loopback on the machines this is tested on, and no libzmq built with VMCI to test against."),
];

/// Rows whose test is compiled out without a feature of this crate: the feature, the rows.
pub(super) const FEATURE_ROWS: [(&str, &[OptionName]); 2] = [
    (
        "curve",
        &[
            N::CurvePublicKey,
            N::CurveSecretKey,
            N::CurveServer,
            N::CurveServerKey,
        ],
    ),
    ("socks", &[N::SocksProxy]),
];

fn feature_on(feature: &str) -> bool {
    match feature {
        "curve" => cfg!(feature = "curve"),
        "socks" => cfg!(feature = "socks"),
        other => panic!("unknown feature {other}"),
    }
}

/// The sources of the test files rows name, to check the named tests are there and run.
pub(super) const SOURCES: [(&str, &str); 3] = [
    (
        "../../../interop/tests/libzmq_gssapi.rs",
        include_str!("../../../../interop/tests/libzmq_gssapi.rs"),
    ),
    (
        "../../../crates/zmtp-socket/src/transport/pgm/tests.rs",
        include_str!("../../src/transport/pgm/tests.rs"),
    ),
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

/// `source` without its comments (`//` to the end of the line, `/* */`), strings left alone.
pub(super) fn without_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether `source` (another test binary's, which this one cannot link) has `test` as a test
/// that runs: a function whose attributes, right above it, include `#[test]` or
/// `#[tokio::test]` and no `#[cfg` or `#[ignore`, outside comments. (The tests of this file are
/// checked by the compiler instead: [`row_tests`].)
pub(super) fn runs_test(source: &str, test: &str) -> bool {
    let code = without_comments(source);
    let lines: Vec<&str> = code.lines().map(str::trim).collect();
    let signature = |l: &&str| {
        let l = l.strip_prefix("pub ").unwrap_or(l);
        let l = l.strip_prefix("async ").unwrap_or(l);
        l.starts_with(&format!("fn {test}("))
    };
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| signature(l))
        .any(|(at, _)| {
            let attributes: Vec<&str> = lines[..at]
                .iter()
                .rev()
                .take_while(|l| l.starts_with("#["))
                .copied()
                .collect();
            attributes
                .iter()
                .any(|a| *a == "#[test]" || a.starts_with("#[tokio::test"))
                && !attributes
                    .iter()
                    .any(|a| a.starts_with("#[cfg") || a.starts_with("#[ignore"))
        })
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
    let registered = row_tests();
    let names: Vec<&str> = registered.iter().map(|(name, _)| *name).collect();
    for row in &ROWS {
        let name = test_name(row.option);
        let compiled_out = FEATURE_ROWS
            .iter()
            .any(|(feature, rows)| rows.contains(&row.option) && !feature_on(feature));
        assert_eq!(
            names.iter().filter(|n| **n == name).count(),
            usize::from(!compiled_out),
            "the row {} has its test {name} in row_tests (compiled out only without its feature)",
            row.option
        );
        if let Observed::In(file, tests) = row.observed {
            for test in tests {
                assert!(
                    runs_test(source(file), test),
                    "{}: {file} has the test {test}, not compiled out or ignored",
                    row.option
                );
            }
        }
    }
    assert_eq!(
        names.len(),
        ROWS.len()
            - FEATURE_ROWS
                .iter()
                .filter(|(feature, _)| !feature_on(feature))
                .map(|(_, rows)| rows.len())
                .sum::<usize>(),
        "row_tests lists only the rows' tests: {names:?}"
    );
}

#[test]
fn the_text_check_sees_through_comments_cfg_and_ignore() {
    let source = r#"
#[tokio::test]
async fn runs() {}

// #[test]
// fn commented() {}

/*
#[test]
fn in_a_block() {}
*/

#[cfg(any())]
#[tokio::test]
async fn configured_out() {}

#[test]
#[ignore]
fn ignored() {}

fn helper() {}

#[test]
fn after_a_string() { let _ = "// not a comment"; }
"#;
    assert!(runs_test(source, "runs"));
    assert!(runs_test(source, "after_a_string"));
    for absent in [
        "commented",
        "in_a_block",
        "configured_out",
        "ignored",
        "helper",
        "missing",
    ] {
        assert!(!runs_test(source, absent), "{absent}");
    }
}

//! The whole `zmq_setsockopt` table, row by row: one test per row (`zmq_<option>`), which sets a
//! valid value and reads it back (on a live socket too), checks that the values libzmq refuses
//! are refused naming the option, and observes the option's effect, here or, where a test file
//! already observes it in depth, by naming that test (the name is checked to exist).
//!
//! [`ROWS`] is also the source of `docs/options.md` (default, when a change takes effect, what
//! the option does, where it is observed); [`the_docs_table_is_generated_from_the_rows`] fails
//! when the two differ (`ZMTP_BLESS=1` rewrites the file).

mod common;

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use socket2::Socket;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zmtp_codec::{ZapReply, ZapRequest};
use zmtp_security::CurveKeyPair;
use zmtp_socket::endpoint::EndpointErrorKind;
use zmtp_socket::options::{MechanismKind, OptionEffect, OptionName, SocketOptions, OPTIONS_TABLE};
use zmtp_socket::{
    Context, Dealer, Error, Message, MonitorEvent, Pull, Push, Req, Router, Sub, XPub,
};

use common::option_values::{
    invalid_values, valid_value, wrong_type, OPTIONS_WITHOUT_INVALID_VALUES,
};
use common::{bind_endpoint, text, unbound_endpoint, within};

use OptionName as N;

// ---------------------------------------------------------------------------------------------
// The rows

/// Where a row's effect is observed: in this file (the row's own test), or by named tests of
/// other test files of the workspace (`file`, test functions).
#[derive(Clone, Copy)]
enum Observed {
    Here,
    In(&'static str, &'static [&'static str]),
}

/// One row of the table: the option, what it does in this crate, and where that is observed.
struct Row {
    option: OptionName,
    does: &'static str,
    observed: Observed,
}

const fn here(option: OptionName, does: &'static str) -> Row {
    Row {
        option,
        does,
        observed: Observed::Here,
    }
}

const fn elsewhere(
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
const ROWS: [Row; 70] = [
    here(N::Affinity, "Picks which of the context's I/O threads run the connections of later binds and connects (least loaded among the mask's; `Error::NoIoThread` when it names none)."),
    here(N::Backlog, "The `listen(2)` backlog of tcp and ipc listeners."),
    elsewhere(N::ConnectRid, "Names the peer of the next `connect` on a ROUTER or STREAM socket.", "req_rep_router_tcp.rs", &["connect_rid_names_the_peer_before_the_connection_router_to_router"]),
    elsewhere(N::Conflate, "Keeps only the newest message in each pipe (PULL, SUB, DEALER, PUSH, PAIR).", "conflate.rs", &["a_conflating_pull_keeps_the_newest_message", "a_conflating_sub_keeps_the_newest_message"]),
    here(N::ConnectTimeout, "Gives up a tcp connect attempt after this long, then retries after `ZMQ_RECONNECT_IVL`."),
    here(N::CurvePublicKey, "This socket's CURVE long-term public key."),
    here(N::CurveSecretKey, "This socket's CURVE long-term secret key."),
    here(N::CurveServer, "Makes the socket the CURVE server of its handshakes."),
    here(N::CurveServerKey, "The server's public key a CURVE client checks; setting it makes the socket a CURVE client."),
    elsewhere(N::GssapiPlaintext, "GSSAPI without wrapping messages (authentication only).", "../../../tests/libzmq_gssapi.rs", &["socket_gssapi_dealer_to_libzmq_router_plaintext", "libzmq_gssapi_dealer_to_socket_router_plaintext"]),
    elsewhere(N::GssapiPrincipal, "The principal whose credentials the socket uses; makes it a GSSAPI client (or names a server's own).", "../../../tests/libzmq_gssapi.rs", &["socket_gssapi_dealer_to_libzmq_router_encrypted"]),
    elsewhere(N::GssapiServer, "Makes the socket the GSSAPI server of its handshakes.", "../../../tests/libzmq_gssapi.rs", &["libzmq_gssapi_dealer_to_socket_router_encrypted"]),
    elsewhere(N::GssapiServicePrincipal, "The service principal a GSSAPI client asks for.", "../../../tests/libzmq_gssapi.rs", &["socket_gssapi_dealer_to_libzmq_router_encrypted", "codec_client_with_a_wrong_service_principal_is_refused_by_libzmq"]),
    here(N::HandshakeIvl, "Closes a connection whose ZMTP handshake takes longer."),
    here(N::HeartbeatIvl, "Sends a PING after this long without traffic."),
    here(N::HeartbeatTimeout, "Closes the connection when nothing arrives this long after a PING."),
    here(N::HeartbeatTtl, "The TTL our PINGs ask the peer to apply (deciseconds on the wire)."),
    here(N::Identity, "The routing id sent in the handshake; a ROUTER peer addresses us by it."),
    here(N::Immediate, "Queues messages only to completed connections."),
    elsewhere(N::InvertMatching, "PUB/XPUB send to non-matching subscribers; SUB/XSUB receive what does not match.", "pubsub_spec.rs", &["pub_invert_matching", "sub_invert_matching_from_options"]),
    here(N::Ipv6, "tcp binds and connects use IPv6 too (a `*` bind is dual-stack)."),
    elsewhere(N::Linger, "How long a closed socket keeps delivering its queue.", "context_linger.rs", &["linger_delivers_after_the_sending_runtime_is_gone", "linger_zero_discards_what_is_queued", "term_waits_for_linger_then_returns"]),
    here(N::MaxMsgSize, "Closes a connection whose peer sends a larger message."),
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
    here(N::ReconnectIvl, "How long after a failed or lost connection it is tried again (-1: never)."),
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
const SOURCES: [(&str, &str); 10] = [
    (
        "options_conformance.rs",
        include_str!("options_conformance.rs"),
    ),
    (
        "req_rep_router_tcp.rs",
        include_str!("req_rep_router_tcp.rs"),
    ),
    ("pubsub_spec.rs", include_str!("pubsub_spec.rs")),
    ("context_linger.rs", include_str!("context_linger.rs")),
    ("options_spec.rs", include_str!("options_spec.rs")),
    ("stream_socket.rs", include_str!("stream_socket.rs")),
    ("accept_filters.rs", include_str!("accept_filters.rs")),
    ("socks_proxy.rs", include_str!("socks_proxy.rs")),
    (
        "../../../tests/libzmq_gssapi.rs",
        include_str!("../../../tests/libzmq_gssapi.rs"),
    ),
    ("conflate.rs", include_str!("conflate.rs")),
];

fn source(file: &str) -> &'static str {
    SOURCES
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("{file} is not in SOURCES"))
}

fn test_name(option: OptionName) -> String {
    option.zmq_name().to_ascii_lowercase()
}

#[test]
fn the_rows_are_the_table_and_each_has_its_test() {
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

// ---------------------------------------------------------------------------------------------
// The generated docs table

fn when(option: OptionName) -> &'static str {
    match option.effect() {
        OptionEffect::Immediate => "at once, existing connections too",
        OptionEffect::NextConnection => "each connection attached after the change",
        OptionEffect::NextBindOrConnect => "binds and connects made after the change",
        OptionEffect::NextConnectOnly => "the next connect only",
    }
}

fn default_of(option: OptionName) -> String {
    OPTIONS_TABLE
        .lines()
        .find(|l| l.split('\t').next() == Some(option.zmq_name()))
        .and_then(|l| l.split('\t').nth(3))
        .unwrap_or("")
        .to_owned()
}

fn docs_table() -> String {
    let mut out = String::from(
        "# Socket options\n\n\
         Generated from `crates/zmtp-socket/tests/options_conformance.rs` (which fails when this file\n\
         differs; `ZMTP_BLESS=1 cargo test -p zmtp-socket --test options_conformance` rewrites it).\n\
         Every row of libzmq 4.2's `zmq_setsockopt` table, with libzmq's default; \"when\" is when a\n\
         change on a live socket is used (libzmq's rule, `OptionName::effect`). Each row's test\n\
         (`zmq_<option>` in that file) sets a valid value, reads it back, checks that invalid\n\
         values are refused naming the option, and observes the effect there or in the tests\n\
         named in the last column.\n\n\
         | Option | Default | When a change is used | What it does | Effect observed in |\n\
         |---|---|---|---|---|\n",
    );
    for row in &ROWS {
        let observed = match row.observed {
            Observed::Here => format!("`options_conformance.rs`: `{}`", test_name(row.option)),
            Observed::In(file, tests) => {
                let file = file.trim_start_matches("../../../");
                let names: Vec<String> = tests.iter().map(|t| format!("`{t}`")).collect();
                format!("`{file}`: {}", names.join(", "))
            }
        };
        let active = if row.option.in_effect() {
            ""
        } else {
            " (not in effect yet)"
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {}{} | {} |\n",
            row.option.zmq_name(),
            default_of(row.option),
            when(row.option),
            row.does,
            active,
            observed
        ));
    }
    out
}

#[test]
fn the_docs_table_is_generated_from_the_rows() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/options.md");
    let generated = docs_table();
    if std::env::var_os("ZMTP_BLESS").is_some() {
        std::fs::write(path, &generated).expect("write docs/options.md");
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/options.md differs from the rows; run: ZMTP_BLESS=1 cargo test -p zmtp-socket --test options_conformance"
    );
}

// ---------------------------------------------------------------------------------------------
// The value contract, the same for every row

/// Sets the table's valid value and reads it back, on options and on a live DEALER; every
/// value libzmq refuses (and one of the wrong type) is refused naming the option, leaving the
/// option as it was.
fn contract(option: OptionName) {
    let (value, expected) = valid_value(option);
    let mut options = SocketOptions::new();
    options
        .set(option, value.clone())
        .unwrap_or_else(|e| panic!("{option} takes {value:?}: {e}"));
    assert_eq!(options.get(option), expected, "{option} reads back");

    let invalid = invalid_values(option);
    assert_eq!(
        invalid.is_empty(),
        OPTIONS_WITHOUT_INVALID_VALUES.contains(&option)
    );
    for bad in invalid.into_iter().chain([wrong_type(option)]) {
        let before = options.get(option);
        let error = options
            .set(option, bad.clone())
            .expect_err("an invalid value is refused");
        assert_eq!(error.option(), Some(option), "{error}");
        assert!(error.to_string().starts_with(option.zmq_name()), "{error}");
        assert_eq!(options.get(option), before, "{option} unchanged by {bad:?}");
    }
}

/// The contract on a live socket too (libzmq lets every option change at any time).
async fn contract_live(option: OptionName) {
    contract(option);
    let mut dealer = Dealer::new();
    dealer
        .connect(&unbound_endpoint("tcp"))
        .await
        .expect("connect");
    let (value, expected) = valid_value(option);
    if dealer.set_option(option, value.clone()).is_ok() {
        assert_eq!(dealer.options().get(option), expected, "{option} live");
    } else {
        // Only the options DEALER does not have (socket-type specific ones) may refuse.
        assert!(
            !option.applies_to(zmtp_socket::SocketType::Dealer),
            "{option} refused on a live DEALER"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers for the effects

async fn round_trip(server: &mut Router, client: &mut Dealer, body: &str) {
    client.send(body.to_owned()).await.expect("send");
    let m = within("the request", server.recv()).await.expect("recv");
    assert_eq!(m.frames()[1], body.as_bytes());
    server.send(m).await.expect("reply");
    let back = within("the reply", client.recv()).await.expect("reply");
    assert_eq!(back.frames()[0], body.as_bytes());
}

/// A ROUTER and a DEALER with these options, connected over `transport`, one round trip done.
async fn connected(
    server: SocketOptions,
    client: SocketOptions,
    transport: &str,
) -> (Router, Dealer, String) {
    let mut router = Router::with_options(server).expect("router");
    let ep = router.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut dealer = Dealer::with_options(client).expect("dealer");
    dealer.connect(&ep).await.expect("connect");
    round_trip(&mut router, &mut dealer, "hello").await;
    (router, dealer, ep)
}

/// The next monitor event that `pick` selects.
async fn event<T>(
    monitor: &mut zmtp_socket::Monitor,
    what: &str,
    mut pick: impl FnMut(&MonitorEvent) -> Option<T>,
) -> T {
    within(what, async {
        loop {
            let e = monitor.next().await.expect("monitor open");
            if let Some(t) = pick(&e) {
                return t;
            }
        }
    })
    .await
}

/// The process's sockets, each descriptor duplicated (so they stay valid whatever the
/// connections do meanwhile).
fn process_sockets() -> Vec<Socket> {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|fd| {
            // SAFETY: the descriptor is only borrowed for the duplication, which either fails
            // (closed meanwhile) or gives a descriptor of our own; a number reused meanwhile
            // only yields a socket whose addresses do not match.
            let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
            borrowed.try_clone_to_owned().ok().map(Socket::from)
        })
        .collect()
}

/// A socket's (local, peer) addresses, for a connected inet socket.
fn addresses(s: &Socket) -> Option<(SocketAddr, SocketAddr)> {
    Some((
        s.local_addr().ok()?.as_socket()?,
        s.peer_addr().ok()?.as_socket()?,
    ))
}

/// Both kernel sockets of the tcp connection made in this process to `server`: (accepted,
/// connecting), found by their addresses among the process's descriptors.
fn kernel_sockets(server: SocketAddr) -> (Socket, Socket) {
    let sockets = process_sockets();
    let client = sockets
        .iter()
        .filter_map(addresses)
        .find(|(_, peer)| *peer == server)
        .map(|(local, _)| local)
        .expect("the connecting socket");
    let mut accepted = None;
    let mut connecting = None;
    for s in sockets {
        match addresses(&s) {
            Some(pair) if pair == (server, client) => accepted = Some(s),
            Some(pair) if pair == (client, server) => connecting = Some(s),
            _ => {}
        }
    }
    (
        accepted.expect("the accepted socket"),
        connecting.expect("the connecting socket"),
    )
}

/// The kernel sockets of a tcp ROUTER–DEALER connection where both sides have `options`.
async fn tuned_tcp(options: SocketOptions) -> (Socket, Socket, Router, Dealer) {
    let (router, dealer, ep) = connected(options.clone(), options, "tcp").await;
    let server: SocketAddr = ep.trim_start_matches("tcp://").parse().expect("address");
    let (accepted, connecting) = kernel_sockets(server);
    (accepted, connecting, router, dealer)
}

/// Binding and connecting a transport libzmq has and this crate does not yet fail clearly.
async fn unsupported_transport_is_refused(endpoint: &str, options: SocketOptions) {
    let mut dealer = Dealer::with_options(options).expect("dealer");
    for result in [
        dealer.bind(endpoint).await.map(|_| ()),
        dealer.connect(endpoint).await,
    ] {
        match result {
            Err(Error::Endpoint(e)) => {
                assert!(
                    matches!(e.kind, EndpointErrorKind::UnsupportedTransport(_)),
                    "{e}"
                );
                assert!(e.to_string().contains("not supported yet"), "{e}");
            }
            other => panic!("{endpoint}: {other:?}"),
        }
    }
}

/// A raw TCP peer's bytes until the connection ends (or `LIMIT`).
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    within("the connection to end", async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    all
}

/// The greeting and READY of a NULL `socket_type` peer, as raw bytes.
fn null_greeting_and_ready(socket_type: &'static str) -> Vec<u8> {
    use bytes::Buf;
    use zmtp_codec::greeting::GreetingWriter;
    use zmtp_codec::{Command, MechanismName, Metadata, SendBuffer};
    let mut md = Metadata::new();
    md.insert("Socket-Type", socket_type).expect("valid");
    let mut out = SendBuffer::new();
    out.put_raw(GreetingWriter::new(MechanismName::NULL, 0).as_bytes());
    out.put_command(&Command::Ready(md));
    let bytes = out.copy_to_bytes(out.remaining());
    bytes.to_vec()
}

fn zap_recorder() -> (
    impl Fn(ZapRequest) -> std::future::Ready<ZapReply> + Send + Sync,
    std::sync::Arc<std::sync::Mutex<Vec<ZapRequest>>>,
) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    (
        move |req: ZapRequest| {
            record.lock().expect("lock").push(req);
            std::future::ready(ZapReply::accept("user"))
        },
        seen,
    )
}

// ---------------------------------------------------------------------------------------------
// One test per row

#[tokio::test]
async fn zmq_affinity() {
    contract_live(N::Affinity).await;
    let ctx = Context::with_io_threads(2).expect("context");
    let (handler, _) = zap_recorder();
    let thread = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let t = thread.clone();
    let mut router = Router::with_options_in(
        &ctx,
        SocketOptions::new().affinity(0b10).zap_domain("affinity"),
    )
    .expect("router");
    router.set_zap_handler(move |req: ZapRequest| {
        *t.lock().expect("lock") = std::thread::current().name().unwrap_or("").to_owned();
        handler(req)
    });
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut dealer = Dealer::new();
    dealer.connect(&ep).await.expect("connect");
    round_trip(&mut router, &mut dealer, "x").await;
    assert_eq!(*thread.lock().expect("lock"), "zmtp-io-1");
    let mut wrong = Router::with_options_in(&ctx, SocketOptions::new().affinity(0b100)).expect("r");
    assert!(matches!(
        wrong.bind("tcp://127.0.0.1:*").await,
        Err(Error::NoIoThread { .. })
    ));
}

#[tokio::test]
async fn zmq_backlog() {
    contract_live(N::Backlog).await;
    let mut router = Router::with_options(SocketOptions::new().backlog(37)).expect("router");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let port = ep.rsplit(':').next().expect("port");
    // The kernel shows a listener's backlog as its Send-Q (`ss -lt`).
    let out = std::process::Command::new("ss")
        .args(["-Hltn", &format!("sport = :{port}")])
        .output()
        .expect("ss (iproute2; apt-get install iproute2)");
    let listing = String::from_utf8_lossy(&out.stdout);
    let send_q: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(send_q, ["37"], "ss -lt: {listing}");
    // ipc listeners too, as libzmq's.
    let mut router = Router::with_options(SocketOptions::new().backlog(38)).expect("router");
    let ep = router.bind("ipc://*").await.expect("bind");
    let path = ep.trim_start_matches("ipc://");
    let out = std::process::Command::new("ss")
        .args(["-Hlxn"])
        .output()
        .expect("ss (iproute2; apt-get install iproute2)");
    let listing = String::from_utf8_lossy(&out.stdout);
    let send_q: Vec<&str> = listing
        .lines()
        .filter(|l| l.split_whitespace().any(|w| w == path))
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(send_q, ["38"], "ss -lx: {listing}");
}

#[tokio::test]
async fn zmq_connect_rid() {
    contract_live(N::ConnectRid).await;
    let mut dealer = Dealer::new();
    let ep = dealer.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut router =
        Router::with_options(SocketOptions::new().connect_rid("peer-A")).expect("router");
    router.connect(&ep).await.expect("connect");
    router.set_option(N::RouterMandatory, 1).expect("mandatory");
    // Addressable by the name given before the connection existed.
    within("the named peer to be there", async {
        while router.send(Message::from(["peer-A", "hi"])).await.is_err() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let m = within("the message", dealer.recv()).await.expect("recv");
    assert_eq!(text(&m), ["hi"]);
}

#[tokio::test]
async fn zmq_conflate() {
    contract_live(N::Conflate).await;
}

#[tokio::test]
async fn zmq_connect_timeout() {
    contract_live(N::ConnectTimeout).await;
    // A listener whose accept queue is full: the kernel drops further SYNs, so a connect
    // hangs until CONNECT_TIMEOUT gives up on it (the OS alone would retry for minutes).
    let full =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    full.bind(&"127.0.0.1:0".parse::<SocketAddr>().expect("addr").into())
        .expect("bind");
    full.listen(0).expect("listen");
    let addr = full.local_addr().expect("addr").as_socket().expect("inet");
    let mut fillers = Vec::new();
    for _ in 0..4 {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        s.set_nonblocking(true).expect("nonblocking");
        let _ = s.connect(&addr.into());
        fillers.push(s);
    }
    let mut dealer = Dealer::with_options(
        SocketOptions::new()
            .connect_timeout(Some(Duration::from_millis(100)))
            .reconnect_ivl(Some(Duration::from_millis(100))),
    )
    .expect("dealer");
    let mut monitor = dealer.monitor();
    dealer
        .connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    // Two delayed attempts: the first was given up and retried.
    let mut delayed = 0;
    event(&mut monitor, "a second connect attempt", |e| {
        if matches!(e, MonitorEvent::ConnectDelayed { .. }) {
            delayed += 1;
        }
        (delayed >= 2).then_some(())
    })
    .await;
    drop(fillers);
    drop(full);
}

/// A CURVE server and client, and whether a message gets through.
async fn curve_pair(server_key_for_client: Option<CurveKeyPair>) -> bool {
    let server_keys = CurveKeyPair::generate();
    let client_keys = CurveKeyPair::generate();
    let mut pull = Pull::with_options(
        SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(server_keys.secret().clone())
            .curve_public_key(*server_keys.public()),
    )
    .expect("pull");
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let server_key = server_key_for_client
        .map(|k| *k.public())
        .unwrap_or_else(|| *server_keys.public());
    let mut push = Push::with_options(
        SocketOptions::new()
            .curve_server_key(server_key)
            .curve_public_key(*client_keys.public())
            .curve_secret_key(client_keys.secret().clone()),
    )
    .expect("push");
    push.connect(&ep).await.expect("connect");
    push.send("secret").await.expect("send");
    let ok = event(&mut monitor, "the handshake's outcome", |e| match e {
        MonitorEvent::HandshakeSucceeded { .. } => Some(true),
        MonitorEvent::HandshakeFailedNoDetail { .. }
        | MonitorEvent::HandshakeFailedProtocol { .. }
        | MonitorEvent::HandshakeFailedAuth { .. } => Some(false),
        _ => None,
    })
    .await;
    if ok {
        let m = within("the message", pull.recv()).await.expect("recv");
        assert_eq!(text(&m), ["secret"]);
    }
    ok
}

#[tokio::test]
async fn zmq_curve_publickey() {
    contract_live(N::CurvePublicKey).await;
    assert!(
        curve_pair(None).await,
        "matching keys: the handshake succeeds"
    );
}

#[tokio::test]
async fn zmq_curve_secretkey() {
    contract_live(N::CurveSecretKey).await;
    assert!(curve_pair(None).await);
}

#[tokio::test]
async fn zmq_curve_server() {
    contract_live(N::CurveServer).await;
    assert!(curve_pair(None).await);
    let pull = Pull::with_options(SocketOptions::new().curve_server(true)).expect("pull");
    assert_eq!(
        pull.options().mechanism(),
        MechanismKind::Curve,
        "CURVE_SERVER selects CURVE"
    );
}

#[tokio::test]
async fn zmq_curve_serverkey() {
    contract_live(N::CurveServerKey).await;
    assert!(
        !curve_pair(Some(CurveKeyPair::generate())).await,
        "a client with the wrong server key never completes the handshake"
    );
}

#[tokio::test]
async fn zmq_gssapi_plaintext() {
    contract_live(N::GssapiPlaintext).await;
}

#[tokio::test]
async fn zmq_gssapi_principal() {
    contract_live(N::GssapiPrincipal).await;
}

#[tokio::test]
async fn zmq_gssapi_server() {
    contract_live(N::GssapiServer).await;
}

#[tokio::test]
async fn zmq_gssapi_service_principal() {
    contract_live(N::GssapiServicePrincipal).await;
}

#[tokio::test]
async fn zmq_handshake_ivl() {
    contract_live(N::HandshakeIvl).await;
    let mut pull =
        Pull::with_options(SocketOptions::new().handshake_ivl(Some(Duration::from_millis(100))))
            .expect("pull");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut silent = tokio::net::TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .expect("connect");
    // Our greeting arrives, then the connection ends without the client saying anything.
    let bytes = read_until_closed(&mut silent).await;
    assert!(
        !bytes.is_empty() && bytes[0] == 0xff,
        "the greeting came first"
    );
}

/// A raw NULL PULL peer of a PUSH with `options`, which never answers a PING; returns what
/// it read until the connection ended or it saw `pings` PINGs.
async fn raw_peer_of_push(options: SocketOptions, pings: usize) -> Vec<u8> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let ep = format!("tcp://{}", listener.local_addr().expect("addr"));
    let mut push = Push::with_options(options.reconnect_ivl(None)).expect("push");
    push.connect(&ep).await.expect("connect");
    let (mut stream, _) = within("the connection", listener.accept())
        .await
        .expect("accept");
    stream
        .write_all(&null_greeting_and_ready("PULL"))
        .await
        .expect("write");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    within("PINGs, then the end", async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    seen.extend_from_slice(&buf[..n]);
                    if seen.windows(5).filter(|w| w == b"\x04PING").count() >= pings {
                        break;
                    }
                }
            }
        }
    })
    .await;
    seen
}

#[tokio::test]
async fn zmq_heartbeat_ivl() {
    contract_live(N::HeartbeatIvl).await;
    let seen = raw_peer_of_push(
        SocketOptions::new().heartbeat_ivl(Some(Duration::from_millis(20))),
        1,
    )
    .await;
    assert!(seen.windows(5).any(|w| w == b"\x04PING"), "a PING was sent");
}

#[tokio::test]
async fn zmq_heartbeat_timeout() {
    contract_live(N::HeartbeatTimeout).await;
    let pings = |seen: &[u8]| seen.windows(5).filter(|w| w == b"\x04PING").count();
    // The peer never answers. With a short timeout the connection is closed...
    let seen = raw_peer_of_push(
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(20)))
            .heartbeat_timeout(Some(Duration::from_millis(100))),
        usize::MAX,
    )
    .await;
    assert!(pings(&seen) >= 1, "closed after PINGs went unanswered");
    // ...with a long one it stays open through many unanswered PINGs (without the option
    // the timeout is the interval, and it would be closed after the first).
    let seen = raw_peer_of_push(
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(10)))
            .heartbeat_timeout(Some(Duration::from_secs(3600))),
        5,
    )
    .await;
    assert_eq!(pings(&seen), 5, "five PINGs unanswered and still open");
}

#[tokio::test]
async fn zmq_heartbeat_ttl() {
    contract_live(N::HeartbeatTtl).await;
    let seen = raw_peer_of_push(
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(20)))
            .heartbeat_ttl(Some(Duration::from_millis(2500))),
        1,
    )
    .await;
    // PING: name, then the TTL in deciseconds as two bytes (25).
    let at = seen
        .windows(5)
        .position(|w| w == b"\x04PING")
        .expect("a PING");
    assert_eq!(
        &seen[at + 5..at + 7],
        &[0, 25],
        "TTL 2.5 s = 25 deciseconds"
    );
}

#[tokio::test]
async fn zmq_identity() {
    contract_live(N::Identity).await;
    let (mut router, mut dealer, _) = connected(
        SocketOptions::new(),
        SocketOptions::new().identity("client-7"),
        "tcp",
    )
    .await;
    dealer.send("x").await.expect("send");
    let m = within("the message", router.recv()).await.expect("recv");
    assert_eq!(
        m.frames()[0],
        "client-7",
        "the ROUTER knows us by ZMQ_IDENTITY"
    );
}

#[tokio::test]
async fn zmq_immediate() {
    contract_live(N::Immediate).await;
    let mut push = Push::with_options(SocketOptions::new().immediate(true)).expect("push");
    push.connect(&unbound_endpoint("tcp"))
        .await
        .expect("connect");
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));
    let mut queued = Push::new();
    queued
        .connect(&unbound_endpoint("tcp"))
        .await
        .expect("connect");
    assert!(
        queued.try_send("x").is_ok(),
        "without it, the message queues"
    );
}

#[tokio::test]
async fn zmq_invert_matching() {
    contract_live(N::InvertMatching).await;
}

#[tokio::test]
async fn zmq_ipv6() {
    contract_live(N::Ipv6).await;
    let mut router = Router::with_options(SocketOptions::new().ipv6(true)).expect("router");
    let ep = router.bind("tcp://*:*").await.expect("bind");
    let port = ep.rsplit(':').next().expect("port");
    for host in ["127.0.0.1", "[::1]"] {
        let mut dealer = Dealer::with_options(SocketOptions::new().ipv6(true)).expect("dealer");
        dealer
            .connect(&format!("tcp://{host}:{port}"))
            .await
            .expect("connect");
        round_trip(&mut router, &mut dealer, host).await;
    }
    // Without it, `*` is IPv4 only and an IPv6 address is refused.
    let mut v4 = Router::new();
    let ep = v4.bind("tcp://*:*").await.expect("bind");
    assert!(ep.starts_with("tcp://0.0.0.0:"), "{ep}");
    assert!(v4.bind("tcp://[::1]:*").await.is_err());
}

#[tokio::test]
async fn zmq_linger() {
    contract_live(N::Linger).await;
}

#[tokio::test]
async fn zmq_maxmsgsize() {
    contract_live(N::MaxMsgSize).await;
    let mut pull = Pull::with_options(SocketOptions::new().maxmsgsize(Some(100))).expect("pull");
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut push = Push::with_options(SocketOptions::new().reconnect_ivl(None)).expect("push");
    push.connect(&ep).await.expect("connect");
    push.send(vec![b'a'; 100]).await.expect("send");
    let m = within("the message at the limit", pull.recv())
        .await
        .expect("recv");
    assert_eq!(m.frames()[0].len(), 100);
    push.send(vec![b'b'; 101]).await.expect("send");
    event(&mut monitor, "the oversize peer dropped", |e| {
        matches!(e, MonitorEvent::Disconnected { .. }).then_some(())
    })
    .await;
    assert!(
        pull.try_recv().is_err(),
        "the oversize message is not delivered"
    );
}

#[tokio::test]
async fn zmq_multicast_hops() {
    contract_live(N::MulticastHops).await;
    unsupported_transport_is_refused(
        "epgm://127.0.0.1;239.192.1.1:5555",
        SocketOptions::new().multicast_hops(5),
    )
    .await;
}

#[tokio::test]
async fn zmq_multicast_maxtpdu() {
    contract_live(N::MulticastMaxTpdu).await;
    unsupported_transport_is_refused(
        "pgm://127.0.0.1;239.192.1.1:5555",
        SocketOptions::new().multicast_maxtpdu(9000),
    )
    .await;
}

/// A PLAIN server and a client with this password: whether a message gets through, and what
/// the server's ZAP handler saw.
async fn plain_pair(password: &str) -> (bool, Vec<ZapRequest>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let mut pull = Pull::with_options(SocketOptions::new().plain_server(true)).expect("pull");
    pull.set_zap_handler(move |req: ZapRequest| {
        let ok = req.credentials.get(1).is_some_and(|p| p == "right");
        record.lock().expect("lock").push(req);
        std::future::ready(if ok {
            ZapReply::accept("admin")
        } else {
            ZapReply::refuse("wrong password")
        })
    });
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut push = Push::with_options(
        SocketOptions::new()
            .plain_username("admin")
            .plain_password(password),
    )
    .expect("push");
    push.connect(&ep).await.expect("connect");
    push.send("m").await.expect("send");
    let ok = event(&mut monitor, "the handshake's outcome", |e| match e {
        MonitorEvent::HandshakeSucceeded { .. } => Some(true),
        MonitorEvent::HandshakeFailedAuth { .. } => Some(false),
        _ => None,
    })
    .await;
    if ok {
        within("the message", pull.recv()).await.expect("recv");
    }
    let seen = seen.lock().expect("lock").clone();
    (ok, seen)
}

#[tokio::test]
async fn zmq_plain_password() {
    contract_live(N::PlainPassword).await;
    let (ok, seen) = plain_pair("right").await;
    assert!(ok);
    assert_eq!(seen[0].credentials[1], "right");
    let (ok, _) = plain_pair("wrong").await;
    assert!(!ok, "a wrong password is refused");
}

#[tokio::test]
async fn zmq_plain_server() {
    contract_live(N::PlainServer).await;
    let (ok, seen) = plain_pair("right").await;
    assert!(ok);
    assert_eq!(seen[0].mechanism.to_string(), "PLAIN");
}

#[tokio::test]
async fn zmq_plain_username() {
    contract_live(N::PlainUsername).await;
    let (_, seen) = plain_pair("right").await;
    assert_eq!(seen[0].credentials[0], "admin");
}

#[tokio::test]
async fn zmq_use_fd() {
    contract_live(N::UseFd).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = listener.local_addr().expect("addr");
    let mut pull =
        Pull::with_options(SocketOptions::new().use_fd(Some(listener.as_raw_fd()))).expect("pull");
    // The endpoint is only a name: the socket listens where the descriptor does.
    pull.bind("tcp://127.0.0.1:1").await.expect("bind");
    let mut push = Push::new();
    push.connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    push.send("via the fd").await.expect("send");
    let m = within("the message", pull.recv()).await.expect("recv");
    assert_eq!(text(&m), ["via the fd"]);
}

#[tokio::test]
async fn zmq_probe_router() {
    contract_live(N::ProbeRouter).await;
    let mut router = Router::new();
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut dealer =
        Dealer::with_options(SocketOptions::new().probe_router(true).identity("prober"))
            .expect("dealer");
    dealer.connect(&ep).await.expect("connect");
    let m = within("the probe", router.recv()).await.expect("recv");
    assert_eq!(m.frames(), [Bytes::from("prober"), Bytes::new()]);
}

#[tokio::test]
async fn zmq_rate() {
    contract_live(N::Rate).await;
    unsupported_transport_is_refused(
        "pgm://127.0.0.1;239.192.1.1:5555",
        SocketOptions::new().rate(1000),
    )
    .await;
}

#[tokio::test]
async fn zmq_rcvbuf() {
    contract_live(N::RcvBuf).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().rcvbuf(Some(64 * 1024))).await;
    // Linux doubles what is asked (bookkeeping overhead).
    for s in [&accepted, &connecting] {
        assert_eq!(s.recv_buffer_size().expect("SO_RCVBUF"), 128 * 1024);
    }
}

#[tokio::test]
async fn zmq_rcvhwm() {
    contract_live(N::RcvHwm).await;
}

#[tokio::test]
async fn zmq_rcvtimeo() {
    contract_live(N::RcvTimeo).await;
    let mut pull =
        Pull::with_options(SocketOptions::new().rcvtimeo(Some(Duration::from_millis(20))))
            .expect("pull");
    assert!(matches!(pull.recv().await, Err(Error::Timeout(_))));
    pull.set_option(N::RcvTimeo, 0).expect("option");
    assert!(matches!(pull.recv().await, Err(Error::WouldBlock)));
}

/// The first `n` reconnect intervals of a connect to a closed port.
async fn retry_intervals(options: SocketOptions, n: usize) -> Vec<Duration> {
    let mut dealer = Dealer::with_options(options).expect("dealer");
    let mut monitor = dealer.monitor();
    dealer
        .connect(&unbound_endpoint("tcp"))
        .await
        .expect("connect");
    let mut out = Vec::new();
    event(&mut monitor, "the retries", |e| {
        if let MonitorEvent::ConnectRetried { interval, .. } = e {
            out.push(*interval);
        }
        (out.len() >= n).then_some(())
    })
    .await;
    out
}

#[tokio::test]
async fn zmq_reconnect_ivl() {
    contract_live(N::ReconnectIvl).await;
    let intervals = retry_intervals(
        SocketOptions::new().reconnect_ivl(Some(Duration::from_millis(30))),
        3,
    )
    .await;
    for i in intervals {
        assert!(
            i >= Duration::from_millis(30) && i < Duration::from_millis(60),
            "ZMQ_RECONNECT_IVL (plus libzmq's jitter below one interval): {i:?}"
        );
    }
}

#[tokio::test]
async fn zmq_reconnect_ivl_max() {
    contract_live(N::ReconnectIvlMax).await;
    let intervals = retry_intervals(
        SocketOptions::new()
            .reconnect_ivl(Some(Duration::from_millis(10)))
            .reconnect_ivl_max(Some(Duration::from_millis(40))),
        5,
    )
    .await;
    let floor: Vec<u64> = intervals
        .iter()
        .map(|i| (i.as_millis() as u64 / 10) * 10)
        .collect();
    assert!(
        floor.windows(2).all(|w| w[1] >= w[0]) && floor.iter().all(|&ms| ms <= 40),
        "intervals grow and stop at ZMQ_RECONNECT_IVL_MAX: {intervals:?}"
    );
    assert_eq!(*floor.last().expect("five"), 40, "{intervals:?}");
}

#[tokio::test]
async fn zmq_recovery_ivl() {
    contract_live(N::RecoveryIvl).await;
    unsupported_transport_is_refused(
        "epgm://127.0.0.1;239.192.1.1:5555",
        SocketOptions::new().recovery_ivl(Duration::from_secs(1)),
    )
    .await;
}

#[tokio::test]
async fn zmq_req_correlate() {
    contract(N::ReqCorrelate);
    let mut req = Req::new();
    req.set_option(N::ReqCorrelate, 1).expect("REQ has it");
}

#[tokio::test]
async fn zmq_req_relaxed() {
    contract(N::ReqRelaxed);
    let mut req = Req::new();
    req.set_option(N::ReqRelaxed, 1).expect("REQ has it");
}

#[tokio::test]
async fn zmq_router_handover() {
    contract(N::RouterHandover);
}

#[tokio::test]
async fn zmq_router_mandatory() {
    contract(N::RouterMandatory);
    let mut router =
        Router::with_options(SocketOptions::new().router_mandatory(true)).expect("router");
    assert!(matches!(
        router.send(Message::from(["nobody", "x"])).await,
        Err(Error::HostUnreachable(_))
    ));
    let mut lax = Router::new();
    lax.send(Message::from(["nobody", "x"]))
        .await
        .expect("dropped silently without it");
}

#[tokio::test]
async fn zmq_router_raw() {
    contract(N::RouterRaw);
}

#[tokio::test]
async fn zmq_sndbuf() {
    contract_live(N::SndBuf).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().sndbuf(Some(64 * 1024))).await;
    for s in [&accepted, &connecting] {
        assert_eq!(s.send_buffer_size().expect("SO_SNDBUF"), 128 * 1024);
    }
}

#[tokio::test]
async fn zmq_sndhwm() {
    contract_live(N::SndHwm).await;
}

#[tokio::test]
async fn zmq_sndtimeo() {
    contract_live(N::SndTimeo).await;
    let mut push =
        Push::with_options(SocketOptions::new().sndtimeo(Some(Duration::from_millis(20))))
            .expect("push");
    assert!(matches!(push.send("x").await, Err(Error::Timeout(_))));
    push.set_option(N::SndTimeo, 0).expect("option");
    assert!(matches!(push.send("x").await, Err(Error::WouldBlock)));
}

#[tokio::test]
async fn zmq_socks_proxy() {
    contract_live(N::SocksProxy).await;
    assert!(N::SocksProxy.in_effect());
}

#[tokio::test]
async fn zmq_stream_notify() {
    contract(N::StreamNotify);
}

/// A SUB with `prefixes` connected to a PUB; the topics of `sent` that reach it, in order.
async fn filtered(prefixes: &[&str], unsubscribe: &[&str], sent: &[&str]) -> Vec<String> {
    let mut publisher = XPub::new();
    let ep = publisher.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut sub = Sub::new();
    sub.connect(&ep).await.expect("connect");
    for p in prefixes.iter().chain(["fence"].iter()) {
        sub.subscribe(p).expect("subscribe");
    }
    for p in unsubscribe {
        sub.unsubscribe(p).expect("unsubscribe");
    }
    // The XPUB hears each (un)subscription in order; the fence's arrival means all are in.
    within("the subscriptions", async {
        loop {
            let m = publisher.recv().await.expect("subscription");
            if m.frames()[0] == b"\x01fence"[..] {
                break;
            }
        }
    })
    .await;
    for topic in sent.iter().chain(["fence"].iter()) {
        publisher.send(topic.to_string()).await.expect("publish");
    }
    let mut got = Vec::new();
    within("the fence", async {
        loop {
            let m = sub.recv().await.expect("recv");
            let t = String::from_utf8_lossy(&m.frames()[0]).into_owned();
            if t == "fence" {
                break;
            }
            got.push(t);
        }
    })
    .await;
    got
}

#[tokio::test]
async fn zmq_subscribe() {
    contract_live(N::Subscribe).await;
    let got = filtered(&["a."], &[], &["a.1", "b.1", "a.2"]).await;
    assert_eq!(got, ["a.1", "a.2"]);
}

#[tokio::test]
async fn zmq_tcp_keepalive() {
    contract_live(N::TcpKeepalive).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().tcp_keepalive(Some(true))).await;
    for s in [&accepted, &connecting] {
        assert!(s.keepalive().expect("SO_KEEPALIVE"));
    }
}

#[tokio::test]
async fn zmq_tcp_keepalive_cnt() {
    contract_live(N::TcpKeepaliveCnt).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(
        SocketOptions::new()
            .tcp_keepalive(Some(true))
            .tcp_keepalive_cnt(Some(7)),
    )
    .await;
    for s in [&accepted, &connecting] {
        assert_eq!(s.tcp_keepalive_retries().expect("TCP_KEEPCNT"), 7);
    }
}

#[tokio::test]
async fn zmq_tcp_keepalive_idle() {
    contract_live(N::TcpKeepaliveIdle).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(
        SocketOptions::new()
            .tcp_keepalive(Some(true))
            .tcp_keepalive_idle(Some(77)),
    )
    .await;
    for s in [&accepted, &connecting] {
        assert_eq!(
            s.tcp_keepalive_time().expect("TCP_KEEPIDLE"),
            Duration::from_secs(77)
        );
    }
}

#[tokio::test]
async fn zmq_tcp_keepalive_intvl() {
    contract_live(N::TcpKeepaliveIntvl).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(
        SocketOptions::new()
            .tcp_keepalive(Some(true))
            .tcp_keepalive_intvl(Some(9)),
    )
    .await;
    for s in [&accepted, &connecting] {
        assert_eq!(
            s.tcp_keepalive_interval().expect("TCP_KEEPINTVL"),
            Duration::from_secs(9)
        );
    }
}

#[tokio::test]
async fn zmq_tcp_maxrt() {
    contract_live(N::TcpMaxRt).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().tcp_maxrt(Some(Duration::from_millis(4321)))).await;
    for s in [&accepted, &connecting] {
        assert_eq!(
            s.tcp_user_timeout().expect("TCP_USER_TIMEOUT"),
            Some(Duration::from_millis(4321))
        );
    }
}

#[tokio::test]
async fn zmq_tos() {
    contract_live(N::Tos).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(SocketOptions::new().tos(0x28)).await;
    for s in [&accepted, &connecting] {
        assert_eq!(s.tos_v4().expect("IP_TOS"), 0x28);
    }
}

#[tokio::test]
async fn zmq_unsubscribe() {
    contract_live(N::Unsubscribe).await;
    let got = filtered(&["a.", "b."], &["a."], &["a.1", "b.1"]).await;
    assert_eq!(got, ["b.1"]);
}

#[tokio::test]
async fn zmq_xpub_verbose() {
    contract(N::XpubVerbose);
}

#[tokio::test]
async fn zmq_xpub_verboser() {
    contract(N::XpubVerboser);
}

#[tokio::test]
async fn zmq_xpub_manual() {
    contract(N::XpubManual);
}

#[tokio::test]
async fn zmq_xpub_nodrop() {
    contract(N::XpubNodrop);
}

#[tokio::test]
async fn zmq_xpub_welcome_msg() {
    contract(N::XpubWelcomeMsg);
    let mut xpub =
        XPub::with_options(SocketOptions::new().xpub_welcome_msg("welcome")).expect("xpub");
    let ep = xpub.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut sub = Sub::new();
    sub.subscribe("welcome").expect("subscribe");
    sub.connect(&ep).await.expect("connect");
    let m = within("the welcome message", sub.recv())
        .await
        .expect("recv");
    assert_eq!(text(&m), ["welcome"]);
}

#[tokio::test]
async fn zmq_zap_domain() {
    contract_live(N::ZapDomain).await;
    let (handler, seen) = zap_recorder();
    let mut router =
        Router::with_options(SocketOptions::new().zap_domain("the-domain")).expect("router");
    router.set_zap_handler(handler);
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut dealer = Dealer::new();
    dealer.connect(&ep).await.expect("connect");
    round_trip(&mut router, &mut dealer, "x").await;
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 1, "NULL asks ZAP once a domain is set");
    assert_eq!(seen[0].domain, "the-domain");
}

/// Whether a raw tcp client of a ROUTER with this accept filter gets the greeting.
async fn admitted_over_tcp(filter: &str) -> bool {
    let mut router =
        Router::with_options(SocketOptions::new().tcp_accept_filter(filter)).expect("router");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut client = tokio::net::TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .expect("connect");
    let mut first = [0u8; 1];
    matches!(
        within("the first byte or the end", client.read(&mut first)).await,
        Ok(1)
    )
}

#[tokio::test]
async fn zmq_tcp_accept_filter() {
    contract_live(N::TcpAcceptFilter).await;
    assert!(admitted_over_tcp("127.0.0.0/8").await);
    assert!(
        !admitted_over_tcp("10.0.0.0/8").await,
        "closed before any byte"
    );
}

/// Whether an ipc client of a ROUTER with these options gets the greeting.
async fn admitted_over_ipc(options: SocketOptions) -> bool {
    let mut router = Router::with_options(options).expect("router");
    let ep = router.bind("ipc://*").await.expect("bind");
    let mut client = tokio::net::UnixStream::connect(ep.trim_start_matches("ipc://"))
        .await
        .expect("connect");
    let mut first = [0u8; 1];
    matches!(
        within("the first byte or the end", client.read(&mut first)).await,
        Ok(1)
    )
}

#[tokio::test]
async fn zmq_ipc_filter_gid() {
    contract_live(N::IpcFilterGid).await;
    let gid = std::fs::metadata("/proc/self").map_or(0, |m| {
        use std::os::unix::fs::MetadataExt;
        m.gid()
    });
    assert!(admitted_over_ipc(SocketOptions::new().ipc_filter_gid(gid)).await);
    assert!(
        !admitted_over_ipc(SocketOptions::new().ipc_filter_gid(gid.wrapping_add(4242))).await,
        "another group is closed before any byte"
    );
}

#[tokio::test]
async fn zmq_ipc_filter_pid() {
    contract_live(N::IpcFilterPid).await;
}

#[tokio::test]
async fn zmq_ipc_filter_uid() {
    contract_live(N::IpcFilterUid).await;
}

#[tokio::test]
async fn zmq_ipv4only() {
    contract_live(N::Ipv4Only).await;
    let mut router = Router::with_options(SocketOptions::new().ipv4only(false)).expect("router");
    assert!(router.options().get_ipv6(), "IPV4ONLY 0 is IPV6 1");
    let ep = router.bind("tcp://*:*").await.expect("bind");
    let port = ep.rsplit(':').next().expect("port");
    let mut dealer = Dealer::with_options(SocketOptions::new().ipv6(true)).expect("dealer");
    dealer
        .connect(&format!("tcp://[::1]:{port}"))
        .await
        .expect("connect");
    round_trip(&mut router, &mut dealer, "v6").await;
}

#[tokio::test]
async fn zmq_vmci_buffer_size() {
    contract_live(N::VmciBufferSize).await;
    unsupported_transport_is_refused(
        "vmci://1:5555",
        SocketOptions::new().vmci_buffer_size(1 << 20),
    )
    .await;
}

#[tokio::test]
async fn zmq_vmci_buffer_min_size() {
    contract_live(N::VmciBufferMinSize).await;
    unsupported_transport_is_refused("vmci://1:5555", SocketOptions::new()).await;
}

#[tokio::test]
async fn zmq_vmci_buffer_max_size() {
    contract_live(N::VmciBufferMaxSize).await;
    unsupported_transport_is_refused("vmci://1:5555", SocketOptions::new()).await;
}

#[tokio::test]
async fn zmq_vmci_connect_timeout() {
    contract_live(N::VmciConnectTimeout).await;
    unsupported_transport_is_refused("vmci://1:5555", SocketOptions::new()).await;
}

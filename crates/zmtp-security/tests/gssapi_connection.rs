//! GSSAPI client and server through the connection state machine, in memory, against the
//! throwaway Kerberos realm of `scripts/kdc.sh` (required: without it these tests fail with a
//! message saying how to start it). Encrypted and plaintext handshakes, the wire layout libzmq
//! uses, messages both ways byte for byte, heartbeats and subscriptions wrapped, and every
//! refusal as a typed error.
#![cfg(feature = "gssapi")]

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use zmtp_codec::{
    CommandError, Config, Connection, ConnectionError, Event, Frame, FrameDecoder, MechanismError,
    Message, RawCommand, SocketType,
};
use zmtp_security::gssapi::{GssapiClient, GssapiOptions, GssapiServer, NameType};

mod harness;
use harness::*;
mod gssapi_support;
use gssapi_support::*;

/// Shuttles bytes like [`pump`] (running the mechanisms' blocking jobs as they come), keeping a
/// copy of everything each side sent.
fn pump_logged(
    c: &mut Connection,
    s: &mut Connection,
    now: Instant,
    c_log: &mut Vec<u8>,
    s_log: &mut Vec<u8>,
) {
    loop {
        run_blocking_both(c, s, now);
        let cs = take_transmit(c);
        let sc = take_transmit(s);
        if cs.is_empty() && sc.is_empty() {
            return;
        }
        c_log.extend_from_slice(&cs);
        s_log.extend_from_slice(&sc);
        if !cs.is_empty() {
            s.feed(now, &cs);
        }
        if !sc.is_empty() {
            c.feed(now, &sc);
        }
    }
}

/// The frames in `bytes` (after the 64-byte greeting).
fn frames_after_greeting(bytes: &[u8]) -> Vec<Frame> {
    let mut buf = BytesMut::from(&bytes[64..]);
    let mut decoder = FrameDecoder::new(None);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.decode(&mut buf).expect("valid frames") {
        frames.push(frame);
    }
    assert!(buf.is_empty(), "a partial frame is left: {buf:?}");
    frames
}

fn name_of(frame: &Frame) -> String {
    assert!(frame.command, "a command frame");
    if frame.body.is_empty() {
        return String::new();
    }
    RawCommand::parse(frame.body.clone())
        .expect("a command")
        .name_lossy()
}

/// A connected, encrypted DEALER client and ROUTER server.
fn ready_pair(now: Instant) -> (Connection, Connection) {
    let mut c = client(now, SocketType::Dealer, client_options());
    let mut s = server(now, SocketType::Router, server_options(), false);
    pump(&mut c, &mut s, now);
    assert_ready(&mut c, &mut s);
    (c, s)
}

fn assert_ready(c: &mut Connection, s: &mut Connection) {
    let (ce, se) = (events(c), events(s));
    assert!(
        c.is_ready() && s.is_ready(),
        "handshake did not finish; client events {ce:?}, server events {se:?}"
    );
    assert!(matches!(ce.as_slice(), [Event::Ready(_)]), "{ce:?}");
    assert!(matches!(se.as_slice(), [Event::Ready(_)]), "{se:?}");
}

fn gssapi_error(reason: Option<ConnectionError>) -> String {
    match reason {
        Some(ConnectionError::Mechanism(MechanismError::Gssapi(text))) => {
            eprintln!("GSS-API failure, as expected: {text}");
            text
        }
        other => panic!("expected a GSS-API failure, got {other:?}"),
    }
}

/// Messages covering the framing boundaries: empty frames, 255/256 (short and long sizes),
/// 8 KiB (zero-copy in the send buffer), 1 MiB.
fn test_messages() -> Vec<Message> {
    let pattern = |len: usize, seed: u8| -> Bytes {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    };
    vec![
        Message::from(["hello"]),
        Message::from(vec![Bytes::new()]),
        Message::from(vec![
            Bytes::new(),
            pattern(1, 1),
            pattern(255, 2),
            pattern(256, 3),
            Bytes::new(),
        ]),
        Message::from(vec![pattern(8 * 1024, 4), pattern(70_000, 5)]),
        Message::from(vec![pattern(1 << 20, 6), Bytes::from_static(b"tail")]),
    ]
}

#[test]
fn handshake_follows_libzmq_wire_format() {
    let now = Instant::now();
    let mut c = client(now, SocketType::Dealer, client_options());
    let mut s = server(now, SocketType::Router, server_options(), false);
    let (mut c_log, mut s_log) = (Vec::new(), Vec::new());
    pump_logged(&mut c, &mut s, now, &mut c_log, &mut s_log);
    assert_ready(&mut c, &mut s);
    assert_eq!(&c_log[12..18], b"GSSAPI", "greeting mechanism");
    assert_eq!(c_log[32], 0, "as-server is 0: roles come from the options");

    let client_frames = frames_after_greeting(&c_log);
    let server_frames = frames_after_greeting(&s_log);
    let names = |frames: &[Frame]| frames.iter().map(name_of).collect::<Vec<_>>();
    // Kerberos with mutual authentication: AP-REQ, AP-REP, then the client's step without a
    // token, which libzmq sends as an empty command frame (04 00); then both READYs, wrapped.
    assert_eq!(names(&client_frames), ["INITIATE", "", "MESSAGE"]);
    assert_eq!(names(&server_frames), ["INITIATE", "MESSAGE"]);
    assert!(client_frames[1].body.is_empty());
    for frame in [&client_frames[0], &server_frames[0]] {
        let cmd = RawCommand::parse(frame.body.clone()).expect("INITIATE");
        let len = u32::from_be_bytes(cmd.data[..4].try_into().expect("4 bytes")) as usize;
        assert!(
            len > 0 && len == cmd.data.len() - 4,
            "token_len:u32be token"
        );
    }
    // No READY in the clear anywhere.
    assert_eq!(count_occurrences(&c_log, b"\x05READY"), 0);
    assert_eq!(count_occurrences(&s_log, b"\x05READY"), 0);
}

fn count_occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[test]
fn encrypted_messages_both_ways_byte_exact() {
    let now = Instant::now();
    let (mut c, mut s) = ready_pair(now);
    let msgs = test_messages();
    for m in &msgs {
        c.send(m).expect("client ready");
        s.send(m).expect("server ready");
    }
    let secret = Message::from(["a very secret payload"]);
    c.send(&secret).expect("client ready");
    let wire = take_transmit(&mut c);
    assert_eq!(count_occurrences(&wire, b"a very secret payload"), 0);
    assert_eq!(count_occurrences(&wire, b"hello"), 0);
    // Every frame on the wire is a MESSAGE command.
    let mut buf = BytesMut::from(&wire[..]);
    let mut decoder = FrameDecoder::new(None);
    let mut wire_frames = 0;
    while let Some(frame) = decoder.decode(&mut buf).expect("valid frames") {
        assert!(
            !frame.command && !frame.more,
            "an ordinary frame as libzmq sends it; MORE travels inside the wrapped flags byte"
        );
        let cmd = RawCommand::parse(frame.body).expect("a MESSAGE command");
        assert_eq!(cmd.name_lossy(), "MESSAGE");
        wire_frames += 1;
    }
    let total_frames: usize = msgs.iter().map(Message::len).sum::<usize>() + 1;
    assert_eq!(wire_frames, total_frames);

    s.feed(now, &wire);
    pump(&mut c, &mut s, now);
    let mut expected = msgs.clone();
    expected.push(secret);
    assert_eq!(messages(events(&mut s)), expected);
    assert_eq!(messages(events(&mut c)), msgs);
}

#[test]
fn peer_metadata_after_encrypted_handshake() {
    let now = Instant::now();
    let mut c = client(now, SocketType::Dealer, client_options());
    let mut s = server(now, SocketType::Router, server_options(), false);
    pump(&mut c, &mut s, now);
    let Some(Event::Ready(server_view)) = events(&mut s).into_iter().next() else {
        panic!("server not ready");
    };
    let Some(Event::Ready(client_view)) = events(&mut c).into_iter().next() else {
        panic!("client not ready");
    };
    assert_eq!(server_view.socket_type, Some(SocketType::Dealer));
    assert_eq!(client_view.socket_type, Some(SocketType::Router));
    assert_eq!(
        server_view.metadata.get("User-Id"),
        None,
        "no ZAP, no User-Id"
    );
}

#[test]
fn heartbeats_travel_wrapped() {
    let now = Instant::now();
    let mut config = Config::new(SocketType::Dealer);
    config.heartbeat_ivl = Some(Duration::from_secs(1));
    let mechanism = GssapiClient::new(client_options()).expect("valid");
    let mut c = Connection::new(config, Box::new(mechanism), now);
    let mut s = server(now, SocketType::Router, server_options(), false);
    pump(&mut c, &mut s, now);
    assert_ready(&mut c, &mut s);

    let later = now + Duration::from_secs(1);
    c.handle_timeout(later);
    let ping = take_transmit(&mut c);
    assert!(!ping.is_empty(), "a PING is due");
    assert_eq!(count_occurrences(&ping, b"\x04PING"), 0, "PING is wrapped");
    assert_eq!(&ping[..1], &[0x00], "an ordinary frame, as libzmq sends it");
    assert_eq!(&ping[2..10], b"\x07MESSAGE");
    s.feed(later, &ping);
    let pong = take_transmit(&mut s);
    assert!(!pong.is_empty(), "the server answers with PONG");
    assert_eq!(count_occurrences(&pong, b"\x04PONG"), 0, "PONG is wrapped");
    assert_eq!(&pong[2..10], b"\x07MESSAGE");
    c.feed(later, &pong);
    assert!(c.is_ready() && s.is_ready());
    assert_eq!(events(&mut c), vec![]);
    assert_eq!(events(&mut s), vec![]);
}

#[test]
fn subscriptions_travel_wrapped() {
    let now = Instant::now();
    let mut c = client(now, SocketType::Sub, client_options());
    let mut s = server(now, SocketType::XPub, server_options(), false);
    pump(&mut c, &mut s, now);
    assert_ready(&mut c, &mut s);

    c.subscribe(b"weather.").expect("ready");
    c.cancel(b"weather.").expect("ready");
    let wire = take_transmit(&mut c);
    assert_eq!(count_occurrences(&wire, b"SUBSCRIBE"), 0);
    assert_eq!(count_occurrences(&wire, b"CANCEL"), 0);
    assert_eq!(count_occurrences(&wire, b"weather."), 0);
    s.feed(now, &wire);
    assert_eq!(
        events(&mut s),
        vec![
            Event::Subscribe(Bytes::from_static(b"weather.")),
            Event::Cancel(Bytes::from_static(b"weather."))
        ]
    );
    s.send(&Message::from(["weather.paris", "14C"]))
        .expect("ready");
    pump(&mut c, &mut s, now);
    assert_eq!(
        messages(events(&mut c)),
        vec![Message::from(["weather.paris", "14C"])]
    );
}

#[test]
fn tampered_and_replayed_messages_are_refused() {
    let now = Instant::now();
    let (mut c, mut s) = ready_pair(now);
    c.send(&Message::from(["first"])).expect("ready");
    let first = take_transmit(&mut c);
    s.feed(now, &first);
    assert_eq!(messages(events(&mut s)), vec![Message::from(["first"])]);
    // The same sealed frame again: replay detection (GSS_C_REPLAY_FLAG) refuses it.
    s.feed(now, &first);
    let reason = gssapi_error(closed_reason(&mut s));
    assert!(reason.starts_with("unwrapping a MESSAGE"), "{reason}");

    let (mut c, mut s) = ready_pair(now);
    c.send(&Message::from(["second"])).expect("ready");
    let mut tampered = take_transmit(&mut c);
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    s.feed(now, &tampered);
    let reason = gssapi_error(closed_reason(&mut s));
    assert!(reason.starts_with("unwrapping a MESSAGE"), "{reason}");
}

#[test]
fn plaintext_handshake_and_messages_go_unwrapped() {
    let now = Instant::now();
    let mut c = client(
        now,
        SocketType::Dealer,
        client_options().with_plaintext(true),
    );
    let mut s = server(
        now,
        SocketType::Router,
        server_options().with_plaintext(true),
        false,
    );
    let (mut c_log, mut s_log) = (Vec::new(), Vec::new());
    pump_logged(&mut c, &mut s, now, &mut c_log, &mut s_log);
    assert_ready(&mut c, &mut s);
    let names = |frames: &[Frame]| frames.iter().map(name_of).collect::<Vec<_>>();
    assert_eq!(
        names(&frames_after_greeting(&c_log)),
        ["INITIATE", "", "READY"]
    );
    assert_eq!(names(&frames_after_greeting(&s_log)), ["INITIATE", "READY"]);

    let msgs = test_messages();
    for m in &msgs {
        c.send(m).expect("ready");
        s.send(m).expect("ready");
    }
    c.send(&Message::from(["visible payload"])).expect("ready");
    let wire = take_transmit(&mut c);
    assert_eq!(count_occurrences(&wire, b"visible payload"), 1);
    assert_eq!(count_occurrences(&wire, b"MESSAGE"), 0);
    s.feed(now, &wire);
    pump(&mut c, &mut s, now);
    let mut expected = msgs.clone();
    expected.push(Message::from(["visible payload"]));
    assert_eq!(messages(events(&mut s)), expected);
    assert_eq!(messages(events(&mut c)), msgs);
}

#[test]
fn plaintext_on_one_side_only_fails() {
    let now = Instant::now();
    // The server wraps its READY; a plaintext client expects READY in the clear.
    let mut c = client(
        now,
        SocketType::Dealer,
        client_options().with_plaintext(true),
    );
    let mut s = server(now, SocketType::Router, server_options(), false);
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Mechanism(
            MechanismError::UnexpectedCommand {
                expected: "READY",
                got: "MESSAGE".into()
            }
        ))
    );
    assert!(!s.is_ready());

    // The other way round: an encrypting client gets a READY in the clear.
    let mut c = client(now, SocketType::Dealer, client_options());
    let mut s = server(
        now,
        SocketType::Router,
        server_options().with_plaintext(true),
        false,
    );
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Mechanism(
            MechanismError::UnexpectedCommand {
                expected: "MESSAGE",
                got: "READY".into()
            }
        ))
    );
    assert!(!s.is_ready());
}

#[test]
fn every_name_type_names_the_same_principals() {
    let now = Instant::now();
    let realm = realm();
    // The client as a user name ("client", completed with the default realm), the service as a
    // Kerberos principal name; the server as a Kerberos principal name too.
    let client_opts =
        GssapiOptions::client(format!("zmq/localhost@{realm}"), NameType::KrbPrincipal)
            .with_principal("client", NameType::UserName);
    let server_opts = GssapiOptions::server()
        .with_principal(format!("zmq/localhost@{realm}"), NameType::KrbPrincipal);
    let mut c = client(now, SocketType::Dealer, client_opts);
    let mut s = server(now, SocketType::Router, server_opts, true);
    pump(&mut c, &mut s, now);
    let evs = events(&mut s);
    let [Event::ZapRequest(request)] = evs.as_slice() else {
        panic!("expected a ZAP request, got {evs:?}");
    };
    assert_eq!(request.credentials, vec![Bytes::from(client_principal())]);
    s.handle_zap_reply(now, zmtp_codec::ZapReply::accept("someone"));
    pump(&mut c, &mut s, now);
    assert_ready(&mut c, &mut s);
}

#[test]
fn unknown_service_principal_is_refused_by_the_kdc() {
    let now = Instant::now();
    let options = GssapiOptions::client(UNKNOWN_SERVICE, NameType::HostBased)
        .with_principal(client_principal(), NameType::KrbPrincipal);
    let mut c = client(now, SocketType::Dealer, options);
    let mut s = server(now, SocketType::Router, server_options(), false);
    pump(&mut c, &mut s, now);
    let reason = gssapi_error(closed_reason(&mut c));
    assert!(
        reason.starts_with("initiating the security context")
            && reason.contains("not found in Kerberos database"),
        "{reason}"
    );
    assert!(!s.is_ready() && !s.is_closed());
}

#[test]
fn service_principal_without_a_key_is_refused_by_the_server() {
    let now = Instant::now();
    let options = GssapiOptions::client(UNKEYED_SERVICE, NameType::HostBased)
        .with_principal(client_principal(), NameType::KrbPrincipal);
    // A server with no principal of its own accepts for any key in the keytab, and that one
    // is not there; one bound to zmq@localhost refuses a ticket for another service.
    for server_opts in [GssapiOptions::server(), server_options()] {
        let mut c = client(now, SocketType::Dealer, options.clone());
        let mut s = server(now, SocketType::Router, server_opts, false);
        pump(&mut c, &mut s, now);
        let reason = gssapi_error(closed_reason(&mut s));
        assert!(
            reason.starts_with("accepting the security context"),
            "{reason}"
        );
        assert!(
            !c.is_ready() && !c.is_closed(),
            "the server closes silently"
        );
    }
}

#[test]
fn unknown_client_principal_has_no_credentials() {
    let now = Instant::now();
    let options = GssapiOptions::client(SERVICE, NameType::HostBased)
        .with_principal(format!("nobody@{}", realm()), NameType::KrbPrincipal);
    let mut c = client(now, SocketType::Dealer, options);
    let mut s = server(now, SocketType::Router, server_options(), false);
    pump(&mut c, &mut s, now);
    let reason = gssapi_error(closed_reason(&mut c));
    assert!(
        reason.starts_with("acquiring credentials for \"nobody@"),
        "{reason}"
    );
}

#[test]
fn malformed_initiate_is_a_typed_error() {
    let now = Instant::now();
    let mut s = server(now, SocketType::Router, server_options(), false);
    s.feed(now, &raw_greeting(1, zmtp_codec::MechanismName::GSSAPI));
    assert!(
        run_blocking(&mut s, now),
        "the server acquires its credentials off-thread"
    );
    let _ = take_transmit(&mut s);
    // token_len says 16, 3 bytes follow.
    s.feed(now, b"\x04\x10\x08INITIATE\x00\x00\x00\x10abc");
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(MechanismError::Command(
            CommandError::Malformed {
                command: "INITIATE",
                reason: "the token is shorter than its length"
            }
        )))
    );
}

#[test]
fn empty_command_before_the_context_is_established_is_malformed() {
    let now = Instant::now();
    let mut s = server(now, SocketType::Router, server_options(), false);
    s.feed(now, &raw_greeting(1, zmtp_codec::MechanismName::GSSAPI));
    assert!(
        run_blocking(&mut s, now),
        "the server acquires its credentials off-thread"
    );
    s.feed(now, b"\x04\x00");
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Command(CommandError::Empty))
    );
}

/// Every GSS-API call of the handshake is a blocking job, none is made inside `handle_input`:
/// after the greetings each side has a job out and has sent nothing more; a token that
/// arrives while the server's job is out waits in its buffer; the jobs run on threads of their
/// own, and the handshake completes with four of them (client: credentials and first step,
/// then the step with the server's AP-REP; server: credentials, then its one accept step).
#[test]
fn every_gss_call_is_a_blocking_job_run_elsewhere() {
    let now = Instant::now();
    let mut c = client(now, SocketType::Dealer, client_options());
    let mut s = server(now, SocketType::Router, server_options(), false);
    let run_elsewhere = |conn: &mut Connection, what: &str| {
        let job = conn.poll_blocking().expect("a job");
        assert_eq!(job.what(), what);
        assert!(conn.poll_blocking().is_none(), "a job is handed out once");
        let output = std::thread::spawn(move || job.run())
            .join()
            .expect("the job ran");
        conn.handle_blocking_done(now, output);
    };
    // The greetings, and nothing else: both mechanisms start with a job.
    loop {
        let (cs, sc) = (take_transmit(&mut c), take_transmit(&mut s));
        if cs.is_empty() && sc.is_empty() {
            break;
        }
        s.feed(now, &cs);
        c.feed(now, &sc);
    }
    assert!(c.is_blocking_pending() && s.is_blocking_pending());
    // The client's first step runs; its INITIATE reaches the server while the server's
    // credentials are still being acquired, and waits.
    run_elsewhere(&mut c, "initiating the GSSAPI security context");
    let initiate = take_transmit(&mut c);
    assert!(!initiate.is_empty());
    s.feed(now, &initiate);
    assert!(take_transmit(&mut s).is_empty() && events(&mut s).is_empty());
    // Once the credentials are in, the waiting INITIATE is read: the accept step is next.
    run_elsewhere(&mut s, "acquiring the GSSAPI acceptor's credentials");
    assert!(take_transmit(&mut s).is_empty());
    run_elsewhere(&mut s, "accepting the GSSAPI security context");
    let ap_rep = take_transmit(&mut s);
    c.feed(now, &ap_rep);
    run_elsewhere(&mut c, "initiating the GSSAPI security context");
    // No more GSS-API steps: READYs are wrapped inline.
    pump_without_jobs(&mut c, &mut s, now);
    assert_ready(&mut c, &mut s);
    c.send(&Message::from(["wrapped"])).expect("ready");
    pump_without_jobs(&mut c, &mut s, now);
    assert_eq!(messages(events(&mut s)), [Message::from(["wrapped"])]);
}

/// Moves bytes both ways, asserting that neither side hands out a job.
fn pump_without_jobs(c: &mut Connection, s: &mut Connection, now: Instant) {
    loop {
        assert!(c.poll_blocking().is_none() && s.poll_blocking().is_none());
        let (cs, sc) = (take_transmit(c), take_transmit(s));
        if cs.is_empty() && sc.is_empty() {
            return;
        }
        s.feed(now, &cs);
        c.feed(now, &sc);
    }
}

#[test]
fn mechanisms_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<GssapiClient>();
    assert_send::<GssapiServer>();
    assert_send::<Connection>();
}

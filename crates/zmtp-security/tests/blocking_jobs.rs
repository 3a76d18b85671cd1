//! The connection's protocol for a mechanism's blocking work ([`BlockingJob`]), with no Kerberos:
//! a test mechanism that defers every step of NULL to a job, as GSSAPI defers its GSS-API
//! calls. The handshake waits while a job is out, frames that arrive meanwhile wait in the
//! buffer and are processed when the output comes back, each job is handed out once, stray or
//! mistyped outputs close the connection, the handshake deadline still runs, and NULL, PLAIN and
//! CURVE never hand out a job at all.

use std::time::{Duration, Instant};

use bytes::Bytes;
use zmtp_codec::{
    BlockingJob, BlockingOutput, Config, Connection, ConnectionError, Event, HandshakeContext,
    Mechanism, MechanismError, MechanismName, Message, RawCommand, SocketType, ZapReply,
};
#[cfg(feature = "curve")]
use zmtp_security::{CurveClient, CurveKeyPair, CurveServer};
use zmtp_security::{Null, PlainClient, PlainCredentials, PlainServer};

mod harness;
use harness::*;

/// What the deferred step is, carried through the job and back.
#[derive(Debug)]
enum Deferred {
    Start,
    Command(RawCommand),
}

/// NULL, with every step deferred to a blocking job that runs on whatever thread the driver
/// picks (and that records it did).
#[derive(Debug)]
struct DeferringNull {
    inner: Null,
    out: bool,
}

impl DeferringNull {
    fn new() -> DeferringNull {
        DeferringNull {
            inner: Null::new(),
            out: false,
        }
    }

    fn defer(&mut self, cx: &mut HandshakeContext<'_>, step: Deferred) {
        self.out = true;
        cx.run_blocking(BlockingJob::new("a deferred NULL step", move || step));
    }
}

impl Mechanism for DeferringNull {
    fn name(&self) -> MechanismName {
        MechanismName::NULL
    }

    fn start(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        self.defer(cx, Deferred::Start);
        Ok(())
    }

    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        assert!(
            !self.out,
            "a command reached the mechanism while its job was out"
        );
        self.defer(cx, Deferred::Command(command));
        Ok(())
    }

    fn handle_zap_reply(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        reply: ZapReply,
    ) -> Result<(), MechanismError> {
        self.inner.handle_zap_reply(cx, reply)
    }

    fn handle_blocking_done(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        output: BlockingOutput,
    ) -> Result<(), MechanismError> {
        assert!(self.out, "an output came back with no job out");
        self.out = false;
        match output.downcast::<Deferred>()? {
            Deferred::Start => self.inner.start(cx),
            Deferred::Command(command) => self.inner.handle_command(cx, command),
        }
    }
}

fn deferring(now: Instant, socket_type: SocketType) -> Connection {
    Connection::new(
        Config::new(socket_type),
        Box::new(DeferringNull::new()),
        now,
    )
}

fn null(now: Instant, socket_type: SocketType) -> Connection {
    Connection::new(Config::new(socket_type), Box::new(Null::new()), now)
}

#[test]
fn a_deferring_mechanism_completes_against_plain_null_and_messages_flow() {
    let now = Instant::now();
    let mut c = deferring(now, SocketType::Dealer);
    let mut s = null(now, SocketType::Router);
    pump(&mut c, &mut s, now);
    assert!(c.is_ready() && s.is_ready());
    assert!(matches!(events(&mut c).as_slice(), [Event::Ready(_)]));
    assert!(matches!(events(&mut s).as_slice(), [Event::Ready(_)]));
    c.send(&Message::from(["after the jobs"])).expect("ready");
    pump(&mut c, &mut s, now);
    assert_eq!(
        messages(events(&mut s)),
        [Message::from(["after the jobs"])]
    );
}

#[test]
fn frames_wait_while_a_job_is_out_and_are_read_when_its_output_is_in() {
    let now = Instant::now();
    let mut s = deferring(now, SocketType::Router);
    // The peer's greeting and READY in one go: the greeting completes, start hands out a job,
    // and READY must wait in the buffer.
    let mut bytes = raw_greeting(1, MechanismName::NULL);
    bytes.extend_from_slice(&raw_ready(SocketType::Dealer));
    s.feed(now, &bytes);
    assert!(s.is_blocking_pending());
    let job = s.poll_blocking().expect("start's job");
    assert_eq!(job.what(), "a deferred NULL step");
    assert!(s.poll_blocking().is_none(), "a job is handed out once");
    assert!(s.is_blocking_pending(), "still out until its output is in");
    // More input while it is out changes nothing: no job, no event, no READY of ours.
    s.feed(now, &[]);
    let greeting_only = take_transmit(&mut s);
    assert_eq!(greeting_only.len(), 64, "nothing but the greeting went out");
    assert!(events(&mut s).is_empty());
    assert!(s.poll_blocking().is_none());

    // The job runs on another thread, as a driver's blocking pool would run it.
    let output = std::thread::spawn(move || job.run())
        .join()
        .expect("the job ran");
    s.handle_blocking_done(now, output);
    // start sent our READY; the waiting READY was read at once and handed out the next job.
    assert!(!take_transmit(&mut s).is_empty(), "our READY");
    let job = s
        .poll_blocking()
        .expect("the peer's READY, read from the buffer, defers its step");
    assert!(!s.is_ready());
    s.handle_blocking_done(now, job.run());
    assert!(s.is_ready());
    assert!(!s.is_blocking_pending());
    assert!(matches!(events(&mut s).as_slice(), [Event::Ready(_)]));
}

#[test]
fn an_output_nobody_asked_for_closes_the_connection() {
    let now = Instant::now();
    // During a handshake with no job out.
    let mut c = null(now, SocketType::Dealer);
    c.feed(now, &raw_greeting(1, MechanismName::NULL));
    c.handle_blocking_done(now, BlockingJob::new("stray", || ()).run());
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Mechanism(
            MechanismError::UnexpectedBlockingOutput
        ))
    );
    // After the handshake.
    let (mut c, mut s) = (null(now, SocketType::Dealer), null(now, SocketType::Router));
    pump(&mut c, &mut s, now);
    let _ = events(&mut c);
    c.handle_blocking_done(now, BlockingJob::new("stray", || ()).run());
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Mechanism(
            MechanismError::UnexpectedBlockingOutput
        ))
    );
    // Before the driver took the job (it is still in poll_blocking).
    let mut s = deferring(now, SocketType::Router);
    s.feed(now, &raw_greeting(1, MechanismName::NULL));
    assert!(s.is_blocking_pending());
    s.handle_blocking_done(now, BlockingJob::new("early", || ()).run());
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(
            MechanismError::UnexpectedBlockingOutput
        ))
    );
    assert!(
        s.poll_blocking().is_none(),
        "the job went with the connection"
    );
}

#[test]
fn an_output_of_another_type_closes_the_connection() {
    let now = Instant::now();
    let mut s = deferring(now, SocketType::Router);
    s.feed(now, &raw_greeting(1, MechanismName::NULL));
    let _job = s.poll_blocking().expect("start's job");
    s.handle_blocking_done(now, BlockingJob::new("forged", || 5u8).run());
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(
            MechanismError::UnexpectedBlockingOutput
        ))
    );
}

#[test]
fn the_handshake_deadline_runs_while_a_job_is_out() {
    let now = Instant::now();
    let mut s = deferring(now, SocketType::Router);
    s.feed(now, &raw_greeting(1, MechanismName::NULL));
    let job = s.poll_blocking().expect("start's job");
    let deadline = s.poll_timeout().expect("the handshake deadline");
    assert_eq!(deadline, now + Duration::from_secs(30));
    s.handle_timeout(deadline);
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::HandshakeTimeout)
    );
    assert!(!s.is_blocking_pending());
    // The job's output, late, is dropped without a word.
    s.handle_blocking_done(deadline, job.run());
    assert!(events(&mut s).is_empty());
    assert!(s.poll_blocking().is_none());
}

/// Like [`pump`], but asserting at every turn that neither side has a job to hand out.
fn pump_without_jobs(a: &mut Connection, b: &mut Connection, now: Instant) {
    loop {
        for side in [&mut *a, &mut *b] {
            assert!(!side.is_blocking_pending());
            assert!(side.poll_blocking().is_none(), "a job from {side:?}");
        }
        let ab = take_transmit(a);
        let ba = take_transmit(b);
        if ab.is_empty() && ba.is_empty() {
            return;
        }
        b.feed(now, &ab);
        a.feed(now, &ba);
    }
}

#[test]
fn null_plain_and_curve_never_hand_out_a_job() {
    let now = Instant::now();
    #[cfg(feature = "curve")]
    let curve_server = CurveKeyPair::generate();
    #[allow(unused_mut)] // pushed to with the curve feature
    let mut pairs: Vec<(Connection, Connection)> = vec![
        (null(now, SocketType::Dealer), null(now, SocketType::Router)),
        (
            Connection::new(
                Config::new(SocketType::Dealer),
                Box::new(PlainClient::new(
                    PlainCredentials::new("admin", "secret").expect("valid"),
                )),
                now,
            ),
            Connection::new(
                Config::new(SocketType::Router),
                Box::new(PlainServer::new()),
                now,
            ),
        ),
    ];
    #[cfg(feature = "curve")]
    pairs.push((
        Connection::new(
            Config::new(SocketType::Dealer),
            Box::new(CurveClient::new(
                CurveKeyPair::generate(),
                *curve_server.public(),
            )),
            now,
        ),
        Connection::new(
            Config::new(SocketType::Router),
            Box::new(CurveServer::new(curve_server)),
            now,
        ),
    ));
    for (mut c, mut s) in pairs {
        pump_without_jobs(&mut c, &mut s, now);
        // PLAIN asks ZAP; the verdict is the only thing it waits for.
        for e in events(&mut s) {
            if let Event::ZapRequest(_) = e {
                s.handle_zap_reply(now, ZapReply::accept(Bytes::from_static(b"admin")));
            }
        }
        pump_without_jobs(&mut c, &mut s, now);
        assert!(c.is_ready() && s.is_ready(), "{c:?} {s:?}");
        c.send(&Message::from(["m"])).expect("ready");
        s.send(&Message::from(["n"])).expect("ready");
        pump_without_jobs(&mut c, &mut s, now);
    }
}

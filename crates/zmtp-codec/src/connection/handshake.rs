//! Up to the connection being ready: the greeting, the security handshake (or a legacy peer's
//! identity exchange), the ZAP verdict and the blocking jobs a mechanism hands out.

use super::{
    heartbeat_interval, Active, Connection, Event, Greetings, Handshake, Job, LegacyPeer, PeerInfo,
    State, READ_CHUNK,
};
use crate::command::RawCommand;
use crate::error::{ConnectionError, MechanismError};
use crate::frame::Frame;
use crate::greeting::{Greeting, GreetingStage, LegacyVersion, MechanismName, SIGNATURE_LEN};
use crate::mechanism::{BlockingJob, BlockingOutput, HandshakeContext, Mechanism, RecordLayer};
use crate::metadata::{Metadata, IDENTITY, SOCKET_TYPE};
use crate::socket_type::SocketType;
use crate::zap::ZapReply;
use bytes::{Bytes, BytesMut};
use std::time::Instant;

impl Connection {
    /// Reads the peer's greeting and sends ours in step with it; once it is in, starts the
    /// handshake (or a legacy peer's identity exchange). Does nothing outside the greeting
    /// stage. On an error the connection is left closed, without its event: the caller closes
    /// it with the error.
    pub(super) fn process_greeting(&mut self, now: Instant) -> Result<(), ConnectionError> {
        let state = std::mem::replace(
            &mut self.state,
            State::Closed {
                peer_greeting: None,
            },
        );
        let State::Greeting(mut greetings) = state else {
            self.state = state;
            return Ok(());
        };
        loop {
            let mut input: &[u8] = &self.recv;
            let before = input.len();
            let stage = greetings.greeting_in.decode(&mut input)?;
            let used = before - input.len();
            let _ = self.recv.split_to(used);
            match stage {
                GreetingStage::NeedMore => {
                    self.state = State::Greeting(greetings);
                    return Ok(());
                }
                GreetingStage::Signature => self.send.put_raw(greetings.greeting_out.major()),
                GreetingStage::Major(_) => self.send.put_raw(greetings.greeting_out.rest()),
                GreetingStage::Legacy(version) => return self.start_legacy(&greetings, version),
                GreetingStage::Complete(greeting) => {
                    let local = greetings.mechanism.name();
                    if greeting.mechanism != local {
                        return Err(ConnectionError::MechanismMismatch {
                            local,
                            peer: greeting.mechanism,
                        });
                    }
                    self.state = State::Handshake(Box::new(Handshake {
                        mechanism: greetings.mechanism,
                        peer_greeting: greeting,
                        zap_pending: false,
                        job: Job::None,
                    }));
                    return self.with_mechanism(now, |m, cx| m.start(cx));
                }
            }
        }
    }

    /// A ZMTP 1.0 or 2.0 peer was detected after the greeting bytes `greetings` read: refuse
    /// it if security is in force (libzmq's `zap_enabled`), else start the identity exchange as
    /// libzmq does. The mechanism is dropped: legacy peers have none.
    fn start_legacy(
        &mut self,
        greetings: &Greetings,
        version: LegacyVersion,
    ) -> Result<(), ConnectionError> {
        if greetings.mechanism.name() != MechanismName::NULL || !self.config.zap_domain.is_empty() {
            return Err(ConnectionError::LegacyPeerRefused(version));
        }
        self.legacy = Some(version);
        let bytes_read = greetings.greeting_in.bytes_read();
        if bytes_read.len() > SIGNATURE_LEN {
            // A versioned peer (revision 0 or 1) sent its signature and revision, and has had
            // ours and our major version: libzmq answers with its socket type byte, as ZMTP 2.0
            // expects, and reads the peer's.
            self.send.put_raw(&[self.config.socket_type.as_raw()]);
            self.state = State::LegacySocketType(version);
        } else {
            // An unversioned 1.0 peer read our signature as the header of our identity frame
            // (its padding holds the identity length + 1, its last byte is the flags): only
            // the body is left to send. The bytes it sent so far start its identity frame.
            self.send.put_raw(&self.config.routing_id);
            let mut recv = BytesMut::with_capacity(READ_CHUNK.max(SIGNATURE_LEN + self.recv.len()));
            recv.extend_from_slice(bytes_read);
            recv.extend_from_slice(&self.recv);
            self.recv = recv;
            self.state = State::LegacyIdentity(LegacyPeer {
                version,
                socket_type: None,
            });
        }
        Ok(())
    }

    /// A legacy peer's first frame: its identity (its MORE flag ignored, as libzmq does, whose
    /// own signature reads as a 1.0 identity header with flags 0x7F). The connection is ready.
    pub(super) fn legacy_identity(&mut self, peer: LegacyPeer, frame: Frame) {
        let LegacyPeer {
            version,
            socket_type: raw_type,
        } = peer;
        let socket_type = raw_type.and_then(SocketType::from_raw);
        let mut metadata = Metadata::new();
        if let Some(t) = socket_type {
            let _ = metadata.insert(SOCKET_TYPE, Bytes::from_static(t.as_str().as_bytes()));
        }
        // Values up to 2^31 - 1 bytes are accepted; ZMQ_MAXMSGSIZE bounds the frame anyway.
        // Copied out of the read buffer, which it would otherwise hold for the connection's
        // life (see `Connection::release_recv_buf`).
        let _ = metadata.insert(IDENTITY, Bytes::copy_from_slice(&frame.body));
        let greeting = Greeting {
            major: match version {
                LegacyVersion::V1 => 1,
                LegacyVersion::V2 => 2,
            },
            minor: 0,
            mechanism: MechanismName::NULL,
            as_server: false,
        };
        // Legacy peers get no heartbeats and no security.
        self.state = State::Active(Active {
            peer_greeting: greeting,
            record: RecordLayer::Plaintext,
            next_ping: None,
            ping_timeout: None,
            ttl_deadline: None,
        });
        self.handshake_deadline = None;
        self.local = None;
        self.events.push_back(Event::Ready(PeerInfo {
            greeting,
            socket_type,
            metadata,
            legacy: Some(version),
        }));
        let unversioned = raw_type.is_none();
        if unversioned && matches!(self.config.socket_type, SocketType::Pub | SocketType::XPub) {
            // libzmq's phantom subscription: a 1.0 SUB sends no subscriptions (it filters
            // itself), so a publisher subscribes it to everything on its behalf.
            self.events.push_back(Event::Subscribe(Bytes::new()));
        }
    }

    pub(super) fn handshake_frame(
        &mut self,
        frame: Frame,
        now: Instant,
    ) -> Result<(), ConnectionError> {
        if !frame.command {
            return Err(ConnectionError::MessageBeforeReady);
        }
        let accepts_empty = match &self.state {
            State::Handshake(h) => h.mechanism.accepts_empty_command(),
            _ => false,
        };
        let command = if frame.body.is_empty() && accepts_empty {
            RawCommand {
                name: Bytes::new(),
                data: Bytes::new(),
            }
        } else {
            RawCommand::parse(frame.body)?
        };
        self.with_mechanism(now, |m, cx| m.handle_command(cx, command))
    }

    /// Runs one mechanism step with a context borrowing the connection's parts, then records
    /// what it asked for (a blocking job, a ZAP request, completion). Does nothing outside the
    /// handshake.
    pub(super) fn with_mechanism(
        &mut self,
        now: Instant,
        step: impl FnOnce(&mut dyn Mechanism, &mut HandshakeContext<'_>) -> Result<(), MechanismError>,
    ) -> Result<(), ConnectionError> {
        let (State::Handshake(h), Some(local)) = (&mut self.state, self.local.as_deref()) else {
            return Ok(());
        };
        let mut completed = None;
        let mut zap_request = None;
        let mut blocking = None;
        let mut cx = HandshakeContext {
            socket_type: self.config.socket_type,
            local_metadata: &local.metadata,
            peer_greeting: &h.peer_greeting,
            out: &mut self.send,
            completed: &mut completed,
            zap_request: &mut zap_request,
            zap_template: &local.zap_template,
            blocking: &mut blocking,
        };
        step(h.mechanism.as_mut(), &mut cx)?;
        if let Some(job) = blocking {
            h.job = Job::Handed(job);
        }
        if let Some(request) = zap_request {
            h.zap_pending = true;
            self.events.push_back(Event::ZapRequest(Box::new(request)));
        }
        if let Some((metadata, record)) = completed {
            let greeting = h.peer_greeting;
            self.finish_handshake(now, greeting, metadata, record)?;
        }
        Ok(())
    }

    /// The mechanism completed: the connection keeps the record layer it handed over and drops
    /// the mechanism.
    pub(super) fn finish_handshake(
        &mut self,
        now: Instant,
        greeting: Greeting,
        metadata: Metadata,
        record: RecordLayer,
    ) -> Result<(), ConnectionError> {
        let socket_type = match metadata.socket_type() {
            Some(Ok(t)) => t,
            // Mechanisms check the peer's metadata before completing; this guards a mechanism
            // that forgot to.
            _ => return Err(MechanismError::MissingSocketType.into()),
        };
        self.state = State::Active(Active {
            peer_greeting: greeting,
            record,
            next_ping: heartbeat_interval(&self.config, &greeting).map(|ivl| now + ivl),
            ping_timeout: None,
            ttl_deadline: None,
        });
        self.handshake_deadline = None;
        self.local = None;
        self.events.push_back(Event::Ready(PeerInfo {
            greeting,
            socket_type: Some(socket_type),
            metadata,
            legacy: None,
        }));
        Ok(())
    }

    /// Passes the ZAP handler's answer to the mechanism.
    pub fn handle_zap_reply(&mut self, now: Instant, reply: ZapReply) {
        match &mut self.state {
            State::Handshake(h) if h.zap_pending => h.zap_pending = false,
            State::Closed { .. } => return,
            _ => {
                self.close(MechanismError::UnexpectedZapReply.into());
                return;
            }
        }
        if let Err(e) = self.with_mechanism(now, |m, cx| m.handle_zap_reply(cx, reply)) {
            self.close(e);
            return;
        }
        // Frames that arrived while the verdict was pending.
        self.handle_input(now);
    }

    /// The mechanism's blocking job, once, when it has handed one out (only GSSAPI does, for
    /// its GSS-API calls). Run it where blocking is allowed ([`BlockingJob::run`] in
    /// `tokio::task::spawn_blocking` or a thread of its own, never on a thread that serves other
    /// connections) and pass what it returns to [`Connection::handle_blocking_done`]; until
    /// then the handshake waits, and incoming frames stay in the read buffer. Check after
    /// every [`Connection::handle_input`] and [`Connection::handle_zap_reply`].
    pub fn poll_blocking(&mut self) -> Option<BlockingJob> {
        let State::Handshake(h) = &mut self.state else {
            return None;
        };
        match std::mem::replace(&mut h.job, Job::None) {
            Job::Handed(job) => {
                h.job = Job::Running;
                Some(job)
            }
            other => {
                h.job = other;
                None
            }
        }
    }

    /// Whether a blocking job is out (handed out, or waiting in [`Connection::poll_blocking`])
    /// and the handshake waits for its output.
    pub fn is_blocking_pending(&self) -> bool {
        matches!(&self.state, State::Handshake(h) if !matches!(h.job, Job::None))
    }

    /// Passes the output of the job from [`Connection::poll_blocking`] to the mechanism, then
    /// processes the frames that arrived meanwhile. Ignored once the connection has closed (the
    /// handshake deadline may have run out while the job ran); closes the connection with
    /// [`MechanismError::UnexpectedBlockingOutput`] if no job was out.
    pub fn handle_blocking_done(&mut self, now: Instant, output: BlockingOutput) {
        match &mut self.state {
            State::Handshake(h) if matches!(h.job, Job::Running) => h.job = Job::None,
            State::Closed { .. } => return,
            _ => {
                self.close(MechanismError::UnexpectedBlockingOutput.into());
                return;
            }
        }
        if let Err(e) = self.with_mechanism(now, |m, cx| m.handle_blocking_done(cx, output)) {
            self.close(e);
            return;
        }
        // Frames that arrived while the job ran.
        self.handle_input(now);
    }
}

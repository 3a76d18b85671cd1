//! Once ready: messages and commands from the peer, heartbeats (PING, PONG, the peer's TTL)
//! and the deadlines a driver waits for.

use super::{Active, Config, Connection, Event, State, FRAME_OVERHEAD, PONG_BACKLOG};
use crate::command::{Command, RawCommand};
use crate::error::{ConnectionError, FrameError};
use crate::frame::Frame;
use crate::greeting::Greeting;
use crate::mechanism::RecordLayer;
use crate::message::Message;
use crate::socket_type::SocketType;
use bytes::Bytes;
use std::time::{Duration, Instant};

impl Connection {
    /// Opens a frame with the record layer, if it seals (every frame after the handshake is
    /// then a MESSAGE command).
    pub(super) fn open_frame(&mut self, frame: Frame) -> Result<Frame, ConnectionError> {
        let State::Active(Active {
            record: RecordLayer::Sealed(sealer),
            ..
        }) = &mut self.state
        else {
            return Ok(frame);
        };
        // libzmq (4.3 and master) sends CURVE's and GSSAPI's MESSAGE commands in ordinary frames
        // without the COMMAND flag, and reads either kind: every frame after the handshake is a
        // sealed command, whatever its flags say. So do we.
        let command = RawCommand::parse(frame.body)?;
        Ok(sealer.open(command)?)
    }

    /// A frame once ready, opened: a message frame, or a command.
    pub(super) fn active_frame(
        &mut self,
        frame: Frame,
        now: Instant,
    ) -> Result<(), ConnectionError> {
        if !frame.command {
            return self.message_frame(frame).map_err(Into::into);
        }
        match Command::parse(frame.body)? {
            Command::Ping { ttl, context } => {
                // A peer that sends PINGs and does not read what we send would have PONGs pile
                // up without limit; while more than PONG_BACKLOG bytes wait to be written, its
                // PING goes unanswered (that backlog, once read, proves us alive as well as a
                // PONG would). libzmq likewise keeps at most one PONG pending.
                if self.send.len() < PONG_BACKLOG {
                    self.queue_command(&Command::Pong { context })?;
                }
                if let State::Active(a) = &mut self.state {
                    if ttl > 0 && a.ttl_deadline.is_none() {
                        a.ttl_deadline = Some(now + Duration::from_millis(u64::from(ttl) * 100));
                    }
                }
            }
            Command::Subscribe(topic) => self.events.push_back(Event::Subscribe(topic)),
            Command::Cancel(topic) => self.events.push_back(Event::Cancel(topic)),
            // A DISH's JOIN and LEAVE (libzmq 4.3's draft RADIO/DISH): a RADIO takes them as a
            // publisher takes SUBSCRIBE and CANCEL, exact groups instead of prefixes.
            Command::Other(raw)
                if self.config.socket_type == SocketType::Radio && &raw.name[..] == b"JOIN" =>
            {
                self.events.push_back(Event::Subscribe(raw.data));
            }
            Command::Other(raw)
                if self.config.socket_type == SocketType::Radio && &raw.name[..] == b"LEAVE" =>
            {
                self.events.push_back(Event::Cancel(raw.data));
            }
            // PONG only proves liveness, which any traffic does. Other commands (including a late
            // ERROR or READY) have no meaning after the handshake; libzmq ignores them too.
            Command::Pong { .. }
            | Command::Ready(_)
            | Command::Error { .. }
            | Command::Other(_) => {}
        }
        Ok(())
    }

    /// A message frame: a message of its own, or part of the one being assembled, which must
    /// stay within `ZMQ_MAXMSGSIZE` (its bodies plus [`FRAME_OVERHEAD`] for each frame after
    /// the first).
    pub(super) fn message_frame(&mut self, frame: Frame) -> Result<(), FrameError> {
        if !frame.more && self.partial.is_empty() {
            // The common case, a one-frame message, skips the assembly buffer (and the size
            // check: the decoder checked the frame).
            self.push_message(Message::single(frame.body));
            return Ok(());
        }
        if let Some(max) = self.config.max_msg_size {
            let overhead = if self.partial.is_empty() {
                0
            } else {
                FRAME_OVERHEAD
            };
            let size = self
                .partial_size
                .saturating_add(frame.body.len() as u64)
                .saturating_add(overhead);
            if size > max {
                return Err(FrameError::MessageTooLarge {
                    frames: self.partial.len() as u64 + 1,
                    size,
                    max,
                });
            }
            self.partial_size = size;
        }
        self.partial.push_back(frame.body);
        if !frame.more {
            let msg = std::mem::take(&mut self.partial);
            self.partial_size = 0;
            self.push_message(msg);
        }
        Ok(())
    }

    /// Acts on every deadline that has passed by `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired = match &self.state {
            State::Closed { .. } => return,
            State::Active(a) => {
                if a.ping_timeout.is_some_and(|d| d <= now) {
                    Some(ConnectionError::HeartbeatTimeout)
                } else if a.ttl_deadline.is_some_and(|d| d <= now) {
                    Some(ConnectionError::TtlExpired)
                } else {
                    None
                }
            }
            _ => self
                .handshake_deadline
                .is_some_and(|d| d <= now)
                .then_some(ConnectionError::HandshakeTimeout),
        };
        if let Some(reason) = expired {
            self.close(reason);
            return;
        }
        let State::Active(a) = &mut self.state else {
            return;
        };
        if a.next_ping.is_none_or(|d| d > now) {
            return;
        }
        let Some(ivl) = heartbeat_interval(&self.config, &a.peer_greeting) else {
            a.next_ping = None;
            return;
        };
        a.next_ping = Some(now + ivl);
        let timeout = self.config.heartbeat_timeout.unwrap_or(ivl);
        if a.ping_timeout.is_none() && !timeout.is_zero() {
            a.ping_timeout = Some(now + timeout);
        }
        let ttl = u16::try_from(self.config.heartbeat_ttl.as_millis() / 100).unwrap_or(u16::MAX);
        if let Err(e) = self.queue_command(&Command::Ping {
            ttl,
            context: Bytes::new(),
        }) {
            self.close(e);
        }
    }

    /// The earliest deadline at which [`Connection::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Closed { .. } => None,
            State::Active(a) => [a.ping_timeout, a.ttl_deadline, a.next_ping]
                .into_iter()
                .flatten()
                .min(),
            _ => self.handshake_deadline,
        }
    }
}

/// The PING interval, if heartbeats apply to this peer (ZMTP 3.1 or later).
pub(super) fn heartbeat_interval(config: &Config, peer: &Greeting) -> Option<Duration> {
    config.heartbeat_ivl.filter(|_| peer.is_v31())
}

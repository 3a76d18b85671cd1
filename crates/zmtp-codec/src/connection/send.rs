//! The send side: messages, subscriptions and commands queued for the transport.

use super::{Active, Connection, State};
use crate::command::{legacy_subscription, Command, RawCommand};
use crate::error::{ConnectionError, MechanismError, SendError};
use crate::greeting::LegacyVersion;
use crate::mechanism::{RecordLayer, Sealer};
use crate::message::Message;
use crate::send_buffer::SendBuffer;
use crate::socket_type::SocketType;
use bytes::{Bytes, BytesMut};

impl Connection {
    /// Encodes a message in the peer's framing (unencrypted connections).
    pub(super) fn put_message(&mut self, msg: &Message) {
        put_message(&mut self.send, self.legacy, msg);
    }

    /// Bytes to write to the transport. Advance it by what was written; the rest stays queued.
    pub fn transmit(&mut self) -> &mut SendBuffer {
        &mut self.send
    }

    /// Whether bytes are waiting in [`Connection::transmit`].
    pub fn wants_to_transmit(&self) -> bool {
        !self.send.is_empty()
    }

    /// Queues a message for the peer: all its frames or, on error, none.
    pub fn send(&mut self, msg: &Message) -> Result<(), SendError> {
        let record = match &mut self.state {
            State::Active(a) => &mut a.record,
            State::Closed { .. } => return Err(SendError::Closed),
            _ => return Err(SendError::NotReady),
        };
        if msg.is_empty() {
            return Err(SendError::EmptyMessage);
        }
        match record {
            RecordLayer::Plaintext => {
                put_message(&mut self.send, self.legacy, msg);
                Ok(())
            }
            RecordLayer::Sealed(sealer) => {
                if let Err(e) = seal_message(sealer.as_mut(), &mut self.send, msg) {
                    self.close(e.into());
                    return Err(SendError::Closed);
                }
                Ok(())
            }
        }
    }

    /// Sends a subscription in the form the peer understands: a SUBSCRIBE command to a ZMTP 3.1
    /// peer, a `01`-prefixed message to a 3.0, 2.0 or 1.0 peer.
    pub fn subscribe(&mut self, topic: &[u8]) -> Result<(), SendError> {
        self.send_subscription(true, topic)
    }

    /// Sends a cancellation: CANCEL to a ZMTP 3.1 peer, a `00`-prefixed message to a 3.0 peer.
    pub fn cancel(&mut self, topic: &[u8]) -> Result<(), SendError> {
        self.send_subscription(false, topic)
    }

    pub(super) fn send_subscription(
        &mut self,
        subscribe: bool,
        topic: &[u8],
    ) -> Result<(), SendError> {
        self.check_sendable()?;
        if self.config.socket_type == SocketType::Dish {
            // A DISH joins and leaves groups with JOIN and LEAVE commands (libzmq 4.3's draft
            // RADIO/DISH), whatever the peer's ZMTP minor version.
            let name: &'static [u8] = if subscribe { b"JOIN" } else { b"LEAVE" };
            let cmd = Command::Other(RawCommand {
                name: Bytes::from_static(name),
                data: Bytes::copy_from_slice(topic),
            });
            return self.queue_command(&cmd).map_err(|_| SendError::Closed);
        }
        let v31 = self.peer_greeting().is_some_and(|g| g.is_v31());
        if v31 {
            let topic = Bytes::copy_from_slice(topic);
            let cmd = if subscribe {
                Command::Subscribe(topic)
            } else {
                Command::Cancel(topic)
            };
            return self.queue_command(&cmd).map_err(|_| SendError::Closed);
        }
        let body = if subscribe {
            legacy_subscription::subscribe(topic)
        } else {
            legacy_subscription::cancel(topic)
        };
        self.send(&Message::single(body))
    }

    pub(super) fn check_sendable(&self) -> Result<(), SendError> {
        match self.state {
            State::Active(_) => Ok(()),
            State::Closed { .. } => Err(SendError::Closed),
            State::Greeting(_)
            | State::LegacySocketType(_)
            | State::LegacyIdentity(_)
            | State::Handshake(_) => Err(SendError::NotReady),
        }
    }

    /// Queues a command after the handshake, sealed if the mechanism encrypts.
    pub(super) fn queue_command(&mut self, cmd: &Command) -> Result<(), ConnectionError> {
        let State::Active(Active {
            record: RecordLayer::Sealed(sealer),
            ..
        }) = &mut self.state
        else {
            self.send.put_command(cmd);
            return Ok(());
        };
        let mut body = BytesMut::with_capacity(cmd.body_len());
        cmd.encode_body(&mut body);
        sealer
            .seal(false, true, &body, self.send.tail_mut())
            .map_err(Into::into)
    }
}

/// Seals every frame of a (non-empty) message into `send`: all of them or, on error, none.
/// Apart from [`Connection::send`], so that its plaintext path stays small enough to inline.
#[inline(never)]
fn seal_message(
    sealer: &mut dyn Sealer,
    send: &mut SendBuffer,
    msg: &Message,
) -> Result<(), MechanismError> {
    let last = msg.len().saturating_sub(1);
    let out = send.tail_mut();
    let mark = out.len();
    let sealed = msg
        .iter()
        .enumerate()
        .try_for_each(|(i, frame)| sealer.seal(i < last, false, frame, out));
    if sealed.is_err() {
        // All frames or none: drop what this message had sealed so far.
        out.truncate(mark);
    }
    sealed
}

/// Encodes a message in the peer's framing (`legacy`: ZMTP 1.0's, else 3.x's, which 2.0
/// shares), unsealed.
#[inline]
fn put_message(send: &mut SendBuffer, legacy: Option<LegacyVersion>, msg: &Message) {
    if legacy == Some(LegacyVersion::V1) {
        send.put_message_v1(msg);
    } else {
        send.put_message(msg);
    }
}

//! [`Protocol`]: what an engine drives over a byte stream, sans-IO, so that one I/O loop runs
//! every kind of connection: ZMTP ([`Connection`]) and raw bytes ([`RawConnection`], a STREAM
//! socket's or a raw ROUTER's peer).
//!
//! The engine reads transport bytes into [`Protocol::recv_buf`] and calls
//! [`Protocol::handle_input`]; takes [`Event`]s (messages for the socket, readiness, the end);
//! encodes the socket's messages with [`Protocol::send`]; writes [`Protocol::transmit`]; and
//! calls [`Protocol::handle_timeout`] at [`Protocol::poll_timeout`]. Nothing here reads a clock
//! or touches I/O: the engine passes `now`.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::BytesMut;

use crate::connection::{Connection, Event, EventKind};
use crate::error::{ConnectionError, SendError};
use crate::mechanism::{BlockingJob, BlockingOutput};
use crate::message::Message;
use crate::raw::RawConnection;
use crate::send_buffer::SendBuffer;
use crate::zap::ZapReply;

/// A connection's protocol state machine, as an engine drives it (see the module docs). Each
/// method means what [`Connection`]'s method of the same name does.
pub trait Protocol: Send + 'static {
    /// The read buffer, with free space for the next read.
    fn recv_buf(&mut self) -> &mut BytesMut;
    /// Processes what was read into [`Protocol::recv_buf`].
    fn handle_input(&mut self, now: Instant);
    /// The peer closed its end of the transport (a read returned 0 bytes).
    fn handle_eof(&mut self);
    /// The next event, if any.
    fn poll_event(&mut self) -> Option<Event>;
    /// The kind of the next event, which stays in place (an engine delivers messages only
    /// while the socket has room, and leaves the rest here).
    fn peek_kind(&self) -> Option<EventKind>;
    /// Moves up to `max` of the next events, while they are messages, to the back of `into`
    /// in one go where it can; how many (none: take them with [`Protocol::poll_event`]).
    fn take_messages(&mut self, into: &mut VecDeque<Message>, max: usize) -> usize {
        let _ = (into, max);
        0
    }
    /// Whether messages can be sent (the handshake is done and the connection has not ended).
    fn is_ready(&self) -> bool;
    /// Whether the connection has ended.
    fn is_closed(&self) -> bool;
    /// Ends the connection locally; what was queued stays in [`Protocol::transmit`].
    fn close_locally(&mut self);
    /// Ends the connection with `reason` (a failure found outside the state machine).
    fn abort(&mut self, reason: ConnectionError);
    /// Queues a message for the peer.
    fn send(&mut self, msg: &Message) -> Result<(), SendError>;
    /// Sends a subscription in the form the peer understands (nothing, for a raw peer).
    fn subscribe(&mut self, topic: &[u8]) -> Result<(), SendError>;
    /// Sends a cancellation in the form the peer understands (nothing, for a raw peer).
    fn cancel(&mut self, topic: &[u8]) -> Result<(), SendError>;
    /// Bytes to write to the transport; advance it by what was written.
    fn transmit(&mut self) -> &mut SendBuffer;
    /// Whether bytes wait in [`Protocol::transmit`].
    fn wants_to_transmit(&self) -> bool;
    /// The earliest deadline at which [`Protocol::handle_timeout`] must be called.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Acts on every deadline that has passed by `now`.
    fn handle_timeout(&mut self, now: Instant);
    /// Passes the ZAP handler's answer to the mechanism.
    fn handle_zap_reply(&mut self, now: Instant, reply: ZapReply);
    /// The mechanism's blocking job, once, when it has one (GSSAPI's GSS-API calls).
    fn poll_blocking(&mut self) -> Option<BlockingJob>;
    /// Passes a blocking job's output to the mechanism.
    fn handle_blocking_done(&mut self, now: Instant, output: BlockingOutput);
    /// Whether the transport is shut down (a FIN written) when the connection ends locally
    /// and everything queued is written: a raw peer learns of the application's close this
    /// way; a ZMTP connection just drops its transport.
    fn shuts_down_on_close(&self) -> bool;
    /// Gives up the read buffer when the connection is idle (see
    /// [`Connection::release_recv_buf`]); `None` when it keeps it, always for a raw peer.
    fn release_recv_buf(&mut self) -> Option<BytesMut> {
        None
    }
    /// Whether the connection has room to read into without making a buffer (see
    /// [`Connection::holds_recv_buf`]); always, for a raw peer.
    fn holds_recv_buf(&self) -> bool {
        true
    }
    /// Gives the connection a buffer to read into in place of the one it gave up (see
    /// [`Connection::install_recv_buf`]).
    fn install_recv_buf(&mut self, _buf: BytesMut) {}
    /// Appends `data`, read elsewhere, to the read buffer and processes it (see
    /// [`Connection::feed`]).
    fn feed(&mut self, now: Instant, data: &[u8]) {
        self.recv_buf().extend_from_slice(data);
        self.handle_input(now);
    }
}

impl Protocol for Connection {
    fn recv_buf(&mut self) -> &mut BytesMut {
        Connection::recv_buf(self)
    }
    fn handle_input(&mut self, now: Instant) {
        Connection::handle_input(self, now);
    }
    fn handle_eof(&mut self) {
        Connection::handle_eof(self);
    }
    #[inline]
    fn poll_event(&mut self) -> Option<Event> {
        Connection::poll_event(self)
    }
    #[inline]
    fn peek_kind(&self) -> Option<EventKind> {
        Connection::peek_kind(self)
    }
    #[inline]
    fn take_messages(&mut self, into: &mut VecDeque<Message>, max: usize) -> usize {
        Connection::take_messages(self, into, max)
    }
    fn is_ready(&self) -> bool {
        Connection::is_ready(self)
    }
    fn is_closed(&self) -> bool {
        Connection::is_closed(self)
    }
    fn close_locally(&mut self) {
        Connection::close_locally(self);
    }
    fn abort(&mut self, reason: ConnectionError) {
        Connection::abort(self, reason);
    }
    fn send(&mut self, msg: &Message) -> Result<(), SendError> {
        Connection::send(self, msg)
    }
    fn subscribe(&mut self, topic: &[u8]) -> Result<(), SendError> {
        Connection::subscribe(self, topic)
    }
    fn cancel(&mut self, topic: &[u8]) -> Result<(), SendError> {
        Connection::cancel(self, topic)
    }
    fn transmit(&mut self) -> &mut SendBuffer {
        Connection::transmit(self)
    }
    fn wants_to_transmit(&self) -> bool {
        Connection::wants_to_transmit(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Connection::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Connection::handle_timeout(self, now);
    }
    fn handle_zap_reply(&mut self, now: Instant, reply: ZapReply) {
        Connection::handle_zap_reply(self, now, reply);
    }
    fn poll_blocking(&mut self) -> Option<BlockingJob> {
        Connection::poll_blocking(self)
    }
    fn handle_blocking_done(&mut self, now: Instant, output: BlockingOutput) {
        Connection::handle_blocking_done(self, now, output);
    }
    fn shuts_down_on_close(&self) -> bool {
        false
    }
    fn release_recv_buf(&mut self) -> Option<BytesMut> {
        Connection::release_recv_buf(self)
    }
    fn holds_recv_buf(&self) -> bool {
        Connection::holds_recv_buf(self)
    }
    fn install_recv_buf(&mut self, buf: BytesMut) {
        Connection::install_recv_buf(self, buf);
    }
    fn feed(&mut self, now: Instant, data: &[u8]) {
        Connection::feed(self, now, data);
    }
}

impl Protocol for RawConnection {
    fn recv_buf(&mut self) -> &mut BytesMut {
        RawConnection::recv_buf(self)
    }
    fn handle_input(&mut self, _now: Instant) {
        RawConnection::handle_input(self);
    }
    fn handle_eof(&mut self) {
        RawConnection::handle_eof(self);
    }
    fn poll_event(&mut self) -> Option<Event> {
        RawConnection::poll_event(self)
    }
    fn peek_kind(&self) -> Option<EventKind> {
        RawConnection::peek_kind(self)
    }
    fn is_ready(&self) -> bool {
        RawConnection::is_ready(self)
    }
    fn is_closed(&self) -> bool {
        RawConnection::is_closed(self)
    }
    fn close_locally(&mut self) {
        RawConnection::close_locally(self);
    }
    fn abort(&mut self, reason: ConnectionError) {
        RawConnection::abort(self, reason);
    }
    fn send(&mut self, msg: &Message) -> Result<(), SendError> {
        RawConnection::send(self, msg)
    }
    fn subscribe(&mut self, _topic: &[u8]) -> Result<(), SendError> {
        Ok(())
    }
    fn cancel(&mut self, _topic: &[u8]) -> Result<(), SendError> {
        Ok(())
    }
    fn transmit(&mut self) -> &mut SendBuffer {
        RawConnection::transmit(self)
    }
    fn wants_to_transmit(&self) -> bool {
        RawConnection::wants_to_transmit(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn handle_zap_reply(&mut self, _now: Instant, _reply: ZapReply) {
        // A raw connection has no handshake, so no ZAP request was made: an answer is
        // out of place, as for a ZMTP connection past its handshake.
        RawConnection::abort(self, crate::MechanismError::UnexpectedZapReply.into());
    }
    fn poll_blocking(&mut self) -> Option<BlockingJob> {
        None
    }
    fn handle_blocking_done(&mut self, _now: Instant, _output: BlockingOutput) {
        RawConnection::abort(self, crate::MechanismError::UnexpectedBlockingOutput.into());
    }
    fn shuts_down_on_close(&self) -> bool {
        true
    }
}

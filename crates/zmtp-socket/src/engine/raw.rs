//! The task behind one raw connection: a STREAM socket's (or a ROUTER's with `ZMQ_ROUTER_RAW`),
//! which exchanges plain bytes with a peer that is not ZeroMQ. No greeting, no framing, no
//! security: each read becomes one message for the application (the socket prefixes the routing
//! id of the connection when it is received), and each message the application sends is written
//! as it is, its frames one after the other.
//!
//! The pipe is attached at once, with a routing id (`ZMQ_CONNECT_RID`, or a generated one as a
//! ROUTER's). With `ZMQ_STREAM_NOTIFY` the application hears of the connection, and of its
//! loss, by an empty message. A message whose frames are all empty, from the application, closes
//! the connection once what was queued before it is written.
//!
//! Like [`super::driver`], each poll loops until nothing moves: deliver the last chunk read
//! (stopping at `ZMQ_RCVHWM`), read the next one, take a batch of queued messages (stopping at
//! `ZMQ_SNDHWM`'s worth of written-but-unsent bytes) and write them in vectored writes.

use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Sleep;
use tokio_util::io::poll_read_buf;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tracing::debug;
use zmtp_codec::{ConnectionError, Message};

use super::driver::{run_connection, Exit, PipeSlot};
use super::settings::ConnectionSettings;
use crate::core::{Core, Outbound, PipeId, PipeItem};
use crate::monitor::MonitorEvent;

/// Room made in the read buffer before each read: a read returns at most about this much, so
/// large transfers arrive as several messages.
const READ_CHUNK: usize = 8 * 1024;
/// Bytes taken from the pipe and not yet written above which no more messages are taken: they
/// stay in the pipe, counted against `ZMQ_SNDHWM`.
const WRITE_BACKLOG: usize = 256 * 1024;
/// Most messages taken from the pipe under one lock.
const TAKE_BATCH: usize = 256;
/// iovecs per vectored write.
const IOVECS: usize = 64;

/// Runs one connection of a listener or connecter until it ends: ZMTP
/// ([`run_connection`]), or raw bytes when the socket is a STREAM or a raw ROUTER. Returns the
/// pipe it served (if any), whether the connection got as far as attaching it (its handshake
/// completed, for ZMTP) and why it ended.
pub(crate) async fn run<S>(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    slot: PipeSlot,
    stream: S,
    peer_address: Bytes,
    unbound: Option<CancellationToken>,
    endpoint: &str,
) -> (Option<PipeId>, bool, Exit)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if settings.raw {
        let (pipe, exit) = run_raw(core, &settings, slot, stream, unbound, endpoint).await;
        return (Some(pipe), true, exit);
    }
    let (pipe, peer, exit) = run_connection(
        core,
        settings,
        slot,
        stream,
        peer_address,
        unbound,
        endpoint,
    )
    .await;
    (pipe, peer.is_some(), exit)
}

/// Whether a raw connection ended because the application closed it (an empty message): a
/// connecter does not remake it, as libzmq ends the session of a STREAM peer so closed.
pub(crate) fn closed_by_application(settings: &ConnectionSettings, exit: &Exit) -> bool {
    settings.raw && matches!(exit, Exit::Connection(ConnectionError::Closed))
}

async fn run_raw<S>(
    core: Arc<Core>,
    settings: &ConnectionSettings,
    slot: PipeSlot,
    stream: S,
    unbound: Option<CancellationToken>,
    endpoint: &str,
) -> (PipeId, Exit)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let pipe = match slot {
        PipeSlot::Existing(id) => id,
        PipeSlot::OnReady => core.add_pipe(false),
    };
    if !core.attach_peer(pipe, None) {
        return (pipe, Exit::Connection(ConnectionError::Closed));
    }
    debug!("raw connection attached");
    (settings.monitors).emit(|| MonitorEvent::HandshakeSucceeded {
        endpoint: endpoint.to_owned(),
    });
    let empty = || Message::single(Bytes::new());
    if settings.raw_notify {
        core.push_inbound_unbounded(pipe, [empty()]);
    }
    let mut raw = Raw {
        core,
        pipe,
        stream,
        read_buf: BytesMut::new(),
        inbound: VecDeque::new(),
        taken: VecDeque::new(),
        writes: VecDeque::new(),
        unwritten: 0,
        read_closed: false,
        close_requested: false,
        closing: false,
        linger: None,
        unbound: unbound.map(|token| Box::pin(token.cancelled_owned())),
    };
    let exit = std::future::poll_fn(|cx| raw.poll(cx)).await;
    // The peer went (or the transport failed): what was read reaches the application, then
    // the notice, whatever ZMQ_RCVHWM says.
    if matches!(
        exit,
        Exit::Connection(ConnectionError::PeerClosed { .. }) | Exit::Io(_)
    ) {
        let notice = settings.raw_notify.then(empty);
        let read = raw.inbound.drain(..).filter_map(|item| match item {
            PipeItem::Message(msg) => Some(msg),
            PipeItem::Subscribe(_) | PipeItem::Cancel(_) => None,
        });
        raw.core.push_inbound_unbounded(pipe, read.chain(notice));
    }
    // Detached before the monitors hear of the end (the caller's detach then changes nothing):
    // a connect's pipe stays for the next connection unless the application closed it.
    let keep = matches!(slot, PipeSlot::Existing(_))
        && !matches!(exit, Exit::Connection(ConnectionError::Closed));
    raw.core.detach(pipe, keep);
    (pipe, exit)
}

struct Raw<S> {
    core: Arc<Core>,
    pipe: PipeId,
    stream: S,
    read_buf: BytesMut,
    /// A chunk read that the pipe had no room for yet.
    inbound: VecDeque<PipeItem>,
    /// Items taken from the pipe (kept to reuse its allocation).
    taken: VecDeque<PipeItem>,
    /// Frames to write, in order, and their total length.
    writes: VecDeque<Bytes>,
    unwritten: usize,
    read_closed: bool,
    /// The application sent an empty message: write what is before it, then close.
    close_requested: bool,
    /// The socket is closed: flush, then end.
    closing: bool,
    /// When a closed socket's `ZMQ_LINGER` runs out.
    linger: Option<Pin<Box<Sleep>>>,
    /// Fires when the endpoint this connection was accepted through is unbound.
    unbound: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Raw<S> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Exit> {
        if let Some(unbound) = self.unbound.as_mut() {
            if unbound.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Exit::Unbound);
            }
        }
        if let Some(linger_until) = self.core.closed() {
            self.closing = true;
            if let Some(t) = linger_until {
                if Instant::now() >= t {
                    return Poll::Ready(Exit::SocketClosed);
                }
                let sleep = self
                    .linger
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(t.into())));
                if sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Exit::SocketClosed);
                }
            }
        }
        loop {
            let mut progress = self.deliver(cx);
            match self.poll_read(cx) {
                Ok(p) => progress |= p,
                Err(e) => return Poll::Ready(Exit::Io(e)),
            }
            if self.read_closed && self.inbound.is_empty() {
                return Poll::Ready(Exit::Connection(ConnectionError::PeerClosed {
                    during_handshake: false,
                }));
            }
            progress |= self.take_outbound(cx);
            match self.poll_write(cx) {
                Ok(p) => progress |= p,
                Err(e) => return Poll::Ready(Exit::Io(e)),
            }
            if self.writes.is_empty() {
                if self.close_requested {
                    // A failed shutdown changes nothing: the stream is dropped next.
                    if Pin::new(&mut self.stream).poll_shutdown(cx).is_ready() {
                        return Poll::Ready(Exit::Connection(ConnectionError::Closed));
                    }
                } else if self.closing && self.core.outbound_empty(self.pipe) {
                    return Poll::Ready(Exit::SocketClosed);
                }
            }
            if !progress {
                return Poll::Pending;
            }
        }
    }

    fn deliver(&mut self, cx: &mut Context<'_>) -> bool {
        if self.inbound.is_empty() {
            return false;
        }
        let before = self.inbound.len();
        self.core.deliver_inbound(self.pipe, cx, &mut self.inbound);
        self.inbound.len() != before
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> std::io::Result<bool> {
        if self.read_closed || !self.inbound.is_empty() {
            return Ok(false);
        }
        if self.read_buf.capacity() - self.read_buf.len() < READ_CHUNK {
            self.read_buf.reserve(READ_CHUNK);
        }
        match poll_read_buf(Pin::new(&mut self.stream), cx, &mut self.read_buf) {
            Poll::Ready(Ok(0)) => {
                self.read_closed = true;
                Ok(true)
            }
            Poll::Ready(Ok(_)) => {
                let chunk = self.read_buf.split().freeze();
                self.inbound
                    .push_back(PipeItem::Message(Message::single(chunk)));
                Ok(true)
            }
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Ok(false),
        }
    }

    fn take_outbound(&mut self, cx: &mut Context<'_>) -> bool {
        if self.close_requested || self.unwritten >= WRITE_BACKLOG {
            return false;
        }
        match (self.core).take_outbound(self.pipe, cx, TAKE_BATCH, &mut self.taken) {
            Outbound::Taken => {
                for item in self.taken.drain(..) {
                    // A raw peer has no subscriptions: only messages are written.
                    let PipeItem::Message(msg) = item else {
                        continue;
                    };
                    if self.close_requested {
                        // Sent after the close: the connection is going.
                        continue;
                    }
                    if msg.iter().all(Bytes::is_empty) {
                        self.close_requested = true;
                        continue;
                    }
                    for frame in msg.into_iter().filter(|f| !f.is_empty()) {
                        self.unwritten += frame.len();
                        self.writes.push_back(frame);
                    }
                }
                true
            }
            Outbound::Finished if !self.closing => {
                // The pipe is gone (the endpoint was disconnected): write what is taken, end.
                self.close_requested = true;
                true
            }
            Outbound::Empty | Outbound::Finished => false,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> std::io::Result<bool> {
        let mut progress = false;
        while !self.writes.is_empty() {
            let mut slices = [IoSlice::new(&[]); IOVECS];
            let n = self.writes.len().min(IOVECS);
            for (slice, frame) in slices.iter_mut().zip(self.writes.iter()) {
                *slice = IoSlice::new(frame);
            }
            match Pin::new(&mut self.stream).poll_write_vectored(cx, &slices[..n]) {
                Poll::Ready(Ok(0)) => return Err(std::io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(mut written)) => {
                    self.unwritten -= written;
                    while written > 0 {
                        let Some(front) = self.writes.front_mut() else {
                            break;
                        };
                        if written >= front.len() {
                            written -= front.len();
                            self.writes.pop_front();
                        } else {
                            front.advance(written);
                            written = 0;
                        }
                    }
                    progress = true;
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        if progress && self.writes.is_empty() {
            let _ = Pin::new(&mut self.stream).poll_flush(cx);
        }
        Ok(progress)
    }
}

//! The task behind one connection.
//!
//! Each time it is polled it loops until nothing moves: deliver decoded messages to the pipe
//! (stopping at `ZMQ_RCVHWM`), read what the transport has into the connection's read buffer,
//! take queued messages from the pipe (a batch under one lock) and encode them, write everything
//! encoded in one vectored write, and act on the connection's timers. It sleeps only on the
//! transport, on the pipe (its waker is registered there, and senders wake it only when it
//! sleeps) and on the next deadline.

use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Sleep;
use tokio_util::io::poll_read_buf;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use zmtp_codec::{
    Connection, ConnectionError, Event, MechanismError, Message, PeerInfo, SocketType,
};

use super::settings::ConnectionSettings;
use super::zap::{ZapAnswer, ZapRoute};
use crate::core::pubsub::{parse_subscription, subscription_message};
use crate::core::{Core, Outbound, PipeId};
use crate::monitor::MonitorEvent;

/// Encoded bytes waiting to be written above which no more messages are taken from the pipe:
/// they stay there, counted against `ZMQ_SNDHWM`, as in libzmq.
const WRITE_BACKLOG: usize = 256 * 1024;
/// Most messages taken from the pipe under one lock.
const TAKE_BATCH: usize = 256;
/// iovecs per vectored write.
const IOVECS: usize = 64;

/// Why a connection task ended.
#[derive(Debug)]
pub(crate) enum Exit {
    /// The connection state machine ended (handshake refused, peer closed, heartbeat lost, ...).
    Connection(ConnectionError),
    /// Reading or writing the transport failed.
    Io(std::io::Error),
    /// The socket was closed and everything queued was written (or its linger ran out).
    SocketClosed,
    /// The endpoint the connection was accepted through was unbound (libzmq ends those
    /// connections, dropping what is queued for them).
    Unbound,
    /// The security mechanism could not be set up from the socket's options.
    Mechanism(String),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Connection(reason) => write!(f, "{reason}"),
            Exit::Io(e) => write!(f, "I/O error: {e}"),
            Exit::SocketClosed => f.write_str("the socket was closed"),
            Exit::Unbound => f.write_str("its endpoint was unbound"),
            Exit::Mechanism(reason) => write!(f, "no mechanism: {reason}"),
        }
    }
}

/// Which pipe a connection serves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PipeSlot {
    /// A connecting socket's pipe, kept across reconnects.
    Existing(PipeId),
    /// A bound socket's connection: a pipe is made when the handshake completes.
    OnReady,
}

/// Runs one connection until it ends. Returns the pipe it served (if any) and why it ended.
/// `endpoint` names the connection in monitor events.
pub(crate) async fn run_connection<S>(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    slot: PipeSlot,
    stream: S,
    peer_address: Bytes,
    unbound: Option<CancellationToken>,
    endpoint: &str,
) -> (Option<PipeId>, Option<PeerInfo>, Exit)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut config = settings.config.clone();
    config.peer_address = peer_address;
    let zap_route = settings.zap_route();
    let mechanism = match settings.mechanism(zap_route.is_some()) {
        Ok(mechanism) => mechanism,
        Err(reason) => {
            let pipe = match slot {
                PipeSlot::Existing(id) => Some(id),
                PipeSlot::OnReady => None,
            };
            return (pipe, None, Exit::Mechanism(reason));
        }
    };
    let conn = Connection::new(config, mechanism, Instant::now());
    let mut driver = Driver {
        core,
        settings,
        pipe: match slot {
            PipeSlot::Existing(id) => Some(id),
            PipeSlot::OnReady => None,
        },
        stream,
        conn,
        sleep: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
        sleep_at: None,
        inbound: VecDeque::new(),
        outbound: VecDeque::new(),
        read_closed: false,
        peer: None,
        closing: false,
        exit: None,
        zap_route,
        zap: None,
        unbound: unbound.map(|token| Box::pin(token.cancelled_owned())),
        endpoint,
    };
    let exit = std::future::poll_fn(|cx| driver.poll(cx)).await;
    (driver.pipe, driver.peer, exit)
}

struct Driver<'a, S> {
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    pipe: Option<PipeId>,
    stream: S,
    conn: Connection,
    sleep: Pin<Box<Sleep>>,
    sleep_at: Option<Instant>,
    /// Decoded messages the pipe had no room for yet.
    inbound: VecDeque<Message>,
    /// Messages taken from the pipe, to encode (kept to reuse its allocation).
    outbound: VecDeque<Message>,
    read_closed: bool,
    peer: Option<PeerInfo>,
    /// The socket is closed: flush, then end.
    closing: bool,
    /// The connection ended: flush what it left to write (an ERROR), then end.
    exit: Option<Exit>,
    /// Who answers this connection's ZAP requests.
    zap_route: Option<ZapRoute>,
    zap: Option<ZapAnswer>,
    /// Fires when the endpoint this connection was accepted through is unbound.
    unbound: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    /// The connection's endpoint, as monitor events name it.
    endpoint: &'a str,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<'_, S> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Exit> {
        if let Some(unbound) = self.unbound.as_mut() {
            if unbound.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Exit::Unbound);
            }
        }
        if let Some(linger_until) = self.core.closed() {
            self.closing = true;
            if linger_until.is_some_and(|t| Instant::now() >= t) {
                return Poll::Ready(Exit::SocketClosed);
            }
        }
        loop {
            let mut progress = false;
            progress |= self.poll_zap(cx);
            progress |= self.deliver(cx);
            if self.exit.is_none() {
                match self.poll_read(cx) {
                    Ok(p) => progress |= p,
                    Err(e) => return Poll::Ready(Exit::Io(e)),
                }
            }
            progress |= self.take_events();
            progress |= self.deliver(cx);
            progress |= self.take_outbound(cx);
            match self.poll_write(cx) {
                Ok(p) => progress |= p,
                Err(e) => {
                    return Poll::Ready(self.exit.take().unwrap_or(Exit::Io(e)));
                }
            }
            if !self.conn.wants_to_transmit() {
                if let Some(exit) = self.exit.take() {
                    return Poll::Ready(exit);
                }
                if self.closing && self.outbound.is_empty() && self.pipe_drained() {
                    return Poll::Ready(Exit::SocketClosed);
                }
            }
            progress |= self.poll_timer(cx);
            if !progress {
                return Poll::Pending;
            }
        }
    }

    /// Whether the closing socket has nothing left for this connection.
    fn pipe_drained(&self) -> bool {
        match self.pipe {
            None => true,
            Some(id) => self.core.outbound_empty(id),
        }
    }

    fn poll_zap(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(fut) = self.zap.as_mut() else {
            return false;
        };
        match fut.as_mut().poll(cx) {
            Poll::Ready(answer) => {
                self.zap = None;
                match answer {
                    Ok(reply) => self.conn.handle_zap_reply(Instant::now(), reply),
                    Err(e) => self.conn.abort(ConnectionError::Mechanism(e)),
                }
                true
            }
            Poll::Pending => false,
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> std::io::Result<bool> {
        if self.read_closed || !self.inbound.is_empty() || self.conn.is_closed() {
            return Ok(false);
        }
        match poll_read_buf(Pin::new(&mut self.stream), cx, self.conn.recv_buf()) {
            Poll::Ready(Ok(0)) => {
                self.read_closed = true;
                self.conn.handle_eof();
                Ok(true)
            }
            Poll::Ready(Ok(_)) => {
                self.conn.handle_input(Instant::now());
                Ok(true)
            }
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Ok(false),
        }
    }

    fn take_events(&mut self) -> bool {
        let mut any = false;
        while let Some(event) = self.conn.poll_event() {
            any = true;
            match event {
                Event::Message(msg) => self.inbound.push_back(msg),
                Event::Ready(peer) => {
                    let id = match self.pipe {
                        Some(id) => id,
                        None => {
                            let (sndhwm, rcvhwm) = self.core.hwm();
                            let id = self.core.add_pipe(sndhwm, rcvhwm, false);
                            self.pipe = Some(id);
                            id
                        }
                    };
                    super::trace::handshake_succeeded(&peer);
                    self.settings
                        .monitors
                        .emit(|| MonitorEvent::HandshakeSucceeded {
                            endpoint: self.endpoint.to_owned(),
                        });
                    let how = self.settings.peer_attach(&self.core, peer.identity());
                    if self.core.attach_peer(id, &how) {
                        self.peer = Some(peer);
                    } else {
                        // A PAIR that has its peer already: this one goes.
                        self.conn.close_locally();
                    }
                }
                // Subscriptions reach the socket as libzmq carries them inside: a message of
                // 1 (or 0) and the prefix, which a PUB/XPUB applies as it comes in.
                Event::Subscribe(prefix) => {
                    self.inbound.push_back(subscription_message(true, &prefix))
                }
                Event::Cancel(prefix) => {
                    self.inbound.push_back(subscription_message(false, &prefix))
                }
                Event::ZapRequest(request) => match &self.zap_route {
                    Some(route) => self.zap = Some(route.ask(*request)),
                    None => self
                        .conn
                        .abort(ConnectionError::Mechanism(MechanismError::Refused {
                            status: 500,
                            text: "no ZAP handler is installed".into(),
                        })),
                },
                Event::Closed(reason) => self.exit = Some(Exit::Connection(reason)),
            }
        }
        any
    }

    fn deliver(&mut self, cx: &mut Context<'_>) -> bool {
        if self.inbound.is_empty() {
            return false;
        }
        let Some(id) = self.pipe else {
            // Messages arrive only after Ready, which makes the pipe.
            self.inbound.clear();
            return true;
        };
        let before = self.inbound.len();
        self.core.deliver_inbound(id, cx, &mut self.inbound);
        self.inbound.len() != before
    }

    fn take_outbound(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(id) = self.pipe else { return false };
        if !self.conn.is_ready() || self.conn.transmit().len() >= WRITE_BACKLOG {
            return false;
        }
        match self
            .core
            .take_outbound(id, cx, TAKE_BATCH, &mut self.outbound)
        {
            Outbound::Taken => {
                let subscriber = matches!(
                    self.settings.config.socket_type,
                    SocketType::Sub | SocketType::XSub
                );
                for msg in self.outbound.drain(..) {
                    // A send fails only once the connection has ended; its event says why.
                    // A subscriber's subscriptions go in the form the peer reads (a 3.1
                    // command, or the 3.0 message).
                    let _ = match subscriber.then(|| parse_subscription(&msg)).flatten() {
                        Some((true, prefix)) => self.conn.subscribe(&prefix),
                        Some((false, prefix)) => self.conn.cancel(&prefix),
                        None => self.conn.send(&msg),
                    };
                }
                true
            }
            Outbound::Finished if !self.closing && !self.conn.is_closed() => {
                // The pipe was taken from this connection (a ROUTER_HANDOVER): it ends.
                self.conn.close_locally();
                true
            }
            Outbound::Empty | Outbound::Finished => false,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> std::io::Result<bool> {
        let mut progress = false;
        while self.conn.wants_to_transmit() {
            let tx = self.conn.transmit();
            let mut slices = [IoSlice::new(&[]); IOVECS];
            let n = tx.chunks_vectored(&mut slices);
            match Pin::new(&mut self.stream).poll_write_vectored(cx, &slices[..n]) {
                Poll::Ready(Ok(0)) => {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                Poll::Ready(Ok(written)) => {
                    tx.advance(written);
                    progress = true;
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        if progress && !self.conn.wants_to_transmit() {
            // Everything is out; make sure it leaves the process.
            let _ = Pin::new(&mut self.stream).poll_flush(cx);
        }
        Ok(progress)
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let linger = if self.closing {
            self.core.closed().flatten()
        } else {
            None
        };
        let next = match (self.conn.poll_timeout(), linger) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(at) = next else {
            self.sleep_at = None;
            return false;
        };
        if self.sleep_at != Some(at) {
            self.sleep_at = Some(at);
            self.sleep.as_mut().reset(at.into());
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.sleep_at = None;
            let now = Instant::now();
            if linger.is_some_and(|t| now >= t) {
                // Linger ran out: drop what is left. The next poll returns.
                self.exit = Some(Exit::SocketClosed);
                let tx = self.conn.transmit();
                let left = tx.len();
                tx.advance(left);
                return true;
            }
            self.conn.handle_timeout(now);
            return true;
        }
        false
    }
}

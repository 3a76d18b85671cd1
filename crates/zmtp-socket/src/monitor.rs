//! Socket monitors (libzmq's `zmq_socket_monitor`): typed lifecycle events of a socket's
//! endpoints and connections, with libzmq's set of events, their numbers (`ZMQ_EVENT_*`) and the
//! value libzmq puts in each.
//!
//! [`Monitor`], from `socket.monitor()`, is a [`futures::Stream`] of [`MonitorEvent`]s. A socket
//! may have several; each gets every event from its creation on, and dropping one unregisters
//! it. Events are reported from where connections change state (bind, accept, connect,
//! handshake, end, reconnect), never per message.
//!
//! **Bounded queue.** Each monitor holds at most [`MONITOR_QUEUE`] (1024) unread events. When a
//! reader falls that far behind, the oldest event is dropped to make room for the new one and
//! counted ([`Monitor::dropped`]): a slow reader costs a bounded amount of memory and never
//! slows the socket (libzmq drops nothing from its monitor pipe, which then grows without
//! bound).
//!
//! **The end.** When the socket is closed (dropped), each monitor receives
//! [`MonitorEvent::MonitorStopped`] last, and its stream then ends. Events of connections still
//! lingering after the close are not reported, as in libzmq.
//!
//! **What each transport reports**, as libzmq 4.3 does:
//! - `tcp://`: bind: [`Listening`](MonitorEvent::Listening) or
//!   [`BindFailed`](MonitorEvent::BindFailed); each accepted connection:
//!   [`Accepted`](MonitorEvent::Accepted), then [`HandshakeSucceeded`](MonitorEvent::HandshakeSucceeded)
//!   or a `HandshakeFailed*`, then [`Disconnected`](MonitorEvent::Disconnected) when it ends
//!   (not when the socket itself closes it, on close or unbind); unbind and close:
//!   [`Closed`](MonitorEvent::Closed). Connect: [`ConnectDelayed`](MonitorEvent::ConnectDelayed)
//!   per attempt, then [`Connected`](MonitorEvent::Connected) and the handshake events, or
//!   [`Closed`](MonitorEvent::Closed) for an attempt that failed; after a failed attempt or a
//!   lost connection, [`ConnectRetried`](MonitorEvent::ConnectRetried) with the interval before
//!   the next attempt (none with `ZMQ_RECONNECT_IVL` -1).
//! - `ipc://`: the same, without `ConnectDelayed` (a Unix-domain connect completes at once).
//! - `inproc://`: nothing but `MonitorStopped` (libzmq reports no events for inproc: there is
//!   no listener, no connect attempt and no handshake).
//!
//! **Endpoints**, as libzmq reports them: the endpoint as bound (with the port the OS chose,
//! `tcp://0.0.0.0:5555` for a `*` host) for `Listening`, `Accepted`, `Closed` of a listener and
//! `BindFailed` (there: as given); the local address of the connection
//! (`tcp://127.0.0.1:5555`) for the handshake and `Disconnected` events of an accepted
//! connection; the endpoint as given to `connect` for every event of a connecting side.
//!
//! **Values.** libzmq's file descriptors mean nothing here: their value is 0. Errors carry the
//! OS's `errno`; handshake failures carry libzmq's `ZMQ_PROTOCOL_ERROR_*` code or the ZAP
//! status code, mapped from the reason the connection ended (see
//! [`MonitorEvent::HandshakeFailedProtocol`]).
//!
//! `socket.monitor_to(endpoint, events)` gives the same events in libzmq's wire form (two
//! frames, [`MonitorEvent::to_message`]) through a PAIR socket bound at an `inproc://`
//! endpoint, for code written against `zmq_socket_monitor`.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use zmtp_codec::{CommandError, ConnectionError, GreetingError, MechanismError, Message};

use crate::exit::Exit;

/// Most unread events a [`Monitor`] keeps; past this the oldest is dropped (and counted).
pub const MONITOR_QUEUE: usize = 1024;

/// `ZMQ_EVENT_CONNECTED`: a connect attempt succeeded.
pub const EVENT_CONNECTED: u16 = 0x0001;
/// `ZMQ_EVENT_CONNECT_DELAYED`: a tcp connect attempt is under way.
pub const EVENT_CONNECT_DELAYED: u16 = 0x0002;
/// `ZMQ_EVENT_CONNECT_RETRIED`: the next connect attempt is scheduled.
pub const EVENT_CONNECT_RETRIED: u16 = 0x0004;
/// `ZMQ_EVENT_LISTENING`: a bind succeeded.
pub const EVENT_LISTENING: u16 = 0x0008;
/// `ZMQ_EVENT_BIND_FAILED`: a bind failed.
pub const EVENT_BIND_FAILED: u16 = 0x0010;
/// `ZMQ_EVENT_ACCEPTED`: a connection was accepted.
pub const EVENT_ACCEPTED: u16 = 0x0020;
/// `ZMQ_EVENT_ACCEPT_FAILED`: accepting a connection failed.
pub const EVENT_ACCEPT_FAILED: u16 = 0x0040;
/// `ZMQ_EVENT_CLOSED`: a listener, or a failed connect attempt, was closed.
pub const EVENT_CLOSED: u16 = 0x0080;
/// `ZMQ_EVENT_CLOSE_FAILED`: closing failed (never reported here).
pub const EVENT_CLOSE_FAILED: u16 = 0x0100;
/// `ZMQ_EVENT_DISCONNECTED`: a connection ended.
pub const EVENT_DISCONNECTED: u16 = 0x0200;
/// `ZMQ_EVENT_MONITOR_STOPPED`: the monitor ends (the last event).
pub const EVENT_MONITOR_STOPPED: u16 = 0x0400;
/// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`: a handshake failed for a reason other than the
/// protocol or authentication (the peer went, a timeout, an I/O error).
pub const EVENT_HANDSHAKE_FAILED_NO_DETAIL: u16 = 0x0800;
/// `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`: a handshake completed.
pub const EVENT_HANDSHAKE_SUCCEEDED: u16 = 0x1000;
/// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`: a handshake failed on a protocol error.
pub const EVENT_HANDSHAKE_FAILED_PROTOCOL: u16 = 0x2000;
/// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`: a handshake failed on authentication.
pub const EVENT_HANDSHAKE_FAILED_AUTH: u16 = 0x4000;
/// `ZMQ_EVENT_ALL`: the mask of every event.
pub const EVENT_ALL: u16 = 0xFFFF;

/// `ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED`: a ZMTP error with no code of its own (a greeting
/// that is not ZMTP, a frame that cannot be accepted, a peer's ERROR command).
pub const PROTOCOL_ERROR_ZMTP_UNSPECIFIED: u32 = 0x1000_0000;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND`: a command (or a message) the handshake does
/// not allow at that point.
pub const PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND: u32 = 0x1000_0001;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE`: a CURVE nonce that does not increase.
pub const PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE: u32 = 0x1000_0002;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE`: CURVE's vouch does not match the connection.
pub const PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE: u32 = 0x1000_0003;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED`: a command that does not parse.
pub const PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED: u32 = 0x1000_0011;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE`: a malformed CURVE MESSAGE.
pub const PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE: u32 = 0x1000_0012;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO`: a malformed HELLO.
pub const PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO: u32 = 0x1000_0013;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE`: a malformed INITIATE.
pub const PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE: u32 = 0x1000_0014;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR`: a malformed ERROR.
pub const PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR: u32 = 0x1000_0015;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY`: a malformed READY.
pub const PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY: u32 = 0x1000_0016;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME`: a malformed WELCOME.
pub const PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME: u32 = 0x1000_0017;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA`: metadata that does not parse, or a peer socket
/// type that is missing, unknown or incompatible.
pub const PROTOCOL_ERROR_ZMTP_INVALID_METADATA: u32 = 0x1000_0018;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`: a CURVE box that does not open.
pub const PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: u32 = 0x1100_0001;
/// `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`: the peer's greeting names another mechanism.
pub const PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: u32 = 0x1100_0002;
/// `ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED`: a ZAP reply nobody waited for.
pub const PROTOCOL_ERROR_ZAP_UNSPECIFIED: u32 = 0x2000_0000;
/// `ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY`: a ZAP reply of the wrong shape.
pub const PROTOCOL_ERROR_ZAP_MALFORMED_REPLY: u32 = 0x2000_0001;
/// `ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID`: a ZAP reply with another request id.
pub const PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID: u32 = 0x2000_0002;
/// `ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION`: a ZAP reply of another version than 1.0.
pub const PROTOCOL_ERROR_ZAP_BAD_VERSION: u32 = 0x2000_0003;
/// `ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE`: a ZAP status code other than 200, 300, 400
/// or 500.
pub const PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE: u32 = 0x2000_0004;
/// `ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA`: ZAP reply metadata that does not parse.
pub const PROTOCOL_ERROR_ZAP_INVALID_METADATA: u32 = 0x2000_0005;

/// The `errno` values libzmq puts in some events (Linux's, else the BSDs' and macOS's).
mod errno {
    pub(super) const EPIPE: i32 = 32;
    #[cfg(target_os = "linux")]
    pub(super) const EINPROGRESS: i32 = 115;
    #[cfg(not(target_os = "linux"))]
    pub(super) const EINPROGRESS: i32 = 36;
    #[cfg(target_os = "linux")]
    pub(super) const ETIMEDOUT: i32 = 110;
    #[cfg(not(target_os = "linux"))]
    pub(super) const ETIMEDOUT: i32 = 60;
}

/// One event of a socket monitor: libzmq's `ZMQ_EVENT_*`, with the endpoint and the detail
/// libzmq reports with it ([`code`](Self::code), [`value`](Self::value),
/// [`endpoint`](Self::endpoint) give libzmq's three fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MonitorEvent {
    /// `ZMQ_EVENT_CONNECTED`: a connect attempt to `endpoint` succeeded; the handshake starts.
    /// Value 0 (libzmq's file descriptor).
    Connected {
        /// The endpoint as given to `connect`.
        endpoint: String,
    },
    /// `ZMQ_EVENT_CONNECT_DELAYED`: a tcp connect attempt to `endpoint` is under way. Value:
    /// `EINPROGRESS`, as libzmq gives it.
    ConnectDelayed {
        /// The endpoint as given to `connect`.
        endpoint: String,
    },
    /// `ZMQ_EVENT_CONNECT_RETRIED`: the next connect attempt to `endpoint` is made after
    /// `interval` (`ZMQ_RECONNECT_IVL`, grown by the backoff, with its jitter). Value: the
    /// interval in milliseconds.
    ConnectRetried {
        /// The endpoint as given to `connect`.
        endpoint: String,
        /// How long until the next attempt.
        interval: Duration,
    },
    /// `ZMQ_EVENT_LISTENING`: the socket listens on `endpoint`. Value 0.
    Listening {
        /// The endpoint as bound (with the port the OS chose).
        endpoint: String,
    },
    /// `ZMQ_EVENT_BIND_FAILED`: binding `endpoint` failed. Value: the OS's `errno`
    /// (`EADDRINUSE`, ...), 0 when there is none.
    BindFailed {
        /// The endpoint as given to `bind`.
        endpoint: String,
        /// The OS's error number.
        errno: i32,
    },
    /// `ZMQ_EVENT_ACCEPTED`: a connection was accepted through `endpoint`; its handshake
    /// starts. Value 0.
    Accepted {
        /// The listener's endpoint, as bound.
        endpoint: String,
    },
    /// `ZMQ_EVENT_ACCEPT_FAILED`: accepting a connection on `endpoint` failed (out of file
    /// descriptors, ...); the listener tries again. Value: the OS's `errno`.
    AcceptFailed {
        /// The listener's endpoint, as bound.
        endpoint: String,
        /// The OS's error number (0 when there is none).
        errno: i32,
    },
    /// `ZMQ_EVENT_CLOSED`: the listener of `endpoint` was closed (unbind, socket close), or a
    /// connect attempt to `endpoint` failed and its OS socket was closed. Value 0.
    Closed {
        /// The endpoint as bound, or as given to `connect`.
        endpoint: String,
    },
    /// `ZMQ_EVENT_CLOSE_FAILED`: closing failed. libzmq reports a failed `close(2)`; closing a
    /// Tokio socket reports nothing, so this is never produced, only parsed
    /// ([`MonitorEvent::from_message`]). Value: the `errno`.
    CloseFailed {
        /// The endpoint.
        endpoint: String,
        /// The OS's error number.
        errno: i32,
    },
    /// `ZMQ_EVENT_DISCONNECTED`: a connection ended (the peer went, a lost heartbeat, after a
    /// failed handshake, ...), not when this socket closed it (close, unbind, disconnect).
    /// Value 0.
    Disconnected {
        /// The connection's endpoint (see the [module](self) documentation).
        endpoint: String,
    },
    /// `ZMQ_EVENT_MONITOR_STOPPED`: the monitor ends (the socket was closed); the last event.
    /// Value 0, endpoint empty, as in libzmq.
    MonitorStopped,
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`: a handshake failed for a reason other than the
    /// protocol or authentication. Value: an `errno`: `EPIPE` when the peer closed the
    /// connection, `ETIMEDOUT` when `ZMQ_HANDSHAKE_IVL` ran out, the OS's for an I/O error.
    HandshakeFailedNoDetail {
        /// The connection's endpoint.
        endpoint: String,
        /// The error number.
        errno: i32,
    },
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`: a handshake failed on a protocol error. Value:
    /// libzmq's `ZMQ_PROTOCOL_ERROR_*` code ([`PROTOCOL_ERROR_ZMTP_UNSPECIFIED`] and the
    /// others): a mechanism mismatch, a malformed command (by command), invalid metadata or an
    /// incompatible socket type, an undecryptable CURVE box, a nonce out of sequence, a bad
    /// vouch, a bad ZAP reply (by defect); `ZMTP_UNSPECIFIED` for the rest (a greeting that is
    /// not ZMTP 3, a frame refused during the handshake, an ERROR command from the peer whose
    /// reason is not a ZAP status code, where libzmq 4.3 reports only `DISCONNECTED`).
    HandshakeFailedProtocol {
        /// The connection's endpoint.
        endpoint: String,
        /// The `ZMQ_PROTOCOL_ERROR_*` code.
        code: u32,
    },
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`: a handshake failed on authentication: on a server,
    /// its ZAP handler refused the client (or none was there: 500); on a client, the server's
    /// ERROR command carried a ZAP status. Value: the status code (300, 400 or 500).
    HandshakeFailedAuth {
        /// The connection's endpoint.
        endpoint: String,
        /// The ZAP status code.
        status: u16,
        /// Why, in words: on a server, the ZAP reply's status text (`"no such user"`), or ours
        /// when no handler answered; on a client, the reason of the server's ERROR command
        /// (libzmq sends the status code there, `"400"`). Not part of libzmq's wire form of the
        /// event ([`to_message`](Self::to_message)): empty in an event read from it.
        text: String,
    },
    /// `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`: a handshake completed (with its ZAP verdict); the
    /// connection carries messages from now on. Value 0.
    HandshakeSucceeded {
        /// The connection's endpoint.
        endpoint: String,
    },
}

impl MonitorEvent {
    /// libzmq's event number (`ZMQ_EVENT_*`, one bit: [`EVENT_CONNECTED`], ...).
    pub fn code(&self) -> u16 {
        match self {
            MonitorEvent::Connected { .. } => EVENT_CONNECTED,
            MonitorEvent::ConnectDelayed { .. } => EVENT_CONNECT_DELAYED,
            MonitorEvent::ConnectRetried { .. } => EVENT_CONNECT_RETRIED,
            MonitorEvent::Listening { .. } => EVENT_LISTENING,
            MonitorEvent::BindFailed { .. } => EVENT_BIND_FAILED,
            MonitorEvent::Accepted { .. } => EVENT_ACCEPTED,
            MonitorEvent::AcceptFailed { .. } => EVENT_ACCEPT_FAILED,
            MonitorEvent::Closed { .. } => EVENT_CLOSED,
            MonitorEvent::CloseFailed { .. } => EVENT_CLOSE_FAILED,
            MonitorEvent::Disconnected { .. } => EVENT_DISCONNECTED,
            MonitorEvent::MonitorStopped => EVENT_MONITOR_STOPPED,
            MonitorEvent::HandshakeFailedNoDetail { .. } => EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            MonitorEvent::HandshakeFailedProtocol { .. } => EVENT_HANDSHAKE_FAILED_PROTOCOL,
            MonitorEvent::HandshakeFailedAuth { .. } => EVENT_HANDSHAKE_FAILED_AUTH,
            MonitorEvent::HandshakeSucceeded { .. } => EVENT_HANDSHAKE_SUCCEEDED,
        }
    }

    /// libzmq's name for the event, without `ZMQ_EVENT_` (`"CONNECTED"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            MonitorEvent::Connected { .. } => "CONNECTED",
            MonitorEvent::ConnectDelayed { .. } => "CONNECT_DELAYED",
            MonitorEvent::ConnectRetried { .. } => "CONNECT_RETRIED",
            MonitorEvent::Listening { .. } => "LISTENING",
            MonitorEvent::BindFailed { .. } => "BIND_FAILED",
            MonitorEvent::Accepted { .. } => "ACCEPTED",
            MonitorEvent::AcceptFailed { .. } => "ACCEPT_FAILED",
            MonitorEvent::Closed { .. } => "CLOSED",
            MonitorEvent::CloseFailed { .. } => "CLOSE_FAILED",
            MonitorEvent::Disconnected { .. } => "DISCONNECTED",
            MonitorEvent::MonitorStopped => "MONITOR_STOPPED",
            MonitorEvent::HandshakeFailedNoDetail { .. } => "HANDSHAKE_FAILED_NO_DETAIL",
            MonitorEvent::HandshakeFailedProtocol { .. } => "HANDSHAKE_FAILED_PROTOCOL",
            MonitorEvent::HandshakeFailedAuth { .. } => "HANDSHAKE_FAILED_AUTH",
            MonitorEvent::HandshakeSucceeded { .. } => "HANDSHAKE_SUCCEEDED",
        }
    }

    /// The value libzmq puts in the event: 0 where libzmq gives a file descriptor (or nothing),
    /// the `errno`, the retry interval in milliseconds, the `ZMQ_PROTOCOL_ERROR_*` code or the
    /// ZAP status code.
    pub fn value(&self) -> u32 {
        let as_value = |e: &i32| u32::try_from(*e).unwrap_or(0);
        match self {
            MonitorEvent::ConnectDelayed { .. } => as_value(&errno::EINPROGRESS),
            MonitorEvent::ConnectRetried { interval, .. } => {
                u32::try_from(interval.as_millis()).unwrap_or(u32::MAX)
            }
            MonitorEvent::BindFailed { errno: e, .. }
            | MonitorEvent::AcceptFailed { errno: e, .. }
            | MonitorEvent::CloseFailed { errno: e, .. }
            | MonitorEvent::HandshakeFailedNoDetail { errno: e, .. } => as_value(e),
            MonitorEvent::HandshakeFailedProtocol { code, .. } => *code,
            MonitorEvent::HandshakeFailedAuth { status, .. } => u32::from(*status),
            MonitorEvent::Connected { .. }
            | MonitorEvent::Listening { .. }
            | MonitorEvent::Accepted { .. }
            | MonitorEvent::Closed { .. }
            | MonitorEvent::Disconnected { .. }
            | MonitorEvent::MonitorStopped
            | MonitorEvent::HandshakeSucceeded { .. } => 0,
        }
    }

    /// The endpoint the event is about (empty for [`MonitorEvent::MonitorStopped`]).
    pub fn endpoint(&self) -> &str {
        match self {
            MonitorEvent::Connected { endpoint }
            | MonitorEvent::ConnectDelayed { endpoint }
            | MonitorEvent::ConnectRetried { endpoint, .. }
            | MonitorEvent::Listening { endpoint }
            | MonitorEvent::BindFailed { endpoint, .. }
            | MonitorEvent::Accepted { endpoint }
            | MonitorEvent::AcceptFailed { endpoint, .. }
            | MonitorEvent::Closed { endpoint }
            | MonitorEvent::CloseFailed { endpoint, .. }
            | MonitorEvent::Disconnected { endpoint }
            | MonitorEvent::HandshakeFailedNoDetail { endpoint, .. }
            | MonitorEvent::HandshakeFailedProtocol { endpoint, .. }
            | MonitorEvent::HandshakeFailedAuth { endpoint, .. }
            | MonitorEvent::HandshakeSucceeded { endpoint } => endpoint,
            MonitorEvent::MonitorStopped => "",
        }
    }

    /// The event as libzmq's monitor socket sends it (version 1 of `zmq_socket_monitor`): two
    /// frames, the first of six bytes holding the event number (16 bits) then the value (32
    /// bits), both in the machine's byte order as libzmq writes them; the second the endpoint.
    pub fn to_message(&self) -> Message {
        let mut head = Vec::with_capacity(6);
        head.extend_from_slice(&self.code().to_ne_bytes());
        head.extend_from_slice(&self.value().to_ne_bytes());
        let mut msg = Message::single(Bytes::from(head));
        msg.push_back(Bytes::copy_from_slice(self.endpoint().as_bytes()));
        msg
    }

    /// Reads an event in libzmq's wire form ([`to_message`](Self::to_message)), from our
    /// `monitor_to` or from libzmq's monitor socket. `None` if it is not two frames of that
    /// shape, or the number is not one event of libzmq's set.
    pub fn from_message(msg: &Message) -> Option<MonitorEvent> {
        let frames = msg.frames();
        if frames.len() != 2 || frames[0].len() != 6 {
            return None;
        }
        let code = u16::from_ne_bytes([frames[0][0], frames[0][1]]);
        let value = u32::from_ne_bytes([frames[0][2], frames[0][3], frames[0][4], frames[0][5]]);
        let endpoint = String::from_utf8_lossy(&frames[1]).into_owned();
        let errno = i32::try_from(value).unwrap_or(i32::MAX);
        Some(match code {
            EVENT_CONNECTED => MonitorEvent::Connected { endpoint },
            EVENT_CONNECT_DELAYED => MonitorEvent::ConnectDelayed { endpoint },
            EVENT_CONNECT_RETRIED => MonitorEvent::ConnectRetried {
                endpoint,
                interval: Duration::from_millis(u64::from(value)),
            },
            EVENT_LISTENING => MonitorEvent::Listening { endpoint },
            EVENT_BIND_FAILED => MonitorEvent::BindFailed { endpoint, errno },
            EVENT_ACCEPTED => MonitorEvent::Accepted { endpoint },
            EVENT_ACCEPT_FAILED => MonitorEvent::AcceptFailed { endpoint, errno },
            EVENT_CLOSED => MonitorEvent::Closed { endpoint },
            EVENT_CLOSE_FAILED => MonitorEvent::CloseFailed { endpoint, errno },
            EVENT_DISCONNECTED => MonitorEvent::Disconnected { endpoint },
            EVENT_MONITOR_STOPPED => MonitorEvent::MonitorStopped,
            EVENT_HANDSHAKE_FAILED_NO_DETAIL => {
                MonitorEvent::HandshakeFailedNoDetail { endpoint, errno }
            }
            EVENT_HANDSHAKE_FAILED_PROTOCOL => MonitorEvent::HandshakeFailedProtocol {
                endpoint,
                code: value,
            },
            EVENT_HANDSHAKE_FAILED_AUTH => MonitorEvent::HandshakeFailedAuth {
                endpoint,
                status: u16::try_from(value).unwrap_or(u16::MAX),
                text: String::new(),
            },
            EVENT_HANDSHAKE_SUCCEEDED => MonitorEvent::HandshakeSucceeded { endpoint },
            _ => return None,
        })
    }
}

impl fmt::Display for MonitorEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if !self.endpoint().is_empty() {
            write!(f, " {}", self.endpoint())?;
        }
        match self {
            MonitorEvent::ConnectRetried { interval, .. } => write!(f, " in {interval:?}"),
            MonitorEvent::HandshakeFailedProtocol { code, .. } => write!(f, " ({code:#x})"),
            MonitorEvent::HandshakeFailedAuth { status, text, .. } if text.is_empty() => {
                write!(f, " ({status})")
            }
            MonitorEvent::HandshakeFailedAuth { status, text, .. } => {
                write!(f, " ({status} {text:?})")
            }
            MonitorEvent::BindFailed { errno, .. }
            | MonitorEvent::AcceptFailed { errno, .. }
            | MonitorEvent::CloseFailed { errno, .. }
            | MonitorEvent::HandshakeFailedNoDetail { errno, .. } => {
                write!(f, " ({})", std::io::Error::from_raw_os_error(*errno))
            }
            _ => Ok(()),
        }
    }
}

/// A socket monitor: a [`futures::Stream`] of the socket's [`MonitorEvent`]s, from its creation
/// on, ending after [`MonitorEvent::MonitorStopped`] when the socket is closed. Dropping it
/// unregisters it.
///
/// It keeps at most [`MONITOR_QUEUE`] unread events, dropping the oldest beyond that
/// ([`dropped`](Self::dropped) counts them).
pub struct Monitor {
    queue: Arc<Queue>,
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.queue.state.lock();
        f.debug_struct("Monitor")
            .field("mask", &format_args!("{:#06x}", self.queue.mask))
            .field("queued", &state.events.len())
            .field("dropped", &state.dropped)
            .field("stopped", &state.stopped)
            .finish()
    }
}

impl Monitor {
    /// How many events were dropped because the reader fell [`MONITOR_QUEUE`] events behind.
    pub fn dropped(&self) -> u64 {
        self.queue.state.lock().dropped
    }

    /// The next event if one is queued, without waiting (`None` also once the stream ended).
    pub fn try_recv(&mut self) -> Option<MonitorEvent> {
        self.queue.state.lock().events.pop_front()
    }
}

impl futures::Stream for Monitor {
    type Item = MonitorEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MonitorEvent>> {
        let mut state = self.queue.state.lock();
        if let Some(event) = state.events.pop_front() {
            return Poll::Ready(Some(event));
        }
        if state.stopped {
            return Poll::Ready(None);
        }
        if !state
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            state.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// One monitor's queue.
struct Queue {
    /// The events it takes (`ZMQ_EVENT_*` bits).
    mask: u16,
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    events: VecDeque<MonitorEvent>,
    dropped: u64,
    stopped: bool,
    waker: Option<Waker>,
}

impl Queue {
    /// Queues `event`, dropping the oldest if full; `stop`: the last one.
    fn push(&self, event: MonitorEvent, stop: bool) {
        let waker = {
            let mut state = self.state.lock();
            if state.stopped {
                return;
            }
            if self.mask & event.code() != 0 {
                if state.events.len() >= MONITOR_QUEUE {
                    state.events.pop_front();
                    state.dropped += 1;
                }
                state.events.push_back(event);
            }
            state.stopped = stop;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A socket's monitors. Connections hold it through their settings; events are made only when
/// a monitor exists.
#[derive(Default)]
pub(crate) struct Monitors {
    inner: Mutex<Hub>,
}

#[derive(Default)]
struct Hub {
    queues: Vec<Weak<Queue>>,
    /// The socket was closed: nothing more is reported.
    stopped: bool,
}

impl fmt::Debug for Monitors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hub = self.inner.lock();
        f.debug_struct("Monitors")
            .field("monitors", &hub.queues.len())
            .field("stopped", &hub.stopped)
            .finish()
    }
}

impl Monitors {
    /// A new monitor taking the events of `mask`.
    pub(crate) fn register(&self, mask: u16) -> Monitor {
        let queue = Arc::new(Queue {
            mask,
            state: Mutex::new(QueueState::default()),
        });
        let mut hub = self.inner.lock();
        if hub.stopped {
            queue.push(MonitorEvent::MonitorStopped, true);
        } else {
            hub.queues.retain(|q| q.strong_count() > 0);
            hub.queues.push(Arc::downgrade(&queue));
        }
        Monitor { queue }
    }

    /// Reports the event `make` gives to every monitor (it is made only if there is one).
    pub(crate) fn emit(&self, make: impl FnOnce() -> MonitorEvent) {
        let mut hub = self.inner.lock();
        if hub.stopped || hub.queues.is_empty() {
            return;
        }
        let live: Vec<Arc<Queue>> = hub.queues.iter().filter_map(Weak::upgrade).collect();
        if live.len() != hub.queues.len() {
            hub.queues.retain(|q| q.strong_count() > 0);
        }
        if live.is_empty() {
            return;
        }
        let event = make();
        for queue in &live {
            queue.push(event.clone(), false);
        }
    }

    /// The socket closed: each monitor gets `MONITOR_STOPPED` and ends; nothing more is
    /// reported.
    pub(crate) fn stop(&self) {
        let mut hub = self.inner.lock();
        hub.stopped = true;
        for queue in hub.queues.drain(..).filter_map(|q| q.upgrade()) {
            queue.push(MonitorEvent::MonitorStopped, true);
        }
    }

    /// The events of a connection that ended (`ready`: its handshake had completed), as
    /// libzmq reports them: the handshake failure, if it failed, then `DISCONNECTED`; nothing
    /// when the socket itself ended it (close, unbind).
    pub(crate) fn connection_ended(&self, endpoint: &str, exit: &Exit, ready: bool) {
        if matches!(exit, Exit::SocketClosed | Exit::Unbound) {
            return;
        }
        if !ready {
            if let Some(failure) = handshake_failure(exit, endpoint) {
                self.emit(|| failure);
            }
        }
        self.emit(|| MonitorEvent::Disconnected {
            endpoint: endpoint.to_owned(),
        });
    }
}

/// The handshake failure event for a connection that ended before its handshake completed.
fn handshake_failure(exit: &Exit, endpoint: &str) -> Option<MonitorEvent> {
    let endpoint = endpoint.to_owned();
    let no_detail = |errno| MonitorEvent::HandshakeFailedNoDetail {
        endpoint: endpoint.clone(),
        errno,
    };
    let reason = match exit {
        Exit::SocketClosed | Exit::Unbound => return None,
        Exit::Io(e) => return Some(no_detail(e.raw_os_error().unwrap_or(0))),
        Exit::Mechanism(_) => return Some(no_detail(0)),
        Exit::Connection(reason) => reason,
    };
    let code = match reason {
        // Closed locally (a PAIR refusing a second peer after the handshake): no failure.
        ConnectionError::Closed => return None,
        // libzmq refuses a legacy peer with `error (protocol_error)` and no event of its own:
        // only DISCONNECTED follows (the tracing event gives the reason).
        ConnectionError::LegacyPeerRefused(_) => return None,
        ConnectionError::PeerClosed { .. } => return Some(no_detail(errno::EPIPE)),
        ConnectionError::HandshakeTimeout
        | ConnectionError::HeartbeatTimeout
        | ConnectionError::TtlExpired => return Some(no_detail(errno::ETIMEDOUT)),
        ConnectionError::Mechanism(MechanismError::Refused { status, text }) => {
            return Some(MonitorEvent::HandshakeFailedAuth {
                endpoint,
                status: *status,
                text: text.clone(),
            })
        }
        ConnectionError::Mechanism(MechanismError::PeerError { reason }) => {
            match zap_status(reason) {
                Some(status) => {
                    return Some(MonitorEvent::HandshakeFailedAuth {
                        endpoint,
                        status,
                        text: reason.clone(),
                    })
                }
                None => PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
            }
        }
        ConnectionError::Mechanism(MechanismError::Gssapi(_)) => return Some(no_detail(0)),
        other => protocol_error_code(other),
    };
    Some(MonitorEvent::HandshakeFailedProtocol { endpoint, code })
}

/// A ZAP status code (300, 400, 500) sent as an ERROR command's reason, as libzmq reads it.
fn zap_status(reason: &str) -> Option<u16> {
    match reason {
        "300" => Some(300),
        "400" => Some(400),
        "500" => Some(500),
        _ => None,
    }
}

/// libzmq's `ZMQ_PROTOCOL_ERROR_*` code for a protocol error.
fn protocol_error_code(reason: &ConnectionError) -> u32 {
    match reason {
        ConnectionError::MechanismMismatch { .. } => PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
        ConnectionError::Command(e) => command_error_code(e),
        ConnectionError::MessageBeforeReady => PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
        ConnectionError::Mechanism(e) => match e {
            MechanismError::UnexpectedCommand { .. } => PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
            MechanismError::Command(e) => command_error_code(e),
            MechanismError::MissingSocketType
            | MechanismError::UnknownSocketType(_)
            | MechanismError::IncompatibleSocketType { .. } => PROTOCOL_ERROR_ZMTP_INVALID_METADATA,
            MechanismError::WrongSize { command, .. } => malformed(command),
            MechanismError::UnsupportedVersion { command, .. } => malformed(command),
            MechanismError::DecryptFailed { .. } | MechanismError::EncryptFailed { .. } => {
                PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC
            }
            MechanismError::NonceNotIncreasing { .. } => PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE,
            MechanismError::VouchMismatch => PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE,
            MechanismError::UnexpectedZapReply => PROTOCOL_ERROR_ZAP_UNSPECIFIED,
            MechanismError::ZapMalformed { reason } => zap_malformed_code(reason),
            _ => PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
        },
        ConnectionError::Greeting(GreetingError::NotZmtp { .. }) | ConnectionError::Frame(_) => {
            PROTOCOL_ERROR_ZMTP_UNSPECIFIED
        }
        _ => PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
    }
}

fn command_error_code(e: &CommandError) -> u32 {
    match e {
        CommandError::Malformed { command, .. } => malformed(command),
        CommandError::Metadata { .. } => PROTOCOL_ERROR_ZMTP_INVALID_METADATA,
        CommandError::Empty | CommandError::NameTruncated { .. } => {
            PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED
        }
    }
}

/// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_*` for a command by name.
fn malformed(command: &str) -> u32 {
    match command {
        "MESSAGE" => PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE,
        "HELLO" => PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
        "INITIATE" => PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE,
        "ERROR" => PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR,
        "READY" => PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY,
        "WELCOME" => PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME,
        _ => PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
    }
}

/// The `ZMQ_PROTOCOL_ERROR_ZAP_*` code of a malformed ZAP reply, from what is wrong with it.
fn zap_malformed_code(reason: &str) -> u32 {
    if reason.contains("version") {
        PROTOCOL_ERROR_ZAP_BAD_VERSION
    } else if reason.contains("request id") {
        PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID
    } else if reason.contains("status code") {
        PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE
    } else if reason.contains("metadata") {
        PROTOCOL_ERROR_ZAP_INVALID_METADATA
    } else {
        PROTOCOL_ERROR_ZAP_MALFORMED_REPLY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn listening(n: usize) -> MonitorEvent {
        MonitorEvent::Listening {
            endpoint: format!("tcp://127.0.0.1:{n}"),
        }
    }

    #[test]
    fn wire_form_round_trips() {
        let events = [
            MonitorEvent::ConnectRetried {
                endpoint: "tcp://127.0.0.1:5555".into(),
                interval: Duration::from_millis(110),
            },
            MonitorEvent::HandshakeFailedAuth {
                endpoint: "ipc:///tmp/x".into(),
                status: 400,
                text: String::new(),
            },
            MonitorEvent::HandshakeFailedProtocol {
                endpoint: "tcp://[::1]:1".into(),
                code: PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
            },
            MonitorEvent::MonitorStopped,
        ];
        for event in events {
            let msg = event.to_message();
            let head = &msg.frames()[0];
            assert_eq!(head.len(), 6);
            assert_eq!(u16::from_ne_bytes([head[0], head[1]]), event.code());
            assert_eq!(
                u32::from_ne_bytes([head[2], head[3], head[4], head[5]]),
                event.value()
            );
            assert_eq!(&msg.frames()[1][..], event.endpoint().as_bytes());
            assert_eq!(MonitorEvent::from_message(&msg), Some(event));
        }
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts() {
        let monitors = Monitors::default();
        let mut monitor = monitors.register(EVENT_ALL);
        for n in 0..MONITOR_QUEUE + 10 {
            monitors.emit(|| listening(n));
        }
        assert_eq!(monitor.dropped(), 10);
        assert_eq!(monitor.try_recv(), Some(listening(10)));
        monitors.stop();
        let rest: Vec<_> = futures::executor::block_on(monitor.by_ref().collect());
        assert_eq!(
            rest.len(),
            MONITOR_QUEUE,
            "the other events, then MONITOR_STOPPED"
        );
        assert_eq!(rest.last(), Some(&MonitorEvent::MonitorStopped));
    }

    #[test]
    fn masks_filter_and_dropped_monitors_unregister() {
        let monitors = Monitors::default();
        let mut only_closed = monitors.register(EVENT_CLOSED);
        let gone = monitors.register(EVENT_ALL);
        drop(gone);
        monitors.emit(|| listening(1));
        monitors.emit(|| MonitorEvent::Closed {
            endpoint: "x".into(),
        });
        assert_eq!(monitors.inner.lock().queues.len(), 1);
        assert_eq!(
            only_closed.try_recv(),
            Some(MonitorEvent::Closed {
                endpoint: "x".into()
            })
        );
        assert_eq!(only_closed.try_recv(), None);
    }

    #[test]
    fn protocol_codes() {
        let failure = |reason: ConnectionError| {
            handshake_failure(&Exit::Connection(reason), "e").map(|e| (e.code(), e.value()))
        };
        assert_eq!(
            failure(ConnectionError::Mechanism(MechanismError::PeerError {
                reason: "400".into()
            })),
            Some((EVENT_HANDSHAKE_FAILED_AUTH, 400))
        );
        assert_eq!(
            failure(ConnectionError::Mechanism(MechanismError::DecryptFailed {
                what: "HELLO"
            })),
            Some((
                EVENT_HANDSHAKE_FAILED_PROTOCOL,
                PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC
            ))
        );
        assert_eq!(
            failure(ConnectionError::Mechanism(MechanismError::WrongSize {
                command: "HELLO",
                expected: 200,
                got: 3
            })),
            Some((
                EVENT_HANDSHAKE_FAILED_PROTOCOL,
                PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO
            ))
        );
        assert_eq!(
            failure(ConnectionError::PeerClosed {
                during_handshake: true
            }),
            Some((EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno::EPIPE as u32))
        );
        assert_eq!(failure(ConnectionError::Closed), None);
    }
}

//! The socket layer's error: one type whose variants carry libzmq's meanings.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::endpoint::EndpointError;

/// What went wrong in a socket operation. The libzmq errno each variant corresponds to is in its
/// doc, for users porting code.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation cannot complete now and the caller asked not to wait (`EAGAIN` with
    /// `ZMQ_DONTWAIT`).
    #[error("the operation would block (EAGAIN)")]
    WouldBlock,
    /// `ZMQ_SNDTIMEO` or `ZMQ_RCVTIMEO` passed (`EAGAIN`).
    #[error("timed out after {0:?} (EAGAIN)")]
    Timeout(Duration),
    /// A ROUTER with `ZMQ_ROUTER_MANDATORY` has no peer with this routing id (`EHOSTUNREACH`).
    #[error("no peer with routing id {0:?} (EHOSTUNREACH)")]
    HostUnreachable(Bytes),
    /// The call is not allowed in the socket's current state, e.g. a REQ sending twice
    /// (`EFSM`).
    #[error("{0} (EFSM)")]
    InvalidState(&'static str),
    /// The socket was closed (`ENOTSOCK`, or `ETERM` as libzmq reports a socket closed by its
    /// context's termination): by [`Socket::close`](crate::Socket::close), or every handle
    /// but this operation's gone. A socket of a terminated context reports
    /// [`Error::ContextTerminated`] instead; [`Error::is_closed`] takes both.
    #[error("the socket is closed (ETERM)")]
    Closed,
    /// The socket's context was terminated ([`Context::term`](crate::Context::term), libzmq's
    /// `ETERM`): making a socket in it, binding, connecting, sending and receiving all fail
    /// with this.
    #[error("the socket's context was terminated (ETERM)")]
    ContextTerminated,
    /// An option value libzmq would refuse (`EINVAL`); the error names the option.
    #[error(transparent)]
    Option(#[from] crate::options::OptionError),
    /// The endpoint does not parse or names a transport that is not supported.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// `unbind` or `disconnect` of an endpoint the socket is not bound or connected to
    /// (`ENOENT`).
    #[error("not bound or connected to {0} (ENOENT)")]
    NotFound(String),
    /// An operating-system error on an endpoint (bind: address in use, no such device, ...).
    #[error("{op} {endpoint}: {source}")]
    Io {
        /// What was being done: "bind", "connect", ...
        op: &'static str,
        /// The endpoint concerned.
        endpoint: String,
        /// The OS error.
        source: Arc<io::Error>,
    },
    /// The peer's socket type cannot talk to this one (a PUSH connecting to a PUSH over
    /// inproc): the connection is not made.
    #[error("a {ours} socket cannot connect to a {peer} socket (incompatible socket types)")]
    IncompatibleSocketTypes {
        /// This socket's type.
        ours: zmtp_codec::SocketType,
        /// The peer's type.
        peer: zmtp_codec::SocketType,
    },
    /// A context setting libzmq would refuse (`EINVAL`), e.g. `ZMQ_IO_THREADS` of 0.
    #[error("{0} (EINVAL)")]
    InvalidArgument(&'static str),
    /// A message without frames cannot be sent.
    #[error("a message needs at least one frame")]
    EmptyMessage,
    /// A tcp or ipc bind or connect whose `ZMQ_AFFINITY` names none of the context's I/O
    /// threads (libzmq's `EMTHREAD`): bit `i` of the mask is I/O thread `i`.
    #[error("ZMQ_AFFINITY {affinity:#x} names none of the context's {io_threads} I/O thread(s) (EMTHREAD)")]
    NoIoThread {
        /// The socket's `ZMQ_AFFINITY`.
        affinity: u64,
        /// How many I/O threads the context has.
        io_threads: usize,
    },
}

impl Error {
    /// Whether the socket is gone: [`Error::Closed`] or [`Error::ContextTerminated`] (libzmq
    /// reports both as `ETERM`). Nothing more can be done with it.
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed | Error::ContextTerminated)
    }

    pub(crate) fn io(op: &'static str, endpoint: impl ToString, source: io::Error) -> Error {
        Error::Io {
            op,
            endpoint: endpoint.to_string(),
            source: Arc::new(source),
        }
    }
}

/// For code that speaks `std::io` (`?` in a function returning `io::Result`): the kind is the
/// nearest `io::ErrorKind` (`WouldBlock`, `TimedOut`, `NotConnected` for a closed socket,
/// `HostUnreachable`, `InvalidInput`, `NotFound`, the OS error's own kind), and the message is
/// this error's.
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = match &e {
            Error::WouldBlock => io::ErrorKind::WouldBlock,
            Error::Timeout(_) => io::ErrorKind::TimedOut,
            Error::Closed | Error::ContextTerminated => io::ErrorKind::NotConnected,
            Error::HostUnreachable(_) => io::ErrorKind::HostUnreachable,
            Error::NotFound(_) => io::ErrorKind::NotFound,
            Error::Io { source, .. } => source.kind(),
            Error::Option(_)
            | Error::Endpoint(_)
            | Error::InvalidArgument(_)
            | Error::EmptyMessage
            | Error::IncompatibleSocketTypes { .. } => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}

/// The result of socket operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_becomes_an_io_error_of_the_nearest_kind_with_its_message() {
        let cases = [
            (Error::WouldBlock, io::ErrorKind::WouldBlock),
            (
                Error::Timeout(Duration::from_millis(5)),
                io::ErrorKind::TimedOut,
            ),
            (Error::Closed, io::ErrorKind::NotConnected),
            (Error::ContextTerminated, io::ErrorKind::NotConnected),
            (
                Error::HostUnreachable(Bytes::from_static(b"x")),
                io::ErrorKind::HostUnreachable,
            ),
            (Error::EmptyMessage, io::ErrorKind::InvalidInput),
            (
                Error::io(
                    "bind",
                    "tcp://127.0.0.1:1",
                    io::Error::from(io::ErrorKind::AddrInUse),
                ),
                io::ErrorKind::AddrInUse,
            ),
            (Error::InvalidState("a REQ must"), io::ErrorKind::Other),
        ];
        for (error, kind) in cases {
            let text = error.to_string();
            let converted = io::Error::from(error);
            assert_eq!(converted.kind(), kind, "{text}");
            assert_eq!(converted.to_string(), text);
        }
    }
}

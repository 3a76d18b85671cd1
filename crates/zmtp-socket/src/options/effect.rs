//! When a changed option takes effect on a live socket, in libzmq.
//!
//! libzmq lets every option of the table be set at any time; none is refused because the socket
//! is bound or connected. What differs is when the new value is used. libzmq copies the socket's
//! options into each listener when `zmq_bind` is called and into each session when
//! `zmq_connect` is called; the connections those make or accept later, reconnections
//! included, run with that copy. So most options reach only binds and connects made after the
//! change ([`OptionEffect::NextBindOrConnect`]), as the man page says of the security options.
//! The few the socket itself consults act at once.

/// When a change of an option takes effect (libzmq 4.2 and 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionEffect {
    /// The socket consults it on every operation, or applies it to its existing connections
    /// when it changes: timeouts, linger, subscriptions, the routing modes of ROUTER, REQ and
    /// XPUB, and the high-water marks (libzmq resizes existing pipes since 4.2).
    Immediate,
    /// Read by the socket each time a connection is attached (made, accepted or re-made): the
    /// connections already attached are not affected (`ZMQ_PROBE_ROUTER`,
    /// `ZMQ_XPUB_WELCOME_MSG`).
    NextConnection,
    /// Copied when `bind` or `connect` is called: endpoints set up before the change, and every
    /// connection they make or accept later (reconnections too), keep the old value.
    NextBindOrConnect,
    /// Used by the next `connect` only, then forgotten (`ZMQ_CONNECT_RID`).
    NextConnectOnly,
}

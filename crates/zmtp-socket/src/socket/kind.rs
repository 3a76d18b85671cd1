//! The socket types: one marker type per ZeroMQ socket type, what it can do (send, receive,
//! subscribe), its pattern, and its name as a [`Socket`](super::Socket) (`Push` is
//! `Socket<kind::Push>`).
//!
//! A new socket type is a [`SocketType`] (the codec's: its name and which peers it talks to),
//! one marker here with its capabilities and pattern, and, when no pattern fits, a pattern module
//! in the core (`core/pattern/`): see `docs/architecture.md`.

use zmtp_codec::SocketType;

use crate::core::pattern::{
    load_balance::LoadBalance, pair::Pair as PairPattern, pubsub, radio_dish, request_reply,
    routing, server, single_frame::SingleFrame, stream, Pattern,
};

mod sealed {
    /// Only this crate's socket types are [`Kind`](super::Kind)s.
    #[allow(unreachable_pub)]
    pub trait Sealed {}
}

/// A ZeroMQ socket type, as the type parameter of [`Socket`](super::Socket): one of the
/// markers below, whose type is fixed ([`Typed`]), or [`Any`], whose type is chosen when the
/// socket is made.
pub trait Kind: sealed::Sealed + Send + Sync + std::fmt::Debug + 'static {}

/// A marker that fixes the socket type (every marker but [`Any`]): its sockets are made with
/// [`Socket::new`](super::Socket::new) and the other constructors of the generic socket.
pub trait Typed: Kind {
    /// The socket type (`ZMQ_PUSH`, ...).
    const TYPE: SocketType;
}

/// A socket type that sends: [`Socket::send`](super::Socket::send),
/// [`Socket::try_send`](super::Socket::try_send), [`futures::Sink`].
pub trait Sends: Kind {}

/// A socket type that receives: [`Socket::recv`](super::Socket::recv),
/// [`Socket::try_recv`](super::Socket::try_recv), [`futures::Stream`].
pub trait Receives: Kind {}

/// Whether a socket of type `t` sends: what [`Sends`] says of the fixed markers, for a socket
/// whose type is known only when it runs ([`Any`]).
pub(crate) const fn sends(t: SocketType) -> bool {
    !matches!(
        t,
        SocketType::Pull | SocketType::Sub | SocketType::Gather | SocketType::Dish
    )
}

/// Whether a socket of type `t` receives: what [`Receives`] says of the fixed markers.
pub(crate) const fn receives(t: SocketType) -> bool {
    !matches!(
        t,
        SocketType::Push | SocketType::Pub | SocketType::Scatter | SocketType::Radio
    )
}

/// Whether a socket of type `t` carries an address with each message (SERVER's and PEER's
/// routing id, RADIO's and DISH's group): its typed socket sends and receives through methods of
/// its own (`Server::send_to`, `Radio::send_to_group`, ...), not the generic
/// [`Sends`]/[`Receives`] ones, so that the address is never a frame the caller has to make.
/// As an [`Any`] socket, the address is the message's first frame (a SERVER sends and
/// receives `[routing id (4 bytes, big-endian), body]`, a RADIO sends `[group, body]`).
pub(crate) const fn addressed(t: SocketType) -> bool {
    matches!(
        t,
        SocketType::Server | SocketType::Peer | SocketType::Radio | SocketType::Dish
    )
}

/// What each socket type does with its pipes (the core's pattern for it). The one place a
/// socket type is matched on.
pub(crate) fn pattern_for(socket_type: SocketType) -> Box<dyn Pattern> {
    match socket_type {
        SocketType::Push => Box::new(LoadBalance::push()),
        SocketType::Pull => Box::new(LoadBalance::pull()),
        SocketType::Dealer => Box::new(LoadBalance::dealer()),
        SocketType::Pair => Box::new(PairPattern),
        SocketType::Req => Box::new(request_reply::Req::default()),
        SocketType::Rep => Box::new(request_reply::Rep::default()),
        SocketType::Router => Box::new(routing::Router::default()),
        SocketType::Pub => Box::new(pubsub::Publisher::new(false)),
        SocketType::XPub => Box::new(pubsub::Publisher::new(true)),
        SocketType::Sub => Box::new(pubsub::Subscriber::new(true)),
        SocketType::XSub => Box::new(pubsub::Subscriber::new(false)),
        SocketType::Stream => Box::new(stream::Stream::default()),
        SocketType::Client => Box::new(SingleFrame::new(LoadBalance::dealer())),
        SocketType::Scatter => Box::new(SingleFrame::new(LoadBalance::push())),
        SocketType::Gather => Box::new(SingleFrame::new(LoadBalance::pull())),
        SocketType::Channel => Box::new(SingleFrame::new(PairPattern)),
        SocketType::Server | SocketType::Peer => Box::new(server::Server::default()),
        SocketType::Radio => Box::new(radio_dish::Radio::default()),
        SocketType::Dish => Box::new(radio_dish::Dish::default()),
    }
}

macro_rules! capability {
    (true, $cap:ident, $name:ident) => {
        impl $cap for $name {}
    };
    (false, $cap:ident, $name:ident) => {};
}

macro_rules! kind {
    ($(#[$doc:meta])* $name:ident = $ty:expr, sends: $sends:tt, receives: $receives:tt) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub enum $name {}

        impl sealed::Sealed for $name {}

        impl Kind for $name {}

        impl Typed for $name {
            const TYPE: SocketType = $ty;
        }

        // The capabilities granted here are the ones the type has at run time (an addressed
        // type has its own typed methods instead).
        const _: () = assert!(if addressed($ty) {
            !$sends && !$receives
        } else {
            sends($ty) == $sends && receives($ty) == $receives
        });

        capability!($sends, Sends, $name);
        capability!($receives, Receives, $name);
    };
}

kind!(
    /// `ZMQ_PUSH`: sends round-robin to its PULL peers, waiting while every peer's queue is at
    /// `ZMQ_SNDHWM` (or there is no peer yet).
    Push = SocketType::Push, sends: true, receives: false
);
kind!(
    /// `ZMQ_PULL`: receives fair-queued from its PUSH peers.
    Pull = SocketType::Pull, sends: false, receives: true
);
kind!(
    /// `ZMQ_DEALER`: asynchronous request/reply: sends round-robin to its peers (REP, ROUTER,
    /// DEALER) and receives fair-queued from them, adding and removing no envelope.
    Dealer = SocketType::Dealer, sends: true, receives: true
);
kind!(
    /// `ZMQ_PAIR`: an exclusive pair: one peer at a time, messages both ways. A second peer's
    /// connection is closed once its handshake is done, as libzmq drops a second pipe.
    Pair = SocketType::Pair, sends: true, receives: true
);
kind!(
    /// `ZMQ_REQ`: the client of request/reply. It sends a request, load-balanced over its
    /// peers, then receives that request's reply, strictly in turn, and only from the peer it
    /// asked. The empty delimiter frame (and with `ZMQ_REQ_CORRELATE` the request id before
    /// it) is added on send and removed on receive: the caller sees only bodies.
    ///
    /// Shared between tasks, the alternation holds for the socket, not per task: while a
    /// request waits for room or for its reply, another send is
    /// [`Error::InvalidState`](crate::Error::InvalidState) (`EFSM`; with `ZMQ_REQ_RELAXED`, a
    /// new request may follow one that went out), and a receive before any request is too.
    Req = SocketType::Req, sends: true, receives: true
);
kind!(
    /// `ZMQ_REP`: the server of request/reply. It receives requests fair-queued from its peers
    /// and sends each reply back to the peer that asked, strictly in turn. The request's
    /// envelope (every frame up to the empty delimiter, as REQ, DEALER and ROUTER hops made it)
    /// is kept and put back on the reply; the caller sees only bodies. A request without a
    /// delimiter is dropped, as libzmq does. A reply never waits: it is dropped if the peer that
    /// asked is gone or its queue is at `ZMQ_SNDHWM`, as libzmq drops it.
    ///
    /// Shared between tasks, the alternation holds for the socket: a receive while a reply is
    /// due, or a reply before a request, is [`Error::InvalidState`](crate::Error::InvalidState)
    /// (`EFSM`). To answer requests concurrently, use a ROUTER.
    Rep = SocketType::Rep, sends: true, receives: true
);
kind!(
    /// `ZMQ_ROUTER`: addresses peers by routing id. Every message received is prefixed with the
    /// routing id of the peer it came from; every message sent starts with the routing id of
    /// the peer it goes to. Peers are fair-queued on receive.
    ///
    /// A peer's routing id is its `ZMQ_ROUTING_ID` when it set one, `ZMQ_CONNECT_RID` for a
    /// peer this socket connected to with that option set, or else a 5-byte id the socket makes
    /// up (a zero byte and a counter). A second peer announcing an id in use is ignored, unless
    /// `ZMQ_ROUTER_HANDOVER` is set, when it takes the id over. A message for a peer that is not
    /// connected, or whose queue is at `ZMQ_SNDHWM`, is dropped silently, as libzmq does, unless
    /// `ZMQ_ROUTER_MANDATORY` is set: then an unknown peer is
    /// [`Error::HostUnreachable`](crate::Error::HostUnreachable) (`EHOSTUNREACH`) and a full
    /// queue makes the send wait for room.
    Router = SocketType::Router, sends: true, receives: true
);
kind!(
    /// `ZMQ_PUB`: sends each message to every subscriber whose subscriptions match it (a prefix
    /// of its first frame); receives nothing. A subscriber whose queue is full misses messages
    /// (libzmq drops them), so a slow subscriber never holds the others back, unless
    /// `ZMQ_XPUB_NODROP`: then a send waits while a matching peer is full. With no subscriber
    /// the message goes nowhere.
    Pub = SocketType::Pub, sends: true, receives: false
);
kind!(
    /// `ZMQ_SUB`: receives what its publishers send that matches its subscriptions
    /// ([`Socket::subscribe`](super::Socket::subscribe); `b""` for everything, nothing at first). Subscriptions are sent
    /// to every publisher it is connected to (again after a reconnect), and filtered here too.
    /// They are counted, as in libzmq: subscribing twice to a prefix needs two unsubscribes.
    Sub = SocketType::Sub, sends: false, receives: true
);
kind!(
    /// `ZMQ_XPUB`: a PUB that also receives: the subscriptions and cancels of its subscribers
    /// (a message of byte 1 or 0 then the prefix; by default only the first subscription of a
    /// prefix and the cancel of its last, every one with `ZMQ_XPUB_VERBOSE` /
    /// `ZMQ_XPUB_VERBOSER`), and any other message a subscriber (an XSUB) sends. With
    /// `ZMQ_XPUB_MANUAL` the subscriptions are not applied by themselves: the application
    /// applies them with [`Socket::subscribe`](super::Socket::subscribe).
    XPub = SocketType::XPub, sends: true, receives: true
);
kind!(
    /// `ZMQ_XSUB`: a SUB whose subscriptions are messages the application sends (byte 1 then
    /// the prefix to subscribe, byte 0 then the prefix to cancel; or [`Socket::subscribe`](super::Socket::subscribe)),
    /// and which passes up everything its publishers send, unfiltered. Other messages it sends
    /// go to every publisher with room (libzmq 4.2+); a send never waits. Built for devices: an
    /// XSUB facing the publishers, an XPUB facing the subscribers.
    XSub = SocketType::XSub, sends: true, receives: true
);
kind!(
    /// `ZMQ_STREAM`: raw bytes with peers that are not ZeroMQ (an HTTP client, a line protocol
    /// server), over `tcp://` or `ipc://`. No ZMTP greeting or framing is ever sent or
    /// expected; each connection is told apart by routing id as a ROUTER does.
    ///
    /// - Each connection gets a routing id: `ZMQ_CONNECT_RID` for a connect made with that
    ///   option set, else a 5-byte id the socket makes up. A connect keeps its id across
    ///   reconnections.
    /// - A receive yields `[routing id, bytes]`, one message per read: a large transfer arrives
    ///   as several messages whose concatenation is what the peer wrote.
    /// - With `ZMQ_STREAM_NOTIFY` (on by default, as in libzmq), a new connection is announced
    ///   by `[routing id, empty]`, and so is its loss (the peer closed it, or it failed).
    /// - A send of `[routing id, data...]` writes the data frames, one after the other, to that
    ///   connection; `[routing id, empty]` closes it once what was sent before is written (a
    ///   connect is then not remade).
    /// - An unknown routing id is [`Error::HostUnreachable`](crate::Error::HostUnreachable)
    ///   (`EHOSTUNREACH`), always; a connection whose queue is at `ZMQ_SNDHWM` makes the send
    ///   wait, for at most `ZMQ_SNDTIMEO`.
    ///
    /// A ROUTER with `ZMQ_ROUTER_RAW` (libzmq's deprecated spelling of this socket) speaks raw
    /// bytes the same way, with the notifications always on and ROUTER's routing rules.
    Stream = SocketType::Stream, sends: true, receives: true
);

kind!(
    /// `ZMQ_CLIENT` (libzmq 4.3 draft): the client of single-frame request/reply with a SERVER.
    /// Sends round-robin to its peers and receives fair-queued from them, as a DEALER does,
    /// with single-frame messages only: a multipart send is
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) (`EINVAL`), and a multipart
    /// message from a peer is dropped.
    Client = SocketType::Client, sends: true, receives: true
);
kind!(
    /// `ZMQ_SERVER` (libzmq 4.3 draft): the server of single-frame request/reply. Each peer
    /// gets a 32-bit [`RoutingId`](crate::RoutingId); a request comes with its peer's id
    /// ([`Socket::recv_from`](super::Socket::recv_from)) and a reply goes to the peer its id
    /// names ([`Socket::send_to`](super::Socket::send_to)). An unknown id is
    /// [`Error::HostUnreachable`](crate::Error::HostUnreachable) (`EHOSTUNREACH`); a peer whose
    /// queue is at `ZMQ_SNDHWM` makes the send wait. Single-frame messages only.
    Server = SocketType::Server, sends: false, receives: false
);
kind!(
    /// `ZMQ_RADIO` (libzmq 4.3 draft): sends each single-frame message to the DISHes that
    /// joined its group ([`Socket::send_to_group`](super::Socket::send_to_group)); a DISH whose
    /// queue is full misses it, unless `ZMQ_XPUB_NODROP`. Receives nothing.
    Radio = SocketType::Radio, sends: false, receives: false
);
kind!(
    /// `ZMQ_DISH` (libzmq 4.3 draft): receives the messages its RADIOs send to the groups it
    /// joined ([`Socket::join`](super::Socket::join),
    /// [`Socket::recv_from_group`](super::Socket::recv_from_group)). Sends nothing.
    Dish = SocketType::Dish, sends: false, receives: false
);
kind!(
    /// `ZMQ_GATHER` (libzmq 4.3 draft): a PULL for single-frame messages, from SCATTERs.
    Gather = SocketType::Gather, sends: false, receives: true
);
kind!(
    /// `ZMQ_SCATTER` (libzmq 4.3 draft): a PUSH for single-frame messages, to GATHERs: a
    /// multipart send is [`Error::InvalidArgument`](crate::Error::InvalidArgument) (`EINVAL`).
    Scatter = SocketType::Scatter, sends: true, receives: false
);
kind!(
    /// `ZMQ_PEER` (libzmq 4.3 draft): a SERVER among equals: it talks to PEERs, each with a
    /// 32-bit [`RoutingId`](crate::RoutingId), and its
    /// [`Socket::connect_peer`](super::Socket::connect_peer) answers the id of the peer it
    /// connects to, so that it can send to it at once. Single-frame messages only.
    Peer = SocketType::Peer, sends: false, receives: false
);
kind!(
    /// `ZMQ_CHANNEL` (libzmq 4.3 draft): a PAIR for single-frame messages: one peer at a time,
    /// both ways; a multipart send is [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    Channel = SocketType::Channel, sends: true, receives: true
);

/// A socket whose type is chosen when it is made, as libzmq's `zmq_socket(context, type)` takes
/// it: [`Context::socket`](crate::Context::socket) makes one, and any typed socket becomes one
/// with `AnySocket::from`. It has every method: what its type does not do is refused when
/// called (a send on a PULL, a receive on a PUSH: [`Error::InvalidState`](crate::Error::InvalidState),
/// `ENOTSUP` in libzmq; a subscription on a type that has none: an option error, `EINVAL`).
/// For code that handles sockets whose types it learns at run time (a command-line tool, a
/// configuration-driven proxy); where the type is known, the typed sockets check at compile
/// time instead.
#[derive(Debug, Clone, Copy)]
pub enum Any {}

impl sealed::Sealed for Any {}
impl Kind for Any {}
impl Sends for Any {}
impl Receives for Any {}

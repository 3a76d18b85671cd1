//! The sockets users hold: [`Socket`], one generic type for every socket type, and a name for
//! each ([`Push`] is `Socket<kind::Push>`). A socket is a handle: cheap to clone, `Send` and
//! `Sync`, its methods take `&self`, and any number of tasks may use clones of one socket at
//! once. The socket closes (with `ZMQ_LINGER`) when its last handle is dropped, or at
//! [`Socket::close`].

mod draft;
mod handle;
mod inner;
pub mod kind;

pub use draft::{Group, RoutingId};
pub use handle::Socket;
pub use kind::{Kind, Receives, Sends, Typed};

/// A `ZMQ_PUSH` socket ([`kind::Push`]).
pub type Push = Socket<kind::Push>;
/// A `ZMQ_PULL` socket ([`kind::Pull`]).
pub type Pull = Socket<kind::Pull>;
/// A `ZMQ_DEALER` socket ([`kind::Dealer`]).
pub type Dealer = Socket<kind::Dealer>;
/// A `ZMQ_PAIR` socket ([`kind::Pair`]).
pub type Pair = Socket<kind::Pair>;
/// A `ZMQ_REQ` socket ([`kind::Req`]).
pub type Req = Socket<kind::Req>;
/// A `ZMQ_REP` socket ([`kind::Rep`]).
pub type Rep = Socket<kind::Rep>;
/// A `ZMQ_ROUTER` socket ([`kind::Router`]).
pub type Router = Socket<kind::Router>;
/// A `ZMQ_PUB` socket ([`kind::Pub`]).
pub type Pub = Socket<kind::Pub>;
/// A `ZMQ_SUB` socket ([`kind::Sub`]).
pub type Sub = Socket<kind::Sub>;
/// A `ZMQ_XPUB` socket ([`kind::XPub`]).
pub type XPub = Socket<kind::XPub>;
/// A `ZMQ_XSUB` socket ([`kind::XSub`]).
pub type XSub = Socket<kind::XSub>;
/// A `ZMQ_STREAM` socket ([`kind::Stream`]): raw TCP or ipc peers, each message
/// `[routing id, bytes]`.
///
/// Why `StreamSocket` and not `Stream`, as every other socket is named after its type: every
/// receiving socket implements [`futures::Stream`], so code that reads sockets as streams
/// imports that trait (`use futures::Stream;` or `StreamExt`) next to the sockets, and a
/// `zmtp::Stream` would clash with it (or shadow it under a glob import, `use zmtp::*`). The
/// marker type keeps libzmq's name: [`kind::Stream`], as in `Socket<kind::Stream>`.
pub type StreamSocket = Socket<kind::Stream>;
/// A `ZMQ_CLIENT` socket ([`kind::Client`], libzmq 4.3 draft).
pub type Client = Socket<kind::Client>;
/// A `ZMQ_SERVER` socket ([`kind::Server`], libzmq 4.3 draft).
pub type Server = Socket<kind::Server>;
/// A `ZMQ_RADIO` socket ([`kind::Radio`], libzmq 4.3 draft).
pub type Radio = Socket<kind::Radio>;
/// A `ZMQ_DISH` socket ([`kind::Dish`], libzmq 4.3 draft).
pub type Dish = Socket<kind::Dish>;
/// A `ZMQ_SCATTER` socket ([`kind::Scatter`], libzmq 4.3 draft).
pub type Scatter = Socket<kind::Scatter>;
/// A `ZMQ_GATHER` socket ([`kind::Gather`], libzmq 4.3 draft).
pub type Gather = Socket<kind::Gather>;
/// A `ZMQ_PEER` socket ([`kind::Peer`], libzmq 4.3 draft).
pub type Peer = Socket<kind::Peer>;
/// A `ZMQ_CHANNEL` socket ([`kind::Channel`], libzmq 4.3 draft).
pub type Channel = Socket<kind::Channel>;
/// A socket whose type is chosen at run time ([`kind::Any`]), as libzmq's
/// `zmq_socket(context, type)`: made by [`Context::socket`](crate::Context::socket).
pub type AnySocket = Socket<kind::Any>;

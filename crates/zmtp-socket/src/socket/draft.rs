//! The typed methods of libzmq 4.3's draft socket types whose messages carry an address: a
//! SERVER's and PEER's [`RoutingId`], a RADIO's and DISH's [`Group`].
//!
//! The address travels beside the body, never inside [`Message`] (which stays the same size
//! for every type): `send_to(id, body)`, `recv_from() -> (id, body)`,
//! `send_to_group(group, body)`, `recv_from_group() -> (group, body)`. Bodies are single
//! frames; a multipart body is [`Error::InvalidArgument`] (libzmq's `EINVAL`).

use std::fmt;
use std::num::NonZeroU32;

use bytes::Bytes;
use zmtp_codec::Message;

use super::handle::Socket;
use super::kind;
use crate::core::pattern::radio_dish::{GROUP_MAX_LENGTH, GROUP_TOO_LONG};
use crate::core::pattern::server::{frame_id, id_frame};
use crate::error::{Error, Result};

/// A peer's routing id on a SERVER or PEER socket: a non-zero 32-bit number the socket gives
/// each peer (libzmq's `zmq_msg_routing_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoutingId(NonZeroU32);

impl RoutingId {
    /// The id numbered `id`, if it is not zero (zero names no peer in libzmq).
    pub fn new(id: u32) -> Option<RoutingId> {
        NonZeroU32::new(id).map(RoutingId)
    }

    /// The id's number.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for RoutingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A RADIO/DISH group: a name of at most 15 bytes (libzmq 4.3's `ZMQ_GROUP_MAX_LENGTH`),
/// matched whole. Cheap to clone; made once and reused, a send copies nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Group(Bytes);

impl Group {
    /// The group named `name`; a name over 15 bytes is [`Error::InvalidArgument`].
    pub fn new(name: impl Into<Bytes>) -> Result<Group> {
        let name = name.into();
        if name.len() > GROUP_MAX_LENGTH {
            return Err(Error::InvalidArgument(GROUP_TOO_LONG));
        }
        Ok(Group(name))
    }

    /// The group's name.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl TryFrom<&str> for Group {
    type Error = Error;
    fn try_from(name: &str) -> Result<Group> {
        Group::new(Bytes::copy_from_slice(name.as_bytes()))
    }
}

impl TryFrom<&[u8]> for Group {
    type Error = Error;
    fn try_from(name: &[u8]) -> Result<Group> {
        Group::new(Bytes::copy_from_slice(name))
    }
}

/// `[id, body]`, as the core takes a SERVER's or PEER's message.
fn addressed(address: Bytes, body: Message) -> Result<Message> {
    if body.len() != 1 {
        return Err(if body.is_empty() {
            Error::EmptyMessage
        } else {
            Error::InvalidArgument(crate::core::pattern::single_frame::MULTIPART_REFUSED)
        });
    }
    let mut msg = body;
    msg.push_front(address);
    Ok(msg)
}

/// Splits `[id, body]` as the core gives it.
fn split_id(mut msg: Message) -> Result<(RoutingId, Message)> {
    let id = msg
        .pop_front()
        .as_deref()
        .and_then(frame_id)
        .and_then(RoutingId::new)
        .ok_or(Error::InvalidState(
            "a routed message without its routing id",
        ))?;
    Ok((id, msg))
}

macro_rules! routed {
    ($kind:ident, $name:literal) => {
        /// Sending to and receiving from peers by routing id.
        impl Socket<kind::$kind> {
            #[doc = concat!("Sends the single-frame `body` to the peer `id` names. An id naming no peer is [`Error::HostUnreachable`] (`EHOSTUNREACH`); a multipart body is [`Error::InvalidArgument`] (`EINVAL`); while the peer's queue is at `ZMQ_SNDHWM` it waits, for at most `ZMQ_SNDTIMEO`. (", $name, ".)")]
            ///
            /// Cancel safety: cancel-safe: dropped before it completes, the message was not
            /// sent (as [`Socket::send`]).
            pub async fn send_to(&self, id: RoutingId, body: impl Into<Message>) -> Result<()> {
                self.send_message(addressed(id_frame(id.get()), body.into())?)
                    .await
            }

            /// [`send_to`](Self::send_to) if it can be done now, else [`Error::WouldBlock`].
            pub fn try_send_to(&self, id: RoutingId, body: impl Into<Message>) -> Result<()> {
                self.try_send_message(addressed(id_frame(id.get()), body.into())?)
            }

            /// The next single-frame message from any peer, fair-queued, with the routing id of
            /// the peer it came from (reply with [`send_to`](Self::send_to)). Multipart
            /// messages from peers are dropped, as libzmq drops them.
            ///
            /// Cancel safety: cancel-safe: dropped before it completes, no message was taken.
            pub async fn recv_from(&self) -> Result<(RoutingId, Message)> {
                split_id(self.recv_message().await?)
            }

            /// [`recv_from`](Self::recv_from) if a message is there, else
            /// [`Error::WouldBlock`].
            pub fn try_recv_from(&self) -> Result<(RoutingId, Message)> {
                split_id(self.try_recv_message()?)
            }
        }
    };
}

routed!(Server, "SERVER");
routed!(Peer, "PEER");

impl Socket<kind::Peer> {
    /// Connects to a PEER at `endpoint` (in the background, as [`Socket::connect`]) and
    /// answers the routing id it will have, so that messages can be sent to it at once (they
    /// wait in its queue until the connection is made): libzmq's `zmq_connect_peer`.
    ///
    /// Cancel safety: cancel-safe: it completes at its first poll.
    pub async fn connect_peer(&self, endpoint: &str) -> Result<RoutingId> {
        let id = self.inner().connect_named(endpoint)?;
        id.as_deref()
            .and_then(frame_id)
            .and_then(RoutingId::new)
            .ok_or(Error::InvalidState("the connect was given no routing id"))
    }
}

impl Socket<kind::Radio> {
    /// Sends the single-frame `body` to every DISH that joined `group`. A DISH whose queue is
    /// full misses it (libzmq's RADIO drops it), unless `ZMQ_XPUB_NODROP` is set: then the
    /// send waits for room, for at most `ZMQ_SNDTIMEO`. A multipart body is
    /// [`Error::InvalidArgument`].
    ///
    /// Cancel safety: cancel-safe: dropped before it completes, the message went to no DISH.
    pub async fn send_to_group(&self, group: &Group, body: impl Into<Message>) -> Result<()> {
        self.send_message(addressed(group.0.clone(), body.into())?)
            .await
    }

    /// [`send_to_group`](Self::send_to_group) if it can be done now, else
    /// [`Error::WouldBlock`].
    pub fn try_send_to_group(&self, group: &Group, body: impl Into<Message>) -> Result<()> {
        self.try_send_message(addressed(group.0.clone(), body.into())?)
    }
}

/// Splits `[group, body]` as the core gives it.
fn split_group(mut msg: Message) -> Result<(Group, Message)> {
    let group = msg
        .pop_front()
        .ok_or(Error::InvalidState("a DISH message without its group"))?;
    Ok((Group(group), msg))
}

impl Socket<kind::Dish> {
    /// Joins `group` (`zmq_join`): the RADIOs this DISH is connected to, and those it connects
    /// to later, send it the group's messages. A group joined already, or a name over 15
    /// bytes, is [`Error::InvalidArgument`] (`EINVAL`).
    pub fn join(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.inner().subscription(true, group.as_ref())
    }

    /// Leaves `group` (`zmq_leave`); a group not joined is [`Error::InvalidArgument`].
    pub fn leave(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.inner().subscription(false, group.as_ref())
    }

    /// The next message of a group this DISH has joined, with its group.
    ///
    /// Cancel safety: cancel-safe: dropped before it completes, no message was taken.
    pub async fn recv_from_group(&self) -> Result<(Group, Message)> {
        split_group(self.recv_message().await?)
    }

    /// [`recv_from_group`](Self::recv_from_group) if a message is there, else
    /// [`Error::WouldBlock`].
    pub fn try_recv_from_group(&self) -> Result<(Group, Message)> {
        split_group(self.try_recv_message()?)
    }
}

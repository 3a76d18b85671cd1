//! Sans-IO ZMTP 3.x: the wire protocol of ØMQ, with no runtime, no I/O and no clock.
//!
//! - [`greeting`]: the 64-byte greeting, read and written in libzmq's three stages, with
//!   detection of ZMTP 1.0/2.0 peers and early rejection of anything else.
//! - [`frame`]: framing (MORE, LONG, COMMAND), a zero-copy [`FrameDecoder`] with the
//!   `ZMQ_MAXMSGSIZE` check on the size field.
//! - [`send_buffer`]: a batching encoder ([`SendBuffer`]) that is a [`bytes::Buf`], copying small
//!   frames into one buffer and referencing large bodies for vectored writes.
//! - [`legacy`]: ZMTP 1.0 and 2.0 framing, for the old peers libzmq 4.x still serves (the
//!   connection exchanges identities with them and refuses them when security is in force).
//! - [`command`] and [`metadata`]: READY, ERROR, PING, PONG, SUBSCRIBE, CANCEL and the property
//!   lists; other commands by name.
//! - [`message`]: [`Message`], multipart [`bytes::Bytes`] frames.
//! - [`mechanism`]: the [`Mechanism`] trait that security mechanisms implement (the
//!   `zmtp-security` crate has NULL, PLAIN, CURVE and GSSAPI): a handshake, which hands the
//!   connection a [`RecordLayer`] when done and is dropped.
//! - [`connection`]: the [`Connection`] state machine a driver runs, quinn-proto style.
//! - [`raw`]: [`RawConnection`], plain bytes for a peer that is not ZeroMQ (STREAM, raw
//!   ROUTER).
//! - [`protocol`]: the [`Protocol`] trait both implement, so that one engine loop drives
//!   either.
//!
//! The reference for behaviour is libzmq 4.3 and RFCs 23 (ZMTP 3.0) and 37 (ZMTP 3.1); where
//! they differ, libzmq wins and the docs say so.
#![forbid(unsafe_code)]
// Library code handles every failure (no `expect`; `unwrap` is warned workspace-wide), and each
// narrowing cast says why it cannot truncate or lose a sign (tests may do either).
#![cfg_attr(
    not(test),
    warn(
        clippy::expect_used,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )
)]

pub mod command;
pub mod connection;
pub mod error;
pub mod frame;
pub mod greeting;
pub mod legacy;
pub mod mechanism;
pub mod message;
pub mod metadata;
pub mod protocol;
pub mod raw;
pub mod send_buffer;
pub mod socket_type;
#[cfg(feature = "testing")]
pub mod testing;
pub mod zap;

pub use command::{Command, RawCommand};
pub use connection::{Config, Connection, Event, EventKind, PeerInfo};
pub use error::{
    CommandError, ConnectionError, FrameError, GreetingError, MechanismError, MetadataError,
    SendError,
};
pub use frame::{Frame, FrameDecoder};
pub use greeting::{Greeting, LegacyVersion, MechanismName};
pub use mechanism::{
    BlockingJob, BlockingOutput, HandshakeContext, Mechanism, RecordLayer, Sealer,
};
pub use message::Message;
pub use metadata::Metadata;
pub use protocol::Protocol;
pub use raw::RawConnection;
pub use send_buffer::SendBuffer;
pub use socket_type::SocketType;
pub use zap::{ZapReply, ZapRequest};

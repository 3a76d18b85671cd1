//! Sans-IO PGM (RFC 3208, Pragmatic General Multicast) as libzmq 4.3 uses it through OpenPGM
//! 5.3 for `epgm://` and `pgm://`: no sockets, no clock (every call takes `now`), no ambient
//! randomness (the receiver's NAK back-off draws from a [`RandomSource`] the caller supplies).
//!
//! # What is covered
//!
//! - [`packet`]: encode and decode of the common header and of SPM, ODATA, RDATA, NAK, N-NAK,
//!   NCF and SPMR, IPv4 and IPv6 NLAs, the options `OPT_LENGTH`, `OPT_FRAGMENT`,
//!   `OPT_NAK_LIST`, `OPT_JOIN`, `OPT_SYN`, `OPT_FIN`, `OPT_RST` (others skipped), the checksum
//!   as OpenPGM computes and checks it ([`checksum`]), typed errors for every malformed input;
//!   the UDP (`epgm://`) and raw IP (`pgm://`) layouts ([`Encapsulation`],
//!   [`strip_ipv4_header`], [`max_tsdu`]).
//! - [`source`]: a session's sending side: wrapping sequence numbers, a transmit window sized
//!   from `ZMQ_RATE` x `ZMQ_RECOVERY_IVL` as libzmq sizes it, ambient and heartbeat SPMs on
//!   OpenPGM's schedule with libzmq's intervals, NAKs answered with NCF and RDATA while the
//!   data is in the window, SPMRs answered, `OPT_FIN` on close, and the `ZMQ_RATE` token
//!   bucket ([`rate`]) on ODATA.
//! - [`receiver`]: per-source state, joining at the first packet seen, in-order delivery, loss
//!   detection (gaps and SPM leading edges), NAKs after a random back-off with NAK lists, NCF
//!   suppression, retries, window advance from the trailing edges of data and SPMs, a bounded
//!   window, unrecoverable loss reported in order, SPMRs for sources heard without an SPM.
//! - [`framing`]: libzmq's APDU layout (a 2-byte offset to the first whole message, then ZMTP
//!   1.0 frames that straddle APDUs), encoder and decoder, with the late joiner's skip to the
//!   first whole message.
//!
//! The tests check all this byte for byte against RFC 3208's layouts and against packets a
//! libzmq 4.3.4 PUB and SUB (OpenPGM 5.3) exchanged on this project's machines
//! (`tests/fixtures/`), and run a source and a receiver together over a lossy virtual network.
//! The sockets' `epgm://` and `pgm://` against libzmq are in the test suite
//! (`interop/tests/libzmq_pgm.rs` at the workspace root); before them,
//! `interop/epgm.sh` (root, not part of the test suite) runs `examples/epgm_live.rs`, this
//! crate on real multicast (UDP, or raw IP with `MODE=raw`), against libzmq both ways across
//! two network namespaces, with packet loss if asked, so that NAKs, NCFs and RDATA cross
//! between the implementations.
//!
//! # What is not
//!
//! - Reassembly of APDUs fragmented with `OPT_FRAGMENT` (libzmq never sends an APDU above one
//!   TSDU; a fragment is decoded but taken as lost by the receiver) and fragmentation on send.
//! - Forward error correction (`OPT_PARITY_*`, parity NAKs are ignored), PGMCC congestion
//!   control (ACK), POLL/POLR, designated local repairers (`OPT_REDIRECT`), N-NAK handling, the
//!   network-element side of PGM.
//! - `OPT_JOIN` late join (OpenPGM's default and libzmq's: off), SPM path NLAs rewritten by
//!   PGM routers beyond taking the last one heard.
//! - The sockets themselves: multicast joins, `IP_MULTICAST_IF`/`LOOP`/`TTL`, raw sockets and
//!   the Router Alert option are the transports' business (`epgm://` and `pgm://` in
//!   `zmtp-socket`'s `transport/pgm.rs`, which does not add Router Alert either).
//!
//! # For the transports
//!
//! What `epgm://` and `pgm://` in `zmtp-socket` (`transport/pgm.rs`) do around this crate (the
//! example `examples/epgm_live.rs` does each of these in its simplest form):
//!
//! - Sockets. `epgm`: one UDP socket bound to the endpoint's port on any address with
//!   `SO_REUSEADDR` (libzmq's own sockets bind it too), joined to the group on the interface,
//!   `IP_MULTICAST_IF` set to it, `IP_MULTICAST_LOOP` on, `IP_MULTICAST_TTL` from
//!   `ZMQ_MULTICAST_HOPS`. `pgm`: a raw IPv4 socket for protocol 113 with the same options;
//!   what it reads starts with the IP header ([`strip_ipv4_header`]), what it sends does not.
//! - A PUB runs a [`Source`] (TSI: a random GSI and source port) with an [`ApduEncoder`] of
//!   [`Source::max_tsdu`] bytes: APDUs go to [`Source::send`], which may answer
//!   [`SendError::RateLimited`] with the wait; every [`Source::poll_transmit`] packet goes to
//!   the group; NAKs and SPMRs read from the socket go to [`Source::handle_packet`].
//! - A SUB runs a [`Receiver`] ([`ReceiverConfig::libzmq`], window from its own `ZMQ_RATE`
//!   and `ZMQ_RECOVERY_IVL`, `ZMQ_MAXMSGSIZE`), sends NAKs to [`Destination::Source`] (the
//!   endpoint's port over UDP), SPMRs to the group and to the address the source's data came
//!   from, and filters the messages of [`Event::Message`] by its subscriptions (libzmq's SUB
//!   over PGM subscribes locally; nothing goes upstream).
//! - Both call `handle_timeout` at `poll_timeout`. The receiver's `poll_timeout` walks the
//!   windows that have gaps (a few thousand slots at most with libzmq's sizes).

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
#![forbid(unsafe_code)]

pub mod checksum;
pub mod framing;
pub mod packet;
pub mod rate;
pub mod receiver;
pub mod source;
pub mod sqn;

pub use framing::{ApduDecoder, ApduEncoder, Frame, FramingError};
pub use packet::{
    ip_overhead, ipv4_header, max_tsdu, strip_ipv4_header, Body, Data, Encapsulation, Fragment,
    Ipv4Info, Nak, Nla, Options, Packet, PacketError, PacketType, Spm, Tsi,
};
pub use rate::RateLimiter;
pub use receiver::{
    Destination, Event, RandomSource, Receiver, ReceiverConfig, ReceiverStats, Transmit, XorShift32,
};
pub use source::{window_sqns, SendError, Source, SourceConfig, SourceStats};

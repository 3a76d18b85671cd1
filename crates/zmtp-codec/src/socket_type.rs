//! Socket types as they appear on the wire (the `Socket-Type` property, the ZMTP 2.0 type byte)
//! and the compatibility table of RFC 23/37.

use std::fmt;

/// A ZeroMQ socket type, with libzmq's numeric value (`ZMQ_PAIR` = 0 ... `ZMQ_STREAM` = 11,
/// and libzmq 4.3's draft types `ZMQ_SERVER` = 12 ... `ZMQ_CHANNEL` = 20; `ZMQ_DGRAM`, 18, is
/// not one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketType {
    /// `ZMQ_PAIR`: exclusive pair.
    Pair,
    /// `ZMQ_PUB`: publisher.
    Pub,
    /// `ZMQ_SUB`: subscriber.
    Sub,
    /// `ZMQ_REQ`: request, strict send/receive alternation.
    Req,
    /// `ZMQ_REP`: reply.
    Rep,
    /// `ZMQ_DEALER`: asynchronous request.
    Dealer,
    /// `ZMQ_ROUTER`: routes by peer routing id.
    Router,
    /// `ZMQ_PULL`: pipeline input.
    Pull,
    /// `ZMQ_PUSH`: pipeline output.
    Push,
    /// `ZMQ_XPUB`: publisher that sees subscriptions.
    XPub,
    /// `ZMQ_XSUB`: subscriber that sends subscriptions as messages.
    XSub,
    /// `ZMQ_STREAM`: raw TCP; never speaks ZMTP.
    Stream,
    /// `ZMQ_SERVER` (draft): single-frame replies addressed by a 32-bit routing id.
    Server,
    /// `ZMQ_CLIENT` (draft): single-frame requests, load-balanced.
    Client,
    /// `ZMQ_RADIO` (draft): single-frame messages to the DISHes that joined their group.
    Radio,
    /// `ZMQ_DISH` (draft): receives the groups it joined.
    Dish,
    /// `ZMQ_GATHER` (draft): single-frame pipeline input.
    Gather,
    /// `ZMQ_SCATTER` (draft): single-frame pipeline output.
    Scatter,
    /// `ZMQ_PEER` (draft): single-frame messages between peers, addressed by routing id.
    Peer,
    /// `ZMQ_CHANNEL` (draft): single-frame exclusive pair.
    Channel,
}

impl SocketType {
    /// Every socket type, in libzmq's numeric order.
    pub const ALL: [SocketType; 20] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::XPub,
        SocketType::XSub,
        SocketType::Stream,
        SocketType::Server,
        SocketType::Client,
        SocketType::Radio,
        SocketType::Dish,
        SocketType::Gather,
        SocketType::Scatter,
        SocketType::Peer,
        SocketType::Channel,
    ];

    /// The name sent in the `Socket-Type` property (upper case, as libzmq compares it).
    pub const fn as_str(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Stream => "STREAM",
            SocketType::Server => "SERVER",
            SocketType::Client => "CLIENT",
            SocketType::Radio => "RADIO",
            SocketType::Dish => "DISH",
            SocketType::Gather => "GATHER",
            SocketType::Scatter => "SCATTER",
            SocketType::Peer => "PEER",
            SocketType::Channel => "CHANNEL",
        }
    }

    /// libzmq's numeric constant (`ZMQ_PAIR` = 0, ...), also the ZMTP 2.0 greeting's type byte.
    pub const fn as_raw(self) -> u8 {
        match self {
            SocketType::Pair => 0,
            SocketType::Pub => 1,
            SocketType::Sub => 2,
            SocketType::Req => 3,
            SocketType::Rep => 4,
            SocketType::Dealer => 5,
            SocketType::Router => 6,
            SocketType::Pull => 7,
            SocketType::Push => 8,
            SocketType::XPub => 9,
            SocketType::XSub => 10,
            SocketType::Stream => 11,
            SocketType::Server => 12,
            SocketType::Client => 13,
            SocketType::Radio => 14,
            SocketType::Dish => 15,
            SocketType::Gather => 16,
            SocketType::Scatter => 17,
            SocketType::Peer => 19,
            SocketType::Channel => 20,
        }
    }

    /// The socket type with libzmq's numeric constant `raw`, if there is one.
    pub fn from_raw(raw: u8) -> Option<SocketType> {
        SocketType::ALL.iter().copied().find(|t| t.as_raw() == raw)
    }

    /// Parses a `Socket-Type` property value. Byte-exact and case-sensitive, as libzmq compares it.
    pub fn from_bytes(name: &[u8]) -> Option<SocketType> {
        SocketType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str().as_bytes() == name)
    }

    /// Whether a peer of type `peer` may connect to a socket of this type (RFC 23/37 table,
    /// and libzmq 4.3's for the draft types: CLIENT-SERVER, RADIO-DISH, SCATTER-GATHER,
    /// PEER-PEER, CHANNEL-CHANNEL).
    pub const fn is_compatible_with(self, peer: SocketType) -> bool {
        use SocketType::*;
        matches!(
            (self, peer),
            (Req, Rep | Router)
                | (Rep, Req | Dealer)
                | (Dealer, Rep | Dealer | Router)
                | (Router, Req | Dealer | Router)
                | (Pub | XPub, Sub | XSub)
                | (Sub | XSub, Pub | XPub)
                | (Push, Pull)
                | (Pull, Push)
                | (Pair, Pair)
                | (Client, Server)
                | (Server, Client)
                | (Radio, Dish)
                | (Dish, Radio)
                | (Scatter, Gather)
                | (Gather, Scatter)
                | (Peer, Peer)
                | (Channel, Channel)
        )
    }

    /// Whether libzmq sends the `Identity` property for this type (REQ, DEALER and ROUTER only).
    pub const fn sends_identity(self) -> bool {
        matches!(
            self,
            SocketType::Req | SocketType::Dealer | SocketType::Router
        )
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_round_trip() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_raw(t.as_raw()), Some(t));
            assert_eq!(SocketType::from_bytes(t.as_str().as_bytes()), Some(t));
        }
        assert_eq!(
            SocketType::from_raw(18),
            None,
            "ZMQ_DGRAM is not a ZMTP socket type"
        );
        assert_eq!(SocketType::from_raw(21), None);
        assert_eq!(SocketType::from_raw(12), Some(SocketType::Server));
        assert_eq!(SocketType::from_raw(20), Some(SocketType::Channel));
        assert_eq!(
            SocketType::from_bytes(b"dealer"),
            None,
            "libzmq compares case-sensitively"
        );
    }

    #[test]
    fn compatibility_is_symmetric_and_matches_the_rfc_table() {
        for a in SocketType::ALL {
            for b in SocketType::ALL {
                assert_eq!(
                    a.is_compatible_with(b),
                    b.is_compatible_with(a),
                    "{a} vs {b}"
                );
            }
        }
        assert!(SocketType::Push.is_compatible_with(SocketType::Pull));
        assert!(!SocketType::Push.is_compatible_with(SocketType::Pub));
        assert!(!SocketType::Req.is_compatible_with(SocketType::Req));
        assert!(SocketType::Dealer.is_compatible_with(SocketType::Dealer));
        assert!(!SocketType::Stream.is_compatible_with(SocketType::Stream));
        assert!(SocketType::Client.is_compatible_with(SocketType::Server));
        assert!(!SocketType::Client.is_compatible_with(SocketType::Client));
        assert!(!SocketType::Client.is_compatible_with(SocketType::Dealer));
        assert!(SocketType::Radio.is_compatible_with(SocketType::Dish));
        assert!(!SocketType::Radio.is_compatible_with(SocketType::Sub));
        assert!(SocketType::Scatter.is_compatible_with(SocketType::Gather));
        assert!(!SocketType::Scatter.is_compatible_with(SocketType::Pull));
        assert!(SocketType::Peer.is_compatible_with(SocketType::Peer));
        assert!(SocketType::Channel.is_compatible_with(SocketType::Channel));
        assert!(!SocketType::Channel.is_compatible_with(SocketType::Pair));
    }
}

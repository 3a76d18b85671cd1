//! Which socket types an option is for: what the table says ([`OptionName::applies_to`]) and
//! what libzmq actually accepts ([`OptionName::accepted_by`]).
//!
//! libzmq's `zmq_setsockopt` first offers an option to the socket type's own code
//! (`xsetsockopt`), then to the options every socket shares (`options.cpp`). The per-type
//! options (ROUTER_*, REQ_*, XPUB_*, SUBSCRIBE, STREAM_NOTIFY, PROBE_ROUTER, CONNECT_RID) exist
//! only in their socket types' code, so any other type answers `EINVAL`. The shared ones are
//! accepted on every type, even where the table lists only some (`ZMQ_CONFLATE`,
//! `ZMQ_IDENTITY`, `ZMQ_INVERT_MATCHING`): there they are stored and have no effect. libzmq's
//! class hierarchy widens a few: REP is a ROUTER underneath and takes the ROUTER options, PUB
//! is an XPUB and takes the XPUB options.

use zmtp_codec::SocketType;

use super::name::OptionName;

impl OptionName {
    /// Whether the table's "Applicable socket types" column lists `socket_type`. "all", "N/A"
    /// and the "all ..., when using ... transports" rows apply to every type; "all but
    /// ZMQ_STREAM" to every type but STREAM. The options beyond the table apply to all.
    pub fn applies_to(self, socket_type: SocketType) -> bool {
        use OptionName::*;
        use SocketType as T;
        match self {
            ConnectRid => matches!(socket_type, T::Router | T::Stream),
            Conflate => matches!(socket_type, T::Pull | T::Push | T::Sub | T::Pub | T::Dealer),
            HandshakeIvl => socket_type != T::Stream,
            Identity => matches!(socket_type, T::Req | T::Rep | T::Router | T::Dealer),
            InvertMatching => matches!(socket_type, T::Pub | T::XPub | T::Sub),
            ProbeRouter => matches!(socket_type, T::Router | T::Dealer | T::Req),
            ReqCorrelate | ReqRelaxed => socket_type == T::Req,
            RouterHandover | RouterMandatory | RouterRaw => socket_type == T::Router,
            StreamNotify => socket_type == T::Stream,
            Subscribe | Unsubscribe => socket_type == T::Sub,
            XpubVerbose | XpubVerboser | XpubManual | XpubWelcomeMsg => socket_type == T::XPub,
            XpubNodrop => matches!(socket_type, T::XPub | T::Pub),
            _ => true,
        }
    }

    /// Whether libzmq's `zmq_setsockopt` accepts the option on a socket of `socket_type`
    /// (libzmq 4.2.2 and 4.3 agree). Where this is false libzmq answers `EINVAL`, and so does
    /// [`SocketOptions::set_for`](super::SocketOptions::set_for).
    ///
    /// `ZMQ_SUBSCRIBE` and `ZMQ_UNSUBSCRIBE` are accepted on XPUB and PUB only while
    /// `ZMQ_XPUB_MANUAL` is on (they then act on the last subscriber's pipe); this says `true`
    /// for those types and `set_for` checks the mode.
    pub fn accepted_by(self, socket_type: SocketType) -> bool {
        use OptionName::*;
        use SocketType as T;
        match self {
            ConnectRid => matches!(socket_type, T::Router | T::Rep | T::Stream),
            RouterHandover | RouterMandatory | RouterRaw => {
                matches!(socket_type, T::Router | T::Rep)
            }
            ProbeRouter => matches!(socket_type, T::Router | T::Rep | T::Dealer | T::Req),
            ReqCorrelate | ReqRelaxed => socket_type == T::Req,
            XpubVerbose | XpubVerboser | XpubManual | XpubWelcomeMsg => {
                matches!(socket_type, T::XPub | T::Pub)
            }
            // libzmq 4.3's RADIO takes it too (a full DISH then makes the send wait).
            XpubNodrop => matches!(socket_type, T::XPub | T::Pub | T::Radio),
            Subscribe | Unsubscribe => matches!(socket_type, T::Sub | T::XPub | T::Pub),
            StreamNotify => socket_type == T::Stream,
            _ => true,
        }
    }

    /// Whether the option belongs to some socket types only in libzmq (its
    /// [`accepted_by`](OptionName::accepted_by) is false for some type).
    pub fn is_per_socket_type(self) -> bool {
        SocketType::ALL.iter().any(|t| !self.accepted_by(*t))
    }

    /// The socket types [`accepted_by`](OptionName::accepted_by) allows, in words.
    pub(crate) fn accepted_by_text(self) -> &'static str {
        use OptionName::*;
        match self {
            ConnectRid => "ROUTER, REP (a ROUTER in libzmq) and STREAM",
            RouterHandover | RouterMandatory | RouterRaw => "ROUTER and REP (a ROUTER in libzmq)",
            ProbeRouter => "ROUTER, REP, DEALER and REQ",
            ReqCorrelate | ReqRelaxed => "REQ",
            XpubVerbose | XpubVerboser | XpubManual | XpubWelcomeMsg => {
                "XPUB and PUB (an XPUB in libzmq)"
            }
            XpubNodrop => "XPUB, PUB (an XPUB in libzmq) and RADIO",
            Subscribe | Unsubscribe => "SUB, and XPUB or PUB with ZMQ_XPUB_MANUAL on",
            StreamNotify => "STREAM",
            _ => "every socket type",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libzmq_accepts_at_least_what_the_table_lists() {
        for option in OptionName::every() {
            for t in SocketType::ALL {
                if option.applies_to(t) {
                    assert!(option.accepted_by(t), "{option} on {t}");
                }
            }
        }
    }

    #[test]
    fn per_type_options() {
        let per_type: Vec<_> = OptionName::every()
            .filter(|o| o.is_per_socket_type())
            .collect();
        assert_eq!(
            per_type,
            [
                OptionName::ConnectRid,
                OptionName::ProbeRouter,
                OptionName::ReqCorrelate,
                OptionName::ReqRelaxed,
                OptionName::RouterHandover,
                OptionName::RouterMandatory,
                OptionName::RouterRaw,
                OptionName::StreamNotify,
                OptionName::Subscribe,
                OptionName::Unsubscribe,
                OptionName::XpubVerbose,
                OptionName::XpubVerboser,
                OptionName::XpubManual,
                OptionName::XpubNodrop,
                OptionName::XpubWelcomeMsg,
            ]
        );
        assert!(OptionName::RouterMandatory.accepted_by(SocketType::Rep));
        assert!(!OptionName::RouterMandatory.applies_to(SocketType::Rep));
        assert!(!OptionName::Subscribe.accepted_by(SocketType::XSub));
        assert!(OptionName::Conflate.accepted_by(SocketType::Router));
        assert!(!OptionName::Conflate.applies_to(SocketType::Router));
        assert!(!OptionName::HandshakeIvl.applies_to(SocketType::Stream));
    }
}

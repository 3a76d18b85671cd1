//! Which socket types an option is for: what the table says ([`OptionName::applies_to`]) and
//! what libzmq actually accepts ([`OptionName::accepted_by`]), both given by each option's row
//! of the table (`table/mod.rs`).
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
    /// Whether the option belongs to some socket types only in libzmq (its
    /// [`accepted_by`](OptionName::accepted_by) is false for some type).
    pub fn is_per_socket_type(self) -> bool {
        SocketType::ALL.iter().any(|t| !self.accepted_by(*t))
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

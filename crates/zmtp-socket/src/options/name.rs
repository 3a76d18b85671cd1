//! Looking options up by libzmq's names and numbers, and what the rows say about them. [`OptionName`] itself, its names and
//! constants (`zmq.h` of libzmq 4.3, which keeps every 4.2 value), are generated from the option
//! table (`table/mod.rs`).

use std::fmt;

use zmtp_codec::SocketType;

use super::effect::OptionEffect;
use super::socket_options::SocketOptions;
use super::value::OptionValue;

pub use super::table::OptionName;

/// Other names libzmq gives the same constants: the 4.3 names of the renamed options and
/// the deprecated aliases `zmq.h` still defines.
const ALIASES: [(&str, OptionName); 5] = [
    ("ZMQ_ROUTING_ID", OptionName::Identity),
    ("ZMQ_CONNECT_ROUTING_ID", OptionName::ConnectRid),
    ("ZMQ_DELAY_ATTACH_ON_CONNECT", OptionName::Immediate),
    ("ZMQ_FAIL_UNROUTABLE", OptionName::RouterMandatory),
    ("ZMQ_ROUTER_BEHAVIOR", OptionName::RouterMandatory),
];

impl OptionName {
    /// Every option: [`OptionName::ALL`] then [`OptionName::BEYOND_TABLE`].
    pub fn every() -> impl Iterator<Item = OptionName> {
        OptionName::ALL.into_iter().chain(OptionName::BEYOND_TABLE)
    }

    /// The option libzmq calls `name` (`"ZMQ_SNDHWM"`), including libzmq 4.3's names
    /// (`ZMQ_ROUTING_ID`, `ZMQ_CONNECT_ROUTING_ID`) and the deprecated aliases of `zmq.h`.
    /// Exact and case-sensitive, like the C identifiers.
    pub fn from_zmq_name(name: &str) -> Option<OptionName> {
        OptionName::every()
            .find(|option| option.zmq_name() == name)
            .or_else(|| {
                ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == name)
                    .map(|(_, option)| *option)
            })
    }

    /// The option with libzmq's numeric constant `id`, if this crate knows it. Read-only
    /// constants (`ZMQ_TYPE`, `ZMQ_RCVMORE`, `ZMQ_MECHANISM`, ...) and options outside the
    /// table give `None`.
    pub fn from_zmq_id(id: i32) -> Option<OptionName> {
        OptionName::every().find(|option| option.zmq_id() == id)
    }

    /// Whether the option belongs to some socket types only in libzmq (its
    /// [`accepted_by`](OptionName::accepted_by) is false for some type).
    ///
    /// libzmq's `zmq_setsockopt` first offers an option to the socket type's own code
    /// (`xsetsockopt`), then to the options every socket shares (`options.cpp`). The per-type
    /// options (ROUTER_*, REQ_*, XPUB_*, SUBSCRIBE, STREAM_NOTIFY, PROBE_ROUTER, CONNECT_RID) exist
    /// only in their socket types' code, so any other type answers `EINVAL`. The shared ones are
    /// accepted on every type, even where the table lists only some (`ZMQ_CONFLATE`,
    /// `ZMQ_IDENTITY`, `ZMQ_INVERT_MATCHING`): there they are stored and have no effect. libzmq's
    /// class hierarchy widens a few: REP is a ROUTER underneath and takes the ROUTER options, PUB
    /// is an XPUB and takes the XPUB options.
    pub fn is_per_socket_type(self) -> bool {
        SocketType::ALL.iter().any(|t| !self.accepted_by(*t))
    }

    /// Whether libzmq lets the option change on a live (bound or connected) socket: always.
    /// See [`OptionName::effect`] for when the change is used.
    pub const fn settable_when_live(self) -> bool {
        true
    }

    /// Whether a change reaches the socket's existing connections
    /// ([`OptionEffect::Immediate`]), rather than only later ones.
    pub const fn affects_existing_connections(self) -> bool {
        matches!(self.effect(), OptionEffect::Immediate)
    }

    /// The option's default, as [`SocketOptions::get`] reads it on fresh options.
    pub fn default_value(self) -> OptionValue {
        SocketOptions::default().get(self)
    }
}

impl fmt::Display for OptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zmq_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_ids_are_unique_and_round_trip() {
        let mut names = HashSet::new();
        let mut ids = HashSet::new();
        for option in OptionName::every() {
            assert!(names.insert(option.zmq_name()), "{option} twice");
            assert!(ids.insert(option.zmq_id()), "{} twice", option.zmq_id());
            assert_eq!(OptionName::from_zmq_name(option.zmq_name()), Some(option));
            assert_eq!(OptionName::from_zmq_id(option.zmq_id()), Some(option));
            assert_eq!(option.to_string(), option.zmq_name());
        }
        assert_eq!(names.len(), 72);
        assert!(OptionName::ALL.iter().all(|o| o.in_table()));
        assert!(OptionName::BEYOND_TABLE.iter().all(|o| !o.in_table()));
    }

    #[test]
    fn ids_match_zmq_h() {
        // Spot checks against libzmq 4.3.4's include/zmq.h.
        for (option, id) in [
            (OptionName::Affinity, 4),
            (OptionName::Identity, 5),
            (OptionName::Subscribe, 6),
            (OptionName::Unsubscribe, 7),
            (OptionName::Linger, 17),
            (OptionName::SndHwm, 23),
            (OptionName::Ipv4Only, 31),
            (OptionName::RouterMandatory, 33),
            (OptionName::TcpAcceptFilter, 38),
            (OptionName::CurveServerKey, 50),
            (OptionName::IpcFilterPid, 58),
            (OptionName::IpcFilterUid, 59),
            (OptionName::IpcFilterGid, 60),
            (OptionName::ConnectRid, 61),
            (OptionName::XpubNodrop, 69),
            (OptionName::HeartbeatTtl, 76),
            (OptionName::HeartbeatTimeout, 77),
            (OptionName::MulticastMaxTpdu, 84),
            (OptionName::UseFd, 89),
            (OptionName::GssapiServicePrincipalNametype, 91),
        ] {
            assert_eq!(option.zmq_id(), id, "{option}");
        }
    }

    #[test]
    fn aliases_and_unknowns() {
        assert_eq!(
            OptionName::from_zmq_name("ZMQ_ROUTING_ID"),
            Some(OptionName::Identity)
        );
        assert_eq!(
            OptionName::from_zmq_name("ZMQ_CONNECT_ROUTING_ID"),
            Some(OptionName::ConnectRid)
        );
        assert_eq!(
            OptionName::from_zmq_name("ZMQ_DELAY_ATTACH_ON_CONNECT"),
            Some(OptionName::Immediate)
        );
        assert_eq!(OptionName::from_zmq_name("zmq_sndhwm"), None);
        assert_eq!(OptionName::from_zmq_name("ZMQ_TYPE"), None);
        // ZMQ_TYPE (16), ZMQ_MECHANISM (43): read-only; 10, 20, 26 were never assigned.
        for id in [0, 10, 16, 20, 26, 43, 92, -1] {
            assert_eq!(OptionName::from_zmq_id(id), None, "{id}");
        }
    }

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
            .map(OptionName::zmq_name)
            .collect();
        assert_eq!(
            per_type.join(" "),
            "ZMQ_CONNECT_RID ZMQ_PROBE_ROUTER ZMQ_REQ_CORRELATE ZMQ_REQ_RELAXED \
             ZMQ_ROUTER_HANDOVER ZMQ_ROUTER_MANDATORY ZMQ_ROUTER_RAW ZMQ_STREAM_NOTIFY \
             ZMQ_SUBSCRIBE ZMQ_UNSUBSCRIBE ZMQ_XPUB_VERBOSE ZMQ_XPUB_VERBOSER ZMQ_XPUB_MANUAL \
             ZMQ_XPUB_NODROP ZMQ_XPUB_WELCOME_MSG"
        );
        assert!(OptionName::RouterMandatory.accepted_by(SocketType::Rep));
        assert!(!OptionName::RouterMandatory.applies_to(SocketType::Rep));
        assert!(!OptionName::Subscribe.accepted_by(SocketType::XSub));
        assert!(OptionName::Conflate.accepted_by(SocketType::Router));
        assert!(!OptionName::Conflate.applies_to(SocketType::Router));
        assert!(!OptionName::HandshakeIvl.applies_to(SocketType::Stream));
    }
}

//! Looking options up by libzmq's names and numbers. [`OptionName`] itself, its names and
//! constants (`zmq.h` of libzmq 4.3, which keeps every 4.2 value), are generated from the option
//! table (`table/mod.rs`).

use std::fmt;

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
}

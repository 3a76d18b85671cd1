//! What is wrong with an option value: each error names the option (its `ZMQ_` name), what was
//! given and what is allowed. libzmq answers all of these with `EINVAL`.

use zmtp_codec::SocketType;

use super::name::OptionName;
use super::value::ValueKind;

/// An option value refused, or options that do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// The value is of the wrong type (libzmq: an `option_len` that does not fit).
    #[error("{option} takes {expected}, got {got}")]
    WrongType {
        /// The option.
        option: OptionName,
        /// What it takes.
        expected: ValueKind,
        /// What was given.
        got: &'static str,
    },
    /// A number outside the option's range.
    #[error("{option} must be {allowed}, got {got}")]
    OutOfRange {
        /// The option.
        option: OptionName,
        /// The values allowed, in words (`">= 0"`, `"-1, 0 or 1"`).
        allowed: &'static str,
        /// The value given.
        got: i128,
    },
    /// Binary data or text of a length the option does not take.
    #[error("{option} must be {allowed}, got {len} bytes")]
    Length {
        /// The option.
        option: OptionName,
        /// The lengths allowed, in words.
        allowed: &'static str,
        /// The length given.
        len: usize,
    },
    /// A value of the right type and size that still does not parse or is not allowed (a CURVE
    /// key that is not Z85, a filter that is not CIDR, a routing id starting with a zero
    /// byte).
    #[error("{option}: {reason}")]
    Invalid {
        /// The option.
        option: OptionName,
        /// What is wrong, and what would be right.
        reason: String,
    },
    /// The socket type does not take this option: libzmq handles it in another socket type's
    /// code and answers `EINVAL` here.
    #[error("{option} is not an option of {socket_type} sockets (it is for {accepted_by})")]
    NotForSocketType {
        /// The option.
        option: OptionName,
        /// The socket type it was set on.
        socket_type: SocketType,
        /// The socket types that take it, in words.
        accepted_by: &'static str,
    },
    /// The security mechanism the options select needs an option that is not set.
    #[error("{option} must be set for {mechanism}")]
    Missing {
        /// The missing option.
        option: OptionName,
        /// The mechanism and side that needs it (`"a CURVE client"`).
        mechanism: &'static str,
    },
    /// Options that contradict each other for the selected mechanism.
    #[error("{option} does not fit {other}: {reason}")]
    Conflict {
        /// The option whose value is at odds.
        option: OptionName,
        /// The option it contradicts.
        other: OptionName,
        /// How.
        reason: &'static str,
    },
    /// The option needs a cargo feature of zmtp that this build was made without: CURVE
    /// options need `curve`, a non-empty `ZMQ_SOCKS_PROXY` needs `socks` (both on by default).
    /// libzmq built without CURVE answers `EINVAL` in the same place.
    #[error(
        "{option} needs zmtp's `{feature}` cargo feature, which this build was made without \
         (enable it in Cargo.toml: features = [\"{feature}\"])"
    )]
    FeatureDisabled {
        /// The option.
        option: OptionName,
        /// The cargo feature it needs (`"curve"`, `"socks"`).
        feature: &'static str,
    },
    /// A `ZMQ_` name or numeric constant this crate does not know as a settable option.
    #[error("unknown socket option {0}")]
    Unknown(String),
}

impl OptionError {
    /// The option the error is about (`None` for [`OptionError::Unknown`]).
    pub fn option(&self) -> Option<OptionName> {
        match self {
            OptionError::WrongType { option, .. }
            | OptionError::OutOfRange { option, .. }
            | OptionError::Length { option, .. }
            | OptionError::Invalid { option, .. }
            | OptionError::NotForSocketType { option, .. }
            | OptionError::Missing { option, .. }
            | OptionError::Conflict { option, .. }
            | OptionError::FeatureDisabled { option, .. } => Some(*option),
            OptionError::Unknown(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_option() {
        let e = OptionError::OutOfRange {
            option: OptionName::SndHwm,
            allowed: ">= 0",
            got: -5,
        };
        assert_eq!(e.to_string(), "ZMQ_SNDHWM must be >= 0, got -5");
        assert_eq!(e.option(), Some(OptionName::SndHwm));
        let e = OptionError::NotForSocketType {
            option: OptionName::Subscribe,
            socket_type: SocketType::Pub,
            accepted_by: "SUB (and XPUB/PUB with ZMQ_XPUB_MANUAL)",
        };
        assert_eq!(
            e.to_string(),
            "ZMQ_SUBSCRIBE is not an option of PUB sockets (it is for SUB (and XPUB/PUB with \
             ZMQ_XPUB_MANUAL))"
        );
        assert_eq!(OptionError::Unknown("ZMQ_FOO".into()).option(), None);
        let e = OptionError::FeatureDisabled {
            option: OptionName::CurveServer,
            feature: "curve",
        };
        assert_eq!(
            e.to_string(),
            "ZMQ_CURVE_SERVER needs zmtp's `curve` cargo feature, which this build was made \
             without (enable it in Cargo.toml: features = [\"curve\"])"
        );
    }
}

//! Option values as libzmq passes them through `zmq_setsockopt` / `zmq_getsockopt`: an `int`,
//! an `int64_t`, a `uint64_t`, a `uid_t`/`gid_t`, binary data or a character string.

use std::fmt;

use bytes::Bytes;

/// A value for [`SocketOptions::set`](super::SocketOptions::set), or what
/// [`SocketOptions::get`](super::SocketOptions::get) returns: libzmq's raw representation.
///
/// What each option takes is its [`ValueKind`] ([`OptionName::kind`]). [`SocketOptions::set`]
/// also takes the obvious widenings: an `Int` for an `int64_t` or `uint64_t` option (if not
/// negative), an `Int` for a `uid_t`/`gid_t` one (if not negative), `Bytes` holding UTF-8 for a
/// character string (a single trailing NUL, as C passes it, is dropped), `Str` for binary data.
///
/// [`OptionName::kind`]: super::OptionName::kind
///
/// [`SocketOptions::set`]: super::SocketOptions::set
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OptionValue {
    /// A C `int`: counts, milliseconds (-1 often meaning infinite), booleans as 0 or 1.
    Int(i32),
    /// An `int64_t` (`ZMQ_MAXMSGSIZE`).
    Int64(i64),
    /// A `uint64_t` (`ZMQ_AFFINITY`, the VMCI buffer sizes).
    Uint64(u64),
    /// A `uid_t` or `gid_t` (`ZMQ_IPC_FILTER_UID`, `ZMQ_IPC_FILTER_GID`).
    Uint32(u32),
    /// Binary data: routing ids, subscriptions, CURVE keys (32 raw bytes, or Z85 text).
    /// Empty is what libzmq calls `(NULL, 0)`: it clears the list options
    /// (`ZMQ_TCP_ACCEPT_FILTER`, `ZMQ_IPC_FILTER_*`) and unsets the PLAIN credentials.
    Bytes(Bytes),
    /// A character string (`ZMQ_PLAIN_USERNAME`, `ZMQ_ZAP_DOMAIN`, `ZMQ_SOCKS_PROXY`, ...).
    Str(String),
    /// What [`SocketOptions::get`](super::SocketOptions::get) returns for the options that
    /// accumulate (subscriptions, accept filters): every value set so far, in order. libzmq
    /// cannot read these back at all. Never accepted by `set`.
    List(Vec<OptionValue>),
}

impl OptionValue {
    /// The value as an `int`, if it is one.
    pub fn as_int(&self) -> Option<i32> {
        match self {
            OptionValue::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as a byte string (`Bytes`, or the UTF-8 of a `Str`), if it is one.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            OptionValue::Bytes(b) => Some(b),
            OptionValue::Str(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// A short name of the variant, for error messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            OptionValue::Int(_) => "an int",
            OptionValue::Int64(_) => "an int64_t",
            OptionValue::Uint64(_) => "a uint64_t",
            OptionValue::Uint32(_) => "a uint32",
            OptionValue::Bytes(_) => "binary data",
            OptionValue::Str(_) => "a string",
            OptionValue::List(_) => "a list",
        }
    }
}

/// `From` for the values that are one variant as they are.
macro_rules! from {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<$t> for OptionValue {
            fn from(v: $t) -> OptionValue {
                OptionValue::$variant(v)
            }
        }
    )*};
}

from!(i32 => Int, i64 => Int64, u64 => Uint64, u32 => Uint32, Bytes => Bytes, String => Str);

impl From<bool> for OptionValue {
    /// A boolean option's `int`: 1 or 0.
    fn from(v: bool) -> OptionValue {
        OptionValue::Int(i32::from(v))
    }
}

impl From<&[u8]> for OptionValue {
    fn from(v: &[u8]) -> OptionValue {
        OptionValue::Bytes(Bytes::copy_from_slice(v))
    }
}

impl<const N: usize> From<&[u8; N]> for OptionValue {
    fn from(v: &[u8; N]) -> OptionValue {
        OptionValue::from(&v[..])
    }
}

impl From<Vec<u8>> for OptionValue {
    fn from(v: Vec<u8>) -> OptionValue {
        OptionValue::Bytes(Bytes::from(v))
    }
}

impl From<&str> for OptionValue {
    fn from(v: &str) -> OptionValue {
        OptionValue::Str(v.to_owned())
    }
}

/// The C type of an option's value, from the table's "Option value type" column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// `int`.
    Int,
    /// `int64_t`.
    Int64,
    /// `uint64_t`.
    Uint64,
    /// `uid_t` / `gid_t` (unsigned 32 bits on the platforms libzmq filters on).
    Uint32,
    /// Binary data.
    Binary,
    /// A character string.
    Text,
    /// "Binary data or Z85 text string": a CURVE key as 32 bytes, 40 Z85 characters, or 41 with
    /// a trailing NUL. Read back as the 32 bytes.
    CurveKey,
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueKind::Int => "an int",
            ValueKind::Int64 => "an int64_t",
            ValueKind::Uint64 => "a uint64_t",
            ValueKind::Uint32 => "a uid_t/gid_t (u32)",
            ValueKind::Binary => "binary data",
            ValueKind::Text => "a character string",
            ValueKind::CurveKey => {
                "a CURVE key (32 bytes, 40 Z85 characters, or 41 bytes ending in NUL)"
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(OptionValue::from(true), OptionValue::Int(1));
        assert_eq!(OptionValue::from(false), OptionValue::Int(0));
        assert_eq!(OptionValue::from(-1i64), OptionValue::Int64(-1));
        assert_eq!(OptionValue::from(3u64), OptionValue::Uint64(3));
        assert_eq!(OptionValue::from(7u32), OptionValue::Uint32(7));
        assert_eq!(
            OptionValue::from(b"ab"),
            OptionValue::Bytes(Bytes::from_static(b"ab"))
        );
        assert_eq!(OptionValue::from("x"), OptionValue::Str("x".into()));
        assert_eq!(OptionValue::from("x").as_bytes(), Some(&b"x"[..]));
        assert_eq!(OptionValue::Int(4).as_int(), Some(4));
        assert_eq!(OptionValue::Int64(4).as_int(), None);
    }
}

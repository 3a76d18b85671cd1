//! How a typed option value is kept and how it maps to libzmq's encoding: one [`Codec`] per
//! shape of value (a duration with -1 for "none", a boolean `int` that must be 0 or 1, a
//! routing id, ...). The rows of the option table (`table/mod.rs`) name theirs; values are stored
//! typed and converted to libzmq's `int`s, sentinels and byte strings only by the dynamic API
//! (`SocketOptions::set`, `SocketOptions::get`).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use zeroize::Zeroizing;
use zmtp_security::NameType;

use super::accessors::millis;
use super::error::OptionError;
use super::name::OptionName;
use super::validate::{self as v, MAX_HEARTBEAT_TTL_MS, MAX_SHORT_STRING};
use super::value::OptionValue;

/// One shape of option value.
pub(super) trait Codec {
    /// What is stored, and what the typed getter gives.
    type Value;
    /// What the typed setter takes.
    type Input;
    /// libzmq's value (the dynamic `set`), checked as libzmq checks it.
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<Self::Value, OptionError>;
    /// The stored value in libzmq's encoding (the dynamic `get`).
    fn encode(&self, value: &Self::Value) -> OptionValue;
    /// The typed setter's value in libzmq's encoding, which [`Codec::decode`] then checks.
    fn input(&self, name: OptionName, input: Self::Input) -> Result<OptionValue, OptionError>;
}

/// Milliseconds of a stored duration, as libzmq's `int` (stored durations came through an
/// `int`, so they fit).
fn ms(d: &Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

fn from_ms(ms: i32) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or_default())
}

/// An `int` of at least `.0`; `.1` says so in words.
pub(super) struct IntAtLeast(pub(super) i32, pub(super) &'static str);

impl Codec for IntAtLeast {
    type Value = i32;
    type Input = i32;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<i32, OptionError> {
        v::int_at_least(name, raw, self.0, self.1)
    }
    fn encode(&self, value: &i32) -> OptionValue {
        OptionValue::Int(*value)
    }
    fn input(&self, _: OptionName, input: i32) -> Result<OptionValue, OptionError> {
        Ok(OptionValue::Int(input))
    }
}

/// Milliseconds in an `int`, `None` standing for libzmq's sentinel (-1 or 0).
pub(super) struct Millis {
    /// The `int`s taken.
    range: (i32, i32),
    /// The `int` `None` stands for.
    none: i32,
    /// Kept in whole multiples of this many milliseconds (rounded down).
    step: i32,
    /// The `int`s taken, in words.
    allowed: &'static str,
}

impl Millis {
    /// -1 (`None`: infinite, never, none) or >= 0 ms.
    pub(super) const fn or_minus_one(allowed: &'static str) -> Millis {
        Millis {
            range: (-1, i32::MAX),
            none: -1,
            step: 1,
            allowed,
        }
    }

    /// >= 0 ms, 0 (`None`) meaning none or no limit.
    pub(super) const fn or_zero(allowed: &'static str) -> Millis {
        Millis {
            range: (0, i32::MAX),
            none: 0,
            step: 1,
            allowed,
        }
    }

    /// `ZMQ_HEARTBEAT_TIMEOUT`: >= 0 ms (0: no timeout); `None`, the default, is libzmq's -1
    /// (the heartbeat interval), which only the typed setter may set back.
    pub(super) const HEARTBEAT_TIMEOUT: Millis = Millis {
        range: (0, i32::MAX),
        none: -1,
        step: 1,
        allowed: ">= 0 ms (0: none)",
    };

    /// `ZMQ_HEARTBEAT_TTL`: 0 to 6553599 ms (0: none), kept in whole deciseconds as libzmq
    /// keeps it.
    pub(super) const HEARTBEAT_TTL: Millis = Millis {
        range: (0, MAX_HEARTBEAT_TTL_MS),
        none: 0,
        step: 100,
        allowed: "0 to 6553599 ms (sent in deciseconds in a u16)",
    };
}

impl Codec for Millis {
    type Value = Option<Duration>;
    type Input = Option<Duration>;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<Option<Duration>, OptionError> {
        let ms = v::int_in(name, raw, self.range.0, self.range.1, self.allowed)?;
        let ms = ms - ms % self.step;
        Ok((ms != self.none).then(|| from_ms(ms)))
    }
    fn encode(&self, value: &Option<Duration>) -> OptionValue {
        OptionValue::Int(value.as_ref().map_or(self.none, ms))
    }
    fn input(&self, name: OptionName, input: Option<Duration>) -> Result<OptionValue, OptionError> {
        input
            .map_or(Ok(self.none), |d| millis(name, d))
            .map(OptionValue::Int)
    }
}

/// Milliseconds >= 0, no sentinel (`ZMQ_RECOVERY_IVL`).
pub(super) struct Ms(pub(super) &'static str);

impl Codec for Ms {
    type Value = Duration;
    type Input = Duration;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<Duration, OptionError> {
        v::int_at_least(name, raw, 0, self.0).map(from_ms)
    }
    fn encode(&self, value: &Duration) -> OptionValue {
        OptionValue::Int(ms(value))
    }
    fn input(&self, name: OptionName, input: Duration) -> Result<OptionValue, OptionError> {
        millis(name, input).map(OptionValue::Int)
    }
}

/// An `int` where -1 (`None`) means the OS's default or none, else at least `.0`.
pub(super) struct OrMinusOne(pub(super) i32, pub(super) &'static str);

impl Codec for OrMinusOne {
    type Value = Option<i32>;
    type Input = Option<i32>;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<Option<i32>, OptionError> {
        let value = v::int(name, raw)?;
        if value == -1 {
            Ok(None)
        } else if value >= self.0 {
            Ok(Some(value))
        } else {
            Err(OptionError::OutOfRange {
                option: name,
                allowed: self.1,
                got: value.into(),
            })
        }
    }
    fn encode(&self, value: &Option<i32>) -> OptionValue {
        OptionValue::Int(value.unwrap_or(-1))
    }
    fn input(&self, _: OptionName, input: Option<i32>) -> Result<OptionValue, OptionError> {
        Ok(OptionValue::Int(input.unwrap_or(-1)))
    }
}

/// `ZMQ_TCP_KEEPALIVE`: -1 (`None`, the OS's), 0 or 1.
pub(super) struct TriState;

impl Codec for TriState {
    type Value = Option<bool>;
    type Input = Option<bool>;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<Option<bool>, OptionError> {
        let value = v::int_in(name, raw, -1, 1, "-1 (the OS's), 0 or 1")?;
        Ok((value != -1).then_some(value == 1))
    }
    fn encode(&self, value: &Option<bool>) -> OptionValue {
        OptionValue::Int(value.map_or(-1, i32::from))
    }
    fn input(&self, _: OptionName, input: Option<bool>) -> Result<OptionValue, OptionError> {
        Ok(OptionValue::Int(input.map_or(-1, i32::from)))
    }
}

/// How strictly a boolean `int` is read.
pub(super) enum Bool {
    /// 0 or 1 only (libzmq's `options.cpp`).
    Strict,
    /// Not negative; any positive value is on (the socket types' own options).
    NonNegative,
    /// Any non-zero value is on.
    Any,
}

impl Codec for Bool {
    type Value = bool;
    type Input = bool;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<bool, OptionError> {
        match self {
            Bool::Strict => v::bool_strict(name, raw),
            Bool::NonNegative => v::bool_non_negative(name, raw),
            Bool::Any => v::bool_any(name, raw),
        }
    }
    fn encode(&self, value: &bool) -> OptionValue {
        OptionValue::from(*value)
    }
    fn input(&self, _: OptionName, input: bool) -> Result<OptionValue, OptionError> {
        Ok(OptionValue::from(input))
    }
}

/// A `uint64_t`.
pub(super) struct Uint64;

impl Codec for Uint64 {
    type Value = u64;
    type Input = u64;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<u64, OptionError> {
        v::uint64(name, raw)
    }
    fn encode(&self, value: &u64) -> OptionValue {
        OptionValue::Uint64(*value)
    }
    fn input(&self, _: OptionName, input: u64) -> Result<OptionValue, OptionError> {
        Ok(OptionValue::Uint64(input))
    }
}

/// `ZMQ_MAXMSGSIZE`: an `int64_t` of bytes, -1 (`None`) for no limit.
pub(super) struct MaxMsgSize;

impl Codec for MaxMsgSize {
    type Value = Option<u64>;
    type Input = Option<u64>;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<Option<u64>, OptionError> {
        let size = v::int64(name, raw)?;
        if size < -1 {
            return Err(OptionError::OutOfRange {
                option: name,
                allowed: "-1 (no limit) or >= 0 bytes",
                got: size.into(),
            });
        }
        Ok(u64::try_from(size).ok())
    }
    fn encode(&self, value: &Option<u64>) -> OptionValue {
        OptionValue::Int64(value.map_or(-1, |v| i64::try_from(v).unwrap_or(i64::MAX)))
    }
    fn input(&self, name: OptionName, input: Option<u64>) -> Result<OptionValue, OptionError> {
        let raw = match input {
            None => -1,
            Some(b) => i64::try_from(b).map_err(|_| OptionError::OutOfRange {
                option: name,
                allowed: "-1 (no limit) or 0 to i64::MAX bytes",
                got: b.into(),
            })?,
        };
        Ok(OptionValue::Int64(raw))
    }
}

/// A GSSAPI name type: 0 host-based, 1 user name, 2 Kerberos principal.
pub(super) struct NameTypes;

impl Codec for NameTypes {
    type Value = NameType;
    type Input = NameType;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<NameType, OptionError> {
        let value = v::int(name, raw)?;
        NameType::from_raw(value).ok_or(OptionError::OutOfRange {
            option: name,
            allowed: "0 (host-based), 1 (user name) or 2 (Kerberos principal)",
            got: value.into(),
        })
    }
    fn encode(&self, value: &NameType) -> OptionValue {
        OptionValue::Int(value.as_raw())
    }
    fn input(&self, _: OptionName, input: NameType) -> Result<OptionValue, OptionError> {
        Ok(OptionValue::Int(input.as_raw()))
    }
}

/// Binary data; empty (libzmq's NULL) is `None`.
pub(super) enum Binary {
    /// Any bytes (`ZMQ_XPUB_WELCOME_MSG`).
    Any,
    /// A routing id, 1 to 255 bytes (`ZMQ_IDENTITY`).
    RoutingId,
    /// A routing id not starting with a zero byte (`ZMQ_CONNECT_RID`).
    ConnectRid,
}

impl Codec for Binary {
    type Value = Option<Bytes>;
    type Input = Bytes;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<Option<Bytes>, OptionError> {
        let bytes = match self {
            Binary::Any => v::binary(name, raw)?,
            Binary::RoutingId => v::routing_id(name, raw)?,
            Binary::ConnectRid => v::connect_rid(name, raw)?,
        };
        Ok(Some(bytes).filter(|b| !b.is_empty()))
    }
    fn encode(&self, value: &Option<Bytes>) -> OptionValue {
        OptionValue::Bytes(value.clone().unwrap_or_default())
    }
    fn input(&self, _: OptionName, input: Bytes) -> Result<OptionValue, OptionError> {
        Ok(OptionValue::Bytes(input))
    }
}

/// A character string; empty (not set) is `None`.
pub(super) enum Text {
    /// Any length (`ZMQ_SOCKS_PROXY`).
    Any,
    /// At most 255 bytes (`ZMQ_ZAP_DOMAIN`, `ZMQ_PLAIN_USERNAME`).
    Short,
    /// 1 to 255 bytes (the GSSAPI principals).
    NonEmptyShort,
}

impl Text {
    fn decode_text(&self, name: OptionName, raw: &OptionValue) -> Result<String, OptionError> {
        match self {
            Text::Any => v::text(name, raw),
            Text::Short => v::text_len(name, raw, true, MAX_SHORT_STRING, "at most 255 bytes"),
            Text::NonEmptyShort => {
                v::text_len(name, raw, false, MAX_SHORT_STRING, "1 to 255 bytes")
            }
        }
    }
}

impl Codec for Text {
    type Value = Option<String>;
    type Input = String;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<Option<String>, OptionError> {
        Ok(Some(self.decode_text(name, raw)?).filter(|t| !t.is_empty()))
    }
    fn encode(&self, value: &Option<String>) -> OptionValue {
        OptionValue::Str(value.clone().unwrap_or_default())
    }
    fn input(&self, _: OptionName, input: String) -> Result<OptionValue, OptionError> {
        Ok(OptionValue::Str(input))
    }
}

/// `ZMQ_PLAIN_PASSWORD`: at most 255 bytes (empty: not set), wiped from memory on drop and
/// redacted from `Debug`.
#[derive(Clone, Default)]
pub(super) struct Password(Zeroizing<String>);

impl Password {
    /// The password (`None`: not set).
    pub(super) fn as_option(&self) -> Option<&str> {
        Some(self.0.as_str()).filter(|s| !s.is_empty())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<not set>"
        } else {
            "<redacted>"
        })
    }
}

/// The codec of [`Password`].
pub(super) struct Secret;

impl Codec for Secret {
    type Value = Password;
    type Input = String;
    fn decode(&self, name: OptionName, raw: &OptionValue) -> Result<Password, OptionError> {
        Text::Short
            .decode_text(name, raw)
            .map(|text| Password(Zeroizing::new(text)))
    }
    fn encode(&self, value: &Password) -> OptionValue {
        OptionValue::Str(value.0.as_str().to_owned())
    }
    fn input(&self, _: OptionName, input: String) -> Result<OptionValue, OptionError> {
        Ok(OptionValue::Str(input))
    }
}

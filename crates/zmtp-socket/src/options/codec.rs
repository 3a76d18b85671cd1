//! How a typed option value is checked, kept and mapped to libzmq's encoding: one [`Codec`] per
//! shape of value (a duration with -1 for "none", a boolean `int` that must be 0 or 1, a
//! routing id, a CURVE key, a list that grows one value per set, ...), with libzmq's checks
//! (`options.cpp` and the socket types' `xsetsockopt`). The rows of the option table
//! (`table/mod.rs`) name theirs; values are stored typed and converted to libzmq's `int`s,
//! sentinels and byte strings only by the dynamic API (`SocketOptions::set`, `SocketOptions::get`).

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use zeroize::Zeroizing;
use zmtp_security::{KeyError, NameType};

use super::accessors::millis;
use super::error::OptionError;
use super::filter::TcpAcceptFilter;
use super::name::OptionName;
use super::security::{MechanismKind, Selected};
use super::value::OptionValue;

/// Longest routing id, PLAIN credential, ZAP domain, GSSAPI principal and accept filter libzmq
/// accepts (the length fields of ZMTP and ZAP are one byte).
const MAX_SHORT: usize = 255;

/// What [`Codec::store`] returns.
type Stored = Result<(), OptionError>;
/// What [`Codec::input`] returns.
type Raw = Result<OptionValue, OptionError>;

/// One shape of option value.
pub(super) trait Codec {
    /// What is stored, and what the typed getter reads.
    type Value;
    /// What the typed setter takes.
    type Input;
    /// Checks libzmq's value (the dynamic `set`) as libzmq checks it and stores it in `slot`,
    /// which an error leaves as it was.
    fn store(
        &self,
        name: OptionName,
        raw: &OptionValue,
        slot: &mut Self::Value,
    ) -> Result<(), OptionError>;
    /// The stored value in libzmq's encoding (the dynamic `get`).
    fn encode(&self, value: &Self::Value) -> OptionValue;
    /// The typed setter's value in libzmq's encoding, which [`Codec::store`] then checks.
    fn input(&self, name: OptionName, input: Self::Input) -> Raw;
}

fn wrong_type(option: OptionName, value: &OptionValue) -> OptionError {
    OptionError::WrongType {
        option,
        expected: option.kind(),
        got: value.kind_name(),
    }
}

fn out_of_range(option: OptionName, allowed: &'static str, got: impl Into<i128>) -> OptionError {
    OptionError::OutOfRange {
        option,
        allowed,
        got: got.into(),
    }
}

fn invalid(option: OptionName, reason: impl Into<String>) -> OptionError {
    OptionError::Invalid {
        option,
        reason: reason.into(),
    }
}

/// An `int` (only [`OptionValue::Int`], as libzmq wants exactly `sizeof (int)` bytes).
pub(super) fn int(option: OptionName, value: &OptionValue) -> Result<i32, OptionError> {
    match value {
        OptionValue::Int(v) => Ok(*v),
        other => Err(wrong_type(option, other)),
    }
}

/// An `int` in `min..=max`; `allowed` says so in words.
fn int_in(
    option: OptionName,
    value: &OptionValue,
    (min, max): (i32, i32),
    allowed: &'static str,
) -> Result<i32, OptionError> {
    let v = int(option, value)?;
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(out_of_range(option, allowed, v))
    }
}

/// A `uid_t` / `gid_t` (a non-negative `Int` is taken too).
pub(super) fn uid(option: OptionName, value: &OptionValue) -> Result<u32, OptionError> {
    match value {
        OptionValue::Uint32(v) => Ok(*v),
        OptionValue::Int(v) => {
            u32::try_from(*v).map_err(|_| out_of_range(option, ">= 0 (a uid_t/gid_t)", *v))
        }
        other => Err(wrong_type(option, other)),
    }
}

/// Binary data (a `Str` gives its UTF-8 bytes).
fn binary(option: OptionName, value: &OptionValue) -> Result<Bytes, OptionError> {
    match value {
        OptionValue::Bytes(b) => Ok(b.clone()),
        OptionValue::Str(s) => Ok(Bytes::copy_from_slice(s.as_bytes())),
        other => Err(wrong_type(option, other)),
    }
}

/// Whether `value` is libzmq's `(NULL, 0)`: empty binary data or an empty string.
fn is_null(value: &OptionValue) -> bool {
    value.as_bytes().is_some_and(<[u8]>::is_empty)
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
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        int_in(name, raw, (self.0, i32::MAX), self.1).map(|v| *slot = v)
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Int(*value)
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
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
    /// 4.3 keeps it (in a `u16`, as the PING command carries it).
    pub(super) const HEARTBEAT_TTL: Millis = Millis {
        range: (0, 6_553_599),
        none: 0,
        step: 100,
        allowed: "0 to 6553599 ms (sent in deciseconds in a u16)",
    };
}

impl Codec for Millis {
    type Value = Option<Duration>;
    type Input = Option<Duration>;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let ms = int_in(name, raw, self.range, self.allowed)?;
        let ms = ms - ms % self.step;
        *slot = (ms != self.none).then(|| from_ms(ms));
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Int(value.as_ref().map_or(self.none, ms))
    }
    fn input(&self, name: OptionName, input: Self::Input) -> Raw {
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
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        *slot = from_ms(int_in(name, raw, (0, i32::MAX), self.0)?);
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Int(ms(value))
    }
    fn input(&self, name: OptionName, input: Self::Input) -> Raw {
        millis(name, input).map(OptionValue::Int)
    }
}

/// An `int` where -1 (`None`) means the OS's default or none, else at least `.0`.
pub(super) struct OrMinusOne(pub(super) i32, pub(super) &'static str);

impl Codec for OrMinusOne {
    type Value = Option<i32>;
    type Input = Option<i32>;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let value = int(name, raw)?;
        if value != -1 && value < self.0 {
            return Err(out_of_range(name, self.1, value));
        }
        *slot = (value != -1).then_some(value);
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Int(value.unwrap_or(-1))
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::Int(input.unwrap_or(-1)))
    }
}

/// `ZMQ_TCP_KEEPALIVE`: -1 (`None`, the OS's), 0 or 1.
pub(super) struct TriState;

impl Codec for TriState {
    type Value = Option<bool>;
    type Input = Option<bool>;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let value = int_in(name, raw, (-1, 1), "-1 (the OS's), 0 or 1")?;
        *slot = (value != -1).then_some(value == 1);
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Int(value.map_or(-1, i32::from))
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::Int(input.map_or(-1, i32::from)))
    }
}

/// How strictly a boolean `int` is read.
pub(super) enum Bool {
    /// 0 or 1 only (libzmq's `options.cpp`).
    Strict,
    /// Not negative; any positive value is on (the socket types' own options in libzmq:
    /// ROUTER_*, REQ_*, XPUB_*, PROBE_ROUTER).
    NonNegative,
    /// Any non-zero value is on.
    Any,
    /// 0 or 1, stored inverted (`ZMQ_IPV4ONLY`, kept as `ZMQ_IPV6`).
    Inverted,
}

impl Codec for Bool {
    type Value = bool;
    type Input = bool;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let v = int(name, raw)?;
        *slot = match self {
            Bool::Strict | Bool::Inverted if !(0..=1).contains(&v) => {
                return Err(out_of_range(name, "0 or 1", v))
            }
            Bool::NonNegative if v < 0 => {
                return Err(out_of_range(
                    name,
                    "0 (off) or 1 (on; any positive value)",
                    v,
                ))
            }
            Bool::Inverted => v == 0,
            _ => v != 0,
        };
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::from(*value != matches!(self, Bool::Inverted))
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::from(input))
    }
}

/// A `uint64_t` (a non-negative `Int` or `Int64` is taken too).
pub(super) struct Uint64;

impl Codec for Uint64 {
    type Value = u64;
    type Input = u64;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let signed = match raw {
            OptionValue::Uint64(v) => i128::from(*v),
            OptionValue::Uint32(v) => i128::from(*v),
            OptionValue::Int(v) => i128::from(*v),
            OptionValue::Int64(v) => i128::from(*v),
            other => return Err(wrong_type(name, other)),
        };
        *slot =
            u64::try_from(signed).map_err(|_| out_of_range(name, ">= 0 (a uint64_t)", signed))?;
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Uint64(*value)
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::Uint64(input))
    }
}

/// `ZMQ_MAXMSGSIZE`: an `int64_t` of bytes (an `Int` is widened), -1 (`None`) for no limit.
pub(super) struct MaxMsgSize;

impl Codec for MaxMsgSize {
    type Value = Option<u64>;
    type Input = Option<u64>;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let size = match raw {
            OptionValue::Int64(v) => *v,
            OptionValue::Int(v) => i64::from(*v),
            other => return Err(wrong_type(name, other)),
        };
        if size < -1 {
            return Err(out_of_range(name, "-1 (no limit) or >= 0 bytes", size));
        }
        *slot = u64::try_from(size).ok();
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Int64(value.map_or(-1, |v| i64::try_from(v).unwrap_or(i64::MAX)))
    }
    fn input(&self, name: OptionName, input: Self::Input) -> Raw {
        let raw = match input {
            None => -1,
            Some(b) => i64::try_from(b)
                .map_err(|_| out_of_range(name, "-1 (no limit) or 0 to i64::MAX bytes", b))?,
        };
        Ok(OptionValue::Int64(raw))
    }
}

/// A GSSAPI name type: 0 host-based, 1 user name, 2 Kerberos principal.
pub(super) struct NameTypes;

impl Codec for NameTypes {
    type Value = NameType;
    type Input = NameType;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let value = int(name, raw)?;
        NameType::from_raw(value)
            .ok_or(out_of_range(
                name,
                "0 (host-based), 1 (user name) or 2 (Kerberos principal)",
                value,
            ))
            .map(|v| *slot = v)
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Int(value.as_raw())
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::Int(input.as_raw()))
    }
}

/// Binary data; empty (libzmq's NULL) is `None`.
pub(super) enum Binary {
    /// Any bytes (`ZMQ_XPUB_WELCOME_MSG`).
    Any,
    /// A routing id (`ZMQ_IDENTITY`): 1 to 255 bytes of any values, as the man page says ("may
    /// contain any values") and libzmq takes them, a leading zero byte included.
    RoutingId,
    /// A routing id not starting with a zero byte (`ZMQ_CONNECT_RID`), as its man page asks
    /// ("MAY NOT start with binary zero": a ROUTER's generated ids start with one). libzmq does
    /// not check it.
    ConnectRid,
}

impl Codec for Binary {
    type Value = Option<Bytes>;
    type Input = Bytes;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let bytes = binary(name, raw)?;
        if !matches!(self, Binary::Any) && !(1..=MAX_SHORT).contains(&bytes.len()) {
            return Err(OptionError::Length {
                option: name,
                allowed: "1 to 255 bytes",
                len: bytes.len(),
            });
        }
        if matches!(self, Binary::ConnectRid) && bytes.first() == Some(&0) {
            return Err(invalid(
                name,
                "a connect routing id may not start with a zero byte (the ids a ROUTER \
                 generates do)",
            ));
        }
        *slot = Some(bytes).filter(|b| !b.is_empty());
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Bytes(value.clone().unwrap_or_default())
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
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
    /// A `Str`, or `Bytes` holding UTF-8, of the lengths this variant takes. One trailing NUL
    /// (how C passes a string with its terminator) is dropped; any other NUL is refused, as
    /// the man page asks.
    fn read(&self, name: OptionName, raw: &OptionValue) -> Result<String, OptionError> {
        let bytes: &[u8] = match raw {
            OptionValue::Str(s) => s.as_bytes(),
            OptionValue::Bytes(b) => b,
            other => return Err(wrong_type(name, other)),
        };
        let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
        if bytes.contains(&0) {
            return Err(invalid(
                name,
                "a string may end in one NUL byte but contain no other",
            ));
        }
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| invalid(name, "the string is not UTF-8"))?;
        let (min, allowed) = match self {
            Text::Any => return Ok(text),
            Text::Short => (0, "at most 255 bytes"),
            Text::NonEmptyShort => (1, "1 to 255 bytes"),
        };
        if !(min..=MAX_SHORT).contains(&text.len()) {
            return Err(OptionError::Length {
                option: name,
                allowed,
                len: text.len(),
            });
        }
        Ok(text)
    }
}

impl Codec for Text {
    type Value = Option<String>;
    type Input = String;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        *slot = Some(self.read(name, raw)?).filter(|t| !t.is_empty());
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Str(value.clone().unwrap_or_default())
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
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
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        *slot = Password(Zeroizing::new(Text::Short.read(name, raw)?));
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Str(value.0.as_str().to_owned())
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::Str(input))
    }
}

/// A CURVE key of type `K`: 32 bytes, 40 Z85 characters or 41 bytes ending in NUL; read back
/// as its 32 bytes (empty: not set). `.0` parses a key, `.1` gives its bytes.
pub(super) struct Key<K>(
    pub(super) fn(&[u8]) -> Result<K, KeyError>,
    pub(super) fn(&K) -> &[u8; 32],
);

impl<K> Codec for Key<K> {
    type Value = Option<K>;
    type Input = K;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let bytes = raw.as_bytes().ok_or_else(|| wrong_type(name, raw))?;
        *slot = Some((self.0)(bytes).map_err(|e| match e {
            KeyError::InvalidLength { len } => OptionError::Length {
                option: name,
                allowed: "32 bytes, 40 Z85 characters or 41 bytes ending in NUL",
                len,
            },
            e => invalid(name, e.to_string()),
        })?);
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::Bytes(
            value
                .as_ref()
                .map_or_else(Bytes::new, |k| Bytes::copy_from_slice((self.1)(k))),
        )
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::Bytes(Bytes::copy_from_slice((self.1)(&input))))
    }
}

/// A mechanism's server flag (`ZMQ_PLAIN_SERVER`, ...), 0 or 1: sets libzmq's `mechanism` and
/// `as_server` ([`Selected`]) and reads 1 while that mechanism's server side is selected.
/// 1 selects the mechanism's server, 0 NULL, or for GSSAPI its client.
pub(super) struct ServerFlag(pub(super) MechanismKind);

impl Codec for ServerFlag {
    type Value = Selected;
    type Input = bool;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let mut server = false;
        Bool::Strict.store(name, raw, &mut server)?;
        let keep = server || self.0 == MechanismKind::Gssapi;
        *slot = Selected::new(server, keep.then_some(self.0));
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::from(value.is_server_of(self.0))
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::from(input))
    }
}

/// `ZMQ_SUBSCRIBE` (`true`) and `ZMQ_UNSUBSCRIBE` (`false`): the prefixes in force, in order,
/// with repeats (each UNSUBSCRIBE removes one instance, nothing if there is none).
pub(super) struct Subscription(pub(super) bool);

impl Codec for Subscription {
    type Value = Vec<Bytes>;
    type Input = Bytes;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        let prefix = binary(name, raw)?;
        if self.0 {
            slot.push(prefix);
        } else if let Some(i) = slot.iter().position(|s| *s == prefix) {
            slot.remove(i);
        }
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::List(value.iter().cloned().map(OptionValue::Bytes).collect())
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::Bytes(input))
    }
}

/// `ZMQ_TCP_ACCEPT_FILTER`: text of at most 255 bytes adds a filter (read back as the bytes of
/// `address/prefix`); empty (libzmq's NULL) clears them.
pub(super) struct AcceptFilters;

impl Codec for AcceptFilters {
    type Value = Vec<TcpAcceptFilter>;
    type Input = String;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        match Text::Short.read(name, raw)?.as_str() {
            "" => slot.clear(),
            text => slot.push(TcpAcceptFilter::parse(text)?),
        }
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        let text = |f: &TcpAcceptFilter| OptionValue::Bytes(Bytes::from(f.to_string()));
        OptionValue::List(value.iter().map(text).collect())
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(OptionValue::Str(input))
    }
}

/// The IPC filters: ids read by `.0` added one per set; empty data (libzmq's NULL) clears them.
pub(super) struct Ids<T>(pub(super) fn(OptionName, &OptionValue) -> Result<T, OptionError>);

impl<T: Ord + Copy + Into<OptionValue>> Codec for Ids<T> {
    type Value = BTreeSet<T>;
    type Input = T;
    fn store(&self, name: OptionName, raw: &OptionValue, slot: &mut Self::Value) -> Stored {
        if is_null(raw) {
            slot.clear();
        } else {
            slot.insert((self.0)(name, raw)?);
        }
        Ok(())
    }
    fn encode(&self, value: &Self::Value) -> OptionValue {
        OptionValue::List(value.iter().map(|&id| id.into()).collect())
    }
    fn input(&self, _: OptionName, input: Self::Input) -> Raw {
        Ok(input.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `codec` stores from `raw`, starting from `slot`.
    fn stored<C: Codec>(
        codec: C,
        name: OptionName,
        raw: OptionValue,
        mut slot: C::Value,
    ) -> Result<C::Value, OptionError> {
        codec.store(name, &raw, &mut slot).map(|()| slot)
    }

    #[test]
    fn strings_as_c_passes_them() {
        let zap = OptionName::ZapDomain;
        let text = |raw: &[u8]| stored(Text::Short, zap, raw.into(), None);
        assert_eq!(
            text(b"global\0"),
            Ok(Some("global".into())),
            "one trailing NUL dropped"
        );
        assert!(matches!(
            text(b"glo\0bal"),
            Err(OptionError::Invalid { .. })
        ));
        assert!(matches!(text(b"\xff"), Err(OptionError::Invalid { .. })));
        assert_eq!(
            text(&[b'x'; 255]),
            Ok(Some("x".repeat(255))),
            "the longest allowed"
        );
        assert!(matches!(
            text(&[b'x'; 256]),
            Err(OptionError::Length { len: 256, .. })
        ));
        assert!(text(&[b'x'; 300]).is_err());
        assert_eq!(
            stored(Text::Any, zap, "x".repeat(300).into(), None).map(|t| t.map(|t| t.len())),
            Ok(Some(300))
        );
        let principal = stored(
            Text::NonEmptyShort,
            OptionName::GssapiPrincipal,
            "".into(),
            None,
        );
        assert!(matches!(principal, Err(OptionError::Length { len: 0, .. })));
        assert!(matches!(
            stored(Text::Any, zap, 1.into(), None),
            Err(OptionError::WrongType { .. })
        ));
    }

    #[test]
    fn numbers_widen_as_libzmq_takes_them() {
        let o = OptionName::Affinity;
        assert_eq!(stored(Uint64, o, OptionValue::Int(5), 0), Ok(5));
        assert_eq!(stored(Uint64, o, OptionValue::Uint32(6), 0), Ok(6));
        assert_eq!(
            stored(Uint64, o, OptionValue::Uint64(u64::MAX), 0),
            Ok(u64::MAX)
        );
        assert!(matches!(
            stored(Uint64, o, OptionValue::Int64(-5), 0),
            Err(OptionError::OutOfRange { got: -5, .. })
        ));
        let o = OptionName::IpcFilterUid;
        assert_eq!(uid(o, &OptionValue::Int(5)), Ok(5));
        assert!(matches!(
            uid(o, &OptionValue::Int(-5)),
            Err(OptionError::OutOfRange { .. })
        ));
        assert!(matches!(
            uid(o, &OptionValue::Int64(5)),
            Err(OptionError::WrongType { .. })
        ));
        assert!(matches!(
            int(o, &OptionValue::Int64(3)),
            Err(OptionError::WrongType { .. })
        ));
    }

    #[test]
    fn minus_one_is_none_and_the_minimum_is_taken() {
        let (cnt, buf) = (OptionName::TcpKeepaliveCnt, OptionName::SndBuf);
        let at_least = |min| OrMinusOne(min, "-1 or at least the minimum");
        assert_eq!(
            stored(at_least(1), cnt, OptionValue::Int(-1), Some(5)),
            Ok(None)
        );
        assert_eq!(
            stored(at_least(1), cnt, OptionValue::Int(1), None),
            Ok(Some(1))
        );
        assert!(stored(at_least(1), cnt, OptionValue::Int(0), None).is_err());
        assert_eq!(
            stored(at_least(0), buf, OptionValue::Int(0), None),
            Ok(Some(0))
        );
        assert!(stored(at_least(0), buf, OptionValue::Int(-2), None).is_err());
        let size = OptionName::MaxMsgSize;
        assert_eq!(
            stored(MaxMsgSize, size, OptionValue::Int64(-1), Some(5)),
            Ok(None)
        );
        assert_eq!(
            stored(MaxMsgSize, size, OptionValue::Int(0), None),
            Ok(Some(0))
        );
    }

    #[test]
    fn the_typed_none_is_libzmq_sentinel() {
        let o = OptionName::SndBuf;
        assert_eq!(OrMinusOne(0, "").input(o, None), Ok(OptionValue::Int(-1)));
        assert_eq!(TriState.input(o, None), Ok(OptionValue::Int(-1)));
        assert_eq!(
            Millis::or_minus_one("").input(o, None),
            Ok(OptionValue::Int(-1))
        );
        assert_eq!(Millis::or_zero("").input(o, None), Ok(OptionValue::Int(0)));
        assert_eq!(MaxMsgSize.input(o, None), Ok(OptionValue::Int64(-1)));
    }
}

//! libzmq's checks on option values (`options.cpp` and the socket types' `xsetsockopt`), one
//! function per shape of rule. Each returns the value to store or an error naming the option.

use bytes::Bytes;

use super::error::OptionError;
use super::name::OptionName;
use super::value::{OptionValue, ValueKind};

/// Longest routing id, PLAIN credential, ZAP domain and GSSAPI principal libzmq accepts (the
/// length fields of ZMTP and ZAP are one byte).
pub(super) const MAX_SHORT_STRING: usize = 255;

/// Largest `ZMQ_HEARTBEAT_TTL` in milliseconds: libzmq 4.3 keeps it in deciseconds in a
/// `u16`, as the PING command carries it.
pub(super) const MAX_HEARTBEAT_TTL_MS: i32 = 6_553_599;

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

/// An `int` (only [`OptionValue::Int`], as libzmq wants exactly `sizeof (int)` bytes).
pub(super) fn int(option: OptionName, value: &OptionValue) -> Result<i32, OptionError> {
    match value {
        OptionValue::Int(v) => Ok(*v),
        other => Err(wrong_type(option, other)),
    }
}

/// An `int` of at least `min`; `allowed` says so in words.
pub(super) fn int_at_least(
    option: OptionName,
    value: &OptionValue,
    min: i32,
    allowed: &'static str,
) -> Result<i32, OptionError> {
    let v = int(option, value)?;
    if v >= min {
        Ok(v)
    } else {
        Err(out_of_range(option, allowed, v))
    }
}

/// An `int` in `min..=max`.
pub(super) fn int_in(
    option: OptionName,
    value: &OptionValue,
    min: i32,
    max: i32,
    allowed: &'static str,
) -> Result<i32, OptionError> {
    let v = int(option, value)?;
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(out_of_range(option, allowed, v))
    }
}

/// A boolean `int` that must be 0 or 1 (libzmq's strict booleans of `options.cpp`).
pub(super) fn bool_strict(option: OptionName, value: &OptionValue) -> Result<bool, OptionError> {
    match int(option, value)? {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(out_of_range(option, "0 or 1", v)),
    }
}

/// A boolean `int` that must not be negative; any positive value is on (the socket types'
/// own options in libzmq: ROUTER_*, REQ_*, XPUB_*, PROBE_ROUTER).
pub(super) fn bool_non_negative(
    option: OptionName,
    value: &OptionValue,
) -> Result<bool, OptionError> {
    let v = int(option, value)?;
    if v >= 0 {
        Ok(v != 0)
    } else {
        Err(out_of_range(
            option,
            "0 (off) or 1 (on; any positive value)",
            v,
        ))
    }
}

/// A boolean `int` where any non-zero value is on (libzmq's relaxed booleans).
pub(super) fn bool_any(option: OptionName, value: &OptionValue) -> Result<bool, OptionError> {
    int(option, value).map(|v| v != 0)
}

/// An `int64_t` (an `Int` is widened).
pub(super) fn int64(option: OptionName, value: &OptionValue) -> Result<i64, OptionError> {
    match value {
        OptionValue::Int64(v) => Ok(*v),
        OptionValue::Int(v) => Ok(i64::from(*v)),
        other => Err(wrong_type(option, other)),
    }
}

/// A `uint64_t` (a non-negative `Int` or `Int64` is taken too).
pub(super) fn uint64(option: OptionName, value: &OptionValue) -> Result<u64, OptionError> {
    let signed = match value {
        OptionValue::Uint64(v) => return Ok(*v),
        OptionValue::Uint32(v) => return Ok(u64::from(*v)),
        OptionValue::Int(v) => i64::from(*v),
        OptionValue::Int64(v) => *v,
        other => return Err(wrong_type(option, other)),
    };
    u64::try_from(signed).map_err(|_| out_of_range(option, ">= 0 (a uint64_t)", signed))
}

/// A `uid_t` / `gid_t` (a non-negative `Int` is taken too).
pub(super) fn uint32(option: OptionName, value: &OptionValue) -> Result<u32, OptionError> {
    match value {
        OptionValue::Uint32(v) => Ok(*v),
        OptionValue::Int(v) => {
            u32::try_from(*v).map_err(|_| out_of_range(option, ">= 0 (a uid_t/gid_t)", *v))
        }
        other => Err(wrong_type(option, other)),
    }
}

/// Binary data (a `Str` gives its UTF-8 bytes).
pub(super) fn binary(option: OptionName, value: &OptionValue) -> Result<Bytes, OptionError> {
    match value {
        OptionValue::Bytes(b) => Ok(b.clone()),
        OptionValue::Str(s) => Ok(Bytes::copy_from_slice(s.as_bytes())),
        other => Err(wrong_type(option, other)),
    }
}

/// A routing id (`ZMQ_IDENTITY`): 1 to 255 bytes of any values, as the man page says ("may
/// contain any values") and libzmq takes them, a leading zero byte included.
pub(super) fn routing_id(option: OptionName, value: &OptionValue) -> Result<Bytes, OptionError> {
    let id = binary(option, value)?;
    if id.is_empty() || id.len() > MAX_SHORT_STRING {
        return Err(OptionError::Length {
            option,
            allowed: "1 to 255 bytes",
            len: id.len(),
        });
    }
    Ok(id)
}

/// The id of the next connect's peer (`ZMQ_CONNECT_RID`): a routing id whose first byte is not
/// zero, as its man page asks ("MAY NOT start with binary zero": a ROUTER's generated ids
/// start with one). libzmq does not check it.
pub(super) fn connect_rid(option: OptionName, value: &OptionValue) -> Result<Bytes, OptionError> {
    let id = routing_id(option, value)?;
    if id.first() == Some(&0) {
        return Err(OptionError::Invalid {
            option,
            reason: "a connect routing id may not start with a zero byte (the ids a ROUTER \
                     generates do)"
                .into(),
        });
    }
    Ok(id)
}

/// A character string: a `Str`, or `Bytes` holding UTF-8. One trailing NUL (how C passes a
/// string with its terminator) is dropped; any other NUL is refused, as the man page asks.
pub(super) fn text(option: OptionName, value: &OptionValue) -> Result<String, OptionError> {
    let raw: &[u8] = match value {
        OptionValue::Str(s) => s.as_bytes(),
        OptionValue::Bytes(b) => b,
        other => return Err(wrong_type(option, other)),
    };
    let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
    if raw.contains(&0) {
        return Err(OptionError::Invalid {
            option,
            reason: "a string may end in one NUL byte but contain no other".into(),
        });
    }
    String::from_utf8(raw.to_vec()).map_err(|_| OptionError::Invalid {
        option,
        reason: "the string is not UTF-8".into(),
    })
}

/// A character string of at most `max` bytes (and at least one unless `allow_empty`).
pub(super) fn text_len(
    option: OptionName,
    value: &OptionValue,
    allow_empty: bool,
    max: usize,
    allowed: &'static str,
) -> Result<String, OptionError> {
    let s = text(option, value)?;
    if s.len() > max || (s.is_empty() && !allow_empty) {
        return Err(OptionError::Length {
            option,
            allowed,
            len: s.len(),
        });
    }
    Ok(s)
}

/// Whether `value` is libzmq's `(NULL, 0)`: empty binary data or an empty string.
pub(super) fn is_null(value: &OptionValue) -> bool {
    value.as_bytes().is_some_and(<[u8]>::is_empty)
}

/// The error for a CURVE key that does not parse.
/// A CURVE key value refused: of the wrong length, [`OptionError::Length`] (as an identity of
/// the wrong length is); 40 characters that are not Z85 or 41 bytes without the final NUL,
/// [`OptionError::Invalid`]; not bytes or text at all, [`OptionError::WrongType`].
pub(super) fn bad_key(
    option: OptionName,
    value: &OptionValue,
    error: Option<zmtp_security::KeyError>,
) -> OptionError {
    match value {
        OptionValue::Bytes(_) | OptionValue::Str(_) => match error {
            Some(zmtp_security::KeyError::InvalidLength { len }) => OptionError::Length {
                option,
                allowed: "32 bytes, 40 Z85 characters or 41 bytes ending in NUL",
                len,
            },
            Some(error) => OptionError::Invalid {
                option,
                reason: error.to_string(),
            },
            None => OptionError::Invalid {
                option,
                reason: String::new(),
            },
        },
        other => OptionError::WrongType {
            option,
            expected: ValueKind::CurveKey,
            got: other.kind_name(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const O: OptionName = OptionName::SndHwm;

    #[test]
    fn ints() {
        assert_eq!(int(O, &OptionValue::Int(3)), Ok(3));
        assert!(matches!(
            int(O, &OptionValue::Int64(3)),
            Err(OptionError::WrongType { .. })
        ));
        assert_eq!(int_at_least(O, &OptionValue::Int(0), 0, ">= 0"), Ok(0));
        assert_eq!(
            int_at_least(O, &OptionValue::Int(-5), 0, ">= 0").map_err(|e| e.to_string()),
            Err("ZMQ_SNDHWM must be >= 0, got -5".to_string())
        );
        assert_eq!(bool_strict(O, &OptionValue::Int(1)), Ok(true));
        assert!(bool_strict(O, &OptionValue::Int(2)).is_err());
        assert_eq!(bool_non_negative(O, &OptionValue::Int(7)), Ok(true));
        assert!(bool_non_negative(O, &OptionValue::Int(-1)).is_err());
        assert_eq!(bool_any(O, &OptionValue::Int(-1)), Ok(true));
        assert_eq!(int64(O, &OptionValue::Int(-1)), Ok(-1));
        assert_eq!(uint64(O, &OptionValue::Int(5)), Ok(5));
        assert!(uint64(O, &OptionValue::Int64(-5)).is_err());
        assert_eq!(uint32(O, &OptionValue::Int(5)), Ok(5));
        assert!(uint32(O, &OptionValue::Int(-5)).is_err());
    }

    #[test]
    fn strings() {
        let o = OptionName::ZapDomain;
        assert_eq!(
            text(o, &OptionValue::from(&b"global\0"[..])),
            Ok("global".into())
        );
        assert!(text(o, &OptionValue::from(&b"glo\0bal"[..])).is_err());
        assert!(text(o, &OptionValue::from(&b"\xff"[..])).is_err());
        assert!(text(o, &OptionValue::Int(1)).is_err());
        assert!(text_len(o, &"x".repeat(256).into(), true, 255, "at most 255 bytes").is_err());
        assert_eq!(
            text_len(o, &"x".repeat(255).into(), true, 255, "at most 255 bytes"),
            Ok("x".repeat(255)),
            "the longest string allowed"
        );
        assert!(text_len(o, &"".into(), false, 255, "1 to 255 bytes").is_err());
        assert!(is_null(&OptionValue::from("")));
        assert!(is_null(&OptionValue::Bytes(Bytes::new())));
        assert!(!is_null(&OptionValue::Int(0)));
    }

    #[test]
    fn routing_ids() {
        let o = OptionName::Identity;
        assert_eq!(
            routing_id(o, &OptionValue::from(&b"abc"[..])),
            Ok(Bytes::from_static(b"abc"))
        );
        assert!(matches!(
            routing_id(o, &OptionValue::from(&b""[..])),
            Err(OptionError::Length { len: 0, .. })
        ));
        assert!(matches!(
            routing_id(o, &OptionValue::from(vec![1u8; 256])),
            Err(OptionError::Length { len: 256, .. })
        ));
        assert!(routing_id(o, &OptionValue::from(vec![1u8; 255])).is_ok());
        assert_eq!(
            routing_id(o, &OptionValue::from(&b"\0abc"[..])),
            Ok(Bytes::from_static(b"\0abc")),
            "ZMQ_IDENTITY may contain any values"
        );
        let o = OptionName::ConnectRid;
        assert!(matches!(
            connect_rid(o, &OptionValue::from(&b"\0abc"[..])),
            Err(OptionError::Invalid { .. })
        ));
        assert!(matches!(
            connect_rid(o, &OptionValue::from(vec![1u8; 256])),
            Err(OptionError::Length { len: 256, .. })
        ));
        assert_eq!(
            connect_rid(o, &OptionValue::from(&b"a\0"[..])),
            Ok(Bytes::from_static(b"a\0"))
        );
    }
}

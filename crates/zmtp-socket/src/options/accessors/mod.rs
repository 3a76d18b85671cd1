//! Typed accessors: `set_*` setters that check at once (for a live socket), `get_*` getters in
//! Rust types, and the builder methods (`SocketOptions::new().sndhwm(10_000)`), which keep the
//! first invalid value for [`SocketOptions::build`](super::SocketOptions::build).
//!
//! Rust types stand for libzmq's conventions: `Option<Duration>` where libzmq uses -1 for
//! "infinite" or 0 for "none" (each accessor says which `None` means), `bool` for 0/1,
//! `Option<i32>` where -1 means "the OS's default", `Bytes` for binary data, the security
//! crate's key types for CURVE keys. Durations are whole milliseconds on the wire of the API:
//! a duration with a fraction of a millisecond is rounded up, so a short non-zero duration
//! never turns into 0 (which means "none" or "at once" for some options).
//!
//! Setters and getters are named like the `zmq` crate's (`set_sndhwm`, `get_sndhwm`); the
//! builder methods take the bare name.

mod builder;
mod connection;
mod patterns;
mod security;

use std::time::Duration;

use super::error::OptionError;
use super::name::OptionName;

/// Milliseconds in libzmq's `int`, rounded up; too long a duration is an error naming `option`.
pub(super) fn millis(option: OptionName, duration: Duration) -> Result<i32, OptionError> {
    let whole = duration.as_millis();
    let ms = if duration.subsec_nanos() % 1_000_000 == 0 {
        whole
    } else {
        whole + 1
    };
    i32::try_from(ms).map_err(|_| OptionError::OutOfRange {
        option,
        allowed: "at most i32::MAX (2147483647) ms",
        got: i128::try_from(ms).unwrap_or(i128::MAX),
    })
}

/// `None` as -1 (infinite), else the milliseconds.
pub(super) fn millis_or_minus_one(
    option: OptionName,
    duration: Option<Duration>,
) -> Result<i32, OptionError> {
    duration.map_or(Ok(-1), |d| millis(option, d))
}

/// `None` as 0 (none / disabled), else the milliseconds.
pub(super) fn millis_or_zero(
    option: OptionName,
    duration: Option<Duration>,
) -> Result<i32, OptionError> {
    duration.map_or(Ok(0), |d| millis(option, d))
}

/// A stored `int` of milliseconds where a negative value means infinite (`None`).
pub(super) fn duration_unless_negative(ms: i32) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// A stored `int` of milliseconds where 0 means none (`None`).
pub(super) fn duration_unless_zero(ms: i32) -> Option<Duration> {
    duration_unless_negative(ms).filter(|d| !d.is_zero())
}

/// A stored `int` where -1 means the OS's default (`None`).
pub(super) fn unless_minus_one(value: i32) -> Option<i32> {
    (value != -1).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up_to_milliseconds() {
        let o = OptionName::Linger;
        assert_eq!(millis(o, Duration::from_millis(1500)), Ok(1500));
        assert_eq!(millis(o, Duration::from_micros(1)), Ok(1));
        assert_eq!(millis(o, Duration::from_micros(1001)), Ok(2));
        assert_eq!(millis(o, Duration::ZERO), Ok(0));
        assert_eq!(
            millis(o, Duration::from_millis(i32::MAX as u64)),
            Ok(i32::MAX)
        );
        assert_eq!(
            millis(o, Duration::from_millis(i32::MAX as u64 + 1)).map_err(|e| e.to_string()),
            Err("ZMQ_LINGER must be at most i32::MAX (2147483647) ms, got 2147483648".into())
        );
        assert!(millis(o, Duration::MAX).is_err());
        assert_eq!(millis_or_minus_one(o, None), Ok(-1));
        assert_eq!(millis_or_zero(o, None), Ok(0));
        assert_eq!(duration_unless_negative(-1), None);
        assert_eq!(duration_unless_negative(0), Some(Duration::ZERO));
        assert_eq!(duration_unless_zero(0), None);
        assert_eq!(duration_unless_zero(5), Some(Duration::from_millis(5)));
        assert_eq!(unless_minus_one(-1), None);
        assert_eq!(unless_minus_one(4), Some(4));
    }
}

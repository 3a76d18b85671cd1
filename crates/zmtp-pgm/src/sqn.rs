//! Sequence numbers: 32-bit and wrapping, compared in serial-number arithmetic (RFC 1982 style,
//! as RFC 3208 section 4 requires): `a` is before `b` when `b - a` (mod 2^32) is below 2^31.

/// `a` comes strictly before `b` in sequence space.
pub fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a` comes before `b` or is `b`.
pub fn le(a: u32, b: u32) -> bool {
    a == b || lt(a, b)
}

/// How far `b` is ahead of `a`, when it is not behind (`None` when `b` is before `a`).
pub fn distance(a: u32, b: u32) -> Option<u32> {
    if lt(b, a) {
        None
    } else {
        Some(b.wrapping_sub(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_wraps() {
        assert!(lt(1, 2));
        assert!(!lt(2, 1));
        assert!(!lt(5, 5));
        assert!(le(5, 5));
        assert!(lt(u32::MAX, 0));
        assert!(lt(u32::MAX - 10, 3));
        assert!(!lt(3, u32::MAX - 10));
        assert_eq!(distance(u32::MAX, 1), Some(2));
        assert_eq!(distance(1, u32::MAX), None);
    }
}

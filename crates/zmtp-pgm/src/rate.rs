//! A token bucket for `ZMQ_RATE`, driven by the caller's clock.
//!
//! libzmq gives OpenPGM `ZMQ_RATE` (kbit/s) as its ODATA rate, `rate * 1000 / 8` bytes a
//! second. OpenPGM charges each packet its TPDU plus the IP (and UDP) header, refills
//! continuously, and holds at most one second of tokens (one millisecond when a millisecond's
//! worth is at least a TPDU). This bucket does the same with exact integer arithmetic on the
//! `Instant`s it is handed; it never reads a clock.
//!
//! One difference: a packet larger than the whole bucket (a rate so low that a second holds
//! less than one TPDU) is let through when the bucket is full, leaving it in debt, where
//! OpenPGM would wait for ever.

use std::time::{Duration, Instant};

const NANOS: i128 = 1_000_000_000;

/// The token bucket. Tokens are kept in byte-nanoseconds so refills are exact.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    bytes_per_sec: u64,
    capacity: i128,
    tokens: i128,
    last: Instant,
}

impl RateLimiter {
    /// A bucket for `bytes_per_sec`, full at `now`, sized as OpenPGM sizes it for packets of up
    /// to `max_tpdu` bytes. A rate of 0 means no limit.
    pub fn new(bytes_per_sec: u64, max_tpdu: usize, now: Instant) -> Self {
        let per_ms = bytes_per_sec / 1000;
        let cap_bytes = if per_ms >= max_tpdu as u64 {
            per_ms
        } else {
            bytes_per_sec
        };
        let capacity = i128::from(cap_bytes) * NANOS;
        RateLimiter {
            bytes_per_sec,
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    /// The bucket libzmq configures for `ZMQ_RATE` = `rate_kbit` kbit/s.
    pub fn for_zmq_rate(rate_kbit: u32, max_tpdu: usize, now: Instant) -> Self {
        Self::new(u64::from(rate_kbit) * 1000 / 8, max_tpdu, now)
    }

    /// Lets the bucket hold at least `burst` worth of tokens (never less than it holds now),
    /// for callers whose timers wake late: a bucket of one millisecond refilled by a timer
    /// that fires every millisecond or two (Tokio's) loses the tokens it cannot hold and sends
    /// at half the rate. Over any window longer than `burst` the rate is unchanged.
    pub fn set_min_burst(&mut self, burst: Duration) {
        let burst = i128::from(self.bytes_per_sec) * burst.as_nanos() as i128;
        if burst > self.capacity {
            // What was full stays full.
            self.tokens += burst - self.capacity;
            self.capacity = burst;
        }
    }

    /// Bytes a second (0: unlimited).
    pub fn bytes_per_sec(&self) -> u64 {
        self.bytes_per_sec
    }

    fn refill(&mut self, now: Instant) {
        if let Some(dt) = now.checked_duration_since(self.last) {
            let add = i128::from(self.bytes_per_sec) * dt.as_nanos() as i128;
            self.tokens = (self.tokens + add).min(self.capacity);
            self.last = now;
        }
    }

    /// Takes `bytes` if the bucket allows it at `now`; otherwise returns how long until it
    /// will.
    pub fn try_take(&mut self, now: Instant, bytes: usize) -> Result<(), Duration> {
        if self.bytes_per_sec == 0 {
            return Ok(());
        }
        self.refill(now);
        let cost = bytes as i128 * NANOS;
        let needed = cost.min(self.capacity);
        if self.tokens >= needed {
            self.tokens -= cost;
            Ok(())
        } else {
            let missing = needed - self.tokens;
            let rate = i128::from(self.bytes_per_sec);
            let nanos = (missing + rate - 1) / rate;
            Err(Duration::from_nanos(
                u64::try_from(nanos.max(1)).unwrap_or(u64::MAX),
            ))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_then_the_rate() {
        let t0 = Instant::now();
        // 1000 bytes/s, TPDU 100: one second of tokens.
        let mut r = RateLimiter::new(1000, 100, t0);
        for _ in 0..10 {
            assert!(r.try_take(t0, 100).is_ok());
        }
        let wait = r.try_take(t0, 100).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        assert!(r.try_take(t0 + Duration::from_millis(99), 100).is_err());
        assert!(r.try_take(t0 + Duration::from_millis(100), 100).is_ok());
    }

    #[test]
    fn fast_rates_hold_a_millisecond() {
        let t0 = Instant::now();
        // 10 MB/s, TPDU 1500: 10,000 bytes a millisecond, so a millisecond's bucket.
        let mut r = RateLimiter::new(10_000_000, 1500, t0);
        let mut sent = 0;
        while r.try_take(t0, 1500).is_ok() {
            sent += 1500;
        }
        assert_eq!(sent, 6 * 1500);
    }

    #[test]
    fn a_minimum_burst_holds_more_tokens_and_keeps_the_rate() {
        let t0 = Instant::now();
        // 10 MB/s: a millisecond's bucket (10,000 bytes), raised to 5 ms (50,000 bytes).
        let mut r = RateLimiter::new(10_000_000, 1500, t0);
        r.set_min_burst(Duration::from_millis(5));
        let mut sent = 0;
        while r.try_take(t0, 1000).is_ok() {
            sent += 1000;
        }
        assert_eq!(sent, 50_000, "a full bucket");
        // Four idle milliseconds refill 40,000 bytes (not only the 10,000 of OpenPGM's).
        let t = t0 + Duration::from_millis(4);
        let mut again = 0;
        while r.try_take(t, 1000).is_ok() {
            again += 1000;
        }
        assert_eq!(again, 40_000);
        // Ten idle milliseconds: no more than the bucket.
        let t = t + Duration::from_millis(10);
        let mut full = 0;
        while r.try_take(t, 1000).is_ok() {
            full += 1000;
        }
        assert_eq!(full, 50_000);
        // A smaller burst than the bucket changes nothing.
        let mut r = RateLimiter::new(1000, 100, t0);
        r.set_min_burst(Duration::from_millis(5));
        let mut n = 0;
        while r.try_take(t0, 100).is_ok() {
            n += 1;
        }
        assert_eq!(n, 10);
    }

    #[test]
    fn an_oversized_packet_goes_when_full() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(100, 1500, t0);
        assert!(r.try_take(t0, 1500).is_ok());
        assert!(r.try_take(t0 + Duration::from_secs(1), 1500).is_err());
        assert!(r.try_take(t0 + Duration::from_secs(15), 1500).is_ok());
    }
}

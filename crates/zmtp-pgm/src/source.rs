//! The sending side of a PGM session, as OpenPGM runs it for a libzmq PUB.
//!
//! - Sequence numbers start at a chosen value (OpenPGM: 0) and wrap.
//! - The transmit window holds the last `txw_sqns` TSDUs, sized as libzmq sizes it:
//!   `ZMQ_RECOVERY_IVL` (ms) x `ZMQ_RATE / 8` (bytes/ms) / `ZMQ_MULTICAST_MAXTPDU`, at least 1.
//!   Its trailing edge moves when a new TSDU pushes the oldest out.
//! - SPMs: three when the session starts; ambient ones every `ambient_spm` (libzmq: 30 s);
//!   heartbeat ones after each ODATA, restarted by the next ODATA, at the intervals libzmq
//!   sets (100, 100, 100, 100, 1300 ms, 7, 16, 25 s) as OpenPGM walks them: the first twice,
//!   each from the previous one's due time, so 100, 200, 300, 400, 500, 1800 ms, 8.8, 24.8,
//!   49.8 s after the data (the capture `epgm-libzmq.txt` shows the first six), then ambient
//!   ones only; one at once for each SPMR; three with `OPT_FIN` at [`Source::close`].
//! - A NAK for this session (its TSI, this source's NLA and group) is answered at once with an
//!   NCF for the sequence numbers still in the window, and RDATA for each, sent before any
//!   new SPM. Sequence numbers outside the window get neither (OpenPGM confirms them anyway
//!   and then cannot repair them; receivers time out either way).
//! - ODATA goes through the `ZMQ_RATE` token bucket ([`RateLimiter`]); as in libzmq, which
//!   sets only OpenPGM's ODATA rate, SPMs, NCFs and RDATA do not.
//!
//! The caller sends every packet [`Source::poll_transmit`] returns to the group (over UDP or
//! raw IP: [`Encapsulation`]), feeds NAKs and SPMRs it receives to [`Source::handle_packet`],
//! and calls [`Source::handle_timeout`] at [`Source::poll_timeout`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::packet::{max_tsdu, Body, Data, Encapsulation, Nak, Nla, Options, Packet, Spm};
use crate::packet::{OPT_NETWORK, OPT_PARITY};
use crate::rate::RateLimiter;
use crate::sqn;

/// libzmq's heartbeat SPM intervals (pgm_socket.cpp).
pub const LIBZMQ_HEARTBEAT_SPM: [Duration; 9] = [
    Duration::from_millis(100),
    Duration::from_millis(100),
    Duration::from_millis(100),
    Duration::from_millis(100),
    Duration::from_millis(1300),
    Duration::from_secs(7),
    Duration::from_secs(16),
    Duration::from_secs(25),
    Duration::from_secs(30),
];

/// The window size in packets libzmq asks OpenPGM for (`pgm_socket_t::compute_sqns`): the
/// bytes of `recovery_ivl_ms` at `rate_kbit` kbit/s (in whole bytes per millisecond) divided
/// by `max_tpdu`, at least 1.
pub fn window_sqns(rate_kbit: u32, recovery_ivl_ms: u32, max_tpdu: u16) -> u32 {
    let rate = u64::from(rate_kbit) / 8;
    let size = u64::from(recovery_ivl_ms) * rate;
    let sqns = size / u64::from(max_tpdu.max(1));
    u32::try_from(sqns.clamp(1, u64::from(u32::MAX / 2))).unwrap_or(u32::MAX / 2)
}

/// What a source is and how it runs.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// The global source identifier.
    pub gsi: [u8; 6],
    /// The source port (part of the TSI; OpenPGM picks it at random).
    pub sport: u16,
    /// The data-destination port (libzmq: the endpoint's port).
    pub dport: u16,
    /// This source's unicast address, advertised in SPMs; NAKs must name it.
    pub source_nla: Nla,
    /// The multicast group; NAKs must name it.
    pub group_nla: Nla,
    /// UDP or raw IP (it changes the maximum TSDU).
    pub encapsulation: Encapsulation,
    /// `ZMQ_MULTICAST_MAXTPDU` (default 1500).
    pub max_tpdu: u16,
    /// `ZMQ_RATE` in kbit/s (default 100).
    pub rate_kbit: u32,
    /// `ZMQ_RECOVERY_IVL` in milliseconds (default 10,000).
    pub recovery_ivl_ms: u32,
    /// Interval of ambient SPMs (libzmq: 30 s); taken between 1 ms and 100 days.
    pub ambient_spm: Duration,
    /// Heartbeat SPM intervals after data (libzmq: [`LIBZMQ_HEARTBEAT_SPM`]); each taken
    /// between 1 µs and 100 days.
    pub heartbeat_spm: Vec<Duration>,
    /// The first data sequence number (OpenPGM: 0).
    pub initial_sqn: u32,
}

impl SourceConfig {
    /// The configuration libzmq gives OpenPGM with default options (`ZMQ_RATE` 100,
    /// `ZMQ_RECOVERY_IVL` 10 s, `ZMQ_MULTICAST_MAXTPDU` 1500).
    pub fn libzmq(
        gsi: [u8; 6],
        sport: u16,
        dport: u16,
        source_nla: Nla,
        group_nla: Nla,
        encapsulation: Encapsulation,
    ) -> Self {
        SourceConfig {
            gsi,
            sport,
            dport,
            source_nla,
            group_nla,
            encapsulation,
            max_tpdu: 1500,
            rate_kbit: 100,
            recovery_ivl_ms: 10_000,
            ambient_spm: Duration::from_secs(30),
            heartbeat_spm: LIBZMQ_HEARTBEAT_SPM.to_vec(),
            initial_sqn: 0,
        }
    }

    /// The transmit window's size in packets ([`window_sqns`]).
    pub fn txw_sqns(&self) -> u32 {
        window_sqns(self.rate_kbit, self.recovery_ivl_ms, self.max_tpdu)
    }

    /// The largest TSDU ([`max_tsdu`]), which is libzmq's APDU size.
    pub fn max_tsdu(&self) -> usize {
        max_tsdu(self.max_tpdu, self.encapsulation)
    }
}

/// Why [`Source::send`] did not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The TSDU is larger than the maximum (this crate does not fragment APDUs).
    #[error("TSDU of {len} bytes above the maximum of {max}")]
    TooLarge {
        /// The TSDU's length.
        len: usize,
        /// The maximum TSDU.
        max: usize,
    },
    /// The rate limit does not allow it yet: try again after this long.
    #[error("rate limited for {0:?}")]
    RateLimited(Duration),
    /// The session was closed.
    #[error("the source is closed")]
    Closed,
}

/// Counters, for tests and monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// ODATA packets sent.
    pub odata: u64,
    /// RDATA packets sent.
    pub rdata: u64,
    /// SPMs sent.
    pub spm: u64,
    /// NCFs sent.
    pub ncf: u64,
    /// NAKs accepted (each sequence number counts).
    pub naks: u64,
    /// NAKs ignored (another session, wrong NLA or group, parity, outside the window).
    pub naks_ignored: u64,
    /// ODATA bytes (TPDUs) sent.
    pub odata_bytes: u64,
}

/// The source state machine.
#[derive(Debug)]
pub struct Source {
    cfg: SourceConfig,
    max_tsdu: usize,
    txw_sqns: u32,
    /// TSDUs in the window, oldest first; the first has sequence number `trail`.
    window: VecDeque<Bytes>,
    trail: u32,
    /// The next data sequence number.
    next_sqn: u32,
    spm_sqn: u32,
    rate: RateLimiter,
    /// Packets ready to go, in order.
    out: VecDeque<Bytes>,
    /// Sequence numbers to repair (no duplicates).
    repairs: VecDeque<u32>,
    next_ambient: Instant,
    /// The next heartbeat SPM and the index of the interval after it.
    next_heartbeat: Option<(Instant, usize)>,
    closed: bool,
    stats: SourceStats,
}

impl Source {
    /// A source starting at `now`: three SPMs are queued, as OpenPGM sends on connect.
    pub fn new(cfg: SourceConfig, now: Instant) -> Self {
        let mut cfg = cfg;
        cfg.ambient_spm = cfg
            .ambient_spm
            .clamp(Duration::from_millis(1), crate::receiver::MAX_INTERVAL);
        for d in &mut cfg.heartbeat_spm {
            *d = (*d).clamp(Duration::from_micros(1), crate::receiver::MAX_INTERVAL);
        }
        let max_tsdu = cfg.max_tsdu();
        let txw_sqns = cfg.txw_sqns();
        let rate = RateLimiter::for_zmq_rate(cfg.rate_kbit, usize::from(cfg.max_tpdu), now);
        let mut s = Source {
            max_tsdu,
            txw_sqns,
            window: VecDeque::new(),
            trail: cfg.initial_sqn,
            next_sqn: cfg.initial_sqn,
            spm_sqn: 0,
            rate,
            out: VecDeque::new(),
            repairs: VecDeque::new(),
            next_ambient: now + cfg.ambient_spm,
            next_heartbeat: None,
            closed: false,
            stats: SourceStats::default(),
            cfg,
        };
        for _ in 0..3 {
            s.queue_spm(false);
        }
        s
    }

    /// The configuration.
    pub fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    /// The largest TSDU [`Source::send`] takes (libzmq's APDU size).
    pub fn max_tsdu(&self) -> usize {
        self.max_tsdu
    }

    /// Lets the `ZMQ_RATE` bucket hold at least `burst` worth of bytes
    /// ([`RateLimiter::set_min_burst`]), for a caller whose timer wakes late.
    pub fn set_rate_burst(&mut self, burst: Duration) {
        self.rate.set_min_burst(burst);
    }

    /// The transmit window's capacity in packets.
    pub fn txw_sqns(&self) -> u32 {
        self.txw_sqns
    }

    /// The trailing edge: the oldest sequence number still repairable.
    pub fn trail(&self) -> u32 {
        self.trail
    }

    /// The leading edge: the last sequence number sent (`trail - 1` before any).
    pub fn lead(&self) -> u32 {
        self.next_sqn.wrapping_sub(1)
    }

    /// Counters.
    pub fn stats(&self) -> SourceStats {
        self.stats
    }

    fn packet(&self, body: Body, options: Options, flags: u8) -> Packet {
        Packet {
            sport: self.cfg.sport,
            dport: self.cfg.dport,
            gsi: self.cfg.gsi,
            flags,
            options,
            body,
        }
    }

    fn queue_spm(&mut self, fin: bool) {
        let spm = Spm {
            spm_sqn: self.spm_sqn,
            trail: self.trail,
            lead: self.lead(),
            path_nla: self.cfg.source_nla,
        };
        let options = Options {
            fin,
            ..Options::default()
        };
        let p = self.packet(Body::Spm(spm), options, 0).encode();
        self.spm_sqn = self.spm_sqn.wrapping_add(1);
        self.stats.spm += 1;
        self.out.push_back(p);
    }

    /// Sends one TSDU (for libzmq, an APDU from [`crate::ApduEncoder`]) as ODATA, if the rate
    /// allows it at `now`. The packet is then waiting in [`Source::poll_transmit`].
    pub fn send(&mut self, now: Instant, tsdu: Bytes) -> Result<u32, SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if tsdu.len() > self.max_tsdu {
            return Err(SendError::TooLarge {
                len: tsdu.len(),
                max: self.max_tsdu,
            });
        }
        let tpdu = crate::packet::HEADER_LEN + crate::packet::DATA_HEADER_LEN + tsdu.len();
        let overhead = crate::packet::ip_overhead(self.cfg.encapsulation);
        self.rate
            .try_take(now, tpdu + overhead)
            .map_err(SendError::RateLimited)?;
        let sqn = self.next_sqn;
        if u32::try_from(self.window.len()).map_or(true, |n| n >= self.txw_sqns) {
            self.window.pop_front();
            self.trail = self.trail.wrapping_add(1);
            // Repairs for what left the window can no longer be made.
            let trail = self.trail;
            self.repairs.retain(|s| sqn::le(trail, *s));
        }
        self.window.push_back(tsdu.clone());
        self.next_sqn = sqn.wrapping_add(1);
        let p = self
            .packet(
                Body::Odata(Data {
                    sqn,
                    trail: self.trail,
                    payload: tsdu,
                }),
                Options::default(),
                0,
            )
            .encode();
        self.stats.odata += 1;
        self.stats.odata_bytes += p.len() as u64;
        self.out.push_back(p);
        // Heartbeats restart from the last data packet.
        if let Some(first) = self.cfg.heartbeat_spm.first() {
            self.next_heartbeat = Some((now + *first, 1));
        }
        Ok(sqn)
    }

    fn in_window(&self, s: u32) -> Option<usize> {
        let d = sqn::distance(self.trail, s)?;
        ((d as usize) < self.window.len()).then_some(d as usize)
    }

    /// Handles a packet received on the source's unicast or multicast socket: NAKs for this
    /// session are confirmed and queued for repair, SPMRs answered with an SPM. Anything else
    /// is ignored.
    pub fn handle_packet(&mut self, _now: Instant, packet: &Packet) {
        if self.closed || packet.gsi != self.cfg.gsi || packet.dport != self.cfg.sport {
            return;
        }
        match &packet.body {
            Body::Nak(nak) => self.on_nak(packet, nak),
            Body::Spmr => self.queue_spm(false),
            _ => {}
        }
    }

    fn on_nak(&mut self, packet: &Packet, nak: &Nak) {
        let count = 1 + packet.options.nak_list.len() as u64;
        if packet.flags & OPT_PARITY != 0
            || nak.source_nla != self.cfg.source_nla
            || nak.group_nla != self.cfg.group_nla
            || packet.sport != self.cfg.dport
        {
            self.stats.naks_ignored += count;
            return;
        }
        let mut confirmed = Vec::new();
        for s in std::iter::once(nak.sqn).chain(packet.options.nak_list.iter().copied()) {
            if self.in_window(s).is_some() {
                self.stats.naks += 1;
                if !confirmed.contains(&s) {
                    confirmed.push(s);
                }
            } else {
                self.stats.naks_ignored += 1;
            }
        }
        let Some((&first, rest)) = confirmed.split_first() else {
            return;
        };
        let options = Options {
            nak_list: rest.to_vec(),
            ..Options::default()
        };
        let flags = if rest.is_empty() { 0 } else { OPT_NETWORK };
        let ncf = self.packet(
            Body::Ncf(Nak {
                sqn: first,
                source_nla: nak.source_nla,
                group_nla: nak.group_nla,
            }),
            options,
            flags,
        );
        self.out.push_back(ncf.encode());
        self.stats.ncf += 1;
        for s in confirmed {
            if !self.repairs.contains(&s) {
                self.repairs.push_back(s);
            }
        }
    }

    /// The next packet to send to the group: queued SPMs, ODATA and NCFs first, then repairs.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if let Some(p) = self.out.pop_front() {
            return Some(p);
        }
        while let Some(s) = self.repairs.pop_front() {
            let Some(i) = self.in_window(s) else {
                continue;
            };
            let payload = self.window[i].clone();
            let p = self.packet(
                Body::Rdata(Data {
                    sqn: s,
                    trail: self.trail,
                    payload,
                }),
                Options::default(),
                0,
            );
            self.stats.rdata += 1;
            return Some(p.encode());
        }
        None
    }

    /// When [`Source::handle_timeout`] has SPMs to send.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let ambient = self.next_ambient;
        Some(match self.next_heartbeat {
            Some((t, _)) if t < ambient => t,
            _ => ambient,
        })
    }

    /// Queues the SPMs due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        let mut sent = false;
        if let Some((t, state)) = self.next_heartbeat {
            if now >= t {
                self.queue_spm(false);
                sent = true;
                // As OpenPGM: the next heartbeat is based on the last one's due time, the
                // first interval is used twice (once when data resets the timer, once here),
                // and when the intervals run out only ambient SPMs remain.
                let n = self.cfg.heartbeat_spm.len();
                let (mut next, mut state) = (t, state);
                self.next_heartbeat = loop {
                    next += self.cfg.heartbeat_spm[state - 1];
                    state += 1;
                    if state == n + 1 {
                        break None;
                    }
                    if next > now {
                        break Some((next, state));
                    }
                };
            }
        }
        if now >= self.next_ambient {
            if !sent {
                self.queue_spm(false);
            }
            self.next_ambient = now + self.cfg.ambient_spm;
        }
    }

    /// Ends the session: three SPMs with `OPT_FIN` are queued (as OpenPGM sends on close) and
    /// nothing more is sent or answered after them.
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        for _ in 0..3 {
            self.queue_spm(true);
        }
        self.repairs.clear();
        self.closed = true;
    }
}

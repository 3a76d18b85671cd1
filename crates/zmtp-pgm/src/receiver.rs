//! The receiving side: per-source state, in-order delivery, loss detection and repair, as
//! OpenPGM runs it for a libzmq SUB (with libzmq's receiver settings), and libzmq's decoding
//! of the APDUs into messages.
//!
//! Per source (TSI), at most [`ReceiverConfig::max_sources`] of them:
//!
//! - **Joining.** The receive window is defined by the first packet seen: an ODATA or RDATA
//!   starts it at its own sequence number, an SPM just after its leading edge. Nothing before
//!   is asked for (OpenPGM's default, no late-join option). The APDU decoder then waits for an
//!   APDU whose offset is not `0xffff` and starts at the first whole message in it, as libzmq
//!   does.
//! - **Loss detection.** A data packet beyond the next expected one, or an SPM whose leading
//!   edge is ahead (tail loss), leaves placeholders for the missing sequence numbers. Each waits a random back-off in (0, `nak_bo_ivl`] drawn from the
//!   injected [`RandomSource`], then is NAKed (up to 63 in one NAK: the first and an
//!   `OPT_NAK_LIST`), to the source's NLA learnt from its SPMs. With no SPM heard yet, a
//!   placeholder whose back-off ends is lost, as in OpenPGM.
//! - **NCF.** An NCF for a placeholder waiting to NAK (another receiver's NAK was confirmed)
//!   or waiting for an NCF moves it to wait for the data (`nak_rdata_ivl`): NAK suppression.
//! - **Retries.** No NCF within `nak_rpt_ivl`: back off and NAK again, at most
//!   `nak_ncf_retries` times; no RDATA within `nak_rdata_ivl` after an NCF: back off and NAK
//!   again, at most `nak_data_retries` times. Then the sequence number is lost.
//! - **Window advance.** The trailing edge an ODATA, RDATA or SPM carries moves the window:
//!   what is missing behind it can no longer be repaired and is lost at once. The window holds
//!   at most `rxw_sqns` packets; a packet further ahead pushes the oldest out, lost if missing.
//! - **Unrecoverable loss** is reported in order, as an [`Event::Loss`] when the gap reaches
//!   the front of the window; the source's decoder is reset (libzmq drops its decoder and
//!   rejoins at the next offset), so messages cut by the gap are never delivered.
//! - A source not heard from for `peer_expiry` is forgotten; an SPM with `OPT_FIN` ends the
//!   session at once.
//!
//! SPMR: a source seen first through data (no SPM yet) is sent an SPMR after `spmr_expiry`
//! unless an SPM arrives first, to the group and to the address the data came from, as
//! OpenPGM does.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::framing::ApduDecoder;
use crate::packet::{Body, Data, Nak, Nla, Options, Packet, Spm, Tsi, MAX_NAK_LIST, OPT_NETWORK};
use crate::sqn;

/// Randomness for NAK back-off, injected so the protocol logic draws none of its own.
pub trait RandomSource {
    /// A uniformly random 32-bit number.
    fn next_u32(&mut self) -> u32;
}

/// A small deterministic generator (xorshift32), for tests and for callers that seed it from
/// the OS themselves.
#[derive(Debug, Clone)]
pub struct XorShift32(u32);

impl XorShift32 {
    /// A generator from `seed` (0 is replaced by a fixed non-zero value).
    pub fn new(seed: u32) -> Self {
        XorShift32(if seed == 0 { 0x9e37_79b9 } else { seed })
    }
}

impl RandomSource for XorShift32 {
    fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// A NAK back-off from `now`: in (0, `ivl`] microseconds, as OpenPGM's
/// `pgm_rand_int_range(1, nak_bo_ivl)`.
fn backoff(rng: &mut impl RandomSource, ivl: Duration, now: Instant) -> Instant {
    let max = u32::try_from(ivl.as_micros().max(1)).unwrap_or(u32::MAX);
    let us = 1 + rng.next_u32() % max;
    now + Duration::from_micros(u64::from(us))
}

/// The longest any configured interval is taken to be (100 days), so that adding one to an
/// `Instant` cannot overflow.
pub(crate) const MAX_INTERVAL: Duration = Duration::from_secs(100 * 86_400);

/// Receiver settings. [`ReceiverConfig::libzmq`] gives libzmq's.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// The data-destination port this receiver listens on (libzmq: the endpoint's port).
    pub dport: u16,
    /// The multicast group, named in NAKs; NCFs for another group are ignored.
    pub group_nla: Nla,
    /// Receive window size in packets (libzmq: the same formula as the transmit window);
    /// taken between 1 and 2^24.
    pub rxw_sqns: u32,
    /// Upper bound of the random NAK back-off (libzmq: 50 ms).
    pub nak_bo_ivl: Duration,
    /// How long to wait for an NCF after a NAK (libzmq: 200 ms).
    pub nak_rpt_ivl: Duration,
    /// How long to wait for RDATA after an NCF (libzmq: 200 ms).
    pub nak_rdata_ivl: Duration,
    /// NAKs sent without an NCF before giving up (libzmq: 50).
    pub nak_ncf_retries: u32,
    /// NCFs received without RDATA before giving up (libzmq: 50).
    pub nak_data_retries: u32,
    /// Delay before an SPMR for a source heard without an SPM (libzmq: 25 ms).
    pub spmr_expiry: Duration,
    /// A silent source is forgotten after this long (libzmq: 300 s).
    pub peer_expiry: Duration,
    /// Most sources tracked at once; packets of further ones are ignored. Memory is bounded by
    /// `max_sources` x `rxw_sqns` slots (about 48 bytes each, plus the TSDUs held).
    pub max_sources: usize,
    /// `ZMQ_MAXMSGSIZE` for the frames decoded (`None`: no limit).
    pub max_msg_size: Option<u64>,
}

impl ReceiverConfig {
    /// libzmq's settings (pgm_socket.cpp) for a receiver on `dport` and `group`, with the
    /// window sized from `ZMQ_RATE`, `ZMQ_RECOVERY_IVL` and `ZMQ_MULTICAST_MAXTPDU`.
    pub fn libzmq(
        dport: u16,
        group_nla: Nla,
        rate_kbit: u32,
        recovery_ivl_ms: u32,
        max_tpdu: u16,
    ) -> Self {
        ReceiverConfig {
            dport,
            group_nla,
            rxw_sqns: crate::source::window_sqns(rate_kbit, recovery_ivl_ms, max_tpdu),
            nak_bo_ivl: Duration::from_millis(50),
            nak_rpt_ivl: Duration::from_millis(200),
            nak_rdata_ivl: Duration::from_millis(200),
            nak_ncf_retries: 50,
            nak_data_retries: 50,
            spmr_expiry: Duration::from_millis(25),
            peer_expiry: Duration::from_secs(300),
            max_sources: 256,
            max_msg_size: None,
        }
    }
}

/// What the receiver reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A whole message (its frames) from a source.
    Message {
        /// The source.
        tsi: Tsi,
        /// The frames.
        parts: Vec<Bytes>,
    },
    /// Sequence numbers `first .. first + count` of a source are lost for good; messages they
    /// carried, or that straddled them, are not delivered.
    Loss {
        /// The source.
        tsi: Tsi,
        /// The first lost sequence number.
        first: u32,
        /// How many in a row.
        count: u32,
    },
    /// A source's data could not be decoded (libzmq: the decoder is dropped and the source
    /// rejoined at its next offset).
    Malformed {
        /// The source.
        tsi: Tsi,
        /// What was wrong.
        error: crate::framing::FramingError,
    },
    /// A source ended its session (`OPT_FIN`) or went silent past `peer_expiry`.
    SourceGone {
        /// The source.
        tsi: Tsi,
    },
}

/// Where a packet from the receiver goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// Unicast to the source's NLA (NAKs): over UDP to the endpoint's port, over raw IP as
    /// protocol 113.
    Source(Nla),
    /// Unicast to the address the source's packets come from (the first SPMR, before any
    /// SPM named the source's NLA): the caller knows it from the datagram.
    SourceAddressOf(Tsi),
    /// The multicast group (SPMRs).
    Group,
}

/// A packet for the caller to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub destination: Destination,
    /// The encoded PGM packet.
    pub packet: Bytes,
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiverStats {
    /// NAK packets sent.
    pub naks_sent: u64,
    /// Sequence numbers NAKed (the NAKs' lists included).
    pub sqns_naked: u64,
    /// NCFs that confirmed a placeholder.
    pub ncfs: u64,
    /// Data packets repaired by RDATA.
    pub repaired: u64,
    /// Duplicate or stale data packets dropped.
    pub duplicates: u64,
    /// Sequence numbers lost.
    pub lost: u64,
    /// SPMRs sent.
    pub spmrs: u64,
    /// Packets ignored (another port, too many sources, upstream types).
    pub ignored: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    BackOff,
    Ncf,
    Data,
}

#[derive(Debug)]
enum Slot {
    Have(Bytes),
    Missing {
        wait: Wait,
        expiry: Instant,
        ncf_retries: u32,
        data_retries: u32,
    },
    Lost,
}

#[derive(Debug)]
struct Peer {
    /// The source's NLA from its SPMs (where NAKs go).
    nla: Option<Nla>,
    last_spm_sqn: Option<u32>,
    last_heard: Instant,
    spmr_due: Option<Instant>,
    /// Window defined (first packet seen).
    defined: bool,
    /// Sequence number of `slots[0]`: the next to deliver.
    base: u32,
    slots: VecDeque<Slot>,
    /// How many of `slots` are `Missing` (the timers): with none, nothing is scanned.
    missing: usize,
    decoder: ApduDecoder,
}

impl Peer {
    fn next_expected(&self) -> u32 {
        // The window holds at most `rxw_sqns` (a u32) slots.
        self.base
            .wrapping_add(u32::try_from(self.slots.len()).unwrap_or(u32::MAX))
    }
}

/// The receiver state machine, for any number of sources on one group and port.
#[derive(Debug)]
pub struct Receiver<R> {
    cfg: ReceiverConfig,
    rng: R,
    peers: HashMap<Tsi, Peer>,
    events: VecDeque<Event>,
    out: VecDeque<Transmit>,
    stats: ReceiverStats,
}

impl<R: RandomSource> Receiver<R> {
    /// A receiver with `cfg`, drawing NAK back-offs from `rng`.
    pub fn new(cfg: ReceiverConfig, rng: R) -> Self {
        let mut cfg = cfg;
        cfg.rxw_sqns = cfg.rxw_sqns.clamp(1, 1 << 24);
        for d in [
            &mut cfg.nak_bo_ivl,
            &mut cfg.nak_rpt_ivl,
            &mut cfg.nak_rdata_ivl,
            &mut cfg.spmr_expiry,
            &mut cfg.peer_expiry,
        ] {
            *d = (*d).min(MAX_INTERVAL);
        }
        Receiver {
            cfg,
            rng,
            peers: HashMap::new(),
            events: VecDeque::new(),
            out: VecDeque::new(),
            stats: ReceiverStats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ReceiverConfig {
        &self.cfg
    }

    /// Counters.
    pub fn stats(&self) -> ReceiverStats {
        self.stats
    }

    /// The sources currently tracked.
    pub fn sources(&self) -> impl Iterator<Item = &Tsi> {
        self.peers.keys()
    }

    /// A source's window: the next sequence number to deliver and how many sequence numbers
    /// are held from there (received, missing or lost), at most `rxw_sqns`. `None` for an
    /// unknown source or one whose window is not defined yet.
    pub fn window(&self, tsi: &Tsi) -> Option<(u32, usize)> {
        let p = self.peers.get(tsi)?;
        p.defined.then_some((p.base, p.slots.len()))
    }

    /// Decodes a UDP payload (`epgm://`) and handles it. Malformed packets are refused with
    /// their error and change nothing.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        datagram: &[u8],
    ) -> Result<(), crate::PacketError> {
        let p = Packet::decode(datagram)?;
        self.handle_packet(now, &p);
        Ok(())
    }

    fn backoff(&mut self, now: Instant) -> Instant {
        backoff(&mut self.rng, self.cfg.nak_bo_ivl, now)
    }

    /// Handles a decoded packet received on the group or this host's unicast address.
    pub fn handle_packet(&mut self, now: Instant, packet: &Packet) {
        if packet.dport != self.cfg.dport {
            self.stats.ignored += 1;
            return;
        }
        let tsi = packet.tsi();
        match &packet.body {
            Body::Spm(_) | Body::Odata(_) | Body::Rdata(_) | Body::Ncf(_) => {}
            _ => {
                self.stats.ignored += 1;
                return;
            }
        }
        if !self.peers.contains_key(&tsi) {
            if matches!(packet.body, Body::Ncf(_)) || packet.options.fin {
                self.stats.ignored += 1;
                return;
            }
            if self.peers.len() >= self.cfg.max_sources {
                self.stats.ignored += 1;
                return;
            }
            let spmr_due = match packet.body {
                Body::Spm(_) => None,
                _ => Some(now + self.cfg.spmr_expiry),
            };
            self.peers.insert(
                tsi,
                Peer {
                    nla: None,
                    last_spm_sqn: None,
                    last_heard: now,
                    spmr_due,
                    defined: false,
                    base: 0,
                    slots: VecDeque::new(),
                    missing: 0,
                    decoder: ApduDecoder::new(self.cfg.max_msg_size),
                },
            );
        }
        match &packet.body {
            Body::Spm(spm) => self.on_spm(now, tsi, spm, &packet.options),
            Body::Odata(d) => self.on_data(now, tsi, d, &packet.options, false),
            Body::Rdata(d) => self.on_data(now, tsi, d, &packet.options, true),
            Body::Ncf(n) => self.on_ncf(now, tsi, n, &packet.options),
            _ => {}
        }
        self.debug_check(&tsi);
    }

    /// Debug builds (tests, fuzzing) check the count of missing slots after every step.
    fn debug_check(&self, tsi: &Tsi) {
        if cfg!(debug_assertions) {
            if let Some(p) = self.peers.get(tsi) {
                let n = p
                    .slots
                    .iter()
                    .filter(|s| matches!(s, Slot::Missing { .. }))
                    .count();
                debug_assert_eq!(p.missing, n, "missing-slot count");
                debug_assert!(p.slots.len() <= self.cfg.rxw_sqns as usize);
            }
        }
    }

    fn on_spm(&mut self, now: Instant, tsi: Tsi, spm: &Spm, options: &Options) {
        let Some(peer) = self.peers.get_mut(&tsi) else {
            return;
        };
        // SPMs carry their own sequence; an old one says nothing new.
        if let Some(last) = peer.last_spm_sqn {
            if !sqn::lt(last, spm.spm_sqn) {
                return;
            }
        }
        peer.last_spm_sqn = Some(spm.spm_sqn);
        peer.last_heard = now;
        peer.nla = Some(spm.path_nla);
        peer.spmr_due = None;
        if options.fin {
            self.drop_peer(tsi);
            return;
        }
        if !peer.defined {
            peer.defined = true;
            peer.base = spm.lead.wrapping_add(1);
            return;
        }
        self.advance_trail(now, tsi, spm.trail);
        // Tail loss: the source sent more than we saw.
        let next = spm.lead.wrapping_add(1);
        self.extend_to(now, tsi, next);
        self.deliver(tsi);
    }

    fn on_data(&mut self, now: Instant, tsi: Tsi, d: &Data, options: &Options, repair: bool) {
        let Some(peer) = self.peers.get_mut(&tsi) else {
            return;
        };
        peer.last_heard = now;
        if options.fragment.is_some() {
            // A fragmented APDU: libzmq never sends one, and reassembly is not implemented;
            // the sequence number is taken as lost (the decoder rejoins after it).
        }
        if !peer.defined {
            peer.defined = true;
            peer.base = d.sqn;
        }
        self.advance_trail(now, tsi, d.trail);
        let Some(peer) = self.peers.get_mut(&tsi) else {
            return;
        };
        if sqn::lt(d.sqn, peer.base) {
            self.stats.duplicates += 1;
            return;
        }
        // Make room and placeholders up to this one.
        self.extend_to(now, tsi, d.sqn.wrapping_add(1));
        let Some(peer) = self.peers.get_mut(&tsi) else {
            return;
        };
        let Some(i) = sqn::distance(peer.base, d.sqn) else {
            self.stats.duplicates += 1;
            return;
        };
        let Some(slot) = peer.slots.get_mut(i as usize) else {
            return;
        };
        match slot {
            Slot::Have(_) => self.stats.duplicates += 1,
            Slot::Lost => self.stats.duplicates += 1,
            Slot::Missing { .. } => {
                peer.missing -= 1;
                if options.fragment.is_some() {
                    *slot = Slot::Lost;
                    self.stats.lost += 1;
                } else {
                    *slot = Slot::Have(d.payload.clone());
                    if repair {
                        self.stats.repaired += 1;
                    }
                }
            }
        }
        self.deliver(tsi);
    }

    fn on_ncf(&mut self, now: Instant, tsi: Tsi, n: &Nak, options: &Options) {
        if n.group_nla != self.cfg.group_nla {
            self.stats.ignored += 1;
            return;
        }
        let rdata_ivl = self.cfg.nak_rdata_ivl;
        let Some(peer) = self.peers.get_mut(&tsi) else {
            return;
        };
        if !peer.defined {
            return;
        }
        for s in std::iter::once(n.sqn).chain(options.nak_list.iter().copied()) {
            let Some(i) = sqn::distance(peer.base, s) else {
                continue;
            };
            if let Some(Slot::Missing { wait, expiry, .. }) = peer.slots.get_mut(i as usize) {
                if *wait != Wait::Data {
                    *wait = Wait::Data;
                    *expiry = now + rdata_ivl;
                    self.stats.ncfs += 1;
                } else {
                    // A repeated NCF restarts the wait for the data.
                    *expiry = now + rdata_ivl;
                }
            }
        }
    }

    /// Adds placeholders so that the window reaches `next` (exclusive), pushing the oldest
    /// out if the window would exceed `rxw_sqns`.
    fn extend_to(&mut self, now: Instant, tsi: Tsi, next: u32) {
        let cap = self.cfg.rxw_sqns;
        let Some(peer) = self.peers.get(&tsi) else {
            return;
        };
        let Some(ahead) = sqn::distance(peer.base, next) else {
            return;
        };
        if ahead > cap {
            self.advance_to(tsi, next.wrapping_sub(cap));
        }
        let Receiver {
            peers, rng, cfg, ..
        } = self;
        let Some(peer) = peers.get_mut(&tsi) else {
            return;
        };
        let n = sqn::distance(peer.next_expected(), next).unwrap_or(0);
        for _ in 0..n {
            let expiry = backoff(rng, cfg.nak_bo_ivl, now);
            peer.slots.push_back(Slot::Missing {
                wait: Wait::BackOff,
                expiry,
                ncf_retries: 0,
                data_retries: 0,
            });
            peer.missing += 1;
        }
    }

    /// The source's trailing edge moved to `trail`: what is missing before it is lost.
    fn advance_trail(&mut self, _now: Instant, tsi: Tsi, trail: u32) {
        let Some(peer) = self.peers.get(&tsi) else {
            return;
        };
        if sqn::lt(peer.base, trail) {
            // A trail implausibly far ahead (more than 2^31) reads as behind and is ignored.
            self.advance_to(tsi, trail);
        }
    }

    /// Moves the front of the window to `new_base`: packets held before it are delivered,
    /// missing ones lost.
    fn advance_to(&mut self, tsi: Tsi, new_base: u32) {
        loop {
            let Some(peer) = self.peers.get_mut(&tsi) else {
                return;
            };
            if !sqn::lt(peer.base, new_base) {
                break;
            }
            match peer.slots.front_mut() {
                Some(slot @ Slot::Missing { .. }) => {
                    *slot = Slot::Lost;
                    peer.missing -= 1;
                    self.stats.lost += 1;
                    self.deliver_front(tsi);
                }
                Some(_) => {
                    self.deliver_front(tsi);
                }
                None => {
                    // Beyond everything held: the whole stretch is lost at once.
                    let count = new_base.wrapping_sub(peer.base);
                    let first = peer.base;
                    peer.base = new_base;
                    peer.decoder.reset();
                    self.stats.lost += u64::from(count);
                    self.push_loss(tsi, first, count);
                    break;
                }
            }
        }
        self.deliver(tsi);
    }

    fn push_loss(&mut self, tsi: Tsi, first: u32, count: u32) {
        if let Some(Event::Loss {
            tsi: t,
            first: f,
            count: c,
        }) = self.events.back_mut()
        {
            if *t == tsi && f.wrapping_add(*c) == first {
                *c = c.wrapping_add(count);
                return;
            }
        }
        self.events.push_back(Event::Loss { tsi, first, count });
    }

    /// Delivers (or reports lost) the front slot, whatever it is unless missing.
    fn deliver_front(&mut self, tsi: Tsi) -> bool {
        let Some(peer) = self.peers.get_mut(&tsi) else {
            return false;
        };
        match peer.slots.front() {
            Some(Slot::Have(_)) | Some(Slot::Lost) => {}
            _ => return false,
        }
        let Some(slot) = peer.slots.pop_front() else {
            return false;
        };
        let s = peer.base;
        peer.base = peer.base.wrapping_add(1);
        match slot {
            Slot::Have(apdu) => {
                let mut msgs = Vec::new();
                let r = peer.decoder.feed(&apdu, &mut msgs);
                for parts in msgs {
                    self.events.push_back(Event::Message { tsi, parts });
                }
                if let Err(error) = r {
                    self.events.push_back(Event::Malformed { tsi, error });
                }
            }
            _ => {
                peer.decoder.reset();
                self.push_loss(tsi, s, 1);
            }
        }
        true
    }

    fn deliver(&mut self, tsi: Tsi) {
        while self.deliver_front(tsi) {}
    }

    fn drop_peer(&mut self, tsi: Tsi) {
        if self.peers.remove(&tsi).is_some() {
            self.events.push_back(Event::SourceGone { tsi });
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next packet to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }

    /// The earliest timer: an SPMR, a NAK back-off, a wait for an NCF or RDATA, or a source's
    /// expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut take = |x: Instant| {
            t = Some(t.map_or(x, |y| y.min(x)));
        };
        for peer in self.peers.values() {
            take(peer.last_heard + self.cfg.peer_expiry);
            if let Some(s) = peer.spmr_due {
                take(s);
            }
            if peer.missing == 0 {
                continue;
            }
            for slot in &peer.slots {
                if let Slot::Missing { expiry, .. } = slot {
                    take(*expiry);
                }
            }
        }
        t
    }

    /// Runs the timers due at `now`: sends SPMRs and NAKs, retries, gives up.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut tsis: Vec<Tsi> = self.peers.keys().copied().collect();
        tsis.sort();
        for tsi in tsis {
            self.peer_timeout(now, tsi);
            self.debug_check(&tsi);
        }
    }

    fn peer_timeout(&mut self, now: Instant, tsi: Tsi) {
        let cfg = self.cfg.clone();
        let Some(peer) = self.peers.get_mut(&tsi) else {
            return;
        };
        if now >= peer.last_heard + cfg.peer_expiry {
            self.drop_peer(tsi);
            return;
        }
        if peer.spmr_due.is_some_and(|t| now >= t) {
            peer.spmr_due = None;
            let spmr = Packet {
                sport: cfg.dport,
                dport: tsi.sport,
                gsi: tsi.gsi,
                flags: 0,
                options: Options::default(),
                body: Body::Spmr,
            }
            .encode();
            self.out.push_back(Transmit {
                destination: Destination::Group,
                packet: spmr.clone(),
            });
            self.out.push_back(Transmit {
                destination: Destination::SourceAddressOf(tsi),
                packet: spmr,
            });
            self.stats.spmrs += 1;
        }
        // Walk the placeholders: collect due NAKs, apply retries and give-ups.
        let Some(peer) = self.peers.get_mut(&tsi) else {
            return;
        };
        let nla = peer.nla;
        let mut to_nak = Vec::new();
        let mut rearm = Vec::new();
        let scan = if peer.missing == 0 {
            0
        } else {
            peer.slots.len()
        };
        for (i, slot) in peer.slots.iter_mut().take(scan).enumerate() {
            let s = peer.base.wrapping_add(u32::try_from(i).unwrap_or(u32::MAX));
            let Slot::Missing {
                wait,
                expiry,
                ncf_retries,
                data_retries,
            } = slot
            else {
                continue;
            };
            if now < *expiry {
                continue;
            }
            match *wait {
                Wait::BackOff => {
                    if nla.is_none() {
                        *slot = Slot::Lost;
                        peer.missing -= 1;
                        self.stats.lost += 1;
                    } else {
                        *wait = Wait::Ncf;
                        *expiry = now + cfg.nak_rpt_ivl;
                        to_nak.push(s);
                    }
                }
                Wait::Ncf => {
                    *ncf_retries += 1;
                    if *ncf_retries >= cfg.nak_ncf_retries {
                        *slot = Slot::Lost;
                        peer.missing -= 1;
                        self.stats.lost += 1;
                    } else {
                        *wait = Wait::BackOff;
                        rearm.push(i);
                    }
                }
                Wait::Data => {
                    *data_retries += 1;
                    if *data_retries >= cfg.nak_data_retries {
                        *slot = Slot::Lost;
                        peer.missing -= 1;
                        self.stats.lost += 1;
                    } else {
                        *wait = Wait::BackOff;
                        rearm.push(i);
                    }
                }
            }
        }
        for i in rearm {
            let t = self.backoff(now);
            if let Some(Some(Slot::Missing { expiry, .. })) =
                self.peers.get_mut(&tsi).map(|p| p.slots.get_mut(i))
            {
                *expiry = t;
            }
        }
        if let Some(nla) = nla {
            for chunk in to_nak.chunks(1 + MAX_NAK_LIST) {
                let list = chunk[1..].to_vec();
                let flags = if list.is_empty() { 0 } else { OPT_NETWORK };
                let nak = Packet {
                    sport: cfg.dport,
                    dport: tsi.sport,
                    gsi: tsi.gsi,
                    flags,
                    options: Options {
                        nak_list: list,
                        ..Options::default()
                    },
                    body: Body::Nak(Nak {
                        sqn: chunk[0],
                        source_nla: nla,
                        group_nla: cfg.group_nla,
                    }),
                }
                .encode();
                self.stats.naks_sent += 1;
                self.stats.sqns_naked += chunk.len() as u64;
                self.out.push_back(Transmit {
                    destination: Destination::Source(nla),
                    packet: nak,
                });
            }
        }
        self.deliver(tsi);
    }
}

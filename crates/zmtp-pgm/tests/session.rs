//! A source and a receiver over a virtual network and a virtual clock, with chosen packets
//! dropped: repair by NAK, NCF and RDATA, retries, tail loss, unrecoverable loss, wrapping
//! sequence numbers, late joining, SPM scheduling and the rate limit.
#![allow(clippy::unwrap_used)] // in a test, a failed unwrap is the test failing

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use zmtp_pgm::{
    ApduEncoder, Body, Encapsulation, Event, Nla, Packet, RandomSource, Receiver, ReceiverConfig,
    SendError, Source, SourceConfig, Tsi, XorShift32,
};

const GSI: [u8; 6] = [9, 8, 7, 6, 5, 4];
const SPORT: u16 = 0x4242;
const DPORT: u16 = 5555;
const SOURCE_NLA: Nla = Nla::V4(Ipv4Addr::new(10, 0, 0, 1));
const GROUP: Nla = Nla::V4(Ipv4Addr::new(239, 192, 1, 1));
const TSI: Tsi = Tsi {
    gsi: GSI,
    sport: SPORT,
};

fn source_config() -> SourceConfig {
    let mut c = SourceConfig::libzmq(GSI, SPORT, DPORT, SOURCE_NLA, GROUP, Encapsulation::Udp);
    c.rate_kbit = 10_000;
    c
}

fn receiver_config() -> ReceiverConfig {
    ReceiverConfig::libzmq(DPORT, GROUP, 10_000, 10_000, 1500)
}

/// Which packets the network drops: `(type byte, sequence number, how many times)`.
#[derive(Debug, Default)]
struct Drops(Vec<(u8, Option<u32>, u32)>);

impl Drops {
    fn drop(&mut self, p: &Packet) -> bool {
        let sqn = match &p.body {
            Body::Odata(d) | Body::Rdata(d) => Some(d.sqn),
            Body::Nak(n) | Body::Ncf(n) => Some(n.sqn),
            _ => None,
        };
        for (ty, s, times) in &mut self.0 {
            if *ty == p.type_byte() && (s.is_none() || *s == sqn) && *times > 0 {
                *times -= 1;
                return true;
            }
        }
        false
    }
}

struct Net<R: RandomSource> {
    now: Instant,
    src: Source,
    rx: Receiver<R>,
    drops: Drops,
    enc: ApduEncoder,
    /// Every packet the source sent, in order.
    downstream: Vec<(Instant, Packet)>,
    /// Every packet the receiver sent.
    upstream: Vec<(Instant, Packet)>,
    messages: Vec<Vec<Bytes>>,
    events: Vec<Event>,
}

impl Net<XorShift32> {
    fn new(src: SourceConfig, rx: ReceiverConfig) -> Self {
        Self::with_rng(src, rx, XorShift32::new(1))
    }
}

impl<R: RandomSource> Net<R> {
    fn with_rng(src: SourceConfig, rx: ReceiverConfig, rng: R) -> Self {
        let now = Instant::now();
        let src = Source::new(src, now);
        let enc = ApduEncoder::new(src.max_tsdu());
        Net {
            now,
            src,
            rx: Receiver::new(rx, rng),
            drops: Drops::default(),
            enc,
            downstream: Vec::new(),
            upstream: Vec::new(),
            messages: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Moves packets both ways until neither side has any left.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(bytes) = self.src.poll_transmit() {
                moved = true;
                let p = Packet::decode(&bytes).expect("the source sends valid packets");
                self.downstream.push((self.now, p.clone()));
                if !self.drops.drop(&p) {
                    self.rx.handle_packet(self.now, &p);
                }
            }
            while let Some(t) = self.rx.poll_transmit() {
                moved = true;
                let p = Packet::decode(&t.packet).expect("the receiver sends valid packets");
                self.upstream.push((self.now, p.clone()));
                if !self.drops.drop(&p) {
                    self.src.handle_packet(self.now, &p);
                }
            }
            while let Some(e) = self.rx.poll_event() {
                match e {
                    Event::Message { parts, tsi } => {
                        assert_eq!(tsi, TSI);
                        self.messages.push(parts)
                    }
                    e => self.events.push(e),
                }
            }
            if !moved {
                break;
            }
        }
    }

    /// Runs the clock to `until`, firing timers on the way.
    fn run_until(&mut self, until: Instant) {
        loop {
            self.pump();
            let next = [self.src.poll_timeout(), self.rx.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    self.src.handle_timeout(self.now);
                    self.rx.handle_timeout(self.now);
                }
                _ => break,
            }
        }
        self.now = self.now.max(until);
        self.pump();
    }

    fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Queues messages and sends every APDU, waiting on the rate limit when told to.
    fn send(&mut self, msgs: &[Vec<Bytes>]) {
        for m in msgs {
            self.enc.push_message(m);
        }
        while let Some(apdu) = self.enc.next_apdu() {
            loop {
                match self.src.send(self.now, apdu.clone()) {
                    Ok(_) => break,
                    Err(SendError::RateLimited(d)) => self.run_for(d),
                    Err(e) => panic!("{e}"),
                }
            }
            self.pump();
        }
    }
}

fn msg(i: usize) -> Vec<Bytes> {
    vec![Bytes::from(format!("message {i}"))]
}

fn msgs(r: std::ops::Range<usize>) -> Vec<Vec<Bytes>> {
    r.map(msg).collect()
}

/// One message per APDU: sends them one at a time so each has its own sequence number.
fn send_each(net: &mut Net<impl RandomSource>, r: std::ops::Range<usize>) {
    for i in r {
        net.send(&[msg(i)]);
    }
}

fn count(packets: &[(Instant, Packet)], ty: u8) -> usize {
    packets.iter().filter(|(_, p)| p.type_byte() == ty).count()
}

#[test]
fn dropped_odata_is_naked_confirmed_and_repaired() {
    let mut net = Net::new(source_config(), receiver_config());
    net.drops.0 = vec![(0x04, Some(2), 1), (0x04, Some(5), 1), (0x04, Some(6), 1)];
    send_each(&mut net, 0..10);
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.messages, msgs(0..10));
    assert!(net.events.is_empty(), "{:?}", net.events);
    assert!(count(&net.upstream, 0x08) >= 1, "NAKs sent");
    assert_eq!(count(&net.downstream, 0x05), 3, "one RDATA per lost packet");
    assert!(count(&net.downstream, 0x0a) >= 1, "NCFs sent");
    assert_eq!(net.rx.stats().repaired, 3);
    // Every NAK came after a back-off within nak_bo_ivl of the gap showing.
    let first_nak = net
        .upstream
        .iter()
        .find(|(_, p)| p.type_byte() == 0x08)
        .unwrap();
    let Body::Nak(n) = &first_nak.1.body else {
        unreachable!()
    };
    assert_eq!(n.source_nla, SOURCE_NLA);
    assert_eq!(n.group_nla, GROUP);
}

#[test]
fn a_lost_nak_and_a_lost_ncf_are_retried() {
    let mut net = Net::new(source_config(), receiver_config());
    net.drops.0 = vec![(0x04, Some(3), 1), (0x08, None, 1), (0x0a, None, 1)];
    send_each(&mut net, 0..6);
    net.run_for(Duration::from_secs(2));
    assert_eq!(net.messages, msgs(0..6));
    // The first NAK was dropped, the second's NCF too (its RDATA came), or a third NAK was
    // needed: at least two NAKs either way.
    assert!(count(&net.upstream, 0x08) >= 2);
    assert!(net.events.is_empty());
}

#[test]
fn tail_loss_is_found_through_the_heartbeat_spm() {
    let mut net = Net::new(source_config(), receiver_config());
    net.drops.0 = vec![(0x04, Some(4), 1)];
    let t0 = net.now;
    send_each(&mut net, 0..5);
    // Nothing follows the lost packet but SPMs: the first heartbeat (100 ms) shows it.
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.messages, msgs(0..5));
    let nak_at = net
        .upstream
        .iter()
        .find(|(_, p)| p.type_byte() == 0x08)
        .unwrap()
        .0;
    assert!(nak_at >= t0 + Duration::from_millis(100));
    assert!(nak_at <= t0 + Duration::from_millis(150));
}

#[test]
fn an_ncf_suppresses_the_nak_until_the_repair_is_overdue() {
    // The receiver alone: an SPM, data 0 and 2; an NCF for 1 (another receiver's NAK
    // confirmed) arrives during the back-off.
    let t0 = Instant::now();
    let mut src = Source::new(source_config(), t0);
    let mut rx = Receiver::new(receiver_config(), XorShift32::new(5));
    while let Some(p) = src.poll_transmit() {
        rx.handle_packet(t0, &Packet::decode(&p).unwrap());
    }
    let mut data = Vec::new();
    for i in 0..3u8 {
        src.send(t0, Bytes::from(vec![0, 0, 2, 0, i])).unwrap();
        data.push(Packet::decode(&src.poll_transmit().unwrap()).unwrap());
    }
    rx.handle_packet(t0, &data[0]);
    rx.handle_packet(t0, &data[2]);
    let ncf = Packet {
        sport: SPORT,
        dport: DPORT,
        gsi: GSI,
        flags: 0,
        options: Default::default(),
        body: Body::Ncf(zmtp_pgm::Nak {
            sqn: 1,
            source_nla: SOURCE_NLA,
            group_nla: GROUP,
        }),
    };
    rx.handle_packet(t0, &ncf);
    // Past any back-off (50 ms) but before nak_rdata_ivl (200 ms): no NAK.
    rx.handle_timeout(t0 + Duration::from_millis(60));
    let naks: Vec<_> = std::iter::from_fn(|| rx.poll_transmit()).collect();
    assert!(naks.is_empty(), "{naks:?}");
    assert_eq!(rx.stats().ncfs, 1);
    // The repair is overdue at 200 ms: back off again (no NAK yet), then NAK.
    rx.handle_timeout(t0 + Duration::from_millis(200));
    assert!(
        rx.poll_transmit().is_none(),
        "a back-off comes before the NAK"
    );
    rx.handle_timeout(t0 + Duration::from_millis(260));
    let naks: Vec<_> = std::iter::from_fn(|| rx.poll_transmit()).collect();
    assert_eq!(naks.len(), 1);
    let p = Packet::decode(&naks[0].packet).unwrap();
    assert!(matches!(p.body, Body::Nak(ref n) if n.sqn == 1));
    // Without the NCF, the same receiver would have NAKed within the back-off.
    let mut rx2 = Receiver::new(receiver_config(), XorShift32::new(5));
    let mut src2 = Source::new(source_config(), t0);
    while let Some(p) = src2.poll_transmit() {
        rx2.handle_packet(t0, &Packet::decode(&p).unwrap());
    }
    rx2.handle_packet(t0, &data[0]);
    rx2.handle_packet(t0, &data[2]);
    rx2.handle_timeout(t0 + Duration::from_millis(60));
    assert!(rx2.poll_transmit().is_some());
}

#[test]
fn loss_is_reported_when_the_gap_leaves_the_window() {
    // A small window: 80 kbit/s for 1.5 s is 15,000 bytes, 10 TPDUs of 1500.
    let mut cfg = source_config();
    cfg.rate_kbit = 80;
    cfg.recovery_ivl_ms = 1500;
    let mut rcfg = receiver_config();
    rcfg.nak_ncf_retries = 1000;
    rcfg.nak_data_retries = 1000;
    let mut net = Net::new(cfg, rcfg);
    assert_eq!(net.src.txw_sqns(), 10);
    // Sequence number 3 never arrives, and no NAK gets through.
    net.drops.0 = vec![(0x04, Some(3), 1), (0x08, None, u32::MAX)];
    // A two-part message whose second part rides in APDU 3, then others.
    net.send(&[msg(0)]);
    net.send(&[msg(1)]);
    net.send(&[msg(2)]);
    send_each(&mut net, 3..20);
    net.run_for(Duration::from_secs(2));
    // APDU 3 carried message 3: lost; the rest arrive once the source's trail passes 3.
    assert_eq!(
        net.events,
        vec![Event::Loss {
            tsi: TSI,
            first: 3,
            count: 1
        }]
    );
    let mut want = msgs(0..3);
    want.extend(msgs(4..20));
    assert_eq!(net.messages, want);
}

#[test]
fn a_message_straddling_a_loss_is_not_delivered() {
    let mut cfg = source_config();
    cfg.max_tpdu = 100; // 100 - 40 - 8 - 24 = 28-byte APDUs
    let mut rcfg = receiver_config();
    rcfg.nak_data_retries = 2;
    rcfg.nak_ncf_retries = 2;
    let mut net = Net::new(cfg, rcfg);
    assert_eq!(net.src.max_tsdu(), 28);
    // Every repair of sqn 2 is dropped: the receiver gives up after its retries.
    net.drops.0 = vec![(0x04, Some(2), 1), (0x05, Some(2), u32::MAX)];
    let big = vec![Bytes::from(vec![b'b'; 60])];
    net.send(&[msg(0), big.clone(), msg(1), msg(2)]);
    net.run_for(Duration::from_secs(5));
    assert!(net
        .events
        .iter()
        .any(|e| matches!(e, Event::Loss { first: 2, .. })));
    assert!(!net.messages.contains(&big));
    assert_eq!(net.messages.first(), Some(&msg(0)));
    assert_eq!(net.messages.last(), Some(&msg(2)));
}

#[test]
fn sequence_numbers_wrap() {
    let mut cfg = source_config();
    cfg.initial_sqn = u32::MAX - 3;
    let mut net = Net::new(cfg, receiver_config());
    net.drops.0 = vec![
        (0x04, Some(u32::MAX), 1),
        (0x04, Some(0), 1),
        (0x04, Some(2), 1),
    ];
    send_each(&mut net, 0..10);
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.messages, msgs(0..10));
    assert_eq!(net.rx.stats().repaired, 3);
    assert!(net.events.is_empty());
}

#[test]
fn a_late_joiner_starts_at_the_first_whole_message_it_sees() {
    let mut cfg = source_config();
    cfg.max_tpdu = 100;
    let mut net = Net::new(cfg, receiver_config());
    // The receiver hears nothing of the first packets: neither SPMs nor data.
    net.drops.0 = vec![(0x00, None, 3), (0x04, Some(0), 1), (0x04, Some(1), 1)];
    let big = vec![Bytes::from(vec![b'z'; 40])];
    // APDU 0: message 0 and the start of the big one; 1: its middle (no offset); 2: its end,
    // then message 1.
    net.send(&[msg(0), big, msg(1), msg(2)]);
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.messages, vec![msg(1), msg(2)]);
    assert!(
        net.events.is_empty(),
        "a late joiner does not NAK what it never saw"
    );
    assert_eq!(count(&net.upstream, 0x08), 0);
    // It asked for an SPM, having heard data first.
    assert!(count(&net.upstream, 0x0c) >= 1);
}

#[test]
fn a_source_not_heard_from_expires_and_fin_ends_a_session() {
    let mut net = Net::new(source_config(), receiver_config());
    send_each(&mut net, 0..2);
    net.src.close();
    net.run_for(Duration::from_millis(10));
    assert_eq!(net.events, vec![Event::SourceGone { tsi: TSI }]);
    assert_eq!(net.rx.sources().count(), 0);

    let t0 = Instant::now();
    let mut rx = Receiver::new(receiver_config(), XorShift32::new(2));
    let mut src = Source::new(source_config(), t0);
    while let Some(p) = src.poll_transmit() {
        rx.handle_packet(t0, &Packet::decode(&p).unwrap());
    }
    rx.handle_timeout(t0 + Duration::from_secs(299));
    assert_eq!(rx.sources().count(), 1);
    rx.handle_timeout(t0 + Duration::from_secs(300));
    assert_eq!(rx.sources().count(), 0);
    assert_eq!(rx.poll_event(), Some(Event::SourceGone { tsi: TSI }));
}

#[test]
fn spms_follow_openpgms_schedule_with_libzmqs_intervals() {
    let t0 = Instant::now();
    let mut src = Source::new(source_config(), t0);
    let mut spms = Vec::new();
    let drain = |src: &mut Source, at: Instant, spms: &mut Vec<Duration>| {
        while let Some(p) = src.poll_transmit() {
            if Packet::decode(&p).unwrap().type_byte() == 0 {
                spms.push(at - t0);
            }
        }
    };
    drain(&mut src, t0, &mut spms);
    assert_eq!(spms, vec![Duration::ZERO; 3], "three SPMs at the start");
    spms.clear();
    // Ambient only until data: every 30 s.
    let data_at = t0 + Duration::from_secs(65);
    while let Some(t) = src.poll_timeout().filter(|t| *t <= data_at) {
        src.handle_timeout(t);
        drain(&mut src, t, &mut spms);
    }
    assert_eq!(spms, vec![Duration::from_secs(30), Duration::from_secs(60)]);
    spms.clear();
    src.send(data_at, Bytes::from_static(b"\x00\x00\x02\x00x"))
        .unwrap();
    drain(&mut src, data_at, &mut spms);
    let end = data_at + Duration::from_secs(80);
    while let Some(t) = src.poll_timeout().filter(|t| *t <= end) {
        src.handle_timeout(t);
        drain(&mut src, t, &mut spms);
    }
    let after: Vec<u64> = spms
        .iter()
        .map(|d| (*d - Duration::from_secs(65)).as_millis() as u64)
        .collect();
    // Heartbeats at 100, 200, 300, 400, 500, 1800 ms, 8.8, 24.8, 49.8 s after the data; the
    // ambient timer (last reset at 60 s, so due at 90 s: 25 s after the data) sends one
    // too, and then every 30 s.
    assert_eq!(
        after,
        vec![100, 200, 300, 400, 500, 1800, 8800, 24_800, 25_000, 49_800, 55_000]
    );
}

#[test]
fn naks_outside_the_window_get_no_ncf_and_foreign_naks_are_ignored() {
    let t0 = Instant::now();
    let mut cfg = source_config();
    cfg.rate_kbit = 80;
    cfg.recovery_ivl_ms = 1500; // 10 packets
    let mut src = Source::new(cfg, t0);
    for i in 0..15u8 {
        src.send(
            t0 + Duration::from_secs(u64::from(i)),
            Bytes::from(vec![0, 0, 2, 0, i]),
        )
        .unwrap();
    }
    while src.poll_transmit().is_some() {}
    assert_eq!((src.trail(), src.lead()), (5, 14));
    let nak = |sqn, source_nla, group_nla, gsi| Packet {
        sport: DPORT,
        dport: SPORT,
        gsi,
        flags: 0,
        options: Default::default(),
        body: Body::Nak(zmtp_pgm::Nak {
            sqn,
            source_nla,
            group_nla,
        }),
    };
    let other = Nla::V4(Ipv4Addr::new(10, 9, 9, 9));
    for p in [
        nak(4, SOURCE_NLA, GROUP, GSI),
        nak(15, SOURCE_NLA, GROUP, GSI),
        nak(6, other, GROUP, GSI),
        nak(6, SOURCE_NLA, other, GSI),
        nak(6, SOURCE_NLA, GROUP, [0; 6]),
    ] {
        src.handle_packet(t0, &p);
        assert!(src.poll_transmit().is_none(), "{p:?}");
    }
    src.handle_packet(t0, &nak(5, SOURCE_NLA, GROUP, GSI));
    let ncf = Packet::decode(&src.poll_transmit().unwrap()).unwrap();
    assert!(matches!(ncf.body, Body::Ncf(ref n) if n.sqn == 5));
    let rdata = Packet::decode(&src.poll_transmit().unwrap()).unwrap();
    assert!(
        matches!(rdata.body, Body::Rdata(ref d) if d.sqn == 5 && d.trail == 5 && d.payload[4] == 5)
    );
}

#[test]
fn window_sizes_follow_libzmqs_formula() {
    // ZMQ_RATE 100 kbit/s, ZMQ_RECOVERY_IVL 10 s, 1500-byte TPDUs: 12 B/ms x 10,000 / 1500.
    assert_eq!(zmtp_pgm::window_sqns(100, 10_000, 1500), 80);
    assert_eq!(zmtp_pgm::window_sqns(1, 1, 1500), 1);
    assert_eq!(zmtp_pgm::window_sqns(1_000_000, 10_000, 1500), 833_333);
    let s = Source::new(source_config(), Instant::now());
    assert_eq!(s.txw_sqns(), 10_000 * 1250 / 1500);
    assert_eq!(s.max_tsdu(), 1428);
}

#[test]
fn the_rate_limit_holds_bytes_per_second() {
    // 800 kbit/s: 100,000 bytes a second, charged per TPDU plus the 48 bytes of IP and UDP
    // OpenPGM counts.
    let mut cfg = source_config();
    cfg.rate_kbit = 800;
    let t0 = Instant::now();
    let mut src = Source::new(cfg, t0);
    while src.poll_transmit().is_some() {}
    let apdu = Bytes::from(vec![0u8; src.max_tsdu()]);
    let charge = 1452 + zmtp_pgm::packet::ip_overhead(Encapsulation::Udp);
    let mut now = t0;
    let mut per_second = [0usize; 10];
    while now < t0 + Duration::from_secs(10) {
        match src.send(now, apdu.clone()) {
            Ok(_) => {
                let p = src.poll_transmit().unwrap();
                assert_eq!(p.len(), 1452);
                per_second[(now - t0).as_secs() as usize] += charge;
            }
            Err(SendError::RateLimited(d)) => now += d,
            Err(e) => panic!("{e}"),
        }
    }
    // The first second: a full bucket (one second's worth) and the second's refill.
    assert!(per_second[0] <= 200_000 + charge, "{per_second:?}");
    for s in &per_second[1..] {
        assert!(
            (100_000 - charge..=100_000 + charge).contains(s),
            "{per_second:?}"
        );
    }
    let total: usize = per_second[1..].iter().sum();
    assert!((900_000 - charge..=900_000 + charge).contains(&total));
}

#[test]
fn a_tsdu_above_the_maximum_is_refused() {
    let mut src = Source::new(source_config(), Instant::now());
    let big = Bytes::from(vec![0u8; 1429]);
    assert_eq!(
        src.send(Instant::now(), big),
        Err(SendError::TooLarge {
            len: 1429,
            max: 1428
        })
    );
    src.close();
    assert_eq!(
        src.send(Instant::now(), Bytes::from_static(b"\0\0")),
        Err(SendError::Closed)
    );
}

/// A generator giving one number for ever.
#[derive(Debug)]
struct Fixed(u32);

impl RandomSource for Fixed {
    fn next_u32(&mut self) -> u32 {
        self.0
    }
}

#[test]
fn the_nak_back_off_is_drawn_from_the_injected_generator() {
    // nak_bo_ivl is 50 ms: a draw of n gives a back-off of 1 + n % 50,000 microseconds.
    for (draw, backoff_us) in [
        (0u32, 1u64),
        (24_999, 25_000),
        (49_999, 50_000),
        (50_000, 1),
    ] {
        let t0 = Instant::now();
        let mut src = Source::new(source_config(), t0);
        let mut rx = Receiver::new(receiver_config(), Fixed(draw));
        while let Some(p) = src.poll_transmit() {
            rx.handle_packet(t0, &Packet::decode(&p).unwrap());
        }
        for i in 0..3u8 {
            src.send(t0, Bytes::from(vec![0, 0, 2, 0, i])).unwrap();
            let p = Packet::decode(&src.poll_transmit().unwrap()).unwrap();
            if i != 1 {
                rx.handle_packet(t0, &p);
            }
        }
        let due = t0 + Duration::from_micros(backoff_us);
        assert_eq!(rx.poll_timeout(), Some(due), "draw {draw}");
        rx.handle_timeout(due - Duration::from_nanos(1));
        assert!(
            rx.poll_transmit().is_none(),
            "draw {draw}: no NAK before the back-off"
        );
        rx.handle_timeout(due);
        assert!(
            rx.poll_transmit().is_some(),
            "draw {draw}: NAK at the back-off"
        );
    }
}

#[test]
fn naks_are_retried_as_many_times_as_configured_then_the_data_is_lost() {
    for (drops, what) in [
        // No NAK reaches the source, so no NCF comes: nak_ncf_retries NAKs.
        (vec![(0x04, Some(2), 1), (0x08, None, u32::MAX)], "no NCF"),
        // NCFs come but every RDATA is lost: nak_data_retries NAKs.
        (vec![(0x04, Some(2), 1), (0x05, None, u32::MAX)], "no RDATA"),
    ] {
        let mut rcfg = receiver_config();
        rcfg.nak_ncf_retries = 3;
        rcfg.nak_data_retries = 3;
        let mut net = Net::new(source_config(), rcfg);
        net.drops.0 = drops;
        send_each(&mut net, 0..5);
        net.run_for(Duration::from_secs(5));
        assert_eq!(count(&net.upstream, 0x08), 3, "{what}");
        assert_eq!(net.rx.stats().lost, 1, "{what}");
        assert_eq!(
            net.events,
            vec![Event::Loss {
                tsi: TSI,
                first: 2,
                count: 1
            }],
            "{what}"
        );
        let mut want = msgs(0..2);
        want.extend(msgs(3..5));
        assert_eq!(net.messages, want, "{what}");
    }
}

fn odata_from(tsi: Tsi, sqn: u32, body: &[u8]) -> Packet {
    let mut apdu = vec![0, 0, body.len() as u8 + 1, 0];
    apdu.extend_from_slice(body);
    Packet {
        sport: tsi.sport,
        dport: DPORT,
        gsi: tsi.gsi,
        flags: 0,
        options: Default::default(),
        body: Body::Odata(zmtp_pgm::Data {
            sqn,
            trail: 0,
            payload: Bytes::from(apdu),
        }),
    }
}

#[test]
fn the_receive_window_is_bounded_and_pushes_out_what_is_missing() {
    let t0 = Instant::now();
    let mut cfg = receiver_config();
    cfg.rxw_sqns = 8;
    let mut rx = Receiver::new(cfg, XorShift32::new(3));
    rx.handle_packet(t0, &odata_from(TSI, 100, b"a"));
    rx.handle_packet(t0, &odata_from(TSI, 103, b"b"));
    assert_eq!(rx.window(&TSI), Some((101, 3)));
    // 120 is 20 ahead of a window of 8: 101..=112 leave it (103 delivered on the way).
    rx.handle_packet(t0, &odata_from(TSI, 120, b"c"));
    let (base, len) = rx.window(&TSI).unwrap();
    assert!(len <= 8);
    assert_eq!(base.wrapping_add(len as u32), 121);
    let events: Vec<Event> = std::iter::from_fn(|| rx.poll_event()).collect();
    let msg = |s: &[u8]| Event::Message {
        tsi: TSI,
        parts: vec![Bytes::copy_from_slice(s)],
    };
    assert_eq!(events[0], msg(b"a"));
    assert_eq!(
        events[1],
        Event::Loss {
            tsi: TSI,
            first: 101,
            count: 2
        }
    );
    assert_eq!(events[2], msg(b"b"));
    assert_eq!(
        events[3],
        Event::Loss {
            tsi: TSI,
            first: 104,
            count: 9
        }
    );
    assert_eq!(events.len(), 4);
}

#[test]
fn sources_beyond_the_limit_are_ignored() {
    let t0 = Instant::now();
    let mut cfg = receiver_config();
    cfg.max_sources = 2;
    let mut rx = Receiver::new(cfg, XorShift32::new(3));
    for k in 0..4u8 {
        let tsi = Tsi {
            gsi: [k, 0, 0, 0, 0, 0],
            sport: 7,
        };
        rx.handle_packet(t0, &odata_from(tsi, 0, &[k]));
    }
    assert_eq!(rx.sources().count(), 2);
    assert_eq!(rx.stats().ignored, 2);
    let delivered = std::iter::from_fn(|| rx.poll_event()).count();
    assert_eq!(delivered, 2);
}

//! The receiver alone, packet by packet: counters, SPMRs, losses before the first SPM, NAK
//! lists, repeated NCFs, loss reports that are not merged, clamped intervals, the generator.
#![allow(clippy::unwrap_used)] // in a test, a failed unwrap is the test failing

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use zmtp_pgm::{
    Body, Data, Destination, Event, Nak, Nla, Options, Packet, RandomSource, Receiver,
    ReceiverConfig, ReceiverStats, Spm, Tsi, XorShift32,
};

const DPORT: u16 = 5555;
const GROUP: Nla = Nla::V4(Ipv4Addr::new(239, 192, 1, 1));
const SOURCE: Nla = Nla::V4(Ipv4Addr::new(10, 0, 0, 1));
const TSI: Tsi = Tsi {
    gsi: [1, 2, 3, 4, 5, 6],
    sport: 4000,
};

/// Back-offs of exactly 1 µs.
#[derive(Debug)]
struct Zero;

impl RandomSource for Zero {
    fn next_u32(&mut self) -> u32 {
        0
    }
}

fn rx() -> Receiver<Zero> {
    Receiver::new(
        ReceiverConfig::libzmq(DPORT, GROUP, 100, 10_000, 1500),
        Zero,
    )
}

fn packet(body: Body) -> Packet {
    Packet {
        sport: TSI.sport,
        dport: DPORT,
        gsi: TSI.gsi,
        flags: 0,
        options: Options::default(),
        body,
    }
}

fn spm(spm_sqn: u32, lead: u32) -> Packet {
    packet(Body::Spm(Spm {
        spm_sqn,
        trail: 0,
        lead,
        path_nla: SOURCE,
    }))
}

fn apdu(msg: &[u8]) -> Bytes {
    let mut a = vec![0, 0, msg.len() as u8 + 1, 0];
    a.extend_from_slice(msg);
    Bytes::from(a)
}

fn odata(sqn: u32, payload: Bytes) -> Packet {
    packet(Body::Odata(Data {
        sqn,
        trail: 0,
        payload,
    }))
}

fn ncf(sqn: u32, list: Vec<u32>) -> Packet {
    let mut p = packet(Body::Ncf(Nak {
        sqn,
        source_nla: SOURCE,
        group_nla: GROUP,
    }));
    p.options.nak_list = list;
    p
}

fn events<R: RandomSource>(rx: &mut Receiver<R>) -> Vec<Event> {
    std::iter::from_fn(|| rx.poll_event()).collect()
}

#[test]
fn the_generator_is_xorshift32() {
    let mut g = XorShift32::new(1);
    let got: Vec<u32> = (0..4).map(|_| g.next_u32()).collect();
    assert_eq!(got, [270_369, 67_634_689, 2_647_435_461, 307_599_695]);
    assert_eq!(XorShift32::new(0).next_u32(), 1_359_758_873);
}

#[test]
fn counters_count_what_happened() {
    let t0 = Instant::now();
    let mut rx = rx();
    let mut other_port = spm(0, 9);
    other_port.dport = 1;
    rx.handle_packet(t0, &other_port); // ignored: another port
    let mut nak = ncf(1, vec![]);
    nak.body = Body::Nak(Nak {
        sqn: 1,
        source_nla: SOURCE,
        group_nla: GROUP,
    });
    rx.handle_packet(t0, &nak); // ignored: upstream
    rx.handle_packet(t0, &ncf(1, vec![])); // ignored: an NCF of an unknown source
    rx.handle_packet(t0, &spm(0, 9)); // window from 10
    rx.handle_packet(t0, &odata(10, apdu(b"a")));
    rx.handle_packet(t0, &odata(10, apdu(b"a"))); // duplicate
    rx.handle_packet(t0, &odata(9, apdu(b"z"))); // before the window
    rx.handle_packet(t0, &odata(14, apdu(b"e"))); // 11, 12, 13 missing
    rx.handle_packet(t0, &odata(14, apdu(b"e"))); // duplicate of one held behind the gap
    let mut elsewhere = ncf(12, vec![]);
    if let Body::Ncf(n) = &mut elsewhere.body {
        n.group_nla = SOURCE;
    }
    rx.handle_packet(t0, &elsewhere); // ignored: another group
    rx.handle_packet(t0, &ncf(12, vec![13])); // two confirmed
    rx.handle_packet(t0, &ncf(12, vec![])); // confirmed again: not counted
    rx.handle_timeout(t0 + Duration::from_millis(1)); // NAK 11
    let mut rdata = odata(11, apdu(b"b"));
    if let Body::Odata(d) = rdata.body {
        rdata.body = Body::Rdata(d);
    }
    rx.handle_packet(t0 + Duration::from_millis(2), &rdata);
    assert_eq!(
        rx.stats(),
        ReceiverStats {
            naks_sent: 1,
            sqns_naked: 1,
            ncfs: 2,
            repaired: 1,
            duplicates: 3,
            lost: 0,
            spmrs: 0,
            ignored: 4,
        }
    );
    // No RDATA for 12 and 13 within nak_rdata_ivl: they back off and are NAKed, and as no NCF
    // answers, NAKed again after each nak_rpt_ivl until nak_ncf_retries (50) runs out.
    let mut now = t0;
    for _ in 0..2000 {
        match rx.poll_timeout() {
            Some(t) if t < t0 + Duration::from_secs(100) => {
                now = t;
                rx.handle_timeout(now);
                while rx.poll_transmit().is_some() {}
            }
            _ => break,
        }
    }
    assert!(now > t0);
    let s = rx.stats();
    assert_eq!(s.lost, 2);
    // 12 and 13: NAKed together 50 times (once after the wait for data, then after each of
    // 49 waits for an NCF; the 50th gives up).
    assert_eq!(s.naks_sent, 1 + 50);
    assert_eq!(s.sqns_naked, 1 + 50 * 2);
}

#[test]
fn an_spmr_only_for_a_source_heard_through_data_first() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.handle_packet(t0, &spm(0, 9));
    rx.handle_timeout(t0 + Duration::from_millis(30));
    assert!(rx.poll_transmit().is_none());

    let mut rx2 = self::rx();
    rx2.handle_packet(t0, &odata(5, apdu(b"x")));
    assert_eq!(rx2.poll_timeout(), Some(t0 + Duration::from_millis(25)));
    rx2.handle_timeout(t0 + Duration::from_millis(24));
    assert!(rx2.poll_transmit().is_none());
    rx2.handle_timeout(t0 + Duration::from_millis(25));
    let sent: Vec<_> = std::iter::from_fn(|| rx2.poll_transmit()).collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].destination, Destination::Group);
    assert_eq!(sent[1].destination, Destination::SourceAddressOf(TSI));
    let p = Packet::decode(&sent[0].packet).unwrap();
    assert_eq!(p.body, Body::Spmr);
    assert_eq!((p.sport, p.dport, p.gsi), (DPORT, TSI.sport, TSI.gsi));
    assert_eq!(rx2.stats().spmrs, 1);
    // An SPM arriving first cancels it.
    let mut rx3 = self::rx();
    rx3.handle_packet(t0, &odata(5, apdu(b"x")));
    rx3.handle_packet(t0, &spm(0, 5));
    rx3.handle_timeout(t0 + Duration::from_millis(30));
    assert!(rx3.poll_transmit().is_none());
}

#[test]
fn before_any_spm_a_gap_is_lost_without_a_nak() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.handle_packet(t0, &odata(0, apdu(b"a")));
    rx.handle_packet(t0, &odata(2, apdu(b"c")));
    rx.handle_timeout(t0 + Duration::from_millis(1));
    let sent: Vec<_> = std::iter::from_fn(|| rx.poll_transmit()).collect();
    assert!(sent.is_empty(), "{sent:?}");
    let msg = |s: &[u8]| Event::Message {
        tsi: TSI,
        parts: vec![Bytes::copy_from_slice(s)],
    };
    assert_eq!(
        events(&mut rx),
        vec![
            msg(b"a"),
            Event::Loss {
                tsi: TSI,
                first: 1,
                count: 1
            },
            msg(b"c")
        ]
    );
    assert_eq!(rx.stats().lost, 1);
    // The slot is gone: no timer but the SPMR's and the source's expiry.
    assert_eq!(rx.poll_timeout(), Some(t0 + Duration::from_millis(25)));
}

#[test]
fn a_nak_carries_at_most_63_sequence_numbers_and_waits_for_its_ncf() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.handle_packet(t0, &spm(0, 99));
    rx.handle_packet(t0, &odata(100, apdu(b"a")));
    rx.handle_packet(t0, &odata(165, apdu(b"b"))); // 101..=164 missing: 64
    rx.handle_timeout(t0 + Duration::from_millis(1));
    let naks: Vec<Packet> = std::iter::from_fn(|| rx.poll_transmit())
        .map(|t| Packet::decode(&t.packet).unwrap())
        .collect();
    assert_eq!(naks.len(), 2);
    assert_eq!(naks[0].options.nak_list.len(), 62);
    assert_eq!(naks[1].options.nak_list.len(), 0);
    assert!(matches!(naks[1].body, Body::Nak(ref n) if n.sqn == 164));
    assert_eq!(naks[0].flags, zmtp_pgm::packet::OPT_NETWORK);
    // The next NAK waits nak_rpt_ivl (200 ms) for an NCF, then a back-off.
    assert_eq!(
        rx.poll_timeout(),
        Some(t0 + Duration::from_millis(1) + Duration::from_millis(200))
    );
}

#[test]
fn a_repeated_ncf_restarts_the_wait_for_the_repair() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.handle_packet(t0, &spm(0, 9));
    rx.handle_packet(t0, &odata(10, apdu(b"a")));
    rx.handle_packet(t0, &odata(12, apdu(b"c")));
    rx.handle_packet(t0, &ncf(11, vec![]));
    assert_eq!(rx.poll_timeout(), Some(t0 + Duration::from_millis(200)));
    let t1 = t0 + Duration::from_millis(150);
    rx.handle_packet(t1, &ncf(11, vec![]));
    assert_eq!(rx.poll_timeout(), Some(t1 + Duration::from_millis(200)));
}

#[test]
fn separate_losses_are_reported_separately() {
    let t0 = Instant::now();
    let mut cfg = ReceiverConfig::libzmq(DPORT, GROUP, 100, 10_000, 1500);
    cfg.rxw_sqns = 4;
    let mut rx = Receiver::new(cfg, Zero);
    rx.handle_packet(t0, &odata(100, apdu(b"a")));
    // 102 carries no message start: after the loss of 101 it yields nothing.
    rx.handle_packet(t0, &odata(102, Bytes::from_static(b"\xff\xffzz")));
    rx.handle_packet(t0, &odata(108, apdu(b"i")));
    let ev = events(&mut rx);
    let losses: Vec<&Event> = ev
        .iter()
        .filter(|e| matches!(e, Event::Loss { .. }))
        .collect();
    assert_eq!(
        losses,
        vec![
            &Event::Loss {
                tsi: TSI,
                first: 101,
                count: 1
            },
            &Event::Loss {
                tsi: TSI,
                first: 103,
                count: 2
            }
        ]
    );
    assert_eq!(rx.stats().lost, 3);
}

#[test]
fn a_fragment_is_taken_as_lost() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.handle_packet(t0, &spm(0, 9));
    rx.handle_packet(t0, &odata(10, apdu(b"a")));
    let mut frag = odata(11, apdu(b"b"));
    frag.options.fragment = Some(zmtp_pgm::Fragment {
        first_sqn: 11,
        offset: 0,
        apdu_len: 3000,
    });
    rx.handle_packet(t0, &frag);
    rx.handle_packet(t0, &odata(12, apdu(b"c")));
    let ev = events(&mut rx);
    assert_eq!(
        ev[1],
        Event::Loss {
            tsi: TSI,
            first: 11,
            count: 1
        }
    );
    assert_eq!(ev.len(), 3);
    assert_eq!(rx.stats().lost, 1);
}

#[test]
fn datagrams_are_decoded_and_checked() {
    let t0 = Instant::now();
    let mut rx = rx();
    let wire = odata(0, apdu(b"a")).encode();
    rx.handle_datagram(t0, &wire).unwrap();
    assert_eq!(events(&mut rx).len(), 1);
    let mut bad = wire.to_vec();
    bad[20] ^= 1;
    assert!(rx.handle_datagram(t0, &bad).is_err());
}

#[test]
fn huge_intervals_are_clamped_to_100_days() {
    let t0 = Instant::now();
    let mut cfg = ReceiverConfig::libzmq(DPORT, GROUP, 100, 10_000, 1500);
    cfg.peer_expiry = Duration::MAX;
    let mut rx = Receiver::new(cfg, Zero);
    rx.handle_packet(t0, &spm(0, 9));
    assert_eq!(
        rx.poll_timeout(),
        Some(t0 + Duration::from_secs(100 * 86_400))
    );
}

//! Byte-for-byte checks against packets a libzmq 4.3.4 PUB and SUB (OpenPGM 5.3) exchanged
//! over `epgm://` and `pgm://` (tests/fixtures/, see capture/README.md there).
#![allow(clippy::unwrap_used)] // in a test, a failed unwrap is the test failing

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{load, Captured};
use zmtp_pgm::checksum::pgm_checksum;
use zmtp_pgm::{
    max_tsdu, strip_ipv4_header, ApduDecoder, ApduEncoder, Body, Destination, Encapsulation, Event,
    Nla, Packet, RandomSource, Receiver, ReceiverConfig, Source, SourceConfig, Tsi,
};

const GSI: [u8; 6] = [0xb7, 0xc6, 0xd1, 0xbc, 0x03, 0x8a];
const LOCALHOST: Nla = Nla::V4(Ipv4Addr::new(127, 0, 0, 1));
const GROUP: Nla = Nla::V4(Ipv4Addr::new(239, 192, 1, 1));

/// The messages run.py sends each round.
fn round(i: usize) -> Vec<Vec<Bytes>> {
    vec![
        vec![Bytes::from_static(b"hello")],
        vec![Bytes::from_static(b"A"), Bytes::from_static(b"multipart")],
        vec![Bytes::from(vec![b'x'; 300])],
        vec![Bytes::from(vec![b'y'; 4000])],
        vec![Bytes::new()],
        vec![Bytes::from(format!("seq {i}"))],
    ]
}

fn decode_all(caps: &[Captured], raw: bool) -> Vec<Packet> {
    caps.iter()
        .map(|c| {
            let pgm = if raw {
                strip_ipv4_header(&c.bytes).expect("IPv4 header").1
            } else {
                &c.bytes[..]
            };
            Packet::decode(pgm).unwrap_or_else(|e| panic!("{}: {e}", c.comment))
        })
        .collect()
}

/// OpenPGM leaves the flags byte of an NCF's OPT_NAK_LIST uninitialised; our encoder writes
/// zero. The captured bytes with that byte zeroed and the checksum recomputed.
fn with_ncf_list_flags_cleared(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    // header 16, NCF 20 (IPv4 NLAs), OPT_LENGTH 4, then type, length, flags.
    if b[4] == 0x0a && b[5] & 1 != 0 {
        b[42] = 0;
        let sum = pgm_checksum(&b);
        b[6..8].copy_from_slice(&sum.to_be_bytes());
    }
    b
}

#[test]
fn every_captured_packet_decodes_and_re_encodes_to_the_same_bytes() {
    for (file, raw) in [
        ("epgm-libzmq.txt", false),
        ("epgm-libzmq-loss.txt", false),
        ("pgm-libzmq.txt", true),
    ] {
        let caps = load(file);
        assert!(caps.len() > 15, "{file}");
        let packets = decode_all(&caps, raw);
        for (c, p) in caps.iter().zip(&packets) {
            let wire = if raw {
                strip_ipv4_header(&c.bytes).unwrap().1.to_vec()
            } else {
                c.bytes.clone()
            };
            assert_eq!(
                p.encode().to_vec(),
                with_ncf_list_flags_cleared(&wire),
                "{file}: {}",
                c.comment
            );
            let want = match c.kind() {
                "SPM" => 0x00,
                "ODATA" => 0x04,
                "RDATA" => 0x05,
                "NAK" => 0x08,
                "NCF" => 0x0a,
                "SPMR" => 0x0c,
                k => panic!("unexpected kind {k}"),
            };
            assert_eq!(p.type_byte(), want, "{}", c.comment);
        }
    }
}

#[test]
fn a_corrupted_capture_fails_its_checksum() {
    let caps = load("epgm-libzmq.txt");
    for c in caps.iter().filter(|c| c.kind() == "ODATA") {
        let mut b = c.bytes.clone();
        let last = b.len() - 1;
        b[last] ^= 0x01;
        assert!(matches!(
            Packet::decode(&b),
            Err(zmtp_pgm::PacketError::Checksum { .. })
        ));
    }
}

#[test]
fn captured_spms_carry_the_window_edges_and_the_sources_address() {
    let caps = load("epgm-libzmq.txt");
    let packets = decode_all(&caps, false);
    let Body::Spm(first) = &packets[0].body else {
        panic!("the capture starts with an SPM");
    };
    assert_eq!(packets[0].sport, 0x5051);
    assert_eq!(packets[0].dport, 5555);
    assert_eq!(packets[0].gsi, GSI);
    assert_eq!(
        (first.spm_sqn, first.trail, first.lead),
        (0, 0, 0xffff_ffff)
    );
    assert_eq!(first.path_nla, LOCALHOST);
    assert!(!packets[0].options.fin);
    // The last three: OPT_FIN, after the four ODATA (lead 3).
    for p in &packets[packets.len() - 3..] {
        let Body::Spm(s) = &p.body else {
            panic!("FIN SPM")
        };
        assert!(p.options.fin);
        assert_eq!((s.trail, s.lead), (0, 3));
    }
    // The SPMR names the source's TSI, upstream (ports swapped).
    let spmr = packets.iter().find(|p| p.body == Body::Spmr).unwrap();
    assert_eq!((spmr.sport, spmr.dport), (5555, 0x5051));
    assert_eq!(
        spmr.tsi(),
        Tsi {
            gsi: GSI,
            sport: 0x5051
        }
    );
}

fn odata_payloads(packets: &[Packet]) -> Vec<(u32, Bytes)> {
    packets
        .iter()
        .filter_map(|p| match &p.body {
            Body::Odata(d) => Some((d.sqn, d.payload.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn captured_odata_is_libzmqs_framing_and_our_encoder_makes_the_same_apdus() {
    let packets = decode_all(&load("epgm-libzmq.txt"), false);
    let apdus = odata_payloads(&packets);
    assert_eq!(apdus.len(), 4);
    // libzmq's APDU is OpenPGM's maximum TSDU: 1428 bytes over UDP for a 1500-byte TPDU.
    assert_eq!(apdus[0].1.len(), max_tsdu(1500, Encapsulation::Udp));
    assert_eq!(max_tsdu(1500, Encapsulation::Udp), 1428);
    // Offsets: 0 (a message starts at once), 0xffff twice (the middle of the 4000-byte frame),
    // 63 (where the empty message after its tail starts).
    let offsets: Vec<u16> = apdus
        .iter()
        .map(|(_, a)| u16::from_be_bytes([a[0], a[1]]))
        .collect();
    assert_eq!(offsets, [0, 0xffff, 0xffff, 63]);

    let mut dec = ApduDecoder::new(None);
    let mut msgs = Vec::new();
    for (_, a) in &apdus {
        dec.feed(a, &mut msgs).unwrap();
    }
    assert_eq!(msgs, round(0));

    let mut enc = ApduEncoder::new(1428);
    for m in round(0) {
        enc.push_message(&m);
    }
    let ours: Vec<Bytes> = std::iter::from_fn(|| enc.next_apdu()).collect();
    let theirs: Vec<Bytes> = apdus.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(ours, theirs);
}

#[test]
fn a_late_joiner_starts_at_the_first_whole_message() {
    let packets = decode_all(&load("epgm-libzmq.txt"), false);
    let apdus = odata_payloads(&packets);
    for start in 1..apdus.len() {
        let mut dec = ApduDecoder::new(None);
        let mut msgs = Vec::new();
        for (_, a) in &apdus[start..] {
            dec.feed(a, &mut msgs).unwrap();
        }
        // Joining in the middle of the 4000-byte message: the next whole ones are the empty
        // message and "seq 0".
        assert_eq!(msgs, round(0)[4..].to_vec(), "joined at APDU {start}");
    }
}

fn drain(src: &mut Source, out: &mut Vec<Bytes>) {
    while let Some(p) = src.poll_transmit() {
        out.push(p);
    }
}

fn run_timers(src: &mut Source, until: Instant, out: &mut Vec<Bytes>) {
    while let Some(t) = src.poll_timeout() {
        if t > until {
            break;
        }
        src.handle_timeout(t);
        drain(src, out);
    }
}

#[test]
fn our_source_sends_what_openpgm_sent_at_the_same_times() {
    let caps = load("epgm-libzmq.txt");
    let packets = decode_all(&caps, false);
    let t0 = Instant::now();
    let mut cfg = SourceConfig::libzmq(GSI, 0x5051, 5555, LOCALHOST, GROUP, Encapsulation::Udp);
    cfg.rate_kbit = 1000;
    cfg.recovery_ivl_ms = 2000;
    let mut src = Source::new(cfg, t0);
    let mut ours = Vec::new();
    drain(&mut src, &mut ours);

    let at = |c: &Captured| t0 + c.at;
    let first_odata = caps.iter().find(|c| c.kind() == "ODATA").unwrap();
    run_timers(&mut src, at(first_odata), &mut ours);
    let mut enc = ApduEncoder::new(src.max_tsdu());
    for m in round(0) {
        enc.push_message(&m);
    }
    while let Some(apdu) = enc.next_apdu() {
        src.send(at(first_odata), apdu).unwrap();
    }
    drain(&mut src, &mut ours);

    let (i, spmr_cap) = caps
        .iter()
        .enumerate()
        .find(|(_, c)| c.kind() == "SPMR")
        .unwrap();
    run_timers(&mut src, at(spmr_cap), &mut ours);
    src.handle_packet(at(spmr_cap), &packets[i]);
    drain(&mut src, &mut ours);

    let fin = caps.iter().rev().find(|c| c.kind() == "SPM").unwrap();
    run_timers(&mut src, at(fin), &mut ours);
    src.close();
    drain(&mut src, &mut ours);

    let theirs: Vec<Bytes> = caps
        .iter()
        .filter(|c| c.kind() != "SPMR")
        .map(|c| Bytes::from(c.bytes.clone()))
        .collect();
    assert_eq!(ours.len(), theirs.len());
    for (k, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(o, t, "packet {k}");
    }
}

/// A generator that always gives the same number: back-offs of exactly 1 µs.
#[derive(Debug)]
struct Fixed(u32);

impl RandomSource for Fixed {
    fn next_u32(&mut self) -> u32 {
        self.0
    }
}

const LOSS_TSI: Tsi = Tsi {
    gsi: GSI,
    sport: 0x61c6,
};

fn odata(sqn: u32, payload: Bytes) -> Packet {
    Packet {
        sport: LOSS_TSI.sport,
        dport: 5555,
        gsi: GSI,
        flags: 0,
        options: Default::default(),
        body: Body::Odata(zmtp_pgm::Data {
            sqn,
            trail: 0,
            payload,
        }),
    }
}

#[test]
fn our_nak_ncf_and_rdata_are_openpgms_bytes() {
    let caps = load("epgm-libzmq-loss.txt");
    let packets = decode_all(&caps, false);
    let find = |kind: &str, len: usize| {
        caps.iter()
            .position(|c| c.kind() == kind && c.bytes.len() == len)
            .unwrap()
    };
    let nak_i = find("NAK", 64);
    let ncf_i = find("NCF", 64);
    let rdata_i = find("RDATA", 1452);
    let Body::Nak(nak) = &packets[nak_i].body else {
        panic!()
    };
    let mut missing = vec![nak.sqn];
    missing.extend_from_slice(&packets[nak_i].options.nak_list);
    assert_eq!(missing, [1, 6, 8, 14, 16, 22]);

    // The receiver: an SPM gives the source's address, ODATA 0..=23 arrives without those.
    let t0 = Instant::now();
    let cfg = ReceiverConfig::libzmq(5555, GROUP, 1000, 2000, 1500);
    let mut rx = Receiver::new(cfg, Fixed(0));
    let spm_i = caps.iter().position(|c| c.kind() == "SPM").unwrap();
    rx.handle_packet(t0, &packets[spm_i]);
    let payloads = odata_payloads(&packets);
    for (sqn, p) in payloads.iter().take(24) {
        if !missing.contains(sqn) {
            rx.handle_packet(t0, &odata(*sqn, p.clone()));
        }
    }
    assert!(rx.poll_transmit().is_none(), "no NAK before the back-off");
    rx.handle_timeout(t0 + Duration::from_millis(1));
    let sent = rx.poll_transmit().unwrap();
    assert_eq!(sent.destination, Destination::Source(LOCALHOST));
    assert_eq!(sent.packet.to_vec(), caps[nak_i].bytes);
    assert!(rx.poll_transmit().is_none(), "one NAK carries the list");

    // The source, with the same data in its window, answers that NAK.
    let mut scfg = SourceConfig::libzmq(GSI, 0x61c6, 5555, LOCALHOST, GROUP, Encapsulation::Udp);
    scfg.rate_kbit = 1000;
    scfg.recovery_ivl_ms = 2000;
    let mut src = Source::new(scfg, t0);
    let mut t = t0;
    for (_, p) in payloads.iter().take(24) {
        while let Err(zmtp_pgm::SendError::RateLimited(d)) = src.send(t, p.clone()) {
            t += d;
        }
    }
    while src.poll_transmit().is_some() {}
    src.handle_packet(t, &packets[nak_i]);
    let ncf = src.poll_transmit().unwrap();
    assert_eq!(
        ncf.to_vec(),
        with_ncf_list_flags_cleared(&caps[ncf_i].bytes)
    );
    let rdata = src.poll_transmit().unwrap();
    assert_eq!(rdata.to_vec(), caps[rdata_i].bytes);
    let mut repaired = vec![1];
    while let Some(p) = src.poll_transmit() {
        let Ok(Packet {
            body: Body::Rdata(d),
            ..
        }) = Packet::decode(&p)
        else {
            panic!("RDATA expected");
        };
        repaired.push(d.sqn);
    }
    assert_eq!(repaired, missing);
}

fn messages_of(rx: &mut Receiver<impl RandomSource>) -> (Vec<Vec<Bytes>>, Vec<Event>) {
    let mut msgs = Vec::new();
    let mut other = Vec::new();
    while let Some(e) = rx.poll_event() {
        match e {
            Event::Message { parts, .. } => msgs.push(parts),
            e => other.push(e),
        }
    }
    (msgs, other)
}

#[test]
fn our_receiver_recovers_the_captured_session_from_its_repairs() {
    let caps = load("epgm-libzmq-loss.txt");
    let packets = decode_all(&caps, false);
    // The ODATA the SUB lost are those the PUB repaired: drop them, keep everything else.
    let repaired: Vec<u32> = packets
        .iter()
        .filter_map(|p| match &p.body {
            Body::Rdata(d) => Some(d.sqn),
            _ => None,
        })
        .collect();
    assert!(!repaired.is_empty());
    let t0 = Instant::now();
    let cfg = ReceiverConfig::libzmq(5555, GROUP, 1000, 2000, 1500);
    let mut rx = Receiver::new(cfg, zmtp_pgm::XorShift32::new(7));
    for (c, p) in caps.iter().zip(&packets) {
        let now = t0 + c.at;
        if let Some(t) = rx.poll_timeout() {
            if t <= now {
                rx.handle_timeout(now);
            }
        }
        if let Body::Odata(d) = &p.body {
            if repaired.contains(&d.sqn) {
                continue;
            }
        }
        rx.handle_packet(now, p);
    }
    let (msgs, other) = messages_of(&mut rx);
    let want: Vec<Vec<Bytes>> = (0..10).flat_map(round).collect();
    assert_eq!(msgs, want);
    // The FIN SPMs end the session.
    assert_eq!(other, vec![Event::SourceGone { tsi: LOSS_TSI }]);
    assert!(rx.stats().repaired > 0);
}

#[test]
fn the_raw_ip_capture_has_the_same_pgm_and_eight_more_bytes_of_tsdu() {
    let caps = load("pgm-libzmq.txt");
    for c in &caps {
        let (ip, _) = strip_ipv4_header(&c.bytes).unwrap();
        assert_eq!(ip.source, Ipv4Addr::new(127, 0, 0, 1));
    }
    let packets = decode_all(&caps, true);
    let apdus = odata_payloads(&packets);
    assert_eq!(apdus[0].1.len(), max_tsdu(1500, Encapsulation::RawIp));
    assert_eq!(max_tsdu(1500, Encapsulation::RawIp), 1436);
    let mut dec = ApduDecoder::new(None);
    let mut msgs = Vec::new();
    for (_, a) in &apdus {
        dec.feed(a, &mut msgs).unwrap();
    }
    assert_eq!(msgs, round(0));
    // Same session layout as over UDP: the PGM ports are the source's and the endpoint's.
    assert!(packets.iter().all(|p| p.dport == 5556 || p.sport == 5556));
}

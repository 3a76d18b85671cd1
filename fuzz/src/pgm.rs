//! `pgm_packet` and `pgm_receiver`: the PGM packet decoder, the raw IP parser and libzmq's APDU
//! decoder over arbitrary bytes; the receiver state machine driven by arbitrary packets and
//! timer steps.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use zmtp_pgm::{
    strip_ipv4_header, ApduDecoder, ApduEncoder, Body, Data, Event, Nak, Nla, Options, Packet,
    Receiver, ReceiverConfig, Spm, Tsi, XorShift32,
};

use crate::ChunkSizes;

/// Decodes `data` as a PGM packet (checked and unchecked), as a raw IPv4 datagram, and as a
/// stream of libzmq APDUs.
///
/// Whatever decodes re-encodes to a packet that decodes to the same thing (unknown options
/// are dropped on the way); APDUs decode the same whole or in pieces; messages decoded
/// re-encode to APDUs that decode to the same messages.
pub fn pgm_packet(data: &[u8]) {
    let checked = Packet::decode(data);
    let unchecked = Packet::decode_unchecked(data);
    if let Ok(p) = &checked {
        assert_eq!(
            unchecked.as_ref(),
            Ok(p),
            "a checked decode is an unchecked one"
        );
    }
    if let Ok(p) = unchecked {
        let wire = p.encode();
        let again = Packet::decode(&wire).expect("our encoding decodes");
        assert_eq!(again.body, p.body);
        assert_eq!(again.flags, p.flags);
        let mut opts = p.options.clone();
        opts.skipped = 0;
        if !matches!(p.body, Body::Other { .. }) {
            assert_eq!(again.options, opts);
        }
        assert_eq!(again.tsi(), p.tsi());
    }
    if let Ok((_, inner)) = strip_ipv4_header(data) {
        assert!(inner.len() <= data.len());
        let _ = Packet::decode(inner);
    }

    // APDUs: the first byte picks how the rest is cut.
    let Some((&seed, rest)) = data.split_first() else {
        return;
    };
    let mut sizes = ChunkSizes::new(seed);
    let mut apdus = Vec::new();
    let mut left = rest;
    while !left.is_empty() {
        let n = sizes.next_size().min(left.len());
        apdus.push(&left[..n]);
        left = &left[n..];
    }
    let limit = (seed & 1 == 1).then_some(64);
    let mut dec = ApduDecoder::new(limit);
    let mut msgs = Vec::new();
    for a in &apdus {
        let before = msgs.len();
        if dec.feed(a, &mut msgs).is_err() {
            assert!(!dec.is_joined(), "an error leaves the decoder unjoined");
        }
        for m in &msgs[before..] {
            assert!(!m.is_empty());
            if let Some(max) = limit {
                assert!(m.iter().all(|p| p.len() as u64 <= max));
            }
        }
    }
    // Round trip through the encoder, cut at a size from the seed.
    let mut enc = ApduEncoder::new(3 + usize::from(seed));
    for m in &msgs {
        enc.push_message(m);
    }
    let mut dec2 = ApduDecoder::new(None);
    let mut back = Vec::new();
    while let Some(a) = enc.next_apdu() {
        assert!(a.len() <= 3 + usize::from(seed));
        dec2.feed(&a, &mut back).expect("our APDUs decode");
    }
    assert_eq!(back, msgs);
}

const GROUP: Nla = Nla::V4(Ipv4Addr::new(239, 192, 1, 1));
const DPORT: u16 = 5555;
const RXW: u32 = 32;
const SOURCES: usize = 3;

/// A little reader over the fuzzer's bytes.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

/// Drives a receiver (window of 32, at most 3 sources) with a script read from `data`:
///
/// - `0 len bytes`: a raw packet (decoded without its checksum, so that any bytes reach the
///   state machine);
/// - `1 tsi kind sqn:u16 trail:u16 len bytes`: a well-formed SPM, ODATA, RDATA, NCF (with or
///   without a NAK list) or FIN SPM from one of four sources, sequence numbers near a
///   per-source base that starts near the wrap;
/// - `2 ms`: the clock moves on and timers run;
/// - `3`: the clock moves to the next timer.
///
/// Checks: no panic; windows stay within 32 and sources within 3; every packet the receiver
/// sends decodes and is a NAK or SPMR for a known group and port; losses are never empty;
/// handling a timer moves the next one later.
pub fn pgm_receiver(data: &[u8]) {
    let t0 = Instant::now();
    let mut now = t0;
    let mut cfg = ReceiverConfig::libzmq(DPORT, GROUP, 100, 10_000, 1500);
    cfg.rxw_sqns = RXW;
    cfg.max_sources = SOURCES;
    cfg.nak_ncf_retries = 3;
    cfg.nak_data_retries = 3;
    cfg.max_msg_size = Some(1024);
    let mut rx = Receiver::new(cfg, XorShift32::new(u32::from(data.len() as u16)));
    let mut input = Input(data);
    let base = u32::MAX - 300;
    while let Some(op) = input.u8() {
        match op % 4 {
            0 => {
                let n = usize::from(input.u8().unwrap_or(0));
                if let Ok(p) = Packet::decode_unchecked(input.bytes(n)) {
                    rx.handle_packet(now, &p);
                }
            }
            1 => {
                let (Some(who), Some(kind), Some(sqn), Some(trail), Some(n)) =
                    (input.u8(), input.u8(), input.u16(), input.u16(), input.u8())
                else {
                    break;
                };
                let payload = Bytes::copy_from_slice(input.bytes(usize::from(n % 64)));
                let tsi = Tsi {
                    gsi: [who % 4, 0, 0, 0, 0, 1],
                    sport: 1000 + u16::from(who % 4),
                };
                let sqn = base.wrapping_add(u32::from(sqn % 512));
                let trail = base.wrapping_add(u32::from(trail % 512));
                let nla = Nla::V4(Ipv4Addr::new(10, 0, 0, who % 4));
                let mut options = Options::default();
                let body = match kind % 6 {
                    0 => Body::Spm(Spm {
                        spm_sqn: u32::from(kind),
                        trail,
                        lead: sqn,
                        path_nla: nla,
                    }),
                    1 => Body::Odata(Data {
                        sqn,
                        trail,
                        payload,
                    }),
                    2 => Body::Rdata(Data {
                        sqn,
                        trail,
                        payload,
                    }),
                    3 | 4 => {
                        if kind % 6 == 4 {
                            options.nak_list = (1..=u32::from(n % 8))
                                .map(|i| sqn.wrapping_add(i))
                                .collect();
                        }
                        Body::Ncf(Nak {
                            sqn,
                            source_nla: nla,
                            group_nla: GROUP,
                        })
                    }
                    _ => {
                        options.fin = true;
                        Body::Spm(Spm {
                            spm_sqn: u32::from(kind) + 1000,
                            trail,
                            lead: sqn,
                            path_nla: nla,
                        })
                    }
                };
                let p = Packet {
                    sport: tsi.sport,
                    dport: DPORT,
                    gsi: tsi.gsi,
                    flags: 0,
                    options,
                    body,
                };
                rx.handle_packet(now, &p);
            }
            2 => {
                now += Duration::from_millis(u64::from(input.u8().unwrap_or(1)));
                rx.handle_timeout(now);
            }
            _ => {
                if let Some(t) = rx.poll_timeout() {
                    now = now.max(t);
                    rx.handle_timeout(now);
                    if let Some(next) = rx.poll_timeout() {
                        assert!(next > now, "a handled timer leaves none due");
                    }
                }
            }
        }
        check(&mut rx);
    }
}

fn check(rx: &mut Receiver<XorShift32>) {
    let sources: Vec<Tsi> = rx.sources().copied().collect();
    assert!(sources.len() <= SOURCES);
    for tsi in &sources {
        if let Some((_, len)) = rx.window(tsi) {
            assert!(len <= RXW as usize, "window of {len}");
        }
    }
    while let Some(t) = rx.poll_transmit() {
        let p = Packet::decode(&t.packet).expect("the receiver sends valid packets");
        match &p.body {
            Body::Nak(n) => {
                assert_eq!(n.group_nla, GROUP);
                assert_eq!(p.sport, DPORT);
                assert!(p.options.nak_list.len() <= 62);
            }
            Body::Spmr => assert_eq!(p.sport, DPORT),
            other => panic!("the receiver sent {other:?}"),
        }
    }
    while let Some(e) = rx.poll_event() {
        match e {
            Event::Loss { count, .. } => assert!(count > 0),
            Event::Message { parts, .. } => {
                assert!(!parts.is_empty());
                assert!(parts.iter().all(|p| p.len() <= 1024));
            }
            Event::Malformed { .. } | Event::SourceGone { .. } => {}
        }
    }
}

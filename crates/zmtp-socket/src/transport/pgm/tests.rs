//! The endpoint syntax, and the four multicast options in effect: `ZMQ_MULTICAST_HOPS` read
//! back from the kernel, `ZMQ_RATE` measured in bytes per window of the sans-IO rate limiter on
//! a virtual clock, `ZMQ_RECOVERY_IVL` as the window a receiver can be away for (loss
//! repaired inside it, reported past it), each through the configuration this transport builds
//! from the socket's options. (`ZMQ_MULTICAST_MAXTPDU` is observed on the wire:
//! `interop/tests/libzmq_pgm.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use zmtp_pgm::{Body, Event};

use super::*;

fn endpoint() -> PgmEndpoint {
    PgmEndpoint {
        scheme: Scheme::Epgm,
        interface: Ipv4Addr::LOCALHOST,
        group: Ipv4Addr::new(239, 192, 1, 1),
        port: 5555,
    }
}

#[test]
fn endpoints_are_interface_semicolon_group_colon_port() {
    let ep = parse(Scheme::Epgm, "127.0.0.1;239.192.1.1:5555").expect("an address");
    assert_eq!(ep, endpoint());
    // An interface by name: its first IPv4 address.
    let ep = parse(Scheme::Pgm, "lo;239.192.1.1:5555").expect("lo");
    assert_eq!(ep.interface, Ipv4Addr::LOCALHOST);
    assert_eq!(ep.scheme, Scheme::Pgm);
    for bad in [
        "239.192.1.1:5555",              // no interface
        "127.0.0.1;239.192.1.1",         // no port
        "127.0.0.1;10.0.0.1:5555",       // not a multicast group
        "127.0.0.1;239.192.1.1:0",       // port 0
        "127.0.0.1;239.192.1.1:x",       // not a port
        "no-such-interface;239.1.1.1:1", // unknown interface
    ] {
        assert!(parse(Scheme::Epgm, bad).is_err(), "{bad}");
    }
}

/// `ZMQ_MULTICAST_HOPS` is the socket's `IP_MULTICAST_TTL`, as the kernel reports it.
#[test]
fn multicast_hops_is_the_ttl_the_kernel_reports() {
    let mut options = SocketOptions::new();
    options.set_multicast_hops(7).expect("hops");
    let params = PgmParams::from_options(&options);
    let socket = open(&endpoint_on_free_port(), &params).expect("an epgm socket");
    assert_eq!(socket.multicast_ttl_v4().expect("IP_MULTICAST_TTL"), 7);
    assert!(socket.multicast_loop_v4().expect("IP_MULTICAST_LOOP"));
    assert_eq!(
        socket.multicast_if_v4().expect("IP_MULTICAST_IF"),
        Ipv4Addr::LOCALHOST
    );
}

fn endpoint_on_free_port() -> PgmEndpoint {
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").expect("a free port");
    PgmEndpoint {
        port: probe.local_addr().expect("address").port(),
        ..endpoint()
    }
}

/// A message of `len` bytes numbered `i`.
fn message(i: usize, len: usize) -> Vec<Bytes> {
    let mut body = format!("{i:08}").into_bytes();
    body.resize(len, b'.');
    vec![Bytes::from(body)]
}

/// `ZMQ_RATE`: a long burst leaves at the rate. Measured on the source's ODATA (the bytes
/// OpenPGM charges: TPDU plus IP and UDP headers) per one-second window of a virtual clock
/// stepped a millisecond at a time. The bucket holds a second's worth when full, so the first
/// window may carry up to twice the rate; every later window carries the rate to within one
/// packet.
#[test]
fn rate_is_the_bytes_per_second_of_a_long_burst() {
    let rate_kbit = 800; // 100,000 bytes a second
    let mut options = SocketOptions::new();
    options.set_rate(rate_kbit).expect("rate");
    let params = PgmParams::from_options(&options);
    let t0 = Instant::now();
    let mut src = params.source(&endpoint(), [1; 6], 40_000, t0);
    let mut enc = ApduEncoder::new(src.max_tsdu());
    for i in 0..1_100 {
        enc.push_message(&message(i, 1_000));
    }
    let overhead = zmtp_pgm::ip_overhead(Encapsulation::Udp) as u64;
    let charged = |s: &Source| s.stats().odata_bytes + s.stats().odata * overhead;
    let per_sec = u64::from(u32::try_from(rate_kbit).unwrap()) * 1000 / 8;
    let tpdu = 1_500u64;
    let mut windows = Vec::new();
    let mut pending = None;
    let mut last = 0;
    for ms in 1..=14_000u64 {
        let now = t0 + Duration::from_millis(ms);
        loop {
            if pending.is_none() {
                pending = enc.next_apdu();
            }
            let Some(apdu) = pending.clone() else { break };
            match src.send(now, apdu) {
                Ok(_) => pending = None,
                Err(SendError::RateLimited(_)) => break,
                Err(e) => panic!("{e}"),
            }
        }
        while src.poll_transmit().is_some() {}
        if ms.is_multiple_of(1_000) {
            let total = charged(&src);
            windows.push(total - last);
            last = total;
        }
    }
    assert!(pending.is_none() && enc.is_empty(), "the burst is out");
    // The burst ends within the run: the windows with a full second of sending are 2..=n-1.
    let busy: Vec<u64> = windows.iter().copied().take_while(|&b| b > 0).collect();
    assert!(busy.len() >= 10, "the burst lasts ten seconds: {windows:?}");
    assert!(
        busy[0] <= 2 * per_sec + tpdu,
        "the first second: a full bucket plus the rate: {windows:?}"
    );
    for (i, &b) in busy.iter().enumerate().skip(1).take(busy.len() - 2) {
        assert!(
            b.abs_diff(per_sec) <= tpdu,
            "second {i}: {b} bytes, not {per_sec} (ZMQ_RATE {rate_kbit} kbit/s): {windows:?}"
        );
    }
    let steady: u64 = busy[1..busy.len() - 1].iter().sum();
    let seconds = (busy.len() - 2) as u64;
    println!(
        "ZMQ_RATE {rate_kbit} kbit/s = {per_sec} B/s: {} B/s measured over {seconds} virtual \
         seconds; windows {windows:?}",
        steady / seconds
    );
}

/// A source and a receiver on a virtual network, a millisecond at a time.
struct Net {
    now: Instant,
    src: Source,
    rx: Receiver<XorShift32>,
    enc: ApduEncoder,
    pending: Option<Bytes>,
    odata: u64,
    delivered: Vec<Vec<Bytes>>,
    lost: Vec<(u32, u32)>,
}

impl Net {
    fn new(params: &PgmParams) -> Net {
        let now = Instant::now();
        let ep = endpoint();
        let src = params.source(&ep, [2; 6], 40_001, now);
        let rx = Receiver::new(params.receiver_config(&ep), XorShift32::new(7));
        let enc = ApduEncoder::new(src.max_tsdu());
        Net {
            now,
            src,
            rx,
            enc,
            pending: None,
            odata: 0,
            delivered: Vec::new(),
            lost: Vec::new(),
        }
    }

    /// Runs for `ms` milliseconds; `drop(n)` says whether the n-th ODATA (from 0) is lost on
    /// the way to the receiver; with `cut`, everything from the source is.
    fn run(&mut self, ms: u64, cut: bool, drop: &dyn Fn(u64) -> bool) {
        for _ in 0..ms {
            self.now += Duration::from_millis(1);
            let now = self.now;
            loop {
                if self.pending.is_none() {
                    self.pending = self.enc.next_apdu();
                }
                let Some(apdu) = self.pending.clone() else {
                    break;
                };
                match self.src.send(now, apdu) {
                    Ok(_) => self.pending = None,
                    Err(_) => break,
                }
            }
            if self.src.poll_timeout().is_some_and(|t| t <= now) {
                self.src.handle_timeout(now);
            }
            while let Some(p) = self.src.poll_transmit() {
                let p = Packet::decode(&p).expect("our own packet");
                let lose = match p.body {
                    Body::Odata(_) => {
                        self.odata += 1;
                        drop(self.odata - 1)
                    }
                    _ => false,
                };
                if !cut && !lose {
                    self.rx.handle_packet(now, &p);
                }
            }
            if self.rx.poll_timeout().is_some_and(|t| t <= now) {
                self.rx.handle_timeout(now);
            }
            while let Some(t) = self.rx.poll_transmit() {
                let p = Packet::decode(&t.packet).expect("the receiver's packet");
                self.src.handle_packet(now, &p);
            }
            while let Some(e) = self.rx.poll_event() {
                match e {
                    Event::Message { parts, .. } => self.delivered.push(parts),
                    Event::Loss { first, count, .. } => self.lost.push((first, count)),
                    other => panic!("{other:?}"),
                }
            }
        }
    }

    fn send(&mut self, from: usize, to: usize) {
        for i in from..to {
            self.enc.push_message(&message(i, 1_000));
        }
    }
}

/// `ZMQ_RECOVERY_IVL` is the window: at 800 kbit/s and 1 s, 66 packets of 1,500 bytes. With
/// one ODATA in five lost every message is delivered (NAK, NCF, RDATA); a receiver cut off for
/// half the interval catches up; one cut off for three times the interval reports the loss,
/// and the messages after it arrive.
#[test]
fn recovery_ivl_is_the_window_a_receiver_may_be_away() {
    let mut options = SocketOptions::new();
    options.set_rate(800).expect("rate");
    options
        .set_recovery_ivl(Duration::from_millis(1_000))
        .expect("recovery_ivl");
    let params = PgmParams::from_options(&options);

    // Loss inside the window: repaired.
    let mut net = Net::new(&params);
    assert_eq!(net.src.txw_sqns(), 66, "the transmit window");
    assert_eq!(net.rx.config().rxw_sqns, 66, "the receive window");
    net.send(0, 300);
    net.run(8_000, false, &|n| n % 5 == 2);
    assert_eq!(net.delivered.len(), 300, "every message, despite the loss");
    for (i, m) in net.delivered.iter().enumerate() {
        assert_eq!(m, &message(i, 1_000), "message {i}");
    }
    assert!(net.lost.is_empty(), "nothing lost: {:?}", net.lost);
    let repaired = net.rx.stats().repaired;
    assert!(repaired >= 40, "{repaired} repaired");
    println!(
        "ZMQ_RECOVERY_IVL 1 s at ZMQ_RATE 800: window {} packets; 1 ODATA in 5 lost: 300/300 \
         delivered, {repaired} repaired by RDATA, {} NAKs",
        net.src.txw_sqns(),
        net.rx.stats().naks_sent
    );

    // Away for half the interval (about 30 packets at the rate, once the full bucket's first
    // second is out): caught up.
    let mut net = Net::new(&params);
    net.send(0, 250);
    net.run(1_200, false, &|_| false);
    let before = net.delivered.len();
    net.run(500, true, &|_| false);
    net.run(5_000, false, &|_| false);
    assert!(
        before > 0 && before < 250,
        "the cut came mid-stream: {before}"
    );
    assert_eq!(net.delivered.len(), 250, "a short absence is repaired");
    assert!(net.lost.is_empty(), "{:?}", net.lost);

    // Away for three times the interval (about 200 packets, beyond the window of 66): the
    // loss is reported, and the stream resumes after it.
    let mut net = Net::new(&params);
    net.send(0, 600);
    net.run(1_200, false, &|_| false);
    let before = net.delivered.len();
    net.run(3_000, true, &|_| false);
    net.run(6_000, false, &|_| false);
    let lost: u32 = net.lost.iter().map(|&(_, c)| c).sum();
    assert!(lost > 66, "the loss reported: {:?}", net.lost);
    let last = net.delivered.last().expect("messages after the loss");
    assert_eq!(
        last,
        &message(599, 1_000),
        "the stream resumes after the loss"
    );
    let after = net.delivered.len() - before;
    println!(
        "cut off for 3 s (window 1 s): {lost} sequence numbers reported lost; {before} \
         messages before the cut, {after} after, of 600"
    );
}

/// `ZMQ_MULTICAST_MAXTPDU` bounds every packet the source sends: with 700, messages of 4,000
/// bytes go out as IP packets of at most 700 bytes (the PGM packet plus 20 bytes of IPv4 and 8
/// of UDP), filled to 680 (libzmq leaves room for an IPv6 header). On the wire, against a
/// libzmq SUB: `interop/tests/libzmq_pgm.rs`, `epgm::maxtpdu_is_the_largest_packet_on_the_wire`.
#[test]
fn maxtpdu_bounds_every_packet_the_source_sends() {
    let mut options = SocketOptions::new();
    options.set_multicast_maxtpdu(700).expect("maxtpdu");
    options.set_rate(1_000_000).expect("rate");
    let params = PgmParams::from_options(&options);
    let now = Instant::now();
    let mut src = params.source(&endpoint(), [3; 6], 40_002, now);
    let mut enc = ApduEncoder::new(src.max_tsdu());
    for i in 0..20 {
        enc.push_message(&message(i, 4_000));
    }
    let mut largest = 0;
    let mut packets = 0;
    while let Some(apdu) = enc.next_apdu() {
        src.send(now, apdu).expect("within the rate");
        while let Some(p) = src.poll_transmit() {
            largest = largest.max(p.len() + 20 + 8);
            packets += 1;
        }
    }
    assert!(largest <= 700, "an IP packet of {largest} bytes");
    assert_eq!(largest, 680, "packets are filled up to the TPDU");
    assert!(packets > 20 * 4_000 / 700, "{packets} packets");
}

//! A minimal `epgm://` or `pgm://` peer on real multicast (UDP, or raw IP protocol 113), for
//! checking the sans-IO crate against libzmq (see `interop/epgm.sh` in this crate): not the
//! transport, which belongs in `zmtp-socket`.
//!
//! ```text
//! epgm_live send udp|raw IFACE GROUP PORT COUNT LINGER_SECS   # COUNT messages, as a PUB
//! epgm_live recv udp|raw IFACE GROUP PORT COUNT TIMEOUT_SECS  # exits 0 once COUNT arrived
//! epgm_live late udp|raw IFACE GROUP PORT COUNT TIMEOUT_SECS  # joins mid-stream: exits 0
//!                                                             # once the last one arrived
//! ```
//!
//! Messages are `msg N` (every tenth a two-part `multi N` + `part`), as `interop/peer.py`
//! sends and expects them.
#![allow(clippy::unwrap_used)] // an example: failing loudly is fine

use std::collections::HashMap;
use std::io::{ErrorKind, Read};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use zmtp_pgm::{
    strip_ipv4_header, ApduEncoder, Destination, Encapsulation, Event, Nla, Packet, Receiver,
    ReceiverConfig, SendError, Source, SourceConfig, XorShift32,
};

/// A UDP socket (`epgm://`) or a raw IP socket for protocol 113 (`pgm://`).
enum Link {
    Udp(UdpSocket),
    Raw(Socket),
}

impl Link {
    fn encapsulation(&self) -> Encapsulation {
        match self {
            Link::Udp(_) => Encapsulation::Udp,
            Link::Raw(_) => Encapsulation::RawIp,
        }
    }

    fn send_to(&self, packet: &[u8], to: SocketAddr) {
        match self {
            Link::Udp(s) => {
                s.send_to(packet, to).unwrap();
            }
            Link::Raw(s) => {
                // The kernel adds the IP header; the port means nothing to a raw socket.
                let mut to = to;
                to.set_port(0);
                s.send_to(packet, &SockAddr::from(to)).unwrap();
            }
        }
    }

    /// The next PGM packet and where it came from (`None` on timeout or a datagram that is
    /// not one).
    fn recv<'a>(&self, buf: &'a mut [u8]) -> Option<(&'a [u8], SocketAddr)> {
        let r = match self {
            Link::Udp(s) => s.recv_from(buf).map(|(n, a)| (n, Some(a))),
            Link::Raw(s) => {
                let mut s: &Socket = s;
                s.read(buf).map(|n| (n, None))
            }
        };
        match r {
            Ok((n, Some(a))) => Some((&buf[..n], a)),
            Ok((n, None)) => {
                let (ip, pgm) = strip_ipv4_header(&buf[..n]).ok()?;
                Some((pgm, SocketAddr::V4(SocketAddrV4::new(ip.source, 0))))
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
            Err(e) => panic!("{e}"),
        }
    }
}

fn socket(raw: bool, iface: Ipv4Addr, group: Ipv4Addr, port: u16) -> Link {
    let s = if raw {
        Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(113))).unwrap()
    } else {
        let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        s.set_reuse_address(true).unwrap();
        s.bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port).into())
            .unwrap();
        s
    };
    s.join_multicast_v4(&group, &iface).unwrap();
    s.set_multicast_if_v4(&iface).unwrap();
    s.set_multicast_loop_v4(true).unwrap();
    s.set_multicast_ttl_v4(1).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
    if raw {
        Link::Raw(s)
    } else {
        Link::Udp(s.into())
    }
}

fn message(i: usize) -> Vec<Bytes> {
    if i % 10 == 9 {
        vec![
            Bytes::from(format!("multi {i}")),
            Bytes::from_static(b"part"),
        ]
    } else {
        vec![Bytes::from(format!("msg {i}"))]
    }
}

fn seed() -> u32 {
    let t = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    t.subsec_nanos() ^ std::process::id()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 8 {
        eprintln!("usage: epgm_live send|recv udp|raw IFACE GROUP PORT COUNT SECS");
        std::process::exit(2);
    }
    let raw = args[2] == "raw";
    let iface: Ipv4Addr = args[3].parse().unwrap();
    let group: Ipv4Addr = args[4].parse().unwrap();
    let port: u16 = args[5].parse().unwrap();
    let count: usize = args[6].parse().unwrap();
    let secs: u64 = args[7].parse().unwrap();
    let sock = socket(raw, iface, group, port);
    let to_group = SocketAddr::V4(SocketAddrV4::new(group, port));
    match args[1].as_str() {
        "send" => send(sock, iface, group, port, count, secs, to_group),
        "recv" => recv(sock, group, port, count, secs, to_group, false),
        "late" => recv(sock, group, port, count, secs, to_group, true),
        _ => std::process::exit(2),
    }
}

fn send(
    sock: Link,
    iface: Ipv4Addr,
    group: Ipv4Addr,
    port: u16,
    count: usize,
    linger: u64,
    to_group: SocketAddr,
) {
    let mut rng = XorShift32::new(seed());
    use zmtp_pgm::RandomSource;
    let r = rng.next_u32().to_be_bytes();
    let gsi = [r[0], r[1], r[2], r[3], 0x5a, 0xa5];
    let sport = (rng.next_u32() as u16) | 0x8000;
    let cfg = SourceConfig::libzmq(
        gsi,
        sport,
        port,
        Nla::V4(iface),
        Nla::V4(group),
        sock.encapsulation(),
    );
    let mut src = Source::new(cfg, Instant::now());
    let mut enc = ApduEncoder::new(src.max_tsdu());
    for i in 0..count {
        enc.push_message(&message(i));
    }
    let mut pending = enc.next_apdu();
    let mut done_at: Option<Instant> = None;
    let mut buf = vec![0u8; 65536];
    loop {
        let now = Instant::now();
        while let Some(apdu) = pending.clone() {
            match src.send(now, apdu) {
                Ok(_) => pending = enc.next_apdu(),
                Err(SendError::RateLimited(_)) => break,
                Err(e) => panic!("{e}"),
            }
        }
        if pending.is_none() && done_at.is_none() {
            done_at = Some(now);
        }
        while let Some(p) = src.poll_transmit() {
            sock.send_to(&p, to_group);
        }
        if let Some((pgm, _)) = sock.recv(&mut buf) {
            if let Ok(p) = Packet::decode(pgm) {
                src.handle_packet(now, &p);
            }
        }
        if let Some(t) = src.poll_timeout() {
            if t <= Instant::now() {
                src.handle_timeout(Instant::now());
            }
        }
        if done_at.is_some_and(|t| t.elapsed() >= Duration::from_secs(linger)) {
            break;
        }
    }
    src.close();
    while let Some(p) = src.poll_transmit() {
        sock.send_to(&p, to_group);
    }
    let s = src.stats();
    println!(
        "sent {count} messages: {} ODATA, {} RDATA, {} NCF, {} SPM, {} NAKed sequence numbers",
        s.odata, s.rdata, s.ncf, s.spm, s.naks
    );
}

fn recv(
    sock: Link,
    group: Ipv4Addr,
    port: u16,
    count: usize,
    timeout: u64,
    to_group: SocketAddr,
    late: bool,
) {
    // The window of a libzmq SUB with ZMQ_RATE 10000 (as interop/peer.py's PUB): 8,333.
    let cfg = ReceiverConfig::libzmq(port, Nla::V4(group), 10_000, 10_000, 1500);
    let mut rx = Receiver::new(cfg, XorShift32::new(seed()));
    let mut from = HashMap::new();
    let mut got = 0;
    let mut next = 0;
    let mut losses = 0u64;
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let mut buf = vec![0u8; 65536];
    while next < count && Instant::now() < deadline {
        let now = Instant::now();
        if let Some((pgm, addr)) = sock.recv(&mut buf) {
            if let Ok(p) = Packet::decode(pgm) {
                from.insert(p.tsi(), addr);
                rx.handle_packet(now, &p);
            }
        }
        if let Some(t) = rx.poll_timeout() {
            if t <= Instant::now() {
                rx.handle_timeout(Instant::now());
            }
        }
        while let Some(t) = rx.poll_transmit() {
            let to = match t.destination {
                Destination::Group => Some(to_group),
                Destination::Source(Nla::V4(a)) => Some(SocketAddr::V4(SocketAddrV4::new(a, port))),
                Destination::Source(Nla::V6(_)) => None,
                // Unicast SPMRs go to the encapsulation port of the address data came from.
                Destination::SourceAddressOf(tsi) => from.get(&tsi).map(|a: &SocketAddr| {
                    let mut a = *a;
                    a.set_port(port);
                    a
                }),
            };
            if let Some(to) = to {
                sock.send_to(&t.packet, to);
            }
        }
        while let Some(e) = rx.poll_event() {
            match e {
                Event::Message { parts, .. } => {
                    // In order, whole, and each as sent; after a loss, numbers may skip.
                    let text = String::from_utf8_lossy(&parts[0]).into_owned();
                    let n: usize = text.rsplit(' ').next().unwrap().parse().unwrap();
                    assert!(n >= next, "message {n} after {next}");
                    if n > next {
                        eprintln!("skipped messages {next}..{n}");
                    }
                    assert_eq!(parts, message(n), "message {n}");
                    next = n + 1;
                    got += 1;
                }
                Event::Loss { first, count, .. } => {
                    eprintln!("lost {count} from {first}");
                    losses += u64::from(count);
                }
                other => eprintln!("{other:?}"),
            }
        }
    }
    let s = rx.stats();
    println!(
        "received {got}/{count} messages in order; {} NAKs for {} sequence numbers, {} repaired, {losses} lost",
        s.naks_sent, s.sqns_naked, s.repaired
    );
    let ok = if late {
        next == count && got > 0
    } else {
        got == count
    };
    std::process::exit(if ok { 0 } else { 1 });
}

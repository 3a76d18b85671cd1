//! `epgm://` (PGM over UDP) and `pgm://` (PGM over raw IP, protocol 113) for PUB, XPUB, SUB and
//! XSUB, as libzmq 4.3 runs them through OpenPGM: the protocol is the sans-IO `zmtp-pgm` crate,
//! driven here with the real clock and real sockets.
//!
//! Endpoints, as libzmq takes them: `epgm://interface;group:port` and `pgm://interface;group:port`,
//! the interface an IPv4 address (`127.0.0.1`) or a name (`eth0`: its first IPv4 address), the
//! group an IPv4 multicast address. Bind and connect do the same (libzmq: "bind can be used
//! interchangeably with connect for PGM"). Other socket types are refused (libzmq's
//! `ENOCOMPATPROTO`).
//!
//! - A PUB or XPUB runs a PGM source. Its pipe is subscribed to everything (libzmq's
//!   `subscribe_to_all` for multicast pipes): receivers filter. Messages are cut into APDUs of
//!   the maximum TSDU (`ZMQ_MULTICAST_MAXTPDU` less the headers) in libzmq's framing and sent as
//!   ODATA at `ZMQ_RATE`; the transmit window holds `ZMQ_RATE` x `ZMQ_RECOVERY_IVL` worth of
//!   them for repairs. While the rate holds data back, the pipe is not read: it fills up to
//!   `ZMQ_SNDHWM`, after which a PUB drops, as libzmq's does.
//! - A SUB or XSUB runs a PGM receiver (window from its own `ZMQ_RATE`, `ZMQ_RECOVERY_IVL`,
//!   `ZMQ_MULTICAST_MAXTPDU`; frames above `ZMQ_MAXMSGSIZE` are malformed). Its subscriptions go
//!   nowhere: a SUB filters what it receives, as libzmq's SUB does over PGM. Unrecoverable loss
//!   (data older than the source's window) is reported as libzmq reports it: the messages cut by
//!   the gap are not delivered and the stream resumes at the next message boundary; here a
//!   `tracing` warning names the sequence numbers too.
//! - Both sockets set `IP_MULTICAST_IF` to the interface, `IP_MULTICAST_LOOP` on, and
//!   `IP_MULTICAST_TTL` to `ZMQ_MULTICAST_HOPS`, and join the group on the interface;
//!   `ZMQ_SNDBUF` and `ZMQ_RCVBUF` size the kernel buffers when set.
//!
//! `pgm://` needs a raw socket: root or `CAP_NET_RAW`. Without it the connect fails with
//! `PermissionDenied`, saying so.
//!
//! Malformed packets from the network are dropped with a `tracing` debug event naming the
//! error; memory is bounded by the receiver's window and source limits.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use zmtp_pgm::{
    strip_ipv4_header, ApduEncoder, Destination, Encapsulation, Event, Nla, Packet, Receiver,
    ReceiverConfig, SendError, Source, SourceConfig, Tsi, XorShift32,
};

use crate::core::pipe::PipeItem;
use crate::core::{Core, Outbound, PipeId};
use crate::engine::ConnectionSettings;
use crate::error::{Error, Result};
use crate::options::SocketOptions;

/// The largest datagram read (a TPDU is at most 65,535 bytes).
const MAX_DATAGRAM: usize = 65_536;

/// The IP protocol number of PGM.
const IPPROTO_PGM: i32 = 113;

/// How many bytes of messages the source cuts into APDUs ahead of the rate: past this, the
/// pipe is left to fill (and a PUB to drop at `ZMQ_SNDHWM`), as libzmq's sender stops reading
/// its pipe while the rate limit holds.
const ENCODER_AHEAD: usize = 64 * 1024;

/// The least the `ZMQ_RATE` bucket holds: Tokio's timer wakes in whole milliseconds, often a
/// millisecond late, and OpenPGM's bucket of one millisecond (at rates of a TPDU a millisecond
/// and more) would lose what it cannot hold meanwhile and send at about half the rate.
const RATE_BURST: std::time::Duration = std::time::Duration::from_millis(10);

/// `epgm://` or `pgm://`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// PGM in UDP.
    Epgm,
    /// PGM in raw IP.
    Pgm,
}

impl Scheme {
    fn encapsulation(self) -> Encapsulation {
        match self {
            Scheme::Epgm => Encapsulation::Udp,
            Scheme::Pgm => Encapsulation::RawIp,
        }
    }
}

/// A parsed `epgm://` or `pgm://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PgmEndpoint {
    pub(crate) scheme: Scheme,
    /// The interface's address (a name is resolved to its first IPv4 address).
    pub(crate) interface: Ipv4Addr,
    /// The multicast group.
    pub(crate) group: Ipv4Addr,
    /// The port: UDP port over `epgm://`, PGM data-destination port either way.
    pub(crate) port: u16,
}

/// Parses what follows `epgm://` or `pgm://`: `interface;group:port`.
pub(crate) fn parse(scheme: Scheme, rest: &str) -> Result<PgmEndpoint> {
    const BAD: Error = Error::InvalidArgument(
        "a pgm:// or epgm:// endpoint is interface;group:port (interface: an IPv4 address or \
         a name; group: an IPv4 multicast address)",
    );
    let (iface, address) = rest.split_once(';').ok_or(BAD)?;
    let (group, port) = address.rsplit_once(':').ok_or(BAD)?;
    let group: Ipv4Addr = group.parse().map_err(|_| BAD)?;
    if !group.is_multicast() {
        return Err(BAD);
    }
    let port: u16 = port.parse().map_err(|_| BAD)?;
    if port == 0 {
        return Err(BAD);
    }
    let interface = match iface.parse::<Ipv4Addr>() {
        Ok(a) => a,
        Err(_) => match super::tcp::interface_address(iface, 0, false) {
            Some(SocketAddr::V4(a)) => *a.ip(),
            _ => {
                return Err(Error::InvalidArgument(
                    "no network interface of that name with an IPv4 address (libzmq: EINVAL)",
                ))
            }
        },
    };
    Ok(PgmEndpoint {
        scheme,
        interface,
        group,
        port,
    })
}

/// The options a PGM endpoint runs with, read when it is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PgmParams {
    /// `ZMQ_RATE`, kbit/s.
    pub(crate) rate_kbit: u32,
    /// `ZMQ_RECOVERY_IVL`, ms.
    pub(crate) recovery_ivl_ms: u32,
    /// `ZMQ_MULTICAST_HOPS`.
    pub(crate) hops: u32,
    /// `ZMQ_MULTICAST_MAXTPDU`.
    pub(crate) max_tpdu: u16,
    /// `ZMQ_MAXMSGSIZE`.
    pub(crate) max_msg_size: Option<u64>,
    /// `ZMQ_SNDBUF`, `ZMQ_RCVBUF`.
    pub(crate) sndbuf: Option<usize>,
    pub(crate) rcvbuf: Option<usize>,
}

impl PgmParams {
    /// The PGM options of `options`.
    pub(crate) fn from_options(options: &SocketOptions) -> PgmParams {
        let positive = |v: i32| u32::try_from(v).ok().filter(|&v| v > 0);
        let recovery = options.get_recovery_ivl().as_millis();
        PgmParams {
            rate_kbit: positive(options.get_rate()).unwrap_or(100),
            recovery_ivl_ms: u32::try_from(recovery).unwrap_or(u32::MAX),
            hops: positive(options.get_multicast_hops()).unwrap_or(1),
            max_tpdu: u16::try_from(options.get_multicast_maxtpdu().max(1)).unwrap_or(u16::MAX),
            max_msg_size: options.get_maxmsgsize(),
            sndbuf: options
                .get_sndbuf()
                .and_then(|v| usize::try_from(v).ok())
                .filter(|&v| v > 0),
            rcvbuf: options
                .get_rcvbuf()
                .and_then(|v| usize::try_from(v).ok())
                .filter(|&v| v > 0),
        }
    }

    /// The source a PUB runs: libzmq's settings with these options.
    pub(crate) fn source_config(&self, ep: &PgmEndpoint, gsi: [u8; 6], sport: u16) -> SourceConfig {
        let mut cfg = SourceConfig::libzmq(
            gsi,
            sport,
            ep.port,
            Nla::V4(ep.interface),
            Nla::V4(ep.group),
            ep.scheme.encapsulation(),
        );
        cfg.rate_kbit = self.rate_kbit;
        cfg.recovery_ivl_ms = self.recovery_ivl_ms;
        cfg.max_tpdu = self.max_tpdu;
        cfg
    }

    /// The source a PUB runs, started at `now`, its rate bucket holding at least
    /// [`RATE_BURST`].
    pub(crate) fn source(
        &self,
        ep: &PgmEndpoint,
        gsi: [u8; 6],
        sport: u16,
        now: Instant,
    ) -> Source {
        let mut source = Source::new(self.source_config(ep, gsi, sport), now);
        source.set_rate_burst(RATE_BURST);
        source
    }

    /// The receiver a SUB runs: libzmq's settings with these options.
    pub(crate) fn receiver_config(&self, ep: &PgmEndpoint) -> ReceiverConfig {
        let mut cfg = ReceiverConfig::libzmq(
            ep.port,
            Nla::V4(ep.group),
            self.rate_kbit,
            self.recovery_ivl_ms,
            self.max_tpdu,
        );
        cfg.max_msg_size = self.max_msg_size;
        cfg
    }
}

/// Opens the endpoint's socket with the multicast options set and the group joined. For
/// `pgm://` without the right to open a raw socket, a `PermissionDenied` error that names
/// `CAP_NET_RAW`.
pub(crate) fn open(ep: &PgmEndpoint, params: &PgmParams) -> io::Result<Socket> {
    let socket = match ep.scheme {
        Scheme::Epgm => {
            let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
            // Every PGM socket of the host on this port shares it (libzmq's do too).
            s.set_reuse_address(true)?;
            s.bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, ep.port).into())?;
            s
        }
        Scheme::Pgm => Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(IPPROTO_PGM)))
            .map_err(|e| {
                if e.kind() == io::ErrorKind::PermissionDenied {
                    io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        "pgm:// sends and receives raw IP (protocol 113): it needs root or the \
                         CAP_NET_RAW capability (epgm:// needs neither)",
                    )
                } else {
                    e
                }
            })?,
    };
    socket.set_multicast_if_v4(&ep.interface)?;
    socket.set_multicast_loop_v4(true)?;
    socket.set_multicast_ttl_v4(params.hops)?;
    socket.join_multicast_v4(&ep.group, &ep.interface)?;
    if let Some(n) = params.sndbuf {
        socket.set_send_buffer_size(n)?;
    }
    if let Some(n) = params.rcvbuf {
        socket.set_recv_buffer_size(n)?;
    }
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// The socket a PGM endpoint's task reads and writes. A raw IP socket is driven through
/// tokio's `UdpSocket` too: `sendto` and `recvfrom` on a datagram descriptor are all either
/// needs (no unsafe registration of a bare descriptor); over raw IP what is read starts with
/// the IPv4 header and the port is 0.
struct Link {
    socket: UdpSocket,
    raw: bool,
}

impl Link {
    fn new(scheme: Scheme, socket: Socket) -> io::Result<Link> {
        Ok(Link {
            socket: UdpSocket::from_std(socket.into())?,
            raw: scheme == Scheme::Pgm,
        })
    }

    /// Sends one PGM packet to `to` (the port is the UDP port; a raw socket has none). A
    /// packet that cannot go is lost, as a datagram is: PGM repairs it or reports the loss.
    /// Cancel-safe.
    async fn send_to(&self, packet: &[u8], to: SocketAddrV4) {
        let to = if self.raw {
            SocketAddrV4::new(*to.ip(), 0)
        } else {
            to
        };
        if let Err(e) = self.socket.send_to(packet, SocketAddr::V4(to)).await {
            tracing::debug!(%to, error = %e, "pgm: a packet could not be sent");
        }
    }

    /// The next datagram: where its PGM packet lies in `buf`, and the sender's address.
    /// Cancel-safe: dropped before it completes, nothing is read.
    async fn recv(&self, buf: &mut [u8]) -> io::Result<(std::ops::Range<usize>, Ipv4Addr)> {
        loop {
            let (n, from) = self.socket.recv_from(buf).await?;
            let from = match from {
                SocketAddr::V4(a) => *a.ip(),
                SocketAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
            };
            if !self.raw {
                return Ok((0..n, from));
            }
            match strip_ipv4_header(&buf[..n]) {
                Ok((ip, pgm)) => {
                    let start = pgm.as_ptr() as usize - buf.as_ptr() as usize;
                    return Ok((start..start + pgm.len(), ip.source));
                }
                Err(e) => tracing::debug!(error = %e, "pgm: a raw datagram dropped"),
            }
        }
    }
}

/// Sleeps until `at`, or for ever.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

/// A random TSI for a new source: the GSI and the source port (OpenPGM draws both too).
fn random_tsi() -> ([u8; 6], u16) {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    let r = h.finish().to_be_bytes();
    let gsi = [r[0], r[1], r[2], r[3], r[4], r[5]];
    // A high port, never 0.
    let sport = u16::from_be_bytes([r[6], r[7]]) | 0x8000;
    (gsi, sport)
}

/// The endpoint's task: a PUB's or XPUB's source, or a SUB's or XSUB's receiver, on `pipe`
/// until the socket closes or the endpoint is disconnected.
#[allow(clippy::too_many_arguments)]
pub(crate) fn spawn(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: &str,
    ep: PgmEndpoint,
    params: PgmParams,
    socket: Socket,
    pipe: PipeId,
    sender: bool,
) -> JoinHandle<()> {
    core.mark_datagram(pipe);
    core.attach_peer(pipe, None);
    let io = settings.any_io_thread();
    let context = settings.context.clone();
    let name = format!("zmtp::pgm {endpoint} {}", settings.config.socket_type);
    let tracked = core.clone();
    context.spawn(
        io,
        &name,
        tracked.track(async move {
            let _guard = super::udp::PipeGuard {
                core: core.clone(),
                pipe,
            };
            let link = match Link::new(ep.scheme, socket) {
                Ok(link) => link,
                Err(e) => {
                    tracing::warn!(error = %e, "pgm: the socket could not be registered");
                    return;
                }
            };
            if sender {
                let (gsi, sport) = random_tsi();
                let source = params.source(&ep, gsi, sport, Instant::now());
                run_source(&core, pipe, &link, &ep, source).await;
            } else {
                let (gsi, _) = random_tsi();
                let seed = u32::from_be_bytes([gsi[0], gsi[1], gsi[2], gsi[3]]);
                let receiver = Receiver::new(params.receiver_config(&ep), XorShift32::new(seed));
                run_receiver(&core, pipe, &link, &ep, receiver).await;
            }
        }),
    )
}

/// A PUB's side: messages from the pipe, cut into APDUs, sent as ODATA at the rate; NAKs and
/// SPMRs answered; SPMs on their schedule. When the pipe finishes, what is queued is sent, then
/// the session ends with `OPT_FIN`.
async fn run_source(core: &Core, pipe: PipeId, link: &Link, ep: &PgmEndpoint, mut src: Source) {
    let group = SocketAddrV4::new(ep.group, ep.port);
    let mut enc = ApduEncoder::new(src.max_tsdu());
    let mut batch: VecDeque<PipeItem> = VecDeque::new();
    let mut pending: Option<Bytes> = None;
    let mut finished = false;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let now = Instant::now();
        let mut rate_wait = None;
        loop {
            if pending.is_none() {
                pending = enc.next_apdu();
            }
            let Some(apdu) = pending.clone() else { break };
            match src.send(now, apdu) {
                Ok(_) => pending = None,
                Err(SendError::RateLimited(wait)) => {
                    rate_wait = Some(now + wait);
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pgm: an APDU dropped");
                    pending = None;
                }
            }
        }
        while let Some(p) = src.poll_transmit() {
            link.send_to(&p, group).await;
        }
        if finished && pending.is_none() && enc.is_empty() {
            src.close();
            while let Some(p) = src.poll_transmit() {
                link.send_to(&p, group).await;
            }
            return;
        }
        let take = !finished && pending.is_none() && enc.queued_bytes() < ENCODER_AHEAD;
        let timer = match (src.poll_timeout(), rate_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        tokio::select! {
            read = link.recv(&mut buf) => {
                if let Ok((range, _)) = read {
                    match Packet::decode(&buf[range]) {
                        Ok(p) => src.handle_packet(Instant::now(), &p),
                        Err(e) => tracing::debug!(error = %e, "pgm: a packet dropped"),
                    }
                }
            }
            () = sleep_until(timer) => src.handle_timeout(Instant::now()),
            outbound = std::future::poll_fn(|cx| {
                match core.take_outbound(pipe, cx, usize::MAX, &mut batch) {
                    Outbound::Empty => Poll::Pending,
                    other => Poll::Ready(other),
                }
            }), if take => {
                for item in batch.drain(..) {
                    if let PipeItem::Message(msg) = item {
                        enc.push_message(msg.frames());
                    }
                }
                if outbound == Outbound::Finished {
                    finished = true;
                }
            }
        }
    }
}

/// Where a receiver's packet goes.
fn destination(
    d: Destination,
    ep: &PgmEndpoint,
    from: &HashMap<Tsi, Ipv4Addr>,
) -> Option<SocketAddrV4> {
    match d {
        Destination::Group => Some(SocketAddrV4::new(ep.group, ep.port)),
        Destination::Source(Nla::V4(a)) => Some(SocketAddrV4::new(a, ep.port)),
        Destination::Source(Nla::V6(_)) => None,
        Destination::SourceAddressOf(tsi) => from.get(&tsi).map(|a| SocketAddrV4::new(*a, ep.port)),
    }
}

/// A SUB's side: packets to the receiver, its NAKs and SPMRs out, its messages into the pipe
/// (a full pipe stops the reading, as libzmq's receiver does; PGM repairs what the kernel
/// drops meanwhile), its losses traced. The pipe's subscriptions are dropped.
async fn run_receiver(
    core: &Core,
    pipe: PipeId,
    link: &Link,
    ep: &PgmEndpoint,
    mut rx: Receiver<XorShift32>,
) {
    let mut from: HashMap<Tsi, Ipv4Addr> = HashMap::new();
    let mut items: VecDeque<PipeItem> = VecDeque::new();
    let mut discarded: VecDeque<PipeItem> = VecDeque::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let deliver = !items.is_empty();
        tokio::select! {
            read = link.recv(&mut buf), if !deliver => {
                if let Ok((range, addr)) = read {
                    match Packet::decode(&buf[range]) {
                        Ok(p) => {
                            let tsi = p.tsi();
                            rx.handle_packet(Instant::now(), &p);
                            // Only for sources the receiver tracks (bounded by it).
                            if !from.contains_key(&tsi) && rx.sources().any(|t| *t == tsi) {
                                from.insert(tsi, addr);
                            }
                        }
                        Err(e) => tracing::debug!(error = %e, "pgm: a packet dropped"),
                    }
                }
            }
            () = sleep_until(rx.poll_timeout()) => rx.handle_timeout(Instant::now()),
            () = std::future::poll_fn(|cx| {
                if core.deliver_inbound(pipe, cx, &mut items) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }), if deliver => {}
            outbound = std::future::poll_fn(|cx| {
                match core.take_outbound(pipe, cx, usize::MAX, &mut discarded) {
                    Outbound::Empty => Poll::Pending,
                    other => Poll::Ready(other),
                }
            }) => {
                discarded.clear();
                if outbound == Outbound::Finished {
                    return;
                }
            }
        }
        while let Some(t) = rx.poll_transmit() {
            if let Some(to) = destination(t.destination, ep, &from) {
                link.send_to(&t.packet, to).await;
            }
        }
        while let Some(event) = rx.poll_event() {
            match event {
                Event::Message { parts, .. } => {
                    items.push_back(PipeItem::Message(zmtp_codec::Message::from(parts)));
                }
                Event::Loss { tsi, first, count } => {
                    tracing::warn!(
                        ?tsi,
                        first,
                        count,
                        "pgm: data lost for good (older than the source's window, \
                         ZMQ_RECOVERY_IVL): the messages it carried are not delivered"
                    );
                }
                Event::Malformed { tsi, error } => {
                    tracing::debug!(?tsi, %error, "pgm: undecodable data; rejoining");
                }
                Event::SourceGone { tsi } => {
                    from.remove(&tsi);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

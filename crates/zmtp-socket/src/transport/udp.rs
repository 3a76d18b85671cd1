//! `udp://` for RADIO and DISH (libzmq 4.3's draft datagram transport): a RADIO connects and
//! sends each message as one datagram, a DISH binds and receives them. No handshake, no
//! commands: a datagram is the group's length (one byte), the group, then the body, as libzmq's
//! `udp_engine` lays it out.
//!
//! Endpoints, as libzmq takes them: `udp://host:port` (unicast; a DISH binds `*:port` or an
//! address of its own), `udp://239.0.0.1:port` (multicast: the DISH joins the group, the RADIO
//! sends to it with `ZMQ_MULTICAST_HOPS` as its TTL), and `udp://interface-address;239.0.0.1:port`
//! (multicast on that interface).
//!
//! A RADIO's udp pipe takes every group (the DISH filters; libzmq's RADIO sends everything to
//! its udp pipes); a DISH's joins are not sent anywhere. What does not fit a full queue, or
//! fails to parse, is dropped, as datagrams are.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::task::Poll;

use bytes::{BufMut, Bytes, BytesMut};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use zmtp_codec::Message;

use crate::core::pipe::PipeItem;
use crate::core::{Core, Outbound, PipeId};
use crate::engine::ConnectionSettings;
use crate::error::{Error, Result};

/// The largest datagram a DISH reads (libzmq sends at most 8 KiB; UDP carries at most 64 KiB).
const MAX_DATAGRAM: usize = 65_536;

/// A parsed `udp://` endpoint.
#[derive(Debug, Clone)]
pub(crate) struct UdpEndpoint {
    /// The multicast interface's address (`iface;group:port`), if given.
    pub(crate) interface: Option<Ipv4Addr>,
    /// The host as written (`*` for any), and the port.
    pub(crate) host: String,
    /// The port (0 for one the OS chooses, on bind).
    pub(crate) port: u16,
}

/// Parses what follows `udp://`.
pub(crate) fn parse(endpoint: &str, rest: &str) -> Result<UdpEndpoint> {
    const BAD: Error = Error::InvalidArgument("a udp:// endpoint is udp://[interface;]host:port");
    let (interface, address) = match rest.split_once(';') {
        Some((iface, address)) => (Some(iface.parse::<Ipv4Addr>().map_err(|_| BAD)?), address),
        None => (None, rest),
    };
    let (host, port) = address.rsplit_once(':').ok_or(BAD)?;
    let port = if port == "*" {
        0
    } else {
        port.parse::<u16>().map_err(|_| BAD)?
    };
    if host.is_empty() {
        return Err(Error::NotFound(format!("{endpoint}: no host")));
    }
    Ok(UdpEndpoint {
        interface,
        host: host.to_owned(),
        port,
    })
}

impl UdpEndpoint {
    async fn resolve(&self) -> io::Result<SocketAddr> {
        if self.host == "*" {
            return Ok(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                self.port,
            ));
        }
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, self.port));
        }
        tokio::net::lookup_host((self.host.as_str(), self.port))
            .await?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address for the host"))
    }
}

/// `[group length, group, body]`.
pub(crate) fn encode(msg: &Message, into: &mut BytesMut) -> bool {
    let [group, body] = msg.frames() else {
        return false;
    };
    let Ok(len) = u8::try_from(group.len()) else {
        return false;
    };
    into.clear();
    into.reserve(1 + group.len() + body.len());
    into.put_u8(len);
    into.put_slice(group);
    into.put_slice(body);
    true
}

/// A datagram's `[group, body]`, if it is one.
pub(crate) fn decode(datagram: &[u8]) -> Option<Message> {
    let (&len, rest) = datagram.split_first()?;
    let len = usize::from(len);
    if rest.len() < len {
        return None;
    }
    let group = Bytes::copy_from_slice(&rest[..len]);
    let body = Bytes::copy_from_slice(&rest[len..]);
    Some(Message::from([group, body]))
}

/// Removes the pipe when the task ends, however it ends (an unbind aborts it); `pgm.rs` too.
pub(crate) struct PipeGuard {
    pub(crate) core: Arc<Core>,
    pub(crate) pipe: PipeId,
}

impl Drop for PipeGuard {
    fn drop(&mut self) {
        self.core.remove_pipe(self.pipe);
    }
}

/// A DISH's bind: the socket, a pipe taking every datagram, and the task reading them.
/// Answers the endpoint as bound (the port chosen) and the task.
pub(crate) async fn bind(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: &str,
    ep: &UdpEndpoint,
) -> Result<(String, JoinHandle<()>)> {
    let io_err = |e| Error::io("bind", endpoint, e);
    let addr = ep.resolve().await.map_err(io_err)?;
    let multicast = addr.ip().is_multicast();
    let local = if multicast {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), addr.port())
    } else {
        addr
    };
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(local),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
    .map_err(io_err)?;
    socket.set_reuse_address(true).map_err(io_err)?;
    socket.set_nonblocking(true).map_err(io_err)?;
    socket.bind(&local.into()).map_err(io_err)?;
    if let IpAddr::V4(group) = addr.ip() {
        if multicast {
            let iface = ep.interface.unwrap_or(Ipv4Addr::UNSPECIFIED);
            socket.join_multicast_v4(&group, &iface).map_err(io_err)?;
        }
    }
    let std_socket: std::net::UdpSocket = socket.into();
    let bound_port = std_socket.local_addr().map_err(io_err)?.port();
    let host = match &ep.interface {
        Some(iface) => format!("{iface};{}", ep.host),
        None => ep.host.clone(),
    };
    let bound = format!("udp://{host}:{bound_port}");
    let pipe = core.add_pipe(false);
    core.mark_datagram(pipe);
    core.attach_peer(pipe, None);
    let io = settings.any_io_thread();
    let context = settings.context.clone();
    let name = format!("zmtp::udp {bound} {}", settings.config.socket_type);
    let tracked = core.clone();
    let task = context.spawn(
        io,
        &name,
        tracked.track(async move {
            let _guard = PipeGuard {
                core: core.clone(),
                pipe,
            };
            let Ok(socket) = UdpSocket::from_std(std_socket) else {
                return;
            };
            receive(&core, &socket, pipe).await;
        }),
    );
    Ok((bound, task))
}

/// Reads datagrams into the pipe until the socket closes; what the pipe queues outward (a
/// DISH's joins) is dropped.
async fn receive(core: &Core, socket: &UdpSocket, pipe: PipeId) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut items: VecDeque<PipeItem> = VecDeque::new();
    let mut discarded: VecDeque<PipeItem> = VecDeque::new();
    loop {
        tokio::select! {
            read = socket.recv(&mut buf) => {
                let Ok(n) = read else { continue };
                let Some(msg) = decode(&buf[..n]) else { continue };
                items.push_back(PipeItem::Message(msg));
                std::future::poll_fn(|cx| {
                    core.deliver_inbound(pipe, cx, &mut items);
                    Poll::Ready(())
                })
                .await;
                // What a full queue did not take is dropped, as a datagram is.
                items.clear();
            }
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
    }
}

/// A RADIO's connect: a pipe taking every group, and the task sending its messages as
/// datagrams to `ep`.
pub(crate) fn connect(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: &str,
    ep: UdpEndpoint,
    pipe: PipeId,
    hops: u32,
) -> JoinHandle<()> {
    core.mark_datagram(pipe);
    core.attach_peer(pipe, None);
    let io = settings.any_io_thread();
    let context = settings.context.clone();
    let name = format!("zmtp::udp {endpoint} {}", settings.config.socket_type);
    let tracked = core.clone();
    context.spawn(
        io,
        &name,
        tracked.track(async move {
            let _guard = PipeGuard {
                core: core.clone(),
                pipe,
            };
            let Ok(socket) = open_sender(&ep, hops).await else {
                tracing::debug!(?ep, "udp: no socket to send from");
                return;
            };
            send(&core, &socket, pipe).await;
        }),
    )
}

async fn open_sender(ep: &UdpEndpoint, hops: u32) -> io::Result<UdpSocket> {
    let target = ep.resolve().await?;
    let local = match target {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 0),
    };
    let socket = UdpSocket::bind(local).await?;
    if target.ip().is_multicast() {
        socket.set_multicast_ttl_v4(hops)?;
        socket.set_multicast_loop_v4(true)?;
        if let Some(iface) = ep.interface {
            socket2::SockRef::from(&socket).set_multicast_if_v4(&iface)?;
        }
    }
    socket.connect(target).await?;
    Ok(socket)
}

/// Sends what the pipe queues, one datagram a message, until the socket closes.
async fn send(core: &Core, socket: &UdpSocket, pipe: PipeId) {
    let mut batch: VecDeque<PipeItem> = VecDeque::new();
    let mut datagram = BytesMut::new();
    loop {
        let outbound =
            std::future::poll_fn(
                |cx| match core.take_outbound(pipe, cx, usize::MAX, &mut batch) {
                    Outbound::Empty => Poll::Pending,
                    other => Poll::Ready(other),
                },
            )
            .await;
        for item in batch.drain(..) {
            if let PipeItem::Message(msg) = item {
                if encode(&msg, &mut datagram) {
                    // A datagram that cannot go (no route, refused) is lost, as UDP loses it.
                    let _ = socket.send(&datagram).await;
                }
            }
        }
        if outbound == Outbound::Finished {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_are_group_length_group_body() {
        let mut buf = BytesMut::new();
        assert!(encode(&Message::from(["tv", "news"]), &mut buf));
        assert_eq!(&buf[..], b"\x02tvnews");
        assert_eq!(decode(&buf), Some(Message::from(["tv", "news"])));
        assert_eq!(decode(b"\x05tv"), None, "a group longer than the datagram");
        assert_eq!(decode(b""), None);
        assert_eq!(decode(b"\x00"), Some(Message::from(["", ""])));
    }

    /// `ZMQ_MULTICAST_HOPS`: a RADIO's socket to a multicast group has it as its
    /// `IP_MULTICAST_TTL`, read back from the kernel (the default would be 1).
    #[tokio::test]
    async fn multicast_hops_is_the_ttl_the_kernel_reports() {
        let ep = parse("x", "127.0.0.1;239.192.1.9:5599").expect("multicast");
        let socket = open_sender(&ep, 7).await.expect("a udp socket");
        assert_eq!(socket.multicast_ttl_v4().expect("IP_MULTICAST_TTL"), 7);
        assert!(socket.multicast_loop_v4().expect("IP_MULTICAST_LOOP"));
        let unicast = parse("x", "127.0.0.1:5599").expect("unicast");
        let socket = open_sender(&unicast, 7).await.expect("a udp socket");
        assert_eq!(
            socket.multicast_ttl_v4().expect("IP_MULTICAST_TTL"),
            1,
            "a unicast socket is left alone"
        );
    }

    #[test]
    fn endpoints() {
        let ep = parse("udp://239.0.0.1:5555", "239.0.0.1:5555").expect("multicast");
        assert_eq!(
            (ep.host.as_str(), ep.port, ep.interface),
            ("239.0.0.1", 5555, None)
        );
        let ep = parse("x", "127.0.0.1;239.0.0.1:5555").expect("interface");
        assert_eq!(ep.interface, Some(Ipv4Addr::LOCALHOST));
        assert!(parse("x", "nohost").is_err());
        assert!(parse("x", "h:notaport").is_err());
    }
}

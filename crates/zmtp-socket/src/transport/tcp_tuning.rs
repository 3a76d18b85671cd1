//! The TCP options of the table, applied to the operating system's sockets as libzmq applies
//! them: on the listening socket (buffers, `ZMQ_TOS`, `ZMQ_BACKLOG`, `ZMQ_IPV6` dual stack), on
//! every accepted and every connecting socket (buffers, `ZMQ_TOS`, keepalive, `ZMQ_TCP_MAXRT`).
//! A value of -1 (or 0 for `ZMQ_TCP_MAXRT` and `ZMQ_TOS`) leaves the OS default alone.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

use crate::options::SocketOptions;

/// What a socket's TCP options ask of each OS socket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TcpTuning {
    /// `ZMQ_SNDBUF` / `ZMQ_RCVBUF` in bytes.
    pub(crate) sndbuf: Option<usize>,
    pub(crate) rcvbuf: Option<usize>,
    /// `ZMQ_BACKLOG`: the listen queue.
    pub(crate) backlog: i32,
    /// `ZMQ_TOS`: the IP type-of-service byte (IPv6 traffic class).
    pub(crate) tos: Option<u32>,
    /// `ZMQ_TCP_KEEPALIVE`: on, off, or the OS default.
    pub(crate) keepalive: Option<bool>,
    /// `ZMQ_TCP_KEEPALIVE_CNT`, `_IDLE` (seconds), `_INTVL` (seconds), when keepalive is on.
    pub(crate) keepalive_cnt: Option<u32>,
    pub(crate) keepalive_idle: Option<Duration>,
    pub(crate) keepalive_intvl: Option<Duration>,
    /// `ZMQ_TCP_MAXRT`: how long unacknowledged data may wait (Linux `TCP_USER_TIMEOUT`).
    pub(crate) maxrt: Option<Duration>,
    /// `ZMQ_IPV6`: a wildcard bind takes IPv6 too (dual stack); names may resolve to IPv6.
    pub(crate) ipv6: bool,
}

impl TcpTuning {
    /// The tuning `options` ask for.
    pub(crate) fn from_options(options: &SocketOptions) -> TcpTuning {
        let size = |v: Option<i32>| v.and_then(|v| usize::try_from(v).ok()).filter(|&v| v > 0);
        let count = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok()).filter(|&v| v > 0);
        let secs = |v: Option<i32>| count(v).map(|s| Duration::from_secs(u64::from(s)));
        TcpTuning {
            sndbuf: size(options.get_sndbuf()),
            rcvbuf: size(options.get_rcvbuf()),
            backlog: options.get_backlog().max(1),
            tos: u32::try_from(options.get_tos()).ok().filter(|&t| t > 0),
            keepalive: options.get_tcp_keepalive(),
            keepalive_cnt: count(options.get_tcp_keepalive_cnt()),
            keepalive_idle: secs(options.get_tcp_keepalive_idle()),
            keepalive_intvl: secs(options.get_tcp_keepalive_intvl()),
            maxrt: options.get_tcp_maxrt(),
            ipv6: options.get_ipv6(),
        }
    }

    /// Applies what every socket takes (listening, accepted, connecting).
    fn apply_common(&self, socket: &SockRef<'_>, v6: bool) -> io::Result<()> {
        if let Some(size) = self.sndbuf {
            socket.set_send_buffer_size(size)?;
        }
        if let Some(size) = self.rcvbuf {
            socket.set_recv_buffer_size(size)?;
        }
        if let Some(tos) = self.tos {
            if v6 {
                socket.set_tclass_v6(tos)?;
            } else {
                socket.set_tos_v4(tos)?;
            }
        }
        Ok(())
    }

    /// Applies what a connection's socket takes (accepted or connecting): the common options,
    /// keepalive and `ZMQ_TCP_MAXRT`, and `TCP_NODELAY` (always, as libzmq).
    pub(crate) fn apply_to_connection(&self, socket: SockRef<'_>, v6: bool) -> io::Result<()> {
        self.apply_common(&socket, v6)?;
        socket.set_tcp_nodelay(true)?;
        match self.keepalive {
            Some(false) => socket.set_keepalive(false)?,
            Some(true) => {
                let mut params = TcpKeepalive::new();
                if let Some(idle) = self.keepalive_idle {
                    params = params.with_time(idle);
                }
                if let Some(intvl) = self.keepalive_intvl {
                    params = params.with_interval(intvl);
                }
                if let Some(cnt) = self.keepalive_cnt {
                    params = params.with_retries(cnt);
                }
                socket.set_tcp_keepalive(&params)?;
                socket.set_keepalive(true)?;
            }
            None => {}
        }
        if let Some(maxrt) = self.maxrt {
            socket.set_tcp_user_timeout(Some(maxrt))?;
        }
        Ok(())
    }

    /// A listening socket bound to `addr` with the options applied (SO_REUSEADDR on, as libzmq
    /// and Tokio do on Unix), non-blocking, listening with `ZMQ_BACKLOG`.
    pub(crate) fn listen(&self, addr: SocketAddr) -> io::Result<std::net::TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        if addr.is_ipv6() {
            // libzmq's dual stack: an IPv6 wildcard also takes IPv4 (mapped) connections.
            socket.set_only_v6(false)?;
        }
        self.apply_common(&SockRef::from(&socket), addr.is_ipv6())?;
        socket.bind(&addr.into())?;
        socket.listen(self.backlog)?;
        socket.set_nonblocking(true)?;
        Ok(socket.into())
    }

    /// An unconnected socket for `addr` with the options applied; connecting registers it with
    /// the runtime of the caller.
    pub(crate) fn connecting_socket(&self, addr: SocketAddr) -> io::Result<tokio::net::TcpSocket> {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        self.apply_to_connection(SockRef::from(&socket), addr.is_ipv6())?;
        Ok(socket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuned() -> TcpTuning {
        TcpTuning {
            sndbuf: Some(96 * 1024),
            rcvbuf: Some(80 * 1024),
            backlog: 7,
            tos: Some(0x28),
            keepalive: Some(true),
            keepalive_cnt: Some(5),
            keepalive_idle: Some(Duration::from_secs(30)),
            keepalive_intvl: Some(Duration::from_secs(10)),
            maxrt: Some(Duration::from_millis(4_000)),
            ipv6: false,
        }
    }

    /// Linux doubles SO_SNDBUF / SO_RCVBUF for its bookkeeping: at least what was asked.
    fn check_connection(socket: SockRef<'_>, t: &TcpTuning) {
        assert!(socket.send_buffer_size().expect("SO_SNDBUF") >= t.sndbuf.expect("set"));
        assert!(socket.recv_buffer_size().expect("SO_RCVBUF") >= t.rcvbuf.expect("set"));
        assert_eq!(socket.tos_v4().expect("IP_TOS"), 0x28);
        assert!(socket.keepalive().expect("SO_KEEPALIVE"));
        assert_eq!(
            socket.tcp_keepalive_time().expect("TCP_KEEPIDLE"),
            Duration::from_secs(30)
        );
        assert_eq!(
            socket.tcp_keepalive_interval().expect("TCP_KEEPINTVL"),
            Duration::from_secs(10)
        );
        assert_eq!(socket.tcp_keepalive_retries().expect("TCP_KEEPCNT"), 5);
        assert_eq!(
            socket.tcp_user_timeout().expect("TCP_USER_TIMEOUT"),
            Some(Duration::from_millis(4_000))
        );
        assert!(socket.tcp_nodelay().expect("TCP_NODELAY"));
    }

    #[test]
    fn options_map_onto_the_tuning() {
        let options = SocketOptions::new()
            .sndbuf(Some(1000))
            .tcp_keepalive(Some(true))
            .tcp_keepalive_idle(Some(30))
            .tos(0x28)
            .tcp_maxrt(Some(Duration::from_secs(2)))
            .ipv6(true);
        let t = TcpTuning::from_options(&options);
        assert_eq!(t.sndbuf, Some(1000));
        assert_eq!(t.rcvbuf, None, "-1: the OS default");
        assert_eq!(t.backlog, 100);
        assert_eq!(t.keepalive, Some(true));
        assert_eq!(t.keepalive_idle, Some(Duration::from_secs(30)));
        assert_eq!(t.keepalive_cnt, None);
        assert_eq!(t.tos, Some(0x28));
        assert_eq!(t.maxrt, Some(Duration::from_secs(2)));
        assert!(t.ipv6);
        let defaults = TcpTuning::from_options(&SocketOptions::new());
        assert_eq!(
            defaults,
            TcpTuning {
                backlog: 100,
                ..TcpTuning::default()
            },
            "libzmq's defaults leave the OS alone"
        );
    }

    /// The kernel reads back what was set on the listening, the accepted and the connecting
    /// socket.
    #[test]
    fn the_kernel_has_what_was_asked() {
        let t = tuned();
        let listener = t
            .listen("127.0.0.1:0".parse().expect("address"))
            .expect("listen");
        let l = SockRef::from(&listener);
        assert!(l.send_buffer_size().expect("SO_SNDBUF") >= 96 * 1024);
        assert_eq!(l.tos_v4().expect("IP_TOS"), 0x28);
        assert!(l.reuse_address().expect("SO_REUSEADDR"));
        let addr = listener.local_addr().expect("address");

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let client = t.connecting_socket(addr).expect("socket");
            check_connection(SockRef::from(&client), &t);
            let stream = client.connect(addr).await.expect("connect");
            check_connection(SockRef::from(&stream), &t);
        });
        let (accepted, _) = listener.accept().expect("accept");
        t.apply_to_connection(SockRef::from(&accepted), false)
            .expect("tune");
        check_connection(SockRef::from(&accepted), &t);
    }

    #[test]
    fn an_ipv6_wildcard_takes_ipv4_too() {
        let t = TcpTuning {
            ipv6: true,
            ..TcpTuning::default()
        };
        let listener = t
            .listen("[::]:0".parse().expect("address"))
            .expect("an IPv6 wildcard bind (the host needs IPv6 on loopback)");
        assert!(!SockRef::from(&listener).only_v6().expect("IPV6_V6ONLY"));
        let port = listener.local_addr().expect("address").port();
        std::net::TcpStream::connect(("127.0.0.1", port)).expect("IPv4 reaches the dual stack");
    }
}

//! `ZMQ_SOCKS_PROXY`: `tcp://` connects made through a SOCKS5 proxy (RFC 1928), as libzmq's
//! SOCKS connecter makes them. The connecter opens (and tunes) the TCP connection to the proxy
//! itself, then runs the SOCKS5 CONNECT exchange on it, offering only method 0x00 (no
//! authentication, the only one of libzmq 4.2's man page); the ZMTP greeting follows on the same
//! stream. The target goes to the proxy as written: an IPv4 or IPv6 literal as an address
//! (ATYP 0x01 / 0x04), a host name as a name (ATYP 0x03), unresolved, so the proxy resolves it.
//! The exchange itself is [`tokio_socks`]'s.
//!
//! Differences from libzmq 4.3, on purpose:
//! - a proxy address that cannot work (no port, port 0, `*`) is refused by `connect` with an
//!   error naming `ZMQ_SOCKS_PROXY`, where libzmq accepts it and then fails every attempt;
//! - `ZMQ_CONNECT_TIMEOUT` bounds the whole attempt (reaching the proxy and its reply, which
//!   comes once the proxy has reached the target), and `ZMQ_HANDSHAKE_IVL` bounds the SOCKS
//!   exchange when no connect timeout is set, so a proxy that never answers is dropped and
//!   retried instead of holding the connecter forever.
//!
//! Without the `socks` feature (on by default) a non-empty `ZMQ_SOCKS_PROXY` is refused when
//! set (`OptionError::FeatureDisabled`), and there is no exchange to run.

use std::io;
#[cfg(feature = "socks")]
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
#[cfg(feature = "socks")]
use tokio_socks::tcp::Socks5Stream;
#[cfg(feature = "socks")]
use tokio_socks::{IntoTargetAddr, TargetAddr};

use crate::endpoint::{Endpoint, TcpEndpoint, TcpHost};
use crate::options::{OptionError, OptionName};

/// The longest host name a SOCKS5 request carries (its length is one byte).
const MAX_DOMAIN: usize = 255;

/// Where a socket's `ZMQ_SOCKS_PROXY` points: a host (name or literal) and a port, both
/// required, as libzmq resolves it (`host:port`, IPv6 in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SocksProxy {
    /// The proxy's host and port; a name is resolved at each attempt, as libzmq does.
    pub(crate) address: TcpEndpoint,
}

impl SocksProxy {
    /// Parses the option's value. libzmq has no default port: `host:port` it is.
    pub(crate) fn parse(value: &str) -> Result<SocksProxy, OptionError> {
        let invalid = |why: String| OptionError::Invalid {
            option: OptionName::SocksProxy,
            reason: format!(
                "{value:?} is not a proxy address: {why}; expected host:port, e.g. 127.0.0.1:1080"
            ),
        };
        let address = match format!("tcp://{value}").parse::<Endpoint>() {
            Ok(Endpoint::Tcp(address)) => address,
            Ok(_) => return Err(invalid("not a tcp address".into())),
            Err(e) => return Err(invalid(e.kind.to_string())),
        };
        if address.host == TcpHost::Any {
            return Err(invalid("a wildcard host names no proxy".into()));
        }
        if address.port == 0 {
            return Err(invalid("port 0 (or *) names no proxy".into()));
        }
        Ok(SocksProxy { address })
    }

    /// Checks that `target` fits a SOCKS5 request (a host name of at most 255 bytes), so that
    /// `connect` refuses what no attempt could send.
    pub(crate) fn check_target(&self, target: &TcpEndpoint) -> Result<(), OptionError> {
        match &target.host {
            TcpHost::Name(name) if name.len() > MAX_DOMAIN => Err(OptionError::Invalid {
                option: OptionName::SocksProxy,
                reason: format!(
                    "a SOCKS5 request carries a host name of at most {MAX_DOMAIN} bytes, \
                     {} has {}",
                    target,
                    name.len()
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// Why the proxy did not give a connection to the target: its refusal (a reply code), a
/// reply that is not SOCKS5, a method other than "no authentication", or the proxy's stream
/// failing during the exchange.
#[cfg(feature = "socks")]
#[derive(Debug, thiserror::Error)]
#[error("SOCKS5 proxy {proxy}, CONNECT {target}: {reason}")]
pub(crate) struct SocksError {
    /// The proxy, as set in `ZMQ_SOCKS_PROXY`.
    pub(crate) proxy: String,
    /// The target, as given to `connect`.
    pub(crate) target: String,
    /// What went wrong, as [`tokio_socks`] decoded it.
    #[source]
    pub(crate) reason: tokio_socks::Error,
}

#[cfg(feature = "socks")]
impl SocksError {
    /// The I/O error kind the failure is reported under: the proxy's refusal codes keep their
    /// meaning, protocol violations are invalid data.
    fn kind(&self) -> io::ErrorKind {
        use tokio_socks::Error as E;
        match &self.reason {
            E::Io(e) => e.kind(),
            E::ConnectionRefused => io::ErrorKind::ConnectionRefused,
            E::HostUnreachable => io::ErrorKind::HostUnreachable,
            E::NetworkUnreachable => io::ErrorKind::NetworkUnreachable,
            E::TtlExpired => io::ErrorKind::TimedOut,
            E::ConnectionNotAllowedByRuleset
            | E::NoAcceptableAuthMethods
            | E::AuthorizationRequired => io::ErrorKind::PermissionDenied,
            E::GeneralSocksServerFailure
            | E::CommandNotSupported
            | E::AddressTypeNotSupported
            | E::ProxyServerUnreachable => io::ErrorKind::Other,
            _ => io::ErrorKind::InvalidData,
        }
    }

    /// The error as the connecter's attempts report it (the typed error is its source).
    fn into_io(self) -> io::Error {
        io::Error::new(self.kind(), self)
    }
}

/// What the proxy is asked to connect to: an address for a literal, the name itself (for the
/// proxy to resolve) for a host name.
#[cfg(feature = "socks")]
fn target_addr(target: &TcpEndpoint) -> Result<TargetAddr<'_>, tokio_socks::Error> {
    match &target.host {
        TcpHost::Ip(ip) => Ok(TargetAddr::Ip(SocketAddr::new(*ip, target.port))),
        TcpHost::Name(name) => (name.as_str(), target.port).into_target_addr(),
        TcpHost::Any => Err(tokio_socks::Error::InvalidTargetAddress(
            "a wildcard is for bind",
        )),
    }
}

/// Runs the SOCKS5 CONNECT exchange for `target` on `stream`, a connection to `proxy`, within
/// `limit` (`None`: no limit); on success the stream carries the target's bytes from its first.
#[cfg(feature = "socks")]
pub(crate) async fn handshake(
    stream: TcpStream,
    proxy: &SocksProxy,
    target: &TcpEndpoint,
    limit: Option<Duration>,
) -> io::Result<TcpStream> {
    let fail = |reason| {
        SocksError {
            proxy: proxy.address.to_string(),
            target: target.to_string(),
            reason,
        }
        .into_io()
    };
    let exchange = async {
        let addr = target_addr(target).map_err(fail)?;
        Socks5Stream::connect_with_socket(stream, addr)
            .await
            .map(Socks5Stream::into_inner)
            .map_err(fail)
    };
    match limit {
        Some(limit) => tokio::time::timeout(limit, exchange).await.map_err(|_| {
            fail(tokio_socks::Error::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no reply within {limit:?}"),
            )))
        })?,
        None => exchange.await,
    }
}

/// Without the `socks` feature: never called (the option is refused when set), and fails
/// saying why if it were.
#[cfg(not(feature = "socks"))]
pub(crate) async fn handshake(
    _stream: TcpStream,
    _proxy: &SocksProxy,
    _target: &TcpEndpoint,
    _limit: Option<Duration>,
) -> io::Result<TcpStream> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "ZMQ_SOCKS_PROXY needs zmtp's `socks` cargo feature, which this build was made without",
    ))
}

#[cfg(all(test, feature = "socks"))]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn endpoint(s: &str) -> TcpEndpoint {
        match s.parse::<Endpoint>() {
            Ok(Endpoint::Tcp(t)) => t,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn a_proxy_address_is_host_and_port() {
        let p = SocksProxy::parse("127.0.0.1:1080").expect("literal");
        assert_eq!(p.address.host, TcpHost::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert_eq!(p.address.port, 1080);
        let p = SocksProxy::parse("[::1]:1080").expect("IPv6 literal");
        assert_eq!(p.address.host, TcpHost::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        let p = SocksProxy::parse("proxy.example:9050").expect("name");
        assert_eq!(p.address.host, TcpHost::Name("proxy.example".into()));
    }

    #[test]
    fn a_proxy_address_that_cannot_work_is_refused_naming_the_option() {
        for bad in [
            "127.0.0.1",
            "127.0.0.1:0",
            "*:1080",
            "proxy:*",
            ":1080",
            "host:99999",
        ] {
            match SocksProxy::parse(bad) {
                Err(OptionError::Invalid { option, reason }) => {
                    assert_eq!(option, OptionName::SocksProxy);
                    assert!(reason.contains(bad), "{reason}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn names_go_unresolved_and_literals_as_addresses() {
        let t = endpoint("tcp://localhost:5555");
        assert_eq!(
            target_addr(&t).expect("name"),
            TargetAddr::Domain("localhost".into(), 5555)
        );
        let t = endpoint("tcp://127.0.0.1:5555");
        assert_eq!(
            target_addr(&t).expect("v4"),
            TargetAddr::Ip("127.0.0.1:5555".parse().expect("address"))
        );
        let t = endpoint("tcp://[::1]:5555");
        assert_eq!(
            target_addr(&t).expect("v6"),
            TargetAddr::Ip("[::1]:5555".parse().expect("address"))
        );
    }

    #[test]
    fn a_host_name_longer_than_a_request_holds_is_refused() {
        let proxy = SocksProxy::parse("127.0.0.1:1080").expect("proxy");
        let fits = endpoint(&format!("tcp://{}:1", "a".repeat(255)));
        assert!(proxy.check_target(&fits).is_ok());
        let long = endpoint(&format!("tcp://{}:1", "a".repeat(256)));
        assert!(matches!(
            proxy.check_target(&long),
            Err(OptionError::Invalid {
                option: OptionName::SocksProxy,
                ..
            })
        ));
    }

    #[test]
    fn refusals_keep_their_meaning_as_io_errors() {
        let error = |reason| SocksError {
            proxy: "127.0.0.1:1080".into(),
            target: "localhost:5555".into(),
            reason,
        };
        let refused = error(tokio_socks::Error::ConnectionRefused).into_io();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
        let text = refused.to_string();
        assert!(
            text.contains("127.0.0.1:1080") && text.contains("localhost:5555"),
            "{text}"
        );
        let typed = refused
            .get_ref()
            .and_then(|e| e.downcast_ref::<SocksError>())
            .expect("the typed error is the source");
        assert!(matches!(
            typed.reason,
            tokio_socks::Error::ConnectionRefused
        ));
        assert_eq!(
            error(tokio_socks::Error::InvalidResponseVersion)
                .into_io()
                .kind(),
            io::ErrorKind::InvalidData
        );
    }

    /// A one-connection proxy that answers `replies` in turn, each after reading the client's
    /// next message (greeting, then request), and gives back everything it read.
    async fn scripted_proxy(
        replies: Vec<Vec<u8>>,
    ) -> (SocketAddr, tokio::task::JoinHandle<Vec<Vec<u8>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let mut seen = Vec::new();
            for reply in replies {
                let mut buf = vec![0; 512];
                let n = stream.read(&mut buf).await.expect("read");
                buf.truncate(n);
                seen.push(buf);
                stream.write_all(&reply).await.expect("reply");
            }
            // Hold the stream open until the client is done with it.
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
            seen
        });
        (addr, task)
    }

    async fn through(
        proxy: SocketAddr,
        target: &str,
        limit: Option<Duration>,
    ) -> io::Result<TcpStream> {
        let proxy = SocksProxy::parse(&proxy.to_string()).expect("proxy");
        let stream = TcpStream::connect(SocketAddr::new(
            match proxy.address.host {
                TcpHost::Ip(ip) => ip,
                _ => unreachable!("a literal"),
            },
            proxy.address.port,
        ))
        .await?;
        handshake(stream, &proxy, &endpoint(target), limit).await
    }

    fn reason(e: &io::Error) -> &tokio_socks::Error {
        &e.get_ref()
            .and_then(|e| e.downcast_ref::<SocksError>())
            .expect("a SocksError")
            .reason
    }

    const OK_V4: [u8; 10] = [5, 0, 0, 1, 127, 0, 0, 1, 0x15, 0xb3];

    #[tokio::test]
    async fn a_host_name_is_sent_as_a_name_and_the_stream_starts_after_the_reply() {
        use tokio::io::AsyncReadExt;
        // The reply, then the target's first bytes in the same segment.
        let mut reply = OK_V4.to_vec();
        reply.extend_from_slice(b"\xff\0\0\0\0\0\0\0\x01\x7f");
        let (addr, proxy) = scripted_proxy(vec![vec![5, 0], reply]).await;
        let mut stream = through(addr, "tcp://localhost:5555", None)
            .await
            .expect("through the proxy");
        let mut first = [0; 10];
        stream.read_exact(&mut first).await.expect("target bytes");
        assert_eq!(
            &first, b"\xff\0\0\0\0\0\0\0\x01\x7f",
            "nothing of them was eaten"
        );
        drop(stream);
        let seen = proxy.await.expect("proxy");
        assert_eq!(
            seen[0],
            [5, 1, 0],
            "version 5, one method: no authentication"
        );
        let mut request = vec![5, 1, 0, 3, 9];
        request.extend_from_slice(b"localhost");
        request.extend_from_slice(&5555u16.to_be_bytes());
        assert_eq!(seen[1], request, "CONNECT, ATYP 3, the name unresolved");
    }

    #[tokio::test]
    async fn literals_are_sent_as_addresses() {
        let (addr, proxy) = scripted_proxy(vec![vec![5, 0], OK_V4.to_vec()]).await;
        drop(through(addr, "tcp://10.1.2.3:80", None).await.expect("v4"));
        let seen = proxy.await.expect("proxy");
        assert_eq!(seen[1], [5, 1, 0, 1, 10, 1, 2, 3, 0, 80]);

        let (addr, proxy) = scripted_proxy(vec![vec![5, 0], OK_V4.to_vec()]).await;
        drop(through(addr, "tcp://[::1]:80", None).await.expect("v6"));
        let seen = proxy.await.expect("proxy");
        let mut request = vec![5, 1, 0, 4];
        request.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        request.extend_from_slice(&[0, 80]);
        assert_eq!(seen[1], request);
    }

    #[tokio::test]
    async fn a_refusal_is_a_typed_error() {
        let (addr, _proxy) =
            scripted_proxy(vec![vec![5, 0], vec![5, 5, 0, 1, 0, 0, 0, 0, 0, 0]]).await;
        let e = through(addr, "tcp://127.0.0.1:1", None)
            .await
            .expect_err("refused");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        assert!(matches!(reason(&e), tokio_socks::Error::ConnectionRefused));
    }

    #[tokio::test]
    async fn a_proxy_that_wants_authentication_is_a_typed_error() {
        let (addr, _proxy) = scripted_proxy(vec![vec![5, 0xff]]).await;
        let e = through(addr, "tcp://127.0.0.1:1", None)
            .await
            .expect_err("no method");
        assert!(matches!(
            reason(&e),
            tokio_socks::Error::NoAcceptableAuthMethods
        ));
        let (addr, _proxy) = scripted_proxy(vec![vec![5, 2]]).await;
        let e = through(addr, "tcp://127.0.0.1:1", None)
            .await
            .expect_err("username/password is not offered");
        assert!(matches!(
            reason(&e),
            tokio_socks::Error::AuthorizationRequired
        ));
    }

    #[tokio::test]
    async fn malformed_replies_are_typed_errors() {
        /// The proxy's replies, and whether an error is the one they must give.
        type Case = (Vec<Vec<u8>>, fn(&tokio_socks::Error) -> bool);
        let cases: [Case; 4] = [
            (vec![vec![4, 0]], |e| {
                matches!(e, tokio_socks::Error::InvalidResponseVersion)
            }),
            (vec![vec![5, 0], vec![4, 0, 0, 1, 0, 0, 0, 0, 0, 0]], |e| {
                matches!(e, tokio_socks::Error::InvalidResponseVersion)
            }),
            (vec![vec![5, 0], vec![5, 0, 7, 1, 0, 0, 0, 0, 0, 0]], |e| {
                matches!(e, tokio_socks::Error::InvalidReservedByte)
            }),
            (vec![vec![5, 0], vec![5, 0, 0, 9, 0, 0, 0, 0, 0, 0]], |e| {
                matches!(e, tokio_socks::Error::UnknownAddressType)
            }),
        ];
        for (replies, expected) in cases {
            let (addr, _proxy) = scripted_proxy(replies.clone()).await;
            let e = through(addr, "tcp://127.0.0.1:1", None)
                .await
                .expect_err("malformed");
            assert!(expected(reason(&e)), "{replies:?}: {e}");
        }
    }

    #[tokio::test]
    async fn a_proxy_closing_mid_reply_is_an_error() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let mut buf = [0; 512];
            let _ = stream.read(&mut buf).await;
            let _ = stream.write_all(&[5, 0]).await;
            let _ = stream.read(&mut buf).await;
            // Three bytes of the ten of a reply, then the proxy goes.
            let _ = stream.write_all(&[5, 0, 0]).await;
        });
        let e = through(addr, "tcp://127.0.0.1:1", None)
            .await
            .expect_err("cut short");
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
        assert!(matches!(reason(&e), tokio_socks::Error::Io(_)));
    }

    #[tokio::test]
    async fn a_silent_proxy_is_dropped_at_the_limit() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let _held = tokio::spawn(async move { listener.accept().await });
        let e = through(addr, "tcp://127.0.0.1:1", Some(Duration::from_millis(20)))
            .await
            .expect_err("silent");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(e.to_string().contains("no reply within"), "{e}");
    }
}

//! Endpoints: `tcp://host:port`, `ipc://path` (and Linux abstract `ipc://@name`), `inproc://name`,
//! `ws://host:port/path`, parsed as libzmq reads them, with errors that name the problem.
//!
//! Wildcards, as in libzmq: `tcp://*:port` binds every interface; port `*` or `0` asks the OS for
//! a free port (the socket reports the real one once bound); `ipc://*` binds a fresh path in the
//! temporary directory. Host names are kept as written and resolved when connecting. The
//! transports libzmq has and this type does not describe (`pgm`, `epgm`, `norm`, `tipc`, `vmci`,
//! `wss`, `udp`) are refused with [`EndpointErrorKind::UnsupportedTransport`], never ignored.
//! Sockets take `udp://` (RADIO, DISH) and `pgm://` / `epgm://` (PUB, XPUB, SUB, XSUB)
//! themselves, before this parser: see `transport/udp.rs` and `transport/pgm.rs`.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::path::PathBuf;
use std::str::FromStr;

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `tcp://host:port`.
    Tcp(TcpEndpoint),
    /// `ipc://path`, `ipc://@name` or `ipc://*`.
    Ipc(IpcEndpoint),
    /// `inproc://name`: between sockets of one process, without encoding.
    Inproc(String),
    /// `ws://host:port/path`: ZeroMQ over WebSocket (ZWS 2.0, RFC 45).
    Ws(WsEndpoint),
}

/// The host, port and path of a `ws://` endpoint (libzmq's `ws_address`): host and port as in
/// `tcp://` (`*` and port `*` or `0` for bind), then the path of the HTTP upgrade (`/` when
/// none is written). A bound socket does not check the path its peers ask for, as libzmq.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WsEndpoint {
    /// Where to bind or connect.
    pub host: TcpHost,
    /// The port; 0 means "any free port" (written `*` or `0`).
    pub port: u16,
    /// The path, starting with `/`.
    pub path: String,
}

/// The host and port of a `tcp://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TcpEndpoint {
    /// Where to bind or connect.
    pub host: TcpHost,
    /// The port; 0 means "any free port" (written `*` or `0`).
    pub port: u16,
}

/// The host part of a `tcp://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TcpHost {
    /// `*`: every interface (bind only).
    Any,
    /// A literal IPv4 or IPv6 address (IPv6 written in brackets).
    Ip(IpAddr),
    /// A host or interface name, resolved when used.
    Name(String),
}

/// The address of an `ipc://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IpcEndpoint {
    /// A path in the file system; the socket file is removed on unbind.
    Path(PathBuf),
    /// A Linux abstract socket name (`ipc://@name`), with no file behind it.
    Abstract(String),
    /// `ipc://*`: a fresh path chosen at bind time.
    Any,
}

/// An endpoint that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid endpoint {endpoint:?}: {kind}")]
pub struct EndpointError {
    /// The endpoint as given.
    pub endpoint: String,
    /// What is wrong with it.
    pub kind: EndpointErrorKind,
}

/// What is wrong with an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointErrorKind {
    /// No `transport://` prefix.
    #[error("no transport: expected transport://address, e.g. tcp://127.0.0.1:5555")]
    MissingTransport,
    /// A transport no ZeroMQ implementation has.
    #[error("unknown transport {0:?}: expected tcp, ipc, inproc or ws")]
    UnknownTransport(String),
    /// A transport libzmq has and this crate does not support yet.
    #[error("transport {0:?} is not supported yet (tcp, ipc, inproc and ws are)")]
    UnsupportedTransport(String),
    /// Nothing after `transport://`.
    #[error("empty address")]
    EmptyAddress,
    /// A `tcp://` address without `:port`.
    #[error("no port: expected host:port")]
    MissingPort,
    /// A port that is not `*` or a number from 0 to 65535.
    #[error("bad port {0:?}: expected * or a number from 0 to 65535")]
    BadPort(String),
    /// A `tcp://` address without a host before `:port`.
    #[error("no host before the port")]
    MissingHost,
    /// An IPv6 address in brackets that does not parse, or a bracket left open.
    #[error("bad IPv6 address {0:?}")]
    BadIpv6(String),
    /// libzmq's `source;destination` form of tcp connect.
    #[error("source addresses (source;destination) are not supported yet")]
    SourceAddress,
    /// A wildcard (`ipc://*`) given to connect: wildcards are for bind.
    #[error("a wildcard is for bind, not connect")]
    WildcardConnect,
    /// An `ipc://` address that does not fit a Unix socket address (`sun_path`, with its
    /// terminating NUL; the `@` of an abstract name counts), libzmq's `ENAMETOOLONG`.
    #[error("ipc address of {len} bytes is too long: at most {max} fit a Unix socket address")]
    IpcPathTooLong {
        /// The address's length in bytes.
        len: usize,
        /// The longest that fits.
        max: usize,
    },
}

/// The longest `ipc://` address (bytes after `ipc://`) that fits `sun_path` with its NUL, as
/// libzmq checks it.
pub const IPC_ADDRESS_MAX: usize = if cfg!(any(target_os = "linux", target_os = "android")) {
    107
} else {
    103
};

const UNSUPPORTED: [&str; 7] = ["pgm", "epgm", "norm", "tipc", "vmci", "wss", "udp"];

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Endpoint, EndpointError> {
        let fail = |kind| EndpointError {
            endpoint: s.to_owned(),
            kind,
        };
        let (transport, address) = s
            .split_once("://")
            .ok_or_else(|| fail(EndpointErrorKind::MissingTransport))?;
        if address.is_empty() {
            return Err(fail(EndpointErrorKind::EmptyAddress));
        }
        match transport {
            "tcp" => parse_tcp(address).map(Endpoint::Tcp).map_err(fail),
            "ipc" if address.len() > IPC_ADDRESS_MAX => {
                Err(fail(EndpointErrorKind::IpcPathTooLong {
                    len: address.len(),
                    max: IPC_ADDRESS_MAX,
                }))
            }
            "ipc" => Ok(Endpoint::Ipc(match address {
                "*" => IpcEndpoint::Any,
                _ => match address.strip_prefix('@') {
                    Some(name) => IpcEndpoint::Abstract(name.to_owned()),
                    None => IpcEndpoint::Path(PathBuf::from(address)),
                },
            })),
            "inproc" => Ok(Endpoint::Inproc(address.to_owned())),
            "ws" => {
                let (authority, path) = match address.find('/') {
                    Some(at) => address.split_at(at),
                    None => (address, "/"),
                };
                let tcp = parse_tcp(authority).map_err(fail)?;
                Ok(Endpoint::Ws(WsEndpoint {
                    host: tcp.host,
                    port: tcp.port,
                    path: path.to_owned(),
                }))
            }
            t if UNSUPPORTED.contains(&t) => {
                Err(fail(EndpointErrorKind::UnsupportedTransport(t.to_owned())))
            }
            t => Err(fail(EndpointErrorKind::UnknownTransport(t.to_owned()))),
        }
    }
}

fn parse_tcp(address: &str) -> Result<TcpEndpoint, EndpointErrorKind> {
    if address.contains(';') {
        return Err(EndpointErrorKind::SourceAddress);
    }
    let (host, port) = address
        .rsplit_once(':')
        .ok_or(EndpointErrorKind::MissingPort)?;
    let port = match port {
        "*" => 0,
        p => p
            .parse::<u16>()
            .map_err(|_| EndpointErrorKind::BadPort(p.to_owned()))?,
    };
    let host = if host == "*" {
        TcpHost::Any
    } else if let Some(inner) = host.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| EndpointErrorKind::BadIpv6(host.to_owned()))?;
        // libzmq also takes a zone ("[fe80::1%eth0]"); the standard parser does not.
        let ip = inner
            .parse::<Ipv6Addr>()
            .map_err(|_| EndpointErrorKind::BadIpv6(inner.to_owned()))?;
        TcpHost::Ip(IpAddr::V6(ip))
    } else if host.is_empty() {
        return Err(EndpointErrorKind::MissingHost);
    } else if let Ok(ip) = host.parse::<IpAddr>() {
        TcpHost::Ip(ip)
    } else if host.contains(':') {
        // Not a name (names have no colons) and not an address either.
        return Err(EndpointErrorKind::BadIpv6(host.to_owned()));
    } else {
        TcpHost::Name(host.to_owned())
    };
    Ok(TcpEndpoint { host, port })
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(tcp) => write!(f, "tcp://{tcp}"),
            Endpoint::Ipc(IpcEndpoint::Path(p)) => write!(f, "ipc://{}", p.display()),
            Endpoint::Ipc(IpcEndpoint::Abstract(name)) => write!(f, "ipc://@{name}"),
            Endpoint::Ipc(IpcEndpoint::Any) => f.write_str("ipc://*"),
            Endpoint::Inproc(name) => write!(f, "inproc://{name}"),
            Endpoint::Ws(ws) => {
                let tcp = TcpEndpoint {
                    host: ws.host.clone(),
                    port: ws.port,
                };
                write!(f, "ws://{tcp}{}", ws.path)
            }
        }
    }
}

impl fmt::Display for TcpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            TcpHost::Any => f.write_str("*")?,
            TcpHost::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
            TcpHost::Ip(ip) => write!(f, "{ip}")?,
            TcpHost::Name(name) => f.write_str(name)?,
        }
        write!(f, ":{}", self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn parse(s: &str) -> Result<Endpoint, EndpointErrorKind> {
        s.parse::<Endpoint>().map_err(|e| {
            assert_eq!(e.endpoint, s);
            e.kind
        })
    }

    fn tcp(host: TcpHost, port: u16) -> Endpoint {
        Endpoint::Tcp(TcpEndpoint { host, port })
    }

    #[test]
    fn tcp_forms() {
        let v4 = TcpHost::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(parse("tcp://127.0.0.1:5555"), Ok(tcp(v4.clone(), 5555)));
        assert_eq!(parse("tcp://127.0.0.1:*"), Ok(tcp(v4.clone(), 0)));
        assert_eq!(parse("tcp://127.0.0.1:0"), Ok(tcp(v4, 0)));
        assert_eq!(parse("tcp://*:5555"), Ok(tcp(TcpHost::Any, 5555)));
        assert_eq!(
            parse("tcp://[::1]:5555"),
            Ok(tcp(TcpHost::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)), 5555))
        );
        assert_eq!(
            parse("tcp://localhost:80"),
            Ok(tcp(TcpHost::Name("localhost".into()), 80))
        );
        assert_eq!(
            parse("tcp://eth0:1"),
            Ok(tcp(TcpHost::Name("eth0".into()), 1))
        );
    }

    #[test]
    fn tcp_errors_name_the_problem() {
        assert_eq!(
            parse("tcp://127.0.0.1"),
            Err(EndpointErrorKind::MissingPort)
        );
        assert_eq!(parse("tcp://:5555"), Err(EndpointErrorKind::MissingHost));
        assert_eq!(
            parse("tcp://h:65536"),
            Err(EndpointErrorKind::BadPort("65536".into()))
        );
        assert_eq!(
            parse("tcp://h:-1"),
            Err(EndpointErrorKind::BadPort("-1".into()))
        );
        assert_eq!(
            parse("tcp://h:"),
            Err(EndpointErrorKind::BadPort("".into()))
        );
        assert_eq!(
            parse("tcp://[::1:5555"),
            Err(EndpointErrorKind::BadIpv6("[::1".into()))
        );
        assert_eq!(
            parse("tcp://[zz]:1"),
            Err(EndpointErrorKind::BadIpv6("zz".into()))
        );
        // Unbracketed IPv6 reads as libzmq reads it: the last colon starts the port.
        assert_eq!(
            parse("tcp://::1:5555"),
            Ok(tcp(TcpHost::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)), 5555))
        );
        assert_eq!(
            parse("tcp://fe80::zz:1"),
            Err(EndpointErrorKind::BadIpv6("fe80::zz".into()))
        );
        assert_eq!(
            parse("tcp://10.0.0.1:0;10.0.0.2:5555"),
            Err(EndpointErrorKind::SourceAddress)
        );
        assert_eq!(parse("tcp://"), Err(EndpointErrorKind::EmptyAddress));
    }

    #[test]
    fn ipc_and_inproc() {
        assert_eq!(
            parse("ipc:///tmp/feeds/0"),
            Ok(Endpoint::Ipc(IpcEndpoint::Path("/tmp/feeds/0".into())))
        );
        assert_eq!(
            parse("ipc://@zmtp-test"),
            Ok(Endpoint::Ipc(IpcEndpoint::Abstract("zmtp-test".into())))
        );
        assert_eq!(parse("ipc://*"), Ok(Endpoint::Ipc(IpcEndpoint::Any)));
        assert_eq!(
            parse("inproc://workers"),
            Ok(Endpoint::Inproc("workers".into()))
        );
        assert_eq!(parse("inproc://"), Err(EndpointErrorKind::EmptyAddress));
        let longest = format!("ipc:///{}", "x".repeat(IPC_ADDRESS_MAX - 1));
        assert!(parse(&longest).is_ok());
        assert_eq!(
            parse(&format!("{longest}x")),
            Err(EndpointErrorKind::IpcPathTooLong {
                len: IPC_ADDRESS_MAX + 1,
                max: IPC_ADDRESS_MAX
            })
        );
    }

    #[test]
    fn ws_forms() {
        let v4 = TcpHost::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let ws = |host: TcpHost, port, path: &str| {
            Endpoint::Ws(WsEndpoint {
                host,
                port,
                path: path.into(),
            })
        };
        assert_eq!(
            parse("ws://127.0.0.1:5555/feed"),
            Ok(ws(v4.clone(), 5555, "/feed"))
        );
        assert_eq!(parse("ws://127.0.0.1:*"), Ok(ws(v4, 0, "/")));
        assert_eq!(parse("ws://*:80/a/b"), Ok(ws(TcpHost::Any, 80, "/a/b")));
        assert_eq!(
            parse("ws://example.org:1/"),
            Ok(ws(TcpHost::Name("example.org".into()), 1, "/"))
        );
        assert_eq!(parse("ws://h/x"), Err(EndpointErrorKind::MissingPort));
        assert_eq!(parse("ws://:1/x"), Err(EndpointErrorKind::MissingHost));
    }

    #[test]
    fn transports() {
        assert_eq!(
            parse("127.0.0.1:5555"),
            Err(EndpointErrorKind::MissingTransport)
        );
        assert_eq!(
            parse("http://x:1"),
            Err(EndpointErrorKind::UnknownTransport("http".into()))
        );
        for t in UNSUPPORTED {
            assert_eq!(
                parse(&format!("{t}://eth0;239.192.1.1:5555")),
                Err(EndpointErrorKind::UnsupportedTransport(t.into()))
            );
        }
        let e = "pgm://x".parse::<Endpoint>().expect_err("unsupported");
        assert_eq!(
            e.to_string(),
            "invalid endpoint \"pgm://x\": transport \"pgm\" is not supported yet (tcp, ipc, inproc and ws are)"
        );
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "tcp://127.0.0.1:5555",
            "tcp://*:0",
            "tcp://[::1]:7",
            "tcp://example.org:80",
            "ipc:///tmp/x",
            "ipc://@abs",
            "ipc://*",
            "inproc://a/b",
            "ws://127.0.0.1:5555/",
            "ws://*:0/feed/a",
            "ws://[::1]:80/x",
        ] {
            let e: Endpoint = s.parse().expect("valid");
            assert_eq!(e.to_string(), s);
            assert_eq!(e.to_string().parse::<Endpoint>(), Ok(e));
        }
    }
}

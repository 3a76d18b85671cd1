//! `ZMQ_TCP_ACCEPT_FILTER` values: an IPv4 or IPv6 address with an optional CIDR prefix length,
//! read as libzmq's `tcp_address_mask_t` reads them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use super::error::OptionError;
use super::name::OptionName;

/// One `ZMQ_TCP_ACCEPT_FILTER` entry: peers whose address shares the first
/// [`prefix_len`](TcpAcceptFilter::prefix_len) bits with [`address`](TcpAcceptFilter::address)
/// may connect to a listening socket.
///
/// As in libzmq: `"192.168.1.0/24"`, `"10.0.0.1"` (a whole address: /32, or /128 for IPv6),
/// `"::1/128"`; a prefix length of 0 matches every peer of that family; an empty prefix (`"a/"`)
/// or one too long for the family is refused. Unlike libzmq, host names are not resolved (that
/// would be I/O); give addresses. The CIDR parsing and matching are the `ipnet` crate's; what
/// is libzmq's here is the plain address as a whole-address network and an IPv4 peer seen on
/// an IPv6 socket compared as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpAcceptFilter {
    net: IpNet,
}

impl TcpAcceptFilter {
    /// A filter for `address`/`prefix_len`; `None` if the length is too long for the family.
    pub fn new(address: IpAddr, prefix_len: u8) -> Option<TcpAcceptFilter> {
        IpNet::new(address, prefix_len)
            .ok()
            .map(|net| TcpAcceptFilter { net })
    }

    /// Parses `address[/prefix]`. The error names `ZMQ_TCP_ACCEPT_FILTER`.
    pub fn parse(text: &str) -> Result<TcpAcceptFilter, OptionError> {
        let invalid = |reason: String| OptionError::Invalid {
            option: OptionName::TcpAcceptFilter,
            reason,
        };
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().map_err(|_| {
            invalid(format!(
                "{text:?} is not an IPv4 or IPv6 address with an optional /prefix length \
                 (host names are not resolved)"
            ))
        })?;
        let net = match prefix {
            // A whole address: /32 or /128.
            None => Some(IpNet::from(address)),
            // libzmq reads the length as decimal digits only (no sign, no space).
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse::<IpNet>().ok()
            }
            Some(_) => None,
        }
        .ok_or_else(|| {
            let max = if address.is_ipv4() { 32 } else { 128 };
            invalid(format!(
                "the prefix length in {text:?} must be a number from 0 to {max}"
            ))
        })?;
        Ok(TcpAcceptFilter { net })
    }

    /// The address.
    pub fn address(&self) -> IpAddr {
        self.net.addr()
    }

    /// How many leading bits of a peer's address must equal the filter's.
    pub fn prefix_len(&self) -> u8 {
        self.net.prefix_len()
    }

    /// Whether a peer at `peer` passes this filter. An IPv4 peer seen on an IPv6 socket
    /// (`::ffff:a.b.c.d`) is compared as IPv4.
    pub fn matches(&self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .filter(|_| self.net.addr().is_ipv4())
                .map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        self.net.contains(&peer)
    }
}

impl FromStr for TcpAcceptFilter {
    type Err = OptionError;

    fn from_str(text: &str) -> Result<TcpAcceptFilter, OptionError> {
        TcpAcceptFilter::parse(text)
    }
}

impl fmt::Display for TcpAcceptFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address(), self.prefix_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn parses_like_libzmq() -> Result<(), OptionError> {
        let f = TcpAcceptFilter::parse("192.168.1.0/24")?;
        assert_eq!((f.address(), f.prefix_len()), (ip("192.168.1.0"), 24));
        assert_eq!(f.to_string(), "192.168.1.0/24");
        assert_eq!(TcpAcceptFilter::parse("10.0.0.1")?.prefix_len(), 32);
        assert_eq!(TcpAcceptFilter::parse("::1")?.prefix_len(), 128);
        assert_eq!(TcpAcceptFilter::parse("0.0.0.0/0")?.prefix_len(), 0);
        assert_eq!(TcpAcceptFilter::parse("fe80::/10")?.prefix_len(), 10);
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "localhost",
            "10.0.0/8",
            "/8",
        ] {
            let e = TcpAcceptFilter::parse(bad);
            assert!(
                matches!(
                    e,
                    Err(OptionError::Invalid {
                        option: OptionName::TcpAcceptFilter,
                        ..
                    })
                ),
                "{bad:?}: {e:?}"
            );
        }
        assert_eq!(TcpAcceptFilter::new(ip("10.0.0.0"), 33), None);
        Ok(())
    }

    #[test]
    fn matching() -> Result<(), OptionError> {
        let net = TcpAcceptFilter::parse("192.168.1.0/24")?;
        assert!(net.matches(ip("192.168.1.77")));
        assert!(!net.matches(ip("192.168.2.1")));
        assert!(net.matches(ip("::ffff:192.168.1.9")));
        assert!(!net.matches(ip("::1")));
        assert!(TcpAcceptFilter::parse("0.0.0.0/0")?.matches(ip("8.8.8.8")));
        let v6 = TcpAcceptFilter::parse("fe80::/10")?;
        assert!(v6.matches(ip("fe80::1")));
        assert!(!v6.matches(ip("2001:db8::1")));
        assert!(!v6.matches(ip("10.0.0.1")));
        let host = TcpAcceptFilter::parse("::1")?;
        assert!(host.matches(ip("::1")) && !host.matches(ip("::2")));
        Ok(())
    }
}
